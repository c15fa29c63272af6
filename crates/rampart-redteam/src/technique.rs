//! What a technique is: its metadata ([`TechniqueSpec`]), parameters ([`Params`]) and the two
//! traits that apply it, [`Technique`] (pure, deterministic under a seed) and [`AsyncTechnique`]
//! (rewrites the payload with a model through a [`Rewriter`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::attack::Attack;
use crate::error::{RedteamError, Result};
use crate::rewriter::Rewriter;

/// The seven technique categories (the *how* of an attack, independent of its goal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TechniqueCategory {
    /// Deterministic character and token transforms: encodings, ciphers, Unicode tricks.
    Encoding,
    /// Persona, role-play and authority framing.
    Persona,
    /// Single-turn context and instruction manipulation.
    Context,
    /// Language, translation and transliteration.
    Language,
    /// Multi-turn, adaptive and automated attacks.
    Multiturn,
    /// Images and cross-modal attacks.
    Multimodal,
    /// Indirect, agentic and application-layer attacks (injection carriers, exfiltration).
    Indirect,
}

impl TechniqueCategory {
    /// Every category, in a stable order.
    pub const ALL: [TechniqueCategory; 7] = [
        TechniqueCategory::Encoding,
        TechniqueCategory::Persona,
        TechniqueCategory::Context,
        TechniqueCategory::Language,
        TechniqueCategory::Multiturn,
        TechniqueCategory::Multimodal,
        TechniqueCategory::Indirect,
    ];

    /// Stable id: the first segment of every technique id in this category.
    pub fn id(self) -> &'static str {
        match self {
            TechniqueCategory::Encoding => "encoding",
            TechniqueCategory::Persona => "persona",
            TechniqueCategory::Context => "context",
            TechniqueCategory::Language => "language",
            TechniqueCategory::Multiturn => "multiturn",
            TechniqueCategory::Multimodal => "multimodal",
            TechniqueCategory::Indirect => "indirect",
        }
    }

    /// Human-readable name.
    pub fn name(self) -> &'static str {
        match self {
            TechniqueCategory::Encoding => "Encoding & obfuscation",
            TechniqueCategory::Persona => "Persona & authority framing",
            TechniqueCategory::Context => "Single-turn context manipulation",
            TechniqueCategory::Language => "Language & translation",
            TechniqueCategory::Multiturn => "Multi-turn & adaptive",
            TechniqueCategory::Multimodal => "Multimodal",
            TechniqueCategory::Indirect => "Indirect, agentic & application-layer",
        }
    }
}

impl fmt::Display for TechniqueCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// How a technique is executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Execution {
    /// A pure function of the attack, its parameters and a seed ([`Technique`]).
    Pure,
    /// Rewrites the payload with a model ([`AsyncTechnique`] with a [`Rewriter`]).
    Model,
    /// Talks to the target over several turns (an attacker loop such as
    /// [`Crescendo`](crate::crescendo::Crescendo)); cannot be applied offline.
    Adaptive,
}

/// A parameter value. Written `key=value` in chains; parsed as bool, integer, float, then text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A real number.
    Float(f64),
    /// Text (no `+`, `,` or `=` when written in a chain).
    Text(String),
}

impl ParamValue {
    /// Parses a value as written in a chain, as the same type as `like`.
    pub fn parse_like(text: &str, like: &ParamValue) -> Option<ParamValue> {
        match like {
            ParamValue::Bool(_) => text.parse().ok().map(ParamValue::Bool),
            ParamValue::Int(_) => text.parse().ok().map(ParamValue::Int),
            ParamValue::Float(_) => text
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(ParamValue::Float),
            ParamValue::Text(_) => Some(ParamValue::Text(text.to_string())),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            ParamValue::Bool(_) => "a boolean",
            ParamValue::Int(_) => "an integer",
            ParamValue::Float(_) => "a number",
            ParamValue::Text(_) => "text",
        }
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => write!(f, "{x}"),
            ParamValue::Text(t) => f.write_str(t),
        }
    }
}

impl From<bool> for ParamValue {
    fn from(v: bool) -> Self {
        ParamValue::Bool(v)
    }
}
impl From<i64> for ParamValue {
    fn from(v: i64) -> Self {
        ParamValue::Int(v)
    }
}
impl From<f64> for ParamValue {
    fn from(v: f64) -> Self {
        ParamValue::Float(v)
    }
}
impl From<&str> for ParamValue {
    fn from(v: &str) -> Self {
        ParamValue::Text(v.to_string())
    }
}

/// A declared parameter: name, default, meaning, and the values counted as the technique's
/// parameterised variants (empty for parameters that are not a variant axis).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamSpec {
    /// Name used in chains (`shift` in `encoding.cipher.caesar:shift=3`).
    pub name: &'static str,
    /// Value used when the chain does not give one.
    pub default: ParamValue,
    /// What the parameter does.
    pub description: &'static str,
    /// The enumerated settings counted as variants (per language, per shift, per template).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<ParamValue>,
}

impl ParamSpec {
    /// A parameter that is not a variant axis.
    pub fn new(
        name: &'static str,
        default: impl Into<ParamValue>,
        description: &'static str,
    ) -> ParamSpec {
        ParamSpec {
            name,
            default: default.into(),
            description,
            variants: Vec::new(),
        }
    }

    /// Declares the values counted as variants of the technique.
    pub fn variants<V: Into<ParamValue>>(mut self, values: impl IntoIterator<Item = V>) -> Self {
        self.variants = values.into_iter().map(Into::into).collect();
        self
    }
}

/// Everything known about a technique without running it: listable, serialisable, stable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TechniqueSpec {
    /// Stable id, `category.family.name` (`encoding.base.base64`).
    pub id: String,
    /// One of the seven categories (also the first segment of the id).
    pub category: TechniqueCategory,
    /// One sentence: what the technique does to the attack.
    pub description: &'static str,
    /// Declared parameters with defaults.
    pub params: Vec<ParamSpec>,
    /// Where the technique comes from (tool or paper).
    pub reference: &'static str,
    /// Pure, model-backed or adaptive.
    pub execution: Execution,
}

impl TechniqueSpec {
    /// A pure technique `category.family.name`.
    pub fn new(
        category: TechniqueCategory,
        family: &str,
        name: &str,
        description: &'static str,
        reference: &'static str,
    ) -> TechniqueSpec {
        TechniqueSpec {
            id: format!("{}.{family}.{name}", category.id()),
            category,
            description,
            params: Vec::new(),
            reference,
            execution: Execution::Pure,
        }
    }

    /// Adds a parameter.
    pub fn param(mut self, param: ParamSpec) -> Self {
        self.params.push(param);
        self
    }

    /// Sets how the technique executes.
    pub fn execution(mut self, execution: Execution) -> Self {
        self.execution = execution;
        self
    }

    /// The last segment of the id (`base64`), accepted as a short name when unique.
    pub fn short_name(&self) -> &str {
        self.id.rsplit('.').next().unwrap_or(&self.id)
    }

    /// How many parameterised variants the technique counts for: the product of the sizes of
    /// its variant axes (1 when it has none).
    pub fn variant_count(&self) -> usize {
        self.params
            .iter()
            .filter(|p| !p.variants.is_empty())
            .map(|p| p.variants.len())
            .product()
    }

    /// Every variant as the parameters that select it (one empty set when there are no axes).
    pub fn variant_params(&self) -> Vec<Params> {
        let mut out = vec![Params::default()];
        for p in self.params.iter().filter(|p| !p.variants.is_empty()) {
            out = out
                .into_iter()
                .flat_map(|base| {
                    p.variants.iter().map(move |v| {
                        let mut next = base.clone();
                        next.0.insert(p.name.to_string(), v.clone());
                        next
                    })
                })
                .collect();
        }
        out
    }

    /// Checks `given` against the declared parameters and fills in the defaults.
    pub fn resolve(&self, given: &Params) -> Result<Params> {
        for (name, value) in &given.0 {
            let Some(spec) = self.params.iter().find(|p| p.name == name) else {
                let known: Vec<_> = self.params.iter().map(|p| p.name).collect();
                return Err(RedteamError::BadParam {
                    id: self.id.clone(),
                    reason: if known.is_empty() {
                        format!("unknown parameter `{name}`: it takes none")
                    } else {
                        format!("unknown parameter `{name}`; it takes {}", known.join(", "))
                    },
                });
            };
            let ok = matches!(
                (&spec.default, value),
                (ParamValue::Bool(_), ParamValue::Bool(_))
                    | (ParamValue::Int(_), ParamValue::Int(_))
                    | (
                        ParamValue::Float(_),
                        ParamValue::Float(_) | ParamValue::Int(_)
                    )
                    | (ParamValue::Text(_), ParamValue::Text(_))
            );
            if !ok {
                return Err(RedteamError::BadParam {
                    id: self.id.clone(),
                    reason: format!("parameter `{name}` must be {}", spec.default.kind()),
                });
            }
        }
        let mut out = BTreeMap::new();
        for p in &self.params {
            let value = match given.0.get(p.name) {
                Some(ParamValue::Int(i)) if matches!(p.default, ParamValue::Float(_)) => {
                    ParamValue::Float(*i as f64)
                }
                Some(v) => v.clone(),
                None => p.default.clone(),
            };
            out.insert(p.name.to_string(), value);
        }
        Ok(Params(out))
    }
}

/// Parameter values by name. After [`TechniqueSpec::resolve`] every declared parameter is
/// present, so the typed getters return the given value or the default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Params(pub BTreeMap<String, ParamValue>);

impl Params {
    /// A set of parameters from `(name, value)` pairs.
    pub fn from_pairs<V: Into<ParamValue>>(
        pairs: impl IntoIterator<Item = (&'static str, V)>,
    ) -> Params {
        Params(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.into()))
                .collect(),
        )
    }

    /// An integer parameter (0 when absent).
    pub fn int(&self, name: &str) -> i64 {
        match self.0.get(name) {
            Some(ParamValue::Int(i)) => *i,
            Some(ParamValue::Float(f)) => *f as i64,
            _ => 0,
        }
    }

    /// A real parameter (0 when absent).
    pub fn float(&self, name: &str) -> f64 {
        match self.0.get(name) {
            Some(ParamValue::Float(f)) => *f,
            Some(ParamValue::Int(i)) => *i as f64,
            _ => 0.0,
        }
    }

    /// A text parameter (empty when absent).
    pub fn text(&self, name: &str) -> &str {
        match self.0.get(name) {
            Some(ParamValue::Text(t)) => t,
            _ => "",
        }
    }

    /// A boolean parameter (false when absent).
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.0.get(name), Some(ParamValue::Bool(true)))
    }

    /// Whether no parameter is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A pure technique: a deterministic function of the attack, its (resolved) parameters and a
/// seed. Implementations never panic, whatever the input.
pub trait Technique: Send + Sync {
    /// The technique's metadata.
    fn spec(&self) -> &TechniqueSpec;

    /// Transforms the attack. `params` are resolved (see [`TechniqueSpec::resolve`]).
    fn apply(&self, attack: Attack, params: &Params, seed: u64) -> Result<Attack>;
}

/// A technique that rewrites the attack with a model (translation, paraphrase). Deterministic
/// for a deterministic rewriter (greedy decoding, or a fixed seed) thanks to its cache.
#[async_trait::async_trait]
pub trait AsyncTechnique: Send + Sync {
    /// The technique's metadata.
    fn spec(&self) -> &TechniqueSpec;

    /// Transforms the attack through `rewriter`.
    async fn apply(
        &self,
        attack: Attack,
        params: &Params,
        seed: u64,
        rewriter: &Rewriter,
    ) -> Result<Attack>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TechniqueSpec {
        TechniqueSpec::new(TechniqueCategory::Encoding, "cipher", "caesar", "d", "r")
            .param(ParamSpec::new("shift", 3i64, "places").variants([1i64, 2, 3]))
            .param(ParamSpec::new("framed", true, "frame"))
            .param(ParamSpec::new("rate", 0.5, "rate"))
    }

    #[test]
    fn resolve_fills_defaults_and_rejects_unknown_or_mistyped() {
        let s = spec();
        let p = s.resolve(&Params::from_pairs([("shift", 5i64)])).unwrap();
        assert_eq!(p.int("shift"), 5);
        assert!(p.flag("framed"));
        let p = s.resolve(&Params::from_pairs([("rate", 1i64)])).unwrap();
        assert_eq!(p.float("rate"), 1.0);
        assert!(s.resolve(&Params::from_pairs([("nope", 1i64)])).is_err());
        assert!(s.resolve(&Params::from_pairs([("shift", "x")])).is_err());
        assert_eq!(s.variant_count(), 3);
        assert_eq!(s.variant_params().len(), 3);
        assert_eq!(s.short_name(), "caesar");
        assert_eq!(s.id, "encoding.cipher.caesar");
    }
}
