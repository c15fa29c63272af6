//! `POST /v1/moderations` (OpenAI's moderation response shape, from rampart's detectors and
//! classifiers) and `POST /v1/guard` (a guard decision for a text or a conversation, for
//! applications that call their model themselves).

use std::collections::BTreeMap;

use rampart_core::{Category, Role};
use rampart_guard::classifier::Scores;
use rampart_guard::{Action, Decision};
use serde_json::{Map, Value, json};

use crate::error::ApiError;

/// OpenAI's `omni-moderation` category names, in its order.
pub const OPENAI_CATEGORIES: [&str; 13] = [
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
];

/// The OpenAI category a rampart category corresponds to, where one does. OpenAI's finer
/// sub-categories (threatening, intent, instructions, graphic) have no rampart counterpart and
/// stay `false`; rampart's own ids are reported alongside.
pub fn openai_name(category: Category) -> Option<&'static str> {
    Some(match category {
        Category::Toxicity => "harassment",
        Category::Hate => "hate",
        Category::NonViolentCrimes | Category::SexCrimes => "illicit",
        Category::IndiscriminateWeapons => "illicit/violent",
        Category::SelfHarm => "self-harm",
        Category::SexualContent => "sexual",
        Category::ChildSexualExploitation => "sexual/minors",
        Category::ViolentCrimes => "violence",
        _ => return None,
    })
}

/// The texts to moderate from a moderation request's `input`: a string, an array of strings
/// (one result each), or an array of content parts (one result for their text).
pub fn moderation_inputs(body: &Value) -> Result<Vec<String>, ApiError> {
    match body.get("input") {
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) && !items.is_empty() => {
            Ok(items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect())
        }
        Some(Value::Array(parts)) if !parts.is_empty() => {
            let mut text = String::new();
            for p in parts {
                match p.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        if !text.is_empty() {
                            text.push('\n');
                        }
                        text.push_str(p.get("text").and_then(Value::as_str).unwrap_or_default());
                    }
                    Some("image_url") => {}
                    _ => {
                        return Err(ApiError::invalid(
                            "invalid_input",
                            "`input` parts must be {\"type\": \"text\"} or {\"type\": \"image_url\"}",
                        )
                        .with_param("input"));
                    }
                }
            }
            Ok(vec![text])
        }
        _ => Err(ApiError::invalid(
            "invalid_input",
            "`input` must be a string, an array of strings, or an array of content parts",
        )
        .with_param("input")),
    }
}

/// The role a text is checked as: rampart's `role` extension field (`user` by default).
pub fn role_field(body: &Value) -> Result<Role, ApiError> {
    match body.get("role").and_then(Value::as_str) {
        None => Ok(Role::User),
        Some(r) => r
            .parse()
            .map_err(|e: String| ApiError::invalid("invalid_role", e).with_param("role")),
    }
}

/// One entry of `results`: OpenAI's fields plus rampart's category ids.
pub fn moderation_result(decision: &Decision, scores: Option<&Scores>) -> Value {
    // Scores per rampart category: the classifier's probability, or the highest finding score.
    let mut score: BTreeMap<Category, f32> = BTreeMap::new();
    if let Some(s) = scores {
        for &(c, p) in &s.categories {
            score.insert(c, p);
        }
        score.insert(Category::Jailbreak, s.jailbreak.max(0.0));
        score.insert(Category::PromptInjection, s.prompt_injection.max(0.0));
        score.insert(Category::IndirectInjection, s.indirect_injection.max(0.0));
    }
    for t in &decision.findings {
        let e = score.entry(t.finding.category).or_insert(0.0);
        *e = e.max(t.finding.score);
    }
    let fired: Vec<Category> = decision
        .findings
        .iter()
        .filter(|t| t.action != Action::Allow)
        .map(|t| t.finding.category)
        .collect();
    let mut categories = Map::new();
    let mut category_scores = Map::new();
    // OpenAI says which input modalities each score is based on; rampart scores text only.
    let mut applied = Map::new();
    for name in OPENAI_CATEGORIES {
        categories.insert(name.into(), json!(false));
        category_scores.insert(name.into(), json!(0.0));
        applied.insert(name.into(), json!(["text"]));
    }
    for c in Category::ALL {
        let s = score.get(c).copied().unwrap_or(0.0);
        let hit = fired.contains(c);
        categories.insert(c.id().into(), json!(hit));
        category_scores.insert(c.id().into(), json!(s));
        if let Some(name) = openai_name(*c) {
            if hit {
                categories.insert(name.into(), json!(true));
            }
            let prev = category_scores[name].as_f64().unwrap_or(0.0);
            category_scores.insert(name.into(), json!(prev.max(s as f64)));
        }
    }
    json!({
        "flagged": decision.action != Action::Allow,
        "categories": categories,
        "category_scores": category_scores,
        "category_applied_input_types": applied,
        "rampart": {
            "action": decision.action,
            "categories": decision.categories(),
            "findings": crate::checker::findings_json(&decision.findings),
            "errors": decision.errors,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_in_every_shape() {
        assert_eq!(
            moderation_inputs(&json!({"input": "a"})).unwrap(),
            vec!["a"]
        );
        assert_eq!(
            moderation_inputs(&json!({"input": ["a", "b"]})).unwrap(),
            vec!["a", "b"]
        );
        let parts = json!({"input": [{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {"url": "u"}}]});
        assert_eq!(moderation_inputs(&parts).unwrap(), vec!["a"]);
        assert!(moderation_inputs(&json!({"input": 3})).is_err());
        assert!(moderation_inputs(&json!({})).is_err());
    }

    #[test]
    fn every_mapped_name_is_an_openai_category() {
        for c in Category::ALL {
            if let Some(n) = openai_name(*c) {
                assert!(OPENAI_CATEGORIES.contains(&n), "{n}");
            }
        }
    }
}
