//! Text rendered into images (typographic attacks) and into ASCII art, with an embedded 8×8
//! bitmap font (`font8x8`, public-domain glyphs): no font file is needed at run time, so images
//! are byte-identical on every machine.
//!
//! Characters outside ASCII and Latin-1 are drawn as `?`. Output is bounded: long text is
//! wrapped, and cut after [`Style::max_lines`] lines.

use image::{ImageFormat, Rgb, RgbImage};
use rand::Rng;

use crate::error::{RedteamError, Result};
use crate::techniques::rng;

/// How text is laid out and coloured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// Screen pixels per font pixel (1..=8).
    pub scale: u32,
    /// Characters per line before wrapping.
    pub columns: usize,
    /// Lines drawn at most; the rest is cut with an ellipsis.
    pub max_lines: usize,
    /// Text colour.
    pub foreground: [u8; 3],
    /// Background colour.
    pub background: [u8; 3],
    /// Margin around the text, in font pixels.
    pub margin: u32,
    /// Share of background pixels turned into random speckle noise (0 for none).
    pub noise: f64,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            scale: 3,
            columns: 40,
            max_lines: 40,
            foreground: [0, 0, 0],
            background: [255, 255, 255],
            margin: 8,
            noise: 0.0,
        }
    }
}

fn glyph(c: char) -> [u8; 8] {
    let code = c as u32;
    if code < 128 {
        font8x8::legacy::BASIC_LEGACY[code as usize]
    } else if (0xA0..=0xFF).contains(&code) {
        font8x8::legacy::LATIN_LEGACY[(code - 0xA0) as usize]
    } else {
        font8x8::legacy::BASIC_LEGACY[b'?' as usize]
    }
}

/// Wraps `text` at word boundaries to at most `columns` characters per line (long words are
/// split); explicit newlines are kept.
pub fn wrap(text: &str, columns: usize) -> Vec<String> {
    let columns = columns.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut len = 0;
        for word in paragraph.split_whitespace() {
            let chars: Vec<char> = word.chars().collect();
            for piece in chars.chunks(columns) {
                let piece_len = piece.len();
                if len > 0 && len + 1 + piece_len > columns {
                    lines.push(std::mem::take(&mut line));
                    len = 0;
                }
                if len > 0 {
                    line.push(' ');
                    len += 1;
                }
                line.extend(piece);
                len += piece_len;
            }
        }
        lines.push(line);
    }
    lines
}

/// Renders lines of text (no wrapping) with `style`; `seed` drives the noise.
pub fn render_lines(lines: &[String], style: &Style, seed: u64) -> RgbImage {
    let scale = style.scale.clamp(1, 8);
    let mut lines: Vec<String> = lines.to_vec();
    if lines.len() > style.max_lines.max(1) {
        lines.truncate(style.max_lines.max(1));
        if let Some(last) = lines.last_mut() {
            last.push_str("...");
        }
    }
    let cols = lines
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(1) as u32;
    let rows = lines.len().max(1) as u32;
    let margin = style.margin;
    let width = (cols * 8 + 2 * margin) * scale;
    let height = (rows * 10 + 2 * margin) * scale;
    let mut img = RgbImage::from_pixel(width, height, Rgb(style.background));
    if style.noise > 0.0 {
        let mut rng = rng(seed);
        let rate = style.noise.clamp(0.0, 1.0);
        for p in img.pixels_mut() {
            if rng.random_bool(rate) {
                let v = rng.random_range(0..=255u8);
                *p = Rgb([v, v, v]);
            }
        }
    }
    for (row, line) in lines.iter().enumerate() {
        for (col, c) in line.chars().enumerate() {
            let g = glyph(c);
            for (gy, bits) in g.iter().enumerate() {
                for gx in 0..8u32 {
                    if bits & (1 << gx) == 0 {
                        continue;
                    }
                    let x0 = (margin + col as u32 * 8 + gx) * scale;
                    let y0 = (margin + row as u32 * 10 + gy as u32) * scale;
                    for dy in 0..scale {
                        for dx in 0..scale {
                            img.put_pixel(x0 + dx, y0 + dy, Rgb(style.foreground));
                        }
                    }
                }
            }
        }
    }
    img
}

/// Wraps and renders `text`.
pub fn render(text: &str, style: &Style, seed: u64) -> RgbImage {
    render_lines(&wrap(text, style.columns), style, seed)
}

/// Encodes an image as PNG.
pub fn png(img: &RgbImage) -> Result<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| RedteamError::Image(e.to_string()))?;
    Ok(out.into_inner())
}

/// `word` drawn as 8-row ASCII art with `#` (at most 16 characters).
pub fn ascii_banner(word: &str) -> String {
    let chars: Vec<char> = word.chars().take(16).collect();
    let mut rows = Vec::with_capacity(8);
    for y in 0..8 {
        let mut row = String::new();
        for &c in &chars {
            let bits = glyph(c)[y];
            for x in 0..8 {
                row.push(if bits & (1 << x) != 0 { '#' } else { ' ' });
            }
        }
        rows.push(row.trim_end().to_string());
    }
    while rows.last().is_some_and(|r| r.is_empty()) {
        rows.pop();
    }
    rows.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_word_boundaries() {
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("a\nb", 10), vec!["a", "b"]);
    }

    #[test]
    fn renders_dark_pixels_for_text_and_none_for_spaces() {
        let style = Style::default();
        let blank = render(" ", &style, 0);
        assert!(blank.pixels().all(|p| p.0 == [255, 255, 255]));
        let text = render("Hi", &style, 0);
        assert!(text.pixels().any(|p| p.0 == [0, 0, 0]));
        let bytes = png(&text).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
    }

    #[test]
    fn banner_draws_letters() {
        let art = ascii_banner("HI");
        assert_eq!(art.lines().count(), 7);
        assert!(art.contains("##"));
    }
}
