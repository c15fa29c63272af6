//! PII and secrets recognisers: hand-written positives, benign look-alikes that must not fire,
//! redaction offsets around non-ASCII text, and the guard detector.
//!
//! Tokens are assembled at run time (`key("ghp_", ...)`) so that this file does not itself look
//! like a leaked credential to secret scanners.

use rampart_core::{Category, Role};
use rampart_guard::Detector;
use rampart_guard::Input;
use rampart_guard::pii::{
    PiiDetector, PiiKind, PiiScanner, RedactStyle, redact, resolve_overlaps, restore,
};

fn kinds(text: &str) -> Vec<(PiiKind, String)> {
    PiiScanner::default()
        .scan(text)
        .into_iter()
        .map(|m| (m.kind, m.value(text).to_string()))
        .collect()
}

/// Asserts that `text` yields exactly one match, of `kind`, covering `value`.
#[track_caller]
fn finds(text: &str, kind: PiiKind, value: &str) {
    let got = kinds(text);
    assert_eq!(got, vec![(kind, value.to_string())], "in {text:?}");
}

#[track_caller]
fn quiet(text: &str) {
    let got = kinds(text);
    assert!(got.is_empty(), "{text:?} should not match, got {got:?}");
}

/// A token of `n` pseudo-random characters from `alphabet`, deterministic.
fn random(alphabet: &str, n: usize, seed: u64) -> String {
    let a: Vec<char> = alphabet.chars().collect();
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            a[((x >> 33) % a.len() as u64) as usize]
        })
        .collect()
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn key(prefix: &str, n: usize) -> String {
    format!(
        "{prefix}{}",
        random(ALNUM, n, prefix.len() as u64 + n as u64)
    )
}

// ------------------------------------------------------------------------------------------
// Personal data

#[test]
fn emails() {
    finds(
        "write to jane.doe+news@example.co.uk today",
        PiiKind::Email,
        "jane.doe+news@example.co.uk",
    );
    finds(
        "Contact: UtaK@jourrapide.com.",
        PiiKind::Email,
        "UtaK@jourrapide.com",
    );
    quiet("see icon@2x.png and logo@3x.jpg");
    quiet("npm i @scope/package and user@localhost");
    quiet("a..b@example.com is malformed");
}

#[test]
fn phones() {
    finds(
        "Call me at +44 7700 900123 tomorrow",
        PiiKind::Phone,
        "+44 7700 900123",
    );
    finds("office: (415) 555-2671", PiiKind::Phone, "(415) 555-2671");
    finds(
        "I would like to stop receiving messages to 541-714-1388",
        PiiKind::Phone,
        "541-714-1388",
    );
    finds("Phone: 0496 46 46 70", PiiKind::Phone, "0496 46 46 70");
    finds("my number is 699 956 915", PiiKind::Phone, "699 956 915");
    finds("+14155552671", PiiKind::Phone, "+14155552671");
}

#[test]
fn phone_look_alikes() {
    quiet("Released on 2023-10-12 and patched on 12.10.2023.");
    quiet("Order #1234567890 shipped; invoice no. 5550 1234 99.");
    quiet("It costs $1 234 567 or €1.234.567 in total.");
    quiet("ISBN 978-3-16-148410-0");
    quiet("unix time 1700000000 and 12:30:45");
    quiet("version 10.0.19041.1 is installed");
    quiet("2 + 2 = 4, 123 * 456 = 56088, and 100 200 300 are numbers");
    quiet("request id 123e4567-e89b-12d3-a456-426614174000");
    quiet("commit 3f786850e387550fdab836ed7e6dc881de23001b fixed it");
}

#[test]
fn payment_cards() {
    finds(
        "card 4111 1111 1111 1111 exp 12/27",
        PiiKind::CreditCard,
        "4111 1111 1111 1111",
    );
    finds(
        "pay with 5555555555554444",
        PiiKind::CreditCard,
        "5555555555554444",
    );
    finds(
        "amex 3782-822463-10005",
        PiiKind::CreditCard,
        "3782-822463-10005",
    );
    finds(
        "What is the limit for card 6011111111111117?",
        PiiKind::CreditCard,
        "6011111111111117",
    );
    // Luhn fails.
    quiet("card 4111 1111 1111 1112");
    // Luhn holds but no issuer starts with 1.
    quiet("serial 1234567812345670");
    // A Luhn-valid number after an order cue is an order number.
    quiet("order 4111111111111111 shipped");
    // Mixed separators are not how cards are written.
    quiet("4111-1111 1111-1111");
}

#[test]
fn ibans() {
    finds(
        "IBAN GB82 WEST 1234 5698 7654 32 please",
        PiiKind::Iban,
        "GB82 WEST 1234 5698 7654 32",
    );
    finds(
        "to DE89370400440532013000.",
        PiiKind::Iban,
        "DE89370400440532013000",
    );
    finds(
        "lower case gb82west12345698765432 works",
        PiiKind::Iban,
        "gb82west12345698765432",
    );
    quiet("GB82 WEST 1234 5698 7654 33"); // mod-97 fails
    quiet("XX82WEST12345698765432"); // no such country
}

#[test]
fn national_ids() {
    finds("SSN: 536-22-1234", PiiKind::UsSsn, "536-22-1234");
    finds(
        "His social security number is 853-37-1694",
        PiiKind::UsSsn,
        "853-37-1694",
    );
    quiet("SSN 666-22-1234 and 900-12-3456 and 536-00-1234"); // never issued
    quiet("the sample card 078-05-1120");
    finds("NI number AB 12 34 56 C", PiiKind::UkNino, "AB 12 34 56 C");
    quiet("code GB 12 34 56 C"); // GB is not a valid prefix
    finds("DNI 12345678Z", PiiKind::EsDni, "12345678Z");
    finds("NIE X1234567L", PiiKind::EsDni, "X1234567L");
    quiet("DNI 12345678A"); // wrong letter
    finds(
        "CF: RSSMRA85T10A562S",
        PiiKind::ItCodiceFiscale,
        "RSSMRA85T10A562S",
    );
    quiet("CF: RSSMRA85T10A562T");
    finds("Steuer-ID: 86095742719", PiiKind::DeTaxId, "86095742719");
    quiet("ref 86095742719"); // eleven digits without a cue
}

#[test]
fn ip_addresses() {
    let found = PiiScanner::default().scan("blocked from 93.184.216.34 and 10.0.0.12");
    assert_eq!(found.len(), 2);
    assert!(found[0].detail.contains("public"));
    assert!(found[1].detail.contains("private"));
    finds(
        "server at 2001:4860:4860::8888 is down",
        PiiKind::IpAddress,
        "2001:4860:4860::8888",
    );
    finds(
        "address 6e40:4041:c617:e898:c11:40d2:c669:2eb4 blocked",
        PiiKind::IpAddress,
        "6e40:4041:c617:e898:c11:40d2:c669:2eb4",
    );
    quiet("version 1.2.3.4 and v10.20.30.40 and build 4.18.0.305");
    quiet("999.1.1.1 is not an address; nor is 1.2.3.4.5");
    quiet("at 12:30:45, MAC 00:1A:2B:3C:4D:5E, std::vector<int> and Foo::Bar");
}

#[test]
fn addresses_and_birth_dates() {
    finds(
        "I live at 1600 Pennsylvania Avenue, Washington, DC 20500 now",
        PiiKind::StreetAddress,
        "1600 Pennsylvania Avenue, Washington, DC 20500",
    );
    finds(
        "ship to 42 Main St. Apt 5 please",
        PiiKind::StreetAddress,
        "42 Main St. Apt 5",
    );
    assert_eq!(
        kinds("Our office: 10 Downing Street, London SW1A 2AA"),
        vec![
            (PiiKind::StreetAddress, "10 Downing Street".to_string()),
            (PiiKind::UkPostcode, "SW1A 2AA".to_string()),
        ]
    );
    assert!(kinds("London SW1A 2AA").contains(&(PiiKind::UkPostcode, "SW1A 2AA".into())));
    quiet("postcode QQ1 1AA is not real");
    finds(
        "I was born on 14 March 1985 in Leeds",
        PiiKind::DateOfBirth,
        "14 March 1985",
    );
    finds("DOB: 03/14/1985", PiiKind::DateOfBirth, "03/14/1985");
    finds(
        "date of birth 1985-03-14",
        PiiKind::DateOfBirth,
        "1985-03-14",
    );
    quiet("the meeting is on 14 March 1985");
    quiet("a stubborn 03/14/1985 deadline");
}

// ------------------------------------------------------------------------------------------
// Secrets

#[test]
fn prefixed_keys() {
    let openai = key("sk-proj-", 48);
    finds(
        &format!("OPENAI_API_KEY={openai}"),
        PiiKind::OpenaiKey,
        &openai,
    );
    let anthropic = format!("sk-ant-api03-{}", random(ALNUM, 90, 7));
    finds(
        &format!("key: {anthropic}"),
        PiiKind::AnthropicKey,
        &anthropic,
    );
    let aws = format!("AKIA{}", random("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 3));
    finds(&format!("id {aws}"), PiiKind::AwsAccessKeyId, &aws);
    let ghp = key("ghp_", 36);
    finds(&format!("token {ghp}"), PiiKind::GithubToken, &ghp);
    let pat = key("github_pat_", 82);
    finds(&pat, PiiKind::GithubToken, &pat);
    let glpat = key("glpat-", 20);
    finds(&format!("export GL={glpat}"), PiiKind::GitlabToken, &glpat);
    let slack = format!(
        "xoxb-{}-{}-{}",
        random("0123456789", 12, 1),
        random("0123456789", 13, 2),
        random(ALNUM, 24, 3)
    );
    finds(&format!("slack {slack}"), PiiKind::SlackToken, &slack);
    let stripe = key("sk_live_", 24);
    finds(&format!("stripe {stripe}"), PiiKind::StripeKey, &stripe);
    let google = format!("AIza{}", random(ALNUM, 35, 9));
    finds(&format!("maps {google}"), PiiKind::GoogleApiKey, &google);
}

#[test]
fn aws_secret_key_needs_its_id_or_name() {
    let id = format!("AKIA{}", random("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 5));
    let secret = random(&format!("{ALNUM}/+"), 40, 11);
    let text = format!("aws_access_key_id = {id}\naws_secret_access_key = {secret}\n");
    let got = kinds(&text);
    assert!(got.contains(&(PiiKind::AwsAccessKeyId, id)), "{got:?}");
    assert!(
        got.contains(&(PiiKind::AwsSecretKey, secret.clone())),
        "{got:?}"
    );
    // The same 40 characters alone, with no AWS context, are not called an AWS key.
    assert!(
        !kinds(&format!("blob {secret} end"))
            .iter()
            .any(|(k, _)| *k == PiiKind::AwsSecretKey)
    );
}

#[test]
fn jwts_and_private_keys() {
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    finds(&format!("Authorization: Bearer {jwt}"), PiiKind::Jwt, jwt);
    // Three base64url parts whose header is not a JWT header.
    quiet("eyJmb28iOjF9.eyJiYXIiOjJ9.c2lnbmF0dXJlMTIz");
    let body = random(&format!("{ALNUM}+/"), 64, 4);
    let pem =
        format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n{body}\n-----END RSA PRIVATE KEY-----");
    finds(&format!("key:\n{pem}\ndone"), PiiKind::PrivateKey, &pem);
    let truncated = format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n");
    let got = kinds(&truncated);
    assert_eq!(got.len(), 1);
    assert!(got[0].1.contains(&body));
    quiet(
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
    );
}

#[test]
fn passwords_and_connection_strings() {
    finds("db_password = 'S3cr3t!pw'", PiiKind::Password, "S3cr3t!pw");
    finds("my password is hunter22", PiiKind::Password, "hunter22");
    finds(
        "DATABASE_URL=postgres://admin:Tr0ub4dor@db.internal:5432/app",
        PiiKind::ConnectionString,
        "Tr0ub4dor",
    );
    quiet("password: ********");
    quiet("password = os.environ[\"DB_PASSWORD\"]");
    quiet("def login(user: str, password: str) -> bool:");
    quiet("the password is correct and the password is required");
    quiet("bypass: 12345 and compass=north");
    quiet("https://example.com/path and postgres://localhost:5432/app");
}

#[test]
fn emails_after_multi_byte_whitespace() {
    // U+2028 and U+3000 are whitespace of three bytes: the token before the address starts after
    // the whole character (this used to slice inside it and panic).
    finds(
        "\u{2028}jane.doe@example.com-",
        PiiKind::Email,
        "jane.doe@example.com",
    );
    finds(
        "write\u{3000}jane.doe@example.com now",
        PiiKind::Email,
        "jane.doe@example.com",
    );
    let got = kinds("\u{2029}postgres://admin:Tr0ub4dor@db.internal:5432/app");
    assert!(
        got.iter().all(|(k, _)| *k != PiiKind::Email),
        "a connection string is not an email: {got:?}"
    );
}

#[test]
fn generic_high_entropy_tokens() {
    let token = random(ALNUM, 32, 21);
    finds(&format!("api_key: {token}"), PiiKind::GenericSecret, &token);
    finds(
        &format!("here is my secret token {token}"),
        PiiKind::GenericSecret,
        &token,
    );
    quiet("commit sha 3f786850e387550fdab836ed7e6dc881de23001b");
    quiet("token: 123e4567-e89b-12d3-a456-426614174000");
    quiet("key: auth.providers.google.clientConfig and key = some_long_identifier_name");
    quiet("the monkey ate 0123456789abcdefghijkl bananas");
}

// ------------------------------------------------------------------------------------------
// Configuration, overlaps, redaction

#[test]
fn scanner_kinds_and_threshold() {
    let text = "mail a@example.com, key ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
    let pd = PiiScanner::personal_data().scan(text);
    assert_eq!(pd.len(), 1);
    assert_eq!(pd[0].kind, PiiKind::Email);
    let secrets = PiiScanner::secrets().scan(text);
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0].kind, PiiKind::GithubToken);
    assert!(
        PiiScanner::default()
            .with_min_score(0.99)
            .scan(text)
            .is_empty()
    );
    assert!(
        PiiScanner::with_kinds([PiiKind::Iban])
            .scan(text)
            .is_empty()
    );
    for k in PiiKind::ALL {
        assert_eq!(PiiKind::from_id(k.id()), Some(k));
        assert_eq!(
            serde_json::to_string(&k).unwrap(),
            format!("\"{}\"", k.id())
        );
        assert_eq!(k.is_secret(), k.category() == Category::Secrets);
    }
}

#[test]
fn overlaps_resolve_by_score_then_length() {
    let text = "SSN: 536-22-1234";
    let found = PiiScanner::default().scan(text);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, PiiKind::UsSsn);
    // Same input order-independent.
    let mut a = found.clone();
    a.extend(found.clone());
    a.reverse();
    assert_eq!(resolve_overlaps(a), found);
}

#[test]
fn redaction_styles_and_offsets_with_non_ascii() {
    let text =
        "😀 客户 jane@example.com 和 4111 1111 1111 1111，再 jane@example.com 🎉 bob@example.org";
    let found = PiiScanner::default().scan(text);
    assert_eq!(found.len(), 4);

    let plain = redact(text, &found, &RedactStyle::Placeholder);
    assert_eq!(
        plain.text,
        "😀 客户 [EMAIL] 和 [CREDIT_CARD]，再 [EMAIL] 🎉 [EMAIL]"
    );
    for r in &plain.replacements {
        assert!(text.is_char_boundary(r.original.start) && text.is_char_boundary(r.original.end));
        let placeholder = &plain.text[r.redacted.start..r.redacted.end];
        assert_eq!(placeholder, format!("[{}]", r.kind.label()));
    }
    // Text between replacements is unchanged.
    assert_eq!(
        &plain.text[..plain.replacements[0].redacted.start],
        &text[..plain.replacements[0].original.start]
    );

    let numbered = redact(text, &found, &RedactStyle::NumberedPlaceholder);
    assert_eq!(
        numbered.text,
        "😀 客户 [EMAIL_1] 和 [CREDIT_CARD_1]，再 [EMAIL_1] 🎉 [EMAIL_2]"
    );
    let reply = "I wrote to [EMAIL_1] and [EMAIL_2] about [CREDIT_CARD_1].";
    assert_eq!(
        restore(reply, text, &numbered),
        "I wrote to jane@example.com and bob@example.org about 4111 1111 1111 1111."
    );

    let masked = redact(text, &found, &RedactStyle::Mask);
    assert!(masked.text.contains("**** **** **** 1111"));
    assert!(!masked.text.contains("jane@"));

    let salted = RedactStyle::Hash {
        salt: "pepper".into(),
    };
    let hashed = redact(text, &found, &salted);
    let again = redact(text, &found, &salted);
    assert_eq!(hashed, again);
    let first =
        &hashed.text[hashed.replacements[0].redacted.start..hashed.replacements[0].redacted.end];
    let third =
        &hashed.text[hashed.replacements[2].redacted.start..hashed.replacements[2].redacted.end];
    assert_eq!(first, third, "same value, same hash");
    assert!(first.starts_with("[EMAIL:") && first.len() == "[EMAIL:12345678]".len());
    let other = redact(
        text,
        &found,
        &RedactStyle::Hash {
            salt: "salt".into(),
        },
    );
    assert_ne!(hashed.text, other.text);
}

#[test]
fn redact_ignores_bad_spans() {
    let text = "é@x";
    let bogus = vec![rampart_guard::pii::PiiMatch {
        kind: PiiKind::Email,
        span: rampart_core::Span { start: 1, end: 99 },
        score: 1.0,
        detail: String::new(),
    }];
    assert_eq!(redact(text, &bogus, &RedactStyle::Placeholder).text, text);
}

#[test]
fn detector_reports_spans_in_the_original_text() {
    let text = "reach me at ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ or j\u{200B}ohn@example.com, key AKIAZ2E3A7F3BQ44CKRV";
    let normalized = rampart_text::normalize(text);
    let input = Input::new(text, Role::User, &normalized);
    let detector = PiiDetector::default();
    assert_eq!(detector.id(), "pii");
    let findings = detector.detect(&input);
    let got: Vec<(&str, &str, Category)> = findings
        .iter()
        .map(|f| {
            let s = f.span.unwrap();
            (f.detector.as_str(), &text[s.start..s.end], f.category)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "pii.email",
                "ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ",
                Category::SensitiveData
            ),
            (
                "pii.email",
                "j\u{200B}ohn@example.com",
                Category::SensitiveData
            ),
            (
                "pii.aws_access_key_id",
                "AKIAZ2E3A7F3BQ44CKRV",
                Category::Secrets
            ),
        ]
    );
    for f in &findings {
        let detail = f.detail.as_deref().unwrap_or("");
        assert!(
            !detail.contains("example") && !detail.contains("AKIA"),
            "{detail}"
        );
    }
    let benign = rampart_text::normalize("Hi, how do I kill a Python process?");
    assert!(
        detector
            .detect(&Input::new(
                "Hi, how do I kill a Python process?",
                Role::User,
                &benign
            ))
            .is_empty()
    );
}
