//! `sotecheck generate --defects` writes a manifest of exactly what it planted; the suite
//! must find exactly that, read whole and streamed in batches. One defect kind per package,
//! so that each count belongs to one rule.

use sotecheck::package::Batching;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `sotecheck generate ARGS --out <temp>/NAME` (a fresh folder); the folder and what
/// it printed on standard error.
fn run_generate(name: &str, args: &[&str]) -> (PathBuf, String) {
    let out = std::env::temp_dir().join(format!("sotecheck-generate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new(env!("CARGO_BIN_EXE_sotecheck")).arg("generate").args(args).arg("--out").arg(&out).output().expect("runs");
    let stderr = String::from_utf8_lossy(&status.stderr).to_string();
    assert!(status.status.success(), "generate {args:?}: {stderr}");
    (out, stderr)
}

fn generate(name: &str, defects: &str) -> (PathBuf, serde_json::Value) {
    let (out, _) = run_generate(name, &["--region", "08", "--rows", "20000", "--defects", defects]);
    let manifest = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    (out, manifest)
}

fn report(pkg: &Path, batching: Batching) -> serde_json::Value {
    let sources = sotecheck::cli::Sources { rules: None, codelists: vec![] };
    let r =
        sotecheck::cli::validate(&[pkg.to_path_buf()], "virta-2025", &sources, 10, Some(batching)).unwrap_or_else(|e| panic!("{}", e.0));
    let mut v: serde_json::Value = serde_json::from_str(&sotecheck::report::json::render(&r)).unwrap();
    v["packages"][0]["source"] = serde_json::Value::Null;
    v["packages"][0].take()
}

/// How a planted defect shows: a rule's failing rows, or an input problem's count; per
/// planted item (a cost centre is unmapped in each of its 12 monthly cost rows).
enum Found {
    Rule(&'static str, u64),
    Problem(&'static str),
}

fn found(report: &serde_json::Value, how: &Found) -> u64 {
    match how {
        Found::Rule(rule, _) => {
            report["findings"].as_array().unwrap().iter().find(|f| f["rule"] == *rule).unwrap_or_else(|| panic!("no finding for {rule}"))
                ["rows_failing"]
                .as_u64()
                .unwrap()
        }
        Found::Problem(code) => {
            report["input_problems"].as_array().unwrap().iter().filter(|p| p["code"] == *code).map(|p| p["count"].as_u64().unwrap()).sum()
        }
    }
}

#[test]
fn every_planted_defect_is_found_exactly() {
    let cases = [
        ("unknown-service:0.01", Found::Rule("activity-service-code-unknown", 1)),
        ("not-leaf-service:0.01", Found::Rule("activity-service-code-not-leaf", 1)),
        ("retired-service:0.01", Found::Rule("activity-service-code-not-valid-on-date", 1)),
        ("lost-leading-zero:0.01", Found::Rule("activity-municipality-leading-zero-lost", 1)),
        ("foreign-municipality:0.01", Found::Rule("activity-municipality-outside-region", 1)),
        ("identity-code:0.01", Found::Rule("identity-code-leak", 1)),
        // Rates high enough that some duplicates repeat a duplicate (three rows, one id).
        ("duplicate-event-id:0.05", Found::Rule("activity-event-id-duplicate", 1)),
        ("date-outside-period:0.01", Found::Rule("activity-date-outside-period", 1)),
        ("age-out-of-range:0.01", Found::Rule("activity-age-out-of-range", 1)),
        ("missing-month:1", Found::Rule("activity-months-incomplete", 1)),
        ("negative-fte:3", Found::Rule("staff-fte-negative", 1)),
        ("unmapped-cost-center:2", Found::Rule("cost-centers-unmapped", 12)),
        ("broken-date:0.01", Found::Problem("value-unparsable")),
    ];
    for (spec, how) in &cases {
        let (kind, _) = spec.split_once(':').unwrap();
        let (pkg, manifest) = generate(kind, spec);
        let planted = manifest["planted"][kind].as_u64().unwrap_or_else(|| panic!("{spec}: nothing planted: {manifest}"));
        assert!(planted > 0, "{spec}");
        let per_item = match how {
            Found::Rule(_, n) => *n,
            Found::Problem(_) => 1,
        };
        let whole = report(&pkg, Batching { over_bytes: u64::MAX, batch_bytes: 1 << 26 });
        assert_eq!(found(&whole, how), planted * per_item, "{spec}: planted {planted}");
        let streamed = report(&pkg, Batching { over_bytes: 0, batch_bytes: 64 << 10 });
        assert_eq!(streamed, whole, "{spec}: streamed in batches, the report differs");
        let _ = std::fs::remove_dir_all(&pkg);
    }
}

/// The per-value evaluation (`src/dictionary.rs`) must not change a report: a package with
/// every defect kind at once, streamed in small batches, validated by the binary with the
/// dictionary and without it (`SOTECHECK_NO_DICTIONARY=1`), gives the same JSON.
#[test]
fn judging_per_distinct_value_changes_no_report() {
    let defects = "unknown-service:0.01,not-leaf-service:0.01,retired-service:0.01,lost-leading-zero:0.02,\
                   foreign-municipality:0.08,identity-code:0.003,duplicate-event-id:0.005,date-outside-period:0.01,\
                   age-out-of-range:0.01,missing-month:1,negative-fte:2,unmapped-cost-center:2";
    let (pkg, _) = generate("all-defects", defects);
    let run = |no_dictionary: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sotecheck"));
        cmd.args(["validate", "--format", "json", "--batch-over", "0", "--batch-size", "256K"]).arg(&pkg);
        if no_dictionary {
            cmd.env("SOTECHECK_NO_DICTIONARY", "1");
        } else {
            cmd.env_remove("SOTECHECK_NO_DICTIONARY");
        }
        let out = cmd.output().expect("runs");
        assert_eq!(out.status.code(), Some(1), "the defects fail the gate: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let (with, without) = (run(false), run(true));
    assert!(with.contains("activity-event-id-duplicate"), "{with}");
    assert!(with == without, "the reports differ with and without the dictionary");
    let _ = std::fs::remove_dir_all(&pkg);
}

/// Every region, year and classification `generate` supports gives a package that passes
/// every rule: a clean package that fails or warns would be a false alarm on valid data.
#[test]
fn clean_packages_of_every_region_year_and_classification_pass() {
    use rayon::prelude::*;
    let registry = sotecheck::codelist::Registry::builtin();
    let regions: Vec<String> =
        registry.figures(sotecheck::codelist::registry::HVA_POPULATION).expect("county populations").values.keys().cloned().collect();
    assert_eq!(regions.len(), 22);
    let services = ["virta-palvelut@1.0", "virta-palvelut@1.1", "kunta-palveluluokitus@2021", "kunta-palveluluokitus@2022"];
    // The municipal classification of 2023 has no sote classes left to write.
    assert!(sotecheck::generate::supported("kunta-palveluluokitus@2023").is_empty());
    let mut cases = Vec::new();
    for service in services {
        let years = sotecheck::generate::supported(service);
        assert!(!years.is_empty(), "{service}");
        for year in years {
            for region in &regions {
                cases.push((service, year, region.clone()));
            }
        }
    }
    let root = std::env::temp_dir().join(format!("sotecheck-clean-{}", std::process::id()));
    let failures: Vec<String> = cases
        .par_iter()
        .filter_map(|(service, year, region)| {
            let out = root.join(format!("{}-{year}-{region}", service.replace('@', "_")));
            let opts = sotecheck::generate::Options {
                region: region.clone(),
                rows: 3000,
                out: out.clone(),
                format: sotecheck::generate::OutFormat::Csv,
                seed: 11,
                year: *year,
                service: service.to_string(),
                defects: Vec::new(),
            };
            if let Err(e) = sotecheck::generate::generate(&opts, &registry) {
                return Some(format!("{service} {year} {region}: generate: {e}"));
            }
            let sources = sotecheck::cli::Sources { rules: None, codelists: vec![] };
            let report = sotecheck::cli::validate(std::slice::from_ref(&out), "virta-2025", &sources, 3, Some(Batching::default()))
                .unwrap_or_else(|e| panic!("{}", e.0));
            let _ = std::fs::remove_dir_all(&out);
            let p = &report.packages[0];
            let mut wrong: Vec<String> = p.input_problems.iter().map(|x| format!("input {}: {}", x.code.as_str(), x.message)).collect();
            wrong.extend(p.findings.iter().filter(|f| f.status != sotecheck::report::Status::Pass || f.within_tolerance > 0).map(|f| {
                format!("{} {} ({} failing) {}", f.rule, f.status.as_str(), f.rows_failing, f.reason.clone().unwrap_or_default())
            }));
            (!wrong.is_empty()).then(|| format!("{service} {year} region {region}:\n    {}", wrong.join("\n    ")))
        })
        .collect();
    let _ = std::fs::remove_dir_all(&root);
    assert!(failures.is_empty(), "{} of {} clean packages are not clean:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn generate_refuses_a_year_its_classification_cannot_write_cleanly() {
    let out = std::env::temp_dir().join(format!("sotecheck-generate-year-{}", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_sotecheck"))
        .args(["generate", "--year", "2021", "--service", "virta-palvelut@1.1", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("--year 2021") && err.contains("2023"), "{err}");
    assert!(!out.exists());
}

/// `generate --format parquet` writes the tables batch by batch (memory stays flat at a
/// national year) in row groups of 262 144 rows, the last fewer; the package gives the
/// CSV package's findings, rule by rule (the same seed and defects). Its status line is
/// for a terminal only.
#[test]
fn a_parquet_package_is_written_in_row_groups_and_finds_what_the_csv_one_finds() {
    use polars::prelude::*;
    let run = |format: &str| -> PathBuf {
        let defects = "unknown-service:0.001,identity-code:0.0001";
        let (out, stderr) = run_generate(&format!("format-{format}"), &["--rows", "600000", "--defects", defects, "--format", format]);
        // Standard error is a pipe here, not a terminal: no status line (only the summary).
        assert!(!stderr.contains('\r') && !stderr.contains('\u{1b}') && stderr.starts_with("wrote "), "{stderr:?}");
        out
    };
    let (csv, parquet) = (run("csv"), run("parquet"));
    let metadata = ParquetReader::new(std::fs::File::open(parquet.join("activity.parquet")).unwrap()).get_metadata().unwrap().clone();
    let groups: Vec<usize> = metadata.row_groups.iter().map(|g| g.num_rows()).collect();
    assert_eq!(groups, [262_144, 262_144, 75_712]);
    assert!(!parquet.join("activity.csv").exists());
    let verdicts = |pkg: &Path| -> Vec<(String, u64)> {
        let r = report(pkg, Batching::default());
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["rule"].as_str().unwrap().to_string(), f["rows_failing"].as_u64().unwrap_or(0)))
            .collect()
    };
    let (from_csv, from_parquet) = (verdicts(&csv), verdicts(&parquet));
    assert!(from_csv.iter().any(|(rule, n)| rule == "activity-service-code-unknown" && *n > 0), "{from_csv:?}");
    assert_eq!(from_csv, from_parquet);
    for dir in [csv, parquet] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}
