//! The [`ChatModel`] trait and the request and reply types every connector shares.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use rampart_core::Conversation;
use serde::{Deserialize, Serialize};

use crate::LlmError;

/// Generation parameters. `temperature <= 0` means greedy decoding (deterministic).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenParams {
    /// Upper bound on generated tokens.
    pub max_tokens: u32,
    pub temperature: f32,
    /// Nucleus sampling mass, in `(0, 1]`.
    pub top_p: f32,
    /// Seed for sampling; `None` picks one at random (recorded in the reply).
    pub seed: Option<u64>,
    /// Generation stops before any of these strings; they are not part of the reply.
    pub stop: Vec<String>,
    /// OpenAI-style tool specifications passed through to targets that support tools.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<serde_json::Value>,
}

impl Default for GenParams {
    fn default() -> Self {
        GenParams {
            max_tokens: 256,
            temperature: 0.0,
            top_p: 1.0,
            seed: None,
            stop: Vec::new(),
            tools: Vec::new(),
        }
    }
}

impl GenParams {
    /// Checks ranges, so that every connector rejects the same bad values the same way.
    pub fn validate(&self) -> Result<(), LlmError> {
        if self.max_tokens == 0 {
            return Err(LlmError::InvalidRequest(
                "max_tokens must be at least 1".into(),
            ));
        }
        if !(self.temperature.is_finite() && self.temperature >= 0.0) {
            return Err(LlmError::InvalidRequest(format!(
                "temperature must be >= 0, got {}",
                self.temperature
            )));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(LlmError::InvalidRequest(format!(
                "top_p must be in (0, 1], got {}",
                self.top_p
            )));
        }
        if self.stop.iter().any(|s| s.is_empty()) {
            return Err(LlmError::InvalidRequest(
                "stop strings must not be empty".into(),
            ));
        }
        Ok(())
    }
}

/// Why generation ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model ended its turn or hit a stop string.
    Stop,
    /// `max_tokens` or the context window was reached.
    Length,
    /// The target (or a guard in front of it) filtered the content.
    ContentFilter,
    /// The model asked for tool calls.
    ToolCalls,
    /// Anything else the target reported.
    Other(String),
}

impl FinishReason {
    pub fn from_openai(s: &str) -> Self {
        match s {
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "content_filter" => FinishReason::ContentFilter,
            "tool_calls" | "function_call" => FinishReason::ToolCalls,
            other => FinishReason::Other(other.to_string()),
        }
    }

    pub fn as_openai(&self) -> &str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::Other(s) => s,
        }
    }
}

/// Token counts, as reported by the target (or counted locally).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
}

/// A tool call requested by the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// Arguments as the JSON text the model produced (may be invalid JSON: it is the model's).
    pub arguments: String,
}

/// Wall-clock timings of one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// From sending the request to the last byte.
    pub total_ms: f64,
    /// From sending the request to the first generated text (streaming and local only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_token_ms: Option<f64>,
    /// Completion tokens per second of generation time.
    pub tokens_per_second: f64,
}

/// A complete reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    pub finish_reason: FinishReason,
    pub usage: Usage,
    /// The model that answered, as the target named it.
    pub model: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// The sampling seed actually used, when the connector knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    pub timing: Timing,
}

impl Reply {
    /// A finished reply (`stop`) of `model` holding only its text: no tool calls, usage and
    /// timing zero. For canned answers and test doubles.
    pub fn stopped(text: impl Into<String>, model: impl Into<String>) -> Reply {
        Reply {
            text: text.into(),
            finish_reason: FinishReason::Stop,
            usage: Usage::default(),
            model: model.into(),
            tool_calls: Vec::new(),
            seed: None,
            timing: Timing::default(),
        }
    }
}

/// One event of a streamed reply: text deltas, then exactly one `Done` with the whole reply.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    Delta(String),
    Done(Reply),
}

/// A streamed reply.
pub type ReplyStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, LlmError>> + Send>>;

/// A chat model: anything that answers a [`Conversation`].
///
/// Implementations are cheap to share (`Arc<dyn ChatModel>`) and safe to call concurrently.
#[async_trait::async_trait]
pub trait ChatModel: Send + Sync {
    /// A short name for reports and logs (`local:smollm2-135m-instruct`, `http://host/v1#gpt-4o`).
    fn name(&self) -> String;

    /// Whether image content parts are understood (text-only models reject them).
    fn supports_images(&self) -> bool {
        false
    }

    /// Answers the conversation with a complete reply.
    async fn chat(
        &self,
        conversation: &Conversation,
        params: &GenParams,
    ) -> Result<Reply, LlmError>;

    /// Answers the conversation as a stream of text deltas ending with `Done`. Errors that
    /// prevent the stream from starting (unreachable target, bad key) are returned here rather
    /// than as the stream's first item.
    async fn chat_stream(
        &self,
        conversation: &Conversation,
        params: &GenParams,
    ) -> Result<ReplyStream, LlmError>;
}

/// A shared model is a model: wrappers such as guard's `Guarded<M>` can take the
/// `Arc<dyn ChatModel>` that `open_target` returns.
#[async_trait::async_trait]
impl<M: ChatModel + ?Sized> ChatModel for std::sync::Arc<M> {
    fn name(&self) -> String {
        (**self).name()
    }

    fn supports_images(&self) -> bool {
        (**self).supports_images()
    }

    async fn chat(
        &self,
        conversation: &Conversation,
        params: &GenParams,
    ) -> Result<Reply, LlmError> {
        (**self).chat(conversation, params).await
    }

    async fn chat_stream(
        &self,
        conversation: &Conversation,
        params: &GenParams,
    ) -> Result<ReplyStream, LlmError> {
        (**self).chat_stream(conversation, params).await
    }
}

/// Collects a stream into its final reply (checking that the deltas add up to it).
pub async fn collect_stream(mut stream: ReplyStream) -> Result<Reply, LlmError> {
    let mut text = String::new();
    while let Some(event) = stream.next().await {
        match event? {
            StreamEvent::Delta(d) => text.push_str(&d),
            StreamEvent::Done(mut reply) => {
                if reply.text.is_empty() {
                    reply.text = text;
                }
                return Ok(reply);
            }
        }
    }
    Err(LlmError::Truncated {
        url: "stream".into(),
        detail: "no final event".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_validation() {
        assert!(GenParams::default().validate().is_ok());
        let bad = [
            GenParams {
                max_tokens: 0,
                ..Default::default()
            },
            GenParams {
                temperature: -1.0,
                ..Default::default()
            },
            GenParams {
                top_p: 0.0,
                ..Default::default()
            },
            GenParams {
                stop: vec![String::new()],
                ..Default::default()
            },
        ];
        for p in bad {
            assert!(matches!(p.validate(), Err(LlmError::InvalidRequest(_))));
        }
    }

    #[test]
    fn finish_reasons_round_trip_openai_names() {
        for s in ["stop", "length", "content_filter", "tool_calls", "weird"] {
            assert_eq!(FinishReason::from_openai(s).as_openai(), s);
        }
    }
}
