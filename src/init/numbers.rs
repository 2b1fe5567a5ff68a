//! How a number column is written, told from its values: the decimal mark (`.` or `,`) and
//! the thousands separator (space, no-break space, `.`, `,` or `'`). A value shows its
//! marks only where it has them (`180,00` a decimal comma, `1 620` a space between
//! thousands); one that could be read two ways (`1,500`: one and a half, or fifteen
//! hundred) decides nothing, and a column where only such values occur stays undecided.

use std::collections::BTreeMap;

/// Characters that separate thousands in exports (U+202F is the narrow no-break space).
const GROUP_CHARS: [char; 6] = [' ', '\u{a0}', '\u{202f}', '.', ',', '\''];

#[derive(Debug, Clone, PartialEq)]
pub enum NumberStyle {
    /// No decimal comma and no thousands separator: nothing to declare.
    Plain,
    /// To declare on the field: `decimalChar` when it is `,`, `groupChar` when there is one.
    Marks { decimal: char, group: Option<char>, example: String },
    /// The values do not tell (or tell two things); the reason, with examples.
    Undecided(String),
}

/// What the marks of one value say.
#[derive(Default)]
struct Evidence {
    /// decimal mark → first value showing it
    decimal: BTreeMap<char, String>,
    /// thousands separator → first value showing it
    group: BTreeMap<char, String>,
    /// mark → first value where it could be either
    either: BTreeMap<char, String>,
}

/// Reads the marks of the values of a number column.
pub fn judge<'a>(values: impl IntoIterator<Item = &'a str>) -> NumberStyle {
    let mut ev = Evidence::default();
    for v in values {
        let v = v.trim();
        let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || GROUP_CHARS.contains(&c)) {
            continue; // empty, or not a number: the rules judge it, not the description
        }
        let marks: Vec<(usize, char)> = digits.char_indices().filter(|(_, c)| !c.is_ascii_digit()).collect();
        let Some(&(last_at, last)) = marks.last() else { continue };
        let after = digits[last_at + last.len_utf8()..].len();
        let mut kinds: Vec<char> = marks.iter().map(|(_, c)| *c).collect();
        kinds.dedup();
        let note = |map: &mut BTreeMap<char, String>, c: char| {
            map.entry(c).or_insert_with(|| v.to_string());
        };
        match kinds.as_slice() {
            // One kind of mark, once: a decimal mark unless it is followed by three digits.
            [c] if marks.len() == 1 => {
                if matches!(c, '.' | ',') && after != 3 {
                    note(&mut ev.decimal, *c);
                } else if matches!(c, '.' | ',') {
                    note(&mut ev.either, *c);
                } else {
                    note(&mut ev.group, *c);
                }
            }
            // The same mark between several groups: a thousands separator.
            [c] => note(&mut ev.group, *c),
            // Two kinds, the last once: `1.620,50`, `1 620,50`, `1,620.50`.
            [g, d] if marks.iter().filter(|(_, c)| c == d).count() == 1 && matches!(d, '.' | ',') => {
                note(&mut ev.group, *g);
                note(&mut ev.decimal, *d);
            }
            _ => {}
        }
    }
    decide(ev)
}

fn decide(ev: Evidence) -> NumberStyle {
    let listed = |m: &BTreeMap<char, String>| m.values().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(" and ");
    if ev.decimal.len() > 1 {
        return NumberStyle::Undecided(format!("two decimal marks occur: {}", listed(&ev.decimal)));
    }
    let decimal = ev.decimal.keys().next().copied();
    let mut group: BTreeMap<char, String> = ev.group;
    // A mark that could be either is the decimal mark when that is known to be it, and a
    // thousands separator when the decimal mark is the other one.
    for (c, v) in &ev.either {
        match decimal {
            Some(d) if d == *c => {}
            Some(_) => {
                group.entry(*c).or_insert_with(|| v.clone());
            }
            None if group.contains_key(c) => {}
            None => {
                return NumberStyle::Undecided(format!(
                    "`{v}` could be read with `{c}` as the decimal mark or as a thousands separator, and no value tells which"
                ))
            }
        }
    }
    if group.len() > 1 {
        return NumberStyle::Undecided(format!("two thousands separators occur: {}", listed(&group)));
    }
    let group_char = group.keys().next().copied();
    if let (Some(d), Some(g)) = (decimal, group_char) {
        if d == g {
            return NumberStyle::Undecided(format!("`{d}` occurs both as the decimal mark and between thousands"));
        }
    }
    if decimal != Some(',') && group_char.is_none() {
        return NumberStyle::Plain;
    }
    // A comma decimal with no thousands separator may still group with a dot elsewhere.
    let example = group_char
        .and_then(|g| group.get(&g).cloned())
        .filter(|v| decimal.is_none_or(|d| v.contains(d)))
        .or_else(|| decimal.and_then(|d| ev.decimal.get(&d).cloned()))
        .unwrap_or_default();
    NumberStyle::Marks { decimal: decimal.unwrap_or('.'), group: group_char, example }
}

#[cfg(test)]
mod tests {
    use super::{judge, NumberStyle};

    fn marks(values: &[&str]) -> (char, Option<char>) {
        match judge(values.iter().copied()) {
            NumberStyle::Marks { decimal, group, .. } => (decimal, group),
            other => panic!("{values:?}: {other:?}"),
        }
    }

    #[test]
    fn plain_numbers_declare_nothing() {
        assert_eq!(judge(["1", "360.00", "-2.5", "", "n/a"]), NumberStyle::Plain);
    }

    #[test]
    fn finnish_marks_are_found() {
        assert_eq!(marks(&["180,00", "12"]), (',', None));
        assert_eq!(marks(&["1 620,50", "3,5"]), (',', Some(' ')));
        assert_eq!(marks(&["1.620,50"]), (',', Some('.')));
        assert_eq!(marks(&["1\u{a0}620"]), ('.', Some('\u{a0}')));
        assert_eq!(marks(&["1,620.50", "1,500"]), ('.', Some(',')));
        assert_eq!(marks(&["1,500", "2,5"]), (',', None), "a decimal comma elsewhere: 1,500 is one and a half");
    }

    #[test]
    fn what_the_values_do_not_tell_stays_undecided() {
        assert!(matches!(judge(["1,500", "2,000"]), NumberStyle::Undecided(_)));
        assert!(matches!(judge(["1,5", "2.5"]), NumberStyle::Undecided(_)));
    }
}
