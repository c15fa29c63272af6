//! OpenSub-Slang (Sun & Hu, NAACL 2024): sentence-level slang detection.
//!
//! The dataset ships only metadata (`slang_OpenSub_meta.tsv`, `slang_OpenSub_negatives_meta.tsv`:
//! movie and sentence ids); the sentence text is rebuilt from OpenSubtitles v2018 by the
//! upstream `reconstruct_data.py`. [`load`] reads the rebuilt files and says exactly what is
//! missing when they are not there. [`scores`] gives precision, recall and F1 of the `slang`
//! judge's yes/no answers.

use std::path::{Path, PathBuf};

use rampart_core::Category;

use crate::EvalError;
use crate::runner::Record;
use crate::scores::{Score, bootstrap};
use crate::suite::Item;

/// The rebuilt slang sentences rampart reads.
pub const POSITIVES: &str = "slang_OpenSub.tsv";
/// The rebuilt non-slang sentences rampart reads.
pub const NEGATIVES: &str = "slang_OpenSub_negatives.tsv";

/// What to do when the rebuilt text is missing.
pub fn missing_text_hint(dir: &Path) -> String {
    format!(
        "OpenSub-Slang ships only metadata (slang_OpenSub_meta.tsv, slang_OpenSub_negatives_meta.tsv); \
         the sentence text is missing. rampart needs {pos} and {neg} in {dir}: tab-separated with a header, \
         the meta files' columns plus SENTENCE (the subtitle sentence; {pos} also needs SLANG_TERM and \
         ANNOTATOR_CONFIDENCE). To rebuild them, download OpenSubtitles v2018 English monolingual `en.zip` \
         from OPUS (https://opus.nlpl.eu/OpenSubtitles.php) and run `reconstruct_data.py` from \
         github.com/amazon-science/slang-llm-benchmark (Data/) over it, then save its outputs under \
         these names.",
        pos = POSITIVES,
        neg = NEGATIVES,
        dir = dir.display()
    )
}

fn tsv(file: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), EvalError> {
    let text = std::fs::read_to_string(file).map_err(|e| EvalError::io(file, e))?;
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split('\t')
        .map(|h| h.trim().to_string())
        .collect();
    let rows = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    Ok((header, rows))
}

fn col(h: &[String], name: &str, file: &Path) -> Result<usize, EvalError> {
    h.iter()
        .position(|c| c == name)
        .ok_or_else(|| EvalError::data(file, format!("no `{name}` column")))
}

fn prompt(sentence: &str) -> String {
    format!(
        "Does the following sentence from a film's subtitles contain slang? Answer yes or no.\n\nSentence: {sentence}"
    )
}

/// Sentence-level slang detection items: the slang sentences with annotator confidence ≥
/// `min_confidence` (the paper uses 2) and all non-slang sentences; reference `yes` / `no`,
/// grouped `slang` / `no_slang`, metadata `region`. `path` is the directory with the rebuilt
/// files (or its parent with `Data/`).
pub fn load_with(path: &Path, min_confidence: u32) -> Result<Vec<Item>, EvalError> {
    let dir: PathBuf = if path.join("Data").is_dir() {
        path.join("Data")
    } else {
        path.to_path_buf()
    };
    let (pos, neg) = (dir.join(POSITIVES), dir.join(NEGATIVES));
    if !pos.is_file() || !neg.is_file() {
        let missing: Vec<String> = [&pos, &neg]
            .iter()
            .filter(|f| !f.is_file())
            .map(|f| f.display().to_string())
            .collect();
        return Err(EvalError::data(
            &dir,
            format!(
                "missing {}. {}",
                missing.join(" and "),
                missing_text_hint(&dir)
            ),
        ));
    }
    let mut items = Vec::new();
    for (file, slang) in [(&pos, true), (&neg, false)] {
        let (h, rows) = tsv(file)?;
        let s = col(&h, "SENTENCE", file)?;
        let region = h.iter().position(|c| c == "REGION");
        let (term, conf) = if slang {
            (
                Some(col(&h, "SLANG_TERM", file)?),
                Some(col(&h, "ANNOTATOR_CONFIDENCE", file)?),
            )
        } else {
            (None, None)
        };
        for (i, row) in rows.iter().enumerate() {
            let get = |c: usize| row.get(c).map(|v| v.trim()).unwrap_or("");
            let sentence = get(s);
            if sentence.is_empty() {
                continue;
            }
            if let Some(c) = conf
                && get(c).parse::<u32>().unwrap_or(0) < min_confidence
            {
                continue;
            }
            let kind = if slang { "slang" } else { "no_slang" };
            let mut item = Item::prompt(
                format!("slang-{kind}-{}", i + 1),
                prompt(sentence),
                Category::Bias,
            )
            .in_group(kind)
            .with_meta("sentence", sentence)
            .with_meta("region", region.map(get).unwrap_or(""));
            if let Some(t) = term {
                item = item.with_meta("slang_term", get(t));
            }
            item.reference = Some(if slang { "yes" } else { "no" }.into());
            items.push(item);
        }
    }
    if items.is_empty() {
        return Err(EvalError::data(&dir, "no slang sentences found"));
    }
    Ok(items)
}

/// [`load_with`] at the paper's confidence ≥ 2.
pub fn load(path: &Path) -> Result<Vec<Item>, EvalError> {
    load_with(path, 2)
}

fn prf(rows: &[&(bool, bool)]) -> (f64, f64, f64) {
    let tp = rows.iter().filter(|r| r.0 && r.1).count() as f64;
    let fp = rows.iter().filter(|r| r.0 && !r.1).count() as f64;
    let fne = rows.iter().filter(|r| !r.0 && r.1).count() as f64;
    let p = tp / (tp + fp);
    let r = tp / (tp + fne);
    (p, r, 2.0 * p * r / (p + r))
}

/// Precision, recall and F1 (slang = positive) of the `slang` judge's answers against the
/// references, with bootstrap intervals; unscorable answers are left out.
pub fn scores(records: &[Record], seed: u64) -> Vec<Score> {
    let rows: Vec<(bool, bool)> = records
        .iter()
        .filter_map(|r| {
            let v = r.verdict("slang")?;
            let predicted = v.label()? == "yes";
            Some((predicted, r.item.reference.as_deref() == Some("yes")))
        })
        .collect();
    if rows.is_empty() {
        return Vec::new();
    }
    let all: Vec<&(bool, bool)> = rows.iter().collect();
    let (p, r, f) = prf(&all);
    let mut out = Vec::new();
    for (k, (name, value)) in [("precision", p), ("recall", r), ("f1", f)]
        .into_iter()
        .enumerate()
    {
        if !value.is_finite() {
            continue;
        }
        let ci = bootstrap(&rows, seed.wrapping_add(k as u64), |x| {
            let (p, r, f) = prf(x);
            [p, r, f][k]
        });
        out.push(Score {
            name: name.to_string(),
            value,
            ci95: ci,
            n: rows.len(),
        });
    }
    out
}
