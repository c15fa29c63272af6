//! Judges: what decides whether a reply is a refusal, harmful, toxic, on-label, …
//!
//! A [`Judge`] reads an [`Item`] and the target's reply and returns a
//! [`Verdict`](rampart_core::Verdict): a label (with an optional score and a reason) or an
//! explicit `Unscorable`. A judge that *fails* (its own model unreachable) returns an error
//! instead, which is never cached, so a resumed run asks again. Every judge has an id and a
//! version that are stored with each verdict; changing a judge's behaviour means bumping its
//! version, which invalidates the cached verdicts of the old one.

mod bold;
mod classifier;
mod invite;
mod refusal;
pub mod refusal_model;
mod rubric;
mod slang;
mod tasks;

use std::sync::Arc;

use rampart_core::Verdict;
use serde::{Deserialize, Serialize};

pub use bold::{
    GenderPolarityJudge, SentimentJudge, VADER_SCORER, VADER_SETUP_HINT, gender_polarity,
    installed_vader,
};
pub use classifier::{HarmJudge, ToxicityJudge};
pub use invite::{PRESUPPOSITION_AGREEMENT, PresuppositionJudge, presupposition_cue};
pub use refusal::{RefusalJudge, RefusalLabel};
pub use refusal_model::LearnedRefusalJudge;
pub use rubric::{RubricJudge, parse_rubric_reply};
pub use slang::{SlangJudge, extract_yes_no};
pub use tasks::{
    BbqJudge, FEVER_LABELS, FeverJudge, InjectionApiJudge, MisgenderingJudge, PRONOUN_FAMILIES,
    api_calls, extract_bbq_answer, extract_fever_label, pronouns,
};

use crate::{EvalError, Item};

/// What a judge reads besides the item: the reply's text and how generation ended.
#[derive(Debug, Clone, Copy)]
pub struct Reply<'a> {
    pub text: &'a str,
    /// The target (or a guard in front of it) filtered the content.
    pub content_filtered: bool,
}

/// Scores a (prompt, reply) pair. See the module docs.
#[async_trait::async_trait]
pub trait Judge: Send + Sync {
    /// Stable id, e.g. `refusal`, `harm`, `rubric:harmbench`.
    fn id(&self) -> &str;
    /// Version of the judge's behaviour (rules, thresholds, prompt hash).
    fn version(&self) -> &str;
    /// What kind of verdict this judge gives; the metrics use the refusal-kind judge to decide
    /// adherence and false refusal.
    fn kind(&self) -> JudgeKind {
        JudgeKind::Other
    }
    /// Judges one reply. `Err` means the judge itself failed (not cached; retried on resume).
    async fn judge(&self, item: &Item, reply: Reply<'_>) -> Result<Verdict, EvalError>;
}

/// What a judge's labels mean to the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JudgeKind {
    /// Labels `full_compliance`, `partial_refusal`, `full_refusal`.
    Refusal,
    Other,
}

/// A judge's identity as recorded in reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgeInfo {
    pub id: String,
    pub version: String,
    pub kind: JudgeKind,
    /// Measured agreement with human labels, when known (e.g. the refusal judge on XSTest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub human_agreement: Option<String>,
}

impl JudgeInfo {
    pub fn of(judge: &dyn Judge) -> Self {
        JudgeInfo {
            id: judge.id().to_string(),
            version: judge.version().to_string(),
            kind: judge.kind(),
            human_agreement: match judge.id() {
                "refusal" if judge.version().starts_with("rules") => {
                    Some(refusal::MEASURED_AGREEMENT.to_string())
                }
                "refusal" => Some(refusal_model::MEASURED_AGREEMENT.to_string()),
                "presupposition" => Some(invite::PRESUPPOSITION_AGREEMENT.to_string()),
                _ => None,
            },
        }
    }
}

/// Builds the built-in judges by id (`refusal` — the learned judge — or `refusal:rules` — the
/// rules; both record id `refusal`, with versions `lr-1.…` and `rules-1` —, `harm`, `toxicity`, `gender_polarity`,
/// `fever_label`, `bbq_answer`, `misgendering`, `misgendering_first`, `injection_api_call`,
/// `presupposition`, `slang`, and `sentiment:vader-3.3.2` when VADER's lexicons are installed).
/// `rubric` judges need a model and are built with [`RubricJudge::new`].
pub fn builtin(
    id: &str,
    guard: Option<&Arc<rampart_guard::Guard>>,
) -> Result<Arc<dyn Judge>, EvalError> {
    let guard = || -> Result<Arc<rampart_guard::Guard>, EvalError> {
        match guard {
            Some(g) => Ok(g.clone()),
            None => rampart_guard::Guard::with_default_policy()
                .map(Arc::new)
                .map_err(|e| EvalError::Invalid(format!("cannot build the guard classifier: {e}"))),
        }
    };
    Ok(match id {
        "refusal" => Arc::new(LearnedRefusalJudge::new()),
        "refusal:rules" => Arc::new(RefusalJudge::new()),
        "harm" => Arc::new(HarmJudge::new(guard()?)),
        "toxicity" => Arc::new(ToxicityJudge::new(guard()?)),
        "gender_polarity" => Arc::new(GenderPolarityJudge::new()),
        "fever_label" => Arc::new(FeverJudge),
        "bbq_answer" => Arc::new(BbqJudge),
        "misgendering" => Arc::new(MisgenderingJudge::any()),
        "misgendering_first" => Arc::new(MisgenderingJudge::first()),
        "injection_api_call" => Arc::new(InjectionApiJudge),
        "presupposition" => Arc::new(PresuppositionJudge),
        "slang" => Arc::new(SlangJudge),
        "sentiment:vader-3.3.2" | "sentiment:vader" | "vader" => Arc::new(SentimentJudge::vader(
            Arc::new(installed_vader().map_err(EvalError::Invalid)?),
        )),
        other => return Err(EvalError::UnknownJudge(other.to_string())),
    })
}

/// Whether a refusal judge can score this reply (it is not empty).
pub fn refusal_is_scorable(reply: &str) -> bool {
    refusal::classify(reply).is_some()
}

/// The default (learned) refusal judge's measured held-out agreement with human labels, for
/// listings and reports.
pub fn refusal_agreement() -> &'static str {
    refusal_model::MEASURED_AGREEMENT
}

/// The rule-based refusal judge's (`refusal:rules`) measured agreement with human labels.
pub fn refusal_rules_agreement() -> &'static str {
    refusal::MEASURED_AGREEMENT
}
