//! Test doubles shared by the red-team tests.
// Each test binary uses only part of this module.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rampart_core::Conversation;
use rampart_llm::{ChatModel, GenParams, LlmError, Reply, ReplyStream};

/// A model that answers from a script (by call count, cycling) and counts its calls.
pub struct Scripted {
    pub replies: Vec<&'static str>,
    pub calls: AtomicUsize,
}

impl Scripted {
    pub fn new(replies: Vec<&'static str>) -> Arc<Scripted> {
        Arc::new(Scripted {
            replies,
            calls: AtomicUsize::new(0),
        })
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl ChatModel for Scripted {
    fn name(&self) -> String {
        "scripted".into()
    }
    async fn chat(&self, _c: &Conversation, _p: &GenParams) -> Result<Reply, LlmError> {
        let i = self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(Reply::stopped(
            self.replies[i % self.replies.len()].to_string(),
            "scripted",
        ))
    }
    async fn chat_stream(
        &self,
        _c: &Conversation,
        _p: &GenParams,
    ) -> Result<ReplyStream, LlmError> {
        Err(LlmError::InvalidRequest("no streaming".into()))
    }
}
