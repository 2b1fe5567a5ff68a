//! `in-code-list`: codes exist in a versioned code list, are leaves, and are valid on the
//! row's date. The list is a classification key of the package (`service`,
//! `municipality`: the version the package declares), a suite pin, or a list id. `fail_on`
//! chooses which of the three defects this rule reports, so each can be its own finding:
//! `unknown` (not in the version), `not-leaf` (a grouping class such as "Erittelemätön …"),
//! `not-valid-on-date` (in the version, but retired or not yet valid on the row's date).
//!
//! ```toml
//! [check]
//! kind = "in-code-list"
//! table = "activity"
//! column = "service_code"
//! list = "service"
//! date_column = "event_date"
//! fail_on = ["unknown"]
//! ```

use super::api::{Check, EvalCx, Kind, ParseCx, RowCheck, RowPlan, State};
use super::expr::set_literal;
use super::predicate::with_filter;
use super::predicate::{parse_where, Predicate};
use crate::codelist::CodeList;
use crate::package::contract::ColType;
use crate::spanned::{Errors, Table};
use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use std::collections::BTreeMap;

pub const DEFECTS: &[&str] = &["unknown", "not-leaf", "not-valid-on-date"];

#[derive(Debug, Clone)]
pub struct InCodeList {
    pub table: String,
    pub column: String,
    pub list: String,
    pub date_column: Option<String>,
    pub fail_on: Vec<String>,
    pub filter: Option<Predicate>,
}

/// The three per-row facts about a code, as expressions.
pub struct CodeStatus {
    pub known: Expr,
    pub leaf: Expr,
    /// Valid on the row's date (true when there is no date column).
    pub valid: Expr,
}

/// Builds the expressions; the list is small, so codes are grouped by validity interval and
/// each group is one `is_in`, which keeps the plan free of joins.
/// `dates`: the first and last date of the rows judged, when there is a date column.
/// `months`: the date column holds months (as their first day); a code is valid in a month
/// when its validity covers a day of it, so a code valid from the 15th is valid that month.
pub fn status(list: &CodeList, column: &str, date_column: Option<&str>, dates: Option<(NaiveDate, NaiveDate)>, months: bool) -> CodeStatus {
    let c = col(column).cast(DataType::String);
    let known = c.clone().is_in(set_literal(column, list.codes.keys().cloned()), false);
    let leaf = c.clone().is_in(set_literal(column, list.codes.values().filter(|x| x.leaf).map(|x| x.code.clone())), false);
    let valid = match date_column {
        None => lit(true),
        Some(d) => {
            let mut groups: BTreeMap<(Option<NaiveDate>, Option<NaiveDate>), Vec<String>> = BTreeMap::new();
            for code in list.codes.values() {
                // Overlap with [month start, month end] ⇔ from ≤ month end ∧ to ≥ month start
                // ⇔ first day of from's month ≤ month start ≤ to.
                let from = if months { code.valid_from.map(|f| f.with_day(1).unwrap_or(f)) } else { code.valid_from };
                groups.entry((from, code.valid_to)).or_default().push(code.code.clone());
            }
            super::expr::valid_on_date(c.clone(), column, col(d), groups, dates)
        }
    };
    CodeStatus { known: known.fill_null(lit(false)), leaf: leaf.fill_null(lit(false)), valid: valid.fill_null(lit(false)) }
}

pub fn parse_date_column(t: &Table, cx: &ParseCx, spec: &crate::package::contract::TableSpec, errs: &mut Errors) -> Option<String> {
    let d = cx.opt_column(t, "date_column", spec, errs)?;
    cx.expect_type(spec, &d, &[ColType::Date, ColType::Month], t.span_of("date_column"), errs).then_some(d)
}

impl InCodeList {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let spec = cx.table(t, "table", errs)?;
        let column = cx.column(t, "column", spec, errs);
        let list = t.req_str("list", errs);
        let date_column = parse_date_column(t, cx, spec, errs);
        let fail_on = t.strings("fail_on", errs).unwrap_or_else(|| DEFECTS.iter().map(|s| s.to_string()).collect());
        for f in &fail_on {
            if !DEFECTS.contains(&f.as_str()) {
                let help = crate::suggest::best(f, DEFECTS.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("one of: {}", DEFECTS.join(", ")));
                errs.push_help(t.span_of("fail_on"), format!("unknown defect `{f}`"), help);
            }
        }
        if fail_on.iter().any(|f| f == "not-valid-on-date") && date_column.is_none() && !t.has("date_column") {
            errs.push(t.span_of("fail_on"), "`not-valid-on-date` needs `date_column`");
        }
        let filter = parse_where(t, spec, cx, errs);
        t.finish(&["kind", "table", "column", "list", "date_column", "fail_on", "where"], errs);
        Some(InCodeList { table: spec.name.into(), column: column?, list: list?, date_column, fail_on, filter })
    }
}

impl Kind for InCodeList {
    fn kind(&self) -> &'static str {
        "in-code-list"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        let mut cols = vec![self.column.clone()];
        cols.extend(self.date_column.clone());
        cols.extend(self.filter.iter().flat_map(|f| f.columns()));
        vec![(self.table.clone(), cols)]
    }
}

impl RowCheck for InCodeList {
    fn plan(&self, cx: &EvalCx, _lookups: &[&State]) -> Result<RowPlan, String> {
        let list = cx.list(&self.list)?;
        let on = |d: &str| self.fail_on.iter().any(|f| f == d);
        let months = self
            .date_column
            .as_deref()
            .and_then(|d| crate::package::contract::table(&self.table).and_then(|t| t.column(d)))
            .is_some_and(|c| c.ty == ColType::Month);
        // A row dated outside the period is reported by the period rule; judging its code on
        // that date too would report one defect twice (issue: one defect, one finding).
        let in_period = match (&self.date_column, on("not-valid-on-date")) {
            (Some(d), true) => {
                let (start, end) = cx.period()?;
                let start = if months { start.with_day(1).unwrap_or(start) } else { start };
                Some((
                    start,
                    end,
                    col(d.as_str()).gt_eq(super::expr::date_lit(start)).and(col(d.as_str()).lt_eq(super::expr::date_lit(end))),
                ))
            }
            _ => None,
        };
        let dates = match (&self.date_column, &in_period) {
            (Some(d), Some((start, end, _))) => super::expr::date_range(cx.frame(&self.table)?, d)?
                .map(|(lo, hi)| (lo.max(*start), hi.min(*end)))
                .filter(|(lo, hi)| lo <= hi),
            (Some(d), None) => super::expr::date_range(cx.frame(&self.table)?, d)?,
            (None, _) => None,
        };
        let s = status(list, &self.column, self.date_column.as_deref(), dates, months);
        let mut bad = lit(false);
        if on("unknown") {
            bad = bad.or(s.known.clone().not());
        }
        if on("not-leaf") {
            bad = bad.or(s.known.clone().and(s.leaf.not()));
        }
        if on("not-valid-on-date") {
            bad = bad.or(s.known.and(s.valid.not()));
        }
        let mut evaluated = col(self.column.as_str()).is_not_null();
        if let (Some(d), Some((_, _, inside))) = (&self.date_column, in_period) {
            evaluated = evaluated.and(col(d.as_str()).is_not_null()).and(inside);
        }
        let evaluated = with_filter(evaluated, &self.filter, cx)?;
        let mut show = vec![self.column.clone()];
        show.extend(self.date_column.clone());
        Ok(RowPlan { table: self.table.clone(), failing: bad, evaluated, weight: None, show, breakdown: None, parts: Vec::new() })
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    InCodeList::parse(t, cx, errs).map(Check::row)
}
