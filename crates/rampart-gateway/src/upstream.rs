//! Upstreams: where requests go after the input check, and how their failures are reported.
//!
//! An HTTP upstream receives the client's JSON body as it came (with redactions applied), so
//! fields rampart does not know pass through. Connection errors, 429 and 5xx are retried with
//! backoff (honouring `Retry-After`) as long as nothing has been passed on to the client;
//! after that they become an [`ApiError`] with the status that says what happened: 502 for a
//! broken or failing upstream, 504 for a timeout, 429 when the upstream keeps rate limiting.
//! An in-process upstream (the embedded local model, or any [`ChatModel`]) is called directly.

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use futures::{Stream, StreamExt};
use rampart_core::Conversation;
use rampart_llm::openai::sse::SseParser;
use rampart_llm::retry::{RetryPolicy, retry_after_from_headers};
use rampart_llm::{ChatModel, LlmError, StreamEvent};
use serde_json::{Value, json};

use crate::config::UpstreamConfig;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::wire;

/// A stream of OpenAI `chat.completion.chunk` objects (the `[DONE]` sentinel is not an item).
pub type ChunkStream = Pin<Box<dyn Stream<Item = Result<Value, ApiError>> + Send>>;

/// Where one upstream's requests go.
pub enum Backend {
    Http(HttpBackend),
    /// A model called in-process (the embedded local model).
    Model(Arc<dyn ChatModel>),
}

/// A configured upstream.
pub struct Upstream {
    pub name: String,
    /// Models it serves (`*`: any).
    pub models: Vec<String>,
    pub backend: Backend,
    /// For in-process models: the longest wait for a reply or between streamed deltas.
    pub timeout: Duration,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("name", &self.name)
            .field("models", &self.models)
            .finish()
    }
}

/// An OpenAI-compatible HTTP API.
#[derive(Debug)]
pub struct HttpBackend {
    client: reqwest::Client,
    endpoint: String,
    api_key: Option<String>,
    timeout: Duration,
    retry: RetryPolicy,
}

impl HttpBackend {
    /// Builds the client; reads the upstream key from `api_key_env` now.
    pub fn new(cfg: &UpstreamConfig) -> Result<Self, LlmError> {
        let base = rampart_llm::openai::normalize_base_url(&cfg.url)?;
        let api_key = cfg
            .api_key_env
            .as_ref()
            .and_then(|env| std::env::var(env).ok())
            .filter(|k| !k.trim().is_empty());
        let timeout = Duration::from_secs_f64(cfg.timeout_secs);
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs_f64(cfg.connect_timeout_secs))
            // A read that waits longer than this (first byte, or silence mid-stream) fails.
            .read_timeout(timeout)
            .pool_max_idle_per_host(256)
            .user_agent(concat!("rampart-gateway/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LlmError::InvalidRequest(format!("cannot build HTTP client: {e}")))?;
        Ok(HttpBackend {
            client,
            endpoint: format!("{base}/chat/completions"),
            api_key,
            timeout,
            retry: RetryPolicy {
                max_retries: cfg.max_retries,
                base_delay: Duration::from_millis(cfg.retry_base_delay_ms),
                max_delay: Duration::from_secs(5),
                max_retry_after: Duration::from_secs_f64(cfg.max_retry_after_secs),
            },
        })
    }
}

/// How a failed attempt ended, before deciding whether to retry.
enum Attempt {
    /// An HTTP status worth retrying, with its error text and retry hint.
    Status(u16, String, Option<Duration>),
    /// Network failure (refused, reset) before a complete reply.
    Network(String),
    /// No answer in time: not retried (the client has already waited the full timeout).
    Timeout,
    /// Final: pass this error on.
    Final(ApiError),
}

impl Upstream {
    /// Whether this upstream serves `model`.
    pub fn serves(&self, model: &str) -> bool {
        self.models.iter().any(|m| m == model)
    }

    pub fn serves_any(&self) -> bool {
        self.models.iter().any(|m| m == "*")
    }

    /// A non-streamed completion: the upstream's JSON response.
    pub async fn complete(
        &self,
        body: &Value,
        conversation: &Conversation,
        metrics: &Metrics,
    ) -> Result<Value, ApiError> {
        let started = Instant::now();
        let result = match &self.backend {
            Backend::Http(http) => self
                .http_send(http, body, false, metrics)
                .await
                .map(|(_, v)| v.unwrap_or(Value::Null)),
            Backend::Model(model) => {
                let params = wire::gen_params(body)?;
                let model_name = body
                    .get("model")
                    .and_then(Value::as_str)
                    .unwrap_or("local")
                    .to_string();
                match tokio::time::timeout(self.timeout, model.chat(conversation, &params)).await {
                    Err(_) => Err(timeout_error(&self.name, self.timeout)),
                    Ok(Err(e)) => Err(model_error(&self.name, e)),
                    Ok(Ok(reply)) => {
                        let tool_calls = (!reply.tool_calls.is_empty()).then(|| {
                            Value::Array(
                                reply
                                    .tool_calls
                                    .iter()
                                    .map(|c| {
                                        json!({"id": c.id, "type": "function",
                                        "function": {"name": c.name, "arguments": c.arguments}})
                                    })
                                    .collect(),
                            )
                        });
                        Ok(wire::completion(
                            &wire::completion_id(),
                            &model_name,
                            &reply.text,
                            reply.finish_reason.as_openai(),
                            tool_calls,
                            Some((reply.usage.prompt_tokens, reply.usage.completion_tokens)),
                        ))
                    }
                }
            }
        };
        metrics.upstream(&self.name, started.elapsed().as_secs_f64());
        if let Err(e) = &result {
            metrics.upstream_error(&self.name, e.code);
        }
        result
    }

    /// A streamed completion as chunk objects. Fails here (with a status) when the upstream
    /// cannot start the stream; failures later come as the stream's items.
    pub async fn stream(
        &self,
        body: &Value,
        conversation: &Conversation,
        metrics: &Metrics,
    ) -> Result<ChunkStream, ApiError> {
        let started = Instant::now();
        let result = match &self.backend {
            Backend::Http(http) => {
                let mut body = body.clone();
                body["stream"] = json!(true);
                match self.http_send(http, &body, true, metrics).await {
                    Ok((resp, _)) => Ok(sse_chunks(
                        resp.expect("streamed response"),
                        self.name.clone(),
                        http.timeout,
                    )),
                    Err(e) => Err(e),
                }
            }
            Backend::Model(model) => {
                let params = wire::gen_params(body)?;
                let model_name = body
                    .get("model")
                    .and_then(Value::as_str)
                    .unwrap_or("local")
                    .to_string();
                match tokio::time::timeout(self.timeout, model.chat_stream(conversation, &params))
                    .await
                {
                    Err(_) => Err(timeout_error(&self.name, self.timeout)),
                    Ok(Err(e)) => Err(model_error(&self.name, e)),
                    Ok(Ok(events)) => Ok(model_chunks(
                        events,
                        &model_name,
                        self.name.clone(),
                        self.timeout,
                    )),
                }
            }
        };
        metrics.upstream(&self.name, started.elapsed().as_secs_f64());
        if let Err(e) = &result {
            metrics.upstream_error(&self.name, e.code);
        }
        result
    }

    /// Sends with retries. Non-streamed: returns the parsed JSON body; streamed: the response
    /// whose status was 2xx.
    async fn http_send(
        &self,
        http: &HttpBackend,
        body: &Value,
        stream: bool,
        metrics: &Metrics,
    ) -> Result<(Option<reqwest::Response>, Option<Value>), ApiError> {
        let mut retry = 0;
        loop {
            let outcome = self.attempt(http, body, stream).await;
            let (status, detail, hint) = match outcome {
                Ok(v) => return Ok(v),
                Err(Attempt::Final(e)) => return Err(e),
                Err(Attempt::Timeout) => return Err(timeout_error(&self.name, http.timeout)),
                Err(Attempt::Status(s, d, h)) => (Some(s), d, h),
                Err(Attempt::Network(d)) => (None, d, None),
            };
            let jitter: f64 = rand::random();
            match http.retry.delay(retry, hint, jitter) {
                Some(delay) => {
                    tracing::debug!(upstream = %self.name, retry, ?status, %detail, "retrying upstream");
                    metrics.upstream_retry(&self.name);
                    tokio::time::sleep(delay).await;
                    retry += 1;
                }
                None => {
                    let attempts = retry + 1;
                    return Err(match status {
                        Some(429) => ApiError::new(
                            StatusCode::TOO_MANY_REQUESTS,
                            "rate_limit_error",
                            "upstream_rate_limited",
                            format!("upstream `{}` is rate limiting (HTTP 429 after {attempts} attempts): {detail}", self.name),
                        )
                        .with_retry_after(hint.map(|d| d.as_secs().max(1)).unwrap_or(1)),
                        Some(s) => ApiError::new(
                            StatusCode::BAD_GATEWAY,
                            "upstream_error",
                            "upstream_error",
                            format!("upstream `{}` answered HTTP {s} after {attempts} attempts: {detail}", self.name),
                        ),
                        None => ApiError::new(
                            StatusCode::BAD_GATEWAY,
                            "upstream_error",
                            "upstream_unreachable",
                            format!("upstream `{}` failed after {attempts} attempts: {detail}", self.name),
                        ),
                    });
                }
            }
        }
    }

    async fn attempt(
        &self,
        http: &HttpBackend,
        body: &Value,
        stream: bool,
    ) -> Result<(Option<reqwest::Response>, Option<Value>), Attempt> {
        let mut req = http.client.post(&http.endpoint).json(body);
        if let Some(key) = &http.api_key {
            req = req.bearer_auth(key);
        }
        if !stream {
            req = req.timeout(http.timeout);
        }
        let send = tokio::time::timeout(http.timeout + Duration::from_millis(250), req.send());
        let resp = match send.await {
            Err(_) => return Err(Attempt::Timeout),
            Ok(Err(e)) if e.is_timeout() => return Err(Attempt::Timeout),
            Ok(Err(e)) => return Err(Attempt::Network(describe(&e))),
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        if resp.status().is_success() {
            if stream {
                return Ok((Some(resp), None));
            }
            let bytes =
                match tokio::time::timeout(http.timeout + Duration::from_millis(250), resp.bytes())
                    .await
                {
                    Err(_) => return Err(Attempt::Timeout),
                    Ok(Err(e)) if e.is_timeout() => return Err(Attempt::Timeout),
                    Ok(Err(e)) => {
                        return Err(Attempt::Network(format!("reply cut off: {}", describe(&e))));
                    }
                    Ok(Ok(b)) => b,
                };
            let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
                Attempt::Final(malformed(
                    &self.name,
                    format!("the reply is not valid JSON ({e})"),
                ))
            })?;
            if v.get("choices").and_then(Value::as_array).is_none() {
                return Err(Attempt::Final(malformed(
                    &self.name,
                    "the reply has no `choices` array".into(),
                )));
            }
            return Ok((None, Some(v)));
        }
        let hint = retry_after_from_headers(resp.headers());
        let text = tokio::time::timeout(Duration::from_secs(5), resp.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let detail = rampart_llm::openai::wire::error_message(&text);
        if rampart_llm::is_retryable_status(status) {
            return Err(Attempt::Status(status, detail, hint));
        }
        Err(Attempt::Final(match status {
            401 | 403 => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "upstream_error",
                "upstream_auth",
                format!(
                    "upstream `{}` rejected the gateway's credentials (HTTP {status}); set its key in the variable named by `api_key_env`",
                    self.name
                ),
            ),
            // The client's own request was refused (unknown model, bad parameter): pass it on.
            400..=499 => {
                let s = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
                ApiError::new(
                    s,
                    "invalid_request_error",
                    "upstream_rejected",
                    format!("upstream `{}`: {detail}", self.name),
                )
            }
            _ => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "upstream_error",
                "upstream_error",
                format!("upstream `{}` answered HTTP {status}: {detail}", self.name),
            ),
        }))
    }
}

fn describe(e: &reqwest::Error) -> String {
    // reqwest's top-level message is generic; the source chain says "connection refused".
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

fn timeout_error(name: &str, after: Duration) -> ApiError {
    ApiError::new(
        StatusCode::GATEWAY_TIMEOUT,
        "timeout_error",
        "upstream_timeout",
        format!(
            "upstream `{name}` did not answer within {:.1}s (timeout_secs)",
            after.as_secs_f64()
        ),
    )
}

fn malformed(name: &str, detail: String) -> ApiError {
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "upstream_error",
        "upstream_malformed",
        format!("upstream `{name}` sent a malformed reply: {detail}"),
    )
}

fn model_error(name: &str, e: LlmError) -> ApiError {
    match e {
        LlmError::InvalidRequest(m) => ApiError::invalid("invalid_parameter", m),
        LlmError::Timeout { .. } => ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "timeout_error",
            "upstream_timeout",
            format!("upstream `{name}`: {e}"),
        ),
        other => ApiError::new(
            StatusCode::BAD_GATEWAY,
            "upstream_error",
            "upstream_error",
            format!("upstream `{name}`: {other}"),
        ),
    }
}

/// Parses an SSE body into chunks. Ends at `[DONE]`; a body that ends without it (and without a
/// finish reason) is truncated; a `data:` that is not a JSON object is malformed; an upstream
/// `error` event becomes an error item.
fn sse_chunks(resp: reqwest::Response, name: String, idle: Duration) -> ChunkStream {
    struct State {
        bytes: Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
        parser: SseParser,
        queue: std::collections::VecDeque<Result<Value, ApiError>>,
        finished: bool,
        saw_finish: bool,
        name: String,
        idle: Duration,
    }
    impl State {
        /// Queues the events of one chunk of bytes (stopping at `[DONE]` or a bad event).
        fn take(&mut self, events: Vec<rampart_llm::openai::sse::SseEvent>) {
            for ev in events {
                if self.finished {
                    return;
                }
                if ev.is_done() {
                    self.finished = true;
                    return;
                }
                match serde_json::from_str::<Value>(&ev.data) {
                    Ok(v) if v.is_object() => {
                        if let Some(err) = v.get("error") {
                            self.finished = true;
                            let msg = rampart_llm::openai::wire::error_message(
                                &json!({"error": err}).to_string(),
                            );
                            self.queue.push_back(Err(ApiError::new(
                                StatusCode::BAD_GATEWAY,
                                "upstream_error",
                                "upstream_error",
                                format!(
                                    "upstream `{}` reported an error mid-stream: {msg}",
                                    self.name
                                ),
                            )));
                            return;
                        }
                        if has_finish(&v) {
                            self.saw_finish = true;
                        }
                        self.queue.push_back(Ok(v));
                    }
                    _ => {
                        self.finished = true;
                        let excerpt: String = ev.data.chars().take(80).collect();
                        self.queue.push_back(Err(malformed(
                            &self.name,
                            format!("an SSE event is not a JSON object: `{excerpt}`"),
                        )));
                        return;
                    }
                }
            }
        }
    }
    let state = State {
        bytes: Box::pin(resp.bytes_stream()),
        parser: SseParser::new(),
        queue: Default::default(),
        finished: false,
        saw_finish: false,
        name,
        idle,
    };
    let s = futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(item) = st.queue.pop_front() {
                return Some((item, st));
            }
            if st.finished {
                return None;
            }
            match tokio::time::timeout(st.idle, st.bytes.next()).await {
                Err(_) => {
                    st.finished = true;
                    st.queue.push_back(Err(timeout_error(&st.name, st.idle)));
                }
                Ok(Some(Err(e))) => {
                    st.finished = true;
                    let err = if e.is_timeout() {
                        timeout_error(&st.name, st.idle)
                    } else {
                        truncated(&st.name, &describe(&e))
                    };
                    st.queue.push_back(Err(err));
                }
                Ok(Some(Ok(bytes))) => {
                    let events = st.parser.push(&bytes);
                    st.take(events);
                }
                Ok(None) => {
                    let (last, _) = st.parser.finish();
                    if let Some(ev) = last {
                        // A last event without its blank line: usable if it parses, else cut off.
                        let whole = ev.is_done()
                            || serde_json::from_str::<Value>(&ev.data).is_ok_and(|v| v.is_object());
                        if whole {
                            st.take(vec![ev]);
                        } else {
                            st.finished = true;
                            st.queue
                                .push_back(Err(truncated(&st.name, "the last event is cut off")));
                        }
                    }
                    if !st.finished && !st.saw_finish {
                        st.queue
                            .push_back(Err(truncated(&st.name, "no [DONE] and no finish_reason")));
                    }
                    st.finished = true;
                }
            }
        }
    });
    Box::pin(s)
}

fn has_finish(v: &Value) -> bool {
    v.get("choices")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.get("finish_reason").is_some_and(|f| !f.is_null()))
        })
}

fn truncated(name: &str, detail: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "upstream_error",
        "upstream_truncated",
        format!("the stream from upstream `{name}` ended before it was complete ({detail})"),
    )
}

/// Turns an in-process model's events into chunk objects.
fn model_chunks(
    events: rampart_llm::ReplyStream,
    model: &str,
    name: String,
    idle: Duration,
) -> ChunkStream {
    let template = wire::ChunkTemplate::new(model);
    let first = template.chunk(0, json!({"role": "assistant", "content": ""}), None);
    let rest = futures::stream::unfold((events, false), move |(mut events, done)| {
        let template = template.clone();
        let name = name.clone();
        async move {
            if done {
                return None;
            }
            match tokio::time::timeout(idle, events.next()).await {
                Err(_) => Some((Err(timeout_error(&name, idle)), (events, true))),
                Ok(None) => Some((
                    Err(truncated(&name, "the model stopped without a final event")),
                    (events, true),
                )),
                Ok(Some(Err(e))) => Some((Err(model_error(&name, e)), (events, true))),
                Ok(Some(Ok(StreamEvent::Delta(d)))) => Some((
                    Ok(template.chunk(0, json!({"content": d}), None)),
                    (events, false),
                )),
                Ok(Some(Ok(StreamEvent::Done(reply)))) => {
                    let mut v = template.chunk(0, json!({}), Some(reply.finish_reason.as_openai()));
                    let (p, c) = (reply.usage.prompt_tokens, reply.usage.completion_tokens);
                    v["usage"] =
                        json!({"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c});
                    Some((Ok(v), (events, true)))
                }
            }
        }
    });
    Box::pin(futures::stream::once(async move { Ok(first) }).chain(rest))
}
