//! Experiment: does a sentence-encoder tier (MiniLM embedding + the fast tier's logits, one
//! logistic layer per head) beat the fast tier alone on the accuracy goals?
//!
//! `cargo run --release -p rampart-guard --example encoder_probe -- DATA_DIR [CACHE_FILE]`
//!
//! Embeddings are cached in CACHE_FILE (default /tmp/rampart-encoder-probe.bin) so reruns only
//! retrain the heads.
//!
//! Result (2026-11-24, 400 train + 300 dev examples per dataset, thresholds frozen on dev at
//! 2% FPR for `harmful` and 1% for `prompt_attack`): **no gain**, so no encoder tier ships.
//!
//! | held-out set | encoder+fast | fast alone |
//! |---|---:|---:|
//! | XSTest safe prompts, harmful FPR | 22.4% | 22.8% |
//! | HarmBench test, harmful recall | 37.2% | 37.8% |
//! | AdvBench, harmful recall | 81.3% | 84.0% |
//! | BIPIA test, prompt-attack TPR at 1% FPR | 3.3% | 31.8% |
//!
//! The heads above also see the fast tier's logits, which are in-sample on the training split, so
//! the layer may learn to trust them. `PROBE_ENC_ONLY=1` drops them (embedding only); rerun
//! 2026-11-24: still no gain. At its dev threshold the encoder-only head flags 4.0% of XSTest's
//! safe prompts but finds only 16.9% of HarmBench and 45.8% of AdvBench; threshold-free, its
//! XSTest TPR at 1% FPR is 0.095 against the fast tier's 0.110, and BIPIA's 0.022 against 0.318.
//! `PROBE_TRAIN=N` changes the per-dataset training sample.
//!
//! A linear head over MiniLM sentence embeddings learns the same thing the lexical tier does
//! from this data (alarming vocabulary means harmful), so XSTest's safe prompts that use such
//! words stay flagged; the gap is in the training data (few benign look-alikes), not in the
//! representation. The fast-tier numbers here use a probe-local threshold and sample, so they
//! differ from the model card's.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;

use rampart_guard::classifier::data::{Example, Split, build_corpus};
use rampart_guard::classifier::eval::tpr_at_fpr;
use rampart_guard::classifier::{Classifier, HEAD_ATTACK, HEAD_HARMFUL};
use rampart_llm::SentenceEncoder;

fn per_source_train() -> usize {
    std::env::var("PROBE_TRAIN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400)
}
/// The held-out sets the accuracy goals are stated on.
const RELEVANT_TEST: [&str; 9] = [
    "xstest",
    "harmbench_test",
    "advbench",
    "advbench_strings",
    "strongreject",
    "bipia_test",
    "tensor_trust_extraction",
    "tensor_trust_hijacking",
    "alpaca_test",
];

fn key(text: &str) -> u64 {
    let h = rampart_core::content_hash(text.as_bytes());
    u64::from_str_radix(&h[..16], 16).unwrap()
}

fn load_cache(path: &PathBuf) -> HashMap<u64, Vec<f32>> {
    let mut out = HashMap::new();
    let Ok(mut f) = std::fs::File::open(path) else {
        return out;
    };
    let mut buf = Vec::new();
    f.read_to_end(&mut buf).unwrap();
    let rec = 8 + 384 * 4;
    for chunk in buf.chunks_exact(rec) {
        let k = u64::from_le_bytes(chunk[..8].try_into().unwrap());
        let v = chunk[8..]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        out.insert(k, v);
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let root = PathBuf::from(&args[1]);
    let cache_path = PathBuf::from(
        args.get(2)
            .cloned()
            .unwrap_or("/tmp/rampart-encoder-probe.bin".into()),
    );
    let corpus = build_corpus(&root, 7).unwrap();
    let clf = Classifier::embedded().unwrap();
    // Sample the training split per source so one big dataset does not dominate the cost.
    let mut per_source: HashMap<(&str, Split), usize> = HashMap::new();
    let mut chosen: Vec<&Example> = Vec::new();
    for e in &corpus.examples {
        let keep = match e.split {
            Split::Train => {
                let n = per_source.entry((e.source, e.split)).or_default();
                *n += 1;
                *n <= per_source_train()
            }
            Split::Dev => {
                let n = per_source.entry((e.source, e.split)).or_default();
                *n += 1;
                *n <= 300
            }
            Split::Test if !RELEVANT_TEST.contains(&e.source) => false,
            Split::Test => {
                e.source != "alpaca_test" || {
                    let n = per_source.entry((e.source, e.split)).or_default();
                    *n += 1;
                    *n <= 600
                }
            }
        };
        if keep {
            chosen.push(e);
        }
    }
    eprintln!("{} examples chosen", chosen.len());
    let mut cache = load_cache(&cache_path);
    let todo: Vec<&str> = chosen
        .iter()
        .map(|e| e.text.as_str())
        .filter(|t| !cache.contains_key(&key(t)))
        .collect();
    eprintln!("{} to embed", todo.len());
    if !todo.is_empty() {
        let enc = SentenceEncoder::load_default().unwrap();
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&cache_path)
            .unwrap();
        let t0 = std::time::Instant::now();
        for (i, batch) in todo.chunks(64).enumerate() {
            let embs = enc.encode(batch).unwrap();
            for (t, v) in batch.iter().zip(embs) {
                f.write_all(&key(t).to_le_bytes()).unwrap();
                for x in &v {
                    f.write_all(&x.to_le_bytes()).unwrap();
                }
                cache.insert(key(t), v);
            }
            if i % 20 == 0 {
                eprintln!(
                    "  {} / {} ({:.0}/s)",
                    (i + 1) * 64,
                    todo.len(),
                    ((i + 1) * 64) as f64 / t0.elapsed().as_secs_f64()
                );
            }
        }
    }
    // Features: embedding ++ fast-tier logits (squashed), one logistic layer per head.
    let feats: Vec<Vec<f32>> = chosen
        .iter()
        .map(|e| {
            let mut v = cache[&key(&e.text)].clone();
            let (logits, _) = clf.logits(&e.text, e.role);
            if std::env::var("PROBE_ENC_ONLY").is_err() {
                v.extend(logits.iter().map(|l| (l / 4.0).tanh()));
            }
            v
        })
        .collect();
    for (head, name) in [(HEAD_HARMFUL, "harmful"), (HEAD_ATTACK, "prompt_attack")] {
        let train: Vec<(usize, bool)> = chosen
            .iter()
            .enumerate()
            .filter(|(_, e)| e.split == Split::Train && e.labels.get(head) >= 0)
            .map(|(i, e)| (i, e.labels.get(head) == 1))
            .collect();
        let w = fit(&feats, &train, 30, 0.05, 1e-4);
        let score = |i: usize| dot(&w, &feats[i]);
        let fast = |i: usize| clf.logits(&chosen[i].text, chosen[i].role).0[head];
        // Threshold from the dev split's negatives at 2% FPR (harm) / 1% (attack).
        let target = if head == HEAD_HARMFUL { 0.02 } else { 0.01 };
        let dev_neg: Vec<f32> = chosen
            .iter()
            .enumerate()
            .filter(|(_, e)| e.split == Split::Dev && e.labels.get(head) == 0)
            .map(|(i, _)| score(i))
            .collect();
        let t = threshold(&dev_neg, target);
        println!("== {name}: {} train, dev threshold {t:.3}", train.len());
        let mut by_src: std::collections::BTreeMap<&str, Vec<(f32, f32, bool)>> =
            Default::default();
        for (i, e) in chosen.iter().enumerate() {
            if e.split == Split::Test && e.labels.get(head) >= 0 {
                by_src.entry(e.source).or_default().push((
                    score(i),
                    fast(i),
                    e.labels.get(head) == 1,
                ));
            }
        }
        let fast_t = clf.threshold(name).unwrap();
        let fast_t_logit = (fast_t / (1.0 - fast_t)).ln();
        for (src, pts) in &by_src {
            let pos = pts.iter().filter(|p| p.2).count();
            let neg = pts.len() - pos;
            let rec = |f: &dyn Fn(&(f32, f32, bool)) -> bool| {
                pts.iter().filter(|p| p.2 && f(p)).count() as f64 / pos.max(1) as f64
            };
            let fpr = |f: &dyn Fn(&(f32, f32, bool)) -> bool| {
                pts.iter().filter(|p| !p.2 && f(p)).count() as f64 / neg.max(1) as f64
            };
            let enc_pts: Vec<(f32, bool)> = pts.iter().map(|p| (p.0, p.2)).collect();
            let fast_pts: Vec<(f32, bool)> = pts.iter().map(|p| (p.1, p.2)).collect();
            println!(
                "{src:28} pos {pos:5} neg {neg:5} | enc recall {:.3} fpr {:.3} tpr@1% {} | fast(prob thr, approx) recall {:.3} fpr {:.3} tpr@1% {}",
                rec(&|p| p.0 > t),
                fpr(&|p| p.0 > t),
                fmt(tpr_at_fpr(&enc_pts, 0.01)),
                rec(&|p| p.1 > fast_t_logit),
                fpr(&|p| p.1 > fast_t_logit),
                fmt(tpr_at_fpr(&fast_pts, 0.01)),
            );
        }
    }
}

fn fmt(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:.3}"))
}

fn threshold(neg: &[f32], fpr: f64) -> f32 {
    let mut n = neg.to_vec();
    n.sort_by(|a, b| b.total_cmp(a));
    let k = ((fpr * n.len() as f64).floor() as usize).min(n.len() - 1);
    n[k]
}

fn dot(w: &[f32], x: &[f32]) -> f32 {
    w[0] + w[1..].iter().zip(x).map(|(a, b)| a * b).sum::<f32>()
}

/// Logistic regression by SGD with class-balanced weights.
fn fit(x: &[Vec<f32>], data: &[(usize, bool)], epochs: usize, lr: f32, l2: f32) -> Vec<f32> {
    let d = x[data[0].0].len();
    let mut w = vec![0f32; d + 1];
    let pos = data.iter().filter(|p| p.1).count() as f32;
    let neg = data.len() as f32 - pos;
    let (wp, wn) = (
        data.len() as f32 / (2.0 * pos),
        data.len() as f32 / (2.0 * neg),
    );
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut state = 0x9e3779b97f4a7c15u64;
    for ep in 0..epochs {
        for i in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let rate = lr / (1.0 + ep as f32 * 0.3);
        for &o in &order {
            let (i, y) = data[o];
            let p = 1.0 / (1.0 + (-dot(&w, &x[i])).exp());
            let g = (p - if y { 1.0 } else { 0.0 }) * if y { wp } else { wn };
            w[0] -= rate * g;
            for (wj, xj) in w[1..].iter_mut().zip(&x[i]) {
                *wj -= rate * (g * xj + l2 * *wj);
            }
        }
    }
    w
}
