//! [`Guard`]: runs the detectors over inputs and outputs and applies the [`Policy`].

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use rampart_core::{Category, ContentPart, Conversation, Finding, Role, Span};
use serde::Serialize;

use crate::classifier::{self, Classifier};
use crate::leak::LeakDetector;
use crate::malformed::MalformedDetector;
use crate::policy::{Action, FailMode, Policy};
use crate::words::WordFilter;
use crate::{Detector, DetectorsConfig, Direction, Input};

/// Errors building a guard (bad policy, a model that does not load).
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
    #[error("guard classifier: {0}")]
    Classifier(#[from] classifier::ClassifierError),
    #[error("denied topics: {0}")]
    Topics(String),
}

/// A finding that reached its threshold, with the action its rule asks for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Triggered {
    #[serde(flatten)]
    pub finding: Finding,
    pub action: Action,
    pub threshold: f32,
}

/// The outcome of checking one text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The most severe action among the triggered findings (`allow` if none).
    pub action: Action,
    pub direction: Direction,
    /// Findings that reached their thresholds.
    pub findings: Vec<Triggered>,
    /// The text with redacted spans replaced, when `action` is `redact`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redacted: Option<String>,
    /// The policy's refusal message, when `action` is `block`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// Detector failures; with `fail_mode = "closed"` any failure blocks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    pub latency_us: u64,
}

impl Decision {
    /// Categories that triggered, most severe action first, without duplicates.
    pub fn categories(&self) -> Vec<Category> {
        let mut v: Vec<_> = self
            .findings
            .iter()
            .map(|t| (t.action, t.finding.category))
            .collect();
        v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut out = Vec::new();
        for (_, c) in v {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    pub fn is_blocked(&self) -> bool {
        self.action == Action::Block
    }
}

/// The outcome of checking the input side of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversationDecision {
    pub action: Action,
    /// One decision per checked message: (message index, decision).
    pub messages: Vec<(usize, Decision)>,
    /// The conversation with redactions applied, when `action` is `redact`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redacted: Option<Conversation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    pub latency_us: u64,
}

impl ConversationDecision {
    /// All triggered findings across messages.
    pub fn findings(&self) -> impl Iterator<Item = &Triggered> {
        self.messages.iter().flat_map(|(_, d)| d.findings.iter())
    }

    pub fn categories(&self) -> Vec<Category> {
        let mut out = Vec::new();
        for (_, d) in &self.messages {
            for c in d.categories() {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }
}

/// The classifier as a detector. The classifier scores the text as written, its normalised form
/// and every decoded view (base64, rot13, …), keeping the highest probability per head, so an
/// obfuscated attack is judged on what it says.
struct ClassifierDetector {
    clf: &'static Classifier,
}

/// Probabilities below this are not reported at all (nothing would act on them).
const CLASSIFIER_FLOOR: f32 = 0.05;

impl Detector for ClassifierDetector {
    fn id(&self) -> &str {
        classifier::DETECTOR_ID
    }

    fn detect(&self, input: &Input<'_>) -> Vec<Finding> {
        let s = self
            .clf
            .score_normalized(input.text, input.normalized, input.role);
        let mut out = Vec::new();
        let attack_kind = if input.role.is_untrusted_content() {
            Category::IndirectInjection
        } else if s.jailbreak >= s.prompt_injection {
            Category::Jailbreak
        } else {
            Category::PromptInjection
        };
        if s.prompt_attack >= CLASSIFIER_FLOOR {
            out.push(
                Finding::new(attack_kind, s.prompt_attack, classifier::DETECTOR_ID)
                    .with_detail(format!("prompt_attack={:.3}", s.prompt_attack)),
            );
        }
        for &(c, p) in &s.categories {
            if p >= CLASSIFIER_FLOOR {
                out.push(Finding::new(c, p, classifier::DETECTOR_ID));
            }
        }
        // "Harmful" without a confident category still names the most likely one.
        if s.harmful >= CLASSIFIER_FLOOR
            && let Some(&(c, _)) = s.categories.iter().max_by(|a, b| a.1.total_cmp(&b.1))
        {
            // The prefix is what `Guard::threshold` recognises as the overall head.
            let detail = match &s.semantic {
                Some(classifier::SemanticScore {
                    fast_harmful,
                    vote: Some(vote),
                    ..
                }) => format!(
                    "harmful={:.3}; semantic tier: fast {fast_harmful:.3}, neighbours' vote {vote:.2}",
                    s.harmful
                ),
                Some(classifier::SemanticScore { error: Some(e), .. }) => {
                    format!("harmful={:.3}; semantic tier failed: {e}", s.harmful)
                }
                _ => format!("harmful={:.3}", s.harmful),
            };
            out.push(Finding::new(c, s.harmful, classifier::DETECTOR_ID).with_detail(detail));
        }
        out
    }
}

/// The part of a conversation that output checks use, prepared by [`Guard::output_context`].
#[derive(Debug, Clone, Default)]
pub struct OutputContext {
    leak: Option<LeakDetector>,
}

/// Runtime input and output moderation.
pub struct Guard {
    policy: Policy,
    detectors: Vec<Box<dyn Detector>>,
    classifier: Option<&'static Classifier>,
    /// Why the classifier runs without its semantic tier, when it does in `auto` mode.
    classifier_note: Option<String>,
    leak: LeakDetector,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("policy", &self.policy.name)
            .field(
                "detectors",
                &self
                    .detectors
                    .iter()
                    .map(|d| d.id().to_string())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Guard {
    /// Builds a guard from a policy (its `[detectors]` table says which detectors run).
    pub fn new(policy: Policy) -> Result<Guard, GuardError> {
        let cfg: &DetectorsConfig = &policy.detectors;
        let mut detectors: Vec<Box<dyn Detector>> = Vec::new();
        let mut clf = None;
        let mut classifier_note = None;
        if cfg.classifier.enabled {
            let (c, note) = classifier::load_tiers(
                cfg.classifier.model_path.as_deref(),
                cfg.classifier.semantic,
            )?;
            clf = Some(c);
            classifier_note = note;
            detectors.push(Box::new(ClassifierDetector { clf: c }));
        }
        if cfg.pii.enabled {
            detectors.push(Box::new(crate::pii::PiiDetector::default()));
        }
        if cfg.malformed.enabled {
            detectors.push(Box::new(MalformedDetector::new(cfg.malformed.clone())));
        }
        let words = WordFilter::new(cfg.word_filters.clone());
        if !words.is_empty() {
            detectors.push(Box::new(words));
        }
        if !cfg.denied_topics.is_empty() {
            let topics = crate::topics::TopicDetector::new(&cfg.denied_topics)
                .map_err(GuardError::Topics)?;
            detectors.push(Box::new(topics));
        }
        let leak = LeakDetector::new(cfg.canaries.clone(), &cfg.system_prompts);
        Ok(Guard {
            policy,
            detectors,
            classifier: clf,
            classifier_note,
            leak,
        })
    }

    /// Adds a detector of your own; it runs after the built-in ones, under the same policy.
    pub fn with_detector(mut self, detector: Box<dyn Detector>) -> Self {
        self.detectors.push(detector);
        self
    }

    /// Ids of the detectors that run, in order (the leak detector last).
    pub fn detector_ids(&self) -> Vec<String> {
        self.detectors
            .iter()
            .map(|d| d.id().to_string())
            .chain(std::iter::once(self.leak.id().to_string()))
            .collect()
    }

    /// Whether [`Guard::check_input`] on this conversation would escalate a prompt to the
    /// semantic tier, found by running the fast tier on its user turns (microseconds for short
    /// texts): callers that check short inputs inline can send only these elsewhere.
    pub fn input_would_escalate(&self, conversation: &Conversation) -> bool {
        let Some(clf) = self.classifier.filter(|c| c.semantic_bank().is_some()) else {
            return false;
        };
        conversation
            .messages
            .iter()
            .filter(|m| !matches!(m.role, Role::System | Role::Assistant))
            .any(|m| clf.escalates(&m.text(), m.role))
    }

    /// Why the classifier runs without its semantic tier (`auto` mode and no encoder installed),
    /// if it does: worth a warning, since the fast tier alone flags more safe prompts.
    pub fn classifier_note(&self) -> Option<&str> {
        self.classifier_note.as_deref()
    }

    /// The default policy with every default detector.
    pub fn with_default_policy() -> Result<Guard, GuardError> {
        Guard::new(Policy::default())
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The threshold that applies to a finding: the policy's, else the detector's own.
    fn threshold(&self, direction: Direction, finding: &Finding) -> f32 {
        if let Some(t) = self.policy.rule(direction, finding.category).threshold {
            return t;
        }
        if finding.detector == classifier::DETECTOR_ID
            && let Some(clf) = self.classifier
        {
            let head = if finding.category.is_prompt_attack() {
                "prompt_attack"
            } else if finding
                .detail
                .as_deref()
                .is_some_and(|d| d.starts_with("harmful="))
            {
                "harmful"
            } else {
                finding.category.id()
            };
            if let Some(t) = clf.threshold(head) {
                return t;
            }
        }
        0.5
    }

    /// The classifier's calibrated probabilities for a text (highest over its decoded views), or
    /// `None` when the classifier is disabled.
    pub fn scores(&self, text: &str, role: Role) -> Option<classifier::Scores> {
        self.classifier.map(|clf| clf.score(text, role))
    }

    /// Checks one text written by `role` (direction follows from the role).
    pub fn check_text(&self, text: &str, role: Role) -> Decision {
        let normalized = rampart_text::normalize(text);
        self.decide(text, role, &normalized, None)
    }

    /// Checks bytes that may not be valid UTF-8: invalid sequences are reported as malformed
    /// input and the readable rest is judged.
    pub fn check_bytes(&self, bytes: &[u8], role: Role) -> Decision {
        let normalized = rampart_text::normalize_bytes(bytes);
        let text = String::from_utf8_lossy(bytes);
        self.decide(&text, role, &normalized, None)
    }

    /// Checks a model reply. System prompts in `context` are used to detect their leakage.
    pub fn check_output(&self, reply: &str, context: Option<&Conversation>) -> Decision {
        self.check_output_in(reply, &self.output_context(context))
    }

    /// What checking replies in `context` needs from it, prepared once: the leak detector that
    /// knows the conversation's system prompts (normalising a long system prompt costs as much as
    /// checking a window of a streamed reply, so a stream prepares it once, not per window).
    pub fn output_context(&self, context: Option<&Conversation>) -> OutputContext {
        let system: Vec<String> = context
            .map(|c| {
                c.messages
                    .iter()
                    .filter(|m| m.role == Role::System)
                    .map(|m| m.text())
                    .collect()
            })
            .unwrap_or_default();
        let leak = (!system.is_empty()).then(|| {
            let mut l = self.leak.clone();
            for s in &system {
                l = l.with_system_prompt(s);
            }
            l
        });
        OutputContext { leak }
    }

    /// [`Guard::check_output`] with a context prepared by [`Guard::output_context`].
    pub fn check_output_in(&self, reply: &str, context: &OutputContext) -> Decision {
        let normalized = rampart_text::normalize(reply);
        self.decide(reply, Role::Assistant, &normalized, context.leak.as_ref())
    }

    /// Checks the input side of a conversation: every user turn, document and tool output
    /// (system prompts are the operator's and are trusted; earlier assistant turns are checked
    /// when they were produced).
    pub fn check_input(&self, conversation: &Conversation) -> ConversationDecision {
        let started = Instant::now();
        let mut messages = Vec::new();
        let mut action = Action::Allow;
        for (i, m) in conversation.messages.iter().enumerate() {
            if matches!(m.role, Role::System | Role::Assistant) {
                continue;
            }
            let d = self.check_text(&m.text(), m.role);
            action = action.max(d.action);
            messages.push((i, d));
        }
        let redacted = (action == Action::Redact).then(|| {
            let mut conv = conversation.clone();
            for (i, d) in &messages {
                if let Some(text) = &d.redacted {
                    let msg = &mut conv.messages[*i];
                    // Text parts are joined with newlines by Message::text; keep images as they are.
                    let images: Vec<ContentPart> = msg
                        .content
                        .iter()
                        .filter(|p| matches!(p, ContentPart::Image { .. }))
                        .cloned()
                        .collect();
                    msg.content = std::iter::once(ContentPart::Text { text: text.clone() })
                        .chain(images)
                        .collect();
                }
            }
            conv
        });
        ConversationDecision {
            action,
            refusal: (action == Action::Block).then(|| self.policy.refusal_message.clone()),
            messages,
            redacted,
            latency_us: started.elapsed().as_micros() as u64,
        }
    }

    fn decide(
        &self,
        text: &str,
        role: Role,
        normalized: &rampart_text::Normalized,
        extra: Option<&LeakDetector>,
    ) -> Decision {
        let started = Instant::now();
        let input = Input::new(text, role, normalized);
        let direction = input.direction;
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        let leak: &dyn Detector = extra.unwrap_or(&self.leak);
        let all = self
            .detectors
            .iter()
            .map(|d| d.as_ref())
            .chain(std::iter::once(leak));
        for detector in all {
            match std::panic::catch_unwind(AssertUnwindSafe(|| detector.try_detect(&input))) {
                Ok(Ok(f)) => findings.extend(f),
                Ok(Err(e)) => errors.push(format!("{}: {e}", detector.id())),
                Err(_) => errors.push(format!("{}: detector panicked", detector.id())),
            }
        }
        let mut triggered: Vec<Triggered> = findings
            .into_iter()
            .filter_map(|f| {
                let threshold = self.threshold(direction, &f);
                (f.score >= threshold).then(|| {
                    let mut action = self.policy.rule(direction, f.category).action;
                    // A verdict on the whole text has nothing to cut out.
                    if action == Action::Redact && f.span.is_none() {
                        action = Action::Block;
                    }
                    Triggered {
                        finding: f,
                        action,
                        threshold,
                    }
                })
            })
            .collect();
        // One entry per (category, detector, span): the highest score.
        triggered.sort_by(|a, b| {
            (a.finding.category, &a.finding.detector, a.finding.span)
                .cmp(&(b.finding.category, &b.finding.detector, b.finding.span))
                .then(b.finding.score.total_cmp(&a.finding.score))
        });
        triggered.dedup_by(|a, b| {
            a.finding.category == b.finding.category
                && a.finding.detector == b.finding.detector
                && a.finding.span == b.finding.span
        });
        let mut action = triggered
            .iter()
            .map(|t| t.action)
            .max()
            .unwrap_or(Action::Allow);
        if !errors.is_empty() && self.policy.fail_mode == FailMode::Closed {
            action = Action::Block;
        }
        let redacted = (action == Action::Redact).then(|| {
            let spans: Vec<(Span, String)> = triggered
                .iter()
                .filter(|t| t.action == Action::Redact)
                .filter_map(|t| t.finding.span.map(|s| (s, placeholder(&t.finding))))
                .collect();
            redact_spans(text, &spans)
        });
        Decision {
            action,
            direction,
            findings: triggered,
            redacted,
            refusal: (action == Action::Block).then(|| self.policy.refusal_message.clone()),
            errors,
            latency_us: started.elapsed().as_micros() as u64,
        }
    }
}

/// The placeholder for a redacted finding: the PII kind when known (`[EMAIL]`,
/// `[CREDIT_CARD]`), else the category (`[SENSITIVE_DATA]`).
pub fn placeholder(f: &Finding) -> String {
    let label = f
        .detector
        .strip_prefix("pii.")
        .unwrap_or(f.category.id())
        .to_uppercase();
    format!("[{label}]")
}

/// Replaces each span with its placeholder, skipping spans inside one already replaced; spans
/// are byte ranges on char boundaries of `text` (others are ignored).
pub fn redact_spans(text: &str, spans: &[(Span, String)]) -> String {
    let mut spans: Vec<(Span, &str)> = spans
        .iter()
        .map(|(s, l)| (*s, l.as_str()))
        .filter(|(s, _)| {
            s.end <= text.len() && text.is_char_boundary(s.start) && text.is_char_boundary(s.end)
        })
        .collect();
    spans.sort_by_key(|(s, _)| (s.start, std::cmp::Reverse(s.end)));
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (span, label) in spans {
        if span.start < pos {
            continue; // inside a span already replaced
        }
        out.push_str(&text[pos..span.start]);
        out.push_str(label);
        pos = span.end;
    }
    out.push_str(&text[pos..]);
    out
}
