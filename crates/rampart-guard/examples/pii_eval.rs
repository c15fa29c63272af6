//! Per-entity precision and recall of the PII recognisers on Presidio's synthetic set.
//!
//! ```text
//! cargo run --release -p rampart-guard --example pii_eval -- \
//!     ../shared/data/presidio-pii-synth/synth_dataset_v2.json
//! ```
//!
//! A prediction counts as correct when its span overlaps a gold span of the mapped entity type
//! (Presidio's evaluator works on tokens; overlap is the closest span-level reading); the
//! "exact" columns require identical boundaries. Entity types with no recogniser are listed as
//! unmapped, with their counts, rather than silently dropped. Predictions of kinds the data set
//! does not label (secrets, national ids other than SSN) are counted separately: on this data
//! every one of them is a false positive unless it overlaps some gold span.

use std::collections::BTreeMap;
use std::time::Instant;

use rampart_guard::pii::{PiiKind, PiiScanner};

/// The data set's label for each kind, where it has one.
fn label_of(kind: PiiKind) -> Option<&'static str> {
    Some(match kind {
        PiiKind::Email => "EMAIL_ADDRESS",
        PiiKind::Phone => "PHONE_NUMBER",
        PiiKind::CreditCard => "CREDIT_CARD",
        PiiKind::Iban => "IBAN_CODE",
        PiiKind::UsSsn => "US_SSN",
        PiiKind::IpAddress => "IP_ADDRESS",
        PiiKind::StreetAddress => "STREET_ADDRESS",
        PiiKind::UkPostcode => "ZIP_CODE",
        PiiKind::DateOfBirth => "DATE_TIME",
        _ => return None,
    })
}

#[derive(Default)]
struct Counts {
    gold: usize,
    found_overlap: usize,
    found_exact: usize,
    predicted: usize,
    correct_overlap: usize,
    correct_exact: usize,
}

fn ratio(a: usize, b: usize) -> String {
    if b == 0 {
        "-".into()
    } else {
        format!("{:.3}", a as f64 / b as f64)
    }
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: pii_eval PATH/TO/synth_dataset_v2.json");
    let raw = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&raw).expect("a JSON array");
    let scanner = PiiScanner::default();
    let mapped: Vec<&str> = PiiKind::ALL.into_iter().filter_map(label_of).collect();

    let mut counts: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut unmapped: BTreeMap<String, usize> = BTreeMap::new();
    let mut unlabelled: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut elapsed = std::time::Duration::ZERO;
    let verbose = std::env::var_os("PII_EVAL_VERBOSE").is_some();

    for row in &rows {
        let text = row["full_text"].as_str().unwrap_or("");
        // Presidio's positions count characters; spans here are bytes.
        let byte_at: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        let gold: Vec<(String, usize, usize)> = row["spans"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| {
                let t = s["entity_type"].as_str()?.to_string();
                let a = *byte_at.get(s["start_position"].as_u64()? as usize)?;
                let b = *byte_at.get(s["end_position"].as_u64()? as usize)?;
                Some((t, a, b))
            })
            .collect();
        let t0 = Instant::now();
        let found = scanner.scan(text);
        elapsed += t0.elapsed();

        for (t, a, b) in &gold {
            if !mapped.contains(&t.as_str()) {
                *unmapped.entry(t.clone()).or_default() += 1;
                continue;
            }
            let c = counts.entry(label_str(t)).or_default();
            c.gold += 1;
            let hits = found
                .iter()
                .filter(|m| label_of(m.kind) == Some(label_str(t)));
            let hits: Vec<_> = hits
                .filter(|m| m.span.start < *b && *a < m.span.end)
                .collect();
            if !hits.is_empty() {
                c.found_overlap += 1;
            } else if verbose {
                println!("MISS {t}: {:?} in {:?}", &text[*a..*b], text);
            }
            if hits.iter().any(|m| m.span.start == *a && m.span.end == *b) {
                c.found_exact += 1;
            }
        }
        for m in &found {
            let overlaps_any = gold
                .iter()
                .any(|(_, a, b)| m.span.start < *b && *a < m.span.end);
            match label_of(m.kind) {
                Some(label) => {
                    let c = counts.entry(label).or_default();
                    c.predicted += 1;
                    let same = gold.iter().filter(|(t, _, _)| t == label);
                    let same: Vec<_> = same.collect();
                    if same
                        .iter()
                        .any(|(_, a, b)| m.span.start < *b && *a < m.span.end)
                    {
                        c.correct_overlap += 1;
                    } else if verbose {
                        println!("FALSE {}: {:?} in {:?}", m.kind, m.value(text), text);
                    }
                    if same
                        .iter()
                        .any(|(_, a, b)| m.span.start == *a && m.span.end == *b)
                    {
                        c.correct_exact += 1;
                    }
                }
                None => {
                    let e = unlabelled.entry(m.kind.id()).or_default();
                    e.0 += 1;
                    if overlaps_any {
                        e.1 += 1;
                    }
                    if verbose {
                        println!("UNLABELLED {}: {:?}", m.kind, m.value(text));
                    }
                }
            }
        }
    }

    println!(
        "presidio-pii-synth: {} sentences, scanned in {:.1} ms ({:.1} µs/sentence)\n",
        rows.len(),
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / rows.len() as f64
    );
    println!("| entity | kinds | gold | predicted | precision | recall | F2 | exact P | exact R |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (label, c) in &counts {
        let kinds: Vec<&str> = PiiKind::ALL
            .into_iter()
            .filter(|k| label_of(*k) == Some(label))
            .map(PiiKind::id)
            .collect();
        let p = c.correct_overlap as f64 / c.predicted.max(1) as f64;
        let r = c.found_overlap as f64 / c.gold.max(1) as f64;
        let f2 = if p + r > 0.0 {
            5.0 * p * r / (4.0 * p + r)
        } else {
            0.0
        };
        println!(
            "| {label} | {} | {} | {} | {} | {} | {f2:.3} | {} | {} |",
            kinds.join(", "),
            c.gold,
            c.predicted,
            ratio(c.correct_overlap, c.predicted),
            ratio(c.found_overlap, c.gold),
            ratio(c.correct_exact, c.predicted),
            ratio(c.found_exact, c.gold),
        );
    }
    println!(
        "\nunmapped gold entities (no recogniser): {}",
        unmapped
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if unlabelled.is_empty() {
        println!("predictions of kinds the data set does not label: none");
    } else {
        println!(
            "predictions of kinds the data set does not label (count, overlapping some gold span): {}",
            unlabelled
                .iter()
                .map(|(k, (n, o))| format!("{k} {n} ({o})"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    // Latency on a ~512-token text (about 2,000 characters of mixed prose and PII).
    let unit = "Hello, please update my account. My email is jane.doe@example.com and my phone is +44 7700 900123. The order 123456 shipped on 2024-03-01 to 42 Main St. Apt 5; version 1.2.3.4 is installed. ";
    let text: String = unit.repeat(2000 / unit.len() + 1);
    let runs = 2000;
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(scanner.scan(std::hint::black_box(&text)));
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "\nlatency, {} bytes (~512 tokens), one core: p50 {:.0} µs, p99 {:.0} µs",
        text.len(),
        times[runs / 2],
        times[runs * 99 / 100]
    );
}

/// The static label string equal to `t` (labels are compared by value).
fn label_str(t: &str) -> &'static str {
    PiiKind::ALL
        .into_iter()
        .filter_map(label_of)
        .find(|l| *l == t)
        .unwrap_or("?")
}
