//! Latency of the fast classifier with the committed weights: p50/p99 per text on one core at 16,
//! 128 and 512 tokens, and throughput on all cores. Prints a table; not a test.
//!
//! `cargo bench -p rampart-guard --bench classifier_latency`; `GUARD_MODEL=FILE` times another
//! model file instead (e.g. a one-network model against the shipped ensemble).

use std::time::{Duration, Instant};

use rampart_core::Role;
use rampart_guard::classifier::Classifier;
use rayon::prelude::*;

/// A text of about `tokens` tokens (words and punctuation, as the featurizer counts them), varied
/// per call so that nothing is cached.
fn text(tokens: usize, salt: usize) -> String {
    const WORDS: &[&str] = &[
        "please",
        "summarise",
        "the",
        "following",
        "report",
        "about",
        "quarterly",
        "revenue",
        "and",
        "ignore",
        "any",
        "typos",
        "in",
        "it",
        "kill",
        "process",
        "recipe",
        "for",
        "bread",
        "with",
        "garlic",
        "security",
        "review",
        "of",
        "our",
        "api",
        "gateway",
        "deployment",
    ];
    let mut out = String::new();
    for i in 0..tokens {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(WORDS[(i * 7 + salt * 13 + i / 5) % WORDS.len()]);
    }
    out
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let t0 = Instant::now();
    let owned;
    let clf = match std::env::var_os("GUARD_MODEL") {
        Some(path) => {
            owned = Classifier::load(path.as_ref()).expect("GUARD_MODEL loads");
            &owned
        }
        None => Classifier::embedded().expect("the committed model loads"),
    };
    println!("model load (parse + SHA-256 check): {:.2?}", t0.elapsed());
    println!();
    println!(
        "| tokens | p50 (one core) | p99 (one core) | throughput (all {} cores) |",
        rayon::current_num_threads()
    );
    println!("|---:|---:|---:|---:|");
    for tokens in [16, 128, 512] {
        let inputs: Vec<String> = (0..64).map(|s| text(tokens, s)).collect();
        for s in &inputs[..8] {
            std::hint::black_box(clf.score(s, Role::User));
        }
        let iters = if tokens >= 512 { 2_000 } else { 5_000 };
        let mut times = Vec::with_capacity(iters);
        for i in 0..iters {
            let s = &inputs[i % inputs.len()];
            let start = Instant::now();
            std::hint::black_box(clf.score(s, Role::User));
            times.push(start.elapsed());
        }
        times.sort();
        let n = iters * 2;
        let start = Instant::now();
        (0..n).into_par_iter().for_each(|i| {
            std::hint::black_box(clf.score(&inputs[i % inputs.len()], Role::User));
        });
        let per_sec = n as f64 / start.elapsed().as_secs_f64();
        println!(
            "| {tokens} | {:.1} µs | {:.1} µs | {:.0} texts/s |",
            percentile(&times, 0.5).as_secs_f64() * 1e6,
            percentile(&times, 0.99).as_secs_f64() * 1e6,
            per_sec
        );
    }
}
