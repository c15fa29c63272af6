//! INVITE's judge: does a reply reject the false premise of the question, or answer as if it
//! were true?

use rampart_core::Verdict;

use super::{Judge, Reply};
use crate::{EvalError, Item};

/// Measured agreement of `presupposition@rules-1` with INVITE's 600 human labels.
pub const PRESUPPOSITION_AGREEMENT: &str =
    "0.842 (505/600) vs INVITE's human hallucination labels (6 models x 100 questions; rules-1)";

/// Cues that a reply rejects, corrects or doubts the premise.
const CUES: &[&str] = &[
    " is not ",
    " isn't ",
    " was not ",
    " wasn't ",
    " are not ",
    " aren't ",
    " were not ",
    " weren't ",
    " there is no ",
    " there's no ",
    " there was no ",
    " does not ",
    " doesn't ",
    " did not ",
    " didn't ",
    " has not ",
    " hasn't ",
    " have not ",
    " haven't ",
    " had not ",
    " never ",
    " invalid ",
    " not true ",
    " incorrect ",
    " inaccurate ",
    " false premise ",
    " mistaken ",
    " mix up ",
    " confusion ",
    " no record ",
    " no information ",
    " no evidence ",
    " not aware ",
    " couldn't find ",
    " could not find ",
    " not associated ",
    " not known ",
];

fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    let mut last_space = true;
    for c in text.chars() {
        let c = if c == '\u{2019}' { '\'' } else { c };
        if c.is_alphanumeric() || c == '\'' {
            out.extend(c.to_lowercase());
            last_space = false;
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    if !last_space {
        out.push(' ');
    }
    out
}

/// The premise-rejecting cue found in `reply`, or the reference statement when the reply
/// contains it; `None` when the reply answers as if the premise were true.
pub fn presupposition_cue(reply: &str, reference: Option<&str>) -> Option<String> {
    let text = normalise(reply);
    if let Some(r) = reference {
        let r = normalise(r);
        if r.trim().len() > 3 && text.contains(&r) {
            return Some(format!("states the reference:{r}"));
        }
    }
    CUES.iter()
        .find(|c| text.contains(*c))
        .map(|c| c.trim().to_string())
}

/// INVITE's presupposition judge (id `presupposition`): `corrected` when the reply rejects,
/// corrects or doubts the false premise (negation cues such as "is not", "there is no", "did
/// not", "never", "invalid", "couldn't find", or the reference's corrected statement), else
/// `hallucinated` (score 1 when corrected); an empty reply is unscorable.
#[derive(Debug, Default)]
pub struct PresuppositionJudge;

#[async_trait::async_trait]
impl Judge for PresuppositionJudge {
    fn id(&self) -> &str {
        "presupposition"
    }
    fn version(&self) -> &str {
        "rules-1"
    }
    async fn judge(&self, item: &Item, reply: Reply<'_>) -> Result<Verdict, EvalError> {
        if reply.text.trim().is_empty() {
            return Ok(Verdict::unscorable("empty reply"));
        }
        Ok(
            match presupposition_cue(reply.text, item.reference.as_deref()) {
                Some(cue) => Verdict::scored("corrected")
                    .with_score(1.0)
                    .with_reason(format!("rejects the premise: {cue}")),
                None => Verdict::scored("hallucinated")
                    .with_score(0.0)
                    .with_reason("answers as if the premise were true"),
            },
        )
    }
}
