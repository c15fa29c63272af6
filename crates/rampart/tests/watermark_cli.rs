//! End-to-end tests of `rampart watermark` and `rampart c2pa` through the built binary.

mod common;

use common::rampart;

use std::path::Path;

use rampart_watermark::image::{Rgb, RgbImage};

/// A fresh scratch folder under the system temp dir, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir() -> TempDir {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let p = std::env::temp_dir().join(format!(
        "rampart-wm-cli-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&p).unwrap();
    TempDir(p)
}

fn ok(args: &[&str]) -> String {
    let o = rampart(args);
    assert!(
        o.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// A textured test image written by the test itself.
fn write_photo(path: &Path, w: u32, h: u32, seed: u32) {
    RgbImage::from_fn(w, h, |x, y| {
        let mut v = x.wrapping_mul(0x9E37_79B1)
            ^ y.wrapping_mul(0x85EB_CA77)
            ^ seed.wrapping_mul(0xC2B2_AE3D);
        v ^= v >> 15;
        v = v.wrapping_mul(0x2C1B_3C6D);
        v ^= v >> 12;
        let n = (v & 0x3F) as f64 - 32.0;
        let s = 120.0 + 60.0 * ((x as f64 / 29.0).sin() * (y as f64 / 41.0).cos()) + n;
        let c = |o: f64| (s + o).clamp(0.0, 255.0) as u8;
        Rgb([c(10.0), c(0.0), c(-15.0)])
    })
    .save(path)
    .unwrap();
}

#[test]
fn embed_then_detect_json() {
    let dir = tempdir();
    let (input, output) = (dir.path().join("in.png"), dir.path().join("out.jpg"));
    write_photo(&input, 384, 320, 1);
    let (i, o) = (input.to_str().unwrap(), output.to_str().unwrap());
    let embed: serde_json::Value = serde_json::from_str(&ok(&[
        "--json",
        "watermark",
        "embed",
        i,
        o,
        "--key",
        "k1",
        "--payload",
        "0123abcd",
    ]))
    .unwrap();
    assert!(embed["psnr"].as_f64().unwrap() > 38.0);
    let d: serde_json::Value =
        serde_json::from_str(&ok(&["watermark", "detect", o, "--key", "k1", "--json"])).unwrap();
    assert_eq!(d["detected"], true);
    assert_eq!(d["payload"], "0123abcd");
    assert_eq!(d["payload_valid"], true);
    assert!(d["confidence"].as_f64().unwrap() > 6.0);
    assert!(d["geometry"]["rotation_degrees"].is_number());
    assert_eq!(d["edit_map"]["edited"], false);
    let wrong: serde_json::Value =
        serde_json::from_str(&ok(&["watermark", "detect", o, "--key", "k2", "--json"])).unwrap();
    assert_eq!(wrong["detected"], false);
    let human = ok(&["watermark", "detect", o, "--key", "k1"]);
    assert!(human.contains("DETECTED") && human.contains("0123abcd"));
}

#[test]
fn errors_exit_non_zero_with_a_message() {
    let dir = tempdir();
    let small = dir.path().join("small.png");
    write_photo(&small, 100, 100, 2);
    let s = small.to_str().unwrap();
    let out = dir.path().join("o.png");
    let o = rampart(&[
        "watermark",
        "embed",
        s,
        out.to_str().unwrap(),
        "--key",
        "k",
        "--payload",
        "01234567",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("minimum"));
    let o = rampart(&[
        "watermark",
        "embed",
        s,
        out.to_str().unwrap(),
        "--key",
        "k",
        "--payload",
        "xyz",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("hex"));
    let corrupt = dir.path().join("corrupt.png");
    std::fs::write(&corrupt, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let o = rampart(&[
        "watermark",
        "detect",
        corrupt.to_str().unwrap(),
        "--key",
        "k",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("corrupt"));
}

#[test]
fn batch_embed_and_detect_never_overwrite_inputs() {
    let dir = tempdir();
    let (inp, out) = (dir.path().join("in"), dir.path().join("out"));
    std::fs::create_dir_all(&inp).unwrap();
    for i in 0..3 {
        write_photo(&inp.join(format!("img{i}.png")), 288, 256, 10 + i);
    }
    std::fs::write(inp.join("notes.txt"), "ignored").unwrap();
    let before = std::fs::read(inp.join("img0.png")).unwrap();
    let (i, o) = (inp.to_str().unwrap(), out.to_str().unwrap());
    let report = dir.path().join("embed.jsonl");
    ok(&[
        "watermark",
        "embed",
        i,
        o,
        "--key",
        "bk",
        "--payload",
        "feedface",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(&report).unwrap().lines().count(), 3);
    assert_eq!(std::fs::read(inp.join("img0.png")).unwrap(), before);
    // Same folder as output: refused.
    assert!(
        !rampart(&[
            "watermark",
            "embed",
            i,
            i,
            "--key",
            "bk",
            "--payload",
            "feedface"
        ])
        .status
        .success()
    );
    // Existing outputs are not replaced without --overwrite.
    assert!(
        !rampart(&[
            "watermark",
            "embed",
            i,
            o,
            "--key",
            "bk",
            "--payload",
            "feedface"
        ])
        .status
        .success()
    );
    let lines = ok(&["watermark", "detect", o, "--key", "bk"]);
    let recs: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 3);
    for r in recs {
        assert_eq!(r["detection"]["detected"], true, "{r}");
        assert_eq!(r["detection"]["payload"], "feedface");
    }
}

#[test]
fn c2pa_sign_verify_and_tamper() {
    let dir = tempdir();
    let certs = dir.path().join("certs");
    ok(&["c2pa", "test-chain", certs.to_str().unwrap()]);
    let (input, marked, signed) = (
        dir.path().join("in.png"),
        dir.path().join("marked.png"),
        dir.path().join("signed.png"),
    );
    write_photo(&input, 320, 256, 3);
    ok(&[
        "watermark",
        "embed",
        input.to_str().unwrap(),
        marked.to_str().unwrap(),
        "--key",
        "ck",
        "--payload",
        "a1b2c3d4",
    ]);
    ok(&[
        "c2pa",
        "sign",
        marked.to_str().unwrap(),
        signed.to_str().unwrap(),
        "--cert",
        certs.join("chain.pem").to_str().unwrap(),
        "--key",
        certs.join("signer.key").to_str().unwrap(),
        "--watermark-payload",
        "a1b2c3d4",
    ]);
    let v: serde_json::Value = serde_json::from_str(&ok(&[
        "c2pa",
        "verify",
        signed.to_str().unwrap(),
        "--trust",
        certs.join("root.pem").to_str().unwrap(),
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["trusted"], true, "{v}");
    assert_eq!(v["soft_binding_payload"], "a1b2c3d4");
    // The soft binding and the pixels agree.
    let d: serde_json::Value = serde_json::from_str(&ok(&[
        "watermark",
        "detect",
        signed.to_str().unwrap(),
        "--key",
        "ck",
        "--json",
    ]))
    .unwrap();
    assert_eq!(d["payload"], "a1b2c3d4");
    // Tamper with the pixels: verification fails and exits non-zero.
    let mut bytes = std::fs::read(&signed).unwrap();
    let tampered = dir.path().join("tampered.png");
    // Flip a byte inside the image data (IDAT) near the end, keeping the manifest intact.
    let n = bytes.len();
    let idat = bytes.windows(4).rposition(|w| w == b"IDAT").unwrap();
    let pos = (idat + 40).min(n - 20);
    bytes[pos] ^= 0xFF;
    std::fs::write(&tampered, &bytes).unwrap();
    let o = rampart(&["c2pa", "verify", tampered.to_str().unwrap(), "--json"]);
    assert!(!o.status.success());
    let v: serde_json::Value = serde_json::from_str(&String::from_utf8_lossy(&o.stdout)).unwrap();
    assert_eq!(v["valid"], false);
    assert!(!v["failures"].as_array().unwrap().is_empty());
    // An unsigned file says so.
    let o = rampart(&["c2pa", "verify", input.to_str().unwrap()]);
    assert!(!o.status.success());
}
