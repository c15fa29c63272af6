//! Denied topics described in plain language by the operator, matched by meaning with the
//! all-MiniLM-L6-v2 sentence encoder (`rampart models fetch all-minilm-l6-v2`).
//!
//! Each topic is embedded from its description and examples once; a text is embedded whole and
//! sentence by sentence (so one off-topic sentence in a long message is found), and the highest
//! cosine similarity to any topic vector is compared with the topic's threshold. Scores are
//! rescaled so that the threshold maps to 0.5, the guard's default decision point.

use std::sync::{Arc, OnceLock};

use rampart_core::{Category, Finding};
use rampart_llm::SentenceEncoder;
use serde::{Deserialize, Serialize};

use crate::{Detector, Input};

pub const DETECTOR_ID: &str = "denied_topic";

/// One `[[detectors.denied_topics]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeniedTopic {
    pub name: String,
    /// What the topic is, in a sentence.
    pub description: String,
    /// Example requests that belong to the topic (improve recall a lot).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
    /// Cosine similarity at which a text is on the topic. Default 0.4: all-MiniLM-L6-v2 gives
    /// 0.4–0.6 for on-topic requests and under 0.35 for neighbouring ones such as "What is a
    /// stock market index?" next to "investment advice".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f32>,
}

const DEFAULT_THRESHOLD: f32 = 0.4;
const MAX_SENTENCES: usize = 16;

/// The shared encoder, loaded once per process.
fn encoder() -> Result<Arc<SentenceEncoder>, String> {
    static ENC: OnceLock<Result<Arc<SentenceEncoder>, String>> = OnceLock::new();
    ENC.get_or_init(|| {
        SentenceEncoder::load_default()
            .map(Arc::new)
            .map_err(|e| e.to_string())
    })
    .clone()
}

/// Matches texts against denied topics by meaning.
pub struct TopicDetector {
    encoder: Arc<SentenceEncoder>,
    /// (topic index, embedding) for each description and example.
    vectors: Vec<(usize, Vec<f32>)>,
    topics: Vec<DeniedTopic>,
}

impl TopicDetector {
    /// Loads the encoder and embeds the topics; the error says how to fetch a missing model.
    pub fn new(topics: &[DeniedTopic]) -> Result<Self, String> {
        let encoder = encoder()?;
        let mut texts = Vec::new();
        let mut owners = Vec::new();
        for (i, t) in topics.iter().enumerate() {
            if t.description.trim().is_empty() {
                return Err(format!("topic `{}` has an empty description", t.name));
            }
            texts.push(t.description.as_str());
            owners.push(i);
            for e in &t.examples {
                texts.push(e.as_str());
                owners.push(i);
            }
        }
        let embedded = encoder.encode(&texts).map_err(|e| e.to_string())?;
        Ok(TopicDetector {
            encoder,
            vectors: owners.into_iter().zip(embedded).collect(),
            topics: topics.to_vec(),
        })
    }
}

/// Splits into sentences (crudely, on terminal punctuation and newlines), keeping the longest.
fn sentences(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = text
        .split(['.', '!', '?', '\n', '。', '！', '？'])
        .map(str::trim)
        .filter(|s| s.split_whitespace().count() >= 3)
        .collect();
    if out.len() > MAX_SENTENCES {
        out.sort_by_key(|s| std::cmp::Reverse(s.len()));
        out.truncate(MAX_SENTENCES);
    }
    out
}

impl Detector for TopicDetector {
    fn id(&self) -> &str {
        DETECTOR_ID
    }

    fn detect(&self, input: &Input<'_>) -> Vec<Finding> {
        self.try_detect(input).unwrap_or_default()
    }

    fn try_detect(&self, input: &Input<'_>) -> Result<Vec<Finding>, String> {
        let text = input.normalized.text.trim();
        if text.is_empty() || self.topics.is_empty() {
            return Ok(Vec::new());
        }
        let mut pieces = vec![text];
        let sents = sentences(text);
        if sents.len() > 1 {
            pieces.extend(sents);
        }
        let vecs = self.encoder.encode(&pieces).map_err(|e| e.to_string())?;
        let mut best = vec![f32::MIN; self.topics.len()];
        for v in &vecs {
            for (topic, tv) in &self.vectors {
                best[*topic] = best[*topic].max(rampart_llm::cosine(v, tv));
            }
        }
        Ok(best
            .iter()
            .enumerate()
            .filter_map(|(i, &cos)| {
                let t = self.topics[i].threshold.unwrap_or(DEFAULT_THRESHOLD);
                (cos >= t).then(|| {
                    let score = 0.5 + 0.5 * (cos - t) / (1.0 - t).max(1e-3);
                    Finding::new(Category::DeniedTopic, score, DETECTOR_ID).with_detail(format!(
                        "topic `{}` (similarity {cos:.2})",
                        self.topics[i].name
                    ))
                })
            })
            .collect())
    }
}
