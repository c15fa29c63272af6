//! Per-target limits: at most N requests in flight and at most M requests per minute.

use std::sync::Arc;
use std::time::Duration;

use rampart_core::Conversation;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::{ChatModel, GenParams, LlmError, Reply, ReplyStream};

/// A concurrency limit plus smooth requests-per-minute pacing, shared by all clones.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    slots: Arc<Semaphore>,
    /// Earliest instant the next request may start; `None` when there is no RPM limit.
    next_start: Option<Arc<Mutex<Instant>>>,
    interval: Duration,
}

/// Held while a request is in flight; dropping it frees the concurrency slot.
#[derive(Debug)]
pub struct Permit {
    _slot: OwnedSemaphorePermit,
}

impl RateLimiter {
    /// `max_concurrency` of at least 1; `requests_per_minute` of `None` or 0 means unlimited.
    pub fn new(max_concurrency: usize, requests_per_minute: Option<u32>) -> Self {
        let rpm = requests_per_minute.filter(|r| *r > 0);
        RateLimiter {
            slots: Arc::new(Semaphore::new(max_concurrency.max(1))),
            next_start: rpm.map(|_| Arc::new(Mutex::new(Instant::now()))),
            interval: rpm
                .map(|r| Duration::from_secs_f64(60.0 / r as f64))
                .unwrap_or_default(),
        }
    }

    /// Waits for a free slot and for the request's turn under the RPM limit.
    pub async fn acquire(&self) -> Permit {
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        if let Some(next) = &self.next_start {
            let start = {
                let mut next = next.lock().await;
                let now = Instant::now();
                let start = (*next).max(now);
                *next = start + self.interval;
                start
            };
            tokio::time::sleep_until(start).await;
        }
        Permit { _slot: slot }
    }
}

/// A model behind a [`RateLimiter`]: every request waits for a slot and its turn, whoever
/// sends it (the eval runner, a multi-turn attacker, a preflight), so that one limit holds for
/// everything a run sends to a target. A stream holds its slot only until it starts.
pub struct RateLimited<M> {
    inner: M,
    limiter: RateLimiter,
}

impl<M: ChatModel> RateLimited<M> {
    /// `inner` with at most `max_concurrency` requests in flight and `requests_per_minute`.
    pub fn new(inner: M, max_concurrency: usize, requests_per_minute: Option<u32>) -> Self {
        RateLimited {
            inner,
            limiter: RateLimiter::new(max_concurrency, requests_per_minute),
        }
    }
}

#[async_trait::async_trait]
impl<M: ChatModel> ChatModel for RateLimited<M> {
    fn name(&self) -> String {
        self.inner.name()
    }

    fn supports_images(&self) -> bool {
        self.inner.supports_images()
    }

    async fn chat(
        &self,
        conversation: &Conversation,
        params: &GenParams,
    ) -> Result<Reply, LlmError> {
        let _permit = self.limiter.acquire().await;
        self.inner.chat(conversation, params).await
    }

    async fn chat_stream(
        &self,
        conversation: &Conversation,
        params: &GenParams,
    ) -> Result<ReplyStream, LlmError> {
        let _permit = self.limiter.acquire().await;
        self.inner.chat_stream(conversation, params).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn paces_requests_per_minute() {
        let lim = RateLimiter::new(8, Some(600)); // one every 100 ms
        let t0 = Instant::now();
        for _ in 0..5 {
            drop(lim.acquire().await);
        }
        let elapsed = t0.elapsed();
        assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(500), "{elapsed:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn bounds_concurrency() {
        let lim = RateLimiter::new(2, None);
        let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let max_seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (lim, inf, max) = (lim.clone(), in_flight.clone(), max_seen.clone());
            tasks.push(tokio::spawn(async move {
                let _p = lim.acquire().await;
                let now = inf.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                max.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
                inf.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(max_seen.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    /// Answers at once.
    struct Instant0;

    #[async_trait::async_trait]
    impl ChatModel for Instant0 {
        fn name(&self) -> String {
            "instant".into()
        }
        async fn chat(&self, _c: &Conversation, _p: &GenParams) -> Result<Reply, LlmError> {
            Ok(Reply::stopped("ok", "instant"))
        }
        async fn chat_stream(
            &self,
            _c: &Conversation,
            _p: &GenParams,
        ) -> Result<ReplyStream, LlmError> {
            Err(LlmError::InvalidRequest("no streaming".into()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_limited_model_paces_every_caller() {
        let model = Arc::new(RateLimited::new(Instant0, 8, Some(600)));
        assert_eq!(model.name(), "instant");
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..5 {
            let m = model.clone();
            tasks.push(tokio::spawn(async move {
                m.chat(&Conversation::from_prompt("hi"), &GenParams::default())
                    .await
                    .unwrap()
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let elapsed = t0.elapsed();
        assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    }
}
