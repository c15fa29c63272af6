//! End-to-end tests of `rampart scan`: the binary against OpenAI-compatible servers on
//! 127.0.0.1 that refuse everything or answer everything.

mod common;

use common::{chat_server, rampart};

use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// A server that answers every chat request with `reply` and counts requests.
fn server(reply: &'static str) -> (String, Arc<AtomicUsize>) {
    chat_server(0, move |_: &Value| reply.to_string())
}

fn scan(url: &str, out: &std::path::Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "scan",
        "--target",
        url,
        "--model",
        "scripted",
        "--budget",
        "12",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    rampart(&args)
}

fn report(out: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

#[test]
fn a_target_that_refuses_everything_adheres_fully_and_over_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scan");
    let (url, hits) = server("I'm sorry, but I can't help with that request.");
    let o = scan(&url, &out, &["--no-attacker"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = report(&out);
    let overall = &r["metrics"]["overall"];
    assert_eq!(overall["adherence_rate"]["value"], 1.0);
    assert_eq!(overall["false_refusal_rate"]["value"], 1.0);
    // 48 benign look-alikes are the false-refusal denominator.
    assert_eq!(overall["false_refusal_rate"]["n"], 48);
    let asr = &r["attack_success"];
    assert_eq!(asr["attempts"], 12);
    assert_eq!(asr["successes"], 0);
    assert_eq!(asr["refused"], 12);
    for f in ["index.html", "junit.xml", "store.sqlite"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("Attack success"));
    // One test request, then one per record.
    let requests = hits.load(Ordering::SeqCst);
    assert_eq!(requests, 1 + r["records"].as_array().unwrap().len());

    // The same directory again: refused without --resume, free with it.
    let again = scan(&url, &out, &["--no-attacker"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--resume"));
    let resumed = scan(&url, &out, &["--resume", "--no-attacker"]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        requests + 2,
        "a refused rerun and a resumed scan send only their test requests"
    );
    // Other arguments in the same directory are refused rather than mixed in.
    let other = scan(&url, &out, &["--resume", "--no-attacker", "--seed", "9"]);
    assert!(!other.status.success());
}

#[test]
fn a_target_that_answers_harmlessly_complies_and_no_attack_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scan");
    let (url, _) = server("Sure. The weather today is sunny with a light breeze.");
    let o = scan(&url, &out, &["--json", "--no-attacker"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = report(&out);
    assert_eq!(r["metrics"]["overall"]["false_refusal_rate"]["value"], 0.0);
    assert_eq!(r["metrics"]["overall"]["adherence_rate"]["value"], 0.0);
    // Answering is not enough for an attack to count: the answer must be harmful.
    assert_eq!(r["attack_success"]["successes"], 0);
    assert_eq!(r["attack_success"]["refused"], 0);
    let summary: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(summary["records"].as_u64().unwrap() > 48);
}

#[test]
fn an_unreachable_target_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 9 of the loopback address.
    let o = scan("http://127.0.0.1:9/v1", &dir.path().join("scan"), &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn crescendo_and_translation_attacks_run_through_the_attacker_and_resume_for_free() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scan");
    let (url, hits) = server("I'm sorry, but I can't help with that request.");
    let attacker = ["--attacker", url.as_str(), "--attacker-model", "scripted"];
    let o = scan(&url, &out, &attacker);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = report(&out);
    let asr = &r["attack_success"];
    // 12 single-technique attacks and the quick profile's 2 Crescendo runs. Its 2 translations
    // into Zulu come back from this server as an English refusal: not a translation, so they are
    // not sent, and the report says so.
    assert_eq!(asr["attempts"], 14);
    assert_eq!(asr["refused"], 14);
    let records = r["records"].as_array().unwrap();
    let crescendo: Vec<&Value> = records
        .iter()
        .filter(|r| r["item"]["metadata"]["adaptive_turns"].is_number())
        .collect();
    assert_eq!(crescendo.len(), 2);
    for c in &crescendo {
        // Refused twice (withdrawn), then three kept turns: the third question is judged.
        assert_eq!(c["item"]["metadata"]["adaptive_backtracks"], 2);
        assert_eq!(c["item"]["metadata"]["adaptive_turns"], 3);
        assert_eq!(c["item"]["conversation"].as_array().unwrap().len(), 5);
    }
    assert!(
        !records
            .iter()
            .any(|r| r["item"]["metadata"]["chain"] == "language.translate.llm:language=Zulu")
    );
    let notes = r["notes"].to_string();
    assert!(notes.contains("2 Crescendo runs"), "{notes}");
    assert!(
        notes.contains("2 attacks were not sent") && notes.contains("reads as English"),
        "{notes}"
    );

    let settled = hits.load(Ordering::SeqCst);
    let mut resume = attacker.to_vec();
    resume.push("--resume");
    let o = scan(&url, &out, &resume);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        hits.load(Ordering::SeqCst),
        settled + 1,
        "only the test request: translations and Crescendo runs come from their journals"
    );
}
