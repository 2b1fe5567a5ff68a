//! The national coordinator's view: a batch is one unit (duplicate regions, mixed periods
//! and versions flagged), regions far from the others are found with the right region,
//! class and ratio while an unaltered batch raises none, and each submission is compared
//! with the previous one (new, persisting, changed, resolved; `--fail-on new`).

mod common;

use sotecheck::generate::{Defect, OutFormat};
use std::path::{Path, PathBuf};
use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sotecheck")).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn json(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, out, err) = run(&all);
    (code, serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {err}")))
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sotecheck-national-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// All 22 regions, `rows` activity rows in all (split by population), with `planted`
/// defects in the regions named.
fn batch(name: &str, rows: u64, planted: &[(&str, Defect, f64)]) -> Vec<PathBuf> {
    common::regions(&temp(name), rows, 0, 3, planted)
}

fn validate_batch(packages: &[PathBuf]) -> serde_json::Value {
    let args: Vec<String> = packages.iter().map(|p| p.display().to_string()).collect();
    let mut all: Vec<&str> = vec!["validate"];
    all.extend(args.iter().map(String::as_str));
    json(&all).1
}

fn batch_findings<'a>(report: &'a serde_json::Value, code: &str) -> Vec<&'a serde_json::Value> {
    report["batch"]["findings"].as_array().map(|f| f.iter().filter(|x| x["code"] == code).collect()).unwrap_or_default()
}

#[test]
fn planted_outliers_are_found_and_an_unaltered_batch_raises_none() {
    let clean = batch("clean", 200_000, &[]);
    let report = validate_batch(&clean);
    let outliers = batch_findings(&report, "batch-outlier");
    assert!(outliers.is_empty(), "an unaltered batch: {outliers:#?}");
    assert!(batch_findings(&report, "batch-region-duplicate").is_empty());
    assert_eq!(report["batch"]["packages"].as_array().unwrap().len(), 22);
    assert!(report["packages"][0]["metrics"]["total"]["euros_per_inhabitant"].as_f64().unwrap() > 0.0);

    let planted = batch("planted", 200_000, &[("11", Defect::CostsScaled, 4.0), ("08", Defect::ActivityDropped, 0.6)]);
    let report = validate_batch(&planted);
    let outliers = batch_findings(&report, "batch-outlier");
    let find = |region: &str, measure: &str, class: &str| {
        outliers
            .iter()
            .find(|o| o["outlier"]["region"] == region && o["outlier"]["measure"] == measure && o["outlier"]["class"] == class)
            .copied()
    };
    let costs = find("11", "euros_per_inhabitant", "total").unwrap_or_else(|| panic!("costs ×4 in region 11 not found: {outliers:#?}"));
    let ratio = costs["outlier"]["ratio"].as_f64().unwrap();
    assert!((3.6..4.4).contains(&ratio), "{costs}");
    assert!(costs["message"].as_str().unwrap().contains("euros per inhabitant in all classes 4"), "{costs}");
    let activity = find("08", "events_per_1000", "total").unwrap_or_else(|| panic!("activity −60 % in region 08 not found: {outliers:#?}"));
    assert!((0.35..0.45).contains(&activity["outlier"]["ratio"].as_f64().unwrap()), "{activity}");
    // One cause, one finding: the classes far for the same reason are named in it.
    assert!(costs["message"].as_str().unwrap().contains("; also in "), "{costs}");
    assert!(
        !outliers.iter().any(|o| o["outlier"]["region"] == "11"
            && o["outlier"]["measure"] == "euros_per_inhabitant"
            && o["outlier"]["class"] != "total"),
        "{outliers:#?}"
    );
    // Nothing else is far: every outlier is of the two planted regions.
    for o in &outliers {
        assert!(o["outlier"]["region"] == "11" || o["outlier"]["region"] == "08", "{o}");
    }
    // Warnings for the coordinator, never gate failures: the exit code is the packages'.
    let args: Vec<String> = planted.iter().map(|p| p.display().to_string()).collect();
    let mut all: Vec<&str> = vec!["validate", "--summary"];
    all.extend(args.iter().map(String::as_str));
    let (code, summary, _) = run(&all);
    assert_eq!(code, 0, "{summary}");
    assert!(summary.contains("for the coordinator") && summary.contains("euros per inhabitant"), "{summary}");
    assert!(!summary.contains("activity-service-code-unknown  "), "--summary prints only the batch view");
    for p in clean.iter().chain(&planted) {
        let _ = std::fs::remove_dir_all(p);
    }
}

#[test]
fn a_batch_is_one_unit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let demo = root.join("fixtures/demo");
    let older = root.join("fixtures/variants/virta-1.0");
    let dir = temp("unit");
    let year_2024 = dir.join("hva08-2024");
    let registry = sotecheck::codelist::Registry::builtin();
    let opts = sotecheck::generate::Options {
        region: "08".into(),
        rows: 2000,
        out: year_2024.clone(),
        format: OutFormat::Csv,
        seed: 5,
        year: 2024,
        service: "virta-palvelut@1.1".into(),
        defects: vec![],
    };
    sotecheck::generate::generate(&opts, &registry).unwrap();
    let report = validate_batch(&[demo.clone(), older, year_2024]);
    let dup = batch_findings(&report, "batch-region-duplicate");
    assert_eq!(dup.len(), 1, "region 08 three times");
    assert!(dup[0]["message"].as_str().unwrap().starts_with("region 08 appears 3 times"));
    assert_eq!(batch_findings(&report, "batch-periods-differ").len(), 1);
    let versions = batch_findings(&report, "batch-versions-differ");
    assert!(versions.len() == 1 && versions[0]["message"].as_str().unwrap().contains("virta-palvelut@1.0"), "{versions:?}");
    // The same in the human view and JUnit.
    let (_, human, _) = run(&["validate", demo.to_str().unwrap(), demo.to_str().unwrap()]);
    assert!(human.contains("[batch-region-duplicate] region 08 appears 2 times"), "{human}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_package_whose_municipalities_are_another_regions_is_flagged() {
    let dir = temp("wrong-region");
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for e in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")).unwrap().flatten() {
        std::fs::copy(e.path(), pkg.join(e.file_name())).unwrap();
    }
    // Pirkanmaa's data declared as Varsinais-Suomi (02 is Keski-Uusimaa; 11 is Varsinais-Suomi? use 02).
    let desc = std::fs::read_to_string(pkg.join("datapackage.json")).unwrap().replace("\"region\": \"08\"", "\"region\": \"02\"");
    std::fs::write(pkg.join("datapackage.json"), desc).unwrap();
    let report = validate_batch(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo"), pkg]);
    let wrong = batch_findings(&report, "batch-region-municipalities");
    assert_eq!(wrong.len(), 1, "{:#?}", report["batch"]);
    assert!(wrong[0]["message"].as_str().unwrap().contains("says region 02"), "{}", wrong[0]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn compared_with_the_previous_submission() {
    let dir = temp("baseline");
    let save = |pkg: &str, name: &str| -> PathBuf {
        let (_, out, _) = run(&["validate", pkg, "--format", "json"]);
        let p = dir.join(name);
        std::fs::write(&p, out).unwrap();
        p
    };
    let clean = save("fixtures/demo", "clean.json");
    let unknown = save("fixtures/defects/unknown-service", "unknown.json");
    let delta = |pkg: &str, baseline: &Path, rule: &str| -> (i32, serde_json::Value) {
        let (code, r) = json(&["validate", pkg, "--baseline", baseline.to_str().unwrap(), "--fail-on", "new"]);
        let f = r["packages"][0]["findings"].as_array().unwrap().iter().find(|f| f["rule"] == rule).unwrap().clone();
        (code, f["delta"].clone())
    };
    // New: failed now, passed then; `--fail-on new` fails.
    let (code, d) = delta("fixtures/defects/unknown-service", &clean, "activity-service-code-unknown");
    assert_eq!((code, d["state"].as_str()), (1, Some("new")));
    // Persisting: the same failure as last time; `--fail-on new` passes the gate.
    let (code, d) = delta("fixtures/defects/unknown-service", &unknown, "activity-service-code-unknown");
    assert_eq!((code, d["state"].as_str(), d["previous_failing"].as_u64()), (0, Some("persisting"), Some(11)));
    // Resolved: failed then, passes now.
    let (code, d) = delta("fixtures/demo", &unknown, "activity-service-code-unknown");
    assert_eq!((code, d["state"].as_str()), (0, Some("resolved")));
    // Changed: fails on another number of rows (more: worse, so `--fail-on new` fails).
    let registry = sotecheck::codelist::Registry::builtin();
    let more = dir.join("more");
    let opts = sotecheck::generate::Options {
        region: "08".into(),
        rows: 1000,
        out: more.clone(),
        format: OutFormat::Csv,
        seed: 7,
        year: 2025,
        service: "virta-palvelut@1.1".into(),
        defects: vec![(Defect::UnknownService, 0.03)],
    };
    sotecheck::generate::generate(&opts, &registry).unwrap();
    let (code, d) = delta(more.to_str().unwrap(), &unknown, "activity-service-code-unknown");
    assert_eq!((code, d["state"].as_str()), (1, Some("changed")));
    // Measures that moved: the same region with its costs scaled.
    let scaled = dir.join("scaled");
    let opts = sotecheck::generate::Options { out: scaled.clone(), seed: 1, rows: 3000, defects: vec![(Defect::CostsScaled, 2.0)], ..opts };
    sotecheck::generate::generate(&opts, &registry).unwrap();
    let (_, r) = json(&["validate", scaled.to_str().unwrap(), "--baseline", clean.to_str().unwrap()]);
    let moved = batch_findings(&r, "baseline-measure-moved");
    assert!(moved.iter().any(|m| m["message"].as_str().unwrap().contains("euros per month in all classes up 100 %")), "{moved:#?}");
    // Without a baseline, `--fail-on new` is a usage error.
    let (code, _, err) = run(&["validate", "fixtures/demo", "--fail-on", "new"]);
    assert_eq!(code, 3, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_stored_report_is_judged_again_without_the_data() {
    let dir = temp("rejudge");
    let (_, out, _) = run(&["validate", "fixtures/defects/unknown-service", "--format", "json"]);
    let stored = dir.join("report.json");
    std::fs::write(&stored, &out).unwrap();
    let (code, _, _) = run(&["report", stored.to_str().unwrap()]);
    assert_eq!(code, 1, "the shipped suite fails it");
    // A suite that tolerates 2 % unknown codes passes it, from the stored counts.
    let suite = dir.join("lenient.toml");
    let shipped = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance-suites/virta-2025/1.2.toml")).unwrap();
    let head = shipped.split("[[cases]]").next().unwrap().replace("version = \"1.2\"", "version = \"1.2-lenient\"");
    std::fs::write(&suite, format!("{head}\n[overrides.activity-service-code-unknown]\nthreshold = {{ max_failing_share = 0.02 }}\n"))
        .unwrap();
    let (code, r) = json(&["report", stored.to_str().unwrap(), "--suite", suite.to_str().unwrap()]);
    assert_eq!(code, 0, "{r}");
    let f = r["packages"][0]["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "activity-service-code-unknown").unwrap();
    assert_eq!((f["status"].as_str(), f["within_tolerance"].as_u64()), (Some("pass"), Some(11)));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn measures_are_kept_in_a_metrics_file_and_compared_with_earlier_runs() {
    let all = batch("history", 200_000, &[("11", Defect::CostsScaled, 4.0)]);
    let dir = temp("metrics-file");
    let file = dir.join("metrics.parquet");
    // Every region but 11, one run each: the file grows.
    for p in all.iter().filter(|p| !p.ends_with("hva11-2025")) {
        let (code, _, err) = run(&["validate", p.to_str().unwrap(), "--metrics", file.to_str().unwrap(), "--format", "json"]);
        assert!(code == 0, "{err}");
    }
    let rows = sotecheck::metrics::history::load(&file).unwrap();
    assert_eq!(rows.len(), 21);
    // Region 11 alone, compared with the 21 in the file.
    let eleven = all.iter().find(|p| p.ends_with("hva11-2025")).unwrap();
    let (_, r) = json(&["validate", eleven.to_str().unwrap(), "--metrics", file.to_str().unwrap()]);
    let outliers = batch_findings(&r, "batch-outlier");
    assert!(
        outliers.iter().any(|o| o["outlier"]["region"] == "11" && o["outlier"]["measure"] == "euros_per_inhabitant"),
        "{:#?}",
        r["batch"]
    );
    assert_eq!(sotecheck::metrics::history::load(&file).unwrap().len(), 22);
    for p in &all {
        let _ = std::fs::remove_dir_all(p);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
