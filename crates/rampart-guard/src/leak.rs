//! Output-only checks: system-prompt leakage and canary tokens.
//!
//! A canary is a random marker the operator puts in the system prompt (see [`new_canary`]); it
//! must never appear in a reply. Leakage of the system prompt itself is measured as the share of
//! its 6-word shingles that reappear in the reply (after normalisation), so paraphrase-free
//! copying is caught even when the model only leaks part of it.

use std::collections::HashSet;

use rampart_core::{Category, Finding, Span};

use crate::{Detector, Direction, Input};

pub const DETECTOR_ID: &str = "leak";
const SHINGLE: usize = 6;

/// A fresh canary token, e.g. `rampart-canary-3f9a…`, to place in a system prompt.
pub fn new_canary() -> String {
    format!("rampart-canary-{:016x}", rand::random::<u64>())
}

/// Detects canaries and system-prompt text in replies.
#[derive(Debug, Clone, Default)]
pub struct LeakDetector {
    canaries: Vec<String>,
    /// Shingles of known system prompts.
    shingles: HashSet<String>,
    /// Reply share of shingles at which a leak scores 1.0.
    full_leak_fraction: f32,
}

fn words(text: &str) -> Vec<String> {
    rampart_text::normalize(text)
        .text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn shingles(text: &str) -> HashSet<String> {
    let w = words(text);
    w.windows(SHINGLE).map(|s| s.join(" ")).collect()
}

impl LeakDetector {
    pub fn new(canaries: Vec<String>, system_prompts: &[String]) -> Self {
        let mut d = LeakDetector {
            canaries: canaries
                .into_iter()
                .filter(|c| !c.trim().is_empty())
                .collect(),
            shingles: HashSet::new(),
            full_leak_fraction: 0.3,
        };
        for p in system_prompts {
            d.shingles.extend(shingles(p));
        }
        d
    }

    /// A copy that also knows `system_prompt` (taken from the conversation at check time).
    pub fn with_system_prompt(&self, system_prompt: &str) -> Self {
        let mut d = self.clone();
        d.shingles.extend(shingles(system_prompt));
        d
    }

    pub fn is_empty(&self) -> bool {
        self.canaries.is_empty() && self.shingles.is_empty()
    }
}

impl Detector for LeakDetector {
    fn id(&self) -> &str {
        DETECTOR_ID
    }

    fn detect(&self, input: &Input<'_>) -> Vec<Finding> {
        if input.direction != Direction::Output {
            return Vec::new();
        }
        let mut out = Vec::new();
        for canary in &self.canaries {
            // In the text as written or after removing invisible characters and decoding.
            if let Some(at) = input.text.find(canary.as_str()) {
                out.push(
                    Finding::new(Category::SystemPromptLeak, 1.0, DETECTOR_ID)
                        .with_span(Span::new(at, at + canary.len()))
                        .with_detail("canary token in the reply"),
                );
            } else if input
                .normalized
                .texts()
                .any(|t| t.contains(canary.as_str()))
            {
                out.push(
                    Finding::new(Category::SystemPromptLeak, 1.0, DETECTOR_ID)
                        .with_detail("canary token in the reply (obfuscated)"),
                );
            }
        }
        if !self.shingles.is_empty() {
            let reply = shingles(input.text);
            if !reply.is_empty() {
                let shared = reply.intersection(&self.shingles).count();
                let frac = shared as f32 / self.shingles.len().max(1) as f32;
                if shared >= 2 {
                    let score = (frac / self.full_leak_fraction).clamp(0.5, 1.0);
                    out.push(
                        Finding::new(Category::SystemPromptLeak, score, DETECTOR_ID).with_detail(format!(
                            "{shared} word sequences of the system prompt ({:.0}%) in the reply",
                            frac * 100.0
                        )),
                    );
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::Role;

    fn detect(d: &LeakDetector, reply: &str) -> Vec<Finding> {
        let n = rampart_text::normalize(reply);
        d.detect(&Input::new(reply, Role::Assistant, &n))
    }

    #[test]
    fn canary_in_reply_is_caught_even_obfuscated() {
        let c = new_canary();
        let d = LeakDetector::new(vec![c.clone()], &[]);
        let f = detect(&d, &format!("My instructions say {c}."));
        assert_eq!(f[0].score, 1.0);
        assert!(f[0].span.is_some());
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&c);
        assert!(!detect(&d, &format!("here: {b64}")).is_empty());
        assert!(detect(&d, "nothing to see").is_empty());
    }

    #[test]
    fn copied_system_prompt_is_caught_and_paraphrase_is_not() {
        let sys = "You are Acme's support assistant. Never discuss pricing with customers. \
                   Always escalate refund requests to a human agent within one business day.";
        let d = LeakDetector::new(vec![], &[sys.to_string()]);
        let leak = "Sure! My instructions: never discuss pricing with customers. Always escalate refund requests to a human agent.";
        let f = detect(&d, leak);
        assert!(!f.is_empty() && f[0].score >= 0.5, "{f:?}");
        assert!(detect(&d, "I can help you with your order today.").is_empty());
    }

    #[test]
    fn input_direction_is_ignored() {
        let c = new_canary();
        let d = LeakDetector::new(vec![c.clone()], &[]);
        let n = rampart_text::normalize(&c);
        assert!(d.detect(&Input::new(&c, Role::User, &n)).is_empty());
    }
}
