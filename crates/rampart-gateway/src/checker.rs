//! [`Checker`]: runs the guard (on the async worker for short texts, on guard threads for long
//! ones) and records every decision (metrics and audit log).
//!
//! Guard work is CPU-bound (normalisation, decoders, the classifier). A short text is checked
//! where it arrives, on the async worker: that takes tens of microseconds, less than handing it
//! to another thread and back. A longer one goes to a fixed pool of guard threads (one per core
//! by default), so a burst of long prompts queues there instead of stalling other connections
//! or growing tokio's blocking pool (up to 512 threads, each with its own stack and malloc
//! arena: memory that grew with load and never came back). A guard that panics is a guard
//! failure like a detector error: the policy's fail mode decides (closed blocks, open allows and
//! records the error).

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};

use rampart_core::{ContentPart, Conversation, Message, Role};
use rampart_guard::{
    Action, ConversationDecision, Decision, Direction, FailMode, Guard, OutputContext, Triggered,
};
use serde_json::{Value, json};

use crate::audit::{AuditLog, Record};
use crate::metrics::Metrics;

/// Who and what a check is for, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct CheckContext {
    pub request_id: String,
    pub key: String,
    pub endpoint: &'static str,
    pub model: Option<String>,
    pub upstream: Option<String>,
}

/// Texts up to this many bytes (about 250 tokens) are checked on the async worker itself: at
/// most about 0.1 ms of work, within what an async task may take between two awaits (a short input
/// that escalates to the guard's semantic tier goes to the guard pool).
pub const INLINE_CHECK_BYTES: usize = 1024;

/// Runs guard checks and records them.
#[derive(Debug, Clone)]
pub struct Checker {
    guard: Arc<Guard>,
    metrics: Arc<Metrics>,
    audit: Arc<AuditLog>,
    pool: Arc<GuardPool>,
}

impl Checker {
    /// A checker with `threads` guard threads (0: one per core).
    pub fn new(
        guard: Arc<Guard>,
        metrics: Arc<Metrics>,
        audit: Arc<AuditLog>,
        threads: usize,
    ) -> std::io::Result<Self> {
        Ok(Checker {
            guard,
            metrics,
            audit,
            pool: Arc::new(GuardPool::start(threads)?),
        })
    }

    /// Runs `check` (over `bytes` of text) inline when it is short, else on the guard pool; a
    /// panic comes back as an error.
    async fn run<T: Send + 'static>(
        &self,
        bytes: usize,
        check: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        if bytes <= INLINE_CHECK_BYTES {
            return std::panic::catch_unwind(AssertUnwindSafe(check)).map_err(panic_text);
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pool.run(Box::new(move || {
            let _ = tx.send(std::panic::catch_unwind(AssertUnwindSafe(check)).map_err(panic_text));
        }));
        rx.await
            .map_err(|_| "the guard threads dropped the check".to_string())?
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// Checks the input side of a conversation (user turns, tool results and documents).
    pub async fn input(
        &self,
        conversation: Arc<Conversation>,
        ctx: &CheckContext,
    ) -> ConversationDecision {
        let guard = self.guard.clone();
        let conv = conversation.clone();
        // A prompt the semantic tier judges costs a sentence embedding (tens of milliseconds), far
        // over what an async worker may spend: a short input that would escalate (found with the
        // fast tier alone, microseconds) goes to the guard threads like a long one.
        let mut bytes = text_bytes(&conversation);
        if bytes <= INLINE_CHECK_BYTES && self.guard.input_would_escalate(&conversation) {
            bytes = usize::MAX;
        }
        let d = match self.run(bytes, move || guard.check_input(&conv)).await {
            Ok(d) => d,
            Err(e) => {
                let failed = self.failed(Direction::Input, &e);
                ConversationDecision {
                    action: failed.action,
                    refusal: failed.refusal.clone(),
                    latency_us: 0,
                    messages: vec![(conversation.len().saturating_sub(1), failed)],
                    redacted: None,
                }
            }
        };
        for (i, md) in &d.messages {
            let text = self
                .audit
                .includes_text()
                .then(|| conversation.messages.get(*i).map(|m| m.text()))
                .flatten();
            self.record("input", md, ctx, text.as_deref());
        }
        if d.messages.is_empty() {
            self.metrics
                .decision("input", Action::Allow.id(), &[], d.latency_us as f64 / 1e6);
        }
        d
    }

    /// Checks a reply (or one streamed window, `direction_label = "stream"`); system prompts in
    /// `conversation` are used to detect their leakage.
    pub async fn output(
        &self,
        text: String,
        conversation: Option<Arc<Conversation>>,
        direction_label: &'static str,
        ctx: &CheckContext,
    ) -> Decision {
        // The leak check reads the conversation's system prompts too.
        let bytes = text.len() + conversation.as_deref().map_or(0, system_bytes);
        let guard = self.guard.clone();
        self.output_with(bytes, text, direction_label, ctx, move |t| {
            guard.check_output(t, conversation.as_deref())
        })
        .await
    }

    /// [`Checker::output`] for the windows of one stream: what the checks need from the
    /// conversation (its system prompts, for the leak check) is prepared by the first check into
    /// `prepared` and reused by the others, not rebuilt per window.
    pub async fn output_prepared(
        &self,
        text: String,
        conversation: Arc<Conversation>,
        prepared: Arc<OnceLock<OutputContext>>,
        direction_label: &'static str,
        ctx: &CheckContext,
    ) -> Decision {
        let bytes = text.len()
            + if prepared.get().is_some() {
                0
            } else {
                system_bytes(&conversation)
            };
        let guard = self.guard.clone();
        self.output_with(bytes, text, direction_label, ctx, move |t| {
            let context = prepared.get_or_init(|| guard.output_context(Some(&conversation)));
            guard.check_output_in(t, context)
        })
        .await
    }

    async fn output_with(
        &self,
        bytes: usize,
        text: String,
        direction_label: &'static str,
        ctx: &CheckContext,
        check: impl FnOnce(&str) -> Decision + Send + 'static,
    ) -> Decision {
        let (d, text) = match self
            .run(bytes, move || {
                let d = check(&text);
                (d, text)
            })
            .await
        {
            Ok(r) => r,
            Err(e) => (self.failed(Direction::Output, &e), String::new()),
        };
        self.record(direction_label, &d, ctx, Some(&text));
        d
    }

    /// Checks one text written by `role` (for `/v1/guard` and `/v1/moderations`).
    pub async fn text(
        &self,
        text: String,
        role: Role,
        ctx: &CheckContext,
    ) -> (Decision, Option<rampart_guard::classifier::Scores>) {
        let guard = self.guard.clone();
        let (r, text) = match self
            .run(text.len(), move || {
                let d = guard.check_text(&text, role);
                let s = guard.scores(&text, role);
                ((d, s), text)
            })
            .await
        {
            Ok(r) => r,
            Err(e) => ((self.failed(Direction::of(role), &e), None), String::new()),
        };
        let label = match Direction::of(role) {
            Direction::Input => "input",
            Direction::Output => "output",
        };
        self.record(label, &r.0, ctx, Some(&text));
        r
    }

    /// The decision for a guard that failed as a whole (it panicked).
    fn failed(&self, direction: Direction, error: &str) -> Decision {
        let policy = self.guard.policy();
        let action = match policy.fail_mode {
            FailMode::Closed => Action::Block,
            FailMode::Open => Action::Allow,
        };
        Decision {
            action,
            direction,
            findings: Vec::new(),
            redacted: None,
            refusal: (action == Action::Block).then(|| policy.refusal_message.clone()),
            errors: vec![format!("guard failed: {error}")],
            latency_us: 0,
        }
    }

    fn record(&self, direction: &str, d: &Decision, ctx: &CheckContext, text: Option<&str>) {
        let cats: Vec<(String, String)> = d
            .findings
            .iter()
            .map(|t| {
                (
                    t.finding.category.id().to_string(),
                    t.action.id().to_string(),
                )
            })
            .collect();
        self.metrics
            .decision(direction, d.action.id(), &cats, d.latency_us as f64 / 1e6);
        if !d.errors.is_empty() {
            self.metrics.guard_error(direction);
        }
        let record = Record {
            request_id: &ctx.request_id,
            key: &ctx.key,
            endpoint: ctx.endpoint,
            model: ctx.model.as_deref(),
            upstream: ctx.upstream.as_deref(),
            direction,
            action: d.action.id(),
            categories: d.categories().iter().map(|c| c.id()).collect(),
            findings: findings_json(&d.findings),
            errors: d.errors.clone(),
            latency_us: d.latency_us,
        };
        self.audit.write(&record, text);
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads taking checks from one queue. Plain threads blocked on a channel:
/// idle, they cost nothing, where a work-stealing pool would spin on the cores the async
/// workers need.
#[derive(Debug)]
struct GuardPool {
    queue: std::sync::mpsc::Sender<Job>,
}

impl GuardPool {
    /// `threads` threads, or one per core for 0. They end when the pool is dropped.
    fn start(threads: usize) -> std::io::Result<GuardPool> {
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        };
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("rampart-guard-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(GuardPool { queue: tx })
    }

    fn run(&self, job: Job) {
        // Fails only if every thread has ended; the dropped job then reads as a failure.
        let _ = self.queue.send(job);
    }
}

/// Bytes of text the input check will read (images count as long: they go to the pool).
fn text_bytes(conversation: &Conversation) -> usize {
    content_bytes(conversation.messages.iter(), INLINE_CHECK_BYTES + 1)
}

/// Bytes of the system prompts, which the output check reads for leaks (as text only).
fn system_bytes(conversation: &Conversation) -> usize {
    content_bytes(
        conversation
            .messages
            .iter()
            .filter(|m| m.role == Role::System),
        0,
    )
}

/// Text bytes of `messages`, each image counted as `image_bytes`.
fn content_bytes<'a>(messages: impl Iterator<Item = &'a Message>, image_bytes: usize) -> usize {
    messages
        .flat_map(|m| &m.content)
        .map(|part| match part {
            ContentPart::Text { text } => text.len(),
            ContentPart::Image { .. } => image_bytes,
        })
        .sum()
}

/// The message of a caught panic.
fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    format!("guard panicked: {message}")
}

/// Findings as JSON (guard's own serialisation: category, score, span, detector, detail, action,
/// threshold).
pub fn findings_json(findings: &[Triggered]) -> Value {
    serde_json::to_value(findings).unwrap_or(Value::Array(Vec::new()))
}

/// The `rampart` summary of one decision.
pub fn decision_json(d: &Decision) -> Value {
    let mut v = json!({
        "action": d.action,
        "categories": d.categories(),
        "findings": findings_json(&d.findings),
        "latency_ms": d.latency_us as f64 / 1000.0,
    });
    if !d.errors.is_empty() {
        v["errors"] = json!(d.errors);
    }
    v
}

/// The `rampart` summary of an input decision; findings carry the index of their message.
pub fn input_json(d: &ConversationDecision) -> Value {
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    for (i, md) in &d.messages {
        for t in &md.findings {
            let mut f = serde_json::to_value(t).unwrap_or(Value::Null);
            f["message"] = json!(i);
            findings.push(f);
        }
        errors.extend(md.errors.iter().cloned());
    }
    let mut v = json!({
        "action": d.action,
        "categories": d.categories(),
        "findings": findings,
        "latency_ms": d.latency_us as f64 / 1000.0,
    });
    if !errors.is_empty() {
        v["errors"] = json!(errors);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker() -> Checker {
        let mut policy = rampart_guard::Policy::default();
        policy.detectors.classifier.enabled = false;
        Checker::new(
            Arc::new(Guard::new(policy).unwrap()),
            Arc::new(Metrics::default()),
            Arc::new(AuditLog::open(None, false).unwrap()),
            1,
        )
        .unwrap()
    }

    #[tokio::test]
    async fn short_checks_run_inline_and_long_ones_on_the_guard_pool() {
        let c = checker();
        let here = std::thread::current().id();
        let inline = c.run(10, std::thread::current).await.unwrap();
        assert_eq!(inline.id(), here);
        let pooled = c
            .run(INLINE_CHECK_BYTES + 1, std::thread::current)
            .await
            .unwrap();
        assert_ne!(pooled.id(), here);
        assert_eq!(pooled.name(), Some("rampart-guard-0"));
    }

    #[tokio::test]
    async fn a_panicking_check_is_an_error_wherever_it_runs() {
        let c = checker();
        for bytes in [1, INLINE_CHECK_BYTES * 4] {
            let e = c
                .run(bytes, || -> u8 { panic!("detector exploded") })
                .await
                .unwrap_err();
            assert!(e.contains("detector exploded"), "{e}");
        }
        // The pool survives a panic.
        assert_eq!(c.run(INLINE_CHECK_BYTES * 4, || 7).await, Ok(7));
    }
}
