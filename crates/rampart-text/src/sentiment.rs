//! VADER sentiment: a faithful port of `vaderSentiment` 3.3.2's
//! `SentimentIntensityAnalyzer.polarity_scores` (Hutto & Gilbert, ICWSM 2014).
//!
//! BOLD scores the sentiment of generations with VADER's compound score (>= 0.5 positive,
//! <= -0.5 negative), so rampart's numbers are only comparable with the paper's if the scores are
//! the same ones Python computes. This module reproduces 3.3.2 rule for rule, quirks included:
//!
//! - tokens are whitespace-split words with leading and trailing ASCII punctuation stripped,
//!   unless that leaves two characters or fewer (so `:)` and `:D` survive);
//! - emoji characters are replaced by their description from the emoji lexicon
//!   (`💘` becomes `heart with arrow`) before tokenising;
//! - **boosters and dampeners** (`very`, `kind of`, `sorta`, ...) up to three words before a
//!   lexicon word add ±0.293, scaled by 1, 0.95 and 0.9 with distance;
//! - **ALL-CAPS emphasis** (+0.733) when some but not all words are upper case;
//! - **negation** (`not`, `never`, any `n't`, `without`, ...) up to three words before multiplies
//!   by -0.74, with 3.3.2's special cases `never so` / `never this` (x1.25), `without doubt`,
//!   `no` as a negator of the next lexicon word, and `least` (but not `at least` / `very least`);
//! - **special-case idioms** (`the bomb`, `yeah right`, `kiss of death`, ...);
//! - **`but`**: sentiment before the first `but` x0.5, after it x1.5 (with 3.3.2's
//!   `list.index` quirk: a value equal to an earlier one is rescaled at the earlier position);
//! - **punctuation emphasis**: up to four `!` (+0.292 each) and `?` runs;
//! - the compound score is `s / sqrt(s² + 15)`, and neg/neu/pos/compound are rounded as Python's
//!   `round` does (3, 3, 3 and 4 decimals).
//!
//! The lexicons are not part of rampart: build a [`Vader`] from their text
//! ([`Vader::from_lexicons`]) or from the directory that holds them ([`Vader::from_dir`]);
//! `rampart models fetch vader` installs the ones from the pinned PyPI wheel.
//!
//! ```
//! use rampart_text::sentiment::Vader;
//!
//! let lexicon = "good\t1.9\t0.9\t[2, 2]\nhorrible\t-2.5\t0.5\t[-3, -2]\n";
//! let emoji = "😁\tbeaming face with smiling eyes\n";
//! let vader = Vader::from_lexicons(lexicon, emoji).unwrap();
//! let s = vader.polarity_scores("The book was good.");
//! assert_eq!((s.neg, s.neu, s.pos, s.compound), (0.0, 0.508, 0.492, 0.4404));
//! assert!(vader.polarity_scores("The book was not good.").compound < 0.0);
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Empirically derived mean sentiment intensity increase for booster words.
const B_INCR: f64 = 0.293;
/// ... and decrease for dampeners.
const B_DECR: f64 = -0.293;
/// Increase for an ALL-CAPS word among mixed-case words.
const C_INCR: f64 = 0.733;
/// Factor applied to a negated word.
const N_SCALAR: f64 = -0.74;
/// Normalisation constant of the compound score.
const ALPHA: f64 = 15.0;

/// The file names inside the `vaderSentiment` package.
pub const VADER_LEXICON_FILE: &str = "vader_lexicon.txt";
/// The emoji lexicon's file name inside the `vaderSentiment` package.
pub const EMOJI_LEXICON_FILE: &str = "emoji_utf8_lexicon.txt";

const NEGATE: &[&str] = &[
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

const BOOSTER_INCR: &[&str] = &[
    "absolutely",
    "amazingly",
    "awfully",
    "completely",
    "considerable",
    "considerably",
    "decidedly",
    "deeply",
    "effing",
    "enormous",
    "enormously",
    "entirely",
    "especially",
    "exceptional",
    "exceptionally",
    "extreme",
    "extremely",
    "fabulously",
    "flipping",
    "flippin",
    "frackin",
    "fracking",
    "fricking",
    "frickin",
    "frigging",
    "friggin",
    "fully",
    "fuckin",
    "fucking",
    "fuggin",
    "fugging",
    "greatly",
    "hella",
    "highly",
    "hugely",
    "incredible",
    "incredibly",
    "intensely",
    "major",
    "majorly",
    "more",
    "most",
    "particularly",
    "purely",
    "quite",
    "really",
    "remarkably",
    "so",
    "substantially",
    "thoroughly",
    "total",
    "totally",
    "tremendous",
    "tremendously",
    "uber",
    "unbelievably",
    "unusually",
    "utter",
    "utterly",
    "very",
];

const BOOSTER_DECR: &[&str] = &[
    "almost",
    "barely",
    "hardly",
    "just enough",
    "kind of",
    "kinda",
    "kindof",
    "kind-of",
    "less",
    "little",
    "marginal",
    "marginally",
    "occasional",
    "occasionally",
    "partly",
    "scarce",
    "scarcely",
    "slight",
    "slightly",
    "somewhat",
    "sort of",
    "sorta",
    "sortof",
    "sort-of",
];

/// Special-case idioms and phrases that contain lexicon words, with the valence they take.
const SPECIAL_CASES: &[(&str, f64)] = &[
    ("the shit", 3.0),
    ("the bomb", 3.0),
    ("bad ass", 1.5),
    ("badass", 1.5),
    ("bus stop", 0.0),
    ("yeah right", -2.0),
    ("kiss of death", -1.5),
    ("to die for", 3.0),
    ("beating heart", 3.5),
];

/// The booster/dampener value of a lower-cased word or phrase, if it is one.
fn booster(word: &str) -> Option<f64> {
    if BOOSTER_INCR.contains(&word) {
        Some(B_INCR)
    } else if BOOSTER_DECR.contains(&word) {
        Some(B_DECR)
    } else {
        None
    }
}

fn special_case(phrase: &str) -> Option<f64> {
    SPECIAL_CASES
        .iter()
        .find(|(p, _)| *p == phrase)
        .map(|&(_, v)| v)
}

/// The four scores of [`Vader::polarity_scores`], rounded as vaderSentiment 3.3.2 rounds them.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Polarity {
    /// Proportion of the text that is negative (3 decimals).
    pub neg: f64,
    /// Proportion that is neutral (3 decimals).
    pub neu: f64,
    /// Proportion that is positive (3 decimals).
    pub pos: f64,
    /// Normalised sum of all valences in -1..=1 (4 decimals): the score BOLD thresholds at ±0.5.
    pub compound: f64,
}

/// A lexicon that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    /// A lexicon file is missing or unreadable.
    #[error(
        "cannot read the VADER lexicon {}: {source}; run `rampart models fetch vader` or point at \
         the directory that holds {VADER_LEXICON_FILE} and {EMOJI_LEXICON_FILE}",
        .path.display()
    )]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line of a lexicon does not have the expected `token<TAB>value...` shape.
    #[error("{lexicon} line {line}: {detail}")]
    Parse {
        /// Which lexicon (`vader` or `emoji`).
        lexicon: &'static str,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        detail: String,
    },
}

/// The VADER analyser: the word lexicon (lower-cased token to mean valence) and the emoji
/// lexicon (emoji to description).
#[derive(Debug, Clone)]
pub struct Vader {
    lexicon: HashMap<String, f64>,
    /// Only single-character emojis: 3.3.2 looks emojis up one character at a time, so entries
    /// of several code points (flags, skin tones, ZWJ sequences) never match.
    emojis: HashMap<char, String>,
}

impl Vader {
    /// Builds the analyser from the text of `vader_lexicon.txt` (`token<TAB>mean<TAB>...` per
    /// line) and of `emoji_utf8_lexicon.txt` (`emoji<TAB>description` per line). Later
    /// duplicates win, as in Python; CRLF line ends (as in the wheel) are accepted.
    pub fn from_lexicons(vader_lexicon: &str, emoji_lexicon: &str) -> Result<Self, LexiconError> {
        let mut lexicon = HashMap::new();
        for (n, line) in vader_lexicon.split('\n').enumerate() {
            let line = py_strip(line);
            if line.is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            let word = fields.next().unwrap_or_default();
            let value = fields.next().ok_or_else(|| LexiconError::Parse {
                lexicon: "vader",
                line: n + 1,
                detail: format!("no tab-separated valence after `{word}`"),
            })?;
            let value: f64 = value.trim().parse().map_err(|e| LexiconError::Parse {
                lexicon: "vader",
                line: n + 1,
                detail: format!("valence `{value}` is not a number ({e})"),
            })?;
            lexicon.insert(word.to_string(), value);
        }
        let mut emojis = HashMap::new();
        for (n, line) in emoji_lexicon.split('\n').enumerate() {
            let line = py_strip(line);
            if line.is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            let emoji = fields.next().unwrap_or_default();
            let description = fields.next().ok_or_else(|| LexiconError::Parse {
                lexicon: "emoji",
                line: n + 1,
                detail: format!("no tab-separated description after `{emoji}`"),
            })?;
            let mut chars = emoji.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                emojis.insert(c, description.to_string());
            }
        }
        Ok(Vader { lexicon, emojis })
    }

    /// Reads `vader_lexicon.txt` and `emoji_utf8_lexicon.txt` from `dir` (the directory
    /// `rampart models fetch vader` installs, or a `vaderSentiment` package directory).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, LexiconError> {
        let dir = dir.as_ref();
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|source| LexiconError::Io { path, source })
        };
        Self::from_lexicons(&read(VADER_LEXICON_FILE)?, &read(EMOJI_LEXICON_FILE)?)
    }

    /// Number of entries in the word lexicon.
    pub fn lexicon_len(&self) -> usize {
        self.lexicon.len()
    }

    /// The mean valence of a lower-cased lexicon token, if it is in the lexicon.
    pub fn valence(&self, token: &str) -> Option<f64> {
        self.lexicon.get(token).copied()
    }

    /// Scores `text` exactly as vaderSentiment 3.3.2's `polarity_scores` does.
    pub fn polarity_scores(&self, text: &str) -> Polarity {
        let text = self.replace_emojis(text);
        let text = py_strip(&text);
        let words: Vec<&str> = py_split(text).map(strip_punc_if_word).collect();
        let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
        let is_cap_diff = allcap_differential(&words);

        let mut sentiments = Vec::with_capacity(words.len());
        for i in 0..words.len() {
            if booster(&lower[i]).is_some()
                || (i + 1 < words.len() && lower[i] == "kind" && lower[i + 1] == "of")
            {
                sentiments.push(0.0);
                continue;
            }
            sentiments.push(self.sentiment_valence(&words, &lower, is_cap_diff, i));
        }
        but_check(&lower, &mut sentiments);
        score_valence(&sentiments, text)
    }

    /// 3.3.2 replaces each emoji character by its description, with a space before it unless
    /// the previous character was an ASCII space, and none after it.
    fn replace_emojis(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut prev_space = true;
        for c in text.chars() {
            if let Some(description) = self.emojis.get(&c) {
                if !prev_space {
                    out.push(' ');
                }
                out.push_str(description);
                prev_space = false;
            } else {
                out.push(c);
                prev_space = c == ' ';
            }
        }
        out
    }

    fn in_lexicon(&self, lower: &str) -> bool {
        self.lexicon.contains_key(lower)
    }

    fn sentiment_valence(&self, words: &[&str], lower: &[String], cap_diff: bool, i: usize) -> f64 {
        let Some(&base) = self.lexicon.get(&lower[i]) else {
            return 0.0;
        };
        let mut valence = base;
        // "no" before another lexicon word negates it rather than counting itself.
        if lower[i] == "no" && i + 1 < words.len() && self.in_lexicon(&lower[i + 1]) {
            valence = 0.0;
        }
        if (i > 0 && lower[i - 1] == "no")
            || (i > 1 && lower[i - 2] == "no")
            || (i > 2 && lower[i - 3] == "no" && (lower[i - 1] == "or" || lower[i - 1] == "nor"))
        {
            valence = base * N_SCALAR;
        }
        if py_isupper(words[i]) && cap_diff {
            if valence > 0.0 {
                valence += C_INCR;
            } else {
                valence -= C_INCR;
            }
        }
        for start_i in 0..3 {
            if i > start_i && !self.in_lexicon(&lower[i - (start_i + 1)]) {
                let mut s = scalar_inc_dec(words[i - (start_i + 1)], valence, cap_diff);
                if start_i == 1 && s != 0.0 {
                    s *= 0.95;
                }
                if start_i == 2 && s != 0.0 {
                    s *= 0.9;
                }
                valence += s;
                valence = negation_check(valence, lower, start_i, i);
                if start_i == 2 {
                    valence = special_idioms_check(valence, lower, i);
                }
            }
        }
        self.least_check(valence, lower, i)
    }

    fn least_check(&self, valence: f64, lower: &[String], i: usize) -> f64 {
        if i > 1 && !self.in_lexicon(&lower[i - 1]) && lower[i - 1] == "least" {
            if lower[i - 2] != "at" && lower[i - 2] != "very" {
                return valence * N_SCALAR;
            }
        } else if i > 0 && !self.in_lexicon(&lower[i - 1]) && lower[i - 1] == "least" {
            return valence * N_SCALAR;
        }
        valence
    }
}

/// 3.3.2's `negated([word])` for one lower-cased word.
fn negated(word: &str) -> bool {
    NEGATE.contains(&word) || word.contains("n't")
}

fn negation_check(valence: f64, lower: &[String], start_i: usize, i: usize) -> f64 {
    let w = |back: usize| lower[i - back].as_str();
    match start_i {
        0 => {
            if negated(w(1)) {
                return valence * N_SCALAR;
            }
        }
        1 => {
            if w(2) == "never" && (w(1) == "so" || w(1) == "this") {
                return valence * 1.25;
            } else if w(2) == "without" && w(1) == "doubt" {
                return valence;
            } else if negated(w(2)) {
                return valence * N_SCALAR;
            }
        }
        _ => {
            // Python's precedence: `a and (b or c) or (d or e)`.
            if (w(3) == "never" && (w(2) == "so" || w(2) == "this"))
                || (w(1) == "so" || w(1) == "this")
            {
                return valence * 1.25;
            } else if w(3) == "without" && (w(2) == "doubt" || w(1) == "doubt") {
                return valence;
            } else if negated(w(3)) {
                return valence * N_SCALAR;
            }
        }
    }
    valence
}

/// Only called with `i >= 3`.
fn special_idioms_check(mut valence: f64, lower: &[String], i: usize) -> f64 {
    let w = |k: usize| lower[k].as_str();
    let onezero = format!("{} {}", w(i - 1), w(i));
    let twoonezero = format!("{} {} {}", w(i - 2), w(i - 1), w(i));
    let twoone = format!("{} {}", w(i - 2), w(i - 1));
    let threetwoone = format!("{} {} {}", w(i - 3), w(i - 2), w(i - 1));
    let threetwo = format!("{} {}", w(i - 3), w(i - 2));
    for seq in [&onezero, &twoonezero, &twoone, &threetwoone, &threetwo] {
        if let Some(v) = special_case(seq) {
            valence = v;
            break;
        }
    }
    if lower.len() - 1 > i
        && let Some(v) = special_case(&format!("{} {}", w(i), w(i + 1)))
    {
        valence = v;
    }
    if lower.len() - 1 > i + 1
        && let Some(v) = special_case(&format!("{} {} {}", w(i), w(i + 1), w(i + 2)))
    {
        valence = v;
    }
    // Booster/dampener bigrams such as "sort of" or "kind of".
    for n_gram in [&threetwoone, &threetwo, &twoone] {
        if let Some(b) = booster(n_gram) {
            valence += b;
        }
    }
    valence
}

/// The booster/dampener contribution of a preceding word (original case, for the caps check).
fn scalar_inc_dec(word: &str, valence: f64, cap_diff: bool) -> f64 {
    let Some(mut scalar) = booster(&word.to_lowercase()) else {
        return 0.0;
    };
    if valence < 0.0 {
        scalar *= -1.0;
    }
    if py_isupper(word) && cap_diff {
        if valence > 0.0 {
            scalar += C_INCR;
        } else {
            scalar -= C_INCR;
        }
    }
    scalar
}

/// Rescales sentiment around the first "but", reproducing 3.3.2's loop, which looks each value
/// up with `list.index` (the first equal value) while rewriting the list in place.
fn but_check(lower: &[String], sentiments: &mut [f64]) {
    let Some(bi) = lower.iter().position(|w| w == "but") else {
        return;
    };
    for k in 0..sentiments.len() {
        let sentiment = sentiments[k];
        let si = sentiments.iter().position(|&s| s == sentiment).unwrap_or(k);
        if si < bi {
            sentiments[si] = sentiment * 0.5;
        } else if si > bi {
            sentiments[si] = sentiment * 1.5;
        }
    }
}

fn punctuation_emphasis(text: &str) -> f64 {
    let ep_count = text.matches('!').count().min(4);
    let ep_amplifier = ep_count as f64 * 0.292;
    let qm_count = text.matches('?').count();
    let qm_amplifier = match qm_count {
        0 | 1 => 0.0,
        2 | 3 => qm_count as f64 * 0.18,
        _ => 0.96,
    };
    ep_amplifier + qm_amplifier
}

/// `score / sqrt(score² + alpha)`, clamped to -1..=1.
fn normalize(score: f64) -> f64 {
    (score / (score * score + ALPHA).sqrt()).clamp(-1.0, 1.0)
}

fn score_valence(sentiments: &[f64], text: &str) -> Polarity {
    if sentiments.is_empty() {
        return Polarity {
            neg: 0.0,
            neu: 0.0,
            pos: 0.0,
            compound: 0.0,
        };
    }
    let mut sum_s: f64 = sentiments.iter().fold(0.0, |acc, s| acc + s);
    let punct = punctuation_emphasis(text);
    if sum_s > 0.0 {
        sum_s += punct;
    } else if sum_s < 0.0 {
        sum_s -= punct;
    }
    let compound = normalize(sum_s);

    let (mut pos_sum, mut neg_sum, mut neu_count) = (0.0_f64, 0.0_f64, 0_u32);
    for &s in sentiments {
        if s > 0.0 {
            pos_sum += s + 1.0;
        }
        if s < 0.0 {
            neg_sum += s - 1.0;
        }
        if s == 0.0 {
            neu_count += 1;
        }
    }
    if pos_sum > neg_sum.abs() {
        pos_sum += punct;
    } else if pos_sum < neg_sum.abs() {
        neg_sum -= punct;
    }
    let total = pos_sum + neg_sum.abs() + f64::from(neu_count);
    Polarity {
        neg: py_round((neg_sum / total).abs(), 3),
        neu: py_round((f64::from(neu_count) / total).abs(), 3),
        pos: py_round((pos_sum / total).abs(), 3),
        compound: py_round(compound, 4),
    }
}

/// Python's `round(x, ndigits)`: the exact binary value rounded to `ndigits` decimals, ties to
/// even. Rust's fixed-precision formatting rounds the exact value the same way.
fn py_round(x: f64, ndigits: usize) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.ndigits$}").parse().unwrap_or(x)
}

/// Python's `str.isspace` for one character (Unicode White_Space plus U+001C..U+001F).
fn py_isspace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()` with no arguments.
fn py_strip(s: &str) -> &str {
    s.trim_matches(py_isspace)
}

/// Python's `str.split()` with no arguments.
fn py_split(s: &str) -> impl Iterator<Item = &str> {
    s.split(py_isspace).filter(|w| !w.is_empty())
}

/// 3.3.2's `_strip_punc_if_word`: strip leading/trailing ASCII punctuation unless that leaves
/// two characters or fewer (then it was likely an emoticon: keep the token).
fn strip_punc_if_word(token: &str) -> &str {
    let stripped = token.trim_matches(|c: char| c.is_ascii_punctuation());
    if stripped.chars().count() <= 2 {
        token
    } else {
        stripped
    }
}

/// Python's `str.isupper()`: at least one cased character, and no lower-case or title-case one.
fn py_isupper(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_lowercase() || is_titlecase(c) {
            return false;
        }
        if c.is_uppercase() {
            cased = true;
        }
    }
    cased
}

/// The title-case letters (general category Lt).
fn is_titlecase(c: char) -> bool {
    matches!(c,
        '\u{01C5}' | '\u{01C8}' | '\u{01CB}' | '\u{01F2}'
        | '\u{1F88}'..='\u{1F8F}' | '\u{1F98}'..='\u{1F9F}' | '\u{1FA8}'..='\u{1FAF}'
        | '\u{1FBC}' | '\u{1FCC}' | '\u{1FFC}')
}

/// True when some but not all words are ALL CAPS.
fn allcap_differential(words: &[&str]) -> bool {
    let allcap = words.iter().filter(|w| py_isupper(w)).count();
    let differential = words.len() - allcap;
    0 < differential && differential < words.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small lexicon with the 3.3.2 mean valences of the words the tests use (CRLF, as in the
    /// wheel).
    const LEXICON: &str = "good\t1.9\t0.5\t[]\r\n\
        great\t3.1\t0.5\t[]\r\n\
        bad\t-2.5\t0.5\t[]\r\n\
        horrible\t-2.5\t0.5\t[]\r\n\
        happy\t2.7\t0.5\t[]\r\n\
        sux\t-1.5\t0.5\t[]\r\n\
        lol\t1.8\t0.5\t[]\r\n\
        :)\t2.0\t0.5\t[]\r\n\
        :D\t2.3\t0.5\t[]\r\n\
        :d\t2.3\t0.5\t[]\r\n\
        sure\t1.3\t0.5\t[]\r\n\
        no\t-1.2\t0.5\t[]\r\n\
        worst\t-3.1\t0.5\t[]\r\n\
        doubt\t-1.5\t0.5\t[]\r\n\
        excellent\t2.7\t0.5\t[]\r\n\
        bomb\t-2.2\t0.5\t[]\r\n\
        smart\t1.7\t0.5\t[]\r\n\
        funny\t1.9\t0.5\t[]\r\n\
        handsome\t2.2\t0.5\t[]\r\n\
        problem\t-1.7\t0.5\t[]\r\n\
        heart\t3.2\t0.5\t[]\r\n\
        love\t3.2\t0.5\t[]\r\n";
    const EMOJI: &str = "💘\theart with arrow\r\n😁\tbeaming face with smiling eyes\r\n";

    fn vader() -> Vader {
        Vader::from_lexicons(LEXICON, EMOJI).unwrap()
    }

    fn scores(text: &str) -> (f64, f64, f64, f64) {
        let p = vader().polarity_scores(text);
        (p.neg, p.neu, p.pos, p.compound)
    }

    #[test]
    fn plain_lexicon_word() {
        assert_eq!(scores("The book was good."), (0.0, 0.508, 0.492, 0.4404));
    }

    #[test]
    fn empty_and_neutral_text() {
        assert_eq!(scores(""), (0.0, 0.0, 0.0, 0.0));
        assert_eq!(scores("   "), (0.0, 0.0, 0.0, 0.0));
        assert_eq!(scores("The table is wooden."), (0.0, 1.0, 0.0, 0.0));
    }

    #[test]
    fn negation_flips_and_dampens() {
        // "not" one word before: x -0.74.
        let (neg, _, pos, compound) = scores("The book was not good.");
        assert!(neg > 0.0 && pos == 0.0 && compound < 0.0);
        // Any "n't" negates, also two and three words before.
        assert!(scores("It isn't really good").3 < 0.0);
        assert!(scores("It wasn't very much good").3 < 0.0);
        assert_eq!(scores("He is not the worst"), (0.0, 0.548, 0.452, 0.5096));
    }

    #[test]
    fn caps_emphasis_only_when_some_words_are_not_caps() {
        assert_eq!(
            scores("The book was NOT good."),
            (0.376, 0.624, 0.0, -0.3412)
        );
        let mixed = scores("Today SUX!").3;
        let all_caps = scores("TODAY SUX!").3;
        assert_eq!(mixed, -0.5461);
        assert!(mixed < all_caps, "{mixed} {all_caps}");
    }

    #[test]
    fn boosters_and_dampeners() {
        let plain = scores("The book was good.").3;
        assert!(scores("The book was very good.").3 > plain);
        assert!(scores("The book was kinda good.").3 < plain);
        assert_eq!(
            scores("The book was kind of good."),
            (0.0, 0.657, 0.343, 0.3832)
        );
        // Booster words themselves score 0 even if they were in the lexicon.
        assert_eq!(scores("very"), (0.0, 1.0, 0.0, 0.0));
    }

    #[test]
    fn but_shifts_weight_to_the_second_clause() {
        let p = scores("The plot was good, but the characters are horrible.");
        // good x0.5 = 0.95, horrible x1.5 = -3.75
        assert!(p.3 < 0.0);
        assert!(p.0 > p.2);
    }

    #[test]
    fn but_check_reproduces_the_list_index_quirk() {
        // Python looks each value up with `list.index`: the 0.95 after "but" equals the halved
        // value before it, so the earlier position is halved again and the later one is left.
        let lower: Vec<String> = ["good", "but", "x"].iter().map(|s| s.to_string()).collect();
        let mut s = vec![1.9, 0.0, 0.95];
        but_check(&lower, &mut s);
        assert_eq!(s, vec![0.475, 0.0, 0.95]);
    }

    #[test]
    fn never_so_and_without_doubt() {
        assert_eq!(scores("Never so happy"), (0.0, 0.297, 0.703, 0.6948));
        assert_eq!(scores("without a doubt, excellent").3, 0.7013);
        assert!(scores("never happy").3 < 0.0);
    }

    #[test]
    fn no_negates_the_next_lexicon_word() {
        // "no" before a lexicon word counts 0 and negates it.
        let p = scores("no problem");
        assert!(p.3 > 0.0, "{p:?}");
        // Alone it keeps its own valence.
        assert!(scores("no").3 < 0.0);
    }

    #[test]
    fn least_negates_except_at_least() {
        assert!(scores("the least good").3 < 0.0);
        assert!(scores("at least good").3 > 0.0);
        assert!(scores("least good").3 < 0.0);
    }

    #[test]
    fn special_case_idioms() {
        // "the bomb" is +3 although "bomb" is negative.
        assert!(scores("that movie is the bomb").3 > 0.0);
    }

    #[test]
    fn punctuation_emphasis_amplifies() {
        let one = scores("good!").3;
        let three = scores("good!!!").3;
        let ten = scores("good!!!!!!!!!!").3;
        let four = scores("good!!!!").3;
        assert!(scores("good").3 < one && one < three && three < four);
        assert_eq!(four, ten, "at most four exclamation marks count");
        assert!(scores("good??").3 > scores("good?").3);
    }

    #[test]
    fn emoticons_survive_punctuation_stripping() {
        assert_eq!(
            scores("Make sure you :) or :D today!"),
            (0.0, 0.294, 0.706, 0.8633)
        );
    }

    #[test]
    fn emojis_become_descriptions() {
        let with_emoji = scores("I love💘");
        let described = scores("I love heart with arrow");
        assert_eq!(with_emoji, described);
    }

    #[test]
    fn python_string_semantics() {
        assert!(py_isupper("I'M"));
        assert!(!py_isupper(":)"));
        assert!(!py_isupper("Good"));
        assert!(!py_isupper("\u{01C5}A"));
        assert_eq!(
            py_split("a\u{1f}b\u{a0}c").collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(strip_punc_if_word("'good!'"), "good");
        assert_eq!(strip_punc_if_word(":-)"), ":-)");
        assert_eq!(py_round(0.125, 2), 0.12);
        assert_eq!(py_round(2.675, 2), 2.67);
        assert_eq!(normalize(1e9), 1.0);
    }

    #[test]
    fn malformed_lexicons_are_reported() {
        let err = Vader::from_lexicons("good\tx\n", "")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1"), "{err}");
        let err = Vader::from_lexicons("good\n", "").unwrap_err().to_string();
        assert!(err.contains("no tab"), "{err}");
        let err = Vader::from_dir("/nonexistent").unwrap_err().to_string();
        assert!(err.contains("rampart models fetch vader"), "{err}");
    }
}
