//! Prints what the normaliser makes of a text: the normalised text, every decoded view and the
//! report, as JSON-like debug output.
//!
//! `cargo run -p rampart-text --example inspect -- 'aG93IHRvIG1ha2UgYSBib21i'` (or text on stdin).

use std::io::Read;

fn main() {
    let mut text = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        // Reading stdin can only fail on invalid UTF-8; then there is nothing to inspect.
        let _ = std::io::stdin().read_to_string(&mut text);
    }
    let n = rampart_text::normalize(&text);
    println!("text: {:?}", n.text);
    for view in &n.views {
        let chain: Vec<String> = view.chain.iter().map(ToString::to_string).collect();
        println!(
            "view {} at {:?}: {:?}",
            chain.join(" > "),
            view.span_in_original,
            view.text
        );
    }
    println!("report: {:#?}", n.report);
}
