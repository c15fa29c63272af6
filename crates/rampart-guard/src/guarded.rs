//! [`Guarded`]: any [`ChatModel`] with the guard applied on both sides.

use std::sync::Arc;

use rampart_core::Conversation;
use rampart_llm::{
    ChatModel, FinishReason, GenParams, LlmError, Reply, ReplyStream, StreamEvent, Timing, Usage,
};

use crate::{Action, Guard};

/// Wraps a model: the input is checked before the model sees it (blocked requests never reach
/// it; redacted ones reach it redacted), and the reply is checked before the caller sees it.
/// A blocked request or reply comes back as the policy's refusal message with
/// `finish_reason = content_filter`.
///
/// Streaming is buffered here: the whole reply is checked, then sent as one delta. For
/// incremental moderation of streams, put the gateway (`rampart gateway serve`) in front.
pub struct Guarded<M> {
    inner: M,
    guard: Arc<Guard>,
}

impl<M: ChatModel> Guarded<M> {
    pub fn new(inner: M, guard: Arc<Guard>) -> Self {
        Guarded { inner, guard }
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    fn refusal(&self, conversation_tokens: u32) -> Reply {
        Reply {
            text: self.guard.policy().refusal_message.clone(),
            finish_reason: FinishReason::ContentFilter,
            usage: Usage {
                prompt_tokens: conversation_tokens,
                completion_tokens: 0,
            },
            model: self.inner.name(),
            tool_calls: Vec::new(),
            seed: None,
            timing: Timing::default(),
        }
    }
}

#[async_trait::async_trait]
impl<M: ChatModel> ChatModel for Guarded<M> {
    fn name(&self) -> String {
        format!(
            "guarded({})[{}]",
            self.inner.name(),
            self.guard.policy().name
        )
    }

    fn supports_images(&self) -> bool {
        self.inner.supports_images()
    }

    async fn chat(
        &self,
        conversation: &Conversation,
        params: &GenParams,
    ) -> Result<Reply, LlmError> {
        let guard = self.guard.clone();
        let conv = conversation.clone();
        // Detectors are CPU work: keep them off the async executor.
        let input = tokio::task::spawn_blocking(move || guard.check_input(&conv))
            .await
            .map_err(|e| LlmError::Local(format!("guard failed: {e}")))?;
        let to_send = match input.action {
            Action::Block => return Ok(self.refusal(0)),
            Action::Redact => input
                .redacted
                .clone()
                .unwrap_or_else(|| conversation.clone()),
            Action::Allow | Action::Flag => conversation.clone(),
        };
        let mut reply = self.inner.chat(&to_send, params).await?;
        let guard = self.guard.clone();
        let text = reply.text.clone();
        let context = to_send.clone();
        let output = tokio::task::spawn_blocking(move || guard.check_output(&text, Some(&context)))
            .await
            .map_err(|e| LlmError::Local(format!("guard failed: {e}")))?;
        match output.action {
            Action::Block => {
                let mut refusal = self.refusal(reply.usage.prompt_tokens);
                refusal.usage.completion_tokens = reply.usage.completion_tokens;
                refusal.timing = reply.timing;
                Ok(refusal)
            }
            Action::Redact => {
                if let Some(text) = output.redacted {
                    reply.text = text;
                }
                Ok(reply)
            }
            Action::Allow | Action::Flag => Ok(reply),
        }
    }

    async fn chat_stream(
        &self,
        conversation: &Conversation,
        params: &GenParams,
    ) -> Result<ReplyStream, LlmError> {
        let reply = self.chat(conversation, params).await?;
        let events = vec![
            Ok(StreamEvent::Delta(reply.text.clone())),
            Ok(StreamEvent::Done(reply)),
        ];
        Ok(Box::pin(futures::stream::iter(events)))
    }
}
