//! `pattern`: values match a regular expression. The expression must match the WHOLE value
//! (it is anchored as `^(?:re)$`), unlike Great Expectations' search semantics, because a
//! code is either well-formed or not. `forbidden` flags values that DO match (e.g. a
//! municipality code that lost its leading zero). Empty values are not evaluated.
//!
//! ```toml
//! [check]
//! kind = "pattern"
//! table = "costs"
//! column = "account"
//! regex = "[0-9]{4}"
//! ```
//!
//! Compared with Great Expectations' `expect_column_values_to_match_regex` and
//! `..._not_match_regex` (`forbidden`), deliberately different
//! (tests/data/great-expectations/known-differences.toml):
//! - the whole value must match: GX searches (`re.search`), so its `^a` or `b` passes
//!   `abb`, and an empty expression matches everything. Write `a.*` for "starts with a".
//! - a number column is matched by the text of its value, and an integer column stays
//!   integer when a value is empty (`1`); pandas turns such a column into floats (`1.0`).
//!
//! To forbid a fixed list of values, a `conditional` with `not_in` reads better than an
//! alternation: `when = { column = "sex", is_null = false }`,
//! `then = { column = "sex", not_in = ["0"] }`.

use super::api::{Check, EvalCx, Kind, ParseCx, RowCheck, RowPlan, State};
use super::predicate::{parse_where, Predicate};
use crate::spanned::{Errors, Table};
use polars::prelude::*;

#[derive(Debug, Clone)]
pub struct Pattern {
    pub table: String,
    pub column: String,
    pub regex: String,
    /// True: values matching `regex` fail (the `forbidden` form).
    pub forbidden: bool,
    pub filter: Option<Predicate>,
}

impl Pattern {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        const KEYS: &[&str] = &["kind", "table", "column", "regex", "forbidden", "where"];
        // The expression is checked first so its mistakes show even when the table is wrong.
        let (key, forbidden) = match (t.has("regex"), t.has("forbidden")) {
            (true, false) => ("regex", false),
            (false, true) => ("forbidden", true),
            _ => {
                errs.push_help(
                    t.span.clone(),
                    "a pattern check needs exactly one of `regex` and `forbidden`",
                    "`regex` must match; `forbidden` must not",
                );
                ("regex", false)
            }
        };
        let regex = t.str(key, errs);
        if let Some(r) = &regex {
            if let Err(e) = regex::Regex::new(r) {
                errs.push(t.span_of(key), format!("invalid regular expression: {}", e.to_string().lines().last().unwrap_or("").trim()));
            }
        }
        let Some(spec) = cx.table(t, "table", errs) else {
            t.finish(KEYS, errs);
            return None;
        };
        let column = cx.column(t, "column", spec, errs);
        let filter = parse_where(t, spec, cx, errs);
        t.finish(KEYS, errs);
        Some(Pattern { table: spec.name.into(), column: column?, regex: regex?, forbidden, filter })
    }
}

impl Kind for Pattern {
    fn kind(&self) -> &'static str {
        "pattern"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        super::predicate::table_needs(&self.table, [self.column.clone()], &self.filter)
    }
}

impl RowCheck for Pattern {
    fn plan(&self, cx: &EvalCx, _lookups: &[&State]) -> Result<RowPlan, String> {
        let matches = col(self.column.as_str()).cast(DataType::String).str().contains(lit(format!("^(?:{})$", self.regex)), true);
        let bad = if self.forbidden { matches } else { matches.not() };
        super::predicate::value_plan(&self.table, &self.column, bad, &self.filter, None, cx)
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    Pattern::parse(t, cx, errs).map(Check::row)
}
