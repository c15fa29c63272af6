//! OpenSub-Slang: the missing-text error, the loader on a hand-written rebuilt fixture, the
//! yes/no judge and precision / recall / F1.

use std::path::PathBuf;

use rampart_core::Verdict;
use rampart_eval::judge::{Judge, Reply, SlangJudge, extract_yes_no};
use rampart_eval::{Item, Judgement, Record, benchmark, slang};

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(p)
}

#[test]
fn missing_text_says_what_and_where() {
    let err = slang::load(&fixture("slang-meta-only"))
        .unwrap_err()
        .to_string();
    for needle in [
        "slang_OpenSub.tsv",
        "slang_OpenSub_negatives.tsv",
        "OpenSubtitles v2018",
        "en.zip",
        "opus.nlpl.eu",
        "reconstruct_data.py",
        "slang-llm-benchmark",
        "SENTENCE",
        "SLANG_TERM",
        "ANNOTATOR_CONFIDENCE",
    ] {
        assert!(err.contains(needle), "{needle} not in: {err}");
    }
}

#[test]
fn yes_no_extraction() {
    assert_eq!(extract_yes_no("Yes, \"lit\" is slang."), Some("yes"));
    assert_eq!(extract_yes_no("No."), Some("no"));
    assert_eq!(
        extract_yes_no("The sentence does not contain slang."),
        Some("no")
    );
    assert_eq!(extract_yes_no("I think it contains slang."), Some("yes"));
    assert_eq!(extract_yes_no("Hard to say."), None);
}

#[tokio::test]
async fn loader_judge_and_scores() {
    let b = benchmark::find("slang").unwrap();
    let items = b.load(&fixture("slang")).unwrap();
    // Confidence 1 ("thingy") is left out at the paper's threshold of 2.
    assert_eq!(items.len(), 4);
    assert_eq!(slang::load_with(&fixture("slang"), 1).unwrap().len(), 5);
    let slang_items: Vec<&Item> = items.iter().filter(|i| i.stratum() == "slang").collect();
    assert_eq!(slang_items.len(), 2);
    assert_eq!(slang_items[0].reference.as_deref(), Some("yes"));
    assert_eq!(slang_items[0].meta("slang_term").as_str(), Some("lit"));
    assert_eq!(slang_items[0].meta("region").as_str(), Some("UK"));
    assert!(
        slang_items[0]
            .prompt_text()
            .contains("That party was lit, mate.")
    );

    // Replies: slang 1 yes (TP), slang 2 no (FN), neg 1 yes (FP), neg 2 no (TN).
    let replies = ["Yes.", "No, it is plain English.", "Yes", "No"];
    let mut records = Vec::new();
    for (item, text) in items.iter().zip(replies) {
        let v: Verdict = SlangJudge
            .judge(
                item,
                Reply {
                    text,
                    content_filtered: false,
                },
            )
            .await
            .unwrap();
        records.push(Record {
            item: item.clone(),
            key: item.id.clone(),
            reply: None,
            error: None,
            judgements: vec![Judgement {
                judge: "slang".into(),
                version: "rules-1".into(),
                verdict: v,
            }],
            judge_errors: vec![],
            cached: false,
        });
    }
    assert_eq!(records[0].verdict("slang").unwrap().score(), Some(1.0));
    assert_eq!(records[2].verdict("slang").unwrap().score(), Some(0.0));
    let s = slang::scores(&records, 1);
    let get = |n: &str| s.iter().find(|x| x.name == n).unwrap().value;
    assert_eq!(get("precision"), 0.5);
    assert_eq!(get("recall"), 0.5);
    assert_eq!(get("f1"), 0.5);
    assert_eq!(s[0].n, 4);
}
