//! `rampart chat`: send one prompt to a target and print the reply.

use std::io::{Read as _, Write as _};

use anyhow::Context as _;
use clap::Args;
use futures::StreamExt as _;
use rampart_core::{ConfigFile, Conversation, Message};
use rampart_llm::{GenParams, LlmSection, StreamEvent, open_target};

use crate::GlobalArgs;

#[derive(Args)]
pub struct ChatArgs {
    /// `local` (the embedded model), an OpenAI-compatible base URL such as
    /// http://127.0.0.1:8000/v1, or a target named in rampart.toml.
    #[arg(long, default_value = "local")]
    pub target: String,
    /// Model name (HTTP targets), or a catalog name / GGUF path for `local`.
    #[arg(long)]
    pub model: Option<String>,
    /// Most tokens to generate.
    #[arg(long, default_value_t = 256)]
    pub max_tokens: u32,
    /// Sampling temperature; 0 is greedy (deterministic).
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f32,
    #[arg(long, default_value_t = 1.0)]
    pub top_p: f32,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop generating before this string (repeatable).
    #[arg(long)]
    pub stop: Vec<String>,
    /// A system prompt.
    #[arg(long)]
    pub system: Option<String>,
    /// Print the reply as it is generated.
    #[arg(long)]
    pub stream: bool,
    /// The prompt; `-` or nothing reads it from stdin.
    pub prompt: Option<String>,
}

pub fn run(args: ChatArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let config = ConfigFile::discover(global.config.as_deref())?;
    let section: LlmSection = config.section("llm")?;
    let prompt = match args.prompt.as_deref() {
        Some(p) if p != "-" => p.to_string(),
        _ => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read the prompt from stdin")?;
            String::from_utf8(bytes).context("the prompt on stdin is not valid UTF-8")?
        }
    };
    if prompt.trim().is_empty() {
        anyhow::bail!("the prompt is empty; pass it as an argument or on stdin");
    }
    let mut conversation = Conversation::new();
    if let Some(system) = &args.system {
        conversation.push(Message::system(system.clone()));
    }
    conversation.push(Message::user(prompt.clone()));
    let params = GenParams {
        max_tokens: args.max_tokens,
        temperature: args.temperature,
        top_p: args.top_p,
        seed: args.seed,
        stop: args.stop.clone(),
        tools: Vec::new(),
    };
    params.validate()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let model = open_target(&args.target, args.model.as_deref(), &section).await?;
        let reply = if args.stream && !global.json {
            let mut stream = model.chat_stream(&conversation, &params).await?;
            let mut out = std::io::stdout().lock();
            let mut last = None;
            while let Some(event) = stream.next().await {
                match event? {
                    StreamEvent::Delta(d) => {
                        out.write_all(d.as_bytes())?;
                        out.flush()?;
                    }
                    StreamEvent::Done(reply) => last = Some(reply),
                }
            }
            writeln!(out)?;
            last.context("the stream ended without a final reply")?
        } else {
            let reply = model.chat(&conversation, &params).await?;
            if !global.json {
                println!("{}", reply.text);
            }
            reply
        };
        if global.json {
            let out = serde_json::json!({
                "target": model.name(),
                "model": reply.model,
                "prompt": prompt,
                "reply": reply.text,
                "finish_reason": reply.finish_reason,
                "prompt_tokens": reply.usage.prompt_tokens,
                "completion_tokens": reply.usage.completion_tokens,
                "tokens_per_second": reply.timing.tokens_per_second,
                "total_ms": reply.timing.total_ms,
                "first_token_ms": reply.timing.first_token_ms,
                "seed": reply.seed,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        } else if global.verbose > 0 {
            eprintln!(
                "[{}: {} prompt + {} completion tokens, {:.1} tokens/s, {:.0} ms]",
                reply.model,
                reply.usage.prompt_tokens,
                reply.usage.completion_tokens,
                reply.timing.tokens_per_second,
                reply.timing.total_ms
            );
        }
        anyhow::Ok(())
    })
}
