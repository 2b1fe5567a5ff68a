//! What to fix first: the failing and warning findings of a package grouped by the cause
//! behind them, so one retired service code breaking six rules is one thing to fix, not six.
//! Computed once into the report model (`PackageReport::fix_first`); every view renders it.
//!
//! A cause is read from the findings' samples: a (column, value) pair carried by more than
//! half of a finding's samples is a candidate (an identity code, masked differently on every
//! row, counts as one value per column). Each finding joins the candidate shared with the
//! most other findings; a finding with no candidate is a cause of its own. Columns are
//! compared by name across tables (`service_code` in activity, costs and staff is one
//! classification), months by their value (`event_date` and `month` are both the period's
//! months). Service codes are looked up in the package's declared classification, so an
//! entry can say the code is retired (and since when), unknown, or a grouping class.

use super::{Finding, PackageReport, Status};
use crate::codelist::Registry;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What kind of cause an entry is; the views word the advice by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// A service code valid in the classification only before (or after) the period.
    CodeRetired,
    /// A service code the declared classification version does not hold.
    CodeUnknown,
    /// A grouping class ("Erittelemätön …"), which only groups leaves.
    CodeNotLeaf,
    /// Personal identity codes in a column.
    IdentityCode,
    /// An item several rules miss or flag, e.g. a month absent from every table.
    Item,
    /// Another value shared by the rules' failing rows.
    Value,
    /// One rule, no cause shared with another.
    Rule,
}

/// One thing to fix and every rule it breaks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixItem {
    pub cause: Cause,
    /// The column the value is in (by name; the tables are in `tables`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The value behind the failures (masked like every value in a report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The code's name in the code list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The last day the code is valid, for a retired code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    /// The worst status among its rules.
    pub status: Status,
    /// Rows (or items) behind it: per table the fewest any of its rules there flags for the
    /// value (a rule flagging more also flags other values), summed over tables.
    pub rows: u64,
    /// Its rules, worst first, then by id. The first one's how-to-fix is the advice for a
    /// cause without a fixed one.
    pub rules: Vec<String>,
    pub tables: Vec<String>,
}

/// Columns of a sample that describe the finding rather than a row's data.
const NOT_CAUSES: &[&str] = &["table", "problem", "left", "right", "ratio"];

/// The value an identity code stands for once masked: every code is the same cause.
const IDENTITY: &str = "hetu";

/// A candidate cause: (column, value).
type Key = (String, String);

fn concept(column: &str) -> String {
    match column {
        "event_date" | "month" => "month".into(),
        c => c.to_string(),
    }
}

fn is_masked(v: &str) -> bool {
    v.ends_with("****-****")
}

/// The candidate causes of one finding with how many of its samples carry each, and
/// whether every sample does.
fn candidates(f: &Finding) -> Vec<(Key, usize)> {
    let n = f.samples.len();
    let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
    for s in &f.samples {
        let mut seen: BTreeSet<Key> = BTreeSet::new();
        for (c, v) in &s.values {
            let Some(v) = v.as_deref().filter(|v| !v.is_empty()) else { continue };
            if NOT_CAUSES.contains(&c.as_str()) {
                continue;
            }
            let value = if is_masked(v) { IDENTITY.to_string() } else { v.to_string() };
            seen.insert((concept(c), value));
        }
        // An item (a month, a class) is its key; the key's column is the rule's first.
        if let (None, Some(k)) = (s.line, &s.key) {
            if k != "total" && !k.is_empty() {
                let column = f.columns.first().map(|c| concept(c)).unwrap_or_default();
                seen.retain(|(_, v)| v != k);
                seen.insert((column, k.clone()));
            }
        }
        for key in seen {
            *counts.entry(key).or_default() += 1;
        }
    }
    counts.into_iter().filter(|(_, c)| c * 2 > n).collect()
}

/// The tables a finding's failing rows are in (`*` resolved through its columns).
fn tables(f: &Finding) -> Vec<String> {
    if f.table != "*" {
        return vec![f.table.clone()];
    }
    let mut t: BTreeSet<String> = f.failing_by_column.keys().filter_map(|k| k.split('.').next()).map(String::from).collect();
    for s in &f.samples {
        if let Some(Some(x)) = s.values.get("table") {
            t.insert(x.clone());
        }
    }
    t.into_iter().collect()
}

fn flagged(f: &Finding) -> bool {
    matches!(f.status, Status::Fail | Status::Warning | Status::Info)
}

/// The fix-first list of a package, worst first.
pub fn of_package(p: &PackageReport, registry: &Registry) -> Vec<FixItem> {
    let findings: Vec<&Finding> = p.findings.iter().filter(|f| flagged(f)).collect();
    let cands: Vec<Vec<(Key, usize)>> = findings.iter().map(|f| candidates(f)).collect();
    let mut shared: BTreeMap<&Key, usize> = BTreeMap::new();
    for c in &cands {
        for (k, _) in c {
            *shared.entry(k).or_default() += 1;
        }
    }
    // Each finding joins its most shared candidate (then the most carried, then by name).
    let mut groups: BTreeMap<Option<Key>, Vec<(&Finding, usize)>> = BTreeMap::new();
    for (f, c) in findings.iter().zip(&cands) {
        let best = c.iter().max_by(|a, b| shared[&a.0].cmp(&shared[&b.0]).then(a.1.cmp(&b.1)).then(b.0.cmp(&a.0)));
        match best {
            Some((k, carried)) => groups.entry(Some(k.clone())).or_default().push((f, *carried)),
            None => groups.entry(None).or_default().push((f, 0)),
        }
    }
    let mut out = Vec::new();
    for (key, members) in groups {
        match key {
            Some(key) => out.push(item(p, registry, Some(key), &members)),
            // Findings without a shared value are causes of their own.
            None => out.extend(members.iter().map(|m| item(p, registry, None, std::slice::from_ref(m)))),
        }
    }
    out.sort_by(|a, b| {
        (a.status, std::cmp::Reverse(a.rules.len()), std::cmp::Reverse(a.rows), &a.column, &a.value, &a.rules).cmp(&(
            b.status,
            std::cmp::Reverse(b.rules.len()),
            std::cmp::Reverse(b.rows),
            &b.column,
            &b.value,
            &b.rules,
        ))
    });
    out
}

fn item(p: &PackageReport, registry: &Registry, key: Option<Key>, members: &[(&Finding, usize)]) -> FixItem {
    let mut ordered: Vec<&(&Finding, usize)> = members.iter().collect();
    ordered.sort_by(|a, b| (a.0.status, &a.0.rule).cmp(&(b.0.status, &b.0.rule)));
    let status = ordered.first().map(|m| m.0.status).unwrap_or(Status::Info);
    // Per table, the fewest rows a rule there flags for the value.
    let mut per_table: BTreeMap<String, u64> = BTreeMap::new();
    for (f, carried) in members {
        let rows = if *carried == f.samples.len() || key.is_none() { f.rows_failing } else { *carried as u64 };
        for t in tables(f) {
            let e = per_table.entry(t).or_insert(u64::MAX);
            *e = (*e).min(rows);
        }
    }
    let rows = per_table.values().sum();
    let mut fix = FixItem {
        cause: Cause::Rule,
        column: None,
        value: None,
        name: None,
        valid_to: None,
        status,
        rows,
        rules: ordered.iter().map(|m| m.0.rule.clone()).collect(),
        tables: per_table.into_keys().collect(),
    };
    let Some((column, value)) = key else { return fix };
    fix.cause = if value == IDENTITY {
        Cause::IdentityCode
    } else if members.iter().all(|(f, _)| f.samples.iter().all(|s| s.line.is_none())) {
        Cause::Item
    } else {
        Cause::Value
    };
    if column == "service_code" {
        let list = p.classifications.get("service").and_then(|id| registry.list(id));
        let period = p.period.as_ref().and_then(|[a, b]| Some((parse(a)?, parse(b)?)));
        match list.map(|l| l.get(&value)) {
            Some(None) => fix.cause = Cause::CodeUnknown,
            Some(Some(code)) => {
                fix.name = Some(code.name.clone());
                if !code.leaf {
                    fix.cause = Cause::CodeNotLeaf;
                } else if period.is_some_and(|(s, e)| !code.valid_on(s) || !code.valid_on(e)) {
                    fix.cause = Cause::CodeRetired;
                    fix.valid_to = code.valid_to.map(|d| d.to_string());
                }
            }
            None => {}
        }
    } else if column == "municipality" && fix.cause == Cause::Value {
        let name = p.classifications.get("municipality").and_then(|id| registry.list(id)).and_then(|l| l.get(&value));
        fix.name = name.map(|c| c.name.clone());
    }
    fix.column = Some(column);
    fix.value = (fix.cause != Cause::IdentityCode).then_some(value);
    fix
}

fn parse(s: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Sets every package's fix-first list.
pub fn annotate(report: &mut super::Report, registry: &Registry) {
    for p in &mut report.packages {
        p.fix_first = of_package(p, registry);
    }
}
