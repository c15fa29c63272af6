//! Alphabets and word games: Braille, the NATO spelling alphabet, pig latin, quoted-printable
//! and Ascii85.

use super::{Found, is_mostly_text};
use crate::english::{english_score, is_word, segment_words};
use crate::view::ViewKind;

/// Grade-1 Braille letters a..z (U+2800 block).
pub(crate) const BRAILLE: [char; 26] = [
    '⠁', '⠃', '⠉', '⠙', '⠑', '⠋', '⠛', '⠓', '⠊', '⠚', '⠅', '⠇', '⠍', '⠝', '⠕', '⠏', '⠟', '⠗', '⠎',
    '⠞', '⠥', '⠧', '⠺', '⠭', '⠽', '⠵',
];
const BRAILLE_CAPITAL: char = '⠠';
const BRAILLE_NUMBER: char = '⠼';

/// NATO spelling alphabet, a..z (with common variant spellings accepted when decoding).
pub(crate) const NATO: [&str; 26] = [
    "alfa", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett",
    "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
    "uniform", "victor", "whiskey", "xray", "yankee", "zulu",
];

fn nato_letter(word: &str) -> Option<char> {
    // Every code word starts with its letter: one comparison instead of a search (this runs for
    // every word of every text).
    let first = word.bytes().next()?.to_ascii_lowercase();
    if !first.is_ascii_lowercase() {
        return None;
    }
    let alias = match first {
        b'a' => "alpha",
        b'j' => "juliet",
        b'w' => "whisky",
        b'x' => "x-ray",
        _ => "",
    };
    let canonical = NATO[usize::from(first - b'a')];
    (word.eq_ignore_ascii_case(canonical)
        || (!alias.is_empty() && word.eq_ignore_ascii_case(alias)))
    .then_some(char::from(first))
}

/// Braille letters decoded in place (capital and number signs honoured).
pub(super) fn find_braille(text: &str, out: &mut Vec<Found>) {
    let count = text.chars().filter(|c| BRAILLE.contains(c)).count();
    if count < 4 {
        return;
    }
    let mut decoded = String::with_capacity(text.len());
    let mut capital = false;
    let mut number = false;
    for c in text.chars() {
        match c {
            BRAILLE_CAPITAL => capital = true,
            BRAILLE_NUMBER => number = true,
            c => match BRAILLE.iter().position(|b| *b == c) {
                Some(i) if number && i < 10 => decoded.push(char::from(b"1234567890"[i])),
                Some(i) => {
                    let letter = char::from(b'a' + i as u8);
                    decoded.push(if capital {
                        letter.to_ascii_uppercase()
                    } else {
                        letter
                    });
                    capital = false;
                }
                None => {
                    number = false;
                    capital = false;
                    decoded.push(c);
                }
            },
        }
    }
    out.push(Found {
        kind: ViewKind::Braille,
        span: 0..text.len(),
        text: decoded,
    });
}

/// Runs of at least four NATO code words ("Hotel Oscar Whiskey"), words split at `/` or by
/// word segmentation.
pub(super) fn find_nato(text: &str, out: &mut Vec<Found>) {
    let mut tokens: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let separator = c.is_whitespace() || c == ',';
        match (separator, start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                tokens.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        tokens.push((s, text.len()));
    }
    let mut i = 0;
    while i < tokens.len() {
        let mut j = i;
        // Spelled words, split at "/" or "|"; allocated only once a code word is seen.
        let mut words: Vec<String> = Vec::new();
        let mut letters = 0;
        while j < tokens.len() {
            let token = &text[tokens[j].0..tokens[j].1];
            if token == "/" || token == "|" {
                words.push(String::new());
            } else if let Some(l) = nato_letter(token.trim_end_matches(['.', '-'])) {
                letters += 1;
                match words.last_mut() {
                    Some(w) => w.push(l),
                    None => words.push(l.to_string()),
                }
            } else {
                break;
            }
            j += 1;
        }
        if letters >= 4 {
            let words: Vec<String> = words
                .into_iter()
                .filter(|w| !w.is_empty())
                .map(|w| segment_words(&w).unwrap_or(w))
                .collect();
            let span = tokens[i].0..tokens[j - 1].1;
            out.push(Found {
                kind: ViewKind::Nato,
                span,
                text: words.join(" "),
            });
        }
        i = j.max(i + 1);
    }
}

fn decode_pig_latin_word(word: &str) -> Option<String> {
    let lower = word.to_ascii_lowercase();
    let stem = lower.strip_suffix("ay")?;
    if stem.is_empty() {
        return None;
    }
    let vowel_initial = |suffix: &str| {
        stem.strip_suffix(suffix)
            .filter(|base| {
                !base.is_empty() && base.starts_with(['a', 'e', 'i', 'o', 'u']) && is_word(base)
            })
            .map(str::to_string)
    };
    // Vowel-initial words take "way"; consonant-initial words moved their first consonants to
    // the end. The "yay" and bare "ay" dialects are ambiguous ("onay" is "no" moved, or "on" +
    // "ay"; "ouryay" is "your" moved, or "our" + "yay"), so they are tried last.
    if let Some(word) = vowel_initial("w") {
        return Some(word);
    }
    for k in 1..=3.min(stem.len() - 1) {
        let (rest, moved) = stem.split_at(stem.len() - k);
        let candidate = format!("{moved}{rest}");
        if is_word(&candidate) {
            return Some(candidate);
        }
    }
    if let Some(word) = vowel_initial("y").or_else(|| vowel_initial("")) {
        return Some(word);
    }
    let (rest, moved) = stem.split_at(stem.len() - 1);
    Some(format!("{moved}{rest}"))
}

/// Pig latin ("owhay otay akemay"), decoded in place when most words end in "ay".
pub(super) fn find_pig_latin(text: &str, out: &mut Vec<Found>) {
    let words: Vec<&str> = text.split_whitespace().collect();
    let latin = words
        .iter()
        .filter(|w| {
            w.trim_end_matches(|c: char| !c.is_ascii_alphabetic())
                .to_ascii_lowercase()
                .ends_with("ay")
        })
        .count();
    if latin < 3 || latin * 10 < words.len() * 7 {
        return;
    }
    let mut decoded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic()) {
        decoded.push_str(&rest[..start]);
        let len = rest[start..]
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len() - start);
        let word = &rest[start..start + len];
        decoded.push_str(&decode_pig_latin_word(word).unwrap_or_else(|| word.to_string()));
        rest = &rest[start + len..];
    }
    decoded.push_str(rest);
    if english_score(&decoded).score() > english_score(text).score() + 0.2 {
        out.push(Found {
            kind: ViewKind::PigLatin,
            span: 0..text.len(),
            text: decoded,
        });
    }
}

/// Quoted-printable (`=68=6F=77`, soft line breaks `=\n`), decoded in place.
pub(super) fn find_quoted_printable(text: &str, out: &mut Vec<Found>) {
    let bytes = text.as_bytes();
    let is_hex = |b: u8| b.is_ascii_digit() || (b'A'..=b'F').contains(&b);
    let escapes = bytes
        .windows(3)
        .filter(|w| w[0] == b'=' && is_hex(w[1]) && is_hex(w[2]))
        .count();
    if escapes < 3 {
        return;
    }
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'=', Some(&a), Some(&b)) if is_hex(a) && is_hex(b) => {
                let value = |x: u8| {
                    if x.is_ascii_digit() {
                        x - b'0'
                    } else {
                        x - b'A' + 10
                    }
                };
                decoded.push(value(a) << 4 | value(b));
                i += 3;
            }
            (b'=', Some(b'\n'), _) => i += 2,
            (b'=', Some(b'\r'), Some(b'\n')) => i += 3,
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    let decoded = String::from_utf8_lossy(&decoded).into_owned();
    if decoded != text && is_mostly_text(&decoded) {
        out.push(Found {
            kind: ViewKind::QuotedPrintable,
            span: 0..text.len(),
            text: decoded,
        });
    }
}

/// Ascii85 (`<~...~>` or bare, as Python's `a85encode` writes it).
pub(super) fn find_ascii85(text: &str, out: &mut Vec<Found>) {
    let mut offset = 0;
    for token in text.split_inclusive(char::is_whitespace) {
        let start = offset;
        offset += token.len();
        let token = token.trim_end();
        let body = token.strip_prefix("<~").and_then(|t| t.strip_suffix("~>"));
        let delimited = body.is_some();
        let body = body.unwrap_or(token);
        if body.len() < 10
            || !body
                .bytes()
                .all(|b| (b'!'..=b'u').contains(&b) || b == b'z')
        {
            continue;
        }
        // Plain words and numbers are in the alphabet too; encoded text almost always has
        // punctuation in it.
        if !delimited && body.bytes().all(|b| b.is_ascii_alphanumeric()) {
            continue;
        }
        if let Some(decoded) = decode_ascii85(body.as_bytes())
            && let Ok(decoded) = String::from_utf8(decoded)
            && is_mostly_text(&decoded)
        {
            out.push(Found {
                kind: ViewKind::Ascii85,
                span: start..start + token.len(),
                text: decoded,
            });
        }
    }
}

fn decode_ascii85(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() * 4 / 5);
    let mut group = [0u8; 5];
    let mut n = 0;
    for &b in data {
        if b == b'z' && n == 0 {
            out.extend([0; 4]);
            continue;
        }
        if !(b'!'..=b'u').contains(&b) {
            return None;
        }
        group[n] = b - b'!';
        n += 1;
        if n == 5 {
            let value = group.iter().try_fold(0u32, |acc, &d| {
                acc.checked_mul(85)?.checked_add(u32::from(d))
            })?;
            out.extend(value.to_be_bytes());
            n = 0;
        }
    }
    if n > 0 {
        // A partial group is padded with 'u' (84) and yields n - 1 bytes.
        for slot in group.iter_mut().skip(n) {
            *slot = 84;
        }
        let value = group.iter().try_fold(0u32, |acc, &d| {
            acc.checked_mul(85)?.checked_add(u32::from(d))
        })?;
        out.extend(&value.to_be_bytes()[..n - 1]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_word_and_alias_reads_as_its_letter() {
        for (i, w) in NATO.iter().enumerate() {
            let letter = char::from(b'a' + i as u8);
            assert_eq!(nato_letter(w), Some(letter));
            assert_eq!(nato_letter(&w.to_uppercase()), Some(letter));
        }
        for (alias, letter) in [
            ("Alpha", 'a'),
            ("JULIET", 'j'),
            ("whisky", 'w'),
            ("X-ray", 'x'),
        ] {
            assert_eq!(nato_letter(alias), Some(letter));
        }
        for other in ["", "a", "alfalfa", "bravery", "1echo", "éxray"] {
            assert_eq!(nato_letter(other), None, "{other}");
        }
    }

    fn run(f: fn(&str, &mut Vec<Found>), text: &str) -> Option<String> {
        let mut out = Vec::new();
        f(text, &mut out);
        out.pop().map(|f| f.text)
    }

    #[test]
    fn alphabets() {
        assert_eq!(
            run(find_braille, "⠓⠕⠺ ⠞⠕ ⠍⠁⠅⠑").as_deref(),
            Some("how to make")
        );
        assert_eq!(
            run(find_nato, "Hotel Oscar Whiskey / Tango Oscar").as_deref(),
            Some("how to")
        );
        assert_eq!(
            run(find_nato, "hotel oscar whiskey tango oscar").as_deref(),
            Some("how to")
        );
        assert_eq!(
            run(find_pig_latin, "owhay otay akemay away ombbay").as_deref(),
            Some("how to make a bomb")
        );
        assert_eq!(
            run(find_quoted_printable, "=68=6F=77 to").as_deref(),
            Some("how to")
        );
        let encoded = crate::obfuscate::to_ascii85("hello world, how are you");
        assert_eq!(
            run(find_ascii85, &encoded).as_deref(),
            Some("hello world, how are you")
        );
        assert_eq!(
            run(find_ascii85, &format!("<~{encoded}~>")).as_deref(),
            Some("hello world, how are you")
        );
    }

    #[test]
    fn quiet_on_ordinary_text() {
        assert_eq!(run(find_nato, "the hotel in lima had a golf course"), None);
        assert_eq!(run(find_pig_latin, "say what you may, I stay today"), None);
        assert_eq!(
            run(
                find_ascii85,
                "internationalization https://example.com/a?b=c"
            ),
            None
        );
        assert_eq!(run(find_quoted_printable, "x=1 y=2 z==3"), None);
    }
}
