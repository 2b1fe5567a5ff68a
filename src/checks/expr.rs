//! Expression helpers the kinds share: literals polars reads as the column's type (text
//! sets for `is_in`, dates as days), validity of a code on a row's date, the date range of
//! a column, and polars errors as reasons a check was not evaluated.

use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// a string Series literal usable on the right of `is_in`.
pub fn set_literal(name: &str, values: impl IntoIterator<Item = String>) -> Expr {
    let v: Vec<String> = values.into_iter().collect();
    lit(Series::new(name.into(), v)).implode(false)
}

/// a date literal as a polars `Date` (days since 1970-01-01). polars' own
/// `lit(NaiveDate)` makes a nanosecond datetime, which cannot hold dates before 1677-09-21
/// or after 2262-04-11: compared with a date column it panicked or wrapped around (a
/// 2525-01-01 typo passed the period check). Days cover every date a column can hold.
pub fn date_lit(d: chrono::NaiveDate) -> Expr {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let days = (d - epoch).num_days().clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    lit(Scalar::new_date(days))
}

/// a value is valid on a row's date when it belongs to one of the validity
/// intervals (inclusive; `None` = unbounded). `dates` is the first and last date of the
/// rows judged (`None`: no row has a date). The date axis between them is cut at every
/// interval boundary; on each piece a value is valid throughout or not at all, so a row
/// costs one `is_in` for its piece. A package period usually holds no boundary: one piece,
/// one lookup, instead of one per interval (measured: the date-validity rules ran 2–3×
/// faster). The plan stays free of joins.
pub fn valid_on_date(
    value: Expr,
    name: &str,
    date: Expr,
    intervals: BTreeMap<(Option<chrono::NaiveDate>, Option<chrono::NaiveDate>), Vec<String>>,
    dates: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
) -> Expr {
    let Some((first, last)) = dates else {
        return lit(false);
    };
    let mut starts: BTreeSet<chrono::NaiveDate> = BTreeSet::from([first]);
    for (from, to) in intervals.keys() {
        let after_to = to.and_then(|t| t.succ_opt());
        starts.extend([*from, after_to].into_iter().flatten().filter(|d| *d > first && *d <= last));
    }
    let starts: Vec<chrono::NaiveDate> = starts.into_iter().collect();
    let mut valid = lit(false);
    for (i, start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).and_then(|n| n.pred_opt()).unwrap_or(last);
        let values: Vec<String> = intervals
            .iter()
            .filter(|((from, to), _)| from.is_none_or(|f| f <= *start) && to.is_none_or(|t| t >= end))
            .flat_map(|(_, v)| v.iter().cloned())
            .collect();
        let on_piece = if starts.len() == 1 {
            // Every dated row is on the one piece.
            date.clone().is_not_null()
        } else {
            date.clone().gt_eq(date_lit(*start)).and(date.clone().lt_eq(date_lit(end)))
        };
        valid = valid.or(value.clone().is_in(set_literal(name, values), false).and(on_piece));
    }
    valid
}

/// The first and last date of a date column (`None` when no row has one).
pub fn date_range(frame: &DataFrame, column: &str) -> Result<Option<(chrono::NaiveDate, chrono::NaiveDate)>, String> {
    // Read as days since 1970 (the date's physical value), so every year a date column can
    // hold comes back, not only those that print as `YYYY-MM-DD`.
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let date = |d: Option<i32>| d.and_then(|d| epoch.checked_add_signed(chrono::Duration::days(d.into())));
    // A date column (as every typed batch holds): its days' least and greatest, without a
    // query (three rules ask each batch; a query costs polars about half a millisecond).
    if let Ok(c) = frame.column(column) {
        if c.dtype() == &DataType::Date {
            let days = c.as_materialized_series().to_physical_repr();
            let days = days.i32().map_err(pe)?;
            return Ok(date(days.min()).zip(date(days.max())));
        }
    }
    let days = |e: Expr| e.cast(DataType::Date).to_physical().cast(DataType::Int64);
    let df =
        frame.clone().lazy().select([days(col(column).min()).alias("lo"), days(col(column).max()).alias("hi")]).collect().map_err(pe)?;
    let get = |c: &str| -> Result<Option<chrono::NaiveDate>, String> {
        let v = crate::frame::column(&df, c).map_err(pe)?;
        let d = v.i64().map_err(pe)?.get(0);
        Ok(d.and_then(|d| epoch.checked_add_signed(chrono::Duration::days(d))))
    };
    Ok(get("lo")?.zip(get("hi")?))
}

/// polars errors become reasons a rule was not evaluated.
pub fn pe(e: PolarsError) -> String {
    format!("evaluation failed: {}", e.to_string().lines().next().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A date column's range read in place is the range the query gives (text read as
    /// dates, and days far outside the usual years); no date, no range.
    #[test]
    fn a_date_columns_range_is_read_in_place_as_by_query() {
        let days = Series::new("d".into(), [Some(-700_000i32), None, Some(20_000), Some(2_900_000)]);
        let df = DataFrame::new(4, vec![days.cast(&DataType::Date).unwrap().into_column()]).unwrap();
        let as_text = DataFrame::new(4, vec![df.column("d").unwrap().cast(&DataType::String).unwrap()]).unwrap();
        let in_place = date_range(&df, "d").unwrap();
        assert_eq!(in_place, date_range(&as_text, "d").unwrap());
        let d = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(in_place, Some((d(1970, 1, 1) - chrono::Duration::days(700_000), d(1970, 1, 1) + chrono::Duration::days(2_900_000))));
        let empty = DataFrame::new(1, vec![Series::new("d".into(), [None::<i32>]).cast(&DataType::Date).unwrap().into_column()]).unwrap();
        assert_eq!(date_range(&empty, "d").unwrap(), None);
    }
}
