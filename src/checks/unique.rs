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
use super::{pe, with_filter, EvalCx, Measure, ParseCx, Plan, Sample};
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
        use crate::package::LINE;
        let filled = self.columns.iter().fold(col(LINE).gt(lit(0u32)), |acc, c| acc.and(col(c.as_str()).is_not_null()));
        let evaluated = with_filter(filled, &self.filter, cx)?.fill_null(lit(false));
        let key = match self.columns.as_slice() {
            [one] => col(one.as_str()),
            many => as_struct(many.iter().map(|c| col(c.as_str())).collect()),
        };
        // Hashing the key to 64 bits and finding duplicate hashes is several times faster
        // than hashing strings into a table of 10 M entries. Every true duplicate has a
        // duplicate hash, so the exact test then runs on the few candidate rows only: the
        // result is exact, whatever the collisions.
        // One pass keeps only line, mask and hash (13 bytes a row); the key strings are not
        // copied. Candidate rows are then fetched by line for the exact test.
        let hashed = cx
            .frame(&self.table)?
            .clone()
            .lazy()
            .select([col(LINE), evaluated.alias("__e"), key.clone().hash(0x5EED, 0x50C1, 0xC4EC, 0x4B).alias("__h")])
            .filter(col("__e"))
            .collect()
            .map_err(pe)?;
        let evaluated_rows = hashed.height() as u64;
        // Duplicate hashes by sorting a copy of the u64 column: on 10 M rows this is about
        // five times faster than polars' hash-table `is_duplicated`.
        let mut hashes: Vec<u64> = crate::frame::column(&hashed, "__h").map_err(pe)?.u64().map_err(pe)?.into_no_null_iter().collect();
        hashes.sort_unstable();
        let mut repeated: Vec<u64> = hashes.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
        repeated.dedup();
        drop(hashes);
        let repeated = lit(Series::new("__h".into(), repeated)).implode(false);
        let candidate_lines = hashed.lazy().filter(col("__h").is_in(repeated, false)).select([col(LINE)]).collect().map_err(pe)?;
        let candidate_lines = crate::frame::column(&candidate_lines, LINE).map_err(pe)?;
        let mut keep = vec![col(LINE)];
        keep.extend(self.columns.iter().map(|c| col(c.as_str())));
        let candidates = cx
            .frame(&self.table)?
            .clone()
            .lazy()
            .filter(col(LINE).is_in(lit(candidate_lines).implode(false), false))
            .select(keep)
            .collect()
            .map_err(pe)?;
        let exact = candidates.lazy().filter(key.is_duplicated()).sort([LINE], Default::default()).collect().map_err(pe)?;
        let failing = exact.height() as u64;
        let lines = crate::frame::u64s(&crate::frame::column(&exact, LINE).map_err(pe)?).map_err(pe)?;
        let values: Vec<Vec<Option<String>>> = self
            .columns
            .iter()
            .map(|c| crate::frame::column(&exact, c).map(|s| crate::frame::strings(&s)))
            .collect::<Result<_, _>>()
            .map_err(pe)?;
        let samples = lines
            .iter()
            .take(cx.sample_limit)
            .enumerate()
            .map(|(i, l)| Sample {
                line: Some(*l),
                key: None,
                values: self.columns.iter().zip(&values).map(|(c, v)| (c.clone(), v[i].clone())).collect(),
            })
            .collect();
        let evaluated = evaluated_rows;
        Ok(Plan::Done(Measure {
            evaluated,
            failing,
            total_weight: evaluated as f64,
            failing_weight: failing as f64,
            samples,
            ..Default::default()
        }))
    }
}
