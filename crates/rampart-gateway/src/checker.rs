//! [`Checker`]: runs the guard off the async executor and records every decision (metrics and
//! audit log).
//!
//! Guard work is CPU-bound (normalisation, decoders, the classifier), so each check runs on
//! tokio's blocking pool. A guard that panics there is a guard failure like a detector error:
//! the policy's fail mode decides (closed blocks, open allows and records the error).

use std::sync::Arc;

use rampart_core::{Conversation, Role};
use rampart_guard::{
    Action, ConversationDecision, Decision, Direction, FailMode, Guard, Triggered,
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

/// Runs guard checks and records them.
#[derive(Debug, Clone)]
pub struct Checker {
    guard: Arc<Guard>,
    metrics: Arc<Metrics>,
    audit: Arc<AuditLog>,
}

impl Checker {
    pub fn new(guard: Arc<Guard>, metrics: Arc<Metrics>, audit: Arc<AuditLog>) -> Self {
        Checker {
            guard,
            metrics,
            audit,
        }
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
        let d = match tokio::task::spawn_blocking(move || guard.check_input(&conv)).await {
            Ok(d) => d,
            Err(e) => {
                let failed = self.failed(Direction::Input, &e.to_string());
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
        let guard = self.guard.clone();
        let (d, text) = match tokio::task::spawn_blocking(move || {
            let d = guard.check_output(&text, conversation.as_deref());
            (d, text)
        })
        .await
        {
            Ok(r) => r,
            Err(e) => (
                self.failed(Direction::Output, &e.to_string()),
                String::new(),
            ),
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
        let (r, text) = match tokio::task::spawn_blocking(move || {
            let d = guard.check_text(&text, role);
            let s = guard.scores(&text, role);
            ((d, s), text)
        })
        .await
        {
            Ok(r) => r,
            Err(e) => (
                (self.failed(Direction::of(role), &e.to_string()), None),
                String::new(),
            ),
        };
        let label = match Direction::of(role) {
            Direction::Input => "input",
            Direction::Output => "output",
        };
        self.record(label, &r.0, ctx, Some(&text));
        r
    }

    /// The decision for a guard that failed as a whole (it panicked on the blocking pool).
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
