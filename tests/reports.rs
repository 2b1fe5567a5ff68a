//! The reports people act on: the Markdown summary and the HTML page in English and Finnish
//! for the demo package and a generated 22-region batch with planted defects (named
//! snapshots `reports/<format>-<scenario>-<lang>`; the HTML as its outline, so a change of
//! style does not churn them), one planted cause shown as one fix-first entry naming all
//! the rules it breaks, and the page self-contained, escaped and deterministic.

mod common;

use common::{outline, planted_batch, sotecheck, temp};
use std::path::Path;

fn snap(name: &str, text: &str) {
    snapshot_in!("snapshots/reports", name, text);
}

#[test]
fn demo_markdown_and_html_in_both_languages() {
    for lang in ["en", "fi"] {
        let md = sotecheck(&["validate", "fixtures/demo", "--format", "markdown", "--lang", lang]);
        assert_eq!(md.code, 0, "{}", md.stderr);
        snap(&format!("markdown-demo-{lang}"), &md.stdout);
        let html = sotecheck(&["validate", "fixtures/demo", "--format", "html", "--lang", lang]);
        assert_eq!(html.code, 0, "{}", html.stderr);
        snap(&format!("html-demo-{lang}"), &outline(&html.stdout));
    }
}

#[test]
fn batch_markdown_and_html_in_both_languages() {
    let packages = planted_batch("reports-batch");
    let args: Vec<String> = packages.iter().map(|p| p.display().to_string()).collect();
    let root = packages[0].parent().unwrap().display().to_string();
    for lang in ["en", "fi"] {
        for (format, scenario) in [("markdown", "markdown"), ("html", "html")] {
            let mut all: Vec<&str> = vec!["validate", "--format", format, "--lang", lang];
            all.extend(args.iter().map(String::as_str));
            let r = sotecheck(&all);
            assert_eq!(r.code, 1, "{}", r.stderr);
            // The batch lives in a temporary folder: its path is not part of the snapshot.
            let text = r.stdout.replace(&root, "<batch>");
            let text = if format == "html" { outline(&text) } else { text };
            snap(&format!("{scenario}-batch-{lang}"), &text);
        }
    }
}

/// The demo package with service code 2537 (Työterveyshuolto, retired 2024-12-31) on every
/// 40th row of activity, costs and staff: one cause in three tables.
fn retired_everywhere() -> std::path::PathBuf {
    let dir = temp("retired-everywhere");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    for e in std::fs::read_dir(&demo).unwrap().flatten() {
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    for (table, column) in [("activity", 2), ("costs", 1), ("staff", 1)] {
        let path = dir.join(format!("{table}.csv"));
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 || i % 40 != 0 {
                    return l.to_string();
                }
                let mut cells: Vec<&str> = l.split(',').collect();
                cells[column] = "2537";
                cells.join(",")
            })
            .collect();
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    }
    dir
}

#[test]
fn one_planted_cause_is_one_fix_first_entry_naming_every_rule_it_breaks() {
    let dir = retired_everywhere();
    let r = sotecheck(&["validate", dir.to_str().unwrap(), "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let p = &report["packages"][0];
    let flagged: Vec<&str> = p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "pass" && f["status"] != "not-evaluated")
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    let items = p["fix_first"].as_array().expect("a fix-first list");
    let retired: Vec<&serde_json::Value> = items.iter().filter(|i| i["value"] == "2537").collect();
    assert_eq!(retired.len(), 1, "one entry for code 2537: {items:#?}");
    let item = retired[0];
    assert_eq!(item["cause"], "code-retired");
    assert_eq!(item["name"], "Työterveyshuolto");
    assert_eq!(item["valid_to"], "2024-12-31");
    assert_eq!(item["tables"], serde_json::json!(["activity", "costs", "staff"]));
    let rules: Vec<&str> = item["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    for rule in ["activity-service-code-not-valid-on-date", "costs-service-code-not-valid-on-date", "staff-service-code-not-valid-on-date"]
    {
        assert!(rules.contains(&rule), "{rule} in {rules:?}");
    }
    // Every rule the code breaks is named in it, and in no other entry.
    assert_eq!(items.len(), 1, "the one cause is the only entry: {items:#?}");
    let mut all = rules.clone();
    all.sort();
    let mut flagged = flagged.clone();
    flagged.sort();
    assert_eq!(all, flagged);
    // Every view shows it once.
    for (args, needle) in [
        (vec!["--lang", "en"], "2537 Työterveyshuolto — retired 2024-12-31"),
        (vec!["--lang", "fi"], "2537 Työterveyshuolto — lakkautettu 31.12.2024"),
        (vec!["--lang", "en", "--format", "markdown"], "2537 Työterveyshuolto — retired 2024-12-31"),
        (vec!["--lang", "fi", "--format", "html"], "2537 Työterveyshuolto — lakkautettu 31.12.2024"),
    ] {
        let mut all = vec!["validate", dir.to_str().unwrap()];
        all.extend(args.iter().copied());
        let out = sotecheck(&all).stdout;
        assert_eq!(out.matches(needle).count(), 1, "{args:?}:\n{out}");
    }
}

#[test]
fn the_page_is_self_contained_escaped_and_deterministic() {
    let dir = retired_everywhere();
    // A hostile value: markup in a unit identifier must stay text.
    let path = dir.join("activity.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[5].split(',').map(String::from).collect();
    cells[3] = "<img src=x onerror=alert(1)>".into();
    lines[5] = cells.join(",");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let a = sotecheck(&["validate", dir.to_str().unwrap(), "--format", "html"]).stdout;
    let b = sotecheck(&["validate", dir.to_str().unwrap(), "--format", "html"]).stdout;
    assert_eq!(a, b, "the same input gives the same page");
    assert!(a.starts_with("<!DOCTYPE html>"));
    assert!(!a.contains("<img"), "markup from the data is escaped");
    assert!(a.contains("&lt;img src=x onerror=alert(1)&gt;"));
    for external in ["<link", " src=\"", "url(", "@import", "http://", "https://"] {
        assert!(!a.contains(external), "no external asset ({external})");
    }
    // The same report as Markdown escapes the value too.
    let md = sotecheck(&["validate", dir.to_str().unwrap(), "--format", "markdown"]).stdout;
    assert_eq!(md.matches("<img").count(), md.matches("\\<img").count(), "{md}");
}

#[test]
fn html_and_markdown_are_also_written_with_report() {
    let dir = temp("report-flag");
    let html = dir.join("r.html");
    let md = dir.join("r.md");
    let r = sotecheck(&[
        "validate",
        "fixtures/defects/unknown-service",
        "--report",
        &format!("html={}", html.display()),
        "--report",
        &format!("markdown={}", md.display()),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(std::fs::read_to_string(&html).unwrap().contains("9999"));
    assert!(std::fs::read_to_string(&md).unwrap().contains("`activity-service-code-unknown`"));
    // The stored JSON report renders the same views again, in either language.
    let json = dir.join("r.json");
    std::fs::write(&json, &r.stdout).unwrap();
    let again = sotecheck(&["report", json.to_str().unwrap(), "--format", "markdown", "--lang", "fi"]);
    assert!(again.stdout.contains("9999 — ei ilmoitetussa luokituksessa"), "{}", again.stdout);
}
