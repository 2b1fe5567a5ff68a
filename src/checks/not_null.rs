//! `not-null`: the listed columns are filled (an empty CSV field counts as missing).
//!
//! ```toml
//! [check]
//! kind = "not-null"
//! table = "activity"
//! columns = ["event_id", "event_date"]
//! ```
//!
//! Agrees with Great Expectations' `expect_column_values_to_not_be_null`, including its
//! denominator: a failing share is a share of all rows, not of filled ones (checked by
//! tests/great_expectations.rs).

use super::api::{Check, EvalCx, Kind, ParseCx, RowCheck, RowPlan, State};
use super::predicate::with_filter;
use super::predicate::{parse_where, Predicate};
use crate::spanned::{Errors, Table};
use polars::prelude::*;

#[derive(Debug, Clone)]
pub struct NotNull {
    pub table: String,
    pub columns: Vec<String>,
    pub filter: Option<Predicate>,
}

impl NotNull {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let spec = cx.table(t, "table", errs)?;
        let columns = cx.columns(t, "columns", spec, errs);
        let filter = parse_where(t, spec, cx, errs);
        t.finish(&["kind", "table", "columns", "where"], errs);
        Some(NotNull { table: spec.name.into(), columns: columns?, filter })
    }
}

impl Kind for NotNull {
    fn kind(&self) -> &'static str {
        "not-null"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        let mut cols = self.columns.clone();
        cols.extend(self.filter.iter().flat_map(|f| f.columns()));
        vec![(self.table.clone(), cols)]
    }
}

impl RowCheck for NotNull {
    fn plan(&self, cx: &EvalCx, _lookups: &[&State]) -> Result<RowPlan, String> {
        let failing = self.columns.iter().fold(lit(false), |acc, c| acc.or(col(c.as_str()).is_null()));
        let evaluated = with_filter(lit(true), &self.filter, cx)?;
        // Counted per column too: the extraction is fixed column by column.
        let parts = if self.columns.len() > 1 {
            self.columns.iter().map(|c| (format!("{}.{c}", self.table), col(c.as_str()).is_null())).collect()
        } else {
            Vec::new()
        };
        Ok(RowPlan { table: self.table.clone(), failing, evaluated, weight: None, show: self.columns.clone(), breakdown: None, parts })
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    NotNull::parse(t, cx, errs).map(Check::row)
}
