//! The rules and suites shipped with sotecheck, as (path, text): read from the source tree
//! when it is there (so edits take effect at once), otherwise the copies embedded at build
//! time, under the same relative paths. Nothing is written anywhere.

use std::path::{Path, PathBuf};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

fn files(folder: &str, embedded: &[(&str, &str)]) -> Vec<(PathBuf, String)> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    if source.is_dir() {
        let read: Option<Vec<(PathBuf, String)>> = embedded
            .iter()
            .map(|(rel, _)| source.join(rel))
            .chain(walk(&source))
            .collect::<std::collections::BTreeSet<PathBuf>>()
            .into_iter()
            .filter(|p| p.is_file())
            .map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
            .collect();
        if let Some(read) = read {
            return read;
        }
    }
    embedded.iter().map(|(rel, text)| (Path::new(folder).join(rel), text.to_string())).collect()
}

/// Every `.toml` below `dir`, sorted.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The shipped rule files (`rules/<family>/<id>.toml`).
pub fn rule_files() -> Vec<(PathBuf, String)> {
    files("rules", embedded::RULE_FILES)
}

/// The shipped suite files (`conformance-suites/<suite>/<version>.toml`).
pub fn suite_files() -> Vec<(PathBuf, String)> {
    files("conformance-suites", embedded::SUITE_FILES)
}

/// The shipped rules folder in the source tree (for tests and tools that work on files).
pub fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

/// The shipped suites folder in the source tree.
pub fn suites_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance-suites")
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_shipped_rule_is_embedded() {
        let on_disk = super::walk(&super::rules_dir()).len();
        assert_eq!(super::embedded::RULE_FILES.len(), on_disk);
        assert!(!super::embedded::SUITE_FILES.is_empty());
        assert_eq!(super::rule_files().len(), on_disk);
    }

    #[test]
    fn embedded_files_load_without_the_source_tree() {
        let files = super::files("no-such-folder", super::embedded::RULE_FILES);
        assert!(files.iter().all(|(p, t)| p.starts_with("no-such-folder") && !t.is_empty()));
        let (rules, bad) = crate::rules::load_texts(super::files("no-such-folder", super::embedded::RULE_FILES));
        assert!(bad.is_empty() && rules.len() == files.len());
    }
}
