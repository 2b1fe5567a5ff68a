//! Verdicts a region can trust (issue 11): valid data built the way regions build it passes,
//! and a finding over several columns or tables says how many rows fail where, in every
//! output format.

use std::path::{Path, PathBuf};
use std::process::Command;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// A copy of the demo package under a fresh temporary folder.
fn demo_copy(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sotecheck-trust-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo"), &dir);
    dir
}

fn validate(pkg: &Path, format: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sotecheck")).arg("validate").arg(pkg).args(["--format", format]).output().expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn finding<'a>(report: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    report["packages"][0]["findings"].as_array().unwrap().iter().find(|f| f["rule"] == rule).unwrap_or_else(|| panic!("no {rule}"))
}

/// Rewrites one column of a CSV table of a package, row by row (header untouched).
fn rewrite(pkg: &Path, table: &str, column: &str, f: impl Fn(usize, &str) -> String) {
    let path = pkg.join(format!("{table}.csv"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let at = header.split(',').position(|c| c == column).unwrap();
    let mut out = vec![header.to_string()];
    for (i, line) in lines.enumerate() {
        let mut cells: Vec<String> = line.split(',').map(String::from).collect();
        cells[at] = f(i, &cells[at]);
        out.push(cells.join(","));
    }
    std::fs::write(&path, out.join("\n") + "\n").unwrap();
}

/// Cost centres written as key and name (`08212101 Ammatillinen perhehoito`), the same in
/// costs and service_map: consistent, so nothing may warn.
#[test]
fn cost_centres_with_their_names_in_both_tables_raise_nothing() {
    let pkg = demo_copy("cost-centre-names");
    let name = |cc: &str| format!("08{}01 {} palvelujen kustannuspaikka", cc.trim_start_matches("CC"), cc);
    rewrite(&pkg, "costs", "cost_center", |_, v| name(v));
    rewrite(&pkg, "service_map", "local_id", |_, v| if v.starts_with("CC") { name(v) } else { v.to_string() });
    let (code, json) = validate(&pkg, "json");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(code, 0, "{json}");
    let noisy: Vec<&str> = report["packages"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "pass")
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(noisy.is_empty(), "consistent long cost-centre keys raised {noisy:?}");
    let _ = std::fs::remove_dir_all(&pkg);
}

/// 7 rows lack `age`, 5 `sex`, 4 `unit_oid` and 3 `event_date`: the count per column, in
/// JSON, human and JUnit; identity codes per table.column likewise.
#[test]
fn findings_over_several_columns_count_per_column_in_every_format() {
    let pkg = demo_copy("per-column");
    rewrite(&pkg, "activity", "age", |i, v| if i < 7 { String::new() } else { v.to_string() });
    rewrite(&pkg, "activity", "sex", |i, v| if (10..15).contains(&i) { String::new() } else { v.to_string() });
    rewrite(&pkg, "activity", "unit_oid", |i, v| if (20..24).contains(&i) { String::new() } else { v.to_string() });
    rewrite(&pkg, "activity", "event_date", |i, v| if (30..33).contains(&i) { String::new() } else { v.to_string() });
    rewrite(&pkg, "activity", "event_id", |i, v| if i < 4 { format!("{v}-131052-308T") } else { v.to_string() });
    rewrite(&pkg, "activity", "diagnosis", |i, v| if (100..103).contains(&i) { "010594Y9021".into() } else { v.to_string() });
    let (code, json) = validate(&pkg, "json");
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let missing = finding(&report, "activity-required-missing");
    assert_eq!(missing["rows_failing"], 19);
    assert_eq!(
        missing["failing_by_column"],
        serde_json::json!({"activity.age": 7, "activity.event_date": 3, "activity.sex": 5, "activity.unit_oid": 4})
    );
    let leak = finding(&report, "identity-code-leak");
    assert_eq!(leak["rows_failing"], 7);
    assert_eq!(leak["failing_by_column"], serde_json::json!({"activity.diagnosis": 3, "activity.event_id": 4}));
    assert!(!json.contains("131052-308T") && !json.contains("010594Y9021"), "an identity code printed in full");

    let (_, human) = validate(&pkg, "human");
    // The terminal view wraps long help lines: compare the words.
    let human = human.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(human.contains("failing by column: activity.age 7, activity.sex 5, activity.unit_oid 4, activity.event_date 3"), "{human}");
    assert!(human.contains("failing by column: activity.event_id 4, activity.diagnosis 3"), "{human}");
    let (_, junit) = validate(&pkg, "junit");
    assert!(junit.contains("failing by column: activity.age 7, activity.sex 5"), "{junit}");
    for text in [&human, &junit] {
        assert!(!text.contains("131052-308T") && !text.contains("010594Y9021"), "an identity code printed in full");
    }
    let _ = std::fs::remove_dir_all(&pkg);
}

/// A rule within its tolerance but with failing rows says so in every format.
#[test]
fn a_pass_within_tolerance_says_so() {
    let pkg = demo_copy("within-tolerance");
    // Two clients from another region (Helsinki, 091): within the 5 % of
    // activity-municipality-outside-region.
    rewrite(&pkg, "activity", "municipality", |i, v| if i < 2 { "091".into() } else { v.to_string() });
    let (code, json) = validate(&pkg, "json");
    assert_eq!(code, 0, "{json}");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let f = finding(&report, "activity-municipality-outside-region");
    assert_eq!((f["status"].as_str(), f["within_tolerance"].as_u64()), (Some("pass"), Some(2)));
    let (_, human) = validate(&pkg, "human");
    assert!(human.contains("activity-municipality-outside-region: pass, 2 rows within tolerance"), "{human}");
    let (_, junit) = validate(&pkg, "junit");
    assert!(junit.contains("pass, 2 within tolerance"), "{junit}");
    let _ = std::fs::remove_dir_all(&pkg);
}

/// Pertunmaa (588) joined Mäntyharju (507) on 1 January 2025. Etelä-Savo's 2025 population
/// has no Pertunmaa rows, and must not be asked for them; a 2024 package still must have
/// them; a 2025 package that still writes the old code is not failed for it either.
#[test]
fn a_municipality_merged_before_the_period_is_not_asked_for() {
    let gen = |year: &str| {
        let out = std::env::temp_dir().join(format!("sotecheck-trust-{}-merger-{year}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let status = Command::new(env!("CARGO_BIN_EXE_sotecheck"))
            .args(["generate", "--region", "12", "--year", year, "--rows", "3000", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
        out
    };
    let has_pertunmaa =
        |pkg: &Path| std::fs::read_to_string(pkg.join("population.csv")).unwrap().lines().any(|l| l.split(',').nth(1) == Some("588"));

    let y2025 = gen("2025");
    assert!(!has_pertunmaa(&y2025), "no Pertunmaa in 2025");
    let (code, out) = validate(&y2025, "json");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(finding(&report, "population-members-incomplete")["status"], "pass");
    assert_eq!(code, 0, "{out}");

    let y2024 = gen("2024");
    assert!(has_pertunmaa(&y2024), "Pertunmaa in 2024");
    // Without Pertunmaa's rows a 2024 package is incomplete.
    let pop = y2024.join("population.csv");
    let kept: Vec<String> =
        std::fs::read_to_string(&pop).unwrap().lines().filter(|l| l.split(',').nth(1) != Some("588")).map(String::from).collect();
    std::fs::write(&pop, kept.join("\n") + "\n").unwrap();
    let report: serde_json::Value = serde_json::from_str(&validate(&y2024, "json").1).unwrap();
    let f = finding(&report, "population-members-incomplete");
    assert_eq!((f["status"].as_str(), f["rows_failing"].as_u64()), (Some("fail"), Some(2 * 101)), "{f}");

    // A 2025 package written with the 2022 municipality list (Pertunmaa's rows with zero
    // inhabitants) is not failed by membership.
    let pop = y2025.join("population.csv");
    let mut text = std::fs::read_to_string(&pop).unwrap();
    for sex in ["1", "2"] {
        for age in 0..=100 {
            text.push_str(&format!("2025,588,{age},{sex},0\n"));
        }
    }
    std::fs::write(&pop, text).unwrap();
    let report: serde_json::Value = serde_json::from_str(&validate(&y2025, "json").1).unwrap();
    assert_eq!(finding(&report, "population-members-incomplete")["status"], "pass");
    assert_eq!(finding(&report, "population-municipality-unknown")["status"], "pass");
}
