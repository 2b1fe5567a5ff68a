//! Reading a TOML document with spans: typed accessors that record every mistake (missing
//! key, wrong type, unknown key with a suggestion) against the byte range it came from, so a
//! whole file's mistakes are reported together.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One mistake in a rule or suite file.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanError {
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

/// The mistakes found so far in one file.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<SpanError>);

impl Errors {
    pub fn push(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.0.push(SpanError { span, message: message.into(), help: None });
    }
    pub fn push_help(&mut self, span: Range<usize>, message: impl Into<String>, help: impl Into<String>) {
        self.0.push(SpanError { span, message: message.into(), help: Some(help.into()) });
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub type Value<'i> = Spanned<DeValue<'i>>;

fn type_name(v: &DeValue) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// A TOML table being read; remembers which keys were read so the rest can be reported.
pub struct Table<'a, 'i> {
    pub span: Range<usize>,
    map: &'a DeTable<'i>,
    used: RefCell<BTreeSet<String>>,
    /// What this table is, for messages ("rule", "check", "example").
    pub what: String,
}

impl<'a, 'i> Table<'a, 'i> {
    pub fn new(value: &'a Value<'i>, what: &str, errs: &mut Errors) -> Option<Self> {
        match value.get_ref() {
            DeValue::Table(map) => Some(Table { span: value.span(), map, used: RefCell::default(), what: what.to_string() }),
            other => {
                errs.push(value.span(), format!("{what} must be a table, found {}", type_name(other)));
                None
            }
        }
    }

    pub fn root(doc: &'a Spanned<DeTable<'i>>, what: &str) -> Self {
        Table { span: 0..0, map: doc.get_ref(), used: RefCell::default(), what: what.to_string() }
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some()
    }

    pub fn get(&self, key: &str) -> Option<&'a Value<'i>> {
        let v = self.map.get(key)?;
        self.used.borrow_mut().insert(key.to_string());
        Some(v)
    }

    /// The span of a key's value, or of the table when the key is absent.
    pub fn span_of(&self, key: &str) -> Range<usize> {
        self.map.get(key).map(|v| v.span()).unwrap_or(self.span.clone())
    }

    pub fn missing(&self, key: &str, errs: &mut Errors) {
        errs.push(self.span.clone(), format!("{} is missing `{key}`", self.what));
    }

    pub fn str(&self, key: &str, errs: &mut Errors) -> Option<String> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                errs.push(v.span(), format!("`{key}` must be a string, found {}", type_name(other)));
                None
            }
        }
    }

    pub fn req_str(&self, key: &str, errs: &mut Errors) -> Option<String> {
        if !self.has(key) {
            self.missing(key, errs);
            return None;
        }
        self.str(key, errs)
    }

    /// A string or an array of strings.
    pub fn strings(&self, key: &str, errs: &mut Errors) -> Option<Vec<String>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(vec![s.to_string()]),
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::String(s) => out.push(s.to_string()),
                        other => errs.push(item.span(), format!("`{key}` must hold strings, found {}", type_name(other))),
                    }
                }
                Some(out)
            }
            other => {
                errs.push(v.span(), format!("`{key}` must be a string or an array of strings, found {}", type_name(other)));
                None
            }
        }
    }

    pub fn f64(&self, key: &str, errs: &mut Errors) -> Option<f64> {
        let v = self.get(key)?;
        match as_f64(v) {
            Some(f) => Some(f),
            None => {
                errs.push(v.span(), format!("`{key}` must be a number, found {}", type_name(v.get_ref())));
                None
            }
        }
    }

    pub fn u64(&self, key: &str, errs: &mut Errors) -> Option<u64> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Integer(i) if i.as_str().parse::<u64>().is_ok() => i.as_str().parse().ok(),
            other => {
                errs.push(v.span(), format!("`{key}` must be a non-negative integer, found {}", type_name(other)));
                None
            }
        }
    }

    pub fn bool(&self, key: &str, errs: &mut Errors) -> Option<bool> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                errs.push(v.span(), format!("`{key}` must be true or false, found {}", type_name(other)));
                None
            }
        }
    }

    pub fn table(&self, key: &str, errs: &mut Errors) -> Option<Table<'a, 'i>> {
        let v = self.get(key)?;
        Table::new(v, &format!("`{key}`"), errs)
    }

    /// An array of tables (`[[key]]`) or a single table.
    pub fn tables(&self, key: &str, errs: &mut Errors) -> Vec<Table<'a, 'i>> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        match v.get_ref() {
            DeValue::Array(items) => items.iter().filter_map(|i| Table::new(i, &format!("an entry of `{key}`"), errs)).collect(),
            DeValue::Table(_) => Table::new(v, &format!("`{key}`"), errs).into_iter().collect(),
            other => {
                errs.push(v.span(), format!("`{key}` must be a table or an array of tables, found {}", type_name(other)));
                Vec::new()
            }
        }
    }

    /// Keys and values not yet read, in file order.
    pub fn entries(&self) -> Vec<(String, Range<usize>, &'a Value<'i>)> {
        let mut v: Vec<_> = self.map.iter().map(|(k, v)| (k.get_ref().to_string(), k.span(), v)).collect();
        v.sort_by_key(|(_, s, _)| s.start);
        v
    }

    /// Marks a key read without reading it (keys consumed by generic code).
    pub fn mark(&self, key: &str) {
        self.used.borrow_mut().insert(key.to_string());
    }

    /// Reports every key that was not read, with a suggestion among `allowed`.
    pub fn finish(&self, allowed: &[&str], errs: &mut Errors) {
        let used = self.used.borrow();
        for (key, span, _) in self.entries() {
            if used.contains(&key) {
                continue;
            }
            let msg = format!("unknown key `{key}` in {}", self.what);
            match crate::suggest::best(&key, allowed.iter().copied()) {
                Some(s) => errs.push_help(span, msg, format!("did you mean `{s}`?")),
                None if allowed.is_empty() => errs.push(span, msg),
                None => errs.push_help(span, msg, format!("allowed keys: {}", allowed.join(", "))),
            }
        }
    }
}

pub fn as_f64(v: &Value) -> Option<f64> {
    match v.get_ref() {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok().map(|i| i as f64),
        DeValue::Float(f) => f.as_str().replace('_', "").parse().ok(),
        _ => None,
    }
}

/// A scalar as a string (strings as-is, numbers and booleans as written, dates ISO).
pub fn scalar_text(v: &Value) -> Option<String> {
    match v.get_ref() {
        DeValue::String(s) => Some(s.to_string()),
        DeValue::Integer(i) => Some(i.to_string()),
        DeValue::Float(f) => Some(f.to_string()),
        DeValue::Boolean(b) => Some(b.to_string()),
        DeValue::Datetime(d) => Some(d.to_string()),
        _ => None,
    }
}
