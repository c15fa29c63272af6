//! PII and secrets: recognisers for personal data and credentials, and redaction that keeps
//! offsets.
//!
//! [`PiiScanner::scan`] finds, in one pass per recogniser (regex candidates, then validation):
//!
//! - **Personal data** ([`Category::SensitiveData`]): email addresses; phone numbers (E.164 and
//!   grouped national formats, scored by shape and by cues such as "phone:"; dates, prices,
//!   versions and order numbers are rejected); payment cards (Luhn, issuer prefix and length);
//!   IBANs (country length and mod-97); US SSNs (never-issued ranges excluded); UK National
//!   Insurance numbers; Spanish DNI/NIE (control letter); Italian codice fiscale (control
//!   character); German tax ids (check digit, only next to a cue); IPv4/IPv6 addresses (public or
//!   private in the detail; versions rejected); US-style street addresses and UK postcodes
//!   (modest recall); dates of birth after a cue ("born on", "DOB").
//! - **Secrets** ([`Category::Secrets`]): OpenAI, Anthropic, AWS (access key id, and the secret
//!   key next to its name or an id), GitHub, GitLab, Slack, Stripe and Google keys by their
//!   prefixes; JWTs whose header decodes to JSON with `alg`; PEM private key blocks;
//!   `password=` assignments; passwords in URLs (`postgres://user:pass@host`); high-entropy tokens
//!   next to a key/token/secret keyword (hex hashes after "commit"/"sha" and UUIDs excepted).
//!
//! What it does **not** catch: person names, organisations and locations (no reliable way without
//! a model; [`PiiKind`] has no name kind), non-US street addresses, driver's licences, passports,
//! national ids of other countries, phone numbers written without grouping or cue, dates other
//! than dates of birth, ages, and secrets of vendors not listed above unless they sit next to a
//! keyword. Personal data inside decoded views (base64 of an email) is not searched.
//!
//! Every match has a [`PiiKind`] (stable snake_case id), a byte span into the scanned text, a
//! score and a detail that never quotes the value. [`redact`] replaces matches with placeholders
//! (`[EMAIL]`, numbered `[EMAIL_1]`), masks (`****1111`) or salted hashes, and reports where each
//! replacement went. [`PiiDetector`] is the guard [`Detector`]: it scans the
//! input and its normalised form (fullwidth digits, zero-width characters inside an address) and
//! reports spans in the original text.
//!
//! ```
//! use rampart_guard::pii::{redact, PiiKind, PiiScanner, RedactStyle};
//!
//! let text = "Mail jane.doe@example.com, card 4111 1111 1111 1111.";
//! let scanner = PiiScanner::default();
//! let found = scanner.scan(text);
//! assert_eq!(found[0].kind, PiiKind::Email);
//! assert_eq!(found[0].value(text), "jane.doe@example.com");
//! let out = redact(text, &found, &RedactStyle::Placeholder);
//! assert_eq!(out.text, "Mail [EMAIL], card [CREDIT_CARD].");
//! let masked = redact(text, &found, &RedactStyle::Mask);
//! assert!(masked.text.contains("**** **** **** 1111"));
//! ```

mod check;
mod kind;
mod recognizer;
mod redact;

use rampart_core::{Category, Finding, Span};
use rampart_text::Normalized;
use serde::{Deserialize, Serialize};

use crate::detector::{Detector, Input};

pub use kind::PiiKind;
pub use redact::{RedactStyle, Redacted, Replacement, redact, resolve_overlaps, restore};

/// One recognised piece of personal data or secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PiiMatch {
    pub kind: PiiKind,
    /// Byte range in the scanned text, on character boundaries.
    pub span: Span,
    /// Confidence in `0..=1`: how sure the recogniser is that this is a `kind` (validated shape,
    /// context cues), not calibrated against a data set.
    pub score: f32,
    /// What was recognised, for people ("Visa card number (Luhn-valid)"); never the value.
    pub detail: String,
}

impl PiiMatch {
    /// The matched text (empty if `text` is not the text that was scanned).
    pub fn value<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.span.start..self.span.end).unwrap_or("")
    }
}

/// A set of [`PiiKind`]s as a bit mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KindSet(u32);

impl KindSet {
    fn all() -> KindSet {
        KindSet((1u32 << PiiKind::ALL.len()) - 1)
    }

    fn bit(kind: PiiKind) -> u32 {
        1 << (kind as u32)
    }

    fn contains(self, kind: PiiKind) -> bool {
        self.0 & KindSet::bit(kind) != 0
    }
}

/// Finds personal data and secrets in text. Cheap to clone and to build (the recognisers are
/// compiled once per process and shared).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PiiScanner {
    kinds: KindSet,
    min_score: f32,
}

impl Default for PiiScanner {
    /// Every kind, reporting matches scored 0.5 or more.
    fn default() -> Self {
        PiiScanner {
            kinds: KindSet::all(),
            min_score: PiiScanner::DEFAULT_MIN_SCORE,
        }
    }
}

impl PiiScanner {
    /// Matches scored below this are dropped by default: shapes that are as often something else
    /// (an ungrouped 9-digit number, "1.2.3.4") unless a cue raised their score.
    pub const DEFAULT_MIN_SCORE: f32 = 0.5;

    /// A scanner for these kinds only.
    pub fn with_kinds(kinds: impl IntoIterator<Item = PiiKind>) -> Self {
        let mask = kinds.into_iter().fold(0, |m, k| m | KindSet::bit(k));
        PiiScanner {
            kinds: KindSet(mask),
            ..PiiScanner::default()
        }
    }

    /// A scanner for personal data only (no secrets).
    pub fn personal_data() -> Self {
        PiiScanner::with_kinds(PiiKind::ALL.into_iter().filter(|k| !k.is_secret()))
    }

    /// A scanner for secrets only.
    pub fn secrets() -> Self {
        PiiScanner::with_kinds(PiiKind::ALL.into_iter().filter(|k| k.is_secret()))
    }

    /// The same scanner reporting only matches scored `min_score` or more.
    pub fn with_min_score(mut self, min_score: f32) -> Self {
        self.min_score = if min_score.is_nan() { 0.0 } else { min_score };
        self
    }

    /// Whether matches of `kind` are reported.
    pub fn is_enabled(&self, kind: PiiKind) -> bool {
        self.kinds.contains(kind)
    }

    /// The enabled kinds.
    pub fn kinds(&self) -> impl Iterator<Item = PiiKind> + '_ {
        PiiKind::ALL.into_iter().filter(|&k| self.is_enabled(k))
    }

    /// Every match in `text`, without overlaps (see [`resolve_overlaps`]), in text order.
    pub fn scan(&self, text: &str) -> Vec<PiiMatch> {
        resolve_overlaps(self.candidates(text))
    }

    /// Like [`PiiScanner::scan`], and also over `normalized.text` (the text a reader sees:
    /// fullwidth digits folded, zero-width characters removed), with spans mapped back to
    /// `text`. `normalized` must be `rampart_text::normalize(text)`.
    pub fn scan_with(&self, text: &str, normalized: &Normalized) -> Vec<PiiMatch> {
        let mut all = self.candidates(text);
        if normalized.text != text && normalized.offsets.original_len() == text.len() {
            for mut m in self.candidates(&normalized.text) {
                let orig = normalized.original_span(m.span.start..m.span.end);
                if orig.start < orig.end
                    && orig.end <= text.len()
                    && text.is_char_boundary(orig.start)
                    && text.is_char_boundary(orig.end)
                {
                    m.span = Span::new(orig.start, orig.end);
                    all.push(m);
                }
            }
        }
        resolve_overlaps(all)
    }

    /// Redacts what [`PiiScanner::scan`] finds in `text`.
    pub fn redact(&self, text: &str, style: &RedactStyle) -> Redacted {
        redact(text, &self.scan(text), style)
    }

    /// Every validated match at or above the score threshold, overlaps included.
    fn candidates(&self, text: &str) -> Vec<PiiMatch> {
        let mut out = Vec::new();
        for r in recognizer::RECOGNIZERS.iter() {
            if r.kinds.iter().any(|&k| self.is_enabled(k)) {
                r.run(text, &mut out);
            }
        }
        out.retain(|m| {
            self.is_enabled(m.kind)
                && m.score >= self.min_score
                && m.span.start < m.span.end
                && text.is_char_boundary(m.span.start)
                && text.is_char_boundary(m.span.end)
                && m.span.end <= text.len()
        });
        out
    }
}

/// The guard detector for personal data and secrets: a [`PiiScanner`] over the input and its
/// normalised form. Findings have category [`Category::SensitiveData`] or [`Category::Secrets`],
/// detector id `pii.<kind>` (e.g. `pii.email`, `pii.openai_key`), the match's score and detail,
/// and a span into `input.text`.
#[derive(Debug, Clone, Default)]
pub struct PiiDetector {
    scanner: PiiScanner,
}

impl PiiDetector {
    /// A detector with this scanner (its kinds and threshold).
    pub fn new(scanner: PiiScanner) -> Self {
        PiiDetector { scanner }
    }

    /// The scanner, e.g. to redact what this detector reported.
    pub fn scanner(&self) -> &PiiScanner {
        &self.scanner
    }
}

impl Detector for PiiDetector {
    fn id(&self) -> &str {
        "pii"
    }

    fn detect(&self, input: &Input<'_>) -> Vec<Finding> {
        self.scanner
            .scan_with(input.text, input.normalized)
            .into_iter()
            .map(|m| {
                let category: Category = m.kind.category();
                Finding::new(category, m.score, format!("pii.{}", m.kind.id()))
                    .with_span(m.span)
                    .with_detail(m.detail)
            })
            .collect()
    }
}
