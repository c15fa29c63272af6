//! Word filters: exact and fuzzy matching of operator-supplied word lists (aho-corasick).
//!
//! Matching runs on the original text and on the normalised text (confusables folded,
//! invisible characters removed), so `b\u{200B}adword` and `bаdword` (Cyrillic а) match `badword`;
//! spans found in the normalised text are mapped back to the original. Matching is
//! case-insensitive and, by default, on whole words only ("ass" does not fire in "class").

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use rampart_core::{Category, Finding, Span};
use serde::Deserialize;

use crate::{Detector, Input};

/// One `[[detectors.word_filters]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct WordList {
    /// Shown in findings, e.g. `competitors`.
    pub name: String,
    /// The category findings carry (default `denied_topic`).
    #[serde(default = "default_category")]
    pub category: Category,
    pub words: Vec<String>,
    /// Require word boundaries around a match (default true).
    #[serde(default = "yes")]
    pub whole_words: bool,
}

fn default_category() -> Category {
    Category::DeniedTopic
}

fn yes() -> bool {
    true
}

/// Matches several word lists in one pass.
#[derive(Debug, Clone)]
pub struct WordFilter {
    automaton: Option<AhoCorasick>,
    /// For each pattern: (list index, word).
    patterns: Vec<(usize, String)>,
    lists: Vec<WordList>,
}

pub const DETECTOR_ID: &str = "word_filter";

impl WordFilter {
    /// Builds the automaton; empty words are ignored.
    pub fn new(lists: Vec<WordList>) -> Self {
        let mut patterns = Vec::new();
        for (i, list) in lists.iter().enumerate() {
            for w in &list.words {
                let w = w.trim();
                if !w.is_empty() {
                    // Patterns are folded like the text they are matched against.
                    patterns.push((i, rampart_text::normalize(w).text.to_lowercase()));
                }
            }
        }
        let automaton = (!patterns.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(patterns.iter().map(|(_, w)| w.as_str()))
                .expect("word patterns are plain strings")
        });
        WordFilter {
            automaton,
            patterns,
            lists,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.automaton.is_none()
    }

    /// Matches in `haystack` as (pattern index, byte range).
    fn matches(&self, haystack: &str) -> Vec<(usize, std::ops::Range<usize>)> {
        let Some(ac) = &self.automaton else {
            return Vec::new();
        };
        let lower = haystack.to_lowercase();
        // Lower-casing can change byte lengths outside ASCII; only use it when it does not.
        let target = if lower.len() == haystack.len() {
            lower.as_str()
        } else {
            haystack
        };
        ac.find_iter(target)
            .filter(|m| {
                let (list, _) = &self.patterns[m.pattern().as_usize()];
                !self.lists[*list].whole_words || is_whole_word(target, m.start(), m.end())
            })
            .map(|m| (m.pattern().as_usize(), m.start()..m.end()))
            .collect()
    }
}

fn is_whole_word(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

impl Detector for WordFilter {
    fn id(&self) -> &str {
        DETECTOR_ID
    }

    fn detect(&self, input: &Input<'_>) -> Vec<Finding> {
        let mut spans: Vec<(usize, Span)> = Vec::new();
        for (p, r) in self.matches(input.text) {
            spans.push((p, Span::new(r.start, r.end)));
        }
        if input.normalized.text != input.text {
            for (p, r) in self.matches(&input.normalized.text) {
                let o = input.normalized.original_span(r);
                spans.push((p, Span::new(o.start, o.end)));
            }
        }
        spans.sort_by_key(|(_, s)| (s.start, s.end));
        spans.dedup_by(|a, b| a.1.overlaps(&b.1));
        spans
            .into_iter()
            .map(|(p, span)| {
                let (list, word) = &self.patterns[p];
                let list = &self.lists[*list];
                Finding::new(list.category, 1.0, DETECTOR_ID)
                    .with_span(span)
                    .with_detail(format!("word list `{}`: `{word}`", list.name))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::Role;

    fn filter() -> WordFilter {
        WordFilter::new(vec![WordList {
            name: "competitors".into(),
            category: Category::DeniedTopic,
            words: vec!["AcmeCorp".into(), "globex".into(), "ass".into()],
            whole_words: true,
        }])
    }

    fn detect(text: &str) -> Vec<Finding> {
        let n = rampart_text::normalize(text);
        filter().detect(&Input::new(text, Role::User, &n))
    }

    #[test]
    fn matches_case_insensitively_on_word_boundaries() {
        let f = detect("Is acmecorp better than Globex?");
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].span, Some(Span::new(3, 11)));
        assert!(detect("The class assembled.").is_empty());
    }

    #[test]
    fn sees_through_invisible_characters_and_homoglyphs() {
        let text = "try glob\u{200B}ex or Асmecorp"; // zero-width space; Cyrillic А and с
        let f = detect(text);
        assert_eq!(f.len(), 2, "{f:?}");
        let s = f[0].span.unwrap();
        assert_eq!(&text[s.start..s.end], "glob\u{200B}ex");
    }

    #[test]
    fn empty_filter_finds_nothing() {
        let f = WordFilter::new(vec![]);
        assert!(f.is_empty());
        let n = rampart_text::normalize("anything");
        assert!(f.detect(&Input::new("anything", Role::User, &n)).is_empty());
    }
}
