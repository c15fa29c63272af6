//! The `rampart` binary: a thin clap CLI that wires rampart's crates together.
//!
//! Conventions every subcommand follows: global `--config FILE` (default `./rampart.toml` if
//! present), `-v`/`-vv` for more logging (logs go to stderr), and `--json` for machine-readable
//! output on stdout. Errors are one line on stderr, saying what to do, with exit code 1 (2 for
//! usage errors, from clap).

mod commands;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "rampart",
    version,
    about = "Responsible-AI toolkit: guard, gateway, red team, evaluation, watermark"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Options shared by every subcommand.
#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Configuration file (default: ./rampart.toml if it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// More logging on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand)]
enum Command {
    /// The main job: evaluate and red-team a target (default: the embedded local model),
    /// optionally behind guard, and write one report (HTML, JSON, JUnit).
    Scan(commands::scan::ScanArgs),
    /// Fetch and list local model files.
    Models {
        #[command(subcommand)]
        command: commands::models::ModelsCommand,
    },
    /// Send one prompt to a target and print the reply.
    Chat(commands::chat::ChatArgs),
    /// List the risk categories and responsible-AI dimensions.
    Categories,
    /// Check text with guard, score datasets, train and evaluate guard's classifiers.
    Guard {
        #[command(subcommand)]
        command: commands::guard::GuardCommand,
    },
    /// Embed and detect invisible image watermarks.
    Watermark {
        #[command(subcommand)]
        command: commands::watermark::WatermarkCommand,
    },
    /// Sign and verify C2PA provenance manifests.
    C2pa {
        #[command(subcommand)]
        command: commands::watermark::C2paCommand,
    },
    /// Evaluate a target: adherence and false refusals with confidence intervals, bias
    /// benchmarks, judges validated against human labels.
    Eval {
        #[command(subcommand)]
        command: commands::eval::EvalCommand,
    },
    /// Serve the OpenAI-compatible guardrail gateway in front of a model.
    Gateway {
        #[command(subcommand)]
        command: commands::gateway::GatewayCommand,
    },
    /// List attack techniques and apply technique chains to a text.
    Redteam {
        #[command(subcommand)]
        command: commands::redteam::RedteamCommand,
    },
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RAMPART_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.verbose);
    let global = cli.global;
    let result = match cli.command {
        Command::Scan(args) => commands::scan::run(args, &global),
        Command::Models { command } => commands::models::run(command, &global),
        Command::Chat(args) => commands::chat::run(args, &global),
        Command::Categories => commands::categories::run(&global),
        Command::Guard { command } => commands::guard::run(command, &global),
        Command::Watermark { command } => commands::watermark::run(command, &global),
        Command::C2pa { command } => commands::watermark::run_c2pa(command, &global),
        Command::Gateway { command } => commands::gateway::run(command, &global),
        Command::Redteam { command } => commands::redteam::run(command, &global),
        Command::Eval { command } => commands::eval::run(command, &global),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line: the error and its causes, outermost first.
            let mut msg = format!("error: {err}");
            for cause in err.chain().skip(1) {
                msg.push_str(&format!(": {cause}"));
            }
            eprintln!("{msg}");
            ExitCode::FAILURE
        }
    }
}
