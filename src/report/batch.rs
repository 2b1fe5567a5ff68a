//! The national coordinator's view of a batch: the packages validated together are one
//! unit. Says which region appears twice, whether periods and classification versions
//! agree, whether a package's municipalities are its region's; lays out packages × rules
//! and, per §29 perspective, which packages are comparable; and compares the regions'
//! key measures with each other to point at those far from the rest (warnings for the
//! coordinator to ask about, never gate failures).
//!
//! Outliers: for each compared measure (`metrics::COMPARED`) and each service class (and
//! the total), over the packages whose class has at least `MIN_EVENTS` events, with at
//! least `MIN_REGIONS` such packages: on a log scale (rates are ratios: 4× and ¼× are as
//! far), the median `m` and the median absolute deviation `MAD`; a package is far when
//! its robust z-score `0.6745 · |ln x − m| / max(MAD, MAD_FLOOR)` exceeds `Z_LIMIT` (3.5,
//! Iglewicz and Hoaglin) and it is more than `RATIO_LIMIT` (1.5×) above or below the median.
//! The floor and the ratio keep regions that differ by tens of percent — as real regions
//! do — out of the list, however alike the others are.

use super::{PackageReport, Report, Status, Verdict};
use crate::metrics::{ClassMetrics, COMPARED};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Fewest packages a measure is compared over.
pub const MIN_REGIONS: usize = 8;
/// Fewest events a class needs in a package for its rates to be compared.
pub const MIN_EVENTS: f64 = 100.0;
pub const Z_LIMIT: f64 = 3.5;
/// Natural-log deviation below which no one is far: 5 % (regions are never that alike).
pub const MAD_FLOOR: f64 = 0.05;
pub const RATIO_LIMIT: f64 = 1.5;

/// A finding about the batch rather than one package's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchFinding {
    /// `batch-region-duplicate`, `batch-periods-differ`, `batch-versions-differ`,
    /// `batch-region-municipalities`, `batch-outlier`, `baseline-measure-moved`.
    pub code: String,
    pub severity: String,
    pub message: String,
    pub packages: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outlier: Option<Outlier>,
}

/// A measure of one package far from the other packages'.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outlier {
    pub region: String,
    /// A service code, or `total`.
    pub class: String,
    pub measure: String,
    pub value: f64,
    pub median: f64,
    /// value ÷ median.
    pub ratio: f64,
    pub robust_z: f64,
    /// How many packages it was compared with.
    pub regions: usize,
}

/// A package in the batch, by region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchPackage {
    pub package: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_name: Option<String>,
    pub verdict: Verdict,
}

/// Per §29 perspective, the packages whose figures are comparable on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparability {
    pub perspective: String,
    pub comparable: usize,
    pub of: usize,
    /// Packages with a failing rule protecting the perspective, or with input errors.
    pub not_comparable: Vec<String>,
}

/// The batch summary: data, so every format can show it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub packages: Vec<BatchPackage>,
    /// Rule → status per package (in the order of `packages`), for rules not passing
    /// everywhere.
    pub matrix: BTreeMap<String, Vec<Status>>,
    pub perspectives: Vec<Comparability>,
    pub findings: Vec<BatchFinding>,
}

fn warning(code: &str, message: String, packages: Vec<String>) -> BatchFinding {
    BatchFinding { code: code.into(), severity: "warning".into(), message, packages, outlier: None }
}

/// The batch view of `report`'s packages, with names from the code lists; `reference`
/// (earlier runs' packages of other regions) joins the comparison of measures only.
pub fn summarize(report: &Report, registry: &crate::codelist::Registry, reference: &[PackageReport]) -> Batch {
    let names = registry.list("hyvinvointialue_1_20211013");
    let packages: Vec<BatchPackage> = report
        .packages
        .iter()
        .map(|p| BatchPackage {
            package: p.package.clone(),
            region: p.region.clone(),
            region_name: p.region.as_ref().and_then(|r| names.and_then(|l| l.get(r)).map(|c| c.name.clone())),
            verdict: p.verdict,
        })
        .collect();
    let mut findings = unit_findings(&report.packages);
    let compared: Vec<PackageReport> = report.packages.iter().chain(reference).cloned().collect();
    let own: Vec<&str> = report.packages.iter().map(|p| p.package.as_str()).collect();
    let far = outliers(&compared, registry).into_iter().filter(|f| f.packages.iter().all(|p| own.contains(&p.as_str())));
    findings.extend(fold(far.collect()));
    Batch { packages, matrix: matrix(&report.packages), perspectives: perspectives(&report.packages), findings }
}

/// The batch is one unit: one package per region, one period, one classification version,
/// each package's municipalities its region's.
fn unit_findings(packages: &[PackageReport]) -> Vec<BatchFinding> {
    let mut out = Vec::new();
    let mut by_region: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for p in packages {
        if let Some(r) = &p.region {
            by_region.entry(r).or_default().push(p.package.clone());
        }
    }
    for (region, names) in by_region.iter().filter(|(_, n)| n.len() > 1) {
        out.push(warning(
            "batch-region-duplicate",
            format!("region {region} appears {} times: {}", names.len(), names.join(", ")),
            names.clone(),
        ));
    }
    let mut distinct = |what: &str, code: &str, value: &dyn Fn(&PackageReport) -> Option<String>| {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in packages {
            if let Some(v) = value(p) {
                groups.entry(v).or_default().push(p.package.clone());
            }
        }
        if groups.len() > 1 {
            let parts: Vec<String> = groups.iter().map(|(v, ps)| format!("{v} ({})", ps.join(", "))).collect();
            out.push(warning(
                code,
                format!("the packages differ in {what}: {}", parts.join("; ")),
                groups.into_values().flatten().collect(),
            ));
        }
    };
    distinct("period", "batch-periods-differ", &|p| p.period.as_ref().map(|[a, b]| format!("{a} … {b}")));
    distinct("service classification version", "batch-versions-differ", &|p| p.classifications.get("service").cloned());
    for p in packages {
        let share = p.metrics.as_ref().and_then(|m| m.municipalities_in_region);
        if let (Some(share), Some(region)) = (share, &p.region) {
            if share < 0.5 {
                out.push(warning(
                    "batch-region-municipalities",
                    format!(
                        "{}: the package says region {region}, but {} % of its population table's municipalities belong to other regions",
                        p.package,
                        crate::frame::number(((1.0 - share) * 100.0).round())
                    ),
                    vec![p.package.clone()],
                ));
            }
        }
    }
    out
}

fn matrix(packages: &[PackageReport]) -> BTreeMap<String, Vec<Status>> {
    let rules: BTreeSet<&str> = packages.iter().flat_map(|p| p.findings.iter().map(|f| f.rule.as_str())).collect();
    rules
        .into_iter()
        .map(|r| {
            let row: Vec<Status> = packages
                .iter()
                .map(|p| p.findings.iter().find(|f| f.rule == r).map(|f| f.status).unwrap_or(Status::NotEvaluated))
                .collect();
            (r.to_string(), row)
        })
        .filter(|(_, row)| !row.iter().all(|s| *s == Status::Pass))
        .collect()
}

fn perspectives(packages: &[PackageReport]) -> Vec<Comparability> {
    crate::rules::model::PERSPECTIVES
        .iter()
        .map(|persp| {
            let not: Vec<String> = packages
                .iter()
                .filter(|p| {
                    p.verdict == Verdict::InputError
                        || p.findings.iter().any(|f| f.status == Status::Fail && f.perspectives.iter().any(|x| x == persp))
                })
                .map(|p| p.package.clone())
                .collect();
            Comparability {
                perspective: persp.to_string(),
                comparable: packages.len() - not.len(),
                of: packages.len(),
                not_comparable: not,
            }
        })
        .collect()
}

/// One cause, one finding: where a package's total is far on a measure, its classes far on
/// the same measure in the same direction are named in the total's finding instead of one
/// finding each (costs ×4 make every class's euros ×4).
fn fold(found: Vec<BatchFinding>) -> Vec<BatchFinding> {
    let key = |f: &BatchFinding| f.outlier.as_ref().map(|o| (o.region.clone(), o.measure.clone(), o.ratio > 1.0));
    let totals: Vec<(String, String, bool)> =
        found.iter().filter(|f| f.outlier.as_ref().is_some_and(|o| o.class == "total")).filter_map(key).collect();
    let mut folded: BTreeMap<(String, String, bool), Vec<String>> = BTreeMap::new();
    let mut out: Vec<BatchFinding> = Vec::new();
    for f in found {
        match (key(&f), f.outlier.as_ref()) {
            (Some(k), Some(o)) if o.class != "total" && totals.contains(&k) => folded.entry(k).or_default().push(o.class.clone()),
            _ => out.push(f),
        }
    }
    for f in &mut out {
        if let Some(classes) = key(f).and_then(|k| folded.get(&k)) {
            f.message.push_str(&format!("; also in {} classes: {}", classes.len(), classes.join(", ")));
        }
    }
    out
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Regions far from the others, measure by measure and class by class.
fn outliers(packages: &[PackageReport], registry: &crate::codelist::Registry) -> Vec<BatchFinding> {
    // (package, region, class metrics) of every package with metrics, per class.
    let mut classes: BTreeMap<String, Vec<(&PackageReport, &ClassMetrics)>> = BTreeMap::new();
    for p in packages.iter().filter(|p| p.verdict != Verdict::InputError) {
        let Some(m) = &p.metrics else { continue };
        classes.entry("total".into()).or_default().push((p, &m.total));
        for (code, c) in &m.by_class {
            classes.entry(code.clone()).or_default().push((p, c));
        }
    }
    let mut out = Vec::new();
    for (class, rows) in &classes {
        for (measure, label) in COMPARED {
            let values: Vec<(&PackageReport, f64)> = rows
                .iter()
                .filter(|(_, c)| c.events >= MIN_EVENTS || *measure == "fte_per_1000" && c.fte > 0.0)
                .filter_map(|(p, c)| c.get(measure).filter(|v| *v > 0.0 && v.is_finite()).map(|v| (*p, v)))
                .collect();
            if values.len() < MIN_REGIONS {
                continue;
            }
            let mut logs: Vec<f64> = values.iter().map(|(_, v)| v.ln()).collect();
            let m = median(&mut logs.clone());
            let mut dev: Vec<f64> = logs.iter_mut().map(|l| (*l - m).abs()).collect();
            let mad = median(&mut dev).max(MAD_FLOOR);
            for (p, v) in &values {
                let z = 0.6745 * (v.ln() - m) / mad;
                let ratio = (v.ln() - m).exp();
                if z.abs() > Z_LIMIT && !(1.0 / RATIO_LIMIT..=RATIO_LIMIT).contains(&ratio) {
                    let region = p.region.clone().unwrap_or_else(|| p.package.clone());
                    let class_name = if class == "total" {
                        "all classes".to_string()
                    } else {
                        let name = p
                            .classifications
                            .get("service")
                            .and_then(|id| registry.list(id))
                            .and_then(|l| l.get(class))
                            .map(|c| format!(" {}", c.name))
                            .unwrap_or_default();
                        format!("{class}{name}")
                    };
                    let r2 = |x: f64| (x * 100.0).round() / 100.0;
                    out.push(BatchFinding {
                        code: "batch-outlier".into(),
                        severity: "warning".into(),
                        message: format!(
                            "{}: {label} in {class_name} {}× the median of {} regions ({} vs {})",
                            p.package,
                            crate::frame::number((ratio * 10.0).round() / 10.0),
                            values.len(),
                            crate::frame::number(r2(*v)),
                            crate::frame::number(r2(m.exp()))
                        ),
                        packages: vec![p.package.clone()],
                        outlier: Some(Outlier {
                            region,
                            class: class.clone(),
                            measure: measure.to_string(),
                            value: r2(*v),
                            median: r2(m.exp()),
                            ratio: (ratio * 1000.0).round() / 1000.0,
                            robust_z: (z * 100.0).round() / 100.0,
                            regions: values.len(),
                        }),
                    });
                }
            }
        }
    }
    out
}
