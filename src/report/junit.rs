//! The JUnit XML view for CI (Jenkins, GitLab, GitHub test reporters): one testsuite per
//! package, one testcase per rule, named by the rule id (`classname` `<package>.<family>`),
//! so a rule's history follows it from submission to submission.
//!
//! - A rule that fails the gate is a `<failure>`: a one-line `message`, and the whole
//!   finding — counts, failing rows per column, samples with their file and line, where
//!   they come from, why it matters — in the element's body (CDATA), where CI tools show
//!   it with its line breaks (an attribute's line breaks are folded by XML parsers).
//! - A rule that could not be evaluated is `<skipped>` with the reason: it is neither a
//!   pass nor a failure of the data.
//! - Warnings, info and passes within tolerance pass, with their text in `system-out`
//!   (warnings fail under `--fail-on warning`; with `--fail-on new`, failures that are not
//!   new pass, with their text).
//! - Input errors are `<error>` test cases named `input:<code>:<file>:<column>` (no line
//!   number, so the name is stable between submissions); input warnings pass with their
//!   text in `system-out`.
//! - A batch's findings for the coordinator are a `batch` testsuite of passing cases.
//!
//! The XML is written here, not by the junit-report crate: its 0.9 writer cut a failure's
//! CDATA body after the first line and closed it with `</system-out>`, which left no
//! details and broke parsers. The timestamp is fixed at the Unix epoch so reports stay
//! reproducible. The structure is checked against the Jenkins xunit plugin's JUnit schema
//! (junit-10.xsd) in `tests/junit.rs`, and read back by a JUnit parser there.

use super::{baseline, FailOn, Finding, PackageReport, Report, Status};
use crate::package::problem::{InputProblem, Level};
use std::collections::BTreeMap;

/// A testcase's outcome.
enum Outcome {
    Pass,
    /// Element (`failure`, `error`, `skipped`), type, one-line message, body.
    Not(&'static str, String, String, Option<String>),
}

struct Case {
    name: String,
    classname: String,
    outcome: Outcome,
    out: Option<String>,
}

/// An attribute value: markup escaped, and line breaks as character references, so a
/// parser keeps them instead of folding them into spaces.
fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            // Other control characters are not allowed in XML 1.0 at all.
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Text as CDATA, split where it holds `]]>`; control characters XML 1.0 forbids escaped.
fn cdata(s: &str) -> String {
    let clean: String = s.chars().map(|c| if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') { '\u{fffd}' } else { c }).collect();
    format!("<![CDATA[{}]]>", clean.replace("]]>", "]]]]><![CDATA[>"))
}

/// The one-line summary of a finding (the `message` attribute).
fn summary(f: &Finding) -> String {
    format!(
        "{}: {} of {} failing ({}), threshold: {}",
        f.title,
        f.rows_failing,
        f.rows_evaluated,
        crate::frame::pct(f.failing_share),
        f.threshold
    )
}

/// The whole finding, for a failure's body or system-out.
fn body(f: &Finding) -> String {
    let mut s = format!("{}\n{}\n", f.title, super::human::details(f));
    if let Some(d) = &f.delta {
        s.push_str(&format!(
            "since the previous submission: {}\n",
            serde_json::to_value(d.state).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
        ));
    }
    s
}

fn finding_case(p: &PackageReport, f: &Finding, fail_on: FailOn) -> Case {
    let failure = |type_: &str| Outcome::Not("failure", type_.to_string(), summary(f), Some(body(f)));
    let worse = || {
        matches!(&f.delta, Some(d) if d.state == baseline::DeltaState::New)
            || matches!(&f.delta, Some(baseline::Delta { state: baseline::DeltaState::Changed, previous_failing }) if previous_failing.is_none_or(|n| f.rows_failing > n))
    };
    let (outcome, out) = match f.status {
        Status::Fail if fail_on != FailOn::New || worse() => (failure(&f.kind), None),
        Status::Warning if fail_on == FailOn::Warning => (failure("warning"), None),
        Status::NotEvaluated => (Outcome::Not("skipped", "not-evaluated".into(), f.reason.clone().unwrap_or_default(), None), None),
        Status::Fail | Status::Warning | Status::Info => (Outcome::Pass, Some(format!("{}: {}", f.status.as_str(), body(f)))),
        Status::Pass if f.within_tolerance > 0 => {
            (Outcome::Pass, Some(format!("pass, {} within tolerance: {}", f.within_tolerance, body(f))))
        }
        Status::Pass => (Outcome::Pass, None),
    };
    Case { name: f.rule.clone(), classname: format!("{}.{}", p.package, f.family), outcome, out }
}

/// A stable name for an input problem: code, file and column, never a line.
fn input_name(x: &InputProblem) -> String {
    format!("input:{}:{}:{}", x.code.as_str(), x.file, x.column.as_deref().unwrap_or("-"))
}

fn input_text(x: &InputProblem) -> String {
    let mut s = x.message.clone();
    if let Some(l) = x.line {
        s.push_str(&format!("\nfirst at {}:{l}", x.file));
    }
    if let Some(h) = &x.help {
        s.push_str(&format!("\nhow to fix: {h}"));
    }
    s
}

/// Input problems as test cases, one per name (problems sharing a name are one case).
fn input_cases(p: &PackageReport) -> Vec<Case> {
    let mut by_name: BTreeMap<String, Vec<&InputProblem>> = BTreeMap::new();
    for x in &p.input_problems {
        by_name.entry(input_name(x)).or_default().push(x);
    }
    by_name
        .into_iter()
        .map(|(name, problems)| {
            let text = problems.iter().map(|x| input_text(x)).collect::<Vec<_>>().join("\n\n");
            let (outcome, out) = if problems.iter().any(|x| x.level == Level::Error) {
                let message = problems[0].message.lines().next().unwrap_or("").to_string();
                (Outcome::Not("error", problems[0].code.as_str(), message, Some(text)), None)
            } else {
                let level = if problems.iter().any(|x| x.level == Level::Warning) { "warning" } else { "info" };
                (Outcome::Pass, Some(format!("{level}: {text}")))
            };
            Case { name, classname: format!("{}.input", p.package), outcome, out }
        })
        .collect()
}

fn suite(out: &mut String, id: usize, name: &str, cases: &[Case]) {
    let count = |e: &str| cases.iter().filter(|c| matches!(&c.outcome, Outcome::Not(x, ..) if *x == e)).count();
    out.push_str(&format!(
        "  <testsuite id=\"{id}\" name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"0\" timestamp=\"1970-01-01T00:00:00Z\" hostname=\"localhost\">\n",
        attr(name),
        cases.len(),
        count("failure"),
        count("error"),
        count("skipped")
    ));
    for c in cases {
        out.push_str(&format!("    <testcase name=\"{}\" classname=\"{}\" time=\"0\"", attr(&c.name), attr(&c.classname)));
        if matches!(c.outcome, Outcome::Pass) && c.out.is_none() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        if let Outcome::Not(element, type_, message, body) = &c.outcome {
            out.push_str(&format!("      <{element} type=\"{}\" message=\"{}\"", attr(type_), attr(message)));
            match body {
                Some(b) => out.push_str(&format!(">{}</{element}>\n", cdata(b))),
                None => out.push_str("/>\n"),
            }
        }
        if let Some(o) = &c.out {
            out.push_str(&format!("      <system-out>{}</system-out>\n", cdata(o)));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n");
}

pub fn render(report: &Report) -> String {
    let mut suites: Vec<(String, Vec<Case>)> = report
        .packages
        .iter()
        .map(|p| {
            let mut cases = input_cases(p);
            cases.extend(p.findings.iter().map(|f| finding_case(p, f, report.fail_on)));
            (p.package.clone(), cases)
        })
        .collect();
    if let Some(batch) = report.batch.as_ref().filter(|b| !b.findings.is_empty()) {
        let cases = batch
            .findings
            .iter()
            .enumerate()
            .map(|(i, f)| Case {
                name: match &f.outlier {
                    Some(o) => format!("{}:{}:{}:{}", f.code, f.packages.join("+"), o.class, o.measure),
                    None => format!("{}:{}", f.code, f.packages.join("+")),
                },
                classname: "batch".into(),
                outcome: Outcome::Pass,
                out: Some(format!("{} #{}: {}", f.severity, i + 1, f.message)),
            })
            .collect();
        suites.push(("batch".into(), cases));
    }
    let all = suites.iter().flat_map(|(_, c)| c);
    let count = |e: &str| all.clone().filter(|c| matches!(&c.outcome, Outcome::Not(x, ..) if *x == e)).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"sotecheck {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"0\">\n",
        attr(&report.suite),
        all.clone().count(),
        count("failure"),
        count("error")
    ));
    for (i, (name, cases)) in suites.iter().enumerate() {
        suite(&mut out, i, name, cases);
    }
    out.push_str("</testsuites>\n");
    out
}
