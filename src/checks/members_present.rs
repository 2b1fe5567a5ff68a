//! `members-present`: every expected member appears in a column — the municipalities of the
//! submitting region (`members = "region-municipalities"`), the mandatory classes of the
//! declared service classification (`members = "mandatory-services"`) or a fixed list (`values`) —
//! optionally combined with every value of other columns (`each`), e.g. every municipality
//! with every age 0–100 and both sexes. Items are the expected combinations; the missing
//! ones are listed.
//!
//! ```toml
//! [check]
//! kind = "members-present"
//! table = "population"
//! column = "municipality"
//! members = "region-municipalities"
//! each = { sex = ["1", "2"], age = { from = 0, to = 100 } }
//! ```

use super::api::{AggregateCheck, Check, EvalCx, Gather, KeyedSum, Kind, ParseCx, State};
use super::predicate::{parse_where, with_filter, Predicate};
use crate::codelist::registry::KUNTA_TO_HVA;
use crate::model::{Measure, Sample};
use crate::spanned::{Errors, Table};
use toml::de::DeValue;

#[derive(Debug, Clone)]
pub enum Members {
    RegionMunicipalities,
    /// The mandatory leaf classes of the package's service classification valid in the period.
    MandatoryServices,
    Values(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct MembersPresent {
    pub table: String,
    pub column: String,
    pub members: Members,
    /// Other columns and the values each member must appear with.
    pub each: Vec<(String, Vec<String>)>,
    pub filter: Option<Predicate>,
}

impl MembersPresent {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let spec = cx.table(t, "table", errs)?;
        let column = cx.column(t, "column", spec, errs);
        let members = match (t.has("members"), t.has("values")) {
            (true, false) => match t.str("members", errs).as_deref() {
                Some("region-municipalities") => Some(Members::RegionMunicipalities),
                Some("mandatory-services") => Some(Members::MandatoryServices),
                Some(other) => {
                    errs.push_help(
                        t.span_of("members"),
                        format!("unknown member set `{other}`"),
                        "use `region-municipalities` or `mandatory-services`, or list `values`",
                    );
                    None
                }
                None => None,
            },
            (false, true) => t.strings("values", errs).map(Members::Values),
            _ => {
                errs.push(t.span.clone(), "give exactly one of `members` and `values`");
                None
            }
        };
        let mut each = Vec::new();
        if let Some(e) = t.table("each", errs) {
            for (name, span, v) in e.entries() {
                e.mark(&name);
                if !cx.check_column(spec, &name, span.clone(), errs) {
                    continue;
                }
                match v.get_ref() {
                    DeValue::Array(_) => {
                        if let Some(vals) = e.strings(&name, errs) {
                            each.push((name, vals));
                        }
                    }
                    DeValue::Table(_) => {
                        let r = Table::new(v, &format!("`each.{name}`"), errs)?;
                        let (from, to) = (r.u64("from", errs), r.u64("to", errs));
                        r.finish(&["from", "to"], errs);
                        match (from, to) {
                            (Some(a), Some(b)) if a <= b => each.push((name, (a..=b).map(|i| i.to_string()).collect())),
                            _ => errs.push(v.span(), "a range needs `from` ≤ `to`"),
                        }
                    }
                    _ => errs.push(v.span(), format!("`each.{name}` must be an array of values or {{ from, to }}")),
                }
            }
        }
        let filter = parse_where(t, spec, cx, errs);
        t.finish(&["kind", "table", "column", "members", "values", "each", "where"], errs);
        Some(MembersPresent { table: spec.name.into(), column: column?, members: members?, each, filter })
    }

    fn key_columns(&self) -> Vec<String> {
        let mut cols = vec![self.column.clone()];
        cols.extend(self.each.iter().map(|(c, _)| c.clone()));
        cols
    }
}

impl Kind for MembersPresent {
    fn kind(&self) -> &'static str {
        "members-present"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        let mut cols = vec![self.column.clone()];
        cols.extend(self.each.iter().map(|(c, _)| c.clone()));
        cols.extend(self.filter.iter().flat_map(|f| f.columns()));
        vec![(self.table.clone(), cols)]
    }
}

impl AggregateCheck for MembersPresent {
    /// The combinations present (values joined by `\u{1f}`).
    fn gathers(&self, cx: &EvalCx) -> Result<Vec<Gather>, String> {
        Ok(vec![Gather::Keyed(KeyedSum {
            table: self.table.clone(),
            by: self.key_columns(),
            mask: with_filter(super::api::every_row(), &self.filter, cx)?,
            sum: None,
            present: true,
        })])
    }

    fn judge(&self, cx: &EvalCx, states: &[&State]) -> Result<Measure, String> {
        let members = match &self.members {
            Members::Values(v) => v.clone(),
            Members::MandatoryServices => {
                let (start, end) = cx.period()?;
                let list = cx.list("service")?;
                list.codes.values().filter(|c| c.mandatory && c.leaf && c.valid_during(start, end)).map(|c| c.code.clone()).collect()
            }
            Members::RegionMunicipalities => {
                let corr = cx.registry.correspondence(KUNTA_TO_HVA).ok_or("the municipality → county correspondence is missing")?;
                corr.members_during(&cx.region()?, cx.period()?.1)
            }
        };
        let cols = self.key_columns();
        let [State::Present(present)] = states else { return Err("internal: members-present gathers present keys".into()) };
        // The expected combinations, in a stable order: members first, then each column.
        let mut expected: Vec<Vec<String>> = members.into_iter().map(|m| vec![m]).collect();
        for (_, values) in &self.each {
            expected = expected.into_iter().flat_map(|p| values.iter().map(move |v| [p.clone(), vec![v.clone()]].concat())).collect();
        }
        let total = expected.len() as u64;
        let missing: Vec<Vec<String>> = expected.into_iter().filter(|p| !present.contains(&p.join("\u{1f}"))).collect();
        let failing = missing.len() as u64;
        let samples = missing
            .into_iter()
            .take(cx.sample_limit)
            .map(|p| {
                let mut s = Sample::key(p.join(" "));
                for (c, v) in cols.iter().zip(&p) {
                    s = s.with(c, v.clone());
                }
                s
            })
            .collect();
        Ok(Measure::items(total, samples, failing))
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    MembersPresent::parse(t, cx, errs).map(Check::aggregate)
}
