//! `unique`: the (compound) key identifies one row. Every row of a duplicated key fails;
//! rows with an empty key part are not evaluated (not-null reports those).
//!
//! ```toml
//! [check]
//! kind = "unique"
//! table = "activity"
//! columns = ["event_id"]
//! ```
//!
//! Compared with Great Expectations' `expect_column_values_to_be_unique` and
//! `expect_compound_columns_to_be_unique`, deliberately different
//! (tests/data/great-expectations/known-differences.toml):
//! - a key with any empty part is not evaluated, as GX does with
//!   `ignore_row_if = "any_value_is_missing"`; GX's default compares partly empty keys and
//!   counts `(1, empty)` twice as a duplicate.
//! - a column has one type, the contract's: in a text column `1` and `"1"` are the same
//!   value; GX keeps Python's mixed types apart.

use super::predicate::{parse_where, Predicate};
use super::{with_filter, EvalCx, ParseCx, Plan, RowPlan};
use crate::rules::spanned::{Errors, Table};
use polars::prelude::*;

#[derive(Debug, Clone)]
pub struct Unique {
    pub table: String,
    pub columns: Vec<String>,
    pub filter: Option<Predicate>,
}

impl Unique {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let spec = cx.table(t, "table", errs)?;
        let columns = cx.columns(t, "columns", spec, errs);
        let filter = parse_where(t, spec, cx, errs);
        t.finish(&["kind", "table", "columns", "where"], errs);
        Some(Unique { table: spec.name.into(), columns: columns?, filter })
    }

    pub fn needs(&self) -> Vec<(String, Vec<String>)> {
        let mut cols = self.columns.clone();
        cols.extend(self.filter.iter().flat_map(|f| f.columns()));
        vec![(self.table.clone(), cols)]
    }

    pub fn plan(&self, cx: &EvalCx) -> Result<Plan, String> {
        let filled = self.columns.iter().fold(lit(true), |acc, c| acc.and(col(c.as_str()).is_not_null()));
        let evaluated = with_filter(filled, &self.filter, cx)?;
        let key = as_struct(self.columns.iter().map(|c| col(c.as_str())).collect());
        // Duplicates are counted among the evaluated rows only.
        let dup = key.is_duplicated().over([evaluated.clone()]).map_err(super::pe)?;
        Ok(Plan::Rows(RowPlan {
            table: self.table.clone(),
            failing: evaluated.clone().and(dup),
            evaluated,
            weight: None,
            show: self.columns.clone(),
            breakdown: None,
        }))
    }
}
