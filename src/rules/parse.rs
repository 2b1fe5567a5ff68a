//! Rule files: parsed with spans, then validated into a typed [`Rule`]. Every mistake of a
//! file is collected and reported together.

use super::model::*;
use crate::checks::{Check, ParseCx};
use crate::spanned::{Errors, SpanError, Table};
use std::path::Path;
use toml::de::{DeTable, DeValue};

const RULE_KEYS: &[&str] = &["id", "title", "severity", "perspectives", "docs", "check", "threshold", "examples"];
const DOCS_KEYS: &[&str] = &["what", "why", "how_to_fix", "references", "threshold", "fi"];
const LOCAL_DOCS_KEYS: &[&str] = &["title", "what", "why", "how_to_fix", "threshold"];

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
    let docs = parse_docs(&root, &mut errs);
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

/// `[docs]`: the English texts, then `[docs.fi]` with the same texts in Finnish.
fn parse_docs(root: &Table, errs: &mut Errors) -> Option<Docs> {
    let Some(d) = root.table("docs", errs) else {
        root.missing("docs", errs);
        return None;
    };
    let what = req_text(&d, "what", errs);
    let why = req_text(&d, "why", errs);
    let how_to_fix = req_text(&d, "how_to_fix", errs);
    let references = d.strings("references", errs);
    let threshold = d.str("threshold", errs);
    let fi = parse_local_docs(&d, threshold.is_some(), errs);
    d.finish(DOCS_KEYS, errs);
    Some(Docs { what: what?, why: why?, how_to_fix: how_to_fix?, references: references.unwrap_or_default(), threshold, fi: fi? })
}

/// `[docs.fi]`. Its `threshold` goes with the English one: both or neither, so a reader in
/// either language learns why the limit is what it is.
fn parse_local_docs(docs: &Table, english_threshold: bool, errs: &mut Errors) -> Option<LocalDocs> {
    let Some(v) = docs.get("fi") else {
        errs.push_help(
            docs.span.clone(),
            "`docs` is missing its Finnish texts, `[docs.fi]`",
            "add [docs.fi] after the [docs] keys, with title, what, why, how_to_fix (and threshold when [docs] has one)",
        );
        return None;
    };
    let t = Table::new(v, "`[docs.fi]`", errs)?;
    let title = req_text(&t, "title", errs);
    let what = req_text(&t, "what", errs);
    let why = req_text(&t, "why", errs);
    let how_to_fix = req_text(&t, "how_to_fix", errs);
    let threshold = match (english_threshold, t.has("threshold")) {
        (true, false) => {
            errs.push_help(
                t.span.clone(),
                "`[docs.fi]` is missing `threshold`",
                "[docs] explains its threshold, so the Finnish texts must explain it too",
            );
            None
        }
        (false, true) => {
            errs.push_help(
                t.span_of("threshold"),
                "`threshold` in `[docs.fi]` but not in `[docs]`",
                "explain the threshold in both languages, or in neither",
            );
            t.mark("threshold");
            None
        }
        _ => t.str("threshold", errs),
    };
    t.finish(LOCAL_DOCS_KEYS, errs);
    Some(LocalDocs { title: title?, what: what?, why: why?, how_to_fix: how_to_fix?, threshold })
}

/// A required text that must say something: an empty `how_to_fix = ""` is as missing as none.
fn req_text(t: &Table, key: &str, errs: &mut Errors) -> Option<String> {
    let s = t.req_str(key, errs)?;
    if s.trim().is_empty() {
        errs.push(t.span_of(key), format!("`{key}` in {} is empty", t.what));
        return None;
    }
    Some(s)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

    const DOCS: &str = r#"
[docs]
what = "Every event has an id."
why = "Events without an id cannot be told apart."
how_to_fix = "Export the event key of the source system as event_id."
references = ["contract"]
threshold = "None accepted."

[docs.fi]
title = "Tapahtumilla on tunniste"
what = "Jokaisella tapahtumalla on tunniste."
why = "Tunnisteettomia tapahtumia ei voi erottaa toisistaan."
how_to_fix = "Vie lähdejärjestelmän tapahtuma-avain sarakkeeseen event_id."
threshold = "Yhtään ei hyväksytä."
"#;

    const REST: &str = r#"
[check]
kind = "not-null"
table = "activity"
columns = ["event_id"]

[[examples]]
name = "filled"
expect = "pass"
[examples.tables]
activity = """
event_id
e1
"""

[[examples]]
name = "empty"
expect = "fail"
flagged = [2]
[examples.tables]
activity = """
event_id,age
,3
"""
"#;

    fn text(docs: &str) -> String {
        format!("id = \"event-id-missing\"\ntitle = \"Events have ids\"\nseverity = \"error\"\nperspectives = [\"quality\"]\n{docs}{REST}")
    }

    fn parse(docs: &str) -> Result<Rule, Vec<SpanError>> {
        parse_rule(Path::new("rules/completeness/event-id-missing.toml"), "completeness", &text(docs))
    }

    fn messages(docs: &str) -> Vec<String> {
        parse(docs).err().expect("the rule should not parse").into_iter().map(|e| e.message).collect()
    }

    #[test]
    fn complete_docs_parse_into_both_languages() {
        let r = parse(DOCS).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.title(Lang::En), "Events have ids");
        assert_eq!(r.title(Lang::Fi), "Tapahtumilla on tunniste");
        assert_eq!(r.docs.how_to_fix(Lang::En), "Export the event key of the source system as event_id.");
        assert_eq!(r.docs.how_to_fix(Lang::Fi), "Vie lähdejärjestelmän tapahtuma-avain sarakkeeseen event_id.");
        assert_eq!(r.docs.what(Lang::Fi), "Jokaisella tapahtumalla on tunniste.");
        assert_eq!(r.docs.why(Lang::En), "Events without an id cannot be told apart.");
        assert_eq!(r.docs.threshold(Lang::Fi), Some("Yhtään ei hyväksytä."));
    }

    #[test]
    fn missing_keys_point_at_their_table() {
        let docs = DOCS.replace("how_to_fix = \"Export the event key of the source system as event_id.\"\n", "");
        let errs = parse(&docs).err().expect("must fail");
        let e = errs.iter().find(|e| e.message == "`docs` is missing `how_to_fix`").unwrap_or_else(|| panic!("{errs:?}"));
        assert_eq!(&text(&docs)[e.span.clone()], "[docs]");
        let docs = DOCS.replace("title = \"Tapahtumilla on tunniste\"\n", "");
        let errs = parse(&docs).err().expect("must fail");
        let e = errs.iter().find(|e| e.message == "`[docs.fi]` is missing `title`").unwrap_or_else(|| panic!("{errs:?}"));
        assert_eq!(&text(&docs)[e.span.clone()], "[docs.fi]");
    }

    #[test]
    fn missing_finnish_texts_are_an_error() {
        let docs = DOCS.split("[docs.fi]").next().unwrap().to_string();
        let m = messages(&docs);
        assert!(m.iter().any(|m| m.contains("missing its Finnish texts")), "{m:?}");
    }

    #[test]
    fn every_finnish_text_is_required() {
        for key in ["title", "what", "why", "how_to_fix"] {
            let docs: String = DOCS
                .split_inclusive('\n')
                .scan(false, |in_fi, line| {
                    *in_fi |= line.starts_with("[docs.fi]");
                    Some(if *in_fi && line.starts_with(&format!("{key} = ")) { String::new() } else { line.to_string() })
                })
                .collect();
            let m = messages(&docs);
            assert!(m.contains(&format!("`[docs.fi]` is missing `{key}`")), "{key}: {m:?}");
        }
    }

    #[test]
    fn finnish_threshold_goes_with_the_english_one() {
        let m = messages(&DOCS.replace("threshold = \"Yhtään ei hyväksytä.\"\n", ""));
        assert!(m.iter().any(|m| m == "`[docs.fi]` is missing `threshold`"), "{m:?}");
        let m = messages(&DOCS.replace("threshold = \"None accepted.\"\n", ""));
        assert!(m.iter().any(|m| m == "`threshold` in `[docs.fi]` but not in `[docs]`"), "{m:?}");
    }

    #[test]
    fn unknown_and_empty_keys_are_rejected() {
        let m = messages(&DOCS.replace("title = ", "tittle = "));
        assert!(m.iter().any(|m| m == "unknown key `tittle` in `[docs.fi]`"), "{m:?}");
        let m = messages(&DOCS.replace("how_to_fix = \"Export the event key of the source system as event_id.\"", "how_to_fix = \"  \""));
        assert!(m.iter().any(|m| m == "`how_to_fix` in `docs` is empty"), "{m:?}");
        let m = messages(&DOCS.replace("[docs.fi]", "[docs.sv]"));
        assert!(m.iter().any(|m| m == "unknown key `sv` in `docs`"), "{m:?}");
    }
}
