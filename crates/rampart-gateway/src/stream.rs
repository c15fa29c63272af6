//! Streaming output moderation.
//!
//! Text streamed by the upstream is held in a [`Windower`] and released to the client only once
//! the window it belongs to has been checked, together with `overlap_tokens` of the text
//! released before it (so a phrase split across two windows is still seen whole). Windows end at
//! sentence ends (`window = "sentence"`, capped at `window_tokens`) or every `window_tokens`
//! tokens (`window = "tokens"`), cut at a space where possible. What a check decides:
//!
//! - allow / flag: the window is released as it came (flags are reported at the end);
//! - redact: the window is released with the offending spans replaced;
//! - block: nothing more is released; a last chunk carries the refusal message with
//!   `finish_reason: "content_filter"` and a `rampart` field naming the categories, then
//!   `[DONE]`.
//!
//! How long each upstream chunk was held back is measured (the metric
//! `rampart_gateway_stream_chunk_delay_seconds` and the final chunk's `rampart.stream`).
//! Tool-call deltas are held until the choice finishes and checked as a whole.
//!
//! Known limit: redaction works on what is still held. A span that started in a window already
//! released (a card number cut in two by a token window) has only its held part replaced;
//! sentence windows, the default, make that rare.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use rampart_core::{Category, Conversation, Span};
use rampart_guard::{Action, Decision};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::checker::{CheckContext, Checker, decision_json};
use crate::config::{StreamingConfig, WindowMode};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::upstream::ChunkStream;
use crate::wire::{ChunkTemplate, sse_done, sse_event};

/// Bytes per token, as guard estimates them for English.
const BYTES_PER_TOKEN: usize = 4;

/// One window to check: `context` (already released) followed by `text` (held).
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub context: String,
    pub text: String,
}

/// Cuts held text into windows and measures how long each piece was held.
#[derive(Debug)]
pub struct Windower {
    config: StreamingConfig,
    pending: String,
    /// The end of the text already released, `overlap_tokens` long.
    tail: String,
    /// (cumulative end offset, arrival) of every pushed piece not yet released.
    arrivals: VecDeque<(usize, Instant)>,
    received: usize,
    consumed: usize,
}

impl Windower {
    pub fn new(config: StreamingConfig) -> Self {
        Windower {
            config,
            pending: String::new(),
            tail: String::new(),
            arrivals: VecDeque::new(),
            received: 0,
            consumed: 0,
        }
    }

    /// Adds streamed text that arrived at `at`.
    pub fn push(&mut self, text: &str, at: Instant) {
        if text.is_empty() {
            return;
        }
        self.pending.push_str(text);
        self.received += text.len();
        self.arrivals.push_back((self.received, at));
    }

    /// Whether text is held.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The next complete window, if any; `last` takes whatever is held.
    pub fn next_window(&mut self, last: bool) -> Option<Window> {
        let cut = cut_point(&self.pending, &self.config, last)?;
        let text: String = self.pending.drain(..cut).collect();
        self.consumed += text.len();
        Some(Window {
            context: self.tail.clone(),
            text,
        })
    }

    /// Records that the last window was released as `shown`; returns how long each piece it
    /// contained was held.
    pub fn release(&mut self, shown: &str, now: Instant) -> Vec<Duration> {
        let mut delays = Vec::new();
        while let Some(&(end, at)) = self.arrivals.front() {
            if end > self.consumed {
                break;
            }
            delays.push(now.saturating_duration_since(at));
            self.arrivals.pop_front();
        }
        self.tail.push_str(shown);
        let keep = self.config.overlap_tokens * BYTES_PER_TOKEN;
        if self.tail.len() > keep {
            let mut start = floor_boundary(&self.tail, self.tail.len() - keep);
            // Start the context at a word where one is near.
            if let Some(ws) = self.tail[start..].find(char::is_whitespace)
                && ws < keep / 2
            {
                start += ws
                    + self.tail[start + ws..]
                        .chars()
                        .next()
                        .map_or(1, char::len_utf8);
            }
            self.tail.drain(..start);
        }
        delays
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where the next window ends in `pending`, if one is complete.
fn cut_point(pending: &str, cfg: &StreamingConfig, last: bool) -> Option<usize> {
    if pending.is_empty() {
        return None;
    }
    let max = cfg.window_tokens.max(1) * BYTES_PER_TOKEN;
    if cfg.window == WindowMode::Sentence {
        let min = cfg.min_window_tokens * BYTES_PER_TOKEN;
        let mut chars = pending.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if i > max {
                break;
            }
            let end = if c == '\n' {
                Some(i + 1)
            } else if matches!(c, '.' | '!' | '?' | '。' | '！' | '？' | ';') {
                // A sentence end is known only once the space after it has arrived
                // ("3.14" and "e.g." mid-word are not ends).
                match chars.peek() {
                    Some(&(j, n)) if n.is_whitespace() => Some(j + n.len_utf8()),
                    _ => None,
                }
            } else {
                None
            };
            if let Some(end) = end
                && end >= min
            {
                return Some(end);
            }
        }
    }
    if pending.len() >= max {
        return Some(soft_cut(pending, max));
    }
    last.then_some(pending.len())
}

/// A cut at or before `max` bytes, after a space when there is one in the second half.
fn soft_cut(s: &str, max: usize) -> usize {
    let limit = floor_boundary(s, max);
    if let Some(p) = s[..limit].rfind(char::is_whitespace) {
        let after = p + s[p..].chars().next().map_or(1, char::len_utf8);
        if after > limit / 2 {
            return after;
        }
    }
    if limit == 0 {
        s.chars().next().map_or(s.len(), char::len_utf8)
    } else {
        limit
    }
}

/// The text of `window` after a redact decision on `context + window`: spans in the window are
/// replaced; spans in the context were released already.
fn redact_window(window: &Window, decision: &Decision) -> String {
    let off = window.context.len();
    let spans: Vec<(Span, String)> = decision
        .findings
        .iter()
        .filter(|t| t.action == Action::Redact)
        .filter_map(|t| {
            let s = t.finding.span?;
            let label = rampart_guard::placeholder(&t.finding);
            (s.end > off).then(|| (Span::new(s.start.max(off) - off, s.end - off), label))
        })
        .collect();
    rampart_guard::redact_spans(&window.text, &spans)
}

/// Everything a moderated stream needs.
pub struct StreamJob {
    pub checker: Checker,
    pub ctx: CheckContext,
    pub conversation: Arc<Conversation>,
    /// What the output checks need from `conversation`, prepared by the first check.
    pub output_context: Arc<std::sync::OnceLock<rampart_guard::OutputContext>>,
    pub config: StreamingConfig,
    /// Check the output; when false, chunks pass through as they come.
    pub guard_output: bool,
    pub metrics: Arc<Metrics>,
    /// The input decision's summary, repeated in the final `rampart` field.
    pub input: Option<Value>,
    /// The input decision's action (flag and redact carry over to the final summary).
    pub input_action: Action,
    pub input_categories: Vec<Category>,
    pub refusal: String,
    pub model: String,
}

/// Per-choice state.
struct Choice {
    windower: Windower,
    role_sent: bool,
    finished: bool,
    /// Tool calls by index: (id, type, name, arguments).
    tools: BTreeMap<u64, (String, String, String, String)>,
}

/// Numbers reported at the end of a stream.
#[derive(Default)]
struct Stats {
    windows: u64,
    chunks: u64,
    delay_sum: f64,
    delay_max: f64,
    guard_us: u64,
    action: Action,
    categories: Vec<Category>,
    /// Findings of windows that were flagged or redacted.
    findings: Vec<Value>,
}

type Tx = mpsc::Sender<Result<Bytes, std::io::Error>>;

async fn send(tx: &Tx, b: Bytes) -> bool {
    tx.send(Ok(b)).await.is_ok()
}

/// Runs a stream: reads upstream chunks, moderates them, and sends SSE events to `tx` until the
/// stream ends, is blocked, fails, or the client goes away (`tx` closed).
pub async fn run(job: StreamJob, first: Value, mut rest: ChunkStream, tx: Tx) {
    let template = ChunkTemplate::from_chunk(&first, &job.model);
    if !job.guard_output {
        passthrough(&job, first, rest, &tx, template).await;
        return;
    }
    let mut choices: BTreeMap<u64, Choice> = BTreeMap::new();
    let mut stats = Stats {
        action: job.input_action,
        categories: job.input_categories.clone(),
        ..Stats::default()
    };
    let mut usage: Option<Value> = None;
    let mut next = Some(Ok(first));
    loop {
        let item = match next.take() {
            Some(i) => Some(i),
            None => rest.next().await,
        };
        match item {
            None => break,
            Some(Err(e)) => {
                // Release what was already received once it is checked, then say what happened.
                for idx in choices.keys().copied().collect::<Vec<_>>() {
                    if !flush(&job, &template, idx, &mut choices, &mut stats, &tx, true).await {
                        return;
                    }
                }
                send_error(&tx, &e, &stats, &job).await;
                return;
            }
            Some(Ok(chunk)) => {
                if let Some(u) = chunk.get("usage").filter(|u| !u.is_null()) {
                    usage = Some(u.clone());
                }
                let now = Instant::now();
                let empty = Vec::new();
                let list = chunk
                    .get("choices")
                    .and_then(Value::as_array)
                    .unwrap_or(&empty);
                for c in list {
                    let idx = c.get("index").and_then(Value::as_u64).unwrap_or(0);
                    let choice = choices.entry(idx).or_insert_with(|| Choice {
                        windower: Windower::new(job.config.clone()),
                        role_sent: false,
                        finished: false,
                        tools: BTreeMap::new(),
                    });
                    stats.chunks += 1;
                    let delta = c.get("delta").cloned().unwrap_or(Value::Null);
                    if !choice.role_sent {
                        choice.role_sent = true;
                        let role = delta.get("role").cloned().unwrap_or(json!("assistant"));
                        if !send(
                            &tx,
                            sse_event(&template.chunk(
                                idx,
                                json!({"role": role, "content": ""}),
                                None,
                            )),
                        )
                        .await
                        {
                            return;
                        }
                    }
                    if let Some(text) = delta.get("content").and_then(Value::as_str) {
                        choice.windower.push(text, now);
                    }
                    if let Some(calls) = delta.get("tool_calls").and_then(Value::as_array) {
                        for call in calls {
                            let ti = call.get("index").and_then(Value::as_u64).unwrap_or(0);
                            let slot = choice.tools.entry(ti).or_default();
                            if let Some(id) = call.get("id").and_then(Value::as_str) {
                                slot.0 = id.to_string();
                            }
                            if let Some(t) = call.get("type").and_then(Value::as_str) {
                                slot.1 = t.to_string();
                            }
                            if let Some(n) = call.pointer("/function/name").and_then(Value::as_str)
                            {
                                slot.2.push_str(n);
                            }
                            if let Some(a) =
                                call.pointer("/function/arguments").and_then(Value::as_str)
                            {
                                slot.3.push_str(a);
                            }
                        }
                    }
                    let finish = c
                        .get("finish_reason")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    if !flush(
                        &job,
                        &template,
                        idx,
                        &mut choices,
                        &mut stats,
                        &tx,
                        finish.is_some(),
                    )
                    .await
                    {
                        return;
                    }
                    if let Some(reason) = finish
                        && !finish_choice(
                            &job,
                            &template,
                            idx,
                            &reason,
                            &mut choices,
                            &mut stats,
                            &tx,
                        )
                        .await
                    {
                        return;
                    }
                }
            }
        }
    }
    // The upstream ended: finish choices it left open.
    let open: Vec<u64> = choices
        .iter()
        .filter(|(_, c)| !c.finished)
        .map(|(i, _)| *i)
        .collect();
    for idx in open {
        if !flush(&job, &template, idx, &mut choices, &mut stats, &tx, true).await
            || !finish_choice(&job, &template, idx, "stop", &mut choices, &mut stats, &tx).await
        {
            return;
        }
    }
    if let Some(u) = usage {
        let mut v = template.chunk(0, json!({}), None);
        v["choices"] = json!([]);
        v["usage"] = u;
        if !send(&tx, sse_event(&v)).await {
            return;
        }
    }
    let _ = send(&tx, sse_done()).await;
}

/// Checks and releases the complete windows of choice `idx` (all held text when `last`).
/// Returns false when the stream must stop (blocked, or the client left).
async fn flush(
    job: &StreamJob,
    template: &ChunkTemplate,
    idx: u64,
    choices: &mut BTreeMap<u64, Choice>,
    stats: &mut Stats,
    tx: &Tx,
    last: bool,
) -> bool {
    loop {
        let Some(choice) = choices.get_mut(&idx) else {
            return true;
        };
        let Some(window) = choice.windower.next_window(last) else {
            return true;
        };
        let check = format!("{}{}", window.context, window.text);
        let d = job
            .checker
            .output_prepared(
                check,
                job.conversation.clone(),
                job.output_context.clone(),
                "stream",
                &job.ctx,
            )
            .await;
        stats.windows += 1;
        stats.guard_us += d.latency_us;
        note(stats, &d);
        if d.action == Action::Block {
            block(job, template, idx, &d, stats, tx).await;
            return false;
        }
        let shown = if d.action == Action::Redact {
            redact_window(&window, &d)
        } else {
            window.text.clone()
        };
        let choice = choices.get_mut(&idx).expect("choice exists");
        for delay in choice.windower.release(&shown, Instant::now()) {
            let s = delay.as_secs_f64();
            job.metrics.chunk_delay(s);
            stats.delay_sum += s;
            stats.delay_max = stats.delay_max.max(s);
        }
        if !send(
            tx,
            sse_event(&template.chunk(idx, json!({"content": shown}), None)),
        )
        .await
        {
            return false;
        }
    }
}

fn note(stats: &mut Stats, d: &Decision) {
    stats.action = stats.action.max(d.action);
    for c in d.categories() {
        if !stats.categories.contains(&c) {
            stats.categories.push(c);
        }
    }
    if d.action != Action::Allow {
        stats.findings.extend(
            d.findings
                .iter()
                .filter_map(|t| serde_json::to_value(t).ok()),
        );
    }
}

/// Checks held tool calls, then sends the choice's finish chunk.
async fn finish_choice(
    job: &StreamJob,
    template: &ChunkTemplate,
    idx: u64,
    reason: &str,
    choices: &mut BTreeMap<u64, Choice>,
    stats: &mut Stats,
    tx: &Tx,
) -> bool {
    let Some(choice) = choices.get_mut(&idx) else {
        return true;
    };
    choice.finished = true;
    let tools = std::mem::take(&mut choice.tools);
    if !tools.is_empty() {
        let mut calls = Vec::new();
        for (ti, (id, kind, name, mut args)) in tools {
            if !args.is_empty() {
                let d = job
                    .checker
                    .output_prepared(
                        args.clone(),
                        job.conversation.clone(),
                        job.output_context.clone(),
                        "output",
                        &job.ctx,
                    )
                    .await;
                stats.guard_us += d.latency_us;
                note(stats, &d);
                match d.action {
                    Action::Block => {
                        block(job, template, idx, &d, stats, tx).await;
                        return false;
                    }
                    Action::Redact => args = d.redacted.clone().unwrap_or(args),
                    _ => {}
                }
            }
            let kind = if kind.is_empty() {
                "function".to_string()
            } else {
                kind
            };
            calls.push(json!({"index": ti, "id": id, "type": kind, "function": {"name": name, "arguments": args}}));
        }
        if !send(
            tx,
            sse_event(&template.chunk(idx, json!({"tool_calls": calls}), None)),
        )
        .await
        {
            return false;
        }
    }
    let mut v = template.chunk(idx, json!({}), Some(reason));
    v["rampart"] = summary(job, stats);
    send(tx, sse_event(&v)).await
}

/// Ends the stream because a window was blocked.
async fn block(
    job: &StreamJob,
    template: &ChunkTemplate,
    idx: u64,
    d: &Decision,
    stats: &Stats,
    tx: &Tx,
) {
    let mut v = template.chunk(idx, json!({"content": job.refusal}), Some("content_filter"));
    let mut s = summary(job, stats);
    s["action"] = json!(Action::Block);
    s["blocked"] = decision_json(d);
    v["rampart"] = s;
    if send(tx, sse_event(&v)).await {
        let _ = send(tx, sse_done()).await;
    }
}

async fn send_error(tx: &Tx, e: &ApiError, stats: &Stats, job: &StreamJob) {
    let mut body = e.body();
    body["error"]["status"] = json!(e.status.as_u16());
    body["rampart"] = summary(job, stats);
    let _ = send(tx, sse_event(&body)).await;
}

fn summary(job: &StreamJob, stats: &Stats) -> Value {
    let mean = if stats.chunks > 0 {
        stats.delay_sum / stats.chunks as f64
    } else {
        0.0
    };
    let mut v = json!({
        "action": stats.action,
        "categories": stats.categories,
        "stream": {
            "windows": stats.windows,
            "chunks": stats.chunks,
            "chunk_delay_ms": {"mean": mean * 1000.0, "max": stats.delay_max * 1000.0},
            "guard_ms": stats.guard_us as f64 / 1000.0,
        },
    });
    if !stats.findings.is_empty() {
        v["output"] = json!({"findings": stats.findings});
    }
    if let Some(input) = &job.input {
        v["input"] = input.clone();
    }
    v
}

/// Guard off for the output: chunks go out as they come.
async fn passthrough(
    job: &StreamJob,
    first: Value,
    mut rest: ChunkStream,
    tx: &Tx,
    _template: ChunkTemplate,
) {
    let mut next = Some(Ok(first));
    loop {
        let item = match next.take() {
            Some(i) => Some(i),
            None => rest.next().await,
        };
        match item {
            None => break,
            Some(Ok(v)) => {
                if !send(tx, sse_event(&v)).await {
                    return;
                }
            }
            Some(Err(e)) => {
                send_error(tx, &e, &Stats::default(), job).await;
                return;
            }
        }
    }
    let _ = send(tx, sse_done()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(window: WindowMode, tokens: usize, overlap: usize) -> StreamingConfig {
        StreamingConfig {
            window,
            window_tokens: tokens,
            overlap_tokens: overlap,
            min_window_tokens: 1,
        }
    }

    fn drain(w: &mut Windower, last: bool) -> Vec<Window> {
        let mut out = Vec::new();
        while let Some(win) = w.next_window(last) {
            let text = win.text.clone();
            w.release(&text, Instant::now());
            out.push(win);
        }
        out
    }

    #[test]
    fn sentence_windows_wait_for_the_space_after_a_stop() {
        let mut w = Windower::new(cfg(WindowMode::Sentence, 100, 4));
        let t = Instant::now();
        w.push("Pi is 3", t);
        w.push(".14. It", t);
        let wins = drain(&mut w, false);
        assert_eq!(wins.len(), 1);
        assert_eq!(wins[0].text, "Pi is 3.14. ");
        w.push(" is irrational.", t);
        assert!(
            drain(&mut w, false).is_empty(),
            "no space after the last stop yet"
        );
        let wins = drain(&mut w, true);
        assert_eq!(wins[0].text, "It is irrational.");
        assert!(wins[0].context.ends_with("3.14. "), "{:?}", wins[0].context);
    }

    #[test]
    fn token_windows_cut_at_spaces_and_overlap() {
        let mut w = Windower::new(cfg(WindowMode::Tokens, 4, 2));
        let t = Instant::now();
        for word in "alpha beta gamma delta epsilon zeta eta theta".split(' ') {
            w.push(word, t);
            w.push(" ", t);
        }
        let wins = drain(&mut w, true);
        let joined: String = wins.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(joined, "alpha beta gamma delta epsilon zeta eta theta ");
        assert!(wins.iter().all(|w| w.text.len() <= 16));
        assert!(wins[1].context.len() <= 8 && !wins[1].context.is_empty());
        assert!(wins.iter().skip(1).all(|w| !w.text.starts_with(' ')));
    }

    #[test]
    fn multibyte_text_is_cut_on_char_boundaries() {
        let mut w = Windower::new(cfg(WindowMode::Tokens, 1, 1));
        w.push("ééééé日本語のテキスト", Instant::now());
        let wins = drain(&mut w, true);
        let joined: String = wins.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(joined, "ééééé日本語のテキスト");
    }

    #[test]
    fn delays_are_measured_per_piece() {
        let mut w = Windower::new(cfg(WindowMode::Sentence, 100, 4));
        let t0 = Instant::now();
        w.push("Hello", t0);
        w.push(" world. ", t0 + Duration::from_millis(10));
        let win = w.next_window(false).unwrap();
        let delays = w.release(&win.text, t0 + Duration::from_millis(15));
        assert_eq!(
            delays,
            vec![Duration::from_millis(15), Duration::from_millis(5)]
        );
    }
}
