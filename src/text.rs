//! Small text utilities for the reference files: Windows-1252 decoding and a strict CSV
//! record splitter (RFC 4180 quoting), used where polars is overkill (code lists, headers).

/// Windows-1252 code points for bytes 0x80..=0x9F; the rest map to the same Unicode value.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}', '\u{02C6}', '\u{2030}', '\u{0160}',
    '\u{2039}', '\u{0152}', '\u{8D}', '\u{017D}', '\u{8F}', '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}',
    '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{9D}', '\u{017E}', '\u{0178}',
];

/// Decodes Windows-1252 bytes into a `String`. Every byte has a meaning, so this cannot fail.
pub fn decode_cp1252(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 16);
    for &b in bytes {
        match b {
            0x00..=0x7F => out.push(b as char),
            0x80..=0x9F => out.push(CP1252_HIGH[(b - 0x80) as usize]),
            _ => out.push(b as char),
        }
    }
    out
}

/// Encodes text as Windows-1252 (used by the generator and tests to write real exports).
/// Characters outside the code page become `?`.
pub fn encode_cp1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c as u32 {
            0..=0x7F | 0xA0..=0xFF => c as u32 as u8,
            _ => CP1252_HIGH.iter().position(|&h| h == c).map(|i| 0x80 + i as u8).unwrap_or(b'?'),
        })
        .collect()
}

/// Strips a UTF-8 byte order mark.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{FEFF}').unwrap_or(text)
}

/// One parsed CSV record and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Splits CSV text into records. Quoted fields may hold delimiters, doubled quotes and
/// newlines. Blank lines are skipped.
pub fn parse_csv(text: &str, delimiter: char) -> Vec<Record> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut start_line = 1;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                in_quotes = true;
                any = true;
            }
            '\r' => {}
            '\n' => {
                if any || !field.is_empty() || !fields.is_empty() {
                    fields.push(std::mem::take(&mut field));
                    records.push(Record { line: start_line, fields: std::mem::take(&mut fields) });
                }
                any = false;
                line += 1;
                start_line = line;
            }
            c if c == delimiter => {
                fields.push(std::mem::take(&mut field));
                any = true;
            }
            _ => {
                field.push(c);
                any = true;
            }
        }
    }
    if any || !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push(Record { line: start_line, fields });
    }
    records
}

/// Quotes a CSV field when it needs it.
pub fn csv_field(value: &str, delimiter: char) -> String {
    if value.contains(delimiter) || value.contains('"') || value.contains('\n') {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp1252_round_trip_of_finnish_letters() {
        let text = "Pälkäne – Åland €";
        let bytes = encode_cp1252(text);
        assert_eq!(bytes.len(), text.chars().count());
        assert_eq!(decode_cp1252(&bytes), text);
    }

    #[test]
    fn csv_quotes_newlines_and_lines() {
        let recs = parse_csv("a;b\n\"x;1\";\"multi\nline\"\n\nc;\"d\"\"e\"\n", ';');
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[1].fields, vec!["x;1", "multi\nline"]);
        assert_eq!(recs[2].line, 5);
        assert_eq!(recs[2].fields, vec!["c", "d\"e"]);
    }
}
