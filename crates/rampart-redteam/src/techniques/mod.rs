//! The built-in techniques, one module per category. Each module's `techniques()` lists its pure
//! techniques; model-backed ones are in [`rewrite`], adaptive ones in [`crate::crescendo`].
//!
//! Most techniques are a [`Builtin`]: a [`TechniqueSpec`] plus a template, a text transform or an
//! attack transform, so that each technique is a few declarative lines (parameters, not copies).

pub mod context;
pub mod encoding;
pub mod indirect;
pub mod language;
pub mod multimodal;
pub mod multiturn;
pub mod persona;
pub mod rewrite;

use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::attack::Attack;
use crate::error::Result;
use crate::technique::{Params, Technique, TechniqueSpec};

/// A text transform of the payload.
pub type TextFn = fn(&str, &Params, u64) -> String;
/// A transform of the whole attack.
pub type AttackFn = fn(Attack, &Params, u64) -> Result<Attack>;

/// How a [`Builtin`] transforms the attack.
#[derive(Clone, Copy)]
pub enum Body {
    /// The payload becomes the template with `{payload}` and `{param}` placeholders filled.
    Template(&'static str),
    /// The payload is rewritten by a function.
    Text(TextFn),
    /// The whole attack is rewritten by a function.
    Attack(AttackFn),
}

/// A technique defined by its spec and a [`Body`].
pub struct Builtin {
    spec: TechniqueSpec,
    body: Body,
}

impl Builtin {
    /// A framing template (`{payload}` is the current payload).
    pub fn template(spec: TechniqueSpec, template: &'static str) -> Box<dyn Technique> {
        Box::new(Builtin {
            spec,
            body: Body::Template(template),
        })
    }

    /// A payload text transform.
    pub fn text(spec: TechniqueSpec, f: TextFn) -> Box<dyn Technique> {
        Box::new(Builtin {
            spec,
            body: Body::Text(f),
        })
    }

    /// An attack transform.
    pub fn attack(spec: TechniqueSpec, f: AttackFn) -> Box<dyn Technique> {
        Box::new(Builtin {
            spec,
            body: Body::Attack(f),
        })
    }
}

impl Technique for Builtin {
    fn spec(&self) -> &TechniqueSpec {
        &self.spec
    }

    fn apply(&self, attack: Attack, params: &Params, seed: u64) -> Result<Attack> {
        match self.body {
            Body::Template(template) => Ok(attack.map_payload(|p| fill(template, p, params))),
            Body::Text(f) => Ok(attack.map_payload(|p| f(p, params, seed))),
            Body::Attack(f) => f(attack, params, seed),
        }
    }
}

/// Fills `{name}` placeholders from `params`, then `{payload}` (last, so that braces in the
/// payload are never expanded).
pub fn fill(template: &str, payload: &str, params: &Params) -> String {
    let mut out = template.to_string();
    for (name, value) in &params.0 {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out.replace("{payload}", payload)
}

/// The seeded random generator every randomised technique uses.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Every pure built-in technique, in catalogue order.
pub fn all_pure() -> Vec<Box<dyn Technique>> {
    let mut out = encoding::techniques();
    out.extend(persona::techniques());
    out.extend(context::techniques());
    out.extend(language::techniques());
    out.extend(multiturn::techniques());
    out.extend(multimodal::techniques());
    out.extend(indirect::techniques());
    out
}
