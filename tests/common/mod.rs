//! Shared by the end-to-end tests: running the binary with the locale cleared, snapshotting
//! a run, a generated 22-region batch with planted defects, and the outline of an HTML page
//! that its structural snapshots hold.
#![allow(dead_code)]

use sotecheck::generate::{Defect, OutFormat};
use std::path::PathBuf;
use std::process::Command;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// What a snapshot of the run holds: exit code, stdout and stderr.
    pub fn transcript(&self) -> String {
        format!("exit code: {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Runs sotecheck from the repository root with the locale variables cleared, so output does
/// not depend on the machine's language.
pub fn sotecheck(args: &[&str]) -> Run {
    sotecheck_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), args, &[])
}

/// Runs sotecheck in `dir` with the locale variables cleared and `env` set on top.
pub fn sotecheck_in(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sotecheck"));
    cmd.args(args).current_dir(dir);
    for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        cmd.env_remove(var);
    }
    let out = cmd.envs(env.iter().copied()).output().expect("runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// Asserts a named snapshot kept in `tests/<folder>`. A macro, so that insta names and places
/// the snapshot after the calling test file, as if asserted there.
#[macro_export]
macro_rules! snapshot_in {
    ($folder:expr, $name:expr, $text:expr) => {{
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path($folder);
        settings.bind(|| insta::assert_snapshot!($name, $text));
    }};
}

pub fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sotecheck-reports-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The defects planted in the batch, by region: a retired code, identity codes, lost leading
/// zeros and a missing month in Pirkanmaa (08); unknown codes in Etelä-Karjala (11); grouping
/// classes in Varsinais-Suomi (05); unmapped cost centres in Pohjois-Pohjanmaa (19).
pub const PLANTED: &[(&str, Defect, f64)] = &[
    ("08", Defect::RetiredService, 0.01),
    ("08", Defect::IdentityCode, 0.002),
    ("08", Defect::LostLeadingZero, 0.02),
    ("08", Defect::MissingMonth, 1.0),
    ("11", Defect::UnknownService, 0.01),
    ("05", Defect::NotLeafService, 0.01),
    ("19", Defect::UnmappedCostCenter, 2.0),
];

/// All 22 regions, 44 000 activity rows in all (split by population), with `PLANTED`.
pub fn planted_batch(name: &str) -> Vec<PathBuf> {
    regions(&temp(name), 44_000, 300, 5, PLANTED)
}

/// All 22 regions under `root`, `rows` activity rows in all (split by population, at least
/// `min_rows` each), generated with seed `seed` plus the region code, with `planted` defects
/// in the regions named.
pub fn regions(root: &std::path::Path, rows: u64, min_rows: u64, seed: u64, planted: &[(&str, Defect, f64)]) -> Vec<PathBuf> {
    let registry = sotecheck::codelist::Registry::builtin();
    let figures = registry.figures(sotecheck::codelist::registry::HVA_POPULATION).unwrap();
    let total: f64 = figures.values.values().sum();
    let mut out = Vec::new();
    for (code, pop) in &figures.values {
        let dir = root.join(format!("hva{code}-2025"));
        let defects = planted.iter().filter(|(r, _, _)| r == code).map(|(_, d, x)| (*d, *x)).collect();
        let opts = sotecheck::generate::Options {
            region: code.clone(),
            rows: ((rows as f64 * pop / total).round() as u64).max(min_rows),
            out: dir.clone(),
            format: OutFormat::Csv,
            seed: seed + code.parse::<u64>().unwrap(),
            year: 2025,
            service: "virta-palvelut@1.1".into(),
            defects,
        };
        sotecheck::generate::generate(&opts, &registry).unwrap();
        out.push(dir);
    }
    out
}

fn strip_tags(s: &str) -> String {
    let tags = regex::Regex::new(r"<[^>]*>").unwrap();
    let text = tags.replace_all(s, " ");
    let text = text
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a reader sees of a page, one line per part: headings, the verdict, the fix-first
/// entries, the rows of the perspective, package and matrix tables, the chart bars and the
/// rules that do not pass (passing ones counted). Style and script are left out.
pub fn outline(html: &str) -> String {
    let block = |tag: &str| regex::Regex::new(&format!(r"(?s)<{tag}\b[^>]*>.*?</{tag}>")).unwrap();
    let body = block("style").replace_all(html, "");
    let body = block("script").replace_all(&body, "");
    let mut out = Vec::new();
    let part = regex::Regex::new(
        r#"(?s)<(h1|h2|h3)\b[^>]*>(.*?)</(?:h1|h2|h3)>|<p class="verdict">(.*?)</p>|<ol class="fix-first"[^>]*>(.*?)</ol>|<p class="fix-first-none[^>]*>(.*?)</p>|<table class="([^"]*)"[^>]*>(.*?)</table>|<svg class="chart ([^"]*)"[^>]*>(.*?)</svg>|<details class="rule" data-status="([^"]*)" data-family="([^"]*)" id="([^"]*)">"#,
    )
    .unwrap();
    let item = regex::Regex::new(r"(?s)<li\b[^>]*>(.*?)</li>").unwrap();
    let row = regex::Regex::new(r"(?s)<tr\b[^>]*>(.*?)</tr>").unwrap();
    let cell = regex::Regex::new(r"(?s)<t[dh]\b[^>]*>(.*?)</t[dh]>").unwrap();
    let title = regex::Regex::new(r"(?s)<title>(.*?)</title>").unwrap();
    let mut passing = 0;
    let flush = |out: &mut Vec<String>, passing: &mut usize| {
        if *passing > 0 {
            out.push(format!("  rules passing: {passing}"));
            *passing = 0;
        }
    };
    for c in part.captures_iter(&body) {
        if let Some(h) = c.get(1) {
            flush(&mut out, &mut passing);
            out.push(format!("{}: {}", h.as_str(), strip_tags(&c[2])));
        } else if let Some(v) = c.get(3) {
            out.push(format!("verdict: {}", strip_tags(v.as_str())));
        } else if let Some(ol) = c.get(4) {
            for li in item.captures_iter(ol.as_str()) {
                out.push(format!("  fix: {}", strip_tags(&li[1])));
            }
        } else if let Some(p) = c.get(5) {
            out.push(format!("  fix: {}", strip_tags(p.as_str())));
        } else if let Some(class) = c.get(6) {
            out.push(format!("  table {}", class.as_str()));
            for r in row.captures_iter(&c[7]) {
                let cells: Vec<String> = cell.captures_iter(&r[1]).map(|x| strip_tags(&x[1])).collect();
                out.push(format!("    | {} |", cells.join(" | ")));
            }
        } else if let Some(class) = c.get(8) {
            out.push(format!("  chart {}", class.as_str()));
            for t in title.captures_iter(&c[9]) {
                out.push(format!("    bar {}", strip_tags(&t[1])));
            }
        } else if let Some(status) = c.get(10) {
            if status.as_str() == "pass" {
                passing += 1;
            } else {
                out.push(format!("  rule {} [{}] {}", status.as_str(), &c[11], &c[12]));
            }
        }
    }
    flush(&mut out, &mut passing);
    out.join("\n") + "\n"
}
