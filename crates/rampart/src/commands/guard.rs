//! `rampart guard`: train and evaluate rampart's own guard classifiers.
//!
//! Each subcommand is one variant of [`GuardCommand`] with its arguments in its own struct and its
//! handler in its own function, so that new subcommands (`check`, `score`) slot in beside them.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use rampart_guard::classifier::{self, eval, train};

use crate::GlobalArgs;

#[derive(Subcommand)]
pub enum GuardCommand {
    /// Check one text (argument or stdin) and print the decision and findings.
    Check(super::guard_check::CheckArgs),
    /// Score a JSONL file of texts, line by line on all cores.
    Score(super::guard_check::ScoreArgs),
    /// Train the prompt-attack and harm classifiers from the public datasets, calibrate them,
    /// evaluate them on held-out data and write the weights and model card.
    Train(TrainArgs),
    /// Evaluate a model on the held-out test split: AUPRC, F1 at the shipped threshold, FPR on
    /// benign sets and recall on harmful sets, per dataset.
    Evaluate(EvaluateArgs),
}

#[derive(Args)]
pub struct TrainArgs {
    /// Datasets root (the folder holding advbench/, harmbench/, xstest/, ...).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Output directory for guard-fast.bin, guard-semantic.bin, MODEL_CARD.md and metrics.json.
    #[arg(long, value_name = "DIR", default_value = "models/guard")]
    pub out: PathBuf,
    /// Seed for splits, initialisation and shuffling.
    #[arg(long, default_value_t = train::TrainConfig::default().seed)]
    pub seed: u64,
    /// Networks to train and average. More than one is a cross-fitted ensemble (each member
    /// leaves out one fold of the train and dev data, which calibrates it): steadier and more
    /// accurate than one network, at that many times the classifier's latency and size.
    #[arg(long, default_value_t = train::TrainConfig::default().members,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=16))]
    pub members: usize,
    /// Train the fast tier only: no semantic bank (which needs the all-MiniLM-L6-v2 encoder
    /// from `rampart models fetch all-minilm-l6-v2` and minutes of embedding).
    #[arg(long)]
    pub no_semantic: bool,
    /// Keep sentence embeddings in this file between runs, so that retraining does not embed
    /// the same texts again.
    #[arg(long, value_name = "FILE")]
    pub embedding_cache: Option<PathBuf>,
}

#[derive(Args)]
pub struct EvaluateArgs {
    /// Datasets root (the folder holding advbench/, harmbench/, xstest/, ...).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Model file (default: the model embedded in rampart). The semantic bank beside it
    /// (guard-semantic.bin) is used when present.
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    /// Evaluate the fast tier alone (default: with the semantic tier, which needs
    /// `rampart models fetch all-minilm-l6-v2`).
    #[arg(long)]
    pub no_semantic: bool,
    /// Split seed (default: the seed recorded in the model, so that its test split is the one
    /// it never trained on).
    #[arg(long)]
    pub seed: Option<u64>,
}

pub fn run(command: GuardCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    match command {
        GuardCommand::Check(args) => super::guard_check::run_check(args, global),
        GuardCommand::Score(args) => super::guard_check::run_score(args, global),
        GuardCommand::Train(args) => train_command(args, global),
        GuardCommand::Evaluate(args) => evaluate_command(args, global),
    }
}

fn train_command(args: TrainArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let config = train::TrainConfig {
        seed: args.seed,
        members: args.members,
        ..Default::default()
    };
    let command = train::command_line(&args.data, &args.out, &config, !args.no_semantic);
    let semantic = (!args.no_semantic).then(|| train::SemanticOptions {
        embedding_cache: args.embedding_cache.clone(),
        ..Default::default()
    });
    let start = std::time::Instant::now();
    let run = train::train_to_dir(
        &args.data,
        &args.out,
        &config,
        semantic.as_ref(),
        &command,
        |line| {
            eprintln!("[{:>6.1}s] {line}", start.elapsed().as_secs_f32());
        },
    )
    .with_context(|| format!("training from {}", args.data.display()))?;
    if global.json {
        println!("{}", serde_json::to_string_pretty(&run)?);
    } else {
        println!("{}", eval::markdown_table(&run.metrics));
        println!(
            "wrote {} ({} bytes, sha256 {}), MODEL_CARD.md and metrics.json",
            args.out.join(train::MODEL_FILE).display(),
            run.model_bytes,
            run.model_sha256
        );
        if let Some(s) = &run.semantic {
            println!(
                "wrote {} ({} bytes, sha256 {})",
                args.out
                    .join(rampart_guard::classifier::semantic::SEMANTIC_FILE)
                    .display(),
                s.bytes,
                s.sha256
            );
        }
    }
    Ok(())
}

fn evaluate_command(args: EvaluateArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let mode = if args.no_semantic {
        classifier::SemanticMode::Off
    } else {
        classifier::SemanticMode::On
    };
    let (clf, _) = classifier::load_tiers(args.model.as_deref(), mode).with_context(|| {
        format!(
            "loading the guard model {}(--no-semantic evaluates the fast tier alone)",
            args.model
                .as_ref()
                .map(|p| format!("{} ", p.display()))
                .unwrap_or_default()
        )
    })?;
    let rows = eval::evaluate_dir(clf, &args.data, args.seed)
        .with_context(|| format!("evaluating on {}", args.data.display()))?;
    if global.json {
        let out = serde_json::json!({
            "model": clf.header().name,
            "semantic": clf.semantic_bank().is_some(),
            "thresholds": classifier::HEADS.iter().zip(&clf.thresholds())
                .map(|(h, t)| (h.to_string(), *t)).collect::<std::collections::BTreeMap<_, _>>(),
            "metrics": rows,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", eval::markdown_table(&rows));
    }
    Ok(())
}
