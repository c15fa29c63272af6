//! Errors: [`GatewayError`] for starting the gateway, [`ApiError`] for answering a request with
//! an OpenAI-shaped error body (`{"error": {"message", "type", "param", "code"}}`) and the
//! status that says whose fault it was.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Errors building or starting the gateway.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("invalid [gateway] configuration: {0}")]
    Config(String),
    #[error("guard: {0}")]
    Guard(#[from] rampart_guard::GuardError),
    #[error("guard policy: {0}")]
    Policy(#[from] rampart_guard::policy::PolicyError),
    #[error("upstream `{name}`: {source}")]
    Upstream {
        name: String,
        #[source]
        source: rampart_llm::LlmError,
    },
    #[error(
        "cannot listen on {addr}: {source}; pick another --listen address or stop what uses it"
    )]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open audit log {path}: {source}")]
    Audit {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Serve(#[from] std::io::Error),
}

/// An error answered to a client, in OpenAI's error shape.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    /// OpenAI's `type`: `invalid_request_error`, `authentication_error`, `rate_limit_error`,
    /// `upstream_error`, `timeout_error`, `server_error`.
    pub kind: &'static str,
    /// Machine-readable code (`invalid_json`, `model_not_found`, …).
    pub code: &'static str,
    pub message: String,
    pub param: Option<&'static str>,
    /// Seconds the client should wait (429 and 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            kind,
            code,
            message: message.into(),
            param: None,
            retry_after: None,
        }
    }

    /// 400: the request is not what the API accepts.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            code,
            message,
        )
    }

    pub fn with_param(mut self, param: &'static str) -> Self {
        self.param = Some(param);
        self
    }

    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        }})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}
