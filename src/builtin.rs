//! The rules and suites shipped with sotecheck. Read from the source tree when it is there
//! (so edits take effect at once); otherwise from copies embedded at build time, written
//! once to a folder under the temporary directory.

use std::path::{Path, PathBuf};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

fn dir(folder: &str, files: &[(&str, &str)]) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    if source.is_dir() {
        return source;
    }
    let target = std::env::temp_dir().join(format!("sotecheck-{}-{}", env!("CARGO_PKG_VERSION"), std::process::id())).join(folder);
    for (rel, text) in files {
        let path = target.join(rel);
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = std::fs::write(&path, text);
    }
    target
}

pub fn rules_dir() -> PathBuf {
    dir("rules", embedded::RULE_FILES)
}

pub fn suites_dir() -> PathBuf {
    dir("conformance-suites", embedded::SUITE_FILES)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_shipped_rule_is_embedded() {
        let on_disk =
            std::fs::read_dir(super::rules_dir()).unwrap().flatten().flat_map(|f| std::fs::read_dir(f.path()).unwrap().flatten()).count();
        assert_eq!(super::embedded::RULE_FILES.len(), on_disk);
        assert!(!super::embedded::SUITE_FILES.is_empty());
    }
}
