//! The normaliser: one pass that turns text into what a reader sees, keeps an offset map back to
//! the original, counts what it removed, and collects decoded views.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use unicode_normalization::char::{
    canonical_combining_class, decompose_compatible, is_combining_mark,
};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

use crate::chars::{self, InvisibleKind};
use crate::confusables::{self, Script};
use crate::decode;
use crate::offsets::OffsetMap;
use crate::view::{DecodedView, ViewKind};

/// Settings of the normaliser. [`Normalizer::default`] is what [`crate::normalize`] uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Normalizer {
    /// Fold confusables to ASCII in the main text, where the context is Latin (see
    /// [`Normalized::text`]). The [`ViewKind::Skeleton`] view folds them everywhere regardless.
    pub fold_confusables: bool,
    /// Run the decoders (base64, hex, rot13 ...) and report their views.
    pub decode: bool,
    /// How deep decoders recurse into what they decoded (base64 of rot13 is depth 2).
    pub max_depth: usize,
    /// Most views reported for one input, nested ones included.
    pub max_views: usize,
    /// Decoders scan at most this many bytes of normalised text; the rest is normalised but not
    /// decoded, and [`Report::truncated`] says so. Keeps huge inputs fast.
    pub decode_limit: usize,
    /// Total bytes of decoded text kept over all views.
    pub max_decoded_bytes: usize,
    /// Combining marks kept after one base character; more (Zalgo text) are dropped and counted.
    pub max_combining_marks: usize,
}

impl Default for Normalizer {
    fn default() -> Self {
        Self {
            fold_confusables: true,
            decode: true,
            max_depth: 3,
            max_views: 32,
            decode_limit: 256 * 1024,
            max_decoded_bytes: 1024 * 1024,
            max_combining_marks: 2,
        }
    }
}

/// What the normaliser removed, folded and decoded: the evidence of obfuscation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Zero-width spaces and joiners, word joiners, BOMs, soft hyphens, Hangul fillers.
    pub zero_width: usize,
    /// Zero-width joiners and presentation selectors inside emoji sequences (benign; removed all
    /// the same).
    pub emoji_sequence: usize,
    /// Bidirectional controls.
    pub bidi: usize,
    /// Unicode tag characters.
    pub tag_chars: usize,
    /// Variation selectors.
    pub variation_selectors: usize,
    /// Other invisible format characters.
    pub format: usize,
    /// Control characters other than tab, LF, CR (ANSI escape sequences are counted apart).
    pub control: usize,
    /// ANSI escape sequences.
    pub ansi_escapes: usize,
    /// Invalid UTF-8 sequences (only from [`Normalizer::normalize_bytes`]).
    pub invalid_utf8: usize,
    /// The first removed characters with their byte range in the original (at most
    /// [`Report::MAX_LISTED`]; the counts above are complete).
    pub removed: Vec<Removed>,
    /// Stretches of original text that NFKC rewrote (fullwidth, mathematical letters, ligatures ...).
    pub nfkc_rewrites: usize,
    /// Confusable characters folded to ASCII in the main text.
    pub confusables_folded: usize,
    /// Typographic punctuation folded to ASCII (dashes, quotes).
    pub punctuation_folded: usize,
    /// Words mixing Latin letters with Cyrillic, Greek, Armenian or Cherokee ones.
    pub mixed_script_words: usize,
    /// Scripts of the letters seen, in a fixed order.
    pub scripts: Vec<Script>,
    /// Combining marks dropped because one base character carried too many (Zalgo text).
    pub excess_combining_marks: usize,
    /// Decoders that produced at least one view (nested ones included), in a fixed order.
    pub decoders_fired: Vec<ViewKind>,
    /// The input was longer than [`Normalizer::decode_limit`]: only its start was decoded.
    pub truncated: bool,
    /// A limit on views, depth or decoded bytes stopped decoding early.
    pub budget_exhausted: bool,
}

/// One removed character (or escape sequence) and where it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// What it was.
    pub kind: InvisibleKind,
    /// Its byte range in the original.
    pub span: Range<usize>,
}

impl Report {
    /// How many removed characters [`Report::removed`] lists at most.
    pub const MAX_LISTED: usize = 256;

    /// Invisible or control characters removed, benign emoji joiners excluded.
    pub fn invisible_count(&self) -> usize {
        self.zero_width
            + self.bidi
            + self.tag_chars
            + self.variation_selectors
            + self.format
            + self.control
            + self.ansi_escapes
            + self.invalid_utf8
    }

    /// Whether anything suggests obfuscation: invisible characters, mixed-script words, folded
    /// confusables, Zalgo marks, or any decoder firing.
    pub fn is_suspicious(&self) -> bool {
        self.invisible_count() > 0
            || self.mixed_script_words > 0
            || self.confusables_folded > 0
            || self.excess_combining_marks > 0
            || !self.decoders_fired.is_empty()
    }

    fn count(&mut self, kind: InvisibleKind, span: Range<usize>) {
        let counter = match kind {
            InvisibleKind::ZeroWidth => &mut self.zero_width,
            InvisibleKind::EmojiSequence => &mut self.emoji_sequence,
            InvisibleKind::Bidi => &mut self.bidi,
            InvisibleKind::Tag => &mut self.tag_chars,
            InvisibleKind::VariationSelector => &mut self.variation_selectors,
            InvisibleKind::Format => &mut self.format,
            InvisibleKind::Control => &mut self.control,
            InvisibleKind::AnsiEscape => &mut self.ansi_escapes,
            InvisibleKind::InvalidUtf8 => &mut self.invalid_utf8,
        };
        *counter += 1;
        if self.removed.len() < Self::MAX_LISTED {
            self.removed.push(Removed { kind, span });
        }
    }

    fn fired(&mut self, kind: ViewKind) {
        if let Err(at) = self.decoders_fired.binary_search(&kind) {
            self.decoders_fired.insert(at, kind);
        }
    }
}

/// The result of normalising a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Normalized {
    /// What a reader sees: NFKC, invisible and control characters removed, Zalgo marks capped,
    /// typographic punctuation folded, and confusables folded to ASCII in every word that has a
    /// Latin letter, and in look-alike-only words next to Latin text (so Russian text stays Russian
    /// while `pаypаl` with a Cyrillic `а` becomes `paypal`). Case is kept.
    pub text: String,
    /// Maps byte ranges of `text` back to the original.
    #[serde(skip)]
    pub offsets: OffsetMap,
    /// Decoded readings of obfuscated stretches; judge each of them as well as `text`.
    pub views: Vec<DecodedView>,
    /// What was removed, folded and decoded.
    pub report: Report,
}

impl Normalized {
    /// The byte range of the original that produced `range` of [`Normalized::text`]. Offsets
    /// inside a character of `text` are widened to the whole character, so the result is always on
    /// character boundaries of the original.
    pub fn original_span(&self, range: Range<usize>) -> Range<usize> {
        let mut start = range.start.min(self.text.len());
        let mut end = range.end.clamp(start, self.text.len());
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        self.offsets.to_original(start..end)
    }

    /// The normalised text followed by the text of every view: everything a detector should judge.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.text.as_str()).chain(self.views.iter().map(|v| v.text.as_str()))
    }
}

/// Limits shared by one input and everything decoded from it.
struct Budget {
    views: usize,
    decoded_bytes: usize,
    exhausted: bool,
}

/// A character after NFKC, with the original range it came from.
#[derive(Clone, Copy)]
struct Item {
    c: char,
    orig: (usize, usize),
    /// The character is the original character at `orig`, unchanged.
    copied: bool,
}

impl Normalizer {
    /// Normalises `text` and decodes what is hidden in it. Never panics; linear in the input, with
    /// decoding bounded by the limits of `self`.
    pub fn normalize(&self, text: &str) -> Normalized {
        let mut budget = Budget {
            views: 0,
            decoded_bytes: 0,
            exhausted: false,
        };
        let mut normalized = self.run(text, 0, &mut budget);
        normalized.report.budget_exhausted |= budget.exhausted;
        normalized
    }

    /// Like [`Normalizer::normalize`], for bytes that may not be UTF-8: invalid sequences are
    /// removed and counted ([`Report::invalid_utf8`]), and offsets refer to the input bytes.
    pub fn normalize_bytes(&self, bytes: &[u8]) -> Normalized {
        let mut budget = Budget {
            views: 0,
            decoded_bytes: 0,
            exhausted: false,
        };
        let mut report = Report::default();
        let mut hidden = Vec::new();
        let items = self.visible_items(byte_units(bytes), bytes.len(), &mut report, &mut hidden);
        let mut normalized = self.finish(items, bytes.len(), report, hidden, 0, &mut budget);
        normalized.report.budget_exhausted |= budget.exhausted;
        normalized
    }

    fn run(&self, original: &str, depth: usize, budget: &mut Budget) -> Normalized {
        let mut report = Report::default();
        let mut hidden = Vec::new();
        let units = original
            .char_indices()
            .map(|(i, c)| (i, c, i + c.len_utf8(), false));
        let items = self.visible_items(units, original.len(), &mut report, &mut hidden);
        self.finish(items, original.len(), report, hidden, depth, budget)
    }

    fn finish(
        &self,
        items: Vec<Item>,
        orig_len: usize,
        mut report: Report,
        hidden: Vec<(ViewKind, Range<usize>, String)>,
        depth: usize,
        budget: &mut Budget,
    ) -> Normalized {
        let (text, offsets) = self.fold(&items, orig_len, &mut report);
        let mut normalized = Normalized {
            text,
            offsets,
            views: Vec::new(),
            report,
        };
        if self.decode && depth < self.max_depth {
            self.collect_views(&mut normalized, hidden, depth, budget);
        }
        normalized
    }

    /// Pass 1: drops invisible characters (decoding tag and variation-selector payloads into
    /// `hidden`), applies NFKC per composition segment, caps combining marks.
    fn visible_items(
        &self,
        units: impl Iterator<Item = Unit>,
        orig_len: usize,
        report: &mut Report,
        hidden: &mut Vec<(ViewKind, Range<usize>, String)>,
    ) -> Vec<Item> {
        let mut items = Vec::with_capacity(orig_len);
        let mut segment: Vec<(char, usize, usize)> = Vec::new();
        let mut tags = HiddenRun::default();
        let mut selectors = HiddenRun::default();
        let mut last_visible: Option<char> = None;
        let mut iter = units.peekable();
        while let Some((start, c, unit_end, invalid)) = iter.next() {
            let mut end = unit_end;
            let kind = if invalid {
                Some(InvisibleKind::InvalidUtf8)
            } else if c == '\u{1b}' && iter.peek().is_some_and(|&(_, n, _, _)| n == '[') {
                // CSI sequence: ESC [ parameters final-byte. Bounded, so a lone "ESC [" followed by
                // text does not swallow the text.
                let mut consumed = 0;
                while let Some(&(_, n, n_end, _)) = iter.peek() {
                    iter.next();
                    end = n_end;
                    consumed += 1;
                    if consumed > 1 && ('\u{40}'..='\u{7e}').contains(&n) || consumed > 24 {
                        break;
                    }
                }
                Some(InvisibleKind::AnsiEscape)
            } else {
                chars::classify(c)
            };
            let Some(mut kind) = kind else {
                tags.flush(ViewKind::TagChars, hidden);
                selectors.flush(ViewKind::VariationSelectors, hidden);
                if is_segment_start(c) {
                    self.flush_segment(&mut segment, &mut items, report);
                }
                if segment.len() < 32 {
                    segment.push((c, start, end));
                } else {
                    // Zalgo: dozens of marks on one base. Drop them before NFKC has to sort them.
                    report.excess_combining_marks += 1;
                    if let Some(last) = segment.last_mut() {
                        last.2 = end;
                    }
                }
                last_visible = Some(c);
                continue;
            };
            // A joiner between two pictographs, or a presentation selector after a pictograph or a
            // keycap digit, is part of an ordinary emoji sequence.
            let joiner = c == '\u{200D}'
                && last_visible.is_some_and(chars::is_pictographic)
                && iter
                    .peek()
                    .is_some_and(|&(_, n, _, _)| chars::is_pictographic(n));
            let presentation = matches!(c, '\u{FE0E}' | '\u{FE0F}')
                && !selectors.is_open()
                && last_visible.is_some_and(|p| {
                    chars::is_pictographic(p) || matches!(p, '0'..='9' | '#' | '*')
                })
                && !iter.peek().is_some_and(|&(_, n, _, _)| {
                    chars::classify(n) == Some(InvisibleKind::VariationSelector)
                });
            if joiner || presentation {
                kind = InvisibleKind::EmojiSequence;
            }
            match kind {
                InvisibleKind::Tag => {
                    selectors.flush(ViewKind::VariationSelectors, hidden);
                    tags.push(chars::tag_to_ascii(c).map(|a| a as u8), start, end);
                }
                InvisibleKind::VariationSelector => {
                    tags.flush(ViewKind::TagChars, hidden);
                    selectors.push(chars::variation_selector_to_byte(c), start, end);
                }
                _ => {
                    tags.flush(ViewKind::TagChars, hidden);
                    selectors.flush(ViewKind::VariationSelectors, hidden);
                }
            }
            report.count(kind, start..end);
        }
        tags.flush(ViewKind::TagChars, hidden);
        selectors.flush(ViewKind::VariationSelectors, hidden);
        self.flush_segment(&mut segment, &mut items, report);
        items
    }

    fn flush_segment(
        &self,
        segment: &mut Vec<(char, usize, usize)>,
        items: &mut Vec<Item>,
        report: &mut Report,
    ) {
        match segment.as_slice() {
            [] => return,
            // The common cases: an ASCII character, or any lone character that the quick check
            // says is already NFKC, is its own NFKC form.
            &[(c, start, end)]
                if c.is_ascii() || is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes =>
            {
                items.push(Item {
                    c,
                    orig: (start, end),
                    copied: true,
                });
            }
            _ => {
                let composed: Vec<char> = segment.iter().map(|&(c, _, _)| c).nfkc().collect();
                let unchanged = composed.len() == segment.len()
                    && composed.iter().zip(segment.iter()).all(|(a, b)| *a == b.0);
                if unchanged {
                    for &(c, start, end) in segment.iter() {
                        items.push(Item {
                            c,
                            orig: (start, end),
                            copied: true,
                        });
                    }
                } else {
                    report.nfkc_rewrites += 1;
                    let orig = (segment[0].1, segment[segment.len() - 1].2);
                    for c in composed {
                        items.push(Item {
                            c,
                            orig,
                            copied: false,
                        });
                    }
                }
                self.cap_marks(items, report);
            }
        }
        segment.clear();
    }

    /// Drops combining marks beyond `max_combining_marks` at the end of `items`.
    fn cap_marks(&self, items: &mut Vec<Item>, report: &mut Report) {
        let marks = items
            .iter()
            .rev()
            .take_while(|i| is_combining_mark(i.c))
            .count();
        if marks > self.max_combining_marks {
            let keep = items.len() - marks + self.max_combining_marks;
            let end = items.last().map(|i| i.orig.1).unwrap_or_default();
            report.excess_combining_marks += marks - self.max_combining_marks;
            items.truncate(keep);
            // The kept characters now stand for the dropped marks as well, so a span over them
            // redacts the whole cluster.
            if let Some(last) = items.last_mut() {
                last.orig.1 = last.orig.1.max(end);
                last.copied = false;
            }
        }
    }

    /// Pass 2: folds confusables by word context and typographic punctuation, builds the text and
    /// the offset map, and counts scripts.
    fn fold(&self, items: &[Item], orig_len: usize, report: &mut Report) -> (String, OffsetMap) {
        let words = word_ranges(items);
        let infos: Vec<WordInfo> = words
            .iter()
            .map(|w| WordInfo::of(&items[w.clone()]))
            .collect();
        let fold_word = if self.fold_confusables {
            decide_folding(&infos)
        } else {
            vec![false; infos.len()]
        };

        let mut scripts = [false; 7];
        for info in &infos {
            for (seen, word_has) in scripts.iter_mut().zip(info.scripts.iter()) {
                *seen |= *word_has;
            }
            if info.is_mixed() {
                report.mixed_script_words += 1;
            }
        }
        report.scripts = SCRIPTS
            .iter()
            .zip(scripts)
            .filter(|(_, seen)| *seen)
            .map(|(s, _)| *s)
            .collect();

        let mut text = String::with_capacity(items.len());
        let mut offsets = OffsetMap::default();
        let mut word_iter = words.iter().zip(fold_word.iter()).peekable();
        let mut index = 0;
        while index < items.len() {
            let item = items[index];
            while word_iter.peek().is_some_and(|(w, _)| w.end <= index) {
                word_iter.next();
            }
            let in_folded_word = word_iter
                .peek()
                .is_some_and(|(w, fold)| w.contains(&index) && **fold);
            let folded = in_folded_word.then(|| confusables::fold(item.c)).flatten();
            if let Some(folded) = folded {
                report.confusables_folded += 1;
                // A folded base may now compose with the marks after it (Greek "ο" + diaeresis
                // becomes "ö"): compose them so that the text stays in NFKC and normalising twice
                // changes nothing.
                let marks = items[index + 1..]
                    .iter()
                    .take_while(|i| is_combining_mark(i.c))
                    .count();
                if marks > 0 {
                    let cluster = &items[index..=index + marks];
                    let composed = std::iter::once(folded)
                        .chain(cluster[1..].iter().map(|i| i.c))
                        .nfc();
                    let orig = cluster[0].orig.0..cluster[marks].orig.1;
                    for c in composed {
                        text.push(c);
                        offsets.push(c.len_utf8(), orig.clone(), false);
                    }
                    index += marks + 1;
                    continue;
                }
                text.push(folded);
                offsets.push(folded.len_utf8(), item.orig.0..item.orig.1, false);
            } else if let Some(folded) = confusables::fold_punctuation(item.c) {
                report.punctuation_folded += 1;
                text.push(folded);
                offsets.push(folded.len_utf8(), item.orig.0..item.orig.1, false);
            } else {
                text.push(item.c);
                offsets.push(item.c.len_utf8(), item.orig.0..item.orig.1, item.copied);
            }
            index += 1;
        }
        offsets.finish(orig_len);
        (text, offsets)
    }

    fn collect_views(
        &self,
        normalized: &mut Normalized,
        hidden: Vec<(ViewKind, Range<usize>, String)>,
        depth: usize,
        budget: &mut Budget,
    ) {
        // Hidden payloads carry original spans already; decoders' spans are in normalised text.
        let mut found = hidden;
        let skeleton = decode::skeleton_view(&normalized.text);
        let mut decoded = Vec::new();
        let text = &normalized.text;
        let scan = if text.len() > self.decode_limit {
            normalized.report.truncated = true;
            let mut end = self.decode_limit;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            &text[..end]
        } else {
            text.as_str()
        };
        decode::find_all(scan, &mut decoded);
        let whole = 0..normalized.offsets.original_len();
        if let Some(skeleton) = skeleton {
            found.push((ViewKind::Skeleton, whole.clone(), skeleton));
        }
        for d in decoded {
            let span = if d.kind.is_in_place() {
                whole.clone()
            } else {
                normalized.offsets.to_original(d.span)
            };
            found.push((d.kind, span, d.text));
        }

        for (kind, span, raw) in found {
            if budget.views >= self.max_views {
                budget.exhausted = true;
                break;
            }
            // One oversized payload must not crowd out the small ones after it.
            if budget.decoded_bytes + raw.len() > self.max_decoded_bytes {
                budget.exhausted = true;
                continue;
            }
            let child = self.run(&raw, depth + 1, budget);
            if child.text.trim().is_empty()
                || child.text == normalized.text
                || normalized.views.iter().any(|v| v.text == child.text)
            {
                continue;
            }
            budget.views += 1;
            budget.decoded_bytes += child.text.len();
            normalized.report.fired(kind);
            for nested in &child.report.decoders_fired {
                normalized.report.fired(*nested);
            }
            normalized.report.truncated |= child.report.truncated;
            normalized.views.push(DecodedView {
                kind,
                span_in_original: span.clone(),
                text: child.text,
                chain: vec![kind],
            });
            for nested in child.views {
                if normalized.views.iter().any(|v| v.text == nested.text) {
                    continue;
                }
                let mut chain = vec![kind];
                chain.extend(nested.chain);
                normalized.views.push(DecodedView {
                    kind: nested.kind,
                    span_in_original: span.clone(),
                    text: nested.text,
                    chain,
                });
            }
        }
    }
}

/// One input character: byte start, the character, byte end, and whether it stands for an invalid
/// UTF-8 sequence.
type Unit = (usize, char, usize, bool);

/// The characters of possibly invalid UTF-8, each invalid sequence as one U+FFFD unit.
fn byte_units(bytes: &[u8]) -> impl Iterator<Item = Unit> + '_ {
    let mut offset = 0;
    bytes.utf8_chunks().flat_map(move |chunk| {
        let base = offset;
        let valid = chunk.valid();
        let invalid = chunk.invalid();
        offset += valid.len() + invalid.len();
        let chars = valid
            .char_indices()
            .map(move |(i, c)| (base + i, c, base + i + c.len_utf8(), false));
        let bad = (!invalid.is_empty()).then(|| {
            let start = base + valid.len();
            (start, '\u{FFFD}', start + invalid.len(), true)
        });
        chars.chain(bad)
    })
}

/// A run of tag characters or variation selectors being decoded.
#[derive(Default)]
struct HiddenRun {
    bytes: Vec<u8>,
    span: Option<(usize, usize)>,
}

impl HiddenRun {
    fn is_open(&self) -> bool {
        self.span.is_some()
    }

    fn push(&mut self, byte: Option<u8>, start: usize, end: usize) {
        if let Some(b) = byte {
            self.bytes.push(b);
        }
        let span = self.span.get_or_insert((start, end));
        span.1 = end;
    }

    fn flush(&mut self, kind: ViewKind, hidden: &mut Vec<(ViewKind, Range<usize>, String)>) {
        if let Some((start, end)) = self.span.take() {
            // One variation selector after an emoji is ordinary presentation, not a payload.
            if self.bytes.len() >= 2 {
                let payload = String::from_utf8_lossy(&self.bytes).into_owned();
                if kind == ViewKind::TagChars || decode::is_mostly_text(&payload) {
                    hidden.push((kind, start..end, payload));
                }
            }
        }
        self.bytes.clear();
    }
}

/// Whether NFKC may treat `c` as the start of a new composition segment: a starter that never
/// composes with what precedes it. Segments are normalised one at a time, so the offset map can
/// point each output character at the few original characters it came from.
fn is_segment_start(c: char) -> bool {
    if c.is_ascii() {
        return true;
    }
    if canonical_combining_class(c) != 0 || is_nfkc_quick(std::iter::once(c)) == IsNormalized::Maybe
    {
        return false;
    }
    // A starter whose decomposition begins with a combining mark (Tibetan U+0F73) reorders with
    // the marks before it.
    let mut first = None;
    decompose_compatible(c, |d| {
        first.get_or_insert(d);
    });
    first.is_none_or(|d| canonical_combining_class(d) == 0)
}

const SCRIPTS: [Script; 7] = [
    Script::Latin,
    Script::Greek,
    Script::Cyrillic,
    Script::Armenian,
    Script::Cherokee,
    Script::Other,
    Script::Common,
];

fn script_index(script: Script) -> usize {
    SCRIPTS.iter().position(|s| *s == script).unwrap_or(6)
}

fn word_ranges(items: &[Item]) -> Vec<Range<usize>> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, item) in items.iter().enumerate() {
        match (item.c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                words.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push(s..items.len());
    }
    words
}

/// What a word is made of, for deciding whether its confusables are spoofing.
struct WordInfo {
    /// A Latin letter that is not itself a confusable.
    latin_anchor: bool,
    /// A letter of another script that is not a confusable (Russian `д`, Chinese ...).
    other_anchor: bool,
    confusable: bool,
    /// A confusable of a script other than Latin, Greek, Cyrillic, Armenian and Cherokee.
    foreign_confusable: bool,
    scripts: [bool; 7],
}

impl WordInfo {
    fn of(items: &[Item]) -> Self {
        let mut info = WordInfo {
            latin_anchor: false,
            other_anchor: false,
            confusable: false,
            foreign_confusable: false,
            scripts: [false; 7],
        };
        for item in items {
            let script = confusables::script_of(item.c);
            if script != Script::Common {
                info.scripts[script_index(script)] = true;
            }
            if confusables::fold(item.c).is_some() {
                info.confusable = true;
                // Look-alikes from scripts outside the usual four (Lisu, Coptic) mix too.
                info.foreign_confusable |= script == Script::Other;
            } else if script == Script::Latin {
                info.latin_anchor = true;
            } else if script != Script::Common {
                info.other_anchor = true;
            }
        }
        info
    }

    fn is_mixed(&self) -> bool {
        let lookalikes = [
            Script::Greek,
            Script::Cyrillic,
            Script::Armenian,
            Script::Cherokee,
        ];
        let count = lookalikes
            .iter()
            .filter(|s| self.scripts[script_index(**s)])
            .count();
        let latin = self.scripts[script_index(Script::Latin)];
        (latin && (count >= 1 || self.foreign_confusable)) || count >= 2
    }

    fn anchor(&self) -> Option<bool> {
        if self.latin_anchor {
            Some(true)
        } else if self.other_anchor {
            Some(false)
        } else {
            None
        }
    }
}

/// Which words to fold. A word with a Latin letter is folded (its look-alikes are spoofing). A
/// word with only look-alikes is folded when the nearest anchored word on either side is Latin, or
/// when there is no anchored word at all. A word of another script is left alone. The rule is
/// idempotent: folding never changes the decision for a word that was not folded.
fn decide_folding(infos: &[WordInfo]) -> Vec<bool> {
    let mut previous = vec![None; infos.len()];
    let mut last = None;
    for (i, info) in infos.iter().enumerate() {
        previous[i] = last;
        if let Some(anchor) = info.anchor() {
            last = Some(anchor);
        }
    }
    let mut next = vec![None; infos.len()];
    last = None;
    for (i, info) in infos.iter().enumerate().rev() {
        next[i] = last;
        if let Some(anchor) = info.anchor() {
            last = Some(anchor);
        }
    }
    infos
        .iter()
        .enumerate()
        .map(|(i, info)| {
            info.confusable
                && match info.anchor() {
                    Some(latin) => latin,
                    None => matches!(
                        (previous[i], next[i]),
                        (Some(true), _) | (_, Some(true)) | (None, None)
                    ),
                }
        })
        .collect()
}
