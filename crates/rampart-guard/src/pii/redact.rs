//! Redaction: replacing matches with placeholders, masks or salted hashes, with a record of
//! where every replacement landed so offsets stay usable after the text changed.

use std::collections::{BTreeMap, HashMap};

use rampart_core::Span;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{PiiKind, PiiMatch};

/// How a match is replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "style")]
pub enum RedactStyle {
    /// `[EMAIL]`, `[CREDIT_CARD]`.
    #[default]
    Placeholder,
    /// `[EMAIL_1]`, `[EMAIL_2]`: one number per distinct value of a kind, in order of first
    /// appearance, so a repeated value gets the same placeholder and [`restore`] can put the
    /// values back into a model's reply.
    NumberedPlaceholder,
    /// `*` for every character (at most 16), except that cards keep their separators and last
    /// four digits (`**** **** **** 1111`).
    Mask,
    /// `[EMAIL:1a2b3c4d]`: the first 8 hex digits of SHA-256 over salt, kind and value. Stable for
    /// a salt, so the same value can be linked across texts without being revealed; keep the salt
    /// secret or short values (phone numbers) can be recovered by brute force.
    Hash { salt: String },
}

/// Where one match went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replacement {
    /// The replaced bytes in the original text.
    pub original: Span,
    /// The replacement's bytes in [`Redacted::text`].
    pub redacted: Span,
    pub kind: PiiKind,
}

/// A redacted text and the replacements made, in text order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redacted {
    pub text: String,
    pub replacements: Vec<Replacement>,
}

/// Keeps non-overlapping matches: where two overlap, the higher score wins, then the longer
/// span, then the earlier one, then the kind listed first in [`PiiKind`]. Deterministic whatever
/// the input order. Returns the kept matches in text order.
pub fn resolve_overlaps(mut matches: Vec<PiiMatch>) -> Vec<PiiMatch> {
    matches.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.span.len().cmp(&a.span.len()))
            .then(a.span.start.cmp(&b.span.start))
            .then(a.kind.cmp(&b.kind))
    });
    // Accepted spans by start; they never overlap, so only the neighbours need checking.
    let mut taken: BTreeMap<usize, usize> = BTreeMap::new();
    let mut kept = Vec::new();
    for m in matches {
        let Span { start, end } = m.span;
        if start >= end {
            continue;
        }
        let clash_before = taken
            .range(..=start)
            .next_back()
            .is_some_and(|(_, &e)| e > start);
        let clash_after = taken.range(start..end).next().is_some();
        if !clash_before && !clash_after {
            taken.insert(start, end);
            kept.push(m);
        }
    }
    kept.sort_by_key(|m| (m.span.start, m.span.end));
    kept
}

/// Replaces `matches` in `text` in the given style. Overlaps are resolved first
/// ([`resolve_overlaps`]); matches whose span is not a valid range of `text` on character
/// boundaries are ignored. Never panics.
pub fn redact(text: &str, matches: &[PiiMatch], style: &RedactStyle) -> Redacted {
    let valid = matches
        .iter()
        .filter(|m| {
            m.span.start < m.span.end
                && m.span.end <= text.len()
                && text.is_char_boundary(m.span.start)
                && text.is_char_boundary(m.span.end)
        })
        .cloned()
        .collect();
    let kept = resolve_overlaps(valid);
    let mut out = String::with_capacity(text.len());
    let mut replacements = Vec::with_capacity(kept.len());
    let mut numbers: HashMap<(PiiKind, &str), usize> = HashMap::new();
    let mut counters: HashMap<PiiKind, usize> = HashMap::new();
    let mut at = 0;
    for m in &kept {
        let (start, end) = (m.span.start, m.span.end);
        out.push_str(&text[at..start]);
        let value = &text[start..end];
        let new = match style {
            RedactStyle::Placeholder => format!("[{}]", m.kind.label()),
            RedactStyle::NumberedPlaceholder => {
                let n = *numbers.entry((m.kind, value)).or_insert_with(|| {
                    let c = counters.entry(m.kind).or_insert(0);
                    *c += 1;
                    *c
                });
                format!("[{}_{n}]", m.kind.label())
            }
            RedactStyle::Mask => mask(m.kind, value),
            RedactStyle::Hash { salt } => {
                let mut h = Sha256::new();
                h.update(salt.as_bytes());
                h.update([0]);
                h.update(m.kind.id().as_bytes());
                h.update([0]);
                h.update(value.as_bytes());
                let digest = h.finalize();
                let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
                format!("[{}:{hex}]", m.kind.label())
            }
        };
        let new_start = out.len();
        out.push_str(&new);
        replacements.push(Replacement {
            original: m.span,
            redacted: Span::new(new_start, out.len()),
            kind: m.kind,
        });
        at = end;
    }
    out.push_str(&text[at..]);
    Redacted {
        text: out,
        replacements,
    }
}

/// The mask for one value: see [`RedactStyle::Mask`].
fn mask(kind: PiiKind, value: &str) -> String {
    if kind == PiiKind::CreditCard {
        let digits = value.bytes().filter(u8::is_ascii_digit).count();
        let mut seen = 0;
        return value
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    seen += 1;
                    if seen + 4 > digits { c } else { '*' }
                } else {
                    c
                }
            })
            .collect();
    }
    "*".repeat(value.chars().count().min(16))
}

/// Puts the original values back into `text` (typically a model's reply to the redacted text)
/// wherever a placeholder of `redacted` appears. Meaningful for
/// [`RedactStyle::NumberedPlaceholder`] and [`RedactStyle::Hash`]; a placeholder that stands for
/// several different values (`[EMAIL]` in the plain style) is left as it is. `original` is the
/// text that was redacted.
pub fn restore(text: &str, original: &str, redacted: &Redacted) -> String {
    let mut values: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    for r in &redacted.replacements {
        let (Some(placeholder), Some(value)) = (
            redacted.text.get(r.redacted.start..r.redacted.end),
            original.get(r.original.start..r.original.end),
        ) else {
            continue;
        };
        values
            .entry(placeholder)
            .and_modify(|v| {
                if *v != Some(value) {
                    *v = None;
                }
            })
            .or_insert(Some(value));
    }
    let mut out = text.to_string();
    // Longest placeholders first, so that none is a prefix of one replaced later.
    let mut pairs: Vec<(&str, &str)> = values
        .into_iter()
        .filter_map(|(p, v)| Some((p, v?)))
        .collect();
    pairs.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    for (placeholder, value) in pairs {
        if placeholder.starts_with('[') {
            out = out.replace(placeholder, value);
        }
    }
    out
}
