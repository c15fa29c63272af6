//! Opening a target by name: `local`, an `http(s)://` URL, or a `[llm.targets.NAME]` entry.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use crate::catalog;
use crate::local::{LocalConfig, LocalModel};
use crate::openai::{HttpTargetConfig, OpenAiModel};
use crate::{ChatModel, LlmError};

/// The `[llm]` section of `rampart.toml`.
///
/// ```toml
/// [llm.local]
/// threads = 2
/// parallel = 4
///
/// [llm.targets.prod]
/// url = "https://api.example.com/v1"
/// model = "gpt-4o-mini"
/// api_key_env = "EXAMPLE_API_KEY"
/// requests_per_minute = 120
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmSection {
    /// The embedded local model.
    pub local: LocalConfig,
    /// Named HTTP targets, usable as `--target NAME`.
    pub targets: BTreeMap<String, HttpTargetConfig>,
}

/// Opens the target `spec` names. `model` overrides the model name for HTTP targets.
///
/// Loading the local model blocks for a moment; this runs it on the blocking pool.
pub async fn open_target(
    spec: &str,
    model: Option<&str>,
    section: &LlmSection,
) -> Result<Arc<dyn ChatModel>, LlmError> {
    if spec == "local" {
        let local = load_local(&section.local, model).await?;
        return Ok(local);
    }
    // Anything with a scheme is a URL; the connector rejects schemes other than http(s).
    if spec.contains("://") {
        let config = HttpTargetConfig {
            url: spec.to_string(),
            model: model.map(str::to_string),
            ..HttpTargetConfig::default()
        };
        return open_http(&config).await;
    }
    if let Some(named) = section.targets.get(spec) {
        let mut config = named.clone();
        if let Some(m) = model {
            config.model = Some(m.to_string());
        }
        return open_http(&config).await;
    }
    let known: Vec<_> = section.targets.keys().map(String::as_str).collect();
    Err(LlmError::InvalidRequest(format!(
        "unknown target `{spec}`: use `local`, an http(s):// URL of an OpenAI-compatible API{}",
        if known.is_empty() {
            String::new()
        } else {
            format!(
                ", or one of the targets in rampart.toml: {}",
                known.join(", ")
            )
        }
    )))
}

/// Opens an HTTP target and settles its model name now (asking `GET /models` when none is
/// configured): the name identifies the target in stores and journals, and it must not change
/// once the first request has been made, or a resumed run would not find what it stored. An
/// unreachable server is not an error here; the first request reports it.
async fn open_http(config: &HttpTargetConfig) -> Result<Arc<dyn ChatModel>, LlmError> {
    let target = OpenAiModel::new(config)?;
    if let Err(e) = target.model().await {
        tracing::debug!(url = %target.base_url(), error = %e, "model name not resolved yet");
    }
    Ok(Arc::new(target))
}

/// Loads the local model: `model` may name a catalog chat model or a GGUF path.
pub async fn load_local(
    config: &LocalConfig,
    model: Option<&str>,
) -> Result<Arc<LocalModel>, LlmError> {
    let path = match (model, &config.model_path) {
        (Some(m), _) if m.ends_with(".gguf") => std::path::PathBuf::from(m),
        (Some(m), _) => {
            let spec = catalog::spec(m).map_err(|e| LlmError::InvalidRequest(e.to_string()))?;
            if spec.kind != catalog::ModelKind::Chat {
                return Err(LlmError::InvalidRequest(format!("{m} is not a chat model")));
            }
            catalog::installed_path(&spec).map_err(|e| LlmError::Local(e.to_string()))?
        }
        (None, Some(p)) => p.clone(),
        (None, None) => catalog::installed_path(&catalog::SMOLLM2)
            .map_err(|e| LlmError::Local(e.to_string()))?,
    };
    let config = config.clone();
    tokio::task::spawn_blocking(move || LocalModel::load(&path, &config).map(Arc::new))
        .await
        .map_err(|e| LlmError::Local(format!("model loading panicked: {e}")))?
}
