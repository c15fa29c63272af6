//! `rampart guard check` and `rampart guard score`: apply guard to text and to JSONL datasets.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Read as _, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use rampart_core::{ConfigFile, Role};
use rampart_guard::{Guard, Policy};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::GlobalArgs;

/// The `[guard]` section of rampart.toml.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuardSection {
    /// Default policy file for every command that applies guard.
    pub policy: Option<PathBuf>,
}

/// Loads the policy given on the command line, else the one rampart.toml names, else the
/// built-in default, and builds the guard.
pub fn load_guard(policy: Option<&Path>, global: &GlobalArgs) -> anyhow::Result<Guard> {
    let policy = match policy {
        Some(p) => Policy::load(p)?,
        None => {
            let config = ConfigFile::discover(global.config.as_deref())?;
            let section: GuardSection = config.section("guard")?;
            match section.policy {
                Some(p) => Policy::load(&p)?,
                None => Policy::default(),
            }
        }
    };
    let guard = Guard::new(policy)?;
    if let Some(note) = guard.classifier_note() {
        eprintln!("warning: {note}");
    }
    Ok(guard)
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

#[derive(Args)]
pub struct CheckArgs {
    /// Policy file (default: `[guard] policy` in rampart.toml, else the built-in policy).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Who wrote the text: user, assistant (checked as output), document or tool (untrusted
    /// third-party content, checked for indirect injection), system.
    #[arg(long, default_value = "user", value_parser = parse_role)]
    pub role: Role,
    /// The text; `-` or nothing reads stdin (bytes: invalid UTF-8 is reported, not fatal).
    pub text: Option<String>,
}

pub fn run_check(args: CheckArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let guard = load_guard(args.policy.as_deref(), global)?;
    let decision = match args.text.as_deref() {
        Some(t) if t != "-" => {
            if args.role == Role::Assistant {
                guard.check_output(t, None)
            } else {
                guard.check_text(t, args.role)
            }
        }
        _ => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read stdin")?;
            guard.check_bytes(&bytes, args.role)
        }
    };
    if global.json {
        println!("{}", serde_json::to_string_pretty(&decision)?);
        return Ok(());
    }
    println!("decision: {}", decision.action);
    for t in &decision.findings {
        let f = &t.finding;
        let span = f
            .span
            .map(|s| format!(" @{}..{}", s.start, s.end))
            .unwrap_or_default();
        println!(
            "  {:<26} {:.3} (≥ {:.2})  {:<7} {}{span}{}",
            f.category.id(),
            f.score,
            t.threshold,
            t.action.id(),
            f.detector,
            f.detail
                .as_deref()
                .map(|d| format!("  {d}"))
                .unwrap_or_default()
        );
    }
    if let Some(r) = &decision.redacted {
        println!("redacted: {r}");
    }
    if let Some(r) = &decision.refusal {
        println!("refusal: {r}");
    }
    for e in &decision.errors {
        println!("error: {e}");
    }
    println!("latency: {} µs", decision.latency_us);
    Ok(())
}

#[derive(Args)]
pub struct ScoreArgs {
    /// JSONL, one `{"id": ..., "text": ..., "role": "user|assistant|document"}` per line.
    #[arg(long)]
    pub input: PathBuf,
    /// Where to write the scores (default: stdout).
    #[arg(long)]
    pub output: Option<PathBuf>,
    #[arg(long)]
    pub policy: Option<PathBuf>,
}

#[derive(Deserialize)]
struct ScoreLine {
    #[serde(default)]
    id: Value,
    text: String,
    #[serde(default)]
    role: Option<String>,
}

/// A bad line: the record's id (if it had one) and what is wrong with it.
type LineError = (Value, String);

/// Scores one JSONL line; errors are returned as text for the error record.
fn score_line(guard: &Guard, line: &[u8]) -> Result<Value, LineError> {
    let parsed: ScoreLine = serde_json::from_slice(line).map_err(|e| {
        let id = serde_json::from_slice::<Value>(line)
            .ok()
            .and_then(|v| v.get("id").cloned())
            .unwrap_or(Value::Null);
        (id, format!("not a valid record: {e}"))
    })?;
    let role = match parsed.role.as_deref() {
        None => Role::User,
        Some(r) => r.parse::<Role>().map_err(|e| (parsed.id.clone(), e))?,
    };
    let started = std::time::Instant::now();
    let decision = if role == Role::Assistant {
        guard.check_output(&parsed.text, None)
    } else {
        guard.check_text(&parsed.text, role)
    };
    let mut scores: BTreeMap<String, f32> = BTreeMap::new();
    let (mut harmful, mut attack) = (0.0f32, 0.0f32);
    if let Some(s) = guard.scores(&parsed.text, role) {
        harmful = s.harmful;
        attack = s.prompt_attack;
        scores.insert("jailbreak".into(), s.jailbreak);
        scores.insert("prompt_injection".into(), s.prompt_injection);
        scores.insert("indirect_injection".into(), s.indirect_injection);
        for (c, p) in &s.categories {
            scores.insert(c.id().into(), *p);
        }
    }
    for t in &decision.findings {
        let e = scores.entry(t.finding.category.id().into()).or_insert(0.0);
        *e = e.max(t.finding.score);
    }
    Ok(json!({
        "id": parsed.id,
        "scores": scores,
        "harmful": harmful,
        "prompt_attack": attack,
        "decision": decision.action.id(),
        "latency_us": started.elapsed().as_micros() as u64,
    }))
}

pub fn run_score(args: ScoreArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let guard = load_guard(args.policy.as_deref(), global)?;
    let file = std::fs::File::open(&args.input)
        .with_context(|| format!("cannot open {}", args.input.display()))?;
    let mut reader = BufReader::new(file);
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    // Lines are read in blocks and scored in parallel, written back in input order, so memory
    // stays bounded however long the file is.
    const BLOCK: usize = 4096;
    let (mut line_no, mut ok, mut bad) = (0usize, 0usize, 0usize);
    loop {
        let mut block: Vec<(usize, Vec<u8>)> = Vec::with_capacity(BLOCK);
        while block.len() < BLOCK {
            let mut buf = Vec::new();
            let n = reader
                .read_until(b'\n', &mut buf)
                .with_context(|| format!("cannot read {}", args.input.display()))?;
            if n == 0 {
                break;
            }
            line_no += 1;
            while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                buf.pop();
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            block.push((line_no, buf));
        }
        if block.is_empty() {
            break;
        }
        let results: Vec<(usize, Result<Value, LineError>)> = block
            .par_iter()
            .map(|(n, line)| (*n, score_line(&guard, line)))
            .collect();
        for (n, r) in results {
            let value = match r {
                Ok(v) => {
                    ok += 1;
                    v
                }
                Err((id, msg)) => {
                    bad += 1;
                    eprintln!("{}:{n}: {msg}", args.input.display());
                    json!({"id": id, "line": n, "error": msg})
                }
            };
            serde_json::to_writer(&mut out, &value)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    if !global.json {
        eprintln!("scored {ok} records, {bad} bad lines");
    }
    Ok(())
}
