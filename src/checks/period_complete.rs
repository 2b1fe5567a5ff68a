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

use super::api::{AggregateCheck, Check, EvalCx, Gather, Kind, ParseCx, State};
use super::predicate::{parse_where, with_filter, Predicate};
use crate::model::{Measure, Sample};
use crate::package::contract::ColType;
use crate::spanned::{Errors, Table};
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
}

impl Kind for PeriodComplete {
    fn kind(&self) -> &'static str {
        "period-complete"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        let mut cols = vec![self.column.clone()];
        cols.extend(self.by.clone());
        cols.extend(self.filter.iter().flat_map(|f| f.columns()));
        vec![(self.table.clone(), cols)]
    }
}

impl AggregateCheck for PeriodComplete {
    /// The (group, month) pairs with rows.
    fn gathers(&self, cx: &EvalCx) -> Result<Vec<Gather>, String> {
        Ok(vec![Gather::Months {
            table: self.table.clone(),
            column: self.column.clone(),
            by: self.by.clone(),
            evaluated: with_filter(col(self.column.as_str()).is_not_null(), &self.filter, cx)?,
            plain: self.by.is_none() && self.filter.is_none(),
        }])
    }

    fn judge(&self, cx: &EvalCx, states: &[&State]) -> Result<Measure, String> {
        let (start, end) = cx.period()?;
        let mut months = Vec::new();
        let (mut y, mut m) = (start.year(), start.month());
        while (y, m) <= (end.year(), end.month()) {
            months.push(format!("{y:04}-{m:02}"));
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
        let [State::Present(present)] = states else { return Err("internal: period-complete gathers present keys".into()) };
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
        Ok(Measure::items((groups.len() * months.len()) as u64, missing, failing))
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    PeriodComplete::parse(t, cx, errs).map(Check::aggregate)
}
