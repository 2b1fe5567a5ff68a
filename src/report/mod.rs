//! The report model: findings are data; the human, JSON, JUnit, Markdown and HTML renderers
//! are views of it. Everything is sorted so the same input gives the same report byte for byte.

pub mod baseline;
pub mod batch;
pub mod build;
pub mod fix_first;
pub mod html;
pub mod human;
pub mod i18n;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod page;
pub mod view;

use crate::model::{BreakdownRow, Sample};
use crate::package::problem::{InputProblem, Level};
use serde::Serialize;

/// Version of the JSON report schema (docs/report-schema.md).
pub const SCHEMA_VERSION: &str = "1.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Fail,
    Warning,
    NotEvaluated,
    Info,
    Pass,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Warning => "warning",
            Status::NotEvaluated => "not-evaluated",
            Status::Info => "info",
            Status::Pass => "pass",
        }
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Finding {
    pub rule: String,
    pub title: String,
    pub family: String,
    pub severity: String,
    pub perspectives: Vec<String>,
    /// Why it matters for comparability: the first sentence of the rule's docs.
    pub why: String,
    pub kind: String,
    pub table: String,
    pub columns: Vec<String>,
    pub status: Status,
    /// Why the rule was not evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Rows (or items: months, members, keys) the rule looked at.
    pub rows_evaluated: u64,
    pub rows_failing: u64,
    /// Failing share of rows, or of the measure for weighted checks.
    pub failing_share: f64,
    /// What was measured and its value, e.g. `coverage` 0.9931.
    pub measured: Measured,
    pub threshold: String,
    pub samples: Vec<Sample>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdown: Vec<BreakdownRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Rows (or items) that fail the check although the rule passes, within its tolerance:
    /// shown so a coordinator still sees them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub within_tolerance: u64,
    /// Failing rows per `table.column`, for a rule over several columns or tables (a row
    /// failing on two columns counts under both).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub failing_by_column: std::collections::BTreeMap<String, u64>,
    /// Compared with the previous submission (`--baseline`): what became of this finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<baseline::Delta>,
    /// How sample positions are named: `line` (CSV) or `row` (Parquet).
    pub position: String,
    /// The file the samples point into.
    pub file: String,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Measured {
    pub name: String,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Conformant,
    GateFailed,
    InputError,
}

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct Summary {
    pub rules: usize,
    pub passed: usize,
    pub failed: usize,
    pub warnings: usize,
    pub info: usize,
    pub not_evaluated: usize,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PackageReport {
    pub package: String,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<[String; 2]>,
    pub classifications: std::collections::BTreeMap<String, String>,
    pub verdict: Verdict,
    pub summary: Summary,
    pub input_problems: Vec<InputProblem>,
    pub findings: Vec<Finding>,
    /// The package's key measures, per service class and in total (also when rules pass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<crate::metrics::Metrics>,
    /// What to fix first: the failing and warning findings grouped by their cause, worst
    /// first (`fix_first::annotate`; empty when every rule passes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fix_first: Vec<fix_first::FixItem>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Report {
    pub schema_version: String,
    pub tool: String,
    pub suite: String,
    /// What fails the gate: `error` (a failing error rule), `warning` (also a warning),
    /// `new` (a failure that is new or worse since the baseline).
    pub fail_on: FailOn,
    pub packages: Vec<PackageReport>,
    /// The batch as a unit (several packages): regions, matrix, comparability, findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<batch::Batch>,
}

/// What fails a package's gate (`--fail-on`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    /// A failing rule of severity error.
    #[default]
    Error,
    /// Also a rule that warns.
    Warning,
    /// Only a failing error rule that is new, or fails on more rows, since the baseline.
    New,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Finding {
    /// Failing rows per `table.column`, most first (ties by name).
    pub fn by_column_ranked(&self) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self.failing_by_column.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }
}

impl PackageReport {
    pub fn finish(mut self) -> Self {
        self.redact();
        self.findings.sort_by(|a, b| a.rule.cmp(&b.rule));
        self.input_problems.sort_by(|a, b| {
            (a.level, &a.file, &a.table, &a.column, a.line, a.code).cmp(&(b.level, &b.file, &b.table, &b.column, b.line, b.code))
        });
        let mut s = Summary { rules: self.findings.len(), ..Default::default() };
        for f in &self.findings {
            match f.status {
                Status::Pass => s.passed += 1,
                Status::Fail => s.failed += 1,
                Status::Warning => s.warnings += 1,
                Status::Info => s.info += 1,
                Status::NotEvaluated => s.not_evaluated += 1,
            }
        }
        self.verdict = if self.input_problems.iter().any(|p| p.level == Level::Error) {
            Verdict::InputError
        } else if s.failed > 0 {
            Verdict::GateFailed
        } else {
            Verdict::Conformant
        };
        self.summary = s;
        self
    }
}

impl PackageReport {
    /// Every string that may come from the package (names, paths, values, keys, groups,
    /// columns, messages) made safe to show (`redact::shown`): identity codes never leave
    /// sotecheck in full, whichever rule or loader met them, and no value can flood a report
    /// or a terminal. Idempotent, so a finished report may be finished again.
    fn redact(&mut self) {
        use crate::redact::{shown, shown_message, VALUE_CHARS};
        let value = |s: &mut String| *s = shown(s, VALUE_CHARS);
        let message = |s: &mut String| *s = shown_message(s);
        value(&mut self.package);
        value(&mut self.source);
        for v in self.classifications.values_mut() {
            value(v);
        }
        for f in &mut self.findings {
            value(&mut f.file);
            f.columns.iter_mut().for_each(value);
            if let Some(r) = &mut f.reason {
                message(r);
            }
            f.notes.iter_mut().for_each(message);
            for s in &mut f.samples {
                if let Some(k) = &mut s.key {
                    value(k);
                }
                s.values = std::mem::take(&mut s.values)
                    .into_iter()
                    .map(|(k, v)| (shown(&k, VALUE_CHARS), v.map(|v| shown(&v, VALUE_CHARS))))
                    .collect();
            }
            for b in &mut f.breakdown {
                if let Some(g) = &mut b.group {
                    value(g);
                }
            }
            f.failing_by_column = std::mem::take(&mut f.failing_by_column).into_iter().map(|(k, n)| (shown(&k, VALUE_CHARS), n)).collect();
        }
        if let Some(m) = &mut self.metrics {
            // Classes are keyed by the service codes as delivered.
            m.by_class = std::mem::take(&mut m.by_class).into_iter().map(|(k, c)| (shown(&k, VALUE_CHARS), c)).collect();
        }
        for p in &mut self.input_problems {
            value(&mut p.file);
            if let Some(t) = &mut p.table {
                value(t);
            }
            if let Some(c) = &mut p.column {
                value(c);
            }
            message(&mut p.message);
            if let Some(h) = &mut p.help {
                message(h);
            }
        }
    }
}

impl Report {
    /// Applies `fail_on` to every package's verdict: with `warning`, a package whose rules
    /// only warn fails the gate too.
    pub fn gate(mut self, fail_on: FailOn) -> Report {
        self.fail_on = fail_on;
        for p in &mut self.packages {
            if fail_on == FailOn::Warning && p.verdict == Verdict::Conformant && p.summary.warnings > 0 {
                p.verdict = Verdict::GateFailed;
            }
        }
        self
    }

    /// 0 conformant, 1 a gate failed, 2 input error (the worst package decides). With
    /// `fail_on = new`, a package fails the gate only when it got worse since the baseline
    /// (its verdict still says whether it conforms).
    pub fn exit_code(&self) -> i32 {
        let mut code = 0;
        for p in &self.packages {
            code = code.max(match (p.verdict, self.fail_on) {
                (Verdict::InputError, _) => 2,
                (_, FailOn::New) => i32::from(baseline::worse(p)),
                (Verdict::GateFailed, _) => 1,
                (Verdict::Conformant, _) => 0,
            });
        }
        code
    }
}
