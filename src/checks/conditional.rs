//! `conditional`: when a row matches `when`, it must also match `then` (e.g. school health
//! care rows have school-age clients). Rows not matching `when`, and rows whose `then`
//! columns are empty, are not evaluated. `by`
//! breaks failing rows down by a column (e.g. an age band).
//!
//! ```toml
//! [check]
//! kind = "conditional"
//! table = "activity"
//! when = { column = "service_code", in = ["2532"] }
//! then = { column = "age", between = [5, 19] }
//! ```

use super::api::{Check, EvalCx, Kind, ParseCx, RowCheck, RowPlan, State};
use super::predicate::Predicate;
use crate::spanned::{Errors, Table};
use polars::prelude::{col, lit};

#[derive(Debug, Clone)]
pub struct Conditional {
    pub table: String,
    pub when: Predicate,
    pub then: Predicate,
    pub by: Option<String>,
}

impl Conditional {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let spec = cx.table(t, "table", errs)?;
        let when = match t.get("when") {
            Some(v) => Predicate::parse_value(v, spec, cx, errs),
            None => {
                t.missing("when", errs);
                None
            }
        };
        let then = match t.get("then") {
            Some(v) => Predicate::parse_value(v, spec, cx, errs),
            None => {
                t.missing("then", errs);
                None
            }
        };
        let by = cx.opt_column(t, "by", spec, errs);
        t.finish(&["kind", "table", "when", "then", "by"], errs);
        Some(Conditional { table: spec.name.into(), when: when?, then: then?, by })
    }
}

impl Kind for Conditional {
    fn kind(&self) -> &'static str {
        "conditional"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        let mut cols = self.when.columns();
        cols.extend(self.then.columns());
        cols.extend(self.by.clone());
        cols.dedup();
        vec![(self.table.clone(), cols)]
    }
}

impl RowCheck for Conditional {
    fn plan(&self, cx: &EvalCx, _lookups: &[&State]) -> Result<RowPlan, String> {
        // A row whose `then` columns are empty cannot be judged: it is not evaluated (the
        // not-null rules report empty values), rather than failed twice.
        let filled = self.then.columns().iter().fold(lit(true), |acc, c| acc.and(col(c.as_str()).is_not_null()));
        let evaluated = self.when.expr(cx)?.and(filled);
        let failing = self.then.expr(cx)?.not();
        let mut show = self.when.columns();
        for c in self.then.columns() {
            if !show.contains(&c) {
                show.push(c);
            }
        }
        Ok(RowPlan { table: self.table.clone(), evaluated, failing, weight: None, show, breakdown: self.by.clone(), parts: Vec::new() })
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    Conditional::parse(t, cx, errs).map(Check::row)
}
