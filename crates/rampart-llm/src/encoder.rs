//! The sentence encoder: all-MiniLM-L6-v2 run in-process, text → 384-d unit vector.
//!
//! Guard's denied-topics detector compares a prompt with topic descriptions by cosine similarity,
//! and eval and redteam use the same vectors to measure how close two texts are. The model is
//! sentence-transformers' all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT), fetched by
//! `rampart models fetch all-minilm-l6-v2` into `$RAMPART_HOME/models/all-minilm-l6-v2`.
//!
//! [`SentenceEncoder`] reproduces sentence-transformers exactly: WordPiece tokens with `[CLS]`
//! and `[SEP]`, truncation at `max_seq_length` (256, from `sentence_bert_config.json`), BERT,
//! mean pooling over the real tokens (the attention mask keeps padding out), then L2
//! normalisation, so that the dot product of two embeddings is their cosine similarity. With it,
//! cos("A man is eating food.", "A man is eating a piece of bread.") = 0.7553, the published value.
//!
//! Why candle: it is pure Rust (no libtorch, no ONNX Runtime shared library to ship or download),
//! reads the safetensors weights as published, and builds offline. llama.cpp already runs the
//! chat model, but it has no BERT pooling of the kind sentence-transformers defines.
//!
//! Speed comes from batching, not threads: texts are tokenized, sorted by length so that each
//! batch pads little, and run in batches of up to 32 (fewer when they are long, to bound the
//! attention matrices). candle's CPU kernels spin-wait on their thread pool and collapse when the
//! process gets less CPU than it has threads, so each encoder runs its work on a private rayon
//! pool of [`EncoderConfig::threads`] threads, one by default, whatever the global pool or
//! `RAYON_NUM_THREADS` say. Inputs far longer than 256 tokens are cut (at a space, which cannot
//! change the first 256 tokens) before tokenization, so a megabyte of text costs no more than a
//! page. Repeated texts are answered from a small LRU cache keyed by SHA-256 of the text (a
//! cryptographic hash, so that crafted inputs cannot collide with a cached text).
//!
//! Throughput on a 2-core shared machine, sentences per second, as measured for the stack notes
//! with the same model and pipeline (`cargo bench -p rampart-llm --bench encoder_throughput`
//! prints this table for this implementation):
//!
//! | text        | batch 1, 1 thread | batch 32, 1 thread | batch 32, 2 threads |
//! |-------------|-------------------|--------------------|---------------------|
//! | ~20 tokens  | 45                | 83                 | 135                 |
//! | ~130 tokens | 12–16             | 12–16              | 12–16               |
//!
//! So one text costs ~10–80 ms on one core: fine for an escalation tier, too slow as the only one.
//! Loading takes about 0.1–0.2 s (90 MB of weights read into memory).
//!
//! ```no_run
//! # fn demo() -> Result<(), rampart_llm::LlmError> {
//! use rampart_llm::{SentenceEncoder, cosine};
//!
//! let encoder = SentenceEncoder::load_default()?;
//! let v = encoder.encode(&["A man is eating food.", "A man is eating a piece of bread."])?;
//! assert!((cosine(&v[0], &v[1]) - 0.7553).abs() < 1e-3);
//! # Ok(()) }
//! ```
//!
//! `encode` is blocking CPU work (milliseconds per text): from async code, call it inside
//! `tokio::task::spawn_blocking`, sharing the encoder through an `Arc`.

use std::collections::HashMap;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use candle_core::{DType, Device, IndexOp, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use sha2::{Digest, Sha256};
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use crate::LlmError;
use crate::catalog;

/// How an encoder runs. [`Default`] suits a shared machine: one thread, batches of 32, a cache of
/// 4096 embeddings (about 6 MB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderConfig {
    /// Threads of the encoder's private compute pool. More than the cores the process really
    /// gets makes candle slower, not faster (its kernels spin-wait); 2 helps on an idle machine.
    pub threads: usize,
    /// Most texts in one forward pass. Batching amortises the per-call overhead that dominates
    /// short texts; beyond 32 it buys little.
    pub batch_size: usize,
    /// Embeddings kept for repeated texts; 0 turns the cache off.
    pub cache_capacity: usize,
}

impl Default for EncoderConfig {
    fn default() -> Self {
        Self {
            threads: 1,
            batch_size: 32,
            cache_capacity: 4096,
        }
    }
}

/// The padded tokens one forward pass may hold (batch × longest). 32 × 128 keeps the attention
/// scores of a batch (batch × 12 heads × len²) near 25 MB; a batch of 256-token texts is cut to 16.
const MAX_BATCH_TOKENS: usize = 32 * 128;

/// Bytes of input beyond which text is cut before tokenization; see [`head_for_tokenizing`].
const BYTES_PER_TOKEN_BOUND: usize = 32;

/// How token vectors become one sentence vector (`1_Pooling/config.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pooling {
    /// The average of the real tokens' vectors (all-MiniLM-L6-v2).
    Mean,
    /// The `[CLS]` token's vector.
    Cls,
}

/// A sentence-transformers BERT encoder (all-MiniLM-L6-v2 by default) run on the CPU by candle.
///
/// Thread-safe: share it through an `Arc`; concurrent calls queue on the encoder's compute pool,
/// so an encoder never uses more than [`EncoderConfig::threads`] cores.
pub struct SentenceEncoder {
    model: BertModel,
    tokenizer: Tokenizer,
    pool: rayon::ThreadPool,
    pooling: Pooling,
    dim: usize,
    max_seq_length: usize,
    batch_size: usize,
    cache: Option<Mutex<EmbeddingCache>>,
    dir: PathBuf,
}

// Guard, gateway and eval share one encoder across threads; fail the build, not the callers, if
// a candle or tokenizers upgrade ever makes it lose `Send + Sync`.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SentenceEncoder>();
};

impl std::fmt::Debug for SentenceEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentenceEncoder")
            .field("dir", &self.dir)
            .field("dim", &self.dim)
            .field("max_seq_length", &self.max_seq_length)
            .field("pooling", &self.pooling)
            .field("threads", &self.pool.current_num_threads())
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

fn local(what: &str) -> impl FnOnce(String) -> LlmError + '_ {
    move |detail| LlmError::Local(format!("sentence encoder: {what}: {detail}"))
}

fn candle_err(e: impl Display) -> LlmError {
    LlmError::Local(format!("sentence encoder: {e}"))
}

impl SentenceEncoder {
    /// Loads the encoder installed by `rampart models fetch all-minilm-l6-v2`, with the default
    /// [`EncoderConfig`]. When it is not installed, the error says to run that command.
    pub fn load_default() -> Result<Self, LlmError> {
        Self::load(&catalog::model_dir(&catalog::MINILM))
    }

    /// Loads a sentence-transformers model directory (`model.safetensors`, `tokenizer.json`,
    /// `config.json`; optionally `sentence_bert_config.json` and `1_Pooling/config.json`) with
    /// the default [`EncoderConfig`].
    pub fn load(dir: &Path) -> Result<Self, LlmError> {
        Self::load_with(dir, &EncoderConfig::default())
    }

    /// Loads a model directory (see [`load`](Self::load)) with the given threads, batch size
    /// and cache.
    pub fn load_with(dir: &Path, config: &EncoderConfig) -> Result<Self, LlmError> {
        let started = Instant::now();
        for file in ["config.json", "tokenizer.json", "model.safetensors"] {
            let path = dir.join(file);
            if !path.is_file() {
                return Err(LlmError::NotInstalled {
                    name: catalog_name(dir).to_string(),
                    path,
                });
            }
        }

        let bert_config: BertConfig = read_json(&dir.join("config.json"))?;
        let dim = bert_config.hidden_size;
        // sentence-transformers truncates at max_seq_length (256 here), not at the 512 positions
        // BERT has; a model without the file gets BERT's limit.
        let max_seq_length = match read_optional_json(&dir.join("sentence_bert_config.json"))? {
            Some(v) => v
                .get("max_seq_length")
                .and_then(serde_json::Value::as_u64)
                .map(|n| n as usize)
                .unwrap_or(bert_config.max_position_embeddings),
            None => bert_config.max_position_embeddings,
        }
        .min(bert_config.max_position_embeddings);
        let pooling = read_pooling(&dir.join("1_Pooling").join("config.json"))?;

        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| e.to_string())
            .map_err(local("reading tokenizer.json"))?;
        // The shipped tokenizer.json pads every input to 128 tokens and truncates at 128; pad
        // per batch ourselves (longest in batch) and truncate where sentence-transformers does.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length: max_seq_length,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|e| e.to_string())
            .map_err(local("setting truncation"))?;

        let weights_path = dir.join("model.safetensors");
        let weights = std::fs::read(&weights_path)
            .map_err(|e| e.to_string())
            .map_err(local(&format!("reading {}", weights_path.display())))?;
        // Read into memory rather than mmap: 90 MB is cheap, and mmap is `unsafe` (the file must
        // not change under us).
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
            .map_err(candle_err)?;
        let model = BertModel::load(vb, &bert_config)
            .map_err(|e| e.to_string())
            .map_err(local(&format!(
                "loading BERT weights from {}",
                weights_path.display()
            )))?;

        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(config.threads.max(1))
            .thread_name(|i| format!("rampart-encoder-{i}"))
            .build()
            .map_err(|e| e.to_string())
            .map_err(local("starting the compute threads"))?;
        let cache = (config.cache_capacity > 0)
            .then(|| Mutex::new(EmbeddingCache::new(config.cache_capacity)));

        tracing::debug!(
            dir = %dir.display(),
            dim,
            max_seq_length,
            threads = config.threads.max(1),
            load_ms = started.elapsed().as_secs_f64() * 1e3,
            "sentence encoder loaded"
        );
        Ok(Self {
            model,
            tokenizer,
            pool,
            pooling,
            dim,
            max_seq_length,
            batch_size: config.batch_size.max(1),
            cache,
            dir: dir.to_path_buf(),
        })
    }

    /// Length of the embeddings (384 for all-MiniLM-L6-v2).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Tokens (with `[CLS]` and `[SEP]`) the encoder reads of a text; the rest is ignored.
    pub fn max_seq_length(&self) -> usize {
        self.max_seq_length
    }

    /// Tokens the encoder reads of `text`, `[CLS]` and `[SEP]` included: at most
    /// [`max_seq_length`](Self::max_seq_length); a text that reaches it was (or just fits
    /// without being) truncated.
    pub fn token_count(&self, text: &str) -> Result<usize, LlmError> {
        Ok(self.token_ids(text)?.len())
    }

    /// The model directory this encoder was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Embeds texts: one L2-normalised vector of [`dim`](Self::dim) floats per text, in order.
    ///
    /// Texts are batched internally, so one call with many texts is much faster than many calls
    /// with one. Empty texts are fine (they embed `[CLS] [SEP]`), and texts longer than
    /// [`max_seq_length`](Self::max_seq_length) tokens are truncated. Blocking: from async code
    /// use `spawn_blocking`.
    pub fn encode<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>, LlmError> {
        let mut out: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
        let keys: Vec<[u8; 16]> = texts.iter().map(|t| cache_key(t.as_ref())).collect();
        if let Some(cache) = &self.cache {
            let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
            for (slot, key) in out.iter_mut().zip(&keys) {
                *slot = cache.get(key);
            }
        }
        // Each distinct text that missed the cache is encoded once, however often it appears.
        let mut first_of: HashMap<[u8; 16], usize> = HashMap::new();
        let mut todo: Vec<usize> = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            if out[i].is_none() && !first_of.contains_key(key) {
                first_of.insert(*key, i);
                todo.push(i);
            }
        }

        if !todo.is_empty() {
            let todo_texts: Vec<&str> = todo.iter().map(|&i| texts[i].as_ref()).collect();
            let vectors = self.on_pool(|| self.encode_uncached(&todo_texts))?;
            let mut cache = self
                .cache
                .as_ref()
                .map(|c| c.lock().unwrap_or_else(|e| e.into_inner()));
            for (&i, v) in todo.iter().zip(vectors) {
                if let Some(cache) = cache.as_mut() {
                    cache.insert(keys[i], &v);
                }
                out[i] = Some(v);
            }
        }
        // Duplicates of a text encoded in this call take its first occurrence's vector.
        for i in 0..out.len() {
            if out[i].is_none() {
                out[i] = first_of.get(&keys[i]).and_then(|&f| out[f].clone());
            }
        }
        out.into_iter().collect::<Option<Vec<_>>>().ok_or_else(|| {
            LlmError::Local("sentence encoder: internal error: a text was left unencoded".into())
        })
    }

    /// Runs `f` on the encoder's pool. Called from a worker of another rayon pool (a caller's
    /// `par_iter`), `install` would let that worker run other jobs of its own pool while it
    /// waits: each of them may call the encoder again and wait in turn, one stack frame on top of
    /// the other, until the stack overflows. A plain thread that only waits avoids that.
    fn on_pool<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        let foreign_worker =
            rayon::current_thread_index().is_some() && self.pool.current_thread_index().is_none();
        if foreign_worker {
            std::thread::scope(|s| {
                s.spawn(|| self.pool.install(f))
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        } else {
            self.pool.install(f)
        }
    }

    /// Embeds one text; see [`encode`](Self::encode).
    pub fn encode_one(&self, text: &str) -> Result<Vec<f32>, LlmError> {
        Ok(self.encode(&[text])?.pop().unwrap_or_default())
    }

    /// Tokenizes, sorts by length, and runs the batches. Runs on the encoder's pool.
    fn encode_uncached(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, LlmError> {
        let mut encoded: Vec<(usize, Vec<u32>)> = Vec::with_capacity(texts.len());
        for (i, text) in texts.iter().enumerate() {
            encoded.push((i, self.token_ids(text)?));
        }
        // Sorting by length means each batch pads to a length close to its own texts'; with
        // mixed lengths this is worth more than the batching itself.
        encoded.sort_by_key(|(_, ids)| ids.len());

        let mut vectors: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        let mut start = 0;
        while start < encoded.len() {
            // Grow the batch while it stays within the count and padded-token budgets; sorted
            // ascending, the last text added is the longest.
            let mut end = start + 1;
            while end < encoded.len()
                && end - start < self.batch_size
                && (end - start + 1) * encoded[end].1.len() <= MAX_BATCH_TOKENS
            {
                end += 1;
            }
            let batch = &encoded[start..end];
            let ids: Vec<&[u32]> = batch.iter().map(|(_, ids)| ids.as_slice()).collect();
            for ((i, _), v) in batch.iter().zip(self.forward(&ids)?) {
                vectors[*i] = v;
            }
            start = end;
        }
        Ok(vectors)
    }

    /// Token ids of a text with `[CLS]`/`[SEP]`, truncated to `max_seq_length`.
    fn token_ids(&self, text: &str) -> Result<Vec<u32>, LlmError> {
        let tokenize = |t: &str| {
            self.tokenizer
                .encode(t, true)
                .map(|e| e.get_ids().to_vec())
                .map_err(|e| e.to_string())
                .map_err(local("tokenizing"))
        };
        let head = head_for_tokenizing(text, self.max_seq_length * BYTES_PER_TOKEN_BOUND);
        if head.len() < text.len() {
            let ids = tokenize(head)?;
            // The head filled the window, so the whole text would have given these same tokens.
            if ids.len() >= self.max_seq_length {
                return Ok(ids);
            }
        }
        tokenize(text)
    }

    /// One forward pass: right-padded ids → pooled, normalised vectors.
    fn forward(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>, LlmError> {
        let rows = batch.len();
        let len = batch.iter().map(|ids| ids.len()).max().unwrap_or(0).max(1);
        let mut ids = vec![0u32; rows * len];
        let mut mask = vec![0u32; rows * len];
        for (r, row) in batch.iter().enumerate() {
            ids[r * len..r * len + row.len()].copy_from_slice(row);
            mask[r * len..r * len + row.len()].fill(1);
        }
        let device = &Device::Cpu;
        let ids = Tensor::from_vec(ids, (rows, len), device).map_err(candle_err)?;
        let mask = Tensor::from_vec(mask, (rows, len), device).map_err(candle_err)?;
        let token_types = ids.zeros_like().map_err(candle_err)?;
        let hidden = self
            .model
            .forward(&ids, &token_types, Some(&mask))
            .map_err(candle_err)?;
        let pooled = match self.pooling {
            Pooling::Cls => hidden.i((.., 0)).map_err(candle_err)?,
            Pooling::Mean => mean_pool(&hidden, &mask).map_err(candle_err)?,
        };
        let mut vectors = pooled.to_vec2::<f32>().map_err(candle_err)?;
        for v in &mut vectors {
            normalize(v);
        }
        Ok(vectors)
    }
}

/// The average of each row's real token vectors: padding has mask 0 and adds nothing.
fn mean_pool(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (rows, len, 1)
    let summed = hidden.broadcast_mul(&mask)?.sum(1)?; // (rows, dim)
    let counts = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?; // (rows, 1)
    summed.broadcast_div(&counts)
}

fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    // sentence-transformers divides by max(norm, 1e-12): a zero vector stays zero.
    let norm = norm.max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
}

/// Cosine similarity of two vectors (for the encoder's unit vectors, their dot product). 0 when
/// either is all zeros or the lengths differ.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    dot / (na.sqrt() * nb.sqrt())
}

/// The prefix of `text` that is enough to tokenize when it is longer than `limit` bytes: cut at
/// the last ASCII space, tab or newline before `limit`. BERT splits words at those characters and
/// tokens never span them, so the head's tokens are a prefix of the whole text's; the caller
/// falls back to the whole text when the head does not fill the window.
fn head_for_tokenizing(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match text[..end].rfind([' ', '\t', '\n', '\r']) {
        Some(cut) if cut > 0 => &text[..cut],
        _ => text,
    }
}

/// The catalog name of a model directory, for the "run `rampart models fetch …`" hint; the
/// default encoder when the directory is not a catalog one.
fn catalog_name(dir: &Path) -> &'static str {
    dir.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| catalog::spec(n).ok())
        .filter(|s| s.kind == catalog::ModelKind::Encoder)
        .map_or(catalog::MINILM.name, |s| s.name)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, LlmError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .map_err(local(&format!("reading {}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| e.to_string())
        .map_err(local(&format!("parsing {}", path.display())))
}

fn read_optional_json(path: &Path) -> Result<Option<serde_json::Value>, LlmError> {
    if path.is_file() {
        read_json(path).map(Some)
    } else {
        Ok(None)
    }
}

/// Mean pooling unless the model's pooling config asks for `[CLS]`; other modes are refused
/// rather than silently giving vectors unlike sentence-transformers'.
fn read_pooling(path: &Path) -> Result<Pooling, LlmError> {
    let Some(config) = read_optional_json(path)? else {
        return Ok(Pooling::Mean);
    };
    let on = |key: &str| config.get(key).and_then(serde_json::Value::as_bool) == Some(true);
    if on("pooling_mode_mean_tokens") {
        Ok(Pooling::Mean)
    } else if on("pooling_mode_cls_token") {
        Ok(Pooling::Cls)
    } else {
        Err(LlmError::Local(format!(
            "sentence encoder: {} asks for a pooling mode other than mean or CLS, which rampart \
             does not implement; use a mean- or CLS-pooled sentence-transformers model",
            path.display()
        )))
    }
}

/// 128 bits of SHA-256: a collision-resistant key, so an attacker cannot craft a text that is
/// answered with another text's cached embedding.
fn cache_key(text: &str) -> [u8; 16] {
    let digest = Sha256::digest(text.as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// A bounded map from text hash to embedding that forgets the least recently used quarter when
/// full (evicting in bulk keeps inserts amortised O(1) without a linked list).
struct EmbeddingCache {
    map: HashMap<[u8; 16], (Vec<f32>, u64)>,
    capacity: usize,
    clock: u64,
}

impl EmbeddingCache {
    fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::new(),
            capacity,
            clock: 0,
        }
    }

    fn get(&mut self, key: &[u8; 16]) -> Option<Vec<f32>> {
        self.clock += 1;
        let clock = self.clock;
        self.map.get_mut(key).map(|(v, used)| {
            *used = clock;
            v.clone()
        })
    }

    fn insert(&mut self, key: [u8; 16], value: &[f32]) {
        if self.map.len() >= self.capacity && !self.map.contains_key(&key) {
            let mut ages: Vec<u64> = self.map.values().map(|(_, used)| *used).collect();
            let evict = (self.capacity / 4).max(1).min(ages.len());
            let (_, cutoff, _) = ages.select_nth_unstable(evict - 1);
            let cutoff = *cutoff;
            self.map.retain(|_, (_, used)| *used > cutoff);
        }
        self.clock += 1;
        self.map.insert(key, (value.to_vec(), self.clock));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_simple_vectors() {
        assert!((cosine(&[1.0, 0.0], &[1.0, 0.0]) - 1.0).abs() < 1e-6);
        assert!(cosine(&[1.0, 0.0], &[0.0, 2.0]).abs() < 1e-6);
        assert!((cosine(&[1.0, 1.0], &[-1.0, -1.0]) + 1.0).abs() < 1e-6);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        assert_eq!(cosine(&[1.0], &[1.0, 0.0]), 0.0);
    }

    #[test]
    fn head_cuts_at_whitespace_only_when_long() {
        assert_eq!(head_for_tokenizing("short text", 100), "short text");
        let long = "word ".repeat(100);
        let head = head_for_tokenizing(&long, 52);
        assert_eq!(head, "word ".repeat(10).trim_end());
        // No whitespace to cut at: keep everything (the tokenizer truncates).
        let blob = "x".repeat(200);
        assert_eq!(head_for_tokenizing(&blob, 50), blob);
        // Never cuts inside a multi-byte character.
        let accents = "é ".repeat(100);
        assert!(head_for_tokenizing(&accents, 51).len() <= 51);
    }

    #[test]
    fn cache_evicts_the_least_recently_used() {
        let mut cache = EmbeddingCache::new(4);
        for i in 0..4u8 {
            cache.insert([i; 16], &[f32::from(i)]);
        }
        // Touch 0 so that 1 is the oldest.
        assert_eq!(cache.get(&[0; 16]), Some(vec![0.0]));
        cache.insert([9; 16], &[9.0]);
        assert_eq!(cache.map.len(), 4);
        assert!(cache.get(&[1; 16]).is_none());
        assert!(cache.get(&[0; 16]).is_some());
        assert!(cache.get(&[9; 16]).is_some());
    }
}
