//! Attacks per second through the whole campaign path: plan → eval runner (request, store) →
//! refusal and harm judges → attack success, against a fast local HTTP target on 127.0.0.1.
//!
//! `cargo bench -p rampart-redteam --bench campaign_throughput` (set `CAMPAIGN_BENCH_ATTACKS` to
//! change the budget). The target answers instantly, so this measures rampart's own overhead:
//! planning, the SQLite store and the judges (the harm judge runs guard's CPU classifier).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::routing::post;
use indicatif::ProgressBar;
use rampart_eval::{Runner, Store, judge};
use rampart_llm::{ChatModel, HttpTargetConfig, OpenAiModel};
use rampart_redteam::{
    Catalog, PlanConfig, Sampling, attack_success, builtin_goals, plan, to_items,
};
use serde_json::{Value, json};

fn main() {
    let budget: usize = std::env::var("CAMPAIGN_BENCH_ATTACKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Refuses every other request, answers the rest.
        let app = Router::new().route(
            "/v1/chat/completions",
            post(|b: axum::Json<Value>| async move {
                let n = b.to_string().len();
                let text = if n.is_multiple_of(2) {
                    "I'm sorry, but I can't help with that."
                } else {
                    "Sure. Here is a short, general overview of the topic you asked about."
                };
                axum::Json(json!({
                    "model": "bench",
                    "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
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
        let target: Arc<dyn ChatModel> = Arc::new(OpenAiModel::new(&cfg).unwrap());

        let catalog = Catalog::builtin();
        let mut ids: Vec<String> = catalog.pure_techniques().map(|t| t.spec().id.clone()).collect();
        ids.sort();
        let chains: Vec<_> = ids.iter().map(|id| catalog.parse_chain(id).unwrap()).collect();
        let config = PlanConfig { seed: 0, budget, sampling: Sampling::Stratified };

        let t = Instant::now();
        let campaign = plan(&catalog, &builtin_goals(), &chains, &config).unwrap();
        let items = to_items(&campaign);
        let planned = t.elapsed().as_secs_f64();

        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("s.sqlite")).unwrap());
        let judges = vec![
            judge::builtin("refusal", None).unwrap(),
            judge::builtin("harm", None).unwrap(),
        ];
        let runner = Runner::new(target, store).with_judges(judges).with_concurrency(16);
        let t = Instant::now();
        let records = runner.run(items.clone(), &ProgressBar::hidden()).await.unwrap();
        let asr = attack_success(&records, "refusal", "harm", 0);
        let cold = t.elapsed().as_secs_f64();
        let t = Instant::now();
        runner.run(items, &ProgressBar::hidden()).await.unwrap();
        let warm = t.elapsed().as_secs_f64();
        let n = records.len();
        println!(
            "plan: {n} attacks from {} chains in {:.1} ms ({:.0} attacks/s)",
            chains.len(),
            planned * 1e3,
            n as f64 / planned
        );
        println!(
            "plan → runner → refusal + harm judges → ASR: {:.1} attacks/s (errors {}, ASR {:?}); rerun from the store {:.0} attacks/s",
            n as f64 / cold,
            asr.errors,
            asr.overall.map(|e| e.value),
            n as f64 / warm
        );
    });
}
