//! `in-set`: values are one of a fixed set written in the rule (for short closed codings
//! such as sex or own/purchased production). Numbers are compared by their text. Empty
//! values are not evaluated.
//!
//! ```toml
//! [check]
//! kind = "in-set"
//! table = "activity"
//! column = "production"
//! values = ["own", "purchased"]
//! ```
//!
//! Compared with Great Expectations' `expect_column_values_to_be_in_set` (and
//! `expect_column_distinct_values_to_be_in_set`: the distinct values are in the set exactly
//! when every value is), deliberately different
//! (tests/data/great-expectations/known-differences.toml):
//! - values compare as text, as codes do: `1` in an integer column equals `"1"` and not
//!   `1.0`; GX compares Python values (`1 == 1.0`, `1 != "1"`).
//! - `values` is required and an empty list fails every value; GX's distinct-values form
//!   treats a missing or empty set as "anything goes".

use super::api::{Check, EvalCx, Kind, ParseCx, RowCheck, RowPlan, State};
use super::expr::set_literal;
use super::predicate::{parse_where, Predicate};
use crate::spanned::{Errors, Table};
use polars::prelude::*;

#[derive(Debug, Clone)]
pub struct InSet {
    pub table: String,
    pub column: String,
    pub values: Vec<String>,
    pub filter: Option<Predicate>,
}

impl InSet {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let spec = cx.table(t, "table", errs)?;
        let column = cx.column(t, "column", spec, errs);
        let values = if t.has("values") {
            t.strings("values", errs)
        } else {
            t.missing("values", errs);
            None
        };
        let filter = parse_where(t, spec, cx, errs);
        t.finish(&["kind", "table", "column", "values", "where"], errs);
        Some(InSet { table: spec.name.into(), column: column?, values: values?, filter })
    }
}

impl Kind for InSet {
    fn kind(&self) -> &'static str {
        "in-set"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        super::predicate::table_needs(&self.table, [self.column.clone()], &self.filter)
    }
}

impl RowCheck for InSet {
    fn plan(&self, cx: &EvalCx, _lookups: &[&State]) -> Result<RowPlan, String> {
        let ok = col(self.column.as_str()).cast(DataType::String).is_in(set_literal(&self.column, self.values.clone()), false);
        super::predicate::value_plan(&self.table, &self.column, ok.not(), &self.filter, None, cx)
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    InSet::parse(t, cx, errs).map(Check::row)
}
