//! `datapackage.json`: the Frictionless descriptor with the `sote` property, parsed and
//! validated into what the loader and rules need (region, period, classifications, resources).

use super::contract::{ColType, TableSpec};
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

/// The CSV dialect as sotecheck reads it, from either form Frictionless tools write: the
/// flat one of Data Package v1 and v2 (`"dialect": {"delimiter": ";"}`) or frictionless-py
/// 5's, with the CSV options nested (`"dialect": {"csv": {"delimiter": ";"}}`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "RawDialect")]
pub struct Dialect {
    pub delimiter: Option<String>,
    pub header: Option<bool>,
    pub quote_char: Option<String>,
    pub decimal_char: Option<String>,
    /// Shorthand for `groupChar` on every number field (as `decimalChar`).
    pub group_char: Option<String>,
    /// Options given both flat and nested, with different values (`delimiter`: `;` and `,`).
    pub conflicts: Vec<String>,
    /// Options that would change how the file is read and that sotecheck does not follow
    /// (`escapeChar`, `doubleQuote: false`, `commentChar`, …), each as `name: value`.
    pub unsupported: Vec<String>,
}

/// CSV options as both forms spell them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CsvOptions {
    delimiter: Option<String>,
    quote_char: Option<String>,
    double_quote: Option<bool>,
    escape_char: Option<String>,
    null_sequence: Option<String>,
    skip_initial_space: Option<bool>,
    decimal_char: Option<String>,
    group_char: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDialect {
    #[serde(flatten)]
    flat: CsvOptions,
    /// frictionless-py 5 nests the CSV options here.
    #[serde(default)]
    csv: CsvOptions,
    header: Option<bool>,
    /// Data Package v2 / frictionless-py 5: the rows holding the header, 1-based.
    header_rows: Option<Vec<serde_json::Value>>,
    comment_char: Option<String>,
    comment_rows: Option<Vec<serde_json::Value>>,
}

impl From<RawDialect> for Dialect {
    fn from(raw: RawDialect) -> Dialect {
        let mut conflicts = Vec::new();
        let mut pick = |name: &str, flat: Option<String>, nested: Option<String>| -> Option<String> {
            match (flat, nested) {
                (Some(f), Some(n)) if f != n => {
                    conflicts.push(format!("`{name}`: `{f}` and `csv.{name}`: `{n}`"));
                    Some(f)
                }
                (f, n) => f.or(n),
            }
        };
        let (f, n) = (raw.flat, raw.csv);
        let delimiter = pick("delimiter", f.delimiter, n.delimiter);
        let quote_char = pick("quoteChar", f.quote_char, n.quote_char);
        let decimal_char = pick("decimalChar", f.decimal_char, n.decimal_char);
        let group_char = pick("groupChar", f.group_char, n.group_char);
        let escape_char = pick("escapeChar", f.escape_char, n.escape_char);
        let null_sequence = pick("nullSequence", f.null_sequence, n.null_sequence);
        let double_quote = f.double_quote.or(n.double_quote);
        let skip_initial_space = f.skip_initial_space.or(n.skip_initial_space);
        let mut unsupported = Vec::new();
        if let Some(e) = escape_char {
            unsupported.push(format!("escapeChar: {e:?}"));
        }
        if double_quote == Some(false) {
            unsupported.push("doubleQuote: false".into());
        }
        if let Some(n) = null_sequence.filter(|n| !n.is_empty()) {
            unsupported.push(format!("nullSequence: {n:?}"));
        }
        if skip_initial_space == Some(true) {
            unsupported.push("skipInitialSpace: true".into());
        }
        if let Some(c) = raw.comment_char {
            unsupported.push(format!("commentChar: {c:?}"));
        }
        if raw.comment_rows.as_ref().is_some_and(|r| !r.is_empty()) {
            unsupported.push("commentRows".into());
        }
        // `headerRows: [1]` is the default; `[]` is no header; anything else is not read.
        let mut header = raw.header;
        match raw.header_rows.as_deref() {
            None => {}
            Some([]) => header = header.or(Some(false)),
            Some([one]) if one.as_u64() == Some(1) => {}
            Some(rows) => unsupported.push(format!("headerRows: {}", serde_json::Value::from(rows.to_vec()))),
        }
        Dialect { delimiter, header, quote_char, decimal_char, group_char, conflicts, unsupported }
    }
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
        for c in &res.dialect.conflicts {
            problems.push(
                InputProblem::error(
                    ProblemCode::DescriptorInvalid,
                    FILE,
                    format!("resource `{}`: the dialect gives {c}; which one holds is ambiguous", res.name),
                )
                .help("keep one form: the flat `\"dialect\": {\"delimiter\": \";\"}` or frictionless-py's nested `\"dialect\": {\"csv\": {\"delimiter\": \";\"}}`"),
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

/// Notes for fields whose declared type differs from the contract's: tools that infer a
/// schema (frictionless-py's `describe`) declare `integer` on code columns such as `020`.
/// The contract's type is what sotecheck reads (leading zeros kept), so this is a note, not
/// an error; it says so because generic tools reading the declared type would lose them.
pub fn declared_type_notes(spec: &TableSpec, res: &Resource) -> Vec<InputProblem> {
    // One note per declared type and contract type, naming its fields.
    let mut groups: BTreeMap<(String, ColType), Vec<&str>> = BTreeMap::new();
    for f in res.schema.iter().flat_map(|s| &s.fields) {
        let (Some(col), Some(declared)) = (spec.column(&f.name), f.ty.as_deref()) else { continue };
        if !declared_matches(col.ty, declared) {
            groups.entry((declared.to_string(), col.ty)).or_default().push(col.name);
        }
    }
    groups
        .into_iter()
        .map(|((declared, ty), fields)| {
            let why = match ty {
                ColType::String => "codes, read as text: leading zeros such as `020` are kept",
                ColType::Date => "read as ISO dates, YYYY-MM-DD",
                ColType::Month => "read as months, YYYY-MM",
                ColType::Integer | ColType::Number => "read as numbers",
            };
            let names: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
            let (what, are, them) = if fields.len() == 1 { ("field", "is", "it") } else { ("fields", "are", "them") };
            let note = InputProblem::info(
                ProblemCode::FieldTypeDiffers,
                &res.path,
                format!(
                    "{what} {} {are} declared `{declared}`; sotecheck reads {them} as the contract's `{}` ({why})",
                    names.join(", "),
                    ty.name()
                ),
            )
            .table(spec.name)
            .count(fields.len() as u64)
            .help(format!(
                "declare \"type\": \"{}\" on {them} in the resource's schema, so that other tools read {them} the same way",
                frictionless_type(ty)
            ));
            if fields.len() == 1 {
                note.column(fields[0])
            } else {
                note
            }
        })
        .collect()
}

/// The Frictionless Table Schema type of a contract type.
pub fn frictionless_type(ty: ColType) -> &'static str {
    match ty {
        ColType::Month => "yearmonth",
        other => other.name(),
    }
}

/// Whether a declared Frictionless type reads a contract column's values as the contract
/// does (`any` declares nothing; an `integer` declared on a number column is a narrower
/// reading of the same numbers).
fn declared_matches(ty: ColType, declared: &str) -> bool {
    let declared = declared.to_ascii_lowercase();
    declared == "any" || declared == frictionless_type(ty) || declared == ty.name() || (ty == ColType::Number && declared == "integer")
}
