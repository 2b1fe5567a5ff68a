//! `range`: numbers or dates lie between bounds (inclusive unless `strict_min`/`strict_max`).
//! Date bounds may be `period.start` / `period.end`: the package period, which for a
//! `month` column means its months. Empty values are not evaluated.
//!
//! ```toml
//! [check]
//! kind = "range"
//! table = "activity"
//! column = "event_date"
//! min = "period.start"
//! max = "period.end"
//! ```
//!
//! Compared with Great Expectations' `expect_column_values_to_be_between`, deliberately
//! different (tests/data/great-expectations/known-differences.toml): a date column takes
//! date bounds written as `YYYY-MM-DD`; GX (pandas) raises when a datetime column is
//! compared with a date. As in GX, bounds on a text column, no bound at all, or `min` above
//! `max` are errors in the rule.

use super::api::{Check, EvalCx, Kind, ParseCx, RowCheck, RowPlan, State};
use super::predicate::{parse_where, Bound, Predicate};
use crate::package::contract::ColType;
use crate::spanned::{Errors, Table};
use polars::prelude::*;

#[derive(Debug, Clone)]
pub struct Range {
    pub table: String,
    pub column: String,
    pub ty: ColType,
    pub min: Option<Bound>,
    pub max: Option<Bound>,
    pub strict_min: bool,
    pub strict_max: bool,
    pub filter: Option<Predicate>,
}

impl Range {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let spec = cx.table(t, "table", errs)?;
        let column = cx.column(t, "column", spec, errs);
        let ty = column.as_ref().and_then(|c| spec.column(c)).map(|c| c.ty);
        if let (Some(c), Some(ColType::String)) = (&column, ty) {
            cx.expect_type(spec, c, &[ColType::Integer, ColType::Number, ColType::Date, ColType::Month], t.span_of("column"), errs);
        }
        let ty = ty.unwrap_or(ColType::Number);
        let min = t.get("min").and_then(|v| Bound::parse(v, ty, errs));
        let max = t.get("max").and_then(|v| Bound::parse(v, ty, errs));
        if !t.has("min") && !t.has("max") {
            errs.push(t.span.clone(), "a range check needs `min`, `max` or both");
        }
        if let (Some(Bound::Number(a)), Some(Bound::Number(b))) = (&min, &max) {
            if a > b {
                errs.push(t.span_of("min"), format!("`min` {a} is greater than `max` {b}"));
            }
        }
        let strict_min = t.bool("strict_min", errs).unwrap_or(false);
        let strict_max = t.bool("strict_max", errs).unwrap_or(false);
        let filter = parse_where(t, spec, cx, errs);
        t.finish(&["kind", "table", "column", "min", "max", "strict_min", "strict_max", "where"], errs);
        Some(Range { table: spec.name.into(), column: column?, ty, min, max, strict_min, strict_max, filter })
    }

    pub fn describe(&self) -> String {
        let lo = self.min.as_ref().map(|b| b.describe()).unwrap_or_else(|| "−∞".into());
        let hi = self.max.as_ref().map(|b| b.describe()).unwrap_or_else(|| "∞".into());
        format!("{lo} ≤ {} ≤ {hi}", self.column)
    }
}

impl Kind for Range {
    fn kind(&self) -> &'static str {
        "range"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        super::predicate::table_needs(&self.table, [self.column.clone()], &self.filter)
    }
}

impl RowCheck for Range {
    fn plan(&self, cx: &EvalCx, _lookups: &[&State]) -> Result<RowPlan, String> {
        let c = col(self.column.as_str());
        let mut ok = lit(true);
        if let Some(b) = &self.min {
            let v = b.expr(self.ty, cx)?;
            ok = ok.and(if self.strict_min { c.clone().gt(v) } else { c.clone().gt_eq(v) });
        }
        if let Some(b) = &self.max {
            let v = b.expr(self.ty, cx)?;
            ok = ok.and(if self.strict_max { c.clone().lt(v) } else { c.clone().lt_eq(v) });
        }
        super::predicate::value_plan(&self.table, &self.column, ok.not(), &self.filter, None, cx)
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    Range::parse(t, cx, errs).map(Check::row)
}
