//! End-to-end tests of `rampart redteam`: real processes.

mod common;

use common::{rampart, stderr, stdout};

use serde_json::Value;

#[test]
fn techniques_lists_ids_and_the_three_counts() {
    let o = rampart(&["redteam", "techniques"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("encoding.base.base64"));
    assert!(out.contains("multiturn.escalation.crescendo [adaptive]"));
    assert!(
        out.contains("atomic techniques")
            && out.contains("parameterised variants")
            && out.contains("combinations")
    );

    let o = rampart(&["redteam", "techniques", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let atomic = v["counts"]["atomic"].as_u64().unwrap();
    assert!(atomic >= 120);
    assert_eq!(v["techniques"].as_array().unwrap().len() as u64, atomic);
    let caesar = v["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "encoding.cipher.caesar")
        .unwrap();
    assert_eq!(caesar["variants"], 24);
    assert_eq!(caesar["parameters"][1]["name"], "shift");
}

#[test]
fn apply_shows_the_transformed_attack_deterministically() {
    let args = [
        "redteam",
        "apply",
        "base64+refusal_suppression+persona.dan.classic",
        "hello there",
        "--seed",
        "3",
    ];
    let a = rampart(&args);
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(stdout(&a), stdout(&rampart(&args)));
    let out = stdout(&a);
    assert!(out.contains("--- user"));
    assert!(out.contains("aGVsbG8gdGhlcmU="));
    assert!(out.contains("DAN"));

    let o = rampart(&[
        "redteam",
        "apply",
        "caesar:shift=1,framed=false",
        "abc",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["attack"]["conversation"][0]["content"][0]["text"], "bcd");
}

#[test]
fn apply_writes_images_where_asked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("attack.png");
    let o = rampart(&[
        "redteam",
        "apply",
        "multimodal.layout.split_images",
        "read this text please",
        "--image-out",
        path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("written to"), "{out}");
    let first = std::fs::read(&path).unwrap();
    assert_eq!(&first[1..4], b"PNG");
    assert!(dir.path().join("attack-2.png").exists());

    let o = rampart(&["redteam", "apply", "figstep", "x"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("pass --image-out"));
}

#[test]
fn apply_errors_are_one_line() {
    for (args, needle) in [
        (
            vec!["redteam", "apply", "no_such_technique", "x"],
            "rampart redteam techniques",
        ),
        (vec!["redteam", "apply", "llm", "x"], "ambiguous"),
        (vec!["redteam", "apply", "translate.llm", "x"], "--rewriter"),
        (vec!["redteam", "apply", "caesar:shift=abc", "x"], "shift"),
    ] {
        let o = rampart(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = stderr(&o);
        let lines: Vec<_> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{err}");
        assert!(
            lines[0].starts_with("error:") && err.contains(needle),
            "{err}"
        );
    }
}
