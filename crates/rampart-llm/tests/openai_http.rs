//! The OpenAI-compatible connector against real HTTP servers on 127.0.0.1 started by each test.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use rampart_core::{Conversation, ImageData, Message};
use rampart_llm::retry::RetryPolicy;
use rampart_llm::{
    ChatModel, FinishReason, GenParams, HttpTargetConfig, LlmError, OpenAiModel, StreamEvent,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Handler = Arc<dyn Fn(usize, HeaderMap, Value) -> Response + Send + Sync>;

#[derive(Clone)]
struct App {
    calls: Arc<AtomicUsize>,
    handler: Handler,
    last_body: Arc<std::sync::Mutex<Value>>,
}

async fn completions(State(app): State<App>, headers: HeaderMap, body: String) -> Response {
    let n = app.calls.fetch_add(1, Ordering::SeqCst);
    let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    *app.last_body.lock().unwrap() = value.clone();
    (app.handler)(n, headers, value)
}

async fn models() -> impl IntoResponse {
    axum::Json(json!({"object": "list", "data": [{"id": "listed-model", "object": "model"}]}))
}

/// Starts a server whose `/v1/chat/completions` answers with `handler(call_index, headers, body)`.
async fn serve(
    handler: impl Fn(usize, HeaderMap, Value) -> Response + Send + Sync + 'static,
) -> (String, App) {
    let app = App {
        calls: Arc::new(AtomicUsize::new(0)),
        handler: Arc::new(handler),
        last_body: Arc::new(std::sync::Mutex::new(Value::Null)),
    };
    let router = Router::new()
        .route("/v1/chat/completions", post(completions))
        .route("/v1/models", get(models))
        .with_state(app.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}/v1"), app)
}

fn ok_completion(text: &str) -> Response {
    axum::Json(json!({
        "id": "x", "object": "chat.completion", "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3}
    }))
    .into_response()
}

fn sse(events: &[&str]) -> Response {
    let mut body = String::new();
    for e in events {
        body.push_str("data: ");
        body.push_str(e);
        body.push_str("\n\n");
    }
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from(body))
        .unwrap()
}

fn fast_retries(max: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries: max,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
    }
}

fn model(url: &str) -> OpenAiModel {
    let cfg = HttpTargetConfig {
        url: url.to_string(),
        model: Some("test-model".into()),
        timeout_secs: 5.0,
        ..Default::default()
    };
    OpenAiModel::new(&cfg)
        .unwrap()
        .with_retry_policy(fast_retries(3))
}

fn prompt() -> Conversation {
    Conversation::from_prompt("What is the capital of France?")
}

#[tokio::test]
async fn chat_round_trip_sends_the_request_and_reads_the_reply() {
    let (url, app) = serve(|_, _, _| ok_completion("Paris.")).await;
    let conv = Conversation::new().with(Message::system("be brief")).with(
        Message::user("what is in it?").with_image(ImageData::Inline {
            mime: "image/png".into(),
            bytes: vec![1, 2, 3],
        }),
    );
    let reply = model(&url)
        .chat(
            &conv,
            &GenParams {
                max_tokens: 7,
                seed: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(reply.text, "Paris.");
    assert_eq!(reply.finish_reason, FinishReason::Stop);
    assert_eq!(reply.usage.prompt_tokens, 9);
    let body = app.last_body.lock().unwrap().clone();
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["max_tokens"], 7);
    assert_eq!(
        body["messages"][1]["content"][1]["image_url"]["url"],
        "data:image/png;base64,AQID"
    );
}

#[tokio::test]
async fn model_is_discovered_from_the_models_endpoint() {
    let (url, app) = serve(|_, _, _| ok_completion("hi")).await;
    let m = OpenAiModel::new(&HttpTargetConfig {
        url: url.clone(),
        ..Default::default()
    })
    .unwrap();
    m.chat(&prompt(), &GenParams::default()).await.unwrap();
    assert_eq!(app.last_body.lock().unwrap()["model"], "listed-model");
    assert!(m.name().ends_with("#listed-model"));
}

#[tokio::test]
async fn api_key_is_sent_as_bearer_token_from_the_env() {
    // SAFETY: the variable name is unique to this test.
    unsafe { std::env::set_var("RAMPART_TEST_KEY_BEARER", "sk-test-123") };
    let (url, _app) = serve(|_, headers, _| {
        if headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer sk-test-123")
        {
            ok_completion("authorised")
        } else {
            (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"error": {"message": "bad key"}})),
            )
                .into_response()
        }
    })
    .await;
    let cfg = HttpTargetConfig {
        url: url.clone(),
        model: Some("m".into()),
        api_key_env: Some("RAMPART_TEST_KEY_BEARER".into()),
        ..Default::default()
    };
    let reply = OpenAiModel::new(&cfg)
        .unwrap()
        .chat(&prompt(), &GenParams::default())
        .await
        .unwrap();
    assert_eq!(reply.text, "authorised");
}

#[tokio::test]
async fn auth_failure_is_not_retried_and_names_the_env_var() {
    let (url, app) = serve(|_, _, _| {
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": {"message": "Incorrect API key"}})),
        )
            .into_response()
    })
    .await;
    let err = model(&url)
        .chat(&prompt(), &GenParams::default())
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Auth { status: 401, .. }), "{err}");
    assert!(err.to_string().contains("RAMPART_API_KEY"), "{err}");
    assert_eq!(app.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn rate_limit_honours_retry_after() {
    let (url, app) = serve(|n, _, _| {
        if n == 0 {
            Response::builder()
                .status(429)
                .header("retry-after", "1")
                .body(Body::from(r#"{"error":{"message":"slow down"}}"#))
                .unwrap()
        } else {
            ok_completion("after the wait")
        }
    })
    .await;
    let t0 = Instant::now();
    let reply = model(&url)
        .chat(&prompt(), &GenParams::default())
        .await
        .unwrap();
    assert_eq!(reply.text, "after the wait");
    assert!(
        t0.elapsed() >= Duration::from_millis(950),
        "waited only {:?}",
        t0.elapsed()
    );
    assert_eq!(app.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let (url, app) = serve(|n, _, _| {
        if n < 2 {
            (StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response()
        } else {
            ok_completion("third time")
        }
    })
    .await;
    let reply = model(&url)
        .chat(&prompt(), &GenParams::default())
        .await
        .unwrap();
    assert_eq!(reply.text, "third time");
    assert_eq!(app.calls.load(Ordering::SeqCst), 3);

    let (url, app) =
        serve(|_, _, _| (StatusCode::SERVICE_UNAVAILABLE, "down").into_response()).await;
    let err = model(&url)
        .chat(&prompt(), &GenParams::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            LlmError::GaveUp {
                status: 503,
                attempts: 4,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(app.calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let (url, app) = serve(|_, _, _| {
        (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": {"message": "The model `nope` does not exist"}})),
        )
            .into_response()
    })
    .await;
    let err = model(&url)
        .chat(&prompt(), &GenParams::default())
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::UnknownModel { .. }), "{err}");
    assert!(err.to_string().contains("--model"), "{err}");
    assert_eq!(app.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn slow_server_times_out() {
    // The server waits without blocking the runtime, so only the client's timeout can end this.
    let (url, _count) = raw_server(|mut sock| async move {
        read_request(&mut sock).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let body = r#"{"choices":[{"message":{"content":"too late"}}]}"#;
        let _ = sock
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            )
            .await;
    })
    .await;
    let cfg = HttpTargetConfig {
        url,
        model: Some("m".into()),
        timeout_secs: 0.3,
        max_retries: 0,
        ..Default::default()
    };
    let t0 = Instant::now();
    let err = OpenAiModel::new(&cfg)
        .unwrap()
        .chat(&prompt(), &GenParams::default())
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Timeout { .. }), "{err}");
    assert!(t0.elapsed() < Duration::from_millis(1400));
}

#[tokio::test]
async fn unreachable_host_is_a_clear_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let cfg = HttpTargetConfig {
        url: format!("http://127.0.0.1:{port}/v1"),
        model: Some("m".into()),
        max_retries: 1,
        ..Default::default()
    };
    let m = OpenAiModel::new(&cfg)
        .unwrap()
        .with_retry_policy(fast_retries(1));
    let err = m.chat(&prompt(), &GenParams::default()).await.unwrap_err();
    assert!(matches!(err, LlmError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("server is running"), "{err}");
}

/// A raw TCP server that runs `behaviour` on each accepted connection.
async fn raw_server<F, Fut>(behaviour: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let behaviour = Arc::new(behaviour);
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let b = behaviour.clone();
            tokio::spawn(async move { b(sock).await });
        }
    });
    (format!("http://{addr}/v1"), count)
}

async fn read_request(sock: &mut tokio::net::TcpStream) {
    let mut buf = vec![0u8; 65536];
    let mut seen = Vec::new();
    while let Ok(n) = sock.read(&mut buf).await {
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
        if let Some(pos) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&seen[..pos]).to_lowercase();
            let len = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if seen.len() >= pos + 4 + len {
                break;
            }
        }
    }
}

#[tokio::test]
async fn connection_reset_is_retried_then_reported() {
    let (url, count) = raw_server(|mut sock| async move {
        read_request(&mut sock).await;
        // Close without answering: the client sees the connection dropped.
        drop(sock);
    })
    .await;
    let m = model(&url);
    let err = m.chat(&prompt(), &GenParams::default()).await.unwrap_err();
    assert!(
        matches!(
            err,
            LlmError::Unreachable { .. } | LlmError::Truncated { .. }
        ),
        "{err}"
    );
    assert_eq!(
        count.load(Ordering::SeqCst),
        4,
        "first attempt plus three retries"
    );
}

#[tokio::test]
async fn malformed_json_is_reported() {
    let (url, _app) =
        serve(|_, _, _| (StatusCode::OK, "<html>not json</html>").into_response()).await;
    let err = model(&url)
        .chat(&prompt(), &GenParams::default())
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Malformed { .. }), "{err}");
    let (url, _app) =
        serve(|_, _, _| axum::Json(json!({"unexpected": true})).into_response()).await;
    let err = model(&url)
        .chat(&prompt(), &GenParams::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("choices"), "{err}");
}

#[tokio::test]
async fn streaming_yields_deltas_then_the_reply() {
    let (url, app) = serve(|_, _, _| {
        sse(&[
            r#"{"model":"s","choices":[{"index":0,"delta":{"role":"assistant"}}]}"#,
            r#"{"model":"s","choices":[{"index":0,"delta":{"content":"Par"}}]}"#,
            r#"{"model":"s","choices":[{"index":0,"delta":{"content":"is"},"finish_reason":"stop"}]}"#,
            r#"{"model":"s","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2}}"#,
            "[DONE]",
        ])
    })
    .await;
    let mut stream = model(&url)
        .chat_stream(&prompt(), &GenParams::default())
        .await
        .unwrap();
    let mut deltas = Vec::new();
    let mut done = None;
    while let Some(ev) = stream.next().await {
        match ev.unwrap() {
            StreamEvent::Delta(d) => deltas.push(d),
            StreamEvent::Done(r) => done = Some(r),
        }
    }
    assert_eq!(deltas, vec!["Par", "is"]);
    let reply = done.unwrap();
    assert_eq!(reply.text, "Paris");
    assert_eq!(reply.usage.completion_tokens, 2);
    assert_eq!(app.last_body.lock().unwrap()["stream"], true);
}

#[tokio::test]
async fn truncated_stream_is_an_error_not_a_short_reply() {
    let (url, _app) =
        serve(|_, _, _| sse(&[r#"{"choices":[{"index":0,"delta":{"content":"Half an ans"}}]}"#]))
            .await;
    let stream = model(&url)
        .chat_stream(&prompt(), &GenParams::default())
        .await
        .unwrap();
    let err = rampart_llm::collect_stream(stream).await.unwrap_err();
    assert!(matches!(err, LlmError::Truncated { .. }), "{err}");
}

#[tokio::test]
async fn stream_cut_mid_chunk_is_an_error() {
    let (url, _count) = raw_server(|mut sock| async move {
        read_request(&mut sock).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
        let chunk = "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\ndata: {\"choi";
        let _ = sock
            .write_all(format!("{head}{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes())
            .await;
        let _ = sock.flush().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(sock); // no terminating chunk
    })
    .await;
    let stream = model(&url)
        .chat_stream(&prompt(), &GenParams::default())
        .await
        .unwrap();
    let err = rampart_llm::collect_stream(stream).await.unwrap_err();
    assert!(matches!(err, LlmError::Truncated { .. }), "{err}");
}

#[tokio::test]
async fn malformed_stream_chunk_is_an_error() {
    let (url, _app) = serve(|_, _, _| sse(&["{not json", "[DONE]"])).await;
    let stream = model(&url)
        .chat_stream(&prompt(), &GenParams::default())
        .await
        .unwrap();
    let err = rampart_llm::collect_stream(stream).await.unwrap_err();
    assert!(matches!(err, LlmError::Malformed { .. }), "{err}");
}

#[tokio::test]
async fn stream_errors_before_the_first_byte_are_returned_up_front() {
    let (url, _app) = serve(|_, _, _| (StatusCode::FORBIDDEN, "no").into_response()).await;
    let err = match model(&url)
        .chat_stream(&prompt(), &GenParams::default())
        .await
    {
        Err(e) => e,
        Ok(_) => panic!("expected an error"),
    };
    assert!(matches!(err, LlmError::Auth { status: 403, .. }), "{err}");
}

// The handler blocks its worker thread: the client needs other threads to keep running.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrency_limit_is_respected() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let (inf, max) = (in_flight.clone(), max_seen.clone());
    let (url, _app) = serve(move |_, _, _| {
        let now = inf.fetch_add(1, Ordering::SeqCst) + 1;
        max.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(50));
        inf.fetch_sub(1, Ordering::SeqCst);
        ok_completion("ok")
    })
    .await;
    let cfg = HttpTargetConfig {
        url,
        model: Some("m".into()),
        max_concurrency: 2,
        ..Default::default()
    };
    let m = Arc::new(OpenAiModel::new(&cfg).unwrap());
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let m = m.clone();
            tokio::spawn(async move { m.chat(&prompt(), &GenParams::default()).await.unwrap() })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert!(max_seen.load(Ordering::SeqCst) <= 2);
}
