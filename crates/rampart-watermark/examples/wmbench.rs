//! Helper of `bench/watermark/bench.py`: in-process timings of embed and detect, and the attack
//! catalogue applied to a folder, so rampart and invisible-watermark see identical attacks.
//!
//! ```text
//! wmbench embed IN_DIR OUT_DIR KEY PAYLOAD     # JSON lines: file, psnr, embed_ms, width, height
//! wmbench attack IN_DIR OUT_DIR                # OUT_DIR/<attack>/<file>.png
//! wmbench detect DIR KEY                       # JSON lines: file, detected, confidence, payload, detect_ms
//! wmbench negatives IN_DIR OUT_DIR N           # N unmarked crops / attacked copies
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::DynamicImage;
use rampart_watermark::batch::list_images;
use rampart_watermark::{Attack, DetectOptions, EmbedOptions, Picture, SaveOptions, detect, embed};

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| {
        args.get(i)
            .cloned()
            .expect("missing argument, see the module doc")
    };
    match arg(0).as_str() {
        "embed" => {
            let (inp, out) = (PathBuf::from(arg(1)), PathBuf::from(arg(2)));
            std::fs::create_dir_all(&out).unwrap();
            let payload = arg(4).parse().unwrap();
            for f in list_images(&inp).unwrap() {
                let original = Picture::open(&f).unwrap();
                let mut times = Vec::new();
                let mut marked = original.clone();
                let mut psnr = 0.0;
                for _ in 0..3 {
                    marked = original.clone();
                    let t = Instant::now();
                    psnr = embed(&mut marked, &arg(3), &payload, &EmbedOptions::default())
                        .unwrap()
                        .psnr;
                    times.push(t.elapsed().as_secs_f64() * 1e3);
                }
                let dst = out.join(format!("{}.png", stem(&f)));
                marked.save(&dst, &SaveOptions::default()).unwrap();
                println!(
                    "{}",
                    serde_json::json!({"file": stem(&f), "psnr": psnr, "embed_ms": median(times),
                        "width": original.width(), "height": original.height()})
                );
            }
        }
        "attack" => {
            let (inp, out) = (PathBuf::from(arg(1)), PathBuf::from(arg(2)));
            for f in list_images(&inp).unwrap() {
                let img = Picture::open(&f).unwrap().image;
                for (name, a) in Attack::catalogue() {
                    let d = out.join(name);
                    std::fs::create_dir_all(&d).unwrap();
                    a.apply(&img)
                        .save(d.join(format!("{}.png", stem(&f))))
                        .unwrap();
                }
            }
        }
        "detect" => {
            let dir = PathBuf::from(arg(1));
            for f in list_images(&dir).unwrap() {
                let p = Picture::open(&f).unwrap();
                let opts = DetectOptions {
                    edit_map: false,
                    ..Default::default()
                };
                let t = Instant::now();
                let d = detect(&p, &arg(2), &opts).unwrap();
                let ms = t.elapsed().as_secs_f64() * 1e3;
                println!(
                    "{}",
                    serde_json::json!({"file": stem(&f), "detected": d.detected, "confidence": d.confidence,
                        "payload": if d.payload_valid { d.payload.clone() } else { d.payload.clone().map(|p| format!("?{p}")) },
                        "detect_ms": ms})
                );
            }
        }
        "negatives" => {
            let (inp, out) = (PathBuf::from(arg(1)), PathBuf::from(arg(2)));
            let n: usize = arg(3).parse().unwrap();
            std::fs::create_dir_all(&out).unwrap();
            let imgs: Vec<DynamicImage> = list_images(&inp)
                .unwrap()
                .iter()
                .map(|f| Picture::open(f).unwrap().image)
                .collect();
            let cat = Attack::catalogue();
            let mut state: u64 = 0x5eed;
            let mut rnd = || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 53) as f64
            };
            for i in 0..n {
                let img = &imgs[i % imgs.len()];
                let (w, h) = (img.width(), img.height());
                let side = (256.0 + rnd() * (w.min(h) as f64 - 256.0)) as u32;
                let x = (rnd() * (w - side) as f64) as u32;
                let y = (rnd() * (h - side) as f64) as u32;
                let crop = img.crop_imm(x, y, side, side);
                let (_, a) = &cat[(rnd() * cat.len() as f64) as usize % cat.len()];
                let mut attacked = a.apply(&crop);
                if attacked.width() < 128 || attacked.height() < 128 {
                    attacked = crop;
                }
                attacked.save(out.join(format!("neg{i:05}.png"))).unwrap();
            }
        }
        other => panic!("unknown mode {other}"),
    }
}
