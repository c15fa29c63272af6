//! Failures, against real servers on 127.0.0.1: broken upstreams, bad requests, auth, limits,
//! guard errors. Every case must end with a clear OpenAI-shaped error and the right status,
//! quickly (no hang), without panicking.

mod common;

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use common::*;
use rampart_core::Finding;
use rampart_gateway::{KeyConfig, auth::hash_key};
use rampart_guard::{Detector, FailMode, Guard, Input};
use serde_json::{Value, json};

/// Posts a chat request and checks status, error code and that it did not take long.
async fn expect_error(
    url: &str,
    body: &Value,
    status: u16,
    code: &str,
) -> (reqwest::header::HeaderMap, Value) {
    let started = Instant::now();
    let (got, headers, v) = tokio::time::timeout(
        Duration::from_secs(40),
        post_json(&format!("{url}/chat/completions"), body),
    )
    .await
    .expect("the gateway answers without hanging");
    assert_eq!(got, status, "{v}");
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(v["error"]["type"].is_string());
    assert!(started.elapsed() < Duration::from_secs(30));
    (headers, v)
}

#[tokio::test]
async fn upstream_500_is_a_502_after_retrying() {
    let up = spawn(failing(500, r#"{"error":{"message":"kaboom"}}"#, None)).await;
    let (url, _stop) = start(config_for(up), test_guard()).await;
    let (_, v) = expect_error(&url, &chat_body("hi"), 502, "upstream_error").await;
    assert!(
        v["error"]["message"].as_str().unwrap().contains("kaboom"),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2 attempts"),
        "{v}"
    );
}

#[tokio::test]
async fn upstream_429_is_a_429_with_retry_after() {
    let up = spawn(failing(
        429,
        r#"{"error":{"message":"slow down"}}"#,
        Some("30"),
    ))
    .await;
    let (url, _stop) = start(config_for(up), test_guard()).await;
    // Retry-After 30 s exceeds max_retry_after (1 s): no retry, the client is told to wait.
    let (headers, _) = expect_error(&url, &chat_body("hi"), 429, "upstream_rate_limited").await;
    assert_eq!(headers["retry-after"], "30");
}

#[tokio::test]
async fn slow_upstream_times_out_with_504() {
    let router = Router::new().route(
        "/v1/chat/completions",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            "late"
        }),
    );
    let up = spawn(router).await;
    let (url, _stop) = start(config_for(up), test_guard()).await;
    expect_error(&url, &chat_body("hi"), 504, "upstream_timeout").await;
    let mut body = chat_body("hi");
    body["stream"] = json!(true);
    expect_error(&url, &body, 504, "upstream_timeout").await;
}

#[tokio::test]
async fn connection_reset_and_refused_are_502() {
    // A server that accepts and closes every connection at once.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            if let Ok((sock, _)) = listener.accept().await {
                drop(sock);
            }
        }
    });
    let (url, _stop) = start(config_for(addr), test_guard()).await;
    expect_error(&url, &chat_body("hi"), 502, "upstream_unreachable").await;
    // Nothing listening at all.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (url, _stop2) = start(config_for(closed), test_guard()).await;
    expect_error(&url, &chat_body("hi"), 502, "upstream_unreachable").await;
}

#[tokio::test]
async fn malformed_replies_are_502() {
    let up = spawn(failing(200, "this is not json", None)).await;
    let (url, _stop) = start(config_for(up), test_guard()).await;
    expect_error(&url, &chat_body("hi"), 502, "upstream_malformed").await;
    let up = spawn(raw_sse(vec!["data: {not json\n\n"], false)).await;
    let (url, _stop2) = start(config_for(up), test_guard()).await;
    let mut body = chat_body("hi");
    body["stream"] = json!(true);
    expect_error(&url, &body, 502, "upstream_malformed").await;
}

const CHUNK: &str = "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Partial answer. \"},\"finish_reason\":null}]}\n\n";

#[tokio::test]
async fn truncated_stream_ends_with_an_error_event() {
    for (pieces, code) in [
        (vec![CHUNK], "upstream_truncated"),
        (
            vec![
                CHUNK,
                "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"cut",
            ],
            "upstream_truncated",
        ),
        (
            vec![CHUNK, "data: <html>oops</html>\n\n"],
            "upstream_malformed",
        ),
        (
            vec![CHUNK, "data: {\"error\":{\"message\":\"overloaded\"}}\n\n"],
            "upstream_error",
        ),
    ] {
        let up = spawn(raw_sse(pieces, false)).await;
        let (url, _stop) = start(config_for(up), test_guard()).await;
        let mut body = chat_body("hi");
        body["stream"] = json!(true);
        let resp = post_chat(&url, &body).await;
        assert_eq!(
            resp.status(),
            200,
            "the first event was fine, so the stream had started"
        );
        let events = tokio::time::timeout(Duration::from_secs(30), sse_events(resp))
            .await
            .unwrap();
        assert_eq!(
            streamed_text(&events),
            "Partial answer. ",
            "checked text is still released"
        );
        let last: Value = serde_json::from_str(events.last().unwrap()).unwrap();
        assert_eq!(last["error"]["code"], code, "{last}");
        assert_eq!(last["error"]["status"], 502);
        assert!(!events.iter().any(|e| e == "[DONE]"));
    }
}

#[tokio::test]
async fn silent_stream_times_out() {
    let up = spawn(raw_sse(vec![CHUNK], true)).await;
    let (url, _stop) = start(config_for(up), test_guard()).await;
    let mut body = chat_body("hi");
    body["stream"] = json!(true);
    let resp = post_chat(&url, &body).await;
    let events = tokio::time::timeout(Duration::from_secs(30), sse_events(resp))
        .await
        .unwrap();
    let last: Value = serde_json::from_str(events.last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "upstream_timeout", "{last}");
}

#[tokio::test]
async fn bad_requests_are_4xx() {
    let script = Script::new("ok");
    let up = spawn(scripted(script.clone())).await;
    let mut cfg = config_for(up);
    cfg.limits.max_body_bytes = 2048;
    cfg.limits.max_message_chars = 500;
    cfg.upstreams.get_mut("up").unwrap().models = vec!["m".into()];
    let (url, _stop) = start(cfg, test_guard()).await;
    let post_raw = |bytes: Vec<u8>| {
        let url = url.clone();
        async move {
            let resp = client()
                .post(format!("{url}/chat/completions"))
                .header("content-type", "application/json")
                .body(bytes)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let v: Value = resp.json().await.unwrap();
            (
                status,
                v["error"]["code"].as_str().unwrap_or_default().to_string(),
            )
        }
    };
    assert_eq!(
        post_raw(b"{\"model\": \"m\", ".to_vec()).await,
        (400, "invalid_json".into())
    );
    assert_eq!(
        post_raw(b"{\"model\": \"m\xff\"}".to_vec()).await,
        (400, "invalid_utf8".into())
    );
    assert_eq!(
        post_raw(vec![b' '; 4096]).await,
        (413, "body_too_large".into())
    );
    let long = chat_body(&"a".repeat(600)).to_string().into_bytes();
    assert_eq!(post_raw(long).await, (400, "message_too_long".into()));
    let unknown = json!({"model": "nope", "messages": [{"role": "user", "content": "x"}]});
    assert_eq!(
        post_raw(unknown.to_string().into_bytes()).await,
        (404, "model_not_found".into())
    );
    assert_eq!(
        post_raw(b"{\"model\":\"m\"}".to_vec()).await,
        (400, "missing_messages".into())
    );
    assert!(script.requests().is_empty());
    // Unknown endpoints are OpenAI-shaped 404s too.
    let resp = client().get(format!("{url}/nothing")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn api_keys_and_rate_limits() {
    let up = spawn(scripted(Script::new("ok"))).await;
    let mut cfg = config_for(up);
    cfg.keys = vec![
        KeyConfig {
            name: "team-a".into(),
            sha256: hash_key("sk-team-a"),
            requests_per_minute: Some(2),
            burst: None,
        },
        KeyConfig {
            name: "team-b".into(),
            sha256: hash_key("sk-team-b"),
            requests_per_minute: None,
            burst: None,
        },
    ];
    let (url, _stop) = start(cfg, test_guard()).await;
    let call = |key: Option<&'static str>| {
        let url = url.clone();
        async move {
            let mut req = client()
                .post(format!("{url}/chat/completions"))
                .json(&chat_body("hi"));
            if let Some(k) = key {
                req = req.bearer_auth(k);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let retry = resp
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            let v: Value = resp.json().await.unwrap();
            (
                status,
                v["error"]["code"].as_str().unwrap_or_default().to_string(),
                retry,
            )
        }
    };
    assert_eq!(call(None).await.0, 401);
    assert_eq!(call(None).await.1, "missing_api_key");
    assert_eq!(call(Some("sk-wrong")).await.1, "invalid_api_key");
    assert_eq!(call(Some("sk-team-a")).await.0, 200);
    assert_eq!(call(Some("sk-team-a")).await.0, 200);
    let (status, code, retry) = call(Some("sk-team-a")).await;
    assert_eq!((status, code.as_str()), (429, "rate_limit_exceeded"));
    assert!(retry.is_some());
    assert_eq!(call(Some("sk-team-b")).await.0, 200, "limits are per key");
    // Other endpoints are protected too; health is not.
    assert_eq!(
        client()
            .get(format!("{url}/models"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let base = url.trim_end_matches("/v1");
    assert_eq!(
        client()
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let metrics = client()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("rampart_gateway_rate_limited_total{key=\"team-a\"} 1"),
        "{metrics}"
    );
}

/// A detector whose model is down.
struct Broken;

impl Detector for Broken {
    fn id(&self) -> &str {
        "broken"
    }
    fn detect(&self, _: &Input<'_>) -> Vec<Finding> {
        Vec::new()
    }
    fn try_detect(&self, _: &Input<'_>) -> Result<Vec<Finding>, String> {
        Err("model offline".into())
    }
}

#[tokio::test]
async fn fail_closed_blocks_and_fail_open_allows_when_a_detector_errors() {
    for mode in [FailMode::Closed, FailMode::Open] {
        let script = Script::new("fine reply");
        let up = spawn(scripted(script.clone())).await;
        let mut policy = test_policy();
        policy.fail_mode = mode;
        let guard = Guard::new(policy).unwrap().with_detector(Box::new(Broken));
        let (url, _stop) = start(config_for(up), guard).await;
        let (status, headers, v) =
            post_json(&format!("{url}/chat/completions"), &chat_body("hello")).await;
        assert_eq!(status, 200);
        let errors = v["rampart"]["input"]["errors"].to_string();
        assert!(errors.contains("model offline"), "{mode:?}: {v}");
        match mode {
            FailMode::Closed => {
                assert_eq!(headers["x-rampart-decision"], "block");
                assert_eq!(v["choices"][0]["finish_reason"], "content_filter");
                assert!(script.requests().is_empty());
            }
            FailMode::Open => {
                assert_eq!(headers["x-rampart-decision"], "allow");
                assert_eq!(v["choices"][0]["message"]["content"], "fine reply");
                assert_eq!(script.requests().len(), 1);
            }
        }
        let base = url.trim_end_matches("/v1");
        let metrics = client()
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains("rampart_gateway_guard_errors_total{direction=\"input\"}"),
            "{metrics}"
        );
    }
}

#[tokio::test]
async fn guard_runs_off_the_executor_under_concurrency() {
    // Many concurrent requests: all answered, none lost.
    let up = spawn(scripted(Script::new("ok then"))).await;
    let (url, _stop) = start(config_for(up), test_guard()).await;
    let mut tasks = Vec::new();
    for i in 0..32 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let body = if i % 2 == 0 {
                chat_body("hello")
            } else {
                chat_body("mail x@example.com")
            };
            post_json(&format!("{url}/chat/completions"), &body).await.0
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
}
