//! The runner: sends items to a target concurrently, judges the replies, and records everything
//! in the [`Store`].
//!
//! Requests are bounded by a concurrency limit and an optional requests-per-minute pace (the
//! local model batches whatever is in flight, so a concurrency near its `parallel` setting keeps
//! it busy). Before asking the target, the runner looks the request up in the store: a resumed
//! or repeated run only pays for what is missing. Judges are looked up the same way.

use std::sync::Arc;

use futures::StreamExt as _;
use indicatif::ProgressBar;
use rampart_core::Verdict;
use rampart_llm::limit::{Permit, RateLimiter};
use rampart_llm::{ChatModel, FinishReason, GenParams};
use serde::{Deserialize, Serialize};

use crate::judge::{Judge, Reply as JudgeReply};
use crate::store::{Store, request_key};
use crate::{EvalError, Item};

/// What the target answered, as kept in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyRecord {
    pub text: String,
    pub finish_reason: FinishReason,
    pub model: String,
    pub completion_tokens: u32,
    pub latency_ms: f64,
}

/// One judge's verdict on a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    pub judge: String,
    pub version: String,
    pub verdict: Verdict,
}

/// Everything about one item in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub item: Item,
    /// The request's content hash (the store key).
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<ReplyRecord>,
    /// Why there is no reply (the request failed; it is retried on resume).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub judgements: Vec<Judgement>,
    /// Judges that failed on this record (not cached; retried on resume).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub judge_errors: Vec<String>,
    /// The reply came from the store rather than the target.
    #[serde(default)]
    pub cached: bool,
}

impl Record {
    /// The verdict of the judge with this id, if it judged the record.
    pub fn verdict(&self, judge: &str) -> Option<&Verdict> {
        self.judgements
            .iter()
            .find(|j| j.judge == judge)
            .map(|j| &j.verdict)
    }
}

/// Runs items against a target (see the module docs).
///
/// ```no_run
/// # async fn demo(target: std::sync::Arc<dyn rampart_llm::ChatModel>, items: Vec<rampart_eval::Item>) -> Result<(), rampart_eval::EvalError> {
/// use std::sync::Arc;
/// use rampart_eval::{Runner, Store, judge::RefusalJudge};
///
/// let store = Arc::new(Store::open("out/store.sqlite".as_ref())?);
/// let records = Runner::new(target, store)
///     .with_judges(vec![Arc::new(RefusalJudge::new())])
///     .with_concurrency(8)
///     .run(items, &indicatif::ProgressBar::hidden())
///     .await?;
/// # Ok(()) }
/// ```
pub struct Runner {
    target: Arc<dyn ChatModel>,
    target_id: String,
    store: Arc<Store>,
    judges: Vec<Arc<dyn Judge>>,
    params: GenParams,
    concurrency: usize,
    limiter: RateLimiter,
}

impl Runner {
    pub fn new(target: Arc<dyn ChatModel>, store: Arc<Store>) -> Self {
        let target_id = target.name();
        Runner {
            target,
            target_id,
            store,
            judges: Vec::new(),
            params: GenParams::default(),
            concurrency: 4,
            limiter: RateLimiter::new(4, None),
        }
    }

    pub fn with_judges(mut self, judges: Vec<Arc<dyn Judge>>) -> Self {
        self.judges = judges;
        self
    }

    pub fn with_params(mut self, params: GenParams) -> Self {
        self.params = params;
        self
    }

    /// At most `n` requests in flight (default 4).
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self.limiter = RateLimiter::new(self.concurrency, None);
        self
    }

    /// At most `n` requests in flight and at most `rpm` requests per minute.
    pub fn with_rate_limit(mut self, rpm: Option<u32>) -> Self {
        self.limiter = RateLimiter::new(self.concurrency, rpm);
        self
    }

    /// The target's identity in store keys (default: `ChatModel::name`). Give two targets the
    /// same id only when they answer identically.
    pub fn with_target_id(mut self, id: impl Into<String>) -> Self {
        self.target_id = id.into();
        self
    }

    pub fn target_id(&self) -> &str {
        &self.target_id
    }

    pub fn judges(&self) -> &[Arc<dyn Judge>] {
        &self.judges
    }

    /// Runs every item; records come back in the items' order. Failures of the target or of a
    /// judge are recorded on the item, not returned; only the store failing stops the run.
    pub async fn run(
        &self,
        items: Vec<Item>,
        progress: &ProgressBar,
    ) -> Result<Vec<Record>, EvalError> {
        progress.set_length(items.len() as u64);
        let mut out: Vec<(usize, Record)> = futures::stream::iter(items.into_iter().enumerate())
            .map(|(i, item)| async move {
                let r = self.run_one(item).await;
                progress.inc(1);
                r.map(|r| (i, r))
            })
            .buffer_unordered(self.concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        out.sort_by_key(|(i, _)| *i);
        Ok(out.into_iter().map(|(_, r)| r).collect())
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, EvalError> + Send + 'static,
    ) -> Result<T, EvalError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| EvalError::Store {
                path: self.store.path().to_path_buf(),
                message: format!("store task failed: {e}"),
            })?
    }

    /// Judges `text` with every judge, from the store when possible.
    async fn judge_all(
        &self,
        item: &Item,
        key: &str,
        reply: JudgeReply<'_>,
    ) -> Result<(Vec<Judgement>, Vec<String>), EvalError> {
        let mut judgements = Vec::new();
        let mut errors = Vec::new();
        for judge in &self.judges {
            let (id, version) = (judge.id().to_string(), judge.version().to_string());
            let (k, i, v) = (key.to_string(), id.clone(), version.clone());
            if let Some(verdict) = self.blocking(move |s| s.verdict(&k, &i, &v)).await? {
                judgements.push(Judgement {
                    judge: id,
                    version,
                    verdict,
                });
                continue;
            }
            match judge.judge(item, reply).await {
                Ok(verdict) => {
                    let (k, i, v, vd) = (
                        key.to_string(),
                        id.clone(),
                        version.clone(),
                        verdict.clone(),
                    );
                    self.blocking(move |s| s.put_verdict(&k, &i, &v, &vd))
                        .await?;
                    judgements.push(Judgement {
                        judge: id,
                        version,
                        verdict,
                    });
                }
                Err(e) => errors.push(format!("{id}: {e}")),
            }
        }
        Ok((judgements, errors))
    }

    async fn run_one(&self, item: Item) -> Result<Record, EvalError> {
        let conversation = item.conversation();
        let key = request_key(&self.target_id, &conversation, &self.params);
        let k = key.clone();
        let mut cached = true;
        let reply = match self.blocking(move |s| s.reply(&k)).await? {
            Some(r) => Ok(r),
            None => {
                cached = false;
                let _permit: Permit = self.limiter.acquire().await;
                self.target.chat(&conversation, &self.params).await
            }
        };
        let reply = match reply {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(item = %item.id, "request failed: {e}");
                return Ok(Record {
                    item,
                    key,
                    reply: None,
                    error: Some(e.to_string()),
                    judgements: Vec::new(),
                    judge_errors: Vec::new(),
                    cached: false,
                });
            }
        };
        if !cached {
            let (k, t, c, p, r) = (
                key.clone(),
                self.target_id.clone(),
                conversation.clone(),
                self.params.clone(),
                reply.clone(),
            );
            self.blocking(move |s| s.put_reply(&k, &t, &c, &p, &r))
                .await?;
        }
        let judge_reply = JudgeReply {
            text: &reply.text,
            content_filtered: reply.finish_reason == FinishReason::ContentFilter,
        };
        let (judgements, judge_errors) = self.judge_all(&item, &key, judge_reply).await?;
        Ok(Record {
            item,
            key,
            reply: Some(ReplyRecord {
                text: reply.text.clone(),
                finish_reason: reply.finish_reason.clone(),
                model: reply.model.clone(),
                completion_tokens: reply.usage.completion_tokens,
                latency_ms: reply.timing.total_ms,
            }),
            error: None,
            judgements,
            judge_errors,
            cached,
        })
    }
}
