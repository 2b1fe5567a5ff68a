//! Loader for koodistot.suomi.fi code-list JSON exports: either the code scheme object
//! (with a `codes` array) or the codes API page (`{meta, results}`).

use super::{parse_date, Code, CodeList, LoadError};
use serde_json::Value;

pub fn load(id: &str, title: &str, provenance: &str, file: &str, text: &str) -> Result<CodeList, LoadError> {
    let err = |message: String| LoadError { file: file.to_string(), line: None, message };
    let root: Value = serde_json::from_str(crate::text::strip_bom(text)).map_err(|e| LoadError {
        file: file.to_string(),
        line: Some(e.line()),
        message: format!("not valid JSON: {e}"),
    })?;
    let scheme_start = root.get("startDate").and_then(Value::as_str).and_then(parse_date);
    let codes = root
        .get("codes")
        .or_else(|| root.get("results"))
        .and_then(Value::as_array)
        .ok_or_else(|| err("neither a `codes` nor a `results` array: not a koodistot.suomi.fi export".into()))?;
    let mut list = CodeList::new(id, title, provenance);
    let mut has_hierarchy_links = false;
    for (i, item) in codes.iter().enumerate() {
        let code = item.get("codeValue").and_then(Value::as_str).ok_or_else(|| err(format!("code #{} has no codeValue", i + 1)))?;
        let label = item.get("prefLabel");
        let name = label.and_then(|l| l.get("fi").or_else(|| l.get("en"))).and_then(Value::as_str).unwrap_or("");
        let mut c = Code::new(code, name);
        c.valid_from = item.get("startDate").and_then(Value::as_str).and_then(parse_date).or(scheme_start);
        c.valid_to = item.get("endDate").and_then(Value::as_str).and_then(parse_date);
        if let Some(parent) = item.get("broaderCode").and_then(|b| b.get("codeValue")).and_then(Value::as_str) {
            c.parent = Some(parent.to_string());
            has_hierarchy_links = true;
        }
        if let Some(level) = item.get("hierarchyLevel").and_then(Value::as_u64) {
            c.level = level as u8;
        }
        // A RETIRED/INVALID code stays in the list (historical data may use it) but is
        // never valid on any date.
        let status = item.get("status").and_then(Value::as_str).unwrap_or("VALID");
        if matches!(status, "RETIRED" | "INVALID" | "SUPERSEDED") && c.valid_to.is_none() {
            c.valid_to = Some(chrono::NaiveDate::MIN);
        }
        list.insert(c);
    }
    if has_hierarchy_links {
        list.derive_hierarchy().map_err(err)?;
    }
    Ok(list)
}
