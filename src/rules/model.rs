//! The typed rule: what a validated rule file becomes.

use crate::checks::Check;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub const NAMES: &'static [&'static str] = &["error", "warning", "info"];
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// The comparison perspectives of Järjestämislaki 612/2021 §29.
pub const PERSPECTIVES: &[&str] =
    &["wellbeing-health", "need", "availability", "quality", "costs", "productivity", "equality", "integration"];

pub const FAMILIES: &[&str] = &["coverage", "validity", "completeness", "consistency", "privacy"];

#[derive(Debug, Clone, Default, Serialize)]
pub struct Docs {
    pub what: String,
    pub why: String,
    pub references: Vec<String>,
    /// Why the threshold or band is what it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
}

/// Limits on a measured result. Several may be given; all must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Limits {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_failing_rows: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_failing_share: Option<f64>,
    /// Minimum share that passes (coverage): 1 − failing share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_share: Option<f64>,
}

impl Limits {
    pub fn is_empty(&self) -> bool {
        self.max_failing_rows.is_none() && self.max_failing_share.is_none() && self.min_share.is_none()
    }

    /// True when the result is within every limit. No limits means no failing row at all.
    pub fn holds(&self, failing_rows: u64, failing_share: f64) -> bool {
        if self.is_empty() {
            return failing_rows == 0;
        }
        // Shares are compared with a little slack so 0.98 of 50 rows (49/50) is not lost to
        // floating point.
        const EPS: f64 = 1e-12;
        self.max_failing_rows.is_none_or(|m| failing_rows <= m)
            && self.max_failing_share.is_none_or(|m| failing_share <= m + EPS)
            && self.min_share.is_none_or(|m| 1.0 - failing_share + EPS >= m)
    }

    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(m) = self.min_share {
            parts.push(format!("share ≥ {}", pct(m)));
        }
        if let Some(m) = self.max_failing_share {
            parts.push(format!("failing ≤ {}", pct(m)));
        }
        if let Some(m) = self.max_failing_rows {
            parts.push(format!("failing rows ≤ {m}"));
        }
        if parts.is_empty() {
            "no failing rows".into()
        } else {
            parts.join(", ")
        }
    }
}

pub use crate::frame::pct;

/// The gate limits and the optional stricter warning limits.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Threshold {
    pub fail: Limits,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warn: Option<Limits>,
}

/// What an example must produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    Pass,
    Fail,
}

/// A row or item an example says must be flagged.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum Flag {
    /// A line of the example's inline CSV (the header is line 1).
    Line(u64),
    /// An aggregate item: a month, a municipality, a key.
    Key(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct Example {
    pub name: String,
    pub expect: Expect,
    /// Table name → inline CSV text (`,`-separated, header first).
    pub tables: BTreeMap<String, String>,
    /// Descriptor `sote` overrides: region, period start/end, classifications.
    pub region: Option<String>,
    pub period: Option<(String, String)>,
    pub classifications: BTreeMap<String, String>,
    pub flagged: Vec<Flag>,
    pub failing: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub family: String,
    pub title: String,
    pub severity: Severity,
    pub perspectives: Vec<String>,
    pub docs: Docs,
    pub check: Check,
    pub threshold: Threshold,
    pub examples: Vec<Example>,
    pub path: PathBuf,
}
