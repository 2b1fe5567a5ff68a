//! `unique`: the (compound) key identifies one row. Every row of a duplicated key fails;
//! rows with an empty key part are not evaluated (not-null reports those).
//!
//! Keys are compared by a 128-bit hash held as two 64-bit halves (xxh3-128 of a one-column
//! text key; two differently seeded polars hashes otherwise), kept with each row's line:
//! 20 bytes a row whatever the key, and mergeable over the batches of a streamed table.
//! Two different keys are taken for a duplicate only if all 128 bits collide, with a
//! probability of about n² / 2¹²⁹ (10⁻²³ at 100 M rows). The shown values are read back
//! by line.
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

use super::api::{AggregateCheck, Check, EvalCx, Gather, Kind, ParseCx, State};
use super::expr::pe;
use super::predicate::{parse_where, with_filter, Predicate};
use crate::model::{Measure, Sample};
use crate::package::LINE;
use crate::spanned::{Errors, Table};
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
}

impl Kind for Unique {
    fn kind(&self) -> &'static str {
        "unique"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        let mut cols = self.columns.clone();
        cols.extend(self.filter.iter().flat_map(|f| f.columns()));
        vec![(self.table.clone(), cols)]
    }
}

impl AggregateCheck for Unique {
    /// A 128-bit hash of the key of every evaluated row (every key part filled), with its
    /// line: 20 bytes a row whatever the key's length, and mergeable over batches.
    fn gathers(&self, cx: &EvalCx) -> Result<Vec<Gather>, String> {
        let filled = self.columns.iter().fold(super::api::every_row(), |acc, c| acc.and(col(c.as_str()).is_not_null()));
        let evaluated = with_filter(filled, &self.filter, cx)?.fill_null(lit(false));
        Ok(vec![Gather::Hashes { table: self.table.clone(), columns: self.columns.clone(), evaluated }])
    }

    fn judge(&self, cx: &EvalCx, states: &[&State]) -> Result<Measure, String> {
        let [State::Hashes(hashes)] = states else { return Err("internal: unique gathers hashes".into()) };
        let found = hashes
            .duplicates(cx.sample_limit)
            .map_err(|e| format!("the key hashes spilled to a temporary folder could not be read back: {e}"))?;
        let (evaluated, failing, failing_lines) = (found.evaluated, found.failing, found.first_lines);
        if failing_lines.is_empty() {
            return Ok(Measure::items(evaluated, Vec::new(), 0));
        }
        let shown = cx.rows_at(&self.table, &failing_lines, &self.columns)?;
        let values: Vec<Vec<Option<String>>> = self
            .columns
            .iter()
            .map(|c| crate::frame::column(&shown, c).map(|s| crate::frame::strings(&s)))
            .collect::<Result<_, _>>()
            .map_err(pe)?;
        let shown_lines = crate::frame::u64s(&crate::frame::column(&shown, LINE).map_err(pe)?).map_err(pe)?;
        let samples = Sample::at_lines(&shown_lines, &self.columns, &values);
        Ok(Measure { evaluated, failing, total_weight: evaluated as f64, failing_weight: failing as f64, samples, ..Default::default() })
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    Unique::parse(t, cx, errs).map(Check::aggregate)
}
