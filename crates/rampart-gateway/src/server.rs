//! The HTTP server: [`Gateway`], its routes and handlers, and graceful shutdown.

use std::collections::BTreeMap;
use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use rampart_core::{Category, Conversation, Role};
use rampart_guard::{Action, Guard, Policy};
use rampart_llm::{ChatModel, LlmSection};
use serde_json::{Value, json};

use crate::audit::AuditLog;
use crate::auth::{Denied, KeyStore};
use crate::checker::{CheckContext, Checker, decision_json, input_json};
use crate::config::GatewayConfig;
use crate::error::{ApiError, GatewayError};
use crate::metrics::Metrics;
use crate::moderation;
use crate::stream::{self, StreamJob};
use crate::upstream::{Backend, HttpBackend, Upstream};
use crate::wire;

/// Shared by every handler.
struct AppState {
    config: GatewayConfig,
    checker: Checker,
    upstreams: Vec<Upstream>,
    keys: KeyStore,
    metrics: Arc<Metrics>,
    shutting_down: AtomicBool,
}

/// A configured gateway, ready to serve.
pub struct Gateway {
    state: Arc<AppState>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("upstreams", &self.state.upstreams)
            .finish()
    }
}

/// Builds a [`Gateway`]: configuration, guard, and optionally in-process models.
pub struct GatewayBuilder {
    config: GatewayConfig,
    guard: Option<Guard>,
    models: BTreeMap<String, Arc<dyn ChatModel>>,
    llm: LlmSection,
}

impl GatewayBuilder {
    /// Uses this guard (default: the policy named in the config, or guard's built-in policy).
    pub fn guard(mut self, guard: Guard) -> Self {
        self.guard = Some(guard);
        self
    }

    /// Serves upstream `name` with a model called in-process (instead of opening the embedded
    /// local model). Adds the upstream, accepting any model name, if the config lacks it.
    pub fn model(mut self, name: &str, model: Arc<dyn ChatModel>) -> Self {
        self.config
            .upstreams
            .entry(name.to_string())
            .or_insert_with(|| crate::config::UpstreamConfig {
                url: "local".into(),
                ..Default::default()
            });
        self.models.insert(name.to_string(), model);
        self
    }

    /// `[llm]` settings used to open the embedded local model (`[llm.local]`).
    pub fn llm_section(mut self, llm: LlmSection) -> Self {
        self.llm = llm;
        self
    }

    /// Validates the configuration, loads the guard and opens the upstreams (loading the local
    /// model takes a moment).
    pub async fn build(mut self) -> Result<Gateway, GatewayError> {
        self.config.validate().map_err(GatewayError::Config)?;
        let guard = match self.guard.take() {
            Some(g) => g,
            None => match &self.config.policy {
                Some(path) => Guard::new(Policy::load(path)?)?,
                None => Guard::with_default_policy()?,
            },
        };
        let mut upstreams = Vec::new();
        for (name, cfg) in &self.config.upstreams {
            let backend = if cfg.url == "local" {
                match self.models.get(name) {
                    Some(m) => Backend::Model(m.clone()),
                    None => {
                        let m = rampart_llm::open_target("local", None, &self.llm)
                            .await
                            .map_err(|source| GatewayError::Upstream {
                                name: name.clone(),
                                source,
                            })?;
                        Backend::Model(m)
                    }
                }
            } else {
                Backend::Http(
                    HttpBackend::new(cfg).map_err(|source| GatewayError::Upstream {
                        name: name.clone(),
                        source,
                    })?,
                )
            };
            upstreams.push(Upstream {
                name: name.clone(),
                models: cfg.models.clone(),
                backend,
                timeout: Duration::from_secs_f64(cfg.timeout_secs),
            });
        }
        let audit = AuditLog::open(
            self.config.audit.path.as_deref(),
            self.config.audit.include_text,
        )?;
        let metrics = Arc::new(Metrics::default());
        let checker = Checker::new(
            Arc::new(guard),
            metrics.clone(),
            Arc::new(audit),
            self.config.guard_threads,
        )
        .map_err(|e| GatewayError::Config(format!("guard threads: {e}")))?;
        Ok(Gateway {
            state: Arc::new(AppState {
                keys: KeyStore::new(&self.config.keys),
                config: self.config,
                checker,
                upstreams,
                metrics,
                shutting_down: AtomicBool::new(false),
            }),
        })
    }
}

impl Gateway {
    /// Starts building a gateway from its configuration.
    pub fn builder(config: GatewayConfig) -> GatewayBuilder {
        GatewayBuilder {
            config,
            guard: None,
            models: BTreeMap::new(),
            llm: LlmSection::default(),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &GatewayConfig {
        &self.state.config
    }

    /// The routes, for embedding the gateway in another axum app.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/moderations", post(moderations))
            .route("/v1/guard", post(guard_check))
            .route("/v1/models", get(models))
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics))
            .fallback(not_found)
            .with_state(self.state.clone())
    }

    /// Serves on `listener` until `shutdown` completes, then stops accepting connections and
    /// lets in-flight requests and streams finish (at most `shutdown_grace_secs`).
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), GatewayError> {
        let state = self.state.clone();
        let grace = Duration::from_secs_f64(state.config.shutdown_grace_secs.max(0.0));
        let (fired_tx, fired_rx) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            shutdown.await;
            state.shutting_down.store(true, Ordering::SeqCst);
            tracing::info!("shutting down: no new connections; finishing in-flight requests");
            let _ = fired_tx.send(());
        };
        // Streamed chunks are small writes: without TCP_NODELAY, Nagle's algorithm and delayed
        // ACKs hold each one back ~40 ms.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let server = axum::serve(listener, self.router()).with_graceful_shutdown(signal);
        tokio::select! {
            r = server.into_future() => r.map_err(GatewayError::Serve),
            _ = async {
                if fired_rx.await.is_ok() {
                    tokio::time::sleep(grace).await;
                } else {
                    std::future::pending::<()>().await;
                }
            } => {
                tracing::warn!("shutdown grace period over; closing the remaining connections");
                Ok(())
            }
        }
    }
}

impl AppState {
    fn admit(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        let auth = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        self.keys.admit(auth).map_err(|d| match d {
            Denied::Missing => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "missing_api_key",
                "no API key: send `Authorization: Bearer YOUR_KEY`",
            ),
            Denied::Wrong => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "invalid_api_key",
                "the API key is not valid for this gateway",
            ),
            Denied::RateLimited {
                key,
                retry_after_secs,
            } => {
                self.metrics.rate_limited(&key);
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_error",
                    "rate_limit_exceeded",
                    format!("rate limit of key `{key}` reached; retry in {retry_after_secs}s"),
                )
                .with_retry_after(retry_after_secs)
            }
        })
    }

    async fn read_body(&self, headers: &HeaderMap, body: Body) -> Result<bytes::Bytes, ApiError> {
        let max = self.config.limits.max_body_bytes;
        let too_large = || {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request_error",
                "body_too_large",
                format!("the request body is larger than the gateway accepts ({max} bytes)"),
            )
        };
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > max) {
            return Err(too_large());
        }
        axum::body::to_bytes(body, max)
            .await
            .map_err(|_| too_large())
    }

    /// The upstream for a model name, and the model name to send it when the request used the
    /// `UPSTREAM/MODEL` form.
    fn route(&self, model: &str) -> Option<(&Upstream, Option<String>)> {
        if let Some(u) = self.upstreams.iter().find(|u| u.serves(model)) {
            return Some((u, None));
        }
        if let Some((prefix, rest)) = model.split_once('/')
            && let Some(u) = self.upstreams.iter().find(|u| u.name == prefix)
            && !rest.is_empty()
        {
            return Some((u, Some(rest.to_string())));
        }
        self.upstreams
            .iter()
            .find(|u| u.serves_any())
            .map(|u| (u, None))
    }
}

fn request_id() -> String {
    format!("req-{:016x}", rand::random::<u64>())
}

/// Adds the request id and records the request in metrics.
fn finish(
    st: &AppState,
    endpoint: &'static str,
    started: Instant,
    id: &str,
    mut resp: Response,
) -> Response {
    if let Ok(v) = HeaderValue::from_str(id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    st.metrics.request(
        endpoint,
        resp.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    resp
}

fn decision_headers(resp: &mut Response, action: Action, categories: &[Category]) {
    let h = resp.headers_mut();
    h.insert("x-rampart-decision", HeaderValue::from_static(action.id()));
    if !categories.is_empty() {
        let ids: Vec<&str> = categories.iter().map(|c| c.id()).collect();
        if let Ok(v) = HeaderValue::from_str(&ids.join(",")) {
            h.insert("x-rampart-categories", v);
        }
    }
}

fn merge(into: &mut Vec<Category>, more: impl IntoIterator<Item = Category>) {
    for c in more {
        if !into.contains(&c) {
            into.push(c);
        }
    }
}

async fn chat(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let _in_flight = st.metrics.in_flight();
    let id = request_id();
    let resp = match chat_inner(&st, &headers, body, &id).await {
        Ok(r) => r,
        Err(e) => {
            if e.status.is_server_error() {
                tracing::warn!(request_id = %id, status = %e.status, "{}", e.message);
            }
            e.into_response()
        }
    };
    finish(&st, "chat", started, &id, resp)
}

async fn chat_inner(
    st: &Arc<AppState>,
    headers: &HeaderMap,
    body: Body,
    id: &str,
) -> Result<Response, ApiError> {
    let key = st.admit(headers)?;
    let bytes = st.read_body(headers, body).await?;
    let mut req = wire::parse_chat_request(&bytes, &st.config.limits)?;
    let (upstream, rename) = st.route(&req.model).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            "model_not_found",
            format!("no upstream serves model `{}`; GET /v1/models lists the models this gateway routes", req.model),
        )
        .with_param("model")
    })?;
    if let Some(m) = rename {
        req.body["model"] = json!(m);
    }
    let ctx = CheckContext {
        request_id: id.to_string(),
        key,
        endpoint: "chat",
        model: Some(req.model.clone()),
        upstream: Some(upstream.name.clone()),
    };
    let conversation = Arc::new(std::mem::take(&mut req.conversation));
    let mut to_model = conversation.clone();
    let mut action = Action::Allow;
    let mut categories: Vec<Category> = Vec::new();
    let mut input_summary = None;
    if st.config.guard_input {
        let d = st.checker.input(conversation.clone(), &ctx).await;
        action = d.action;
        merge(&mut categories, d.categories());
        input_summary = Some(input_json(&d));
        if d.action == Action::Block {
            let refusal = d
                .refusal
                .clone()
                .unwrap_or_else(|| st.checker.guard().policy().refusal_message.clone());
            let summary =
                json!({"action": Action::Block, "categories": categories, "input": input_summary});
            return Ok(refusal_response(
                &req.model,
                &refusal,
                summary,
                req.stream,
                &categories,
            ));
        }
        if d.action == Action::Redact {
            for (i, md) in &d.messages {
                if let Some(text) = &md.redacted {
                    wire::redact_message(&mut req.body, *i, text);
                }
            }
            if let Some(conv) = d.redacted {
                to_model = Arc::new(conv);
            }
        }
    }
    if req.stream {
        return stream_reply(
            st,
            req,
            upstream,
            ctx,
            conversation,
            to_model,
            action,
            categories,
            input_summary,
        )
        .await;
    }
    let mut reply = upstream.complete(&req.body, &to_model, &st.metrics).await?;
    let mut outputs = Vec::new();
    if st.config.guard_output {
        let refusal = st.checker.guard().policy().refusal_message.clone();
        let n = reply["choices"].as_array().map_or(0, Vec::len);
        for ci in 0..n {
            let message = reply["choices"][ci]["message"].clone();
            let mut texts: Vec<(Option<usize>, String)> = Vec::new();
            if let Some(t) = wire::message_text(&message).filter(|t| !t.is_empty()) {
                texts.push((None, t));
            }
            if let Some(calls) = message.get("tool_calls").and_then(Value::as_array) {
                for (k, call) in calls.iter().enumerate() {
                    if let Some(a) = call.pointer("/function/arguments").and_then(Value::as_str)
                        && !a.is_empty()
                    {
                        texts.push((Some(k), a.to_string()));
                    }
                }
            }
            for (tool, text) in texts {
                let d = st
                    .checker
                    .output(text, Some(conversation.clone()), "output", &ctx)
                    .await;
                action = action.max(d.action);
                merge(&mut categories, d.categories());
                let choice = &mut reply["choices"][ci];
                match d.action {
                    Action::Block => {
                        choice["message"] =
                            json!({"role": "assistant", "content": refusal, "refusal": null});
                        choice["finish_reason"] = json!("content_filter");
                    }
                    Action::Redact => {
                        let red = d.redacted.clone().unwrap_or_default();
                        match tool {
                            None => choice["message"]["content"] = json!(red),
                            Some(k) => {
                                choice["message"]["tool_calls"][k]["function"]["arguments"] =
                                    json!(red)
                            }
                        }
                    }
                    _ => {}
                }
                let mut s = decision_json(&d);
                s["choice"] = json!(ci);
                if let Some(k) = tool {
                    s["tool_call"] = json!(k);
                }
                outputs.push(s);
                if d.action == Action::Block {
                    break;
                }
            }
        }
    }
    let mut summary = json!({"action": action, "categories": categories});
    if let Some(i) = input_summary {
        summary["input"] = i;
    }
    if st.config.guard_output {
        summary["output"] = Value::Array(outputs);
    }
    reply["rampart"] = summary;
    let mut resp = (StatusCode::OK, axum::Json(reply)).into_response();
    decision_headers(&mut resp, action, &categories);
    Ok(resp)
}

/// A blocked request: an ordinary completion (or stream) whose content is the refusal.
fn refusal_response(
    model: &str,
    refusal: &str,
    summary: Value,
    stream: bool,
    categories: &[Category],
) -> Response {
    let mut resp = if stream {
        let t = wire::ChunkTemplate::new(model);
        let mut last = t.chunk(0, json!({}), Some("content_filter"));
        last["rampart"] = summary;
        let events = [
            wire::sse_event(&t.chunk(0, json!({"role": "assistant", "content": refusal}), None)),
            wire::sse_event(&last),
            wire::sse_done(),
        ];
        let body = Body::from_stream(futures::stream::iter(
            events.into_iter().map(Ok::<_, std::io::Error>),
        ));
        sse_response(body)
    } else {
        let mut v = wire::completion(
            &wire::completion_id(),
            model,
            refusal,
            "content_filter",
            None,
            None,
        );
        v["rampart"] = summary;
        (StatusCode::OK, axum::Json(v)).into_response()
    };
    decision_headers(&mut resp, Action::Block, categories);
    resp
}

fn sse_response(body: Body) -> Response {
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

#[allow(clippy::too_many_arguments)]
async fn stream_reply(
    st: &Arc<AppState>,
    req: wire::ChatRequest,
    upstream: &Upstream,
    ctx: CheckContext,
    conversation: Arc<Conversation>,
    to_model: Arc<Conversation>,
    action: Action,
    categories: Vec<Category>,
    input_summary: Option<Value>,
) -> Result<Response, ApiError> {
    let mut chunks = upstream.stream(&req.body, &to_model, &st.metrics).await?;
    // Wait for the first event before answering, so that an upstream that fails at once gets
    // a proper status rather than a 200 with an error inside.
    let first = match chunks.next().await {
        None => {
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "upstream_error",
                "upstream_truncated",
                format!(
                    "upstream `{}` ended the stream before sending anything",
                    upstream.name
                ),
            ));
        }
        Some(Err(e)) => return Err(e),
        Some(Ok(v)) => v,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let job = StreamJob {
        checker: st.checker.clone(),
        ctx,
        conversation,
        output_context: Default::default(),
        config: st.config.streaming.clone(),
        guard_output: st.config.guard_output,
        metrics: st.metrics.clone(),
        input: input_summary,
        input_action: action,
        input_categories: categories.clone(),
        refusal: st.checker.guard().policy().refusal_message.clone(),
        model: req.model.clone(),
    };
    tokio::spawn(stream::run(job, first, chunks, tx));
    let body = Body::from_stream(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let mut resp = sse_response(body);
    // Headers go out before the output is checked: they carry the input decision; the output
    // decision is in the final chunk's `rampart` field.
    decision_headers(&mut resp, action, &categories);
    Ok(resp)
}

async fn moderations(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let id = request_id();
    let resp = match moderations_inner(&st, &headers, body, &id).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    finish(&st, "moderations", started, &id, resp)
}

async fn read_json(st: &AppState, headers: &HeaderMap, body: Body) -> Result<Value, ApiError> {
    let bytes = st.read_body(headers, body).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::invalid("invalid_utf8", "the request body is not valid UTF-8"))?;
    let v: Value = serde_json::from_str(text).map_err(|e| {
        ApiError::invalid(
            "invalid_json",
            format!("the request body is not valid JSON: {e}"),
        )
    })?;
    if !v.is_object() {
        return Err(ApiError::invalid(
            "invalid_request",
            "the request body must be a JSON object",
        ));
    }
    Ok(v)
}

async fn moderations_inner(
    st: &Arc<AppState>,
    headers: &HeaderMap,
    body: Body,
    id: &str,
) -> Result<Response, ApiError> {
    let key = st.admit(headers)?;
    let v = read_json(st, headers, body).await?;
    let inputs = moderation::moderation_inputs(&v)?;
    let role = moderation::role_field(&v)?;
    let ctx = CheckContext {
        request_id: id.to_string(),
        key,
        endpoint: "moderations",
        ..Default::default()
    };
    let mut results = Vec::new();
    for text in inputs {
        if text.chars().count() > st.config.limits.max_message_chars {
            return Err(ApiError::invalid(
                "message_too_long",
                "an input is longer than the gateway accepts",
            )
            .with_param("input"));
        }
        let (d, scores) = st.checker.text(text, role, &ctx).await;
        results.push(moderation::moderation_result(&d, scores.as_ref()));
    }
    let model = v
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("rampart-guard");
    Ok(axum::Json(json!({
        "id": format!("modr-{:016x}", rand::random::<u64>()),
        "model": model,
        "results": results,
    }))
    .into_response())
}

async fn guard_check(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let id = request_id();
    let resp = match guard_inner(&st, &headers, body, &id).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    finish(&st, "guard", started, &id, resp)
}

/// `POST /v1/guard`: `{"text": "...", "role": "user"}` or `{"messages": [...], "direction":
/// "input" | "output"}`. For a conversation checked as output, the last assistant message is
/// the reply and the rest its context.
async fn guard_inner(
    st: &Arc<AppState>,
    headers: &HeaderMap,
    body: Body,
    id: &str,
) -> Result<Response, ApiError> {
    let key = st.admit(headers)?;
    let v = read_json(st, headers, body).await?;
    let ctx = CheckContext {
        request_id: id.to_string(),
        key,
        endpoint: "guard",
        ..Default::default()
    };
    let direction = match v.get("direction").and_then(Value::as_str) {
        None => None,
        Some("input") => Some(Role::User),
        Some("output") => Some(Role::Assistant),
        Some(other) => {
            return Err(ApiError::invalid(
                "invalid_direction",
                format!("direction `{other}`: use input or output"),
            )
            .with_param("direction"));
        }
    };
    if let Some(text) = v.get("text").and_then(Value::as_str) {
        if text.chars().count() > st.config.limits.max_message_chars {
            return Err(ApiError::invalid(
                "message_too_long",
                "`text` is longer than the gateway accepts",
            )
            .with_param("text"));
        }
        let role = match v.get("role") {
            Some(_) => moderation::role_field(&v)?,
            None => direction.unwrap_or(Role::User),
        };
        let (d, _) = st.checker.text(text.to_string(), role, &ctx).await;
        let mut out = serde_json::to_value(&d).unwrap_or(Value::Null);
        out["categories"] = json!(d.categories());
        out["flagged"] = json!(d.action != Action::Allow);
        return Ok(axum::Json(out).into_response());
    }
    if v.get("messages").is_some() {
        let mut probe = v.clone();
        probe["model"] = json!("guard");
        let req = wire::parse_chat_request(probe.to_string().as_bytes(), &st.config.limits)?;
        let conv = Arc::new(req.conversation);
        if direction == Some(Role::Assistant) {
            let (idx, reply) = conv
                .messages
                .iter()
                .enumerate()
                .rev()
                .find(|(_, m)| m.role == Role::Assistant)
                .map(|(i, m)| (i, m.text()))
                .ok_or_else(|| {
                    ApiError::invalid(
                        "missing_reply",
                        "direction output needs an assistant message to check",
                    )
                })?;
            let context = Arc::new(Conversation::from(conv.messages[..idx].to_vec()));
            let d = st
                .checker
                .output(reply, Some(context), "output", &ctx)
                .await;
            let mut out = serde_json::to_value(&d).unwrap_or(Value::Null);
            out["categories"] = json!(d.categories());
            out["flagged"] = json!(d.action != Action::Allow);
            out["message"] = json!(idx);
            return Ok(axum::Json(out).into_response());
        }
        let d = st.checker.input(conv, &ctx).await;
        let mut out = serde_json::to_value(&d).unwrap_or(Value::Null);
        out["direction"] = json!("input");
        out["categories"] = json!(d.categories());
        out["flagged"] = json!(d.action != Action::Allow);
        out["findings"] = input_json(&d)["findings"].clone();
        return Ok(axum::Json(out).into_response());
    }
    Err(ApiError::invalid(
        "invalid_request",
        "send `text` (with optional `role`) or `messages` (with `direction`)",
    ))
}

async fn models(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let started = Instant::now();
    let id = request_id();
    let resp = match st.admit(&headers) {
        Err(e) => e.into_response(),
        Ok(_) => {
            let mut data = Vec::new();
            for u in &st.upstreams {
                for m in u.models.iter().filter(|m| *m != "*") {
                    data.push(
                        json!({"id": m, "object": "model", "created": 0, "owned_by": u.name}),
                    );
                }
            }
            axum::Json(json!({"object": "list", "data": data})).into_response()
        }
    };
    finish(&st, "models", started, &id, resp)
}

async fn healthz() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

async fn readyz(State(st): State<Arc<AppState>>) -> Response {
    if st.shutting_down.load(Ordering::SeqCst) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "shutting_down"})),
        )
            .into_response();
    }
    let upstreams: Vec<&str> = st.upstreams.iter().map(|u| u.name.as_str()).collect();
    axum::Json(json!({"status": "ready", "upstreams": upstreams, "policy": st.checker.guard().policy().name})).into_response()
}

async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    let mut resp = st.metrics.render().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}

async fn not_found() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        "not_found",
        "no such endpoint",
    )
    .into_response()
}
