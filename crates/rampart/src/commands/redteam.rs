//! `rampart redteam`: list the attack techniques, apply technique chains to a text, run
//! campaigns against a target (attack success rates) and export their successful attacks as a
//! regression suite or training data.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use rampart_core::{ConfigFile, ContentPart, ImageData};
use rampart_llm::{LlmSection, open_target};
use rampart_redteam::{Attack, Catalog, Execution, Rewriter};

use crate::GlobalArgs;

#[derive(Subcommand)]
pub enum RedteamCommand {
    /// List every technique (id, category, description, parameters) and the three counts.
    Techniques,
    /// Apply a technique chain to a text and show the resulting attack.
    Apply(ApplyArgs),
    /// Run a campaign against a target: plan goals x techniques, send, judge, report attack
    /// success rates.
    Run(super::redteam_run::RunArgs),
    /// Export a campaign's successful attacks: a regression suite, SFT or preference data.
    Export(super::redteam_run::ExportArgs),
}

#[derive(Args)]
pub struct ApplyArgs {
    /// Technique ids or unique short names joined by `+`, applied left to right (the leftmost
    /// transforms the text first), each with optional `:key=value,...` parameters, e.g.
    /// `base64+refusal_suppression+persona.dan.classic` or `caesar:shift=5`.
    pub ids: String,
    /// The goal text to attack with; `-` reads it from stdin.
    pub text: String,
    /// Seed for randomised techniques (same seed, same attack).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the attack's images (PNG) here; several images get `-2`, `-3`... before the extension.
    #[arg(long, value_name = "PATH")]
    pub image_out: Option<PathBuf>,
    /// Rewriter model for model-backed techniques (translation...): `local`, a URL, or a target
    /// named in rampart.toml.
    #[arg(long, value_name = "TARGET")]
    pub rewriter: Option<String>,
    /// Model name for the rewriter target.
    #[arg(long)]
    pub rewriter_model: Option<String>,
}

pub fn run(command: RedteamCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    match command {
        RedteamCommand::Techniques => techniques(global),
        RedteamCommand::Apply(args) => apply(args, global),
        RedteamCommand::Run(args) => super::redteam_run::run(args, global),
        RedteamCommand::Export(args) => super::redteam_run::export(args, global),
    }
}

fn execution_id(e: Execution) -> &'static str {
    match e {
        Execution::Pure => "pure",
        Execution::Model => "model",
        Execution::Adaptive => "adaptive",
    }
}

fn techniques(global: &GlobalArgs) -> anyhow::Result<()> {
    let catalog = Catalog::builtin();
    let counts = catalog.counts();
    if global.json {
        let techniques: Vec<_> = catalog
            .specs()
            .into_iter()
            .map(|s| {
                serde_json::json!({
                    "id": s.id,
                    "category": s.category.id(),
                    "description": s.description,
                    "execution": execution_id(s.execution),
                    "parameters": s.params,
                    "variants": s.variant_count(),
                    "reference": s.reference,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "counts": counts,
                "techniques": techniques,
            }))?
        );
        return Ok(());
    }
    let mut current = None;
    for s in catalog.specs() {
        if current != Some(s.category) {
            current = Some(s.category);
            println!("\n{} ({})", s.category.name(), s.category.id());
        }
        let exec = match s.execution {
            Execution::Pure => String::new(),
            other => format!(" [{}]", execution_id(other)),
        };
        println!("  {}{exec}  {}", s.id, s.description);
        for p in &s.params {
            let variants = if p.variants.is_empty() {
                String::new()
            } else {
                format!(" ({} variants)", p.variants.len())
            };
            println!(
                "      {}={}  {}{variants}",
                p.name, p.default, p.description
            );
        }
    }
    println!();
    println!(
        "{} atomic techniques, {} parameterised variants, {} two-step combinations",
        counts.atomic, counts.variants, counts.combinations
    );
    Ok(())
}

/// `out.png` for the first image, `out-2.png` for the second...
fn image_path(base: &Path, index: usize) -> PathBuf {
    if index == 0 {
        return base.to_path_buf();
    }
    let stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "image".into());
    let name = match base.extension() {
        Some(ext) => format!("{stem}-{}.{}", index + 1, ext.to_string_lossy()),
        None => format!("{stem}-{}", index + 1),
    };
    base.with_file_name(name)
}

fn apply(args: ApplyArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let text = if args.text == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read the text from stdin")?
    } else {
        args.text.clone()
    };
    let catalog = Catalog::builtin();
    let chain = catalog.parse_chain(&args.ids)?;
    let goal = Attack::from_goal(text);
    let attack = if catalog.is_pure(&chain) {
        catalog.apply(&chain, goal, args.seed)?
    } else if let Some(target) = &args.rewriter {
        let config = ConfigFile::discover(global.config.as_deref())?;
        let section: LlmSection = config.section("llm")?;
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(async {
            let model = open_target(target, args.rewriter_model.as_deref(), &section).await?;
            let rewriter = Rewriter::new(model);
            anyhow::Ok(
                catalog
                    .apply_with(&chain, goal, args.seed, &rewriter)
                    .await?,
            )
        })?
    } else {
        // Reports which step needs a model (or a target).
        catalog.apply(&chain, goal, args.seed)?
    };

    let mut written = Vec::new();
    if let Some(base) = &args.image_out {
        for (i, image) in attack.images().into_iter().enumerate() {
            if let ImageData::Inline { bytes, .. } = image {
                let path = image_path(base, i);
                std::fs::write(&path, bytes)
                    .with_context(|| format!("cannot write the image to {}", path.display()))?;
                written.push(path);
            }
        }
    }

    if global.json {
        let value = serde_json::json!({
            "chain": chain.key(),
            "seed": args.seed,
            "attack": attack,
            "images_written": written,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!("# chain: {}  (seed {})", chain, args.seed);
    let mut image_index = 0;
    for message in &attack.conversation.messages {
        let name = message
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        println!("--- {}{name}", message.role);
        for part in &message.content {
            match part {
                ContentPart::Text { text } => println!("{text}"),
                ContentPart::Image { image } => {
                    let (mime, len) = match image {
                        ImageData::Inline { mime, bytes } => (mime.as_str(), bytes.len()),
                        ImageData::Url { .. } => ("url", 0),
                    };
                    let whereto = match written.get(image_index) {
                        Some(p) => format!("written to {}", p.display()),
                        None => "not written: pass --image-out PATH to save it".into(),
                    };
                    println!(
                        "[image {}: {mime}, {len} bytes, {whereto}]",
                        image_index + 1
                    );
                    image_index += 1;
                }
            }
        }
    }
    if !attack.tools.is_empty() {
        println!("--- tools offered");
        for tool in &attack.tools {
            println!("{}", tool["function"]["name"].as_str().unwrap_or("?"));
        }
    }
    Ok(())
}
