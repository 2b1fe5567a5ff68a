//! What leaves sotecheck: identity codes (henkilötunnus) found and masked, and every text
//! that comes from a package made safe to show — codes masked, control characters (terminal
//! escapes) written as escapes, and long values cut to a prefix and their length. Reports
//! pass every package-derived string through [`shown`] at their boundary
//! (`report::PackageReport::finish`), whichever rule or loader produced it.

/// Loose candidate pattern; the check character is verified in Rust.
const CANDIDATE: &str = r"[0-3][0-9][01][0-9][0-9]{2}[-+A-FU-Y][0-9]{3}[0-9A-Y]";
const CHECK_CHARS: &[u8] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";

/// True when `s` (11 characters) is a henkilötunnus with a valid date and check character.
pub fn is_valid_hetu(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 11 || !b[..6].iter().all(u8::is_ascii_digit) || !b[7..10].iter().all(u8::is_ascii_digit) {
        return false;
    }
    if !b"+-ABCDEFUVWXY".contains(&b[6]) {
        return false;
    }
    let century = match b[6] {
        b'+' => 1800,
        b'A'..=b'F' => 2000,
        _ => 1900,
    };
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
    if chrono::NaiveDate::from_ymd_opt(century + num(4..6) as i32, num(2..4), num(0..2)).is_none() {
        return false;
    }
    let n: u64 = format!("{}{}", &s[0..6], &s[7..10]).parse().unwrap_or(0);
    CHECK_CHARS[(n % 31) as usize] == b[10]
}

/// `131052-308T` → `13****-****`: enough to find the row, not enough to identify anyone.
pub fn mask(s: &str) -> String {
    let head: String = s.chars().take(2).collect();
    format!("{head}****-****")
}

/// Whether `text` may hold a code: a century sign with six digits before it and three
/// after. Cheap; `find_all` decides.
pub fn may_hold(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 11
        && (6..=b.len() - 5).any(|i| {
            b"+-ABCDEFUVWXY".contains(&b[i]) && b[i - 6..i].iter().all(u8::is_ascii_digit) && b[i + 1..i + 4].iter().all(u8::is_ascii_digit)
        })
}

/// Every valid identity code inside a text, also inside a longer token (`X131052-308T`,
/// `hetu:131052-308Tabc`): a code glued to other characters identifies a person as well, and
/// a chance match needs a real date, a century sign and the right check character (1 in 31).
pub fn find_all(text: &str) -> Vec<String> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(CANDIDATE).expect("constant regex"));
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(m) = re.find_at(text, at) {
        if is_valid_hetu(m.as_str()) {
            out.push(m.as_str().to_string());
        }
        // Candidates overlap (`0101010-101A…`): step one character, not past the match.
        at = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
    }
    out.dedup();
    out
}

/// Replaces every valid identity code inside a text with its mask. Every report passes its
/// sample values and messages through this, whichever rule found them.
pub fn mask_all(text: &str) -> String {
    let mut out = text.to_string();
    for code in find_all(text) {
        out = out.replace(&code, &mask(&code));
    }
    out
}

/// Longest value (a sample value, a key, a group, a column or file name) shown whole.
pub const VALUE_CHARS: usize = 120;
/// Longest message (an input problem's message or help, a reason, a note) shown whole.
pub const MESSAGE_CHARS: usize = 2000;

/// `text` as a report may show it: identity codes masked, control characters escaped
/// (`\u{1b}`, so no escape sequence reaches a terminal and no line break a one-line field),
/// and a text of more than `max` characters (and a little slack) cut to `max`, saying how
/// long it was. Showing a shown text again changes nothing.
pub fn shown(text: &str, max: usize) -> String {
    // The slack holds the "… (N characters)" of a text cut before.
    const SLACK: usize = 32;
    let masked = mask_all(text);
    let total = masked.chars().count();
    let keep = if total > max + SLACK { max } else { total };
    let mut out = String::with_capacity(masked.len().min(4 * (keep + SLACK)));
    for c in masked.chars().take(keep) {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202e}' | '\u{2066}'..='\u{2069}') {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    if keep < total {
        out.push_str(&format!("… ({total} characters)"));
    }
    out
}

/// A message or help text: as [`shown`], but line breaks are kept (messages are written by
/// sotecheck and may span lines; only the package's part needs escaping, and that is never
/// a line break the renderer relies on).
pub fn shown_message(text: &str) -> String {
    text.split('\n').map(|line| shown(line, MESSAGE_CHARS)).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_valid_codes_including_2023_century_signs() {
        // DVV's published examples.
        assert!(is_valid_hetu("131052-308T"));
        assert!(is_valid_hetu("010594Y9021"));
        assert!(is_valid_hetu("020594X903P"));
        assert!(is_valid_hetu("010516B903X"));
        assert!(!is_valid_hetu("131052-308U"), "wrong check character");
        assert!(!is_valid_hetu("321052-308T"), "no such day");
    }

    #[test]
    fn finds_codes_in_free_text_and_masks_them() {
        let found = find_all("asiakas 131052-308T soitti; 131052-308U ei");
        assert_eq!(found, vec!["131052-308T".to_string()]);
        assert_eq!(mask(&found[0]), "13****-****");
        assert_eq!(find_all("X131052-308T"), vec!["131052-308T".to_string()], "glued to a letter");
        assert_eq!(find_all("hetu131052-308Tx"), vec!["131052-308T".to_string()]);
        assert_eq!(mask_all("X131052-308T"), "X13****-****");
    }

    #[test]
    fn the_prefilter_passes_every_code_find_all_can_find() {
        for text in ["131052-308T", "asiakas 131052-308T soitti", "x010594Y9021", "020594X903P;", "010516B903X"] {
            assert!(may_hold(text), "{text}");
        }
        for text in ["E0000000001", "1.2.246.10.2116752.10.1112", "2025-03-31", "13105-308T", ""] {
            assert!(!may_hold(text), "{text}");
            assert!(find_all(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn no_date_no_code() {
        // 31 February and 29 February 1900 (not a leap year) are no birth dates; 29.2.2000 is.
        for (day, ok) in [("310252", false), ("290200", false), ("290200", true)] {
            let sign = if ok { 'A' } else { '-' };
            let body = format!("{day}{sign}900");
            let n: u64 = format!("{day}900").parse().unwrap();
            let code = format!("{body}{}", CHECK_CHARS[(n % 31) as usize] as char);
            assert_eq!(is_valid_hetu(&code), ok, "{code}");
        }
    }

    #[test]
    fn shown_masks_escapes_and_cuts() {
        assert_eq!(shown("asiakas 131052-308T", 100), "asiakas 13****-****");
        assert_eq!(shown("red \u{1b}[31mX", 100), "red \\u{1b}[31mX");
        assert_eq!(shown("a\nb", 100), "a\\u{a}b");
        let long = "x".repeat(50_000);
        let s = shown(&long, VALUE_CHARS);
        assert!(s.starts_with(&"x".repeat(VALUE_CHARS)) && s.ends_with("x… (50000 characters)"), "{}", &s[..10]);
        assert_eq!(shown(&s, VALUE_CHARS), s, "idempotent");
        assert_eq!(shown(&"z".repeat(VALUE_CHARS + 5), VALUE_CHARS).len(), VALUE_CHARS + 5, "a little over is shown whole");
        // A code cut in half by the limit is masked before it is cut.
        let s = shown(&format!("{}131052-308T{}", "y".repeat(115), "y".repeat(100)), VALUE_CHARS);
        assert!(!s.contains("131052"), "{s}");
        assert_eq!(shown_message("line 3 `131052-308T`\nhelp"), "line 3 `13****-****`\nhelp");
    }
}
