//! The OpenAI-compatible HTTP connector (`POST {base}/chat/completions`, SSE streaming).
//!
//! Works with any server that speaks the protocol: OpenAI, vLLM, llama.cpp's server, Ollama,
//! LiteLLM, rampart's own gateway. Retries 429/5xx and transient network errors with backoff
//! (honouring `Retry-After`), bounds requests in flight and requests per minute, and turns every
//! failure into an [`LlmError`] that says what to do.

pub mod sse;
pub mod wire;

use std::time::{Duration, Instant};

use futures::StreamExt;
use rampart_core::Conversation;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::limit::RateLimiter;
use crate::retry::{RetryPolicy, retry_after_from_headers};
use crate::{ChatModel, GenParams, LlmError, Reply, ReplyStream, StreamEvent, Timing, Usage};

/// `[targets.NAME]` settings for an HTTP target, also built from CLI flags.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpTargetConfig {
    /// Base URL, e.g. `http://127.0.0.1:8000/v1` (a trailing `/chat/completions` is accepted).
    pub url: String,
    /// Model name to request; when absent, the first model `GET {base}/models` lists.
    pub model: Option<String>,
    /// Environment variable holding the API key. Default: `RAMPART_API_KEY`, and
    /// `OPENAI_API_KEY` for api.openai.com only (so a key is never sent to an unrelated host).
    pub api_key_env: Option<String>,
    /// Whole-request timeout for non-streamed requests, and the longest silence in a stream.
    pub timeout_secs: f64,
    pub connect_timeout_secs: f64,
    /// Requests in flight at once.
    pub max_concurrency: usize,
    /// Requests started per minute (0 or absent: unlimited).
    pub requests_per_minute: Option<u32>,
    /// Retries after the first attempt for 429, 5xx and network errors.
    pub max_retries: u32,
}

impl Default for HttpTargetConfig {
    fn default() -> Self {
        HttpTargetConfig {
            url: String::new(),
            model: None,
            api_key_env: None,
            timeout_secs: 120.0,
            connect_timeout_secs: 10.0,
            max_concurrency: 8,
            requests_per_minute: None,
            max_retries: 4,
        }
    }
}

/// A chat model behind an OpenAI-compatible HTTP API.
#[derive(Debug)]
pub struct OpenAiModel {
    client: reqwest::Client,
    base: String,
    endpoint: String,
    model: OnceCell<String>,
    api_key: Option<String>,
    key_env: String,
    limiter: RateLimiter,
    retry: RetryPolicy,
    timeout: Duration,
}

/// Normalises a user-given base URL: strips a trailing `/chat/completions`, adds `/v1` to a bare
/// host, and rejects anything that is not http(s).
pub fn normalize_base_url(url: &str) -> Result<String, LlmError> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| {
        LlmError::InvalidRequest(format!(
            "`{url}` is not a valid URL ({e}); expected e.g. http://127.0.0.1:8000/v1"
        ))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(LlmError::InvalidRequest(format!(
            "`{url}` is not an http(s) URL; expected e.g. http://127.0.0.1:8000/v1"
        )));
    }
    let mut base = parsed.as_str().trim_end_matches('/').to_string();
    if let Some(stripped) = base.strip_suffix("/chat/completions") {
        base = stripped.to_string();
    }
    if parsed.path() == "/" || parsed.path().is_empty() {
        base.push_str("/v1");
    }
    Ok(base)
}

impl OpenAiModel {
    /// Builds the connector; reads the API key from the environment now.
    pub fn new(config: &HttpTargetConfig) -> Result<Self, LlmError> {
        let base = normalize_base_url(&config.url)?;
        let host = reqwest::Url::parse(&base)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let key_env = config.api_key_env.clone().unwrap_or_else(|| {
            if host == "api.openai.com" {
                "OPENAI_API_KEY".into()
            } else {
                "RAMPART_API_KEY".into()
            }
        });
        let api_key = std::env::var(&key_env)
            .ok()
            .filter(|k| !k.trim().is_empty());
        let timeout = Duration::from_secs_f64(config.timeout_secs.max(0.001));
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs_f64(
                config.connect_timeout_secs.max(0.001),
            ))
            .read_timeout(timeout)
            .user_agent(concat!("rampart/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LlmError::InvalidRequest(format!("cannot build HTTP client: {e}")))?;
        let model = OnceCell::new_with(config.model.clone());
        Ok(OpenAiModel {
            client,
            endpoint: format!("{base}/chat/completions"),
            base,
            model,
            api_key,
            key_env,
            limiter: RateLimiter::new(config.max_concurrency, config.requests_per_minute),
            retry: RetryPolicy {
                max_retries: config.max_retries,
                ..RetryPolicy::default()
            },
            timeout,
        })
    }

    /// Overrides the retry policy (tests use short delays).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The model name, asking `GET {base}/models` once when none was configured.
    pub async fn model(&self) -> Result<&str, LlmError> {
        self.model
            .get_or_try_init(|| async {
                let url = format!("{}/models", self.base);
                let mut req = self.client.get(&url).timeout(self.timeout);
                if let Some(key) = &self.api_key {
                    req = req.bearer_auth(key);
                }
                let resp = req.send().await.map_err(|e| self.map_transport(e))?;
                let status = resp.status().as_u16();
                if status == 401 || status == 403 {
                    return Err(self.auth_error(status));
                }
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                let first = body
                    .pointer("/data/0/id")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                Ok(first.unwrap_or_else(|| {
                    tracing::warn!(%url, "no model configured and the server lists none; sending `default`");
                    "default".to_string()
                }))
            })
            .await
            .map(String::as_str)
    }

    fn auth_error(&self, status: u16) -> LlmError {
        LlmError::Auth {
            url: self.base.clone(),
            status,
            env: self.key_env.clone(),
        }
    }

    fn map_transport(&self, e: reqwest::Error) -> LlmError {
        if e.is_timeout() {
            return LlmError::Timeout {
                url: self.base.clone(),
                after: self.timeout,
            };
        }
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            detail = format!("{detail}: {s}");
            source = s.source();
        }
        if e.is_body() || e.is_decode() {
            return LlmError::Truncated {
                url: self.base.clone(),
                detail,
            };
        }
        LlmError::Unreachable {
            url: self.base.clone(),
            detail,
        }
    }

    fn classify_status(&self, status: u16, model: &str, body: &str) -> LlmError {
        let detail = wire::error_message(body);
        let lower = detail.to_lowercase();
        match status {
            401 | 403 => self.auth_error(status),
            404 | 400
                if lower.contains("model")
                    && (lower.contains("not found")
                        || lower.contains("does not exist")
                        || lower.contains("unknown")) =>
            {
                LlmError::UnknownModel {
                    url: self.base.clone(),
                    model: model.to_string(),
                    detail,
                }
            }
            _ => LlmError::Http {
                url: self.base.clone(),
                status,
                detail,
            },
        }
    }

    /// Sends the request, retrying what is worth retrying, and returns a successful response.
    async fn send(
        &self,
        body: &Value,
        model: &str,
        streaming: bool,
    ) -> Result<reqwest::Response, LlmError> {
        let mut retry = 0u32;
        loop {
            let permit = self.limiter.acquire().await;
            let mut req = self.client.post(&self.endpoint).json(body);
            if !streaming {
                req = req.timeout(self.timeout);
            }
            if let Some(key) = &self.api_key {
                req = req.bearer_auth(key);
            }
            let outcome = req.send().await;
            drop(permit);
            let (err, retry_after) = match outcome {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = retry_after_from_headers(resp.headers());
                    let text = resp.text().await.unwrap_or_default();
                    (self.classify_status(status, model, &text), retry_after)
                }
                Err(e) => (self.map_transport(e), None),
            };
            if !err.is_retryable() {
                return Err(err);
            }
            match self.retry.delay(retry, retry_after, rand::random::<f64>()) {
                Some(delay) => {
                    tracing::debug!(url = %self.endpoint, retry, ?delay, error = %err, "retrying");
                    tokio::time::sleep(delay).await;
                    retry += 1;
                }
                None => {
                    return Err(match err {
                        LlmError::Http {
                            url,
                            status,
                            detail,
                        } => LlmError::GaveUp {
                            url,
                            status,
                            attempts: retry + 1,
                            detail,
                        },
                        other => other,
                    });
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl ChatModel for OpenAiModel {
    fn name(&self) -> String {
        match self.model.get() {
            Some(m) => format!("{}#{m}", self.base),
            None => self.base.clone(),
        }
    }

    fn supports_images(&self) -> bool {
        true
    }

    async fn chat(
        &self,
        conversation: &Conversation,
        params: &GenParams,
    ) -> Result<Reply, LlmError> {
        params.validate()?;
        let model = self.model().await?.to_string();
        let body = wire::request_body(&model, conversation, params, false);
        let started = Instant::now();
        // A body cut off mid-way is retried like any other transient failure.
        let mut attempt = 0;
        let value: Value = loop {
            let resp = self.send(&body, &model, false).await?;
            match resp.bytes().await {
                Ok(bytes) => {
                    break serde_json::from_slice(&bytes).map_err(|e| LlmError::Malformed {
                        url: self.base.clone(),
                        detail: format!(
                            "response is not JSON ({e}): {}",
                            wire::error_message(&String::from_utf8_lossy(&bytes))
                        ),
                    })?;
                }
                Err(e) => {
                    let err = self.map_transport(e);
                    attempt += 1;
                    if attempt > self.retry.max_retries {
                        return Err(err);
                    }
                }
            }
        };
        let completion = wire::parse_completion(&value).map_err(|detail| LlmError::Malformed {
            url: self.base.clone(),
            detail,
        })?;
        let total = started.elapsed().as_secs_f64();
        let usage = completion.usage.unwrap_or_default();
        Ok(Reply {
            text: completion.text,
            finish_reason: completion.finish_reason,
            usage,
            model: completion.model.unwrap_or(model),
            tool_calls: completion.tool_calls,
            seed: params.seed,
            timing: Timing {
                total_ms: total * 1000.0,
                first_token_ms: None,
                tokens_per_second: if total > 0.0 {
                    usage.completion_tokens as f64 / total
                } else {
                    0.0
                },
            },
        })
    }

    async fn chat_stream(
        &self,
        conversation: &Conversation,
        params: &GenParams,
    ) -> Result<ReplyStream, LlmError> {
        params.validate()?;
        let model = self.model().await?.to_string();
        let body = wire::request_body(&model, conversation, params, true);
        let started = Instant::now();
        let resp = self.send(&body, &model, true).await?;
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<StreamEvent, LlmError>>(64);
        let url = self.base.clone();
        let timeout = self.timeout;
        let seed = params.seed;
        tokio::spawn(async move {
            let mut bytes = resp.bytes_stream();
            let mut parser = sse::SseParser::new();
            let mut acc = wire::StreamAccumulator::default();
            let mut first_token: Option<f64> = None;
            let mut done = false;
            let fail = |detail: String| LlmError::Malformed {
                url: url.clone(),
                detail,
            };
            'read: while let Some(chunk) = bytes.next().await {
                let chunk = match chunk {
                    Ok(c) => c,
                    Err(e) => {
                        let err = if e.is_timeout() {
                            LlmError::Timeout {
                                url: url.clone(),
                                after: timeout,
                            }
                        } else {
                            LlmError::Truncated {
                                url: url.clone(),
                                detail: format!("connection failed mid-stream: {e}"),
                            }
                        };
                        let _ = tx.send(Err(err)).await;
                        return;
                    }
                };
                for event in parser.push(&chunk) {
                    if event.is_done() {
                        done = true;
                        break 'read;
                    }
                    let value: Value = match serde_json::from_str(&event.data) {
                        Ok(v) => v,
                        Err(e) => {
                            let excerpt: String = event.data.chars().take(120).collect();
                            let _ = tx
                                .send(Err(fail(format!(
                                    "stream chunk is not JSON ({e}): {excerpt}"
                                ))))
                                .await;
                            return;
                        }
                    };
                    match acc.apply(&value) {
                        Ok(delta) if !delta.is_empty() => {
                            first_token
                                .get_or_insert_with(|| started.elapsed().as_secs_f64() * 1000.0);
                            if tx.send(Ok(StreamEvent::Delta(delta))).await.is_err() {
                                return; // the consumer went away: stop reading
                            }
                        }
                        Ok(_) => {}
                        Err(detail) => {
                            let _ = tx.send(Err(fail(detail))).await;
                            return;
                        }
                    }
                }
            }
            if !done {
                // No [DONE]: accept a stream that reported its finish reason, flag the rest.
                let (last, leftover) = parser.finish();
                if leftover || last.is_some() || acc.finish_reason.is_none() {
                    let _ = tx
                        .send(Err(LlmError::Truncated {
                            url: url.clone(),
                            detail: format!("no [DONE] after {} chunks", acc.chunks),
                        }))
                        .await;
                    return;
                }
            }
            let total = started.elapsed().as_secs_f64();
            let usage = acc.usage.unwrap_or(Usage {
                prompt_tokens: 0,
                completion_tokens: acc.chunks,
            });
            let reply = Reply {
                text: acc.text.clone(),
                finish_reason: acc
                    .finish_reason
                    .clone()
                    .unwrap_or(crate::FinishReason::Stop),
                usage,
                model: acc.model.clone().unwrap_or(model),
                tool_calls: acc.tool_calls(),
                seed,
                timing: Timing {
                    total_ms: total * 1000.0,
                    first_token_ms: first_token,
                    tokens_per_second: if total > 0.0 {
                        usage.completion_tokens as f64 / total
                    } else {
                        0.0
                    },
                },
            };
            let _ = tx.send(Ok(StreamEvent::Done(reply))).await;
        });
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        Ok(Box::pin(stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised() {
        assert_eq!(
            normalize_base_url("http://127.0.0.1:8000").unwrap(),
            "http://127.0.0.1:8000/v1"
        );
        assert_eq!(
            normalize_base_url("http://127.0.0.1:8000/v1/").unwrap(),
            "http://127.0.0.1:8000/v1"
        );
        assert_eq!(
            normalize_base_url("https://h/v1/chat/completions").unwrap(),
            "https://h/v1"
        );
        assert_eq!(
            normalize_base_url("http://h/openai/v1").unwrap(),
            "http://h/openai/v1"
        );
        assert!(normalize_base_url("ftp://h/v1").is_err());
        assert!(normalize_base_url("localhost:8000").is_err());
        assert!(normalize_base_url("not a url").is_err());
    }
}
