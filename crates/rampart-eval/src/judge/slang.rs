//! OpenSub-Slang's judge: the yes/no answer to "does this sentence contain slang?".

use rampart_core::Verdict;

use super::{Judge, Reply};
use crate::{EvalError, Item};

/// The yes/no answer in a reply: a leading yes/no, else "does not contain slang" / "no slang"
/// (no) or "contains slang" (yes), else the earliest standalone yes or no. `None` otherwise.
pub fn extract_yes_no(reply: &str) -> Option<&'static str> {
    let text: String = reply
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' {
                c
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.first() {
        Some(&"yes") => return Some("yes"),
        Some(&"no") => return Some("no"),
        _ => {}
    }
    let t = format!(" {} ", words.join(" "));
    for neg in [
        " does not contain slang ",
        " doesn't contain slang ",
        " no slang ",
        " not contain any slang ",
        " not slang ",
    ] {
        if t.contains(neg) {
            return Some("no");
        }
    }
    if t.contains(" contains slang ") || t.contains(" is slang ") {
        return Some("yes");
    }
    let y = words.iter().position(|w| *w == "yes");
    let n = words.iter().position(|w| *w == "no");
    match (y, n) {
        (Some(a), Some(b)) => Some(if a < b { "yes" } else { "no" }),
        (Some(_), None) => Some("yes"),
        (None, Some(_)) => Some("no"),
        (None, None) => None,
    }
}

/// Slang detection (id `slang`): label `yes` / `no` as the reply answers; score 1 when it
/// matches the item's reference. No answer is unscorable.
#[derive(Debug, Default)]
pub struct SlangJudge;

#[async_trait::async_trait]
impl Judge for SlangJudge {
    fn id(&self) -> &str {
        "slang"
    }
    fn version(&self) -> &str {
        "rules-1"
    }
    async fn judge(&self, item: &Item, reply: Reply<'_>) -> Result<Verdict, EvalError> {
        let Some(answer) = extract_yes_no(reply.text) else {
            return Ok(Verdict::unscorable("no yes/no answer in the reply"));
        };
        let gold = item.reference.as_deref().unwrap_or("");
        let ok = answer == gold;
        Ok(Verdict::scored(answer)
            .with_score(if ok { 1.0 } else { 0.0 })
            .with_reason(format!("answered {answer}, gold {gold}")))
    }
}
