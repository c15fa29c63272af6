//! Dialect rules: properties (deterministic under a seed, no panics on any input, text kept at
//! probability 0) and Multi-VALUE's own examples (`unittests.json`, read from the shared data
//! when present).

use std::path::PathBuf;

use proptest::prelude::*;
use rampart_text::dialect::{Dialect, RULES, dialects};

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        // English-like text with the words the rules rewrite.
        proptest::collection::vec(
            prop_oneof![
                Just("my"),
                Just("My"),
                Just("you"),
                Just("YOU"),
                Just("your"),
                Just("himself"),
                Just("themselves"),
                Just("those"),
                Just("these"),
                Just("doesn't"),
                Just("wasn't"),
                Just("very"),
                Just("more"),
                Just("me"),
                Just("our"),
                Just("his"),
                Just("their"),
                Just("have to"),
                Just("you all"),
                Just("book"),
                Just("."),
                Just("!"),
                Just("é"),
                Just("日本"),
                Just("🙂"),
                Just("\u{200B}"),
                Just("  "),
            ],
            0..40
        )
        .prop_map(|w| w.join(" ")),
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn rules_are_deterministic_and_keep_text_at_probability_zero(
        text in any_text(), seed in any::<u64>(), p in 0.0f64..=1.0,
    ) {
        for rule in RULES {
            let a = rule.apply(&text, seed, p);
            prop_assert_eq!(&a, &rule.apply(&text, seed, p));
            let zero = rule.apply(&text, seed, 0.0);
            prop_assert_eq!(&zero.text, &text);
            prop_assert!(zero.changes.is_empty());
            for c in &a.changes {
                let span = c.span.clone().unwrap();
                prop_assert_eq!(&text[span], c.from.as_str());
            }
        }
    }
}

proptest! {
    // 50 dialects per case: fewer cases keep the debug test quick.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn dialects_are_deterministic_and_never_panic(text in any_text(), seed in any::<u64>()) {
        for info in dialects() {
            let d = Dialect::named(info.abbr).unwrap();
            prop_assert_eq!(d.apply(&text, seed), d.apply(&text, seed));
        }
        let multi = Dialect::multi();
        prop_assert_eq!(multi.apply(&text, seed), multi.apply(&text, seed));
    }

    #[test]
    fn dialect_without_rules_or_clean_ups_keeps_text(text in any_text(), seed in any::<u64>()) {
        let none = Dialect::from_rules("none", &[]).unwrap().surface(false);
        let out = none.apply(&text, seed);
        prop_assert_eq!(&out.text, &text);
        prop_assert!(out.changes.is_empty());
    }
}

#[test]
fn huge_input() {
    let text = "My brother doesn't like those very big apples himself. ".repeat(20_000);
    let out = Dialect::multi().apply(&text, 9);
    assert!(out.text.len() > text.len() / 2);
    assert!(out.changes.len() > 20_000);
}

fn shared_data() -> PathBuf {
    std::env::var_os("RAMPART_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// Multi-VALUE's gloss -> dialect examples for the ported features: the rule applied with
/// probability 1 must give one of the listed dialect forms.
#[test]
fn multi_value_unit_examples() {
    let path = shared_data().join("multi-value/resources/unittests.json");
    if !path.is_file() {
        eprintln!(
            "skipped: {} not found (set RAMPART_SHARED_DATA)",
            path.display()
        );
        return;
    }
    let tests: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let (mut checked, mut failures) = (0, Vec::new());
    for rule in RULES {
        let Some(examples) = tests[rule.ewave.to_string()].as_array() else {
            continue;
        };
        for example in examples {
            let gloss = example["gloss"].as_str().unwrap();
            let expected: Vec<&str> = example["dialect"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let got = rule.apply(gloss, 0, 1.0).text;
            checked += 1;
            if !expected.contains(&got.as_str()) {
                failures.push(format!(
                    "{} ({}): {gloss:?} -> {got:?}, expected one of {expected:?}",
                    rule.id, rule.ewave
                ));
            }
        }
    }
    eprintln!(
        "Multi-VALUE examples: {}/{checked} match",
        checked - failures.len()
    );
    assert_eq!(checked, 24, "one example per ported feature");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
