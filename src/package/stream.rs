//! Reads a large table batch by batch, so that checking it takes memory for one batch and
//! the rules' mergeable state, not for the whole table. CSV is cut at record boundaries
//! (a newline outside quotes), checked as bytes (UTF-8, short records; `records`) and
//! parsed by polars; Parquet is read in runs of whole row groups, its dictionary-encoded
//! text columns with their keys (`parquet_keys`), handed beside the batch. Batches are typed
//! exactly as a whole table is (`typing::type_frame`), carry the same `__line` numbers, and
//! yield the same input problems, merged over the batches.

use super::contract::TableSpec;
use super::parquet_keys::{self, Keys};
use super::problem::{guarded, panic_message, InputProblem, ProblemCode, Stop};
use super::records::{self, RecordCheck};
use super::typing::{type_frame, type_read_frame, value_problems, Typed, ValueStats, LINE};
use polars::prelude::*;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

/// A table read in batches (see the module docs).
#[derive(Debug, Clone)]
pub struct Stream {
    pub(crate) spec: &'static TableSpec,
    pub(crate) file: String,
    pub(crate) position: &'static str,
    pub(crate) typed: Vec<Typed>,
    pub(crate) present: Vec<String>,
    pub(crate) source: Source,
    /// The whole table, read only if a check must look it up whole (e.g. the target of a
    /// `reference`), once.
    pub(crate) whole: std::sync::OnceLock<Result<DataFrame, String>>,
}

/// What is known of a CSV file's UTF-8 before it is streamed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Utf8 {
    /// Checked at load (or transcoded), and valid.
    Valid,
    /// Checked at load and not valid (reported there): every piece is read lossily.
    Invalid,
    /// Not checked yet: each piece is checked as it is read, read lossily if it is not
    /// valid, and the first bad line reported.
    PerPiece,
}

#[derive(Debug, Clone)]
pub(crate) enum Source {
    Csv {
        path: PathBuf,
        delimiter: u8,
        quote: u8,
        /// Column names in file order (from the header, the schema or the contract).
        names: Vec<String>,
        utf8: Utf8,
        /// Byte offset of the first data record (after the header and any BOM).
        data_start: u64,
        /// Byte offset after the last record: blank lines after it are not read.
        data_end: u64,
        /// Blank lines at the end of the file, not read (mentioned as an input note).
        blank_lines: u64,
        /// The `__line` of the first data record.
        first_line: IdxSize,
        batch_bytes: usize,
        /// Bytes a record may hold (`Limits::csv_record`).
        max_record: usize,
    },
    Parquet {
        path: PathBuf,
        /// Read once: each batch's reader reuses it.
        metadata: polars::io::parquet::metadata::FileMetadataRef,
        rows: usize,
        /// Each batch's first row and rows, along row-group boundaries where the groups
        /// are no larger than a batch.
        batches: Vec<(usize, usize)>,
    },
}

impl Source {
    pub(crate) fn csv(
        path: &Path,
        delimiter: u8,
        quote: u8,
        has_header: bool,
        names: Vec<String>,
        utf8: Utf8,
        batch_bytes: usize,
        max_record: usize,
    ) -> std::io::Result<Source> {
        // The header is a record: it fits in the record limit (checked at load).
        let mut head = Vec::new();
        std::fs::File::open(path)?.take((max_record as u64 + 8).max(1 << 20)).read_to_end(&mut head)?;
        let bom = if head.starts_with(&[0xEF, 0xBB, 0xBF]) { 3 } else { 0 };
        let data_start = if has_header {
            // The header ends at its first newline outside quotes.
            let mut quoted = false;
            let end = head[bom..].iter().position(|&b| {
                if b == quote {
                    quoted = !quoted;
                }
                b == b'\n' && !quoted
            });
            bom + end.map_or(head.len() - bom, |e| e + 1)
        } else {
            bom
        };
        let (data_end, blank_lines) = super::records::trailing_blank(path, data_start as u64, delimiter)?;
        Ok(Source::Csv {
            path: path.to_path_buf(),
            delimiter,
            quote,
            names,
            utf8,
            data_start: data_start as u64,
            data_end,
            blank_lines,
            first_line: if has_header { 2 } else { 1 },
            batch_bytes: batch_bytes.max(1),
            max_record,
        })
    }

    pub(crate) fn parquet(path: &Path, batch_bytes: usize) -> PolarsResult<Source> {
        let mut reader = ParquetReader::new(std::fs::File::open(path)?);
        let metadata = reader.get_metadata()?.clone();
        let groups: Vec<usize> = metadata.row_groups.iter().map(|g| g.num_rows()).collect();
        let rows = groups.iter().sum();
        Ok(Source::Parquet { path: path.to_path_buf(), metadata, rows, batches: parquet_batches(&groups, (batch_bytes / 64).max(1)) })
    }
}

/// Row groups a Parquet batch holds at most. polars reads each group of a batch into a
/// frame of its own before joining them: a file of tiny groups (40 000 groups of 5 rows)
/// took 1.7 GB read in one batch.
pub(crate) const MAX_GROUPS_PER_BATCH: usize = 1024;

/// A batch as read, before typing: a CSV piece still to parse, or a Parquet batch decoded.
enum Raw {
    Lazy(Box<LazyFrame>),
    Read(DataFrame),
}

/// Batches of about `batch_rows` made of whole row groups (cut at the boundary nearest the
/// size, and after `MAX_GROUPS_PER_BATCH` groups), so that no group is decompressed twice
/// (once for each batch it would straddle); a group larger than a batch is sliced.
fn parquet_batches(groups: &[usize], batch_rows: usize) -> Vec<(usize, usize)> {
    let mut batches = Vec::new();
    let (mut start, mut len, mut in_batch) = (0, 0, 0);
    for &g in groups {
        // Cut at the boundary nearest the batch size.
        if len > 0 && (len + g / 2 > batch_rows || in_batch == MAX_GROUPS_PER_BATCH) {
            batches.push((start, len));
            (start, len, in_batch) = (start + len, 0, 0);
        }
        if g > batch_rows {
            let mut done = 0;
            while done < g {
                let n = (g - done).min(batch_rows);
                batches.push((start, n));
                start += n;
                done += n;
            }
        } else {
            len += g;
            in_batch += 1;
        }
    }
    if len > 0 || batches.is_empty() {
        batches.push((start, len));
    }
    batches
}

impl Source {
    /// The problem of records with fewer fields than the header in a CSV source read whole
    /// (a streamed one finds them batch by batch); a ragged or overlong record stops the
    /// table: it is the error, carried as a [`Stop`].
    /// Also returns how many records there are.
    pub(crate) fn check_records(&self, table: &str, file: &str) -> std::io::Result<(Option<InputProblem>, u64)> {
        let Source::Csv { path, delimiter, quote, names, data_start, data_end, first_line, max_record, .. } = self else {
            return Ok((None, 0));
        };
        let mut check = RecordCheck::new(names.len(), *max_record);
        let mut line = *first_line as u64;
        records::pieces(path, *data_start, *data_end, 1 << 24, *max_record, *quote, |piece| -> std::io::Result<bool> {
            line += check.scan(piece, *delimiter, *quote, line);
            Ok(!check.stopped())
        })?;
        if let Some(stop) = check.stop(table, file) {
            return Err(Stop::io(stop));
        }
        Ok((check.problem(table, file), line - *first_line as u64))
    }

    /// The note that blank lines at the end of a CSV file were not read, if there were any.
    pub(crate) fn blank_lines_note(&self, table: &str, file: &str) -> Option<InputProblem> {
        let Source::Csv { blank_lines, .. } = self else {
            return None;
        };
        let n = *blank_lines;
        (n > 0).then(|| {
            let what = if n == 1 { "1 blank line".to_string() } else { format!("{n} blank lines") };
            InputProblem::info(
                ProblemCode::BlankLinesIgnored,
                file,
                format!("{what} at the end of the file (empty, or only delimiters and spaces) not read as rows"),
            )
            .table(table)
            .count(n)
            .help("nothing to fix: spreadsheet exports end this way; the lines hold no data")
        })
    }

    /// Rows of a Parquet source (unknown for CSV until read: 0).
    pub(crate) fn rows(&self) -> usize {
        match self {
            Source::Parquet { rows, .. } => *rows,
            Source::Csv { .. } => 0,
        }
    }
}

impl Stream {
    /// Calls `each` with every typed batch in file order (at least one, maybe empty) until it
    /// returns `false`. Returns the input problems of values that did not parse; when `each`
    /// stopped early they cover only the batches it was given.
    ///
    /// A CSV file's next batch is parsed and typed on a thread of its own while `each`
    /// checks this one (memory then holds two batches): parsing and checking each leave
    /// one of two cores idle part of the time, and side by side they fill each other's
    /// gaps. Measured on 10 M CSV rows, 2 cores: 5.05 → 4.34 s, peak 0.62 → 0.74 GB.
    /// Parquet is read in turn: its decoding keeps both cores busy, and reading ahead gave
    /// no gain there (1.66 against 1.73 s) for 0.2 GB more.
    pub fn scan(&self, mut each: impl FnMut(&DataFrame) -> bool) -> PolarsResult<Vec<InputProblem>> {
        self.scan_keyed(|batch, _| each(batch))
    }

    /// `scan`, with each batch's dictionary keys (text columns of a Parquet file read by key:
    /// `parquet_keys`).
    pub fn scan_keyed(&self, mut each: impl FnMut(&DataFrame, &Keys) -> bool) -> PolarsResult<Vec<InputProblem>> {
        let mut stats: Vec<ValueStats> = vec![ValueStats::default(); self.typed.iter().filter(|t| t.checked).count()];
        // The stats of the batches given to `each`: one read ahead and not checked is not
        // counted.
        let mut check = |(df, s): (DataFrame, Vec<ValueStats>), keys: Keys| {
            for (acc, s) in stats.iter_mut().zip(s) {
                acc.merge(s);
            }
            each(&df, &keys)
        };
        let type_batch = |raw: Raw| match raw {
            Raw::Lazy(lf) => type_frame(*lf, &self.typed, &self.present),
            Raw::Read(df) => type_read_frame(df, &self.typed, &self.present),
        };
        let from_bytes = match self.source {
            Source::Parquet { .. } => self.read(&mut |raw, keys| Ok(check(type_batch(raw)?, keys)))?,
            Source::Csv { .. } => std::thread::scope(|scope| {
                // A rendezvous: the reader hands over a batch when the last is checked.
                let (ahead, batches) = std::sync::mpsc::sync_channel(0);
                let reader = scope.spawn(move || self.read(&mut |raw, _| Ok(ahead.send(type_batch(raw)?).is_ok())));
                for batch in batches.iter() {
                    if !check(batch, Keys::default()) {
                        break;
                    }
                }
                // Stops the reader at its next batch.
                drop(batches);
                reader.join().unwrap_or_else(|payload| {
                    Err(PolarsError::ComputeError(format!("the reader failed: {}", panic_message(&payload)).into()))
                })
            })?,
        };
        let mut problems = value_problems(self.spec, &self.typed, &stats, &self.file, self.position);
        problems.extend(from_bytes);
        Ok(problems)
    }

    /// Reads the raw batches in order, handing each to `on_batch` until it returns `false`;
    /// returns the problems found in a CSV file's bytes.
    fn read(&self, on_batch: &mut impl FnMut(Raw, Keys) -> PolarsResult<bool>) -> PolarsResult<Vec<InputProblem>> {
        match &self.source {
            Source::Csv { .. } => self.csv_batches(&mut |raw| on_batch(Raw::Lazy(Box::new(raw)), Keys::default())),
            Source::Parquet { path, metadata, batches, .. } => {
                let mut first_row = 0;
                let starts: Vec<usize> = metadata
                    .row_groups
                    .iter()
                    .map(|g| {
                        first_row += g.num_rows();
                        first_row - g.num_rows()
                    })
                    .collect();
                // The file's columns as polars reads them, for the batches read by key.
                let schema = polars::io::parquet::read::infer_schema(metadata).ok();
                for &(offset, n) in batches {
                    // Each row group is a chunk of the batch's columns: a batch of many
                    // small groups is joined into one chunk (polars' expressions pay per
                    // chunk: 40 batches of 1 024 groups of 5 rows took 6.5 s in the fused
                    // rules, joined 0.2 s), and read as text, as keys are kept per chunk.
                    let groups = whole_groups(&starts, self.source.rows(), offset, n);
                    let many = groups.as_ref().is_some_and(|g| g.len() > 32);
                    let keyed = match (groups, &schema) {
                        (Some(groups), Some(schema)) if !many => self.keyed_batch(path, metadata, schema, groups, offset, n),
                        _ => None,
                    };
                    let (raw, keys) = match keyed {
                        Some(Ok(keyed)) => keyed,
                        // Read as text when no column can be read by key, or keys failed.
                        _ => (guarded(|| parquet_reader(path, metadata, offset, n, true)?.set_rechunk(many).finish())?, Keys::default()),
                    };
                    if !on_batch(Raw::Read(raw), keys)? {
                        break;
                    }
                }
                Ok(Vec::new())
            }
        }
    }

    /// A Parquet batch of whole row groups `groups` with its dictionary-encoded text columns
    /// read by key (`parquet_keys`), the rest by polars, side by side; `None` when there is
    /// no such column.
    fn keyed_batch(
        &self,
        path: &Path,
        metadata: &polars::io::parquet::metadata::FileMetadataRef,
        schema: &ArrowSchema,
        groups: std::ops::Range<usize>,
        offset: usize,
        n: usize,
    ) -> Option<PolarsResult<(DataFrame, Keys)>> {
        let (first, end) = (groups.start, groups.end);
        let keyed = parquet_keys::keyed_columns(metadata, schema, first..end, &self.present);
        if keyed.is_empty() {
            return None;
        }
        let order: Vec<PlSmallStr> = std::iter::once(PlSmallStr::from(LINE)).chain(schema.iter_names().cloned()).collect();
        let rest: Vec<String> = schema.iter_names().map(|c| c.to_string()).filter(|c| !keyed.contains(c)).collect();
        let (rest, by_key) = rayon::join(
            || guarded(|| parquet_reader(path, metadata, offset, n, true)?.with_columns(Some(rest)).finish()),
            || parquet_keys::read_keyed(path, metadata, first..end, &keyed),
        );
        Some((|| {
            let mut df = rest?;
            let mut keys = Keys::default();
            let mut as_text = Vec::new();
            for (name, read) in keyed.into_iter().zip(by_key) {
                match read {
                    Ok((column, chunks)) => {
                        df.with_column(column)?;
                        keys.insert(name, chunks);
                    }
                    Err(_) => as_text.push(name),
                }
            }
            // A column that could not be read by key (e.g. a writer fell back from
            // dictionary to plain pages within a chunk) is read as text.
            if !as_text.is_empty() {
                let as_text = guarded(|| parquet_reader(path, metadata, offset, n, false)?.with_columns(Some(as_text)).finish())?;
                df.hstack_mut(as_text.columns())?;
            }
            Ok((df.select(order)?, keys))
        })())
    }

    /// Every batch, concatenated: for a check that needs the table whole. Costs the memory
    /// streaming saves, so the engine avoids it; kept so such a check still runs.
    pub fn whole(&self) -> Result<&DataFrame, String> {
        self.whole
            .get_or_init(|| self.collect(|batch| Ok((batch.clone(), true))).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| format!("table `{}` could not be read whole: {e}", self.spec.name))
    }

    /// The given columns of the rows at `lines` (sorted), read until the last of them.
    pub fn rows_at(&self, lines: &[u64], columns: &[String]) -> PolarsResult<DataFrame> {
        let Some(&last) = lines.last() else {
            return Ok(DataFrame::empty());
        };
        let wanted = Series::new("lines".into(), lines.iter().map(|&l| l as IdxSize).collect::<Vec<_>>());
        let mut keep = vec![col(LINE)];
        keep.extend(columns.iter().map(|c| col(c.as_str())));
        self.collect(|batch| {
            let part =
                batch.clone().lazy().filter(col(LINE).is_in(lit(wanted.clone()).implode(false), false)).select(keep.clone()).collect()?;
            let batch_last = crate::frame::column(batch, LINE).ok().and_then(|s| s.max::<u64>().ok().flatten()).unwrap_or(u64::MAX);
            Ok((part, batch_last < last))
        })
    }

    /// Concatenates what `part` takes from each batch (and whether to read on), in order.
    fn collect(&self, mut part: impl FnMut(&DataFrame) -> PolarsResult<(DataFrame, bool)>) -> PolarsResult<DataFrame> {
        let mut out: Option<DataFrame> = None;
        let mut failed = None;
        self.scan(|batch| {
            let taken = part(batch).and_then(|(p, more)| {
                match &mut out {
                    None => out = Some(p),
                    Some(o) => {
                        o.vstack_mut(&p)?;
                    }
                }
                Ok(more)
            });
            taken.unwrap_or_else(|e| {
                failed = Some(e);
                false
            })
        })?;
        match failed {
            Some(e) => Err(e),
            None => Ok(out.unwrap_or_default()),
        }
    }

    /// Reads the CSV source piece by piece; returns the problems found in its bytes
    /// (records with fewer fields than the header, invalid UTF-8).
    fn csv_batches(&self, on_batch: &mut impl FnMut(LazyFrame) -> PolarsResult<bool>) -> PolarsResult<Vec<InputProblem>> {
        let Source::Csv { path, delimiter, quote, names, utf8, data_start, data_end, first_line, batch_bytes, max_record, .. } =
            &self.source
        else {
            unreachable!("csv_batches on a CSV source")
        };
        let schema: Schema = names.iter().map(|n| Field::new(n.as_str().into(), DataType::String)).collect();
        let schema = Arc::new(schema);
        let parse = |bytes: &[u8], offset: IdxSize, lossy: bool| -> PolarsResult<LazyFrame> {
            let encoding = if lossy { CsvEncoding::LossyUtf8 } else { CsvEncoding::Utf8 };
            let df = CsvReadOptions::default()
                .with_has_header(false)
                .with_schema(Some(schema.clone()))
                .with_raise_if_empty(false)
                .with_row_index(Some(RowIndex { name: LINE.into(), offset }))
                .map_parse_options(|o| {
                    o.with_separator(*delimiter)
                        .with_quote_char(Some(*quote))
                        .with_missing_is_null(true)
                        // As when a table is read whole: a quoted empty field is missing too.
                        .with_null_values(Some(NullValues::AllColumnsSingle("".into())))
                        .with_encoding(encoding)
                })
                .into_reader_with_file_handle(Cursor::new(bytes))
                .finish()?;
            Ok(df.lazy())
        };
        let mut short = RecordCheck::new(names.len(), *max_record);
        let mut rows: IdxSize = 0;
        let mut delivered = false;
        // Pieces end at newlines, which never fall inside a UTF-8 sequence: each is valid
        // or not on its own.
        let (mut at, mut first_bad_line) = (*data_start, None);
        records::pieces(path, *data_start, *data_end, *batch_bytes, *max_record, *quote, |piece| -> PolarsResult<bool> {
            let bad = if *utf8 == Utf8::PerPiece { std::str::from_utf8(piece).err().map(|e| e.valid_up_to()) } else { None };
            if let (Some(offset), None) = (bad, first_bad_line) {
                first_bad_line = Some(super::records::line_at(path, at + offset as u64)?);
            }
            at += piece.len() as u64;
            let first = first_line + rows;
            // Judged before polars sees the piece: it would reject a ragged record without
            // its line, and should never be handed an overlong one.
            let found = short.scan(piece, *delimiter, *quote, first as u64);
            if let Some(stop) = short.stop(self.spec.name, &self.file) {
                return Err(Stop::io(stop).into());
            }
            let df = guarded(|| parse(piece, first, *utf8 == Utf8::Invalid || bad.is_some())?.collect())?;
            debug_assert_eq!(found, df.height() as u64, "records counted as polars parses them");
            rows += df.height() as IdxSize;
            delivered = true;
            on_batch(df.lazy())
        })?;
        if !delivered {
            let empty = DataFrame::empty_with_schema(&schema).with_row_index(LINE.into(), Some(*first_line))?;
            on_batch(empty.lazy())?;
        }
        let mut problems: Vec<InputProblem> = short.problem(self.spec.name, &self.file).into_iter().collect();
        problems.extend(first_bad_line.map(|line| super::records::encoding_invalid(self.spec.name, &self.file, line)));
        Ok(problems)
    }
}

/// The row groups that rows `offset..offset + n` are made of (`starts`: each group's first
/// row), if the rows are whole groups.
fn whole_groups(starts: &[usize], rows: usize, offset: usize, n: usize) -> Option<std::ops::Range<usize>> {
    let first = starts.iter().position(|&s| s == offset)?;
    let end = starts.iter().position(|&s| s == offset + n).unwrap_or(starts.len());
    (end > first && starts.get(end).copied().unwrap_or(rows) == offset + n).then_some(first..end)
}

/// polars' eager reader of rows `offset..offset + n` (with their `__line` if `lines`), and
/// the metadata read once: a lazy scan per batch reads the metadata and starts an engine
/// again each time (measured: about 25 ms a batch).
fn parquet_reader(
    path: &Path,
    metadata: &polars::io::parquet::metadata::FileMetadataRef,
    offset: usize,
    n: usize,
    lines: bool,
) -> PolarsResult<ParquetReader<std::fs::File>> {
    let mut reader = ParquetReader::new(std::fs::File::open(path)?)
        .with_slice(Some((offset, n)))
        // polars numbers a slice's rows from the file's first row (the offset given is
        // added to the row's position in the file): row 1 is the file's first.
        .with_row_index(lines.then(|| RowIndex { name: LINE.into(), offset: 1 }));
    reader.set_metadata(metadata.clone());
    Ok(reader)
}

#[cfg(test)]
mod tests {
    use super::parquet_batches;

    #[test]
    fn parquet_batches_follow_row_groups() {
        assert_eq!(parquet_batches(&[4, 4, 4, 4, 4], 10), vec![(0, 12), (12, 8)]);
        assert_eq!(parquet_batches(&[4, 4, 4, 4, 4], 9), vec![(0, 8), (8, 8), (16, 4)]);
        assert_eq!(parquet_batches(&[3, 25, 2], 10), vec![(0, 3), (3, 10), (13, 10), (23, 5), (28, 2)], "a large group is sliced");
        assert_eq!(parquet_batches(&[], 10), vec![(0, 0)], "an empty file is one empty batch");
        assert_eq!(parquet_batches(&[0, 0], 10), vec![(0, 0)]);
        let tiny = vec![5; 3000];
        assert_eq!(parquet_batches(&tiny, 1 << 20), vec![(0, 5120), (5120, 5120), (10240, 4760)], "at most 1024 groups a batch");
    }
}
