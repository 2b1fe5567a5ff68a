//! Every rule file is a named test (`cargo test rule_<id>`): it must parse, and each of its
//! examples must behave as it says. Registry invariants over all rules are tests too.

use sotecheck::codelist::Registry;
use sotecheck::rules::model::{Expect, FAMILIES, PERSPECTIVES};
use std::path::Path;

fn check_rule_file(path: &str) {
    let path = Path::new(path);
    let family = path.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str()).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let rule = match sotecheck::rules::parse::parse_rule(path, family, &text) {
        Ok(r) => r,
        Err(e) => panic!("{}", sotecheck::rules::FileErrors::new(path, &text, e).render()),
    };
    let registry = Registry::builtin();
    let results = sotecheck::examples::run_rule(&rule, &registry);
    let failed: Vec<String> = results.iter().filter(|r| !r.ok).map(|r| format!("{} :: {}: {}", r.rule, r.example, r.message)).collect();
    assert!(failed.is_empty(), "examples failed:\n{}", failed.join("\n"));
    assert!(results.len() >= 2);
    // What the failing examples say, as the terminal shows it: wording is reviewed here.
    let mut text = String::new();
    for (ex, r) in rule.examples.iter().zip(&results) {
        if ex.expect == Expect::Fail {
            let f = r.finding.as_ref().expect("a failing example reaches a finding");
            text.push_str(&format!("## {}\n\n{}\n", ex.name, sotecheck::report::human::finding(f)));
        }
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/rules");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(rule.id.clone(), text));
}

include!(concat!(env!("OUT_DIR"), "/rule_tests.rs"));

fn all_rules() -> Vec<sotecheck::rules::Rule> {
    let (rules, bad) = sotecheck::rules::load_dir(&sotecheck::rules::builtin_dir()).unwrap();
    assert!(bad.is_empty(), "{}", bad.iter().map(|b| b.render()).collect::<Vec<_>>().join("\n"));
    rules
}

#[test]
fn registry_ids_unique_and_match_files() {
    let rules = all_rules();
    let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate rule ids");
    for r in &rules {
        assert_eq!(r.path.file_stem().unwrap().to_str().unwrap(), r.id);
        assert!(FAMILIES.contains(&r.family.as_str()));
    }
}

#[test]
fn registry_every_rule_documented_with_perspectives_and_both_examples() {
    for r in all_rules() {
        assert!(r.docs.what.trim().len() > 20, "{}: docs.what too short", r.id);
        assert!(r.docs.why.trim().len() > 20, "{}: docs.why too short", r.id);
        assert!(!r.docs.references.is_empty(), "{}: no references", r.id);
        assert!(!r.perspectives.is_empty() && r.perspectives.iter().all(|p| PERSPECTIVES.contains(&p.as_str())), "{}", r.id);
        assert!(r.examples.iter().any(|e| e.expect == Expect::Pass), "{}: no passing example", r.id);
        assert!(
            r.examples.iter().any(|e| e.expect == Expect::Fail && (!e.flagged.is_empty() || e.failing.is_some())),
            "{}: no failing example naming its rows",
            r.id
        );
        if !r.threshold.fail.is_empty() || r.threshold.warn.is_some() {
            assert!(r.docs.threshold.is_some(), "{}: a threshold without its reasoning (docs.threshold)", r.id);
        }
    }
}

#[test]
fn registry_rule_names_name_the_defect_not_the_fix() {
    for r in all_rules() {
        for bad in ["use-", "prefer-", "avoid-", "ensure-"] {
            assert!(!r.id.starts_with(bad), "{}: name the defect, not the fix", r.id);
        }
    }
}

#[test]
fn registry_every_check_kind_is_used() {
    let rules = all_rules();
    // `value-length` has no shipped rule since costs-cost-center-too-long was withdrawn (it
    // warned on consistent data); it stays for users' rules and is exercised by the Great
    // Expectations peer suite (expect_column_value_lengths_to_be_between).
    let peer_only = ["value-length"];
    let peer = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/great-expectations/cases.jsonl")).unwrap();
    assert!(peer.contains("expect_column_value_lengths_to_be_between"));
    for k in sotecheck::checks::KINDS {
        assert!(rules.iter().any(|r| r.check.kind() == k.name) || peer_only.contains(&k.name), "no rule uses check kind `{}`", k.name);
    }
}

#[test]
fn public_codes_are_stable() {
    let rules = all_rules();
    let mut out = String::from("# rule ids\n");
    for r in &rules {
        out.push_str(&format!("{} {} {} {}\n", r.id, r.family, r.severity.as_str(), r.check.kind()));
    }
    out.push_str("\n# check kinds\n");
    for k in sotecheck::checks::KINDS {
        out.push_str(&format!("{}: {}\n", k.name, k.about));
    }
    out.push_str("\n# input problem codes\n");
    for c in sotecheck::package::problem::ProblemCode::ALL {
        out.push_str(&format!("{}\n", c.as_str()));
    }
    insta::assert_snapshot!("public-codes", out);
}
