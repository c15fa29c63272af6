//! What a match is: [`PiiKind`], with its stable id, category and placeholder label.

use rampart_core::Category;
use serde::{Deserialize, Serialize};

/// Every kind of personal data or secret the recognisers find. The serde form (and
/// [`PiiKind::id`]) is a stable snake_case id that policies and logs may rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    // --- personal data ---
    /// An email address.
    Email,
    /// A phone number: E.164, or a national format with enough evidence (grouping or a cue).
    Phone,
    /// A payment card number: Luhn-valid, a known issuer prefix and a length that issuer uses.
    CreditCard,
    /// An IBAN: the country's length and the mod-97 check.
    Iban,
    /// A US social security number outside the ranges that are never issued.
    UsSsn,
    /// A UK National Insurance number.
    UkNino,
    /// A Spanish DNI or NIE with a correct control letter.
    EsDni,
    /// An Italian codice fiscale with a correct control character.
    ItCodiceFiscale,
    /// A German tax id (Steuer-IdNr) with a correct check digit, next to a cue.
    DeTaxId,
    /// An IPv4 or IPv6 address (the detail says public, private, loopback, ...).
    IpAddress,
    /// A US-style street address ("123 Main St").
    StreetAddress,
    /// A UK postcode with a real postcode area.
    UkPostcode,
    /// A date after a birth cue ("born on", "DOB").
    DateOfBirth,
    // --- secrets ---
    /// An OpenAI API key (`sk-`, `sk-proj-`, ...).
    OpenaiKey,
    /// An Anthropic API key (`sk-ant-`).
    AnthropicKey,
    /// An AWS access key id (`AKIA...`).
    AwsAccessKeyId,
    /// An AWS secret access key (40 characters, next to its name or an access key id).
    AwsSecretKey,
    /// A GitHub token (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`).
    GithubToken,
    /// A GitLab personal access token (`glpat-`).
    GitlabToken,
    /// A Slack token (`xoxb-`, `xoxp-`, ...).
    SlackToken,
    /// A Stripe secret or restricted key (`sk_live_`, `rk_live_`, and test keys).
    StripeKey,
    /// A Google API key (`AIza...`).
    GoogleApiKey,
    /// A JSON Web Token whose header decodes to JSON with an `alg`.
    Jwt,
    /// A PEM private key block.
    PrivateKey,
    /// The value of a `password=` / `passwd:` assignment.
    Password,
    /// The password in a URL with credentials (`postgres://user:pass@host`).
    ConnectionString,
    /// A high-entropy token next to a word like key, token or secret.
    GenericSecret,
}

impl PiiKind {
    /// Every kind, personal data first.
    pub const ALL: [PiiKind; 27] = [
        PiiKind::Email,
        PiiKind::Phone,
        PiiKind::CreditCard,
        PiiKind::Iban,
        PiiKind::UsSsn,
        PiiKind::UkNino,
        PiiKind::EsDni,
        PiiKind::ItCodiceFiscale,
        PiiKind::DeTaxId,
        PiiKind::IpAddress,
        PiiKind::StreetAddress,
        PiiKind::UkPostcode,
        PiiKind::DateOfBirth,
        PiiKind::OpenaiKey,
        PiiKind::AnthropicKey,
        PiiKind::AwsAccessKeyId,
        PiiKind::AwsSecretKey,
        PiiKind::GithubToken,
        PiiKind::GitlabToken,
        PiiKind::SlackToken,
        PiiKind::StripeKey,
        PiiKind::GoogleApiKey,
        PiiKind::Jwt,
        PiiKind::PrivateKey,
        PiiKind::Password,
        PiiKind::ConnectionString,
        PiiKind::GenericSecret,
    ];

    /// The stable snake_case id (the serde form).
    pub fn id(self) -> &'static str {
        match self {
            PiiKind::Email => "email",
            PiiKind::Phone => "phone",
            PiiKind::CreditCard => "credit_card",
            PiiKind::Iban => "iban",
            PiiKind::UsSsn => "us_ssn",
            PiiKind::UkNino => "uk_nino",
            PiiKind::EsDni => "es_dni",
            PiiKind::ItCodiceFiscale => "it_codice_fiscale",
            PiiKind::DeTaxId => "de_tax_id",
            PiiKind::IpAddress => "ip_address",
            PiiKind::StreetAddress => "street_address",
            PiiKind::UkPostcode => "uk_postcode",
            PiiKind::DateOfBirth => "date_of_birth",
            PiiKind::OpenaiKey => "openai_key",
            PiiKind::AnthropicKey => "anthropic_key",
            PiiKind::AwsAccessKeyId => "aws_access_key_id",
            PiiKind::AwsSecretKey => "aws_secret_key",
            PiiKind::GithubToken => "github_token",
            PiiKind::GitlabToken => "gitlab_token",
            PiiKind::SlackToken => "slack_token",
            PiiKind::StripeKey => "stripe_key",
            PiiKind::GoogleApiKey => "google_api_key",
            PiiKind::Jwt => "jwt",
            PiiKind::PrivateKey => "private_key",
            PiiKind::Password => "password",
            PiiKind::ConnectionString => "connection_string",
            PiiKind::GenericSecret => "generic_secret",
        }
    }

    /// The kind with this id, if any.
    pub fn from_id(id: &str) -> Option<PiiKind> {
        PiiKind::ALL.into_iter().find(|k| k.id() == id)
    }

    /// Whether this is a credential (rather than personal data about someone).
    pub fn is_secret(self) -> bool {
        self >= PiiKind::OpenaiKey
    }

    /// The risk category: [`Category::Secrets`] for credentials, [`Category::SensitiveData`]
    /// for personal data.
    pub fn category(self) -> Category {
        if self.is_secret() {
            Category::Secrets
        } else {
            Category::SensitiveData
        }
    }

    /// The label placeholders use: `EMAIL` in `[EMAIL]`, `CREDIT_CARD` in `[CREDIT_CARD_1]`.
    pub fn label(self) -> &'static str {
        match self {
            PiiKind::Email => "EMAIL",
            PiiKind::Phone => "PHONE",
            PiiKind::CreditCard => "CREDIT_CARD",
            PiiKind::Iban => "IBAN",
            PiiKind::UsSsn => "US_SSN",
            PiiKind::UkNino => "UK_NINO",
            PiiKind::EsDni => "ES_DNI",
            PiiKind::ItCodiceFiscale => "IT_CODICE_FISCALE",
            PiiKind::DeTaxId => "DE_TAX_ID",
            PiiKind::IpAddress => "IP_ADDRESS",
            PiiKind::StreetAddress => "STREET_ADDRESS",
            PiiKind::UkPostcode => "UK_POSTCODE",
            PiiKind::DateOfBirth => "DATE_OF_BIRTH",
            PiiKind::OpenaiKey => "OPENAI_KEY",
            PiiKind::AnthropicKey => "ANTHROPIC_KEY",
            PiiKind::AwsAccessKeyId => "AWS_ACCESS_KEY_ID",
            PiiKind::AwsSecretKey => "AWS_SECRET_KEY",
            PiiKind::GithubToken => "GITHUB_TOKEN",
            PiiKind::GitlabToken => "GITLAB_TOKEN",
            PiiKind::SlackToken => "SLACK_TOKEN",
            PiiKind::StripeKey => "STRIPE_KEY",
            PiiKind::GoogleApiKey => "GOOGLE_API_KEY",
            PiiKind::Jwt => "JWT",
            PiiKind::PrivateKey => "PRIVATE_KEY",
            PiiKind::Password => "PASSWORD",
            PiiKind::ConnectionString => "CONNECTION_SECRET",
            PiiKind::GenericSecret => "SECRET",
        }
    }
}

impl std::fmt::Display for PiiKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}
