//! C2PA sign -> verify round trip with a test chain generated offline, and tamper detection.

mod common;

use rampart_watermark::provenance::{
    SignOptions, generate_test_chain, parse_alg, sign_file, verify_file,
};
use rampart_watermark::{
    DetectOptions, EmbedOptions, SaveOptions, WatermarkError, detect_file, embed_file,
};

fn signed_copy(dir: &std::path::Path, ext: &str) -> (std::path::PathBuf, String) {
    let chain = generate_test_chain(&dir.join("certs")).unwrap();
    let original = dir.join(format!("original.{ext}"));
    common::photo(320, 256, 4).save(&original).unwrap();
    let marked = dir.join(format!("marked.{ext}"));
    embed_file(
        &original,
        &marked,
        "c2pa key",
        &"a1b2c3d4".parse().unwrap(),
        &EmbedOptions::default(),
        &SaveOptions::default(),
    )
    .unwrap();
    let signed = dir.join(format!("signed.{ext}"));
    let opts = SignOptions {
        cert_chain_pem: std::fs::read(&chain.chain).unwrap(),
        private_key_pem: std::fs::read(&chain.key).unwrap(),
        alg: parse_alg("es256").unwrap(),
        watermark_payload: Some("a1b2c3d4".parse().unwrap()),
        generator: "rampart tests".into(),
    };
    let rep = sign_file(&marked, &signed, &opts).unwrap();
    assert!(rep.manifest_bytes > 0);
    (signed, std::fs::read_to_string(&chain.root).unwrap())
}

#[test]
fn sign_verify_round_trip_png_and_jpeg() {
    for ext in ["png", "jpg"] {
        let dir = tempfile::tempdir().unwrap();
        let (signed, root) = signed_copy(dir.path(), ext);
        let v = verify_file(&signed, Some(&root)).unwrap();
        assert!(v.valid, "{ext}: {:?}", v.failures);
        assert!(v.trusted, "{ext}: {} {:?}", v.state, v.failures);
        assert_eq!(v.soft_binding_payload.as_deref(), Some("a1b2c3d4"));
        assert_eq!(
            v.digital_source_type.as_deref(),
            Some(rampart_watermark::provenance::TRAINED_ALGORITHMIC_MEDIA)
        );
        let text = v.manifest_store.to_string();
        assert!(
            text.contains("c2pa.watermarked") && text.contains("c2pa.created"),
            "{text}"
        );
        // Without trust anchors the signature still validates, but trust is not claimed.
        let v = verify_file(&signed, None).unwrap();
        assert!(v.valid && !v.trusted);
        // The pixels still carry the mark that the soft binding names.
        let d = detect_file(&signed, "c2pa key", &DetectOptions::default()).unwrap();
        assert_eq!(d.payload.as_deref(), Some("a1b2c3d4"));
        // A different root is not trusted.
        let other = generate_test_chain(&dir.path().join("other")).unwrap();
        let v = verify_file(&signed, Some(&std::fs::read_to_string(other.root).unwrap())).unwrap();
        assert!(!v.trusted);
    }
}

#[test]
fn tampered_file_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    let (signed, root) = signed_copy(dir.path(), "png");
    let mut bytes = std::fs::read(&signed).unwrap();
    let idat = bytes.windows(4).rposition(|w| w == b"IDAT").unwrap();
    let pos = (idat + 40).min(bytes.len() - 20);
    bytes[pos] ^= 0xFF;
    let tampered = dir.path().join("tampered.png");
    std::fs::write(&tampered, &bytes).unwrap();
    let v = verify_file(&tampered, Some(&root)).unwrap();
    assert!(!v.valid, "{v:?}");
    assert!(
        v.failures.iter().any(|f| f.contains("dataHash")),
        "{:?}",
        v.failures
    );
}

#[test]
fn unsigned_and_bad_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.png");
    common::photo(300, 300, 1).save(&plain).unwrap();
    let e = verify_file(&plain, None).unwrap_err();
    assert!(
        matches!(e, WatermarkError::C2pa { .. }) && e.to_string().contains("no C2PA manifest"),
        "{e}"
    );
    let opts = SignOptions {
        cert_chain_pem: b"not a certificate".to_vec(),
        private_key_pem: b"not a key".to_vec(),
        alg: parse_alg("es256").unwrap(),
        watermark_payload: None,
        generator: "t".into(),
    };
    assert!(sign_file(&plain, &dir.path().join("out.png"), &opts).is_err());
    assert!(parse_alg("md5").is_err());
}
