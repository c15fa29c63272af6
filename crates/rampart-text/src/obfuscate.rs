//! Obfuscation transforms: the inverse of what [`crate::normalize`] sees through.
//!
//! Red-team techniques apply these to attack prompts; guard's evasion tests apply them to known
//! attacks and check that the normaliser recovers the text. Every randomised transform takes a
//! seed and is deterministic under it. Each one here has a matching decoder, so a transform added
//! here without one is a gap the property tests will show.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use serde::{Deserialize, Serialize};

use crate::confusables::HOMOGLYPHS;
use crate::decode::{self, BRAILLE, LEET, MORSE, NATO};
use crate::normalize::Normalized;
use crate::view::ViewKind;

/// Every obfuscation this module can apply, with its parameters, as one value: what red-team
/// techniques are configured with and what guard's evasion tests iterate over
/// ([`Obfuscation::catalogue`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "id", rename_all = "snake_case")]
pub enum Obfuscation {
    /// [`to_base64`]
    Base64,
    /// [`to_base64_url`]
    Base64Url,
    /// [`to_base32`]
    Base32,
    /// [`to_hex`]
    Hex,
    /// [`to_hex_spaced`]
    HexSpaced,
    /// [`to_binary`]
    Binary,
    /// [`to_char_codes`]
    CharCodes,
    /// [`to_url_encoding`]
    UrlEncoding,
    /// [`to_html_entities`]
    HtmlEntities,
    /// [`to_morse`]
    Morse,
    /// [`to_ascii85`]
    Ascii85,
    /// [`to_quoted_printable`]
    QuotedPrintable,
    /// [`to_braille`]
    Braille,
    /// [`to_nato`]
    Nato,
    /// [`pig_latin`]
    PigLatin,
    /// [`rot13`]
    Rot13,
    /// [`caesar`]
    Caesar {
        /// Places each letter is shifted by.
        shift: u8,
    },
    /// [`atbash`]
    Atbash,
    /// [`reverse`]
    Reverse,
    /// [`reverse_words`]
    ReverseWords,
    /// [`reverse_word_order`]
    ReverseWordOrder,
    /// [`space_out`]
    SpaceOut {
        /// Put between the letters of a word.
        separator: char,
    },
    /// [`leetspeak`]
    Leetspeak {
        /// Share of letters replaced.
        level: f64,
    },
    /// [`homoglyphs`]
    Homoglyphs {
        /// Share of letters replaced.
        rate: f64,
    },
    /// [`insert_zero_width`]
    ZeroWidth {
        /// Chance of a zero-width character after each character.
        rate: f64,
    },
    /// [`to_tag_chars`]
    TagChars,
    /// [`smuggle_in_variation_selectors`] after an emoji.
    VariationSelectors,
    /// [`fullwidth`]
    Fullwidth,
    /// [`math_bold`]
    MathBold,
    /// [`circled`]
    Circled,
    /// [`small_caps`]
    SmallCaps,
    /// [`bidi_override`]
    BidiOverride,
    /// [`zalgo`]
    Zalgo {
        /// Combining marks per letter.
        intensity: usize,
    },
    /// [`diacritics`]
    Diacritics {
        /// Share of letters given a diacritic.
        rate: f64,
    },
    /// [`random_case`]
    RandomCase,
}

impl Obfuscation {
    /// Every obfuscation with typical parameters.
    pub fn catalogue() -> Vec<Obfuscation> {
        use Obfuscation::*;
        vec![
            Base64,
            Base64Url,
            Base32,
            Hex,
            HexSpaced,
            Binary,
            CharCodes,
            UrlEncoding,
            HtmlEntities,
            Morse,
            Ascii85,
            QuotedPrintable,
            Braille,
            Nato,
            PigLatin,
            Rot13,
            Caesar { shift: 3 },
            Atbash,
            Reverse,
            ReverseWords,
            ReverseWordOrder,
            SpaceOut { separator: ' ' },
            SpaceOut { separator: '.' },
            SpaceOut { separator: '-' },
            Leetspeak { level: 0.6 },
            Homoglyphs { rate: 0.5 },
            ZeroWidth { rate: 0.3 },
            TagChars,
            VariationSelectors,
            Fullwidth,
            MathBold,
            Circled,
            SmallCaps,
            BidiOverride,
            Zalgo { intensity: 6 },
            Diacritics { rate: 0.6 },
            RandomCase,
        ]
    }

    /// A stable snake_case id.
    pub fn id(&self) -> &'static str {
        use Obfuscation::*;
        match self {
            Base64 => "base64",
            Base64Url => "base64_url",
            Base32 => "base32",
            Hex => "hex",
            HexSpaced => "hex_spaced",
            Binary => "binary",
            CharCodes => "char_codes",
            UrlEncoding => "url_encoding",
            HtmlEntities => "html_entities",
            Morse => "morse",
            Ascii85 => "ascii85",
            QuotedPrintable => "quoted_printable",
            Braille => "braille",
            Nato => "nato",
            PigLatin => "pig_latin",
            Rot13 => "rot13",
            Caesar { .. } => "caesar",
            Atbash => "atbash",
            Reverse => "reverse",
            ReverseWords => "reverse_words",
            ReverseWordOrder => "reverse_word_order",
            SpaceOut { .. } => "space_out",
            Leetspeak { .. } => "leetspeak",
            Homoglyphs { .. } => "homoglyphs",
            ZeroWidth { .. } => "zero_width",
            TagChars => "tag_chars",
            VariationSelectors => "variation_selectors",
            Fullwidth => "fullwidth",
            MathBold => "math_bold",
            Circled => "circled",
            SmallCaps => "small_caps",
            BidiOverride => "bidi_override",
            Zalgo { .. } => "zalgo",
            Diacritics { .. } => "diacritics",
            RandomCase => "random_case",
        }
    }

    /// Applies the obfuscation; `seed` drives the randomised ones and is ignored by the others.
    pub fn apply(&self, text: &str, seed: u64) -> String {
        use Obfuscation::*;
        match *self {
            Base64 => to_base64(text),
            Base64Url => to_base64_url(text),
            Base32 => to_base32(text),
            Hex => to_hex(text),
            HexSpaced => to_hex_spaced(text),
            Binary => to_binary(text),
            CharCodes => to_char_codes(text),
            UrlEncoding => to_url_encoding(text),
            HtmlEntities => to_html_entities(text),
            Morse => to_morse(text),
            Ascii85 => to_ascii85(text),
            QuotedPrintable => to_quoted_printable(text),
            Braille => to_braille(text),
            Nato => to_nato(text),
            PigLatin => pig_latin(text),
            Rot13 => rot13(text),
            Caesar { shift } => caesar(text, shift),
            Atbash => atbash(text),
            Reverse => reverse(text),
            ReverseWords => reverse_words(text),
            ReverseWordOrder => reverse_word_order(text),
            SpaceOut { separator } => space_out(text, separator),
            Leetspeak { level } => leetspeak(text, level, seed),
            Homoglyphs { rate } => homoglyphs(text, rate, seed),
            ZeroWidth { rate } => insert_zero_width(text, rate, seed),
            TagChars => to_tag_chars(text),
            VariationSelectors => smuggle_in_variation_selectors("\u{1F642}", text),
            Fullwidth => fullwidth(text),
            MathBold => math_bold(text),
            Circled => circled(text),
            SmallCaps => small_caps(text),
            BidiOverride => bidi_override(text),
            Zalgo { intensity } => zalgo(text, intensity, seed),
            Diacritics { rate } => diacritics(text, rate, seed),
            RandomCase => random_case(text, seed),
        }
    }

    /// Where [`crate::normalize`] recovers the text: `None` for the normalised text itself,
    /// otherwise the kind of view.
    pub fn recovered_in(&self) -> Option<ViewKind> {
        use Obfuscation::*;
        match *self {
            Base64 | Base64Url => Some(ViewKind::Base64),
            Base32 => Some(ViewKind::Base32),
            Hex | HexSpaced => Some(ViewKind::Hex),
            Binary => Some(ViewKind::Binary),
            CharCodes => Some(ViewKind::CharCodes),
            UrlEncoding => Some(ViewKind::UrlEncoding),
            HtmlEntities => Some(ViewKind::HtmlEntities),
            Morse => Some(ViewKind::Morse),
            Ascii85 => Some(ViewKind::Ascii85),
            QuotedPrintable => Some(ViewKind::QuotedPrintable),
            Braille => Some(ViewKind::Braille),
            Nato => Some(ViewKind::Nato),
            PigLatin => Some(ViewKind::PigLatin),
            Rot13 => Some(ViewKind::Rot13),
            Caesar { shift } if shift % 26 == 13 => Some(ViewKind::Rot13),
            Caesar { shift } => Some(ViewKind::Caesar { shift: shift % 26 }),
            Atbash => Some(ViewKind::Atbash),
            Reverse | BidiOverride => Some(ViewKind::Reversed),
            ReverseWords => Some(ViewKind::ReversedWords),
            ReverseWordOrder => Some(ViewKind::ReversedWordOrder),
            SpaceOut { .. } => Some(ViewKind::SpacedOut),
            Leetspeak { .. } => Some(ViewKind::Leetspeak),
            TagChars => Some(ViewKind::TagChars),
            VariationSelectors => Some(ViewKind::VariationSelectors),
            Zalgo { .. } | Diacritics { .. } => Some(ViewKind::Skeleton),
            Homoglyphs { .. }
            | ZeroWidth { .. }
            | Fullwidth
            | MathBold
            | Circled
            | SmallCaps
            | RandomCase => None,
        }
    }

    /// Whether the obfuscation loses letter case (Morse, leetspeak, random case), so that the
    /// recovered text matches the original only case-insensitively.
    pub fn loses_case(&self) -> bool {
        matches!(
            self,
            Obfuscation::Morse
                | Obfuscation::Nato
                | Obfuscation::PigLatin
                | Obfuscation::Leetspeak { .. }
                | Obfuscation::RandomCase
        )
    }

    /// Whether `normalized` (of this obfuscation applied to `original`) shows `original` again,
    /// in its text or in any view: the check guard's evasion tests make. Pig latin is not
    /// one-to-one ("who" and "how" are both "owhay"), so for it any reading that obfuscates to the
    /// same text counts.
    pub fn is_seen_through(&self, original: &str, normalized: &Normalized) -> bool {
        let original = original.trim();
        let target = matches!(self, Obfuscation::PigLatin).then(|| self.apply(original, 0));
        normalized.texts().any(|t| {
            let t = t.trim();
            if let Some(target) = &target
                && self.apply(t, 0).eq_ignore_ascii_case(target)
            {
                return true;
            }
            if self.loses_case() {
                t.eq_ignore_ascii_case(original)
            } else {
                t == original
            }
        })
    }
}

/// Base64 with the standard alphabet and padding.
pub fn to_base64(text: &str) -> String {
    STANDARD.encode(text)
}

/// Base64 with the URL-safe alphabet, unpadded.
pub fn to_base64_url(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

/// Base32 (RFC 4648, upper case, padded).
pub fn to_base32(text: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buffer = [0u8; 5];
        buffer[..chunk.len()].copy_from_slice(chunk);
        let value = buffer.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b));
        let symbols = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < symbols {
                out.push(char::from(
                    ALPHABET[((value >> (35 - i * 5)) & 31) as usize],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Lower-case hex, contiguous (`686f77`).
pub fn to_hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Hex bytes separated by spaces (`68 6f 77`).
pub fn to_hex_spaced(text: &str) -> String {
    text.bytes()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Eight-bit binary groups separated by spaces.
pub fn to_binary(text: &str) -> String {
    text.bytes()
        .map(|b| format!("{b:08b}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Decimal character codes separated by spaces (`104 111 119`).
pub fn to_char_codes(text: &str) -> String {
    text.bytes()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Percent-encodes every byte (`%68%6F%77`).
pub fn to_url_encoding(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// HTML numeric entities for every character (`&#104;&#111;`).
pub fn to_html_entities(text: &str) -> String {
    text.chars().map(|c| format!("&#{};", c as u32)).collect()
}

/// Morse code: letters separated by spaces, words by ` / `. Characters without a code are dropped.
pub fn to_morse(text: &str) -> String {
    text.split_whitespace()
        .map(|word| {
            word.chars()
                .filter_map(|c| {
                    MORSE
                        .iter()
                        .find(|(l, _)| *l == c.to_ascii_lowercase())
                        .map(|(_, code)| *code)
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Ascii85 without delimiters (as Python's `base64.a85encode` writes it).
pub fn to_ascii85(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 5 / 4 + 5);
    for chunk in text.as_bytes().chunks(4) {
        let mut group = [0u8; 4];
        group[..chunk.len()].copy_from_slice(chunk);
        let mut value = u32::from_be_bytes(group);
        if value == 0 && chunk.len() == 4 {
            out.push('z');
            continue;
        }
        let mut digits = [0u8; 5];
        for digit in digits.iter_mut().rev() {
            *digit = (value % 85) as u8 + b'!';
            value /= 85;
        }
        out.extend(digits[..chunk.len() + 1].iter().map(|&d| char::from(d)));
    }
    out
}

/// Quoted-printable for every byte (`=68=6F=77`).
pub fn to_quoted_printable(text: &str) -> String {
    text.bytes().map(|b| format!("={b:02X}")).collect()
}

/// Grade-1 Braille for ASCII letters (capital sign before capitals); other characters kept.
pub fn to_braille(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            if c.is_ascii_uppercase() {
                out.push('⠠');
            }
            out.push(BRAILLE[(c.to_ascii_lowercase() as u8 - b'a') as usize]);
        } else {
            out.push(c);
        }
    }
    out
}

/// The NATO spelling alphabet, letters separated by spaces and words by ` / `; characters that
/// are not ASCII letters are dropped.
pub fn to_nato(text: &str) -> String {
    text.split_whitespace()
        .map(|word| {
            word.chars()
                .filter(char::is_ascii_alphabetic)
                .map(|c| {
                    let w = NATO[(c.to_ascii_lowercase() as u8 - b'a') as usize];
                    let mut w = w.to_string();
                    w[..1].make_ascii_uppercase();
                    w
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Pig latin: consonant-initial words move their first consonants to the end and add "ay",
/// vowel-initial words add "way".
pub fn pig_latin(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic()) {
        out.push_str(&rest[..start]);
        let len = rest[start..]
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len() - start);
        let word = &rest[start..start + len];
        // "y" is a vowel after the first letter ("my" becomes "ymay").
        let vowel = word
            .char_indices()
            .find(|&(i, c)| {
                matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u')
                    || (i > 0 && c.eq_ignore_ascii_case(&'y'))
            })
            .map(|(i, _)| i);
        match vowel {
            Some(0) | None => {
                out.push_str(word);
                out.push_str("way");
            }
            Some(v) => {
                out.push_str(&word[v..]);
                out.push_str(&word[..v]);
                out.push_str("ay");
            }
        }
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

/// ROT13.
pub fn rot13(text: &str) -> String {
    decode::caesar_shift(text, 13)
}

/// Caesar shift of ASCII letters by `shift` places.
pub fn caesar(text: &str, shift: u8) -> String {
    decode::caesar_shift(text, shift)
}

/// Atbash (a <-> z).
pub fn atbash(text: &str) -> String {
    decode::atbash(text)
}

/// Characters in reverse order.
pub fn reverse(text: &str) -> String {
    text.chars().rev().collect()
}

/// Each word's characters reversed, words in place.
pub fn reverse_words(text: &str) -> String {
    text.split(' ')
        .map(|w| w.chars().rev().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Words in reverse order, each word as it is.
pub fn reverse_word_order(text: &str) -> String {
    text.split(' ').rev().collect::<Vec<_>>().join(" ")
}

/// Letters of each word separated by `separator`; with a space separator, words are separated
/// by three spaces (`h o w   t o`), otherwise by one (`h.o.w t.o`).
pub fn space_out(text: &str, separator: char) -> String {
    let word_gap = if separator == ' ' { "   " } else { " " };
    text.split(' ')
        .map(|w| {
            let mut out = String::new();
            for (i, c) in w.chars().enumerate() {
                if i > 0 {
                    out.push(separator);
                }
                out.push(c);
            }
            out
        })
        .collect::<Vec<_>>()
        .join(word_gap)
}

/// Replaces letters by leet symbols with probability `level` (0..=1), choosing among symbols
/// at random.
pub fn leetspeak(text: &str, level: f64, seed: u64) -> String {
    let mut rng = StdRng::seed_from_u64(seed);
    let level = level.clamp(0.0, 1.0);
    text.chars()
        .map(|c| {
            let lower = c.to_ascii_lowercase();
            let symbols: Vec<char> = LEET
                .iter()
                .filter(|(_, letters)| letters[0] == lower)
                .map(|(symbol, _)| *symbol)
                .collect();
            if symbols.is_empty() || !rng.random_bool(level) {
                c
            } else {
                symbols[rng.random_range(0..symbols.len())]
            }
        })
        .collect()
}

/// Replaces letters by look-alikes from other scripts with probability `rate` (0..=1).
pub fn homoglyphs(text: &str, rate: f64, seed: u64) -> String {
    let mut rng = StdRng::seed_from_u64(seed);
    let rate = rate.clamp(0.0, 1.0);
    text.chars()
        .map(|c| match HOMOGLYPHS.iter().find(|(ascii, _)| *ascii == c) {
            Some((_, lookalikes)) if rng.random_bool(rate) => {
                lookalikes[rng.random_range(0..lookalikes.len())]
            }
            _ => c,
        })
        .collect()
}

/// Inserts zero-width characters (ZWSP, ZWNJ, ZWJ, word joiner, soft hyphen) after characters
/// with probability `rate`.
pub fn insert_zero_width(text: &str, rate: f64, seed: u64) -> String {
    const INVISIBLE: [char; 5] = ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{00AD}'];
    let mut rng = StdRng::seed_from_u64(seed);
    let rate = rate.clamp(0.0, 1.0);
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        out.push(c);
        if rng.random_bool(rate) {
            out.push(INVISIBLE[rng.random_range(0..INVISIBLE.len())]);
        }
    }
    out
}

/// ASCII smuggling: printable ASCII as invisible Unicode tag characters, between a BEGIN tag
/// (U+E0001) and a CANCEL TAG (U+E007F). Other characters are dropped.
pub fn to_tag_chars(text: &str) -> String {
    let mut out = String::from('\u{E0001}');
    out.extend(
        text.chars()
            .filter(|c| (' '..='~').contains(c))
            .filter_map(|c| char::from_u32(0xE0000 + c as u32)),
    );
    out.push('\u{E007F}');
    out
}

/// Variation-selector smuggling: the bytes of `payload` as variation selectors after `carrier`
/// (an emoji, say), invisible in most renderers.
pub fn smuggle_in_variation_selectors(carrier: &str, payload: &str) -> String {
    let mut out = String::from(carrier);
    for b in payload.bytes() {
        let c = if b < 16 {
            0xFE00 + u32::from(b)
        } else {
            0xE0100 + u32::from(b) - 16
        };
        out.extend(char::from_u32(c));
    }
    out
}

/// Fullwidth forms of printable ASCII (and the ideographic space for spaces).
pub fn fullwidth(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ' ' => '\u{3000}',
            '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Mathematical bold letters and digits (U+1D400 block).
pub fn math_bold(text: &str) -> String {
    text.chars()
        .map(|c| {
            let code = match c {
                'A'..='Z' => 0x1D400 + (c as u32 - 'A' as u32),
                'a'..='z' => 0x1D41A + (c as u32 - 'a' as u32),
                '0'..='9' => 0x1D7CE + (c as u32 - '0' as u32),
                _ => return c,
            };
            char::from_u32(code).unwrap_or(c)
        })
        .collect()
}

/// Circled letters and digits (ⓐ, Ⓐ, ①).
pub fn circled(text: &str) -> String {
    text.chars()
        .map(|c| {
            let code = match c {
                'A'..='Z' => 0x24B6 + (c as u32 - 'A' as u32),
                'a'..='z' => 0x24D0 + (c as u32 - 'a' as u32),
                '1'..='9' => 0x2460 + (c as u32 - '1' as u32),
                _ => return c,
            };
            char::from_u32(code).unwrap_or(c)
        })
        .collect()
}

/// Latin small capitals (ᴀʙᴄ), which NFKC leaves alone.
pub fn small_caps(text: &str) -> String {
    const SMALL: [char; 26] = [
        'ᴀ', 'ʙ', 'ᴄ', 'ᴅ', 'ᴇ', 'ꜰ', 'ɢ', 'ʜ', 'ɪ', 'ᴊ', 'ᴋ', 'ʟ', 'ᴍ', 'ɴ', 'ᴏ', 'ᴘ', 'q', 'ʀ',
        'ꜱ', 'ᴛ', 'ᴜ', 'ᴠ', 'ᴡ', 'x', 'ʏ', 'ᴢ',
    ];
    text.chars()
        .map(|c| {
            if c.is_ascii_lowercase() {
                SMALL[(c as u8 - b'a') as usize]
            } else {
                c
            }
        })
        .collect()
}

/// Right-to-left override around the reversed text: displays as the original, reads reversed.
pub fn bidi_override(text: &str) -> String {
    format!("\u{202E}{}\u{202C}", reverse(text))
}

/// Adds `intensity` random combining marks (1..=16) after each letter (Zalgo text).
pub fn zalgo(text: &str, intensity: usize, seed: u64) -> String {
    let mut rng = StdRng::seed_from_u64(seed);
    let intensity = intensity.clamp(1, 16);
    let mut out = String::with_capacity(text.len() * (intensity + 1) * 2);
    for c in text.chars() {
        out.push(c);
        if c.is_alphabetic() {
            for _ in 0..intensity {
                out.extend(char::from_u32(rng.random_range(0x0300..=0x036F)));
            }
        }
    }
    out
}

/// Puts one diacritic on a share `rate` of the ASCII letters (`hôw tö mäkë`).
pub fn diacritics(text: &str, rate: f64, seed: u64) -> String {
    const MARKS: [char; 6] = [
        '\u{0301}', '\u{0300}', '\u{0302}', '\u{0308}', '\u{0303}', '\u{030A}',
    ];
    let mut rng = StdRng::seed_from_u64(seed);
    let rate = rate.clamp(0.0, 1.0);
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        out.push(c);
        if c.is_ascii_alphabetic() && rng.random_bool(rate) {
            out.push(MARKS[rng.random_range(0..MARKS.len())]);
        }
    }
    out
}

/// Randomises the case of ASCII letters.
pub fn random_case(text: &str, seed: u64) -> String {
    let mut rng = StdRng::seed_from_u64(seed);
    text.chars()
        .map(|c| {
            if rng.random_bool(0.5) {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(to_base32("how to make"), "NBXXOIDUN4QG2YLLMU======");
        assert_eq!(to_hex("how"), "686f77");
        assert_eq!(to_binary("h"), "01101000");
        assert_eq!(to_morse("how to"), ".... --- .-- / - ---");
        assert_eq!(space_out("how to", ' '), "h o w   t o");
        assert_eq!(space_out("how to", '.'), "h.o.w t.o");
        assert_eq!(fullwidth("ab c"), "ａｂ\u{3000}ｃ");
    }

    #[test]
    fn seeded_transforms_are_deterministic() {
        assert_eq!(
            leetspeak("how to make a bomb", 0.8, 7),
            leetspeak("how to make a bomb", 0.8, 7)
        );
        assert_eq!(homoglyphs("paypal", 1.0, 1), homoglyphs("paypal", 1.0, 1));
        assert_ne!(homoglyphs("paypal", 1.0, 1), "paypal");
    }
}
