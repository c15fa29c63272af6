//! `/v1/moderations`, `/v1/guard`, health, readiness, metrics and the audit log.

mod common;

use std::time::{Duration, Instant};

use common::*;
use rampart_gateway::moderation::OPENAI_CATEGORIES;
use serde_json::{Value, json};

#[tokio::test]
async fn moderations_use_openai_shape_and_rampart_ids() {
    let up = spawn(scripted(Script::new("ok"))).await;
    let (url, _stop) = start(config_for(up), test_guard()).await;
    let (status, _, v) = post_json(
        &format!("{url}/moderations"),
        &json!({"input": ["you dimwit", "a pleasant day", "the zorblax plan"]}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert!(v["id"].as_str().unwrap().starts_with("modr-"));
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for r in results {
        for name in OPENAI_CATEGORIES {
            assert!(r["categories"][name].is_boolean(), "{name} missing: {r}");
            assert!(
                r["category_scores"][name].is_number(),
                "{name} missing: {r}"
            );
        }
        assert!(
            r["categories"]["violent_crimes"].is_boolean(),
            "rampart ids too"
        );
    }
    assert_eq!(results[0]["flagged"], true);
    assert_eq!(results[0]["categories"]["harassment"], true);
    assert_eq!(results[0]["categories"]["toxicity"], true);
    assert!(
        results[0]["category_scores"]["harassment"]
            .as_f64()
            .unwrap()
            >= 0.5
    );
    assert_eq!(results[1]["flagged"], false);
    assert_eq!(results[2]["flagged"], true);
    assert_eq!(results[2]["categories"]["denied_topic"], true);
    let (status, _, v) = post_json(&format!("{url}/moderations"), &json!({"input": 3})).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["param"], "input");
}

#[tokio::test]
async fn guard_endpoint_checks_texts_and_conversations() {
    let up = spawn(scripted(Script::new("ok"))).await;
    let (url, _stop) = start(config_for(up), test_guard()).await;
    let (status, _, v) = post_json(
        &format!("{url}/guard"),
        &json!({"text": "write to alice@example.com", "role": "user"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["action"], "redact");
    assert_eq!(v["direction"], "input");
    assert_eq!(v["categories"][0], "sensitive_data");
    assert!(
        !v["redacted"]
            .as_str()
            .unwrap()
            .contains("alice@example.com")
    );
    assert!(v["findings"][0]["span"]["start"].is_number());

    let (_, _, v) = post_json(
        &format!("{url}/guard"),
        &json!({"direction": "input", "messages": [
            {"role": "user", "content": "summarise this"},
            {"role": "document", "content": "zorblax hidden here"}
        ]}),
    )
    .await;
    assert_eq!(v["action"], "block");
    assert_eq!(v["findings"][0]["message"], 1);

    let (_, _, v) = post_json(
        &format!("{url}/guard"),
        &json!({"direction": "output", "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "you dimwit"}
        ]}),
    )
    .await;
    assert_eq!(v["action"], "flag");
    assert_eq!(v["direction"], "output");
    assert_eq!(v["message"], 1);

    let (status, _, v) = post_json(&format!("{url}/guard"), &json!({"nothing": 1})).await;
    assert_eq!(status, 400, "{v}");
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let up = spawn(scripted(Script::new("ok"))).await;
    let (url, _stop) = start(config_for(up), test_guard()).await;
    let base = url.trim_end_matches("/v1").to_string();
    let h: Value = client()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], "ok");
    let r: Value = client()
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "ready");
    post_json(
        &format!("{url}/chat/completions"),
        &chat_body("mail me at a@b.example"),
    )
    .await;
    let resp = client()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let m = resp.text().await.unwrap();
    for needle in [
        "rampart_gateway_requests_total{endpoint=\"chat\",status=\"200\"} 1",
        "rampart_gateway_decisions_total{direction=\"input\",action=\"redact\"} 1",
        "rampart_gateway_category_decisions_total{direction=\"input\",category=\"sensitive_data\",action=\"redact\"}",
        "rampart_gateway_guard_duration_seconds_bucket{direction=\"input\"",
        "rampart_gateway_upstream_duration_seconds_count{upstream=\"up\"} 1",
        "rampart_gateway_request_duration_seconds_count{endpoint=\"chat\"} 1",
    ] {
        assert!(m.contains(needle), "missing {needle} in\n{m}");
    }
}

#[tokio::test]
async fn audit_log_holds_decisions_but_no_text_unless_configured() {
    let dir = tempfile::tempdir().unwrap();
    for include_text in [false, true] {
        let path = dir.path().join(format!("audit-{include_text}.jsonl"));
        let up = spawn(scripted(Script::new("fine"))).await;
        let mut cfg = config_for(up);
        cfg.audit.path = Some(path.clone());
        cfg.audit.include_text = include_text;
        let (url, _stop) = start(cfg, test_guard()).await;
        post_json(
            &format!("{url}/chat/completions"),
            &chat_body("my email is alice@example.com"),
        )
        .await;
        // The writer thread flushes when idle; wait for both records (input and output).
        let deadline = Instant::now() + Duration::from_secs(30);
        let text = loop {
            let t = std::fs::read_to_string(&path).unwrap_or_default();
            if t.lines().count() >= 2 || Instant::now() > deadline {
                break t;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let records: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(records.len(), 2, "{text}");
        let input = records.iter().find(|r| r["direction"] == "input").unwrap();
        assert_eq!(input["action"], "redact");
        assert_eq!(input["categories"][0], "sensitive_data");
        assert_eq!(input["key"], "anonymous");
        assert!(input["request_id"].as_str().unwrap().starts_with("req-"));
        assert!(input["ts"].as_str().unwrap().ends_with('Z'));
        assert!(input["findings"][0]["span"].is_object());
        assert_eq!(text.contains("alice@example.com"), include_text, "{text}");
    }
}
