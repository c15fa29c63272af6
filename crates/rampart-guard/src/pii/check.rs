//! Validators: the checksums, ranges and shapes that turn a regex candidate into a match.
//! Each is cheap, allocation-free where it can be, and total (never panics on any input).

/// The Luhn checksum over the ASCII digits of `s` (other characters are skipped).
pub fn luhn(s: &str) -> bool {
    let mut sum = 0u32;
    let mut double = false;
    let mut n = 0;
    for b in s.bytes().rev().filter(u8::is_ascii_digit) {
        let mut d = u32::from(b - b'0');
        if double {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        double = !double;
        n += 1;
    }
    n > 1 && sum.is_multiple_of(10)
}

/// The card network for a number of `digits` (ASCII digits only), if its issuer prefix and
/// length belong to one.
pub fn card_brand(digits: &str) -> Option<&'static str> {
    let len = digits.len();
    let prefix = |n: usize| -> u32 { digits.get(..n).and_then(|p| p.parse().ok()).unwrap_or(0) };
    let (p1, p2, p3, p4) = (prefix(1), prefix(2), prefix(3), prefix(4));
    let brand = if p1 == 4 && matches!(len, 13 | 16 | 19) {
        "Visa"
    } else if ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && len == 16 {
        "Mastercard"
    } else if (p2 == 34 || p2 == 37) && len == 15 {
        "American Express"
    } else if (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65) && (16..=19).contains(&len) {
        "Discover"
    } else if ((300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39)
        && (14..=19).contains(&len)
    {
        "Diners Club"
    } else if ((3528..=3589).contains(&p4) && (16..=19).contains(&len))
        || ((p4 == 2131 || p4 == 1800) && len == 15)
    {
        "JCB"
    } else if (2200..=2204).contains(&p4) && (16..=19).contains(&len) {
        "Mir"
    } else if p2 == 62 && (16..=19).contains(&len) {
        "UnionPay"
    } else if (p2 == 50 || (56..=69).contains(&p2)) && (12..=19).contains(&len) {
        "Maestro"
    } else {
        return None;
    };
    Some(brand)
}

/// The length of an IBAN in `country` (ISO 3166 alpha-2, upper case), for the countries in the
/// SWIFT IBAN registry.
pub fn iban_length(country: &str) -> Option<usize> {
    #[rustfmt::skip]
    const LENGTHS: &[(&str, usize)] = &[
        ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("AZ", 28), ("BA", 20), ("BE", 16),
        ("BG", 22), ("BH", 22), ("BI", 27), ("BR", 29), ("BY", 28), ("CH", 21), ("CR", 22),
        ("CY", 28), ("CZ", 24), ("DE", 22), ("DJ", 27), ("DK", 18), ("DO", 28), ("EE", 20),
        ("EG", 29), ("ES", 24), ("FI", 18), ("FK", 18), ("FO", 18), ("FR", 27), ("GB", 22),
        ("GE", 22), ("GI", 23), ("GL", 18), ("GR", 27), ("GT", 28), ("HR", 21), ("HU", 28),
        ("IE", 22), ("IL", 23), ("IQ", 23), ("IS", 26), ("IT", 27), ("JO", 30), ("KW", 30),
        ("KZ", 20), ("LB", 28), ("LC", 32), ("LI", 21), ("LT", 20), ("LU", 20), ("LV", 21),
        ("LY", 25), ("MC", 27), ("MD", 24), ("ME", 22), ("MK", 19), ("MN", 20), ("MR", 27),
        ("MT", 31), ("MU", 30), ("NI", 28), ("NL", 18), ("NO", 15), ("OM", 23), ("PK", 24),
        ("PL", 28), ("PS", 29), ("PT", 25), ("QA", 29), ("RO", 24), ("RS", 22), ("RU", 33),
        ("SA", 24), ("SC", 31), ("SD", 18), ("SE", 24), ("SI", 19), ("SK", 24), ("SM", 27),
        ("SO", 23), ("ST", 25), ("SV", 28), ("TL", 23), ("TN", 24), ("TR", 26), ("UA", 29),
        ("VA", 22), ("VG", 24), ("XK", 20),
    ];
    LENGTHS.iter().find(|(c, _)| *c == country).map(|&(_, n)| n)
}

/// The ISO 13616 mod-97 check of an IBAN given as upper-case alphanumerics without spaces.
pub fn iban_mod97(iban: &str) -> bool {
    let b = iban.as_bytes();
    if b.len() < 5 || !b.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let mut rem = 0u32;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c.to_ascii_uppercase() - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Whether a US SSN (area, group, serial) lies outside the ranges the SSA never issues, and is
/// not one of the numbers printed on sample cards and in advertising.
pub fn ssn_valid(area: u32, group: u32, serial: u32) -> bool {
    let never = area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0;
    let famous = matches!(
        (area, group, serial),
        (78, 5, 1120) | (219, 9, 9999) | (123, 45, 6789)
    );
    !never && !famous
}

/// Whether `s` (9 characters, spaces removed, upper case) is a valid UK National Insurance
/// number: two prefix letters from the allowed sets and not an unused pair, six digits, and a
/// suffix A-D.
pub fn nino_valid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 9 {
        return false;
    }
    let first_ok = |c: u8| c.is_ascii_uppercase() && !b"DFIQUV".contains(&c);
    let second_ok = |c: u8| c.is_ascii_uppercase() && !b"DFIQUVO".contains(&c);
    let prefix = &s[..2];
    first_ok(b[0])
        && second_ok(b[1])
        && !matches!(prefix, "BG" | "GB" | "KN" | "NK" | "NT" | "TN" | "ZZ")
        && b[2..8].iter().all(u8::is_ascii_digit)
        && (b'A'..=b'D').contains(&b[8])
}

/// The control letter of a Spanish DNI number (also used for the NIE after mapping X/Y/Z to 0/1/2).
pub fn dni_letter(number: u32) -> char {
    const LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    LETTERS[(number % 23) as usize] as char
}

/// Whether `s` (16 upper-case alphanumerics) carries a correct codice fiscale control character.
pub fn codice_fiscale_valid(s: &str) -> bool {
    // Values of characters in odd positions (1st, 3rd, ...), for 0-9 and A-Z alike.
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    let b = s.as_bytes();
    if b.len() != 16
        || !b
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    {
        return false;
    }
    let index = |c: u8| -> usize {
        if c.is_ascii_digit() {
            usize::from(c - b'0')
        } else {
            usize::from(c - b'A')
        }
    };
    let sum: u32 = b[..15]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if i % 2 == 0 {
                ODD[index(c)]
            } else {
                index(c) as u32
            }
        })
        .sum();
    b[15] == b'A' + (sum % 26) as u8
}

/// Whether 11 ASCII digits form a German tax id: no leading zero, one digit repeated (twice or
/// three times) among the first ten and the others distinct, and the ISO 7064 MOD 11,10 check.
pub fn de_tax_id_valid(digits: &str) -> bool {
    let b = digits.as_bytes();
    if b.len() != 11 || !b.iter().all(u8::is_ascii_digit) || b[0] == b'0' {
        return false;
    }
    let mut counts = [0u8; 10];
    for &c in &b[..10] {
        counts[usize::from(c - b'0')] += 1;
    }
    let repeated = counts.iter().filter(|&&n| n >= 2).count();
    if repeated != 1 || counts.iter().any(|&n| n > 3) {
        return false;
    }
    let mut product = 10u32;
    for &c in &b[..10] {
        let mut sum = (u32::from(c - b'0') + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    let check = (11 - product) % 10;
    u32::from(b[10] - b'0') == check
}

/// Shannon entropy of `s` in bits per character (over bytes; tokens are ASCII).
pub fn entropy(s: &str) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Decodes unpadded or padded base64url (also accepts the standard alphabet). `None` on any
/// invalid character.
pub fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Whether a JWT header segment decodes to a JSON object with an `alg` member.
pub fn jwt_header_valid(segment: &str) -> bool {
    let Some(bytes) = base64url_decode(segment) else {
        return false;
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(map)) => map.contains_key("alg"),
        _ => false,
    }
}

/// Whether `s` has the 8-4-4-4-12 hex shape of a UUID.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// Whether a date with these parts is plausible (month and day in range; year unchecked).
pub fn date_valid(day: u32, month: u32) -> bool {
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// The UK postcode areas (the letters before the first digit), from Royal Mail's list.
pub fn uk_postcode_area(area: &str) -> bool {
    const AREAS: &[&str] = &[
        "AB", "AL", "B", "BA", "BB", "BD", "BF", "BH", "BL", "BN", "BR", "BS", "BT", "CA", "CB",
        "CF", "CH", "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN",
        "DT", "DY", "E", "EC", "EH", "EN", "EX", "FK", "FY", "G", "GL", "GU", "GY", "HA", "HD",
        "HG", "HP", "HR", "HS", "HU", "HX", "IG", "IM", "IP", "IV", "JE", "KA", "KT", "KW", "KY",
        "L", "LA", "LD", "LE", "LL", "LN", "LS", "LU", "M", "ME", "MK", "ML", "N", "NE", "NG",
        "NN", "NP", "NR", "NW", "OL", "OX", "PA", "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM",
        "S", "SA", "SE", "SG", "SK", "SL", "SM", "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY",
        "TA", "TD", "TF", "TN", "TQ", "TR", "TS", "TW", "UB", "W", "WA", "WC", "WD", "WF", "WN",
        "WR", "WS", "WV", "YO", "ZE",
    ];
    AREAS.contains(&area)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_test_cards_and_rejects_typos() {
        assert!(luhn("4111111111111111"));
        assert!(luhn("4111 1111 1111 1111"));
        assert!(!luhn("4111111111111112"));
        assert!(luhn("378282246310005"));
        assert!(!luhn("0"));
    }

    #[test]
    fn card_brands_need_prefix_and_length() {
        assert_eq!(card_brand("4111111111111111"), Some("Visa"));
        assert_eq!(card_brand("5555555555554444"), Some("Mastercard"));
        assert_eq!(card_brand("2223003122003222"), Some("Mastercard"));
        assert_eq!(card_brand("378282246310005"), Some("American Express"));
        assert_eq!(card_brand("6011111111111117"), Some("Discover"));
        assert_eq!(card_brand("3530111333300000"), Some("JCB"));
        assert_eq!(card_brand("411111111111111"), None); // Visa is never 15 digits
        assert_eq!(card_brand("1234567812345670"), None);
    }

    #[test]
    fn iban_checks() {
        assert_eq!(iban_length("GB"), Some(22));
        assert!(iban_mod97("GB82WEST12345698765432"));
        assert!(iban_mod97("DE89370400440532013000"));
        assert!(!iban_mod97("GB82WEST12345698765433"));
        assert!(!iban_mod97("GB8"));
    }

    #[test]
    fn ssn_ranges() {
        assert!(ssn_valid(536, 22, 1234));
        assert!(!ssn_valid(666, 22, 1234));
        assert!(!ssn_valid(900, 22, 1234));
        assert!(!ssn_valid(536, 0, 1234));
        assert!(!ssn_valid(536, 22, 0));
        assert!(!ssn_valid(78, 5, 1120));
    }

    #[test]
    fn nino_rules() {
        assert!(nino_valid("AB123456C"));
        assert!(!nino_valid("GB123456C"));
        assert!(!nino_valid("DA123456C"));
        assert!(!nino_valid("AB123456E"));
    }

    #[test]
    fn national_ids() {
        assert_eq!(dni_letter(12345678), 'Z');
        assert!(codice_fiscale_valid("RSSMRA85T10A562S"));
        assert!(!codice_fiscale_valid("RSSMRA85T10A562T"));
        assert!(de_tax_id_valid("86095742719"));
        assert!(!de_tax_id_valid("86095742718"));
        assert!(!de_tax_id_valid("12345678901"));
    }

    #[test]
    fn entropy_and_base64() {
        assert_eq!(entropy(""), 0.0);
        assert_eq!(entropy("aaaa"), 0.0);
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
        assert_eq!(
            base64url_decode("eyJhbGciOiJIUzI1NiJ9").unwrap(),
            br#"{"alg":"HS256"}"#
        );
        assert!(jwt_header_valid("eyJhbGciOiJIUzI1NiJ9"));
        assert!(!jwt_header_valid("eyJmb28iOjF9")); // {"foo":1}
        assert!(base64url_decode("a*b").is_none());
    }

    #[test]
    fn shapes() {
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_uuid("123e4567e89b12d3a456426614174000"));
        assert!(uk_postcode_area("SW"));
        assert!(!uk_postcode_area("QQ"));
    }
}
