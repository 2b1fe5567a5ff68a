//! Loader for Statistics Finland classification-service CSV exports: Windows-1252, `;`,
//! codes quoted as `'020'`, a few preamble lines before the header. Handles both the
//! classification export (`code;level;classificationItemName`) and the correspondence
//! export (`sourcecode;sourcename;targetcode;targetname`).

use super::{Code, CodeList, Correspondence, LoadError};
use crate::text::{decode_cp1252, parse_csv, Record};

/// `'020'` → `020`: Statistics Finland quotes codes so spreadsheets keep leading zeros.
fn unquote_code(s: &str) -> String {
    s.trim().trim_matches('\'').to_string()
}

fn records(file: &str, bytes: &[u8], first_header: &str) -> Result<(Record, Vec<Record>), LoadError> {
    let text = decode_cp1252(bytes);
    let recs = parse_csv(&text, ';');
    let at = recs.iter().position(|r| r.fields.first().is_some_and(|f| f.trim() == first_header)).ok_or_else(|| LoadError {
        file: file.to_string(),
        line: None,
        message: format!("no header starting with `{first_header}`: not a Statistics Finland export of this kind"),
    })?;
    let header = recs[at].clone();
    Ok((header, recs[at + 1..].to_vec()))
}

pub fn load_classification(id: &str, title: &str, provenance: &str, file: &str, bytes: &[u8]) -> Result<CodeList, LoadError> {
    let (header, rows) = records(file, bytes, "code")?;
    let col = |n: &str| header.fields.iter().position(|h| h.trim() == n);
    let (Some(level_i), Some(name_i)) = (col("level"), col("classificationItemName")) else {
        return Err(LoadError {
            file: file.into(),
            line: Some(header.line),
            message: "header lacks `level` or `classificationItemName`".into(),
        });
    };
    let mut list = CodeList::new(id, title, provenance);
    // The export lists a parent right before its children: keep the last code per level.
    let mut last_at_level: Vec<String> = Vec::new();
    for rec in rows {
        let f = |i: usize| rec.fields.get(i).map(|s| s.trim()).unwrap_or("");
        if f(0).is_empty() {
            continue;
        }
        let code = unquote_code(f(0));
        let level: u8 = f(level_i).parse().map_err(|_| LoadError {
            file: file.into(),
            line: Some(rec.line),
            message: format!("level `{}` is not a number", f(level_i)),
        })?;
        let mut c = Code::new(code.clone(), f(name_i));
        c.level = level;
        last_at_level.truncate(level.saturating_sub(1) as usize);
        c.parent = last_at_level.last().cloned();
        last_at_level.push(code);
        list.insert(c);
    }
    list.derive_hierarchy().map_err(|m| LoadError { file: file.into(), line: None, message: m })?;
    Ok(list)
}

pub fn load_correspondence(id: &str, provenance: &str, file: &str, bytes: &[u8]) -> Result<Correspondence, LoadError> {
    let (header, rows) = records(file, bytes, "sourcecode")?;
    let target_i = header.fields.iter().position(|h| h.trim() == "targetcode").ok_or_else(|| LoadError {
        file: file.into(),
        line: Some(header.line),
        message: "header lacks `targetcode`".into(),
    })?;
    let mut map = std::collections::BTreeMap::new();
    for rec in rows {
        let source = unquote_code(rec.fields.first().map(String::as_str).unwrap_or(""));
        if source.is_empty() {
            continue;
        }
        let target = unquote_code(rec.fields.get(target_i).map(String::as_str).unwrap_or(""));
        if target.is_empty() {
            return Err(LoadError { file: file.into(), line: Some(rec.line), message: format!("no target code for {source}") });
        }
        map.insert(source, target);
    }
    Ok(Correspondence { id: id.to_string(), provenance: provenance.to_string(), map })
}
