//! `rampart gateway serve`: the OpenAI-compatible guardrail gateway.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use rampart_core::ConfigFile;
use rampart_gateway::{Gateway, GatewayConfig, UpstreamConfig};
use rampart_llm::LlmSection;
use serde::Deserialize;

use crate::GlobalArgs;

#[derive(Subcommand)]
pub enum GatewayCommand {
    /// Serve the OpenAI-compatible gateway: guarded /v1/chat/completions (streaming too),
    /// /v1/moderations, /v1/guard, /v1/models, /healthz, /readyz, /metrics.
    Serve(ServeArgs),
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (overrides `[gateway] listen`; default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// `local` (the embedded model, in-process) or the base URL of an OpenAI-compatible API.
    /// Replaces the upstreams of `[gateway.upstreams]` with this one, serving any model name.
    #[arg(long, value_name = "local|URL")]
    pub upstream: Option<String>,
    /// Guard policy file (overrides `[gateway] policy`, then `[guard] policy`; default: the
    /// built-in policy).
    #[arg(long, value_name = "POLICY")]
    pub policy: Option<PathBuf>,
    /// Environment variable with the key sent to the `--upstream` URL.
    #[arg(long, value_name = "VAR")]
    pub upstream_key_env: Option<String>,
    /// Do not check requests or replies (a plain proxy; for measuring what the guard costs).
    #[arg(long)]
    pub no_guard: bool,
}

/// Only the `policy` key of `[guard]` (other keys belong to guard's own commands).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct GuardPolicy {
    policy: Option<PathBuf>,
}

pub fn run(command: GatewayCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    match command {
        GatewayCommand::Serve(args) => serve(args, global),
    }
}

fn serve(args: ServeArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let file = ConfigFile::discover(global.config.as_deref())?;
    let mut config: GatewayConfig = file.section("gateway")?;
    let llm: LlmSection = file.section("llm")?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(url) = args.upstream {
        config.upstreams.clear();
        config.upstreams.insert(
            "default".into(),
            UpstreamConfig {
                url,
                api_key_env: args.upstream_key_env,
                ..UpstreamConfig::default()
            },
        );
    }
    if args.policy.is_some() {
        config.policy = args.policy;
    } else if config.policy.is_none() {
        config.policy = file.section::<GuardPolicy>("guard")?.policy;
    }
    if args.no_guard {
        config.guard_input = false;
        config.guard_output = false;
    }
    if config.upstreams.is_empty() {
        anyhow::bail!(
            "no upstream: pass --upstream local (the embedded model) or --upstream URL, or add [gateway.upstreams.NAME] to rampart.toml"
        );
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listen = config.listen.clone();
        if config.keys.is_empty() && !is_loopback(&listen) {
            tracing::warn!(
                "no [[gateway.keys]] configured: anyone who can reach {listen} can use the gateway"
            );
        }
        let gateway = Gateway::builder(config).llm_section(llm).build().await?;
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("cannot listen on {listen}; pick another --listen address"))?;
        let addr = listener.local_addr()?;
        let upstreams: Vec<String> = gateway
            .config()
            .upstreams
            .iter()
            .map(|(n, u)| format!("{n}={}", u.url))
            .collect();
        eprintln!(
            "rampart gateway listening on http://{addr}/v1 (upstreams: {}); Ctrl-C to stop",
            upstreams.join(", ")
        );
        gateway.serve(listener, shutdown_signal()).await?;
        anyhow::Ok(())
    })
}

fn is_loopback(listen: &str) -> bool {
    listen.starts_with("127.") || listen.starts_with("localhost") || listen.starts_with("[::1]")
}

/// Ctrl-C, or SIGTERM (what container runtimes send).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
