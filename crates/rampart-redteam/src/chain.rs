//! Composition: a [`Chain`] of technique [`Step`]s, written `id[:key=value,...]` joined by `+`.
//!
//! Steps apply **left to right**: the leftmost step transforms the goal first and each next step
//! transforms the result, so the rightmost technique is the outermost layer.
//! `encoding.base.base64+context.override.refusal_suppression+persona.dan.classic` base64-encodes
//! the goal, puts the refusal-suppression rules around that, and wraps it all in the DAN persona.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::technique::{Params, TechniqueCategory};

/// One technique with its resolved parameters (every declared parameter present).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Full technique id.
    pub id: String,
    /// Resolved parameters.
    pub params: Params,
}

impl Step {
    /// The category, from the id's first segment.
    pub fn category(&self) -> Option<TechniqueCategory> {
        let first = self.id.split('.').next()?;
        TechniqueCategory::ALL.into_iter().find(|c| c.id() == first)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)?;
        if !self.params.is_empty() {
            let params: Vec<String> = self
                .params
                .0
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            write!(f, ":{}", params.join(","))?;
        }
        Ok(())
    }
}

/// Techniques applied left to right. Build one with
/// [`Catalog::parse_chain`](crate::Catalog::parse_chain), which resolves short names and fills
/// in parameter defaults, so that equal chains have equal [`Chain::key`]s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Chain(pub Vec<Step>);

impl Chain {
    /// The canonical text: every step with all its resolved parameters. Stable, so it goes into
    /// content hashes.
    pub fn key(&self) -> String {
        self.to_string()
    }

    /// The steps' ids joined by `+`, without parameters.
    pub fn ids(&self) -> String {
        self.0
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>()
            .join("+")
    }

    /// The category of the outermost (last) step: what the attack looks like from outside.
    pub fn category(&self) -> Option<TechniqueCategory> {
        self.0.last().and_then(Step::category)
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the chain has no step (the goal is sent as it is).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let steps: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&steps.join("+"))
    }
}

/// The seed of step `index` of a chain applied with `seed`: distinct per step, deterministic.
pub fn step_seed(seed: u64, index: usize) -> u64 {
    splitmix64(seed ^ splitmix64(index as u64 + 1))
}

/// SplitMix64: a fast, well-mixed 64-bit hash step.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A step as written: technique name and `(key, value)` parameters.
pub(crate) type RawStep = (String, Vec<(String, String)>);

/// Splits a chain as written into `(name, [(key, value)])` steps, without resolving anything.
pub(crate) fn split_chain(text: &str) -> Result<Vec<RawStep>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the chain is empty".into());
    }
    text.split('+')
        .map(|step| {
            let step = step.trim();
            let (name, params) = match step.split_once(':') {
                Some((n, p)) => (n.trim(), Some(p)),
                None => (step, None),
            };
            if name.is_empty() {
                return Err("a step has no technique name (two `+` in a row?)".to_string());
            }
            let mut pairs = Vec::new();
            if let Some(params) = params {
                for pair in params.split(',').filter(|p| !p.trim().is_empty()) {
                    let Some((k, v)) = pair.split_once('=') else {
                        return Err(format!("parameter `{pair}` of `{name}` is not key=value"));
                    };
                    pairs.push((k.trim().to_string(), v.to_string()));
                }
            }
            Ok((name.to_string(), pairs))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_steps_and_params() {
        let s = split_chain("base64 + caesar:shift=5,framed=false+x").unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[1].0, "caesar");
        assert_eq!(
            s[1].1,
            vec![
                ("shift".into(), "5".into()),
                ("framed".into(), "false".into())
            ]
        );
        assert!(split_chain("a++b").is_err());
        assert!(split_chain("").is_err());
        assert!(split_chain("a:shift").is_err());
    }

    #[test]
    fn step_seeds_differ_and_repeat() {
        assert_ne!(step_seed(1, 0), step_seed(1, 1));
        assert_eq!(step_seed(1, 0), step_seed(1, 0));
    }
}
