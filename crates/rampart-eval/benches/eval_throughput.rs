//! Items per second through the runner (request, store, refusal judge), against a local HTTP
//! target on 127.0.0.1 and, when installed, the embedded local model.
//!
//! `cargo bench -p rampart-eval --bench eval_throughput` (set `EVAL_BENCH_ITEMS` to change the
//! item count; the local model part is skipped when the model is not installed).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::routing::post;
use indicatif::ProgressBar;
use rampart_core::Category;
use rampart_eval::judge::{Judge, LearnedRefusalJudge};
use rampart_eval::{Behaviour, Item, Runner, Store};
use rampart_llm::{ChatModel, GenParams, HttpTargetConfig, LlmSection, OpenAiModel, open_target};
use serde_json::{Value, json};

fn items(n: usize) -> Vec<Item> {
    (0..n)
        .map(|i| {
            Item::prompt(
                format!("b{i}"),
                format!("Question {i}: how do I bake bread?"),
                Category::Hate,
            )
            .expecting(Behaviour::Comply)
        })
        .collect()
}

async fn measure(
    label: &str,
    target: Arc<dyn ChatModel>,
    n: usize,
    concurrency: usize,
    params: GenParams,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("s.sqlite")).unwrap());
    let judges: Vec<Arc<dyn Judge>> = vec![Arc::new(LearnedRefusalJudge::new())];
    let runner = Runner::new(target, store)
        .with_judges(judges)
        .with_params(params)
        .with_concurrency(concurrency);
    let t = Instant::now();
    let recs = runner.run(items(n), &ProgressBar::hidden()).await.unwrap();
    let cold = t.elapsed().as_secs_f64();
    let t = Instant::now();
    runner.run(items(n), &ProgressBar::hidden()).await.unwrap();
    let warm = t.elapsed().as_secs_f64();
    let errors = recs.iter().filter(|r| r.error.is_some()).count();
    println!(
        "{label:<28} {n} items, concurrency {concurrency}: {:.1} items/s (errors {errors}); rerun from the store {:.0} items/s",
        n as f64 / cold,
        n as f64 / warm
    );
}

fn main() {
    let n: usize = std::env::var("EVAL_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let app = Router::new().route(
            "/v1/chat/completions",
            post(|_b: axum::Json<Value>| async {
                axum::Json(json!({
                    "model": "bench",
                    "choices": [{"message": {"role": "assistant", "content": "Mix flour, water, yeast and salt; knead; prove; bake at 230C."}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 20}
                }))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let cfg = HttpTargetConfig {
            url: format!("http://{addr}/v1"),
            model: Some("bench".into()),
            ..HttpTargetConfig::default()
        };
        let http: Arc<dyn ChatModel> = Arc::new(OpenAiModel::new(&cfg).unwrap());
        measure("local HTTP target", http, n, 16, GenParams::default()).await;

        match open_target("local", None, &LlmSection::default()).await {
            Ok(local) => {
                let params = GenParams { max_tokens: 48, ..GenParams::default() };
                measure("local model (SmolLM2)", local, n.min(32), 4, params).await;
            }
            Err(e) => println!("local model skipped: {e}"),
        }
    });
}
