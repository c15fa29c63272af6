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
use crate::rewriter::Rewriter;
use crate::technique::{Execution, TechniqueCategory};
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
    /// For an adaptive technique (Crescendo): how the conversation was built against the
    /// target. Until [`crate::adaptive::run_adaptive`] has run it, the conversation is the goal
    /// alone and this says `done: false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptive: Option<AdaptiveRun>,
}

/// What an adaptive attack did before its final turn was sent for judging.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AdaptiveRun {
    /// The attack has been run and `conversation` holds its transcript.
    pub done: bool,
    /// Exchanges kept in the conversation (the last one is sent again for judging).
    pub turns: usize,
    /// Refused questions withdrawn and retried.
    pub backtracks: usize,
    /// The attacker's own success check fired during the attack (the recorded verdict is the
    /// judges' on the final turn, not this).
    pub achieved: bool,
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
    /// Attacks that could not be rendered (a rewriter that failed or did not rewrite), with
    /// why; they are not sent. Only [`plan_with`] skips: pure chains always render.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedAttack>,
}

/// A planned (goal, chain) pair that was not rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedAttack {
    /// The goal's id.
    pub goal_id: String,
    /// The chain (`Chain::key`).
    pub chain: String,
    /// Why.
    pub reason: String,
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
    Ok(assemble(goal, chain, seed, attack, None))
}

fn assemble(
    goal: &Goal,
    chain: &Chain,
    seed: u64,
    attack: Attack,
    adaptive: Option<AdaptiveRun>,
) -> PlannedAttack {
    PlannedAttack {
        id: attack_id(goal, chain, seed),
        goal: goal.clone(),
        chain: chain.clone(),
        seed,
        conversation: attack.conversation,
        tools: attack.tools,
        expected: Expected::Refuse,
        category: goal.category,
        technique_category: chain.category(),
        adaptive,
    }
}

/// The id of an attack: a hash of the goal, the chain with its parameters and the seed (never
/// of what a model rewrote, so that a rerun finds the attacks it has already sent).
fn attack_id(goal: &Goal, chain: &Chain, seed: u64) -> String {
    content_hash(
        serde_json::json!({
            "goal_id": goal.id,
            "goal": goal.prompt,
            "chain": chain.key(),
            "seed": seed,
        })
        .to_string()
        .as_bytes(),
    )
}

/// Renders one attack whose chain may hold model-backed steps (rewritten through `rewriter`),
/// or is a single adaptive technique (left for [`crate::adaptive::run_adaptive`]: the
/// conversation is the goal alone until then).
pub async fn render_with(
    catalog: &Catalog,
    goal: &Goal,
    chain: &Chain,
    campaign_seed: u64,
    rewriter: Option<&Rewriter>,
) -> Result<PlannedAttack> {
    if catalog.is_pure(chain) {
        return render(catalog, goal, chain, campaign_seed);
    }
    let seed = attack_seed(campaign_seed, goal, chain);
    let (attack, adaptive) = if is_adaptive(catalog, chain) {
        (
            Attack::from_goal(goal.prompt.clone()),
            Some(AdaptiveRun::default()),
        )
    } else {
        let Some(rewriter) = rewriter else {
            // Names the step that needs the model.
            return render(catalog, goal, chain, campaign_seed);
        };
        let attack = catalog
            .apply_with(
                chain,
                Attack::from_goal(goal.prompt.clone()),
                seed,
                rewriter,
            )
            .await?;
        (attack, None)
    };
    Ok(assemble(goal, chain, seed, attack, adaptive))
}

/// Whether the chain is one adaptive technique (adaptive techniques do not compose).
pub fn is_adaptive(catalog: &Catalog, chain: &Chain) -> bool {
    chain.0.iter().any(|s| {
        catalog
            .spec(&s.id)
            .is_some_and(|t| t.execution == Execution::Adaptive)
    })
}

/// Whether the chain needs a model to render (a model-backed step) or to run (adaptive).
pub fn needs_model(catalog: &Catalog, chain: &Chain) -> bool {
    !catalog.is_pure(chain)
}

/// Plans a campaign of pure chains (model-backed or adaptive chains are rejected: plan those
/// with [`plan_with`]). Deterministic: the same inputs give the same plan.
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
        skipped: Vec::new(),
    })
}

/// Plans a campaign whose chains may also hold model-backed steps, rendered through `rewriter`
/// (cached: see [`Rewriter::with_journal`]), and adaptive techniques, alone in their chain,
/// whose conversations [`crate::adaptive::run_adaptive`] builds against the target. The same
/// sampling as [`plan`]; attack ids and seeds do not depend on what the rewriter wrote.
pub async fn plan_with(
    catalog: &Catalog,
    goals: &[Goal],
    chains: &[Chain],
    config: &PlanConfig,
    rewriter: Option<&Rewriter>,
) -> Result<CampaignPlan> {
    if goals.is_empty() || chains.is_empty() {
        return Err(RedteamError::Plan(
            "need at least one goal and one technique chain".into(),
        ));
    }
    for c in chains {
        if is_adaptive(catalog, c) && c.len() > 1 {
            return Err(RedteamError::Plan(format!(
                "chain `{}`: an adaptive technique talks to the target itself and cannot be combined with other techniques",
                c.ids()
            )));
        }
        if rewriter.is_none() && !is_adaptive(catalog, c) && !catalog.is_pure(c) {
            // The error names the step that needs a model.
            catalog.apply(c, Attack::from_goal(String::new()), 0)?;
        }
    }
    let mut attacks = Vec::new();
    let mut skipped = Vec::new();
    for (g, c) in order(goals, chains, config).into_iter().take(config.budget) {
        match render_with(catalog, &goals[g], &chains[c], config.seed, rewriter).await {
            Ok(a) => attacks.push(a),
            // One failed rewrite (a model error, an answer instead of a translation) costs that
            // attack, not the campaign.
            Err(e @ (RedteamError::Rewrite { .. } | RedteamError::Model(_))) => {
                tracing::warn!(goal = %goals[g].id, chain = %chains[c].key(), error = %e, "attack not rendered");
                skipped.push(SkippedAttack {
                    goal_id: goals[g].id.clone(),
                    chain: chains[c].key(),
                    reason: e.to_string(),
                });
            }
            Err(e) => return Err(e),
        }
    }
    Ok(CampaignPlan {
        config: config.clone(),
        goals: goals.len(),
        chains: chains.len(),
        attacks,
        skipped,
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
