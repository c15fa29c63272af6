//! Helpers shared by the commands that run items against a target through the eval runner
//! (`rampart eval run`, `rampart redteam run`, `rampart scan`): the guarded target, the run directory's
//! `run.json` (what `--resume` checks), the progress bar and estimate formatting.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rampart_llm::{ChatModel, LlmSection, open_target};

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A guard policy file given with `--guard`: its path and text (hashed into the run config).
pub struct GuardPolicy {
    pub path: PathBuf,
    pub text: String,
}

impl GuardPolicy {
    pub fn read(path: Option<&Path>) -> anyhow::Result<Option<GuardPolicy>> {
        let Some(path) = path else { return Ok(None) };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the guard policy {}", path.display()))?;
        Ok(Some(GuardPolicy {
            path: path.to_path_buf(),
            text,
        }))
    }

    pub fn hash(&self) -> String {
        rampart_core::content_hash(self.text.as_bytes())
    }
}

/// The target (guarded when a policy is given) and, when `attacker` (spec, model) is given, the
/// attacker model for model-backed and adaptive red-team techniques: the target's own unguarded
/// model when both are the same local model (one copy of the weights in memory), else opened on
/// its own. With `rpm`, every request to the target (runner, Crescendo, preflight) shares one
/// requests-per-minute limit; requests guard blocks never reach it and do not count.
pub async fn open_target_and_attacker(
    target: &str,
    model: Option<&str>,
    guard: Option<&GuardPolicy>,
    attacker: Option<(&str, Option<&str>)>,
    rpm: Option<u32>,
    section: &LlmSection,
) -> anyhow::Result<(Arc<dyn ChatModel>, Option<Arc<dyn ChatModel>>)> {
    let mut inner = open_target(target, model, section).await?;
    if rpm.is_some_and(|r| r > 0) {
        // Concurrency stays the runner's to bound; this limiter only paces.
        inner = Arc::new(rampart_llm::RateLimited::new(inner, 1024, rpm));
    }
    let attacker = match attacker {
        None => None,
        Some(("local", m)) if target == "local" && m == model => Some(inner.clone()),
        Some((spec, m)) => Some(open_target(spec, m, section).await?),
    };
    let Some(g) = guard else {
        return Ok((inner, attacker));
    };
    let policy = rampart_guard::Policy::from_toml(&g.text)
        .with_context(|| format!("invalid guard policy {}", g.path.display()))?;
    let guard = Arc::new(rampart_guard::Guard::new(policy)?);
    Ok((
        Arc::new(rampart_guard::Guarded::new(inner, guard)),
        attacker,
    ))
}

/// Creates `out` and records the run's configuration in `out/run.json`; a directory that
/// already holds a run is refused unless `resume` is set and the configuration matches.
pub fn prepare_run_dir(
    out: &Path,
    resume: bool,
    config_hash: &str,
    run_config: &serde_json::Value,
    what: &str,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let run_file = out.join("run.json");
    if run_file.exists() {
        if !resume {
            bail!(
                "{} already holds a run; pass --resume to continue it, or choose another --out",
                out.display()
            );
        }
        let prev: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&run_file)?)
            .with_context(|| format!("{} is not valid JSON", run_file.display()))?;
        if prev["config_hash"].as_str() != Some(config_hash) {
            bail!(
                "{} was started with other arguments (config {}); resume with the same {what}",
                out.display(),
                prev["config_hash"].as_str().unwrap_or("?")
            );
        }
    } else {
        std::fs::write(
            &run_file,
            serde_json::to_string_pretty(
                &serde_json::json!({"config_hash": config_hash, "config": run_config}),
            )?,
        )?;
    }
    Ok(())
}

/// Requests in flight: `--concurrency`, else the local model's `parallel` setting for `local`,
/// else 4.
pub fn concurrency(given: Option<usize>, target: &str, section: &LlmSection) -> usize {
    given.unwrap_or(if target == "local" {
        section.local.parallel.max(1)
    } else {
        4
    })
}

/// Plans a red-team campaign whose chains may need the attacker model and runs its adaptive
/// attacks, with the attacker's work journaled in `out` (`rewrites.jsonl`, `adaptive.jsonl`) so
/// that `--resume` reuses it. Returns the plan, ready for `to_items`, and the notes on attacks
/// that were not sent (rewrites that were not rewrites, adaptive runs that failed).
pub async fn plan_campaign(
    goals: &[rampart_redteam::Goal],
    chains: &[rampart_redteam::Chain],
    config: &rampart_redteam::PlanConfig,
    setup: Option<&rampart_redteam::adaptive::AdaptiveSetup>,
    out: &Path,
) -> anyhow::Result<(rampart_redteam::CampaignPlan, Vec<String>)> {
    let catalog = rampart_redteam::Catalog::builtin();
    let rewriter = match setup {
        Some(s) => Some(
            rampart_redteam::Rewriter::new(s.attacker.clone())
                .with_journal(&out.join("rewrites.jsonl"))?,
        ),
        None => None,
    };
    let mut plan =
        rampart_redteam::plan_with(&catalog, goals, chains, config, rewriter.as_ref()).await?;
    let mut notes = Vec::new();
    if !plan.skipped.is_empty() {
        notes.push(skipped_note(&plan.skipped));
    }
    let adaptive = plan.attacks.iter().filter(|a| a.adaptive.is_some()).count();
    if let (Some(setup), true) = (setup, adaptive > 0) {
        let progress = progress_bar(adaptive, "adaptive attacks");
        let summary = rampart_redteam::adaptive::run_adaptive(
            &mut plan,
            setup,
            Some(&out.join("adaptive.jsonl")),
            &progress,
        )
        .await?;
        progress.finish_and_clear();
        if !summary.failed.is_empty() {
            notes.push(format!(
                "{} adaptive attacks failed and were not sent (run again with --resume to retry them): {}",
                summary.failed.len(),
                summary
                    .failed
                    .iter()
                    .map(|(id, e)| format!("{}: {e}", &id[..12.min(id.len())]))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
    }
    Ok((plan, notes))
}

/// The note for attacks the attacker model could not render.
fn skipped_note(skipped: &[rampart_redteam::SkippedAttack]) -> String {
    let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
    for s in skipped {
        // The reason without its numbers, so that alike failures group.
        let kind = s.reason.split(':').nth(1).unwrap_or(&s.reason).trim();
        let kind = kind.split(" (").next().unwrap_or(kind);
        *reasons.entry(kind).or_default() += 1;
    }
    format!(
        "{} attacks were not sent because the attacker model did not rewrite them: {}",
        skipped.len(),
        reasons
            .iter()
            .map(|(r, n)| format!("{n}x {r}"))
            .collect::<Vec<_>>()
            .join("; ")
    )
}

/// The progress bar of a run of `n` items.
pub fn progress_bar(n: usize, message: &str) -> ProgressBar {
    let progress = ProgressBar::new(n as u64);
    progress.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    progress.set_message(message.to_string());
    progress
}

/// `0.250 [0.100, 0.400] (n=20)`, or `n/a`.
pub fn fmt_estimate(e: Option<&rampart_eval::Estimate>) -> String {
    match e {
        Some(e) => format!(
            "{:.3} [{:.3}, {:.3}] (n={})",
            e.value, e.ci95.0, e.ci95.1, e.n
        ),
        None => "n/a".into(),
    }
}

/// The versions recorded in reports.
pub fn versions() -> std::collections::BTreeMap<String, String> {
    [
        ("rampart".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        (
            "rampart-eval".to_string(),
            rampart_eval::VERSION.to_string(),
        ),
    ]
    .into_iter()
    .collect()
}
