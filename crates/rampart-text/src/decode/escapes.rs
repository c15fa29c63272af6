//! Escapes decoded in place: percent-encoding and HTML entities.

use super::Found;
use crate::view::ViewKind;

/// Fewest escapes before a text counts as escaped: one `%20` in a URL is ordinary.
const MIN_ESCAPES: usize = 3;

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Percent-encoding (`%68%6F%77` or `how%20to%20make`), decoded over the whole text.
pub(super) fn find_url_encoding(text: &str, out: &mut Vec<Found>) {
    let bytes = text.as_bytes();
    let escapes = bytes
        .windows(3)
        .filter(|w| w[0] == b'%' && hex_value(w[1]).is_some() && hex_value(w[2]).is_some())
        .count();
    if escapes < MIN_ESCAPES {
        return;
    }
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).and_then(|b| hex_value(*b)),
                bytes.get(i + 2).and_then(|b| hex_value(*b)),
            )
        {
            decoded.push(hi << 4 | lo);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    let decoded = String::from_utf8_lossy(&decoded).into_owned();
    if super::is_mostly_text(&decoded) {
        out.push(Found {
            kind: ViewKind::UrlEncoding,
            span: 0..text.len(),
            text: decoded,
        });
    }
}

/// HTML numeric (`&#104;`, `&#x68;`) and common named entities, decoded over the whole text.
pub(super) fn find_html_entities(text: &str, out: &mut Vec<Found>) {
    if text.matches("&#").count() < MIN_ESCAPES {
        return;
    }
    let mut decoded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        decoded.push_str(&rest[..at]);
        rest = &rest[at..];
        match parse_entity(rest) {
            Some((c, len)) => {
                decoded.push(c);
                rest = &rest[len..];
            }
            None => {
                decoded.push('&');
                rest = &rest[1..];
            }
        }
    }
    decoded.push_str(rest);
    if decoded != text && super::is_mostly_text(&decoded) {
        out.push(Found {
            kind: ViewKind::HtmlEntities,
            span: 0..text.len(),
            text: decoded,
        });
    }
}

/// Parses one entity at the start of `s`; returns the character and the entity's length.
fn parse_entity(s: &str) -> Option<(char, usize)> {
    let end = s.get(..12.min(s.len()))?.find(';')?;
    let body = &s[1..end];
    let c = if let Some(num) = body.strip_prefix('#') {
        let value = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        char::from_u32(value)?
    } else {
        match body {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => ' ',
            _ => return None,
        }
    };
    Some((c, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_and_entities() {
        let mut out = Vec::new();
        find_url_encoding("%68%6F%77%20%74%6F", &mut out);
        assert_eq!(out[0].text, "how to");
        out.clear();
        find_url_encoding("see https://x.org/a%20b", &mut out);
        assert!(out.is_empty());
        find_html_entities("&#104;&#111;&#x77; to", &mut out);
        assert_eq!(out[0].text, "how to");
    }
}
