//! `datapackage.json`: the Frictionless descriptor with the `sote` property, parsed and
//! validated into what the loader and rules need (region, period, classifications, resources).

use super::problem::{InputProblem, ProblemCode};
use crate::codelist::Registry;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
pub struct RawDescriptor {
    pub name: Option<String>,
    pub title: Option<String>,
    pub sote: Option<RawSote>,
    #[serde(default)]
    pub resources: Vec<Resource>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawSote {
    pub region: Option<String>,
    pub period: Option<RawPeriod>,
    #[serde(default)]
    pub classifications: BTreeMap<String, String>,
    pub contact: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawPeriod {
    pub start: Option<String>,
    pub end: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Resource {
    pub name: String,
    pub path: String,
    pub format: Option<String>,
    pub encoding: Option<String>,
    #[serde(default)]
    pub dialect: Dialect,
    pub schema: Option<Schema>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dialect {
    pub delimiter: Option<String>,
    pub header: Option<bool>,
    pub quote_char: Option<String>,
    pub decimal_char: Option<String>,
    /// Shorthand for `groupChar` on every number field (as `decimalChar`).
    pub group_char: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Schema {
    #[serde(default)]
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Option<String>,
    pub decimal_char: Option<String>,
    /// Thousands separator (Frictionless Table Schema), removed before a number is read.
    pub group_char: Option<String>,
}

/// The validated descriptor.
#[derive(Debug, Clone)]
pub struct Descriptor {
    pub name: String,
    pub title: Option<String>,
    pub region: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// key (`service`, `municipality`) → code-list id known to the registry.
    pub classifications: BTreeMap<String, String>,
    pub resources: Vec<Resource>,
}

pub const FILE: &str = "datapackage.json";

/// The default code list per classification key when a package does not name one.
pub const DEFAULT_MUNICIPALITY_LIST: &str = "kunta_1_20230101";

/// Parses and validates; every problem is pushed, and `None` is returned when the package
/// cannot be checked at all.
pub fn parse(text: &str, registry: &Registry, problems: &mut Vec<InputProblem>) -> Option<Descriptor> {
    let raw: RawDescriptor = match serde_json::from_str(crate::text::strip_bom(text)) {
        Ok(r) => r,
        Err(e) => {
            problems.push(
                InputProblem::error(ProblemCode::DescriptorInvalid, FILE, format!("not a valid descriptor: {e}"))
                    .line(e.line() as u64)
                    .help("datapackage.json must be a JSON object with `sote` and `resources` (see docs/package-format.md)"),
            );
            return None;
        }
    };
    let before = problems.len();
    let err = |code, msg: String| InputProblem::error(code, FILE, msg);
    let Some(sote) = raw.sote else {
        problems.push(err(ProblemCode::SoteMissing, "the descriptor has no `sote` property".into()).help(
            "add \"sote\": {\"region\": \"08\", \"period\": {\"start\": \"2025-01-01\", \"end\": \"2025-12-31\"}, \"classifications\": {\"service\": \"virta-palvelut@1.1\"}}",
        ));
        return None;
    };
    let region = sote.region.unwrap_or_default();
    let counties = registry.list("hyvinvointialue_1_20211013");
    if region.is_empty() {
        problems.push(err(ProblemCode::SoteMissing, "`sote.region` is missing".into()).help("give the two-digit county code, e.g. \"08\""));
    } else if region == "91" || counties.is_some_and(|l| l.get(&region).is_none()) {
        let why = if region == "91" {
            "91 (Åland) is in the classification but is not a reporting region"
        } else {
            "not a code of hyvinvointialue_1_20211013"
        };
        let mut p = err(ProblemCode::RegionUnknown, format!("`sote.region` `{region}`: {why}"));
        if region.len() == 1 && region.chars().all(|c| c.is_ascii_digit()) {
            p = p.help(format!("codes have two digits: did you mean \"0{region}\"?"));
        } else {
            p = p.help("use 01–21 or 90 (Helsinki)");
        }
        problems.push(p);
    }
    let date = |s: &Option<String>, what: &str, problems: &mut Vec<InputProblem>| -> Option<NaiveDate> {
        let v = s.as_deref().unwrap_or("");
        let d = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok();
        if d.is_none() {
            problems.push(
                err(ProblemCode::PeriodInvalid, format!("`sote.period.{what}` `{v}` is not an ISO date")).help("write dates as YYYY-MM-DD"),
            );
        }
        d
    };
    let (start, end) = match &sote.period {
        Some(p) => (date(&p.start, "start", problems), date(&p.end, "end", problems)),
        None => {
            problems.push(err(ProblemCode::SoteMissing, "`sote.period` is missing".into()));
            (None, None)
        }
    };
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            problems.push(err(ProblemCode::PeriodInvalid, format!("the period starts {s} after it ends {e}")));
        }
    }
    let mut classifications = sote.classifications.clone();
    classifications.entry("municipality".into()).or_insert_with(|| DEFAULT_MUNICIPALITY_LIST.into());
    if !classifications.contains_key("service") {
        problems.push(
            err(
                ProblemCode::SoteMissing,
                "`sote.classifications.service` is missing: the service codes cannot be read against any version".into(),
            )
            .help("name the version, e.g. \"service\": \"virta-palvelut@1.1\""),
        );
    }
    for (key, id) in &classifications {
        if registry.list(id).is_none() {
            let family = id.split('@').next().unwrap_or(id);
            let known = registry.versions_of(family);
            let help = if known.is_empty() {
                "known: virta-palvelut@1.0, virta-palvelut@1.1, kunta-palveluluokitus@2021..2023, kunta_1_20230101; a user's list can be added with --codelist ID=FILE".to_string()
            } else {
                format!("versions known: {}; add another with --codelist {id}=FILE", known.join(", "))
            };
            problems.push(
                err(ProblemCode::ClassificationUnknown, format!("classification `{key}` names `{id}`, which sotecheck does not have"))
                    .help(help),
            );
        }
    }
    resource_problems(&raw.resources, problems);
    if problems.len() > before {
        return None;
    }
    Some(Descriptor {
        name: raw.name.unwrap_or_else(|| "package".into()),
        title: raw.title,
        region,
        period_start: start?,
        period_end: end?,
        classifications,
        resources: raw.resources,
    })
}

/// Resources that cannot be read unambiguously: too many, a name given twice (which one is
/// the table?), or a thousands separator equal to the decimal mark (is `1,500` one and a half
/// or fifteen hundred?).
fn resource_problems(resources: &[Resource], problems: &mut Vec<InputProblem>) {
    if resources.len() > super::limits::RESOURCES {
        problems.push(
            InputProblem::error(
                ProblemCode::LimitExceeded,
                FILE,
                format!("the descriptor lists {} resources; at most {} are read", resources.len(), super::limits::RESOURCES),
            )
            .help("a package has one resource per table of the contract (activity, costs, staff, population, service_map)"),
        );
        return;
    }
    for (i, res) in resources.iter().enumerate() {
        if let Some(first) = resources[..i].iter().position(|r| r.name == res.name) {
            problems.push(
                InputProblem::error(
                    ProblemCode::DescriptorInvalid,
                    FILE,
                    format!(
                        "resources {} and {} are both named `{}` (`{}` and `{}`); which one is the table is ambiguous",
                        first + 1,
                        i + 1,
                        res.name,
                        resources[first].path,
                        res.path
                    ),
                )
                .help("give each table one resource: remove the other, or name it as the table it holds"),
            );
        }
        let dialect = (res.dialect.decimal_char.as_deref(), res.dialect.group_char.as_deref());
        let mut clashes = vec![("the dialect".to_string(), dialect)];
        for f in res.schema.iter().flat_map(|s| &s.fields) {
            if f.decimal_char.is_some() || f.group_char.is_some() {
                // A field's own mark, or the dialect's where it declares only the other.
                clashes.push((
                    format!("field `{}`", f.name),
                    (f.decimal_char.as_deref().or(dialect.0), f.group_char.as_deref().or(dialect.1)),
                ));
            }
        }
        for (place, (decimal, group)) in clashes {
            let decimal = decimal.unwrap_or(".");
            if group.is_some_and(|g| !g.is_empty() && g == decimal) {
                problems.push(
                    InputProblem::error(
                        ProblemCode::DescriptorInvalid,
                        FILE,
                        format!(
                            "resource `{}`: {place} declares `{decimal}` both as the decimal mark and as the thousands separator (groupChar)",
                            res.name
                        ),
                    )
                    .help(if decimal == "." {
                        "for Finnish numbers such as 1.620,50 declare \"decimalChar\": \",\" with \"groupChar\": \".\"; decimalChar defaults to \".\""
                    } else {
                        "declare different characters, e.g. \"decimalChar\": \",\" with \"groupChar\": \" \" (1 620,50)"
                    }),
                );
            }
        }
    }
}
