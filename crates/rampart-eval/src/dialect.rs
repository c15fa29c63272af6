//! Dialect robustness: rewrite a suite's prompts into an English dialect with
//! `rampart_text::dialect` (Multi-VALUE's rules) and compare the metrics with the plain run.
//!
//! [`rewrite`] turns items into their dialect versions: the prompt (or, when the item's
//! metadata lists `rewrite` strings — FEVER's claim, BBQ's context and question — only those
//! parts of it, so that answer formats and option letters stay intact) is rewritten under a
//! seed derived from the run seed and the item id. The item keeps its id; its metadata records
//! `original_prompt`, `dialect` and the rules that fired (`dialect_rules`).
//!
//! [`deltas`] pairs a plain and a dialect run item by item and reports, per judge and label
//! (and for adherence), the share in each run and the paired difference with a seeded
//! bootstrap 95% interval.

use std::collections::{BTreeMap, BTreeSet};

pub use rampart_text::dialect::{Dialect, DialectError, dialects};
use serde::{Deserialize, Serialize};

use crate::metrics::adhered;
use crate::runner::Record;
use crate::scores::bootstrap;
use crate::suite::Item;

fn item_seed(seed: u64, id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^ seed.rotate_left(29)
}

/// Rewrites every item's prompt into `dialect` (see the module docs). Multi-turn items
/// (a `conversation`) are left unchanged and marked `dialect_skipped`.
pub fn rewrite(items: Vec<Item>, dialect: &Dialect, seed: u64) -> Vec<Item> {
    items
        .into_iter()
        .map(|mut item| {
            let Some(prompt) = item.prompt.clone().filter(|_| item.conversation.is_none()) else {
                item.metadata
                    .insert("dialect_skipped".into(), "multi-turn item".into());
                return item;
            };
            let s = item_seed(seed, &item.id);
            let parts: Vec<String> = item
                .meta("rewrite")
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .filter(|p| !p.is_empty() && prompt.contains(p.as_str()))
                        .collect()
                })
                .unwrap_or_default();
            let mut rules = BTreeSet::new();
            let new = if parts.is_empty() {
                let t = dialect.apply(&prompt, s);
                rules.extend(t.changes.iter().map(|c| c.rule));
                t.text
            } else {
                let mut p = prompt.clone();
                for (k, part) in parts.iter().enumerate() {
                    let t = dialect.apply(part, s.wrapping_add(k as u64));
                    rules.extend(t.changes.iter().map(|c| c.rule));
                    p = p.replacen(part.as_str(), &t.text, 1);
                }
                p
            };
            item.metadata
                .insert("original_prompt".into(), prompt.into());
            item.metadata
                .insert("dialect".into(), dialect.name().into());
            item.metadata.insert(
                "dialect_rules".into(),
                rules.into_iter().collect::<Vec<_>>().into(),
            );
            item.prompt = Some(new);
            item
        })
        .collect()
}

/// A metric in the plain and the dialect run, and their paired difference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// `adherence`, or `<judge>:<label>` (the share of the label among scored verdicts).
    pub metric: String,
    pub plain: f64,
    pub dialect: f64,
    /// dialect − plain.
    pub delta: f64,
    /// Paired bootstrap 95% interval of the delta (resampling items).
    pub ci95: (f64, f64),
    /// Items scored in both runs.
    pub n: usize,
}

/// Paired deltas between a plain run and its dialect rewrite (see the module docs).
pub fn deltas(
    plain: &[Record],
    dialect: &[Record],
    refusal_judge: Option<&str>,
    seed: u64,
) -> Vec<Delta> {
    let by_id: BTreeMap<&str, &Record> = dialect.iter().map(|r| (r.item.id.as_str(), r)).collect();
    let pairs: Vec<(&Record, &Record)> = plain
        .iter()
        .filter_map(|p| by_id.get(p.item.id.as_str()).map(|d| (p, *d)))
        .collect();
    // metric → per-pair (plain, dialect) values in {0, 1}.
    let mut values: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut labels: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (p, d) in &pairs {
        for r in [p, d] {
            for j in &r.judgements {
                if let Some(l) = j.verdict.label() {
                    labels
                        .entry(j.judge.clone())
                        .or_default()
                        .insert(l.to_string());
                }
            }
        }
    }
    for (p, d) in &pairs {
        if let Some(judge) = refusal_judge
            && let (Some(a), Some(b)) = (adhered(p, judge), adhered(d, judge))
        {
            values
                .entry("adherence".into())
                .or_default()
                .push((a as u8 as f64, b as u8 as f64));
        }
        for (judge, ls) in &labels {
            let (Some(a), Some(b)) = (
                p.verdict(judge).and_then(|v| v.label()),
                d.verdict(judge).and_then(|v| v.label()),
            ) else {
                continue;
            };
            for l in ls {
                values
                    .entry(format!("{judge}:{l}"))
                    .or_default()
                    .push(((a == l) as u8 as f64, (b == l) as u8 as f64));
            }
        }
    }
    values
        .into_iter()
        .enumerate()
        .map(|(i, (metric, v))| {
            let n = v.len() as f64;
            let plain = v.iter().map(|x| x.0).sum::<f64>() / n;
            let dialect = v.iter().map(|x| x.1).sum::<f64>() / n;
            let ci95 = bootstrap(&v, seed.wrapping_add(i as u64), |s| {
                s.iter().map(|x| x.1 - x.0).sum::<f64>() / s.len() as f64
            });
            Delta {
                metric,
                plain,
                dialect,
                delta: dialect - plain,
                ci95,
                n: v.len(),
            }
        })
        .collect()
}
