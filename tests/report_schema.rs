//! `docs/report-schema.json` describes the JSON report: every fixture's report (each alone
//! and all in one batch) validates against it, and the schema rejects what it must.

use std::path::Path;
use std::process::Command;

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report-schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

fn report(packages: &[String]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_sotecheck"))
        .arg("validate")
        .args(packages)
        .args(["--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{packages:?}: not JSON: {e}"))
}

fn fixtures() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = vec!["fixtures/demo".to_string()];
    for group in ["defects", "input", "variants", "hostile"] {
        let Ok(entries) = std::fs::read_dir(root.join("fixtures").join(group)) else { continue };
        let mut names: Vec<String> = entries.flatten().map(|e| e.path().strip_prefix(root).unwrap().display().to_string()).collect();
        names.sort();
        out.extend(names.into_iter().filter(|n| !n.ends_with(".py") && !n.ends_with(".sh") && !n.ends_with(".md")));
    }
    out
}

#[test]
fn every_fixture_report_follows_the_schema() {
    let v = schema();
    let all = fixtures();
    assert!(all.len() > 20);
    for pkg in &all {
        let r = report(std::slice::from_ref(pkg));
        let errors: Vec<String> = v.iter_errors(&r).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{pkg}:\n  {}", errors.join("\n  "));
    }
    let batch = report(&all);
    assert!(v.is_valid(&batch));
}

#[test]
fn the_schema_rejects_what_the_report_never_holds() {
    let v = schema();
    let good = report(&["fixtures/defects/unknown-service".to_string()]);
    assert!(v.is_valid(&good));
    let mut bad = good.clone();
    bad["packages"][0]["verdict"] = "fine".into();
    assert!(!v.is_valid(&bad), "an unknown verdict");
    let mut bad = good.clone();
    bad["packages"][0]["findings"][0]["surprise"] = 1.into();
    assert!(!v.is_valid(&bad), "a field the schema does not name");
    let mut bad = good;
    bad["packages"][0]["findings"][0]["status"] = "not-evaluated".into();
    assert!(!v.is_valid(&bad), "not evaluated without a reason");
}
