//! Findings: what a detector saw in a piece of text.

use serde::{Deserialize, Serialize};

use crate::Category;

/// A byte range `[start, end)` into the text a detector inspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end, "span start {start} after end {end}");
        Span { start, end }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Whether the two spans share at least one byte.
    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// One observation by a detector: a risk category with a score in `0..=1`, optionally located
/// in the text, attributed to the detector that produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub category: Category,
    /// Probability-like score in `0..=1` (calibrated where the detector says so).
    pub score: f32,
    /// Where in the inspected text, if the detector can say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// Stable id of the detector, e.g. `pii.email` or `classifier.prompt_attack@1`.
    pub detector: String,
    /// Short human explanation (never the raw sensitive text itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Finding {
    /// A finding with the score clamped to `0..=1` (NaN becomes 0).
    pub fn new(category: Category, score: f32, detector: impl Into<String>) -> Self {
        let score = if score.is_nan() {
            0.0
        } else {
            score.clamp(0.0, 1.0)
        };
        Finding {
            category,
            score,
            span: None,
            detector: detector.into(),
            detail: None,
        }
    }

    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_clamped() {
        assert_eq!(Finding::new(Category::Hate, 1.7, "t").score, 1.0);
        assert_eq!(Finding::new(Category::Hate, -0.2, "t").score, 0.0);
        assert_eq!(Finding::new(Category::Hate, f32::NAN, "t").score, 0.0);
    }

    #[test]
    fn spans_overlap() {
        let a = Span::new(0, 5);
        assert!(a.overlaps(&Span::new(4, 9)));
        assert!(!a.overlaps(&Span::new(5, 9)));
        assert_eq!(a.len(), 5);
    }

    #[test]
    fn finding_serialises_with_category_id() {
        let f = Finding::new(Category::Secrets, 0.9, "secrets.prefix").with_span(Span::new(3, 10));
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["category"], "secrets");
        assert_eq!(v["span"]["start"], 3);
        let back: Finding = serde_json::from_value(v).unwrap();
        assert_eq!(back, f);
    }
}
