//! Experiment: does a nearest-neighbour vote over all-MiniLM-L6-v2 embeddings of the labelled
//! training texts fix the fast tier's lexical false positives ("How can I cut an onion?")
//! without losing harmful recall?
//!
//! `cargo run --release -p rampart-guard --example knn_probe -- DATA_DIR [CACHE_FILE]`
//! (`KNN_K`, `KNN_PER_SOURCE`, `KNN_VETO`, `KNN_SHOW=1` to list XSTest's scores)
//!
//! CACHE_FILE (default /tmp/rampart-knn-probe.bin) has the format of `rampart guard train
//! --embedding-cache`, so either can reuse the other's embeddings. Bank: the training split, at most
//! 3,000 prompts per dataset, f32 embeddings; fast tier: the committed model.
//!
//! Result (2026-11-25): yes. Recall on HarmBench test + AdvBench at the thresholds that flag a
//! given share of XSTest's safe prompts (thresholds set on XSTest: for comparing scorers only):
//!
//! | scorer | 4% | 8% | 12% | 20% |
//! |---|---:|---:|---:|---:|
//! | fast tier alone | 42.4% | 56.2% | 60.1% | 72.5% |
//! | 10-NN vote alone | 52.5% | 67.6% | 75.8% | 81.7% |
//! | blend, weight 0.7 on the vote (shipped) | 66.5% | 75.2% | 78.5% | 84.5% |
//!
//! k = 5, 20 and 40 and weights 0.3 and 0.5 were worse or no better; escalating only prompts with
//! a fast probability ≥ 0.05 keeps the gain (66.4% at 4%) while embedding 4.9% of Alpaca's
//! held-out instructions. These runs chose the shipped settings (k = 10, weight 0.7, escalation
//! at 0.05), so the model card's numbers for the tier are slightly optimistic.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use rampart_guard::classifier::data::{Example, Split, build_corpus};
use rampart_guard::classifier::semantic::EmbeddingCache;
use rampart_guard::classifier::{Classifier, HEAD_HARMFUL};
use rampart_llm::SentenceEncoder;

const TEST: [&str; 6] = [
    "xstest",
    "harmbench_test",
    "advbench",
    "strongreject",
    "alpaca_test",
    "trustllm_advinstruction",
];

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let root = PathBuf::from(&args[1]);
    let cache_path = PathBuf::from(
        args.get(2)
            .cloned()
            .unwrap_or("/tmp/rampart-knn-probe.bin".into()),
    );
    let per_source = env("KNN_PER_SOURCE", 3000);
    let corpus = build_corpus(&root, 7).unwrap();
    let clf = Classifier::embedded().unwrap();
    let mut count: HashMap<(&str, Split), usize> = HashMap::new();
    let mut chosen: Vec<&Example> = Vec::new();
    for e in &corpus.examples {
        if e.labels.get(HEAD_HARMFUL) < 0 {
            continue;
        }
        let cap = match e.split {
            Split::Test if !TEST.contains(&e.source) => 0,
            Split::Test if e.source == "alpaca_test" => 1000,
            Split::Test => usize::MAX,
            Split::Dev => 600,
            Split::Train => per_source,
        };
        let n = count.entry((e.source, e.split)).or_default();
        *n += 1;
        if *n <= cap {
            chosen.push(e);
        }
    }
    eprintln!("{} examples chosen", chosen.len());
    let enc = SentenceEncoder::load_with(
        &rampart_llm::catalog::model_dir(&rampart_llm::catalog::MINILM),
        &rampart_llm::encoder::EncoderConfig {
            threads: 2,
            ..Default::default()
        },
    )
    .unwrap();
    let mut cache = EmbeddingCache::open(Some(&cache_path), enc.dim()).unwrap();
    let texts: Vec<&str> = chosen.iter().map(|e| e.text.as_str()).collect();
    let vectors: HashMap<&str, Vec<f32>> = texts
        .iter()
        .copied()
        .zip(
            cache
                .embed(&enc, &texts, &mut |l| eprintln!("{l}"))
                .unwrap(),
        )
        .collect();
    let emb = |e: &Example| -> Vec<f32> {
        let v = &vectors[e.text.as_str()];
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
        v.iter().map(|x| x / n).collect()
    };
    let bank: Vec<(Vec<f32>, bool)> = chosen
        .iter()
        .filter(|e| e.split == Split::Train)
        .map(|e| (emb(e), e.labels.get(HEAD_HARMFUL) == 1))
        .collect();
    let pos = bank.iter().filter(|b| b.1).count();
    eprintln!("bank: {} ({} harmful)", bank.len(), pos);
    let k = env("KNN_K", 10);
    // Class-balanced, similarity-weighted vote of the k nearest: share of harmful weight.
    let wpos = (bank.len() - pos) as f32 / pos as f32;
    let knn = |q: &[f32]| -> f32 {
        let mut sims: Vec<(f32, bool)> = bank
            .iter()
            .map(|(v, y)| (v.iter().zip(q).map(|(a, b)| a * b).sum::<f32>(), *y))
            .collect();
        sims.select_nth_unstable_by(k, |a, b| b.0.total_cmp(&a.0));
        let (mut h, mut t) = (0f32, 0f32);
        for &(s, y) in &sims[..k] {
            let w = (s.max(0.0)).powi(4) * if y { wpos.sqrt() } else { 1.0 };
            t += w;
            if y {
                h += w;
            }
        }
        if t > 0.0 { h / t } else { 0.0 }
    };
    let scored: Vec<(&Example, f32, f32)> = chosen
        .iter()
        .filter(|e| e.split != Split::Train)
        .map(|e| {
            let p = clf.probabilities(&e.text, e.role)[HEAD_HARMFUL];
            (*e, p, knn(&emb(e)))
        })
        .collect();
    let fast_t = clf.threshold("harmful").unwrap();
    // kNN threshold: 2% FPR on dev negatives.
    let mut dev_neg: Vec<f32> = scored
        .iter()
        .filter(|s| s.0.split == Split::Dev && s.0.labels.get(HEAD_HARMFUL) == 0)
        .map(|s| s.2)
        .collect();
    dev_neg.sort_by(|a, b| b.total_cmp(a));
    let knn_t = dev_neg[(dev_neg.len() as f64 * 0.02) as usize];
    let veto = std::env::var("KNN_VETO")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.2f32);
    println!("fast threshold {fast_t:.3}, knn threshold (2% dev FPR) {knn_t:.3}, veto {veto}");
    let mut by: BTreeMap<&str, Vec<(f32, f32, bool)>> = BTreeMap::new();
    for (e, p, s) in &scored {
        if e.split == Split::Test {
            by.entry(e.source)
                .or_default()
                .push((*p, *s, e.labels.get(HEAD_HARMFUL) == 1));
        }
    }
    println!(
        "{:26} {:>5} {:>5} | {:>13} | {:>13} | {:>13} | {:>13}",
        "set", "pos", "neg", "fast r/fpr", "knn r/fpr", "fast&!veto", "blend"
    );
    for (src, pts) in &by {
        let pos = pts.iter().filter(|p| p.2).count();
        let neg = pts.len() - pos;
        let rate = |f: &dyn Fn(&(f32, f32, bool)) -> bool| {
            let r = pts.iter().filter(|p| p.2 && f(p)).count() as f64 / pos.max(1) as f64;
            let n = pts.iter().filter(|p| !p.2 && f(p)).count() as f64 / neg.max(1) as f64;
            format!("{:.3}/{:.3}", r, n)
        };
        println!(
            "{src:26} {pos:5} {neg:5} | {} | {} | {} | {}",
            rate(&|p| p.0 >= fast_t),
            rate(&|p| p.1 >= knn_t),
            rate(&|p| p.0 >= fast_t && p.1 >= veto),
            rate(&|p| 0.5 * p.0 + 0.5 * p.1 >= 0.5 * fast_t + 0.5 * knn_t),
        );
    }
    // Frontier: recall on HarmBench test + AdvBench at thresholds that flag a given share of
    // XSTest's safe prompts (test-set thresholds: for comparing scorers only, never shipped).
    let hb_ab: Vec<&(f32, f32, bool)> =
        by["harmbench_test"].iter().chain(&by["advbench"]).collect();
    let xs_neg: Vec<&(f32, f32, bool)> = by["xstest"].iter().filter(|p| !p.2).collect();
    let logit = |p: f32| (p.clamp(1e-6, 1.0 - 1e-6) / (1.0 - p.clamp(1e-6, 1.0 - 1e-6))).ln();
    for w in [0.0f32, 0.3, 0.5, 0.7, 1.0] {
        let f = |p: &(f32, f32, bool)| (1.0 - w) * logit(p.0) + w * logit(p.1);
        let mut neg: Vec<f32> = xs_neg.iter().map(|p| f(p)).collect();
        neg.sort_by(|a, b| b.total_cmp(a));
        let mut line = format!("knn weight {w:.1}:");
        for fpr in [0.04, 0.08, 0.12, 0.2] {
            let t = neg[(fpr * neg.len() as f64) as usize];
            let r = hb_ab.iter().filter(|p| f(p) > t).count() as f64 / hb_ab.len() as f64;
            line += &format!("  xs fpr {fpr:.2} -> recall {r:.3}");
        }
        println!("{line}");
    }
    // Escalation: only texts whose fast score is at least `e` get the blend; the rest keep the
    // fast score (which is below its threshold anyway for small e).
    let w = 0.7f32;
    for e in [0.0f32, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2] {
        let f = |p: &(f32, f32, bool)| {
            if p.0 >= e {
                (1.0 - w) * logit(p.0) + w * logit(p.1)
            } else {
                -20.0
            }
        };
        let mut neg: Vec<f32> = xs_neg.iter().map(|p| f(p)).collect();
        neg.sort_by(|a, b| b.total_cmp(a));
        let mut line = format!("escalate at fast >= {e:.3}:");
        for fpr in [0.04, 0.08, 0.12] {
            let t = neg[(fpr * neg.len() as f64) as usize];
            let r = hb_ab.iter().filter(|p| f(p) > t).count() as f64 / hb_ab.len() as f64;
            line += &format!("  xs fpr {fpr:.2} -> recall {r:.3}");
        }
        for src in ["alpaca_test", "trustllm_advinstruction"] {
            let pts = &by[src];
            let esc = pts.iter().filter(|p| p.0 >= e).count() as f64 / pts.len() as f64;
            line += &format!("  escalated {src} {esc:.3}");
        }
        println!("{line}");
    }
    if std::env::var("KNN_SHOW").is_ok() {
        for (e, p, s) in &scored {
            if e.source == "xstest" {
                println!(
                    "{} fast {p:.2} knn {s:.2} {}",
                    e.labels.get(HEAD_HARMFUL),
                    e.text
                );
            }
        }
    }
}
