//! rampart's own trained text classifiers: prompt attacks (jailbreak, direct and indirect prompt
//! injection) and harm (an overall `harmful` probability plus one probability per hazard
//! category), for prompts, model responses and third-party documents.
//!
//! This is the fast tier: hashed word and character n-grams into a cross-fitted ensemble of small
//! embedding-bag networks (see [`model`] and [`train::training_examples`]), well under a
//! millisecond for a short text on one core. The default weights are
//! committed under `models/guard/` and embedded in the library, so [`Classifier::embedded`] needs
//! no file and no dataset:
//!
//! ```
//! use rampart_core::Role;
//! use rampart_guard::classifier::Classifier;
//!
//! let clf = Classifier::embedded().expect("the embedded model loads");
//! let s = clf.score("How do I kill a Python process?", Role::User);
//! assert!(s.harmful < 0.5);
//! ```
//!
//! Prompts the fast tier is not sure are harmless escalate to the [`semantic`] tier when it is
//! attached ([`Classifier::with_semantic`], [`Classifier::embedded_with_semantic`],
//! [`load_tiers`]): their all-MiniLM-L6-v2 embedding is compared with rampart's labelled training
//! prompts, and the nearest ones' vote is blended into `harmful`. [`Scores::semantic`] says when
//! that happened.
//!
//! [`train`] builds a model from the public datasets ([`data`] loads them, [`dedupe`] removes
//! exact and near duplicates across splits), and [`eval`] measures it.

pub mod data;
pub mod dedupe;
pub mod eval;
pub mod features;
pub mod lookalikes;
pub mod model;
pub mod report;
mod rng;
pub mod semantic;
pub mod tasks;
pub mod train;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rampart_core::{Category, Finding, Role};

use features::RoleGroup;
use model::{Activations, Ensemble, ModelHeader};

/// Output heads, in the order the network produces them. The first four are prompt-attack heads,
/// `harmful` is "harmful in any category", and the rest are one per category id.
pub const HEADS: [&str; 20] = [
    "prompt_attack",
    "jailbreak",
    "prompt_injection",
    "indirect_injection",
    "harmful",
    "violent_crimes",
    "non_violent_crimes",
    "sex_crimes",
    "child_sexual_exploitation",
    "defamation",
    "specialized_advice",
    "privacy",
    "intellectual_property",
    "indiscriminate_weapons",
    "hate",
    "self_harm",
    "sexual_content",
    "elections",
    "code_interpreter_abuse",
    "toxicity",
];

/// Index of the `prompt_attack` head.
pub const HEAD_ATTACK: usize = 0;
/// Index of the `jailbreak` head.
pub const HEAD_JAILBREAK: usize = 1;
/// Index of the `prompt_injection` head.
pub const HEAD_INJECTION: usize = 2;
/// Index of the `indirect_injection` head.
pub const HEAD_INDIRECT: usize = 3;
/// Index of the `harmful` head.
pub const HEAD_HARMFUL: usize = 4;
/// Index of the first category head; heads from here on are [`Category`] ids.
pub const FIRST_CATEGORY_HEAD: usize = 5;

/// Index of a head by id.
pub fn head_index(id: &str) -> Option<usize> {
    HEADS.iter().position(|h| *h == id)
}

/// Detector id written into [`Finding`]s from this classifier.
pub const DETECTOR_ID: &str = "classifier.fast";

/// Inputs longer than this are scored on their first and last halves of this size only, so that a
/// multi-megabyte input costs bounded time. [`Scores::truncated`] says when that happened.
pub const MAX_SCORED_BYTES: usize = 256 * 1024;

/// The committed default weights (`models/guard/guard-fast.bin`).
pub static DEFAULT_MODEL_BYTES: &[u8] = include_bytes!("../../../../models/guard/guard-fast.bin");

/// What can go wrong loading, training or evaluating a classifier.
#[derive(Debug, thiserror::Error)]
pub enum ClassifierError {
    /// The model bytes are not a valid model for this build.
    #[error("invalid guard model: {0}")]
    InvalidModel(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A dataset file is missing or does not have the expected shape.
    #[error("dataset {path}: {message}")]
    Data { path: PathBuf, message: String },
    /// Training found nothing to learn from.
    #[error("no training data: {0}")]
    NoData(String),
}

impl ClassifierError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        ClassifierError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Whether the semantic tier runs (`[detectors.classifier] semantic = "auto" | "on" | "off"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SemanticMode {
    /// On when the all-MiniLM-L6-v2 encoder is installed, else the fast tier alone (with a note).
    #[default]
    Auto,
    /// On; a missing encoder is an error.
    On,
    /// The fast tier alone.
    Off,
}

/// The classifier a guard runs: the embedded model, or the model file at `model_path` (with the
/// `guard-semantic.bin` beside it, if any), and the semantic tier as `mode` says. The note says
/// why the semantic tier is off in `Auto` mode.
pub fn load_tiers(
    model_path: Option<&Path>,
    mode: SemanticMode,
) -> Result<(&'static Classifier, Option<String>), ClassifierError> {
    let fast_only =
        |why: Option<String>| -> Result<(&'static Classifier, Option<String>), ClassifierError> {
            let clf: &'static Classifier = match model_path {
                Some(p) => Box::leak(Box::new(Classifier::load(p)?)),
                None => Classifier::embedded()?,
            };
            Ok((clf, why))
        };
    if mode == SemanticMode::Off {
        return fast_only(None);
    }
    let tiers = match model_path {
        None => Classifier::embedded_with_semantic(),
        Some(p) => {
            let bank_path = p.with_file_name(semantic::SEMANTIC_FILE);
            if !bank_path.exists() {
                if mode == SemanticMode::On {
                    return Err(ClassifierError::InvalidModel(format!(
                        "semantic tier on, but there is no {} next to {}",
                        semantic::SEMANTIC_FILE,
                        p.display()
                    )));
                }
                return fast_only(Some(format!(
                    "semantic tier off: no {} next to {}",
                    semantic::SEMANTIC_FILE,
                    p.display()
                )));
            }
            let bank = semantic::SemanticBank::load(&bank_path)?;
            rampart_llm::SentenceEncoder::load_default()
                .map_err(|e| ClassifierError::InvalidModel(format!("semantic tier: {e}")))
                .and_then(|enc| Classifier::load(p)?.with_semantic(Arc::new(bank), Arc::new(enc)))
                .map(|c| &*Box::leak(Box::new(c)))
        }
    };
    match tiers {
        Ok(c) => Ok((c, None)),
        Err(e) if mode == SemanticMode::Auto => {
            fast_only(Some(format!("semantic tier off (fast tier alone): {e}")))
        }
        Err(e) => Err(e),
    }
}

/// Calibrated probabilities for one text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Scores {
    /// Probability that the text is a jailbreak or a prompt injection.
    pub prompt_attack: f32,
    /// Which attack it most likely is: [`Category::Jailbreak`], [`Category::PromptInjection`] or
    /// [`Category::IndirectInjection`] (always the latter for `document`/`tool` text: an
    /// instruction smuggled into third-party content is indirect by definition).
    pub attack_kind: Category,
    /// Per-kind attack probabilities (independent heads; they need not sum to `prompt_attack`).
    pub jailbreak: f32,
    pub prompt_injection: f32,
    pub indirect_injection: f32,
    /// Probability that the text is harmful in any category (request or content).
    pub harmful: f32,
    /// Probability per hazard category (and [`Category::Toxicity`]), in [`HEADS`] order.
    pub categories: Vec<(Category, f32)>,
    /// Whether the input exceeded [`MAX_SCORED_BYTES`] and only its start and end were scored.
    pub truncated: bool,
    /// When the semantic tier judged the text: the fast tier's own `harmful` probability and the
    /// nearest-neighbour vote that, blended with it, gave `harmful` (see [`semantic`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semantic: Option<SemanticScore>,
}

/// What the semantic tier contributed to one text's [`Scores`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SemanticScore {
    /// The fast tier's `harmful` probability, which escalated the text.
    pub fast_harmful: f32,
    /// Harm-weighted share of the nearest training prompts (`None` if the encoder failed, in
    /// which case `harmful` is the fast tier's).
    pub vote: Option<f32>,
    /// Why the encoder failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Scores {
    /// Probability for one category (attack kinds included), if the classifier has a head for it.
    pub fn category(&self, category: Category) -> Option<f32> {
        match category {
            Category::Jailbreak => Some(self.jailbreak),
            Category::PromptInjection => Some(self.prompt_injection),
            Category::IndirectInjection => Some(self.indirect_injection),
            c => self
                .categories
                .iter()
                .find(|(k, _)| *k == c)
                .map(|(_, p)| *p),
        }
    }
}

/// A loaded classifier: weights, calibration and shipped thresholds.
#[derive(Debug, Clone)]
pub struct Classifier {
    header: ModelHeader,
    /// The network, or networks whose logits are averaged per window.
    net: Ensemble,
    /// Category of each head from [`FIRST_CATEGORY_HEAD`] on.
    categories: Vec<Category>,
    /// The semantic tier uncertain prompts escalate to, when attached.
    semantic: Option<SemanticTier>,
}

/// A semantic bank and the encoder its queries are embedded with.
#[derive(Clone)]
struct SemanticTier {
    bank: Arc<semantic::SemanticBank>,
    encoder: Arc<rampart_llm::SentenceEncoder>,
}

impl std::fmt::Debug for SemanticTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SemanticTier")
            .field("entries", &self.bank.len())
            .finish()
    }
}

/// One text's scores from every tier: raw fast logits, final calibrated probabilities, and a
/// ranking score per head (the calibrated logit, which does not saturate like probabilities).
#[derive(Debug, Clone)]
pub struct Judged {
    pub logits: Vec<f32>,
    pub probs: Vec<f32>,
    pub ranks: Vec<f32>,
    pub truncated: bool,
    pub semantic: Option<SemanticScore>,
}

impl Classifier {
    /// The committed default model, parsed once per process.
    pub fn embedded() -> Result<&'static Classifier, ClassifierError> {
        static MODEL: OnceLock<Result<Classifier, String>> = OnceLock::new();
        MODEL
            .get_or_init(|| {
                model::from_static_bytes(DEFAULT_MODEL_BYTES)
                    .and_then(|(header, net)| Classifier::from_parts(header, net))
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| ClassifierError::InvalidModel(e.clone()))
    }

    /// Parse a model file's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Classifier, ClassifierError> {
        let (header, net) = model::from_bytes(bytes)?;
        Classifier::from_parts(header, net)
    }

    fn from_parts(header: ModelHeader, net: Ensemble) -> Result<Classifier, ClassifierError> {
        if header.heads.len() != HEADS.len() || header.heads.iter().zip(HEADS).any(|(a, b)| a != b)
        {
            return Err(ClassifierError::InvalidModel(format!(
                "model heads {:?} differ from this build's {:?}; retrain with this rampart version",
                header.heads, HEADS
            )));
        }
        let categories = HEADS[FIRST_CATEGORY_HEAD..]
            .iter()
            .map(|id| {
                id.parse::<Category>()
                    .map_err(|e| ClassifierError::InvalidModel(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Classifier {
            header,
            net,
            categories,
            semantic: None,
        })
    }

    /// This classifier with the semantic tier on: prompts whose fast `harmful` probability
    /// reaches the bank's escalation point are judged again by meaning (see [`semantic`]).
    pub fn with_semantic(
        mut self,
        bank: Arc<semantic::SemanticBank>,
        encoder: Arc<rampart_llm::SentenceEncoder>,
    ) -> Result<Classifier, ClassifierError> {
        if bank.header().dim != encoder.dim() {
            return Err(ClassifierError::InvalidModel(format!(
                "semantic bank of {}-dimensional {} embeddings, but the encoder gives {}",
                bank.header().dim,
                bank.header().encoder,
                encoder.dim()
            )));
        }
        self.semantic = Some(SemanticTier { bank, encoder });
        Ok(self)
    }

    /// Whether scoring this text would escalate it to the semantic tier (runs the fast tier
    /// only: microseconds for a short text).
    pub fn escalates(&self, text: &str, role: Role) -> bool {
        let Some(tier) = &self.semantic else {
            return false;
        };
        let (logits, _) = self.logits(text, role);
        let fast = self.header.calibration[HEAD_HARMFUL].apply(logits[HEAD_HARMFUL]);
        tier.bank.escalates(fast, role)
    }

    /// The semantic bank, when the tier is on.
    pub fn semantic_bank(&self) -> Option<&semantic::SemanticBank> {
        self.semantic.as_ref().map(|t| t.bank.as_ref())
    }

    /// The embedded model with the committed semantic bank and the installed all-MiniLM-L6-v2
    /// encoder (`rampart models fetch all-minilm-l6-v2`), loaded once per process.
    pub fn embedded_with_semantic() -> Result<&'static Classifier, ClassifierError> {
        static MODEL: OnceLock<Result<Classifier, String>> = OnceLock::new();
        MODEL
            .get_or_init(|| {
                let clf = Classifier::embedded().map_err(|e| e.to_string())?.clone();
                let bank = semantic::SemanticBank::embedded().map_err(|e| e.to_string())?;
                let encoder = rampart_llm::SentenceEncoder::load_default()
                    .map_err(|e| format!("semantic tier: {e}"))?;
                clf.with_semantic(bank, Arc::new(encoder))
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| ClassifierError::InvalidModel(e.clone()))
    }

    /// Load a model file from disk.
    pub fn load(path: &Path) -> Result<Classifier, ClassifierError> {
        let bytes = std::fs::read(path).map_err(|e| ClassifierError::io(path, e))?;
        Classifier::from_bytes(&bytes)
    }

    /// The model's header: name, dims, calibration, thresholds, training record.
    pub fn header(&self) -> &ModelHeader {
        &self.header
    }

    /// Shipped decision threshold of a head (calibrated probability), by head id. With the
    /// semantic tier on, `harmful` is judged at the bank's threshold.
    pub fn threshold(&self, head: &str) -> Option<f32> {
        head_index(head).map(|i| self.thresholds()[i])
    }

    /// Decision thresholds of every head, in [`HEADS`] order (see [`Classifier::threshold`]).
    pub fn thresholds(&self) -> Vec<f32> {
        let mut t = self.header.thresholds.clone();
        if let Some(tier) = &self.semantic {
            t[HEAD_HARMFUL] = tier.bank.header().threshold;
        }
        t
    }

    /// Raw logits per head (highest over the windows of the normalised text and of every
    /// decoded view), and whether the input was cut.
    pub fn logits(&self, text: &str, role: Role) -> (Vec<f32>, bool) {
        let (text, truncated) = bounded(text);
        (
            self.logits_of_readings(&features::readings(&text), role).0,
            truncated,
        )
    }

    /// The highest logit per head over the readings, and the reading with the highest `harmful`
    /// logit (what the semantic tier is shown).
    fn logits_of_readings(&self, readings: &[String], role: Role) -> (Vec<f32>, usize) {
        let group = RoleGroup::of(role);
        let mut best = vec![f32::NEG_INFINITY; self.net.dims.heads];
        let mut harmful_reading = 0;
        let mut act = Activations::default();
        for (r, reading) in readings.iter().enumerate() {
            let before = best[HEAD_HARMFUL];
            let tokens = features::tokenize(reading);
            let tf = features::token_features(&tokens, self.net.dims.buckets);
            let windows = features::windows(tokens.len());
            self.net
                .forward_windows(&tf, &windows, group, &mut act, |logits| {
                    for (b, &l) in best.iter_mut().zip(logits) {
                        *b = b.max(l);
                    }
                });
            if best[HEAD_HARMFUL] > before {
                harmful_reading = r;
            }
        }
        (best, harmful_reading)
    }

    /// Calibrated probability per head, in [`HEADS`] order.
    pub fn probabilities(&self, text: &str, role: Role) -> Vec<f32> {
        self.judge(text, role).probs
    }

    /// Calibrated probabilities of raw logits (as returned by [`Classifier::logits`]).
    pub fn calibrate(&self, logits: &[f32]) -> Vec<f32> {
        logits
            .iter()
            .zip(&self.header.calibration)
            .map(|(&l, c)| c.apply(l))
            .collect()
    }

    /// Score a text written by `role`.
    pub fn score(&self, text: &str, role: Role) -> Scores {
        self.scores(&self.judge(text, role), role)
    }

    /// [`Classifier::score`] of a text the caller has already normalised.
    pub fn score_normalized(
        &self,
        text: &str,
        normalized: &rampart_text::Normalized,
        role: Role,
    ) -> Scores {
        self.scores(&self.judge_normalized(text, normalized, role), role)
    }

    /// Every tier's scores for a text (see [`Judged`]).
    pub fn judge(&self, text: &str, role: Role) -> Judged {
        let (bounded_text, truncated) = bounded(text);
        let n = rampart_text::normalize(&bounded_text);
        let mut j = self.judge_inner(&n, role);
        j.truncated = truncated;
        j
    }

    /// [`Classifier::judge`] of a text the caller has already normalised.
    pub fn judge_normalized(
        &self,
        text: &str,
        normalized: &rampart_text::Normalized,
        role: Role,
    ) -> Judged {
        if text.len() > MAX_SCORED_BYTES {
            return self.judge(text, role);
        }
        self.judge_inner(normalized, role)
    }

    fn judge_inner(&self, n: &rampart_text::Normalized, role: Role) -> Judged {
        let (logits, reading) = self.logits_of_readings(&features::readings_of(n), role);
        let mut ranks: Vec<f32> = logits
            .iter()
            .zip(&self.header.calibration)
            .map(|(&l, c)| c.logit(l))
            .collect();
        let mut probs: Vec<f32> = ranks.iter().map(|&r| model::sigmoid(r)).collect();
        let mut semantic = None;
        if let Some(tier) = &self.semantic
            && tier.bank.escalates(probs[HEAD_HARMFUL], role)
        {
            let fast = probs[HEAD_HARMFUL];
            let text = match reading {
                0 => n.text.as_str(),
                r => n
                    .views
                    .get(r - 1)
                    .map_or(n.text.as_str(), |v| v.text.as_str()),
            };
            match tier.encoder.encode_one(tier.bank.query(text)) {
                Ok(v) => {
                    let vote = tier.bank.vote(&v);
                    let z = tier
                        .bank
                        .header()
                        .calibration
                        .logit(tier.bank.blend(fast, vote));
                    let p = model::sigmoid(z);
                    probs[HEAD_HARMFUL] = p;
                    ranks[HEAD_HARMFUL] = z;
                    // Category heads say which harm, given harm; when the semantic tier lowers
                    // the chance of any harm, they come down in proportion.
                    if p < fast {
                        let r = p / fast;
                        for q in &mut probs[FIRST_CATEGORY_HEAD..] {
                            *q *= r;
                        }
                    }
                    semantic = Some(SemanticScore {
                        fast_harmful: fast,
                        vote: Some(vote),
                        error: None,
                    });
                }
                Err(e) => {
                    semantic = Some(SemanticScore {
                        fast_harmful: fast,
                        vote: None,
                        error: Some(e.to_string()),
                    })
                }
            }
        }
        Judged {
            logits,
            probs,
            ranks,
            truncated: false,
            semantic,
        }
    }

    fn scores(&self, j: &Judged, role: Role) -> Scores {
        let p = &j.probs;
        let truncated = j.truncated;
        let attack_kind = if role.is_untrusted_content() {
            Category::IndirectInjection
        } else if p[HEAD_JAILBREAK] >= p[HEAD_INJECTION] {
            Category::Jailbreak
        } else {
            Category::PromptInjection
        };
        Scores {
            prompt_attack: p[HEAD_ATTACK],
            attack_kind,
            jailbreak: p[HEAD_JAILBREAK],
            prompt_injection: p[HEAD_INJECTION],
            indirect_injection: p[HEAD_INDIRECT],
            harmful: p[HEAD_HARMFUL],
            categories: self
                .categories
                .iter()
                .copied()
                .zip(p[FIRST_CATEGORY_HEAD..].iter().copied())
                .collect(),
            truncated,
            semantic: j.semantic.clone(),
        }
    }

    /// Score bytes that may not be valid UTF-8: invalid sequences become U+FFFD, which the model
    /// treats as punctuation, so the readable rest of the input is still judged.
    pub fn score_bytes(&self, bytes: &[u8], role: Role) -> Scores {
        self.score(&String::from_utf8_lossy(bytes), role)
    }

    /// Findings for every head whose probability reaches its shipped threshold: one
    /// prompt-attack finding (with the most likely kind as category) and one per harm category.
    /// When only the overall `harmful` head fires, the finding carries the most likely category.
    pub fn findings(&self, text: &str, role: Role) -> Vec<Finding> {
        let s = self.score(text, role);
        let t = &self.thresholds();
        let mut out = Vec::new();
        if s.prompt_attack >= t[HEAD_ATTACK] {
            out.push(
                Finding::new(s.attack_kind, s.prompt_attack, DETECTOR_ID)
                    .with_detail(format!("prompt_attack={:.3}", s.prompt_attack)),
            );
        }
        let mut any_category = false;
        for (i, &(c, p)) in s.categories.iter().enumerate() {
            if p >= t[FIRST_CATEGORY_HEAD + i] {
                any_category = true;
                out.push(Finding::new(c, p, DETECTOR_ID));
            }
        }
        if !any_category && s.harmful >= t[HEAD_HARMFUL] {
            let (c, p) = s.categories.iter().copied().fold(
                (Category::NonViolentCrimes, f32::MIN),
                |a, b| {
                    if b.1 > a.1 { b } else { a }
                },
            );
            out.push(Finding::new(c, s.harmful, DETECTOR_ID).with_detail(format!(
                "harmful={:.3}; most likely category {c} ({p:.3})",
                s.harmful
            )));
        }
        out
    }
}

/// The part of `text` that is scored: all of it, or its first and last `MAX_SCORED_BYTES / 2`
/// bytes (cut on character boundaries).
fn bounded(text: &str) -> (std::borrow::Cow<'_, str>, bool) {
    if text.len() <= MAX_SCORED_BYTES {
        return (std::borrow::Cow::Borrowed(text), false);
    }
    let half = MAX_SCORED_BYTES / 2;
    let mut head_end = half;
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = text.len() - half;
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    let joined = format!("{}\n{}", &text[..head_end], &text[tail_start..]);
    (std::borrow::Cow::Owned(joined), true)
}
