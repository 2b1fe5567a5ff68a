//! Typing a table's text into the contract's types (dates, months, integers, numbers), the
//! same for a table read whole (`load`) and for each batch of a streamed one (`stream`):
//! values that do not parse are counted and shown with their lines, never silently
//! dropped, and become input problems.

use super::contract::{ColType, TableSpec};
use super::problem::{InputProblem, ProblemCode};
use polars::prelude::*;

/// The name of the source-position column every loaded table carries.
pub const LINE: &str = "__line";
const RAW_PREFIX: &str = "__raw_";
/// How many example values an input problem shows.
const SAMPLES: usize = 5;

/// A column that needs parsing, and the expression that types it.
#[derive(Debug, Clone)]
pub(crate) struct Typed {
    column: String,
    ty: ColType,
    /// The column as read (as text, when it is read from text).
    raw: Expr,
    parsed: Expr,
    /// True when the raw column is text, so failures can be shown as the original text.
    pub(crate) from_text: bool,
    /// True when values can fail to type (text, and numbers, which may be infinite or NaN):
    /// the raw column is kept to count and show them.
    pub(crate) checked: bool,
    /// A date or month stored as a timestamp with a time zone (read as text, not as dates).
    zoned: bool,
    decimal_comma: bool,
}

/// How numbers written as text are read (Frictionless `decimalChar`, `groupChar`).
#[derive(Default)]
pub(crate) struct NumberFormat {
    pub(crate) decimal_comma: bool,
    pub(crate) group: Option<String>,
}

pub(crate) fn type_columns(
    spec: &TableSpec,
    present: &[String],
    dtype_of: impl Fn(&str) -> DataType,
    format: impl Fn(&str) -> NumberFormat,
) -> Vec<Typed> {
    let mut out = Vec::new();
    for name in present {
        let ty = spec.column(name).expect("contract column").ty;
        let dtype = dtype_of(name);
        // A Parquet column stored as a dictionary (pandas' `category`) is text too.
        let categorical = dtype.is_categorical() || dtype.is_enum();
        // A timestamp with a time zone has no one date: cast, a Helsinki midnight falls on
        // the day before (UTC). Such dates are not guessed; each is shown as not a date.
        let zoned = matches!(ty, ColType::Date | ColType::Month) && matches!(&dtype, DataType::Datetime(_, Some(_)));
        let raw = match &dtype {
            // Shown as the instant in UTC (a zoned timestamp cannot be formatted in its own
            // zone without polars' time-zone database).
            DataType::Datetime(unit, Some(_)) if zoned => concat_str(
                [col(name.as_str()).to_physical().cast(DataType::Datetime(*unit, None)).cast(DataType::String), lit(" UTC")],
                "",
                false,
            ),
            _ if categorical => col(name.as_str()).cast(DataType::String),
            _ => col(name.as_str()),
        };
        let from_text = dtype == DataType::String || categorical || zoned;
        let r = raw.clone();
        let parsed = match (ty, from_text) {
            _ if zoned => lit(NULL).cast(DataType::Date),
            (ColType::String, true) if !categorical => continue,
            (ColType::String, _) => r.cast(DataType::String),
            (ColType::Date, true) => parse_date(r.clone(), 10),
            (ColType::Month, true) => parse_date(concat_str([r.clone(), lit("-01")], "", false), 10).and_then_len_check(r, 7),
            (ColType::Date | ColType::Month, false) => within_years(r.cast(DataType::Date)),
            (ColType::Integer, true) => r.str().strip_chars(lit(NULL)).cast(DataType::Int64),
            (ColType::Integer, false) => r.cast(DataType::Int64),
            (ColType::Number, true) => {
                let f = format(name);
                let s = r.str().strip_chars(lit(NULL));
                let s = match f.group {
                    Some(g) => s.str().replace_all(lit(g), lit(""), true),
                    None => s,
                };
                let s = if f.decimal_comma { s.str().replace_all(lit(","), lit("."), true) } else { s };
                finite(s.cast(DataType::Float64))
            }
            (ColType::Number, false) => finite(r.cast(DataType::Float64)),
        };
        let checked = from_text || ty == ColType::Number || ty.is_temporal();
        out.push(Typed { column: name.clone(), ty, raw, parsed, from_text, checked, zoned, decimal_comma: format(name).decimal_comma });
    }
    out
}

/// The date where it lies in years 1–9999: a Parquet date column can hold any 32-bit day
/// number, and one outside the calendar's range would panic wherever it is shown.
fn within_years(date: Expr) -> Expr {
    let (first, last) = calendar_days();
    let days = date.clone().to_physical();
    when(days.clone().gt_eq(lit(first)).and(days.lt_eq(lit(last)))).then(date).otherwise(lit(NULL).cast(DataType::Date))
}

/// The first and last day of years 1–9999, as days from 1970-01-01.
fn calendar_days() -> (i32, i32) {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
    let day = |y| chrono::NaiveDate::from_ymd_opt(y, if y == 1 { 1 } else { 12 }, if y == 1 { 1 } else { 31 }).expect("a date");
    ((day(1) - epoch).num_days() as i32, (day(9999) - epoch).num_days() as i32)
}

/// The number where it is finite: `1e400` (read as infinity), `inf` and `NaN` are not
/// amounts, and would pass or poison every sum and ratio they reach; they are shown as
/// unparsable values instead.
fn finite(number: Expr) -> Expr {
    when(number.clone().is_finite()).then(number).otherwise(lit(NULL).cast(DataType::Float64))
}

trait LenCheck {
    fn and_then_len_check(self, raw: Expr, len: u32) -> Expr;
}

impl LenCheck for Expr {
    /// Keeps the parsed value only where the raw text has the exact length, so `2025-1` is
    /// not silently read as January.
    fn and_then_len_check(self, raw: Expr, len: u32) -> Expr {
        when(raw.str().len_bytes().eq(lit(len))).then(self).otherwise(lit(NULL).cast(DataType::Date))
    }
}

fn parse_date(text: Expr, len: u32) -> Expr {
    let opts = StrptimeOptions { format: Some("%Y-%m-%d".into()), strict: false, exact: true, cache: true };
    text.clone().str().to_date(opts).and_then_len_check(text, len)
}

/// Values of one typed column that did not parse; merges over batches.
#[derive(Debug, Clone, Default)]
pub(crate) struct ValueStats {
    n: u64,
    lines: Vec<u64>,
    values: Vec<String>,
    /// How many of them look like a decimal comma (`12,5`).
    commas: u64,
    /// How many look like numbers with a thousands separator (`1 620,00`, `1,620.00`).
    grouped: u64,
}

impl ValueStats {
    pub(crate) fn merge(&mut self, other: ValueStats) {
        self.n += other.n;
        self.commas += other.commas;
        self.grouped += other.grouped;
        // Batches come in file order, so the first values stay the first.
        let room = SAMPLES.saturating_sub(self.lines.len());
        self.lines.extend(other.lines.into_iter().take(room));
        self.values.extend(other.values.into_iter().take(room));
    }
}

/// Types a frame (a whole table or one batch) in one scan: the raw text of typed columns is
/// kept beside the typed value long enough to count and show what did not parse, then
/// dropped. Returns the typed frame and one `ValueStats` per column typed from text.
pub(crate) fn type_frame(lf: LazyFrame, typed: &[Typed], present: &[String]) -> PolarsResult<(DataFrame, Vec<ValueStats>)> {
    let mut exprs: Vec<Expr> = vec![col(LINE)];
    for c in present {
        match typed.iter().find(|t| &t.column == c) {
            Some(t) => {
                exprs.push(t.parsed.clone().alias(c.as_str()));
                // The raw text is only needed to show values that did not parse.
                if t.checked {
                    exprs.push(t.raw.clone().alias(format!("{RAW_PREFIX}{c}")));
                }
            }
            None => exprs.push(col(c.as_str())),
        }
    }
    let df = lf.select(exprs).collect()?;
    let checked: Vec<&Typed> = typed.iter().filter(|t| t.checked).collect();
    let mut out = Vec::new();
    if !checked.is_empty() {
        let mut stats = Vec::new();
        for t in &checked {
            let raw = col(format!("{RAW_PREFIX}{}", t.column).as_str());
            let bad = raw.clone().is_not_null().and(col(t.column.as_str()).is_null());
            // The values that failed, as text: a column stored as numbers or dates (an
            // infinity, a day outside the calendar) is cast where it failed only, as its
            // stored number (a date outside the calendar cannot be written as one).
            let failed = match t.from_text {
                true => raw.filter(bad.clone()),
                false => raw.filter(bad.clone()).to_physical().cast(DataType::String),
            };
            stats.push(bad.clone().sum().alias(format!("n{}", stats.len())));
            stats.push(col(LINE).filter(bad).head(Some(SAMPLES)).implode(true).alias(format!("l{}", stats.len())));
            stats.push(failed.clone().head(Some(SAMPLES)).implode(true).alias(format!("v{}", stats.len())));
            // The regex runs on the values that did not parse only (usually none), not on
            // every value (measured: about 0.2 s less at 10 M rows).
            let comma = failed.clone().str().contains(lit(r"^\s*-?\d+,\d+\s*$"), true);
            stats.push(comma.sum().alias(format!("c{}", stats.len())));
            let grouped = failed.str().contains(lit(r"^\s*-?\d{1,3}([ \x{a0}\x{202f}.,'’]\d{3})+([.,]\d+)?\s*$"), false);
            stats.push(grouped.sum().alias(format!("g{}", stats.len())));
        }
        let s = df.clone().lazy().select(stats).collect()?;
        for i in 0..checked.len() {
            let get = |k: usize| s.columns()[i * 5 + k].as_materialized_series().clone();
            let n = crate::frame::u64s(&get(0))?.first().copied().unwrap_or(0);
            if n == 0 {
                out.push(ValueStats::default());
                continue;
            }
            out.push(ValueStats {
                n,
                lines: crate::frame::u64s(&get(1).list()?.get_as_series(0).unwrap_or_default())?,
                values: crate::frame::strings(&get(2).list()?.get_as_series(0).unwrap_or_default())
                    .into_iter()
                    .map(Option::unwrap_or_default)
                    .collect(),
                commas: crate::frame::u64s(&get(3))?.first().copied().unwrap_or(0),
                grouped: crate::frame::u64s(&get(4))?.first().copied().unwrap_or(0),
            });
        }
    }
    let keep: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).filter(|n| !n.starts_with(RAW_PREFIX)).collect();
    Ok((df.select(keep)?, out))
}

/// `type_frame` over a frame already read (a Parquet batch): a column stored with its
/// contract type, every value of which is one (dates in years 1–9999, finite numbers), is
/// taken as it is instead of typed again, and none of its values failed (10 M Parquet rows,
/// on the thread the batches wait for: reading and typing 383–398 → 344–362 ms).
pub(crate) fn type_read_frame(df: DataFrame, typed: &[Typed], present: &[String]) -> PolarsResult<(DataFrame, Vec<ValueStats>)> {
    let ready: Vec<bool> = typed.iter().map(|t| already_typed(&df, t)).collect();
    if !ready.contains(&true) {
        return type_frame(df.lazy(), typed, present);
    }
    let rest: Vec<Typed> = typed.iter().zip(&ready).filter(|(_, r)| !**r).map(|(t, _)| t.clone()).collect();
    let (df, stats) = type_frame(df.lazy(), &rest, present)?;
    // One `ValueStats` per checked column of `typed`, as `type_frame` gives.
    let mut stats = stats.into_iter();
    let stats = typed
        .iter()
        .zip(&ready)
        .filter(|(t, _)| t.checked)
        .map(|(_, ready)| if *ready { ValueStats::default() } else { stats.next().unwrap_or_default() })
        .collect();
    Ok((df, stats))
}

/// Whether `t`'s column in `df` is stored as its type, with no value that typing would
/// take away.
fn already_typed(df: &DataFrame, t: &Typed) -> bool {
    if t.from_text || t.zoned {
        return false;
    }
    let Ok(c) = df.column(&t.column) else { return false };
    match (t.ty, c.dtype()) {
        (ColType::Integer, DataType::Int64) => true,
        (ColType::Date | ColType::Month, DataType::Date) => {
            let Ok(days) = c.as_materialized_series().to_physical_repr().i32().cloned() else { return false };
            let (first, last) = calendar_days();
            days.null_count() == days.len() || (days.min().is_some_and(|d| d >= first) && days.max().is_some_and(|d| d <= last))
        }
        (ColType::Number, DataType::Float64) => {
            let Ok(numbers) = c.f64() else { return false };
            // A chunk without nulls in one pass over its values; null slots hold anything.
            numbers.downcast_iter().all(|a| match polars_arrow::array::Array::null_count(a) {
                0 => a.values().iter().all(|x| x.is_finite()),
                _ => a.iter().all(|x| x.is_none_or(|x| x.is_finite())),
            })
        }
        _ => false,
    }
}

/// The input problems for values that did not parse (`stats` as from [`type_frame`]).
pub(crate) fn value_problems(spec: &TableSpec, typed: &[Typed], stats: &[ValueStats], file: &str, position: &str) -> Vec<InputProblem> {
    let mut problems = Vec::new();
    for (t, st) in typed.iter().filter(|t| t.checked).zip(stats) {
        let n = st.n;
        if n == 0 {
            continue;
        }
        // A no-break space looks like a space: named, so the value can be found and fixed.
        let visible = |v: &str| v.replace('\u{a0}', "\\u{a0}").replace('\u{202f}', "\\u{202f}");
        let shown: Vec<String> = st.lines.iter().zip(&st.values).map(|(l, v)| format!("{position} {l} `{}`", visible(v))).collect();
        let (code, what, help) = if st.grouped > 0 && t.ty == ColType::Number && (t.decimal_comma || st.commas < st.grouped) {
            (
                ProblemCode::ValueUnparsable,
                format!("{} of {n} unread values in `{}` have a thousands separator", st.grouped, t.column),
                "write numbers without thousands separators (`1620,00`), or declare the separator: \"groupChar\": \" \" on the field in the resource's schema (or in its dialect)".to_string(),
            )
        } else if st.commas > 0 && t.ty == ColType::Number && !t.decimal_comma {
            (
                ProblemCode::DecimalCommaUndeclared,
                format!("{n} values in `{}` use a decimal comma that the descriptor does not declare", t.column),
                "declare it: \"dialect\": {\"decimalChar\": \",\"} for the resource, or \"decimalChar\": \",\" on the field in its schema"
                    .to_string(),
            )
        } else {
            let (expect, fix) = match t.ty {
                ColType::Date | ColType::Month if t.zoned => (
                    "dates: they are timestamps with a time zone, whose date depends on the zone they are read in",
                    "store dates as a Parquet date (date32) column, or timestamps without a time zone at the local midnight",
                ),
                ColType::Date => ("dates (YYYY-MM-DD)", "write dates as ISO YYYY-MM-DD, e.g. 2025-03-31"),
                ColType::Month => ("months (YYYY-MM)", "write months as YYYY-MM, e.g. 2025-03"),
                ColType::Integer => ("whole numbers", "write integers without decimals or units"),
                _ => ("numbers", "write numbers with a decimal point, or declare decimalChar \",\""),
            };
            (ProblemCode::ValueUnparsable, format!("{n} values in `{}` are not {expect}", t.column), fix.to_string())
        };
        problems.push(
            InputProblem::error(code, file, format!("{what}: {}", shown.join(", ")))
                .table(spec.name)
                .column(&t.column)
                .line(st.lines.first().copied().unwrap_or(0))
                .count(n)
                .help(format!("{help}; these values are treated as missing by the rules")),
        );
    }
    problems
}
