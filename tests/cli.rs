//! The command line, end to end: exit codes, stdout and stderr are snapshotted per command
//! and scenario (`cli/<command>-<scenario>`). Paths are relative to the repository root.

mod common;

use common::{sotecheck, sotecheck_in, Run};

/// `sotecheck` with `env` set on top of the cleared locale.
fn sotecheck_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    sotecheck_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), args, env)
}

fn snap(name: &str, r: &Run) {
    snapshot_in!("snapshots/cli", name, r.transcript());
}

#[test]
fn validate_demo_is_conformant_in_every_format() {
    for (fmt, name) in [("human", "validate-demo-human"), ("json", "validate-demo-json"), ("junit", "validate-demo-junit")] {
        let r = sotecheck(&["validate", "fixtures/demo", "--format", fmt]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        snap(name, &r);
    }
}

#[test]
fn validate_output_is_byte_for_byte_deterministic() {
    let a = sotecheck(&["validate", "fixtures/demo", "fixtures/defects/unknown-service", "--format", "json"]);
    let b = sotecheck(&["validate", "fixtures/demo", "fixtures/defects/unknown-service", "--format", "json"]);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.code, 1);
}

#[test]
fn validate_writes_output_file() {
    let path = std::env::temp_dir().join(format!("sotecheck-cli-{}.xml", std::process::id()));
    let r = sotecheck(&["validate", "fixtures/defects/unknown-service", "--format", "junit", "--output", path.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    let xml = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(xml.contains("<failure") && xml.contains("activity-service-code-unknown"), "{xml}");
    // The report went to the file; the console has the short summary only.
    assert!(r.stdout.starts_with("sotecheck: hva08-2025: NOT CONFORMANT") && !r.stdout.contains("<testsuite"), "{}", r.stdout);
}

#[test]
fn validate_defect_reports_rows_and_fails_gate() {
    let r = sotecheck(&["validate", "fixtures/defects/unknown-service"]);
    assert_eq!(r.code, 1);
    snap("validate-unknown-service-human", &r);
    let r = sotecheck(&["validate", "fixtures/defects/unknown-service", "--format", "junit"]);
    snap("validate-unknown-service-junit", &r);
}

#[test]
fn validate_batch_reports_every_package_and_worst_exit_code() {
    let r = sotecheck(&["validate", "fixtures/demo", "fixtures/defects/identity-code", "fixtures/input/missing-column"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.contains("regions × verdict"));
    assert!(!r.stdout.contains("131052-308T"), "identity codes must be masked");
    snap("validate-batch-human", &r);
}

#[test]
fn input_errors_name_the_place_and_exit_2() {
    for (fixture, needle) in [
        ("wrong-delimiter", "delimiter-mismatch"),
        ("missing-column", "column-missing"),
        ("broken-date", "value-unparsable"),
        ("fields-missing", "fields-missing"),
        ("undeclared-decimal-comma", "decimal-comma-undeclared"),
        ("zoned-timestamps", "timestamps with a time zone"),
    ] {
        let r = sotecheck(&["validate", &format!("fixtures/input/{fixture}")]);
        assert_eq!(r.code, 2, "{fixture}");
        assert!(r.stdout.contains(needle), "{fixture}: {}", r.stdout);
        snap(&format!("validate-input-{fixture}"), &r);
    }
}

#[test]
fn finnish_export_parquet_zip_and_older_version_are_conformant() {
    // pandas-category: written by pandas/pyarrow, every text, date and month column a
    // dictionary; pyarrow-pages: plain pyarrow text in small groups and pages, some falling
    // back from dictionary keys to plain text (`fixtures/make-pyarrow-variants.py`).
    for v in ["finnish-export", "parquet", "demo.zip", "virta-1.0", "utf8-bom", "pandas-category", "pyarrow-pages"] {
        let r = sotecheck(&["validate", &format!("fixtures/variants/{v}")]);
        assert_eq!(r.code, 0, "{v}: {}", r.stdout);
    }
}

/// Exit codes separate causes: 2 is data that could not be read, 3 a pipeline (or a
/// person) asking for something that cannot be done.
#[test]
fn data_errors_exit_2_usage_errors_exit_3() {
    let r = sotecheck(&["validate", "fixtures/no-such-package"]);
    assert_eq!(r.code, 2, "a package that cannot be read is the data's problem");
    assert!(r.stdout.contains("does not exist"));
    let r = sotecheck(&["validate", "fixtures/demo", "--suite", "no-such-suite"]);
    assert_eq!(r.code, 3);
    snap("validate-unknown-suite", &r);
    let r = sotecheck(&["validate"]);
    assert_eq!(r.code, 3, "a missing argument");
    let r = sotecheck(&["validate", "fixtures/demo", "--no-such-flag"]);
    assert_eq!(r.code, 3, "an unknown flag");
    let r = sotecheck(&["validate", "fixtures/demo", "--fail-on", "sometimes"]);
    assert_eq!(r.code, 3, "a bad value");
    let r = sotecheck(&["validate", "fixtures/demo", "--output", "/no/such/folder/report.json"]);
    assert_eq!(r.code, 3, "an unwritable output");
    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
    let r = sotecheck(&["validate", "fixtures/demo", "--report", "yaml=x.yaml"]);
    assert_eq!(r.code, 3, "an unknown report format");
    let r = sotecheck(&["validate", "fixtures/demo", "--rules", "tests/data/bad-rules"]);
    assert_eq!(r.code, 3, "a broken rule file");
    let r = sotecheck(&["explain", "activity-service-code-unknwn"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("did you mean `activity-service-code-unknown`"), "{}", r.stderr);
    let r = sotecheck(&["--help"]);
    assert_eq!(r.code, 0, "help is not a mistake");
}

/// Several reports in one run, and a short summary on the console whichever way they go.
#[test]
fn several_reports_in_one_run_and_always_a_summary() {
    let dir = std::env::temp_dir().join(format!("sotecheck-cli-reports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (json, xml) = (dir.join("out.json"), dir.join("out.xml"));
    let r = sotecheck(&[
        "validate",
        "fixtures/defects/unknown-service",
        "--format",
        "human",
        "--report",
        &format!("json={}", json.display()),
        "--report",
        &format!("junit={}", xml.display()),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("NOT CONFORMANT") && r.stdout.contains("activity-service-code-unknown"), "the terminal view on stdout");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["packages"][0]["verdict"], "gate-failed");
    assert!(std::fs::read_to_string(&xml).unwrap().contains("<failure"));
    // Every report to a file: the console still says what happened.
    let r = sotecheck(&["validate", "fixtures/defects/unknown-service", "--format", "json", "--output", json.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("hva08-2025: NOT CONFORMANT") && r.stdout.contains("wrote the json report"), "{}", r.stdout);
    // A machine format on stdout: the summary goes to stderr, stdout stays parseable.
    let r = sotecheck(&["validate", "fixtures/defects/unknown-service", "--format", "json"]);
    assert!(serde_json::from_str::<serde_json::Value>(&r.stdout).is_ok());
    assert!(r.stderr.contains("NOT CONFORMANT"), "{}", r.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fail_on_warning_fails_a_package_that_only_warns() {
    let r = sotecheck(&["validate", "fixtures/defects/foreign-municipality", "--format", "json"]);
    assert_eq!(r.code, 0);
    let r = sotecheck(&["validate", "fixtures/defects/foreign-municipality", "--format", "json", "--fail-on", "warning"]);
    assert_eq!(r.code, 1);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!((report["fail_on"].as_str(), report["packages"][0]["verdict"].as_str()), (Some("warning"), Some("gate-failed")));
}

#[test]
fn rule_file_mistakes_are_shown_at_their_lines() {
    let r = sotecheck(&["test-rules", "tests/data/bad-rules"]);
    assert_eq!(r.code, 3);
    for needle in [
        "did you mean `error`?",
        "unknown key `colour`",
        "did you mean `activity`?",
        "invalid regular expression",
        "did you mean `not-null`?",
        "does not match the file name",
        "bad-mistakes.toml:3:12",
    ] {
        assert!(r.stderr.contains(needle), "missing `{needle}` in:\n{}", r.stderr);
    }
    snap("test-rules-bad-rules", &r);
}

#[test]
fn rules_list() {
    let r = sotecheck(&["rules"]);
    assert_eq!(r.code, 0);
    snap("rules-list", &r);
}

#[test]
fn explain_in_english() {
    let r = sotecheck(&["explain", "activity-service-code-unknown"]);
    assert_eq!(r.code, 0);
    for heading in ["What it checks", "Why it matters", "How to fix", "Threshold", "References"] {
        assert!(r.stdout.contains(&format!("\n{heading}\n")), "no heading `{heading}` in:\n{}", r.stdout);
    }
    snap("explain-activity-service-code-unknown", &r);
}

#[test]
fn explain_in_finnish() {
    let r = sotecheck(&["explain", "activity-service-code-unknown", "--lang", "fi"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for heading in ["Mitä sääntö tarkistaa", "Miksi tällä on väliä", "Näin korjaat", "Raja-arvo", "Lähteet"] {
        assert!(r.stdout.contains(&format!("\n{heading}\n")), "no heading `{heading}` in:\n{}", r.stdout);
    }
    snap("explain-activity-service-code-unknown-fi", &r);
    // Limits in Finnish number format.
    let r = sotecheck(&["explain", "activity-service-coverage", "--lang", "fi"]);
    assert!(r.stdout.contains("raja-arvo: osuus ≥ 98 %\nvaroitus, ellei: osuus ≥ 99,5 %\n"), "{}", r.stdout);
}

#[test]
fn explain_language_follows_the_locale_unless_given() {
    let en = sotecheck_env(&["explain", "identity-code-leak"], &[]);
    assert!(en.stdout.contains("\nHow to fix\n"), "{}", en.stdout);
    for (var, value) in [("LANG", "fi_FI.UTF-8"), ("LC_MESSAGES", "fi_FI.UTF-8"), ("LC_ALL", "fi")] {
        let r = sotecheck_env(&["explain", "identity-code-leak"], &[(var, value)]);
        assert!(r.stdout.contains("\nNäin korjaat\n"), "{var}={value}: {}", r.stdout);
    }
    let r = sotecheck_env(&["explain", "identity-code-leak"], &[("LANG", "fi_FI.UTF-8"), ("LC_ALL", "C")]);
    assert!(r.stdout.contains("\nHow to fix\n"), "LC_ALL=C overrides LANG: {}", r.stdout);
    let r = sotecheck_env(&["explain", "identity-code-leak", "--lang", "en"], &[("LANG", "fi_FI.UTF-8")]);
    assert!(r.stdout.contains("\nHow to fix\n"), "--lang en overrides the locale: {}", r.stdout);
    let r = sotecheck(&["explain", "identity-code-leak", "--lang", "sv"]);
    assert_eq!(r.code, 3, "a usage error");
    assert!(r.stderr.contains("`fi` or `en`"), "{}", r.stderr);
}

#[test]
fn test_rules_runs_every_shipped_example() {
    let r = sotecheck(&["test-rules"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(" 0 failed"));
}
