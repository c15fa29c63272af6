//! Calibration of judges against human labels: XSTest's 2,250 labelled completions
//! (`model_completions/xstest_v2_completions_*.csv`, column `final_label`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::EvalError;
use crate::judge::refusal_model::{self, Model, Sample, TrainParams};
use crate::judge::{Judge, RefusalLabel, Reply};
use crate::suite::Item;

/// One human-labelled completion.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub source: String,
    pub prompt: String,
    pub completion: String,
    pub label: RefusalLabel,
}

/// Reads XSTest's labelled completions from a CSV file or a directory of them.
pub fn read_xstest_completions(path: &Path) -> Result<Vec<Labelled>, EvalError> {
    let files: Vec<PathBuf> = if path.is_dir() {
        let dir = if path.join("model_completions").is_dir() {
            path.join("model_completions")
        } else {
            path.to_path_buf()
        };
        let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| EvalError::io(&dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    let mut out = Vec::new();
    for file in files {
        let mut rdr =
            csv::Reader::from_path(&file).map_err(|e| EvalError::data(&file, e.to_string()))?;
        let h: Vec<String> = rdr
            .headers()
            .map_err(|e| EvalError::data(&file, e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect();
        let col = |n: &str| {
            h.iter()
                .position(|c| c == n)
                .ok_or_else(|| EvalError::data(&file, format!("no `{n}` column")))
        };
        let (p, c, l) = (col("prompt")?, col("completion")?, col("final_label")?);
        let source = file
            .file_stem()
            .map(|s| s.to_string_lossy().replace("xstest_v2_completions_", ""))
            .unwrap_or_default();
        for row in rdr.records() {
            let row = row.map_err(|e| EvalError::data(&file, e.to_string()))?;
            let label = row
                .get(l)
                .and_then(RefusalLabel::parse)
                .ok_or_else(|| EvalError::data(&file, format!("unknown label {:?}", row.get(l))))?;
            out.push(Labelled {
                source: source.clone(),
                prompt: row.get(p).unwrap_or_default().to_string(),
                completion: row.get(c).unwrap_or_default().to_string(),
                label,
            });
        }
    }
    if out.is_empty() {
        return Err(EvalError::data(path, "no labelled completions found"));
    }
    Ok(out)
}

/// Agreement of a judge with human labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub judge: String,
    pub judge_version: String,
    pub n: usize,
    /// Compliance vs any refusal (comparable with XSTest's string match, 0.81–0.94).
    pub binary: f64,
    /// Exact three-way agreement.
    pub three_way: f64,
    /// Replies the judge found unscorable (counted as disagreement).
    pub unscorable: usize,
    /// human label → judge label (or `unscorable`) → count.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Binary agreement per source file (model).
    pub by_source: BTreeMap<String, f64>,
    /// Three-way agreement per source file (model).
    #[serde(default)]
    pub by_source_3way: BTreeMap<String, f64>,
}

/// Runs `judge` over the labelled completions and measures agreement.
pub async fn agreement(judge: &dyn Judge, data: &[Labelled]) -> Result<Agreement, EvalError> {
    let mut got = Vec::with_capacity(data.len());
    for (i, d) in data.iter().enumerate() {
        let item = Item::prompt(
            format!("cal-{i}"),
            d.prompt.clone(),
            rampart_core::Category::ViolentCrimes,
        );
        let v = judge
            .judge(
                &item,
                Reply {
                    text: &d.completion,
                    content_filtered: false,
                },
            )
            .await?;
        got.push(v.label().and_then(RefusalLabel::parse));
    }
    Ok(tally(judge.id(), judge.version(), data, &got))
}

/// Agreement of predicted labels (`None`: unscorable) with the human ones.
pub fn tally(
    judge: &str,
    version: &str,
    data: &[Labelled],
    predicted: &[Option<RefusalLabel>],
) -> Agreement {
    let mut confusion: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let (mut bin, mut three, mut unscorable) = (0usize, 0usize, 0usize);
    // source → (binary agreements, three-way agreements, total)
    let mut per: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for (d, got) in data.iter().zip(predicted) {
        let name = got
            .map(|g| g.id().to_string())
            .unwrap_or_else(|| "unscorable".into());
        *confusion
            .entry(d.label.id().to_string())
            .or_default()
            .entry(name)
            .or_default() += 1;
        let e = per.entry(d.source.clone()).or_default();
        e.2 += 1;
        match got {
            None => unscorable += 1,
            Some(g) => {
                if *g == d.label {
                    three += 1;
                    e.1 += 1;
                }
                if g.is_refusal() == d.label.is_refusal() {
                    bin += 1;
                    e.0 += 1;
                }
            }
        }
    }
    let n = data.len().max(1);
    Agreement {
        judge: judge.to_string(),
        judge_version: version.to_string(),
        n: data.len(),
        binary: bin as f64 / n as f64,
        three_way: three as f64 / n as f64,
        unscorable,
        confusion,
        by_source: per
            .iter()
            .map(|(k, (a, _, t))| (k.clone(), *a as f64 / *t as f64))
            .collect(),
        by_source_3way: per
            .iter()
            .map(|(k, (_, b, t))| (k.clone(), *b as f64 / *t as f64))
            .collect(),
    }
}

fn samples(data: &[Labelled]) -> Vec<Sample> {
    data.iter()
        .map(|d| Sample::new(&d.source, &d.prompt, &d.completion, d.label))
        .collect()
}

/// Trains the learned refusal judge's model on labelled completions (what the shipped weights
/// are: [`train_refusal_model`] over all of XSTest's 2,250 with the default parameters).
pub fn train_refusal_model(data: &[Labelled], params: &TrainParams) -> Model {
    refusal_model::train_samples(&samples(data), params)
}

/// Held-out agreement of the learned refusal judge, never in-sample: for each source (model),
/// a model trained on the other sources' completions judges it (leave one model out). With
/// `prompt_folds` > 1 the test prompts are held out of training as well (see
/// [`refusal_model::cross_validate`]). Needs at least two sources.
pub fn refusal_cross_validation(
    data: &[Labelled],
    params: &TrainParams,
    prompt_folds: usize,
) -> Result<Agreement, EvalError> {
    let sources: std::collections::BTreeSet<&str> =
        data.iter().map(|d| d.source.as_str()).collect();
    if sources.len() < 2 {
        return Err(EvalError::Invalid(format!(
            "leave-one-model-out cross-validation needs completions of at least two models (files), found {}",
            sources.len()
        )));
    }
    let predicted = refusal_model::cross_validate(&samples(data), params, prompt_folds);
    let got: Vec<Option<RefusalLabel>> = data
        .iter()
        .zip(predicted)
        .map(|(d, p)| crate::judge::refusal_is_scorable(&d.completion).then_some(p))
        .collect();
    let version = if prompt_folds > 1 {
        format!("lr-1, held out: leave one model out, prompts in {prompt_folds} folds")
    } else {
        "lr-1, held out: leave one model out".to_string()
    };
    Ok(tally("refusal", &version, data, &got))
}
