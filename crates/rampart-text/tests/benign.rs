//! Ordinary text must stay quiet: no decoded views and no decoder in the report. Every decoder
//! that fires on benign input is a false alarm for guard's malformed-input detector.

use rampart_text::normalize;

const BENIGN: &[&str] = &[
    // Prose and chat.
    "Hi",
    "Hello! How are you doing today? 😊",
    "Can you help me write a cover letter for a data analyst job?",
    "How do I kill a Python process that hangs on Linux?",
    "What's the best way to shoot a photo of the night sky?",
    "My grandma's recipe: 2 cups flour, 1 tsp salt, 3 eggs; bake at 180°C for 25-30 min.",
    "lol that was gr8, c u 2morrow",
    "I O U one coffee",
    "Grades: A B C D F",
    "S M T W T F S",
    "J. R. R. Tolkien wrote The Lord of the Rings.",
    "The U.S.A. and the U.K. signed it, i.e. both did, e.g. in 1945.",
    "Call 1-800-555-0199 or +44 20 7946 0958, open 24/7.",
    "Price: $5.99 (was $7!) - save 20%!",
    "Meet at 10:30 a.m. on 2024-03-15, room B2.",
    "We sell B2B and P2P software, 4x4 trucks and MP3 players in 3D.",
    "COVID-19 cases in Win10 machines running k8s and i18n code.",
    "Water is H2O and carbon dioxide is CO2.",
    "Version v1.2.3 fixes CVE-2024-3094.",
    "See https://example.com/search?q=rust%20lang&page=2 for details.",
    "Watch https://www.youtube.com/watch?v=dQw4w9WgXcQ now",
    "The commit 3fb66ad4e1c2 touched src/main.rs and tests/it.rs",
    "UUID 123e4567-e89b-12d3-a456-426614174000 and sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "Segfault at 0x7ffd5fbff8c0, errno 0x0b, mask 0xFF",
    "Mail me at jane.doe+news@example.co.uk",
    "binary 1010 and 0110 are small numbers",
    "The sequence 1 2 3 4 5 6 7 8 9 10 continues.",
    "Room 101, 102, 103 and 104 are free.",
    "Use -- or - or ... or ---- as separators",
    "Morse code uses dots and dashes, like ... --- ... for SOS.",
    "Bob's password policy: min. 12 chars",
    "fn main() { let x = vec![1, 2, 3]; println!(\"{:?}\", x); }",
    "def f(x):\n    return x ** 2  # square\n",
    "{\"name\": \"Alice\", \"age\": 30, \"tags\": [\"a\", \"b\"]}",
    "SELECT * FROM users WHERE id = 42 AND name LIKE '%son%';",
    "# Title\n\n- item one\n- item two\n\n**bold** and _italic_",
    "Hello world! Thank you very much.",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "zzz",
    "ok",
    "Indeed, xkcd 927 is about standards.",
    // Other languages.
    "¿Dónde está la biblioteca? Está cerca de la estación.",
    "Je voudrais un café et un croissant, s'il vous plaît.",
    "Ich möchte gerne ein Bier und eine Brezel, bitte.",
    "Vorrei prenotare un tavolo per due persone stasera.",
    "Eu gostaria de saber como chegar ao aeroporto.",
    "Merhaba, nasılsınız? Bugün hava çok güzel.",
    "Tôi muốn đặt một phòng khách sạn cho hai đêm.",
    "Hà Nội là thủ đô của Việt Nam, một thành phố có lịch sử hàng nghìn năm.",
    "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Zażółć gęślą jaźń, źdźbło żyta.",
    "Årets æbler og øl smager fantastisk på Øresund.",
    "Ça été très agréable, à bientôt là-bas où l'été dure.",
    "Dzień dobry, chciałbym zamówić pizzę z grzybami.",
    "Καλημέρα, πώς είστε σήμερα;",
    "Привет! Как тебя зовут? Меня зовут Иван.",
    "Здравствуйте, сколько стоит билет до Москвы?",
    "مرحبا، كيف حالك اليوم؟",
    "שלום, מה שלומך היום?",
    "यह एक साधारण वाक्य है।",
    "今日はいい天気ですね。散歩に行きましょう。",
    "你好，请问去火车站怎么走？",
    "안녕하세요, 만나서 반갑습니다.",
    "สวัสดีครับ ยินดีที่ได้รู้จัก",
];

#[test]
fn benign_texts_fire_no_decoder() {
    let mut failures = Vec::new();
    for text in BENIGN {
        let n = normalize(text);
        if !n.views.is_empty() || !n.report.decoders_fired.is_empty() {
            failures.push(format!("{text:?}: {:?}", n.views));
        }
        if n.report.invisible_count() > 0
            || n.report.mixed_script_words > 0
            || n.report.confusables_folded > 0
        {
            failures.push(format!("{text:?}: {:?}", n.report));
        }
    }
    assert!(
        failures.is_empty(),
        "{} false alarms:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn long_number_lists_and_symbols_are_not_leet() {
    for text in [
        "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 1 4 1 4 1 4",
        "Hello @ everyone ! ! ! see you @ 5",
        "Scores: 4 1 4 1 0 3 5 7 9 4 1",
    ] {
        let n = normalize(text);
        assert!(n.views.is_empty(), "{text:?}: {:?}", n.views);
    }
}
