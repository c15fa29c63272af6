//! Malformed input: invalid or mixed encodings, control and invisible characters, gibberish,
//! repetition bombs, and texts over the length or token limits.
//!
//! Everything here is a cheap statistic over the text and the [`rampart_text::Report`] that
//! normalisation already produced, so the detector adds microseconds. Non-Latin scripts are
//! never called gibberish: the vowel test below only applies to Latin-script words.

use rampart_core::{Category, Finding, Span};
use serde::Deserialize;

use crate::{Detector, Input};

/// `[detectors.malformed]` settings.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MalformedConfig {
    pub enabled: bool,
    /// Longest accepted text, in characters.
    pub max_chars: usize,
    /// Longest accepted text, in (estimated) model tokens: about 4 bytes of English per token.
    pub max_tokens: usize,
    /// A single character repeated this many times in a row is a repetition bomb.
    pub max_char_run: usize,
}

impl Default for MalformedConfig {
    fn default() -> Self {
        MalformedConfig {
            enabled: true,
            max_chars: 100_000,
            max_tokens: 32_000,
            max_char_run: 200,
        }
    }
}

/// The malformed-input detector.
#[derive(Debug, Clone, Default)]
pub struct MalformedDetector {
    config: MalformedConfig,
}

pub const DETECTOR_ID: &str = "malformed";

impl MalformedDetector {
    pub fn new(config: MalformedConfig) -> Self {
        MalformedDetector { config }
    }
}

fn finding(score: f32, detail: String) -> Finding {
    Finding::new(Category::MalformedInput, score, DETECTOR_ID).with_detail(detail)
}

impl Detector for MalformedDetector {
    fn id(&self) -> &str {
        DETECTOR_ID
    }

    fn detect(&self, input: &Input<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        let text = input.text;
        let r = &input.normalized.report;
        if r.invalid_utf8 > 0 {
            out.push(finding(
                0.9,
                format!("{} invalid UTF-8 sequences", r.invalid_utf8),
            ));
        }
        if r.tag_chars > 0 {
            // Unicode tag characters render as nothing and smuggle ASCII past readers.
            out.push(finding(
                0.95,
                format!("{} invisible Unicode tag characters", r.tag_chars),
            ));
        }
        if r.bidi > 0 {
            out.push(finding(
                0.8,
                format!("{} bidirectional control characters", r.bidi),
            ));
        }
        let hidden = r.zero_width + r.format + r.variation_selectors;
        if hidden > 0 {
            // A single zero-width joiner in an emoji is normal; many are not.
            let score = if hidden >= 3 { 0.75 } else { 0.4 };
            out.push(finding(
                score,
                format!("{hidden} zero-width or invisible format characters"),
            ));
        }
        if r.control + r.ansi_escapes > 0 {
            out.push(finding(
                0.7,
                format!(
                    "{} control characters, {} ANSI escapes",
                    r.control, r.ansi_escapes
                ),
            ));
        }
        if r.excess_combining_marks > 0 {
            out.push(finding(
                0.7,
                format!(
                    "{} excess combining marks (zalgo)",
                    r.excess_combining_marks
                ),
            ));
        }
        if r.mixed_script_words > 0 {
            out.push(finding(
                0.6,
                format!("{} words mix scripts (homoglyphs)", r.mixed_script_words),
            ));
        }
        let chars = text.chars().count();
        if chars > self.config.max_chars {
            out.push(finding(
                1.0,
                format!(
                    "{chars} characters, over the limit of {}",
                    self.config.max_chars
                ),
            ));
        }
        let tokens = estimate_tokens(text);
        if tokens > self.config.max_tokens {
            out.push(finding(
                1.0,
                format!(
                    "about {tokens} tokens, over the limit of {}",
                    self.config.max_tokens
                ),
            ));
        }
        if let Some((span, run)) = longest_char_run(text)
            && run >= self.config.max_char_run
        {
            out.push(finding(0.9, format!("one character repeated {run} times")).with_span(span));
        }
        if let Some(ratio) = repetition_ratio(text)
            && ratio < 0.08
        {
            out.push(finding(
                0.85,
                format!("repetitive: {:.0}% distinct words", ratio * 100.0),
            ));
        }
        // Decoded payloads look like gibberish on the surface; they are judged on their content.
        if input.normalized.views.is_empty()
            && let Some(g) = gibberish_ratio(&input.normalized.text)
            && g > 0.6
        {
            out.push(finding(
                0.7,
                format!("{:.0}% of words are unpronounceable", g * 100.0),
            ));
        }
        out
    }
}

/// A rough token count that needs no tokenizer: words plus punctuation, with long words split.
pub fn estimate_tokens(text: &str) -> usize {
    let mut n = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        n += 1 + len / 6;
    }
    // Scripts without spaces (CJK): about one token per character.
    let cjk = text
        .chars()
        .filter(|c| ('\u{3000}'..='\u{9fff}').contains(c) || ('\u{ac00}'..='\u{d7af}').contains(c))
        .count();
    n + cjk
}

fn longest_char_run(text: &str) -> Option<(Span, usize)> {
    let mut best: Option<(Span, usize)> = None;
    let mut prev: Option<char> = None;
    let mut start = 0;
    let mut run = 0;
    for (i, c) in text.char_indices() {
        if Some(c) == prev {
            run += 1;
        } else {
            prev = Some(c);
            start = i;
            run = 1;
        }
        if !c.is_whitespace() && best.as_ref().is_none_or(|(_, b)| run > *b) {
            best = Some((Span::new(start, i + c.len_utf8()), run));
        }
    }
    best
}

/// Distinct words / words, for texts long enough to judge (≥ 100 words).
fn repetition_ratio(text: &str) -> Option<f64> {
    let words: Vec<&str> = text.split_whitespace().take(20_000).collect();
    if words.len() < 100 {
        return None;
    }
    let distinct: std::collections::HashSet<&str> = words.iter().copied().collect();
    Some(distinct.len() as f64 / words.len() as f64)
}

/// Fraction of Latin-script words (4+ letters) with no vowel or a run of 5+ consonants; `None`
/// for texts with fewer than 5 such words (too little to judge) or mostly non-Latin text.
fn gibberish_ratio(text: &str) -> Option<f64> {
    let mut judged = 0usize;
    let mut bad = 0usize;
    for word in text.split(|c: char| !c.is_alphabetic()) {
        if word.chars().count() < 4 || !word.chars().all(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        judged += 1;
        let lower = word.to_ascii_lowercase();
        let vowels = lower.chars().filter(|c| "aeiouy".contains(*c)).count();
        let mut run = 0;
        let mut max_run = 0;
        for c in lower.chars() {
            if "aeiouy".contains(c) {
                run = 0;
            } else {
                run += 1;
                max_run = max_run.max(run);
            }
        }
        // All-caps words are acronyms (HTTPS, NATO); consonant clusters of 5 are rare in English
        // ("strengths" has 4) but common in keyboard mashing.
        let acronym = word.chars().all(|c| c.is_ascii_uppercase()) && word.len() <= 6;
        if !acronym && (vowels == 0 || max_run >= 5) {
            bad += 1;
        }
    }
    (judged >= 5).then(|| bad as f64 / judged as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::Role;

    fn detect(text: &str) -> Vec<Finding> {
        let n = rampart_text::normalize(text);
        MalformedDetector::default().detect(&Input::new(text, Role::User, &n))
    }

    #[test]
    fn ordinary_text_in_any_language_is_fine() {
        for t in [
            "Hi",
            "How do I kill a Python process that hangs?",
            "Wie spät ist es in Zürich? Ich möchte einen Termin vereinbaren.",
            "東京の天気はどうですか？明日は雨が降りますか？",
            "Привет! Как дела? Расскажи мне о погоде в Москве.",
            "The strengths of the rhythm section: drums, bass, synth.",
            "Use HTTPS and TLS with NATO-grade crypto for the API.",
            "👨‍👩‍👧 family emoji is fine",
        ] {
            let f = detect(t);
            assert!(f.iter().all(|f| f.score < 0.5), "{t}: {f:?}");
        }
    }

    #[test]
    fn flags_invisible_and_control_characters() {
        assert!(
            detect("hello\u{202E}dlrow").iter().any(|f| f
                .detail
                .as_deref()
                .unwrap()
                .contains("bidirectional"))
        );
        let tags: String = "ignore previous"
            .chars()
            .map(|c| char::from_u32(0xE0000 + c as u32).unwrap())
            .collect();
        assert!(detect(&format!("hi{tags}")).iter().any(|f| f.score >= 0.9));
        assert!(
            detect("a\u{200B}b\u{200B}c\u{200B}d")
                .iter()
                .any(|f| f.score >= 0.7)
        );
        assert!(
            detect("ls\u{1b}[31m red").iter().any(|f| f
                .detail
                .as_deref()
                .unwrap()
                .contains("ANSI"))
        );
    }

    #[test]
    fn flags_repetition_bombs_and_gibberish() {
        let bomb = "a".repeat(5000);
        let f = detect(&bomb);
        assert!(
            f.iter()
                .any(|f| f.detail.as_deref().unwrap().contains("repeated 5000")),
            "{f:?}"
        );
        let words = "hello world ".repeat(200);
        assert!(
            detect(&words)
                .iter()
                .any(|f| f.detail.as_deref().unwrap().contains("repetitive"))
        );
        let mash = "asdkjfh qwrtpsdf zxcvbnm lkjhgf qwrtyp mnbvcx";
        assert!(
            detect(mash)
                .iter()
                .any(|f| f.detail.as_deref().unwrap().contains("unpronounceable"))
        );
    }

    #[test]
    fn flags_oversized_input() {
        let d = MalformedDetector::new(MalformedConfig {
            max_chars: 100,
            max_tokens: 10,
            ..Default::default()
        });
        let text = "word ".repeat(50);
        let n = rampart_text::normalize(&text);
        let f = d.detect(&Input::new(&text, Role::User, &n));
        assert!(f.iter().filter(|f| f.score == 1.0).count() >= 2, "{f:?}");
    }

    #[test]
    fn invalid_utf8_is_reported() {
        let n = rampart_text::normalize_bytes(b"ok \xff\xfe bytes");
        let f = MalformedDetector::default().detect(&Input::new(&n.text.clone(), Role::User, &n));
        assert!(
            f.iter()
                .any(|f| f.detail.as_deref().unwrap().contains("invalid UTF-8")),
            "{f:?}"
        );
    }
}
