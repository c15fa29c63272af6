//! Reports: `report.json` is the record of a run; `index.html` and `junit.xml` are rendered from
//! it alone, so `rampart eval report DIR` re-renders them without re-running anything.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::benchmark::HumanBaseline;
use crate::judge::JudgeInfo;
use crate::metrics::{Estimate, Metrics, RateSet, adhered};
use crate::suite::Bound;
use crate::{EvalError, Record};

/// The record of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Report format version.
    pub format: u32,
    pub suite: String,
    pub suite_version: String,
    pub target: String,
    pub seed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Versions of rampart and its crates that produced the run.
    pub versions: BTreeMap<String, String>,
    /// Hash of the run configuration (suite, data, target, params, judges, seed, limit).
    pub config_hash: String,
    pub config: serde_json::Value,
    pub judges: Vec<JudgeInfo>,
    pub thresholds: BTreeMap<String, Bound>,
    pub started_unix: u64,
    pub finished_unix: u64,
    pub metrics: Metrics,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<HumanBaseline>,
    /// Notes for readers (what was skipped, which judges were unavailable).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub records: Vec<Record>,
}

impl Report {
    pub const FORMAT: u32 = 1;

    /// Reads `DIR/report.json`.
    pub fn load(dir: &Path) -> Result<Report, EvalError> {
        let path = dir.join("report.json");
        let text = std::fs::read_to_string(&path).map_err(|e| EvalError::io(&path, e))?;
        serde_json::from_str(&text).map_err(|e| EvalError::data(&path, e.to_string()))
    }

    /// Writes `report.json`, `index.html` and `junit.xml` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), EvalError> {
        std::fs::create_dir_all(dir).map_err(|e| EvalError::io(dir, e))?;
        let json =
            serde_json::to_string_pretty(self).map_err(|e| EvalError::Invalid(e.to_string()))?;
        write_atomic(&dir.join("report.json"), &json)?;
        self.render(dir)
    }

    /// Writes `index.html` and `junit.xml` from this report.
    pub fn render(&self, dir: &Path) -> Result<(), EvalError> {
        write_atomic(&dir.join("index.html"), &self.html())?;
        write_atomic(&dir.join("junit.xml"), &self.junit())
    }

    /// Threshold checks: (metric, bound, value, passed); a missing metric fails.
    pub fn threshold_checks(&self) -> Vec<(String, Bound, Option<f64>, bool)> {
        self.thresholds
            .iter()
            .map(|(name, bound)| {
                let v = self.metrics.overall.get(name).map(|e| e.value);
                (name.clone(), *bound, v, v.is_some_and(|v| bound.holds(v)))
            })
            .collect()
    }

    /// JUnit XML: one test case per threshold, one per item with an expected behaviour
    /// (skipped when unscorable or errored).
    pub fn junit(&self) -> String {
        let judge = self.metrics.refusal_judge.as_deref();
        let checks = self.threshold_checks();
        let mut items = String::new();
        let (mut n_items, mut fail_items, mut skip_items) = (0, 0, 0);
        for r in &self.records {
            if r.item.expected.is_none() {
                continue;
            }
            n_items += 1;
            let name = esc(&r.item.id);
            let class = esc(&format!("{}.{}", self.suite, r.item.stratum()));
            match judge.and_then(|j| adhered(r, j)) {
                Some(true) => {
                    let _ = writeln!(
                        items,
                        r#"    <testcase name="{name}" classname="{class}"/>"#
                    );
                }
                Some(false) => {
                    fail_items += 1;
                    let why = judge
                        .and_then(|j| r.verdict(j))
                        .and_then(|v| v.label())
                        .unwrap_or("?");
                    let _ = writeln!(
                        items,
                        r#"    <testcase name="{name}" classname="{class}"><failure message="expected {:?}, judged {}"/></testcase>"#,
                        r.item.expected.unwrap(),
                        esc(why)
                    );
                }
                None => {
                    skip_items += 1;
                    let why = r.error.as_deref().unwrap_or("unscorable");
                    let _ = writeln!(
                        items,
                        r#"    <testcase name="{name}" classname="{class}"><skipped message="{}"/></testcase>"#,
                        esc(why)
                    );
                }
            }
        }
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
        let failed = checks.iter().filter(|c| !c.3).count();
        let _ = writeln!(
            out,
            r#"  <testsuite name="{}.thresholds" tests="{}" failures="{failed}">"#,
            esc(&self.suite),
            checks.len()
        );
        for (name, bound, value, ok) in &checks {
            let desc = format!(
                "{name}{}{}",
                bound.min.map(|m| format!(" >= {m}")).unwrap_or_default(),
                bound.max.map(|m| format!(" <= {m}")).unwrap_or_default()
            );
            if *ok {
                let _ = writeln!(
                    out,
                    r#"    <testcase name="{}" classname="thresholds"/>"#,
                    esc(&desc)
                );
            } else {
                let _ = writeln!(
                    out,
                    r#"    <testcase name="{}" classname="thresholds"><failure message="value {}"/></testcase>"#,
                    esc(&desc),
                    value
                        .map(|v| format!("{v:.4}"))
                        .unwrap_or_else(|| "missing".into())
                );
            }
        }
        out.push_str("  </testsuite>\n");
        let _ = writeln!(
            out,
            r#"  <testsuite name="{}.items" tests="{n_items}" failures="{fail_items}" skipped="{skip_items}">"#,
            esc(&self.suite)
        );
        out.push_str(&items);
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }

    /// The self-contained HTML page.
    pub fn html(&self) -> String {
        let mut h = String::new();
        let title = format!("rampart eval: {} on {}", self.suite, self.target);
        let _ = write!(
            h,
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{}</style></head><body>",
            esc(&title),
            CSS
        );
        let _ = write!(h, "<h1>{}</h1>", esc(&title));
        let _ = write!(
            h,
            "<p class=meta>seed {} · {} items · config {} · judges: {}</p>",
            self.seed,
            self.records.len(),
            esc(&self.config_hash[..self.config_hash.len().min(12)]),
            esc(&self
                .judges
                .iter()
                .map(|j| format!(
                    "{}@{}{}",
                    j.id,
                    j.version,
                    j.human_agreement
                        .as_ref()
                        .map(|a| format!(" (human agreement: {a})"))
                        .unwrap_or_default()
                ))
                .collect::<Vec<_>>()
                .join(", "))
        );
        for note in &self.notes {
            let _ = write!(h, "<p class=note>{}</p>", esc(note));
        }
        let checks = self.threshold_checks();
        if !checks.is_empty() {
            h.push_str("<h2>Thresholds</h2><table><tr><th>metric</th><th>bound</th><th>value</th><th></th></tr>");
            for (name, b, v, ok) in &checks {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}{}</td><td>{}</td><td class={}>{}</td></tr>",
                    esc(name),
                    b.min.map(|m| format!("≥ {m} ")).unwrap_or_default(),
                    b.max.map(|m| format!("≤ {m}")).unwrap_or_default(),
                    v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "—".into()),
                    if *ok { "pass" } else { "fail" },
                    if *ok { "pass" } else { "FAIL" }
                );
            }
            h.push_str("</table>");
        }
        let m = &self.metrics;
        if m.refusal_judge.is_some() {
            h.push_str("<h2>Overall</h2>");
            rates_table(
                &mut h,
                "",
                &BTreeMap::from([("all".to_string(), m.overall.clone())]),
            );
            h.push_str("<h2>Adherence and false refusal by group</h2>");
            h.push_str(&bars_svg(&m.by_group));
            h.push_str("<h3>By dimension</h3>");
            rates_table(&mut h, "dimension", &m.by_dimension);
            h.push_str("<h3>By category</h3>");
            rates_table(&mut h, "category", &m.by_category);
            h.push_str("<h3>By group</h3>");
            rates_table(&mut h, "group", &m.by_group);
        }
        for (judge, groups) in &m.label_rates {
            if Some(judge.as_str()) == m.refusal_judge.as_deref() && groups.len() > 1 {
                continue;
            }
            let _ = write!(h, "<h2>Labels of judge <code>{}</code></h2>", esc(judge));
            h.push_str(&label_svg(
                groups,
                self.baseline.as_ref().and_then(|b| b.rates.get(judge)),
            ));
            label_table(
                &mut h,
                groups,
                self.baseline.as_ref().and_then(|b| b.rates.get(judge)),
            );
        }
        if let Some(b) = &self.baseline {
            let _ = write!(
                h,
                "<p class=meta>Baseline (◆ in plots, last column in tables): {}</p>",
                esc(&b.source)
            );
        }
        // Worst examples: items that did not behave as expected, then flagged judgements.
        h.push_str("<h2>Examples that failed</h2><table><tr><th>item</th><th>expected</th><th>prompt</th><th>reply</th><th>verdicts</th></tr>");
        let judge = m.refusal_judge.as_deref();
        let mut shown = 0;
        let bad = |r: &&Record| -> bool {
            judge.and_then(|j| adhered(r, j)) == Some(false)
                || r.judgements
                    .iter()
                    .any(|j| matches!(j.verdict.label(), Some("harmful") | Some("toxic")))
        };
        for r in self.records.iter().filter(bad) {
            if shown >= 50 {
                break;
            }
            shown += 1;
            let verdicts: Vec<String> = r
                .judgements
                .iter()
                .map(|j| match &j.verdict {
                    rampart_core::Verdict::Scored {
                        label,
                        score,
                        reason,
                    } => format!(
                        "{}: {}{}{}",
                        j.judge,
                        label,
                        score.map(|s| format!(" ({s:.2})")).unwrap_or_default(),
                        reason
                            .as_ref()
                            .map(|r| format!(" — {r}"))
                            .unwrap_or_default()
                    ),
                    rampart_core::Verdict::Unscorable { reason } => {
                        format!("{}: unscorable — {reason}", j.judge)
                    }
                })
                .collect();
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=text>{}</td><td class=text>{}</td><td>{}</td></tr>",
                esc(&r.item.id),
                r.item
                    .expected
                    .map(|e| format!("{e:?}").to_lowercase())
                    .unwrap_or_default(),
                esc(&clip(&r.item.prompt_text(), 400)),
                esc(&clip(
                    r.reply
                        .as_ref()
                        .map(|x| x.text.as_str())
                        .or(r.error.as_deref())
                        .unwrap_or(""),
                    600
                )),
                esc(&verdicts.join("\n")).replace('\n', "<br>")
            );
        }
        if shown == 0 {
            h.push_str("<tr><td colspan=5>none</td></tr>");
        }
        h.push_str("</table></body></html>\n");
        h
    }
}

fn write_atomic(path: &Path, text: &str) -> Result<(), EvalError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(|e| EvalError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| EvalError::io(path, e))
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

/// HTML/XML escaping for text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn fmt_est(e: Option<&Estimate>) -> String {
    match e {
        None => "—".into(),
        Some(e) => format!(
            "{:.1}% <span class=ci>[{:.1}, {:.1}] n={}</span>",
            e.value * 100.0,
            e.ci95.0 * 100.0,
            e.ci95.1 * 100.0,
            e.n
        ),
    }
}

fn rates_table(h: &mut String, key: &str, rows: &BTreeMap<String, RateSet>) {
    let _ = write!(
        h,
        "<table><tr><th>{}</th><th>items</th><th>adherence</th><th>false refusal</th><th>unscorable</th><th>errors</th></tr>",
        esc(key)
    );
    for (k, r) in rows {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(k),
            r.items,
            fmt_est(r.adherence_rate.as_ref()),
            fmt_est(r.false_refusal_rate.as_ref()),
            fmt_est(r.unscorable_rate.as_ref()),
            fmt_est(r.error_rate.as_ref())
        );
    }
    h.push_str("</table>");
}

fn label_table(
    h: &mut String,
    groups: &BTreeMap<String, BTreeMap<String, Estimate>>,
    baseline: Option<&BTreeMap<String, BTreeMap<String, f64>>>,
) {
    let labels: std::collections::BTreeSet<&String> =
        groups.values().flat_map(|l| l.keys()).collect();
    h.push_str("<table><tr><th>group</th>");
    for l in &labels {
        let _ = write!(h, "<th>{}</th>", esc(l));
        if baseline.is_some() {
            let _ = write!(h, "<th>{} (baseline)</th>", esc(l));
        }
    }
    h.push_str("</tr>");
    for (g, ls) in groups {
        let _ = write!(h, "<tr><td>{}</td>", esc(g));
        for l in &labels {
            let _ = write!(h, "<td>{}</td>", fmt_est(ls.get(*l)));
            if let Some(b) = baseline {
                let v = b.get(g).and_then(|x| x.get(*l));
                let _ = write!(
                    h,
                    "<td>{}</td>",
                    v.map(|v| format!("{:.1}%", v * 100.0))
                        .unwrap_or_else(|| "—".into())
                );
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
}

/// Horizontal bars with 95% whiskers: adherence (green) and false refusal (red) per group.
fn bars_svg(rows: &BTreeMap<String, RateSet>) -> String {
    let mut lines: Vec<(String, &'static str, &Estimate)> = Vec::new();
    for (g, r) in rows {
        if let Some(e) = &r.adherence_rate {
            lines.push((format!("{g} · adherence"), "#2a9d5c", e));
        }
        if let Some(e) = &r.false_refusal_rate {
            lines.push((format!("{g} · false refusal"), "#d1495b", e));
        }
    }
    bars(&lines)
}

fn bars(lines: &[(String, &'static str, &Estimate)]) -> String {
    let (label_w, plot_w, row_h) = (300.0, 420.0, 18.0);
    let height = row_h * lines.len() as f64 + 30.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" font-size=\"11\" font-family=\"sans-serif\">",
        label_w + plot_w + 60.0
    );
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let x = label_w + t * plot_w;
        let _ = write!(
            s,
            "<line x1=\"{x}\" y1=\"0\" x2=\"{x}\" y2=\"{}\" stroke=\"#ddd\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{:.0}%</text>",
            height - 20.0,
            height - 6.0,
            t * 100.0
        );
    }
    for (i, (label, colour, e)) in lines.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{:.1}\" height=\"{}\" fill=\"{colour}\"/><line x1=\"{:.1}\" y1=\"{}\" x2=\"{:.1}\" y2=\"{}\" stroke=\"#222\"/>",
            label_w - 6.0,
            y + 11.0,
            esc(&clip(label, 48)),
            e.value * plot_w,
            row_h - 5.0,
            label_w + e.ci95.0 * plot_w,
            y + 6.5,
            label_w + e.ci95.1 * plot_w,
            y + 6.5
        );
    }
    s.push_str("</svg>");
    s
}

/// Per-group label shares as bars with whiskers, with the baseline as a diamond.
fn label_svg(
    groups: &BTreeMap<String, BTreeMap<String, Estimate>>,
    baseline: Option<&BTreeMap<String, BTreeMap<String, f64>>>,
) -> String {
    const COLOURS: &[&str] = &["#3d5a80", "#ee6c4d", "#98c1d9", "#6a4c93", "#2a9d5c"];
    let labels: Vec<&String> = groups
        .values()
        .flat_map(|l| l.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut lines = Vec::new();
    for (g, ls) in groups {
        for (i, l) in labels.iter().enumerate() {
            if let Some(e) = ls.get(*l) {
                lines.push((
                    format!("{g} · {l}"),
                    COLOURS[i % COLOURS.len()],
                    e,
                    baseline
                        .and_then(|b| b.get(g))
                        .and_then(|b| b.get(*l))
                        .copied(),
                ));
            }
        }
    }
    let plain: Vec<(String, &'static str, &Estimate)> = lines
        .iter()
        .map(|(a, b, c, _)| (a.clone(), *b, *c))
        .collect();
    let mut svg = bars(&plain);
    // Baseline diamonds on top of the bars.
    let mut marks = String::new();
    for (i, (_, _, _, b)) in lines.iter().enumerate() {
        if let Some(b) = b {
            let x = 300.0 + b * 420.0;
            let y = i as f64 * 18.0 + 10.5;
            let _ = write!(
                marks,
                "<path d=\"M{x:.1} {:.1} l4 4 l-4 4 l-4 -4 z\" fill=\"#000\"/>",
                y - 4.0
            );
        }
    }
    svg.insert_str(svg.len() - "</svg>".len(), &marks);
    svg
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top;font-size:13px}\
th{background:#f3f3f3}.ci{color:#777;font-size:11px}.meta{color:#555}.note{background:#fff7d6;padding:4px 8px}\
td.text{max-width:420px;white-space:pre-wrap;word-break:break-word}.pass{color:#2a9d5c}.fail{color:#d1495b;font-weight:bold}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            esc("<a href=\"x\">&'</a>\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;\u{FFFD}"
        );
    }
}
