//! International Morse code: dots and dashes separated by spaces, words by `/`, `|` or a wide gap.

use super::Found;
use crate::view::ViewKind;

/// Letters, digits and common punctuation with their codes.
pub(crate) const MORSE: &[(char, &str)] = &[
    ('a', ".-"),
    ('b', "-..."),
    ('c', "-.-."),
    ('d', "-.."),
    ('e', "."),
    ('f', "..-."),
    ('g', "--."),
    ('h', "...."),
    ('i', ".."),
    ('j', ".---"),
    ('k', "-.-"),
    ('l', ".-.."),
    ('m', "--"),
    ('n', "-."),
    ('o', "---"),
    ('p', ".--."),
    ('q', "--.-"),
    ('r', ".-."),
    ('s', "..."),
    ('t', "-"),
    ('u', "..-"),
    ('v', "...-"),
    ('w', ".--"),
    ('x', "-..-"),
    ('y', "-.--"),
    ('z', "--.."),
    ('0', "-----"),
    ('1', ".----"),
    ('2', "..---"),
    ('3', "...--"),
    ('4', "....-"),
    ('5', "....."),
    ('6', "-...."),
    ('7', "--..."),
    ('8', "---.."),
    ('9', "----."),
    ('.', ".-.-.-"),
    (',', "--..--"),
    ('?', "..--.."),
    ('\'', ".----."),
    ('!', "-.-.--"),
    ('/', "-..-."),
    ('(', "-.--."),
    (')', "-.--.-"),
    ('&', ".-..."),
    (':', "---..."),
    (';', "-.-.-."),
    ('=', "-...-"),
    ('+', ".-.-."),
    ('-', "-....-"),
    ('"', ".-..-."),
    ('@', ".--.-."),
];

fn letter(code: &str) -> Option<char> {
    MORSE.iter().find(|(_, c)| *c == code).map(|(l, _)| *l)
}

fn is_code_token(token: &str) -> bool {
    !token.is_empty() && token.len() <= 7 && token.bytes().all(|b| matches!(b, b'.' | b'-' | b'_'))
}

/// Finds runs of at least four Morse tokens and decodes them (lower case).
pub(super) fn find_morse(text: &str, out: &mut Vec<Found>) {
    // Tokens with their byte ranges, whitespace-separated.
    let mut tokens: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
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
    let is_word_break = |t: &str| t == "/" || t == "|";
    let mut i = 0;
    while i < tokens.len() {
        let first = &text[tokens[i].0..tokens[i].1];
        if !is_code_token(first) {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut decoded = String::new();
        let mut codes = 0;
        let mut unknown = 0;
        let mut dashes = false;
        let mut dots = false;
        while j < tokens.len() {
            let token = &text[tokens[j].0..tokens[j].1];
            if is_word_break(token) {
                decoded.push(' ');
            } else if is_code_token(token) {
                if j > i && !decoded.ends_with(' ') {
                    // A gap of three or more spaces (or a line break) between letters is a word break.
                    let gap = &text[tokens[j - 1].1..tokens[j].0];
                    if gap.len() >= 3 || gap.contains('\n') {
                        decoded.push(' ');
                    }
                }
                let code = token.replace('_', "-");
                dots |= code.contains('.');
                dashes |= code.contains('-');
                codes += 1;
                match letter(&code) {
                    Some(l) => decoded.push(l),
                    None => {
                        unknown += 1;
                        decoded.push('?');
                    }
                }
            } else {
                break;
            }
            j += 1;
        }
        // Trailing word breaks belong to no letter.
        let mut last = j;
        while last > i && is_word_break(&text[tokens[last - 1].0..tokens[last - 1].1]) {
            last -= 1;
        }
        if codes >= 4 && dots && dashes && unknown * 5 <= codes {
            let span = tokens[i].0..tokens[last - 1].1;
            out.push(Found {
                kind: ViewKind::Morse,
                span,
                text: decoded.trim().to_string(),
            });
        }
        i = j.max(i + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_words() {
        let mut out = Vec::new();
        find_morse("Answer: .... --- .-- / - --- / -- .- -.- .", &mut out);
        assert_eq!(out[0].text, "how to make");
        out.clear();
        find_morse("well ... - that is all", &mut out);
        assert!(out.is_empty());
    }
}
