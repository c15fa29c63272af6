//! Evaluation: per-dataset metrics on the held-out test split (never trained on, thresholds
//! frozen on dev before any test text is scored).
//!
//! Metrics follow the protocol in the guard notes: threshold-free AUPRC next to operating-point
//! numbers at the shipped threshold (F1, recall on harmful sets, FPR on benign sets), and TPR at
//! 1% FPR for prompt attacks. Every mixed set also reports the AUPRC of a length-only scorer:
//! if text length alone separates a set, its other numbers say little.

use std::collections::BTreeMap;

use rampart_core::Role;
use rayon::prelude::*;

use super::data::{Corpus, Example, Split};
use super::{Classifier, HEAD_ATTACK, HEAD_HARMFUL, head_index};

/// Metrics of one head on one evaluation set.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EvalRow {
    /// Evaluation set (a dataset or a named combination).
    pub dataset: String,
    /// Head evaluated (`harmful`, `prompt_attack`, or a category id).
    pub head: String,
    pub positives: usize,
    pub negatives: usize,
    /// Average precision (threshold-free); mixed sets only.
    pub auprc: Option<f64>,
    /// F1 at the shipped threshold; mixed sets only.
    pub f1: Option<f64>,
    /// Share of positives at or above the shipped threshold.
    pub recall: Option<f64>,
    /// Share of negatives at or above the shipped threshold.
    pub fpr: Option<f64>,
    /// Recall at the score that flags 1% of this set's negatives; mixed sets only.
    pub tpr_at_1pct_fpr: Option<f64>,
    /// AUPRC of "longer is more positive" or "shorter is more positive", whichever is higher.
    pub length_only_auprc: Option<f64>,
    /// For obfuscated variants of a set: recall divided by the recall on the clean texts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative_recall: Option<f64>,
}

/// Average precision of scores against labels (ties broken pessimistically).
pub fn average_precision(points: &[(f32, bool)]) -> Option<f64> {
    let n_pos = points.iter().filter(|p| p.1).count();
    if n_pos == 0 || n_pos == points.len() {
        return None;
    }
    let mut s = points.to_vec();
    // Negatives first among equal scores: a constant scorer gets the base rate, not more.
    s.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let (mut tp, mut ap) = (0usize, 0f64);
    for (i, &(_, y)) in s.iter().enumerate() {
        if y {
            tp += 1;
            ap += tp as f64 / (i + 1) as f64;
        }
    }
    Some(ap / n_pos as f64)
}

/// Recall at the score threshold that flags at most `fpr` of the negatives.
pub fn tpr_at_fpr(points: &[(f32, bool)], fpr: f64) -> Option<f64> {
    let mut neg: Vec<f32> = points.iter().filter(|p| !p.1).map(|p| p.0).collect();
    let n_pos = points.len() - neg.len();
    if neg.is_empty() || n_pos == 0 {
        return None;
    }
    neg.sort_by(|a, b| b.total_cmp(a));
    let allowed = (fpr * neg.len() as f64).floor() as usize;
    let t = neg[allowed.min(neg.len() - 1)];
    let tp = points.iter().filter(|p| p.1 && p.0 > t).count();
    Some(tp as f64 / n_pos as f64)
}

/// Metrics of scored points: `points` are (calibrated probability, label) judged at
/// `threshold`; `ranks` are the same examples' calibrated logits, used for the threshold-free metrics
/// because probabilities of confident models saturate at 1.0 in f32 and would tie.
pub fn metrics(
    dataset: &str,
    head: &str,
    points: &[(f32, bool)],
    ranks: &[(f32, bool)],
    lengths: &[usize],
    threshold: f32,
) -> EvalRow {
    let pos = points.iter().filter(|p| p.1).count();
    let neg = points.len() - pos;
    let tp = points.iter().filter(|p| p.1 && p.0 >= threshold).count();
    let fp = points.iter().filter(|p| !p.1 && p.0 >= threshold).count();
    let mixed = pos > 0 && neg > 0;
    let length_only_auprc = if mixed {
        let longer: Vec<(f32, bool)> = points
            .iter()
            .zip(lengths)
            .map(|(p, &l)| (l as f32, p.1))
            .collect();
        let shorter: Vec<(f32, bool)> = longer.iter().map(|&(l, y)| (-l, y)).collect();
        match (average_precision(&longer), average_precision(&shorter)) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    } else {
        None
    };
    EvalRow {
        dataset: dataset.to_string(),
        head: head.to_string(),
        positives: pos,
        negatives: neg,
        auprc: average_precision(ranks),
        f1: mixed.then(|| 2.0 * tp as f64 / (2 * tp + fp + (pos - tp)) as f64),
        recall: (pos > 0).then(|| tp as f64 / pos as f64),
        fpr: (neg > 0).then(|| fp as f64 / neg as f64),
        tpr_at_1pct_fpr: if mixed { tpr_at_fpr(ranks, 0.01) } else { None },
        length_only_auprc,
        relative_recall: None,
    }
}

/// Scores of every test example, computed once (in parallel).
struct Scored<'a> {
    example: &'a Example,
    /// Calibrated logits (ranking scores that do not saturate).
    ranks: Vec<f32>,
    probs: Vec<f32>,
}

/// Evaluate `clf` on the corpus's test split: one row per dataset and relevant head, plus the
/// named combinations the accuracy goals are stated on.
pub fn evaluate(clf: &Classifier, corpus: &Corpus) -> Vec<EvalRow> {
    let test: Vec<&Example> = corpus
        .examples
        .iter()
        .filter(|e| e.split == Split::Test)
        .collect();
    let scored: Vec<Scored> = test
        .par_iter()
        .map(|e| {
            let j = clf.judge(&e.text, e.role);
            Scored {
                example: e,
                ranks: j.ranks,
                probs: j.probs,
            }
        })
        .collect();
    let thresholds = &clf.thresholds();
    let mut by_source: BTreeMap<&str, Vec<&Scored>> = BTreeMap::new();
    for s in &scored {
        by_source.entry(s.example.source).or_default().push(s);
    }
    let mut rows = Vec::new();
    let row_for = |name: &str,
                   head: usize,
                   items: &[&Scored],
                   filter: &dyn Fn(&Example) -> bool|
     -> Option<EvalRow> {
        let kept: Vec<&&Scored> = items
            .iter()
            .filter(|s| s.example.labels.get(head) >= 0 && filter(s.example))
            .collect();
        let label = |s: &Scored| s.example.labels.get(head) == 1;
        let pts: Vec<(f32, bool)> = kept.iter().map(|s| (s.probs[head], label(s))).collect();
        let ranks: Vec<(f32, bool)> = kept.iter().map(|s| (s.ranks[head], label(s))).collect();
        let lens: Vec<usize> = kept.iter().map(|s| s.example.text.len()).collect();
        (!pts.is_empty()).then(|| {
            metrics(
                name,
                super::HEADS[head],
                &pts,
                &ranks,
                &lens,
                thresholds[head],
            )
        })
    };
    let all = |_: &Example| true;
    for (source, items) in &by_source {
        for head in [HEAD_HARMFUL, HEAD_ATTACK] {
            if let Some(r) = row_for(source, head, items, &all) {
                rows.push(r);
            }
        }
        if *source == "davidson" {
            for c in ["toxicity", "hate"] {
                let h = head_index(c).expect("head exists");
                if let Some(r) = row_for("davidson", h, items, &all) {
                    rows.push(r);
                }
            }
        }
    }
    // Named combinations behind the accuracy goals.
    let pick = |names: &[&str]| -> Vec<&Scored> {
        scored
            .iter()
            .filter(|s| names.contains(&s.example.source))
            .collect()
    };
    let hb_ab = pick(&["harmbench_test", "advbench"]);
    if let Some(r) = row_for("harmbench_test+advbench", HEAD_HARMFUL, &hb_ab, &all) {
        rows.push(r);
    }
    let no_copyright = |e: &Example| {
        e.labels
            .get(head_index("intellectual_property").expect("head exists"))
            != 1
    };
    if let Some(r) = row_for(
        "harmbench_test+advbench (no copyright)",
        HEAD_HARMFUL,
        &hb_ab,
        &no_copyright,
    ) {
        rows.push(r);
    }
    // Per-category recall of the overall harmful head on the sets that name categories.
    for source in ["harmbench_test", "strongreject"] {
        let items = pick(&[source]);
        for c in super::HEADS[super::FIRST_CATEGORY_HEAD..].iter() {
            let h = head_index(c).expect("head exists");
            let in_cat = |e: &Example| e.labels.get(h) == 1;
            if items.iter().any(|s| in_cat(s.example))
                && let Some(r) = row_for(&format!("{source} [{c}]"), HEAD_HARMFUL, &items, &in_cat)
            {
                rows.push(r);
            }
        }
    }
    // Category attribution: on held-out prompts labelled with one category, how often the
    // highest category head is that category (shown in the recall column).
    let labelled: Vec<(&Scored, usize)> = pick(&["harmbench_test", "strongreject"])
        .into_iter()
        .filter_map(|s| {
            let mut cats = (super::FIRST_CATEGORY_HEAD..super::HEADS.len())
                .filter(|&h| s.example.labels.get(h) == 1);
            match (cats.next(), cats.next()) {
                (Some(h), None) => Some((s, h)),
                _ => None,
            }
        })
        .collect();
    if !labelled.is_empty() {
        let top = |s: &Scored| {
            (super::FIRST_CATEGORY_HEAD..super::HEADS.len())
                .max_by(|&a, &b| s.probs[a].total_cmp(&s.probs[b]))
                .expect("category heads exist")
        };
        let right = labelled.iter().filter(|(s, h)| top(s) == *h).count();
        rows.push(EvalRow {
            dataset: "harmbench_test+strongreject: top category = labelled category".into(),
            head: "categories".into(),
            positives: labelled.len(),
            negatives: 0,
            auprc: None,
            f1: None,
            recall: Some(right as f64 / labelled.len() as f64),
            fpr: None,
            tpr_at_1pct_fpr: None,
            length_only_auprc: None,
            relative_recall: None,
        });
    }
    // Prompt attacks: held-out injections against benign documents and instructions.
    let direct_neg = |e: &Example| e.role == Role::User;
    let tt = pick(&[
        "tensor_trust_hijacking",
        "tensor_trust_extraction",
        "alpaca_test",
        "trustllm_advinstruction",
    ]);
    if let Some(r) = row_for(
        "tensor_trust vs benign instructions",
        HEAD_ATTACK,
        &tt,
        &direct_neg,
    ) {
        rows.push(r);
    }
    let all_pi = pick(&[
        "tensor_trust_hijacking",
        "tensor_trust_extraction",
        "bipia_test",
        "alpaca_test",
        "trustllm_advinstruction",
    ]);
    if let Some(r) = row_for(
        "bipia_test+tensor_trust vs benign docs+instructions",
        HEAD_ATTACK,
        &all_pi,
        &all,
    ) {
        rows.push(r);
    }
    rows.extend(obfuscation_rows(clf, &hb_ab));
    rows
}

/// Harmful recall on HarmBench test + AdvBench prompts rewritten by every obfuscation
/// `rampart_text` knows, relative to the recall on the same prompts written plainly. A sample of
/// [`OBFUSCATION_SAMPLE`] prompts keeps this to seconds.
fn obfuscation_rows(clf: &Classifier, items: &[&Scored]) -> Vec<EvalRow> {
    let threshold = clf.thresholds()[HEAD_HARMFUL];
    let step = (items.len() / OBFUSCATION_SAMPLE).max(1);
    let sample: Vec<&Scored> = items.iter().step_by(step).copied().collect();
    if sample.is_empty() {
        return Vec::new();
    }
    let clean = sample
        .iter()
        .filter(|s| s.probs[HEAD_HARMFUL] >= threshold)
        .count() as f64
        / sample.len() as f64;
    rampart_text::obfuscate::Obfuscation::catalogue()
        .par_iter()
        .map(|ob| {
            let (pts, lens): (Vec<(f32, bool)>, Vec<usize>) = sample
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let text = ob.apply(&s.example.text, i as u64);
                    let p = clf.probabilities(&text, s.example.role)[HEAD_HARMFUL];
                    ((p, true), text.len())
                })
                .unzip();
            let mut row = metrics(
                &format!("obfuscated harmbench_test+advbench [{}]", ob.id()),
                "harmful",
                &pts,
                &pts,
                &lens,
                threshold,
            );
            row.relative_recall = row
                .recall
                .map(|r| if clean > 0.0 { r / clean } else { 0.0 });
            row
        })
        .collect()
}

/// Prompts sampled for the obfuscation rows.
pub const OBFUSCATION_SAMPLE: usize = 200;

/// Render rows as a Markdown table (the model card's metrics table).
pub fn markdown_table(rows: &[EvalRow]) -> String {
    let f = |x: Option<f64>| x.map(|v| format!("{v:.3}")).unwrap_or_else(|| "–".into());
    let mut s = String::from(
        "| dataset | head | pos | neg | AUPRC | F1@thr | recall@thr | FPR@thr | TPR@1%FPR | length-only AUPRC | recall vs clean |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.dataset,
            r.head,
            r.positives,
            r.negatives,
            f(r.auprc),
            f(r.f1),
            f(r.recall),
            f(r.fpr),
            f(r.tpr_at_1pct_fpr),
            f(r.length_only_auprc),
            f(r.relative_recall)
        ));
    }
    s
}

/// Evaluate a model on the datasets under `data`, rebuilding the corpus with the seed recorded in
/// the model (so that the test split is the one it was never trained on); `seed` overrides it.
pub fn evaluate_dir(
    clf: &Classifier,
    data: &std::path::Path,
    seed: Option<u64>,
) -> Result<Vec<EvalRow>, super::ClassifierError> {
    let seed = seed
        .or_else(|| clf.header().training["seed"].as_u64())
        .unwrap_or(super::train::TrainConfig::default().seed);
    let corpus = super::data::build_corpus(data, seed)?;
    Ok(evaluate(clf, &corpus))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_precision_of_perfect_and_constant_scorers() {
        let perfect = [(0.9, true), (0.8, true), (0.1, false)];
        assert_eq!(average_precision(&perfect), Some(1.0));
        let constant = [(0.5, true), (0.5, false), (0.5, false), (0.5, true)];
        assert!(average_precision(&constant).unwrap() <= 0.5 + 1e-9);
    }

    #[test]
    fn tpr_at_fpr_counts_strictly_above_the_negative_quantile() {
        let pts = [(0.9, true), (0.4, true), (0.5, false), (0.1, false)];
        assert_eq!(tpr_at_fpr(&pts, 0.0), Some(0.5));
    }
}
