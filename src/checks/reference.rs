//! `reference`: values exist in another table (`in_table`/`in_column`, optionally filtered
//! by `in_where`), or map through a code-list correspondence to the submitting region
//! (`correspondence` + `equals = "region"`), e.g. the client's municipality belongs to the
//! county that submits. With `in_valid_from` (and optional `in_valid_to`, empty =
//! open-ended) and the row's `date_column`, the value must be attached on the row's date, not
//! just somewhere (e.g. a cost centre mapped in the service map for that month). `by` breaks
//! failing rows down (e.g. the top foreign municipalities). Empty values are not evaluated.
//!
//! ```toml
//! [check]
//! kind = "reference"
//! table = "activity"
//! column = "municipality"
//! correspondence = "kunta_1_20220101#hyvinvointialue_1_20220101"
//! equals = "region"
//! by = "municipality"
//! ```

use super::api::{Check, EvalCx, Gather, Kind, ParseCx, RowCheck, RowPlan, State};
use super::expr::set_literal;
use super::predicate::{parse_where, Predicate};
use crate::package::contract::ColType;
use crate::spanned::{Errors, Table};
use polars::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub enum Target {
    Table {
        table: String,
        column: String,
        filter: Option<Predicate>,
        /// Validity columns of the target rows (from, optional to): a value must be attached
        /// on the row's `date_column` date, not just somewhere.
        valid: Option<(String, Option<String>)>,
    },
    Region {
        correspondence: String,
    },
}

#[derive(Debug, Clone)]
pub struct Reference {
    pub table: String,
    pub column: String,
    pub target: Target,
    pub by: Option<String>,
    pub filter: Option<Predicate>,
    /// The source row's date, checked against the target's validity columns.
    pub date_column: Option<String>,
}

const KEYS: &[&str] = &[
    "kind",
    "table",
    "column",
    "in_table",
    "in_column",
    "in_where",
    "in_valid_from",
    "in_valid_to",
    "date_column",
    "correspondence",
    "equals",
    "by",
    "where",
];

impl Reference {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let spec = cx.table(t, "table", errs)?;
        let column = cx.column(t, "column", spec, errs);
        let target = if t.has("in_table") {
            let other = cx.table(t, "in_table", errs);
            let other_col = other.and_then(|o| cx.column(t, "in_column", o, errs));
            let filter = other.and_then(|o| t.get("in_where").and_then(|v| Predicate::parse_value(v, o, cx, errs)));
            let date_kinds = [ColType::Date, ColType::Month];
            let valid = match other {
                Some(o) if t.has("in_valid_from") => {
                    let from = cx
                        .column(t, "in_valid_from", o, errs)
                        .filter(|c| cx.expect_type(o, c, &date_kinds, t.span_of("in_valid_from"), errs));
                    let to = cx
                        .opt_column(t, "in_valid_to", o, errs)
                        .filter(|c| cx.expect_type(o, c, &date_kinds, t.span_of("in_valid_to"), errs));
                    if !t.has("date_column") {
                        errs.push(t.span_of("in_valid_from"), "`in_valid_from` needs `date_column`: the date each row is checked on");
                    }
                    from.map(|f| (f, to))
                }
                _ => None,
            };
            other_col.map(|c| Target::Table { table: other.expect("checked").name.into(), column: c, filter, valid })
        } else if t.has("correspondence") {
            let corr = t.str("correspondence", errs);
            match t.str("equals", errs).as_deref() {
                Some("region") => {}
                Some(other) => errs.push_help(t.span_of("equals"), format!("unknown target `{other}`"), "only `region` is supported"),
                None => t.missing("equals", errs),
            }
            corr.map(|c| Target::Region { correspondence: c })
        } else {
            errs.push_help(
                t.span.clone(),
                "a reference check needs a target",
                "give `in_table` + `in_column`, or `correspondence` + `equals = \"region\"`",
            );
            None
        };
        let by = cx.opt_column(t, "by", spec, errs);
        let date_column = cx
            .opt_column(t, "date_column", spec, errs)
            .filter(|c| cx.expect_type(spec, c, &[ColType::Date, ColType::Month], t.span_of("date_column"), errs));
        let filter = parse_where(t, spec, cx, errs);
        t.finish(KEYS, errs);
        Some(Reference { table: spec.name.into(), column: column?, target: target?, by, filter, date_column })
    }
}

impl Kind for Reference {
    fn kind(&self) -> &'static str {
        "reference"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        let mut cols = vec![self.column.clone()];
        cols.extend(self.by.clone());
        cols.extend(self.date_column.clone());
        cols.extend(self.filter.iter().flat_map(|f| f.columns()));
        let mut v = vec![(self.table.clone(), cols)];
        if let Target::Table { table, column, filter, valid } = &self.target {
            let mut cols = vec![column.clone()];
            cols.extend(filter.iter().flat_map(|f| f.columns()));
            if let Some((from, to)) = valid {
                cols.push(from.clone());
                cols.extend(to.clone());
            }
            v.push((table.clone(), cols));
        }
        v
    }
}

impl RowCheck for Reference {
    /// The target table's values (with their validity dates, when the rule checks them).
    fn lookups(&self, cx: &EvalCx) -> Result<Vec<Gather>, String> {
        let Target::Table { table, column, filter, valid } = &self.target else {
            return Ok(Vec::new());
        };
        let mut columns = vec![col(column.as_str())];
        if let (Some((from, to)), Some(_)) = (valid, &self.date_column) {
            columns.push(col(from.as_str()));
            columns.push(to.as_ref().map(|t| col(t.as_str())).unwrap_or(lit(NULL).cast(DataType::Date)));
        }
        let filter = filter.as_ref().map(|f| f.expr(cx)).transpose()?;
        Ok(vec![Gather::Distinct { table: table.clone(), columns, filter }])
    }

    fn plan(&self, cx: &EvalCx, lookups: &[&State]) -> Result<RowPlan, String> {
        let value = col(self.column.as_str()).cast(DataType::String);
        let ok = match &self.target {
            Target::Table { valid, .. } => {
                let Some(State::Rows(rows)) = lookups.first() else {
                    return Err("internal: the reference's target values were not gathered".into());
                };
                match (valid, &self.date_column) {
                    (Some(_), Some(date)) => {
                        let date_of = |s: &Option<String>| s.as_deref().and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
                        let mut groups: BTreeMap<(Option<chrono::NaiveDate>, Option<chrono::NaiveDate>), Vec<String>> = BTreeMap::new();
                        for row in rows.iter() {
                            if let [Some(v), from, to] = row.as_slice() {
                                groups.entry((date_of(from), date_of(to))).or_default().push(v.clone());
                            }
                        }
                        let dates = super::expr::date_range(cx.frame(&self.table)?, date)?;
                        super::expr::valid_on_date(value.clone(), &self.column, col(date.as_str()), groups, dates)
                    }
                    _ => {
                        let allowed: Vec<String> = rows.iter().filter_map(|r| r.first().cloned().flatten()).collect();
                        value.is_in(set_literal(&self.column, allowed), false)
                    }
                }
            }
            Target::Region { correspondence } => {
                let corr =
                    cx.registry.correspondence(correspondence).ok_or_else(|| format!("correspondence `{correspondence}` is not known"))?;
                value.is_in(set_literal(&self.column, corr.members_of(&cx.region()?)), false)
            }
        };
        // A row without a date cannot be judged against validity dates: the date rules
        // report it, this one counts it as attached.
        let ok = match &self.date_column {
            Some(d) if matches!(self.target, Target::Table { valid: Some(_), .. }) => ok.or(col(d.as_str()).is_null()),
            _ => ok,
        };
        super::predicate::value_plan(&self.table, &self.column, ok.fill_null(lit(false)).not(), &self.filter, self.by.clone(), cx)
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    Reference::parse(t, cx, errs).map(Check::row)
}
