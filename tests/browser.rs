//! The HTML report in a real browser: headless Chromium (the distribution's package) renders
//! the page of the demo package in both languages, of a package with planted defects, and
//! of a 22-package batch; after its scripts ran the page must hold no script error
//! (`data-js-errors` on `<html>`, filled by the page's first script) and its key parts —
//! verdict, fix-first list, perspectives, for a batch its matrices — must be laid out and
//! visible (`data-visible` on `<body>`, filled by the page's last script).
//!
//! Without Chromium the test is skipped with a message, except under CI (`CI` set), where a
//! missing browser fails it (`.ci/run` installs it). `SOTECHECK_SCREENSHOTS=1` also writes
//! the screenshots the README shows to docs/screenshots/.

mod common;

use common::{planted_batch, sotecheck, temp};
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
    if let Some(p) = candidates.iter().map(PathBuf::from).find(|p| p.exists()) {
        return Some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n))).find(|p| p.exists())
}

fn browser_args(profile: &Path) -> Vec<String> {
    vec![
        "--headless".into(),
        "--disable-gpu".into(),
        "--no-sandbox".into(),
        "--hide-scrollbars".into(),
        "--no-first-run".into(),
        format!("--user-data-dir={}", profile.display()),
        // The scripts run before the DOM is dumped or the screenshot taken.
        "--virtual-time-budget=5000".into(),
    ]
}

/// Renders `page` and returns the DOM after its scripts ran.
fn dump_dom(browser: &Path, page: &Path, profile: &Path) -> String {
    let out = Command::new(browser)
        .args(browser_args(profile))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn screenshot(browser: &Path, page: &Path, png: &Path, profile: &Path, height: u32) {
    let out = Command::new(browser)
        .args(browser_args(profile))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size=1280,{height}"))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(out.status.success() && png.exists(), "no screenshot: {}", String::from_utf8_lossy(&out.stderr));
}

fn attribute<'a>(dom: &'a str, element: &str, name: &str) -> Option<&'a str> {
    let start = dom.find(&format!("<{element}"))?;
    let tag = &dom[start..start + dom[start..].find('>')?];
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[at..at + tag[at..].find('"')?])
}

fn check(browser: &Path, page: &Path, profile: &Path, keys: &[&str]) {
    let dom = dump_dom(browser, page, profile);
    let errors = attribute(&dom, "html", "data-js-errors");
    assert_eq!(errors, Some(""), "{}: script errors (or the error hook did not run)", page.display());
    assert_eq!(attribute(&dom, "body", "data-ready"), Some("true"), "{}: the page's script did not finish", page.display());
    let visible: Vec<&str> = attribute(&dom, "body", "data-visible").unwrap_or("").split(' ').collect();
    for key in keys {
        assert!(visible.contains(key), "{}: `{key}` not visible (visible: {visible:?})", page.display());
    }
    // The filters were switched on by the script.
    assert!(dom.contains("<nav class=\"filters\" id=\"filters\">"), "{}: the filters are still hidden", page.display());
}

fn write(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let r = sotecheck(args);
    assert!(r.stdout.starts_with("<!DOCTYPE html>"), "{args:?}: {}", r.stderr);
    let path = dir.join(name);
    std::fs::write(&path, r.stdout).unwrap();
    path
}

#[test]
fn the_html_report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!("CI is set but Chromium is not installed: install it (apt-get install -y chromium), as .ci/run does");
        }
        eprintln!("SKIPPED the_html_report_renders_in_headless_chromium: no Chromium (apt-get install -y chromium)");
        return;
    };
    let dir = temp("browser");
    let profile = dir.join("profile");
    let single = ["verdict", "fix-first", "perspectives"];
    for lang in ["en", "fi"] {
        let page = write(&dir, &format!("demo-{lang}.html"), &["validate", "fixtures/demo", "--format", "html", "--lang", lang]);
        check(&browser, &page, &profile, &single);
    }
    let batch = planted_batch("browser-batch");
    let pirkanmaa = batch.iter().find(|p| p.ends_with("hva08-2025")).unwrap().display().to_string();
    let mut pages = Vec::new();
    for lang in ["en", "fi"] {
        let page = write(&dir, &format!("report-{lang}.html"), &["validate", &pirkanmaa, "--format", "html", "--lang", lang]);
        check(&browser, &page, &profile, &single);
        pages.push((page, format!("report-{lang}.png"), 2000));
    }
    let mut args: Vec<String> = vec!["validate".into(), "--format".into(), "html".into(), "--lang".into(), "en".into()];
    args.extend(batch.iter().map(|p| p.display().to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let page = write(&dir, "batch.html", &refs);
    check(&browser, &page, &profile, &["verdict", "batch", "batch-perspectives", "batch-rules"]);
    pages.push((page, "batch.png".into(), 1600));
    let shots = if std::env::var_os("SOTECHECK_SCREENSHOTS").is_some() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
    } else {
        dir.join("screenshots")
    };
    std::fs::create_dir_all(&shots).unwrap();
    for (page, png, height) in pages {
        screenshot(&browser, &page, &shots.join(png), &profile, height);
    }
}
