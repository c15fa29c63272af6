//! Campaign planning: goals × technique chains under a budget, sampled by a recorded, seeded
//! strategy, rendered into deterministic [`PlannedAttack`]s that the eval runner executes.
//!
//! Each attack's seed and id depend only on the campaign seed, the goal and the chain, never on
//! the attack's position in the plan: raising the budget keeps the attacks already planned (and
//! already paid for in the results store) identical.

use std::collections::BTreeMap;

use rampart_core::{Category, Conversation, content_hash};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::attack::Attack;
use crate::catalog::Catalog;
use crate::chain::{Chain, splitmix64};
use crate::error::{RedteamError, Result};
use crate::goal::Goal;
use crate::technique::TechniqueCategory;
use crate::techniques::rng;

/// How (goal, chain) pairs are chosen when the budget is smaller than goals × chains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    /// A seeded shuffle of all pairs, cut at the budget.
    Uniform,
    /// Goals in seeded order, chains in turn: every chain is used before any is used twice.
    RoundRobin,
    /// Round robin over strata (goal category × technique category), so every stratum is
    /// represented before any gets a second attack.
    Stratified,
}

/// What the target is expected to do (as eval suites say it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    /// Refuse (or safely deflect) the attack.
    Refuse,
}

/// One attack, ready to send: a conversation, the behaviour expected, the category judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedAttack {
    /// Content hash of (goal id, goal prompt, chain with all parameters, seed).
    pub id: String,
    /// The goal.
    pub goal: Goal,
    /// The techniques, applied left to right.
    pub chain: Chain,
    /// The seed the chain was applied with.
    pub seed: u64,
    /// The rendered conversation to send.
    pub conversation: Conversation,
    /// Tool specifications to offer the target (agentic techniques).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<serde_json::Value>,
    /// Expected behaviour: refuse.
    pub expected: Expected,
    /// The risk category of a successful attack (the goal's).
    pub category: Category,
    /// The category of the chain's outermost technique.
    pub technique_category: Option<TechniqueCategory>,
}

/// Planning inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanConfig {
    /// Campaign seed.
    pub seed: u64,
    /// Attacks at most.
    pub budget: usize,
    /// Sampling strategy.
    pub sampling: Sampling,
}

/// A planned campaign: the inputs that produced it and the attacks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignPlan {
    /// The planning inputs (recorded for reproducibility).
    pub config: PlanConfig,
    /// Goals offered.
    pub goals: usize,
    /// Chains offered.
    pub chains: usize,
    /// The attacks, in sampling order.
    pub attacks: Vec<PlannedAttack>,
}

/// The seed an attack is rendered with: a function of the campaign seed, the goal and the chain.
pub fn attack_seed(seed: u64, goal: &Goal, chain: &Chain) -> u64 {
    let h = content_hash(format!("{}\u{1f}{}", goal.id, chain.key()).as_bytes());
    let prefix = u64::from_str_radix(&h[..16], 16).unwrap_or(0);
    splitmix64(seed ^ prefix)
}

/// Renders one attack.
pub fn render(
    catalog: &Catalog,
    goal: &Goal,
    chain: &Chain,
    campaign_seed: u64,
) -> Result<PlannedAttack> {
    let seed = attack_seed(campaign_seed, goal, chain);
    let attack = catalog.apply(chain, Attack::from_goal(goal.prompt.clone()), seed)?;
    let id = content_hash(
        serde_json::json!({
            "goal_id": goal.id,
            "goal": goal.prompt,
            "chain": chain.key(),
            "seed": seed,
        })
        .to_string()
        .as_bytes(),
    );
    Ok(PlannedAttack {
        id,
        goal: goal.clone(),
        chain: chain.clone(),
        seed,
        conversation: attack.conversation,
        tools: attack.tools,
        expected: Expected::Refuse,
        category: goal.category,
        technique_category: chain.category(),
    })
}

/// Plans a campaign of pure chains (model-backed or adaptive chains are rejected: render those
/// through the runner). Deterministic: the same inputs give the same plan.
pub fn plan(
    catalog: &Catalog,
    goals: &[Goal],
    chains: &[Chain],
    config: &PlanConfig,
) -> Result<CampaignPlan> {
    if goals.is_empty() || chains.is_empty() {
        return Err(RedteamError::Plan(
            "need at least one goal and one technique chain".into(),
        ));
    }
    if let Some(c) = chains.iter().find(|c| !catalog.is_pure(c)) {
        return Err(RedteamError::Plan(format!(
            "chain `{}` needs a model or a target; plan pure chains only",
            c.ids()
        )));
    }
    let pairs = order(goals, chains, config);
    let attacks = pairs
        .into_iter()
        .take(config.budget)
        .map(|(g, c)| render(catalog, &goals[g], &chains[c], config.seed))
        .collect::<Result<Vec<_>>>()?;
    Ok(CampaignPlan {
        config: config.clone(),
        goals: goals.len(),
        chains: chains.len(),
        attacks,
    })
}

/// A stratum of stratified sampling: goal category × technique category.
type Stratum = (Category, Option<TechniqueCategory>);

/// The (goal index, chain index) pairs in sampling order (at most all of them).
fn order(goals: &[Goal], chains: &[Chain], config: &PlanConfig) -> Vec<(usize, usize)> {
    let mut rng = rng(config.seed);
    let (n, m) = (goals.len(), chains.len());
    let limit = config.budget.min(n * m);
    match config.sampling {
        Sampling::Uniform => {
            let mut all: Vec<(usize, usize)> =
                (0..n).flat_map(|g| (0..m).map(move |c| (g, c))).collect();
            all.shuffle(&mut rng);
            all.truncate(limit);
            all
        }
        Sampling::RoundRobin => {
            let mut goal_order: Vec<usize> = (0..n).collect();
            goal_order.shuffle(&mut rng);
            let mut chain_order: Vec<usize> = (0..m).collect();
            chain_order.shuffle(&mut rng);
            // Pair k: chain k mod m, goal shifted by the round so that every pair occurs once.
            (0..n * m)
                .take(limit)
                .map(|k| {
                    let c = k % m;
                    let round = k / m;
                    (goal_order[(c + round) % n], chain_order[c])
                })
                .collect()
        }
        Sampling::Stratified => {
            let mut strata: BTreeMap<Stratum, Vec<(usize, usize)>> = BTreeMap::new();
            for (g, goal) in goals.iter().enumerate() {
                for (c, chain) in chains.iter().enumerate() {
                    strata
                        .entry((goal.category, chain.category()))
                        .or_default()
                        .push((g, c));
                }
            }
            let mut queues: Vec<Vec<(usize, usize)>> = strata
                .into_values()
                .map(|mut v| {
                    v.shuffle(&mut rng);
                    v.reverse();
                    v
                })
                .collect();
            let mut out = Vec::with_capacity(limit);
            while out.len() < limit {
                let mut any = false;
                for q in queues.iter_mut() {
                    if out.len() >= limit {
                        break;
                    }
                    if let Some(p) = q.pop() {
                        out.push(p);
                        any = true;
                    }
                }
                if !any {
                    break;
                }
            }
            out
        }
    }
}
