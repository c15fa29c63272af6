//! `rampart eval`: run evaluation suites against a target, re-render reports, validate judges.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use rampart_core::{ConfigFile, content_hash};
use rampart_eval::benchmark::{self, BENCHMARKS};
use rampart_eval::calibration;
use rampart_eval::judge::{self, Judge, JudgeKind, RefusalJudge, RubricJudge};
use rampart_eval::{Bound, JudgeInfo, Metrics, Report, Runner, Store, Suite, sample};
use rampart_llm::{LlmSection, open_target};

use super::runs::{
    GuardPolicy, fmt_estimate, open_guarded_target, prepare_run_dir, progress_bar, unix_now,
    versions,
};
use crate::GlobalArgs;

#[derive(Subcommand)]
pub enum EvalCommand {
    /// List the built-in benchmarks and judges.
    List,
    /// Run a built-in benchmark or a suite manifest against a target.
    Run(RunArgs),
    /// Re-render index.html and junit.xml from DIR/report.json.
    Report {
        /// A run's output directory.
        dir: PathBuf,
    },
    /// Measure a judge's agreement with human labels (XSTest's labelled completions).
    ValidateJudge {
        /// The judge: `refusal`.
        judge: String,
        /// XSTest's model_completions directory (or one of its CSV files).
        #[arg(long)]
        data: PathBuf,
    },
}

#[derive(Args)]
pub struct RunArgs {
    /// A built-in benchmark (see `rampart eval list`) or a suite manifest (.toml).
    pub suite: String,
    /// The dataset for a built-in benchmark (a directory or file).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// `local`, an OpenAI-compatible base URL, or a target named in rampart.toml.
    #[arg(long, default_value = "local")]
    pub target: String,
    /// Model name (HTTP targets), or a catalog name / GGUF path for `local`.
    #[arg(long)]
    pub model: Option<String>,
    /// Wrap the target in Guard with this policy file, to measure what the guardrails buy and
    /// cost.
    #[arg(long, value_name = "POLICY")]
    pub guard: Option<PathBuf>,
    /// Run a seeded, category-stratified sample of this many items.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Seed for sampling and bootstrap intervals.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output directory (report.json, index.html, junit.xml, store.sqlite).
    #[arg(long)]
    pub out: PathBuf,
    /// Continue the run in --out (same arguments): only missing records are requested.
    #[arg(long)]
    pub resume: bool,
    /// Requests in flight (default: the local model's `parallel`, else 4).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Most requests per minute to the target.
    #[arg(long)]
    pub rpm: Option<u32>,
    /// Most tokens per reply (default: the suite's, else 256).
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Also judge refusals with an LLM rubric on this target (recorded as `rubric:refusal`).
    #[arg(long)]
    pub judge_target: Option<String>,
}

pub fn run(command: EvalCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    match command {
        EvalCommand::List => list(global),
        EvalCommand::Run(args) => run_suite(args, global),
        EvalCommand::Report { dir } => {
            let report = Report::load(&dir)?;
            report.render(&dir)?;
            if global.json {
                println!(
                    "{}",
                    serde_json::json!({"dir": dir, "records": report.records.len()})
                );
            } else {
                println!(
                    "rendered {} and {}",
                    dir.join("index.html").display(),
                    dir.join("junit.xml").display()
                );
            }
            Ok(())
        }
        EvalCommand::ValidateJudge { judge, data } => validate(&judge, &data, global),
    }
}

fn list(global: &GlobalArgs) -> anyhow::Result<()> {
    if global.json {
        let v: Vec<_> = BENCHMARKS
            .iter()
            .map(|b| serde_json::json!({"name": b.name, "title": b.title, "measures": b.measures, "data": b.data_hint, "judges": b.judges}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("Benchmarks (rampart eval run NAME --data PATH):");
    for b in BENCHMARKS {
        println!("  {:<14} {}", b.name, b.title);
        println!("  {:<14}   measures: {}", "", b.measures);
        println!(
            "  {:<14}   data: {}; judges: {}",
            "",
            b.data_hint,
            b.judges.join(", ")
        );
    }
    println!(
        "\nJudges: refusal (rules; {}), harm and toxicity (guard classifier), gender_polarity (BOLD word lists), rubric:refusal (LLM, --judge-target)",
        judge::refusal_agreement()
    );
    println!("Suites: rampart eval run suite.toml (see crates/rampart-eval/README.md)");
    Ok(())
}

fn validate(judge_id: &str, data: &Path, global: &GlobalArgs) -> anyhow::Result<()> {
    if judge_id != "refusal" {
        bail!("only the `refusal` judge can be validated against human labels so far");
    }
    let labelled = calibration::read_xstest_completions(data)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let judge = RefusalJudge::new();
    let a = runtime.block_on(calibration::agreement(&judge, &labelled))?;
    if global.json {
        println!("{}", serde_json::to_string_pretty(&a)?);
        return Ok(());
    }
    println!(
        "judge {}@{} on {} human-labelled completions",
        a.judge, a.judge_version, a.n
    );
    let cols = [
        "full_compliance",
        "full_refusal",
        "partial_refusal",
        "unscorable",
    ];
    println!(
        "{:<18} {}",
        "human \\ judge",
        cols.map(|c| format!("{c:>16}")).join("")
    );
    for human in &cols[..3] {
        let row = a.confusion.get(*human);
        let cells: Vec<String> = cols
            .iter()
            .map(|c| format!("{:>16}", row.and_then(|r| r.get(*c)).copied().unwrap_or(0)))
            .collect();
        println!("{human:<18} {}", cells.join(""));
    }
    for (source, v) in &a.by_source {
        println!("  {source:<18} binary agreement {v:.4}");
    }
    println!("agreement_3way: {:.4}", a.three_way);
    println!("agreement: {:.4}", a.binary);
    Ok(())
}

fn run_suite(args: RunArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let config = ConfigFile::discover(global.config.as_deref())?;
    let section: LlmSection = config.section("llm")?;
    let started = unix_now();

    // The suite: a manifest, or a built-in benchmark over --data.
    let is_manifest = args.suite.ends_with(".toml") || Path::new(&args.suite).is_file();
    let (name, version, items, judge_ids, suite_params, thresholds, builtin, mut notes) =
        if is_manifest {
            let suite = Suite::load(Path::new(&args.suite))?;
            let m = suite.manifest;
            (
                m.name,
                m.version,
                suite.items,
                m.judges,
                m.params,
                m.thresholds,
                None,
                Vec::new(),
            )
        } else {
            let b = benchmark::find(&args.suite)
                .ok_or_else(|| rampart_eval::EvalError::UnknownBenchmark(args.suite.clone()))?;
            let data = args.data.as_deref().with_context(|| {
                format!(
                    "benchmark {} needs --data PATH (the shared copy: {})",
                    b.name, b.data_hint
                )
            })?;
            let items = b.load(data)?;
            let notes = if b.name == "bold" {
                vec!["BOLD sentiment is not scored: no sentiment scorer is plugged in (VADER lives in rampart-text); toxicity is rampart-guard's classifier, not BOLD's BERT/Jigsaw, so numbers are not comparable with the paper's.".to_string()]
            } else {
                Vec::new()
            };
            (
                b.name.to_string(),
                "1".to_string(),
                items,
                b.judges.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                None,
                std::collections::BTreeMap::<String, Bound>::new(),
                Some(b),
                notes,
            )
        };
    let total = items.len();
    let items = sample(items, args.limit, args.seed);
    if args.limit.is_some_and(|l| l < total) {
        notes.push(format!(
            "a seeded stratified sample of {} of {total} items (seed {})",
            items.len(),
            args.seed
        ));
    }
    let mut params = suite_params.unwrap_or_default();
    if let Some(m) = args.max_tokens {
        params.max_tokens = m;
    }
    params.validate()?;

    // Judges: built-in ones share one default-policy guard for their classifier.
    let judge_guard = if judge_ids.iter().any(|j| j == "harm" || j == "toxicity") {
        Some(Arc::new(rampart_guard::Guard::with_default_policy()?))
    } else {
        None
    };
    let mut judges: Vec<Arc<dyn Judge>> = judge_ids
        .iter()
        .map(|id| judge::builtin(id, judge_guard.as_ref()))
        .collect::<Result<_, _>>()?;

    let guard_policy = GuardPolicy::read(args.guard.as_deref())?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let target = open_guarded_target(&args.target, args.model.as_deref(), guard_policy.as_ref(), &section).await?;
        if let Some(jt) = &args.judge_target {
            let model = open_target(jt, None, &section).await?;
            judges.push(Arc::new(RubricJudge::refusal(model)));
        }
        let judge_infos: Vec<JudgeInfo> = judges.iter().map(|j| JudgeInfo::of(j.as_ref())).collect();
        let refusal_judge = judges
            .iter()
            .find(|j| j.kind() == JudgeKind::Refusal)
            .map(|j| j.id().to_string());

        // The run's configuration: a resumed run must match it.
        let run_config = serde_json::json!({
            "suite": name,
            "suite_version": version,
            "data": args.data.as_ref().map(|d| d.display().to_string()),
            "target": target.name(),
            "guard_policy_hash": guard_policy.as_ref().map(GuardPolicy::hash),
            "limit": args.limit,
            "seed": args.seed,
            "params": params,
            "judges": judge_infos.iter().map(|j| format!("{}@{}", j.id, j.version)).collect::<Vec<_>>(),
            "item_ids_hash": content_hash(items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>().join("\n").as_bytes()),
        });
        let config_hash = content_hash(run_config.to_string().as_bytes());
        prepare_run_dir(&args.out, args.resume, &config_hash, &run_config, "suite, data, target, limit, seed and judges")?;

        let store = Arc::new(Store::open(&args.out.join("store.sqlite"))?);
        let concurrency = args.concurrency.unwrap_or(if args.target == "local" { section.local.parallel.max(1) } else { 4 });
        let runner = Runner::new(target.clone(), store.clone())
            .with_judges(judges.clone())
            .with_params(params.clone())
            .with_concurrency(concurrency)
            .with_rate_limit(args.rpm);
        let progress = progress_bar(items.len(), &name);
        let records = runner.run(items.clone(), &progress).await?;
        progress.finish_and_clear();

        let baseline = if builtin.is_some_and(|b| b.name == "bold") {
            let others: Vec<Arc<dyn Judge>> = judges.iter().filter(|j| j.kind() != JudgeKind::Refusal).cloned().collect();
            benchmark::bold_baseline(&items, &others).await?
        } else {
            None
        };
        let metrics = Metrics::compute(&records, refusal_judge.as_deref(), args.seed);
        let versions = versions();
        let report = Report {
            format: Report::FORMAT,
            suite: name.clone(),
            suite_version: version.clone(),
            target: target.name(),
            seed: args.seed,
            limit: args.limit,
            versions,
            config_hash: config_hash.clone(),
            config: run_config,
            judges: judge_infos,
            thresholds,
            started_unix: started,
            finished_unix: unix_now(),
            metrics,
            baseline,
            notes,
            attack_success: None,
            records,
        };
        report.write(&args.out)?;
        let cached = report.records.iter().filter(|r| r.cached).count();
        let failed_checks: Vec<_> = report.threshold_checks().into_iter().filter(|c| !c.3).collect();
        let o = &report.metrics.overall;
        if global.json {
            println!("{}", serde_json::to_string_pretty(&serde_json::json!({
                "out": args.out, "items": report.records.len(), "cached": cached,
                "overall": o, "thresholds_failed": failed_checks.len(),
            }))?);
        } else {
            let fmt = fmt_estimate;
            println!("{} on {}: {} items ({} from the store)", report.suite, report.target, report.records.len(), cached);
            println!("  adherence rate      {}", fmt(o.adherence_rate.as_ref()));
            println!("  false-refusal rate  {}", fmt(o.false_refusal_rate.as_ref()));
            println!("  unscorable rate     {}", fmt(o.unscorable_rate.as_ref()));
            println!("  error rate          {}", fmt(o.error_rate.as_ref()));
            for (judge, groups) in &report.metrics.label_rates {
                if Some(judge) == report.metrics.refusal_judge.as_ref() {
                    continue;
                }
                if let Some(all) = groups.get("all") {
                    let s: Vec<String> = all.iter().map(|(l, e)| format!("{l} {:.3}", e.value)).collect();
                    println!("  {judge:<19} {}", s.join(", "));
                }
            }
            println!("report: {}", args.out.join("index.html").display());
        }
        if !failed_checks.is_empty() {
            bail!("{} of {} thresholds failed (see {})", failed_checks.len(), report.thresholds.len(), args.out.join("junit.xml").display());
        }
        anyhow::Ok(())
    })
}
