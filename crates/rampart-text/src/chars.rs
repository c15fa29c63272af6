//! Classification of characters that change what a model reads without changing what a person sees:
//! zero-width characters, bidirectional controls, Unicode tag characters, variation selectors, other
//! format characters and C0/C1 controls.
//!
//! The normaliser removes every one of them from the visible text and counts them; tag characters
//! and variation selectors are also decoded, because both can smuggle whole ASCII or byte strings
//! that a tokenizer still sees.

use serde::{Deserialize, Serialize};

/// Why a character (or byte sequence) was removed from the normalised text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvisibleKind {
    /// Zero-width space/joiners, word joiner, BOM, soft hyphen, Hangul fillers and similar blanks.
    ZeroWidth,
    /// A zero-width joiner between two pictographs, or an emoji presentation selector: part of an
    /// ordinary emoji sequence. Removed, but benign.
    EmojiSequence,
    /// Bidirectional marks, embeddings, overrides and isolates (Trojan Source).
    Bidi,
    /// Unicode tag characters (U+E0000..U+E007F): invisible ASCII ("ASCII smuggling").
    Tag,
    /// Variation selectors (U+FE00..U+FE0F, U+E0100..U+E01EF, Mongolian FVS): can smuggle bytes.
    VariationSelector,
    /// Other invisible format characters (interlinear annotation, deprecated format controls ...).
    Format,
    /// C0/C1 control characters other than tab, line feed and carriage return.
    Control,
    /// An ANSI escape sequence (ESC `[` ... final byte): terminal control smuggled in text.
    AnsiEscape,
    /// A byte sequence that is not UTF-8 (only from [`crate::Normalizer::normalize_bytes`]).
    InvalidUtf8,
}

/// Classifies `c` as an invisible character to remove, or `None` to keep it.
///
/// Tab, LF and CR are kept: they carry layout that detectors and the spaced-out decoder rely on.
pub fn classify(c: char) -> Option<InvisibleKind> {
    use InvisibleKind::*;
    let kind = match c {
        '\t' | '\n' | '\r' => return None,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}' => ZeroWidth,
        // Soft hyphen, combining grapheme joiner, Hangul fillers, Khmer inherent vowels, braille
        // blank: all render as nothing (or as blank) and are used to split words invisibly.
        '\u{00AD}' | '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' => ZeroWidth,
        '\u{17B4}' | '\u{17B5}' => ZeroWidth,
        '\u{2061}'..='\u{2064}' => ZeroWidth,
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => Bidi,
        '\u{E0000}'..='\u{E007F}' => Tag,
        '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' => VariationSelector,
        '\u{180B}'..='\u{180D}' | '\u{180F}' => VariationSelector,
        '\u{206A}'..='\u{206F}' | '\u{FFF9}'..='\u{FFFB}' => Format,
        '\u{1D173}'..='\u{1D17A}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{13430}'..='\u{1343F}' => Format,
        c if c.is_control() => Control,
        _ => return None,
    };
    Some(kind)
}

/// The ASCII character a Unicode tag character stands for (U+E0020..U+E007E), if any.
pub fn tag_to_ascii(c: char) -> Option<char> {
    match c {
        '\u{E0020}'..='\u{E007E}' => char::from_u32(c as u32 - 0xE0000),
        _ => None,
    }
}

/// The byte a variation selector encodes in variation-selector smuggling (VS1..VS16 are 0..15,
/// VS17..VS256 are 16..255), if `c` is one.
pub fn variation_selector_to_byte(c: char) -> Option<u8> {
    match c {
        '\u{FE00}'..='\u{FE0F}' => Some((c as u32 - 0xFE00) as u8),
        '\u{E0100}'..='\u{E01EF}' => Some((c as u32 - 0xE0100 + 16) as u8),
        _ => None,
    }
}

/// Whether `c` is a pictograph (emoji and symbol blocks), for telling an emoji ZWJ sequence from
/// a zero-width joiner hidden inside a word.
pub fn is_pictographic(c: char) -> bool {
    matches!(c,
        '\u{2190}'..='\u{21FF}' | '\u{2300}'..='\u{23FF}' | '\u{2600}'..='\u{27BF}'
        | '\u{2B00}'..='\u{2BFF}' | '\u{1F000}'..='\u{1FAFF}'
        | '\u{FE0F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_usual_suspects() {
        assert_eq!(classify('\u{200B}'), Some(InvisibleKind::ZeroWidth));
        assert_eq!(classify('\u{202E}'), Some(InvisibleKind::Bidi));
        assert_eq!(classify('\u{E0041}'), Some(InvisibleKind::Tag));
        assert_eq!(classify('\u{FE0F}'), Some(InvisibleKind::VariationSelector));
        assert_eq!(classify('\u{7}'), Some(InvisibleKind::Control));
        assert_eq!(classify('\n'), None);
        assert_eq!(classify('a'), None);
        assert_eq!(classify('é'), None);
    }

    #[test]
    fn decodes_tags_and_selectors() {
        assert_eq!(tag_to_ascii('\u{E0041}'), Some('A'));
        assert_eq!(tag_to_ascii('\u{E0001}'), None);
        assert_eq!(variation_selector_to_byte('\u{FE00}'), Some(0));
        assert_eq!(variation_selector_to_byte('\u{E0100}'), Some(16));
        assert_eq!(variation_selector_to_byte('\u{E01EF}'), Some(255));
    }
}
