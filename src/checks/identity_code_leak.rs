//! `identity-code-leak`: no Finnish personal identity code (henkilötunnus) with a valid
//! check character in any text column of the listed tables (default: every table).
//! Century signs `+` (1800s), `-` `Y` `X` `W` `V` `U` (1900s) and `A`–`F` (2000s) are
//! recognised, including those added in 2023. The day and month must form a date. Found
//! codes are masked in every report: the full code is never printed.
//!
//! ```toml
//! [check]
//! kind = "identity-code-leak"
//! tables = ["activity"]
//! ```

use super::{pe, EvalCx, Measure, ParseCx, Partial, Plan, Sample};
use crate::package::contract;
use crate::rules::spanned::{Errors, Table};
use polars::prelude::*;

/// Loose candidate pattern; the check character is verified in Rust.
const CANDIDATE: &str = r"[0-3][0-9][01][0-9][0-9]{2}[-+A-FU-Y][0-9]{3}[0-9A-Y]";
const CHECK_CHARS: &[u8] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";

#[derive(Debug, Clone)]
pub struct IdentityCodeLeak {
    /// Empty = every table of the package.
    pub tables: Vec<String>,
}

/// True when `s` (11 characters) is a henkilötunnus with a valid date and check character.
pub fn is_valid_hetu(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 11 || !b[..6].iter().all(u8::is_ascii_digit) || !b[7..10].iter().all(u8::is_ascii_digit) {
        return false;
    }
    if !b"+-ABCDEFUVWXY".contains(&b[6]) {
        return false;
    }
    let (dd, mm) = (s[0..2].parse::<u32>().unwrap_or(0), s[2..4].parse::<u32>().unwrap_or(0));
    if !(1..=31).contains(&dd) || !(1..=12).contains(&mm) {
        return false;
    }
    let n: u64 = format!("{}{}", &s[0..6], &s[7..10]).parse().unwrap_or(0);
    CHECK_CHARS[(n % 31) as usize] == b[10]
}

/// `131052-308T` → `13****-****`: enough to find the row, not enough to identify anyone.
pub fn mask(s: &str) -> String {
    let head: String = s.chars().take(2).collect();
    format!("{head}****-****")
}

/// Every valid identity code inside a text.
pub fn find_all(text: &str) -> Vec<String> {
    let re = regex::Regex::new(CANDIDATE).expect("constant regex");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(m) = re.find_at(text, at) {
        let before_ok = m.start() == 0 || !bytes[m.start() - 1].is_ascii_alphanumeric();
        let after_ok = m.end() == bytes.len() || !bytes[m.end()].is_ascii_alphanumeric();
        if before_ok && after_ok && is_valid_hetu(m.as_str()) {
            out.push(m.as_str().to_string());
        }
        at = m.start() + 1;
    }
    out
}

/// Replaces every valid identity code inside a text with its mask. Every report passes its
/// sample values and messages through this, whichever rule found them.
pub fn mask_all(text: &str) -> String {
    let mut out = text.to_string();
    for code in find_all(text) {
        out = out.replace(&code, &mask(&code));
    }
    out
}

impl IdentityCodeLeak {
    pub fn parse(t: &Table, _cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let tables = t.strings("tables", errs).unwrap_or_default();
        for name in &tables {
            if contract::table(name).is_none() {
                let help = crate::suggest::best(name, contract::table_names()).map(|s| format!("did you mean `{s}`?")).unwrap_or_default();
                errs.push_help(t.span_of("tables"), format!("unknown table `{name}`"), help);
            }
        }
        t.finish(&["kind", "tables"], errs);
        Some(IdentityCodeLeak { tables })
    }

    pub fn needs(&self) -> Vec<(String, Vec<String>)> {
        if self.tables.is_empty() {
            vec![("*".into(), Vec::new())]
        } else {
            self.tables.iter().map(|t| (t.clone(), Vec::new())).collect()
        }
    }

    pub fn plan(&self, cx: &EvalCx) -> Result<Plan, String> {
        let mut m = Measure::default();
        for name in cx.package.tables.keys() {
            if self.covers(name) {
                let p = Self::table_partial(name, cx)?;
                let Partial::Measure(t) = &*p else { unreachable!("identity codes gather a measure") };
                m.merge(t.clone(), cx.sample_limit);
            }
        }
        m.total_weight = m.evaluated as f64;
        m.failing_weight = m.failing as f64;
        Ok(Plan::Done(m))
    }

    fn covers(&self, table: &str) -> bool {
        self.tables.is_empty() || self.tables.iter().any(|t| t == table)
    }

    /// Scans `table` in the current batch.
    pub fn gather(&self, table: &str, cx: &EvalCx) -> Result<(), String> {
        if self.covers(table) {
            Self::table_partial(table, cx)?;
        }
        Ok(())
    }

    fn table_partial(name: &str, cx: &EvalCx) -> Result<std::rc::Rc<Partial>, String> {
        cx.partial(name, format!("identity codes in {name}"), |df| Self::scan(name, df, cx.sample_limit).map(Partial::Measure))
    }

    /// Rows of one table (or batch) holding a valid identity code, with the first samples.
    fn scan(name: &str, df: &DataFrame, sample_limit: usize) -> Result<Measure, String> {
        let mut m = Measure::default();
        m.evaluated += df.height() as u64;
        let text_cols: Vec<String> = df
            .schema()
            .iter()
            .filter(|(n, dt)| **dt == DataType::String && n.as_str() != crate::package::LINE)
            .map(|(n, _)| n.to_string())
            .collect();
        if text_cols.is_empty() {
            return Ok(m);
        }
        // A code is 11 characters: columns whose longest value is shorter (most code
        // columns) cannot hold one, and one cheap pass over lengths spares their regex.
        let longest = df
            .clone()
            .lazy()
            .select(text_cols.iter().map(|c| col(c.as_str()).str().len_bytes().max().alias(c.as_str())).collect::<Vec<_>>())
            .collect()
            .map_err(pe)?;
        let text_cols: Vec<String> =
            text_cols.into_iter().filter(|c| crate::frame::scalar_u64(&longest, c).map(|n| n >= 11).unwrap_or(true)).collect();
        if text_cols.is_empty() {
            return Ok(m);
        }
        // The regex pre-filter runs in polars; only candidate rows reach Rust for the
        // check-character test. A column that repeats few values (unit OIDs, codes) is
        // tested on its distinct values instead, which is many times cheaper than a regex
        // over every row; judged from a sample of the first rows.
        let sample = df.head(Some(10_000));
        let mut flags: Vec<Expr> = Vec::new();
        for (i, c) in text_cols.iter().enumerate() {
            let distinct_in_sample = sample.column(c).and_then(|s| s.n_unique()).unwrap_or(usize::MAX);
            let flag = if distinct_in_sample * 10 < sample.height() {
                let distinct = df.clone().lazy().select([col(c.as_str()).unique()]).collect().map_err(pe)?;
                let bad: Vec<String> = crate::frame::strings(&crate::frame::column(&distinct, c).map_err(pe)?)
                    .into_iter()
                    .flatten()
                    .filter(|v| !find_all(v).is_empty())
                    .collect();
                col(c.as_str()).is_in(super::set_literal(c, bad), false)
            } else {
                col(c.as_str()).str().contains(lit(CANDIDATE), true)
            };
            flags.push(flag.fill_null(lit(false)).alias(format!("__hetu{i}")));
        }
        // The flags are computed side by side (polars runs the expressions of one
        // `with_columns` in parallel); any flag selects the row.
        let any = (0..text_cols.len()).fold(lit(false), |acc, i| acc.or(col(format!("__hetu{i}"))));
        let mut sel = vec![col(crate::package::LINE)];
        sel.extend(text_cols.iter().map(|c| col(c.as_str())));
        let cand = df.clone().lazy().with_columns(flags).filter(any).select(sel).collect().map_err(pe)?;
        let lines = crate::frame::u64s(&crate::frame::column(&cand, crate::package::LINE).map_err(pe)?).map_err(pe)?;
        let cols: Vec<Vec<Option<String>>> = text_cols
            .iter()
            .map(|c| crate::frame::column(&cand, c).map(|s| crate::frame::strings(&s)))
            .collect::<Result<_, _>>()
            .map_err(pe)?;
        for (i, line) in lines.iter().enumerate() {
            let mut found = Vec::new();
            for (c, values) in text_cols.iter().zip(&cols) {
                if let Some(v) = &values[i] {
                    for code in find_all(v) {
                        found.push((c.clone(), mask(&code)));
                    }
                }
            }
            if !found.is_empty() {
                m.failing += 1;
                if m.samples.len() < sample_limit {
                    let mut s = Sample { line: Some(*line), key: Some(format!("{name}:{line}")), values: Default::default() };
                    s.values.insert("table".into(), Some(name.to_string()));
                    for (c, masked) in found {
                        s.values.insert(c, Some(masked));
                    }
                    m.samples.push(s);
                }
            }
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_valid_codes_including_2023_century_signs() {
        // DVV's published examples.
        assert!(is_valid_hetu("131052-308T"));
        assert!(is_valid_hetu("010594Y9021"));
        assert!(is_valid_hetu("020594X903P"));
        assert!(is_valid_hetu("010516B903X"));
        assert!(!is_valid_hetu("131052-308U"), "wrong check character");
        assert!(!is_valid_hetu("321052-308T"), "no such day");
    }

    #[test]
    fn finds_codes_in_free_text_and_masks_them() {
        let found = find_all("asiakas 131052-308T soitti; 131052-308U ei");
        assert_eq!(found, vec!["131052-308T".to_string()]);
        assert_eq!(mask(&found[0]), "13****-****");
        assert!(find_all("X131052-308T").is_empty(), "part of a longer token");
    }
}
