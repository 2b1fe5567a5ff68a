//! The JUnit report is what CI tools read: it must follow the Jenkins xunit plugin's JUnit
//! schema and read back, through a real JUnit parser, as the report says — failures with
//! their details in the body, not-evaluated rules skipped, input errors as errors with
//! stable names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The element rules of jenkinsci/xunit-plugin `junit-10.xsd` (MIT, © 2014 Gregory
/// Boissinot; src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/junit-10.xsd):
/// per element, the child elements it may hold, its required and its allowed attributes,
/// and whether it holds text only.
struct ElementRule {
    children: &'static [&'static str],
    required: &'static [&'static str],
    allowed: &'static [&'static str],
    text_only: bool,
}

fn jenkins_rules() -> BTreeMap<&'static str, ElementRule> {
    let text = |allowed: &'static [&'static str]| ElementRule { children: &[], required: &[], allowed, text_only: true };
    BTreeMap::from([
        (
            "testsuites",
            ElementRule {
                children: &["testsuite"],
                required: &[],
                allowed: &["name", "time", "tests", "failures", "errors"],
                text_only: false,
            },
        ),
        (
            "testsuite",
            ElementRule {
                children: &["testsuite", "properties", "testcase", "system-out", "system-err"],
                required: &["name", "tests", "failures", "errors"],
                allowed: &[
                    "name",
                    "tests",
                    "failures",
                    "errors",
                    "group",
                    "time",
                    "skipped",
                    "timestamp",
                    "hostname",
                    "id",
                    "package",
                    "file",
                    "log",
                    "url",
                ],
                text_only: false,
            },
        ),
        (
            "testcase",
            ElementRule {
                children: &[
                    "skipped",
                    "error",
                    "failure",
                    "rerunFailure",
                    "rerunError",
                    "flakyFailure",
                    "flakyError",
                    "system-out",
                    "system-err",
                ],
                required: &["name"],
                allowed: &["name", "time", "classname", "group"],
                text_only: false,
            },
        ),
        ("properties", ElementRule { children: &["property"], required: &[], allowed: &[], text_only: false }),
        ("property", ElementRule { children: &[], required: &["name", "value"], allowed: &["name", "value"], text_only: false }),
        ("failure", text(&["type", "message"])),
        ("error", text(&["type", "message"])),
        ("skipped", text(&["type", "message"])),
        ("system-out", text(&[])),
        ("system-err", text(&[])),
    ])
}

/// Every way `xml` breaks the Jenkins schema's element rules (empty: it follows them).
fn schema_violations(xml: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let rules = jenkins_rules();
    // SUREFIRE_TIME: digits with optional thousands commas and a fraction.
    let time = regex::Regex::new(r"^((([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?)$").unwrap();
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut root = None;
    loop {
        let ev = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                out.push(format!("not well-formed XML: {e}"));
                break;
            }
        };
        let (start, empty) = match &ev {
            Event::Start(s) => (Some(s.clone()), false),
            Event::Empty(s) => (Some(s.clone()), true),
            _ => (None, false),
        };
        if let Some(s) = start {
            let name = String::from_utf8_lossy(s.name().as_ref()).into_owned();
            root.get_or_insert_with(|| name.clone());
            match stack.last().and_then(|p| rules.get(p.as_str())) {
                Some(parent) if parent.text_only => out.push(format!("<{name}> inside text-only <{}>", stack.last().unwrap())),
                Some(parent) if !parent.children.contains(&name.as_str()) => {
                    out.push(format!("<{name}> not allowed in <{}>", stack.last().unwrap()))
                }
                _ => {}
            }
            match rules.get(name.as_str()) {
                None => out.push(format!("<{name}> is not a JUnit element")),
                Some(rule) => {
                    let attrs: Vec<(String, String)> = s
                        .attributes()
                        .flatten()
                        .map(|a| {
                            (
                                String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                                a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map(|v| v.into_owned()).unwrap_or_default(),
                            )
                        })
                        .collect();
                    for r in rule.required {
                        if !attrs.iter().any(|(k, _)| k == r) {
                            out.push(format!("<{name}> lacks required attribute `{r}`"));
                        }
                    }
                    for (k, v) in &attrs {
                        if !rule.allowed.contains(&k.as_str()) {
                            out.push(format!("<{name}> has attribute `{k}`, which the schema does not allow"));
                        }
                        if k == "time" && name != "testcase" && !time.is_match(v) {
                            out.push(format!("<{name}> time `{v}` is not a SUREFIRE_TIME"));
                        }
                    }
                }
            }
            if !empty {
                stack.push(name);
            }
            continue;
        }
        match ev {
            Event::End(_) => {
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if root.as_deref() != Some("testsuites") {
        out.push(format!("the root is {root:?}, not <testsuites>"));
    }
    out
}

fn junit(packages: &[&str], extra: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sotecheck"))
        .arg("validate")
        .args(packages)
        .args(["--format", "junit"])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn fixture_packages() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = vec!["fixtures/demo".to_string()];
    for group in ["defects", "input", "variants"] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(root.join("fixtures").join(group)).unwrap().flatten().map(|e| e.path()).collect();
        names.sort();
        out.extend(names.iter().map(|p| p.strip_prefix(root).unwrap().display().to_string()));
    }
    out
}

#[test]
fn every_fixture_follows_the_jenkins_junit_schema() {
    for pkg in fixture_packages() {
        let (_, xml) = junit(&[&pkg], &[]);
        let bad = schema_violations(&xml);
        assert!(bad.is_empty(), "{pkg}:\n  {}", bad.join("\n  "));
    }
}

#[test]
fn the_schema_check_can_fail() {
    let bad =
        schema_violations(r#"<testsuites><testsuite name="x"><testcase><failure><b/></failure></testcase><foo/></testsuite></testsuites>"#);
    let text = bad.join("\n");
    for expected in
        ["lacks required attribute `tests`", "lacks required attribute `name`", "<b> inside text-only", "<foo> is not a JUnit element"]
    {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    assert!(!schema_violations("<testsuites><testsuite").is_empty(), "broken XML");
}

#[test]
fn a_junit_parser_reads_back_what_the_report_says() {
    let (code, xml) = junit(&["fixtures/defects/unknown-service", "fixtures/input/broken-date", "fixtures/variants/helsinki-quarter"], &[]);
    assert_eq!(code, 2);
    let suites = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes())).expect("a JUnit parser reads it");
    // Three packages and the batch: region 08 twice is a finding for the coordinator.
    assert_eq!(suites.suites.len(), 4);
    let batch = &suites.suites[3];
    assert_eq!(batch.name, "batch");
    assert!(
        batch.cases.iter().any(|c| c.original_name.starts_with("batch-region-duplicate:") && c.status.is_success()),
        "{:?}",
        batch.cases.iter().map(|c| (&c.name, &c.status)).collect::<Vec<_>>()
    );
    let json: serde_json::Value = {
        let out = Command::new(env!("CARGO_BIN_EXE_sotecheck"))
            .args([
                "validate",
                "fixtures/defects/unknown-service",
                "fixtures/input/broken-date",
                "fixtures/variants/helsinki-quarter",
                "--format",
                "json",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    for (suite, pkg) in suites.suites[..3].iter().zip(json["packages"].as_array().unwrap()) {
        let count = |status: &str| pkg["findings"].as_array().unwrap().iter().filter(|f| f["status"] == status).count() as u64;
        let input_errors = pkg["input_problems"].as_array().unwrap().iter().filter(|p| p["level"] == "error").count();
        let cases = |f: fn(&junit_parser::TestStatus) -> bool| suite.cases.iter().filter(|c| f(&c.status)).count() as u64;
        assert_eq!(suite.failures, count("fail"), "{}", suite.name);
        assert_eq!(cases(|s| s.is_failure()), count("fail"), "{}", suite.name);
        assert_eq!(cases(|s| s.is_skipped()), count("not-evaluated"), "{}", suite.name);
        assert!(suite.errors as usize <= input_errors && (suite.errors > 0) == (input_errors > 0), "{}", suite.name);
        for case in &suite.cases {
            if let junit_parser::TestStatus::Failure(f) = &case.status {
                // The details are in the body, with line breaks, file and line of samples.
                assert!(f.text.contains("\nfirst failing:"), "{}: {}", case.name, f.text);
                assert!(f.text.contains("activity.csv:"), "{}: {}", case.name, f.text);
                assert!(!f.message.contains('\n'));
            }
            if case.original_name.starts_with("input:") {
                assert_eq!(case.original_name.split(':').count(), 4, "input:<code>:<file>:<column>: {}", case.name);
                assert!(
                    !case.original_name.split(':').nth(3).unwrap().chars().all(|c| c.is_ascii_digit()),
                    "no line number in {}",
                    case.name
                );
            }
        }
    }
    // The Helsinki quarter has no service_map: the rules needing it are skipped, not errors.
    let helsinki = &suites.suites[2];
    assert_eq!(helsinki.errors, 0);
    assert!(helsinki.cases.iter().filter(|c| c.status.is_skipped()).count() >= 2);
    let units = helsinki.cases.iter().find(|c| c.original_name == "units-unmapped").unwrap();
    assert!(matches!(&units.status, junit_parser::TestStatus::Skipped(s) if s.message.contains("service_map")), "{:?}", units.status);
}

#[test]
fn warnings_fail_under_fail_on_warning() {
    let (code, xml) = junit(&["fixtures/defects/foreign-municipality"], &[]);
    assert_eq!(code, 0);
    let plain = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes())).unwrap();
    assert_eq!(plain.suites[0].failures, 0);
    let (code, xml) = junit(&["fixtures/defects/foreign-municipality"], &["--fail-on", "warning"]);
    assert_eq!(code, 1);
    let strict = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes())).unwrap();
    assert!(strict.suites[0].failures >= 1);
}
