//! Embed/detect round trips, each attack family, wrong keys, calibration and errors.

mod common;

use rampart_watermark::{
    Attack, DetectOptions, EmbedOptions, Payload, Picture, WatermarkError, detect, embed,
};

const KEY: &str = "test key";

fn marked(w: u32, h: u32, seed: u32, payload: &str) -> Picture {
    let mut p = Picture::from_image(common::photo(w, h, seed));
    let rep = embed(
        &mut p,
        KEY,
        &payload.parse().unwrap(),
        &EmbedOptions::default(),
    )
    .unwrap();
    assert!((38.5..43.0).contains(&rep.psnr), "psnr {}", rep.psnr);
    p
}

fn check(p: &Picture, attack: &Attack, payload: &str) -> rampart_watermark::Detection {
    let a = Picture::from_image(attack.apply(&p.image));
    let d = detect(&a, KEY, &DetectOptions::default()).unwrap();
    assert!(
        d.detected,
        "{attack:?}: not detected, confidence {:.2} z {:.2}",
        d.confidence, d.z_score
    );
    assert!(d.payload_valid, "{attack:?}: payload invalid");
    assert_eq!(d.payload.as_deref(), Some(payload), "{attack:?}");
    d
}

#[test]
fn round_trip_payload_lengths() {
    for (i, payload) in ["1a2b3c4d", "0011223344", "ffeeddccbbaa9988"]
        .iter()
        .enumerate()
    {
        let p = marked(320, 288, i as u32, payload);
        let d = check(&p, &Attack::Chain(vec![]), payload);
        let g = d.geometry.unwrap();
        assert!(!g.flipped && !g.inverted && g.rotation_degrees.abs() < 0.01);
        assert!(!d.edit_map.unwrap().edited);
    }
}

#[test]
fn geometric_attacks() {
    let payload = "c0ffee42";
    let p = marked(512, 512, 3, payload);
    for a in [
        Attack::Rotate {
            degrees: 7.0,
            crop: false,
        },
        Attack::Rotate {
            degrees: 30.0,
            crop: true,
        },
        Attack::Rotate {
            degrees: -73.0,
            crop: false,
        },
        Attack::Scale { x: 0.5, y: 0.5 },
        Attack::Scale { x: 2.0, y: 2.0 },
        Attack::Scale { x: 1.3, y: 1.0 },
        Attack::Scale { x: 1.0, y: 0.8 },
        Attack::Crop {
            area: 0.25,
            at_x: 0.7,
            at_y: 0.3,
        },
    ] {
        check(&p, &a, payload);
    }
}

#[test]
fn dihedral_and_inversion() {
    let payload = "deadbeef";
    let p = marked(384, 320, 5, payload);
    let d = check(&p, &Attack::FlipHorizontal, payload);
    assert!(d.geometry.unwrap().flipped);
    let d = check(&p, &Attack::FlipVertical, payload);
    assert!(d.geometry.unwrap().flipped);
    for (turns, deg) in [(1u8, 90.0), (2, 180.0), (3, -90.0)] {
        let d = check(&p, &Attack::Turn(turns), payload);
        let g = d.geometry.unwrap();
        assert!(!g.flipped);
        assert!(
            (g.rotation_degrees - deg).abs() < 0.5,
            "turn {turns}: {}",
            g.rotation_degrees
        );
    }
    let d = check(&p, &Attack::Invert, payload);
    assert!(d.geometry.unwrap().inverted);
}

#[test]
fn photometric_and_compression_attacks() {
    let payload = "0badc0de";
    let p = marked(384, 384, 7, payload);
    for a in [
        Attack::Jpeg(50),
        Attack::Noise {
            sigma: 5.0,
            seed: 1,
        },
        Attack::Brightness(1.2),
        Attack::Brightness(0.8),
        Attack::Contrast(1.2),
        Attack::Contrast(0.8),
        Attack::Blur(1.0),
        Attack::Screenshot {
            scale: 0.8,
            quality: 80,
        },
        // Combined attacks. On a 384-pixel image, rotation + downscale + JPEG together leave too
        // little of the lattice for synchronisation; the benchmark measures that harder
        // combination on real photos.
        Attack::Chain(vec![
            Attack::Rotate {
                degrees: 10.0,
                crop: true,
            },
            Attack::FlipHorizontal,
            Attack::Brightness(1.1),
            Attack::Jpeg(75),
        ]),
        Attack::Chain(vec![
            Attack::Scale { x: 0.8, y: 0.8 },
            Attack::Contrast(0.85),
            Attack::Jpeg(70),
        ]),
    ] {
        check(&p, &a, payload);
    }
}

#[test]
fn edit_map_flags_replaced_region() {
    let payload = "12345678";
    let p = marked(512, 512, 11, payload);
    let intact = check(&p, &Attack::Chain(vec![]), payload).edit_map.unwrap();
    assert!(intact.reliable && !intact.edited, "{intact:?}");
    let a = Attack::Replace {
        rect: [0.5, 0.5, 0.5, 0.5],
    };
    let d = detect(
        &Picture::from_image(a.apply(&p.image)),
        KEY,
        &DetectOptions::default(),
    )
    .unwrap();
    assert!(d.detected);
    let m = d.edit_map.unwrap();
    assert!(m.edited, "{m:?}");
    assert!((0.15..0.4).contains(&m.missing_fraction), "{m:?}");
}

#[test]
fn wrong_key_and_clean_images_never_detect() {
    let p = marked(384, 384, 13, "a1b2c3d4");
    for key in ["Test key", "test key ", "other"] {
        let d = detect(&p, key, &DetectOptions::default()).unwrap();
        assert!(!d.detected, "key {key:?}: confidence {}", d.confidence);
    }
    // Calibration on unmarked images: with the Bonferroni factor, p-values of clean images are
    // conservative, so none should be anywhere near 1e-6, and few below 1e-2.
    let mut below_1e2 = 0;
    let mut worst = 0f64;
    let n = 120;
    for i in 0..n {
        let base = common::photo(256 + (i % 5) * 16, 256 + (i % 3) * 24, 1000 + i);
        let img = match i % 4 {
            0 => base,
            1 => Attack::Jpeg(70).apply(&base),
            2 => Attack::Rotate {
                degrees: i as f64,
                crop: true,
            }
            .apply(&common::photo(384, 384, 1000 + i)),
            _ => Attack::Scale { x: 1.5, y: 1.5 }.apply(&base),
        };
        let d = detect(
            &Picture::from_image(img),
            &format!("key {i}"),
            &DetectOptions::default(),
        )
        .unwrap();
        assert!(!d.detected);
        worst = worst.max(d.confidence);
        below_1e2 += (d.p_value <= 1e-2) as usize;
    }
    assert!(worst < 4.0, "largest clean confidence {worst}");
    assert!(
        below_1e2 <= 3,
        "{below_1e2} of {n} clean images had p <= 0.01"
    );
}

#[test]
fn errors_are_clear() {
    let small = Picture::from_image(common::photo(200, 300, 1));
    let mut s = small.clone();
    let e = embed(
        &mut s,
        KEY,
        &"12345678".parse().unwrap(),
        &EmbedOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, WatermarkError::ImageTooSmall { .. }) && e.to_string().contains("256"));
    let tiny = Picture::from_image(common::photo(100, 100, 1));
    assert!(matches!(
        detect(&tiny, KEY, &DetectOptions::default()),
        Err(WatermarkError::ImageTooSmall { .. })
    ));
    assert!(matches!(
        detect(&small, "", &DetectOptions::default()),
        Err(WatermarkError::EmptyKey)
    ));
    for bad in ["123", "xyz12345", "1234567", "00112233445566778899"] {
        assert!(
            matches!(
                bad.parse::<Payload>(),
                Err(WatermarkError::InvalidPayload { .. })
            ),
            "{bad}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    // Truncated PNG.
    let full = dir.path().join("full.png");
    common::photo(300, 300, 2).save(&full).unwrap();
    let bytes = std::fs::read(&full).unwrap();
    let cut = dir.path().join("cut.png");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = Picture::open(&cut).err().unwrap();
    assert!(matches!(e, WatermarkError::Decode { .. }), "{e}");
    // Garbage and unsupported formats.
    let junk = dir.path().join("junk.png");
    std::fs::write(&junk, b"definitely not an image").unwrap();
    assert!(Picture::open(&junk).is_err());
    let bmp = dir.path().join("x.bmp");
    std::fs::write(&bmp, b"BM\x00\x00").unwrap();
    assert!(Picture::open(&bmp).is_err());
    let missing = Picture::open(&dir.path().join("nope.png")).err().unwrap();
    assert!(matches!(missing, WatermarkError::Io { .. }));
    // Output over input is refused.
    let e = rampart_watermark::embed_file(
        &full,
        &full,
        KEY,
        &"12345678".parse().unwrap(),
        &EmbedOptions::default(),
        &Default::default(),
    )
    .unwrap_err();
    assert!(matches!(e, WatermarkError::WouldOverwrite { .. }));
    assert!(rampart_watermark::EmbedOptions::with_psnr(5.0).is_err());
}
