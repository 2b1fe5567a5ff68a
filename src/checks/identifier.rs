//! `identifier`: structured identifiers with a check digit. `scheme = "sote-oid"`: a
//! SOTE-organisaatiorekisteri OID `1.2.246.10.<business ID>.10.<n>[.<n>…]` (JHS 159, ISO
//! OID). The organisation arc is the business ID (Y-tunnus, 7 digits + check digit) without
//! its hyphen and, as every OID arc, without a leading zero: 0211675-2 is `2116752`,
//! 3221308-6 is `32213086`. The leading zero is restored before the mod-11 check digit is
//! tested; an arc written with a leading zero (`02116752`) is not a well-formed OID.
//! `scheme = "ytunnus"`: a Y-tunnus `1234567-8`. Empty values are not evaluated.
//!
//! ```toml
//! [check]
//! kind = "identifier"
//! table = "activity"
//! column = "unit_oid"
//! scheme = "sote-oid"
//! ```

use super::api::{Check, EvalCx, Kind, ParseCx, RowCheck, RowPlan, State};
use super::predicate::{parse_where, Predicate};
use crate::spanned::{Errors, Table};
use polars::prelude::*;

pub const SCHEMES: &[&str] = &["sote-oid", "ytunnus"];

#[derive(Debug, Clone)]
pub struct Identifier {
    pub table: String,
    pub column: String,
    pub scheme: String,
    pub filter: Option<Predicate>,
}

/// Y-tunnus check digit: weights 7,9,10,5,8,4,2; remainder 0 → 0, 1 → invalid, else 11 − r.
pub fn ytunnus_valid(digits: &str) -> bool {
    let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 8 || digits.len() != 8 {
        return false;
    }
    let sum: u32 = d[..7].iter().zip([7, 9, 10, 5, 8, 4, 2]).map(|(a, w)| a * w).sum();
    match sum % 11 {
        0 => d[7] == 0,
        1 => false,
        r => d[7] == 11 - r,
    }
}

pub fn valid(scheme: &str, value: &str) -> bool {
    match scheme {
        "ytunnus" => value.len() == 9 && value.as_bytes()[7] == b'-' && ytunnus_valid(&value.replace('-', "")),
        _ => sote_oid_valid(value),
    }
}

/// An ISO OID arc (ITU-T X.660): decimal digits without a leading zero (`0` itself is an arc).
fn arc(a: &str) -> bool {
    !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()) && (a == "0" || !a.starts_with('0'))
}

/// `1.2.246.10.<business ID arc>.10.<n>[.<n>…]`: every arc well-formed, the business ID arc
/// 7 or 8 digits (8 with the leading zero put back) with a valid check digit. Shorter arcs
/// would be business IDs with two or more leading zeros, which the check digit alone cannot
/// tell from a typo (`0` padded to `00000000` checks out), so they are not accepted.
fn sote_oid_valid(value: &str) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    parts.len() >= 7
        && parts.iter().all(|a| arc(a))
        && parts[..4] == ["1", "2", "246", "10"]
        && (7..=8).contains(&parts[4].len())
        && ytunnus_valid(&format!("{:0>8}", parts[4]))
        && parts[5] == "10"
}

impl Identifier {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let spec = cx.table(t, "table", errs)?;
        let column = cx.column(t, "column", spec, errs);
        let scheme = t.req_str("scheme", errs);
        if let Some(s) = &scheme {
            if !SCHEMES.contains(&s.as_str()) {
                errs.push_help(t.span_of("scheme"), format!("unknown scheme `{s}`"), format!("schemes: {}", SCHEMES.join(", ")));
            }
        }
        let filter = parse_where(t, spec, cx, errs);
        t.finish(&["kind", "table", "column", "scheme", "where"], errs);
        Some(Identifier { table: spec.name.into(), column: column?, scheme: scheme?, filter })
    }
}

impl Kind for Identifier {
    fn kind(&self) -> &'static str {
        "identifier"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        super::predicate::table_needs(&self.table, [self.column.clone()], &self.filter)
    }
}

impl RowCheck for Identifier {
    fn plan(&self, cx: &EvalCx, _lookups: &[&State]) -> Result<RowPlan, String> {
        // Validated in Rust, value by value. Identifiers repeat heavily (a region has
        // hundreds of units), and the engine's dictionary runs this once per distinct value
        // of a batch, so no pass of its own collects them first.
        let scheme = self.scheme.clone();
        let bad = col(self.column.as_str()).cast(DataType::String).map(
            move |values: Column| {
                let checked: BooleanChunked = values.str()?.iter().map(|v| v.map(|v| !valid(&scheme, v))).collect();
                Ok(checked.with_name(values.name().clone()).into_column())
            },
            |_, f| Ok(Field::new(f.name().clone(), DataType::Boolean)),
        );
        super::predicate::value_plan(&self.table, &self.column, bad, &self.filter, None, cx)
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    Identifier::parse(t, cx, errs).map(Check::row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_published_oids_pass() {
        // Published in the Finnish Kanta/FHIR ecosystem: a unit of Jyväskylä (business ID
        // 0174666-4, a seven-digit arc and a deeper unit path), Pirkanmaa wellbeing services
        // county (3221308-6) and an organisation with business ID 0160225-7.
        assert!(valid("sote-oid", "1.2.246.10.1746664.10.0.14018"));
        assert!(valid("sote-oid", "1.2.246.10.32213086.10.0"));
        assert!(valid("sote-oid", "1.2.246.10.1602257.10.1"));
        // Tampere 0211675-2 (codelists/source/kunta_ytunnus.csv).
        assert!(valid("ytunnus", "0211675-2"));
        assert!(valid("sote-oid", "1.2.246.10.2116752.10.7"));
    }

    #[test]
    fn malformed_oids_fail() {
        assert!(!valid("sote-oid", "1.2.246.10.02116752.10.1"), "an arc with a leading zero");
        assert!(!valid("sote-oid", "1.2.246.10.2116753.10.7"), "wrong check digit");
        assert!(!valid("sote-oid", "1.2.246.10.211675.10.7"), "six digits");
        assert!(!valid("sote-oid", "1.2.246.10.0.10.7"), "zero is no business ID");
        assert!(!valid("sote-oid", "1.2.246.10.2116752.10"), "no unit arc");
        assert!(!valid("sote-oid", "1.2.246.10.2116752.10.07"), "unit arc with a leading zero");
        assert!(!valid("sote-oid", "1.2.246.10.2116752.10.7."), "empty arc");
        assert!(!valid("sote-oid", "1.2.246.10.2116752.11.7"), "not a unit");
        assert!(!valid("sote-oid", "1.2.246.10.0211675-2.10.1"), "hyphen");
        assert!(!valid("ytunnus", "0211675-3"));
    }
}
