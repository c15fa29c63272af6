//! The semantic tier: a nearest-neighbour vote over all-MiniLM-L6-v2 sentence embeddings of
//! rampart's labelled training prompts, which the fast tier escalates to when it is not sure that
//! a prompt is harmless.
//!
//! Why a vote and not a trained head: a linear head over mean-pooled MiniLM embeddings learned
//! what the lexical tier learns ("alarming words mean harmful"; `examples/encoder_probe.rs`),
//! while the encoder's neighbourhoods are topical: "How can I eliminate clutter in my apartment?"
//! sits among household requests, "How can we eradicate poverty?" among policy questions,
//! whatever their verbs. Where the nearest training prompts are harmful too (about half of the
//! vote for "How can I cut an onion without crying?"), the vote does not help.
//!
//! The vote of the `k` most similar training prompts (weighted by similarity⁴, harmful prompts
//! up-weighted by √(benign / harmful) for class balance) is blended with the fast tier in logit
//! space, `z = (1 − w)·logit(p_fast) + w·logit(vote)`, and `z` is Platt-calibrated.
//!
//! Only prompts (roles `user` and `system`) whose fast `harmful` probability reaches
//! [`SemanticConfig::escalate_at`] are escalated: about one benign request in twenty, at 15–50 ms
//! of encoder time each on one core, while the rest keep the fast tier's sub-millisecond cost.
//! The escalated text is the reading the fast tier found most harmful (a decoded base64 payload,
//! not the base64), cut to [`SemanticConfig::max_query_bytes`].
//!
//! The bank is built by `rampart guard train` ([`build`]): every pooled training prompt with a
//! harm label, capped per dataset. Its calibration is cross-fitted like the fast tier's: a pooled
//! prompt in fold `m` is voted on by the bank without fold `m` and scored by the fast member that
//! never trained on it; the dev-only sets by everything. The committed bank
//! (`models/guard/guard-semantic.bin`) is embedded in the library ([`SemanticBank::embedded`]);
//! the encoder is fetched with `rampart models fetch all-minilm-l6-v2`.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rampart_core::Role;
use rampart_llm::SentenceEncoder;
use sha2::{Digest, Sha256};

use super::ClassifierError;
use super::HEAD_HARMFUL;
use super::data::{Corpus, Example};
use super::model::Platt;
use super::train::{fit_platt, threshold_max_f1};

/// File name of the bank inside a model directory.
pub const SEMANTIC_FILE: &str = "guard-semantic.bin";

/// The committed bank (`models/guard/guard-semantic.bin`).
pub static DEFAULT_BANK_BYTES: &[u8] =
    include_bytes!("../../../../models/guard/guard-semantic.bin");

/// The sentence encoder the bank was embedded with (a `rampart models fetch` name).
pub const ENCODER: &str = "all-minilm-l6-v2";

const MAGIC: &[u8; 8] = b"RAMPARTS";
const FORMAT_VERSION: u32 = 1;

/// Settings of the tier, fixed when the bank is built and recorded in its header.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SemanticConfig {
    /// Neighbours that vote.
    pub k: usize,
    /// Weight of the vote's logit in the blend (the fast tier gets `1 − weight`).
    pub weight: f32,
    /// Fast `harmful` probability from which a prompt is escalated.
    pub escalate_at: f32,
    /// Bytes of the escalated text given to the encoder (a bound on its cost). 256 (about 55
    /// tokens) keeps one escalation near 40 ms on a busy core; 512 bought 0.8 points of held-out
    /// harmful recall for about twice the time.
    pub max_query_bytes: usize,
    /// Training prompts per dataset in the bank (the first ones in corpus order).
    pub per_source: usize,
}

impl SemanticConfig {
    /// The text the encoder sees: at most `max_query_bytes`, cut on a character boundary.
    pub fn query<'t>(&self, text: &'t str) -> &'t str {
        let mut end = text.len().min(self.max_query_bytes);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        &text[..end]
    }
}

impl Default for SemanticConfig {
    fn default() -> Self {
        SemanticConfig {
            k: 10,
            weight: 0.7,
            escalate_at: 0.05,
            max_query_bytes: 256,
            per_source: 3000,
        }
    }
}

/// The bank's header: settings, calibration of the blended score, and its threshold.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BankHeader {
    pub encoder: String,
    pub dim: usize,
    pub entries: usize,
    #[serde(flatten)]
    pub config: SemanticConfig,
    /// Platt scaling of the blended logit `z`.
    pub calibration: Platt,
    /// Decision threshold on the calibrated blended probability (replaces the fast tier's
    /// `harmful` threshold when the tier is on).
    pub threshold: f32,
    /// Counts and settings of the build.
    #[serde(default)]
    pub training: serde_json::Value,
}

/// Labelled embeddings: one 8-bit vector (scaled to its largest component) per training prompt.
#[derive(Debug, Clone)]
pub struct SemanticBank {
    header: BankHeader,
    vectors: Vec<i8>,
    scales: Vec<f32>,
    harmful: Vec<bool>,
    /// Vote weight of a harmful neighbour (benign ones weigh 1).
    harmful_weight: f32,
}

/// A unit vector as 8-bit integers and the scale that restores it.
fn quantize(v: &[f32]) -> (Vec<i8>, f32) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs())) / norm;
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    let q = v
        .iter()
        .map(|x| (x / norm / scale).round().clamp(-127.0, 127.0) as i8)
        .collect();
    (q, scale)
}

fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    // i16 products summed in i32 chunks: the compiler vectorises this to pmaddwd.
    a.iter().zip(b).map(|(&x, &y)| x as i32 * y as i32).sum()
}

fn logit(p: f32) -> f32 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

impl SemanticBank {
    /// The committed bank, parsed once per process and shared.
    pub fn embedded() -> Result<Arc<SemanticBank>, ClassifierError> {
        static BANK: OnceLock<Result<Arc<SemanticBank>, String>> = OnceLock::new();
        BANK.get_or_init(|| {
            SemanticBank::from_bytes(DEFAULT_BANK_BYTES)
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(ClassifierError::InvalidModel)
    }

    fn new(
        header: BankHeader,
        vectors: Vec<i8>,
        scales: Vec<f32>,
        harmful: Vec<bool>,
    ) -> SemanticBank {
        let pos = harmful.iter().filter(|&&h| h).count().max(1);
        let neg = (harmful.len() - pos.min(harmful.len())).max(1);
        SemanticBank {
            header,
            vectors,
            scales,
            harmful,
            harmful_weight: (neg as f32 / pos as f32).sqrt(),
        }
    }

    pub fn header(&self) -> &BankHeader {
        &self.header
    }

    pub fn len(&self) -> usize {
        self.harmful.len()
    }

    pub fn is_empty(&self) -> bool {
        self.harmful.is_empty()
    }

    /// Entries labelled harmful.
    pub fn harmful_entries(&self) -> usize {
        self.harmful.iter().filter(|&&h| h).count()
    }

    /// Harm-weighted share of the `k` nearest entries' similarity⁴ (0 = every neighbour is
    /// benign); `skip(i)` leaves entry `i` out (cross-fitting).
    pub fn vote_excluding(&self, embedding: &[f32], skip: impl Fn(usize) -> bool) -> f32 {
        let dim = self.header.dim;
        if embedding.len() != dim || self.is_empty() {
            return 0.0;
        }
        let (q, qs) = quantize(embedding);
        let k = self.header.config.k.max(1);
        // The k best (similarity, harmful) seen so far, unordered; k is small.
        let mut best: Vec<(f32, bool)> = Vec::with_capacity(k + 1);
        let mut floor = f32::NEG_INFINITY;
        for (i, row) in self.vectors.chunks_exact(dim).enumerate() {
            if skip(i) {
                continue;
            }
            let s = dot_i8(row, &q) as f32 * self.scales[i] * qs;
            if best.len() < k {
                best.push((s, self.harmful[i]));
                if best.len() == k {
                    floor = best.iter().fold(f32::INFINITY, |m, b| m.min(b.0));
                }
            } else if s > floor {
                let at = best
                    .iter()
                    .position(|b| b.0 == floor)
                    .expect("the floor is one of the k best");
                best[at] = (s, self.harmful[i]);
                floor = best.iter().fold(f32::INFINITY, |m, b| m.min(b.0));
            }
        }
        let (mut h, mut t) = (0f32, 0f32);
        for (s, harmful) in best {
            let w = s.max(0.0).powi(4) * if harmful { self.harmful_weight } else { 1.0 };
            t += w;
            if harmful {
                h += w;
            }
        }
        if t > 0.0 { h / t } else { 0.0 }
    }

    /// [`SemanticBank::vote_excluding`] over the whole bank.
    pub fn vote(&self, embedding: &[f32]) -> f32 {
        self.vote_excluding(embedding, |_| false)
    }

    /// The blended logit of a fast probability and a vote.
    pub fn blend(&self, fast_harmful: f32, vote: f32) -> f32 {
        let w = self.header.config.weight;
        (1.0 - w) * logit(fast_harmful) + w * logit(vote)
    }

    /// Whether a text with this fast probability and role goes to the semantic tier.
    pub fn escalates(&self, fast_harmful: f32, role: Role) -> bool {
        matches!(role, Role::User | Role::System) && fast_harmful >= self.header.config.escalate_at
    }

    /// The text the encoder sees (see [`SemanticConfig::query`]).
    pub fn query<'t>(&self, text: &'t str) -> &'t str {
        self.header.config.query(text)
    }

    /// File bytes: magic, format version, header length and JSON header, the 8-bit vectors, one
    /// f32 scale and one label byte per entry, and a SHA-256 of everything before it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.header).expect("bank header serialises");
        let mut out = Vec::with_capacity(self.vectors.len() + 5 * self.len() + header.len() + 64);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend(self.vectors.iter().map(|&v| v as u8));
        for s in &self.scales {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out.extend(self.harmful.iter().map(|&h| h as u8));
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        out
    }

    /// Parse a bank file (see [`SemanticBank::to_bytes`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<SemanticBank, ClassifierError> {
        let bad = |why: &str| ClassifierError::InvalidModel(format!("semantic bank: {why}"));
        if bytes.len() < 16 + 32 || &bytes[..8] != MAGIC {
            return Err(bad("not a rampart semantic bank (missing RAMPARTS magic)"));
        }
        let (body, digest) = bytes.split_at(bytes.len() - 32);
        if Sha256::digest(body).as_slice() != digest {
            return Err(bad("checksum mismatch (truncated or corrupted file)"));
        }
        let version = u32::from_le_bytes(body[8..12].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(bad(&format!(
                "format version {version}, this build reads {FORMAT_VERSION}; rebuild it with `rampart guard train`"
            )));
        }
        let hlen = u32::from_le_bytes(body[12..16].try_into().expect("4 bytes")) as usize;
        let header: BankHeader = body
            .get(16..16 + hlen)
            .ok_or_else(|| bad("header runs past the end"))
            .and_then(|h| serde_json::from_slice(h).map_err(|e| bad(&e.to_string())))?;
        let n = header.entries;
        let rest = &body[16 + hlen..];
        if rest.len() != n * header.dim + 5 * n {
            return Err(bad(&format!(
                "{} bytes of entries, expected {} for {n} entries of {}",
                rest.len(),
                n * header.dim + 5 * n,
                header.dim
            )));
        }
        let (vec_bytes, rest) = rest.split_at(n * header.dim);
        let (scale_bytes, labels) = rest.split_at(4 * n);
        let vectors = vec_bytes.iter().map(|&b| b as i8).collect();
        let scales = scale_bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        let harmful = labels.iter().map(|&b| b != 0).collect();
        Ok(SemanticBank::new(header, vectors, scales, harmful))
    }

    /// Load a bank file from disk.
    pub fn load(path: &Path) -> Result<SemanticBank, ClassifierError> {
        let bytes = std::fs::read(path).map_err(|e| ClassifierError::io(path, e))?;
        SemanticBank::from_bytes(&bytes)
    }
}

/// Sentence embeddings keyed by text, kept in a file between training runs (embedding the bank
/// takes minutes; the fast tier's retraining does not change it).
pub struct EmbeddingCache {
    path: Option<std::path::PathBuf>,
    map: HashMap<String, Vec<f32>>,
}

impl EmbeddingCache {
    /// Opens (or starts) a cache file; `None` keeps embeddings in memory only.
    pub fn open(path: Option<&Path>, dim: usize) -> Result<EmbeddingCache, ClassifierError> {
        let mut map = HashMap::new();
        if let Some(p) = path
            && let Ok(mut f) = std::fs::File::open(p)
        {
            let mut buf = Vec::new();
            f.read_to_end(&mut buf)
                .map_err(|e| ClassifierError::io(p, e))?;
            // Records: u32 text length, text, dim f32. A torn last record (a killed run) is
            // dropped, not an error.
            let mut at = 0;
            while at + 4 <= buf.len() {
                let len = u32::from_le_bytes(buf[at..at + 4].try_into().expect("4 bytes")) as usize;
                let end = at + 4 + len + 4 * dim;
                if end > buf.len() {
                    break;
                }
                let Ok(text) = std::str::from_utf8(&buf[at + 4..at + 4 + len]) else {
                    break;
                };
                let v = buf[at + 4 + len..end]
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                    .collect();
                map.insert(text.to_string(), v);
                at = end;
            }
        }
        Ok(EmbeddingCache {
            path: path.map(Path::to_path_buf),
            map,
        })
    }

    /// Embeddings of `texts`, computing (and appending to the file) those not cached yet.
    pub fn embed(
        &mut self,
        encoder: &SentenceEncoder,
        texts: &[&str],
        log: &mut dyn FnMut(&str),
    ) -> Result<Vec<Vec<f32>>, ClassifierError> {
        let mut todo: Vec<&str> = texts
            .iter()
            .copied()
            .filter(|t| !self.map.contains_key(*t))
            .collect();
        todo.sort_unstable();
        todo.dedup();
        if !todo.is_empty() {
            log(&format!("embedding {} texts with {ENCODER}", todo.len()));
            let mut file = match &self.path {
                Some(p) => Some(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(p)
                        .map_err(|e| ClassifierError::io(p, e))?,
                ),
                None => None,
            };
            let started = std::time::Instant::now();
            for (i, batch) in todo.chunks(256).enumerate() {
                let vs = encoder
                    .encode(batch)
                    .map_err(|e| ClassifierError::InvalidModel(format!("{ENCODER}: {e}")))?;
                for (t, v) in batch.iter().zip(vs) {
                    if let (Some(f), Some(p)) = (file.as_mut(), self.path.as_ref()) {
                        let mut rec = Vec::with_capacity(4 + t.len() + 4 * v.len());
                        rec.extend_from_slice(&(t.len() as u32).to_le_bytes());
                        rec.extend_from_slice(t.as_bytes());
                        for x in &v {
                            rec.extend_from_slice(&x.to_le_bytes());
                        }
                        f.write_all(&rec).map_err(|e| ClassifierError::io(p, e))?;
                    }
                    self.map.insert(t.to_string(), v);
                }
                let done = ((i + 1) * 256).min(todo.len());
                log(&format!(
                    "  {done}/{} ({:.0} texts/s)",
                    todo.len(),
                    done as f64 / started.elapsed().as_secs_f64().max(1e-9)
                ));
            }
        }
        Ok(texts.iter().map(|t| self.map[*t].clone()).collect())
    }
}

/// A held-out calibration example: the example and its out-of-fold fast `harmful` probability.
pub type HeldOut<'a> = (&'a Example, f32);

/// Build the bank from the corpus the fast tier was trained on: entries, cross-fitted vote on the
/// held-out points (`held_out`, with the fold count the fast tier used), Platt scaling and the
/// threshold (best F1 with FPR ≤ `max_fpr`, like the fast tier's `harmful` head).
#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename these
pub fn build(
    corpus: &Corpus,
    held_out: &[HeldOut<'_>],
    folds: usize,
    encoder: &SentenceEncoder,
    config: SemanticConfig,
    max_fpr: f32,
    cache: &mut EmbeddingCache,
    log: &mut dyn FnMut(&str),
) -> Result<SemanticBank, ClassifierError> {
    let fold_of = |e: &Example| if folds > 1 { e.fold(folds) } else { None };
    // Entries: pooled prompts with a harm label (one network: the training split).
    let mut per_source: HashMap<&str, usize> = HashMap::new();
    let entries: Vec<&Example> = corpus
        .examples
        .iter()
        .filter(|e| {
            let pooled = if folds > 1 {
                e.fold_key.is_some()
            } else {
                e.split == super::data::Split::Train
            };
            pooled && matches!(e.role, Role::User | Role::System) && e.labels.get(HEAD_HARMFUL) >= 0
        })
        .filter(|e| {
            let n = per_source.entry(e.source).or_default();
            *n += 1;
            *n <= config.per_source
        })
        .collect();
    if entries.is_empty() {
        return Err(ClassifierError::NoData(
            "no prompts with a harm label for the semantic bank".into(),
        ));
    }
    let texts: Vec<&str> = entries.iter().map(|e| config.query(&e.text)).collect();
    let embs = cache.embed(encoder, &texts, log)?;
    let mut vectors = Vec::with_capacity(entries.len() * encoder.dim());
    let mut scales = Vec::with_capacity(entries.len());
    for v in &embs {
        let (q, s) = quantize(v);
        vectors.extend(q);
        scales.push(s);
    }
    let harmful: Vec<bool> = entries
        .iter()
        .map(|e| e.labels.get(HEAD_HARMFUL) == 1)
        .collect();
    let entry_fold: Vec<Option<usize>> = entries.iter().map(|e| fold_of(e)).collect();
    let mut bank = SemanticBank::new(
        BankHeader {
            encoder: ENCODER.into(),
            dim: encoder.dim(),
            entries: entries.len(),
            config,
            calibration: Platt::IDENTITY,
            threshold: 0.5,
            training: serde_json::Value::Null,
        },
        vectors,
        scales,
        harmful,
    );
    // Calibration: escalated held-out prompts, voted on without their own fold.
    let points: Vec<&HeldOut<'_>> = held_out
        .iter()
        .filter(|(e, _)| e.labels.get(HEAD_HARMFUL) >= 0)
        .collect();
    let escalated: Vec<&HeldOut<'_>> = points
        .iter()
        .copied()
        .filter(|(e, p)| bank.escalates(*p, e.role))
        .collect();
    log(&format!(
        "semantic bank: {} prompts ({} harmful); calibrating on {} of {} held-out texts that escalate",
        bank.len(),
        bank.harmful_entries(),
        escalated.len(),
        points.len()
    ));
    let q: Vec<&str> = escalated.iter().map(|(e, _)| bank.query(&e.text)).collect();
    let q_embs = cache.embed(encoder, &q, log)?;
    let blended: Vec<(f32, bool)> = escalated
        .iter()
        .zip(&q_embs)
        .map(|((e, p), v)| {
            let own = fold_of(e);
            let vote = bank.vote_excluding(v, |i| own.is_some() && entry_fold[i] == own);
            (bank.blend(*p, vote), e.labels.get(HEAD_HARMFUL) == 1)
        })
        .collect();
    let platt = fit_platt(&blended);
    // The threshold is chosen over every held-out point: escalated ones at their blended
    // probability, the rest at their fast probability (what the guard will compare).
    let mut all: Vec<(f32, bool)> = blended.iter().map(|&(z, y)| (platt.apply(z), y)).collect();
    all.extend(
        points
            .iter()
            .filter(|(e, p)| !bank.escalates(*p, e.role))
            .map(|(e, p)| (*p, e.labels.get(HEAD_HARMFUL) == 1)),
    );
    let threshold = threshold_max_f1(&all, max_fpr).unwrap_or(0.5);
    bank.header.calibration = platt;
    bank.header.threshold = threshold;
    bank.header.training = serde_json::json!({
        "entries_per_source": per_source
            .iter()
            .map(|(k, v)| (k.to_string(), (*v).min(config.per_source)))
            .collect::<std::collections::BTreeMap<_, _>>(),
        "calibration_points": points.len(),
        "escalated_calibration_points": escalated.len(),
        "max_fpr": max_fpr,
    });
    Ok(bank)
}

#[cfg(test)]
mod tests {
    use super::super::model::sigmoid;
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    fn bank(rows: &[(&[f32], bool)], k: usize) -> SemanticBank {
        let mut vectors = Vec::new();
        let mut scales = Vec::new();
        for (v, _) in rows {
            let (q, s) = quantize(&unit(v));
            vectors.extend(q);
            scales.push(s);
        }
        SemanticBank::new(
            BankHeader {
                encoder: ENCODER.into(),
                dim: rows[0].0.len(),
                entries: rows.len(),
                config: SemanticConfig {
                    k,
                    ..Default::default()
                },
                calibration: Platt::IDENTITY,
                threshold: 0.5,
                training: serde_json::Value::Null,
            },
            vectors,
            scales,
            rows.iter().map(|r| r.1).collect(),
        )
    }

    #[test]
    fn the_nearest_neighbours_decide_the_vote() {
        let b = bank(
            &[
                (&[1.0, 0.1, 0.0], true),
                (&[0.9, 0.2, 0.0], true),
                (&[0.0, 1.0, 0.1], false),
                (&[0.1, 0.9, 0.0], false),
                (&[0.0, 0.0, 1.0], false),
            ],
            2,
        );
        assert!(b.vote(&unit(&[1.0, 0.15, 0.0])) > 0.99);
        assert!(b.vote(&unit(&[0.05, 1.0, 0.05])) < 0.01);
        // Leaving out the two harmful entries (as cross-fitting leaves out a fold) flips it.
        assert!(b.vote_excluding(&unit(&[1.0, 0.15, 0.0]), |i| i < 2) < 0.01);
        // A wrong-sized embedding votes nothing rather than panicking.
        assert_eq!(b.vote(&[1.0, 0.0]), 0.0);
    }

    #[test]
    fn quantized_similarity_is_close_to_the_cosine() {
        let a = unit(&[0.3, -0.2, 0.9, 0.05, -0.4]);
        let c = unit(&[0.25, -0.1, 0.8, 0.2, -0.5]);
        let cos: f32 = a.iter().zip(&c).map(|(x, y)| x * y).sum();
        let (qa, sa) = quantize(&a);
        let (qc, sc) = quantize(&c);
        let approx = dot_i8(&qa, &qc) as f32 * sa * sc;
        assert!((cos - approx).abs() < 0.01, "{cos} vs {approx}");
    }

    #[test]
    fn a_bank_survives_its_file_format_and_rejects_corruption() {
        let b = bank(&[(&[1.0, 0.0], true), (&[0.0, 1.0], false)], 1);
        let bytes = b.to_bytes();
        let back = SemanticBank::from_bytes(&bytes).unwrap();
        assert_eq!(back.header, b.header);
        assert_eq!(back.vectors, b.vectors);
        assert_eq!(back.harmful, b.harmful);
        let mut bad = bytes.clone();
        bad[20] ^= 1;
        assert!(SemanticBank::from_bytes(&bad).is_err());
        assert!(SemanticBank::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(SemanticBank::from_bytes(b"RAMPARTG").is_err());
    }

    #[test]
    fn only_uncertain_prompts_escalate_and_queries_are_bounded() {
        let b = bank(&[(&[1.0, 0.0], true)], 1);
        assert!(b.escalates(0.5, Role::User));
        assert!(!b.escalates(0.01, Role::User));
        assert!(!b.escalates(0.9, Role::Assistant));
        assert!(!b.escalates(0.9, Role::Document));
        let long = "é".repeat(1000);
        let q = b.query(&long);
        assert!(q.len() <= 256 && long.starts_with(q));
    }

    #[test]
    fn the_embedding_cache_round_trips_and_drops_a_torn_record() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cache.bin");
        let mut rec = Vec::new();
        rec.extend_from_slice(&3u32.to_le_bytes());
        rec.extend_from_slice(b"abc");
        for x in [1.0f32, 2.0] {
            rec.extend_from_slice(&x.to_le_bytes());
        }
        rec.extend_from_slice(&5u32.to_le_bytes());
        rec.extend_from_slice(b"ab");
        std::fs::write(&p, &rec).unwrap();
        let c = EmbeddingCache::open(Some(&p), 2).unwrap();
        assert_eq!(c.map.len(), 1);
        assert_eq!(c.map["abc"], vec![1.0, 2.0]);
    }

    #[test]
    fn the_blend_moves_with_both_tiers() {
        let b = bank(&[(&[1.0, 0.0], true)], 1);
        assert!(b.blend(0.5, 0.9) > b.blend(0.5, 0.1));
        assert!(b.blend(0.9, 0.5) > b.blend(0.1, 0.5));
        assert!((sigmoid(b.blend(0.5, 0.5)) - 0.5).abs() < 1e-6);
    }
}
