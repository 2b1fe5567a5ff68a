//! Loader for plain UTF-8 CSV code lists: a header with `code` and any of `name`/`name_fi`,
//! `parent`, `level`, `leaf`, `valid_from`, `valid_to`, `mandatory`. Missing `level`/`leaf`
//! are derived from the parent links. This is also the format users give their own
//! versions of the Virta classification in.

use super::{parse_date, Code, CodeList, LoadError};
use crate::text::{parse_csv, strip_bom};

pub fn load(id: &str, title: &str, provenance: &str, file: &str, text: &str) -> Result<CodeList, LoadError> {
    let err = |line: Option<usize>, message: String| LoadError { file: file.to_string(), line, message };
    let text = strip_bom(text);
    let delimiter = if text.lines().next().is_some_and(|h| h.contains(';') && !h.contains(',')) { ';' } else { ',' };
    let records = parse_csv(text, delimiter);
    let header = records.first().ok_or_else(|| err(None, "the file is empty".into()))?;
    let col = |names: &[&str]| header.fields.iter().position(|h| names.contains(&h.trim()));
    let code_i = col(&["code", "koodi", "codeValue", "kunta_code", "hva_code"])
        .ok_or_else(|| err(Some(1), "no `code` column in the header".into()))?;
    let name_i = col(&["name", "name_fi", "nimi"]);
    let parent_i = col(&["parent", "broader"]);
    let level_i = col(&["level"]);
    let leaf_i = col(&["leaf"]);
    let from_i = col(&["valid_from", "startDate"]);
    let to_i = col(&["valid_to", "endDate"]);
    let mandatory_i = col(&["mandatory"]);
    let mut list = CodeList::new(id, title, provenance);
    for rec in &records[1..] {
        let get = |i: Option<usize>| i.and_then(|i| rec.fields.get(i)).map(|s| s.trim()).filter(|s| !s.is_empty());
        let code = get(Some(code_i)).ok_or_else(|| err(Some(rec.line), "empty code".into()))?;
        let mut c = Code::new(code, get(name_i).unwrap_or(""));
        c.parent = get(parent_i).map(str::to_string);
        let date = |i: Option<usize>, what: &str| -> Result<_, LoadError> {
            match get(i) {
                None => Ok(None),
                Some(v) => parse_date(v).map(Some).ok_or_else(|| err(Some(rec.line), format!("{what} `{v}` is not a date (YYYY-MM-DD)"))),
            }
        };
        c.valid_from = date(from_i, "valid_from")?;
        c.valid_to = date(to_i, "valid_to")?;
        let flag = |i: Option<usize>, what: &str| -> Result<Option<bool>, LoadError> {
            match get(i) {
                None => Ok(None),
                Some("true" | "1" | "yes") => Ok(Some(true)),
                Some("false" | "0" | "no") => Ok(Some(false)),
                Some(v) => Err(err(Some(rec.line), format!("{what} `{v}` is not true/false"))),
            }
        };
        c.mandatory = flag(mandatory_i, "mandatory")?.unwrap_or(false);
        let leaf = flag(leaf_i, "leaf")?;
        if let Some(level) = get(level_i) {
            c.level = level.parse().map_err(|_| err(Some(rec.line), format!("level `{level}` is not a number")))?;
        }
        if list.codes.contains_key(code) {
            return Err(err(Some(rec.line), format!("code {code} appears twice")));
        }
        c.leaf = leaf.unwrap_or(true);
        list.insert(c);
    }
    if leaf_i.is_none() || level_i.is_none() {
        list.derive_hierarchy().map_err(|m| err(None, m))?;
    } else {
        for c in list.codes.values() {
            if let Some(p) = &c.parent {
                if !list.codes.contains_key(p) {
                    return Err(err(None, format!("code {} names parent {p}, which is not in the list", c.code)));
                }
            }
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_leaf_and_level_when_absent() {
        let list = load("t@1", "t", "test", "t.csv", "code,name,parent\nA,Group,\nA1,Child,A\nB,Alone,\n").unwrap();
        assert!(!list.get("A").unwrap().leaf);
        assert_eq!(list.get("A1").unwrap().level, 2);
        assert!(list.get("B").unwrap().leaf);
    }

    #[test]
    fn bad_date_names_the_line() {
        let e = load("t@1", "t", "test", "t.csv", "code,valid_from\nA,2025-01-01\nB,1.1.2025\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("1.1.2025"), "{e}");
    }

    #[test]
    fn unknown_parent_is_an_error() {
        let e = load("t@1", "t", "test", "t.csv", "code,parent\nA,Z\n").unwrap_err();
        assert!(e.message.contains("parent Z"), "{e}");
    }
}
