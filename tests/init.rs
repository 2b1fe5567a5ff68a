//! A region's first run (issue 17): `sotecheck init` describes a folder of exports, and the
//! descriptor it writes gives the same report as the shipped one; descriptors written by
//! frictionless-py itself (`tests/frictionless/`, made by its `make.sh`) are read as they
//! are; a mistyped path gets a "did you mean". Printouts are snapshotted as
//! `cli/init-<scenario>`.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
mod common;

use common::{sotecheck_in, Run};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Runs sotecheck in `dir` (relative paths in the printout stay the same on every machine).
fn run_in(dir: &Path, args: &[&str]) -> Run {
    sotecheck_in(dir, args, &[])
}

fn snap(name: &str, r: &Run) {
    snapshot_in!("snapshots/cli", name, r.transcript());
}

/// A fresh folder for one test, under a folder of this run.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sotecheck-init-{}", std::process::id())).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies the CSV and Parquet files of a fixture, renamed by `rename` (None: left out).
fn copy_tables(from: &str, to: &Path, rename: impl Fn(&str) -> Option<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(Path::new(ROOT).join(from)).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".csv") || name.ends_with(".parquet") {
            if let Some(new) = rename(&name) {
                std::fs::copy(e.path(), to.join(new)).unwrap();
            }
        }
    }
}

/// The JSON report of `validate PACKAGE`, run from the package's parent.
fn report(package: &Path) -> Value {
    let r = run_in(package.parent().unwrap(), &["validate", package.file_name().unwrap().to_str().unwrap(), "--format", "json"]);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", r.stdout, r.stderr))
}

fn package(report: &Value) -> &Value {
    &report["packages"][0]
}

/// Each rule's outcome: what two packages of the same data must share.
fn outcomes(report: &Value) -> Vec<(String, String, u64)> {
    package(report)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().into(), f["status"].as_str().unwrap().into(), f["rows_failing"].as_u64().unwrap()))
        .collect()
}

fn problem_codes(report: &Value) -> Vec<(String, String)> {
    package(report)["input_problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["level"].as_str().unwrap().into(), p["code"].as_str().unwrap().into()))
        .collect()
}

fn init(dir: &Path, folder: &str) -> Run {
    run_in(dir, &["init", folder, "--region", "08", "--period", "2025"])
}

/// `init` on `csvs`, then the shipped descriptor of the same fixture in its place: the two
/// JSON reports are the same, byte for byte.
fn same_report_as_shipped(name: &str, fixture: &str, snapshot: Option<&str>) -> Value {
    let base = scratch(name);
    let dir = base.join("exports");
    std::fs::create_dir(&dir).unwrap();
    copy_tables(fixture, &dir, |n| Some(n.into()));
    let r = init(&base, "exports");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    if let Some(s) = snapshot {
        snap(s, &r);
    }
    let described = report(&dir);
    let written: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("datapackage.json")).unwrap()).unwrap();
    std::fs::copy(Path::new(ROOT).join(fixture).join("datapackage.json"), dir.join("datapackage.json")).unwrap();
    let shipped = report(&dir);
    assert_eq!(described, shipped, "init's descriptor and the shipped one read the data differently");
    written
}

#[test]
fn init_on_the_demo_csvs_validates_as_the_shipped_descriptor() {
    let written = same_report_as_shipped("demo", "fixtures/demo", Some("init-demo"));
    assert_eq!(package(&report_of_demo())["verdict"], "conformant");
    // Codes are strings, so leading zeros stay in every tool that reads the descriptor.
    let population = &written["resources"][3];
    assert_eq!(population["name"], "population");
    assert_eq!(population["schema"]["fields"][1], json!({"name": "municipality", "type": "string"}));
}

fn report_of_demo() -> Value {
    report(&Path::new(ROOT).join("fixtures/demo"))
}

#[test]
fn init_on_a_windows_1252_finnish_export_validates_as_the_shipped_descriptor() {
    // The Finnish export (`;`, decimal comma) with cost centres that need Windows-1252
    // (`KÄ2131P`), as the finance system writes them.
    let base = scratch("cp1252-source");
    copy_tables("fixtures/variants/finnish-export", &base, |n| Some(n.into()));
    let variant = base.join("variant");
    std::fs::create_dir(&variant).unwrap();
    for table in ["activity", "costs", "staff", "population", "service_map"] {
        let text = std::fs::read_to_string(base.join(format!("{table}.csv"))).unwrap().replace("CC", "KÄ");
        let bytes: Vec<u8> = text.chars().map(|c| if c == 'Ä' { 0xC4 } else { c as u8 }).collect();
        std::fs::write(variant.join(format!("{table}.csv")), bytes).unwrap();
    }
    std::fs::copy(Path::new(ROOT).join("fixtures/variants/finnish-export/datapackage.json"), variant.join("datapackage.json")).unwrap();
    let shipped = report(&variant);
    assert_eq!(package(&shipped)["verdict"], "conformant", "{shipped:#}");
    std::fs::remove_file(variant.join("datapackage.json")).unwrap();
    let r = init(&base, "variant");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    snap("init-finnish-export-cp1252", &r);
    assert_eq!(report(&variant), shipped);
}

#[test]
fn init_on_a_utf8_export_with_a_byte_order_mark_validates_as_the_shipped_descriptor() {
    let written = same_report_as_shipped("bom", "fixtures/variants/utf8-bom", None);
    assert_eq!(written["resources"][0]["encoding"], "utf-8");
    assert_eq!(written["resources"][0]["schema"]["fields"][0]["name"], "event_id", "the mark is not part of the first name");
}

#[test]
fn init_on_parquet_files_validates_as_the_shipped_descriptor() {
    let written = same_report_as_shipped("parquet", "fixtures/variants/parquet", None);
    assert_eq!(written["resources"][0], json!({"name": "activity", "path": "activity.parquet", "format": "parquet"}));
}

#[test]
fn init_never_overwrites_a_descriptor_without_force() {
    let base = scratch("force");
    let dir = base.join("exports");
    std::fs::create_dir(&dir).unwrap();
    copy_tables("fixtures/demo", &dir, |n| Some(n.into()));
    std::fs::write(dir.join("datapackage.json"), "{\"kept\": true}\n").unwrap();
    let r = init(&base, "exports");
    assert_eq!(r.code, 3, "an existing descriptor is a usage error");
    snap("init-exists-without-force", &r);
    assert_eq!(std::fs::read_to_string(dir.join("datapackage.json")).unwrap(), "{\"kept\": true}\n");
    let r = run_in(&base, &["init", "exports", "--region", "08", "--period", "2025", "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::read_to_string(dir.join("datapackage.json")).unwrap().contains("\"hva08-2025\""));
    assert!(!dir.join(".datapackage.json.sotecheck-init").exists(), "no scratch file left");
}

#[test]
fn init_guesses_near_and_finnish_names_and_says_what_it_could_not_decide() {
    let base = scratch("names");
    let dir = base.join("exports");
    std::fs::create_dir(&dir).unwrap();
    copy_tables("fixtures/demo", &dir, |n| {
        Some(
            match n {
                "activity.csv" => "activty.csv",
                "costs.csv" => "Kustannukset_2025.csv",
                "staff.csv" => "hva08_staff.csv",
                "population.csv" => "väestö.csv",
                other => other,
            }
            .into(),
        )
    });
    std::fs::write(dir.join("notes.csv"), "a,b\n1,2\n").unwrap();
    std::fs::write(dir.join("README.txt"), "exports of 2025\n").unwrap();
    let r = init(&base, "exports");
    assert_eq!(r.code, 0, "{}", r.stderr);
    snap("init-guessed-names", &r);
    let described = report(&dir);
    assert_eq!(outcomes(&described), outcomes(&report_of_demo()), "the same data, the same findings");

    // Two files that could each be `activity`: neither is taken, and the printout says so.
    let dir = base.join("ambiguous");
    std::fs::create_dir(&dir).unwrap();
    copy_tables("fixtures/demo", &dir, |n| match n {
        "activity.csv" => Some("activity_2024.csv".into()),
        "costs.csv" => Some("costs.csv".into()),
        _ => None,
    });
    std::fs::copy(dir.join("activity_2024.csv"), dir.join("activity_2025.csv")).unwrap();
    let r = init(&base, "ambiguous");
    assert_eq!(r.code, 0, "{}", r.stderr);
    snap("init-ambiguous-names", &r);
}

#[test]
fn init_flags_and_folders_that_cannot_be_used() {
    let base = scratch("flags");
    std::fs::create_dir(base.join("exports")).unwrap();
    copy_tables("fixtures/demo", &base.join("exports"), |n| Some(n.into()));
    for (args, code) in [
        (vec!["init", "exports", "--region", "8", "--period", "2025"], 3),
        (vec!["init", "exports", "--region", "91", "--period", "2025"], 3),
        (vec!["init", "exports", "--region", "08", "--period", "2025-13"], 3),
        (vec!["init", "exports", "--region", "08", "--period", "2025", "--service", "virta-palvelut@9"], 3),
        (vec!["init", "exports"], 3),
        (vec!["init", "exprots", "--region", "08", "--period", "2025"], 2),
    ] {
        let r = run_in(&base, &args);
        assert_eq!(r.code, code, "{args:?}: {}", r.stderr);
        assert!(!base.join("exports/datapackage.json").exists(), "{args:?} wrote a descriptor");
    }
    let r = run_in(&base, &["init", "exprots", "--region", "08", "--period", "2025"]);
    snap("init-misspelt-folder", &r);
    let r = run_in(&base, &["init", "exports", "--region", "8", "--period", "2025"]);
    assert!(r.stderr.contains("did you mean 08"), "{}", r.stderr);
}

#[test]
fn validate_suggests_a_sibling_for_a_misspelt_package_and_init_for_a_bare_folder() {
    let r = run_in(Path::new(ROOT), &["validate", "fixtures/variants/finish-export"]);
    assert_eq!(r.code, 2);
    snap("validate-misspelt-package", &r);

    let base = scratch("bare");
    std::fs::create_dir(base.join("exports")).unwrap();
    copy_tables("fixtures/demo", &base.join("exports"), |n| Some(n.into()));
    let r = run_in(&base, &["validate", "exports"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.contains("sotecheck init exports --region"), "{}", r.stdout);
}

// Descriptors written by frictionless-py 5 (tests/frictionless/make.sh), with the `sote`
// property added, as a user adds it.

fn frictionless(file: &str, edit: impl Fn(&mut Value)) -> Value {
    let text = std::fs::read_to_string(Path::new(ROOT).join("tests/frictionless").join(file)).unwrap();
    let mut d: Value = serde_json::from_str(&text).unwrap();
    d["sote"] = json!({
        "region": "08",
        "period": {"start": "2025-01-01", "end": "2025-12-31"},
        "classifications": {"service": "virta-palvelut@1.1"}
    });
    edit(&mut d);
    d
}

/// Validates `fixture`'s CSV files under `descriptor`.
fn validate_with(name: &str, fixture: &str, descriptor: &Value) -> Value {
    let dir = scratch(name);
    copy_tables(fixture, &dir, |n| Some(n.into()));
    std::fs::write(dir.join("datapackage.json"), serde_json::to_string_pretty(descriptor).unwrap()).unwrap();
    report(&dir)
}

#[test]
fn frictionless_describe_of_the_demo_reads_integer_codes_as_text_with_a_note() {
    let r = validate_with("fl-demo", "fixtures/demo", &frictionless("demo.describe-v2.json", |_| {}));
    assert_eq!(package(&r)["verdict"], "conformant", "{r:#}");
    // `020` stays `020`: a lost zero would fail the municipality rules.
    assert_eq!(outcomes(&r), outcomes(&report_of_demo()));
    let notes: Vec<&Value> = package(&r)["input_problems"].as_array().unwrap().iter().collect();
    assert!(!notes.is_empty() && notes.iter().all(|p| p["level"] == "info" && p["code"] == "field-type-differs"), "{notes:#?}");
    assert!(notes.iter().any(|p| p["table"] == "population" && p["message"].as_str().unwrap().contains("`municipality`")));
}

#[test]
fn frictionless_nested_v2_and_flat_v1_dialects_are_read_alike() {
    let fixture = "fixtures/variants/finnish-export";
    let v2 = validate_with("fl-v2", fixture, &frictionless("finnish-export.describe-v2.json", |_| {}));
    let v1 = validate_with("fl-v1", fixture, &frictionless("finnish-export.describe-v1.json", |_| {}));
    // The delimiter is read from either form; what is left is the decimal comma that
    // frictionless-py did not declare (it inferred `string`), named at its place.
    let errors: Vec<(String, String)> = problem_codes(&v2).into_iter().filter(|(l, _)| l == "error").collect();
    assert_eq!(errors, vec![("error".into(), "decimal-comma-undeclared".into()); 2], "{v2:#}");
    assert_eq!(package(&v1)["input_problems"], package(&v2)["input_problems"]);
    assert_eq!(outcomes(&v1), outcomes(&v2));
}

#[test]
fn frictionless_decimal_comma_declared_through_its_api_validates_as_the_shipped_descriptor() {
    let fixture = "fixtures/variants/finnish-export";
    let r = validate_with("fl-decimal", fixture, &frictionless("finnish-export.decimal-comma-v2.json", |_| {}));
    assert_eq!(package(&r)["verdict"], "conformant", "{r:#}");
    assert!(problem_codes(&r).iter().all(|(level, _)| level == "info"));
    assert_eq!(outcomes(&r), outcomes(&report(&Path::new(ROOT).join(fixture))));
}

#[test]
fn schema_and_profile_properties_are_accepted() {
    let d = frictionless("demo.describe-v2.json", |d| {
        d["$schema"] = json!("https://datapackage.org/profiles/2.0/datapackage.json");
        d["profile"] = json!("tabular-data-package");
        for r in d["resources"].as_array_mut().unwrap() {
            r["profile"] = json!("tabular-data-resource");
            r["dialect"] = json!({"$schema": "https://datapackage.org/profiles/2.0/tabledialect.json", "header": true});
        }
    });
    let r = validate_with("fl-schema", "fixtures/demo", &d);
    assert_eq!(package(&r)["verdict"], "conformant", "{r:#}");
}

#[test]
fn dialects_that_cannot_be_followed_are_refused_with_the_reason() {
    let fixture = "fixtures/variants/finnish-export";
    let both = frictionless("finnish-export.decimal-comma-v2.json", |d| d["resources"][0]["dialect"]["delimiter"] = json!(","));
    let r = validate_with("fl-both", fixture, &both);
    assert!(problem_codes(&r).contains(&("error".into(), "descriptor-invalid".into())), "{r:#}");
    let escape = frictionless("finnish-export.decimal-comma-v2.json", |d| d["resources"][0]["dialect"]["csv"]["escapeChar"] = json!("\\"));
    let r = validate_with("fl-escape", fixture, &escape);
    let p = &package(&r)["input_problems"].as_array().unwrap().iter().find(|p| p["code"] == "format-unsupported").cloned();
    assert!(p.as_ref().is_some_and(|p| p["message"].as_str().unwrap().contains("escapeChar")), "{r:#}");
}

/// A link out of the folder and a FIFO are never read (nor waited on); the rest is described.
#[cfg(unix)]
#[test]
fn init_reads_nothing_outside_the_folder_and_never_blocks() {
    let base = scratch("hostile");
    let dir = base.join("exports");
    std::fs::create_dir(&dir).unwrap();
    copy_tables("fixtures/demo", &dir, |n| (n != "costs.csv" && n != "staff.csv").then(|| n.into()));
    std::fs::write(base.join("outside.csv"), "month,service_code,cost_center,account,production,amount_eur\n").unwrap();
    std::os::unix::fs::symlink(base.join("outside.csv"), dir.join("costs.csv")).unwrap();
    assert!(Command::new("mkfifo").arg(dir.join("staff.csv")).status().unwrap().success());
    let r = init(&base, "exports");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("costs.csv: a link to a place outside the folder; not read"), "{}", r.stdout);
    assert!(r.stdout.contains("staff.csv: a FIFO (named pipe), not a regular file; not read"), "{}", r.stdout);
    let written = std::fs::read_to_string(dir.join("datapackage.json")).unwrap();
    assert!(!written.contains("costs.csv") && !written.contains("staff.csv"), "{written}");
}
