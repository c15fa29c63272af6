//! Test servers on 127.0.0.1: scripted upstreams and a gateway on port 0.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rampart_gateway::{Gateway, GatewayConfig, UpstreamConfig};
use rampart_guard::{Guard, Policy};
use serde_json::{Value, json};

/// A policy that needs no model file: PII redacted, a banned word blocks (`zorblax`, as a
/// denied topic), a rude word flags (`dimwit`, toxicity).
pub const POLICY: &str = r#"
name = "test"
fail_mode = "closed"
refusal_message = "Blocked by rampart."
[input.categories]
sensitive_data = "redact"
secrets = "redact"
toxicity = "flag"
malformed_input = "flag"
[output.categories]
sensitive_data = "redact"
secrets = "redact"
toxicity = "flag"
malformed_input = "flag"
[detectors.classifier]
enabled = false
[[detectors.word_filters]]
name = "banned"
words = ["zorblax"]
[[detectors.word_filters]]
name = "rude"
category = "toxicity"
words = ["dimwit"]
"#;

pub fn test_policy() -> Policy {
    Policy::from_toml(POLICY).expect("test policy parses")
}

pub fn test_guard() -> Guard {
    Guard::new(test_policy()).expect("test guard builds")
}

/// Binds a server on 127.0.0.1:0 and serves `router` in the background.
pub async fn spawn(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// What a scripted upstream saw and what it answers.
#[derive(Clone, Default)]
pub struct Script {
    pub seen: Arc<Mutex<Vec<Value>>>,
    /// Reply text (streamed word by word when the request asks for a stream).
    pub reply: Arc<Mutex<String>>,
}

impl Script {
    pub fn new(reply: &str) -> Self {
        let s = Script::default();
        *s.reply.lock().unwrap() = reply.to_string();
        s
    }

    pub fn requests(&self) -> Vec<Value> {
        self.seen.lock().unwrap().clone()
    }
}

/// An OpenAI-compatible upstream that records requests and answers `script.reply`.
pub fn scripted(script: Script) -> Router {
    async fn handle(State(s): State<Script>, body: axum::body::Bytes) -> Response {
        let v: Value = serde_json::from_slice(&body).unwrap();
        s.seen.lock().unwrap().push(v.clone());
        let reply = s.reply.lock().unwrap().clone();
        let model = v["model"].as_str().unwrap_or("m").to_string();
        if v["stream"] == json!(true) {
            let mut events = vec![format!(
                "data: {}\n\n",
                json!({"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1, "model": model,
                    "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]})
            )];
            let mut words: Vec<String> = reply.split_inclusive(' ').map(str::to_string).collect();
            if words.is_empty() {
                words.push(String::new());
            }
            for w in words {
                events.push(format!(
                    "data: {}\n\n",
                    json!({"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1, "model": model,
                        "choices": [{"index": 0, "delta": {"content": w}, "finish_reason": null}]})
                ));
            }
            events.push(format!(
                "data: {}\n\n",
                json!({"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1, "model": model,
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            ));
            events.push("data: [DONE]\n\n".to_string());
            let body = Body::from_stream(futures::stream::iter(
                events.into_iter().map(Ok::<_, std::io::Error>),
            ));
            return ([("content-type", "text/event-stream")], body).into_response();
        }
        let mut message = json!({"role": "assistant", "content": reply});
        if v.get("tools").is_some() {
            message["tool_calls"] = json!([{"id": "call_1", "type": "function",
                "function": {"name": "lookup", "arguments": "{\"q\":\"weather\"}"}}]);
        }
        axum::Json(json!({
            "id": "chatcmpl-up", "object": "chat.completion", "created": 1, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
        }))
        .into_response()
    }
    Router::new()
        .route("/v1/chat/completions", post(handle))
        .with_state(script)
}

/// An upstream that answers every request with `status` and `body`.
pub fn failing(status: u16, body: &'static str, retry_after: Option<&'static str>) -> Router {
    let hits = Arc::new(Mutex::new(0u32));
    Router::new().route(
        "/v1/chat/completions",
        post(move || {
            let hits = hits.clone();
            async move {
                *hits.lock().unwrap() += 1;
                let mut resp = (StatusCode::from_u16(status).unwrap(), body).into_response();
                if let Some(ra) = retry_after {
                    resp.headers_mut()
                        .insert("retry-after", ra.parse().unwrap());
                }
                resp
            }
        }),
    )
}

/// An upstream that sends these raw SSE pieces (with a pause between them), then ends the
/// body (`hang`: keeps it open without sending anything more).
pub fn raw_sse(pieces: Vec<&'static str>, hang: bool) -> Router {
    Router::new().route(
        "/v1/chat/completions",
        post(move || {
            let pieces = pieces.clone();
            async move {
                let s = futures::stream::unfold(
                    (pieces.into_iter(), false),
                    move |(mut it, done)| async move {
                        if done {
                            return None;
                        }
                        match it.next() {
                            Some(p) => {
                                tokio::time::sleep(Duration::from_millis(5)).await;
                                Some((
                                    Ok::<_, std::io::Error>(axum::body::Bytes::from(p)),
                                    (it, false),
                                ))
                            }
                            None if hang => {
                                std::future::pending::<()>().await;
                                None
                            }
                            None => None,
                        }
                    },
                );
                (
                    [("content-type", "text/event-stream")],
                    Body::from_stream(s),
                )
                    .into_response()
            }
        }),
    )
}

/// A gateway config with one upstream at `addr` serving any model, short timeouts and
/// retries so that failure tests finish quickly.
pub fn config_for(addr: SocketAddr) -> GatewayConfig {
    let mut cfg = GatewayConfig {
        listen: "127.0.0.1:0".into(),
        ..GatewayConfig::default()
    };
    cfg.upstreams.insert(
        "up".into(),
        UpstreamConfig {
            url: format!("http://{addr}/v1"),
            models: vec!["*".into()],
            timeout_secs: 2.0,
            connect_timeout_secs: 2.0,
            max_retries: 1,
            retry_base_delay_ms: 10,
            max_retry_after_secs: 1.0,
            ..UpstreamConfig::default()
        },
    );
    cfg
}

/// Starts a gateway on 127.0.0.1:0; returns its base URL (`http://…/v1`) and a shutdown switch.
pub async fn start(cfg: GatewayConfig, guard: Guard) -> (String, tokio::sync::oneshot::Sender<()>) {
    start_with(Gateway::builder(cfg).guard(guard)).await
}

pub async fn start_with(
    builder: rampart_gateway::GatewayBuilder,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let gateway = builder.build().await.expect("gateway builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(gateway.serve(listener, async move {
        let _ = rx.await;
    }));
    (format!("http://{addr}/v1"), tx)
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

pub fn chat_body(user: &str) -> Value {
    json!({"model": "m", "messages": [{"role": "user", "content": user}]})
}

/// Posts a chat completion body to the gateway at `url` (its `/v1` base) and returns the raw
/// response, for tests that read headers or the SSE stream themselves.
pub async fn post_chat(url: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{url}/chat/completions"))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Posts JSON; returns status, headers and the body as JSON (or a string).
pub async fn post_json(url: &str, body: &Value) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = client().post(url).json(body).send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, v)
}

/// Reads an SSE response into its `data:` payloads.
pub async fn sse_events(resp: reqwest::Response) -> Vec<String> {
    let text = resp.text().await.unwrap();
    text.split("\n\n")
        .filter_map(|e| e.trim().strip_prefix("data: ").map(str::to_string))
        .collect()
}

/// The streamed content of choice 0, from chunk payloads.
pub fn streamed_text(events: &[String]) -> String {
    events
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .filter_map(|v| {
            v.pointer("/choices/0/delta/content")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect()
}
