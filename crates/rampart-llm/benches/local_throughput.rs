//! Local model throughput: prompt processing and generation tokens/s for 1 and 2 threads, and
//! aggregate generation tokens/s for N concurrent requests (continuous batching).
//!
//! Run: `cargo bench -p rampart-llm --bench local_throughput` (needs `rampart models fetch`).
//! Prints a table; not a test, nothing is asserted.

use std::sync::Arc;
use std::time::Instant;

use rampart_core::Conversation;
use rampart_llm::catalog::{self, SMOLLM2};
use rampart_llm::{ChatModel, GenParams, LocalConfig, LocalModel};

const STORY: &str = "Write a long, detailed story about a dragon who learns to bake bread.";

fn long_prompt() -> String {
    let para = "The committee reviewed the quarterly report on water quality in the northern district, \
                noting improvements in turbidity and a decline in nitrate levels after the new filters. ";
    format!(
        "Summarise the following notes in one sentence.\n\n{}",
        para.repeat(12)
    )
}

async fn measure(threads: usize, concurrency: &[usize]) {
    let path = catalog::installed_path(&SMOLLM2).expect("run `rampart models fetch` first");
    let config = LocalConfig {
        threads,
        parallel: 8,
        context_per_request: 2048,
        ..Default::default()
    };
    let model = Arc::new(LocalModel::load(&path, &config).expect("load"));
    // Warm up (page in the weights).
    let _ = model
        .chat(
            &Conversation::from_prompt("Hi"),
            &GenParams {
                max_tokens: 4,
                ..Default::default()
            },
        )
        .await;

    // Prompt processing: a long prompt, one generated token.
    let conv = Conversation::from_prompt(long_prompt());
    let mut pp = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let r = model
            .chat(
                &conv,
                &GenParams {
                    max_tokens: 1,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        pp.push(r.usage.prompt_tokens as f64 / t.elapsed().as_secs_f64());
    }
    pp.sort_by(f64::total_cmp);
    println!(
        "| {threads} | prompt processing (1 request, {} tokens) | {:.1} tokens/s |",
        long_prompt().len() / 5,
        pp[1]
    );

    for &n in concurrency {
        let params = GenParams {
            max_tokens: 96,
            temperature: 0.8,
            seed: Some(7),
            ..Default::default()
        };
        let t = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let m = model.clone();
                let p = GenParams {
                    seed: Some(7 + i as u64),
                    ..params.clone()
                };
                tokio::spawn(
                    async move { m.chat(&Conversation::from_prompt(STORY), &p).await.unwrap() },
                )
            })
            .collect();
        let mut tokens = 0u64;
        let mut per_request = Vec::new();
        for task in tasks {
            let r = task.await.unwrap();
            tokens += r.usage.completion_tokens as u64;
            per_request.push(r.timing.tokens_per_second);
        }
        let wall = t.elapsed().as_secs_f64();
        let mean_req = per_request.iter().sum::<f64>() / per_request.len() as f64;
        println!(
            "| {threads} | generation, {n} concurrent | {:.1} tokens/s aggregate ({:.1} per request) |",
            tokens as f64 / wall,
            mean_req
        );
    }
}

#[tokio::main]
async fn main() {
    println!("| threads | workload | throughput |");
    println!("|---|---|---|");
    measure(1, &[1, 2, 4, 8]).await;
    measure(2, &[1, 2, 4, 8]).await;
}
