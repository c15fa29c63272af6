//! The embedded local model: a GGUF chat model run in-process by llama.cpp.
//!
//! # Why llama.cpp (through `llama-cpp-2`)
//! Measured on the 2-core AMD EPYC (AVX2) machines rampart is developed on, one thread,
//! SmolLM2-135M-Instruct Q4_1: candle's quantized CPU path generated ~7–9 tokens/s, llama.cpp
//! ~63 tokens/s and processed prompts at ~100 tokens/s. Scans send hundreds of prompts, so the
//! 7× matters; `rampart-llm`'s `local_throughput` benchmark (see the README) re-measures it,
//! for 1 and 2 threads and for concurrent requests. llama.cpp is built from the source vendored
//! in `llama-cpp-sys-2` (needs cmake and libclang), without OpenMP: its spinning worker threads
//! collapse when the process gets fewer cores than threads, as on a shared CI machine.
//!
//! # Concurrency
//! One worker thread owns the model and a single llama.cpp context with one KV-cache sequence
//! per slot (`parallel`, default 4). Requests queue on a channel; the worker runs *continuous
//! batching*: every step decodes one token for each generating request plus a chunk of pending
//! prompt tokens, in one `llama_decode` call. Requests therefore never share state (each has its
//! own sequence id, sampler and positions) and several in flight cost little more than one.
//! A request whose consumer goes away is dropped at the next step, freeing its slot.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::mpsc as std_mpsc;
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use rampart_core::{Conversation, Role};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::{
    ChatModel, FinishReason, GenParams, LlmError, Reply, ReplyStream, StreamEvent, Timing, Usage,
};

/// `[llm.local]` settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LocalConfig {
    /// GGUF file; default: the embedded SmolLM2-135M-Instruct under `$RAMPART_HOME/models`.
    pub model_path: Option<PathBuf>,
    /// CPU threads for llama.cpp; 0 = all available cores.
    pub threads: usize,
    /// Requests decoded together (KV-cache sequences).
    pub parallel: usize,
    /// Context window per request, in tokens (prompt + reply).
    pub context_per_request: u32,
    /// Tokens per `llama_decode` call (prompt chunks plus one token per generating request).
    pub batch_size: u32,
}

impl Default for LocalConfig {
    fn default() -> Self {
        LocalConfig {
            model_path: None,
            threads: 0,
            parallel: 4,
            context_per_request: 2048,
            batch_size: 512,
        }
    }
}

/// What the worker reports once the model is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalModelInfo {
    pub path: PathBuf,
    pub name: String,
    pub parameters: u64,
    pub context_train: u32,
    pub threads: usize,
    pub parallel: usize,
}

struct Job {
    conversation: Conversation,
    params: GenParams,
    events: mpsc::UnboundedSender<Result<StreamEvent, LlmError>>,
    submitted: Instant,
}

/// The embedded local chat model. Cheap to share behind an `Arc`; safe to call concurrently.
pub struct LocalModel {
    jobs: std_mpsc::Sender<Job>,
    info: LocalModelInfo,
}

impl std::fmt::Debug for LocalModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalModel")
            .field("info", &self.info)
            .finish()
    }
}

fn backend() -> Result<&'static LlamaBackend, LlmError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            // llama.cpp logs verbosely to stderr; route it through tracing (shown with -vv).
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| LlmError::Local(format!("cannot initialise llama.cpp: {e}")))
}

impl LocalModel {
    /// Loads the model on a dedicated worker thread and waits until it is ready (well under a
    /// second for SmolLM2). Call from `spawn_blocking` inside async code.
    pub fn load(path: &Path, config: &LocalConfig) -> Result<Self, LlmError> {
        if !path.is_file() {
            return Err(LlmError::ModelMissing {
                path: path.to_path_buf(),
            });
        }
        let threads = if config.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            config.threads
        };
        let parallel = config.parallel.clamp(1, 64);
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let (jobs_tx, jobs_rx) = std_mpsc::channel::<Job>();
        let worker = Worker {
            path: path.to_path_buf(),
            threads,
            parallel,
            context_per_request: config.context_per_request.max(64),
            batch_size: config.batch_size.max(parallel as u32 + 1),
        };
        std::thread::Builder::new()
            .name("rampart-local-llm".into())
            .spawn(move || worker.run(ready_tx, jobs_rx))
            .map_err(|e| LlmError::Local(format!("cannot start the model thread: {e}")))?;
        let info = ready_rx
            .recv()
            .map_err(|_| LlmError::Local("the model thread exited while loading".into()))??;
        Ok(LocalModel {
            jobs: jobs_tx,
            info,
        })
    }

    pub fn info(&self) -> &LocalModelInfo {
        &self.info
    }

    fn submit(
        &self,
        conversation: &Conversation,
        params: &GenParams,
    ) -> Result<mpsc::UnboundedReceiver<Result<StreamEvent, LlmError>>, LlmError> {
        params.validate()?;
        if conversation.messages.iter().any(|m| m.has_image()) {
            return Err(LlmError::InvalidRequest(format!(
                "{} is a text-only model; remove the image parts or use an HTTP target that accepts images",
                self.info.name
            )));
        }
        if conversation.is_empty() {
            return Err(LlmError::InvalidRequest("the conversation is empty".into()));
        }
        let (tx, rx) = mpsc::unbounded_channel();
        self.jobs
            .send(Job {
                conversation: conversation.clone(),
                params: params.clone(),
                events: tx,
                submitted: Instant::now(),
            })
            .map_err(|_| LlmError::Local("the model thread has stopped".into()))?;
        Ok(rx)
    }
}

#[async_trait::async_trait]
impl ChatModel for LocalModel {
    fn name(&self) -> String {
        format!("local:{}", self.info.name)
    }

    async fn chat(
        &self,
        conversation: &Conversation,
        params: &GenParams,
    ) -> Result<Reply, LlmError> {
        let mut rx = self.submit(conversation, params)?;
        while let Some(event) = rx.recv().await {
            if let StreamEvent::Done(reply) = event? {
                return Ok(reply);
            }
        }
        Err(LlmError::Local(
            "the model thread stopped mid-request".into(),
        ))
    }

    async fn chat_stream(
        &self,
        conversation: &Conversation,
        params: &GenParams,
    ) -> Result<ReplyStream, LlmError> {
        let rx = self.submit(conversation, params)?;
        Ok(Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })))
    }
}

struct Worker {
    path: PathBuf,
    threads: usize,
    parallel: usize,
    context_per_request: u32,
    batch_size: u32,
}

/// One request being served in a KV-cache sequence.
struct Sequence {
    job: Job,
    prompt: Vec<LlamaToken>,
    /// Prompt tokens already in the batch/KV cache.
    prompt_done: usize,
    /// Tokens in the KV cache for this sequence.
    n_past: usize,
    /// Last sampled token, to feed back next step.
    next_input: Option<LlamaToken>,
    sampler: LlamaSampler,
    seed: u64,
    max_new: usize,
    generated: usize,
    text: String,
    /// Bytes of an incomplete UTF-8 character at the end of the output so far.
    pending_bytes: Vec<u8>,
    /// How much of `text` has been sent as deltas.
    emitted: usize,
    started: Option<Instant>,
    first_token: Option<Instant>,
    batch_index: Option<i32>,
}

impl Worker {
    fn run(
        self,
        ready: std_mpsc::Sender<Result<LocalModelInfo, LlmError>>,
        jobs: std_mpsc::Receiver<Job>,
    ) {
        let loaded = (|| {
            let backend = backend()?;
            let model = LlamaModel::load_from_file(backend, &self.path, &LlamaModelParams::default())
                .map_err(|e| {
                    LlmError::Local(format!(
                        "cannot load {} ({e}); is it a GGUF file? `rampart models fetch` downloads the default one",
                        self.path.display()
                    ))
                })?;
            Ok::<_, LlmError>((backend, model))
        })();
        let (backend, model) = match loaded {
            Ok(x) => x,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let n_ctx = self
            .context_per_request
            .saturating_mul(self.parallel as u32);
        let ctx_params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(n_ctx))
            .with_n_batch(self.batch_size)
            .with_n_ubatch(self.batch_size)
            .with_n_seq_max(self.parallel as u32)
            .with_n_threads(self.threads as i32)
            .with_n_threads_batch(self.threads as i32);
        let mut ctx = match model.new_context(backend, ctx_params) {
            Ok(c) => c,
            Err(e) => {
                let _ = ready.send(Err(LlmError::Local(format!(
                    "cannot create a context: {e}"
                ))));
                return;
            }
        };
        // The GGUF's own chat template; ChatML is what llama.cpp falls back to as well.
        let template = model
            .chat_template(None)
            .ok()
            .or_else(|| LlamaChatTemplate::new("chatml").ok());
        let name = model.meta_val_str("general.name").unwrap_or_else(|_| {
            self.path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "gguf".into())
        });
        let info = LocalModelInfo {
            path: self.path.clone(),
            name: name.clone(),
            parameters: model.n_params(),
            context_train: model.n_ctx_train(),
            threads: self.threads,
            parallel: self.parallel,
        };
        if ready.send(Ok(info)).is_err() {
            return;
        }

        let per_seq = ctx.n_ctx() as usize / self.parallel;
        let mut slots: Vec<Option<Sequence>> = (0..self.parallel).map(|_| None).collect();
        let mut batch = LlamaBatch::new(self.batch_size as usize, self.parallel as i32);
        let mut closed = false;
        loop {
            // Admit new requests: block when idle, otherwise take what is waiting.
            let idle = slots.iter().all(Option::is_none);
            if idle {
                if closed {
                    return;
                }
                match jobs.recv() {
                    Ok(job) => self.admit(job, &model, template.as_ref(), per_seq, &mut slots),
                    Err(_) => return,
                }
            }
            while !closed && slots.iter().any(Option::is_none) {
                match jobs.try_recv() {
                    Ok(job) => self.admit(job, &model, template.as_ref(), per_seq, &mut slots),
                    Err(std_mpsc::TryRecvError::Empty) => break,
                    Err(std_mpsc::TryRecvError::Disconnected) => closed = true,
                }
            }

            // Drop requests whose consumer went away.
            for (id, slot) in slots.iter_mut().enumerate() {
                if slot.as_ref().is_some_and(|s| s.job.events.is_closed()) {
                    *slot = None;
                    let _ = ctx.clear_kv_cache_seq(Some(id as u32), None, None);
                }
            }

            // Build one batch: a token per generating sequence, then prompt chunks.
            batch.clear();
            let mut budget = self.batch_size as usize;
            for (id, slot) in slots.iter_mut().enumerate() {
                let Some(seq) = slot else { continue };
                seq.batch_index = None;
                if let Some(tok) = seq.next_input.take() {
                    if batch
                        .add(tok, seq.n_past as i32, &[id as i32], true)
                        .is_ok()
                    {
                        seq.batch_index = Some(batch.n_tokens() - 1);
                        seq.n_past += 1;
                        budget -= 1;
                    } else {
                        seq.next_input = Some(tok);
                    }
                }
            }
            for (id, slot) in slots.iter_mut().enumerate() {
                let Some(seq) = slot else { continue };
                if seq.prompt_done >= seq.prompt.len() || budget == 0 {
                    continue;
                }
                seq.started.get_or_insert_with(Instant::now);
                let n = (seq.prompt.len() - seq.prompt_done).min(budget);
                for k in 0..n {
                    let pos = seq.prompt_done + k;
                    let last = pos + 1 == seq.prompt.len();
                    // cannot fail: n <= budget <= free space
                    let _ = batch.add(seq.prompt[pos], pos as i32, &[id as i32], last);
                    if last {
                        seq.batch_index = Some(batch.n_tokens() - 1);
                    }
                }
                seq.prompt_done += n;
                seq.n_past += n;
                budget -= n;
            }
            if batch.n_tokens() == 0 {
                continue;
            }
            if let Err(e) = ctx.decode(&mut batch) {
                // Fail the requests of this step; the others keep going.
                for (id, slot) in slots.iter_mut().enumerate() {
                    if slot
                        .as_ref()
                        .is_some_and(|s| s.batch_index.is_some() || s.prompt_done > 0)
                    {
                        if let Some(seq) = slot.take() {
                            let _ = seq
                                .job
                                .events
                                .send(Err(LlmError::Local(format!("decode failed: {e}"))));
                        }
                        let _ = ctx.clear_kv_cache_seq(Some(id as u32), None, None);
                    }
                }
                continue;
            }

            // Sample the next token of every sequence that produced logits.
            let vocab = model.vocab();
            for (id, slot) in slots.iter_mut().enumerate() {
                let Some(seq) = slot else { continue };
                let Some(idx) = seq.batch_index else { continue };
                let token = seq.sampler.sample(&ctx, idx);
                let now = Instant::now();
                seq.first_token.get_or_insert(now);
                let finish = if vocab.is_eog(token) {
                    Some(FinishReason::Stop)
                } else {
                    seq.generated += 1;
                    let piece = vocab.token_to_piece(token, false, None);
                    seq.pending_bytes.extend_from_slice(&piece);
                    drain_utf8(&mut seq.pending_bytes, &mut seq.text);
                    if let Some(cut) = find_stop(&seq.text, &seq.job.params.stop, seq.emitted) {
                        seq.text.truncate(cut);
                        Some(FinishReason::Stop)
                    } else if seq.generated >= seq.max_new {
                        // max_tokens, or the context window, whichever came first
                        Some(FinishReason::Length)
                    } else {
                        seq.next_input = Some(token);
                        None
                    }
                };
                // Send what can no longer turn into a stop string.
                let safe = if finish.is_some() {
                    seq.text.len()
                } else {
                    safe_emit_boundary(&seq.text, &seq.job.params.stop)
                };
                if safe > seq.emitted {
                    let delta = seq.text[seq.emitted..safe].to_string();
                    seq.emitted = safe;
                    if seq.job.events.send(Ok(StreamEvent::Delta(delta))).is_err() {
                        *slot = None;
                        let _ = ctx.clear_kv_cache_seq(Some(id as u32), None, None);
                        continue;
                    }
                }
                if let Some(reason) = finish {
                    let seq = slot.take().expect("slot is occupied");
                    let _ = ctx.clear_kv_cache_seq(Some(id as u32), None, None);
                    let events = seq.job.events.clone();
                    let _ = events.send(Ok(StreamEvent::Done(seq.finish(reason, &name))));
                }
            }
        }
    }

    fn admit(
        &self,
        job: Job,
        model: &LlamaModel,
        template: Option<&LlamaChatTemplate>,
        per_seq: usize,
        slots: &mut [Option<Sequence>],
    ) {
        let tokens = match prompt_tokens(model, template, &job.conversation) {
            Ok(t) => t,
            Err(e) => {
                let _ = job.events.send(Err(e));
                return;
            }
        };
        if tokens.is_empty() {
            let _ = job
                .events
                .send(Err(LlmError::InvalidRequest("the prompt is empty".into())));
            return;
        }
        if tokens.len() + 1 >= per_seq {
            let _ = job.events.send(Err(LlmError::InvalidRequest(format!(
                "the prompt is {} tokens; the local model's window is {per_seq} tokens per request \
                 (raise `context_per_request` under [llm.local] or shorten the prompt)",
                tokens.len()
            ))));
            return;
        }
        let seed = job.params.seed.unwrap_or_else(rand::random::<u64>);
        let sampler = if job.params.temperature <= 0.0 {
            LlamaSampler::greedy()
        } else {
            LlamaSampler::chain_simple([
                LlamaSampler::top_p(job.params.top_p, 1),
                LlamaSampler::temp(job.params.temperature),
                LlamaSampler::dist(seed as u32),
            ])
        };
        let max_new = (job.params.max_tokens as usize).min(per_seq - tokens.len() - 1);
        let seq = Sequence {
            prompt: tokens,
            prompt_done: 0,
            n_past: 0,
            next_input: None,
            sampler,
            seed,
            max_new,
            generated: 0,
            text: String::new(),
            pending_bytes: Vec::new(),
            emitted: 0,
            started: None,
            first_token: None,
            batch_index: None,
            job,
        };
        let free = slots
            .iter_mut()
            .find(|s| s.is_none())
            .expect("admit is called with a free slot");
        *free = Some(seq);
    }
}

impl Sequence {
    fn finish(self, reason: FinishReason, name: &str) -> Reply {
        let now = Instant::now();
        let total = now.duration_since(self.job.submitted).as_secs_f64();
        let gen_secs = self
            .first_token
            .map(|t| now.duration_since(t).as_secs_f64())
            .unwrap_or(0.0);
        // The first token comes out of prompt processing; the rest are generation steps.
        let tokens_per_second = if gen_secs > 0.0 && self.generated > 1 {
            (self.generated - 1) as f64 / gen_secs
        } else {
            0.0
        };
        Reply {
            text: self.text,
            finish_reason: reason,
            usage: Usage {
                prompt_tokens: self.prompt.len() as u32,
                completion_tokens: self.generated as u32,
            },
            model: name.to_string(),
            tool_calls: Vec::new(),
            seed: Some(self.seed),
            timing: Timing {
                total_ms: total * 1000.0,
                first_token_ms: self
                    .first_token
                    .map(|t| t.duration_since(self.job.submitted).as_secs_f64() * 1000.0),
                tokens_per_second,
            },
        }
    }
}

/// The prompt's tokens: the conversation in the model's chat template. The template's own
/// markers (`<|im_start|>`, `<|im_end|>`) become special tokens; the text of the messages is
/// tokenized as plain text, so a message that writes those markers itself cannot forge a turn
/// or a system prompt. Roles the template does not know (documents, tool output) are given to
/// the model as user turns.
fn prompt_tokens(
    model: &LlamaModel,
    template: Option<&LlamaChatTemplate>,
    conversation: &Conversation,
) -> Result<Vec<LlamaToken>, LlmError> {
    let template =
        template.ok_or_else(|| LlmError::Local("the GGUF has no chat template".into()))?;
    // The template is rendered with a marker in place of each message's text; the text goes in
    // where its marker ended up, tokenized apart from the template.
    let nonce: u64 = rand::random();
    let marker = |i: usize| format!("\u{F8FF}rampart-{nonce:016x}-{i}\u{F8FF}");
    let texts: Vec<String> = conversation.messages.iter().map(|m| m.text()).collect();
    let messages = conversation
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let role = match m.role {
                Role::System => "system",
                Role::Assistant => "assistant",
                Role::User | Role::Document | Role::Tool => "user",
            };
            LlamaChatMessage::new(role.to_string(), marker(i)).map_err(|e| {
                LlmError::InvalidRequest(format!("message cannot be sent to the local model: {e}"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rendered = model
        .apply_chat_template(template, &messages, true)
        .map_err(|e| LlmError::Local(format!("cannot apply the chat template: {e}")))?;
    let vocab = model.vocab();
    let mut tokens = Vec::new();
    let mut rest = rendered.as_str();
    let mut first = true;
    for (i, text) in texts.iter().enumerate() {
        // A template may leave a message out (some drop empty system prompts).
        let Some(at) = rest.find(&marker(i)) else {
            continue;
        };
        tokens.extend(vocab.tokenize(&rest.as_bytes()[..at], first, true));
        tokens.extend(vocab.tokenize(text.as_bytes(), false, false));
        rest = &rest[at + marker(i).len()..];
        first = false;
    }
    tokens.extend(vocab.tokenize(rest.as_bytes(), first, true));
    Ok(tokens)
}

/// Moves the longest valid UTF-8 prefix of `pending` into `out`; invalid bytes become U+FFFD,
/// an incomplete trailing character stays pending.
fn drain_utf8(pending: &mut Vec<u8>, out: &mut String) {
    loop {
        match std::str::from_utf8(pending) {
            Ok(s) => {
                out.push_str(s);
                pending.clear();
                return;
            }
            Err(e) => {
                let valid = e.valid_up_to();
                out.push_str(std::str::from_utf8(&pending[..valid]).expect("valid prefix"));
                match e.error_len() {
                    Some(bad) => {
                        out.push('\u{FFFD}');
                        pending.drain(..valid + bad);
                    }
                    None => {
                        pending.drain(..valid);
                        return;
                    }
                }
            }
        }
    }
}

/// Byte offset where the earliest stop string starts, searching from a little before `from`.
fn find_stop(text: &str, stops: &[String], from: usize) -> Option<usize> {
    let longest = stops.iter().map(String::len).max()?;
    let mut start = from.saturating_sub(longest);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    stops
        .iter()
        .filter_map(|s| text[start..].find(s.as_str()).map(|i| start + i))
        .min()
}

/// The largest prefix of `text` that cannot be the beginning of a stop string.
fn safe_emit_boundary(text: &str, stops: &[String]) -> usize {
    let mut boundary = text.len();
    for stop in stops {
        // If a suffix of text is a prefix of `stop`, hold it back.
        for k in (1..stop.len().min(text.len() + 1)).rev() {
            if text.is_char_boundary(text.len() - k)
                && stop
                    .as_bytes()
                    .starts_with(&text.as_bytes()[text.len() - k..])
            {
                boundary = boundary.min(text.len() - k);
                break;
            }
        }
    }
    boundary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_split_across_tokens_is_reassembled() {
        let mut pending = Vec::new();
        let mut out = String::new();
        let bytes = "é€".as_bytes();
        for b in bytes {
            pending.push(*b);
            drain_utf8(&mut pending, &mut out);
        }
        assert_eq!(out, "é€");
        assert!(pending.is_empty());
        pending.extend_from_slice(&[0xff, b'a']);
        drain_utf8(&mut pending, &mut out);
        assert_eq!(out, "é€\u{FFFD}a");
    }

    #[test]
    fn stop_strings_are_found_and_held_back() {
        let stops = vec!["END".to_string(), "\n\n".to_string()];
        assert_eq!(find_stop("hello EN", &stops, 0), None);
        assert_eq!(find_stop("hello END more", &stops, 6), Some(6));
        assert_eq!(safe_emit_boundary("hello EN", &stops), 6);
        assert_eq!(safe_emit_boundary("hello E", &stops), 6);
        assert_eq!(safe_emit_boundary("hello", &stops), 5);
        assert_eq!(safe_emit_boundary("a\n", &stops), 1);
        assert_eq!(safe_emit_boundary("héllo", &[]), "héllo".len());
    }

    #[test]
    fn missing_model_file_says_how_to_fetch() {
        let err = LocalModel::load(
            Path::new("/nonexistent/model.gguf"),
            &LocalConfig::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("rampart models fetch"), "{err}");
    }
}
