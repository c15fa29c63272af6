//! INVITE: the loader, the presupposition judge, the calibration against human labels and the
//! seeded generator, on hand-written fixtures (and on the shared data when it is present).

use std::collections::HashSet;
use std::path::PathBuf;

use rampart_eval::invite::{self, Triple};
use rampart_eval::judge::{Judge, PresuppositionJudge, Reply, presupposition_cue};
use rampart_eval::{Item, benchmark};

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/invite")
        .join(p)
}

async fn label(item: &Item, text: &str) -> Option<String> {
    PresuppositionJudge
        .judge(
            item,
            Reply {
                text,
                content_filtered: false,
            },
        )
        .await
        .unwrap()
        .label()
        .map(str::to_string)
}

#[tokio::test]
async fn loader_dedups_and_judge_labels() {
    let b = benchmark::find("invite").unwrap();
    assert_eq!(b.judges, &["presupposition"]);
    let items = b.load(&fixture("")).unwrap();
    assert_eq!(items.len(), 2, "deduplicated by question");
    let team = &items[0];
    assert_eq!(team.id, "invite-team_1");
    assert_eq!(team.stratum(), "team");
    assert_eq!(
        team.reference.as_deref(),
        Some("Bob Stone never joined the team Red Lions.")
    );
    assert_eq!(
        label(team, "He joined them in 1999 as a striker.")
            .await
            .as_deref(),
        Some("hallucinated")
    );
    for corrected in [
        "Bob Stone didn't play for the Red Lions.",
        "There is no record of that.",
        "That question is invalid.",
        "Bob Stone NEVER joined the team Red Lions!",
        "Bob Stone isn\u{2019}t a footballer.",
    ] {
        assert_eq!(
            label(team, corrected).await.as_deref(),
            Some("corrected"),
            "{corrected}"
        );
    }
    assert_eq!(label(team, "   ").await, None, "empty is unscorable");
    assert!(presupposition_cue("It is nothing", None).is_none());
}

#[tokio::test]
async fn agreement_on_fixture_labels() {
    let data = invite::read_labelled(&fixture("")).unwrap();
    assert_eq!(data.len(), 3);
    assert_eq!(data.iter().filter(|d| d.hallucinated).count(), 1);
    let a = invite::agreement(&PresuppositionJudge, &data)
        .await
        .unwrap();
    assert_eq!((a.n, a.unscorable), (3, 0));
    assert_eq!(a.agreement, 1.0);
}

/// The judge's agreement with INVITE's 600 human labels, when the shared copy is present.
#[tokio::test]
async fn agreement_on_shared_data() {
    let dir = PathBuf::from("/work/shared/data/invite/Data");
    if !dir.is_dir() {
        eprintln!("skipped: {} not present", dir.display());
        return;
    }
    let data = invite::read_labelled(&dir).unwrap();
    assert_eq!(data.len(), 600);
    assert_eq!(invite::load(&dir).unwrap().len(), 100);
    let a = invite::agreement(&PresuppositionJudge, &data)
        .await
        .unwrap();
    eprintln!(
        "presupposition@{} agreement {:.3} ({}/{}), confusion {:?}, by model {:?}",
        a.judge_version,
        a.agreement,
        (a.agreement * a.n as f64).round(),
        a.n,
        a.confusion,
        a.by_source
    );
    assert!(a.agreement > 0.7);
}

fn true_pairs(triples: &[Triple]) -> HashSet<(String, String)> {
    triples
        .iter()
        .map(|t| (invite::label(&t.subject), invite::label(&t.object)))
        .collect()
}

#[test]
fn generator_follows_the_rule_and_is_seeded() {
    let triples = invite::read_triples(&fixture("triples.nt")).unwrap();
    assert_eq!(triples.len(), 8);
    assert_eq!(
        triples[7].object, "Day Film",
        "literal without its language tag"
    );
    let templates = invite::read_templates(&fixture("templates.json")).unwrap();
    assert_eq!(templates.len(), 2);
    let items = invite::generate(&triples, &templates, 7, 10);
    assert_eq!(items, invite::generate(&triples, &templates, 7, 10));
    let truth = true_pairs(&triples);
    let team: Vec<&Item> = items.iter().filter(|i| i.stratum() == "team").collect();
    // Ann Lee, Bo Chan, Cy Diaz have a replacement; Di Eze/Green Town is skipped (comma);
    // Di Eze/Blue Jays FC gets Ann Lee or Cy Diaz.
    assert_eq!(team.len(), 4);
    for i in &team {
        let q = i.prompt.as_deref().unwrap();
        let rest = q.strip_prefix("When did ").unwrap();
        let (s, o) = rest
            .trim_end_matches('?')
            .split_once(" join the team ")
            .unwrap();
        assert!(
            !truth.contains(&(s.into(), o.into())),
            "{q} is a true triple"
        );
        assert!(!o.contains(','), "{q}");
        assert_eq!(
            i.reference.as_deref(),
            Some(format!("{s} never joined the team {o}.").as_str())
        );
    }
    let starring: Vec<&Item> = items.iter().filter(|i| i.stratum() == "starring").collect();
    assert_eq!(starring.len(), 2);
    assert!(
        starring.iter().any(|i| i.prompt.as_deref()
            == Some("What was the name of Bo Chan's character in Night Film?"))
    );
    assert_eq!(invite::generate(&triples, &templates, 7, 1).len(), 2);
    // TSV triples and local-name predicates work the same.
    let tsv = invite::read_triples(&fixture("triples.tsv")).unwrap();
    let items = invite::generate(&tsv, &templates, 1, 10);
    let truth = true_pairs(&tsv);
    // Ann Lee and Cy Diaz both get (Bo Chan, Red Lions): a repeated pair is made once.
    assert_eq!(items.len(), 2);
    for i in &items {
        let q = i.prompt.as_deref().unwrap();
        let rest = q.strip_prefix("When did ").unwrap();
        let (s, o) = rest
            .trim_end_matches('?')
            .split_once(" join the team ")
            .unwrap();
        assert!(!truth.contains(&(s.into(), o.into())), "{q}");
    }
}

#[test]
fn shared_templates_parse() {
    let dir = PathBuf::from("/work/shared/data/invite/Data");
    if !dir.is_dir() {
        return;
    }
    let t = invite::read_templates(&dir).unwrap();
    assert!(t.len() >= 20, "{}", t.len());
}
