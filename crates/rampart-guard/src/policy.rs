//! Policies: which findings lead to which action, per direction, with per-category overrides.
//!
//! A policy is TOML (a file of its own, or the `[guard.policy]` section of `rampart.toml`):
//!
//! ```toml
//! name = "support-bot"
//! fail_mode = "closed"                 # a guard error blocks ("open": allows and records it)
//! refusal_message = "Sorry, I can't help with that."
//!
//! [input]
//! default = "block"                    # any category not listed below
//! [input.categories]
//! sensitive_data = "redact"            # PII in prompts is masked before the model sees it
//! secrets = "redact"
//! jailbreak = { action = "block", threshold = 0.7 }
//! toxicity = "flag"
//!
//! [output]
//! default = "block"
//! [output.categories]
//! sensitive_data = "redact"
//! ```
//!
//! A finding triggers its category's rule when its score reaches the rule's `threshold`; without
//! one, the detector's own calibrated threshold applies (the trained classifiers ship theirs; rule
//! detectors use 0.5). The decision is the most severe triggered action
//! (block > redact > flag > allow). `redact` needs a span to remove: a finding without one (a
//! jailbreak verdict on the whole text) cannot be redacted, so it escalates to `block`.

use std::collections::BTreeMap;
use std::path::Path;

use rampart_core::Category;
use serde::{Deserialize, Deserializer, Serialize};

use crate::Direction;

/// What to do about a finding. Ordered by severity.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Let it through untouched.
    #[default]
    Allow,
    /// Let it through, but report it (headers, audit log, findings).
    Flag,
    /// Replace the offending spans (PII, secrets) and let the rest through.
    Redact,
    /// Do not let it through; answer with the refusal message.
    Block,
}

impl Action {
    pub fn id(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Flag => "flag",
            Action::Redact => "redact",
            Action::Block => "block",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// What happens when the guard itself fails (a detector errors or panics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    /// Block: safety over availability.
    #[default]
    Closed,
    /// Allow, and record the error: availability over safety.
    Open,
}

/// The rule for one category.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rule {
    pub action: Action,
    /// Minimum score that triggers the rule; `None` uses the detector's calibrated threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f32>,
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Action(Action),
            Table {
                action: Action,
                #[serde(default)]
                threshold: Option<f32>,
            },
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Strict {
            #[allow(dead_code)]
            action: Action,
            #[allow(dead_code)]
            #[serde(default)]
            threshold: Option<f32>,
        }
        let value = toml::Value::deserialize(d)?;
        if value.is_table() {
            // Re-check strictly so typos like `treshold` are reported rather than ignored.
            Strict::deserialize(value.clone()).map_err(serde::de::Error::custom)?;
        }
        let repr = Repr::deserialize(value).map_err(|_| {
            serde::de::Error::custom(
                "expected an action (\"allow\", \"flag\", \"redact\", \"block\") or { action = \"...\", threshold = 0.0..1.0 }",
            )
        })?;
        let rule = match repr {
            Repr::Action(action) => Rule {
                action,
                threshold: None,
            },
            Repr::Table { action, threshold } => Rule { action, threshold },
        };
        if let Some(t) = rule.threshold
            && !(0.0..=1.0).contains(&t)
        {
            return Err(serde::de::Error::custom(format!(
                "threshold {t} is outside 0..=1"
            )));
        }
        Ok(rule)
    }
}

/// The rules for one direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectionPolicy {
    /// Action for categories that have no rule of their own.
    pub default: Action,
    /// Threshold for categories without a rule or without a threshold of their own (`None`: the
    /// detector's calibrated threshold).
    pub threshold: Option<f32>,
    pub categories: BTreeMap<Category, Rule>,
}

impl Default for DirectionPolicy {
    fn default() -> Self {
        DirectionPolicy {
            default: Action::Block,
            threshold: None,
            categories: BTreeMap::new(),
        }
    }
}

/// A complete policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    pub name: String,
    pub fail_mode: FailMode,
    /// What a blocked request or reply is replaced with.
    pub refusal_message: String,
    pub input: DirectionPolicy,
    pub output: DirectionPolicy,
    /// Which detectors run, and their settings.
    pub detectors: crate::DetectorsConfig,
}

impl Default for Policy {
    /// The built-in policy: block attacks and harmful content both ways, redact PII and secrets,
    /// flag what is a matter of quality rather than safety.
    fn default() -> Self {
        let mut input = DirectionPolicy::default();
        let mut output = DirectionPolicy::default();
        for (cat, action) in [
            (Category::SensitiveData, Action::Redact),
            (Category::Secrets, Action::Redact),
            (Category::Toxicity, Action::Flag),
            (Category::MalformedInput, Action::Flag),
            (Category::Bias, Action::Flag),
            (Category::Misinformation, Action::Flag),
            (Category::Misgendering, Action::Flag),
            // Asking about one's own rights is not a privacy attack; the classifier's privacy
            // head is better used as a signal than a gate on prompts.
            (Category::Privacy, Action::Flag),
        ] {
            input.categories.insert(
                cat,
                Rule {
                    action,
                    threshold: None,
                },
            );
            output.categories.insert(
                cat,
                Rule {
                    action,
                    threshold: None,
                },
            );
        }
        Policy {
            name: "default".into(),
            fail_mode: FailMode::Closed,
            refusal_message: "I'm sorry, but I can't help with that request.".into(),
            input,
            output,
            detectors: crate::DetectorsConfig::default(),
        }
    }
}

/// Errors loading a policy. Messages name the file and what to fix.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("policy {path} is invalid: {message}")]
    Invalid { path: String, message: String },
}

impl Policy {
    /// Parses policy TOML; unknown keys and bad values are errors.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        toml::from_str(text).map_err(|e: toml::de::Error| PolicyError::Invalid {
            path: "<inline>".into(),
            message: e.to_string().trim().replace('\n', " "),
        })
    }

    /// Loads a policy file.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Policy::from_toml(&text).map_err(|e| match e {
            PolicyError::Invalid { message, .. } => PolicyError::Invalid {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    pub fn direction(&self, direction: Direction) -> &DirectionPolicy {
        match direction {
            Direction::Input => &self.input,
            Direction::Output => &self.output,
        }
    }

    /// The action and explicit threshold (if any) for a category in a direction.
    pub fn rule(&self, direction: Direction, category: Category) -> Rule {
        let d = self.direction(direction);
        match d.categories.get(&category) {
            Some(rule) => Rule {
                action: rule.action,
                threshold: rule.threshold.or(d.threshold),
            },
            None => Rule {
                action: d.default,
                threshold: d.threshold,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_actions_tables_and_defaults() {
        let p = Policy::from_toml(
            r#"
            name = "t"
            fail_mode = "open"
            refusal_message = "no"
            [input]
            default = "flag"
            [input.categories]
            secrets = "redact"
            jailbreak = { action = "block", threshold = 0.9 }
            "#,
        )
        .unwrap();
        assert_eq!(p.fail_mode, FailMode::Open);
        assert_eq!(
            p.rule(Direction::Input, Category::Secrets).action,
            Action::Redact
        );
        let jb = p.rule(Direction::Input, Category::Jailbreak);
        assert_eq!((jb.action, jb.threshold), (Action::Block, Some(0.9)));
        assert_eq!(
            p.rule(Direction::Input, Category::Hate).action,
            Action::Flag
        );
        // output section absent: its defaults
        assert_eq!(
            p.rule(Direction::Output, Category::Hate).action,
            Action::Block
        );
    }

    #[test]
    fn errors_are_specific() {
        let bad = [
            ("[input]\ndefault = \"nuke\"\n", "nuke"),
            ("[input.categories]\nviolence = \"block\"\n", "violence"),
            (
                "[input.categories]\nhate = { action = \"block\", treshold = 0.5 }\n",
                "treshold",
            ),
            (
                "[input.categories]\nhate = { action = \"block\", threshold = 3.0 }\n",
                "outside",
            ),
            ("fail_mode = \"sideways\"\n", "sideways"),
            ("colour = \"red\"\n", "colour"),
        ];
        for (text, needle) in bad {
            let err = Policy::from_toml(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }

    #[test]
    fn default_policy_round_trips_through_toml() {
        let p = Policy::default();
        let text = toml::to_string(&p).unwrap();
        assert_eq!(Policy::from_toml(&text).unwrap(), p);
    }

    #[test]
    fn severity_order() {
        assert!(Action::Block > Action::Redact && Action::Redact > Action::Flag);
        assert!(Action::Flag > Action::Allow);
    }
}
