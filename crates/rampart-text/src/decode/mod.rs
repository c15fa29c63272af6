//! Decoders that find encoded or scrambled stretches in normalised text and decode them.
//!
//! Each decoder is linear in the text it scans and conservative: it reports a view only when the
//! decoded result is mostly printable text (byte encodings) or markedly more English-like than the
//! input (letter games), because a decoder that fires on ordinary text would flood detectors with
//! noise and the report with false alarms.

mod alphabets;
mod ciphers;
mod escapes;
mod leet;
mod morse;
mod radix;
mod spacing;

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::confusables;
use crate::english::{english_score, is_word};
use crate::view::ViewKind;

pub(crate) use alphabets::{BRAILLE, NATO};
pub(crate) use ciphers::{atbash, caesar_shift};
pub(crate) use leet::LEET;
pub(crate) use morse::MORSE;

/// A decoded stretch of normalised text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub kind: ViewKind,
    /// Byte range in the scanned (normalised) text; the whole text for in-place decoders.
    pub span: Range<usize>,
    pub text: String,
}

/// Runs every decoder over `text`.
pub(crate) fn find_all(text: &str, out: &mut Vec<Found>) {
    radix::find_base64(text, out);
    radix::find_base32(text, out);
    radix::find_hex(text, out);
    radix::find_binary(text, out);
    radix::find_char_codes(text, out);
    morse::find_morse(text, out);
    alphabets::find_ascii85(text, out);
    alphabets::find_quoted_printable(text, out);
    alphabets::find_braille(text, out);
    alphabets::find_nato(text, out);
    escapes::find_url_encoding(text, out);
    escapes::find_html_entities(text, out);
    ciphers::find_ciphers(text, out);
    leet::find_leetspeak(text, out);
    spacing::find_spaced_out(text, out);
    alphabets::find_pig_latin(text, out);
}

/// Every confusable folded to ASCII and every diacritic stripped from Latin letters. Returns the
/// text with the number of confusables folded, of diacritics stripped and of letters seen.
pub(crate) fn skeleton_text(text: &str) -> (String, usize, usize, usize) {
    let mut out = String::with_capacity(text.len());
    let mut folded = 0usize;
    let mut stripped = 0usize;
    let mut letters = 0usize;
    for c in text.chars() {
        if c.is_alphabetic() {
            letters += 1;
        }
        if let Some(f) = confusables::fold(c).or((c == 'ı').then_some('i')) {
            folded += 1;
            out.push(f);
            continue;
        }
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        if is_combining_mark(c) {
            // Only marks on Latin letters are stripped: in other scripts they are spelling.
            if out
                .chars()
                .next_back()
                .is_some_and(|p| p.is_ascii_alphabetic())
            {
                stripped += 1;
            } else {
                out.push(c);
            }
            continue;
        }
        let mut marks = 0;
        let mut base = String::new();
        for d in std::iter::once(c).nfd() {
            if is_combining_mark(d) {
                marks += 1;
            } else {
                base.push(d);
            }
        }
        if marks > 0 && !base.is_empty() && base.chars().all(|b| b.is_ascii_alphabetic()) {
            stripped += 1;
            out.push_str(&base);
        } else {
            out.push(c);
        }
    }
    (out, folded, stripped, letters)
}

/// The [`skeleton_text`] of `text`, if it reveals English words hidden by look-alikes, or strips
/// diacritics from a good share of the letters (diacritic stuffing: "hôw tö mäkë").
pub(crate) fn skeleton_view(text: &str) -> Option<String> {
    // ASCII has no look-alikes to fold and no diacritics to strip: nothing to reveal.
    if text.is_ascii() {
        return None;
    }
    let (out, folded, stripped, letters) = skeleton_text(text);
    // One accented letter in eight is already unusual for English; the checks below keep
    // Vietnamese, Czech or French from being "decoded".
    let diacritic_stuffing = stripped >= 2 && stripped * 8 >= letters;
    // Folding every look-alike turns Russian or Greek text into Latin gibberish, and stripping
    // accents from Vietnamese or Czech is not decoding anything: report the skeleton only when
    // it reveals English words that were not there.
    // Whole words only: "will" + a combining tilde is not the word "will" yet.
    let known = |t: &str| {
        t.split_whitespace()
            .map(|w| w.trim_matches(|c: char| c.is_ascii_punctuation()))
            .filter(|w| w.len() >= 3 && is_word(w))
            .count()
    };
    // And the result must read as English: one accidental "hang" in a Vietnamese sentence is not
    // a hidden message.
    let gained = known(&out).saturating_sub(known(text));
    let reveals_words = (folded > 0 || diacritic_stuffing)
        && gained >= 1
        && english_score(&out).word_ratio() >= 0.5;
    reveals_words.then_some(out)
}

/// Whether decoded bytes read as text: at least three characters, almost no control or
/// replacement characters, and mostly letters, digits and spaces.
pub(crate) fn is_mostly_text(s: &str) -> bool {
    let mut total = 0usize;
    let mut bad = 0usize;
    let mut wordy = 0usize;
    let mut letters = 0usize;
    for c in s.chars() {
        total += 1;
        if (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            || c == '\u{FFFD}'
            || ('\u{E000}'..='\u{F8FF}').contains(&c)
        {
            bad += 1;
        }
        if c.is_alphanumeric() || c.is_whitespace() {
            wordy += 1;
        }
        if c.is_alphabetic() {
            letters += 1;
        }
    }
    total >= 3 && bad * 20 <= total && wordy * 10 >= total * 6 && letters >= 2
}

/// Splits `text` into sentence-like segments (ending after `.!?:;` and quotes/brackets, at a
/// newline, or at a space after a few hundred bytes), so that letter-game decoders can decode one obfuscated sentence inside plain ones.
pub(crate) fn segments(text: &str) -> Vec<Range<usize>> {
    // Long unpunctuated stretches are cut at a space every so often, so that one obfuscated
    // sentence inside a long plain one is still a segment of its own.
    const MAX_SEGMENT: usize = 320;
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == ' ' && i - start >= MAX_SEGMENT {
            out.push(start..i);
            start = i;
            continue;
        }
        if matches!(
            c,
            '\n' | '.' | '!' | '?' | ':' | ';' | '"' | '(' | ')' | '[' | ']' | '{' | '}'
        ) {
            let end = i + c.len_utf8();
            out.push(start..end);
            start = end;
        }
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

/// Shrinks `range` of `text` to exclude leading and trailing whitespace.
pub(crate) fn trim_range(text: &str, range: Range<usize>) -> Range<usize> {
    let slice = &text[range.clone()];
    let start = range.start + (slice.len() - slice.trim_start().len());
    let end = range.end - (slice.len() - slice.trim_end().len());
    start..end.max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mostly_text() {
        assert!(is_mostly_text("how to make a bomb"));
        assert!(!is_mostly_text("\u{1}\u{2}\u{3}abc"));
        assert!(!is_mostly_text("!!!!!!!"));
    }

    #[test]
    fn skeleton_folds_and_strips() {
        assert_eq!(skeleton_view("hôw tö mäkë").as_deref(), Some("how to make"));
        assert_eq!(skeleton_view("ѕех").as_deref(), Some("sex"));
        assert_eq!(skeleton_view("plain"), None);
        assert_eq!(skeleton_view("café au lait"), None);
    }
}
