//! The report made ready to show, in one language: every word, number and sample already
//! formatted (through `View`), so the Markdown and HTML templates only lay it out. Built
//! from the report model alone; values shown are the report's, already redacted.

use super::view::{count, View};
use super::{Finding, PackageReport, Report, Status, Verdict};
use crate::rules::model::PERSPECTIVES;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
pub struct Page {
    pub lang: &'static str,
    /// The message catalogue of the language, for the templates' fixed words.
    pub t: BTreeMap<&'static str, &'static str>,
    pub suite: String,
    pub tool: String,
    /// The worst verdict of the packages.
    pub verdict: String,
    pub verdict_id: &'static str,
    pub packages: Vec<PagePackage>,
    pub batch: Option<PageBatch>,
    /// The families and statuses present, for the filters.
    pub families: Vec<Named>,
    pub statuses: Vec<Named>,
}

#[derive(Serialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

#[derive(Serialize)]
pub struct PagePackage {
    /// An anchor: `p1`, `p2` … in the order given.
    pub anchor: String,
    pub name: String,
    pub source: String,
    pub region: String,
    pub period: String,
    pub classifications: String,
    pub verdict: String,
    pub verdict_id: &'static str,
    pub summary: String,
    pub failed: usize,
    pub warnings: usize,
    pub input_problems: Vec<PageProblem>,
    pub perspectives: Vec<PagePerspective>,
    pub coverage: Vec<Bar>,
    pub worst_units: Vec<Bar>,
    pub worst_cost_centres: Vec<Bar>,
    pub fix_first: Vec<PageFix>,
    pub findings: Vec<PageFinding>,
    /// The findings that fail or warn (the Markdown summary's table).
    pub flagged: Vec<PageFinding>,
}

#[derive(Serialize)]
pub struct PageProblem {
    pub level: &'static str,
    pub code: String,
    pub place: String,
    pub message: String,
    pub help: String,
}

#[derive(Serialize)]
pub struct PagePerspective {
    pub id: &'static str,
    pub name: String,
    pub comparable: bool,
    /// The failing rules that make it not comparable.
    pub failing: Vec<String>,
    /// How many rules of the suite protect it.
    pub protecting: usize,
}

/// A bar of a chart: a label, the value as text and its length as a share of the longest.
#[derive(Serialize)]
pub struct Bar {
    pub label: String,
    pub value: String,
    /// 0–100.
    pub width: f64,
    pub detail: String,
    /// Below the gate (coverage) or failing.
    pub bad: bool,
}

#[derive(Serialize)]
pub struct PageFix {
    pub n: usize,
    pub status: &'static str,
    pub status_word: &'static str,
    pub headline: String,
    pub counts: String,
    pub action: String,
    pub rules: Vec<Named>,
}

#[derive(Serialize, Clone)]
pub struct PageFinding {
    pub rule: String,
    pub title: String,
    pub family: String,
    pub family_name: String,
    pub status: &'static str,
    pub status_word: &'static str,
    pub severity: String,
    pub table: String,
    pub evaluated: String,
    pub failing: String,
    pub measured: String,
    pub threshold: String,
    pub reason: String,
    pub perspectives: Vec<String>,
    pub samples: Vec<String>,
    pub breakdown: Vec<String>,
    pub notes: Vec<String>,
    pub why: String,
    pub how_to_fix: String,
}

#[derive(Serialize)]
pub struct PageBatch {
    pub packages: Vec<PageBatchPackage>,
    pub rules: Vec<PageMatrixRow>,
    pub perspectives: Vec<PageMatrixRow>,
    pub findings: Vec<String>,
}

#[derive(Serialize)]
pub struct PageBatchPackage {
    pub n: usize,
    pub anchor: String,
    pub name: String,
    pub region: String,
    pub verdict: String,
    pub verdict_id: &'static str,
    pub failed: usize,
    pub warnings: usize,
}

#[derive(Serialize)]
pub struct PageMatrixRow {
    pub label: String,
    pub summary: String,
    pub cells: Vec<Cell>,
}

#[derive(Serialize)]
pub struct Cell {
    pub class: &'static str,
    pub mark: &'static str,
    pub title: String,
}

fn status_id(s: Status) -> &'static str {
    s.as_str()
}

fn verdict_id(v: Verdict) -> &'static str {
    match v {
        Verdict::Conformant => "conformant",
        Verdict::GateFailed => "gate-failed",
        Verdict::InputError => "input-error",
    }
}

fn mark(s: Status) -> &'static str {
    match s {
        Status::Pass => "·",
        Status::Fail => "✗",
        Status::Warning => "!",
        Status::Info => "i",
        Status::NotEvaluated => "–",
    }
}

/// Whether a package's figures are comparable on a perspective: no input error and no
/// failing rule protecting it.
fn failing_on<'a>(p: &'a PackageReport, perspective: &str) -> Vec<&'a Finding> {
    p.findings.iter().filter(|f| f.status == Status::Fail && f.perspectives.iter().any(|x| x == perspective)).collect()
}

pub fn build(report: &Report, v: &View) -> Page {
    let worst = report.packages.iter().map(|p| p.verdict).max_by_key(|v| match v {
        Verdict::Conformant => 0,
        Verdict::GateFailed => 1,
        Verdict::InputError => 2,
    });
    let worst = worst.unwrap_or(Verdict::Conformant);
    let mut families: Vec<&str> = report.packages.iter().flat_map(|p| p.findings.iter().map(|f| f.family.as_str())).collect();
    families.sort();
    families.dedup();
    let mut statuses: Vec<Status> = report.packages.iter().flat_map(|p| p.findings.iter().map(|f| f.status)).collect();
    statuses.sort();
    statuses.dedup();
    Page {
        lang: v.lang.as_str(),
        t: super::i18n::all(v.lang),
        suite: report.suite.clone(),
        tool: report.tool.clone(),
        verdict: v.verdict(worst).to_string(),
        verdict_id: verdict_id(worst),
        packages: report.packages.iter().enumerate().map(|(i, p)| package(i, p, v)).collect(),
        batch: report.batch.as_ref().filter(|b| b.packages.len() > 1).map(|b| batch(report, b, v)),
        families: families.into_iter().map(|f| Named { id: f.into(), name: v.family(f).into() }).collect(),
        statuses: statuses.into_iter().map(|s| Named { id: s.as_str().into(), name: v.status(s).into() }).collect(),
    }
}

fn package(i: usize, p: &PackageReport, v: &View) -> PagePackage {
    let s = &p.summary;
    let summary = v.summary_line(s);
    let mut ordered: Vec<&Finding> = p.findings.iter().collect();
    ordered.sort_by(|a, b| (a.status, &a.rule).cmp(&(b.status, &b.rule)));
    let findings: Vec<PageFinding> = ordered.iter().map(|f| finding(f, v)).collect();
    let flagged = ordered
        .iter()
        .zip(&findings)
        .filter(|(f, _)| matches!(f.status, Status::Fail | Status::Warning))
        .map(|(_, pf)| pf.clone())
        .collect();
    let input_error = p.verdict == Verdict::InputError;
    let perspectives = PERSPECTIVES
        .iter()
        .map(|id| {
            let failing = failing_on(p, id);
            PagePerspective {
                id,
                name: v.perspective(id).to_string(),
                comparable: !input_error && failing.is_empty(),
                failing: failing.iter().map(|f| f.rule.clone()).collect(),
                protecting: p.findings.iter().filter(|f| f.perspectives.iter().any(|x| x == id)).count(),
            }
        })
        .collect();
    PagePackage {
        anchor: format!("p{}", i + 1),
        name: p.package.clone(),
        source: p.source.clone(),
        region: p.region.clone().unwrap_or_default(),
        period: p.period.as_ref().map(|[a, b]| format!("{} … {}", v.date(a), v.date(b))).unwrap_or_default(),
        classifications: p.classifications.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" · "),
        verdict: v.verdict(p.verdict).to_string(),
        verdict_id: verdict_id(p.verdict),
        summary,
        failed: s.failed,
        warnings: s.warnings,
        input_problems: p
            .input_problems
            .iter()
            .map(|x| {
                let mut place = x.file.clone();
                if let Some(l) = x.line {
                    place.push_str(&format!(":{l}"));
                }
                if let Some(c) = &x.column {
                    place.push_str(&format!(" `{c}`"));
                }
                PageProblem {
                    level: if x.level == crate::package::problem::Level::Error { "error" } else { "warning" },
                    code: x.code.as_str().to_string(),
                    place,
                    message: x.message.clone(),
                    help: x.help.clone().unwrap_or_default(),
                }
            })
            .collect(),
        perspectives,
        coverage: coverage(p, v),
        worst_units: worst(p, "activity-service-coverage", v),
        worst_cost_centres: worst(p, "costs-service-coverage", v),
        fix_first: p
            .fix_first
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let (headline, counts, action) = v.fix(item);
                PageFix {
                    n: i + 1,
                    status: status_id(item.status),
                    status_word: v.status(item.status),
                    headline,
                    counts,
                    action,
                    rules: item
                        .rules
                        .iter()
                        .map(|r| Named {
                            id: r.clone(),
                            name: p.findings.iter().find(|f| &f.rule == r).map(|f| v.title(f)).unwrap_or_default(),
                        })
                        .collect(),
                }
            })
            .collect(),
        findings,
        flagged,
    }
}

fn finding(f: &Finding, v: &View) -> PageFinding {
    let weighted = f.breakdown.iter().any(|b| b.total != b.rows as f64 || b.failing != b.failing_rows as f64);
    PageFinding {
        rule: f.rule.clone(),
        title: v.title(f),
        family: f.family.clone(),
        family_name: v.family(&f.family).to_string(),
        status: status_id(f.status),
        status_word: v.status_of(f),
        severity: f.severity.clone(),
        table: f.table.clone(),
        evaluated: count(f.rows_evaluated),
        failing: count(f.rows_failing),
        measured: v.measured(f),
        threshold: v.threshold(f),
        reason: f.reason.clone().unwrap_or_default(),
        perspectives: f.perspectives.iter().map(|p| v.perspective(p).to_string()).collect(),
        samples: f.samples.iter().map(|s| v.sample(f, s)).collect(),
        breakdown: f
            .breakdown
            .iter()
            .map(|b| {
                let rows = v.fmt("details.of-rows", &[("failing", &count(b.failing_rows)), ("rows", &count(b.rows))]);
                let mut line = format!("{}: {rows}", b.group.as_deref().unwrap_or("∅"));
                if weighted {
                    let n = |x: f64| v.number((x * 100.0).round() / 100.0);
                    line.push_str(&format!(", {}", v.fmt("details.by-measure", &[("failing", &n(b.failing)), ("total", &n(b.total))])));
                }
                line
            })
            .collect(),
        notes: f.notes.clone(),
        why: v.why_full(f),
        how_to_fix: v.how_to_fix(f).unwrap_or_default(),
    }
}

/// Coverage of rows, euros and FTEs: the coverage rules' measured shares.
fn coverage(p: &PackageReport, v: &View) -> Vec<Bar> {
    [("activity", "chart.rows"), ("costs", "chart.euros"), ("staff", "chart.fte")]
        .iter()
        .filter_map(|(table, label)| {
            let f = p.findings.iter().find(|f| f.kind == "coverage" && f.table == *table && f.status != Status::NotEvaluated)?;
            Some(Bar {
                label: v.t(label).to_string(),
                value: v.pct(f.measured.value),
                width: (f.measured.value * 100.0).clamp(0.0, 100.0),
                detail: v.threshold(f),
                bad: matches!(f.status, Status::Fail | Status::Warning),
            })
        })
        .collect()
}

/// The groups (units, cost centres) of a coverage rule's breakdown with the most failing
/// weight, as bars relative to the largest.
fn worst(p: &PackageReport, rule: &str, v: &View) -> Vec<Bar> {
    let Some(f) = p.findings.iter().find(|f| f.rule == rule) else { return Vec::new() };
    let max = f.breakdown.iter().map(|b| b.failing).fold(0.0, f64::max);
    f.breakdown
        .iter()
        .filter(|b| b.failing > 0.0)
        .map(|b| Bar {
            label: short(b.group.as_deref().unwrap_or("∅"), 30),
            value: v.number((b.failing * 100.0).round() / 100.0),
            width: if max > 0.0 { (b.failing / max * 100.0).clamp(0.0, 100.0) } else { 0.0 },
            detail: format!(
                "{}: {}",
                b.group.as_deref().unwrap_or("∅"),
                v.fmt("details.of-rows", &[("failing", &count(b.failing_rows)), ("rows", &count(b.rows))])
            ),
            bad: true,
        })
        .collect()
}

fn batch(report: &Report, b: &super::batch::Batch, v: &View) -> PageBatch {
    let packages: Vec<PageBatchPackage> = report
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| PageBatchPackage {
            n: i + 1,
            anchor: format!("p{}", i + 1),
            name: p.package.clone(),
            region: b.packages.get(i).and_then(|x| x.region_name.clone()).or_else(|| p.region.clone()).unwrap_or_default(),
            verdict: v.verdict_short(p.verdict).to_string(),
            verdict_id: verdict_id(p.verdict),
            failed: p.summary.failed,
            warnings: p.summary.warnings,
        })
        .collect();
    let rules = b
        .matrix
        .iter()
        .map(|(rule, row)| {
            let failing = row.iter().filter(|s| **s == Status::Fail).count();
            PageMatrixRow {
                label: rule.clone(),
                summary: format!("{failing}/{}", row.len()),
                cells: row
                    .iter()
                    .enumerate()
                    .map(|(i, s)| Cell {
                        class: status_id(*s),
                        mark: mark(*s),
                        title: format!("{} · {rule} · {}", report.packages.get(i).map(|p| p.package.as_str()).unwrap_or(""), v.status(*s)),
                    })
                    .collect(),
            }
        })
        .collect();
    let perspectives = PERSPECTIVES
        .iter()
        .map(|id| {
            let cells: Vec<Cell> = report
                .packages
                .iter()
                .map(|p| {
                    let failing = failing_on(p, id);
                    let ok = p.verdict != Verdict::InputError && failing.is_empty();
                    let rules: Vec<&str> = failing.iter().map(|f| f.rule.as_str()).collect();
                    Cell {
                        class: if ok { "pass" } else { "fail" },
                        mark: if ok { "·" } else { "✗" },
                        title: format!(
                            "{} · {}{}",
                            p.package,
                            v.t(if ok { "comparable.yes" } else { "comparable.no" }),
                            if rules.is_empty() { String::new() } else { format!(": {}", rules.join(", ")) }
                        ),
                    }
                })
                .collect();
            let ok = cells.iter().filter(|c| c.class == "pass").count();
            PageMatrixRow {
                label: v.perspective(id).to_string(),
                summary: v.fmt("comparable.of", &[("n", &ok.to_string()), ("of", &cells.len().to_string())]),
                cells,
            }
        })
        .collect();
    PageBatch { packages, rules, perspectives, findings: b.findings.iter().map(|f| format!("[{}] {}", f.code, f.message)).collect() }
}

/// A label cut to `max` characters (the chart's label column is narrow; the full one is in
/// the bar's title).
fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let head: String = s.chars().take(max - 1).collect();
        format!("{head}…")
    }
}
