//! The error type of the red-team crate.

/// What can go wrong when parsing, applying or planning techniques and loading goals.
#[derive(Debug, thiserror::Error)]
pub enum RedteamError {
    /// A technique id that the catalogue does not have.
    #[error("unknown technique `{0}`; run `rampart redteam techniques` to list the ids")]
    UnknownTechnique(String),
    /// A short name that matches more than one technique.
    #[error("technique name `{name}` is ambiguous: it matches {}; use the full id", candidates.join(", "))]
    AmbiguousTechnique {
        /// The name given.
        name: String,
        /// Full ids it matches.
        candidates: Vec<String>,
    },
    /// A malformed chain or parameter.
    #[error("bad technique chain `{chain}`: {reason}")]
    BadChain {
        /// The chain as written.
        chain: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A parameter that the technique does not have or of the wrong type.
    #[error("technique `{id}`: {reason}")]
    BadParam {
        /// The technique.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// An LLM-backed technique applied without a rewriter model.
    #[error(
        "technique `{0}` rewrites the prompt with a model: give it a rewriter model (`--rewriter local` on the command line)"
    )]
    NeedsModel(String),
    /// An adaptive technique (it talks to the target) applied as a transform.
    #[error(
        "technique `{0}` is an adaptive attack that talks to the target over several turns: run it against a target, it cannot be applied offline"
    )]
    Adaptive(String),
    /// A model call failed.
    #[error("model call failed: {0}")]
    Model(#[from] rampart_llm::LlmError),
    /// An image could not be encoded.
    #[error("image encoding failed: {0}")]
    Image(String),
    /// A goal file could not be read or parsed.
    #[error("goal file {path}: {reason}")]
    Goals {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A model-backed technique whose rewriter did not rewrite (answered, or kept English).
    #[error("technique `{id}`: {reason}")]
    Rewrite {
        /// The technique.
        id: String,
        /// What the rewriter did instead.
        reason: String,
    },
    /// A judge failed while an adaptive attack checked a reply.
    #[error("judge failed: {0}")]
    Judge(String),
    /// A journal (rewrites, adaptive runs) that cannot be read or written.
    #[error("journal {path}: {reason}")]
    Journal {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A planning request that cannot be met.
    #[error("campaign plan: {0}")]
    Plan(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = RedteamError> = std::result::Result<T, E>;
