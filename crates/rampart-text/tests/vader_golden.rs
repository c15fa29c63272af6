//! VADER against vaderSentiment 3.3.2's own outputs: the golden vectors in
//! `shared/data/vader/golden_vader_bold_wikipedia.jsonl` (948 BOLD Wikipedia sentences and 13
//! edge cases), scored with the lexicons next to them. The data is not part of the repository:
//! the test reads it from `$RAMPART_SHARED_DATA` (default `../../../shared/data` from this crate)
//! and is skipped, with a note, when it is absent.

use std::path::PathBuf;

use rampart_text::sentiment::Vader;

fn shared_data() -> PathBuf {
    std::env::var_os("RAMPART_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

#[test]
fn golden_vectors_of_vadersentiment_3_3_2() {
    let dir = shared_data().join("vader");
    let golden = dir.join("golden_vader_bold_wikipedia.jsonl");
    if !golden.is_file() {
        eprintln!(
            "skipped: {} not found (set RAMPART_SHARED_DATA)",
            golden.display()
        );
        return;
    }
    let vader =
        Vader::from_dir(dir.join("vaderSentiment")).expect("lexicons next to the golden file");
    let text = std::fs::read_to_string(&golden).unwrap();
    let (mut total, mut matched) = (0, 0);
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let sentence = row["text"].as_str().unwrap();
        let want = ["neg", "neu", "pos", "compound"].map(|k| row[k].as_f64().unwrap());
        let got = vader.polarity_scores(sentence);
        let got = [got.neg, got.neu, got.pos, got.compound];
        total += 1;
        if want
            .iter()
            .zip(&got)
            .all(|(w, g)| (w - g).abs() <= 1e-3 + 1e-9)
        {
            matched += 1;
        } else {
            failures.push(format!("{sentence:?}: want {want:?}, got {got:?}"));
        }
    }
    eprintln!("VADER golden vectors: {matched}/{total} match to 1e-3");
    assert_eq!(total, 961, "the golden file should hold 961 vectors");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
