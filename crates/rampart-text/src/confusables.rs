//! Confusable (homoglyph) folding to ASCII, and the scripts that letters belong to.
//!
//! NFKC already folds fullwidth forms, mathematical alphanumerics, circled, squared, superscript
//! and ligature forms. What it leaves are letters of other scripts that *look* Latin (Cyrillic `а`,
//! Greek `ο`, Armenian `օ`, Cherokee `Ꭺ`), Latin small capitals and IPA letters, and a few symbol
//! blocks (negative circled/squared letters, regional indicators). This table folds those to the
//! ASCII letter a reader would see. It is hand-curated from the look-alikes that homoglyph attack
//! tools actually use, rather than the full UTS #39 set, because UTS #39 skeletons are made for
//! comparing two strings, not for reading one (it maps `m` to `rn`, and leaves small capitals as they are).

use serde::{Deserialize, Serialize};

/// The ASCII letter (or digit) that the confusable `c` imitates, if `c` is one.
///
/// ASCII characters are never confusables. Expects NFKC input: compatibility forms are not listed.
pub fn fold(c: char) -> Option<char> {
    if c.is_ascii() {
        return None;
    }
    let folded = match c {
        // Cyrillic lower case.
        'а' => 'a',
        'в' => 'b',
        'г' => 'r',
        'е' | 'ё' => 'e',
        'з' => '3',
        'к' => 'k',
        'м' => 'm',
        'н' => 'h',
        'о' => 'o',
        'п' => 'n',
        'р' => 'p',
        'с' => 'c',
        'т' => 't',
        'у' => 'y',
        'х' => 'x',
        'ь' | 'Ь' => 'b',
        'ѕ' => 's',
        'і' | 'ї' => 'i',
        'ј' => 'j',
        'һ' => 'h',
        'ԁ' => 'd',
        'ԛ' => 'q',
        'ԝ' => 'w',
        'ү' => 'y',
        'ɡ' => 'g',
        'ӏ' => 'l',
        // Cyrillic upper case.
        'А' => 'A',
        'В' => 'B',
        'Е' | 'Ё' => 'E',
        'З' => '3',
        'К' => 'K',
        'М' => 'M',
        'Н' => 'H',
        'О' => 'O',
        'Р' => 'P',
        'С' => 'C',
        'Т' => 'T',
        'У' | 'Ү' => 'Y',
        'Х' => 'X',
        'Ѕ' => 'S',
        'І' | 'Ї' => 'I',
        'Ј' => 'J',
        'Ԛ' => 'Q',
        'Ԝ' => 'W',
        'Һ' => 'H',
        'Ӏ' => 'I',
        // Greek lower case.
        'α' => 'a',
        'β' => 'b',
        'γ' => 'y',
        'ε' => 'e',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        'ω' => 'w',
        'ϲ' => 'c',
        'ϳ' => 'j',
        // Greek upper case.
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        'Ϲ' => 'C',
        'Ϳ' => 'J',
        // Armenian.
        'օ' => 'o',
        'ո' => 'n',
        'ս' => 'u',
        'հ' => 'h',
        'զ' => 'q',
        'ց' => 'g',
        'Օ' => 'O',
        'Ս' => 'U',
        'Տ' => 'S',
        'Լ' => 'L',
        // Cherokee capitals that imitate Latin capitals.
        'Ꭰ' => 'D',
        'Ꭱ' => 'R',
        'Ꭲ' => 'T',
        'Ꭹ' => 'Y',
        'Ꭺ' => 'A',
        'Ꭻ' => 'J',
        'Ꭼ' => 'E',
        'Ꮃ' => 'W',
        'Ꮇ' => 'M',
        'Ꮋ' => 'H',
        'Ꮐ' => 'G',
        'Ꮓ' => 'Z',
        'Ꮢ' => 'R',
        'Ꮪ' => 'S',
        'Ꮮ' => 'L',
        'Ꮯ' => 'C',
        'Ꮲ' => 'P',
        'Ꮶ' => 'K',
        'Ᏼ' => 'B',
        'Ᏻ' => 'G',
        // Cherokee small letters (Unicode 8) imitate Latin small capitals.
        'ꭺ' => 'a',
        'ꮃ' => 'w',
        'ꮇ' => 'm',
        'ꮋ' => 'h',
        'ꮐ' => 'g',
        'ꮓ' => 'z',
        'ꮮ' => 'l',
        'ꮯ' => 'c',
        'ꮲ' => 'p',
        'ꮶ' => 'k',
        'ᏼ' => 'b',
        // Lisu: an alphabet made of Latin capitals, turned or not.
        'ꓮ' => 'A',
        'ꓐ' => 'B',
        'ꓚ' => 'C',
        'ꓓ' => 'D',
        'ꓰ' => 'E',
        'ꓝ' => 'F',
        'ꓖ' => 'G',
        'ꓧ' => 'H',
        'ꓲ' => 'I',
        'ꓙ' => 'J',
        'ꓗ' => 'K',
        'ꓡ' => 'L',
        'ꓟ' => 'M',
        'ꓠ' => 'N',
        'ꓳ' => 'O',
        'ꓑ' => 'P',
        'ꓣ' => 'R',
        'ꓢ' => 'S',
        'ꓔ' => 'T',
        'ꓴ' => 'U',
        'ꓦ' => 'V',
        'ꓪ' => 'W',
        'ꓫ' => 'X',
        'ꓬ' => 'Y',
        'ꓜ' => 'Z',
        // Coptic.
        'ⲟ' => 'o',
        'ⲣ' => 'p',
        'ⲥ' => 'c',
        'Ⲟ' => 'O',
        'Ⲣ' => 'P',
        'Ⲥ' => 'C',
        // Latin small capitals, IPA and dotless j. (Dotless i is a Turkish letter: only the
        // skeleton folds it.)
        'ᴀ' => 'a',
        'ʙ' => 'b',
        'ᴄ' => 'c',
        'ᴅ' => 'd',
        'ᴇ' => 'e',
        'ꜰ' => 'f',
        'ɢ' => 'g',
        'ʜ' => 'h',
        'ɪ' => 'i',
        'ᴊ' => 'j',
        'ᴋ' => 'k',
        'ʟ' => 'l',
        'ᴍ' => 'm',
        'ɴ' => 'n',
        'ᴏ' => 'o',
        'ᴘ' => 'p',
        'ʀ' => 'r',
        'ꜱ' => 's',
        'ꮪ' => 's',
        'ᴛ' => 't',
        'ᴜ' => 'u',
        'ᴠ' => 'v',
        'ᴡ' => 'w',
        'ʏ' => 'y',
        'ᴢ' => 'z',
        'ȷ' => 'j',
        'ɑ' => 'a',
        'ɩ' => 'i',
        'ǀ' => 'l',
        'ɔ' => 'c',
        // Letter-like symbols NFKC leaves alone.
        '℮' => 'e',
        '∁' => 'C',
        // Negative circled, negative squared letters and regional indicators: A..Z.
        '\u{1F150}'..='\u{1F169}' => ascii_upper(c as u32 - 0x1F150),
        '\u{1F170}'..='\u{1F189}' => ascii_upper(c as u32 - 0x1F170),
        '\u{1F1E6}'..='\u{1F1FF}' => ascii_upper(c as u32 - 0x1F1E6),
        _ => return None,
    };
    Some(folded)
}

fn ascii_upper(index: u32) -> char {
    char::from(b'A' + index as u8)
}

/// Folds typographic punctuation to its ASCII form (dashes, quotes, fraction and division slash,
/// Unicode spaces NFKC leaves alone), so that detectors and decoders see one form of each.
pub fn fold_punctuation(c: char) -> Option<char> {
    let folded = match c {
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' | '\u{2043}' => '-',
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{02BC}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => '"',
        '\u{2044}' | '\u{2215}' => '/',
        '\u{2024}' => '.',
        '\u{2027}' | '\u{00B7}' | '\u{2219}' => '.',
        '\u{2028}' | '\u{2029}' | '\u{0085}' => '\n',
        '\u{2800}' => ' ',
        _ => return None,
    };
    Some(folded)
}

/// Look-alikes used by [`crate::obfuscate::homoglyphs`]: for each ASCII letter, characters that
/// [`fold`] maps back to it, so that obfuscation and de-obfuscation are exact inverses.
pub(crate) const HOMOGLYPHS: &[(char, &[char])] = &[
    ('a', &['а', 'α', 'ɑ']),
    ('b', &['Ь']),
    ('c', &['с']),
    ('d', &['ԁ']),
    ('e', &['е', 'ε']),
    ('g', &['ɡ', 'ց']),
    ('h', &['һ', 'հ']),
    ('i', &['і', 'ι']),
    ('j', &['ј', 'ϳ']),
    ('k', &['κ']),
    ('l', &['ӏ']),
    ('n', &['ո']),
    ('o', &['о', 'ο', 'օ', 'ⲟ']),
    ('p', &['р', 'ρ']),
    ('q', &['ԛ']),
    ('s', &['ѕ']),
    ('t', &['τ']),
    ('u', &['υ', 'ս']),
    ('v', &['ν']),
    ('w', &['ԝ']),
    ('x', &['х', 'χ']),
    ('y', &['у']),
    ('A', &['А', 'Α', 'Ꭺ']),
    ('B', &['В', 'Β', 'Ᏼ']),
    ('C', &['С', 'Ꮯ']),
    ('D', &['Ꭰ', 'ꓓ']),
    ('E', &['Е', 'Ε', 'Ꭼ']),
    ('F', &['ꓝ']),
    ('G', &['Ꮐ', 'ꓖ']),
    ('H', &['Н', 'Η', 'Ꮋ']),
    ('I', &['І', 'Ι']),
    ('J', &['Ј', 'Ꭻ']),
    ('K', &['К', 'Κ', 'Ꮶ']),
    ('L', &['Ꮮ', 'ꓡ']),
    ('M', &['М', 'Μ', 'Ꮇ']),
    ('N', &['Ν', 'ꓠ']),
    ('O', &['О', 'Ο', 'Օ']),
    ('P', &['Р', 'Ρ', 'Ꮲ']),
    ('R', &['ꓣ']),
    ('S', &['Ѕ', 'Ꮪ', 'ꓢ']),
    ('T', &['Т', 'Τ', 'Ꭲ']),
    ('U', &['ꓴ', 'Ս']),
    ('V', &['ꓦ']),
    ('W', &['Ԝ', 'Ꮃ', 'ꓪ']),
    ('X', &['Х', 'Χ']),
    ('Y', &['Υ', 'Ү']),
    ('Z', &['Ζ', 'Ꮓ']),
];

/// The writing system of a letter, as far as confusable detection needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Script {
    /// Latin, including accented letters, small capitals and IPA.
    Latin,
    /// Greek.
    Greek,
    /// Cyrillic.
    Cyrillic,
    /// Armenian.
    Armenian,
    /// Cherokee.
    Cherokee,
    /// Any other script (Han, Arabic, Devanagari ...).
    Other,
    /// Not a letter: digits, punctuation, symbols, spaces.
    Common,
}

/// The script of `c`; [`Script::Common`] for anything that is not alphabetic.
pub fn script_of(c: char) -> Script {
    if c.is_ascii() {
        return if c.is_ascii_alphabetic() {
            Script::Latin
        } else {
            Script::Common
        };
    }
    // Combining marks are Alphabetic when they are vowel signs; they belong to their base's script.
    if !c.is_alphabetic() || unicode_normalization::char::is_combining_mark(c) {
        return Script::Common;
    }
    match c as u32 {
        0x00C0..=0x024F | 0x0250..=0x02AF | 0x1D00..=0x1DBF | 0x1E00..=0x1EFF | 0x2C60..=0x2C7F => {
            Script::Latin
        }
        0xA720..=0xA7FF | 0xAB30..=0xAB6F | 0xFF21..=0xFF5A => Script::Latin,
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Script::Greek,
        0x0400..=0x052F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
        0x0530..=0x058F | 0xFB13..=0xFB17 => Script::Armenian,
        0x13A0..=0x13FF | 0xAB70..=0xABBF => Script::Cherokee,
        0x1F130..=0x1F1FF => Script::Latin,
        _ => Script::Other,
    }
}

/// Whether a script is one whose letters are commonly passed off as Latin ones, so that mixing
/// it with Latin inside one word is a spoofing signal rather than ordinary multilingual text.
pub fn is_latin_lookalike_script(script: Script) -> bool {
    matches!(
        script,
        Script::Greek | Script::Cyrillic | Script::Armenian | Script::Cherokee
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homoglyph_table_round_trips_through_fold() {
        for (ascii, lookalikes) in HOMOGLYPHS {
            for &l in *lookalikes {
                assert_eq!(
                    fold(l),
                    Some(*ascii),
                    "{l:?} (U+{:04X}) should fold to {ascii}",
                    l as u32
                );
                assert!(!l.is_ascii());
            }
        }
    }

    #[test]
    fn homoglyphs_survive_nfkc() {
        use unicode_normalization::UnicodeNormalization;
        for (_, lookalikes) in HOMOGLYPHS {
            for &l in *lookalikes {
                let nfkc: String = l.to_string().nfkc().collect();
                assert_eq!(nfkc, l.to_string(), "U+{:04X} changes under NFKC", l as u32);
            }
        }
    }

    #[test]
    fn folds_symbol_letters() {
        assert_eq!(fold('\u{1F170}'), Some('A'));
        assert_eq!(fold('\u{1F1FF}'), Some('Z'));
        assert_eq!(fold('a'), None);
        assert_eq!(fold('д'), None);
    }

    #[test]
    fn scripts() {
        assert_eq!(script_of('a'), Script::Latin);
        assert_eq!(script_of('é'), Script::Latin);
        assert_eq!(script_of('а'), Script::Cyrillic);
        assert_eq!(script_of('ο'), Script::Greek);
        assert_eq!(script_of('中'), Script::Other);
        assert_eq!(script_of('1'), Script::Common);
    }
}
