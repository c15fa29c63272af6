//! The recognisers: one regex per shape, each followed by a validator that checks what a regex
//! cannot (checksums, ranges, context cues, benign look-alikes) and scores the candidate.
//!
//! Regexes only propose candidates; they use ASCII classes and no Unicode word boundaries so that
//! the regex crate's lazy DFA and literal prefilters (for `sk-`, `AKIA`, `ghp_`, ...) do the scan
//! at memory speed. Boundaries are checked by hand in the validators.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::check;
use super::{PiiKind, PiiMatch};

/// A validator: looks at one regex match in `text` and pushes zero or more matches.
type Check = fn(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>);

pub(crate) struct Recognizer {
    /// The kinds this recogniser can produce; it runs when any of them is enabled.
    pub kinds: &'static [PiiKind],
    regex: Regex,
    check: Check,
}

impl Recognizer {
    fn new(kinds: &'static [PiiKind], pattern: &str, check: Check) -> Recognizer {
        let regex = Regex::new(pattern).unwrap_or_else(|e| panic!("bad PII pattern: {e}"));
        Recognizer {
            kinds,
            regex,
            check,
        }
    }

    /// Runs over `text`, pushing validated matches (possibly overlapping) into `out`.
    pub fn run(&self, text: &str, out: &mut Vec<PiiMatch>) {
        for caps in self.regex.captures_iter(text) {
            (self.check)(text, &caps, out);
        }
    }
}

/// Every recogniser, compiled once per process.
pub(crate) static RECOGNIZERS: LazyLock<Vec<Recognizer>> = LazyLock::new(build);

const MONTHS: &str = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";

fn build() -> Vec<Recognizer> {
    use PiiKind::*;
    let dob = format!(
        r"(?i)(?:born(?: on)?|date of birth|d\.o\.b\.?|dob|birth ?date|birthday)(?:\s*(?:is|was|:|-|=))?\s*((?:\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?:\d{{4}}|\d{{2}}))|(?:\d{{4}}-\d{{1,2}}-\d{{1,2}})|(?:(?:{MONTHS})\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}})|(?:\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{MONTHS})\.?,? \d{{4}}))"
    );
    vec![
        Recognizer::new(
            &[Email],
            r"[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}",
            email,
        ),
        Recognizer::new(
            &[Phone],
            r"(?:(?:\+|00)[1-9]\d{0,2}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?)?\d{1,5}(?:[ .\-]?\d{1,5}){1,6}(?: ?(?:x|ext\.?) ?\d{1,5})?",
            phone,
        ),
        Recognizer::new(&[CreditCard], r"\d(?:[ \-]?\d){11,22}", credit_card),
        Recognizer::new(&[Iban], r"(?i)[a-z]{2}\d{2}(?: ?[a-z0-9]){11,40}", iban),
        Recognizer::new(&[UsSsn], r"\d{3}[ \-]?\d{2}[ \-]?\d{4}", ssn),
        Recognizer::new(&[UkNino], r"[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]", nino),
        Recognizer::new(&[EsDni], r"(?i)(?:[xyz]-?\d{7}|\d{8})-?[a-z]", dni),
        Recognizer::new(
            &[ItCodiceFiscale],
            r"(?i)[a-z]{6}[0-9lmnp-v]{2}[abcdehlmprst][0-9lmnp-v]{2}[a-z][0-9lmnp-v]{3}[a-z]",
            codice_fiscale,
        ),
        Recognizer::new(&[DeTaxId], r"\d{2} ?\d{3} ?\d{3} ?\d{3}", de_tax_id),
        Recognizer::new(&[IpAddress], r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}", ipv4),
        Recognizer::new(
            &[IpAddress],
            r"[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*",
            ipv6,
        ),
        Recognizer::new(
            &[StreetAddress],
            r"(?x)
            \d{1,6}(?:-\d{1,4})?[A-Za-z]?\ 
            (?:(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?\ )?
            (?:(?:\p{Lu}[\p{L}'\-]*|\d{1,3}(?:st|nd|rd|th))\.?\ ){1,4}
            (?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl
              |Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Alley|Crescent
              |Close|Gardens|Grove|Mews|Row|Loop|Pike|Plaza)\b\.?
            (?:,?\ (?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Room|Rm|\#)\.?\ ?\#?[A-Za-z0-9\-]{1,6})?
            (?:,?\ \p{Lu}[\p{L}]+(?:\ \p{Lu}[\p{L}]+){0,2},?\ [A-Z]{2}\ \d{5}(?:-\d{4})?)?
            |(?i:p\.?\ ?o\.?\ box)\ \d{1,6}",
            street_address,
        ),
        Recognizer::new(
            &[UkPostcode],
            r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}",
            uk_postcode,
        ),
        Recognizer::new(&[DateOfBirth], &dob, date_of_birth),
        Recognizer::new(
            &[OpenaiKey, AnthropicKey],
            r"sk-[A-Za-z0-9_\-]{20,300}",
            openai_or_anthropic,
        ),
        Recognizer::new(
            &[AwsAccessKeyId],
            r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z2-7]{16}",
            aws_access_key_id,
        ),
        Recognizer::new(&[AwsSecretKey], r"[A-Za-z0-9/+]{40}", aws_secret_key),
        Recognizer::new(
            &[GithubToken],
            r"gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}",
            github,
        ),
        Recognizer::new(&[GitlabToken], r"glpat-[A-Za-z0-9_\-]{20,64}", gitlab),
        Recognizer::new(
            &[SlackToken],
            r"xox[abposre]-[A-Za-z0-9\-]{10,250}|https://hooks\.slack\.com/services/T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]{16,}",
            slack,
        ),
        Recognizer::new(
            &[StripeKey],
            r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}",
            stripe,
        ),
        Recognizer::new(&[GoogleApiKey], r"AIza[0-9A-Za-z_\-]{35}", google),
        Recognizer::new(
            &[Jwt],
            r"(eyJ[A-Za-z0-9_\-]{4,})\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*",
            jwt,
        ),
        Recognizer::new(
            &[PrivateKey],
            r"-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----",
            private_key,
        ),
        Recognizer::new(
            &[Password],
            r#"(?i)(?:password|passwd|passphrase|pwd|pass)["']?\s*(?:=>|:=|=|:|\sis\s)\s*["']?([^\s"'`,;&<>]{3,128})"#,
            password,
        ),
        Recognizer::new(
            &[ConnectionString],
            r#"(?i)[a-z][a-z0-9+.\-]{1,20}://[^\s:/@'"]{1,128}:([^\s@/'"]{1,128})@[A-Za-z0-9.\-_]{1,253}"#,
            connection_string,
        ),
        Recognizer::new(
            &[GenericSecret],
            r#"(?i)(?:key|token|secret|bearer|credential|auth)[a-z_\-]{0,16}["']?\s*(?:=>|:=|=|:|\sis\s)?\s*["']?([A-Za-z0-9_\-+/=.~]{16,256})"#,
            generic_secret,
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Context helpers

/// The character before byte `i`, if any.
fn prev_char(text: &str, i: usize) -> Option<char> {
    text.get(..i)?.chars().next_back()
}

/// The character at byte `i`, if any.
fn next_char(text: &str, i: usize) -> Option<char> {
    text.get(i..)?.chars().next()
}

/// Up to `n` bytes before byte `i`, lower-cased (ASCII), cut on a character boundary.
fn before(text: &str, i: usize, n: usize) -> String {
    let mut start = i.saturating_sub(n);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text.get(start..i).unwrap_or("").to_ascii_lowercase()
}

/// Up to `n` bytes after byte `i`, lower-cased (ASCII), cut on a character boundary.
fn after(text: &str, i: usize, n: usize) -> String {
    let mut end = (i + n).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(i..end).unwrap_or("").to_ascii_lowercase()
}

/// Whether `hay` contains `word` not glued to letters or digits on its left and not to letters
/// on its right ("tel:" and "tel." count, "hotel" does not).
fn has_word(hay: &str, word: &str) -> bool {
    hay.match_indices(word).any(|(at, _)| {
        let left = hay[..at].chars().next_back();
        let right = hay[at + word.len()..].chars().next();
        !left.is_some_and(|c| c.is_alphanumeric()) && !right.is_some_and(|c| c.is_alphabetic())
    })
}

fn has_any(hay: &str, words: &[&str]) -> bool {
    words.iter().any(|w| has_word(hay, w))
}

/// Whether the match is a whole token: not glued to a letter, digit or `_` on either side.
fn standalone(text: &str, start: usize, end: usize) -> bool {
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    !glued(prev_char(text, start)) && !glued(next_char(text, end))
}

/// Whether the number continues past the match: a digit, or a `.`/`-`/`,`/`/` followed by a digit.
fn continues_number(text: &str, end: usize) -> bool {
    let rest = text.get(end..).unwrap_or("").as_bytes();
    match rest {
        [d, ..] if d.is_ascii_digit() => true,
        [b'.' | b'-' | b',' | b'/', d, ..] if d.is_ascii_digit() => true,
        _ => false,
    }
}

/// Whether a number starts before the match (a digit, or a digit then `.`/`-`/`/`).
fn preceded_by_number(text: &str, start: usize) -> bool {
    let head = text.get(..start).unwrap_or("").as_bytes();
    match head {
        [.., d] if d.is_ascii_digit() => true,
        [.., d, b'.' | b'-' | b'/'] if d.is_ascii_digit() => true,
        _ => false,
    }
}

fn digits_of(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn push(
    out: &mut Vec<PiiMatch>,
    kind: PiiKind,
    start: usize,
    end: usize,
    score: f32,
    detail: impl Into<String>,
) {
    out.push(PiiMatch {
        kind,
        span: rampart_core::Span::new(start, end),
        score: score.clamp(0.0, 1.0),
        detail: detail.into(),
    });
}

/// Words before a number that make it something other than personal data.
const ID_CUES: &[&str] = &[
    "order",
    "invoice",
    "ref",
    "reference",
    "tracking",
    "isbn",
    "issn",
    "serial",
    "sku",
    "ticket",
    "case",
    "id",
    "#",
    "no.",
    "version",
    "build",
    "transaction id",
    "part",
    "model",
    "zip",
    "postal",
    "price",
    "total",
    "amount",
    "cost",
    "$",
    "€",
    "£",
    "¥",
    "usd",
    "eur",
    "gbp",
];

// ---------------------------------------------------------------------------------------------
// Personal data

fn email(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    let value = m.as_str();
    let Some((local, domain)) = value.split_once('@') else {
        return;
    };
    if local.ends_with('.') || local.contains("..") || !standalone(text, m.start(), m.end()) {
        return;
    }
    // `icon@2x.png` is an image name, not an address.
    let tld = domain.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    const FILE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp"];
    if FILE_EXTENSIONS.contains(&tld.as_str()) {
        return;
    }
    if prev_char(text, m.start()).is_some_and(|c| c == '@' || c == '.' || c == '-') {
        return;
    }
    // `scheme://user:password@host` is a connection string (its own recogniser), not an email.
    // Whitespace can be several bytes (U+2028 is three): step over the whole character.
    let token_start = text[..m.start()]
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    if text[token_start..m.start()].contains("://") {
        return;
    }
    push(
        out,
        PiiKind::Email,
        m.start(),
        m.end(),
        0.95,
        "email address",
    );
}

fn phone(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    let (start, mut end) = (m.start(), m.end());
    let mut value = m.as_str();
    // A trailing separator belongs to the sentence.
    while value.ends_with([' ', '.', '-']) {
        value = &value[..value.len() - 1];
        end -= 1;
    }
    if preceded_by_number(text, start)
        || continues_number(text, end)
        || !standalone(text, start, end)
        || prev_char(text, start)
            .is_some_and(|c| matches!(c, '$' | '€' | '£' | '¥' | '.' | '/' | ':' | '-' | '+' | '#'))
    {
        return;
    }
    let main = value.split(['x', 'e']).next().unwrap_or(value);
    let digits = digits_of(main);
    let n = digits.len();
    if !(7..=15).contains(&n) {
        return;
    }
    let international = value.starts_with('+') || value.starts_with("00");
    let groups: Vec<&str> = main
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    // 3-2-4 digits is the shape of a US social security number, not of a phone number.
    if lens == [3, 2, 4] && !international {
        return;
    }
    let seps: Vec<char> = main
        .trim_start_matches('+')
        .chars()
        .filter(|c| matches!(c, ' ' | '.' | '-'))
        .collect();
    let mixed = seps.windows(2).any(|w| w[0] != w[1]) && !main.contains('(');
    let dotted = !seps.is_empty() && seps.iter().all(|&c| c == '.');
    // Dates and timestamps: 2024-01-15, 15.01.2024, 01 15 2024.
    let num = |g: &str| g.parse::<u32>().unwrap_or(0);
    let date_like = match lens.as_slice() {
        [4, 2, 2, ..] => check::date_valid(num(groups[2]), num(groups[1])),
        [1 | 2, 1 | 2, 4, ..] => {
            check::date_valid(num(groups[0]), num(groups[1]))
                || check::date_valid(num(groups[1]), num(groups[0]))
        }
        _ => false,
    };
    let ctx = before(text, start, 32);
    let cue_after = after(text, end, 12);
    const CUES: &[&str] = &[
        "phone",
        "tel",
        "tel.",
        "telephone",
        "mobile",
        "mob",
        "cell",
        "fax",
        "call",
        "sms",
        "text",
        "whatsapp",
        "contact",
        "reach",
        "desk",
        "office",
        "number",
        "registered",
        "messages to",
        "dial",
        "ph",
        "ring",
    ];
    let cue = has_any(&ctx, CUES)
        || cue_after.starts_with("-office")
        || cue_after.starts_with("-fax")
        || cue_after.starts_with("-mobile")
        || cue_after.starts_with(" (mobile)")
        || cue_after.starts_with(" (office)");
    let anti = has_any(&ctx, ID_CUES);
    if (date_like || dotted || mixed) && !cue {
        return;
    }
    let nanp = matches!(lens.as_slice(), [3, 3, 4] | [1, 3, 3, 4])
        && groups
            .iter()
            .rev()
            .nth(2)
            .is_some_and(|g| !g.starts_with(['0', '1']));
    let trunk = digits.starts_with('0') && !digits.starts_with("00") && (9..=11).contains(&n);
    let mut score: f32 = if international && n >= 8 {
        0.85
    } else if nanp && (main.contains('(') || seps.iter().all(|&c| c == '-')) {
        0.75
    } else if nanp || (trunk && groups.len() >= 2) {
        0.6
    } else if groups.len() >= 2 && n >= 9 {
        0.45
    } else {
        0.3
    };
    if cue {
        score += 0.35;
    }
    if anti && !cue {
        score -= 0.5;
    }
    let detail = if international {
        "phone number (international)"
    } else {
        "phone number"
    };
    push(out, PiiKind::Phone, start, end, score.min(0.95), detail);
}

fn credit_card(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    let start = m.start();
    if preceded_by_number(text, start) || !standalone(text, start, m.end()) {
        return;
    }
    let value = m.as_str();
    let sep = value.chars().find(|c| !c.is_ascii_digit());
    if let Some(sep) = sep
        && value.chars().any(|c| !c.is_ascii_digit() && c != sep)
    {
        return;
    }
    // The regex is greedy; a card followed by another number ("4111 ... 1111 2025") is found by
    // trying shorter prefixes that end at a group boundary.
    let mut ends: Vec<usize> = vec![value.len()];
    if sep.is_some() {
        ends.extend(
            value
                .match_indices(sep.unwrap_or(' '))
                .map(|(i, _)| i)
                .rev(),
        );
    }
    for end in ends {
        let candidate = &value[..end];
        if continues_number(text, start + end) && end == value.len() {
            return;
        }
        let digits = digits_of(candidate);
        if !(12..=19).contains(&digits.len()) {
            continue;
        }
        let groups: Vec<usize> = candidate
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .collect();
        let grouped = groups.len() > 1;
        let well_grouped = !grouped
            || matches!(groups.as_slice(), [4, 6, 5] | [4, 6, 4])
            || (groups[..groups.len() - 1].iter().all(|&g| g == 4)
                && (1..=4).contains(&groups[groups.len() - 1]));
        if !well_grouped {
            continue;
        }
        let Some(brand) = check::card_brand(&digits) else {
            continue;
        };
        if !check::luhn(&digits) {
            continue;
        }
        let ctx = before(text, start, 40);
        let cue = has_any(
            &ctx,
            &[
                "card",
                "visa",
                "mastercard",
                "amex",
                "credit",
                "debit",
                "cc",
                "payment",
                "pay",
                "cvv",
                "expir",
            ],
        );
        let anti = has_any(&ctx, ID_CUES);
        let mut score: f32 = if grouped { 0.9 } else { 0.8 };
        if cue {
            score += 0.08;
        } else if anti {
            score -= 0.45;
        }
        push(
            out,
            PiiKind::CreditCard,
            start,
            start + end,
            score,
            format!("{brand} card number (Luhn-valid)"),
        );
        return;
    }
}

fn iban(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    let start = m.start();
    if prev_char(text, start).is_some_and(|c| c.is_alphanumeric()) {
        return;
    }
    let value = m.as_str();
    let country = value[..2].to_ascii_uppercase();
    let Some(len) = check::iban_length(&country) else {
        return;
    };
    // Take exactly `len` alphanumerics: with spaces allowed, the regex may run into the next word.
    let mut compact = String::with_capacity(len);
    let mut end = 0;
    for (i, c) in value.char_indices() {
        if c != ' ' {
            compact.push(c.to_ascii_uppercase());
            if compact.len() == len {
                end = i + c.len_utf8();
                break;
            }
        }
    }
    if compact.len() != len || next_char(text, start + end).is_some_and(|c| c.is_alphanumeric()) {
        return;
    }
    if check::iban_mod97(&compact) {
        push(
            out,
            PiiKind::Iban,
            start,
            start + end,
            0.95,
            format!("IBAN ({country}, mod-97 valid)"),
        );
    }
}

fn ssn(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    let (start, end) = (m.start(), m.end());
    if preceded_by_number(text, start)
        || continues_number(text, end)
        || !standalone(text, start, end)
    {
        return;
    }
    let value = m.as_str();
    let seps: Vec<char> = value.chars().filter(|c| !c.is_ascii_digit()).collect();
    if !(seps.is_empty() || (seps.len() == 2 && seps[0] == seps[1])) {
        return;
    }
    let d = digits_of(value);
    let part = |r: std::ops::Range<usize>| d[r].parse::<u32>().unwrap_or(0);
    if !check::ssn_valid(part(0..3), part(3..5), part(5..9)) {
        return;
    }
    let ctx = before(text, start, 40);
    let cue = has_any(
        &ctx,
        &[
            "ssn",
            "social security",
            "social sec",
            "ss#",
            "ss #",
            "ss no",
            "ssn#",
        ],
    );
    let mut score: f32 = match seps.first() {
        Some('-') => 0.8,
        Some(_) => 0.45,
        None => 0.3,
    };
    if cue {
        score += 0.3;
    } else if has_any(&ctx, ID_CUES) || has_any(&ctx, &["phone", "tel", "call", "fax", "mobile"]) {
        score -= 0.4;
    }
    push(
        out,
        PiiKind::UsSsn,
        start,
        end,
        score.min(0.97),
        "US social security number",
    );
}

fn nino(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    if !standalone(text, m.start(), m.end()) {
        return;
    }
    let compact: String = m.as_str().chars().filter(|&c| c != ' ').collect();
    if check::nino_valid(&compact) {
        let cue = has_any(
            &before(text, m.start(), 40),
            &["national insurance", "nino", "ni number", "ni no"],
        );
        let score = if cue { 0.95 } else { 0.8 };
        push(
            out,
            PiiKind::UkNino,
            m.start(),
            m.end(),
            score,
            "UK National Insurance number",
        );
    }
}

fn dni(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    if !standalone(text, m.start(), m.end()) || preceded_by_number(text, m.start()) {
        return;
    }
    let compact: String = m
        .as_str()
        .chars()
        .filter(|&c| c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let (first, rest) = compact.split_at(1);
    let (number, kind) = match first {
        "X" => (format!("0{rest}"), "NIE"),
        "Y" => (format!("1{rest}"), "NIE"),
        "Z" => (format!("2{rest}"), "NIE"),
        _ => (compact.clone(), "DNI"),
    };
    let Some(letter) = number.chars().last() else {
        return;
    };
    let Ok(n) = number[..number.len() - 1].parse::<u32>() else {
        return;
    };
    if check::dni_letter(n) == letter {
        let cue = has_any(
            &before(text, m.start(), 30),
            &["dni", "nie", "nif", "documento"],
        );
        let score = if cue { 0.95 } else { 0.8 };
        push(
            out,
            PiiKind::EsDni,
            m.start(),
            m.end(),
            score,
            format!("Spanish {kind} (control letter valid)"),
        );
    }
}

fn codice_fiscale(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    if !standalone(text, m.start(), m.end()) {
        return;
    }
    if check::codice_fiscale_valid(&m.as_str().to_ascii_uppercase()) {
        push(
            out,
            PiiKind::ItCodiceFiscale,
            m.start(),
            m.end(),
            0.95,
            "Italian codice fiscale (control character valid)",
        );
    }
}

fn de_tax_id(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    let (start, end) = (m.start(), m.end());
    if preceded_by_number(text, start)
        || continues_number(text, end)
        || !standalone(text, start, end)
    {
        return;
    }
    // Eleven digits are also phone numbers and ids: only with a cue.
    let ctx = before(text, start, 48);
    let cue = has_any(
        &ctx,
        &[
            "steuer-id",
            "steuerid",
            "steuer-idnr",
            "steueridentifikationsnummer",
            "idnr",
            "identifikationsnummer",
            "tax id",
            "tin",
            "steuernummer",
        ],
    );
    if cue && check::de_tax_id_valid(&digits_of(m.as_str())) {
        push(
            out,
            PiiKind::DeTaxId,
            start,
            end,
            0.9,
            "German tax id (check digit valid)",
        );
    }
}

fn ipv4(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    let (start, end) = (m.start(), m.end());
    if preceded_by_number(text, start)
        || continues_number(text, end)
        || !standalone(text, start, end)
        || prev_char(text, start) == Some('.')
    {
        return;
    }
    let mut octets = [0u8; 4];
    for (i, part) in m.as_str().split('.').enumerate() {
        if part.len() > 1 && part.starts_with('0') {
            return;
        }
        match part.parse::<u8>() {
            Ok(v) if i < 4 => octets[i] = v,
            _ => return,
        }
    }
    // "v1.2.3.4", "version 10.0.19041.1": versions, not addresses.
    let ctx = before(text, start, 32);
    if ctx.ends_with('v')
        || has_any(
            &ctx,
            &[
                "version", "ver", "ver.", "release", "build", "firmware", "v.", "update", "patch",
                "kb",
            ],
        )
    {
        return;
    }
    let ip = std::net::Ipv4Addr::from(octets);
    let (class, mut score): (&str, f32) =
        if ip.is_loopback() || ip.is_unspecified() || ip.is_broadcast() {
            ("special-purpose", 0.5)
        } else if ip.is_private() || ip.is_link_local() || ip.is_documentation() || octets[0] >= 224
        {
            ("private or reserved", 0.7)
        } else {
            ("public", 0.85)
        };
    if octets.iter().all(|&o| o < 10) {
        // "1.2.3.4" reads like a version as often as an address.
        score = 0.45;
    }
    if has_any(
        &ctx,
        &[
            "ip", "address", "host", "server", "client", "addr", "from", "connect",
        ],
    ) {
        score += 0.1;
    }
    push(
        out,
        PiiKind::IpAddress,
        start,
        end,
        score,
        format!("{class} IPv4 address"),
    );
}

fn ipv6(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    let start = m.start();
    let mut value = m.as_str();
    // A sentence's full stop or a trailing colon ("addr: fe80::1:") is not part of the address.
    while value.ends_with('.') || (value.ends_with(':') && !value.ends_with("::")) {
        value = &value[..value.len() - 1];
    }
    let end = start + value.len();
    if value.starts_with('.')
        || !standalone(text, start, end)
        || prev_char(text, start) == Some(':')
    {
        return;
    }
    let groups = value.split(':').filter(|g| !g.is_empty()).count();
    if groups < 3 {
        return;
    }
    let Ok(ip) = value.parse::<std::net::Ipv6Addr>() else {
        return;
    };
    let seg0 = ip.segments()[0];
    let (class, score) = if ip.is_loopback() || ip.is_unspecified() {
        ("special-purpose", 0.5)
    } else if (seg0 & 0xfe00) == 0xfc00
        || (seg0 & 0xffc0) == 0xfe80
        || seg0 == 0x2001 && ip.segments()[1] == 0x0db8
    {
        ("private or link-local", 0.7)
    } else {
        ("public", 0.85)
    };
    push(
        out,
        PiiKind::IpAddress,
        start,
        end,
        score,
        format!("{class} IPv6 address"),
    );
}

fn street_address(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    let (start, end) = (m.start(), m.end());
    if preceded_by_number(text, start)
        || !standalone(text, start, end.min(text.len())) && !m.as_str().ends_with('.')
    {
        return;
    }
    let ctx = before(text, start, 24);
    // "chapter 12 Main Street"? rare; prices and ids are not followed by street types anyway.
    if has_any(&ctx, &["$", "€", "£", "version"]) {
        return;
    }
    let mut end = end;
    if m.as_str().ends_with('.')
        && next_char(text, end).is_none_or(char::is_whitespace)
        && !m.as_str().ends_with("St.")
        && !m.as_str().ends_with("Ave.")
    {
        end -= 1;
    }
    let full = m.as_str().chars().filter(|c| c.is_ascii_digit()).count() >= 6;
    let score = if full { 0.85 } else { 0.75 };
    push(
        out,
        PiiKind::StreetAddress,
        start,
        end,
        score,
        "street address",
    );
}

fn uk_postcode(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    if !standalone(text, m.start(), m.end()) {
        return;
    }
    let value = m.as_str();
    let area: String = value.chars().take_while(char::is_ascii_uppercase).collect();
    if !check::uk_postcode_area(&area) {
        return;
    }
    let cue = has_any(
        &before(text, m.start(), 60),
        &[
            "postcode",
            "post code",
            "address",
            "london",
            "uk",
            "england",
            "scotland",
            "wales",
        ],
    );
    let score = if cue { 0.85 } else { 0.65 };
    push(
        out,
        PiiKind::UkPostcode,
        m.start(),
        m.end(),
        score,
        "UK postcode",
    );
}

fn date_of_birth(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let Some(date) = caps.get(1) else {
        return;
    };
    let whole = caps.get(0).unwrap_or_else(|| unreachable!());
    // "reborn", "stubborn": the cue must start a word.
    if prev_char(text, whole.start()).is_some_and(char::is_alphanumeric)
        || continues_number(text, date.end())
    {
        return;
    }
    let value = date.as_str();
    let nums: Vec<u32> = value
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    let plausible = match nums.as_slice() {
        [y, m, d] if *y >= 1000 => check::date_valid(*d, *m),
        [a, b, _] => check::date_valid(*a, *b) || check::date_valid(*b, *a),
        [d, _] => (1..=31).contains(d),
        _ => false,
    };
    if plausible {
        push(
            out,
            PiiKind::DateOfBirth,
            date.start(),
            date.end(),
            0.9,
            "date of birth",
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Secrets

fn github(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    prefixed_token(text, caps, out, PiiKind::GithubToken, 0.97, "GitHub token");
}

fn gitlab(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    prefixed_token(
        text,
        caps,
        out,
        PiiKind::GitlabToken,
        0.97,
        "GitLab personal access token",
    );
}

fn google(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    prefixed_token(
        text,
        caps,
        out,
        PiiKind::GoogleApiKey,
        0.95,
        "Google API key",
    );
}

/// A token whose prefix alone identifies it: only the boundaries are checked.
fn prefixed_token(
    text: &str,
    caps: &Captures<'_>,
    out: &mut Vec<PiiMatch>,
    kind: PiiKind,
    score: f32,
    detail: &str,
) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    let glued =
        |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if glued(prev_char(text, m.start())) || glued(next_char(text, m.end())) {
        return;
    }
    push(out, kind, m.start(), m.end(), score, detail);
}

fn openai_or_anthropic(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    let value = m.as_str();
    if prev_char(text, m.start()).is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return;
    }
    let (kind, body, detail) = if let Some(body) = value.strip_prefix("sk-ant-") {
        (PiiKind::AnthropicKey, body, "Anthropic API key")
    } else {
        let body = ["sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-"]
            .iter()
            .find_map(|p| value.strip_prefix(p))
            .unwrap_or(&value[3..]);
        (PiiKind::OpenaiKey, body, "OpenAI API key")
    };
    // "sk-learn-compatible-estimators" is a phrase, not a key: keys are random.
    let has_digit = body.bytes().any(|b| b.is_ascii_digit());
    let has_alpha = body.bytes().any(|b| b.is_ascii_alphabetic());
    if body.len() < 20 || !has_digit || !has_alpha || check::entropy(body) < 3.5 {
        return;
    }
    let score = if value.contains("T3BlbkFJ") {
        0.99
    } else {
        0.95
    };
    push(out, kind, m.start(), m.end(), score, detail);
}

fn aws_access_key_id(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    if !standalone(text, m.start(), m.end()) {
        return;
    }
    // AWS documentation's sample key.
    let (score, detail) = if m.as_str().ends_with("EXAMPLE") {
        (0.6, "AWS access key id (documentation example)")
    } else {
        (0.9, "AWS access key id")
    };
    push(
        out,
        PiiKind::AwsAccessKeyId,
        m.start(),
        m.end(),
        score,
        detail,
    );
}

static AWS_KEY_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:AKIA|ASIA|AIDA|AROA)[A-Z2-7]{16}").unwrap_or_else(|e| panic!("{e}"))
});

fn aws_secret_key(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    let (start, end) = (m.start(), m.end());
    let class = |c: char| c.is_ascii_alphanumeric() || c == '/' || c == '+' || c == '=';
    if prev_char(text, start).is_some_and(class)
        || next_char(text, end).is_some_and(|c| class(c) && c != '=')
    {
        return;
    }
    let value = m.as_str();
    let has = |f: fn(&u8) -> bool| value.as_bytes().iter().any(f);
    if !(has(u8::is_ascii_uppercase) && has(u8::is_ascii_lowercase) && has(u8::is_ascii_digit))
        || check::entropy(value) < 4.2
    {
        return;
    }
    let ctx = before(text, start, 64);
    let named = ctx.contains("secret") || ctx.contains("aws_sk");
    let near_id = {
        let mut lo = start.saturating_sub(300);
        while !text.is_char_boundary(lo) {
            lo += 1;
        }
        let mut hi = (end + 300).min(text.len());
        while !text.is_char_boundary(hi) {
            hi -= 1;
        }
        AWS_KEY_ID.is_match(&text[lo..hi])
    };
    if named || near_id {
        push(
            out,
            PiiKind::AwsSecretKey,
            start,
            end,
            0.9,
            "AWS secret access key",
        );
    }
}

fn slack(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    if prev_char(text, m.start()).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return;
    }
    let value = m.as_str();
    if value.starts_with("https://") {
        push(
            out,
            PiiKind::SlackToken,
            m.start(),
            m.end(),
            0.95,
            "Slack webhook URL",
        );
    } else if value.bytes().filter(u8::is_ascii_digit).count() >= 4 {
        push(
            out,
            PiiKind::SlackToken,
            m.start(),
            m.end(),
            0.95,
            "Slack token",
        );
    }
}

fn stripe(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    if !standalone(text, m.start(), m.end()) {
        return;
    }
    let live = m.as_str()[3..].starts_with("live");
    let (score, detail) = if live {
        (0.97, "Stripe live secret key")
    } else {
        (0.75, "Stripe test secret key")
    };
    push(out, PiiKind::StripeKey, m.start(), m.end(), score, detail);
}

fn jwt(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    if prev_char(text, m.start()).is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return;
    }
    let header = caps.get(1).map_or("", |h| h.as_str());
    if check::jwt_header_valid(header) {
        push(
            out,
            PiiKind::Jwt,
            m.start(),
            m.end(),
            0.95,
            "JSON Web Token",
        );
    }
}

fn private_key(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let m = caps.get(0).unwrap_or_else(|| unreachable!());
    let body_start = m.end();
    let rest = &text[body_start..];
    let end = match rest.find("-----END") {
        Some(at) => {
            let tail = &rest[at + 8..];
            // The closing marker ends at its own "-----".
            match tail.find("-----") {
                Some(close) if close <= 48 => body_start + at + 8 + close + 5,
                _ => body_start + at + 8,
            }
        }
        // A truncated block still leaks the key: take the base64 body.
        None => {
            let len = rest
                .find(|c: char| {
                    !(c.is_ascii_alphanumeric() || c.is_ascii_whitespace() || "+/=:-,".contains(c))
                })
                .unwrap_or(rest.len());
            body_start + len
        }
    };
    push(
        out,
        PiiKind::PrivateKey,
        m.start(),
        end,
        0.99,
        "PEM private key block",
    );
}

/// Values that stand for a password without being one (placeholders, types, code).
fn placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    const WORDS: &[&str] = &[
        "password",
        "passwd",
        "pass",
        "pwd",
        "str",
        "string",
        "bool",
        "int",
        "none",
        "null",
        "nil",
        "undefined",
        "true",
        "false",
        "required",
        "optional",
        "text",
        "any",
        "secret",
        "redacted",
        "xxx",
        "xxxx",
        "changeme",
        "example",
        "your_password",
        "yourpassword",
        "mypassword",
        "<password>",
        "hidden",
        "masked",
        "empty",
        "unknown",
        "value",
        "input",
        "field",
    ];
    let first = value.chars().next().unwrap_or(' ');
    WORDS.contains(&lower.as_str())
        || value.chars().all(|c| c == first)
        || value.contains(['(', ')', '[', ']', '{', '}', '$', '%', '<', '>'])
        || lower.starts_with("os.")
        || lower.starts_with("process.")
        || lower.starts_with("env")
        || lower.starts_with("self.")
        || lower.starts_with("this.")
        || lower.starts_with("config.")
        || lower.starts_with("settings.")
        || lower.starts_with("args.")
}

fn password(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let whole = caps.get(0).unwrap_or_else(|| unreachable!());
    let Some(value) = caps.get(1) else {
        return;
    };
    // "bypass: ..." and "compass = ..." are not password assignments.
    if prev_char(text, whole.start()).is_some_and(|c| c.is_alphabetic()) {
        return;
    }
    let v = value.as_str().trim_end_matches(['.', '!', '?', ')']);
    if v.len() < 3 || placeholder(v) {
        return;
    }
    // "the password is correct", "password is required": prose, not a value.
    let prose = whole.as_str().to_ascii_lowercase().contains(" is ")
        && (rampart_text::english::is_word(&v.to_ascii_lowercase())
            || v.chars().all(char::is_alphabetic));
    if prose {
        return;
    }
    let has_digit_or_symbol = v.chars().any(|c| !c.is_alphabetic());
    let score = if has_digit_or_symbol { 0.9 } else { 0.75 };
    push(
        out,
        PiiKind::Password,
        value.start(),
        value.start() + v.len(),
        score,
        "password assignment",
    );
}

fn connection_string(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let whole = caps.get(0).unwrap_or_else(|| unreachable!());
    let Some(pass) = caps.get(1) else {
        return;
    };
    if prev_char(text, whole.start()).is_some_and(|c| c.is_ascii_alphanumeric())
        || placeholder(pass.as_str())
    {
        return;
    }
    let scheme = whole
        .as_str()
        .split("://")
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    push(
        out,
        PiiKind::ConnectionString,
        pass.start(),
        pass.end(),
        0.9,
        format!("password in a {scheme} URL"),
    );
}

fn generic_secret(text: &str, caps: &Captures<'_>, out: &mut Vec<PiiMatch>) {
    let whole = caps.get(0).unwrap_or_else(|| unreachable!());
    let Some(value) = caps.get(1) else {
        return;
    };
    if prev_char(text, whole.start()).is_some_and(|c| c.is_ascii_alphabetic()) {
        // "monkey", "turkey": the keyword must start a word (or follow `_`, as in `api_key`).
        let head = &text[..whole.start()];
        if !head.ends_with(['_', '-', '.'])
            && !head.to_ascii_lowercase().ends_with("api")
            && !head.to_ascii_lowercase().ends_with("access")
        {
            return;
        }
    }
    let v = value.as_str().trim_end_matches(['.', '=']);
    let end = value.start() + v.len();
    if v.len() < 16 || next_char(text, value.end()).is_some_and(|c| c.is_alphanumeric()) {
        return;
    }
    let has_digit = v.bytes().any(|b| b.is_ascii_digit());
    let has_alpha = v.bytes().any(|b| b.is_ascii_alphabetic());
    if !has_digit
        || !has_alpha
        || v.contains("://")
        || v.starts_with(['/', '.'])
        || check::is_uuid(v)
    {
        return;
    }
    // Dotted names ("auth.providers.google.client") and paths are configuration, not secrets.
    if v.split(['.', '/']).filter(|p| !p.is_empty()).count() > 2 && !v.starts_with("eyJ") {
        return;
    }
    let e = check::entropy(v);
    if e < 3.5 {
        return;
    }
    // The body of a PEM public key or certificate is public by design.
    let ctx_wide = before(text, whole.end(), 80);
    if ctx_wide.contains("-----begin")
        && (ctx_wide.contains("public key") || ctx_wide.contains("certificate"))
    {
        return;
    }
    // Hashes in benign contexts: a commit SHA, a checksum.
    let ctx = before(text, whole.start(), 40);
    let hex = v.bytes().all(|b| b.is_ascii_hexdigit());
    if hex
        && has_any(
            &ctx,
            &[
                "commit", "sha", "sha1", "sha256", "hash", "checksum", "digest", "md5", "revision",
                "rev",
            ],
        )
    {
        return;
    }
    let score = if e >= 4.0 { 0.8 } else { 0.7 };
    push(
        out,
        PiiKind::GenericSecret,
        value.start(),
        end,
        score,
        "high-entropy token next to a key/token/secret keyword",
    );
}
