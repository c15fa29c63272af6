//! The [`Catalog`]: every built-in technique, looked up by id or short name, applied as chains,
//! and counted honestly ([`Counts`]).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::attack::Attack;
use crate::chain::{Chain, Step, split_chain, step_seed};
use crate::crescendo;
use crate::error::{RedteamError, Result};
use crate::rewriter::Rewriter;
use crate::technique::{
    AsyncTechnique, Execution, ParamValue, Params, Technique, TechniqueCategory, TechniqueSpec,
};
use crate::techniques;

/// All techniques: pure ones, model-backed ones, and the specs of adaptive attackers.
pub struct Catalog {
    pure: Vec<Box<dyn Technique>>,
    model: Vec<Box<dyn AsyncTechnique>>,
    adaptive: Vec<TechniqueSpec>,
}

/// How many techniques the catalogue has, counted three ways (see the crate documentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Distinct techniques (ids).
    pub atomic: usize,
    /// Parameterised variants: each technique counts once per value of its variant axes
    /// (per shift, per language, per tool...), once when it has none.
    pub variants: usize,
    /// Meaningful two-step compositions, counted over variants: payload transforms (encoding,
    /// language and model rewrites) under framings (persona, context), plus carriers (multi-turn,
    /// multimodal, indirect) around either.
    pub combinations: usize,
    /// Atomic techniques by category id.
    pub atomic_by_category: BTreeMap<String, usize>,
    /// Variants by category id.
    pub variants_by_category: BTreeMap<String, usize>,
    /// Atomic techniques by execution (pure, model, adaptive).
    pub by_execution: BTreeMap<String, usize>,
}

impl Catalog {
    /// The built-in catalogue.
    pub fn builtin() -> Catalog {
        Catalog {
            pure: techniques::all_pure(),
            model: techniques::rewrite::techniques(),
            adaptive: vec![crescendo::Crescendo::spec()],
        }
    }

    /// Every technique's spec, sorted by category then id.
    pub fn specs(&self) -> Vec<&TechniqueSpec> {
        let mut out: Vec<&TechniqueSpec> = self
            .pure
            .iter()
            .map(|t| t.spec())
            .chain(self.model.iter().map(|t| t.spec()))
            .chain(self.adaptive.iter())
            .collect();
        out.sort_by(|a, b| (a.category, &a.id).cmp(&(b.category, &b.id)));
        out
    }

    /// The spec with this full id.
    pub fn spec(&self, id: &str) -> Option<&TechniqueSpec> {
        self.specs().into_iter().find(|s| s.id == id)
    }

    /// The pure technique with this full id.
    pub fn pure(&self, id: &str) -> Option<&dyn Technique> {
        self.pure.iter().find(|t| t.spec().id == id).map(|t| &**t)
    }

    /// Every pure technique.
    pub fn pure_techniques(&self) -> impl Iterator<Item = &dyn Technique> {
        self.pure.iter().map(|t| &**t)
    }

    /// Finds a technique by full id, by a unique id suffix (`base.base64`), or by a unique short
    /// name (`base64`).
    pub fn find(&self, name: &str) -> Result<&TechniqueSpec> {
        let specs = self.specs();
        if let Some(s) = specs.iter().find(|s| s.id == name) {
            return Ok(s);
        }
        let suffix = format!(".{name}");
        let matches: Vec<&TechniqueSpec> = specs
            .into_iter()
            .filter(|s| s.id.ends_with(&suffix))
            .collect();
        match matches.as_slice() {
            [one] => Ok(one),
            [] => Err(RedteamError::UnknownTechnique(name.to_string())),
            many => Err(RedteamError::AmbiguousTechnique {
                name: name.to_string(),
                candidates: many.iter().map(|s| s.id.clone()).collect(),
            }),
        }
    }

    /// Parses a chain (`base64+refusal_suppression+persona.dan.classic`, with optional
    /// `:key=value,...` per step), resolving names and filling parameter defaults.
    pub fn parse_chain(&self, text: &str) -> Result<Chain> {
        let bad = |reason: String| RedteamError::BadChain {
            chain: text.to_string(),
            reason,
        };
        let mut steps = Vec::new();
        for (name, pairs) in split_chain(text).map_err(bad)? {
            let spec = self.find(&name)?;
            let mut given = Params::default();
            for (key, value) in pairs {
                let Some(p) = spec.params.iter().find(|p| p.name == key) else {
                    // Let resolve() produce the error that lists the known parameters.
                    given.0.insert(key, ParamValue::Text(value));
                    continue;
                };
                let parsed = ParamValue::parse_like(&value, &p.default).ok_or_else(|| {
                    RedteamError::BadParam {
                        id: spec.id.clone(),
                        reason: format!("`{value}` is not a valid value for `{key}`"),
                    }
                })?;
                given.0.insert(key, parsed);
            }
            steps.push(Step {
                id: spec.id.clone(),
                params: spec.resolve(&given)?,
            });
        }
        Ok(Chain(steps))
    }

    /// A one-step chain for a technique with the given parameters (defaults for the rest).
    pub fn step(&self, id: &str, params: &Params) -> Result<Step> {
        let spec = self.find(id)?;
        Ok(Step {
            id: spec.id.clone(),
            params: spec.resolve(params)?,
        })
    }

    /// Applies a chain of pure techniques, left to right, each step with its own seed derived
    /// from `seed`. Fails on model-backed steps ([`Catalog::apply_with`]) and adaptive ones.
    pub fn apply(&self, chain: &Chain, mut attack: Attack, seed: u64) -> Result<Attack> {
        for (i, step) in chain.0.iter().enumerate() {
            attack = match self.pure(&step.id) {
                Some(t) => t.apply(attack, &step.params, step_seed(seed, i))?,
                None => return Err(self.not_pure(&step.id)),
            };
        }
        Ok(attack)
    }

    /// Applies a chain that may contain model-backed techniques, rewriting through `rewriter`.
    pub async fn apply_with(
        &self,
        chain: &Chain,
        mut attack: Attack,
        seed: u64,
        rewriter: &Rewriter,
    ) -> Result<Attack> {
        for (i, step) in chain.0.iter().enumerate() {
            let s = step_seed(seed, i);
            attack = if let Some(t) = self.pure(&step.id) {
                t.apply(attack, &step.params, s)?
            } else if let Some(t) = self.model.iter().find(|t| t.spec().id == step.id) {
                t.apply(attack, &step.params, s, rewriter).await?
            } else {
                return Err(self.not_pure(&step.id));
            };
        }
        Ok(attack)
    }

    /// Whether every step of the chain can be applied without a model.
    pub fn is_pure(&self, chain: &Chain) -> bool {
        chain.0.iter().all(|s| self.pure(&s.id).is_some())
    }

    fn not_pure(&self, id: &str) -> RedteamError {
        match self.spec(id).map(|s| s.execution) {
            Some(Execution::Model) => RedteamError::NeedsModel(id.to_string()),
            Some(Execution::Adaptive) => RedteamError::Adaptive(id.to_string()),
            _ => RedteamError::UnknownTechnique(id.to_string()),
        }
    }

    /// The three counts, with breakdowns.
    pub fn counts(&self) -> Counts {
        let specs = self.specs();
        let mut atomic_by_category = BTreeMap::new();
        let mut variants_by_category = BTreeMap::new();
        let mut by_execution = BTreeMap::new();
        for s in &specs {
            *atomic_by_category
                .entry(s.category.id().to_string())
                .or_insert(0) += 1;
            *variants_by_category
                .entry(s.category.id().to_string())
                .or_insert(0) += s.variant_count();
            let exec = match s.execution {
                Execution::Pure => "pure",
                Execution::Model => "model",
                Execution::Adaptive => "adaptive",
            };
            *by_execution.entry(exec.to_string()).or_insert(0) += 1;
        }
        // Payload transforms (inner), framings (outer) and carriers, over variants.
        let mut inner = 0;
        let mut outer = 0;
        let mut carriers = 0;
        for s in &specs {
            let v = s.variant_count();
            match (s.category, s.execution) {
                (_, Execution::Adaptive) => {}
                (_, Execution::Model) => inner += v,
                (TechniqueCategory::Encoding | TechniqueCategory::Language, _) => inner += v,
                (TechniqueCategory::Persona | TechniqueCategory::Context, _) => outer += v,
                _ => carriers += v,
            }
        }
        Counts {
            atomic: specs.len(),
            variants: specs.iter().map(|s| s.variant_count()).sum(),
            combinations: inner * outer + carriers * (inner + outer),
            atomic_by_category,
            variants_by_category,
            by_execution,
        }
    }
}
