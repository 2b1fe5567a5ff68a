//! `compare`: in every row, one column compares to another column of the same row, e.g. a
//! mapping's `valid_from` is not after its `valid_to`. `op` is one of `lt`, `le`, `eq`,
//! `ne`, `ge`, `gt` and reads "left op right". Both columns must be of one kind: numbers
//! (integer and number mix), dates, months, or text (compared character by character, by
//! Unicode code point). A row where either side is empty is not evaluated: an empty
//! `valid_to` means open-ended, and missing values are reported by not-null rules.
//!
//! ```toml
//! [check]
//! kind = "compare"
//! table = "service_map"
//! left = "valid_from"
//! op = "le"
//! right = "valid_to"
//! ```
//!
//! Compared with Great Expectations' `expect_column_pair_values_a_to_be_greater_than_b`
//! (`gt`, or `ge` with `or_equal`) and `expect_column_pair_values_to_be_equal` (`eq`),
//! deliberately different (tests/data/great-expectations/known-differences.toml):
//! - sotecheck always skips rows with an empty side, as GX does with
//!   `ignore_row_if = "either_value_is_missing"`. GX's default (`both_values_are_missing`)
//!   keeps a row with one empty side and counts it as failing; `ignore_row_if` is not a key.
//! - comparing a number column with a text column is a rule error; GX compares the values
//!   one by one (`10 == "abc"` is simply false).

use super::api::{Check, EvalCx, Kind, ParseCx, RowCheck, RowPlan, State};
use super::predicate::with_filter;
use super::predicate::{parse_where, Predicate};
use crate::package::contract::ColType;
use crate::spanned::{Errors, Table};
use polars::prelude::*;

/// The operators, as written in rules, with their symbols for messages.
pub const OPS: &[(&str, &str)] = &[("lt", "<"), ("le", "≤"), ("eq", "="), ("ne", "≠"), ("ge", "≥"), ("gt", ">")];

#[derive(Debug, Clone)]
pub struct Compare {
    pub table: String,
    pub left: String,
    /// One of the names in [`OPS`].
    pub op: &'static str,
    pub right: String,
    pub filter: Option<Predicate>,
}

/// Which column types can be compared with each other.
fn family(ty: ColType) -> &'static str {
    match ty {
        ColType::Integer | ColType::Number => "number",
        ColType::Date => "date",
        ColType::Month => "month",
        ColType::String => "text",
    }
}

impl Compare {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        const KEYS: &[&str] = &["kind", "table", "left", "op", "right", "where"];
        let op = t.req_str("op", errs).and_then(|o| match OPS.iter().find(|(name, _)| *name == o) {
            Some((name, _)) => Some(*name),
            None => {
                let names: Vec<&str> = OPS.iter().map(|(n, _)| *n).collect();
                let help = match crate::suggest::best(&o, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("operators: {}", names.join(", ")),
                };
                errs.push_help(t.span_of("op"), format!("unknown operator `{o}`"), help);
                None
            }
        });
        let Some(spec) = cx.table(t, "table", errs) else {
            t.finish(KEYS, errs);
            return None;
        };
        let left = cx.column(t, "left", spec, errs);
        let right = cx.column(t, "right", spec, errs);
        if let (Some(l), Some(r)) = (&left, &right) {
            let ty = |c: &str| spec.column(c).map(|c| c.ty);
            if let (Some(a), Some(b)) = (ty(l), ty(r)) {
                if family(a) != family(b) {
                    errs.push_help(
                        t.span_of("right"),
                        format!("`{l}` ({}) and `{r}` ({}) cannot be compared", a.name(), b.name()),
                        "compare numbers with numbers, dates with dates, months with months and text with text",
                    );
                }
            }
        }
        let filter = parse_where(t, spec, cx, errs);
        t.finish(KEYS, errs);
        Some(Compare { table: spec.name.into(), left: left?, op: op?, right: right?, filter })
    }

    pub fn describe(&self) -> String {
        let sym = OPS.iter().find(|(n, _)| *n == self.op).map(|(_, s)| *s).unwrap_or(self.op);
        format!("{} {sym} {}", self.left, self.right)
    }
}

impl Kind for Compare {
    fn kind(&self) -> &'static str {
        "compare"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        let mut cols = vec![self.left.clone(), self.right.clone()];
        cols.extend(self.filter.iter().flat_map(|f| f.columns()));
        cols.dedup();
        vec![(self.table.clone(), cols)]
    }
}

impl RowCheck for Compare {
    fn plan(&self, cx: &EvalCx, _lookups: &[&State]) -> Result<RowPlan, String> {
        let (l, r) = (col(self.left.as_str()), col(self.right.as_str()));
        let filled = l.clone().is_not_null().and(r.clone().is_not_null());
        let evaluated = with_filter(filled, &self.filter, cx)?;
        let ok = match self.op {
            "lt" => l.lt(r),
            "le" => l.lt_eq(r),
            "eq" => l.eq(r),
            "ne" => l.neq(r),
            "ge" => l.gt_eq(r),
            _ => l.gt(r),
        };
        let mut show = vec![self.left.clone()];
        if self.right != self.left {
            show.push(self.right.clone());
        }
        Ok(RowPlan { table: self.table.clone(), failing: ok.not(), evaluated, weight: None, show, breakdown: None, parts: Vec::new() })
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    Compare::parse(t, cx, errs).map(Check::row)
}
