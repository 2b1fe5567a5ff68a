//! Compared with the previous submission (`--baseline PREVIOUS.json`, a JSON report of an
//! earlier run), in the manner of OHDSI Ares' release-to-release view: each finding that
//! fails or warns now or did then is marked `new`, `persisting`, `changed` (fails on a
//! different number of rows) or `resolved`; the package's measures that moved beyond a
//! tolerance since then (performances and euros per month, by class and in total) are
//! flagged for the coordinator; `--fail-on new` fails the gate only on what got worse.
//! Packages are matched by region (by name where a report has none).

use super::batch::BatchFinding;
use super::{PackageReport, Report, Status};
use crate::metrics::Metrics;
use serde::{Deserialize, Serialize};

/// How far a measure may move between submissions before it is flagged: a quarter.
pub const MOVED: f64 = 0.25;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeltaState {
    /// Fails or warns now; passed, or was not there, in the previous submission.
    New,
    /// Fails or warns now as then, on as many rows.
    Persisting,
    /// Fails or warns now as then, on another number of rows (or with another status).
    Changed,
    /// Failed or warned then; passes now.
    Resolved,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    pub state: DeltaState,
    /// Rows (or items) failing in the previous submission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_failing: Option<u64>,
}

fn flagged(s: Status) -> bool {
    matches!(s, Status::Fail | Status::Warning)
}

/// The previous submission's report of the same region (or package name).
fn previous<'a>(p: &PackageReport, before: &'a Report) -> Option<&'a PackageReport> {
    before.packages.iter().find(|b| match (&p.region, &b.region) {
        (Some(a), Some(b)) => a == b,
        _ => p.package == b.package,
    })
}

/// Marks every finding of `report` against `before`, and returns the measures that moved.
pub fn compare(report: &mut Report, before: &Report) -> Vec<BatchFinding> {
    let mut moved = Vec::new();
    for p in &mut report.packages {
        let prev = previous(p, before).cloned();
        for f in &mut p.findings {
            let then = prev.as_ref().and_then(|b| b.findings.iter().find(|x| x.rule == f.rule));
            let was = then.map(|t| (t.status, t.rows_failing));
            f.delta = match (flagged(f.status), was) {
                (true, Some((s, n))) if flagged(s) => Some(Delta {
                    state: if s == f.status && n == f.rows_failing { DeltaState::Persisting } else { DeltaState::Changed },
                    previous_failing: Some(n),
                }),
                (true, was) => Some(Delta { state: DeltaState::New, previous_failing: was.map(|(_, n)| n) }),
                (false, Some((s, n))) if flagged(s) && f.status == Status::Pass => {
                    Some(Delta { state: DeltaState::Resolved, previous_failing: Some(n) })
                }
                _ => None,
            };
        }
        if let (Some(now), Some(then)) = (p.metrics.as_ref(), prev.as_ref().and_then(|b| b.metrics.as_ref())) {
            moved.extend(moved_measures(p, now, months(p), then, prev.as_ref().map(months).unwrap_or(1.0)));
        }
    }
    moved
}

fn months(p: &PackageReport) -> f64 {
    let Some([a, b]) = &p.period else { return 1.0 };
    let ym = |d: &str| -> Option<i32> { Some(d.get(0..4)?.parse::<i32>().ok()? * 12 + d.get(5..7)?.parse::<i32>().ok()?) };
    match (ym(a), ym(b)) {
        (Some(a), Some(b)) => f64::from((b - a + 1).max(1)),
        _ => 1.0,
    }
}

/// Performances and euros per month, in total and by class with enough events, that moved
/// more than `MOVED` since the previous submission.
fn moved_measures(p: &PackageReport, now: &Metrics, months_now: f64, then: &Metrics, months_then: f64) -> Vec<BatchFinding> {
    let mut out = Vec::new();
    let mut classes: Vec<(&str, &crate::metrics::ClassMetrics, Option<&crate::metrics::ClassMetrics>)> =
        vec![("total", &now.total, Some(&then.total))];
    classes.extend(now.by_class.iter().map(|(k, c)| (k.as_str(), c, then.by_class.get(k))));
    for (class, c, before) in classes {
        let Some(before) = before else { continue };
        if c.events.max(before.events) < super::batch::MIN_EVENTS {
            continue;
        }
        for (what, a, b) in [("performances", c.volume, before.volume), ("euros", c.euros, before.euros)] {
            let (a, b) = (a / months_now, b / months_then);
            if b <= 0.0 {
                continue;
            }
            let change = a / b - 1.0;
            if change.abs() > MOVED {
                let class = if class == "total" { "all classes".to_string() } else { class.to_string() };
                out.push(BatchFinding {
                    code: "baseline-measure-moved".into(),
                    severity: "warning".into(),
                    message: format!(
                        "{}: {what} per month in {class} {} {} % since the previous submission ({} → {})",
                        p.package,
                        if change > 0.0 { "up" } else { "down" },
                        crate::frame::number((change.abs() * 100.0).round()),
                        crate::frame::number(b.round()),
                        crate::frame::number(a.round())
                    ),
                    packages: vec![p.package.clone()],
                    outlier: None,
                });
            }
        }
    }
    out
}

/// Whether a package got worse since the baseline: a failing rule that is new, or fails
/// on more rows (what `--fail-on new` gates on).
pub fn worse(p: &PackageReport) -> bool {
    p.findings.iter().any(|f| {
        f.status == Status::Fail
            && match &f.delta {
                Some(Delta { state: DeltaState::New, .. }) => true,
                Some(Delta { state: DeltaState::Changed, previous_failing }) => previous_failing.is_none_or(|n| f.rows_failing > n),
                _ => false,
            }
    })
}
