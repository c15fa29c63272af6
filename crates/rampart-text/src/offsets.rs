//! The map from byte offsets in normalised text back to byte offsets in the original.
//!
//! A detector runs on the normalised text but must point at (or redact) the original. The map is
//! run-length encoded: a stretch of characters the normaliser copied unchanged is one segment
//! whatever its length, so plain text costs a few words of memory. A character that was rewritten
//! (NFKC, a folded confusable) maps as a whole onto the original characters it came from.

use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    norm: usize,
    norm_len: usize,
    orig: usize,
    orig_len: usize,
    /// Bytes correspond one to one (`norm + i` is `orig + i`); otherwise the segment is atomic.
    copied: bool,
}

/// Maps byte ranges of a normalised text back to byte ranges of the text it was made from.
///
/// Every offset it returns lies on a character boundary of the original, provided that the offsets
/// given to it lie on character boundaries of the normalised text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffsetMap {
    segments: Vec<Segment>,
    norm_len: usize,
    orig_len: usize,
}

impl OffsetMap {
    /// The identity map of a text of `len` bytes.
    pub fn identity(len: usize) -> Self {
        let mut map = Self::default();
        if len > 0 {
            map.push(len, 0..len, true);
        }
        map.finish(len);
        map
    }

    /// Appends `norm_len` bytes of normalised text made from `orig` in the original.
    /// `copied` says the bytes are the original's bytes, unchanged.
    pub(crate) fn push(&mut self, norm_len: usize, orig: Range<usize>, copied: bool) {
        let norm = self.norm_len;
        self.norm_len += norm_len;
        if let Some(last) = self.segments.last_mut() {
            let contiguous = last.norm + last.norm_len == norm;
            if copied && last.copied && contiguous && last.orig + last.orig_len == orig.start {
                last.norm_len += norm_len;
                last.orig_len += orig.len();
                return;
            }
            // Several output characters made from the same original characters (NFKC "ﬁ" -> "fi").
            if !copied && !last.copied && contiguous && last.orig == orig.start {
                last.norm_len += norm_len;
                last.orig_len = last.orig_len.max(orig.len());
                return;
            }
        }
        self.segments.push(Segment {
            norm,
            norm_len,
            orig: orig.start,
            orig_len: orig.len(),
            copied,
        });
    }

    pub(crate) fn finish(&mut self, orig_len: usize) {
        self.orig_len = orig_len;
    }

    /// Length in bytes of the normalised text.
    pub fn normalized_len(&self) -> usize {
        self.norm_len
    }

    /// Length in bytes of the original text.
    pub fn original_len(&self) -> usize {
        self.orig_len
    }

    /// The smallest range of the original that produced the normalised bytes `range`.
    ///
    /// Ranges beyond the normalised text are clamped. An empty range maps to an empty range at
    /// the corresponding position.
    pub fn to_original(&self, range: Range<usize>) -> Range<usize> {
        let start = range.start.min(self.norm_len);
        let end = range.end.clamp(start, self.norm_len);
        if start == end {
            let at = self.start_of(start);
            return at..at;
        }
        let orig_start = self.start_of(start);
        let orig_end = self.end_of(end).max(orig_start);
        orig_start..orig_end
    }

    /// The original offset where the normalised byte at `offset` begins (for `offset` equal to
    /// the normalised length: the end of the last mapped character).
    pub fn to_original_offset(&self, offset: usize) -> usize {
        self.start_of(offset.min(self.norm_len))
    }

    fn segment_at(&self, offset: usize) -> Option<&Segment> {
        let index = self.segments.partition_point(|s| s.norm <= offset);
        index.checked_sub(1).map(|i| &self.segments[i])
    }

    fn start_of(&self, offset: usize) -> usize {
        if offset >= self.norm_len {
            return self.segments.last().map_or(0, |s| s.orig + s.orig_len);
        }
        match self.segment_at(offset) {
            Some(s) if s.copied => s.orig + (offset - s.norm),
            Some(s) => s.orig,
            None => 0,
        }
    }

    /// Original offset where the normalised byte `offset - 1` ends.
    fn end_of(&self, offset: usize) -> usize {
        match self.segment_at(offset - 1) {
            Some(s) if s.copied => s.orig + (offset - s.norm),
            Some(s) => s.orig + s.orig_len,
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_maps_to_itself() {
        let map = OffsetMap::identity(10);
        assert_eq!(map.to_original(2..5), 2..5);
        assert_eq!(map.to_original(0..10), 0..10);
        assert_eq!(map.to_original(8..20), 8..10);
    }

    #[test]
    fn atomic_segments_cover_their_source() {
        // "a" copied, "fi" made from a 3-byte ligature, "b" copied.
        let mut map = OffsetMap::default();
        map.push(1, 0..1, true);
        map.push(1, 1..4, false);
        map.push(1, 1..4, false);
        map.push(1, 4..5, true);
        map.finish(5);
        assert_eq!(map.to_original(1..2), 1..4);
        assert_eq!(map.to_original(2..3), 1..4);
        assert_eq!(map.to_original(0..4), 0..5);
        assert_eq!(map.to_original(3..4), 4..5);
    }
}
