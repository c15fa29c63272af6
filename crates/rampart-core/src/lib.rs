//! The shared vocabulary of rampart.
//!
//! Every other rampart crate speaks in the types defined here, so that one concept has one name
//! across guard, gateway, eval, redteam and watermark:
//!
//! - [`Dimension`]: the eight responsible-AI dimensions a risk belongs to.
//! - [`Category`]: the stable taxonomy of risk categories (MLCommons hazards S1–S14 as used by
//!   Llama Guard 3, prompt attacks, sensitive data, unauthorized actions, degraded availability,
//!   misinformation, bias, misgendering, …). Category ids are part of rampart's public contract:
//!   they appear in reports, policies and API responses and never change meaning.
//! - [`Message`], [`Conversation`], [`ContentPart`], [`Role`]: multi-turn, multimodal chat.
//! - [`Finding`]: what a detector saw (category, score, span, detector id).
//! - [`Verdict`]: what a judge concluded about a (prompt, reply) pair, including the explicit
//!   [`Verdict::Unscorable`] state that is never silently counted as a pass or a fail.
//! - [`config`]: loading `rampart.toml`, whose sections belong to the crates that read them.
//! - [`paths`]: where models and caches live (`$RAMPART_HOME`).
//!
//! ```
//! use rampart_core::{Category, Dimension};
//! let c: Category = "violent_crimes".parse().unwrap();
//! assert_eq!(c.dimension(), Dimension::Safety);
//! assert_eq!(c.mlcommons_code(), Some("S1"));
//! ```

pub mod category;
pub mod config;
pub mod finding;
pub mod message;
pub mod paths;
pub mod verdict;

pub use category::{Category, Dimension, UnknownCategory};
pub use config::{ConfigError, ConfigFile};
pub use finding::{Finding, Span};
pub use message::{ContentPart, Conversation, ImageData, Message, Role};
pub use verdict::Verdict;

/// A stable, hex-encoded SHA-256 of the given bytes; used for content-addressed records and
/// config hashes so that runs can be resumed and reproduced.
pub fn content_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}
