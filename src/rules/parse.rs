//! Rule files: parsed with spans, then validated into a typed [`Rule`]. Every mistake of a
//! file is collected and reported together.

use super::model::*;
use crate::checks::{Check, ParseCx};
use crate::spanned::{Errors, SpanError, Table};
use std::path::Path;
use toml::de::{DeTable, DeValue};

const RULE_KEYS: &[&str] = &["id", "title", "severity", "perspectives", "docs", "check", "threshold", "examples"];

/// Parses one rule file. `family` is the folder the file is in.
pub fn parse_rule(path: &Path, family: &str, text: &str) -> Result<Rule, Vec<SpanError>> {
    let mut errs = Errors::default();
    let doc = match DeTable::parse(text) {
        Ok(d) => d,
        Err(e) => {
            return Err(vec![SpanError {
                span: e.span().unwrap_or(0..0),
                message: format!("not valid TOML: {}", e.message()),
                help: None,
            }]);
        }
    };
    let root = Table::root(&doc, "the rule");
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let id = root.req_str("id", &mut errs);
    if let Some(id) = &id {
        if id != stem {
            errs.push_help(
                root.span_of("id"),
                format!("id `{id}` does not match the file name `{stem}.toml`"),
                "a rule's id and file name must agree, so `sotecheck explain ID` finds the file",
            );
        }
        if !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            errs.push(root.span_of("id"), "ids are kebab-case: lowercase letters, digits and `-`");
        }
    }
    if !FAMILIES.contains(&family) {
        errs.push_help(
            0..0,
            format!("the rule is in folder `{family}`, which is not a rule family"),
            format!("families: {}", FAMILIES.join(", ")),
        );
    }
    let title = root.req_str("title", &mut errs);
    let severity = root.req_str("severity", &mut errs).and_then(|s| {
        let v = Severity::parse(&s);
        if v.is_none() {
            let help = crate::suggest::best(&s, Severity::NAMES.iter().copied())
                .map(|x| format!("did you mean `{x}`?"))
                .unwrap_or_else(|| "error, warning or info".into());
            errs.push_help(root.span_of("severity"), format!("unknown severity `{s}`"), help);
        }
        v
    });
    let perspectives = if root.has("perspectives") {
        root.strings("perspectives", &mut errs)
    } else {
        root.missing("perspectives", &mut errs);
        None
    };
    if let Some(ps) = &perspectives {
        if ps.is_empty() {
            errs.push(root.span_of("perspectives"), "name at least one §29 perspective the rule protects");
        }
        for p in ps {
            if !PERSPECTIVES.contains(&p.as_str()) {
                let help = crate::suggest::best(p, PERSPECTIVES.iter().copied())
                    .map(|x| format!("did you mean `{x}`?"))
                    .unwrap_or_else(|| format!("perspectives: {}", PERSPECTIVES.join(", ")));
                errs.push_help(root.span_of("perspectives"), format!("unknown perspective `{p}`"), help);
            }
        }
    }
    let docs = match root.table("docs", &mut errs) {
        Some(d) => {
            let docs = Docs {
                what: d.req_str("what", &mut errs).unwrap_or_default(),
                why: d.req_str("why", &mut errs).unwrap_or_default(),
                references: d.strings("references", &mut errs).unwrap_or_default(),
                threshold: d.str("threshold", &mut errs),
            };
            d.finish(&["what", "why", "references", "threshold"], &mut errs);
            Some(docs)
        }
        None => {
            root.missing("docs", &mut errs);
            None
        }
    };
    let check = match root.table("check", &mut errs) {
        Some(c) => Check::parse(&c, &ParseCx, &mut errs),
        None => {
            root.missing("check", &mut errs);
            None
        }
    };
    let threshold = parse_threshold(&root, &mut errs);
    let examples: Vec<Example> = root.tables("examples", &mut errs).iter().filter_map(|e| parse_example(e, &mut errs)).collect();
    if !examples.iter().any(|e| e.expect == Expect::Pass) || !examples.iter().any(|e| e.expect == Expect::Fail) {
        errs.push_help(
            root.span_of("examples"),
            "a rule needs at least one passing and one failing example",
            "add [[examples]] with expect = \"pass\" and with expect = \"fail\"",
        );
    }
    root.finish(RULE_KEYS, &mut errs);
    if !errs.is_empty() {
        let mut e = errs.0;
        e.sort_by_key(|x| x.span.start);
        return Err(e);
    }
    Ok(Rule {
        id: id.expect("no errors"),
        family: family.to_string(),
        title: title.expect("no errors"),
        severity: severity.expect("no errors"),
        perspectives: perspectives.expect("no errors"),
        docs: docs.expect("no errors"),
        check: check.expect("no errors"),
        threshold,
        examples,
        path: path.to_path_buf(),
    })
}

pub fn parse_limits(t: &Table, errs: &mut Errors) -> Limits {
    let l = Limits {
        max_failing_rows: t.u64("max_failing_rows", errs),
        max_failing_share: t.f64("max_failing_share", errs),
        min_share: t.f64("min_share", errs),
    };
    for (key, v) in [("max_failing_share", l.max_failing_share), ("min_share", l.min_share)] {
        if v.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
            errs.push_help(t.span_of(key), format!("`{key}` is a share between 0 and 1"), "0.5 % is written 0.005");
        }
    }
    l
}

fn parse_threshold(root: &Table, errs: &mut Errors) -> Threshold {
    let Some(t) = root.table("threshold", errs) else {
        return Threshold::default();
    };
    let fail = parse_limits(&t, errs);
    let warn = t.table("warning", errs).map(|w| {
        let l = parse_limits(&w, errs);
        w.finish(&["max_failing_rows", "max_failing_share", "min_share"], errs);
        l
    });
    t.finish(&["max_failing_rows", "max_failing_share", "min_share", "warning"], errs);
    Threshold { fail, warn }
}

fn parse_example(t: &Table, errs: &mut Errors) -> Option<Example> {
    let name = t.req_str("name", errs);
    let expect = match t.req_str("expect", errs).as_deref() {
        Some("pass") => Some(Expect::Pass),
        Some("fail") => Some(Expect::Fail),
        Some(other) => {
            errs.push(t.span_of("expect"), format!("`expect` is \"pass\" or \"fail\", not `{other}`"));
            None
        }
        None => None,
    };
    let mut tables = std::collections::BTreeMap::new();
    if let Some(tt) = t.table("tables", errs) {
        for (key, span, v) in tt.entries() {
            tt.mark(&key);
            if crate::package::contract::table(&key).is_none() {
                let help = crate::suggest::best(&key, crate::package::contract::table_names())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_default();
                errs.push_help(span, format!("unknown table `{key}` in example"), help);
                continue;
            }
            match v.get_ref() {
                DeValue::String(s) => {
                    tables.insert(key, s.trim_start_matches('\n').to_string());
                }
                _ => errs.push(v.span(), "an example table is inline CSV text (a multi-line string)"),
            }
        }
    } else {
        t.missing("tables", errs);
    }
    let period = t.table("period", errs).and_then(|p| {
        let r = (p.req_str("start", errs), p.req_str("end", errs));
        p.finish(&["start", "end"], errs);
        match r {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        }
    });
    let mut classifications = std::collections::BTreeMap::new();
    if let Some(c) = t.table("classifications", errs) {
        for (key, _, _) in c.entries() {
            if let Some(v) = c.str(&key, errs) {
                classifications.insert(key, v);
            }
        }
    }
    let mut flagged = Vec::new();
    if let Some(v) = t.get("flagged") {
        match v.get_ref() {
            DeValue::Array(items) => {
                for i in items.iter() {
                    match i.get_ref() {
                        DeValue::Integer(n) => match n.as_str().parse() {
                            Ok(n) => flagged.push(Flag::Line(n)),
                            Err(_) => errs.push(i.span(), "a line number must be a positive integer"),
                        },
                        DeValue::String(s) => flagged.push(Flag::Key(s.to_string())),
                        _ => errs.push(i.span(), "`flagged` holds line numbers or item keys"),
                    }
                }
            }
            _ => errs.push(v.span(), "`flagged` must be an array of line numbers or item keys"),
        }
    }
    let failing = t.u64("failing", errs);
    if expect == Some(Expect::Fail) && flagged.is_empty() && failing.is_none() {
        errs.push_help(
            t.span.clone(),
            "a failing example must name what it flags",
            "add `flagged = [3]` (CSV lines, header = 1) or item keys, and/or `failing = N`",
        );
    }
    let region = t.str("region", errs);
    t.finish(&["name", "expect", "tables", "region", "period", "classifications", "flagged", "failing"], errs);
    Some(Example { name: name?, expect: expect?, tables, region, period, classifications, flagged, failing })
}
