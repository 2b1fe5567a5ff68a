//! Building a package's report from what the executor measured: one finding per rule —
//! its status against the rule's threshold, the measured value, samples and breakdown in
//! the rule's terms — or "not evaluated" with the reason, and the input problems.

use super::{Finding, Measured, PackageReport, Status, Summary, Verdict};
use crate::exec::Outcome;
use crate::model::Measure;
use crate::package::problem::{InputProblem, ProblemCode};
use crate::package::Package;
use crate::rules::{Rule, Severity};
use std::collections::BTreeMap;

/// The report of `pkg` from the outcome of running `rules` (in order) over it.
pub fn package_report(pkg: &Package, rules: &[Rule], outcome: Outcome) -> PackageReport {
    let findings: Vec<Finding> = match outcome.results {
        Some(results) => rules
            .iter()
            .zip(results)
            .map(|(rule, r)| match r {
                Ok(m) => finding(rule, pkg, m),
                Err(reason) => not_evaluated(rule, pkg, reason),
            })
            .collect(),
        None => Vec::new(),
    };
    let metrics = outcome.metrics.map(|mut m| {
        for f in findings.iter().filter(|f: &&Finding| f.kind == "coverage" && f.status != Status::NotEvaluated) {
            m.coverage.insert(f.table.clone(), f.measured.value);
        }
        m
    });
    let d = pkg.descriptor.as_ref();
    PackageReport {
        package: pkg.name(),
        source: pkg.source.clone(),
        region: d.map(|d| d.region.clone()),
        period: d.map(|d| [d.period_start.to_string(), d.period_end.to_string()]),
        classifications: d.map(|d| d.classifications.clone()).unwrap_or_default(),
        verdict: Verdict::Conformant,
        summary: Summary::default(),
        input_problems: outcome.problems,
        findings,
        metrics,
        fix_first: Vec::new(),
    }
    .finish()
}

/// The report of a package whose check panicked.
pub fn crashed(path: &std::path::Path, payload: Box<dyn std::any::Any + Send>) -> PackageReport {
    let what =
        payload.downcast_ref::<String>().map(String::as_str).or_else(|| payload.downcast_ref::<&str>().copied()).unwrap_or("no message");
    let source = path.display().to_string();
    PackageReport {
        package: path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| source.clone()),
        source: source.clone(),
        region: None,
        period: None,
        classifications: BTreeMap::new(),
        verdict: Verdict::InputError,
        summary: Summary::default(),
        input_problems: vec![InputProblem::error(
            ProblemCode::InternalError,
            &source,
            format!("sotecheck failed while reading or checking this package: {}", what.lines().next().unwrap_or(what)),
        )
        .help("a file of the package is probably damaged (e.g. a corrupt Parquet file): export it again; if it persists, report this message to the sotecheck maintainers")],
        findings: Vec::new(),
        metrics: None,
        fix_first: Vec::new(),
    }
    .finish()
}

fn base(rule: &Rule, pkg: &Package) -> Finding {
    let table = rule.check.table();
    let t = pkg.table(&table);
    Finding {
        rule: rule.id.clone(),
        title: rule.title.clone(),
        family: rule.family.clone(),
        severity: rule.severity.as_str().to_string(),
        perspectives: rule.perspectives.clone(),
        why: first_sentence(&rule.docs.why),
        kind: rule.check.kind().to_string(),
        table,
        columns: rule.check.columns(),
        status: Status::NotEvaluated,
        reason: None,
        rows_evaluated: 0,
        rows_failing: 0,
        failing_share: 0.0,
        measured: Measured { name: measured_name(rule).into(), value: 0.0 },
        threshold: threshold_text(rule),
        samples: Vec::new(),
        breakdown: Vec::new(),
        notes: Vec::new(),
        failing_by_column: BTreeMap::new(),
        within_tolerance: 0,
        delta: None,
        position: t.map(|t| t.position).unwrap_or("line").to_string(),
        file: t.map(|t| t.file.clone()).unwrap_or_default(),
    }
}

/// The first sentence of a docs text, on one line.
pub(crate) fn first_sentence(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let words: Vec<&str> = flat.split(' ').collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        out.push(*w);
        // A sentence ends at a full stop followed by a capital, except after an abbreviation.
        let next_capital = words.get(i + 1).and_then(|n| n.chars().next()).is_some_and(|c| c.is_uppercase());
        let abbreviation = ["e.g.", "i.e.", "esim.", "ks.", "vs.", "etc.", "mm."].contains(&w.to_lowercase().as_str());
        if w.ends_with('.') && next_capital && !abbreviation {
            break;
        }
    }
    out.join(" ")
}

fn measured_name(rule: &Rule) -> &'static str {
    if rule.threshold.fail.min_share.is_some() || rule.check.kind() == "coverage" {
        "coverage"
    } else {
        "failing share"
    }
}

fn threshold_text(rule: &Rule) -> String {
    let mut s = rule.threshold.fail.describe();
    if let Some(w) = &rule.threshold.warn {
        s.push_str(&format!("; warning unless {}", w.describe()));
    }
    s
}

fn not_evaluated(rule: &Rule, pkg: &Package, reason: String) -> Finding {
    Finding { reason: Some(reason), ..base(rule, pkg) }
}

/// A rule's status for `failing` rows (or items) and the failing share.
fn status(rule: &Rule, failing: u64, share: f64) -> Status {
    let passes = rule.threshold.fail.holds(failing, share);
    let warn_ok = rule.threshold.warn.as_ref().is_none_or(|w| w.holds(failing, share));
    match (passes, warn_ok, rule.severity) {
        (true, true, _) => Status::Pass,
        (true, false, _) => Status::Warning,
        (false, _, Severity::Error) => Status::Fail,
        (false, _, Severity::Warning) => Status::Warning,
        (false, _, Severity::Info) => Status::Info,
    }
}

/// A stored finding judged again by `rule` (its thresholds and severity, e.g. another
/// suite's), from the counts it holds, without reading the data again. A finding that was
/// not evaluated stays so.
pub fn rejudge(f: &mut Finding, rule: &Rule) {
    f.severity = rule.severity.as_str().to_string();
    f.threshold = threshold_text(rule);
    if f.status == Status::NotEvaluated {
        return;
    }
    f.status = status(rule, f.rows_failing, f.failing_share);
    f.within_tolerance = if f.status == Status::Pass { f.rows_failing } else { 0 };
}

fn finding(rule: &Rule, pkg: &Package, m: Measure) -> Finding {
    let share = m.failing_share();
    let status = status(rule, m.failing, share);
    let value = if measured_name(rule) == "coverage" { 1.0 - share } else { share };
    let mut f = base(rule, pkg);
    if rule.check.kind() == "identity-code-leak" {
        f.table = "*".into();
        f.file = String::new();
    }
    // Months are held as their first day; shown as written (`2025-05`).
    let spec = crate::package::contract::table(&rule.check.table());
    let is_month = |c: &str| spec.and_then(|t| t.column(c)).is_some_and(|c| c.ty == crate::package::contract::ColType::Month);
    let mut samples = m.samples;
    for s in &mut samples {
        for (c, v) in s.values.iter_mut() {
            if let Some(v) = v.as_mut().filter(|v| v.len() == 10 && is_month(c)) {
                v.truncate(7);
            }
        }
    }
    Finding {
        status,
        rows_evaluated: m.evaluated,
        rows_failing: m.failing,
        failing_share: round(share),
        measured: Measured { value: round(value), ..f.measured.clone() },
        samples,
        breakdown: m.breakdown,
        notes: m.notes,
        failing_by_column: m.by_column.into_iter().filter(|(_, n)| *n > 0).collect(),
        within_tolerance: if status == Status::Pass { m.failing } else { 0 },
        ..f
    }
}

/// Shares are rounded so reports do not carry float noise between platforms.
fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
