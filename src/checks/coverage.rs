//! `coverage`: the share of rows, or of a measure column (euros, FTE, volume), attached to
//! a valid leaf of a code list on the row's date. Rows with an empty code count as not
//! attached. Weights are taken as absolute values, so a correction booking does not make
//! coverage look better. `by` breaks the unattached share down by a grouping column (cost
//! centre, unit) so the report shows where the gaps come from. Use `min_share` thresholds.
//!
//! ```toml
//! [check]
//! kind = "coverage"
//! table = "costs"
//! column = "service_code"
//! list = "service"
//! date_column = "month"
//! measure = "amount_eur"
//! by = "cost_center"
//! ```

use super::api::{Check, EvalCx, Kind, ParseCx, RowCheck, RowPlan, State};
use super::in_code_list::{parse_date_column, status};
use super::predicate::with_filter;
use super::predicate::{parse_where, Predicate};
use crate::package::contract::ColType;
use crate::spanned::{Errors, Table};
use chrono::Datelike;
use polars::prelude::*;

#[derive(Debug, Clone)]
pub struct Coverage {
    pub table: String,
    pub column: String,
    pub list: String,
    pub date_column: Option<String>,
    pub measure: Option<String>,
    pub by: Option<String>,
    pub leaf_only: bool,
    pub filter: Option<Predicate>,
}

impl Coverage {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let spec = cx.table(t, "table", errs)?;
        let column = cx.column(t, "column", spec, errs);
        let list = t.req_str("list", errs);
        let date_column = parse_date_column(t, cx, spec, errs);
        let measure = cx.opt_column(t, "measure", spec, errs);
        if let Some(m) = &measure {
            cx.expect_type(spec, m, &[ColType::Integer, ColType::Number], t.span_of("measure"), errs);
        }
        let by = cx.opt_column(t, "by", spec, errs);
        let leaf_only = t.bool("leaf_only", errs).unwrap_or(true);
        let filter = parse_where(t, spec, cx, errs);
        t.finish(&["kind", "table", "column", "list", "date_column", "measure", "by", "leaf_only", "where"], errs);
        Some(Coverage { table: spec.name.into(), column: column?, list: list?, date_column, measure, by, leaf_only, filter })
    }
}

impl Kind for Coverage {
    fn kind(&self) -> &'static str {
        "coverage"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        let mut cols = vec![self.column.clone()];
        cols.extend(self.date_column.clone());
        cols.extend(self.measure.clone());
        cols.extend(self.by.clone());
        cols.extend(self.filter.iter().flat_map(|f| f.columns()));
        vec![(self.table.clone(), cols)]
    }
}

impl RowCheck for Coverage {
    fn plan(&self, cx: &EvalCx, _lookups: &[&State]) -> Result<RowPlan, String> {
        let list = cx.list(&self.list)?;
        let months = self
            .date_column
            .as_deref()
            .and_then(|d| crate::package::contract::table(&self.table).and_then(|t| t.column(d)))
            .is_some_and(|c| c.ty == ColType::Month);
        let (start, end) = cx.period()?;
        let start = if months { start.with_day(1).unwrap_or(start) } else { start };
        let dates = match &self.date_column {
            Some(d) => {
                super::expr::date_range(cx.frame(&self.table)?, d)?.map(|(lo, hi)| (lo.max(start), hi.min(end))).filter(|(lo, hi)| lo <= hi)
            }
            None => None,
        };
        let s = status(list, &self.column, self.date_column.as_deref(), dates, months);
        // A row without a date, or dated outside the period, is judged on its code alone: the
        // date is reported by the completeness rules, and says nothing of how the row is
        // classified.
        let valid = match &self.date_column {
            Some(d) => {
                let c = col(d.as_str());
                let inside = c.clone().gt_eq(super::expr::date_lit(start)).and(c.clone().lt_eq(super::expr::date_lit(end)));
                c.is_null().or(inside.not()).or(s.valid)
            }
            None => s.valid,
        };
        let attached = if self.leaf_only { s.leaf.and(valid) } else { s.known.and(valid) };
        let evaluated = with_filter(lit(true), &self.filter, cx)?;
        let mut show = vec![self.column.clone()];
        show.extend(self.by.clone());
        show.extend(self.measure.clone());
        Ok(RowPlan {
            table: self.table.clone(),
            failing: attached.not(),
            evaluated,
            weight: self.measure.as_ref().map(|m| col(m.as_str()).cast(DataType::Float64).abs().fill_null(lit(0.0))),
            show,
            breakdown: self.by.clone(),
            parts: Vec::new(),
        })
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    Coverage::parse(t, cx, errs).map(Check::row)
}
