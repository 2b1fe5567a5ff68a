//! `period-complete`: every month of the package period has rows, optionally for every
//! group of `by` that appears in the table (e.g. per cost centre). Items are months (or
//! `group month`); the missing ones are listed.
//!
//! ```toml
//! [check]
//! kind = "period-complete"
//! table = "costs"
//! column = "month"
//! ```

use super::predicate::{parse_where, Predicate};
use super::{pe, with_filter, EvalCx, Measure, ParseCx, Partial, Plan, Sample};
use crate::package::contract::ColType;
use crate::rules::spanned::{Errors, Table};
use chrono::Datelike;
use polars::prelude::*;
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub struct PeriodComplete {
    pub table: String,
    pub column: String,
    pub by: Option<String>,
    pub filter: Option<Predicate>,
}

impl PeriodComplete {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let spec = cx.table(t, "table", errs)?;
        let column = cx.column(t, "column", spec, errs);
        if let Some(c) = &column {
            cx.expect_type(spec, c, &[ColType::Date, ColType::Month], t.span_of("column"), errs);
        }
        let by = cx.opt_column(t, "by", spec, errs);
        let filter = parse_where(t, spec, cx, errs);
        t.finish(&["kind", "table", "column", "by", "where"], errs);
        Some(PeriodComplete { table: spec.name.into(), column: column?, by, filter })
    }

    pub fn needs(&self) -> Vec<(String, Vec<String>)> {
        let mut cols = vec![self.column.clone()];
        cols.extend(self.by.clone());
        cols.extend(self.filter.iter().flat_map(|f| f.columns()));
        vec![(self.table.clone(), cols)]
    }

    /// The (group, month) pairs with rows, as `group\u{1f}month`.
    pub fn present(&self, cx: &EvalCx) -> Result<std::rc::Rc<Partial>, String> {
        let key = format!(
            "period-complete {} {} by {:?} where {:?}",
            self.table,
            self.column,
            self.by,
            self.filter.as_ref().map(|f| f.describe())
        );
        let filter = with_filter(col(self.column.as_str()).is_not_null(), &self.filter, cx)?;
        // Without `by` or `where`, over a batch whose dictionary coded the column: the dates
        // with a row are the codes used, no hashing.
        if let (None, None, Some((values, codes))) =
            (&self.by, &self.filter, cx.dictionary(&self.table).and_then(|d| d.coded(&self.column)))
        {
            return cx.partial(&self.table, key, |_| {
                let mut used = vec![false; values.len()];
                for &c in codes {
                    used[c as usize] = true;
                }
                let dates = crate::frame::strings(values);
                Ok(Partial::Present(
                    dates
                        .iter()
                        .zip(used)
                        .filter_map(|(d, used)| {
                            Some(format!("\u{1f}{}", d.as_deref().filter(|_| used)?.chars().take(7).collect::<String>()))
                        })
                        .collect(),
                ))
            });
        }
        cx.partial(&self.table, key, |frame| {
            // Distinct (group, date) pairs first: a year has at most 366 dates, so the month
            // arithmetic runs on a few hundred values instead of every row.
            // Without `by`, the distinct dates alone (the group column is added after, on the
            // few distinct rows, not broadcast over every row).
            let mut sel = vec![col(self.column.as_str()).alias("__d")];
            if let Some(b) = &self.by {
                sel.push(col(b.as_str()).cast(DataType::String).alias("__g"));
            }
            let mut df = frame.clone().lazy().filter(filter).select(sel).unique(None, UniqueKeepStrategy::Any).collect().map_err(pe)?;
            if self.by.is_none() {
                df = df.lazy().with_column(lit("").alias("__g")).collect().map_err(pe)?;
            }
            let g = crate::frame::strings(&crate::frame::column(&df, "__g").map_err(pe)?);
            // Dates render as YYYY-MM-DD: the month is the first seven characters.
            let m = crate::frame::strings(&crate::frame::column(&df, "__d").map_err(pe)?);
            Ok(Partial::Present(
                g.into_iter()
                    .zip(m)
                    .map(|(g, m)| format!("{}\u{1f}{}", g.unwrap_or_default(), m.unwrap_or_default().chars().take(7).collect::<String>()))
                    .collect(),
            ))
        })
    }

    pub fn plan(&self, cx: &EvalCx) -> Result<Plan, String> {
        let (start, end) = cx.period()?;
        let mut months = Vec::new();
        let (mut y, mut m) = (start.year(), start.month());
        while (y, m) <= (end.year(), end.month()) {
            months.push(format!("{y:04}-{m:02}"));
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
        let present = self.present(cx)?;
        let Partial::Present(present) = &*present else { unreachable!("period-complete gathers present keys") };
        let present: BTreeSet<(String, String)> =
            present.iter().map(|k| k.split_once('\u{1f}').map(|(g, m)| (g.to_string(), m.to_string())).unwrap_or_default()).collect();
        let mut groups: BTreeSet<String> = present.iter().map(|(g, _)| g.clone()).collect();
        if groups.is_empty() {
            groups.insert(String::new());
        }
        let mut missing = Vec::new();
        for g in &groups {
            for month in &months {
                if !present.contains(&(g.clone(), month.clone())) {
                    let key = if g.is_empty() { month.clone() } else { format!("{g} {month}") };
                    let mut s = Sample::key(key).with("month", month.clone());
                    if let Some(b) = &self.by {
                        s = s.with(b, g.clone());
                    }
                    missing.push(s);
                }
            }
        }
        let failing = missing.len() as u64;
        missing.truncate(cx.sample_limit);
        Ok(Plan::Done(Measure::items((groups.len() * months.len()) as u64, missing, failing)))
    }
}
