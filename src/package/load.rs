//! Reads one resource (CSV or Parquet) into a typed polars `DataFrame` with a `__line`
//! column pointing back into the source file. Encoding, delimiter, header, decimal comma
//! and value types are checked here; every problem becomes an `InputProblem` with its place,
//! and the data that could be read is still returned so the rules can run. A file larger
//! than the batching threshold is not read here: its table is a [`Stream`] that the engine
//! reads batch by batch (`stream.rs`), with the same typing and the same problems.

use super::contract::{ColType, TableSpec};
use super::descriptor::Resource;
use super::limits::Limits;
use super::paths::Root;
use super::problem::panic_message;
use super::problem::{InputProblem, ProblemCode, Stop};
use super::records::{encoding_invalid, line_at};
use super::stream::{Source, Stream, Utf8};
pub use super::typing::LINE;
use super::typing::{type_columns, type_frame, value_problems, NumberFormat, Typed};
use polars::prelude::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// How many unknown columns are warned about one by one.
const UNKNOWN_SHOWN: usize = 10;

/// A loaded table.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    /// File name as shown in reports (inside the package).
    pub file: String,
    /// `line` for CSV (1-based, header is line 1), `row` for Parquet.
    pub position: &'static str,
    pub data: Data,
    /// Contract columns present in the file.
    pub columns: Vec<String>,
}

/// How a table's rows are held.
#[derive(Debug, Clone)]
pub enum Data {
    /// Read whole when the package was opened.
    Loaded(DataFrame),
    /// Too large to hold: read in batches while the rules run, so memory stays flat.
    Streamed(Stream),
}

impl Table {
    pub fn has(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }

    /// The rows, when the table was read whole.
    pub fn frame(&self) -> Option<&DataFrame> {
        match &self.data {
            Data::Loaded(df) => Some(df),
            Data::Streamed(_) => None,
        }
    }
}

/// When tables are read in batches instead of whole.
#[derive(Debug, Clone, Copy)]
pub struct Batching {
    /// Files larger than this many bytes are streamed.
    pub over_bytes: u64,
    /// About this many bytes of the file per batch (CSV); Parquet batches hold
    /// `batch_bytes / 64` rows, about as many as a CSV batch.
    pub batch_bytes: usize,
}

impl Default for Batching {
    fn default() -> Self {
        // Measured on 2 cores, 32 MB batches (≈ 375 000 CSV rows, 524 288 Parquet rows)
        // against 64 MB: 1 M CSV rows 0.60 -> 0.57 s (the first batch, which nothing
        // overlaps, is parsed sooner), 10 M CSV 3.79 -> 3.91 s, 10 M Parquet 1.33 -> 1.34 s,
        // peak memory 0.77 -> 0.50 GB (CSV) and 0.57 -> 0.38 GB (Parquet); 16 MB batches
        // were slower at 10 M (4.38 s, 1.88 s). Any file larger than 64 MB is streamed:
        // measured at 1 M and 3 M rows, streaming was faster than reading whole (the fused
        // rules overlap the aggregates; 0.6 -> 0.5 s, 1.8 -> 1.5 s) and took half the
        // memory at 3 M rows.
        Batching { over_bytes: 64 << 20, batch_bytes: 32 << 20 }
    }
}

pub struct LoadContext<'a> {
    /// The package folder; every path is resolved inside it.
    pub root: &'a Path,
    pub scratch: &'a Path,
    pub problems: &'a mut Vec<InputProblem>,
    /// `None`: every table is read whole.
    pub batching: Option<Batching>,
}

impl LoadContext<'_> {
    fn streams(&self, path: &Path) -> Option<Batching> {
        let b = self.batching?;
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        (size > b.over_bytes).then_some(b)
    }
}

pub fn load(spec: &'static TableSpec, res: &Resource, ctx: &mut LoadContext) -> Option<Table> {
    let file = res.path.clone();
    let resolved = Root::new(ctx.root).map_err(|_| super::paths::Refusal::Missing).and_then(|root| root.file(&res.path));
    let path = match resolved {
        Ok(p) => p,
        Err(refusal) => {
            ctx.problems.push(refusal.problem(&format!("resource `{}`", res.name), &res.path).table(spec.name));
            return None;
        }
    };
    let format = res.format.clone().unwrap_or_else(|| {
        if res.path.to_ascii_lowercase().ends_with(".parquet") {
            "parquet".into()
        } else {
            "csv".into()
        }
    });
    let format = format.to_ascii_lowercase();
    if format != "csv" && format != "parquet" {
        ctx.problems.push(
            InputProblem::error(ProblemCode::FormatUnsupported, &file, format!("format `{format}` is not supported"))
                .table(spec.name)
                .help("use \"csv\" or \"parquet\""),
        );
        return None;
    }
    // A corrupt file can make polars panic (its Parquet reader does, at several places):
    // that is this table's error, not the end of the run.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match format.as_str() {
        "csv" => load_csv(spec, res, &path, &file, ctx),
        _ => load_parquet(spec, &path, &file, ctx),
    }))
    .unwrap_or_else(|payload| Err(PolarsError::ComputeError(format!("the reader failed: {}", panic_message(&payload)).into())));
    match result {
        Ok(t) => t,
        Err(e) => {
            ctx.problems.push(unreadable(spec, &file, &e));
            None
        }
    }
}

/// The problem for a file polars could not parse (or the one a record scan stopped with).
pub(crate) fn unreadable(spec: &TableSpec, file: &str, e: &PolarsError) -> InputProblem {
    if let Some(stopped) = Stop::carried(e) {
        return stopped;
    }
    let help = if file.to_ascii_lowercase().ends_with(".parquet") {
        "check that the file is a complete Parquet file and that each column has the contract's type (docs/package-format.md)"
    } else {
        "check the quoting and that every row has as many fields as the header"
    };
    InputProblem::error(ProblemCode::FileUnparsable, file, format!("cannot be read: {}", first_line(&e.to_string())))
        .table(spec.name)
        .help(help)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Utf8,
    Cp1252,
}

fn load_csv(spec: &'static TableSpec, res: &Resource, path: &Path, file: &str, ctx: &mut LoadContext) -> PolarsResult<Option<Table>> {
    let encoding = match res.encoding.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("utf-8" | "utf8" | "utf-8-sig") => Encoding::Utf8,
        Some("windows-1252" | "cp1252" | "latin1" | "latin-1" | "iso-8859-1" | "iso-8859-15") => Encoding::Cp1252,
        // Other spellings of the same two (`iso8859-1`, `cp1252`, `us-ascii`: what
        // Python's and other tools' detectors write), read as browsers read labels.
        Some(other) if encoding_rs::Encoding::for_label(other.as_bytes()) == Some(encoding_rs::UTF_8) => Encoding::Utf8,
        Some(other) if encoding_rs::Encoding::for_label(other.as_bytes()) == Some(encoding_rs::WINDOWS_1252) => Encoding::Cp1252,
        Some(other) => {
            ctx.problems.push(
                InputProblem::error(ProblemCode::FormatUnsupported, file, format!("encoding `{other}` is not supported"))
                    .table(spec.name)
                    .help("use \"utf-8\" or \"windows-1252\""),
            );
            return Ok(None);
        }
    };
    if !res.dialect.unsupported.is_empty() {
        ctx.problems.push(
            InputProblem::error(
                ProblemCode::FormatUnsupported,
                file,
                format!(
                    "the dialect declares {}, which sotecheck does not follow; the values would be read wrong, so the table is not read",
                    res.dialect.unsupported.join(", ")
                ),
            )
            .table(spec.name)
            .help("export the file as plain CSV (fields quoted with `\"`, a quote doubled inside, one header row, no comment lines) and drop these options from the dialect"),
        );
        return Ok(None);
    }
    let delimiter = match res.dialect.delimiter.as_deref() {
        None => b',',
        Some(d) if d.len() == 1 => d.as_bytes()[0],
        Some("\\t") => b'\t',
        Some(d) => {
            ctx.problems.push(
                InputProblem::error(ProblemCode::FormatUnsupported, file, format!("delimiter `{d}` must be one character"))
                    .table(spec.name),
            );
            return Ok(None);
        }
    };
    let has_header = res.dialect.header.unwrap_or(true);
    let quote = res.dialect.quote_char.as_deref().and_then(|q| q.bytes().next()).unwrap_or(b'"');

    // Polars reads UTF-8 only: a Windows-1252 export is transcoded to a scratch file first.
    // A streamed UTF-8 file is checked piece by piece as it is read (one read of the file,
    // not two); one read whole is checked here first.
    let streams = ctx.streams(path).is_some();
    let (scan_path, lossy) = match encoding {
        Encoding::Cp1252 => (transcode_cp1252(path, ctx.scratch)?, false),
        Encoding::Utf8 if streams => (path.to_path_buf(), false),
        Encoding::Utf8 => match first_invalid_utf8(path)? {
            None => (path.to_path_buf(), false),
            Some(line) => {
                ctx.problems.push(encoding_invalid(spec.name, file, line));
                (path.to_path_buf(), true)
            }
        },
    };

    let header_line = match read_header(&scan_path, file, delimiter, Limits::get().csv_record)? {
        Ok(h) => h,
        Err(p) => {
            ctx.problems.push(p.table(spec.name));
            return Ok(None);
        }
    };
    // Names as written, and trimmed: exports pad header names with spaces (` diagnosis`).
    let raw_header: Vec<String> = crate::text::parse_csv(crate::text::strip_bom(&header_line), delimiter as char)
        .into_iter()
        .next()
        .map(|r| r.fields)
        .unwrap_or_default();
    let header_fields: Vec<String> = raw_header.iter().map(|f| f.trim().to_string()).collect();
    if header_fields.len() <= 1 {
        let other = [b';', b',', b'\t', b'|'].into_iter().find(|&d| d != delimiter && header_line.contains(d as char));
        if let Some(d) = other {
            let shown = if d == b'\t' { "\\t".to_string() } else { (d as char).to_string() };
            ctx.problems.push(
                InputProblem::error(
                    ProblemCode::DelimiterMismatch,
                    file,
                    format!("the header is one column when split by `{}`, but it contains `{shown}`", delimiter as char),
                )
                .table(spec.name)
                .line(1)
                .help(format!("declare the delimiter: \"dialect\": {{\"delimiter\": \"{shown}\"}}")),
            );
            return Ok(None);
        }
    }
    let names: Vec<String> = if has_header {
        header_fields
    } else if let Some(schema) = &res.schema {
        schema.fields.iter().map(|f| f.name.clone()).collect()
    } else {
        spec.columns.iter().map(|c| c.name.to_string()).collect()
    };
    if names.len() as u64 > Limits::get().csv_columns {
        ctx.problems.push(
            InputProblem::error(
                ProblemCode::LimitExceeded,
                file,
                format!(
                    "the header has {} columns, more than the {} a table may have; the table is not read",
                    names.len(),
                    Limits::get().csv_columns
                ),
            )
            .table(spec.name)
            .line(1)
            .help(format!(
                "the contract's {} table has {} columns: check the delimiter, or drop the extra columns; if they are genuine, \
                 raise the limit with the environment variable SOTECHECK_CSV_MAX_COLUMNS",
                spec.name,
                spec.columns.len()
            )),
        );
        return Ok(None);
    }
    let Some(present) = check_columns(spec, &names, file, ctx.problems) else {
        return Ok(None);
    };

    let field = |col: &str| res.schema.as_ref().and_then(|s| s.fields.iter().find(|f| f.name == col));
    let format = |col: &str| NumberFormat {
        decimal_comma: field(col).and_then(|f| f.decimal_char.as_deref()).or(res.dialect.decimal_char.as_deref()) == Some(","),
        group: field(col).and_then(|f| f.group_char.clone()).or(res.dialect.group_char.clone()).filter(|g| !g.is_empty()),
    };
    let typed = type_columns(spec, &present, |_| DataType::String, format);
    let utf8 = match (lossy, streams && encoding == Encoding::Utf8) {
        (true, _) => Utf8::Invalid,
        (false, true) => Utf8::PerPiece,
        (false, false) => Utf8::Valid,
    };
    let source = Source::csv(
        &scan_path,
        delimiter,
        quote,
        has_header,
        names.clone(),
        utf8,
        ctx.batching.map_or(0, |b| b.batch_bytes),
        Limits::get().csv_record as usize,
    )?;
    let blank_lines = source.blank_lines_note(spec.name, file);
    let trailing_blank = blank_lines.is_some();
    ctx.problems.extend(blank_lines);
    if ctx.streams(&scan_path).is_some() {
        return Ok(Some(streamed(spec, file, "line", present, typed, source)));
    }
    let (short, records) = source.check_records(spec.name, file)?;
    ctx.problems.extend(short);
    let mut reader = LazyCsvReader::new(PlRefPath::new(scan_path.to_string_lossy().as_ref()))
        .with_separator(delimiter)
        .with_has_header(has_header)
        .with_quote_char(Some(quote))
        .with_infer_schema_length(Some(0))
        .with_missing_is_null(true)
        // A quoted empty field (`""`) is as missing as a bare one; matched while parsing,
        // so it costs nothing.
        .with_null_values(Some(NullValues::AllColumnsSingle("".into())))
        .with_row_index(Some(RowIndex { name: LINE.into(), offset: if has_header { 2 } else { 1 } }));
    if trailing_blank {
        // The records before the blank lines at the end, counted by the record scan.
        reader = reader.with_n_rows(Some(records as usize));
    }
    if lossy {
        reader = reader.with_encoding(CsvEncoding::LossyUtf8);
    }
    let mut lf = reader.finish()?;
    if !has_header {
        let old: Vec<String> = (1..=names.len()).map(|i| format!("column_{i}")).collect();
        lf = lf.rename(old, names.clone(), true);
    } else if raw_header != names {
        // polars names columns as written; the rules know them trimmed.
        let (old, new): (Vec<String>, Vec<String>) =
            raw_header.iter().zip(&names).filter(|(r, n)| r != n).map(|(r, n)| (r.clone(), n.clone())).unzip();
        lf = lf.rename(old, new, true);
    }
    finish(spec, lf, typed, file, "line", present, ctx).map(Some)
}

fn load_parquet(spec: &'static TableSpec, path: &Path, file: &str, ctx: &mut LoadContext) -> PolarsResult<Option<Table>> {
    // The footer is judged before polars decodes a page: a corrupt count there is an
    // allocation of exabytes, which aborts the process (no panic to catch).
    let metadata = ParquetReader::new(std::fs::File::open(path)?).get_metadata()?.clone();
    if let Some(why) = implausible_parquet(&metadata, std::fs::metadata(path)?.len()) {
        ctx.problems.push(
            InputProblem::error(ProblemCode::FileUnparsable, file, format!("cannot be read: the Parquet footer is corrupt ({why})"))
                .table(spec.name)
                .help("write the file again; check that it was copied whole"),
        );
        return Ok(None);
    }
    let mut lf = LazyFrame::scan_parquet(PlRefPath::new(path.to_string_lossy().as_ref()), Default::default())?;
    let schema = lf.collect_schema()?;
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    let Some(present) = check_columns(spec, &names, file, ctx.problems) else {
        return Ok(None);
    };
    for col in &present {
        let spec_col = spec.column(col).expect("present columns are contract columns");
        let dtype = schema.get(col.as_str()).cloned().unwrap_or(DataType::String);
        if spec_col.ty == ColType::String && dtype.is_primitive_numeric() {
            ctx.problems.push(
                InputProblem::error(
                    ProblemCode::CodeStoredAsNumber,
                    file,
                    format!("column `{col}` is stored as {dtype}: codes are strings, and leading zeros (`091`, `05`) are lost"),
                )
                .table(spec.name)
                .column(col)
                .help("write code columns as strings (Parquet BYTE_ARRAY/UTF8)"),
            );
        }
    }
    // Parquet has real nulls: an empty string there is a value, and the rules judge it.
    let typed = type_columns(spec, &present, |c| schema.get(c).cloned().unwrap_or(DataType::String), |_| NumberFormat::default());
    if let Some(b) = ctx.batching {
        // Parquet is compressed: judge its size as the rows would take in CSV (about 64
        // bytes each), so the same threshold streams about as many rows.
        let source = Source::parquet(path, b.batch_bytes)?;
        // A file of many row groups is streamed however few its rows: polars reads a group
        // into a frame of its own, and 40 000 groups of 5 rows read whole took 1.3 GB
        // (streamed, at most `MAX_GROUPS_PER_BATCH` a batch: 0.6 GB).
        if source.rows() as u64 * 64 > b.over_bytes || metadata.row_groups.len() > super::stream::MAX_GROUPS_PER_BATCH {
            return Ok(Some(streamed(spec, file, "row", present, typed, source)));
        }
    }
    lf = lf.with_row_index(LINE, Some(1));
    finish(spec, lf, typed, file, "row", present, ctx).map(Some)
}

/// Why a Parquet footer cannot describe the file it ends, if it cannot: value and row
/// counts that no file of this size holds (each is an allocation when the column is read),
/// or column chunks that lie outside the file.
pub(crate) fn implausible_parquet(metadata: &polars::io::parquet::read::FileMetadata, file_len: u64) -> Option<String> {
    // However well a column compresses, a row of the contract takes more than 1/1024 of a
    // byte (a run of 1 000 equal values in one byte); a corrupt count is usually 2^40 or more.
    let most_rows = file_len.saturating_mul(1024);
    let mut total = 0u64;
    for (i, group) in metadata.row_groups.iter().enumerate() {
        let rows = group.num_rows() as u64;
        total = total.saturating_add(rows);
        if total > most_rows {
            return Some(format!("it claims {total} rows by row group {}, in a file of {file_len} bytes", i + 1));
        }
        for chunk in group.parquet_columns() {
            let values = chunk.num_values();
            // A flat column has one value (or null) per row; nested ones more, never 1024 times.
            if values < 0 || values as u64 > rows.max(1).saturating_mul(1024) {
                return Some(format!("row group {} of {rows} rows claims {values} values in a column", i + 1));
            }
            // Computed here: polars' own `byte_range` unwraps an overflowing sum.
            let start = chunk.dictionary_page_offset().unwrap_or(chunk.data_page_offset());
            let len = chunk.compressed_size();
            if start < 0 || len < 0 || (start as u64).checked_add(len as u64).is_none_or(|end| end > file_len) {
                return Some(format!("a column chunk of row group {} lies outside the file", i + 1));
            }
        }
    }
    None
}

/// Reports missing, unknown and duplicate columns; returns the contract columns present,
/// or `None` when the table cannot be used at all.
fn check_columns(spec: &TableSpec, names: &[String], file: &str, problems: &mut Vec<InputProblem>) -> Option<Vec<String>> {
    let mut seen = std::collections::BTreeSet::new();
    for n in names {
        if !seen.insert(n.as_str()) {
            problems.push(
                InputProblem::error(ProblemCode::ColumnDuplicate, file, format!("column `{n}` appears twice in the header"))
                    .table(spec.name)
                    .column(n)
                    .line(1)
                    .help(format!(
                        "keep one `{n}` column: rename or drop the other (the table is not read while its columns are ambiguous)"
                    )),
            );
            return None;
        }
    }
    // Each unknown column is a warning of its own up to a few; the rest are one warning, so
    // a header of a thousand stray columns does not make a report of thousands.
    let unknown: Vec<&String> = names.iter().filter(|n| spec.column(n).is_none()).collect();
    for n in unknown.iter().take(UNKNOWN_SHOWN).copied() {
        let hint = spec
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(n.trim()) || crate::suggest::close(c.name, n))
            .map(|c| format!("did you mean `{}`? Otherwise the column is ignored", c.name))
            .unwrap_or_else(|| {
                format!("the contract's {} columns are: {}", spec.name, spec.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", "))
            });
        problems.push(
            InputProblem::warning(ProblemCode::ColumnUnknown, file, format!("column `{n}` is not in the contract for `{}`", spec.name))
                .table(spec.name)
                .column(n)
                .line(1)
                .help(hint),
        );
    }
    if unknown.len() > UNKNOWN_SHOWN {
        let rest = &unknown[UNKNOWN_SHOWN..];
        let listed: Vec<String> = rest.iter().take(UNKNOWN_SHOWN).map(|n| format!("`{n}`")).collect();
        let more = if rest.len() > UNKNOWN_SHOWN { ", …" } else { "" };
        problems.push(
            InputProblem::warning(
                ProblemCode::ColumnUnknown,
                file,
                format!("{} more columns are not in the contract for `{}`: {}{more}", rest.len(), spec.name, listed.join(", ")),
            )
            .table(spec.name)
            .line(1)
            .count(rest.len() as u64)
            .help("they are ignored; check the delimiter and the header if they are not meant to be there"),
        );
    }
    for c in spec.columns.iter().filter(|c| c.required && !names.iter().any(|n| n == c.name)) {
        problems.push(
            InputProblem::error(ProblemCode::ColumnMissing, file, format!("required column `{}` ({}) is missing", c.name, c.ty.name()))
                .table(spec.name)
                .column(c.name)
                .line(1)
                .help("rules on this column are not evaluated until it is added"),
        );
    }
    Some(spec.columns.iter().filter(|c| names.iter().any(|n| n == c.name)).map(|c| c.name.to_string()).collect())
}

fn streamed(
    spec: &'static TableSpec,
    file: &str,
    position: &'static str,
    present: Vec<String>,
    typed: Vec<Typed>,
    source: Source,
) -> Table {
    let stream = Stream { spec, file: file.to_string(), position, typed, present: present.clone(), source, whole: Default::default() };
    Table { name: spec.name.to_string(), file: file.to_string(), position, data: Data::Streamed(stream), columns: present }
}

fn finish(
    spec: &TableSpec,
    lf: LazyFrame,
    typed: Vec<Typed>,
    file: &str,
    position: &'static str,
    present: Vec<String>,
    ctx: &mut LoadContext,
) -> PolarsResult<Table> {
    let (df, stats) = type_frame(lf, &typed, &present)?;
    ctx.problems.extend(value_problems(spec, &typed, &stats, file, position));
    Ok(Table { name: spec.name.to_string(), file: file.to_string(), position, data: Data::Loaded(df), columns: present })
}

/// The first line, read no further than the record limit; the problem instead when it is
/// longer, or when lines end in a lone CR (old Mac exports: the whole file is one line).
fn read_header(path: &Path, file: &str, delimiter: u8, max_record: u64) -> std::io::Result<Result<String, InputProblem>> {
    let mut reader = BufReader::new(std::fs::File::open(path)?);
    let mut line = Vec::new();
    (&mut reader).take(max_record + 2).read_until(b'\n', &mut line)?;
    let text = line.strip_suffix(b"\n").unwrap_or(&line);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    if memchr::memchr(b'\r', text).is_some() {
        return Ok(Err(InputProblem::error(
            ProblemCode::FileUnparsable,
            file,
            "lines end in CR only (an old Mac line ending), so the file reads as one line; save with LF or CRLF line endings",
        )
        .line(1)
        .help("re-save the file with Unix (LF) or Windows (CRLF) line endings; most editors and `dos2unix -c mac` do it")));
    }
    if text.len() as u64 > max_record {
        // Its width, counted through to its end a piece at a time (never held whole), so
        // the message says how wide a header it is.
        let mut fields = 1 + memchr::memchr_iter(delimiter, text).count() as u64;
        let mut ended = line.last() == Some(&b'\n');
        while !ended {
            let buf = reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let end = memchr::memchr(b'\n', buf);
            let part = &buf[..end.unwrap_or(buf.len())];
            fields += memchr::memchr_iter(delimiter, part).count() as u64;
            ended = end.is_some();
            let n = part.len() + usize::from(ended);
            reader.consume(n);
        }
        return Ok(Err(InputProblem::error(
            ProblemCode::LimitExceeded,
            file,
            format!(
                "the first line is longer than {}, the most a record may hold (it has {fields} fields); the table is not read",
                super::limits::bytes(max_record)
            ),
        )
        .line(1)
        .help(
            "a first line this long is a file without line breaks, or a header far wider than the contract's; if it is \
             genuine, raise the limit with the environment variable SOTECHECK_CSV_MAX_RECORD (docs/package-format.md, Limits)",
        )));
    }
    Ok(Ok(String::from_utf8_lossy(text).into_owned()))
}

/// Finds the first line holding invalid UTF-8, streaming, so large files cost one read;
/// lines are counted only once an invalid byte is found (a second read up to it).
fn first_invalid_utf8(path: &Path) -> std::io::Result<Option<u64>> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 22];
    let mut carry = 0usize;
    let mut offset = 0u64;
    loop {
        let n = f.read(&mut buf[carry..])?;
        let end = carry + n;
        if end == 0 {
            return Ok(None);
        }
        match std::str::from_utf8(&buf[..end]) {
            Ok(_) => {
                offset += end as u64;
                carry = 0;
            }
            Err(e) => {
                let valid = e.valid_up_to();
                // An incomplete sequence at the end of the buffer is fine unless the file ended.
                if e.error_len().is_none() && n > 0 {
                    buf.copy_within(valid..end, 0);
                    offset += valid as u64;
                    carry = end - valid;
                    continue;
                }
                return line_at(path, offset + valid as u64).map(Some);
            }
        }
        if n == 0 {
            return Ok(None);
        }
    }
}

fn transcode_cp1252(path: &Path, scratch: &Path) -> std::io::Result<PathBuf> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let i = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out_path = scratch.join(format!("utf8-{i}-{}", path.file_name().and_then(|s| s.to_str()).unwrap_or("table.csv")));
    let mut input = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&out_path)?);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        out.write_all(crate::text::decode_cp1252(&buf[..n]).as_bytes())?;
    }
    out.flush()?;
    Ok(out_path)
}
