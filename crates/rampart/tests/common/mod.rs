//! What the binary's end-to-end tests share: running `rampart`, and a scripted
//! OpenAI-compatible chat server on 127.0.0.1.
// Each test binary uses only part of this module.
#![allow(dead_code)]

use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use serde_json::{Value, json};

/// Runs the binary to completion (without an API key from the environment).
pub fn rampart(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .env_remove("RAMPART_API_KEY")
        .output()
        .expect("run rampart")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A chat-completions server on 127.0.0.1 that answers each request body with `reply(body)`
/// after `delay_ms`, and counts requests. Returns its base URL (`http://127.0.0.1:PORT/v1`).
pub fn chat_server<F>(delay_ms: u64, reply: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(&Value) -> String + Clone + Send + Sync + 'static,
{
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move |body: axum::Json<Value>| {
            let (h, reply) = (h.clone(), reply.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                let text = reply(&body);
                axum::Json(json!({
                    "model": "scripted",
                    "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 4}
                }))
            }
        }),
    );
    std::thread::spawn(move || {
        rt.block_on(async move { axum::serve(listener, app).await.unwrap() })
    });
    (format!("http://{addr}/v1"), hits)
}
