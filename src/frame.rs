//! Small helpers for reading results out of polars frames into plain Rust values.

use polars::prelude::*;

/// Renders one cell the way reports show values: strings as-is, dates ISO, numbers
/// without a trailing `.0`, nulls as `None`.
pub fn cell(v: &AnyValue) -> Option<String> {
    match v {
        AnyValue::Null => None,
        AnyValue::String(s) => Some(s.to_string()),
        AnyValue::StringOwned(s) => Some(s.to_string()),
        AnyValue::Float64(f) => Some(number(*f)),
        AnyValue::Float32(f) => Some(number(*f as f64)),
        AnyValue::Date(_) => Some(v.to_string().trim_matches('"').to_string()),
        other => Some(other.to_string().trim_matches('"').to_string()),
    }
}

/// Formats a number compactly and deterministically.
pub fn number(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        let s = format!("{f:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// All cells of a column as display strings.
pub fn strings(s: &Series) -> Vec<Option<String>> {
    (0..s.len()).map(|i| s.get(i).ok().and_then(|v| cell(&v))).collect()
}

/// A column of whole numbers (counts, line numbers); nulls become 0.
pub fn u64s(s: &Series) -> PolarsResult<Vec<u64>> {
    let s = s.cast(&DataType::UInt64)?;
    Ok(s.u64()?.iter().map(|v| v.unwrap_or(0)).collect())
}

pub fn f64s(s: &Series) -> PolarsResult<Vec<Option<f64>>> {
    let s = s.cast(&DataType::Float64)?;
    Ok(s.f64()?.iter().collect())
}

/// The first value of a one-row result column as u64.
pub fn scalar_u64(df: &DataFrame, name: &str) -> PolarsResult<u64> {
    Ok(u64s(df.column(name)?.as_materialized_series())?.first().copied().unwrap_or(0))
}

pub fn scalar_f64(df: &DataFrame, name: &str) -> PolarsResult<Option<f64>> {
    Ok(f64s(df.column(name)?.as_materialized_series())?.first().copied().flatten())
}

/// The list in row 0 of an imploded column.
pub fn list0(df: &DataFrame, name: &str) -> PolarsResult<Series> {
    let c = df.column(name)?.as_materialized_series().clone();
    let s = c.list()?.get_as_series(0).unwrap_or_default();
    // The list's values come back physical (a date as its day number): restore the type.
    match c.dtype().inner_dtype() {
        Some(inner) if s.dtype() != inner => s.cast(inner),
        _ => Ok(s),
    }
}

pub fn column(df: &DataFrame, name: &str) -> PolarsResult<Series> {
    Ok(df.column(name)?.as_materialized_series().clone())
}

/// Calls `each` with the index of every row where `mask` is true (a null counts as false),
/// a word of bits at a time.
pub fn for_true_rows(mask: &BooleanChunked, mut each: impl FnMut(usize)) {
    let mut offset = 0;
    for arr in mask.downcast_iter() {
        match arr.validity().filter(|v| v.unset_bits() > 0) {
            None => arr.values().true_idx_iter().for_each(|i| each(offset + i)),
            Some(valid) => arr.values().true_idx_iter().filter(|&i| valid.get_bit(i)).for_each(|i| each(offset + i)),
        }
        offset += arr.len();
    }
}

/// A share as a percentage with up to three decimals (`0.155 %`, `98 %`).
pub fn pct(share: f64) -> String {
    let p = share * 100.0;
    let s = format!("{p:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s} %")
}
