//! The `[gateway]` section of `rampart.toml`: where to listen, which upstreams serve which
//! models, API keys, limits, streaming windows and the audit log.
//!
//! ```toml
//! [gateway]
//! listen = "127.0.0.1:8080"
//! policy = "policy.toml"          # default: guard's built-in policy
//!
//! [gateway.upstreams.openai]
//! url = "https://api.openai.com/v1"
//! api_key_env = "OPENAI_API_KEY"
//! models = ["gpt-4o-mini", "gpt-4o"]
//!
//! [gateway.upstreams.local]
//! url = "local"                   # the embedded model, in-process
//! models = ["smollm2-135m-instruct"]
//!
//! [[gateway.keys]]
//! name = "team-a"
//! sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
//! requests_per_minute = 600
//!
//! [gateway.streaming]
//! window = "sentence"             # or "tokens"
//! window_tokens = 48
//! overlap_tokens = 16
//!
//! [gateway.audit]
//! path = "rampart-audit.jsonl"
//! include_text = false
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// The whole `[gateway]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// Address to listen on (`host:port`; port 0 picks a free one).
    pub listen: String,
    /// Guard policy file; `None` uses guard's built-in policy.
    pub policy: Option<PathBuf>,
    /// Check requests before they reach the upstream.
    pub guard_input: bool,
    /// Check replies (and streamed windows) before they reach the client.
    pub guard_output: bool,
    /// Upstreams by name. A request goes to the upstream whose `models` list its `model`.
    pub upstreams: BTreeMap<String, UpstreamConfig>,
    /// API keys (hashed). Empty: no authentication (only sensible on a loopback address).
    pub keys: Vec<KeyConfig>,
    pub limits: LimitsConfig,
    pub streaming: StreamingConfig,
    pub audit: AuditConfig,
    /// Seconds to wait for in-flight requests and streams on shutdown before closing anyway.
    pub shutdown_grace_secs: f64,
    /// Threads that run guard checks of long texts (0: one per core). Checks are CPU-bound, so
    /// more threads than cores only add memory; short texts are checked where they arrive.
    pub guard_threads: usize,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            listen: "127.0.0.1:8080".into(),
            policy: None,
            guard_input: true,
            guard_output: true,
            upstreams: BTreeMap::new(),
            keys: Vec::new(),
            limits: LimitsConfig::default(),
            streaming: StreamingConfig::default(),
            audit: AuditConfig::default(),
            shutdown_grace_secs: 30.0,
            guard_threads: 0,
        }
    }
}

/// One `[gateway.upstreams.NAME]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpstreamConfig {
    /// Base URL of an OpenAI-compatible API (`http://127.0.0.1:8000/v1`), or `local` for the
    /// embedded model run in-process.
    pub url: String,
    /// Model names this upstream serves; `"*"` accepts any. A request may also name
    /// `UPSTREAM/MODEL` to pick the upstream explicitly.
    pub models: Vec<String>,
    /// Environment variable holding the key the gateway sends upstream (never the client's key).
    pub api_key_env: Option<String>,
    /// Whole-request timeout for non-streamed requests; for streams, the longest wait for the
    /// first byte and the longest silence between chunks.
    pub timeout_secs: f64,
    pub connect_timeout_secs: f64,
    /// Retries after the first attempt for connection errors, 429 and 5xx (before any byte of
    /// the reply was passed on).
    pub max_retries: u32,
    /// Delay before the first retry (doubles each time; `Retry-After` wins when shorter than
    /// `max_retry_after_secs`).
    pub retry_base_delay_ms: u64,
    pub max_retry_after_secs: f64,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        UpstreamConfig {
            url: String::new(),
            models: vec!["*".into()],
            api_key_env: None,
            timeout_secs: 120.0,
            connect_timeout_secs: 5.0,
            max_retries: 2,
            retry_base_delay_ms: 200,
            max_retry_after_secs: 10.0,
        }
    }
}

/// One `[[gateway.keys]]` entry. The key itself is never stored: only its SHA-256, in hex
/// (`printf %s "$KEY" | sha256sum`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// Shown in metrics and the audit log instead of the key.
    pub name: String,
    /// Hex SHA-256 of the key.
    pub sha256: String,
    /// Requests per minute for this key (absent: unlimited).
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    /// Requests allowed at once above the steady rate (default: one minute's worth).
    #[serde(default)]
    pub burst: Option<u32>,
}

/// `[gateway.limits]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// Longest text of one message, in characters (400 above).
    pub max_message_chars: usize,
    /// Most messages in one request (400 above).
    pub max_messages: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_body_bytes: 4 * 1024 * 1024,
            max_message_chars: 200_000,
            max_messages: 1024,
        }
    }
}

/// How streamed replies are cut into windows for checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowMode {
    /// A window ends at a sentence end (or a line break); `window_tokens` caps it.
    Sentence,
    /// A window is `window_tokens` tokens, cut at a space where possible.
    Tokens,
}

/// `[gateway.streaming]`: streamed text is released to the client only after the window it
/// belongs to has been checked, together with `overlap_tokens` of the text before it (so a
/// phrase split across windows is still seen whole).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreamingConfig {
    pub window: WindowMode,
    /// Window size in tokens (about 4 bytes of English each); in sentence mode, the longest
    /// window before it is cut without a sentence end.
    pub window_tokens: usize,
    /// Tokens of already released text checked again with the next window.
    pub overlap_tokens: usize,
    /// In sentence mode, sentences shorter than this many tokens are joined with the next.
    pub min_window_tokens: usize,
}

impl Default for StreamingConfig {
    fn default() -> Self {
        StreamingConfig {
            window: WindowMode::Sentence,
            window_tokens: 48,
            overlap_tokens: 16,
            min_window_tokens: 4,
        }
    }
}

/// `[gateway.audit]`: one JSON line per guard decision.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// JSONL file to append to; absent: decisions are logged as `tracing` events (target
    /// `rampart_gateway::audit`).
    pub path: Option<PathBuf>,
    /// Include the checked text in records. Off by default: the log holds categories, scores,
    /// spans and detector ids, never what users wrote.
    pub include_text: bool,
}

impl GatewayConfig {
    /// Checks what serde cannot: at least one upstream, valid key hashes, sane limits.
    pub fn validate(&self) -> Result<(), String> {
        if self.upstreams.is_empty() {
            return Err(
                "no upstream configured: add [gateway.upstreams.NAME] with a url, or pass --upstream local|URL"
                    .into(),
            );
        }
        for (name, u) in &self.upstreams {
            if u.url.trim().is_empty() {
                return Err(format!(
                    "upstream `{name}` has no url (an http(s) URL or `local`)"
                ));
            }
            if u.url != "local" && !(u.url.starts_with("http://") || u.url.starts_with("https://"))
            {
                return Err(format!(
                    "upstream `{name}`: `{}` is neither `local` nor an http(s) URL",
                    u.url
                ));
            }
            if u.models.is_empty() {
                return Err(format!(
                    "upstream `{name}` lists no models (use [\"*\"] for any)"
                ));
            }
            if !(u.timeout_secs > 0.0 && u.connect_timeout_secs > 0.0) {
                return Err(format!("upstream `{name}`: timeouts must be positive"));
            }
        }
        for k in &self.keys {
            let ok = k.sha256.len() == 64 && k.sha256.chars().all(|c| c.is_ascii_hexdigit());
            if !ok {
                return Err(format!(
                    "key `{}`: sha256 must be 64 hex characters (printf %s \"$KEY\" | sha256sum)",
                    k.name
                ));
            }
            if k.requests_per_minute == Some(0) {
                return Err(format!(
                    "key `{}`: requests_per_minute must be at least 1",
                    k.name
                ));
            }
        }
        if self.limits.max_body_bytes == 0 || self.limits.max_message_chars == 0 {
            return Err("limits must be positive".into());
        }
        if self.streaming.window_tokens == 0 {
            return Err("streaming.window_tokens must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_in_docs_parses() {
        let text = r#"
            listen = "127.0.0.1:0"
            [upstreams.a]
            url = "http://127.0.0.1:9/v1"
            models = ["m1"]
            [upstreams.local]
            url = "local"
            [[keys]]
            name = "k"
            sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
            requests_per_minute = 60
            [streaming]
            window = "tokens"
            [audit]
            include_text = true
        "#;
        let cfg: GatewayConfig = toml_value(text);
        assert_eq!(cfg.upstreams["a"].models, vec!["m1"]);
        assert_eq!(cfg.upstreams["local"].models, vec!["*"]);
        assert_eq!(cfg.streaming.window, WindowMode::Tokens);
        cfg.validate().unwrap();
    }

    #[test]
    fn validation_names_the_problem() {
        let mut cfg = GatewayConfig::default();
        assert!(cfg.validate().unwrap_err().contains("no upstream"));
        cfg.upstreams.insert(
            "x".into(),
            UpstreamConfig {
                url: "ftp://nope".into(),
                ..Default::default()
            },
        );
        assert!(cfg.validate().unwrap_err().contains("ftp://nope"));
        cfg.upstreams.get_mut("x").unwrap().url = "local".into();
        cfg.keys.push(KeyConfig {
            name: "bad".into(),
            sha256: "abc".into(),
            requests_per_minute: None,
            burst: None,
        });
        assert!(cfg.validate().unwrap_err().contains("bad"));
    }

    fn toml_value<T: serde::de::DeserializeOwned + Default>(text: &str) -> T {
        let cfg = rampart_core::ConfigFile::parse(&format!(
            "[gateway]\n{}",
            text.replace("[upstreams", "[gateway.upstreams")
                .replace("[[keys]]", "[[gateway.keys]]")
                .replace("[streaming]", "[gateway.streaming]")
                .replace("[audit]", "[gateway.audit]")
        ))
        .unwrap();
        cfg.section("gateway").unwrap()
    }
}
