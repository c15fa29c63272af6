//! Responsible-AI dimensions and the risk-category taxonomy.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The eight responsible-AI dimensions that every risk category belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    PrivacySecurity,
    Safety,
    Fairness,
    VeracityRobustness,
    Explainability,
    Controllability,
    Governance,
    Transparency,
}

impl Dimension {
    /// All dimensions, in a stable order.
    pub const ALL: [Dimension; 8] = [
        Dimension::PrivacySecurity,
        Dimension::Safety,
        Dimension::Fairness,
        Dimension::VeracityRobustness,
        Dimension::Explainability,
        Dimension::Controllability,
        Dimension::Governance,
        Dimension::Transparency,
    ];

    /// Stable snake_case id, as used in config files and reports.
    pub fn id(self) -> &'static str {
        match self {
            Dimension::PrivacySecurity => "privacy_security",
            Dimension::Safety => "safety",
            Dimension::Fairness => "fairness",
            Dimension::VeracityRobustness => "veracity_robustness",
            Dimension::Explainability => "explainability",
            Dimension::Controllability => "controllability",
            Dimension::Governance => "governance",
            Dimension::Transparency => "transparency",
        }
    }

    /// Human-readable name.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::PrivacySecurity => "Privacy & security",
            Dimension::Safety => "Safety",
            Dimension::Fairness => "Fairness",
            Dimension::VeracityRobustness => "Veracity & robustness",
            Dimension::Explainability => "Explainability",
            Dimension::Controllability => "Controllability",
            Dimension::Governance => "Governance",
            Dimension::Transparency => "Transparency",
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Dimension {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dimension::ALL
            .into_iter()
            .find(|d| d.id() == s)
            .ok_or_else(|| {
                let ids: Vec<_> = Dimension::ALL.iter().map(|d| d.id()).collect();
                format!(
                    "unknown dimension `{s}`; expected one of: {}",
                    ids.join(", ")
                )
            })
    }
}

/// Error for a category id that is not in the taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown risk category `{0}`; run `rampart categories` to list the ids")]
pub struct UnknownCategory(pub String);

macro_rules! categories {
    ($( $variant:ident => $id:literal, $code:expr, $dim:ident, $name:literal, $desc:literal; )*) => {
        /// A risk category with a stable id, a human name and description, and its
        /// [`Dimension`]. MLCommons hazards carry their Llama Guard 3 code (`S1`..`S14`).
        ///
        /// Serialised as its id (`"violent_crimes"`), never as the Rust variant name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Category { $( $variant, )* }

        impl Category {
            /// Every category, in a stable order (the MLCommons hazards first, by code).
            pub const ALL: &'static [Category] = &[ $( Category::$variant, )* ];

            /// Stable id, used in policies, reports and APIs. Never changes meaning.
            pub fn id(self) -> &'static str {
                match self { $( Category::$variant => $id, )* }
            }

            /// The MLCommons hazard code (as in Llama Guard 3), if this is one of S1–S14.
            pub fn mlcommons_code(self) -> Option<&'static str> {
                match self { $( Category::$variant => $code, )* }
            }

            /// The responsible-AI dimension this category belongs to.
            pub fn dimension(self) -> Dimension {
                match self { $( Category::$variant => Dimension::$dim, )* }
            }

            /// Short human name.
            pub fn name(self) -> &'static str {
                match self { $( Category::$variant => $name, )* }
            }

            /// One-sentence description of what falls under this category.
            pub fn description(self) -> &'static str {
                match self { $( Category::$variant => $desc, )* }
            }
        }
    };
}

categories! {
    ViolentCrimes => "violent_crimes", Some("S1"), Safety, "Violent crimes",
        "Enables, encourages or endorses violent crimes: terrorism, murder, assault, kidnapping, animal abuse.";
    NonViolentCrimes => "non_violent_crimes", Some("S2"), Safety, "Non-violent crimes",
        "Enables or encourages non-violent crimes: fraud, scams, theft, hacking, drug crimes, weapons crimes.";
    SexCrimes => "sex_crimes", Some("S3"), Safety, "Sex-related crimes",
        "Enables or encourages sex trafficking, sexual assault, sexual harassment or prostitution.";
    ChildSexualExploitation => "child_sexual_exploitation", Some("S4"), Safety, "Child sexual exploitation",
        "Contains, describes, enables or endorses the sexual abuse of children.";
    Defamation => "defamation", Some("S5"), VeracityRobustness, "Defamation",
        "Verifiably false statements likely to injure a living person's reputation.";
    SpecializedAdvice => "specialized_advice", Some("S6"), Safety, "Specialized advice",
        "Unqualified specialized financial, medical or legal advice, or claims that dangerous activities are safe.";
    Privacy => "privacy", Some("S7"), PrivacySecurity, "Privacy",
        "Reveals sensitive, nonpublic personal information that could undermine someone's security.";
    IntellectualProperty => "intellectual_property", Some("S8"), Governance, "Intellectual property",
        "Violates the intellectual property rights of a third party (copyright, trademark, patents).";
    IndiscriminateWeapons => "indiscriminate_weapons", Some("S9"), Safety, "Indiscriminate weapons",
        "Enables the creation of chemical, biological, radiological, nuclear or high-yield explosive weapons.";
    Hate => "hate", Some("S10"), Fairness, "Hate",
        "Demeans or dehumanizes people on the basis of protected characteristics.";
    SelfHarm => "self_harm", Some("S11"), Safety, "Suicide and self-harm",
        "Enables, encourages or endorses suicide, self-injury or disordered eating.";
    SexualContent => "sexual_content", Some("S12"), Safety, "Sexual content",
        "Sexually explicit content.";
    Elections => "elections", Some("S13"), VeracityRobustness, "Elections",
        "Factually incorrect information about electoral systems and processes, including voting.";
    CodeInterpreterAbuse => "code_interpreter_abuse", Some("S14"), PrivacySecurity, "Code interpreter abuse",
        "Abuses code execution: denial of service, container escapes, privilege escalation.";
    Jailbreak => "jailbreak", None, PrivacySecurity, "Jailbreak",
        "Attempts to make the model ignore its safety training or policy (role play, DAN, refusal suppression).";
    PromptInjection => "prompt_injection", None, PrivacySecurity, "Direct prompt injection",
        "Instructions in the user turn that try to override the system prompt or the application's intent.";
    IndirectInjection => "indirect_injection", None, PrivacySecurity, "Indirect prompt injection",
        "Instructions hidden in untrusted content (documents, web pages, emails, tool output) aimed at the model.";
    SensitiveData => "sensitive_data", None, PrivacySecurity, "PII and sensitive-data exfiltration",
        "Personal data (emails, phone numbers, payment cards, national ids, addresses) present or being exfiltrated.";
    Secrets => "secrets", None, PrivacySecurity, "Secrets",
        "Credentials: API keys, access tokens, private keys, passwords.";
    SystemPromptLeak => "system_prompt_leak", None, PrivacySecurity, "System-prompt leakage",
        "The model reveals its system prompt, hidden instructions or canary tokens.";
    UnauthorizedActions => "unauthorized_actions", None, Controllability, "Unauthorized actions",
        "Makes an agent call tools or APIs, or take actions, that the user or operator did not authorize.";
    DegradedAvailability => "degraded_availability", None, VeracityRobustness, "Degraded availability",
        "Makes the service unavailable or useless: resource exhaustion, endless output, forced refusals.";
    MalformedInput => "malformed_input", None, VeracityRobustness, "Malformed input",
        "Invalid or mixed encodings, control or invisible characters, gibberish, repetition bombs, oversized input.";
    Misinformation => "misinformation", None, VeracityRobustness, "Misinformation and false presupposition",
        "False claims, or answers that accept a question's false presupposition instead of correcting it.";
    Bias => "bias", None, Fairness, "Bias and stereotyping",
        "Stereotypes or unequal treatment of groups of people.";
    Misgendering => "misgendering", None, Fairness, "Misgendering",
        "Refers to a person with pronouns or gendered terms other than the ones they use.";
    Toxicity => "toxicity", None, Safety, "Toxicity and harassment",
        "Insults, profanity, threats or harassment directed at a person or group.";
    DeniedTopic => "denied_topic", None, Controllability, "Denied topic",
        "A topic the operator's policy says the application must not discuss.";
}

impl Category {
    /// Whether this is one of the MLCommons hazards S1–S14.
    pub fn is_hazard(self) -> bool {
        self.mlcommons_code().is_some()
    }

    /// Whether this category is a prompt attack (jailbreak, direct or indirect injection).
    pub fn is_prompt_attack(self) -> bool {
        matches!(
            self,
            Category::Jailbreak | Category::PromptInjection | Category::IndirectInjection
        )
    }

    /// Look up a category by its MLCommons code (`"S1"`..`"S14"`, case-insensitive).
    pub fn from_mlcommons_code(code: &str) -> Option<Category> {
        Category::ALL.iter().copied().find(|c| {
            c.mlcommons_code()
                .is_some_and(|k| k.eq_ignore_ascii_case(code))
        })
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Category {
    type Err = UnknownCategory;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .iter()
            .copied()
            .find(|c| c.id() == s)
            .or_else(|| Category::from_mlcommons_code(s))
            .ok_or_else(|| UnknownCategory(s.to_string()))
    }
}

impl Serialize for Category {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_snake_case_and_round_trip() {
        let mut seen = HashSet::new();
        for &c in Category::ALL {
            assert!(seen.insert(c.id()), "duplicate id {}", c.id());
            assert!(
                c.id()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "{} is not snake_case",
                c.id()
            );
            assert_eq!(c.id().parse::<Category>().unwrap(), c);
            assert!(!c.description().is_empty() && !c.name().is_empty());
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.id()));
            assert_eq!(serde_json::from_str::<Category>(&json).unwrap(), c);
        }
    }

    #[test]
    fn ids_are_stable() {
        // These ids are a public contract (policies, reports, API responses). If this test fails,
        // a category was renamed: add a new one instead.
        let expected = [
            "violent_crimes",
            "non_violent_crimes",
            "sex_crimes",
            "child_sexual_exploitation",
            "defamation",
            "specialized_advice",
            "privacy",
            "intellectual_property",
            "indiscriminate_weapons",
            "hate",
            "self_harm",
            "sexual_content",
            "elections",
            "code_interpreter_abuse",
            "jailbreak",
            "prompt_injection",
            "indirect_injection",
            "sensitive_data",
            "secrets",
            "system_prompt_leak",
            "unauthorized_actions",
            "degraded_availability",
            "malformed_input",
            "misinformation",
            "bias",
            "misgendering",
            "toxicity",
            "denied_topic",
        ];
        let ids: Vec<_> = Category::ALL.iter().map(|c| c.id()).collect();
        assert_eq!(ids, expected);
    }

    #[test]
    fn covers_all_mlcommons_hazards() {
        for n in 1..=14 {
            let code = format!("S{n}");
            let c = Category::from_mlcommons_code(&code).expect(&code);
            assert!(c.is_hazard());
            assert_eq!(code.parse::<Category>().unwrap(), c);
        }
        assert_eq!(Category::ALL.iter().filter(|c| c.is_hazard()).count(), 14);
    }

    #[test]
    fn every_dimension_round_trips() {
        for d in Dimension::ALL {
            assert_eq!(d.id().parse::<Dimension>().unwrap(), d);
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(serde_json::from_str::<Dimension>(&json).unwrap(), d);
        }
        assert!("nonsense".parse::<Dimension>().is_err());
    }

    #[test]
    fn unknown_category_error_says_what_to_do() {
        let err = "violence".parse::<Category>().unwrap_err();
        assert!(err.to_string().contains("violence"));
        assert!(err.to_string().contains("rampart categories"));
    }
}
