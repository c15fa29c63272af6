//! Train without the binary (the CLI `rampart guard train` calls the same function):
//! `cargo run --release -p rampart-guard --example train_guard -- DATA_DIR OUT_DIR [SEED]`
//! (`GUARD_NO_SEMANTIC=1`: fast tier only; `GUARD_EMBEDDING_CACHE=FILE`: keep embeddings;
//! `GUARD_SEMANTIC_QUERY_BYTES`: text the encoder sees, recorded in the bank)
use std::path::PathBuf;
use std::time::Instant;

use rampart_guard::classifier::{eval, train};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: train_guard DATA_DIR OUT_DIR [SEED]";
    let data = PathBuf::from(args.get(1).expect(usage));
    let out = PathBuf::from(args.get(2).expect(usage));
    let seed: u64 = args.get(3).map(|s| s.parse().expect(usage)).unwrap_or(7);
    // Hyper-parameter experiments: GUARD_MEMBERS, GUARD_EPOCHS, GUARD_BUCKETS, GUARD_DIM,
    // GUARD_HIDDEN, GUARD_DROPOUT, GUARD_LR override the defaults (the model card records the
    // values used).
    let env = |k: &str| std::env::var(k).ok();
    let mut config = train::TrainConfig {
        seed,
        ..Default::default()
    };
    if let Some(v) = env("GUARD_MEMBERS") {
        config.members = v.parse().expect("GUARD_MEMBERS");
    }
    if let Some(v) = env("GUARD_EPOCHS") {
        config.epochs = v.parse().expect("GUARD_EPOCHS");
    }
    if let Some(v) = env("GUARD_BUCKETS") {
        config.dims.buckets = v.parse().expect("GUARD_BUCKETS");
    }
    if let Some(v) = env("GUARD_DIM") {
        config.dims.dim = v.parse().expect("GUARD_DIM");
    }
    if let Some(v) = env("GUARD_HIDDEN") {
        config.dims.hidden = v.parse().expect("GUARD_HIDDEN");
    }
    if let Some(v) = env("GUARD_DROPOUT") {
        config.feature_dropout = v.parse().expect("GUARD_DROPOUT");
    }
    if let Some(v) = env("GUARD_LR") {
        config.learning_rate = v.parse().expect("GUARD_LR");
    }
    // Record the CLI form of the command: it is what the model card tells readers to run.
    let semantic = env("GUARD_NO_SEMANTIC").is_none().then(|| {
        let mut opts = train::SemanticOptions {
            embedding_cache: env("GUARD_EMBEDDING_CACHE").map(PathBuf::from),
            ..Default::default()
        };
        if let Some(v) = env("GUARD_SEMANTIC_QUERY_BYTES") {
            opts.config.max_query_bytes = v.parse().expect("GUARD_SEMANTIC_QUERY_BYTES");
        }
        opts
    });
    let command = train::command_line(&data, &out, &config, semantic.is_some());
    let t0 = Instant::now();
    let run = train::train_to_dir(&data, &out, &config, semantic.as_ref(), &command, |l| {
        eprintln!("[{:>6.1}s] {l}", t0.elapsed().as_secs_f32())
    })
    .expect("training succeeds");
    println!("{}", eval::markdown_table(&run.metrics));
}
