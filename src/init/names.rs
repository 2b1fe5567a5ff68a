//! Which table of the contract a file holds, told from its name: the table's own name
//! (`activity.csv`), a name with the table in it (`hva08_costs_2025.csv`), a Finnish export
//! name (`kustannukset.csv`) or a near miss (`activty.csv`). Only the first is certain; the
//! others are guesses, used when one file alone is guessed for a table.

use crate::package::contract;

/// Finnish names exports are given, folded to ASCII (`ä` → `a`, `ö` → `o`). sotecheck's own
/// decision: the contract names the tables in English only.
pub const FINNISH: &[(&str, &str)] = &[
    ("palvelutapahtumat", "activity"),
    ("palvelutapahtuma", "activity"),
    ("tapahtumat", "activity"),
    ("suoritteet", "activity"),
    ("toiminta", "activity"),
    ("kustannukset", "costs"),
    ("kulut", "costs"),
    ("talous", "costs"),
    ("henkilosto", "staff"),
    ("henkilostotiedot", "staff"),
    ("htv", "staff"),
    ("vaesto", "population"),
    ("vaestotiedot", "population"),
    ("vakiluku", "population"),
    ("palvelukartta", "service_map"),
    ("kohdistukset", "service_map"),
];

/// What a file's name says about its table.
#[derive(Debug, Clone, PartialEq)]
pub enum NameMatch {
    /// The stem is the table's name.
    Exact(&'static str),
    /// A guess, and why (`its name contains "costs"`).
    Guess {
        table: &'static str,
        why: String,
    },
    /// The name fits several tables.
    Several(Vec<&'static str>),
    None,
}

/// Lower case, Finnish letters folded, separators as `_`.
fn fold(stem: &str) -> String {
    stem.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'ä' | 'å' => 'a',
            'ö' => 'o',
            '-' | ' ' | '.' => '_',
            c => c,
        })
        .collect()
}

/// `word` occurs in `name` between separators (`_`, a digit, or an end).
fn has_word(name: &str, word: &str) -> bool {
    name.match_indices(word).any(|(i, _)| {
        let before = name[..i].chars().next_back();
        let after = name[i + word.len()..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| c == '_' || c.is_ascii_digit());
        edge(before) && edge(after)
    })
}

/// The table a file stem names, or the guess.
pub fn table_for(stem: &str) -> NameMatch {
    let name = fold(stem);
    if let Some(t) = contract::table_names().find(|t| *t == name) {
        return NameMatch::Exact(t);
    }
    let mut found: Vec<(&'static str, String)> = Vec::new();
    for t in contract::table_names() {
        if has_word(&name, t) {
            found.push((t, format!("its name contains `{t}`")));
        }
    }
    for (fi, t) in FINNISH {
        if has_word(&name, fi) && !found.iter().any(|(f, _)| f == t) {
            found.push((t, format!("`{fi}` is a Finnish name for `{t}`")));
        }
    }
    match found.len() {
        1 => {
            let (table, why) = found.remove(0);
            return NameMatch::Guess { table, why };
        }
        n if n > 1 => return NameMatch::Several(found.into_iter().map(|(t, _)| t).collect()),
        _ => {}
    }
    let candidates = contract::table_names().chain(FINNISH.iter().map(|(fi, _)| *fi));
    match crate::suggest::best(&name, candidates) {
        Some(near) => {
            let table = FINNISH.iter().find(|(fi, _)| *fi == near).map_or(near, |(_, t)| *t);
            NameMatch::Guess { table, why: format!("did you mean `{near}`?") }
        }
        None => NameMatch::None,
    }
}

#[cfg(test)]
mod tests {
    use super::{table_for, NameMatch};

    fn guess(stem: &str) -> &'static str {
        match table_for(stem) {
            NameMatch::Guess { table, .. } => table,
            other => panic!("{stem}: {other:?}"),
        }
    }

    #[test]
    fn names_are_matched_exactly_or_guessed() {
        assert_eq!(table_for("activity"), NameMatch::Exact("activity"));
        assert_eq!(table_for("Service_Map"), NameMatch::Exact("service_map"));
        assert_eq!(guess("activty"), "activity");
        assert_eq!(guess("hva08_costs_2025"), "costs");
        assert_eq!(guess("Kustannukset 2025"), "costs");
        assert_eq!(guess("väestö"), "population");
        assert_eq!(guess("henkilöstö-2025"), "staff");
        assert_eq!(table_for("costs_and_staff"), NameMatch::Several(vec!["costs", "staff"]));
        assert_eq!(table_for("readme"), NameMatch::None);
    }
}
