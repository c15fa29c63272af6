//! Properties of the PII and secrets scanner and of redaction: no panics on any input, spans on
//! character boundaries and without overlaps, and redacted text that no longer holds the values.

use proptest::prelude::*;
use rampart_core::Role;
use rampart_guard::pii::{PiiDetector, PiiScanner, RedactStyle, redact};
use rampart_guard::{Detector, Input};

/// Pieces that recognisers care about, to be glued together with arbitrary text.
const PIECES: &[&str] = &[
    "jane.doe@example.com",
    "4111 1111 1111 1111",
    "5555555555554444",
    "+44 7700 900123",
    "(415) 555-2671",
    "GB82 WEST 1234 5698 7654 32",
    "536-22-1234",
    "AB 12 34 56 C",
    "12345678Z",
    "RSSMRA85T10A562S",
    "93.184.216.34",
    "2001:4860:4860::8888",
    "42 Main St. Apt 5",
    "SW1A 2AA",
    "born on 14 March 1985",
    "password=S3cr3t!pw",
    "postgres://u:p4ss@h",
    "AKIAZ2E3A7F3BQ44CKRV",
    "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "-----BEGIN PRIVATE KEY-----\nAAAA",
    "token: 8fK2mQ9xLp4Rt7Vw1Zs3Yb6Nc0Hd5Jg",
    "１２３",
    "\u{200B}",
    "é",
    "😀",
    "客户",
    "-",
    ".",
    " ",
    "@",
    ":",
    "0",
    "9",
    "\n",
];

fn text_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(PIECES).prop_map(str::to_string),
            any::<String>(),
            "[0-9 .\\-+()@:a-fA-F]{0,24}",
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn check_spans(text: &str) {
    let scanner = PiiScanner::default();
    let found = scanner.scan(text);
    let mut last_end = 0;
    for m in &found {
        assert!(m.span.start < m.span.end && m.span.end <= text.len());
        assert!(text.is_char_boundary(m.span.start) && text.is_char_boundary(m.span.end));
        assert!(m.span.start >= last_end, "overlap or unsorted: {found:?}");
        assert!((0.0..=1.0).contains(&m.score));
        last_end = m.span.end;
    }
    let normalized = rampart_text::normalize(text);
    for f in PiiDetector::default().detect(&Input::new(text, Role::User, &normalized)) {
        let s = f.span.expect("pii findings have spans");
        assert!(
            s.end <= text.len() && text.is_char_boundary(s.start) && text.is_char_boundary(s.end)
        );
    }
    for style in [
        RedactStyle::Placeholder,
        RedactStyle::NumberedPlaceholder,
        RedactStyle::Mask,
        RedactStyle::Hash { salt: "s".into() },
    ] {
        let out = redact(text, &found, &style);
        // What was not replaced, with every replaced span cut out.
        let mut kept = String::new();
        let mut at = 0;
        for r in &out.replacements {
            assert!(out.text.is_char_boundary(r.redacted.start));
            assert!(out.text.is_char_boundary(r.redacted.end));
            kept.push_str(&text[at..r.original.start]);
            kept.push('\u{0}');
            at = r.original.end;
        }
        kept.push_str(&text[at..]);
        for m in &found {
            let value = m.value(text);
            // A value may legitimately survive where the same characters occur outside every
            // match; it must never survive more often than that.
            assert!(
                out.text.matches(value).count() <= kept.matches(value).count(),
                "{value:?} survives {style:?}: {:?}",
                out.text
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_text_is_safe(text in any::<String>()) {
        check_spans(&text);
    }

    #[test]
    fn texts_full_of_pii_are_redacted(text in text_strategy()) {
        check_spans(&text);
    }
}

#[test]
fn huge_inputs_do_not_panic_and_stay_linear() {
    let unit = "call +44 7700 900123 or mail a.b@example.com, card 4111 1111 1111 1111; 1.2.3.4 ";
    let text = unit.repeat(20_000); // ~1.6 MB
    let start = std::time::Instant::now();
    let found = PiiScanner::default().scan(&text);
    assert!(found.len() >= 60_000, "{}", found.len());
    let out = redact(&text, &found, &RedactStyle::Mask);
    assert!(!out.text.contains("a.b@example.com"));
    // Generous bound for an unoptimised build on a loaded machine; catches quadratic blow-ups.
    assert!(start.elapsed().as_secs() < 60, "{:?}", start.elapsed());
    let digits = "9".repeat(1_000_000);
    assert!(PiiScanner::default().scan(&digits).is_empty());
    let colons = ":a".repeat(300_000);
    let _ = PiiScanner::default().scan(&colons);
}
