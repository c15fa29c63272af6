//! Embeds a mark into every image of a folder, applies each attack of the catalogue and prints
//! per-attack detection rate, payload accuracy and the weakest confidence.
//!
//! `cargo run --release -p rampart-watermark --example robustness -- DIR [ATTACK...]`

use std::time::Instant;

use rampart_watermark::{Attack, DetectOptions, EmbedOptions, Picture, detect, embed};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: robustness DIR [ATTACK...]");
    let only: Vec<String> = args.collect();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let payload = "c0ffee42".parse().unwrap();
    let mut marked = Vec::new();
    for f in &files {
        let Ok(mut p) = Picture::open(f) else {
            continue;
        };
        let t = Instant::now();
        let rep = embed(&mut p, "bench-key", &payload, &EmbedOptions::default()).unwrap();
        println!(
            "{:<28} {}x{} psnr {:.2} dB embed {:.0} ms",
            f.file_name().unwrap().to_string_lossy(),
            rep.width,
            rep.height,
            rep.psnr,
            t.elapsed().as_secs_f64() * 1e3
        );
        marked.push((f.clone(), p.image));
    }
    println!(
        "{:<14} {:>6} {:>8} {:>10} {:>9} {:>8}",
        "attack", "det", "payload", "min conf", "edited", "ms"
    );
    for (name, attack) in Attack::catalogue() {
        if !only.is_empty() && !only.iter().any(|o| o == name) {
            continue;
        }
        let (mut det, mut ok, mut edited, mut minc, mut ms) = (0, 0, 0, f64::MAX, 0.0);
        let mut worst = String::new();
        for (f, img) in &marked {
            let a = Picture::from_image(attack.apply(img));
            let t = Instant::now();
            let d = detect(&a, "bench-key", &DetectOptions::default()).unwrap();
            ms += t.elapsed().as_secs_f64() * 1e3;
            det += d.detected as usize;
            ok += (d.payload_valid && d.payload.as_deref() == Some("c0ffee42")) as usize;
            edited += d.edit_map.as_ref().is_some_and(|m| m.edited) as usize;
            if d.confidence < minc {
                minc = d.confidence;
                worst = format!(
                    "{} {:?}",
                    f.file_name().unwrap().to_string_lossy(),
                    d.geometry.map(|g| (
                        g.rotation_degrees,
                        g.scale_x,
                        g.scale_y,
                        g.flipped,
                        g.inverted
                    ))
                );
            }
        }
        let n = marked.len();
        println!(
            "{:<14} {:>3}/{:<2} {:>5}/{:<2} {:>10.1} {:>6}/{:<2} {:>8.0}  worst: {}",
            name,
            det,
            n,
            ok,
            n,
            minc,
            edited,
            n,
            ms / n as f64,
            worst
        );
    }
}
