//! rampart's gateway: an OpenAI-compatible HTTP server that puts the guard in front of any
//! model.
//!
//! Every request to `POST /v1/chat/completions` is checked before it reaches the upstream (user
//! turns, and tool results and documents as untrusted content), and every reply before it
//! reaches the client, while it streams too: streamed text is released only after the window it
//! belongs to has been checked (see [`stream`]). The policy decides: block (an ordinary
//! completion whose content is the refusal, `finish_reason: "content_filter"`, and a `rampart`
//! field naming the categories), redact (PII replaced in what is passed on), flag (headers
//! `x-rampart-decision` / `x-rampart-categories` and the `rampart` field), or allow.
//!
//! Upstreams are any OpenAI-compatible URL (the client's JSON is forwarded as it came, so tools,
//! tool results and fields rampart does not know pass through) or the embedded local model run
//! in-process; several are routed by the request's `model`. Also served: `POST /v1/moderations`
//! (OpenAI's moderation shape), `POST /v1/guard` (a decision for a text or conversation),
//! `GET /v1/models`, `/healthz`, `/readyz` and Prometheus `/metrics`.
//!
//! Operations: API keys stored as SHA-256 hashes and compared in constant time, per-key rate
//! limits ([`auth`]); body and message size limits; upstream timeouts and retries
//! ([`upstream`]); an audit log of decisions that holds no raw text unless configured
//! ([`audit`]); graceful shutdown that lets streams finish. TLS is left to a reverse proxy.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rampart_gateway::GatewayError> {
//! use rampart_gateway::{Gateway, GatewayConfig, UpstreamConfig};
//!
//! let mut config = GatewayConfig::default();
//! config.upstreams.insert("vllm".into(), UpstreamConfig {
//!     url: "http://127.0.0.1:8000/v1".into(),
//!     ..UpstreamConfig::default()
//! });
//! let gateway = Gateway::builder(config).build().await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! gateway.serve(listener, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```

pub mod audit;
pub mod auth;
pub mod checker;
pub mod config;
mod error;
pub mod metrics;
pub mod moderation;
mod server;
pub mod stream;
pub mod upstream;
pub mod wire;

pub use config::{
    AuditConfig, GatewayConfig, KeyConfig, LimitsConfig, StreamingConfig, UpstreamConfig,
    WindowMode,
};
pub use error::{ApiError, GatewayError};
pub use server::{Gateway, GatewayBuilder};
