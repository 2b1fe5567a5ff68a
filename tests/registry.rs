//! Invariants of the rule docs over every shipped rule: each rule says how to fix what it
//! finds, in English and in Finnish, and the Finnish texts are real Finnish that use the terms
//! of `shared/design/glossary-fi.md`. The checks are deliberately simple (word stems, not a
//! linguistic engine); each has a test showing that it can fail.

use regex::Regex;
use sotecheck::lang::Lang;
use sotecheck::rules::Rule;

fn all_rules() -> Vec<Rule> {
    let (rules, bad) = sotecheck::rules::load_dir(&sotecheck::rules::builtin_dir()).unwrap();
    assert!(bad.is_empty(), "{}", bad.iter().map(|b| b.render()).collect::<Vec<_>>().join("\n"));
    assert!(rules.len() > 50, "the shipped rules were not found");
    rules
}

/// The texts of a rule as (field, English, Finnish) pairs.
fn text_pairs(r: &Rule) -> Vec<(&'static str, String, String)> {
    let mut v = vec![
        ("title", r.title(Lang::En).to_string(), r.title(Lang::Fi).to_string()),
        ("what", r.docs.what(Lang::En).to_string(), r.docs.what(Lang::Fi).to_string()),
        ("why", r.docs.why(Lang::En).to_string(), r.docs.why(Lang::Fi).to_string()),
        ("how_to_fix", r.docs.how_to_fix(Lang::En).to_string(), r.docs.how_to_fix(Lang::Fi).to_string()),
    ];
    if let (Some(en), Some(fi)) = (r.docs.threshold(Lang::En), r.docs.threshold(Lang::Fi)) {
        v.push(("threshold", en.to_string(), fi.to_string()));
    }
    v
}

/// Prose without `code spans`, indented code blocks and rule ids: column names, values,
/// regular expressions and ids (`units-unmapped`) are the same in both languages and say
/// nothing about the language. Whitespace is one space, as line breaks fall anywhere.
fn prose(text: &str) -> String {
    let no_blocks: Vec<&str> = text.lines().filter(|l| !l.starts_with("    ")).collect();
    let text = Regex::new(r"`[^`]*`").unwrap().replace_all(&no_blocks.join("\n"), " ").into_owned();
    let text = rule_ids().iter().fold(text, |t, id| t.replace(id.as_str(), " "));
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn rule_ids() -> &'static Vec<String> {
    static IDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        // Longest first, so an id inside a longer one (none today) cannot leave a fragment.
        let mut ids: Vec<String> = all_rules().into_iter().map(|r| r.id).collect();
        ids.sort_by_key(|id| std::cmp::Reverse(id.len()));
        ids
    })
}

fn words(text: &str) -> Vec<String> {
    prose(text).split(|c: char| !c.is_alphabetic()).filter(|w| w.chars().count() >= 4).map(|w| w.to_lowercase()).collect()
}

/// Share of the Finnish text's words that also occur in the English one. Translated prose
/// shares names (Kankaanpää, Ammattiluokitus, rule ids); a copy shares nearly everything.
fn shared_word_share(en: &str, fi: &str) -> f64 {
    let en: std::collections::BTreeSet<String> = words(en).into_iter().collect();
    let fi = words(fi);
    if fi.is_empty() {
        return 1.0;
    }
    fi.iter().filter(|w| en.contains(*w)).count() as f64 / fi.len() as f64
}

/// Concepts of the glossary: where the English prose names one (pattern), the Finnish prose
/// must contain one of its terms (stems, so that every case ending matches: kustannuspaikan,
/// kustannuspaikoittain).
const GLOSSARY: &[(&str, &str, &[&str])] = &[
    ("cost centre", r"cost[ -]?cent(re|er)", &["kustannuspaik"]),
    ("FTE", r"\bftes?\b|person-years?", &["henkilötyövuo", "htv"]),
    ("service class", r"\bclass(es)?\b|classification", &["luok"]),
    ("grouping class", r"grouping class|erittelemätön", &["erittelemät"]),
    ("retired code", r"\bretired\b", &["lakkaut"]),
    ("business ID", r"business id", &["y-tunnu"]),
    ("personal identity code", r"identity code", &["henkilötunnu", "hetu"]),
    ("home municipality", r"home municipalit", &["kotikun"]),
    ("purchased services", r"purchas", &["osto", "osta", "ostet"]),
    ("own production", r"\bown (production|activity|costs|events)\b|own-production", &["oma", "omien"]),
    ("service unit", r"\bunits?\b", &["yksik"]),
    (
        "patient and client information system",
        r"patient (and client )?information system",
        &["potilastietojärjestelm", "potilas- ja asiakastietojärjestelm"],
    ),
    ("finance system", r"finance system", &["talousjärjestelm"]),
    ("HR system", r"\bhr (system|extract)", &["henkilöstötieto"]),
    ("conformant", r"conformant", &["vaatimustenmukai"]),
];

/// The glossary concepts the English text names but the Finnish one does not.
fn glossary_gaps(en: &str, fi: &str) -> Vec<&'static str> {
    // "unit cost" is a cost per event, not a service unit.
    let en = prose(en).to_lowercase().replace("unit cost", "cost");
    let fi = prose(fi).to_lowercase();
    GLOSSARY
        .iter()
        .filter(|(_, pattern, terms)| Regex::new(pattern).unwrap().is_match(&en) && !terms.iter().any(|t| fi.contains(t)))
        .map(|(concept, _, _)| *concept)
        .collect()
}

/// Decimals written with a point before a per cent sign (`0.5 %`): English, not Finnish.
fn english_percentages(fi: &str) -> Vec<String> {
    Regex::new(r"\d+\.\d+ ?%").unwrap().find_iter(&prose(fi)).map(|m| m.as_str().to_string()).collect()
}

#[test]
fn registry_every_rule_has_how_to_fix_in_both_languages() {
    for r in all_rules() {
        for lang in [Lang::En, Lang::Fi] {
            let how = r.docs.how_to_fix(lang).trim();
            assert!(how.len() > 80, "{} ({}): how_to_fix is missing or too short to be concrete", r.id, lang.as_str());
            assert!(
                how.contains("sotecheck validate"),
                "{} ({}): how_to_fix must say how to verify the fix (re-run `sotecheck validate`)",
                r.id,
                lang.as_str()
            );
        }
    }
}

#[test]
fn registry_every_rule_has_complete_finnish_docs() {
    for r in all_rules() {
        let fi = &r.docs.fi;
        for (field, text) in [("title", &fi.title), ("what", &fi.what), ("why", &fi.why), ("how_to_fix", &fi.how_to_fix)] {
            assert!(text.trim().chars().count() > 10, "{}: [docs.fi] {field} is missing or too short", r.id);
        }
        assert_eq!(fi.threshold.is_some(), r.docs.threshold.is_some(), "{}: [docs.fi] threshold must go with [docs] threshold", r.id);
        assert!(fi.title.chars().count() <= 110 && !fi.title.ends_with('.'), "{}: a title is short and has no full stop", r.id);
    }
}

#[test]
fn registry_finnish_texts_are_not_copies_of_the_english() {
    for r in all_rules() {
        for (field, en, fi) in text_pairs(&r) {
            assert_ne!(en.trim(), fi.trim(), "{}: [docs.fi] {field} is the English text", r.id);
            let share = shared_word_share(&en, &fi);
            assert!(share < 0.4, "{}: {:.0} % of the words of [docs.fi] {field} are English", r.id, share * 100.0);
        }
    }
}

#[test]
fn registry_finnish_texts_use_the_glossary_terms() {
    let mut gaps = Vec::new();
    for r in all_rules() {
        for (field, en, fi) in text_pairs(&r) {
            for concept in glossary_gaps(&en, &fi) {
                gaps.push(format!("{} [docs.fi] {field}: the English names `{concept}`, the Finnish does not use its term", r.id));
            }
        }
    }
    assert!(gaps.is_empty(), "see shared/design/glossary-fi.md:\n{}", gaps.join("\n"));
}

#[test]
fn registry_finnish_texts_write_decimals_with_a_comma() {
    for r in all_rules() {
        for (field, _, fi) in text_pairs(&r) {
            let bad = english_percentages(&fi);
            assert!(bad.is_empty(), "{} [docs.fi] {field}: {bad:?} (write 0,5 %, 99,5 %)", r.id);
        }
    }
}

/// `[docs.fi]` follows the `[docs]` keys and comes before `[check]`, so a reader finds both
/// languages together and the English keys stay in one block.
#[test]
fn registry_finnish_docs_sit_between_docs_and_check() {
    for r in all_rules() {
        let text = std::fs::read_to_string(&r.path).unwrap();
        let at = |header: &str| text.lines().position(|l| l == header).unwrap_or_else(|| panic!("{}: no {header}", r.id));
        let (docs, fi, check) = (at("[docs]"), at("[docs.fi]"), at("[check]"));
        assert!(docs < fi && fi < check, "{}: the order must be [docs], [docs.fi], [check]", r.id);
        let english: Vec<&str> = text.lines().skip(docs + 1).take(fi - docs - 1).collect();
        let how = english.iter().position(|l| l.starts_with("how_to_fix = "));
        let why = english.iter().position(|l| l.starts_with("why = "));
        assert!(how.is_some() && why < how, "{}: how_to_fix belongs after why in [docs]", r.id);
    }
}

// The checks above must be able to fail.

#[test]
fn glossary_check_catches_a_missing_term() {
    assert_eq!(glossary_gaps("Every cost centre is mapped.", "Jokainen kulupaikka on kohdistettu."), vec!["cost centre"]);
    assert!(glossary_gaps("Every cost centre is mapped.", "Jokainen kustannuspaikka on kohdistettu.").is_empty());
    assert_eq!(glossary_gaps("FTEs per 1000 inhabitants", "Henkilöstö 1 000 asukasta kohden"), vec!["FTE"]);
    assert_eq!(glossary_gaps("the business ID arc", "organisaation tunniste"), vec!["business ID"]);
    assert_eq!(glossary_gaps("a personal identity code", "henkilön tunniste"), vec!["personal identity code"]);
    assert_eq!(glossary_gaps("retired 2537", "poistunut 2537"), vec!["retired code"]);
    // Unit costs are not service units; code spans and rule ids are not prose; a term may be
    // broken across lines.
    assert!(glossary_gaps("Unit costs are compared; `unit_oid` too.", "Yksikkökustannuksia verrataan.").is_empty());
    assert!(glossary_gaps("Fill `unit_oid`.", "Täytä `unit_oid`.").is_empty());
    assert!(glossary_gaps("See units-unmapped.", "Katso units-unmapped.").is_empty());
    assert!(glossary_gaps("the patient information system", "potilas- ja\nasiakastietojärjestelmän").is_empty());
}

#[test]
fn copy_check_catches_english_in_the_finnish_field() {
    let en = "Every filled `age` in `activity` must lie between 0 and 120 inclusive.";
    assert!(shared_word_share(en, en) > 0.9);
    assert!(shared_word_share(en, "Every filled age in activity must lie between 0 and 120, mukaan lukien.") >= 0.4);
    assert!(shared_word_share(en, "Jokaisen `activity`-taulun täytetyn `age`-arvon on oltava välillä 0–120.") < 0.1);
}

#[test]
fn decimal_check_catches_a_point() {
    assert_eq!(english_percentages("Tarkistus hylkää alle 99.5 %:n osuuden."), vec!["99.5 %"]);
    assert!(english_percentages("Enintään 0,5 % riveistä, `0.5 %` koodina.").is_empty());
}
