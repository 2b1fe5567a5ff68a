//! `reconcile`: aggregates of two sides agree by key. Each side is a table grouped `by`
//! columns, summing a column (`sum`) or counting rows, optionally filtered (`where`); the
//! right side may instead be official figures keyed by the region (`figures`): a fixed
//! year (`hva-population@2024`), or, without a year (`hva-population`), the figure for the
//! package's year — published, interpolated between the years around it, or the nearest
//! year's — with the tolerance widened by `tolerance.per_year` for each year between the
//! package's year and the nearest published figure (no figure within `MAX_FIGURE_YEARS`
//! years: not evaluated, as a reference from another time does not describe the package). `flag`
//! chooses what fails: `missing-left` (key only on the right), `missing-right` (key only on
//! the left), `mismatch` (both, outside `tolerance`), `out-of-band` (right ÷ left × `scale`
//! outside `band`, e.g. euros per visit; `per_month = true` divides the ratio by the months
//! of the period, for monthly stocks such as FTE). Items are keys; rows whose key has an
//! empty value are left out (they cannot be matched; completeness rules report them).
//! `default = 1` beside `sum` makes the summed column optional: an empty value, or the
//! column absent from the file, counts as the default (the contract's `volume`: one
//! performance unless given, care days for inpatient rows).
//!
//! ```toml
//! [check]
//! kind = "reconcile"
//! left = { table = "activity", by = ["service_code"] }
//! right = { table = "costs", by = ["service_code"], sum = "amount_eur" }
//! flag = ["missing-right"]
//! ```

use super::api::{AggregateCheck, Check, EvalCx, Gather, KeyedSum, Kind, ParseCx, State};
use super::predicate::Predicate;
use crate::codelist::YearFigure;
use crate::model::{Measure, Sample};
use crate::package::contract::ColType;
use crate::spanned::{Errors, Table};
use chrono::Datelike;
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

pub const FLAGS: &[&str] = &["missing-left", "missing-right", "mismatch", "out-of-band"];

/// How far (in years) from the package's year official figures are still used. County
/// populations move about 1 % a year, so three years are within a widened tolerance; further
/// away a mismatch would say more about the years than about the package.
pub const MAX_FIGURE_YEARS: i32 = 3;

#[derive(Debug, Clone)]
pub enum Side {
    Table { table: String, by: Vec<String>, sum: Option<Summed>, filter: Option<Predicate> },
    Figures { id: String },
}

/// The column a side sums, and what an empty or absent value counts as (none: the column
/// is required, and an empty value adds nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct Summed {
    pub column: String,
    pub default: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Reconcile {
    pub left: Side,
    pub right: Side,
    pub flag: Vec<String>,
    pub relative: f64,
    pub absolute: f64,
    /// Added to `relative` per year between the package's year and the nearest published
    /// figure (figures by year only).
    pub per_year: f64,
    pub band: Option<(f64, f64)>,
    pub scale: f64,
    /// Divide the ratio by the months of the package period (monthly stocks such as FTE
    /// summed over the period become a monthly mean).
    pub per_month: bool,
}

fn parse_side(t: &Table, key: &str, cx: &ParseCx, errs: &mut Errors) -> Option<Side> {
    let Some(s) = t.table(key, errs) else {
        t.missing(key, errs);
        return None;
    };
    if s.has("figures") {
        let id = s.str("figures", errs);
        s.finish(&["figures"], errs);
        return id.map(|id| Side::Figures { id });
    }
    let spec = cx.table(&s, "table", errs)?;
    let by = if s.has("by") { cx.columns(&s, "by", spec, errs) } else { Some(Vec::new()) };
    let sum = cx.opt_column(&s, "sum", spec, errs);
    if let Some(c) = &sum {
        cx.expect_type(spec, c, &[ColType::Integer, ColType::Number], s.span_of("sum"), errs);
    }
    let default = s.f64("default", errs);
    if default.is_some() && sum.is_none() {
        errs.push(s.span_of("default"), "`default` is what an empty `sum` value counts as: name the `sum` column");
    }
    let sum = sum.map(|column| Summed { column, default });
    let filter = s.get("where").and_then(|v| Predicate::parse_value(v, spec, cx, errs));
    s.finish(&["table", "by", "sum", "default", "where", "figures"], errs);
    Some(Side::Table { table: spec.name.into(), by: by?, sum, filter })
}

impl Reconcile {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let left = parse_side(t, "left", cx, errs);
        let right = parse_side(t, "right", cx, errs);
        if let (Some(Side::Table { by: a, .. }), Some(Side::Table { by: b, .. })) = (&left, &right) {
            if a.len() != b.len() {
                errs.push(t.span_of("right"), format!("left groups by {} columns, right by {}: keys must line up", a.len(), b.len()));
            }
        }
        if matches!(left, Some(Side::Figures { .. })) {
            errs.push(t.span_of("left"), "official `figures` can only be the right side");
        }
        let flag = t.strings("flag", errs).unwrap_or_else(|| vec!["missing-left".into(), "missing-right".into(), "mismatch".into()]);
        for f in &flag {
            if !FLAGS.contains(&f.as_str()) {
                let help = crate::suggest::best(f, FLAGS.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("one of: {}", FLAGS.join(", ")));
                errs.push_help(t.span_of("flag"), format!("unknown flag `{f}`"), help);
            }
        }
        let (mut relative, mut absolute, mut per_year) = (0.0, 0.0, 0.0);
        if let Some(tol) = t.table("tolerance", errs) {
            relative = tol.f64("relative", errs).unwrap_or(0.0);
            absolute = tol.f64("absolute", errs).unwrap_or(0.0);
            per_year = tol.f64("per_year", errs).unwrap_or(0.0);
            tol.finish(&["relative", "absolute", "per_year"], errs);
        }
        let (mut band, mut scale, mut per_month) = (None, 1.0, false);
        if let Some(b) = t.table("band", errs) {
            match (b.f64("min", errs), b.f64("max", errs)) {
                (Some(lo), Some(hi)) if lo <= hi => band = Some((lo, hi)),
                _ => errs.push(b.span.clone(), "a band needs `min` ≤ `max`"),
            }
            scale = b.f64("scale", errs).unwrap_or(1.0);
            per_month = b.bool("per_month", errs).unwrap_or(false);
            b.finish(&["min", "max", "scale", "per_month"], errs);
        }
        if flag.iter().any(|f| f == "out-of-band") && band.is_none() {
            errs.push(t.span_of("flag"), "`out-of-band` needs a `band`");
        }
        t.finish(&["kind", "left", "right", "flag", "tolerance", "band"], errs);
        Some(Reconcile { left: left?, right: right?, flag, relative, absolute, per_year, band, scale, per_month })
    }

    /// A side's sums by key; for figures by year, also how the figure was found.
    fn aggregate(side: &Side, cx: &EvalCx, state: Option<&State>) -> Result<(BTreeMap<String, f64>, Option<YearFigure>), String> {
        match side {
            Side::Figures { id } if id.contains('@') => {
                let f = cx.registry.figures(id).ok_or_else(|| format!("official figures `{id}` are not known"))?;
                let region = cx.region()?;
                let v = f.values.get(&region).ok_or_else(|| format!("`{id}` has no figure for region {region}"))?;
                Ok((BTreeMap::from([(String::new(), *v)]), None))
            }
            Side::Figures { id } => {
                let region = cx.region()?;
                let year = cx.period()?.0.year();
                let f = cx
                    .registry
                    .figure_for_year(id, &region, year)
                    .ok_or_else(|| format!("official figures `{id}` have no figure for region {region}"))?;
                if f.distance > MAX_FIGURE_YEARS {
                    return Err(format!(
                        "official figures `{id}` for {year}: the nearest is {}, more than {MAX_FIGURE_YEARS} years away, so it does not describe the package's period",
                        f.how
                    ));
                }
                Ok((BTreeMap::from([(String::new(), f.value)]), Some(f)))
            }
            Side::Table { by, .. } => {
                let Some(State::Sums(m)) = state else { return Err("internal: a reconcile side gathers sums".into()) };
                let mut m = m.clone();
                if by.is_empty() {
                    // A table's total is 0 when it has no rows (no staff is 0 FTE, not
                    // "no comparison").
                    m.entry(String::new()).or_insert(0.0);
                }
                Ok((m, None))
            }
        }
    }

    fn side_request(table: &str, by: &[String], sum: &Option<Summed>, filter: &Option<Predicate>, cx: &EvalCx) -> Result<KeyedSum, String> {
        let present = |c: &str| cx.package.table(table).is_some_and(|t| t.has(c));
        let summed = sum.as_ref().map(|s| match s.default {
            Some(d) if present(&s.column) => col(s.column.as_str()).cast(DataType::Float64).fill_null(lit(d)),
            // Every row counts the default: a mask's true as a number, so the expression
            // stays a full column of the batch.
            Some(d) => super::api::every_row().cast(DataType::Float64) * lit(d),
            None => col(s.column.as_str()),
        });
        Ok(KeyedSum {
            table: table.to_string(),
            by: by.to_vec(),
            // Without a filter, "every row": the masked sum measured faster than `len()`.
            mask: match filter {
                Some(f) => f.expr(cx)?,
                None => super::api::every_row(),
            },
            sum: summed,
            present: false,
        })
    }
}

impl Kind for Reconcile {
    fn kind(&self) -> &'static str {
        "reconcile"
    }

    fn comparison(&self) -> Option<super::api::Comparison> {
        use super::api::ComparedSide;
        let side = |s: &Side| match s {
            Side::Table { table, sum, .. } => ComparedSide::Table { table: table.clone(), sum: sum.as_ref().map(|s| s.column.clone()) },
            Side::Figures { id } => ComparedSide::Figures { id: id.clone() },
        };
        Some(super::api::Comparison {
            left: side(&self.left),
            right: side(&self.right),
            band: self.band,
            scale: self.scale,
            per_month: self.per_month,
        })
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        [&self.left, &self.right]
            .into_iter()
            .filter_map(|s| match s {
                Side::Table { table, by, sum, filter } => {
                    let mut cols = by.clone();
                    // A column with a default may be absent: it is then the default.
                    cols.extend(sum.iter().filter(|s| s.default.is_none()).map(|s| s.column.clone()));
                    cols.extend(filter.iter().flat_map(|f| f.columns()));
                    Some((table.clone(), cols))
                }
                Side::Figures { .. } => None,
            })
            .collect()
    }

    fn summed(&self) -> Vec<(String, String)> {
        // Whether a key is present on a side does not depend on its sums.
        if !self.flag.iter().any(|f| f == "mismatch" || f == "out-of-band") {
            return Vec::new();
        }
        [&self.left, &self.right]
            .into_iter()
            .filter_map(|side| match side {
                Side::Table { table, sum: Some(sum), .. } => Some((table.clone(), sum.column.clone())),
                _ => None,
            })
            .collect()
    }
}

impl AggregateCheck for Reconcile {
    /// The table sides, as keyed sums (left first).
    fn gathers(&self, cx: &EvalCx) -> Result<Vec<Gather>, String> {
        let mut out = Vec::new();
        for side in [&self.left, &self.right] {
            if let Side::Table { table, by, sum, filter } = side {
                out.push(Gather::Keyed(Self::side_request(table, by, sum, filter, cx)?));
            }
        }
        Ok(out)
    }

    fn judge(&self, cx: &EvalCx, states: &[&State]) -> Result<Measure, String> {
        let mut states = states.iter().copied();
        let mut next = |side: &Side| if matches!(side, Side::Table { .. }) { states.next() } else { None };
        let left_state = next(&self.left);
        let right_state = next(&self.right);
        let (left, _) = Self::aggregate(&self.left, cx, left_state)?;
        let (mut right, figure) = Self::aggregate(&self.right, cx, right_state)?;
        let mut notes = Vec::new();
        let relative = match &figure {
            Some(f) => {
                let relative = self.relative + self.per_year * f64::from(f.distance);
                let year = cx.period()?.0.year();
                notes.push(format!(
                    "reference for {year}: {} ({}); tolerance {}",
                    crate::frame::number(f.value.round()),
                    f.how,
                    crate::frame::pct(relative)
                ));
                relative
            }
            None => self.relative,
        };
        if matches!(self.right, Side::Figures { .. }) {
            // Figures are keyed by region; the left side is a total.
            if let Some(v) = right.remove("") {
                for k in left.keys() {
                    right.insert(k.clone(), v);
                }
            }
        }
        let on = |f: &str| self.flag.iter().any(|x| x == f);
        let scale = if self.per_month {
            use chrono::Datelike;
            let (start, end) = cx.period()?;
            let months = (end.year() * 12 + end.month() as i32) - (start.year() * 12 + start.month() as i32) + 1;
            self.scale / months.max(1) as f64
        } else {
            self.scale
        };
        let keys: BTreeSet<&String> = left.keys().chain(right.keys()).collect();
        let mut failing = Vec::new();
        for k in &keys {
            let (l, r) = (left.get(*k), right.get(*k));
            let why = match (l, r) {
                (Some(_), None) if on("missing-right") => Some("missing on the right"),
                (None, Some(_)) if on("missing-left") => Some("missing on the left"),
                (Some(l), Some(r)) => {
                    let diff = (l - r).abs();
                    let limit = self.absolute.max(relative * l.abs().max(r.abs()));
                    if on("mismatch") && diff > limit + 1e-9 {
                        Some("values differ")
                    } else if on("out-of-band")
                        && self.band.is_some_and(|(lo, hi)| {
                            let ratio = if *l != 0.0 { r / l * scale } else { f64::INFINITY };
                            !(lo..=hi).contains(&ratio)
                        })
                    {
                        Some("ratio outside the band")
                    } else {
                        None
                    }
                }
                _ => None,
            };
            if let Some(why) = why {
                let key = if k.is_empty() { "total".to_string() } else { (*k).clone() };
                let mut s = Sample::key(key).with("problem", why);
                if let Some(l) = l {
                    s = s.with("left", crate::frame::number(*l));
                }
                if let Some(r) = r {
                    s = s.with("right", crate::frame::number(*r));
                }
                if let (Some(l), Some(r)) = (l, r) {
                    if *l != 0.0 && self.band.is_some() {
                        s = s.with("ratio", crate::frame::number((r / l * scale * 100.0).round() / 100.0));
                    }
                }
                failing.push(s);
            }
        }
        let n = failing.len() as u64;
        failing.truncate(cx.sample_limit);
        Ok(Measure { notes, ..Measure::items(keys.len() as u64, failing, n) })
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    Reconcile::parse(t, cx, errs).map(Check::aggregate)
}
