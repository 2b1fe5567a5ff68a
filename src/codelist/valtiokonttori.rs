//! Loader for the State Treasury (Valtiokonttori) municipal service classification
//! 2021–2023 as kept in `codelists/source`: one row per year and code, with the name of the
//! "Erittelemätön …" group a code belongs to (or `Lakkautettu` for retired codes).

use super::{Code, CodeList, LoadError};
use crate::text::parse_csv;
use chrono::NaiveDate;

pub fn load_year(year: i32, provenance: &str, file: &str, text: &str) -> Result<CodeList, LoadError> {
    let recs = parse_csv(crate::text::strip_bom(text), ',');
    let err = |line, message: String| LoadError { file: file.into(), line, message };
    let header = recs.first().ok_or_else(|| err(None, "empty file".into()))?;
    let col = |n: &str| header.fields.iter().position(|h| h == n).ok_or_else(|| err(Some(1), format!("no `{n}` column")));
    let (year_i, code_i, name_i, group_i, note_i) =
        (col("year")?, col("service_class_code")?, col("name_fi")?, col("parent_unspecified_group_fi")?, col("change_note_fi")?);
    let rows: Vec<_> = recs[1..].iter().filter(|r| r.fields.get(year_i).map(String::as_str) == Some(&year.to_string())).collect();
    if rows.is_empty() {
        return Err(err(None, format!("no rows for year {year}")));
    }
    let mut list = CodeList::new(
        format!("kunta-palveluluokitus@{year}"),
        format!("Kunnan ja kuntayhtymän palveluluokitus {year} (Valtiokonttori)"),
        provenance,
    );
    let by_name: std::collections::BTreeMap<&str, &str> =
        rows.iter().map(|r| (r.fields[name_i].as_str(), r.fields[code_i].as_str())).collect();
    for r in &rows {
        let (code, name, group, note) = (&r.fields[code_i], &r.fields[name_i], &r.fields[group_i], &r.fields[note_i]);
        let mut c = Code::new(code.clone(), name.clone());
        if group == "Lakkautettu" {
            // Retired at the end of the previous year ("voimassa 31.12.2021 asti").
            c.valid_to = NaiveDate::from_ymd_opt(year - 1, 12, 31);
        } else if !group.is_empty() && group != name {
            let parent =
                by_name.get(group.as_str()).ok_or_else(|| err(Some(r.line), format!("group `{group}` of {code} is not in {year}")))?;
            c.parent = Some(parent.to_string());
        }
        if note.starts_with("Uusi palveluluokka") {
            c.valid_from = NaiveDate::from_ymd_opt(year, 1, 1);
        }
        list.insert(c);
    }
    list.derive_hierarchy().map_err(|m| err(None, m))?;
    Ok(list)
}
