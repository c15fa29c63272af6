//! The [`Detector`] trait every guard check implements, and the [`Input`] it inspects.

use rampart_core::{Finding, Role};
use rampart_text::Normalized;

/// Which side of the model a text is on. Policies decide per direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Text going to the model: user turns, system prompts, documents, tool output.
    Input,
    /// Text coming from the model.
    Output,
}

impl Direction {
    /// The direction a message with this role travels in.
    pub fn of(role: Role) -> Direction {
        match role {
            Role::Assistant => Direction::Output,
            _ => Direction::Input,
        }
    }
}

/// One text to inspect, with what every detector needs to know about it. The normalised form
/// is computed once per text and shared by all detectors.
#[derive(Debug)]
pub struct Input<'a> {
    /// The original text, exactly as received. Spans in findings refer to it.
    pub text: &'a str,
    /// Who wrote it: `document` and `tool` mark untrusted third-party content.
    pub role: Role,
    pub direction: Direction,
    /// `rampart_text::normalize(text)`: folded text, decoded views, offset map, report.
    pub normalized: &'a Normalized,
}

impl<'a> Input<'a> {
    pub fn new(text: &'a str, role: Role, normalized: &'a Normalized) -> Self {
        Input {
            text,
            role,
            direction: Direction::of(role),
            normalized,
        }
    }
}

/// A check over one text. Detectors are stateless after construction, cheap to call, and safe
/// to share across threads.
pub trait Detector: Send + Sync {
    /// Stable id, used in findings (`pii`, `secrets`, `malformed`, …).
    fn id(&self) -> &str;

    /// Inspects one text. Findings carry spans into `input.text` where the detector can say.
    fn detect(&self, input: &Input<'_>) -> Vec<Finding>;

    /// Like [`Detector::detect`], for detectors that can fail (a model that errors). The guard
    /// applies the policy's fail mode to errors: closed blocks, open allows and records them.
    fn try_detect(&self, input: &Input<'_>) -> Result<Vec<Finding>, String> {
        Ok(self.detect(input))
    }
}

/// Which detectors a [`Guard`](crate::Guard) runs, and their settings: the `[detectors]` table
/// of a policy file.
///
/// ```toml
/// [detectors]
/// canaries = ["rampart-canary-5f2c0a9e1b7d4c38"]
/// [detectors.malformed]
/// max_chars = 20000
/// [[detectors.word_filters]]
/// name = "competitors"
/// words = ["AcmeCorp", "Globex"]
/// [[detectors.denied_topics]]
/// name = "investment advice"
/// description = "Recommendations about which stocks, funds or cryptocurrencies to buy or sell"
/// examples = ["Should I buy Tesla shares now?"]
/// ```
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectorsConfig {
    pub classifier: ClassifierConfig,
    pub pii: PiiConfig,
    pub malformed: crate::malformed::MalformedConfig,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub word_filters: Vec<crate::words::WordList>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub denied_topics: Vec<crate::topics::DeniedTopic>,
    /// Canary tokens placed in system prompts; a reply containing one is a leak.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub canaries: Vec<String>,
    /// System prompts whose text must not appear in replies (those in the conversation are
    /// checked automatically).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub system_prompts: Vec<String>,
}

/// `[detectors.classifier]`: rampart's trained prompt-attack and harm classifiers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassifierConfig {
    pub enabled: bool,
    /// A model file from `rampart guard train`; default: the weights embedded in rampart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_path: Option<std::path::PathBuf>,
    /// Whether uncertain prompts escalate to the semantic tier (`auto`: when the
    /// all-MiniLM-L6-v2 encoder is installed).
    pub semantic: crate::classifier::SemanticMode,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            enabled: true,
            model_path: None,
            semantic: Default::default(),
        }
    }
}

/// `[detectors.pii]`: PII and secrets recognisers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PiiConfig {
    pub enabled: bool,
}

impl Default for PiiConfig {
    fn default() -> Self {
        PiiConfig { enabled: true }
    }
}
