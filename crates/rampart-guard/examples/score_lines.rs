//! Score one text per stdin line with a model file (development aid):
//! `cargo run --release -p rampart-guard --example score_lines -- MODEL [ROLE] < lines.txt`
use std::io::BufRead;

use rampart_guard::classifier::Classifier;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let clf = Classifier::load(std::path::Path::new(&args[1])).expect("model loads");
    let role = args
        .get(2)
        .map(|r| r.parse().expect("role"))
        .unwrap_or(rampart_core::Role::User);
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("utf-8 line");
        let s = clf.score(&line, role);
        println!("{:.3}\t{:.3}\t{}", s.harmful, s.prompt_attack, line);
    }
}
