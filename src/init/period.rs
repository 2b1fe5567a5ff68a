//! The reporting period of `--period`: a year, a quarter, a month or two dates, as the
//! contract allows (its `sote.period`), with a label for the title and a slug for the name.

use chrono::{Datelike, NaiveDate};

/// A reporting period as `--period` gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// For the title: `2025`, `2025 Q1`, `2025-03`, `2025-01-01–2025-06-30`.
    pub label: String,
    /// For the package name: `2025`, `2025-q1`, `2025-03`, `2025-01-01-2025-06-30`.
    pub slug: String,
}

/// A period flag: a year, a quarter, a month or two dates.
pub fn parse_period(s: &str) -> Result<Period, String> {
    let bad = || {
        format!(
            "--period `{s}`: give a year (2025), a quarter (2025-Q1), a month (2025-03) or two ISO dates \
             (2025-01-01..2025-06-30)"
        )
    };
    let s = s.trim();
    let date = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad);
    let last_of = |y: i32, m: u32| -> Result<NaiveDate, String> {
        let next = if m == 12 { date(y + 1, 1, 1)? } else { date(y, m + 1, 1)? };
        next.pred_opt().ok_or_else(bad)
    };
    let year = |t: &str| t.parse::<i32>().ok().filter(|y| (1900..=2100).contains(y) && t.len() == 4).ok_or_else(bad);
    if let Some((a, b)) = s.split_once("..") {
        let a = NaiveDate::parse_from_str(a.trim(), "%Y-%m-%d").map_err(|_| bad())?;
        let b = NaiveDate::parse_from_str(b.trim(), "%Y-%m-%d").map_err(|_| bad())?;
        if a > b {
            return Err(format!("--period `{s}` starts after it ends"));
        }
        return Ok(Period { start: a, end: b, label: format!("{a}–{b}"), slug: format!("{a}-{b}") });
    }
    if s.len() == 4 {
        let y = year(s)?;
        return Ok(Period { start: date(y, 1, 1)?, end: date(y, 12, 31)?, label: y.to_string(), slug: y.to_string() });
    }
    let (y, rest) = s.split_once(['-', ' ']).ok_or_else(bad)?;
    let y = year(y)?;
    if let Some(q) = rest.strip_prefix(['Q', 'q']) {
        let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q)).ok_or_else(bad)?;
        return Ok(Period {
            start: date(y, q * 3 - 2, 1)?,
            end: last_of(y, q * 3)?,
            label: format!("{y} Q{q}"),
            slug: format!("{y}-q{q}"),
        });
    }
    let m: u32 = rest.parse().ok().filter(|m| (1..=12).contains(m) && rest.len() == 2).ok_or_else(bad)?;
    let first = date(y, m, 1)?;
    let month = format!("{}-{m:02}", first.year());
    Ok(Period { start: first, end: last_of(y, m)?, label: month.clone(), slug: month })
}

#[cfg(test)]
mod tests {
    use super::parse_period;

    #[test]
    fn periods_are_years_quarters_months_or_ranges() {
        let p = |s: &str| parse_period(s).map(|p| format!("{} {} {} {}", p.start, p.end, p.label, p.slug));
        assert_eq!(p("2025").unwrap(), "2025-01-01 2025-12-31 2025 2025");
        assert_eq!(p("2025-Q1").unwrap(), "2025-01-01 2025-03-31 2025 Q1 2025-q1");
        assert_eq!(p("2024-02").unwrap(), "2024-02-01 2024-02-29 2024-02 2024-02");
        assert_eq!(p("2025-01-01..2025-06-30").unwrap(), "2025-01-01 2025-06-30 2025-01-01–2025-06-30 2025-01-01-2025-06-30");
        for bad in ["25", "2025-13", "2025-Q5", "x", "2025-06-30..2025-01-01", ""] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }
}
