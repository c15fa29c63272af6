//! Measures normalisation latency and throughput on generated inputs (no data files).
//!
//! Run with `cargo run --release -p rampart-text --example throughput`.

use std::time::{Duration, Instant};

use rampart_text::{normalize, obfuscate};

fn prose(bytes: usize) -> String {
    let words: Vec<&str> = rampart_text::english::vocabulary().collect();
    let mut out = String::with_capacity(bytes + 16);
    let mut i = 7usize;
    while out.len() < bytes {
        i = i
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.push_str(words[(i >> 33) % words.len()]);
        out.push(if (i >> 20).is_multiple_of(11) {
            '.'
        } else {
            ' '
        });
    }
    out
}

fn time<F: FnMut()>(mut f: F, runs: usize) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn main() {
    // Latency on prompt-sized inputs (a token is roughly four bytes of English).
    for tokens in [16, 128, 512] {
        let plain = prose(tokens * 4);
        let attack = format!(
            "{} {} {}",
            obfuscate::insert_zero_width(
                &obfuscate::homoglyphs(&plain[..plain.len() / 3], 0.3, 1),
                0.1,
                2
            ),
            obfuscate::to_base64(&obfuscate::rot13(&plain[..plain.len() / 3])),
            obfuscate::leetspeak(&plain[..plain.len() / 3], 0.5, 3)
        );
        for (name, text) in [("plain", &plain), ("obfuscated", &attack)] {
            let times = time(
                || {
                    std::hint::black_box(normalize(text));
                },
                2000,
            );
            println!(
                "{tokens:>4} tokens {name:<10} p50 {:>8.1} us  p99 {:>8.1} us  ({} bytes)",
                times[times.len() / 2].as_secs_f64() * 1e6,
                times[times.len() * 99 / 100].as_secs_f64() * 1e6,
                text.len()
            );
        }
    }
    // Throughput on 1 MB inputs.
    let mb = 1 << 20;
    let inputs = [
        ("1 MB English prose", prose(mb)),
        ("1 MB base64", obfuscate::to_base64(&prose(mb * 3 / 4))),
        (
            "1 MB zero-width + homoglyphs",
            obfuscate::insert_zero_width(&obfuscate::homoglyphs(&prose(mb / 2), 0.5, 4), 0.5, 5),
        ),
        ("1 MB fullwidth", obfuscate::fullwidth(&prose(mb / 3))),
        ("1 MB Zalgo", obfuscate::zalgo(&prose(mb / 20), 8, 6)),
        (
            "1 MB combining marks",
            "a".to_string() + &"\u{0301}".repeat(mb / 2),
        ),
        ("1 MB single letters", "a b c d e f g h ".repeat(mb / 16)),
        ("1 MB digits", "1 2 3 4 5 6 7 8 ".repeat(mb / 16)),
        ("1 MB percent escapes", "%41".repeat(mb / 3)),
        ("1 MB Morse", ".- ".repeat(mb / 3)),
        ("1 MB hex pairs", "41 ".repeat(mb / 3)),
        ("1 MB leet", "h4x0r ".repeat(mb / 6)),
        ("1 MB tag characters", "\u{E0041}".repeat(mb / 4)),
        ("1 MB variation selectors", "\u{FE01}".repeat(mb / 3)),
        ("1 MB mixed-script words", "pаypаl ".repeat(mb / 9)),
        ("1 MB separated letters", "a.b.c.d.e ".repeat(mb / 10)),
        ("1 MB without spaces", "x".repeat(mb)),
    ];
    for (name, text) in &inputs {
        let times = time(
            || {
                std::hint::black_box(normalize(text));
            },
            5,
        );
        let median = times[times.len() / 2];
        let n = normalize(text);
        println!(
            "{name:<30} {:>7.1} ms  {:>6.1} MB/s  views {}  truncated {}",
            median.as_secs_f64() * 1e3,
            text.len() as f64 / median.as_secs_f64() / 1e6,
            n.views.len(),
            n.report.truncated
        );
    }
}
