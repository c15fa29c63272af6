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
    GuardPolicy, concurrency, fmt_estimate, open_target_and_attacker, prepare_run_dir,
    progress_bar, unix_now, versions,
};
use crate::GlobalArgs;

#[derive(Subcommand)]
pub enum EvalCommand {
    /// List the built-in benchmarks and judges.
    List,
    /// Run a built-in benchmark or a suite manifest against a target.
    Run(Box<RunArgs>),
    /// Re-render index.html and junit.xml from DIR/report.json.
    Report {
        /// A run's output directory.
        dir: PathBuf,
    },
    /// Measure a judge's agreement with human labels: `refusal` (the learned judge: held-out,
    /// leave-one-model-out agreement, the rules beside it) or `refusal:rules` on XSTest's
    /// labelled completions, `presupposition` on INVITE's labelled responses.
    ValidateJudge {
        /// The judge: `refusal`, `refusal:rules` or `presupposition`.
        judge: String,
        /// XSTest's model_completions directory (refusal) or INVITE's Data directory
        /// (presupposition).
        #[arg(long)]
        data: PathBuf,
        /// `refusal` only: also train the learned judge on all of DATA and write its weights to
        /// FILE (how the shipped crates/rampart-eval/models/refusal-lr-1.txt is made).
        #[arg(long, value_name = "FILE")]
        write_weights: Option<PathBuf>,
    },
}

#[derive(Args, Clone)]
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
    /// Rewrite every prompt into this English dialect (Multi-VALUE rules in rampart-text:
    /// `AAVE`, `Singlish`, `Appalachian`, an eWAVE name or abbreviation, or `all`); item
    /// metadata keeps the original prompt.
    #[arg(long)]
    pub dialect: Option<String>,
    /// With --dialect: run both the plain and the rewritten suite (into OUT/plain and
    /// OUT/dialect) and write the per-metric paired deltas with 95% intervals to
    /// OUT/dialect_delta.json.
    #[arg(long, requires = "dialect")]
    pub dialect_compare: bool,
}

pub fn run(command: EvalCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    match command {
        EvalCommand::List => list(global),
        EvalCommand::Run(args) => run_suite(*args, global),
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
        EvalCommand::ValidateJudge {
            judge,
            data,
            write_weights,
        } => validate(&judge, &data, write_weights.as_deref(), global),
    }
}

fn list(global: &GlobalArgs) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    let mut out = String::new();
    if global.json {
        let v: Vec<_> = BENCHMARKS
            .iter()
            .map(|b| serde_json::json!({"name": b.name, "title": b.title, "measures": b.measures, "data": b.data_hint, "judges": b.judges}))
            .collect();
        out = serde_json::to_string_pretty(&v)? + "\n";
    } else {
        writeln!(out, "Benchmarks (rampart eval run NAME --data PATH):")?;
        for b in BENCHMARKS {
            writeln!(out, "  {:<14} {}", b.name, b.title)?;
            writeln!(out, "  {:<14}   measures: {}", "", b.measures)?;
            writeln!(
                out,
                "  {:<14}   data: {}; judges: {}",
                "",
                b.data_hint,
                b.judges.join(", ")
            )?;
        }
        let vader = match judge::installed_vader() {
            Ok(_) => "sentiment:vader-3.3.2 (installed; BOLD's sentiment)".to_string(),
            Err(_) => format!(
                "sentiment:vader-3.3.2 (not installed: {})",
                judge::VADER_SETUP_HINT
            ),
        };
        writeln!(
            out,
            "\nJudges: refusal (learned; {}), refusal:rules ({}), harm and toxicity (guard classifier), gender_polarity (BOLD word lists), {vader}, fever_label, bbq_answer, misgendering(_first), injection_api_call (rules), rubric:refusal (LLM, --judge-target)",
            judge::refusal_agreement(),
            judge::refusal_rules_agreement()
        )?;
        writeln!(
            out,
            "Dialect robustness: rampart eval run NAME --dialect AAVE [--dialect-compare]"
        )?;
        writeln!(
            out,
            "Suites: rampart eval run suite.toml (see crates/rampart-eval/README.md)"
        )?;
    }
    print_quietly(&out)
}

/// Writes to stdout; a closed pipe (`rampart eval list | head`) ends quietly.
fn print_quietly(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn validate(
    judge_id: &str,
    data: &Path,
    write_weights: Option<&Path>,
    global: &GlobalArgs,
) -> anyhow::Result<()> {
    match judge_id {
        "refusal" => return validate_learned_refusal(data, write_weights, global),
        "refusal:rules" => {}
        "presupposition" => return validate_presupposition(data, global),
        other => bail!(
            "`{other}` has no human labels to validate against; judges that do: refusal and refusal:rules (XSTest's model_completions), presupposition (INVITE's Data directory)"
        ),
    }
    if write_weights.is_some() {
        bail!("--write-weights trains the learned judge: use it with `refusal`");
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
    print_confusion(&a);
    for (source, v) in &a.by_source {
        println!("  {source:<18} binary agreement {v:.4}");
    }
    println!("agreement_3way: {:.4}", a.three_way);
    println!("agreement: {:.4}", a.binary);
    Ok(())
}

/// Rows human label, columns judge label.
fn print_confusion(a: &calibration::Agreement) {
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
}

/// The learned refusal judge: held-out agreement (leave one model out; and with the test prompts
/// held out too) beside the rules, never the in-sample fit of the shipped weights as its number.
fn validate_learned_refusal(
    data: &Path,
    write_weights: Option<&Path>,
    global: &GlobalArgs,
) -> anyhow::Result<()> {
    use rampart_eval::judge::refusal_model::TrainParams;
    const PROMPT_FOLDS: usize = 5;
    let labelled = calibration::read_xstest_completions(data)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let shipped_judge = judge::LearnedRefusalJudge::new();
    let rules = runtime.block_on(calibration::agreement(&RefusalJudge::new(), &labelled))?;
    let shipped = runtime.block_on(calibration::agreement(&shipped_judge, &labelled))?;
    let params = TrainParams::default();
    let sources = labelled
        .iter()
        .map(|l| l.source.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let held_out = if sources >= 2 {
        Some((
            calibration::refusal_cross_validation(&labelled, &params, 1)?,
            calibration::refusal_cross_validation(&labelled, &params, PROMPT_FOLDS)?,
        ))
    } else {
        None
    };
    if let Some(path) = write_weights {
        let model = calibration::train_refusal_model(&labelled, &params);
        std::fs::write(path, model.to_text())
            .with_context(|| format!("cannot write the weights to {}", path.display()))?;
        eprintln!(
            "wrote the learned judge's weights (trained on all {} completions) to {}",
            labelled.len(),
            path.display()
        );
    }
    if global.json {
        let (lomo, lomo_prompts) = match &held_out {
            Some((a, b)) => (Some(a), Some(b)),
            None => (None, None),
        };
        let out = serde_json::json!({
            "judge": "refusal",
            "judge_version": shipped_judge.version(),
            "held_out_leave_one_model_out": lomo,
            "held_out_leave_one_model_out_prompts_held_out": lomo_prompts,
            "rules": rules,
            "shipped_weights_on_this_data": shipped,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "judge refusal@{} (learned; shipped weights trained on XSTest's 2,250 labelled completions) on {} human-labelled completions",
        shipped_judge.version(),
        labelled.len()
    );
    let Some((lomo, strict)) = held_out else {
        println!(
            "one model's completions only: no leave-one-model-out cross-validation; the shipped weights judge them (in-sample if these completions were among the training data)"
        );
        print_confusion(&shipped);
        println!("agreement_rules: {:.4}", rules.binary);
        println!("agreement_3way: {:.4}", shipped.three_way);
        println!("agreement: {:.4}", shipped.binary);
        return Ok(());
    };
    println!(
        "held out, never in-sample: each model's completions judged by a model trained on the other models' completions (lomo); lomo+p also holds the test prompts out of training ({PROMPT_FOLDS} prompt folds)"
    );
    println!(
        "{:<18} {:>8} {:>8} {:>8}   {:>8} {:>8} {:>8}",
        "", "binary", "", "", "3-way", "", ""
    );
    println!(
        "{:<18} {:>8} {:>8} {:>8}   {:>8} {:>8} {:>8}",
        "model", "rules", "lomo", "lomo+p", "rules", "lomo", "lomo+p"
    );
    let row = |name: &str, b: [f64; 3], t: [f64; 3]| {
        println!(
            "{name:<18} {:>8.4} {:>8.4} {:>8.4}   {:>8.4} {:>8.4} {:>8.4}",
            b[0], b[1], b[2], t[0], t[1], t[2]
        );
    };
    for source in rules.by_source.keys() {
        let get = |m: &std::collections::BTreeMap<String, f64>| {
            m.get(source).copied().unwrap_or(f64::NAN)
        };
        row(
            source,
            [
                get(&rules.by_source),
                get(&lomo.by_source),
                get(&strict.by_source),
            ],
            [
                get(&rules.by_source_3way),
                get(&lomo.by_source_3way),
                get(&strict.by_source_3way),
            ],
        );
    }
    row(
        &format!("all {}", labelled.len()),
        [rules.binary, lomo.binary, strict.binary],
        [rules.three_way, lomo.three_way, strict.three_way],
    );
    println!("\nheld out (lomo+p), rows human, columns judge:");
    print_confusion(&strict);
    println!("\nrules ({}@{}):", rules.judge, rules.judge_version);
    print_confusion(&rules);
    println!(
        "\nshipped weights on these completions: binary {:.4}, three-way {:.4} (in-sample when they are the training data: not an estimate)",
        shipped.binary, shipped.three_way
    );
    println!("agreement_rules: {:.4}", rules.binary);
    println!("agreement_rules_3way: {:.4}", rules.three_way);
    println!("agreement_lomo: {:.4}", lomo.binary);
    println!("agreement_lomo_3way: {:.4}", lomo.three_way);
    println!("agreement_3way: {:.4}", strict.three_way);
    println!("agreement: {:.4}", strict.binary);
    Ok(())
}

/// INVITE's 600 human-labelled responses to its invalid questions.
fn validate_presupposition(data: &Path, global: &GlobalArgs) -> anyhow::Result<()> {
    let labelled = rampart_eval::invite::read_labelled(data)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let a = runtime.block_on(rampart_eval::invite::agreement(
        &judge::PresuppositionJudge,
        &labelled,
    ))?;
    if global.json {
        println!("{}", serde_json::to_string_pretty(&a)?);
        return Ok(());
    }
    println!(
        "judge {}@{} on {} human-labelled responses",
        a.judge, a.judge_version, a.n
    );
    for (human, row) in &a.confusion {
        let cells: Vec<String> = row.iter().map(|(j, n)| format!("{j} {n}")).collect();
        println!("  human {human:<17} judge: {}", cells.join(", "));
    }
    for (source, v) in &a.by_source {
        println!("  {source:<30} agreement {v:.4}");
    }
    println!("agreement: {:.4}", a.agreement);
    Ok(())
}

fn run_suite(args: RunArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let report = if args.dialect_compare {
        let mut plain = args.clone();
        plain.dialect = None;
        plain.dialect_compare = false;
        plain.out = args.out.join("plain");
        let mut rewritten = args.clone();
        rewritten.dialect_compare = false;
        rewritten.out = args.out.join("dialect");
        let p = run_one(plain, global)?;
        let d = run_one(rewritten, global)?;
        let deltas = rampart_eval::dialect::deltas(
            &p.records,
            &d.records,
            p.metrics.refusal_judge.as_deref(),
            args.seed,
        );
        let file = args.out.join("dialect_delta.json");
        std::fs::write(
            &file,
            serde_json::to_string_pretty(&serde_json::json!({
                "suite": p.suite, "dialect": args.dialect, "seed": args.seed,
                "plain": args.out.join("plain"), "rewritten": args.out.join("dialect"),
                "deltas": deltas,
            }))?,
        )?;
        if !global.json {
            println!(
                "dialect {} vs plain (paired, dialect − plain):",
                args.dialect.as_deref().unwrap_or("?")
            );
            for x in &deltas {
                println!(
                    "  {:<36} {:.3} → {:.3}  Δ {:+.3} [{:+.3}, {:+.3}] (n={})",
                    x.metric, x.plain, x.dialect, x.delta, x.ci95.0, x.ci95.1, x.n
                );
            }
            println!("deltas: {}", file.display());
        }
        d
    } else {
        run_one(args.clone(), global)?
    };
    let failed_checks: Vec<_> = report
        .threshold_checks()
        .into_iter()
        .filter(|c| !c.3)
        .collect();
    if !failed_checks.is_empty() {
        bail!(
            "{} of {} thresholds failed (see {})",
            failed_checks.len(),
            report.thresholds.len(),
            args.out.join("junit.xml").display()
        );
    }
    Ok(())
}

fn run_one(args: RunArgs, global: &GlobalArgs) -> anyhow::Result<Report> {
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
            let mut notes = Vec::new();
            let mut judges: Vec<String> = b.judges.iter().map(|s| s.to_string()).collect();
            if b.name == "bold" {
                match judge::installed_vader() {
                    Ok(_) => {
                        judges.insert(0, format!("sentiment:{}", judge::VADER_SCORER));
                        notes.push("BOLD sentiment: VADER 3.3.2 compound (rampart-text port), positive ≥ 0.5, negative ≤ −0.5, as in the paper; its baseline is wikipedia_vader_baseline.tsv (VADER 3.3.2 over all of BOLD's Wikipedia sentences of the sampled groups) when present.".to_string());
                    }
                    Err(e) => {
                        eprintln!(
                            "note: BOLD sentiment is not scored: {}",
                            judge::VADER_SETUP_HINT
                        );
                        notes.push(format!("BOLD sentiment is not scored: VADER's lexicons are not installed ({e})."));
                    }
                }
                notes.push("BOLD toxicity is rampart-guard's classifier, not BOLD's BERT/Jigsaw, so toxicity numbers are not comparable with the paper's.".to_string());
            }
            (
                b.name.to_string(),
                "1".to_string(),
                items,
                judges,
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
    let items = match &args.dialect {
        Some(d) => {
            let dialect = if d.eq_ignore_ascii_case("all") {
                rampart_eval::dialect::Dialect::multi()
            } else {
                rampart_eval::dialect::Dialect::named(d)?
            };
            let items = rampart_eval::dialect::rewrite(items, &dialect, args.seed);
            let changed = items
                .iter()
                .filter(|i| {
                    i.metadata.get("original_prompt").and_then(|o| o.as_str())
                        != i.prompt.as_deref()
                })
                .count();
            notes.push(format!(
                "prompts rewritten into {} (Multi-VALUE rules in rampart-text, seed {}): {changed} of {} changed; metadata.original_prompt keeps the original",
                dialect.name(),
                args.seed,
                items.len()
            ));
            items
        }
        None => items,
    };
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
        let (target, _) = open_target_and_attacker(&args.target, args.model.as_deref(), guard_policy.as_ref(), None, args.rpm, &section).await?;
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
            "dialect": args.dialect,
            "judges": judge_infos.iter().map(|j| format!("{}@{}", j.id, j.version)).collect::<Vec<_>>(),
            "item_ids_hash": content_hash(items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>().join("\n").as_bytes()),
        });
        let config_hash = content_hash(run_config.to_string().as_bytes());
        prepare_run_dir(&args.out, args.resume, &config_hash, &run_config, "suite, data, target, limit, seed and judges")?;

        let store = Arc::new(Store::open(&args.out.join("store.sqlite"))?);
        let concurrency = concurrency(args.concurrency, &args.target, &section);
        let runner = Runner::new(target.clone(), store.clone())
            .with_judges(judges.clone())
            .with_params(params.clone())
            .with_concurrency(concurrency);
        let progress = progress_bar(items.len(), &name);
        let records = runner.run(items.clone(), &progress).await?;
        progress.finish_and_clear();

        let mut baseline = if builtin.is_some_and(|b| b.name == "bold") {
            let others: Vec<Arc<dyn Judge>> = judges.iter().filter(|j| j.kind() != JudgeKind::Refusal).cloned().collect();
            benchmark::bold_baseline(&items, &others).await?
        } else {
            None
        };
        let vader_id = format!("sentiment:{}", judge::VADER_SCORER);
        if let (Some(b), Some(data)) = (baseline.as_mut(), args.data.as_deref())
            && judges.iter().any(|j| j.id() == vader_id)
        {
            let groups = items.iter().map(|i| i.stratum().to_string()).collect();
            if let Some(tsv) = benchmark::bold_vader_tsv(data, &groups)? {
                b.rates.insert(vader_id.clone(), tsv);
                b.source = format!("{}; {vader_id}: wikipedia_vader_baseline.tsv (all Wikipedia sentences of the sampled groups)", b.source);
            }
        }
        let metrics = Metrics::compute(&records, refusal_judge.as_deref(), args.seed);
        let scores = match builtin.map(|b| b.name) {
            Some("bbq") => rampart_eval::scores::bbq_scores(&records, args.seed),
            Some("slang") => rampart_eval::slang::scores(&records, args.seed),
            _ => Vec::new(),
        };
        for sc in &scores {
            notes.push(format!(
                "{} = {:.3} [{:.3}, {:.3}] (n={})",
                sc.name, sc.value, sc.ci95.0, sc.ci95.1, sc.n
            ));
        }
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
        if !scores.is_empty() {
            std::fs::write(args.out.join("scores.json"), serde_json::to_string_pretty(&scores)?)?;
        }
        let cached = report.records.iter().filter(|r| r.cached).count();
        let failed_checks: Vec<_> = report.threshold_checks().into_iter().filter(|c| !c.3).collect();
        let o = &report.metrics.overall;
        if global.json {
            println!("{}", serde_json::to_string_pretty(&serde_json::json!({
                "out": args.out, "items": report.records.len(), "cached": cached,
                "overall": o, "thresholds_failed": failed_checks.len(), "scores": scores,
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
            for sc in &scores {
                println!("  {:<19} {:.3} [{:.3}, {:.3}] (n={})", sc.name, sc.value, sc.ci95.0, sc.ci95.1, sc.n);
            }
            println!("report: {}", args.out.join("index.html").display());
        }
        anyhow::Ok(report)
    })
}
