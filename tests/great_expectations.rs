//! Great Expectations' own test definitions, run against sotecheck's check kinds
//! (tests/data/great-expectations: 199 upstream cases and 43 probes of GX 1.2.0, Apache-2.0;
//! its README.md says where they come from, SEMANTICS.md how GX computes them).
//!
//! Each case becomes the sotecheck rule a user would write for it. The adapter renders the
//! case's kwargs as a `[check]` table and `mostly` as `max_failing_share = 1 − mostly`, on a
//! contract table whose columns stand in for the case's columns (same types), then runs it
//! through the real rule parser, `Check::plan` and the fused engine. Compared with GX:
//! success, the number of failing rows and, where GX gives them, the failing values and the
//! 0-based row indices, taken from the case's `expected` and otherwise from `ge_actual` (GX
//! 1.2.0's own output). Values compare numerically where both are numbers (pandas turns an
//! integer column with a null into floats). A case where GX raises (`error`, and the
//! legacy `error_unasserted`, judged by its definition) agrees when sotecheck rejects the
//! rule or cannot evaluate it.
//!
//! `cargo test --test great_expectations ge_<case>` runs one case. A case that differs must
//! be listed in known-differences.toml with the reason, and a listed case that agrees fails
//! too, so the list stays true. `summary` snapshots the counts per expectation.

use polars::prelude::*;
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use sotecheck::checks::{Check, ParseCx};
use sotecheck::codelist::Registry;
use sotecheck::exec::{Engine, Job};
use sotecheck::model::Measure;
use sotecheck::package::contract::{ColType, TABLES};
use sotecheck::package::{Data, Package, Table, LINE};
use sotecheck::rules::parse::parse_limits;
use sotecheck::spanned::{Errors, Table as Toml};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::sync::OnceLock;
use toml::de::DeTable;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/great-expectations");
/// More than any case has rows, so every failing row is sampled.
const SAMPLE_LIMIT: usize = 10_000;

// ---------------------------------------------------------------------------------------
// The suite and the list of deliberate differences

struct Case {
    id: String,
    expectation: String,
    /// `result`, `error` or `error_unasserted`.
    kind: String,
    data: Map<String, Json>,
    kwargs: Map<String, Json>,
    dtypes: Map<String, Json>,
    expected: Map<String, Json>,
    /// GX 1.2.0's output for the upstream cases (probes' `expected` is that output already).
    actual: Map<String, Json>,
}

fn object(v: Option<&Json>) -> Map<String, Json> {
    v.and_then(Json::as_object).cloned().unwrap_or_default()
}

fn cases() -> &'static Vec<Case> {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        let mut out = Vec::new();
        for file in ["cases.jsonl", "probes.jsonl"] {
            let text = std::fs::read_to_string(format!("{DIR}/{file}")).unwrap();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let v: Json = serde_json::from_str(line).unwrap();
                let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
                out.push(Case {
                    id: s("id"),
                    expectation: s("expectation"),
                    kind: s("kind"),
                    data: object(v.get("data")),
                    kwargs: object(v.get("kwargs")),
                    dtypes: object(v.get("pandas_dtypes")),
                    expected: object(v.get("expected")),
                    actual: object(v.get("ge_actual").and_then(|a| a.get("result"))),
                });
            }
        }
        out
    })
}

fn case(id: &str) -> &'static Case {
    cases().iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no case `{id}` in {DIR}"))
}

/// known-differences.toml: case id → reason key; reason key → why sotecheck differs.
#[derive(Deserialize)]
struct Known {
    reasons: BTreeMap<String, String>,
    cases: BTreeMap<String, String>,
}

fn known() -> &'static Known {
    static KNOWN: OnceLock<Known> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let text = std::fs::read_to_string(format!("{DIR}/known-differences.toml")).unwrap();
        toml::from_str(&text).unwrap_or_else(|e| panic!("known-differences.toml: {e}"))
    })
}

// ---------------------------------------------------------------------------------------
// The adapter: a case becomes a rule on a contract table

/// A case written as a sotecheck rule.
struct Adapted {
    /// The `[check]` table, as a rule file holds it.
    check: String,
    /// The `[threshold]` table (empty: no failing row accepted).
    threshold: String,
    table: &'static str,
    /// Case column → the contract column standing in for it.
    names: Vec<(String, &'static str)>,
    /// The case columns GX reports for a failing row, in GX's order.
    shown: Vec<String>,
}

impl Adapted {
    fn name(&self, case_column: &str) -> &'static str {
        self.names.iter().find(|(c, _)| c == case_column).map(|(_, n)| *n).expect("column has a stand-in")
    }
}

/// GX keys that only shape GX's output.
const COSMETIC: &[&str] = &["result_format", "catch_exceptions", "include_config", "meta"];

/// How a case column is typed: pandas' declared dtype, else by its values. A column mixing
/// numbers and text is text, as a CSV column of the contract's `string` type would be.
fn column_type(case: &Case, name: &str) -> ColType {
    match case.dtypes.get(name).and_then(Json::as_str) {
        Some("datetime64[ns]") => return ColType::Date,
        Some("str") => return ColType::String,
        Some("int" | "Int64Dtype") => return ColType::Integer,
        _ => {}
    }
    let values = case.data.get(name).and_then(Json::as_array).cloned().unwrap_or_default();
    let filled: Vec<&Json> = values.iter().filter(|v| !v.is_null()).collect();
    if filled.is_empty() {
        ColType::String
    } else if filled.iter().all(|v| v.is_i64() || v.is_u64()) {
        ColType::Integer
    } else if filled.iter().all(|v| v.is_number()) {
        ColType::Number
    } else {
        ColType::String
    }
}

/// The first contract table with a distinct column of the same type for every case column.
fn stand_ins(columns: &[(String, ColType)]) -> Option<(&'static str, Vec<(String, &'static str)>)> {
    'tables: for spec in TABLES {
        let mut names: Vec<(String, &'static str)> = Vec::new();
        for (name, ty) in columns {
            let free = spec.columns.iter().find(|c| c.ty == *ty && !names.iter().any(|(_, n)| *n == c.name));
            match free {
                Some(c) => names.push((name.clone(), c.name)),
                None => continue 'tables,
            }
        }
        return Some((spec.name, names));
    }
    None
}

/// A pandas `row_condition` of the shape `x == 1`, `y == "abc"` or `x!=1 & w!=6`, as
/// (column, sotecheck operator, value).
fn row_condition(query: &str) -> Option<Vec<(String, &'static str, Json)>> {
    const OPS: &[(&str, &str)] = &[("==", "equals"), ("!=", "not_equals"), ("<=", "le"), (">=", "ge"), ("<", "lt"), (">", "gt")];
    query
        .split('&')
        .map(|part| {
            let (sym, op) = OPS.iter().find(|(sym, _)| part.contains(sym))?;
            let (column, value) = part.split_once(sym)?;
            let value = value.trim();
            let quoted =
                value.len() >= 2 && (value.starts_with('"') && value.ends_with('"') || value.starts_with('\'') && value.ends_with('\''));
            let value = if quoted {
                Json::String(value[1..value.len() - 1].to_string())
            } else {
                serde_json::from_str::<Json>(value).ok().filter(Json::is_number)?
            };
            Some((column.trim().to_string(), *op, value))
        })
        .collect()
}

/// A JSON scalar or array as a TOML value (JSON strings are valid TOML basic strings).
fn toml_value(v: &Json) -> String {
    serde_json::to_string(v).unwrap()
}

/// A value as the text a rule writes in a set (`1`, `1.1`, `hello`).
fn text(v: &Json) -> Option<String> {
    match v {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A GX midnight datetime bound (`2020-01-01T00:00:00`) is the date a rule writes for a
/// date column.
fn date_bound(v: &Json) -> Json {
    match v.as_str().and_then(|s| s.strip_suffix("T00:00:00")) {
        Some(d) => Json::String(d.to_string()),
        None => v.clone(),
    }
}

fn adapt(case: &Case) -> Result<Adapted, String> {
    let kw = &case.kwargs;
    let e = case.expectation.trim_start_matches("expect_");
    let get = |k: &str| kw.get(k).filter(|v| !v.is_null());
    let column = get("column").and_then(Json::as_str).map(str::to_string);
    let list: Vec<String> = get("column_list")
        .and_then(Json::as_array)
        .map(|l| l.iter().filter_map(|c| c.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let pair: Vec<String> = ["column_A", "column_B"].iter().filter_map(|k| get(k).and_then(Json::as_str).map(str::to_string)).collect();
    let shown: Vec<String> = match e {
        "column_values_to_not_be_null"
        | "column_values_to_be_in_set"
        | "column_distinct_values_to_be_in_set"
        | "column_values_to_not_be_in_set"
        | "column_values_to_match_regex"
        | "column_values_to_not_match_regex"
        | "column_values_to_be_between"
        | "column_values_to_be_unique"
        | "column_value_lengths_to_be_between" => column.iter().cloned().collect(),
        "compound_columns_to_be_unique" => list.clone(),
        "column_pair_values_a_to_be_greater_than_b" | "column_pair_values_to_be_equal" => pair.clone(),
        _ => return Err(format!("no check kind for `{}`", case.expectation)),
    };

    // Rows GX filters with a pandas query become a `where` condition.
    let condition = match get("row_condition").and_then(Json::as_str) {
        None => None,
        Some(q) => {
            let parser = get("condition_parser").and_then(Json::as_str).unwrap_or("");
            if parser != "pandas" {
                return Err(format!("condition_parser `{parser}`: conditions are TOML tables, there is no parser to choose"));
            }
            Some(row_condition(q).ok_or_else(|| format!("row_condition `{q}` has no `where` counterpart"))?)
        }
    };

    // Contract columns stand in for the case's columns.
    let mut columns: Vec<String> = Vec::new();
    for c in shown.iter().chain(condition.iter().flatten().map(|(c, _, _)| c)) {
        if !columns.contains(c) {
            columns.push(c.clone());
        }
    }
    let typed: Vec<(String, ColType)> = columns.iter().map(|c| (c.clone(), column_type(case, c))).collect();
    let (table, names) = stand_ins(&typed).ok_or_else(|| format!("no contract table has columns of types {typed:?}"))?;
    let name = |c: &str| names.iter().find(|(n, _)| n == c).map(|(_, s)| *s).unwrap();
    let quoted = |c: &str| toml_value(&Json::String(name(c).to_string()));
    let col_type = |c: &str| typed.iter().find(|(n, _)| n == c).map(|(_, t)| *t).unwrap();

    let mut lines = vec![format!("table = \"{table}\"")];
    let mut used: Vec<&str> = vec!["column", "column_list", "column_A", "column_B", "mostly", "row_condition", "condition_parser"];
    let set = |key: &str| -> Option<String> {
        let values: Vec<Json> = get(key)?.as_array()?.iter().filter_map(text).map(Json::String).collect();
        Some(toml_value(&Json::Array(values)))
    };
    match e {
        "column_values_to_not_be_null" => {
            lines.push("kind = \"not-null\"".into());
            if let Some(c) = &column {
                lines.push(format!("columns = [{}]", quoted(c)));
            }
        }
        "column_values_to_be_in_set" | "column_distinct_values_to_be_in_set" => {
            // The distinct values are in the set exactly when every value is.
            lines.push("kind = \"in-set\"".into());
            if let Some(c) = &column {
                lines.push(format!("column = {}", quoted(c)));
            }
            // A null in the set has no effect: empty values are not evaluated, as in GX.
            if let Some(values) = set("value_set") {
                lines.push(format!("values = {values}"));
            }
            used.push("value_set");
        }
        "column_values_to_not_be_in_set" => {
            // sotecheck says "not one of" with a condition: when filled, the value is not in the set.
            lines.push("kind = \"conditional\"".into());
            if let Some(c) = &column {
                lines.push(format!("when = {{ column = {}, is_null = false }}", quoted(c)));
                match set("value_set") {
                    Some(values) => lines.push(format!("then = {{ column = {}, not_in = {values} }}", quoted(c))),
                    None => lines.push(format!("then = {{ column = {} }}", quoted(c))),
                }
            }
            used.push("value_set");
        }
        "column_values_to_match_regex" | "column_values_to_not_match_regex" => {
            lines.push("kind = \"pattern\"".into());
            if let Some(c) = &column {
                lines.push(format!("column = {}", quoted(c)));
            }
            let key = if e == "column_values_to_match_regex" { "regex" } else { "forbidden" };
            if let Some(r) = get("regex") {
                lines.push(format!("{key} = {}", toml_value(r)));
            }
            used.push("regex");
        }
        "column_values_to_be_between" | "column_value_lengths_to_be_between" => {
            let lengths = e == "column_value_lengths_to_be_between";
            lines.push(format!("kind = \"{}\"", if lengths { "value-length" } else { "range" }));
            if let Some(c) = &column {
                lines.push(format!("column = {}", quoted(c)));
            }
            let is_date = column.as_deref().is_some_and(|c| col_type(c) == ColType::Date);
            for (gx, key) in [("min_value", "min"), ("max_value", "max")] {
                if let Some(v) = get(gx) {
                    let v = if is_date { date_bound(v) } else { v.clone() };
                    lines.push(format!("{key} = {}", toml_value(&v)));
                }
                used.push(gx);
            }
            if !lengths {
                // Value lengths have no strict bounds: those keys go through as written.
                for key in ["strict_min", "strict_max"] {
                    if let Some(v) = get(key) {
                        lines.push(format!("{key} = {}", toml_value(v)));
                    }
                    used.push(key);
                }
            }
        }
        "column_values_to_be_unique" | "compound_columns_to_be_unique" => {
            lines.push("kind = \"unique\"".into());
            let key: Vec<String> = shown.iter().map(|c| quoted(c)).collect();
            lines.push(format!("columns = [{}]", key.join(", ")));
            // sotecheck never evaluates a key with an empty part.
            if get("ignore_row_if").and_then(Json::as_str) == Some("any_value_is_missing") {
                used.push("ignore_row_if");
            }
        }
        _ => {
            // The column pairs.
            lines.push("kind = \"compare\"".into());
            if let [a, b] = &pair[..] {
                lines.push(format!("left = {}", quoted(a)));
                lines.push(format!("right = {}", quoted(b)));
            }
            let op = match e {
                "column_pair_values_to_be_equal" => "eq",
                _ if get("or_equal").and_then(Json::as_bool) == Some(true) => "ge",
                _ => "gt",
            };
            lines.push(format!("op = \"{op}\""));
            used.push("or_equal");
            // sotecheck never evaluates a row with an empty side.
            if get("ignore_row_if").and_then(Json::as_str) == Some("either_value_is_missing") {
                used.push("ignore_row_if");
            }
        }
    }
    if let Some(parts) = &condition {
        let conds: Vec<String> = parts.iter().map(|(c, op, v)| format!("{{ column = {}, {op} = {} }}", quoted(c), toml_value(v))).collect();
        lines.push(match &conds[..] {
            [one] => format!("where = {one}"),
            many => format!("where = {{ all = [{}] }}", many.join(", ")),
        });
    }
    // Anything else goes through as GX wrote it, for sotecheck's parser to judge.
    for (k, v) in kw {
        if !used.contains(&k.as_str()) && !COSMETIC.contains(&k.as_str()) && !v.is_null() {
            lines.push(format!("{k} = {}", toml_value(v)));
        }
    }
    lines.sort_by_key(|l| !l.starts_with("kind = "));
    let threshold = match get("mostly") {
        None => String::new(),
        Some(m) => match m.as_f64() {
            // A user writes the share as a short decimal: 0.3, not 0.30000000000000004.
            Some(m) => format!("max_failing_share = {}", ((1.0 - m) * 1e12).round() / 1e12),
            None => format!("max_failing_share = {}", toml_value(m)),
        },
    };
    Ok(Adapted { check: lines.join("\n"), threshold, table, names, shown })
}

// ---------------------------------------------------------------------------------------
// Running the rule

fn series(case: &Case, column: &str, ty: ColType, name: &str) -> Series {
    let values = case.data.get(column).and_then(Json::as_array).cloned().unwrap_or_default();
    let name: PlSmallStr = name.into();
    match ty {
        ColType::Integer => Series::new(name, values.iter().map(Json::as_i64).collect::<Vec<_>>()),
        ColType::Number => Series::new(name, values.iter().map(Json::as_f64).collect::<Vec<_>>()),
        ColType::String => Series::new(name, values.iter().map(text).collect::<Vec<_>>()),
        ColType::Date | ColType::Month => {
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
            let days: Vec<Option<i32>> = values
                .iter()
                .map(|v| {
                    let s = v.as_str()?;
                    let d = chrono::NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
                    Some((d - epoch).num_days() as i32)
                })
                .collect();
            Series::new(name, days).cast(&DataType::Date).unwrap()
        }
    }
}

/// What sotecheck made of a case.
enum Got {
    /// The rule does not parse, or cannot be evaluated.
    Rejected(String),
    Measured {
        success: bool,
        measure: Measure,
    },
}

fn run(case: &Case, a: &Adapted) -> Got {
    let text = format!("{}\n", a.check);
    let Ok(doc) = DeTable::parse(&text) else {
        return Got::Rejected(format!("not TOML: {text}"));
    };
    let Ok(tdoc) = DeTable::parse(&a.threshold) else {
        return Got::Rejected(format!("not TOML: {}", a.threshold));
    };
    let mut errs = Errors::default();
    let check = Check::parse(&Toml::root(&doc, "the check"), &ParseCx, &mut errs);
    let limits = parse_limits(&Toml::root(&tdoc, "the threshold"), &mut errs);
    let check = match check {
        Some(c) if errs.0.is_empty() => c,
        _ => {
            let msgs: Vec<String> = errs.0.iter().map(|e| e.message.clone()).collect();
            return Got::Rejected(format!("rule error: {}", msgs.join("; ")));
        }
    };
    let height = case.data.values().filter_map(Json::as_array).map(Vec::len).max().unwrap_or(0);
    let mut cols: Vec<Column> = a.names.iter().map(|(c, n)| series(case, c, column_type(case, c), n).into_column()).collect();
    // Positions start at 1, as Parquet rows do in the loader (the engine relies on it);
    // GX's 0-based row index is the position − 1.
    cols.push(Series::new(LINE.into(), (1..=height as u32).collect::<Vec<u32>>()).into_column());
    let df = DataFrame::new(height, cols).unwrap();
    let mut tables = BTreeMap::new();
    let columns = a.names.iter().map(|(_, n)| n.to_string()).collect();
    tables.insert(
        a.table.to_string(),
        Table { name: a.table.into(), file: format!("{}.csv", a.table), position: "row", data: Data::Loaded(df.clone()), columns },
    );
    let package = Package::in_memory(&case.id, None, tables);
    let registry = Registry::default();
    let pins = BTreeMap::new();
    let engine = Engine { registry: &registry, pins: &pins, sample_limit: SAMPLE_LIMIT, batching: None, options: Default::default() };
    let measure = match engine.run_in_memory(&package, &[Job { label: "ge", check: &check }]).remove(0) {
        Ok(m) => m,
        Err(e) => return Got::Rejected(format!("not evaluated: {e}")),
    };
    Got::Measured { success: limits.holds(measure.failing, measure.failing_share()), measure }
}

// ---------------------------------------------------------------------------------------
// Comparing with GX

/// A value for comparison: numbers by value (`5`, `5.0` and `"5"` alike), a midnight
/// datetime as its date, null as `null`.
fn norm_text(s: &str) -> String {
    let s = s.strip_suffix("T00:00:00").unwrap_or(s);
    match s.trim().parse::<f64>() {
        Ok(f) if !s.trim().is_empty() && f.is_finite() => norm_number(f),
        _ => s.to_string(),
    }
}

fn norm_number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn norm(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Number(n) => n.as_f64().map(norm_number).unwrap_or_else(|| n.to_string()),
        Json::String(s) => norm_text(s),
        other => other.to_string(),
    }
}

/// One failing row as GX lists it: a value, `[A, B]` for a pair, `{column: value}` for several.
fn gx_row(v: &Json, shown: &[String]) -> String {
    let parts: Vec<String> = match v {
        Json::Array(items) => items.iter().map(norm).collect(),
        Json::Object(o) => shown.iter().map(|c| norm(o.get(c).unwrap_or(&Json::Null))).collect(),
        scalar => vec![norm(scalar)],
    };
    parts.join(" | ")
}

fn sotecheck_rows(m: &Measure, a: &Adapted) -> Vec<String> {
    m.samples
        .iter()
        .map(|s| {
            let parts: Vec<String> = a
                .shown
                .iter()
                .map(|c| s.values.get(a.name(c)).cloned().flatten().map(|v| norm_text(&v)).unwrap_or_else(|| "null".into()))
                .collect();
            parts.join(" | ")
        })
        .collect()
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// Agrees with GX, or how it differs.
fn verdict(case: &Case) -> Result<(), String> {
    let a = adapt(case).map_err(|why| format!("not expressible: {why}"))?;
    let got = run(case, &a);
    if case.kind != "result" {
        let gx = case.expected.get("error").and_then(Json::as_str).unwrap_or("an error");
        let gx = gx.lines().next().unwrap_or_default();
        return match got {
            Got::Rejected(_) => Ok(()),
            Got::Measured { success, measure } => Err(format!(
                "GX raises ({gx}); sotecheck accepts the rule: success {success}, {} of {} failing",
                measure.failing, measure.evaluated
            )),
        };
    }
    if case.expected.get("success").or_else(|| case.actual.get("success")).is_none() {
        return Err("the case gives no `success` to compare with".into());
    }
    let (success, m) = match got {
        Got::Rejected(why) => return Err(format!("GX evaluates; sotecheck: {why}")),
        Got::Measured { success, measure } => (success, measure),
    };
    let pick = |k: &str| case.expected.get(k).or_else(|| case.actual.get(k));
    let mut diffs = Vec::new();
    if let Some(gx) = pick("success").and_then(Json::as_bool) {
        if gx != success {
            diffs.push(format!("success: GX {gx}, sotecheck {success}"));
        }
    }
    if let Some(gx) = pick("unexpected_count").and_then(Json::as_u64) {
        if gx != m.failing {
            diffs.push(format!("failing rows: GX {gx}, sotecheck {}", m.failing));
        }
    }
    if let Some(gx) = pick("unexpected_index_list").and_then(Json::as_array) {
        let gx = sorted(gx.iter().filter_map(Json::as_u64).collect::<Vec<_>>());
        let ours = sorted(m.samples.iter().filter_map(|s| s.line).map(|l| l - 1).collect::<Vec<_>>());
        if gx != ours {
            diffs.push(format!("row indices: GX {gx:?}, sotecheck {ours:?}"));
        }
    }
    if let Some(gx) = pick("unexpected_list").and_then(Json::as_array) {
        let gx = sorted(gx.iter().map(|v| gx_row(v, &a.shown)).collect::<Vec<_>>());
        let ours = sorted(sotecheck_rows(&m, &a));
        if gx != ours {
            diffs.push(format!("failing values: GX {gx:?}, sotecheck {ours:?}"));
        }
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("; "))
    }
}

/// One case, as its named test runs it. `GE_SHOW=1` prints the rule and what it measured.
fn check_case(id: &str) {
    let case = case(id);
    if std::env::var_os("GE_SHOW").is_some() {
        match adapt(case) {
            Ok(a) => {
                let got = match run(case, &a) {
                    Got::Rejected(why) => why,
                    Got::Measured { success, measure } => {
                        format!("success {success}, {} of {} failing, samples {:?}", measure.failing, measure.evaluated, measure.samples)
                    }
                };
                eprintln!("[check]\n{}\n[threshold]\n{}\n=> {got}", a.check, a.threshold);
            }
            Err(why) => eprintln!("not expressible: {why}"),
        }
    }
    match (verdict(case), known().cases.get(id)) {
        (Ok(()), None) | (Err(_), Some(_)) => {}
        (Ok(()), Some(reason)) => panic!(
            "{id} agrees with Great Expectations but is listed as a known difference ({reason}): remove it from known-differences.toml"
        ),
        (Err(diff), None) => {
            let rule = adapt(case).map(|a| format!("\n[check]\n{}\n[threshold]\n{}", a.check, a.threshold)).unwrap_or_default();
            panic!("{id} differs from Great Expectations: {diff}{rule}\n\nfix sotecheck, or list the case in known-differences.toml with the reason")
        }
    }
}

include!(concat!(env!("OUT_DIR"), "/ge_tests.rs"));

#[test]
fn every_case_has_a_named_test() {
    let generated = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/ge_tests.rs")).unwrap();
    for c in cases() {
        assert!(generated.contains(&format!("check_case({:?})", c.id)), "no generated test for {}", c.id);
    }
    assert_eq!(cases().len(), 242, "the suite holds 199 upstream cases and 43 probes");
}

#[test]
fn known_differences_name_real_cases_and_reasons() {
    let k = known();
    let ids: BTreeSet<&str> = cases().iter().map(|c| c.id.as_str()).collect();
    for (id, reason) in &k.cases {
        assert!(ids.contains(id.as_str()), "known-differences.toml lists `{id}`, which is not a case");
        assert!(k.reasons.contains_key(reason), "`{id}`: no reason `{reason}` in [reasons]");
    }
    for r in k.reasons.keys() {
        assert!(k.cases.values().any(|v| v == r), "reason `{r}` is not used by any case");
    }
}

#[test]
fn summary() {
    #[derive(Default)]
    struct Row {
        passed: usize,
        by_design: usize,
        failing: usize,
    }
    let mut rows: BTreeMap<&str, Row> = BTreeMap::new();
    let mut by_reason: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut failing = Vec::new();
    for c in cases() {
        let row = rows.entry(c.expectation.trim_start_matches("expect_")).or_default();
        match (verdict(c), known().cases.get(&c.id)) {
            (Ok(()), None) => row.passed += 1,
            (Err(diff), Some(reason)) => {
                row.by_design += 1;
                // For an expectation with no check kind, the reason says it all.
                let name = c.id.trim_start_matches("expect_");
                let line = if diff.starts_with("not expressible: no check kind") { name.to_string() } else { format!("{name}: {diff}") };
                by_reason.entry(reason.as_str()).or_default().push(line);
            }
            (Ok(()), Some(_)) => {
                row.failing += 1;
                failing.push(format!("{}: agrees, but is listed as a known difference", c.id.trim_start_matches("expect_")));
            }
            (Err(diff), None) => {
                row.failing += 1;
                failing.push(format!("{}: {diff}", c.id.trim_start_matches("expect_")));
            }
        }
    }
    let mut out = String::from(
        "Great Expectations 1.2.0 test definitions (199 upstream cases, 43 probes) against sotecheck.\n\
         passed: sotecheck agrees; by design: a deliberate difference of known-differences.toml.\n\n",
    );
    writeln!(out, "{:<58} {:>6} {:>6} {:>9} {:>7}", "expectation", "cases", "passed", "by design", "failing").unwrap();
    let mut total = Row::default();
    for (e, r) in &rows {
        writeln!(out, "{e:<58} {:>6} {:>6} {:>9} {:>7}", r.passed + r.by_design + r.failing, r.passed, r.by_design, r.failing).unwrap();
        total.passed += r.passed;
        total.by_design += r.by_design;
        total.failing += r.failing;
    }
    writeln!(
        out,
        "{:<58} {:>6} {:>6} {:>9} {:>7}",
        "total",
        total.passed + total.by_design + total.failing,
        total.passed,
        total.by_design,
        total.failing
    )
    .unwrap();
    out.push_str("\nDifferences by design, by reason (each case, and how it differs):\n");
    for (reason, list) in &by_reason {
        writeln!(out, "\n[{reason}] {}", known().reasons[*reason].trim()).unwrap();
        for l in list {
            writeln!(out, "  {l}").unwrap();
        }
    }
    if !failing.is_empty() {
        out.push_str("\nFailing:\n");
        for l in &failing {
            writeln!(out, "  {l}").unwrap();
        }
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/peer");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("great-expectations-summary", out));
}
