//! Runs a rule's own examples: each example's inline tables are written as a real package
//! (descriptor + CSV) and go through the same loader and engine as users' data.

use crate::codelist::Registry;
use crate::exec::Engine;
use crate::options::EngineOptions;
use crate::package::{Batching, Package};
use crate::report::Status;
use crate::rules::model::{Expect, Flag};
use crate::rules::Rule;
use std::collections::BTreeMap;

/// The outcome of one example.
#[derive(Debug, Clone)]
pub struct ExampleResult {
    pub rule: String,
    pub example: String,
    pub ok: bool,
    pub message: String,
    /// The rule's finding on the example, when it was reached.
    pub finding: Option<crate::report::Finding>,
}

pub const DEFAULT_REGION: &str = "08";
pub const DEFAULT_SERVICE: &str = "virta-palvelut@1.1";

pub fn run_rule(rule: &Rule, registry: &Registry) -> Vec<ExampleResult> {
    rule.examples.iter().map(|ex| run_one(rule, ex, registry)).collect()
}

fn run_one(rule: &Rule, ex: &crate::rules::model::Example, registry: &Registry) -> ExampleResult {
    let res = |ok: bool, message: String| ExampleResult { rule: rule.id.clone(), example: ex.name.clone(), ok, message, finding: None };
    let dir = match write_package(rule, ex) {
        Ok(d) => d,
        Err(e) => return res(false, format!("cannot write the example package: {e}")),
    };
    let result = judge(rule, ex, registry, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Runs the example read whole and streamed one record per batch, each with and without
/// per-value evaluation: a rule must reach the same finding every way (row-level measures
/// add up, aggregates merge, judging a value once means what judging each row means).
fn judge(rule: &Rule, ex: &crate::rules::model::Example, registry: &Registry, dir: &std::path::Path) -> ExampleResult {
    let res = |ok: bool, message: String| ExampleResult { rule: rule.id.clone(), example: ex.name.clone(), ok, message, finding: None };
    let pkg = Package::open(dir, registry);
    // Examples hold only the tables and columns their rule reads.
    use crate::package::problem::{Level, ProblemCode};
    let errors: Vec<String> = pkg
        .problems
        .iter()
        .filter(|p| p.level == Level::Error && !matches!(p.code, ProblemCode::TableMissing | ProblemCode::ColumnMissing))
        .map(|p| format!("{}: {}", p.file, p.message))
        .collect();
    if !errors.is_empty() {
        return res(false, format!("the example's tables do not load: {}", errors.join("; ")));
    }
    let pins = BTreeMap::new();
    let rules = std::slice::from_ref(rule);
    let engine = |per_value: bool| Engine {
        registry,
        pins: &pins,
        sample_limit: 1000,
        batching: None,
        options: EngineOptions { per_value, ..EngineOptions::default() },
    };
    let report = crate::run::package(&engine(true), rules, &pkg);
    let Some(f) = report.findings.first() else {
        return res(false, "no finding".into());
    };
    let res = |ok: bool, message: String| ExampleResult { finding: Some(f.clone()), ..res(ok, message) };
    let streamed = Package::open_with(dir, registry, Some(Batching { over_bytes: 0, batch_bytes: 1 }));
    let show = |f: Option<&crate::report::Finding>| serde_json::to_string(&f).unwrap_or_default();
    for (how, pkg, per_value) in
        [("streamed in batches", &streamed, true), ("judged row by row", &pkg, false), ("streamed row by row", &streamed, false)]
    {
        let again = crate::run::package(&engine(per_value), rules, pkg);
        if show(again.findings.first()) != show(Some(f)) {
            return res(
                false,
                format!("{how}, the finding differs:\n whole:    {}\n {how}: {}", show(Some(f)), show(again.findings.first())),
            );
        }
    }
    if f.status == Status::NotEvaluated {
        return res(false, format!("not evaluated: {}", f.reason.clone().unwrap_or_default()));
    }
    let passed = f.status == Status::Pass;
    match ex.expect {
        Expect::Pass if passed => res(true, "passes".into()),
        Expect::Pass => res(false, format!("expected to pass, but {} of {} fail ({:?})", f.rows_failing, f.rows_evaluated, f.status)),
        Expect::Fail if passed => res(false, format!("expected to fail, but passes ({} of {} failing)", f.rows_failing, f.rows_evaluated)),
        Expect::Fail => {
            if let Some(n) = ex.failing {
                if f.rows_failing != n {
                    return res(false, format!("expected {n} failing, got {}", f.rows_failing));
                }
            }
            let mut got: Vec<Flag> = f
                .samples
                .iter()
                .map(|s| match (&s.key, s.line) {
                    (Some(k), _) => Flag::Key(k.clone()),
                    (None, Some(l)) => Flag::Line(l),
                    _ => Flag::Key(String::new()),
                })
                .collect();
            if !ex.flagged.is_empty() {
                // Identity-code findings key by table:line; examples name lines.
                if ex.flagged.iter().all(|x| matches!(x, Flag::Line(_))) {
                    got = f.samples.iter().filter_map(|s| s.line.map(Flag::Line)).collect();
                }
                let (mut want, mut have) = (ex.flagged.clone(), got);
                want.sort();
                have.sort();
                if want != have {
                    return res(false, format!("expected to flag {want:?}, flagged {have:?}"));
                }
            }
            res(true, format!("fails as expected ({} failing)", f.rows_failing))
        }
    }
}

fn write_package(rule: &Rule, ex: &crate::rules::model::Example) -> std::io::Result<std::path::PathBuf> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("sotecheck-example-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (start, end) = ex.period.clone().unwrap_or(("2025-01-01".into(), "2025-12-31".into()));
    let mut classifications: BTreeMap<String, String> = BTreeMap::from([("service".to_string(), DEFAULT_SERVICE.to_string())]);
    classifications.extend(ex.classifications.clone());
    let mut resources = Vec::new();
    for (table, csv) in &ex.tables {
        std::fs::write(dir.join(format!("{table}.csv")), csv)?;
        resources.push(serde_json::json!({"name": table, "path": format!("{table}.csv"), "format": "csv"}));
    }
    let desc = serde_json::json!({
        "name": format!("example-{}", rule.id),
        "sote": {
            "region": ex.region.clone().unwrap_or_else(|| DEFAULT_REGION.into()),
            "period": {"start": start, "end": end},
            "classifications": classifications,
        },
        "resources": resources,
    });
    std::fs::write(dir.join("datapackage.json"), serde_json::to_string_pretty(&desc)?)?;
    Ok(dir)
}
