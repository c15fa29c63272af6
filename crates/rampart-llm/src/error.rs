//! Errors of the connectors. Every message says what went wrong and what to do about it.

use std::path::PathBuf;
use std::time::Duration;

/// What can go wrong talking to a model.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("cannot reach {url}: {detail}; check the URL and that the server is running")]
    Unreachable { url: String, detail: String },
    #[error(
        "{url} rejected the credentials (HTTP {status}); set the API key in ${env} (or `api_key_env` in rampart.toml)"
    )]
    Auth {
        url: String,
        status: u16,
        env: String,
    },
    #[error("request to {url} timed out after {:.0?}; raise `timeout_secs` or check the server", .after)]
    Timeout { url: String, after: Duration },
    #[error("{url} does not know model `{model}`: {detail}; pass --model with one it serves")]
    UnknownModel {
        url: String,
        model: String,
        detail: String,
    },
    #[error("{url} kept answering HTTP {status} after {attempts} attempts: {detail}")]
    GaveUp {
        url: String,
        status: u16,
        attempts: u32,
        detail: String,
    },
    #[error("{url} answered HTTP {status}: {detail}")]
    Http {
        url: String,
        status: u16,
        detail: String,
    },
    #[error("malformed response from {url}: {detail}")]
    Malformed { url: String, detail: String },
    #[error("the stream from {url} ended before it was complete ({detail})")]
    Truncated { url: String, detail: String },
    #[error("model file {} is missing; run `rampart models fetch` to download it", .path.display())]
    ModelMissing { path: PathBuf },
    #[error(
        "model {name} is not installed ({} is missing); run `rampart models fetch {name}`",
        .path.display()
    )]
    NotInstalled { name: String, path: PathBuf },
    #[error("local model: {0}")]
    Local(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl LlmError {
    /// Whether a retry may succeed (rate limits, server errors, transient network failures).
    pub fn is_retryable(&self) -> bool {
        match self {
            LlmError::Unreachable { .. } | LlmError::Timeout { .. } => true,
            LlmError::Http { status, .. } => is_retryable_status(*status),
            LlmError::Truncated { .. } => true,
            _ => false,
        }
    }
}

/// HTTP statuses worth retrying: rate limiting and transient server errors.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429 | 500 | 502 | 503 | 504)
}
