//! `reference`: values exist in another table (`in_table`/`in_column`, optionally filtered
//! by `in_where`), or map through a code-list correspondence to the submitting region
//! (`correspondence` + `equals = "region"`), e.g. the client's municipality belongs to the
//! county that submits. `by` breaks failing rows down (e.g. the top foreign
//! municipalities). Empty values are not evaluated.
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

use super::predicate::{parse_where, Predicate};
use super::{pe, set_literal, EvalCx, ParseCx, Plan};
use crate::rules::spanned::{Errors, Table};
use polars::prelude::*;

#[derive(Debug, Clone)]
pub enum Target {
    Table { table: String, column: String, filter: Option<Predicate> },
    Region { correspondence: String },
}

#[derive(Debug, Clone)]
pub struct Reference {
    pub table: String,
    pub column: String,
    pub target: Target,
    pub by: Option<String>,
    pub filter: Option<Predicate>,
}

const KEYS: &[&str] = &["kind", "table", "column", "in_table", "in_column", "in_where", "correspondence", "equals", "by", "where"];

impl Reference {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let spec = cx.table(t, "table", errs)?;
        let column = cx.column(t, "column", spec, errs);
        let target = if t.has("in_table") {
            let other = cx.table(t, "in_table", errs);
            let other_col = other.and_then(|o| cx.column(t, "in_column", o, errs));
            let filter = other.and_then(|o| t.get("in_where").and_then(|v| Predicate::parse_value(v, o, cx, errs)));
            other_col.map(|c| Target::Table { table: other.expect("checked").name.into(), column: c, filter })
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
        let filter = parse_where(t, spec, cx, errs);
        t.finish(KEYS, errs);
        Some(Reference { table: spec.name.into(), column: column?, target: target?, by, filter })
    }

    pub fn needs(&self) -> Vec<(String, Vec<String>)> {
        let mut cols = vec![self.column.clone()];
        cols.extend(self.by.clone());
        cols.extend(self.filter.iter().flat_map(|f| f.columns()));
        let mut v = vec![(self.table.clone(), cols)];
        if let Target::Table { table, column, filter } = &self.target {
            let mut cols = vec![column.clone()];
            cols.extend(filter.iter().flat_map(|f| f.columns()));
            v.push((table.clone(), cols));
        }
        v
    }

    pub fn plan(&self, cx: &EvalCx) -> Result<Plan, String> {
        let allowed: Vec<String> = match &self.target {
            Target::Table { table, column, filter } => {
                let mut lf = cx.frame(table)?.clone().lazy();
                if let Some(f) = filter {
                    lf = lf.filter(f.expr(cx)?);
                }
                let df = lf.select([col(column.as_str()).cast(DataType::String).unique()]).collect().map_err(pe)?;
                crate::frame::strings(&crate::frame::column(&df, column).map_err(pe)?).into_iter().flatten().collect()
            }
            Target::Region { correspondence } => {
                let corr =
                    cx.registry.correspondence(correspondence).ok_or_else(|| format!("correspondence `{correspondence}` is not known"))?;
                corr.members_of(&cx.region()?)
            }
        };
        let ok = col(self.column.as_str()).cast(DataType::String).is_in(set_literal(&self.column, allowed), false);
        super::value_plan(&self.table, &self.column, ok.not(), &self.filter, self.by.clone(), cx)
    }
}
