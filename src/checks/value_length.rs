//! `value-length`: text values have between `min` and `max` characters, both inclusive
//! (either may be left out). Characters are Unicode characters, not bytes: `Hämeenlinna`
//! is 11 long. Only for text columns; empty values are not evaluated.
//!
//! ```toml
//! [check]
//! kind = "value-length"
//! table = "costs"
//! column = "cost_center"
//! max = 20
//! ```
//!
//! Compared with Great Expectations' `expect_column_value_lengths_to_be_between`,
//! deliberately different (tests/data/great-expectations/known-differences.toml):
//! - bounds are inclusive whole numbers; there is no `strict_min`/`strict_max` (write
//!   `min = 2` for "longer than 1").
//! - `min` greater than `max` is a rule error; GX accepts it and fails every value.
//! - a number column is a rule error; GX measures the text of the number (`1.0` is 3
//!   long), which for pandas depends on whether the column also holds a null.

use super::api::{Check, EvalCx, Kind, ParseCx, RowCheck, RowPlan, State};
use super::predicate::{parse_where, Predicate};
use crate::package::contract::ColType;
use crate::spanned::{Errors, Table};
use polars::prelude::*;

#[derive(Debug, Clone)]
pub struct ValueLength {
    pub table: String,
    pub column: String,
    pub min: Option<u64>,
    pub max: Option<u64>,
    pub filter: Option<Predicate>,
}

impl ValueLength {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let spec = cx.table(t, "table", errs)?;
        let column = cx.column(t, "column", spec, errs);
        if let Some(c) = &column {
            cx.expect_type(spec, c, &[ColType::String], t.span_of("column"), errs);
        }
        let min = if t.has("min") { t.u64("min", errs) } else { None };
        let max = if t.has("max") { t.u64("max", errs) } else { None };
        if !t.has("min") && !t.has("max") {
            errs.push(t.span.clone(), "a value-length check needs `min`, `max` or both");
        }
        if let (Some(a), Some(b)) = (min, max) {
            if a > b {
                errs.push(t.span_of("min"), format!("`min` {a} is greater than `max` {b}"));
            }
        }
        let filter = parse_where(t, spec, cx, errs);
        t.finish(&["kind", "table", "column", "min", "max", "where"], errs);
        Some(ValueLength { table: spec.name.into(), column: column?, min, max, filter })
    }
}

impl Kind for ValueLength {
    fn kind(&self) -> &'static str {
        "value-length"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        super::predicate::table_needs(&self.table, [self.column.clone()], &self.filter)
    }
}

impl RowCheck for ValueLength {
    fn plan(&self, cx: &EvalCx, _lookups: &[&State]) -> Result<RowPlan, String> {
        let c = col(self.column.as_str());
        let len = c.clone().cast(DataType::String).str().len_chars().cast(DataType::Int64);
        let mut ok = lit(true);
        if let Some(m) = self.min {
            ok = ok.and(len.clone().gt_eq(lit(m as i64)));
        }
        if let Some(m) = self.max {
            ok = ok.and(len.lt_eq(lit(m as i64)));
        }
        super::predicate::value_plan(&self.table, &self.column, ok.not(), &self.filter, None, cx)
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    ValueLength::parse(t, cx, errs).map(Check::row)
}
