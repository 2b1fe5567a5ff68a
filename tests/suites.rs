//! Every conformance-suite case is a named test (`cargo test suite_<suite>_<version>_<case>`):
//! the fixture package must give exactly the expected verdict and findings, and what its
//! JSON report says beyond "pass" — verdict, summary, input problems and every finding that
//! does not simply pass — is snapshotted (`suites/<suite>@<version>@<case>`), so a change of
//! wording or counts shows in review without a thousand lines of passes around it.

use sotecheck::package::Batching;
use std::path::Path;

fn check_suite_case(suite_path: &str, case: &str) {
    let (rules, bad) = sotecheck::rules::load_dir(&sotecheck::rules::builtin_dir()).unwrap();
    assert!(bad.is_empty());
    let suite = sotecheck::suite::load(Path::new(suite_path), &rules).unwrap_or_else(|e| panic!("{}", e.render()));
    let c = suite.cases.iter().find(|c| c.name == case).unwrap_or_else(|| panic!("no case {case}"));
    let problems = sotecheck::cli::check_case(&suite, c).unwrap_or_else(|e| panic!("{}", e.0));
    assert!(problems.is_empty(), "case {case}:\n  {}", problems.join("\n  "));
    let sources = sotecheck::cli::Sources { rules: None, codelists: vec![] };
    let run = |batching| {
        let mut report = sotecheck::cli::validate(std::slice::from_ref(&c.package), suite_path, &sources, 10, Some(batching))
            .unwrap_or_else(|e| panic!("{}", e.0));
        // Paths differ between checkouts; the report is otherwise byte-stable.
        for p in &mut report.packages {
            p.source = p.package.clone();
        }
        report
    };
    let report = run(Batching::default());
    // Every table streamed in small batches (dozens per table): the same report.
    let streamed = run(Batching { over_bytes: 0, batch_bytes: 4096 });
    assert_eq!(
        sotecheck::report::json::render(&streamed),
        sotecheck::report::json::render(&report),
        "case {case}: streaming in batches changed the report"
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/suites");
    let mut shown: serde_json::Value = serde_json::from_str(&sotecheck::report::json::render(&report)).unwrap();
    for p in shown["packages"].as_array_mut().unwrap() {
        p["findings"]
            .as_array_mut()
            .unwrap()
            .retain(|f| f["status"] != "pass" || f.get("within_tolerance").is_some_and(|n| n.as_u64() > Some(0)));
    }
    let text = serde_json::to_string_pretty(&shown).unwrap() + "\n";
    settings.bind(|| insta::assert_snapshot!(format!("{}@{}@{}", suite.name, suite.version, case), text));
}

/// A released suite version names its rules, so a rule added later cannot change what it
/// checks (`rules = ["*"]` would take every new rule in silently).
#[test]
fn released_suites_pin_their_rule_lists() {
    let (rules, _) = sotecheck::rules::load_dir(&sotecheck::rules::builtin_dir()).unwrap();
    let dir = sotecheck::suite::builtin_dir();
    let mut seen = 0;
    for s in std::fs::read_dir(&dir).unwrap().flatten() {
        for v in std::fs::read_dir(s.path()).unwrap().flatten() {
            let suite = sotecheck::suite::load(&v.path(), &rules).unwrap_or_else(|e| panic!("{}", e.render()));
            for pat in &suite.include {
                assert!(!pat.contains('*'), "{}: `{pat}`: a released suite lists its rules by id", suite.id());
            }
            assert!(suite.exclude.is_empty(), "{}: with a pinned list, nothing to exclude", suite.id());
            assert_eq!(suite.select(&rules).len(), suite.include.len(), "{}: every listed rule exists", suite.id());
            seen += 1;
        }
    }
    assert!(seen >= 3);
}

include!(concat!(env!("OUT_DIR"), "/suite_tests.rs"));
