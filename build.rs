//! Turns every rule file and every suite case into its own named test, so
//! `cargo test rule_<id>` or `cargo test suite_<suite>_<case>` runs just that one and a
//! new rule needs no registry edit.

use std::fmt::Write;
use std::path::Path;

fn ident(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let out = std::env::var("OUT_DIR").unwrap();
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=conformance-suites");
    let mut rules = String::new();
    let mut files = Vec::new();
    if let Ok(fams) = std::fs::read_dir(Path::new(&root).join("rules")) {
        for fam in fams.flatten() {
            println!("cargo:rerun-if-changed={}", fam.path().display());
            if let Ok(fs) = std::fs::read_dir(fam.path()) {
                for f in fs.flatten() {
                    if f.path().extension().is_some_and(|e| e == "toml") {
                        files.push(f.path());
                    }
                }
            }
        }
    }
    files.sort();
    for f in &files {
        let stem = f.file_stem().unwrap().to_string_lossy();
        writeln!(rules, "#[test]\nfn rule_{}() {{ check_rule_file({:?}); }}\n", ident(&stem), f.display().to_string()).unwrap();
    }
    std::fs::write(Path::new(&out).join("rule_tests.rs"), rules).unwrap();

    let mut suites = String::new();
    if let Ok(ss) = std::fs::read_dir(Path::new(&root).join("conformance-suites")) {
        let mut paths: Vec<_> = ss.flatten().map(|s| s.path()).collect();
        paths.sort();
        for s in paths {
            let Ok(vs) = std::fs::read_dir(&s) else {
                continue;
            };
            let mut vpaths: Vec<_> = vs.flatten().map(|v| v.path()).filter(|p| p.extension().is_some_and(|e| e == "toml")).collect();
            vpaths.sort();
            for v in vpaths {
                println!("cargo:rerun-if-changed={}", v.display());
                let text = std::fs::read_to_string(&v).unwrap_or_default();
                // Case names are read with a plain scan; the real parser validates them.
                for line in text.lines() {
                    let line = line.trim();
                    if let Some(rest) = line.strip_prefix("name = \"") {
                        if text.contains("[[cases]]") && text.find(line).unwrap_or(0) > text.find("[[cases]]").unwrap_or(usize::MAX) {
                            let name = rest.trim_end_matches('"');
                            let sname = format!(
                                "{}_{}",
                                ident(&s.file_name().unwrap().to_string_lossy()),
                                ident(&v.file_stem().unwrap().to_string_lossy())
                            );
                            writeln!(
                                suites,
                                "#[test]\nfn suite_{sname}_{}() {{ check_suite_case({:?}, {:?}); }}\n",
                                ident(name),
                                v.display().to_string(),
                                name
                            )
                            .unwrap();
                        }
                    }
                }
            }
        }
    }
    std::fs::write(Path::new(&out).join("suite_tests.rs"), suites).unwrap();
    embedded_files(&root, &out);
    great_expectations_tests(&root, &out);
}

/// Great Expectations' test definitions (tests/data/great-expectations): one named test per
/// case, `ge_<case id>`, for tests/great_expectations.rs. Ids are read with a plain scan
/// (they hold no escapes); the test reads the cases with a real JSON parser.
fn great_expectations_tests(root: &str, out: &str) {
    let mut tests = String::new();
    let mut seen = std::collections::BTreeSet::new();
    for file in ["cases.jsonl", "probes.jsonl"] {
        let path = Path::new(root).join("tests/data/great-expectations").join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for line in text.lines() {
            let Some(rest) = line.split_once("\"id\": \"").map(|(_, r)| r) else {
                continue;
            };
            let Some((id, _)) = rest.split_once('"') else {
                continue;
            };
            // `::` and other punctuation become one `_`, so the name stays snake case.
            let words: Vec<String> =
                ident(id.trim_start_matches("expect_")).split('_').filter(|w| !w.is_empty()).map(str::to_string).collect();
            let mut name = words.join("_");
            let mut n = 1;
            while !seen.insert(name.clone()) {
                n += 1;
                name = format!("{}_{n}", words.join("_"));
            }
            writeln!(tests, "#[test]\nfn ge_{name}() {{ check_case({id:?}); }}\n").unwrap();
        }
    }
    std::fs::write(Path::new(out).join("ge_tests.rs"), tests).unwrap();
}

/// Embeds the shipped rules and suites in the binary (`$OUT_DIR/embedded.rs`), so an
/// installed `sotecheck` works away from its source tree.
fn embedded_files(root: &str, out: &str) {
    fn walk(dir: &Path, base: &Path, acc: &mut Vec<(String, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                walk(&p, base, acc);
            } else if p.extension().is_some_and(|e| e == "toml") {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/");
                acc.push((rel, p.display().to_string()));
            }
        }
    }
    let mut code = String::new();
    for (name, folder) in [("RULE_FILES", "rules"), ("SUITE_FILES", "conformance-suites")] {
        let base = Path::new(root).join(folder);
        let mut files = Vec::new();
        walk(&base, &base, &mut files);
        writeln!(code, "pub const {name}: &[(&str, &str)] = &[").unwrap();
        for (rel, abs) in files {
            writeln!(code, "    ({rel:?}, include_str!({abs:?})),").unwrap();
        }
        writeln!(code, "];").unwrap();
    }
    std::fs::write(Path::new(out).join("embedded.rs"), code).unwrap();
}
