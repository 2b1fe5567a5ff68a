//! CSV records as bytes, before polars parses them: where a piece of a file can be cut (after
//! a newline outside quotes), which records have fewer fields than the header, more than
//! it, or more bytes than the record limit. Polars reads a short record's missing fields as
//! empty, which would pass the rules unseen, rejects a long one without saying where, and
//! would hold a record of gigabytes whole; all three are found here, by a scan that costs a
//! fraction of the parse.

use super::limits::bytes;
use super::problem::{InputProblem, ProblemCode};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// How many lines a problem names.
const SHOWN: usize = 5;

/// The end of the last complete record in `buf` (just after a newline outside quotes), if
/// any. Quotes are counted from the start of `buf`, which starts a record.
pub(crate) fn record_boundary(buf: &[u8], quote: u8) -> Option<usize> {
    // Quotes counted with memchr's vector search: most exports quote nothing, and a piece
    // then costs one search, not a look at every byte (10 M CSV rows: the cutting of pieces
    // took 3.7 % of the run's CPU samples before).
    let quotes = |part: &[u8]| memchr::memchr_iter(quote, part).count();
    let mut quotes_before = quotes(buf);
    let mut end = buf.len();
    while let Some(nl) = memchr::memrchr(b'\n', &buf[..end]) {
        quotes_before -= quotes(&buf[nl..end]);
        if quotes_before % 2 == 0 {
            return Some(nl + 1);
        }
        end = nl;
    }
    None
}

/// Where the records of a CSV file end, and how many lines after them are blank: empty, or
/// holding only spaces, tabs, carriage returns and delimiters. Nearly every spreadsheet
/// export ends with such lines; they carry no data, so they are ignored (and mentioned)
/// rather than read as rows of missing values. Read backwards from the end in blocks, so a
/// file padded with gigabytes of newlines costs no memory. `start` is where records begin
/// (after the header): the end is never before it.
pub(crate) fn trailing_blank(path: &Path, start: u64, delimiter: u8) -> std::io::Result<(u64, u64)> {
    const BLOCK: u64 = 1 << 16;
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let blank = |b: u8| matches!(b, b'\n' | b'\r' | b' ' | b'\t') || b == delimiter;
    let mut newlines = 0u64;
    // Whether bytes follow the last newline (a blank last line without its newline).
    let mut tail_open = false;
    let mut seen_newline = false;
    let mut at = len;
    let mut buf = vec![0u8; BLOCK as usize];
    while at > start {
        let from = at.saturating_sub(BLOCK).max(start);
        let n = (at - from) as usize;
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut buf[..n])?;
        for i in (0..n).rev() {
            let b = buf[i];
            if !blank(b) {
                // Content at `from + i`: the records end after its line's newline.
                let end = from + i as u64 + 1;
                return Ok(if newlines == 0 {
                    (len, 0)
                } else {
                    (end + first_newline_after(&mut file, end)?, newlines - 1 + tail_open as u64)
                });
            }
            if b == b'\n' {
                newlines += 1;
                seen_newline = true;
            } else if !seen_newline {
                tail_open = true;
            }
        }
        at = from;
    }
    // Nothing but blank lines after the header.
    Ok((start, newlines + tail_open as u64))
}

/// Bytes from `at` up to and including the next newline.
fn first_newline_after(file: &mut std::fs::File, at: u64) -> std::io::Result<u64> {
    file.seek(SeekFrom::Start(at))?;
    let mut buf = [0u8; 4096];
    let mut read = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(read);
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            return Ok(read + i as u64 + 1);
        }
        read += n as u64;
    }
}

/// Calls `each` with consecutive pieces of the file from `start` to `end`, each ending at a
/// record boundary and holding about `piece_bytes` (at least one record, unless that record
/// is longer than `max_record`: then the last piece is the first bytes of it, so that memory
/// stays bounded and the scan can name it), until it returns `false`.
pub(crate) fn pieces<E: From<std::io::Error>>(
    path: &Path,
    start: u64,
    end: u64,
    piece_bytes: usize,
    max_record: usize,
    quote: u8,
    mut each: impl FnMut(&[u8]) -> Result<bool, E>,
) -> Result<(), E> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut file = file.take(end.saturating_sub(start));
    let piece_bytes = piece_bytes.max(1);
    let mut buf: Vec<u8> = Vec::with_capacity(piece_bytes.min(1 << 30) + (1 << 16));
    let mut eof = false;
    // Whether the buffer was found to hold no whole record.
    let mut too_short = false;
    loop {
        if !eof && (buf.len() < piece_bytes || too_short) {
            // Fill to the piece size; without a whole record, read as much again, so that a
            // record far longer than a piece costs a few reads, not one per 4 KB.
            let want = if too_short { buf.len() } else { piece_bytes - buf.len() }.max(1 << 12);
            let got = (&mut file).take(want as u64).read_to_end(&mut buf)?;
            eof = got < want;
        }
        if buf.is_empty() {
            return Ok(());
        }
        let cut = match boundary_near(&buf, piece_bytes, quote) {
            Some(c) => c,
            None if eof => buf.len(),
            None if buf.len() > max_record => {
                each(&buf)?;
                return Ok(());
            }
            None => {
                too_short = true;
                continue;
            }
        };
        too_short = false;
        if !each(&buf[..cut])? {
            return Ok(());
        }
        buf.drain(..cut);
    }
}

/// Where to cut `buf` for a piece of about `size` bytes: the last record boundary within
/// the first `size` bytes, else the first one after them.
fn boundary_near(buf: &[u8], size: usize, quote: u8) -> Option<usize> {
    if let Some(c) = record_boundary(&buf[..size.min(buf.len())], quote) {
        return Some(c);
    }
    let mut quoted = false;
    for (i, &b) in buf.iter().enumerate() {
        if b == quote {
            quoted = !quoted;
        } else if b == b'\n' && !quoted && i + 1 >= size.min(buf.len()) {
            return Some(i + 1);
        }
    }
    None
}

/// What the record scan found; merges over pieces read in file order.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecordCheck {
    /// Fields a record must have.
    pub expected: usize,
    /// Bytes a record may have (without its newline).
    pub max_record: usize,
    /// Records with fewer fields than the header.
    pub count: u64,
    /// The first short records' lines (`__line` numbering) and field counts.
    pub first: Vec<(u64, usize)>,
    /// The first record with more fields than the header: its line and fields.
    pub ragged: Option<(u64, usize)>,
    /// The first record longer than `max_record`: its line, and its bytes as far as seen.
    pub oversized: Option<(u64, usize)>,
    /// The line of a record whose quote is never closed (the file ends inside it).
    pub unclosed: Option<u64>,
}

impl RecordCheck {
    pub fn new(expected: usize, max_record: usize) -> Self {
        RecordCheck { expected, max_record: max_record.max(1), ..Default::default() }
    }

    /// Scans `piece` (whole records; its first is numbered `first_line`) and returns how
    /// many records it holds. An empty line is a record of one empty field, as polars reads
    /// it (a row of missing values), so it is short too. After a ragged or oversized record
    /// (see [`RecordCheck::stop`]) the rest of the piece is not judged.
    pub fn scan(&mut self, piece: &[u8], delimiter: u8, quote: u8, first_line: u64) -> u64 {
        // When no quote can hide a delimiter, a piece whose delimiters number exactly
        // `records × (expected - 1)` has no short record, and none with more fields unless
        // both kinds cancel out (polars still rejects the long one then, without a line):
        // two counts at memory speed settle it for most pieces. With quotes, the same two
        // counts of what lies outside them.
        let (delimiters, newlines, longest, trailing, open) = if memchr::memchr(quote, piece).is_none() {
            let count = |byte: u8| count_byte(piece, byte);
            let longest = if longer_line(piece, self.max_record) { usize::MAX } else { 0 };
            (count(delimiter), count(b'\n'), longest, piece.last().is_some_and(|&b| b != b'\n'), false)
        } else {
            outside_quotes(piece, delimiter, quote)
        };
        // A last record without its newline is a record too; so is one whose quote never
        // closes, however it ends (polars reads it as a row).
        let records = newlines + usize::from(trailing);
        if longest > self.max_record {
            self.find_oversized(piece, quote, first_line);
        } else if open {
            // Pieces end outside quotes unless the file does: its last record opens a quote
            // that nothing closes, and the rest of the file is read as one value.
            self.unclosed = Some(first_line + records as u64 - 1);
        }
        if self.stopped() {
            return records as u64;
        }
        if delimiters == records * self.expected.saturating_sub(1) {
            return records as u64;
        }
        let mut records = 0u64;
        let mut pos = 0;
        while pos < piece.len() {
            let nl = memchr::memchr(b'\n', &piece[pos..]).map_or(piece.len(), |i| pos + i);
            let line = &piece[pos..nl];
            // Most records hold no quote: their fields are their delimiters plus one.
            let (mut delimiters, mut quotes) = (0usize, 0usize);
            for &b in line {
                delimiters += (b == delimiter) as usize;
                quotes += (b == quote) as usize;
            }
            let (fields, end) = if quotes == 0 { (delimiters + 1, nl) } else { quoted_record(piece, pos, delimiter, quote) };
            pos = end + 1;
            if fields < self.expected {
                self.count += 1;
                if self.first.len() < SHOWN {
                    self.first.push((first_line + records, fields));
                }
            } else if fields > self.expected {
                self.ragged = Some((first_line + records, fields));
                return records + 1;
            }
            records += 1;
        }
        records
    }

    /// Whether a record was found that stops the table from being read.
    pub fn stopped(&self) -> bool {
        self.ragged.is_some() || self.oversized.is_some() || self.unclosed.is_some()
    }

    /// The first record of `piece` longer than the limit, walked byte by byte (only once
    /// the fast count has seen that there is one).
    fn find_oversized(&mut self, piece: &[u8], quote: u8, first_line: u64) {
        let (mut quoted, mut start, mut records) = (false, 0usize, 0u64);
        for (i, &b) in piece.iter().enumerate() {
            if b == quote {
                quoted = !quoted;
            } else if b == b'\n' && !quoted {
                if i - start > self.max_record {
                    self.oversized = Some((first_line + records, i - start));
                    return;
                }
                start = i + 1;
                records += 1;
            }
        }
        if piece.len() - start > self.max_record {
            self.oversized = Some((first_line + records, piece.len() - start));
        }
    }

    /// The problem that stops the table, if a record was ragged or too long.
    pub fn stop(&self, table: &str, file: &str) -> Option<InputProblem> {
        if let Some((line, length)) = self.oversized {
            let shown =
                if length > self.max_record { format!("longer than {}", bytes(self.max_record as u64)) } else { bytes(length as u64) };
            return Some(
                InputProblem::error(
                    ProblemCode::LimitExceeded,
                    file,
                    format!(
                        "the record at line {line} is {shown}, the most a record may hold ({} bytes); the table is not read",
                        self.max_record
                    ),
                )
                .table(table)
                .line(line)
                .help(
                    "a record this long is usually a missing line break or a quote that is never closed; if it is genuine, \
                     raise the limit with the environment variable SOTECHECK_CSV_MAX_RECORD (docs/package-format.md, Limits)",
                ),
            );
        }
        if let Some(line) = self.unclosed {
            return Some(
                InputProblem::error(
                    ProblemCode::FileUnparsable,
                    file,
                    format!("the record at line {line} opens a quote that is never closed; the table is not read"),
                )
                .table(table)
                .line(line)
                .help("a quote inside a value must be doubled (`\"\"`), and a quoted value must end with a quote"),
            );
        }
        let (line, fields) = self.ragged?;
        Some(
            InputProblem::error(
                ProblemCode::FileUnparsable,
                file,
                format!("the record at line {line} has {fields} fields, more than the header's {}; the table is not read", self.expected),
            )
            .table(table)
            .line(line)
            .help("a value holding the delimiter must be quoted (`\"1,5\"`); otherwise remove the extra fields"),
        )
    }

    /// The input problem, if any record was short.
    pub fn problem(&self, table: &str, file: &str) -> Option<InputProblem> {
        let &(line, fields) = self.first.first()?;
        let lines: Vec<String> = self.first.iter().map(|(l, _)| l.to_string()).collect();
        let what = if self.count == 1 {
            format!("1 record has fewer fields than the header's {} (it has {fields}): line {line}", self.expected)
        } else {
            let more = if self.count as usize > lines.len() { ", …" } else { "" };
            format!(
                "{} records have fewer fields than the header's {} (the first has {fields}): lines {}{more}",
                self.count,
                self.expected,
                lines.join(", ")
            )
        };
        Some(InputProblem::error(ProblemCode::FieldsMissing, file, what).table(table).line(line).count(self.count).help(
            "every record needs a field for every column, and a blank line is a record too: write an empty \
                 field (`,,`) for a missing value and drop blank lines. The missing fields are treated as missing \
                 by the rules",
        ))
    }
}

/// How many bytes of `piece` are `byte`, eight at a time: a byte of `word ^ pattern` is
/// zero exactly where `byte` is, and `((x & 0x7f..) + 0x7f..) | x` sets the high bit of
/// every byte that is not zero, without carries between bytes. (Measured on 10 M rows,
/// 830 MB, dev profile: 0.99 s for the byte-by-byte count, 0.40 s this way.)
fn count_byte(piece: &[u8], byte: u8) -> usize {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let pattern = u64::from_ne_bytes([byte; 8]);
    let (words, rest) = piece.split_at(piece.len() / 8 * 8);
    let mut not_equal = 0usize;
    for w in words.chunks_exact(8) {
        let x = u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]) ^ pattern;
        not_equal += ((((x & LOW7) + LOW7) | x) & HIGH).count_ones() as usize;
    }
    words.len() - not_equal + rest.iter().filter(|&&b| b == byte).count()
}

/// Whether `piece` holds a line (bytes between newlines) longer than `max`. A run of more
/// than `max` bytes without a newline covers a whole aligned block of `max / 2` bytes, so
/// one `memchr` per block (each stopping at the first newline, a record in) settles it.
fn longer_line(piece: &[u8], max: usize) -> bool {
    if piece.len() <= max {
        return false;
    }
    let block = (max / 2).max(1);
    let mut at = 0;
    while at < piece.len() {
        let end = (at + block).min(piece.len());
        if memchr::memchr(b'\n', &piece[at..end]).is_none() {
            let start = memchr::memrchr(b'\n', &piece[..at]).map_or(0, |i| i + 1);
            let stop = memchr::memchr(b'\n', &piece[end..]).map_or(piece.len(), |i| end + i);
            if stop - start > max {
                return true;
            }
            at = stop;
        } else {
            at = end;
        }
    }
    false
}

/// Delimiters and newlines outside quotes in `piece` (which starts outside quotes), the
/// longest record (bytes between those newlines), and whether bytes follow the last of
/// them, 64 bytes at a time: each byte class
/// becomes a bit mask, and the quoted stretch is the running parity of the quote bits (a
/// prefix XOR), carried from block to block.
fn outside_quotes(piece: &[u8], delimiter: u8, quote: u8) -> (usize, usize, usize, bool, bool) {
    #[cfg(target_arch = "x86_64")]
    fn mask(block: &[u8; 64], byte: u8) -> u64 {
        use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
        let mut m = 0u64;
        // SAFETY: SSE2 is part of every x86_64 CPU; each unaligned 16-byte load lies inside
        // the 64-byte block.
        unsafe {
            let needle = _mm_set1_epi8(byte as i8);
            for k in 0..4 {
                let v = _mm_loadu_si128(block.as_ptr().add(16 * k) as *const __m128i);
                m |= (_mm_movemask_epi8(_mm_cmpeq_epi8(v, needle)) as u16 as u64) << (16 * k);
            }
        }
        m
    }
    #[cfg(not(target_arch = "x86_64"))]
    fn mask(block: &[u8; 64], byte: u8) -> u64 {
        let mut m = 0u64;
        for (i, &b) in block.iter().enumerate() {
            m |= ((b == byte) as u64) << i;
        }
        m
    }
    let (mut delimiters, mut newlines, mut longest) = (0usize, 0usize, 0usize);
    // All ones while inside quotes at the end of the previous block.
    let mut carry = 0u64;
    // Bytes of the record under way before this block.
    let mut run = 0usize;
    let mut count = |block: &[u8; 64], len: usize| {
        let mut inside = mask(block, quote);
        for shift in [1, 2, 4, 8, 16, 32] {
            inside ^= inside << shift;
        }
        inside ^= carry;
        carry = ((inside as i64) >> 63) as u64;
        delimiters += (mask(block, delimiter) & !inside).count_ones() as usize;
        let mut ends = mask(block, b'\n') & !inside;
        newlines += ends.count_ones() as usize;
        // Most blocks end no record or one: the loop runs about once per record.
        let mut previous: Option<usize> = None;
        while ends != 0 {
            let at = ends.trailing_zeros() as usize;
            longest = longest.max(match previous {
                None => run + at,
                Some(p) => at - p - 1,
            });
            previous = Some(at);
            ends &= ends - 1;
        }
        run = match previous {
            None => run + len,
            Some(p) => len - p - 1,
        };
    };
    let mut blocks = piece.chunks_exact(64);
    for block in &mut blocks {
        count(block.try_into().expect("64 bytes"), 64);
    }
    let rest = blocks.remainder();
    if !rest.is_empty() {
        // The tail, padded with a byte that is none of the three.
        let filler = (0u8..=255).find(|&b| b != delimiter && b != quote && b != b'\n').expect("a free byte");
        let mut block = [filler; 64];
        block[..rest.len()].copy_from_slice(rest);
        count(&block, rest.len());
    }
    (delimiters, newlines, longest.max(run), run > 0, carry != 0)
}

/// Fields and end (its final newline, or the end of `buf`) of the record starting at
/// `start` that holds quotes: delimiters and newlines inside quotes are text, and a doubled
/// quote toggles twice.
fn quoted_record(buf: &[u8], start: usize, delimiter: u8, quote: u8) -> (usize, usize) {
    let mut quoted = false;
    let mut fields = 1;
    for (i, &b) in buf[start..].iter().enumerate() {
        if b == quote {
            quoted = !quoted;
        } else if !quoted {
            if b == delimiter {
                fields += 1;
            } else if b == b'\n' {
                return (fields, start + i);
            }
        }
    }
    (fields, buf.len())
}

#[cfg(test)]
mod tests {
    use super::{boundary_near, record_boundary, RecordCheck};

    /// The longest record of `piece` and the bytes after its last newline outside quotes,
    /// byte by byte.
    fn longest_record(piece: &[u8]) -> (usize, usize) {
        let (mut quoted, mut run, mut longest) = (false, 0usize, 0usize);
        for &b in piece {
            match b {
                b'"' => {
                    quoted = !quoted;
                    run += 1;
                }
                b'\n' if !quoted => {
                    longest = longest.max(run);
                    run = 0;
                }
                _ => run += 1,
            }
        }
        (longest.max(run), run)
    }

    #[test]
    fn cuts_after_the_last_newline_outside_quotes() {
        assert_eq!(record_boundary(b"a,b\nc,d\ne", b'"'), Some(8));
        assert_eq!(record_boundary(b"a,\"x\ny\"\nc,\"p\nq", b'"'), Some(8), "the last newline is inside quotes");
        assert_eq!(record_boundary(b"a,\"x\ny", b'"'), None, "no complete record");
        assert_eq!(record_boundary(b"a,\"x\"\"y\"\nb", b'"'), Some(9), "doubled quotes are text");
    }

    #[test]
    fn pieces_hold_about_their_size_and_at_least_one_record() {
        assert_eq!(boundary_near(b"a,b\nc,d\ne,f\n", 5, b'"'), Some(4));
        assert_eq!(boundary_near(b"a,b\nc,d\ne,f\n", 1, b'"'), Some(4), "one record however small the piece");
        assert_eq!(boundary_near(b"\"x\ny\",b\nc,d\n", 3, b'"'), Some(8), "not inside quotes");
        assert_eq!(boundary_near(b"a,\"x\ny", 3, b'"'), None);
    }

    #[test]
    fn counts_outside_quotes_as_the_record_scan_does() {
        // Random pieces of quoted and unquoted fields (with delimiters and newlines inside
        // quotes), longer and shorter than a block, against a byte-by-byte count.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..500 {
            let len = (next() % 300) as usize;
            let mut piece: Vec<u8> = (0..len).map(|_| b"ab,\n\"x;"[(next() % 7) as usize]).collect();
            // A piece starts and ends outside quotes.
            if piece.iter().filter(|&&b| b == b'"').count() % 2 == 1 {
                piece.push(b'"');
            }
            let (mut quoted, mut delimiters, mut newlines) = (false, 0, 0);
            for &b in &piece {
                match b {
                    b'"' => quoted = !quoted,
                    b',' if !quoted => delimiters += 1,
                    b'\n' if !quoted => newlines += 1,
                    _ => {}
                }
            }
            let (longest, tail) = longest_record(&piece);
            let quoted = piece.iter().filter(|&&b| b == b'"').count() % 2 == 1;
            assert_eq!(
                super::outside_quotes(&piece, b',', b'"'),
                (delimiters, newlines, longest, tail > 0, quoted),
                "{:?}",
                String::from_utf8_lossy(&piece)
            );
        }
    }

    #[test]
    fn finds_records_with_fewer_fields() {
        let mut s = RecordCheck::new(3, 1 << 20);
        let piece = b"a,b,c\r\n\r\na,b\n\"x,\ny\",b,c\n\"x,y\",b\na,b,c\n,,";
        assert_eq!(s.scan(piece, b',', b'"', 2), 7);
        assert_eq!(s.count, 3);
        assert_eq!(s.first, vec![(3, 1), (4, 2), (6, 2)], "a blank line is a short record; quoted delimiters and newlines are text");
        assert!(s.problem("activity", "activity.csv").unwrap().message.starts_with("3 records have fewer fields"));
        let mut none = RecordCheck::new(3, 1 << 20);
        assert_eq!(none.scan(b"a,b,c\nd,e,f", b',', b'"', 2), 2);
        assert!(none.problem("activity", "activity.csv").is_none());
        let mut unquoted = RecordCheck::new(3, 1 << 20);
        assert_eq!(unquoted.scan(b"a,b,c\nd,e\n\ng,h,i\n", b',', b'"', 2), 4);
        assert_eq!(unquoted.first, vec![(3, 2), (4, 1)], "found without quotes too");
    }
}

#[cfg(test)]
mod limit_tests {
    use super::{count_byte, longer_line, pieces, trailing_blank, RecordCheck};

    #[test]
    fn bytes_are_counted_eight_at_a_time_exactly() {
        let text: Vec<u8> = (0..10_007u32).map(|i| [b',', b'\n', b'a', 0x80, 0xff, 0, b';'][(i * 7 + i / 3) as usize % 7]).collect();
        for byte in [b',', b'\n', b'a', 0x80, 0xff, 0, b';', b'x'] {
            for len in [0, 1, 7, 8, 9, 63, 64, 65, 10_007] {
                let piece = &text[..len];
                assert_eq!(count_byte(piece, byte), piece.iter().filter(|&&b| b == byte).count(), "byte {byte} len {len}");
            }
        }
    }

    #[test]
    fn blank_lines_at_the_end_are_counted_and_cut() {
        let dir = std::env::temp_dir().join(format!("sotecheck-trailing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.csv");
        // (file, expected end, expected blank lines); the header "h,i\n" is 4 bytes.
        let cases: &[(&[u8], u64, u64)] = &[
            (b"h,i\na,b\n", 8, 0),
            (b"h,i\na,b", 7, 0),
            (b"h,i\na,b\n\n", 8, 1),
            (b"h,i\na,b\r\n\r\n\r\n", 9, 2),
            (b"h,i\na,b,,\n,,\n ,\t\n", 10, 2),
            (b"h,i\na,b\n  ", 8, 1),
            (b"h,i\n\n\n", 4, 2),
            (b"h,i\n", 4, 0),
            (b"h,i\na,\"\n\n\"\n", 11, 0),
        ];
        for &(bytes, end, blank) in cases {
            std::fs::write(&path, bytes).unwrap();
            assert_eq!(trailing_blank(&path, 4, b',').unwrap(), (end, blank), "{:?}", String::from_utf8_lossy(bytes));
        }
        let mut long = b"h,i\na,b\n".to_vec();
        long.extend(std::iter::repeat_n(b'\n', 200_000));
        std::fs::write(&path, &long).unwrap();
        assert_eq!(trailing_blank(&path, 4, b',').unwrap(), (8, 200_000), "blank lines over several blocks");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn finds_lines_longer_than_the_limit_by_blocks() {
        let mut piece = b"a,b\n".repeat(100);
        assert!(!longer_line(&piece, 10));
        piece.extend(std::iter::repeat_n(b'x', 11));
        assert!(longer_line(&piece, 10), "the last line, without a newline");
        assert!(!longer_line(&piece, 11));
        let mut middle = b"a\n".repeat(50);
        middle.extend(std::iter::repeat_n(b'y', 37));
        middle.extend(b"\n".repeat(3));
        for max in 1..60 {
            assert_eq!(longer_line(&middle, max), 37 > max, "max {max}");
        }
    }

    #[test]
    fn ragged_and_oversized_records_stop_the_table_with_their_line() {
        let mut check = RecordCheck::new(3, 1 << 20);
        assert_eq!(check.scan(b"a,b,c\nd,e,f,g\nh,i,j\n", b',', b'"', 2), 2);
        assert_eq!(check.ragged, Some((3, 4)));
        let p = check.stop("activity", "activity.csv").unwrap();
        assert_eq!((p.code.as_str().as_str(), p.line), ("file-unparsable", Some(3)));
        assert!(p.message.contains("line 3 has 4 fields, more than the header's 3"), "{}", p.message);

        let mut quoted = RecordCheck::new(2, 8);
        quoted.scan(b"a,b\n\"x\ny\",b\n\"0123456789\",z\nq,r\n", b',', b'"', 2);
        assert_eq!(quoted.oversized, Some((4, 14)), "a quoted newline does not end a record");
        let p = quoted.stop("activity", "activity.csv").unwrap();
        assert_eq!(p.code.as_str(), "limit-exceeded");
        assert!(p.message.starts_with("the record at line 4 is longer than 8 bytes"), "{}", p.message);

        let mut unclosed = RecordCheck::new(5, 1 << 20);
        let found = unclosed.scan(b"2025,091,99,2,187\n20\"25,091,100,2,150\n", b',', b'"', 2);
        assert_eq!(found, 2, "a quote that never closes ends a record too, as polars reads it");
        assert_eq!(unclosed.unclosed, Some(3));
        assert!(unclosed.stop("population", "population.csv").unwrap().message.contains("line 3 opens a quote that is never closed"));

        let mut plain = RecordCheck::new(2, 8);
        plain.scan(b"a,b\nc,d\n0123456789,x\n", b',', b'"', 2);
        assert_eq!(plain.oversized, Some((4, 12)));
    }

    #[test]
    fn a_record_without_end_is_read_no_further_than_the_limit() {
        let path = std::env::temp_dir().join(format!("sotecheck-records-{}.csv", std::process::id()));
        let mut text = b"a,b\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 300_000));
        std::fs::write(&path, &text).unwrap();
        let mut check = RecordCheck::new(2, 1000);
        let (mut largest, mut line) = (0, 1);
        pieces(&path, 0, u64::MAX, 100, 1000, b'"', |piece| -> std::io::Result<bool> {
            largest = largest.max(piece.len());
            line += check.scan(piece, b',', b'"', line);
            Ok(!check.stopped())
        })
        .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(check.oversized.map(|o| o.0), Some(2));
        assert!(largest < 10_000, "read {largest} bytes at once");
    }
}

/// The problem of a file that is not valid UTF-8, at its first bad line.
pub(crate) fn encoding_invalid(table: &str, file: &str, line: u64) -> InputProblem {
    InputProblem::error(ProblemCode::EncodingInvalid, file, "the file is not valid UTF-8 (the declared or default encoding)")
        .table(table)
        .line(line)
        .help("Finnish exports are often Windows-1252: declare \"encoding\": \"windows-1252\" for this resource")
}

/// The 1-based line holding byte `at`.
pub(crate) fn line_at(path: &Path, at: u64) -> std::io::Result<u64> {
    let mut lines = 1u64;
    let mut rest = std::fs::File::open(path)?.take(at);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = rest.read(&mut buf)?;
        if n == 0 {
            return Ok(lines);
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}
