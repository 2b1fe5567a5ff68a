//! One table's resource: for CSV its encoding, delimiter and schema, each field typed as the
//! contract types its column (codes always `string`, so leading zeros stay), number fields
//! with the decimal mark and thousands separator their values show; for Parquet the file as
//! it is (its columns carry their own types).

use super::numbers::{self, NumberStyle};
use super::sniff::{self, Encoding};
use crate::package::contract::{ColType, TableSpec};
use crate::package::descriptor::frictionless_type;
use serde_json::{json, Map, Value};
use std::path::Path;

/// The resource, a one-line summary of the file and what was inferred per column; what could
/// not be decided goes to `undecided`.
pub fn resource(spec: &TableSpec, path: &Path, file: &str, undecided: &mut Vec<String>) -> (Value, String, Vec<String>) {
    if file.to_ascii_lowercase().ends_with(".parquet") {
        let r = json!({"name": spec.name, "path": file, "format": "parquet"});
        return (r, "Parquet (columns and types as stored)".into(), Vec::new());
    }
    let mut r = Map::new();
    r.insert("name".into(), json!(spec.name));
    r.insert("path".into(), json!(file));
    r.insert("format".into(), json!("csv"));
    let sample = match sniff::sample(path) {
        Ok(s) => s,
        Err(e) => {
            undecided.push(format!("{file}: cannot be read ({e}); described by its name only"));
            return (Value::Object(r), "not read".into(), Vec::new());
        }
    };
    r.insert("encoding".into(), json!(sample.encoding.label()));
    let mut summary = match &sample.encoding {
        Encoding::Utf8 { bom: true, .. } => "utf-8 with BOM".to_string(),
        Encoding::Utf8 { ascii: true, .. } => "utf-8 (ASCII only)".to_string(),
        e => e.label(),
    };
    if let Encoding::Other(name) = &sample.encoding {
        undecided.push(format!(
            "{file}: looks like {name}, which sotecheck does not read; save it as UTF-8 (or Windows-1252) and run init again"
        ));
    }
    let known: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    let Some(shape) = sniff::shape(&sample.text, &known) else {
        undecided.push(if sample.text.is_empty() && !sample.whole {
            format!("{file}: the first line is longer than {} MiB; is it a CSV file with line breaks?", sniff::SAMPLE_BYTES >> 20)
        } else if sample.text.trim().is_empty() {
            format!("{file}: the file is empty")
        } else {
            format!("{file}: the delimiter could not be told: the first line is one field whether split by `,`, `;`, tab or `|`")
        });
        return (Value::Object(r), summary, Vec::new());
    };
    if shape.delimiter != ',' {
        r.insert("dialect".into(), json!({"delimiter": shape.delimiter.to_string()}));
    }
    let rows = shape.rows.len();
    let read = if sample.whole && rows < sniff::SAMPLE_ROWS { "the whole file".to_string() } else { format!("the first {rows}") };
    summary.push_str(&format!(
        " · delimiter `{}` · {} columns · {rows} row{} read ({read})",
        sniff::shown(shape.delimiter),
        shape.header.len(),
        if rows == 1 { "" } else { "s" }
    ));
    let named = shape.header.iter().filter(|h| spec.column(h).is_some()).count();
    if named == 0 {
        undecided.push(format!(
            "{file}: the first line names none of the columns of `{}` ({}); if the file has no header line, add one",
            spec.name,
            known.join(", ")
        ));
    }
    if shape.ragged > 0 {
        undecided.push(format!(
            "{file}: {} of the {rows} rows read have more or fewer fields than the header; `sotecheck validate` shows where",
            shape.ragged
        ));
    }
    let mut inferred = Vec::new();
    let mut fields = Vec::new();
    for (i, name) in shape.header.iter().enumerate() {
        let values = shape.rows.iter().filter_map(|r| r.get(i)).map(|v| v.as_str());
        let mut field = Map::new();
        field.insert("name".into(), json!(name));
        let Some(col) = spec.column(name) else {
            field.insert("type".into(), json!("any"));
            fields.push(Value::Object(field));
            continue;
        };
        field.insert("type".into(), json!(frictionless_type(col.ty)));
        match col.ty {
            ColType::Number => match numbers::judge(values) {
                NumberStyle::Plain => {}
                NumberStyle::Marks { decimal, group, example } => {
                    let mut said = Vec::new();
                    if decimal != '.' {
                        field.insert("decimalChar".into(), json!(decimal.to_string()));
                        said.push("decimal comma".to_string());
                    }
                    if let Some(g) = group {
                        field.insert("groupChar".into(), json!(g.to_string()));
                        said.push(format!("thousands separated by {}", mark_name(g)));
                    }
                    inferred.push(format!("{name}: {} (`{example}`)", said.join(", ")));
                }
                NumberStyle::Undecided(why) => undecided.push(format!("{file} column `{name}`: {why}")),
            },
            ColType::Integer => {
                if let NumberStyle::Marks { example, .. } | NumberStyle::Undecided(example) = numbers::judge(values) {
                    undecided.push(format!(
                        "{file} column `{name}`: integers are written with separators ({example}); export them as plain digits"
                    ));
                }
            }
            ColType::Date | ColType::Month => {
                let width = if col.ty == ColType::Date { 10 } else { 7 };
                let mut odd = values.filter(|v| !v.trim().is_empty() && !iso(v.trim(), width));
                if let Some(first) = odd.next() {
                    let form = if width == 10 { "dates (YYYY-MM-DD)" } else { "months (YYYY-MM)" };
                    undecided.push(format!(
                        "{file} column `{name}`: {} of the values read are not ISO {form}, e.g. `{first}`; export them in that form",
                        1 + odd.count()
                    ));
                }
            }
            ColType::String => {}
        }
        fields.push(Value::Object(field));
    }
    r.insert("schema".into(), json!({"fields": fields}));
    (Value::Object(r), summary, inferred)
}

/// `2025-08-23` (width 10) or `2025-08` (width 7), digits where digits belong.
fn iso(v: &str, width: usize) -> bool {
    v.len() == width && v.char_indices().all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() })
}

fn mark_name(c: char) -> String {
    match c {
        ' ' => "spaces".into(),
        '\u{a0}' => "no-break spaces".into(),
        '\u{202f}' => "narrow no-break spaces".into(),
        c => format!("`{c}`"),
    }
}
