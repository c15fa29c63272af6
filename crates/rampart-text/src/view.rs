//! Decoded views: what an obfuscated stretch of text says once decoded.

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// The decoder (or hidden channel) that produced a [`DecodedView`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewKind {
    /// ASCII smuggled in Unicode tag characters (U+E0020..U+E007E).
    TagChars,
    /// Bytes smuggled in variation selectors.
    VariationSelectors,
    /// Every confusable folded to ASCII and every diacritic stripped, whatever the context.
    Skeleton,
    /// Base64, standard or URL-safe alphabet, padded or not.
    Base64,
    /// Base32 (RFC 4648 alphabet).
    Base32,
    /// Hexadecimal bytes: contiguous, separated (`68 6f`), or prefixed (`\x68`, `0x68`).
    Hex,
    /// Eight-bit binary groups.
    Binary,
    /// Decimal character codes (`104 111 119`).
    CharCodes,
    /// Percent-encoding (`%68%6F%77`), decoded in place.
    UrlEncoding,
    /// HTML numeric and common named entities, decoded in place.
    HtmlEntities,
    /// International Morse code.
    Morse,
    /// Ascii85 (Adobe `<~...~>` or bare).
    Ascii85,
    /// Quoted-printable (`=68=6F`), decoded in place.
    QuotedPrintable,
    /// Grade-1 Braille letters, decoded in place.
    Braille,
    /// The NATO spelling alphabet ("Hotel Oscar Whiskey").
    Nato,
    /// Pig latin ("owhay otay"), decoded in place.
    PigLatin,
    /// ROT13.
    Rot13,
    /// A Caesar shift other than 13; `shift` is the shift that was applied to obfuscate.
    Caesar {
        /// Letters were shifted forward by this many places (1..=25, not 13).
        shift: u8,
    },
    /// Atbash (a <-> z, b <-> y ...).
    Atbash,
    /// Characters in reverse order.
    Reversed,
    /// Each word's characters in reverse order, words in place.
    ReversedWords,
    /// Words in reverse order, each word as it is (judged by common English word pairs).
    ReversedWordOrder,
    /// Leetspeak (`h0w t0 m4k3`), decoded in place.
    Leetspeak,
    /// Spaced-out or punctuation-separated letters (`h o w`, `h.o.w`), joined in place.
    SpacedOut,
}

impl ViewKind {
    /// A stable, snake_case name for logs and reports.
    pub fn name(&self) -> &'static str {
        match self {
            ViewKind::TagChars => "tag_chars",
            ViewKind::VariationSelectors => "variation_selectors",
            ViewKind::Skeleton => "skeleton",
            ViewKind::Base64 => "base64",
            ViewKind::Base32 => "base32",
            ViewKind::Hex => "hex",
            ViewKind::Binary => "binary",
            ViewKind::CharCodes => "char_codes",
            ViewKind::UrlEncoding => "url_encoding",
            ViewKind::HtmlEntities => "html_entities",
            ViewKind::Morse => "morse",
            ViewKind::Ascii85 => "ascii85",
            ViewKind::QuotedPrintable => "quoted_printable",
            ViewKind::Braille => "braille",
            ViewKind::Nato => "nato",
            ViewKind::PigLatin => "pig_latin",
            ViewKind::Rot13 => "rot13",
            ViewKind::Caesar { .. } => "caesar",
            ViewKind::Atbash => "atbash",
            ViewKind::Reversed => "reversed",
            ViewKind::ReversedWords => "reversed_words",
            ViewKind::ReversedWordOrder => "reversed_word_order",
            ViewKind::Leetspeak => "leetspeak",
            ViewKind::SpacedOut => "spaced_out",
        }
    }

    /// Whether the decoder rewrites the whole text in place (so the view keeps the words around
    /// the obfuscated ones and covers the whole input), rather than extracting one encoded stretch.
    pub fn is_in_place(&self) -> bool {
        matches!(
            self,
            ViewKind::Skeleton
                | ViewKind::UrlEncoding
                | ViewKind::HtmlEntities
                | ViewKind::QuotedPrintable
                | ViewKind::Braille
                | ViewKind::PigLatin
                | ViewKind::Leetspeak
                | ViewKind::SpacedOut
        )
    }
}

impl std::fmt::Display for ViewKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ViewKind::Caesar { shift } => write!(f, "caesar{shift}"),
            other => f.write_str(other.name()),
        }
    }
}

/// One decoded reading of (part of) the input, for a detector to judge alongside the text itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecodedView {
    /// The last decoder applied (the last element of `chain`).
    pub kind: ViewKind,
    /// Byte range of the original input that this view decodes. For a view nested inside another
    /// (base64 of rot13), the range of the outermost encoded stretch. Always on char boundaries.
    pub span_in_original: Range<usize>,
    /// The decoded text, itself normalised (NFKC, invisibles removed, confusables folded).
    pub text: String,
    /// Decoders applied from the original to this text, outermost first: `[Base64, Rot13]` is
    /// rot13 text found inside base64. Its length is the recursion depth (1 for a direct decode).
    pub chain: Vec<ViewKind>,
}
