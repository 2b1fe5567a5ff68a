//! Conformance suites: `conformance-suites/<suite>/<version>.toml` selects rules, overrides
//! severities and thresholds, restricts and pins code-list versions, and carries cases
//! (a fixture package and its expected outcome). Released versions are frozen.

use crate::rules::model::{Severity, Threshold};
use crate::rules::{FileErrors, Rule};
use crate::spanned::{Errors, SpanError, Table};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::de::DeTable;

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub package: PathBuf,
    /// `conformant`, `gate-failed` or `input-error`.
    pub verdict: String,
    /// Exactly these rules must fail or warn; every other evaluated rule must pass.
    pub findings: BTreeMap<String, Option<u64>>,
}

#[derive(Debug, Clone)]
pub struct Suite {
    pub name: String,
    pub version: String,
    pub description: String,
    pub path: PathBuf,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Classification key → accepted code-list ids (empty = any the registry knows).
    pub accept: BTreeMap<String, Vec<String>>,
    pub pins: BTreeMap<String, String>,
    pub severity: BTreeMap<String, Severity>,
    pub thresholds: BTreeMap<String, Threshold>,
    pub cases: Vec<Case>,
}

impl Suite {
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// The suite's rules, with its overrides applied, sorted by id.
    pub fn select(&self, all: &[Rule]) -> Vec<Rule> {
        let matches = |pat: &str, r: &Rule| pat == "*" || pat == r.id || pat.strip_suffix("/*").is_some_and(|fam| fam == r.family);
        all.iter()
            .filter(|r| self.include.iter().any(|p| matches(p, r)) && !self.exclude.iter().any(|p| matches(p, r)))
            .map(|r| {
                let mut r = r.clone();
                if let Some(s) = self.severity.get(&r.id) {
                    r.severity = *s;
                }
                if let Some(t) = self.thresholds.get(&r.id) {
                    r.threshold = t.clone();
                }
                r
            })
            .collect()
    }
}

/// Finds a suite and reads it: a path to a .toml, `name@version`, or `name` (its highest
/// version) among the shipped suites. Gives its path and text.
pub fn resolve(spec: &str) -> Result<(PathBuf, String), String> {
    let p = Path::new(spec);
    if p.extension().is_some_and(|e| e == "toml") {
        return std::fs::read_to_string(p).map(|t| (p.to_path_buf(), t)).map_err(|e| format!("cannot read suite file {spec}: {e}"));
    }
    let files = crate::builtin::suite_files();
    // (suite, version) of a shipped file `<suite>/<version>.toml`.
    let named = |path: &Path| -> Option<(String, String)> {
        let version = path.file_stem()?.to_str()?.to_string();
        let suite = path.parent()?.file_name()?.to_str()?.to_string();
        Some((suite, version))
    };
    let (name, version) = spec.split_once('@').map(|(a, b)| (a, Some(b))).unwrap_or((spec, None));
    let mut versions: Vec<(Vec<u64>, &(PathBuf, String))> = files
        .iter()
        .filter_map(|f| {
            let (s, v) = named(&f.0)?;
            (s == name).then(|| (v.split('.').map(|x| x.parse::<u64>().unwrap_or(0)).collect(), f))
        })
        .collect();
    if versions.is_empty() {
        let mut names: Vec<String> = files.iter().filter_map(|f| named(&f.0).map(|(s, _)| s)).collect();
        names.dedup();
        return Err(format!("no suite `{name}`; suites: {}", names.join(", ")));
    }
    versions.sort_by(|a, b| a.0.cmp(&b.0));
    match version {
        Some(v) => versions
            .iter()
            .find(|(_, f)| named(&f.0).is_some_and(|(_, x)| x == v))
            .map(|(_, f)| (*f).clone())
            .ok_or_else(|| format!("suite `{name}` has no version {v}")),
        None => Ok(versions.last().expect("not empty").1.clone()),
    }
}

/// Loads a suite file from disk.
pub fn load(path: &Path, rules: &[Rule]) -> Result<Suite, FileErrors> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| FileErrors::new(path, "", vec![SpanError { span: 0..0, message: e.to_string(), help: None }]))?;
    parse(path, &text, rules).map_err(|errors| FileErrors::new(path, &text, errors))
}

pub fn parse(path: &Path, text: &str, rules: &[Rule]) -> Result<Suite, Vec<SpanError>> {
    let doc = DeTable::parse(text)
        .map_err(|e| vec![SpanError { span: e.span().unwrap_or(0..0), message: format!("not valid TOML: {}", e.message()), help: None }])?;
    let mut errs = Errors::default();
    let root = Table::root(&doc, "the suite");
    let name = root.req_str("name", &mut errs);
    let version = root.req_str("version", &mut errs);
    let description = root.str("description", &mut errs).unwrap_or_default();
    let include = root.strings("rules", &mut errs).unwrap_or_else(|| vec!["*".into()]);
    let exclude = root.strings("exclude", &mut errs).unwrap_or_default();
    let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    let check_id = |id: &str, span: std::ops::Range<usize>, errs: &mut Errors| {
        if id == "*" || id.ends_with("/*") || ids.contains(&id) {
            return;
        }
        let help = crate::suggest::best(id, ids.iter().copied())
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| "see `sotecheck rules`".into());
        errs.push_help(span, format!("no rule `{id}`"), help);
    };
    for id in include.iter() {
        check_id(id, root.span_of("rules"), &mut errs);
    }
    for id in exclude.iter() {
        check_id(id, root.span_of("exclude"), &mut errs);
    }
    let mut accept = BTreeMap::new();
    if let Some(a) = root.table("accept", &mut errs) {
        for (k, _, _) in a.entries() {
            if let Some(v) = a.strings(&k, &mut errs) {
                accept.insert(k, v);
            }
        }
    }
    let mut pins = BTreeMap::new();
    if let Some(p) = root.table("pins", &mut errs) {
        for (k, _, _) in p.entries() {
            if let Some(v) = p.str(&k, &mut errs) {
                pins.insert(k, v);
            }
        }
    }
    let (mut severity, mut thresholds) = (BTreeMap::new(), BTreeMap::new());
    if let Some(o) = root.table("overrides", &mut errs) {
        for (id, span, v) in o.entries() {
            o.mark(&id);
            check_id(&id, span, &mut errs);
            let Some(t) = Table::new(v, &format!("override `{id}`"), &mut errs) else {
                continue;
            };
            if let Some(s) = t.str("severity", &mut errs) {
                match Severity::parse(&s) {
                    Some(s) => {
                        severity.insert(id.clone(), s);
                    }
                    None => errs.push(t.span_of("severity"), format!("unknown severity `{s}`")),
                }
            }
            if let Some(th) = t.table("threshold", &mut errs) {
                let fail = crate::rules::parse::parse_limits(&th, &mut errs);
                let warn = th.table("warning", &mut errs).map(|w| {
                    let l = crate::rules::parse::parse_limits(&w, &mut errs);
                    w.finish(&["max_failing_rows", "max_failing_share", "min_share"], &mut errs);
                    l
                });
                th.finish(&["max_failing_rows", "max_failing_share", "min_share", "warning"], &mut errs);
                thresholds.insert(id.clone(), Threshold { fail, warn });
            }
            t.finish(&["severity", "threshold"], &mut errs);
        }
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let mut cases = Vec::new();
    for c in root.tables("cases", &mut errs) {
        let name = c.req_str("name", &mut errs);
        let package = c.req_str("package", &mut errs).map(|p| base.join(p));
        let verdict = c.req_str("verdict", &mut errs);
        if let Some(v) = &verdict {
            if !["conformant", "gate-failed", "input-error"].contains(&v.as_str()) {
                errs.push(c.span_of("verdict"), format!("verdict `{v}` is not conformant, gate-failed or input-error"));
            }
        }
        let mut findings = BTreeMap::new();
        if let Some(f) = c.table("findings", &mut errs) {
            for (id, span, v) in f.entries() {
                f.mark(&id);
                check_id(&id, span.clone(), &mut errs);
                match crate::spanned::as_f64(v) {
                    Some(n) if n >= 0.0 => {
                        findings.insert(id, Some(n as u64));
                    }
                    _ if matches!(v.get_ref(), toml::de::DeValue::Boolean(true)) => {
                        findings.insert(id, None);
                    }
                    _ => errs.push(v.span(), "a finding is its failing count, or `true` for any count"),
                }
            }
        }
        c.finish(&["name", "package", "verdict", "findings"], &mut errs);
        if let (Some(name), Some(package), Some(verdict)) = (name, package, verdict) {
            cases.push(Case { name, package, verdict, findings });
        }
    }
    root.finish(&["name", "version", "description", "rules", "exclude", "accept", "pins", "overrides", "cases"], &mut errs);
    if !errs.is_empty() {
        return Err(errs.0);
    }
    Ok(Suite {
        name: name.expect("checked"),
        version: version.expect("checked"),
        description,
        path: path.to_path_buf(),
        include,
        exclude,
        accept,
        pins,
        severity,
        thresholds,
        cases,
    })
}

/// The suites folder shipped with sotecheck.
pub fn builtin_dir() -> PathBuf {
    crate::builtin::suites_dir()
}
