//! Runtime input and output moderation for rampart.
//!
//! [`Guard`] runs detectors over the text going to a model and the text coming back, and a
//! [`Policy`] turns what they find into a [`Decision`]: allow, flag, redact or block.
//!
//! - [`classifier`]: rampart's own trained classifiers (prompt attacks: jailbreak, direct and
//!   indirect injection; harm: an overall probability and one per hazard category), with the
//!   data pipeline that trains them, their calibration, and their evaluation: a lexical fast tier
//!   on every text, and a semantic tier (sentence-encoder nearest neighbours) for the prompts it
//!   is unsure about. The default weights live in `models/guard/` and are embedded in this
//!   library.
//! - [`pii`]: PII and secrets recognisers, with redaction that keeps offsets.
//! - [`malformed`]: invalid encodings, invisible and control characters, gibberish, repetition
//!   bombs, length and token limits.
//! - [`words`]: operator word lists (exact and fuzzy); [`topics`]: denied topics described in
//!   plain language, matched by meaning with the sentence encoder.
//! - [`leak`]: output-only system-prompt leakage and canary tokens.
//! - [`policy`]: the TOML policy; [`Guard`] and [`Guarded`], a [`ChatModel`](rampart_llm::ChatModel)
//!   wrapper that applies the guard around any target.
//!
//! Every detector runs on the text as written *and* on what `rampart_text` recovers from it
//! (confusables folded, invisible characters removed, base64/rot13/leetspeak… decoded), so an
//! obfuscated attack is judged on what it says.
//!
//! ```
//! use rampart_core::Role;
//! use rampart_guard::{Action, Guard};
//!
//! let guard = Guard::with_default_policy().unwrap();
//! let d = guard.check_text("My card is 4111 1111 1111 1111, can you check it?", Role::User);
//! assert_eq!(d.action, Action::Redact);
//! assert!(!d.redacted.unwrap().contains("4111 1111 1111 1111"));
//! assert_eq!(guard.check_text("Hi", Role::User).action, Action::Allow);
//! ```
pub mod classifier;
pub mod detector;
mod guard;
mod guarded;
pub mod leak;
pub mod malformed;
pub mod pii;
pub mod policy;
pub mod topics;
pub mod words;

pub use detector::{ClassifierConfig, Detector, DetectorsConfig, Direction, Input, PiiConfig};
pub use guard::{
    ConversationDecision, Decision, Guard, GuardError, OutputContext, Triggered, placeholder,
    redact_spans,
};
pub use guarded::Guarded;
pub use policy::{Action, FailMode, Policy};
