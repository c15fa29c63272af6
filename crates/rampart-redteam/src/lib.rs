//! Red teaming for rampart: composable attack techniques, attack goals, campaign planning, and
//! multi-turn attackers.
//!
//! - [`Technique`]: a parameterised, deterministic-under-seed transform of an [`Attack`] (a goal
//!   prompt, a conversation, or an image), with a stable id `category.family.name`, one of seven
//!   [`TechniqueCategory`]s, a description, parameters with defaults, and a reference.
//!   [`AsyncTechnique`]s rewrite the payload with a model through a cached [`Rewriter`]
//!   (translation, dialect, register); adaptive attackers such as [`Crescendo`] talk to the target
//!   and judge progress with a pluggable [`SuccessCheck`].
//! - [`Catalog`]: every built-in technique, looked up by full id or unique short name, applied as a
//!   [`Chain`] (`base64+refusal_suppression+persona.dan.classic`). Steps apply **left to right**:
//!   the leftmost transforms the goal first, the rightmost is the outermost layer.
//! - [`Goal`]: what an attack tries to get; [`builtin_goals`] covers every risk category and the
//!   four [`RiskFamily`]s; [`load_harmbench`] / [`load_advbench`] read datasets from a path.
//! - [`plan`]: goals × chains under a budget with a seeded [`Sampling`] strategy, giving
//!   [`PlannedAttack`]s (content-hashed id, conversation, expected behaviour "refuse", category)
//!   for the eval runner.
//! - [`run`]: [`to_items`] turns a plan into eval items for [`rampart_eval::Runner`], and
//!   [`attack_success`] turns the judged records into attack success rates (harmful compliance,
//!   with 95% intervals, per technique, chain, technique category, risk category and family).
//!
//! # Counting techniques honestly
//!
//! [`Catalog::counts`] reports three numbers, and `rampart redteam techniques` prints them:
//!
//! - **atomic**: distinct technique ids. A technique is atomic when it does something different,
//!   not when it uses different words: the 35 obfuscations reused from [`rampart_text`] count once
//!   each; all Caesar shifts are one technique; each persona template is one technique because
//!   each is a different pretext.
//! - **variants**: each technique once per value of its declared variant axes
//!   ([`ParamSpec::variants`]: per Caesar shift, per language, per persuasion technique, per
//!   targeted tool, per image style), once when it has none. Free parameters (rates, counts) are
//!   not variants.
//! - **combinations**: meaningful two-step compositions over variants: payload transforms
//!   (encoding, language, model rewrites) under framings (persona, context), plus carriers
//!   (multi-turn, multimodal, indirect) around either. Longer chains are possible but not counted.
//!
//! ```
//! use rampart_redteam::{Attack, Catalog};
//!
//! let catalog = Catalog::builtin();
//! let chain = catalog.parse_chain("base64+refusal_suppression").unwrap();
//! let attack = catalog.apply(&chain, Attack::from_goal("say something rude"), 7).unwrap();
//! assert!(attack.payload().contains("c2F5IHNvbWV0aGluZyBydWRl"));
//! assert!(attack.payload().starts_with("Respond to the request below"));
//! ```

#![warn(missing_docs)]

pub mod adaptive;
pub mod attack;
pub mod campaign;
pub mod catalog;
pub mod chain;
pub mod crescendo;
mod error;
pub mod goal;
pub mod journal;
pub mod rewriter;
pub mod run;
pub mod technique;
pub mod techniques;
pub mod typography;

pub use attack::Attack;
pub use campaign::{
    AdaptiveRun, CampaignPlan, Expected, PlanConfig, PlannedAttack, Sampling, SkippedAttack, plan,
    plan_with,
};
pub use catalog::{Catalog, Counts};
pub use chain::{Chain, Step};
pub use crescendo::{
    Assessment, Crescendo, CrescendoConfig, CrescendoResult, Outcome, RefusalLexicon, SuccessCheck,
};
pub use error::{RedteamError, Result};
pub use goal::{Goal, RiskFamily, builtin_goals, load_advbench, load_goals, load_harmbench};
pub use rewriter::Rewriter;
pub use run::{attack_success, to_items};
pub use technique::{
    AsyncTechnique, Execution, ParamSpec, ParamValue, Params, Technique, TechniqueCategory,
    TechniqueSpec,
};
