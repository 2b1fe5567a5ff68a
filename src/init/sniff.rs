//! What a CSV file is, told from a bounded sample of its start: its encoding (a byte order
//! mark, valid UTF-8, or what chardetng detects), its delimiter, its header and first rows.

use std::io::Read;
use std::path::Path;

/// At most this much of a file is read to describe it.
pub const SAMPLE_BYTES: u64 = 4 << 20;
/// At most this many data rows are looked at (fewer when they do not fit in the bytes).
pub const SAMPLE_ROWS: usize = 10_000;
/// The delimiters tried, in the order ties are broken.
pub const DELIMITERS: [char; 4] = [',', ';', '\t', '|'];

/// A file's encoding as sotecheck declares it.
#[derive(Debug, Clone, PartialEq)]
pub enum Encoding {
    Utf8 {
        /// Starts with a byte order mark (EF BB BF).
        bom: bool,
        /// Only ASCII in the sample: any of the encodings reads it the same.
        ascii: bool,
    },
    Windows1252,
    /// Something sotecheck does not read, by its WHATWG name (`UTF-16LE`, `windows-1250`).
    Other(&'static str),
}

impl Encoding {
    /// The Frictionless `encoding` label written for it.
    pub fn label(&self) -> String {
        match self {
            Encoding::Utf8 { .. } => "utf-8".into(),
            Encoding::Windows1252 => "windows-1252".into(),
            Encoding::Other(name) => name.to_ascii_lowercase(),
        }
    }
}

/// The start of a file, decoded.
pub struct Sample {
    pub encoding: Encoding,
    /// Decoded text without a byte order mark; cut after its last complete line when the
    /// sample is not the whole file.
    pub text: String,
    /// The sample is the whole file.
    pub whole: bool,
}

/// Reads at most [`SAMPLE_BYTES`] of `path` and tells its encoding.
pub fn sample(path: &Path) -> std::io::Result<Sample> {
    let len = std::fs::metadata(path)?.len();
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(SAMPLE_BYTES).read_to_end(&mut bytes)?;
    let whole = (bytes.len() as u64) >= len && (bytes.len() as u64) < SAMPLE_BYTES;
    let encoding = detect(&bytes, whole);
    let mut text = match &encoding {
        Encoding::Utf8 { bom, .. } => String::from_utf8_lossy(if *bom { &bytes[3..] } else { &bytes }).into_owned(),
        Encoding::Windows1252 => crate::text::decode_cp1252(&bytes),
        Encoding::Other(name) => {
            let enc = encoding_rs::Encoding::for_label(name.as_bytes()).unwrap_or(encoding_rs::UTF_8);
            enc.decode(&bytes).0.into_owned()
        }
    };
    if !whole {
        let end = text.rfind('\n').map_or(0, |i| i + 1);
        text.truncate(end);
    }
    Ok(Sample { encoding, text, whole })
}

/// The encoding of a file's first bytes (`whole`: they are the whole file).
pub fn detect(bytes: &[u8], whole: bool) -> Encoding {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Encoding::Utf8 { bom: true, ascii: false };
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Encoding::Other("UTF-16LE");
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Encoding::Other("UTF-16BE");
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Encoding::Utf8 { bom: false, ascii: s.is_ascii() },
        // The sample ends inside a character: what came before was valid.
        Err(e) if !whole && e.error_len().is_none() => Encoding::Utf8 { bom: false, ascii: false },
        Err(_) => {
            let mut detector = chardetng::EncodingDetector::new();
            detector.feed(bytes, whole);
            // Finnish exports: the top-level domain steers the guess among Latin encodings.
            let guess = detector.guess(Some(b"fi"), false);
            if guess == encoding_rs::WINDOWS_1252 {
                Encoding::Windows1252
            } else {
                Encoding::Other(guess.name())
            }
        }
    }
}

/// A CSV sample split by its delimiter.
#[derive(Debug, Clone)]
pub struct Shape {
    pub delimiter: char,
    /// Header names, trimmed.
    pub header: Vec<String>,
    /// Data rows of the sample (at most [`SAMPLE_ROWS`]).
    pub rows: Vec<Vec<String>>,
    /// Rows whose field count differs from the header's.
    pub ragged: usize,
}

/// Splits the sample by each delimiter and keeps the one whose header names the most of
/// `known` columns, then whose rows agree with the header, then with the most fields; `None`
/// when every delimiter leaves the header one field.
pub fn shape(text: &str, known: &[&str]) -> Option<Shape> {
    // The first lines only: quoting aside, SAMPLE_ROWS + 1 newlines hold the rows needed.
    let end = text.match_indices('\n').nth(SAMPLE_ROWS).map_or(text.len(), |(i, _)| i + 1);
    let text = &text[..end];
    let mut best: Option<((usize, usize, usize), Shape)> = None;
    for delimiter in DELIMITERS {
        let mut records = crate::text::parse_csv(text, delimiter).into_iter();
        let Some(first) = records.next() else { continue };
        let header: Vec<String> = first.fields.iter().map(|f| f.trim().to_string()).collect();
        if header.len() < 2 {
            continue;
        }
        let rows: Vec<Vec<String>> = records.take(SAMPLE_ROWS).map(|r| r.fields).collect();
        let ragged = rows.iter().filter(|r| r.len() != header.len()).count();
        let named = header.iter().filter(|h| known.iter().any(|k| k.eq_ignore_ascii_case(h))).count();
        let score = (named, rows.len() - ragged, header.len());
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, Shape { delimiter, header, rows, ragged }));
        }
    }
    best.map(|(_, s)| s)
}

/// How a delimiter is shown and declared.
pub fn shown(delimiter: char) -> String {
    match delimiter {
        '\t' => "\\t".into(),
        d => d.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_encodings_apart() {
        assert_eq!(detect(b"a,b\n1,2\n", true), Encoding::Utf8 { bom: false, ascii: true });
        assert_eq!(detect("\u{feff}a,b\n".as_bytes(), true), Encoding::Utf8 { bom: true, ascii: false });
        assert_eq!(detect("kunta;nimi\n020;Äänekoski\n".as_bytes(), true), Encoding::Utf8 { bom: false, ascii: false });
        let cp1252 = crate::text::encode_cp1252("kunta;nimi\n020;Äänekoski\n091;Helsinki\n179;Jyväskylä\n");
        assert_eq!(detect(&cp1252, true), Encoding::Windows1252);
        // Cut inside `ä` (two bytes in UTF-8): still UTF-8.
        let cut = "a;b\nJyvä".as_bytes();
        assert_eq!(detect(&cut[..cut.len() - 1], false), Encoding::Utf8 { bom: false, ascii: false });
    }

    #[test]
    fn finds_the_delimiter_the_header_is_written_with() {
        let known = ["month", "amount_eur", "service_code"];
        let s = shape("month;service_code;amount_eur\n2025-01;2131;180,00\n", &known).unwrap();
        assert_eq!((s.delimiter, s.header.len(), s.ragged), (';', 3, 0));
        let s = shape("month\tamount_eur\n2025-01\t1,5\n", &known).unwrap();
        assert_eq!(s.delimiter, '\t');
        let s = shape("month|amount_eur\n2025-01|1.5\n", &known).unwrap();
        assert_eq!(s.delimiter, '|');
        assert!(shape("month\n2025-01\n", &known).is_none());
    }
}
