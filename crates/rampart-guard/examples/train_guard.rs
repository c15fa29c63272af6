//! Train without the binary (the CLI `rampart guard train` calls the same function):
//! `cargo run --release -p rampart-guard --example train_guard -- DATA_DIR OUT_DIR [SEED]`
use std::path::PathBuf;
use std::time::Instant;

use rampart_guard::classifier::{eval, train};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: train_guard DATA_DIR OUT_DIR [SEED]";
    let data = PathBuf::from(args.get(1).expect(usage));
    let out = PathBuf::from(args.get(2).expect(usage));
    let seed: u64 = args.get(3).map(|s| s.parse().expect(usage)).unwrap_or(7);
    let config = train::TrainConfig {
        seed,
        ..Default::default()
    };
    // Record the CLI form of the command: it is what the model card tells readers to run.
    let command = format!(
        "rampart guard train --data {} --out {} --seed {seed}",
        data.display(),
        out.display()
    );
    let t0 = Instant::now();
    let run = train::train_to_dir(&data, &out, &config, &command, |l| {
        eprintln!("[{:>6.1}s] {l}", t0.elapsed().as_secs_f32())
    })
    .expect("training succeeds");
    println!("{}", eval::markdown_table(&run.metrics));
}
