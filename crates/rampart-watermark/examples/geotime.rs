//! Single-thread timing of detection on the geometric attacks: best of N calls per image.
//! `geotime ATTACKED_DIR KEY [N]`; run with `RAYON_NUM_THREADS=1`.
use std::path::Path;
use std::time::Instant;

use rampart_watermark::batch::list_images;
use rampart_watermark::{DetectOptions, Picture, detect};

const GEOMETRIC: [&str; 12] = [
    "rot5",
    "rot15_crop",
    "rot33",
    "rot45_crop",
    "scale0.5",
    "scale0.75",
    "scale1.5",
    "scale2",
    "aspect1.3x",
    "aspect0.8y",
    "screenshot",
    "combo",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = Path::new(&args[0]);
    let key = &args[1];
    let n: usize = args.get(2).map_or(5, |s| s.parse().unwrap());
    let only = args.get(3).cloned();
    let opts = DetectOptions {
        edit_map: false,
        ..Default::default()
    };
    let mut all = Vec::new();
    for a in GEOMETRIC {
        if only.as_deref().is_some_and(|o| o != a) {
            continue;
        }
        for f in list_images(&dir.join(a)).unwrap() {
            let p = Picture::open(&f).unwrap();
            let mut best = f64::MAX;
            let mut conf = 0.0;
            for _ in 0..n {
                let t = Instant::now();
                let d = detect(&p, key, &opts).unwrap();
                best = best.min(t.elapsed().as_secs_f64() * 1e3);
                conf = d.confidence;
            }
            println!(
                "{a} {} {best:.2} {conf:.6}",
                f.file_stem().unwrap().to_string_lossy()
            );
            all.push(best);
        }
    }
    all.sort_by(f64::total_cmp);
    println!("median {:.2} ms over {}", all[all.len() / 2], all.len());
}
