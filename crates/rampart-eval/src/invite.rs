//! INVITE (Ramakrishna et al., EMNLP Findings 2023): questions with a false presupposition.
//!
//! - [`load`]: the released 100 invalid questions (`evaluated_model_predications_with_labels/
//!   *.json`, deduplicated by question; the reference is `answer_to_invalid_question`).
//! - [`read_labelled`]: the 600 human-labelled responses in those files (`hallucination_label`
//!   1 = answered as if the premise were true), for judge calibration.
//! - [`generate`]: new false-presupposition questions from any triples file (N-Triples or TSV)
//!   and the released `cleaned_question_templates_with_answers.json`, seeded and deterministic.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use rampart_core::Category;

use crate::EvalError;
use crate::suite::{Item, SplitMix64};

/// The directory of labelled model outputs under INVITE's `Data/`.
pub const LABELLED_DIR: &str = "evaluated_model_predications_with_labels";

fn labelled_files(path: &Path) -> Result<Vec<PathBuf>, EvalError> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let dir = [
        path.join("Data").join(LABELLED_DIR),
        path.join(LABELLED_DIR),
        path.to_path_buf(),
    ]
    .into_iter()
    .find(|d| d.is_dir())
    .unwrap_or_else(|| path.to_path_buf());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| EvalError::io(&dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(EvalError::data(
            &dir,
            format!("no *.json files; expected INVITE's Data/{LABELLED_DIR}/"),
        ));
    }
    Ok(files)
}

fn json_lines(file: &Path) -> Result<Vec<serde_json::Value>, EvalError> {
    let text = std::fs::read_to_string(file).map_err(|e| EvalError::io(file, e))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| EvalError::data(file, format!("line {}: {e}", i + 1)))
        })
        .collect()
}

fn item(id: String, question: &str, reference: &str, category: &str) -> Item {
    let mut item = Item::prompt(id, question, Category::Misinformation)
        .in_group(category)
        .with_meta("predicate", category)
        .with_meta("rewrite", vec![question]);
    item.reference = Some(reference.to_string());
    item
}

/// The released invalid questions, one item per distinct `invalid_question` (first seen, files
/// in name order), grouped by predicate (`category`); the reference is the corrected statement.
/// `path` is INVITE's directory, its `Data/`, the labelled directory or one of its files.
pub fn load(path: &Path) -> Result<Vec<Item>, EvalError> {
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    for file in labelled_files(path)? {
        for v in json_lines(&file)? {
            let (Some(q), Some(a)) = (
                v["invalid_question"].as_str(),
                v["answer_to_invalid_question"].as_str(),
            ) else {
                return Err(EvalError::data(
                    &file,
                    "a line lacks `invalid_question` or `answer_to_invalid_question`",
                ));
            };
            if !seen.insert(q.to_string()) {
                continue;
            }
            let cat = v["category"].as_str().unwrap_or("unknown");
            let id = v["id"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| (items.len() + 1).to_string());
            items.push(item(format!("invite-{id}"), q, a, cat));
        }
    }
    if items.is_empty() {
        return Err(EvalError::data(path, "no INVITE questions found"));
    }
    Ok(items)
}

/// One human-labelled response to an invalid question.
#[derive(Debug, Clone)]
pub struct Labelled {
    /// The model (file stem).
    pub source: String,
    pub item: Item,
    pub response: String,
    /// The human label: the response answers as if the premise were true.
    pub hallucinated: bool,
}

/// The labelled responses (`model_response_to_invalid_question`, `hallucination_label` "1" =
/// hallucinated, "0" = not).
pub fn read_labelled(path: &Path) -> Result<Vec<Labelled>, EvalError> {
    let mut out = Vec::new();
    for file in labelled_files(path)? {
        let source = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for (i, v) in json_lines(&file)?.into_iter().enumerate() {
            let label = match &v["hallucination_label"] {
                serde_json::Value::String(s) => s.trim().to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            let hallucinated = match label.as_str() {
                "1" => true,
                "0" => false,
                other => {
                    return Err(EvalError::data(
                        &file,
                        format!("line {}: hallucination_label {other:?}", i + 1),
                    ));
                }
            };
            out.push(Labelled {
                source: source.clone(),
                item: item(
                    format!("invite-{source}-{i}"),
                    v["invalid_question"].as_str().unwrap_or(""),
                    v["answer_to_invalid_question"].as_str().unwrap_or(""),
                    v["category"].as_str().unwrap_or("unknown"),
                ),
                response: v["model_response_to_invalid_question"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                hallucinated,
            });
        }
    }
    if out.is_empty() {
        return Err(EvalError::data(path, "no labelled responses found"));
    }
    Ok(out)
}

// ----------------------------------------------------------------------------------------------
// Generator

/// A (subject, predicate, object) triple; entities as read (IRIs without angle brackets,
/// literals without quotes and language tags).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Triple {
    pub subject: String,
    pub predicate: String,
    pub object: String,
}

fn nt_term(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    if let Some(rest) = s.strip_prefix('<') {
        let end = rest.find('>')?;
        return Some((rest[..end].to_string(), &rest[end + 1..]));
    }
    if let Some(rest) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, e)) = chars.next() {
                        out.push(match e {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                    }
                }
                '"' => {
                    let mut tail = &rest[i + 1..];
                    // Skip a language tag or datatype.
                    let cut = tail.find(char::is_whitespace).unwrap_or(tail.len());
                    if tail.starts_with('@') || tail.starts_with("^^") {
                        tail = &tail[cut..];
                    }
                    return Some((out, tail));
                }
                c => out.push(c),
            }
        }
        return None;
    }
    let cut = s.find(char::is_whitespace).unwrap_or(s.len());
    (cut > 0).then(|| (s[..cut].to_string(), &s[cut..]))
}

/// Parses triples: N-Triples lines (`<s> <p> <o> .`, literal objects allowed) or TSV lines
/// `subject\tpredicate\tobject`. Blank lines and `#` comments are skipped.
pub fn parse_triples(text: &str) -> Result<Vec<Triple>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() == 3 && !line.ends_with(" .") {
            let t = |s: &str| {
                s.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            };
            out.push(Triple {
                subject: t(fields[0]),
                predicate: t(fields[1]),
                object: t(fields[2]),
            });
            continue;
        }
        let bad = || format!("line {}: not an N-Triples or TSV triple", i + 1);
        let (s, rest) = nt_term(line).ok_or_else(bad)?;
        let (p, rest) = nt_term(rest).ok_or_else(bad)?;
        let (o, _) = nt_term(rest).ok_or_else(bad)?;
        out.push(Triple {
            subject: s,
            predicate: p,
            object: o,
        });
    }
    Ok(out)
}

/// Reads a triples file (see [`parse_triples`]).
pub fn read_triples(path: &Path) -> Result<Vec<Triple>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::io(path, e))?;
    parse_triples(&text).map_err(|e| EvalError::data(path, e))
}

/// One question template of `cleaned_question_templates_with_answers.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The predicate IRI (e.g. `http://dbpedia.org/ontology/team`).
    pub predicate: String,
    /// With `<new_subject>` or `<new_object>` and the other of `<subject>` / `<object>`.
    pub question: String,
    pub answer: String,
}

impl Template {
    fn replaces_object(&self) -> bool {
        self.question.contains("<new_object>")
    }
}

/// Parses `cleaned_question_templates_with_answers.json` (keys `<subject> PREDICATE <object>`;
/// `checks` are not applied — they need DBpedia's persondata and geo-coordinates).
pub fn parse_templates(text: &str) -> Result<Vec<Template>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let obj = v.as_object().ok_or("expected a JSON object")?;
    let mut out = Vec::new();
    for (key, t) in obj {
        let predicate = key
            .split_whitespace()
            .nth(1)
            .ok_or_else(|| format!("key {key:?} is not `<subject> PREDICATE <object>`"))?;
        let (Some(q), Some(a)) = (
            t["question_template"].as_str(),
            t["answer_template"].as_str(),
        ) else {
            return Err(format!(
                "{key:?} lacks question_template or answer_template"
            ));
        };
        if !(q.contains("<new_subject>") || q.contains("<new_object>")) {
            continue;
        }
        out.push(Template {
            predicate: predicate
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string(),
            question: q.to_string(),
            answer: a.to_string(),
        });
    }
    // Sorted, so that the file's key order (kept or not, depending on serde_json's features)
    // does not change what is generated.
    out.sort_by(|a, b| (&a.predicate, &a.question).cmp(&(&b.predicate, &b.question)));
    Ok(out)
}

/// Reads the templates file (see [`parse_templates`]).
pub fn read_templates(path: &Path) -> Result<Vec<Template>, EvalError> {
    let file = if path.is_dir() {
        [
            path.join("Data/cleaned_question_templates_with_answers.json"),
            path.join("cleaned_question_templates_with_answers.json"),
        ]
        .into_iter()
        .find(|f| f.is_file())
        .unwrap_or_else(|| path.join("cleaned_question_templates_with_answers.json"))
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).map_err(|e| EvalError::io(&file, e))?;
    parse_templates(&text).map_err(|e| EvalError::data(&file, e))
}

fn local_name(iri: &str) -> &str {
    iri.rsplit(['/', '#']).next().unwrap_or(iri)
}

/// A readable label for an entity: the local name of an IRI with `_` as spaces, a literal as is.
pub fn label(entity: &str) -> String {
    if entity.contains("://") {
        local_name(entity).replace('_', " ")
    } else {
        entity.to_string()
    }
}

fn same_predicate(a: &str, b: &str) -> bool {
    a == b || local_name(a) == local_name(b)
}

/// Makes false-presupposition questions (INVITE's rule). For each template and its predicate p,
/// the true triples (s, p, o) are shuffled with `seed`; triples whose object contains "," are
/// skipped; for `<new_subject>` templates a replacement s′ is drawn (seeded) from the subjects
/// of p such that s′ ≠ s and s′ has no triple with o at all (so (s′, p, o) is not a true
/// triple), symmetrically for `<new_object>` templates (o′ from the objects of p, no triple
/// (s, ·, o′)). At most `per_predicate` questions per template. Same inputs and seed, same
/// items. Predicates match by IRI or by local name (`team` matches `dbo:team`).
pub fn generate(
    triples: &[Triple],
    templates: &[Template],
    seed: u64,
    per_predicate: usize,
) -> Vec<Item> {
    // Every (subject, object) pair linked by any predicate.
    let linked: HashSet<(&str, &str)> = triples
        .iter()
        .map(|t| (t.subject.as_str(), t.object.as_str()))
        .collect();
    let mut out = Vec::new();
    for template in templates {
        let mut facts: Vec<&Triple> = triples
            .iter()
            .filter(|t| same_predicate(&t.predicate, &template.predicate))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if facts.is_empty() {
            continue;
        }
        let by_object = template.replaces_object();
        let pool: Vec<&str> = facts
            .iter()
            .map(|t| {
                if by_object {
                    t.object.as_str()
                } else {
                    t.subject.as_str()
                }
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // Seeded by the template itself, not its position: the JSON object's key order is not
        // something to depend on (serde_json's `preserve_order` may be on in one build and off
        // in another), and adding a template must not change the questions of the others.
        let mut rng = SplitMix64::new(
            seed ^ fnv1a(&template.predicate) ^ fnv1a(&template.question).rotate_left(17),
        );
        rng.shuffle(&mut facts);
        let pred = local_name(&template.predicate).to_string();
        let mut made = 0;
        let mut used: BTreeMap<(String, String), ()> = BTreeMap::new();
        for fact in facts {
            if made >= per_predicate {
                break;
            }
            if fact.object.contains(',') {
                continue;
            }
            let valid = |c: &str| {
                if by_object {
                    c != fact.object && !linked.contains(&(fact.subject.as_str(), c))
                } else {
                    c != fact.subject && !linked.contains(&(c, fact.object.as_str()))
                }
            };
            let unused = |c: &str| {
                let pair = if by_object {
                    (fact.subject.clone(), c.to_string())
                } else {
                    (c.to_string(), fact.object.clone())
                };
                !used.contains_key(&pair)
            };
            let candidates: Vec<&str> = pool
                .iter()
                .copied()
                .filter(|c| valid(c) && unused(c))
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let new = candidates[rng.below(candidates.len())];
            let (s, o) = if by_object {
                (fact.subject.as_str(), new)
            } else {
                (new, fact.object.as_str())
            };
            used.insert((s.to_string(), o.to_string()), ());
            let fill = |t: &str| {
                t.replace("<new_subject>", &label(s))
                    .replace("<new_object>", &label(o))
                    .replace("<subject>", &label(s))
                    .replace("<object>", &label(o))
            };
            made += 1;
            out.push(
                item(
                    format!("invite-gen-{pred}-{made}"),
                    &fill(&template.question),
                    &fill(&template.answer),
                    &pred,
                )
                .with_meta("true_subject", fact.subject.as_str())
                .with_meta("true_object", fact.object.as_str())
                .with_meta("seed", seed),
            );
        }
    }
    out
}

/// 64-bit FNV-1a: a hash that is the same in every build and process, for seeding.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

// ----------------------------------------------------------------------------------------------
// Calibration

/// Agreement of a judge with INVITE's human labels (`hallucinated` vs not).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Agreement {
    pub judge: String,
    pub judge_version: String,
    pub n: usize,
    /// Share of responses where the judge's `hallucinated` matches the human label
    /// (unscorable counts as disagreement).
    pub agreement: f64,
    pub unscorable: usize,
    /// human label → judge label (or `unscorable`) → count.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Agreement per source file (model).
    pub by_source: BTreeMap<String, f64>,
}

/// Runs `judge` (labels `hallucinated` / anything else) over the labelled responses.
pub async fn agreement(
    judge: &dyn crate::judge::Judge,
    data: &[Labelled],
) -> Result<Agreement, EvalError> {
    let mut confusion: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut agree, mut unscorable) = (0usize, 0usize);
    for d in data {
        let v = judge
            .judge(
                &d.item,
                crate::judge::Reply {
                    text: &d.response,
                    content_filtered: false,
                },
            )
            .await?;
        let human = if d.hallucinated {
            "hallucinated"
        } else {
            "not_hallucinated"
        };
        let got = v.label().map(str::to_string);
        *confusion
            .entry(human.into())
            .or_default()
            .entry(got.clone().unwrap_or_else(|| "unscorable".into()))
            .or_default() += 1;
        let e = per.entry(d.source.clone()).or_default();
        e.1 += 1;
        match got {
            None => unscorable += 1,
            Some(g) => {
                if (g == "hallucinated") == d.hallucinated {
                    agree += 1;
                    e.0 += 1;
                }
            }
        }
    }
    Ok(Agreement {
        judge: judge.id().to_string(),
        judge_version: judge.version().to_string(),
        n: data.len(),
        agreement: agree as f64 / data.len().max(1) as f64,
        unscorable,
        confusion,
        by_source: per
            .into_iter()
            .map(|(k, (a, t))| (k, a as f64 / t as f64))
            .collect(),
    })
}
