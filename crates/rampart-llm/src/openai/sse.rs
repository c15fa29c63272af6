//! An incremental Server-Sent Events parser (the subset of the WHATWG spec that chat APIs use).
//!
//! Bytes arrive in arbitrary chunks: a line, a UTF-8 sequence or the `\r\n` pair may be split
//! across chunks. [`SseParser::push`] buffers until a blank line dispatches an event. Comments
//! (`: keep-alive`) are ignored; multi-line `data:` fields are joined with `\n`.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, if any (`None` means the default "message").
    pub event: Option<String>,
    /// The joined `data:` lines.
    pub data: String,
}

impl SseEvent {
    /// Whether this is OpenAI's end-of-stream sentinel.
    pub fn is_done(&self) -> bool {
        self.data.trim() == "[DONE]"
    }
}

/// Incremental parser state.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    data: Option<String>,
    event: Option<String>,
    /// A `\r` ended the previous chunk: a `\n` at the start of the next one belongs to it.
    pending_cr: bool,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk and returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        let mut chunk = chunk;
        if self.pending_cr {
            self.pending_cr = false;
            if chunk.first() == Some(&b'\n') {
                chunk = &chunk[1..];
            }
        }
        self.buf.extend_from_slice(chunk);
        let mut start = 0;
        let mut i = 0;
        while i < self.buf.len() {
            let b = self.buf[i];
            if b == b'\n' || b == b'\r' {
                let line = self.buf[start..i].to_vec();
                let mut next = i + 1;
                if b == b'\r' {
                    if next < self.buf.len() {
                        if self.buf[next] == b'\n' {
                            next += 1;
                        }
                    } else {
                        self.pending_cr = true;
                    }
                }
                self.process_line(&line, &mut out);
                start = next;
                i = next;
            } else {
                i += 1;
            }
        }
        self.buf.drain(..start);
        out
    }

    /// Call at end of input: dispatches a final event that lacked its blank line, and reports
    /// whether unterminated bytes were left over.
    pub fn finish(&mut self) -> (Option<SseEvent>, bool) {
        let leftover = !self.buf.is_empty();
        if leftover {
            let line = std::mem::take(&mut self.buf);
            let mut out = Vec::new();
            self.process_line(&line, &mut out);
            debug_assert!(out.is_empty());
        }
        (self.dispatch(), leftover)
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if let Some(ev) = self.dispatch() {
                out.push(ev);
            }
            return;
        }
        if line[0] == b':' {
            return; // comment / keep-alive
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.find(':') {
            Some(pos) => {
                let v = &line[pos + 1..];
                (&line[..pos], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (line.as_ref(), ""),
        };
        match field {
            "data" => match &mut self.data {
                None => self.data = Some(value.to_string()),
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
            },
            "event" => self.event = Some(value.to_string()),
            _ => {} // id, retry and unknown fields do not matter for chat streams
        }
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let data = self.data.take();
        let event = self.event.take();
        data.map(|data| SseEvent { event, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(p.push(c));
        }
        out.extend(p.finish().0);
        out
    }

    #[test]
    fn parses_events_and_done() {
        let evs = feed_all(&[b"data: {\"a\":1}\n\ndata: [DONE]\n\n"]);
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].data, "{\"a\":1}");
        assert!(evs[1].is_done());
    }

    #[test]
    fn chunks_split_anywhere_give_the_same_events() {
        let stream = "data: {\"x\":\"h\u{e9}llo\"}\r\n\r\n: keep-alive\n\nevent: ping\ndata: a\ndata: b\n\ndata: [DONE]\n\n";
        let whole = feed_all(&[stream.as_bytes()]);
        assert_eq!(whole.len(), 3);
        assert_eq!(whole[1].event.as_deref(), Some("ping"));
        assert_eq!(whole[1].data, "a\nb");
        let bytes = stream.as_bytes();
        for split in 0..bytes.len() {
            let got = feed_all(&[&bytes[..split], &bytes[split..]]);
            assert_eq!(got, whole, "split at {split}");
        }
        // one byte at a time
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(feed_all(&singles), whole);
    }

    #[test]
    fn comments_only_produce_nothing() {
        assert!(feed_all(&[b": hello\n\n: again\n\n"]).is_empty());
    }

    #[test]
    fn empty_data_line_is_an_event() {
        let evs = feed_all(&[b"data:\n\n"]);
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].data, "");
    }

    #[test]
    fn unterminated_last_event_is_reported() {
        let mut p = SseParser::new();
        assert!(p.push(b"data: {\"partial\"").is_empty());
        let (ev, leftover) = p.finish();
        assert!(leftover);
        assert_eq!(ev.unwrap().data, "{\"partial\"");
    }

    #[test]
    fn lines_without_colon_and_unknown_fields_are_ignored() {
        let evs = feed_all(&[b"id: 7\nretry: 100\nnonsense\ndata: ok\n\n"]);
        assert_eq!(
            evs,
            vec![SseEvent {
                event: None,
                data: "ok".into()
            }]
        );
    }
}
