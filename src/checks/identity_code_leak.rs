//! `identity-code-leak`: no Finnish personal identity code (henkilötunnus) with a valid
//! check character in any text column of the listed tables (default: every table).
//! Century signs `+` (1800s), `-` `Y` `X` `W` `V` `U` (1900s) and `A`–`F` (2000s) are
//! recognised, including those added in 2023. The day and month must form a date. Found
//! codes are masked in every report: the full code is never printed.
//!
//! ```toml
//! [check]
//! kind = "identity-code-leak"
//! tables = ["activity"]
//! ```

use super::api::{AggregateCheck, Check, EvalCx, Gather, Kind, ParseCx, State};
use super::expr::pe;
use crate::model::{Measure, Sample};
use crate::package::contract;
use crate::redact::{find_all, mask, may_hold};
use crate::spanned::{Errors, Table};
use polars::prelude::*;

/// A column's distinct values and each row's code, where the executor coded the column.
pub type Coded<'a> = dyn Fn(&str) -> Option<(&'a Series, &'a [IdxSize])> + Sync + 'a;

#[derive(Debug, Clone)]
pub struct IdentityCodeLeak {
    /// Empty = every table of the package.
    pub tables: Vec<String>,
}

impl IdentityCodeLeak {
    pub fn parse(t: &Table, _cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let tables = t.strings("tables", errs).unwrap_or_default();
        for name in &tables {
            if contract::table(name).is_none() {
                let help = crate::suggest::best(name, contract::table_names()).map(|s| format!("did you mean `{s}`?")).unwrap_or_default();
                errs.push_help(t.span_of("tables"), format!("unknown table `{name}`"), help);
            }
        }
        t.finish(&["kind", "tables"], errs);
        Some(IdentityCodeLeak { tables })
    }
}

impl Kind for IdentityCodeLeak {
    fn kind(&self) -> &'static str {
        "identity-code-leak"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        if self.tables.is_empty() {
            vec![("*".into(), Vec::new())]
        } else {
            self.tables.iter().map(|t| (t.clone(), Vec::new())).collect()
        }
    }
}

impl AggregateCheck for IdentityCodeLeak {
    fn gathers(&self, cx: &EvalCx) -> Result<Vec<Gather>, String> {
        Ok(cx.package.tables.keys().filter(|t| self.covers(t)).map(|t| Gather::IdentityCodes { table: t.clone() }).collect())
    }

    fn judge(&self, cx: &EvalCx, states: &[&State]) -> Result<Measure, String> {
        let mut m = Measure::default();
        for state in states {
            let State::Measure(t) = state else { return Err("internal: identity codes gather a measure".into()) };
            m.merge(t.clone(), cx.sample_limit);
        }
        m.total_weight = m.evaluated as f64;
        m.failing_weight = m.failing as f64;
        Ok(m)
    }
}

impl IdentityCodeLeak {
    fn covers(&self, table: &str) -> bool {
        self.tables.is_empty() || self.tables.iter().any(|t| t == table)
    }

    /// Rows of one table (or batch) holding a valid identity code, with the first samples.
    /// A column the batch's dictionary coded is scanned once per distinct value.
    /// `coded` gives a column's distinct values and each row's code, where the executor
    /// coded the column.
    pub fn scan<'a>(name: &str, df: &DataFrame, sample_limit: usize, coded: &Coded<'a>) -> Result<Measure, String> {
        let mut m = Measure::default();
        m.evaluated += df.height() as u64;
        let text_cols: Vec<String> = df
            .schema()
            .iter()
            .filter(|(n, dt)| **dt == DataType::String && n.as_str() != crate::package::LINE)
            .map(|(n, _)| n.to_string())
            .collect();
        if text_cols.is_empty() {
            return Ok(m);
        }
        // A byte scan in Rust finds the rows that may hold a code (a sign character with
        // six digits before and three after); only those reach the regex and the check
        // character. Values shorter than a code are passed over by their view's length,
        // without reading them. Measured at 10 M rows: about six times faster than polars'
        // regex `contains`, and rows are collected as indices, not as a mask per column.
        use rayon::prelude::*;
        let per_column: Vec<Vec<IdxSize>> = text_cols
            .par_iter()
            .map(|c| {
                if let Some((values, codes)) = coded(c) {
                    let values = values.str().map_err(pe)?;
                    let flagged: Vec<bool> = values.iter().map(|v| v.is_some_and(may_hold)).collect();
                    if !flagged.contains(&true) {
                        return Ok(Vec::new());
                    }
                    return Ok((0..codes.len()).filter(|&i| flagged[codes[i] as usize]).map(|i| i as IdxSize).collect());
                }
                let ca = df.column(c).and_then(|s| s.str().cloned()).map_err(pe)?;
                let mut rows = Vec::new();
                let mut offset = 0;
                for arr in ca.downcast_iter() {
                    for (i, view) in arr.views().iter().enumerate() {
                        if view.length >= 11 && arr.get(i).is_some_and(may_hold) {
                            rows.push((offset + i) as IdxSize);
                        }
                    }
                    offset += arr.len();
                }
                Ok(rows)
            })
            .collect::<Result<_, String>>()?;
        let mut rows: Vec<IdxSize> = per_column.into_iter().flatten().collect();
        if rows.is_empty() {
            return Ok(m);
        }
        rows.sort_unstable();
        rows.dedup();
        let mut sel = vec![crate::package::LINE.to_string()];
        sel.extend(text_cols.iter().cloned());
        let cand = df.select(sel).and_then(|d| d.take(&IdxCa::from_vec("".into(), rows))).map_err(pe)?;
        let lines = crate::frame::u64s(&crate::frame::column(&cand, crate::package::LINE).map_err(pe)?).map_err(pe)?;
        let cols: Vec<Vec<Option<String>>> = text_cols
            .iter()
            .map(|c| crate::frame::column(&cand, c).map(|s| crate::frame::strings(&s)))
            .collect::<Result<_, _>>()
            .map_err(pe)?;
        for (i, line) in lines.iter().enumerate() {
            let mut found = Vec::new();
            for (c, values) in text_cols.iter().zip(&cols) {
                if let Some(v) = &values[i] {
                    for code in find_all(v) {
                        found.push((c.clone(), mask(&code)));
                    }
                }
            }
            if !found.is_empty() {
                m.failing += 1;
                let mut places: Vec<&String> = found.iter().map(|(c, _)| c).collect();
                places.dedup();
                for c in places {
                    *m.by_column.entry(format!("{name}.{c}")).or_default() += 1;
                }
                if m.samples.len() < sample_limit {
                    let mut s = Sample { line: Some(*line), key: Some(format!("{name}:{line}")), values: Default::default() };
                    s.values.insert("table".into(), Some(name.to_string()));
                    for (c, masked) in found {
                        s.values.insert(c, Some(masked));
                    }
                    m.samples.push(s);
                }
            }
        }
        Ok(m)
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    IdentityCodeLeak::parse(t, cx, errs).map(Check::aggregate)
}
