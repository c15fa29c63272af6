//! Multi-VALUE dialect rules that need no parser: rewrite Standard American English into
//! features of 50 English varieties, for dialect-robustness evaluation and red-team language
//! techniques.
//!
//! Multi-VALUE (Ziems, Held et al., ACL 2023; PyPI `value-nlp` 0.3, Apache-2.0) implements 189
//! eWAVE features as rewrites over a spaCy dependency parse and applies each dialect's features
//! with the probability eWAVE attests them (A = 1.0 pervasive, B = 0.6, C = 0.3, absent = 0).
//! This module ports **the 24 features that are lexical or regular-expression rewrites** and so
//! need no parser, tagger or coreference model:
//!
//! | eWAVE | rule id | rewrite |
//! |---|---|---|
//! | 11 | `regularized_reflexives` | himself → hisself, themselves → theirselves |
//! | 12 | `regularized_reflexives_object_pronouns` | myself → meself, yourself → youself |
//! | 13 | `regularized_reflexives_aave` | themselves → theyselves, himself → hisself |
//! | 14 | `reflex_number` | ourselves → ourself, yourself ↔ yourselves, myself → myselves |
//! | 16 | `emphatic_reflex` | myself → my own self, themselves → their own self |
//! | 18–27 | `my_i`, `our_we`, `his_he`, `their_they`, `your_you`, `your_yalls`, `his_him`, `their_them`, `my_me`, `our_us` | possessive → personal pronoun (my book → me book) |
//! | 29 | `me_us` | me → us |
//! | 34 | `yall` | you → y'all |
//! | 35 | `you_ye` | you → ye |
//! | 68 | `those_them` | those → them |
//! | 71 | `demonstrative_no_number` | these → this, those → that |
//! | 81 | `more_much` | more → much |
//! | 158 | `dont` | doesn't → don't |
//! | 163 | `wasnt_werent` | wasn't → weren't |
//! | 222 | `too_sub` | very → too |
//!
//! Each rule matches whole words case-insensitively (`\bword\b`, as Multi-VALUE's regular
//! expressions do; its spaCy-token rules 11–16 and 71 are matched the same way) and keeps an
//! initial capital. **Not ported** (they need a tagger or a parser): the 21 POS/lemma features
//! (33 nasal possessives, 49, 57, 58 plurals, 60, 61, 66 articles, 77 null genitive, 86, 119
//! will → would, 121 double modals, 123, 130, 134, 135 a-prefixing, 145, 170 uninflect, 171
//! third-person -s, 203, 208, 230) and the 145 features that walk a dependency parse (negative
//! concord, ain't, copula deletion, relativisers, word order, articles, ...; six of them also
//! need coreference). A dialect therefore expresses only part of its eWAVE profile here:
//! [`dialects`] reports how many of its features are ported.
//!
//! The pipeline follows Multi-VALUE's `convert_sae_to_dialect`: every rule of the dialect finds
//! its rewrites; each rule is kept, all its rewrites together, with the dialect's attestation
//! probability; kept rules are taken in a random order weighted by attestation and a rule whose
//! rewrites overlap an earlier one's is dropped; the rewrites are spliced in; then the surface
//! clean-ups run (`you all` → `y'all`, `have to`/`need to`/`got to` → `gotta`, `trying to` →
//! `tryna`, `I will` → `I'ma`, spacing fixes, initial capital), which Multi-VALUE applies to
//! every dialect whatever its features ([`Dialect::surface`] turns them off).
//!
//! Deliberate differences: randomness is rampart's seeded generator, so outputs are
//! deterministic under a seed but not those of Python's `random`; rules 12 and 13, which
//! Multi-VALUE files under rule 11's name (so they fire with rule 11's probability, or always
//! when the dialect lacks rule 11), use their own attestation here.
//!
//! The attestation table below is derived from Multi-VALUE's `attestation_vectors.csv`, built from
//! eWAVE (Kortmann, Lunkenheimer & Ehret, ewave-atlas.org, CC BY 3.0).
//!
//! ```
//! use rampart_text::dialect::{self, Dialect};
//!
//! // One rule, always applied.
//! let rule = dialect::rule("regularized_reflexives").unwrap();
//! let out = rule.apply("He hurt himself.", 7, 1.0);
//! assert_eq!(out.text, "He hurt hisself.");
//! assert_eq!(out.changes[0].from, "himself");
//!
//! // A dialect: its ported rules with eWAVE's probabilities, deterministic under the seed.
//! let appalachian = Dialect::named("Appalachian").unwrap();
//! let a = appalachian.apply("He doesn't like those apples.", 42);
//! assert_eq!(a, appalachian.apply("He doesn't like those apples.", 42));
//! ```

use std::ops::Range;
use std::sync::OnceLock;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use regex::{Captures, Regex};
use serde::Serialize;

/// A Multi-VALUE feature ported as a whole-word rewrite.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable id: Multi-VALUE's method name.
    pub id: &'static str,
    /// eWAVE feature number.
    pub ewave: u16,
    /// What the rule does, in a line.
    pub description: &'static str,
    /// Lower-case SAE word and its replacement.
    swaps: &'static [(&'static str, &'static str)],
}

/// Every ported rule, in eWAVE order.
pub static RULES: &[Rule] = &[
    Rule {
        id: "regularized_reflexives",
        ewave: 11,
        description: "regularised reflexives paradigm (himself -> hisself, themselves -> theirselves)",
        swaps: &[
            ("themselves", "theirselves"),
            ("themself", "theirself"),
            ("himself", "hisself"),
        ],
    },
    Rule {
        id: "regularized_reflexives_object_pronouns",
        ewave: 12,
        description: "reflexives built on object pronouns (myself -> meself)",
        swaps: &[("myself", "meself"), ("yourself", "youself")],
    },
    Rule {
        id: "regularized_reflexives_aave",
        ewave: 13,
        description: "reflexives built on subject pronouns (themselves -> theyselves)",
        swaps: &[
            ("themselves", "theyselves"),
            ("themself", "theyself"),
            ("himself", "hisself"),
        ],
    },
    Rule {
        id: "reflex_number",
        ewave: 14,
        description: "no number distinction in reflexives (ourselves -> ourself)",
        swaps: &[
            ("ourselves", "ourself"),
            ("yourself", "yourselves"),
            ("yourselves", "yourself"),
            ("themselves", "themself"),
            ("myself", "myselves"),
            ("myselves", "myself"),
        ],
    },
    Rule {
        id: "emphatic_reflex",
        ewave: 16,
        description: "emphatic reflexives with own (themselves -> their own self)",
        swaps: &[
            ("ourselves", "our own self"),
            ("yourselves", "your own self"),
            ("themselves", "their own self"),
            ("myself", "my own self"),
        ],
    },
    Rule {
        id: "my_i",
        ewave: 18,
        description: "subject form as possessive (my book -> I book)",
        swaps: &[("my", "I")],
    },
    Rule {
        id: "our_we",
        ewave: 19,
        description: "subject form as possessive (our farm -> we farm)",
        swaps: &[("our", "we")],
    },
    Rule {
        id: "his_he",
        ewave: 20,
        description: "subject form as possessive (his book -> he book)",
        swaps: &[("his", "he")],
    },
    Rule {
        id: "their_they",
        ewave: 21,
        description: "subject form as possessive (their book -> they book)",
        swaps: &[("their", "they")],
    },
    Rule {
        id: "your_you",
        ewave: 22,
        description: "subject form as possessive (your book -> you book)",
        swaps: &[("your", "you")],
    },
    Rule {
        id: "your_yalls",
        ewave: 23,
        description: "plural possessive y'all's (your books -> y'all's books)",
        swaps: &[("your", "y'all's")],
    },
    Rule {
        id: "his_him",
        ewave: 24,
        description: "object form as possessive (his book -> him book)",
        swaps: &[("his", "him")],
    },
    Rule {
        id: "their_them",
        ewave: 25,
        description: "object form as possessive (their book -> them book)",
        swaps: &[("their", "them")],
    },
    Rule {
        id: "my_me",
        ewave: 26,
        description: "object form as possessive (my book -> me book)",
        swaps: &[("my", "me")],
    },
    Rule {
        id: "our_us",
        ewave: 27,
        description: "object form as possessive (our book -> us book)",
        swaps: &[("our", "us")],
    },
    Rule {
        id: "me_us",
        ewave: 29,
        description: "us for me (show me -> show us)",
        swaps: &[("me", "us")],
    },
    Rule {
        id: "yall",
        ewave: 34,
        description: "second-person plural y'all (you -> y'all)",
        swaps: &[("you", "y'all")],
    },
    Rule {
        id: "you_ye",
        ewave: 35,
        description: "ye for you",
        swaps: &[("you", "ye")],
    },
    Rule {
        id: "those_them",
        ewave: 68,
        description: "them as demonstrative (those books -> them books)",
        swaps: &[("those", "them")],
    },
    Rule {
        id: "demonstrative_no_number",
        ewave: 71,
        description: "no number distinction in demonstratives (these books -> this books)",
        swaps: &[("these", "this"), ("those", "that")],
    },
    Rule {
        id: "more_much",
        ewave: 81,
        description: "much for more (more serious -> much serious)",
        swaps: &[("more", "much")],
    },
    Rule {
        id: "dont",
        ewave: 158,
        description: "invariant don't (he doesn't -> he don't)",
        swaps: &[("doesn't", "don't")],
    },
    Rule {
        id: "wasnt_werent",
        ewave: 163,
        description: "weren't for wasn't",
        swaps: &[("wasn't", "weren't")],
    },
    Rule {
        id: "too_sub",
        ewave: 222,
        description: "too for very (very nice -> too nice)",
        swaps: &[("very", "too")],
    },
];

/// Each eWAVE variety in Multi-VALUE: name, abbreviation, region, and the attestation of each
/// rule of [`RULES`] in order (`A` = 1.0, `B` = 0.6, `C` = 0.3, `-` = absent).
const VARIETIES: &[(&str, &str, &str, &str)] = &[
    (
        "Aboriginal English",
        "AborE",
        "Australia",
        "ABAA---CB--BCA-AA-AC-A-A",
    ),
    (
        "Acrolectal Fiji English",
        "FijiE",
        "Pacific",
        "-----------------------C",
    ),
    (
        "Appalachian English",
        "AppE",
        "America",
        "B--CC----------CA-B--B--",
    ),
    (
        "Australian English",
        "AusE",
        "Australia",
        "-B-B---------B-BB-B-CBC-",
    ),
    (
        "Australian Vernacular English",
        "AusVE",
        "Australia",
        "CA-----------A-BA-A--B-B",
    ),
    (
        "Bahamian English",
        "BahE",
        "Caribbean",
        "BBBBB---CC-CCC-CB-B--BCA",
    ),
    (
        "Black South African English",
        "BlSAfE",
        "Africa",
        "C--BC-----------B--BCC-B",
    ),
    (
        "Cameroon English",
        "CamE",
        "Africa",
        "B-CCB-----------A--CCBCA",
    ),
    (
        "Cape Flats English",
        "CFE",
        "Africa",
        "---BC-----------A--A-B--",
    ),
    (
        "Channel Islands English",
        "ChIsE",
        "British Isles",
        "-------------C--B-B--C--",
    ),
    (
        "Chicano English",
        "ChcE",
        "America",
        "----C-----------B----B--",
    ),
    (
        "Colloquial American English",
        "CollAmE",
        "America",
        "B---------------ACB--B--",
    ),
    (
        "Colloquial Singapore English (Singlish)",
        "CollSgE",
        "South and Southeast Asia",
        "---AB-----------B----B--",
    ),
    (
        "Earlier African American Vernacular English",
        "EAAVE",
        "America",
        "B-ABC--BBC-C-CC-BCAC-AC-",
    ),
    (
        "East Anglian English",
        "EA",
        "British Isles",
        "AA-----------A-AB-A--AA-",
    ),
    (
        "English dialects in the North of England",
        "North",
        "British Isles",
        "AA----BC---C-ABAABA--BB-",
    ),
    (
        "English dialects in the Southeast of England",
        "SE",
        "British Isles",
        "BB-B---------A-B--A--BB-",
    ),
    (
        "English dialects in the Southwest of England",
        "SW",
        "British Isles",
        "BACB---------A--CBB--CB-",
    ),
    (
        "Falkland Islands English",
        "FlkE",
        "South Atlantic",
        "CC-C---------C-BC-C--CC-",
    ),
    (
        "Ghanaian English",
        "GhE",
        "Africa",
        "C---C-----------B--B---C",
    ),
    (
        "Hong Kong English",
        "HKE",
        "South and Southeast Asia",
        "---A---------------AAAAA",
    ),
    (
        "Indian English",
        "IndE",
        "South and Southeast Asia",
        "---B------------B--BBC-A",
    ),
    (
        "Indian South African English",
        "InSAfE",
        "Africa",
        "---AC-----A-----A-BA-B-A",
    ),
    (
        "Irish English",
        "IrE",
        "British Isles",
        "BA-CB--------A-BAAA--BCB",
    ),
    (
        "Jamaican English",
        "JamE",
        "Caribbean",
        "-----CC--CCCC---C-C--C--",
    ),
    (
        "Kenyan English",
        "KenE",
        "Africa",
        "--------C-------B--BC--A",
    ),
    (
        "Liberian Settler English",
        "LibSE",
        "Africa",
        "B-BBB-C-BBA-----A-B--C-B",
    ),
    (
        "Malaysian English",
        "MalE",
        "South and Southeast Asia",
        "---AA-----------A--A-A-C",
    ),
    (
        "Maltese English",
        "MaltE",
        "British Isles",
        "----------------C--BCB--",
    ),
    (
        "Manx English",
        "ManxE",
        "British Isles",
        "CA-CC--------A-AC-A---B-",
    ),
    (
        "New Zealand English",
        "NZE",
        "Pacific",
        "-B-B---------B--A-B----B",
    ),
    (
        "Newfoundland English",
        "NfldE",
        "America",
        "B-C-C-----C----BBCB--A--",
    ),
    (
        "Nigerian English",
        "NigE",
        "Africa",
        "C--CC-----------B--BCC-A",
    ),
    (
        "Orkney and Shetland English",
        "O&SE",
        "British Isles",
        "-B-----------B---A-A----",
    ),
    (
        "Ozark English",
        "OzE",
        "America",
        "B--CB----------CBCA--A--",
    ),
    (
        "Pakistani English",
        "PakE",
        "South and Southeast Asia",
        "---CB-----------B---C--B",
    ),
    (
        "Philippine English",
        "PhilE",
        "South and Southeast Asia",
        "---C------------BC-BCB-A",
    ),
    (
        "Pure Fiji English (basilectal FijiE)",
        "CollFijiE",
        "Pacific",
        "------A-A-ABA-A-A-AC-B--",
    ),
    (
        "Rural African American Vernacular English",
        "RAAVE",
        "America",
        "ACBCC-C-A--CBCCCA-ACCA-C",
    ),
    (
        "Scottish English",
        "ScE",
        "British Isles",
        "B---------------BCBB----",
    ),
    (
        "Southeast American enclave dialects",
        "SEAmE",
        "America",
        "ACCCC---C---BC--A-A--AAB",
    ),
    (
        "Sri Lankan English",
        "SLkE",
        "South and Southeast Asia",
        "----------B-----B----C-C",
    ),
    (
        "St. Helena English",
        "StHE",
        "South Atlantic",
        "BBB-A--CAAAC-B-BB-AC-B-C",
    ),
    (
        "Tanzanian English",
        "TznE",
        "Africa",
        "----C------------------C",
    ),
    (
        "Tristan da Cunha English",
        "TdCE",
        "South Atlantic",
        "BCB-B---AA-C-C-BA-BC-A--",
    ),
    (
        "Ugandan English",
        "UgE",
        "Africa",
        "---CC----------C---CBC-B",
    ),
    (
        "Urban African American Vernacular English",
        "UAAVE",
        "America",
        "A-BBC--CCC--C-C-A-A-CA-B",
    ),
    (
        "Welsh English",
        "WelE",
        "British Isles",
        "CBCC----C----ACACCA--B--",
    ),
    (
        "White South African English",
        "WhSAfE",
        "Africa",
        "---BC----------BA--B----",
    ),
    (
        "White Zimbabwean English",
        "WhZimE",
        "Africa",
        "--C-C---C------BB-B--CCB",
    ),
];

/// Multi-VALUE's short names for a few varieties, accepted by [`Dialect::named`].
const ALIASES: &[(&str, &str)] = &[
    ("aave", "Urban African American Vernacular English"),
    ("singlish", "Colloquial Singapore English (Singlish)"),
    (
        "singapore english",
        "Colloquial Singapore English (Singlish)",
    ),
];

fn attestation(code: u8) -> f64 {
    match code {
        b'A' => 1.0,
        b'B' => 0.6,
        b'C' => 0.3,
        _ => 0.0,
    }
}

/// One rewrite: where it was in the input, what was there and what replaced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The rule's id, or `surface_contract` / `surface_fix` for Multi-VALUE's clean-ups.
    pub rule: &'static str,
    /// Byte range of `from` in the input; `None` for a clean-up, which applies to the
    /// rewritten text.
    pub span: Option<Range<usize>>,
    /// The text that was replaced.
    pub from: String,
    /// What replaced it.
    pub to: String,
}

/// A rewritten text and the rewrites that made it, in text order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transformed {
    /// The rewritten text.
    pub text: String,
    /// Every rewrite applied.
    pub changes: Vec<Change>,
}

/// A name that is not a dialect or a rule.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DialectError {
    /// No dialect has that name or abbreviation.
    #[error("unknown dialect `{0}`; `rampart_text::dialect::dialects()` lists the 50 varieties")]
    UnknownDialect(String),
    /// The name matches several dialects.
    #[error("`{name}` matches several dialects: {}; give the full name or the abbreviation", .candidates.join(", "))]
    Ambiguous {
        /// The name given.
        name: String,
        /// The dialects it matches.
        candidates: Vec<&'static str>,
    },
    /// No ported rule has that id.
    #[error(
        "unknown or unported dialect rule `{0}`; `rampart_text::dialect::RULES` lists the ported ones"
    )]
    UnknownRule(String),
}

/// A ported rule by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

fn rule_regexes() -> &'static [Regex] {
    static REGEXES: OnceLock<Vec<Regex>> = OnceLock::new();
    REGEXES.get_or_init(|| {
        RULES
            .iter()
            .map(|r| {
                let words: Vec<String> = r.swaps.iter().map(|(w, _)| regex::escape(w)).collect();
                Regex::new(&format!(r"(?i)\b(?:{})\b", words.join("|"))).expect("rule regex")
            })
            .collect()
    })
}

/// Multi-VALUE's `set_rule` capitalisation: a replacement of a word that starts upper-case
/// starts upper-case.
fn match_case(original: &str, value: &str) -> String {
    let upper = original.chars().next().is_some_and(char::is_uppercase);
    let mut chars = value.chars();
    match chars.next() {
        Some(first) if upper => first.to_uppercase().chain(chars).collect(),
        _ => value.to_string(),
    }
}

impl Rule {
    fn index(&self) -> usize {
        RULES
            .iter()
            .position(|r| std::ptr::eq(r, self))
            .expect("a rule of RULES")
    }

    /// Every rewrite this rule would make in `text`, in text order (not applied).
    pub fn find(&self, text: &str) -> Vec<Change> {
        rule_regexes()[self.index()]
            .find_iter(text)
            .filter_map(|m| {
                let lower = m.as_str().to_lowercase();
                let (_, to) = self.swaps.iter().find(|(w, _)| *w == lower)?;
                Some(Change {
                    rule: self.id,
                    span: Some(m.range()),
                    from: m.as_str().to_string(),
                    to: match_case(m.as_str(), to),
                })
            })
            .collect()
    }

    /// Applies the rule to `text` with `probability` (clamped to 0..=1): as in Multi-VALUE, a
    /// feature is expressed everywhere it matches or not at all, decided by one draw from a
    /// generator seeded with `seed`. Probability 0 returns `text` unchanged.
    pub fn apply(&self, text: &str, seed: u64, probability: f64) -> Transformed {
        let changes = self.find(text);
        let mut rng = StdRng::seed_from_u64(seed);
        if changes.is_empty() || rng.random::<f64>() >= probability {
            return Transformed {
                text: text.to_string(),
                changes: Vec::new(),
            };
        }
        splice(text, changes)
    }

    /// The dialects that have this feature, with its attestation in each.
    pub fn dialects(&self) -> Vec<(&'static str, f64)> {
        let i = self.index();
        VARIETIES
            .iter()
            .map(|&(name, _, _, codes)| (name, attestation(codes.as_bytes()[i])))
            .filter(|&(_, p)| p > 0.0)
            .collect()
    }
}

/// Replaces non-overlapping `changes` (sorted by span) in `text`.
fn splice(text: &str, mut changes: Vec<Change>) -> Transformed {
    changes.sort_by_key(|c| c.span.as_ref().map_or(0, |s| s.start));
    let mut out = String::with_capacity(text.len() + 16);
    let mut prev = 0;
    for change in &changes {
        let span = change.span.clone().expect("rule changes have spans");
        out.push_str(&text[prev..span.start]);
        out.push_str(&change.to);
        prev = span.end;
    }
    out.push_str(&text[prev..]);
    Transformed { text: out, changes }
}

/// A dialect's name, eWAVE abbreviation and region, and how many of its features are ported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DialectInfo {
    /// eWAVE name, as Multi-VALUE spells it.
    pub name: &'static str,
    /// eWAVE abbreviation.
    pub abbr: &'static str,
    /// eWAVE region.
    pub region: &'static str,
    /// Ported rules attested in the dialect (of [`RULES`]'s 24).
    pub rules: usize,
}

/// The 50 eWAVE varieties of Multi-VALUE with the number of ported rules each has.
pub fn dialects() -> Vec<DialectInfo> {
    VARIETIES
        .iter()
        .map(|&(name, abbr, region, codes)| DialectInfo {
            name,
            abbr,
            region,
            rules: codes.bytes().filter(|&c| attestation(c) > 0.0).count(),
        })
        .collect()
}

/// A dialect: rules with the probability each is expressed, applied as Multi-VALUE does.
#[derive(Debug, Clone, PartialEq)]
pub struct Dialect {
    name: String,
    rules: Vec<(&'static Rule, f64)>,
    surface: bool,
}

impl Dialect {
    /// The eWAVE variety called `name`: its full name or abbreviation (any case), a short name
    /// (`AAVE` is Urban AAVE, `Singlish`), or a part of the name that matches one variety only
    /// (`Appalachian`, `Nigerian`).
    pub fn named(name: &str) -> Result<Dialect, DialectError> {
        let wanted = name.trim().to_lowercase();
        let alias = ALIASES
            .iter()
            .find(|(a, _)| *a == wanted)
            .map(|&(_, full)| full);
        let exact = VARIETIES.iter().find(|v| {
            v.0.to_lowercase() == wanted || v.1.to_lowercase() == wanted || Some(v.0) == alias
        });
        let variety = match exact {
            Some(v) => v,
            None => {
                let matches: Vec<_> = VARIETIES
                    .iter()
                    .filter(|v| v.0.to_lowercase().contains(&wanted))
                    .collect();
                match matches.as_slice() {
                    [v] => *v,
                    [] => return Err(DialectError::UnknownDialect(name.to_string())),
                    many => {
                        return Err(DialectError::Ambiguous {
                            name: name.to_string(),
                            candidates: many.iter().map(|v| v.0).collect(),
                        });
                    }
                }
            }
        };
        let (full, _, _, codes) = *variety;
        let rules = RULES
            .iter()
            .zip(codes.bytes())
            .map(|(r, c)| (r, attestation(c)))
            .filter(|&(_, p)| p > 0.0)
            .collect();
        Ok(Dialect {
            name: full.to_string(),
            rules,
            surface: true,
        })
    }

    /// Every ported rule with probability 1 (Multi-VALUE's `MultiDialect`).
    pub fn multi() -> Dialect {
        Dialect {
            name: "all".to_string(),
            rules: RULES.iter().map(|r| (r, 1.0)).collect(),
            surface: true,
        }
    }

    /// The rules with these ids, each with probability 1 (Multi-VALUE's
    /// `DialectFromFeatureList`).
    pub fn from_rules(name: &str, ids: &[&str]) -> Result<Dialect, DialectError> {
        let rules = ids
            .iter()
            .map(|id| {
                rule(id)
                    .map(|r| (r, 1.0))
                    .ok_or_else(|| DialectError::UnknownRule(id.to_string()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Dialect {
            name: name.to_string(),
            rules,
            surface: true,
        })
    }

    /// Turns Multi-VALUE's surface clean-ups (contractions such as `gotta`, spacing, initial
    /// capital) on or off; they are on by default, as in Multi-VALUE, and apply even when no
    /// rule fires.
    pub fn surface(mut self, on: bool) -> Dialect {
        self.surface = on;
        self
    }

    /// The dialect's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its rules and the probability each is expressed with.
    pub fn rules(&self) -> &[(&'static Rule, f64)] {
        &self.rules
    }

    /// Rewrites `text` into the dialect, deterministically under `seed`.
    pub fn apply(&self, text: &str, seed: u64) -> Transformed {
        let mut rng = StdRng::seed_from_u64(seed);
        // Find every rule's rewrites, keep each rule with its probability.
        let mut kept: Vec<(f64, Vec<Change>)> = Vec::new();
        for &(rule, p) in &self.rules {
            let changes = rule.find(text);
            if !changes.is_empty() && rng.random::<f64>() < p {
                kept.push((p, changes));
            }
        }
        // Take kept rules in a random order weighted by probability; drop overlapping ones.
        let mut executed: Vec<Change> = Vec::new();
        // Bytes of the input already rewritten (Multi-VALUE's `covered` vector).
        let mut covered = vec![false; text.len()];
        while !kept.is_empty() {
            let total: f64 = kept.iter().map(|(p, _)| p).sum();
            let mut r = rng.random::<f64>() * total;
            let mut pick = kept.len() - 1;
            for (i, (p, _)) in kept.iter().enumerate() {
                if r < *p {
                    pick = i;
                    break;
                }
                r -= p;
            }
            let (_, changes) = kept.remove(pick);
            let spans = || changes.iter().filter_map(|c| c.span.clone());
            if !spans().any(|s| covered[s].contains(&true)) {
                for s in spans() {
                    covered[s].fill(true);
                }
                executed.extend(changes);
            }
        }
        let mut out = splice(text, executed);
        if self.surface {
            let first_upper = text.chars().next().is_some_and(char::is_uppercase);
            out.text = surface(&out.text, first_upper, &mut out.changes);
        }
        out
    }
}

/// Multi-VALUE's surface clean-ups: `surface_contract`, `surface_fix_contracted_copula`,
/// `surface_fix_spacing`, `strip()`, then the initial capital when the input had one.
fn surface(text: &str, capitalize: bool, changes: &mut Vec<Change>) -> String {
    static CONTRACT: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    let contract = CONTRACT.get_or_init(|| {
        [
            (r"(?i)\byou all\b", "y'all"),
            (r"(?i)\bnn't\b", "n't"),
            (r"(?i)\bwilln't\b", "won't"),
            (r"(?i)\bI'm going to\b", "I'ma"),
            (r"(?i)\bI am going to\b", "I'ma"),
            (r"(?i)\bI will\b ", "I'ma "),
            (r"(?i)\bhave to\b", "gotta"),
            (r"(?i)\bneed to\b", "gotta"),
            (r"(?i)\bgot to\b", "gotta"),
            (r"(?i)\btrying to\b", "tryna"),
            (r"(?i)\bbeen been\b", "been"),
            (r"(?i)([^\s])ain't", "${1} ain't"),
            (r"(?i)([^\s])isn't", "${1} isn't"),
            (r" \.$", "."),
            (r" \?$", "?"),
            (r" !$", "!"),
            (r" $", ""),
            (r"^ ", ""),
        ]
        .into_iter()
        .map(|(p, r)| (Regex::new(p).expect("surface regex"), r))
        .collect()
    });
    let mut s = text.to_string();
    for (i, (re, replacement)) in contract.iter().enumerate() {
        let rule = if i < 11 {
            "surface_contract"
        } else {
            "surface_fix"
        };
        if re.is_match(&s) {
            s = re
                .replace_all(&s, |caps: &Captures| {
                    let mut to = String::new();
                    caps.expand(replacement, &mut to);
                    changes.push(Change {
                        rule,
                        span: None,
                        from: caps[0].to_string(),
                        to: to.clone(),
                    });
                    to
                })
                .into_owned();
        }
    }
    let trimmed = s.trim();
    let mut s = trimmed.to_string();
    if capitalize
        && let Some(first) = s.chars().next()
        && first.is_lowercase()
    {
        let upper: String = first.to_uppercase().collect();
        changes.push(Change {
            rule: "surface_fix",
            span: None,
            from: first.to_string(),
            to: upper.clone(),
        });
        s.replace_range(..first.len_utf8(), &upper);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn always(id: &str, text: &str) -> String {
        rule(id).unwrap().apply(text, 0, 1.0).text
    }

    #[test]
    fn reflexive_rules() {
        assert_eq!(
            always("regularized_reflexives", "He hurt himself."),
            "He hurt hisself."
        );
        assert_eq!(
            always(
                "regularized_reflexives_object_pronouns",
                "I'll do it myself."
            ),
            "I'll do it meself."
        );
        assert_eq!(
            always("regularized_reflexives_aave", "They look after themselves."),
            "They look after theyselves."
        );
        assert_eq!(
            always("reflex_number", "We cannot change ourselves."),
            "We cannot change ourself."
        );
        // yourself <-> yourselves swap once, not back.
        assert_eq!(
            always("reflex_number", "yourself and yourselves"),
            "yourselves and yourself"
        );
        assert_eq!(
            always("emphatic_reflex", "They brought it by themselves."),
            "They brought it by their own self."
        );
    }

    #[test]
    fn pronoun_rules_keep_an_initial_capital() {
        assert_eq!(always("my_i", "My book and my pen"), "I book and I pen");
        assert_eq!(always("my_me", "my book"), "me book");
        assert_eq!(always("our_we", "Our farm"), "We farm");
        assert_eq!(always("his_he", "his book"), "he book");
        assert_eq!(always("his_him", "his book"), "him book");
        assert_eq!(always("their_they", "their book"), "they book");
        assert_eq!(always("their_them", "their book"), "them book");
        assert_eq!(always("your_you", "your book"), "you book");
        assert_eq!(
            always("your_yalls", "Where are your books?"),
            "Where are y'all's books?"
        );
        assert_eq!(always("our_us", "our book"), "us book");
        assert_eq!(always("me_us", "Show me the town!"), "Show us the town!");
        assert_eq!(always("yall", "You and you"), "Y'all and y'all");
        assert_eq!(always("you_ye", "no good to you"), "no good to ye");
    }

    #[test]
    fn whole_words_only() {
        assert_eq!(
            always("my_i", "myself, mystery, Amy"),
            "myself, mystery, Amy"
        );
        assert_eq!(always("you_ye", "youth, your"), "youth, your");
        assert_eq!(always("too_sub", "every"), "every");
    }

    #[test]
    fn lexical_rules() {
        assert_eq!(
            always("those_them", "I don't have any of those qualifications."),
            "I don't have any of them qualifications."
        );
        assert_eq!(
            always("demonstrative_no_number", "These books and those pens"),
            "This books and that pens"
        );
        assert_eq!(always("more_much", "more serious"), "much serious");
        assert_eq!(always("dont", "He doesn't always"), "He don't always");
        assert_eq!(
            always("wasnt_werent", "but Mike wasn't"),
            "but Mike weren't"
        );
        assert_eq!(
            always("too_sub", "They are VERY nice."),
            "They are Too nice."
        );
    }

    #[test]
    fn changes_point_into_the_input() {
        let text = "Show me your book";
        let out = rule("your_you").unwrap().apply(text, 1, 1.0);
        assert_eq!(out.changes.len(), 1);
        let c = &out.changes[0];
        assert_eq!(&text[c.span.clone().unwrap()], "your");
        assert_eq!((c.rule, c.to.as_str()), ("your_you", "you"));
    }

    #[test]
    fn probability_decides_the_whole_feature() {
        let r = rule("my_me").unwrap();
        assert_eq!(r.apply("my my my", 3, 0.0).text, "my my my");
        let outcomes: Vec<String> = (0..200).map(|s| r.apply("my my my", s, 0.5).text).collect();
        assert!(outcomes.iter().all(|t| t == "my my my" || t == "me me me"));
        let fired = outcomes.iter().filter(|t| *t == "me me me").count();
        assert!((60..140).contains(&fired), "{fired}");
    }

    #[test]
    fn dialect_table_is_consistent() {
        let all = dialects();
        assert_eq!(all.len(), 50);
        assert!(VARIETIES.iter().all(|v| v.3.len() == RULES.len()));
        let abbrs: std::collections::HashSet<_> = all.iter().map(|d| d.abbr).collect();
        assert_eq!(abbrs.len(), 50);
        // yall is the most widely attested ported feature (44 varieties in eWAVE).
        assert_eq!(rule("yall").unwrap().dialects().len(), 44);
        let appe = all.iter().find(|d| d.abbr == "AppE").unwrap();
        assert_eq!(Dialect::named("AppE").unwrap().rules().len(), appe.rules);
    }

    #[test]
    fn dialects_by_name() {
        assert_eq!(
            Dialect::named("Appalachian").unwrap().name(),
            "Appalachian English"
        );
        assert_eq!(
            Dialect::named("nigerian english").unwrap().name(),
            "Nigerian English"
        );
        assert_eq!(
            Dialect::named("AAVE").unwrap().name(),
            "Urban African American Vernacular English"
        );
        assert!(
            Dialect::named("Singlish")
                .unwrap()
                .name()
                .contains("Singapore")
        );
        assert!(matches!(
            Dialect::named("Indian"),
            Err(DialectError::Ambiguous { .. })
        ));
        assert_eq!(
            Dialect::named("Klingon"),
            Err(DialectError::UnknownDialect("Klingon".into()))
        );
        assert!(Dialect::from_rules("x", &["nasal_possessive_pron"]).is_err());
    }

    #[test]
    fn overlapping_rules_do_not_both_apply() {
        // Both rewrite "my": only one of them wins, chosen by the seed.
        let d = Dialect::from_rules("test", &["my_i", "my_me"]).unwrap();
        let outs: std::collections::HashSet<String> =
            (0..50).map(|s| d.apply("my book", s).text).collect();
        let expected: std::collections::HashSet<String> = ["I book", "me book"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(outs, expected);
    }

    #[test]
    fn multi_dialect_and_surface_clean_ups() {
        let out = Dialect::multi().apply("I have to help you all, you know.", 5);
        assert!(out.text.contains("gotta"), "{}", out.text);
        assert!(out.changes.iter().any(|c| c.rule == "surface_contract"));
        // Without the clean-ups only rules change the text.
        let out = Dialect::from_rules("t", &["dont"]).unwrap().surface(false);
        assert_eq!(out.apply("I have to go ", 1).text, "I have to go ");
        // With them, the initial capital is restored after a contraction.
        let d = Dialect::from_rules("t", &[]).unwrap();
        assert_eq!(d.apply("Have to go .", 1).text, "Gotta go.");
    }
}
