//! The typed rule: what a validated rule file becomes.

use crate::checks::Check;
use crate::lang::Lang;
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

    /// The word shown to people: the id in English, the report's status word in Finnish.
    pub fn name(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::En, _) => self.as_str(),
            (Lang::Fi, Severity::Error) => "virhe",
            (Lang::Fi, Severity::Warning) => "varoitus",
            (Lang::Fi, Severity::Info) => "tiedoksi",
        }
    }
}

/// The comparison perspectives of Järjestämislaki 612/2021 §29.
pub const PERSPECTIVES: &[&str] =
    &["wellbeing-health", "need", "availability", "quality", "costs", "productivity", "equality", "integration"];

pub const FAMILIES: &[&str] = &["coverage", "validity", "completeness", "consistency", "privacy"];

/// A §29 perspective's name: the id in English (it is what suites and `--format json` use),
/// the name DigiFinland uses in Finnish.
pub fn perspective_name(id: &str, lang: Lang) -> &str {
    if lang == Lang::En {
        return id;
    }
    match id {
        "wellbeing-health" => "väestön hyvinvointi ja terveys",
        "need" => "sosiaali- ja terveydenhuollon tarve",
        "availability" => "sote-palvelujen saatavuus",
        "quality" => "sote-palvelujen laatu",
        "costs" => "sosiaali- ja terveydenhuollon kustannukset",
        "productivity" => "sote-palvelujen tuottavuus",
        "equality" => "sosiaali- ja terveydenhuollon yhdenvertaisuus",
        "integration" => "asiakkaiden palvelujen yhteensovittaminen",
        other => other,
    }
}

/// A rule family's name: the id in English, the report word in Finnish.
pub fn family_name(id: &str, lang: Lang) -> &str {
    if lang == Lang::En {
        return id;
    }
    match id {
        "coverage" => "kattavuus",
        "validity" => "oikeellisuus",
        "completeness" => "täydellisyys",
        "consistency" => "yhtäpitävyys",
        "privacy" => "tietosuoja",
        other => other,
    }
}

/// A rule's documentation. The English texts are the fields; the Finnish ones are in `fi`.
/// Read them through the accessors, which pick the language.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Docs {
    pub what: String,
    pub why: String,
    /// What a region's analyst changes in their systems, and how they verify it.
    pub how_to_fix: String,
    pub references: Vec<String>,
    /// Why the threshold or band is what it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    pub fi: LocalDocs,
}

/// The texts of a rule in another language than English (`[docs.fi]`). References are not
/// translated: they name laws and publications by their own titles.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LocalDocs {
    pub title: String,
    pub what: String,
    pub why: String,
    pub how_to_fix: String,
    /// Present exactly when the English `threshold` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
}

impl Docs {
    pub fn what(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.what,
            Lang::Fi => &self.fi.what,
        }
    }
    pub fn why(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.why,
            Lang::Fi => &self.fi.why,
        }
    }
    pub fn how_to_fix(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.how_to_fix,
            Lang::Fi => &self.fi.how_to_fix,
        }
    }
    pub fn threshold(&self, lang: Lang) -> Option<&str> {
        match lang {
            Lang::En => self.threshold.as_deref(),
            Lang::Fi => self.fi.threshold.as_deref(),
        }
    }
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
        self.describe_in(Lang::En)
    }

    pub fn describe_in(&self, lang: Lang) -> String {
        let (share, failing, failing_rows, none) = match lang {
            Lang::En => ("share", "failing", "failing rows", "no failing rows"),
            Lang::Fi => ("osuus", "virheellisiä", "virheellisiä rivejä", "ei yhtään virheellistä riviä"),
        };
        let mut parts = Vec::new();
        if let Some(m) = self.min_share {
            parts.push(format!("{share} ≥ {}", pct_in(m, lang)));
        }
        if let Some(m) = self.max_failing_share {
            parts.push(format!("{failing} ≤ {}", pct_in(m, lang)));
        }
        if let Some(m) = self.max_failing_rows {
            parts.push(format!("{failing_rows} ≤ {}", lang.int(m)));
        }
        if parts.is_empty() {
            none.into()
        } else {
            parts.join(", ")
        }
    }
}

pub use crate::frame::pct;

/// A share as a percentage in a language's number format: `0.155 %`, in Finnish `0,155 %`.
pub fn pct_in(share: f64, lang: Lang) -> String {
    lang.decimal(&pct(share))
}

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

impl Rule {
    /// The title in a language; the English one is the rule file's top-level `title`.
    pub fn title(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.title,
            Lang::Fi => &self.docs.fi.title,
        }
    }
}
