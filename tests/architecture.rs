//! The module structure has no import cycle. Lists the `use crate::` / `super::` edges
//! between the crate's top-level modules and between sibling files of each folder, and fails
//! on any cycle among either (a parent module naming its own children is the module tree,
//! not an edge). `cargo test --test architecture -- --nocapture` prints the edges.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, as (module path, text); `lib.rs` is the root, `main.rs`
/// (the binary) is left out.
fn files() -> Vec<(Vec<String>, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    walk(&src, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .filter(|p| !p.ends_with("main.rs"))
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().with_extension("");
            let mut module: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
            if module.last().is_some_and(|l| l == "mod" || l == "lib") {
                module.pop();
            }
            // Code only: comments and doc comments name modules without using them.
            let text: String =
                std::fs::read_to_string(&p).unwrap().lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
            (module, text)
        })
        .collect()
}

/// The module paths `text` (of module `me`) refers to, resolved to absolute paths.
fn references(me: &[String], text: &str) -> BTreeSet<Vec<String>> {
    let ident = |s: &str| -> Vec<String> {
        // Up to the first character that ends a path (`;`, `(`, `<`, a space…).
        let s = s.trim_start();
        let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(s.len());
        s[..end].split("::").filter(|x| !x.is_empty()).map(str::to_string).collect()
    };
    let mut out = BTreeSet::new();
    // `super` of a file module is its folder; of a `mod.rs` (folder) module, the folder's parent.
    let parent: Vec<String> = me[..me.len().saturating_sub(1)].to_vec();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent)] {
        let mut rest = text;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                // `super::{a, b::C}`: each item.
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let mut path = base.clone();
                    path.extend(ident(item));
                    out.insert(path);
                }
            } else {
                let mut path = base.clone();
                path.extend(ident(rest));
                out.insert(path);
            }
        }
    }
    out
}

/// The first cycle in a graph, if any.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let from = stack.iter().position(|s| s == m).unwrap();
                    let mut c = stack[from..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(m, graph, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(n, graph, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn no_import_cycles() {
    let files = files();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(m, _)| m.clone()).collect();
    // The longest known module a path starts with.
    let owner =
        |path: &[String]| -> Option<Vec<String>> { (1..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| modules.contains(p)) };
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut siblings: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (me, text) in &files {
        if me.is_empty() {
            continue;
        }
        for r in references(me, text) {
            let Some(target) = owner(&r) else { continue };
            if target[0] != me[0] {
                top.entry(me[0].clone()).or_default().insert(target[0].clone());
            } else if me.len() >= 2
                && target.len() >= me.len()
                && target[..me.len() - 1] == me[..me.len() - 1]
                && target[..me.len()] != me[..]
            {
                // A sibling (or a sibling's descendant) in the same folder.
                let sibling = target[..me.len()].join("::");
                siblings.entry(me.join("::")).or_default().insert(sibling);
            }
        }
    }
    println!("# top-level modules");
    for (from, to) in &top {
        println!("{from} -> {}", to.iter().cloned().collect::<Vec<_>>().join(", "));
    }
    println!("\n# sibling files");
    for (from, to) in &siblings {
        println!("{from} -> {}", to.iter().cloned().collect::<Vec<_>>().join(", "));
    }
    if let Some(c) = cycle(&top) {
        panic!("import cycle between top-level modules: {}", c.join(" -> "));
    }
    if let Some(c) = cycle(&siblings) {
        panic!("import cycle between sibling files: {}", c.join(" -> "));
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let g = |edges: &[(&str, &str)]| {
        let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            m.entry(a.to_string()).or_default().insert(b.to_string());
        }
        m
    };
    assert_eq!(cycle(&g(&[("a", "b"), ("b", "c"), ("c", "a")])), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    assert_eq!(cycle(&g(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    let refs = references(&["exec".into(), "pass".into()], "use super::{gather, rows::fused};\nuse crate::checks::api::Gather;");
    assert!(refs.contains(&vec!["exec".to_string(), "gather".to_string()]));
    assert!(refs.contains(&vec!["exec".to_string(), "rows".to_string(), "fused".to_string()]));
    assert!(refs.iter().any(|r| r.starts_with(&["checks".to_string(), "api".to_string()])), "{refs:?}");
}

/// The two files that did most jobs are each down to one.
#[test]
fn orchestration_files_stay_small() {
    for file in ["src/exec/mod.rs", "src/checks/mod.rs"] {
        let n = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap().lines().count();
        assert!(n <= 350, "{file} has {n} lines: split what it does");
    }
}
