//! Every conformance-suite case is a named test (`cargo test suite_<suite>_<version>_<case>`):
//! the fixture package must give exactly the expected verdict and findings, and its JSON
//! report is snapshotted (`suites/<suite>@<version>@<case>`).

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
    settings
        .bind(|| insta::assert_snapshot!(format!("{}@{}@{}", suite.name, suite.version, case), sotecheck::report::json::render(&report)));
}

include!(concat!(env!("OUT_DIR"), "/suite_tests.rs"));
