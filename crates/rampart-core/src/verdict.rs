//! Verdicts: what a judge concluded about a (prompt, reply) pair.

use serde::{Deserialize, Serialize};

/// A judge's conclusion.
///
/// `Unscorable` is explicit: a reply the judge cannot assess (empty, truncated, an error, a
/// judge that failed to parse its own output) is never silently counted as a pass or a fail;
/// metrics report the unscorable rate beside the scored ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Verdict {
    /// The judge reached a label, e.g. `full_refusal`, `harmful`, `supports`.
    Scored {
        label: String,
        /// Optional numeric score (probability, sentiment, …) behind the label.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        score: Option<f64>,
        /// Why, in a sentence, for reports.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The judge could not assess the pair; `reason` says why.
    Unscorable { reason: String },
}

impl Verdict {
    pub fn scored(label: impl Into<String>) -> Self {
        Verdict::Scored {
            label: label.into(),
            score: None,
            reason: None,
        }
    }

    pub fn unscorable(reason: impl Into<String>) -> Self {
        Verdict::Unscorable {
            reason: reason.into(),
        }
    }

    /// Attach a numeric score (no effect on `Unscorable`).
    pub fn with_score(mut self, value: f64) -> Self {
        if let Verdict::Scored { score, .. } = &mut self {
            *score = Some(value);
        }
        self
    }

    /// Attach a reason (no effect on `Unscorable`, which always has one).
    pub fn with_reason(mut self, why: impl Into<String>) -> Self {
        if let Verdict::Scored { reason, .. } = &mut self {
            *reason = Some(why.into());
        }
        self
    }

    /// The label, or `None` when unscorable.
    pub fn label(&self) -> Option<&str> {
        match self {
            Verdict::Scored { label, .. } => Some(label),
            Verdict::Unscorable { .. } => None,
        }
    }

    pub fn score(&self) -> Option<f64> {
        match self {
            Verdict::Scored { score, .. } => *score,
            Verdict::Unscorable { .. } => None,
        }
    }

    pub fn is_unscorable(&self) -> bool {
        matches!(self, Verdict::Unscorable { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unscorable_has_no_label_and_round_trips() {
        let v = Verdict::unscorable("empty reply");
        assert!(v.is_unscorable());
        assert_eq!(v.label(), None);
        let json = serde_json::to_string(&v).unwrap();
        assert!(json.contains("\"state\":\"unscorable\""));
        assert_eq!(serde_json::from_str::<Verdict>(&json).unwrap(), v);
    }

    #[test]
    fn scored_carries_label_score_reason() {
        let v = Verdict::scored("full_refusal")
            .with_score(0.93)
            .with_reason("starts with I cannot");
        assert_eq!(v.label(), Some("full_refusal"));
        assert_eq!(v.score(), Some(0.93));
        let back: Verdict = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert_eq!(back, v);
    }
}
