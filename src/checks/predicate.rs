//! Row conditions used by `where` filters and the `conditional` kind, written as small TOML
//! tables: `{ column = "age", between = [5, 20] }`, `{ column = "production", equals = "own" }`,
//! `{ all = [...] }`, `{ any = [...] }`, `{ not = {...} }`. A condition on a null value is
//! false.
//!
//! A value is read as the column's type: `{ column = "age", equals = "1" }` is an error in
//! the rule, where a pandas `row_condition` (`age == "1"`) silently selects no row. There
//! are no query strings, so no choice of condition parser (Great Expectations'
//! `condition_parser`); see tests/data/great-expectations/known-differences.toml.

use super::api::{EvalCx, ParseCx, RowPlan};
use crate::package::contract::{ColType, TableSpec};
use crate::spanned::{as_f64, scalar_text, Errors, Table, Value};
use chrono::NaiveDate;
use polars::prelude::*;
use toml::de::DeValue;

#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    PeriodStart,
    PeriodEnd,
}

impl Bound {
    /// Reads a literal for a column of type `ty`; `period.start`/`period.end` stand for the
    /// package period.
    pub fn parse(v: &Value, ty: ColType, errs: &mut Errors) -> Option<Bound> {
        let text = scalar_text(v);
        match (ty, v.get_ref()) {
            (ColType::Integer | ColType::Number, _) => match as_f64(v) {
                Some(f) => Some(Bound::Number(f)),
                None => {
                    errs.push(v.span(), format!("expected a number, found `{}`", text.unwrap_or_default()));
                    None
                }
            },
            (ColType::Date | ColType::Month, _) => {
                let s = text.unwrap_or_default();
                match s.as_str() {
                    "period.start" => Some(Bound::PeriodStart),
                    "period.end" => Some(Bound::PeriodEnd),
                    _ => {
                        let full = if ty == ColType::Month && s.len() == 7 { format!("{s}-01") } else { s.clone() };
                        match NaiveDate::parse_from_str(&full, "%Y-%m-%d") {
                            Ok(d) => Some(Bound::Date(d)),
                            Err(_) => {
                                errs.push_help(v.span(), format!("`{s}` is not a date"), "write YYYY-MM-DD, or period.start / period.end");
                                None
                            }
                        }
                    }
                }
            }
            (ColType::String, _) => match text {
                Some(s) => Some(Bound::Text(s)),
                None => {
                    errs.push(v.span(), "expected a scalar value");
                    None
                }
            },
        }
    }

    pub fn expr(&self, ty: ColType, cx: &EvalCx) -> Result<Expr, String> {
        Ok(match self {
            Bound::Text(s) => lit(s.clone()),
            Bound::Number(f) => lit(*f),
            Bound::Date(d) => super::expr::date_lit(*d),
            Bound::PeriodStart => {
                let (s, _) = cx.period()?;
                // A month column holds the first day of its month: compare month to month.
                let s = if ty == ColType::Month { s.with_day0(0).unwrap_or(s) } else { s };
                super::expr::date_lit(s)
            }
            Bound::PeriodEnd => super::expr::date_lit(cx.period()?.1),
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Bound::Text(s) => s.clone(),
            Bound::Number(f) => crate::frame::number(*f),
            Bound::Date(d) => d.to_string(),
            Bound::PeriodStart => "period.start".into(),
            Bound::PeriodEnd => "period.end".into(),
        }
    }
}

use chrono::Datelike;

#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    Equals {
        column: String,
        ty: ColType,
        value: Bound,
        negate: bool,
    },
    Compare {
        column: String,
        ty: ColType,
        op: &'static str,
        value: Bound,
    },
    In {
        column: String,
        values: Vec<String>,
        negate: bool,
    },
    Between {
        column: String,
        ty: ColType,
        lo: Bound,
        hi: Bound,
    },
    Matches {
        column: String,
        regex: String,
    },
    IsNull {
        column: String,
        null: bool,
    },
    /// A leaf of a code list (a classification key such as `service`, a pin or a list id)
    /// that is valid at some time during the package period: the codes whose rows can be
    /// compared class by class. Codes failing this are reported by the validity rules.
    ValidLeaf {
        column: String,
        list: String,
    },
    All(Vec<Predicate>),
    Any(Vec<Predicate>),
    Not(Box<Predicate>),
}

const OPS: &[&str] = &["equals", "not_equals", "in", "not_in", "between", "matches", "is_null", "gt", "ge", "lt", "le", "valid_leaf_of"];

impl Predicate {
    pub fn parse_value(v: &Value, spec: &TableSpec, cx: &ParseCx, errs: &mut Errors) -> Option<Predicate> {
        let t = Table::new(v, "a condition", errs)?;
        Self::parse(&t, spec, cx, errs)
    }

    pub fn parse(t: &Table, spec: &TableSpec, cx: &ParseCx, errs: &mut Errors) -> Option<Predicate> {
        for (key, ctor) in [("all", 0), ("any", 1)] {
            if let Some(v) = t.get(key) {
                let DeValue::Array(items) = v.get_ref() else {
                    errs.push(v.span(), format!("`{key}` must be an array of conditions"));
                    return None;
                };
                let parts: Vec<Predicate> = items.iter().filter_map(|i| Self::parse_value(i, spec, cx, errs)).collect();
                t.finish(&[key], errs);
                return Some(if ctor == 0 { Predicate::All(parts) } else { Predicate::Any(parts) });
            }
        }
        if let Some(v) = t.get("not") {
            let inner = Self::parse_value(v, spec, cx, errs)?;
            t.finish(&["not"], errs);
            return Some(Predicate::Not(Box::new(inner)));
        }
        let column = cx.column(t, "column", spec, errs)?;
        let ty = spec.column(&column).map(|c| c.ty).unwrap_or(ColType::String);
        let ops: Vec<&str> = OPS.iter().copied().filter(|k| t.has(k)).collect();
        let mut allowed = vec!["column"];
        allowed.extend(OPS);
        if ops.len() != 1 {
            errs.push_help(t.span.clone(), "a condition needs exactly one operator", format!("one of: {}", OPS.join(", ")));
            t.finish(&allowed, errs);
            return None;
        }
        let op = ops[0];
        let v = t.get(op).expect("checked above");
        let p = match op {
            "equals" | "not_equals" => Predicate::Equals { column, ty, value: Bound::parse(v, ty, errs)?, negate: op == "not_equals" },
            "gt" | "ge" | "lt" | "le" => Predicate::Compare { column, ty, op, value: Bound::parse(v, ty, errs)? },
            "in" | "not_in" => Predicate::In { column, values: t.strings(op, errs)?, negate: op == "not_in" },
            "between" => {
                let DeValue::Array(items) = v.get_ref() else {
                    errs.push(v.span(), "`between` must be [low, high]");
                    return None;
                };
                let items: Vec<&Value> = items.iter().collect();
                if items.len() != 2 {
                    errs.push(v.span(), "`between` must be [low, high]");
                    return None;
                }
                Predicate::Between { column, ty, lo: Bound::parse(items[0], ty, errs)?, hi: Bound::parse(items[1], ty, errs)? }
            }
            "matches" => {
                let regex = t.str(op, errs)?;
                if let Err(e) = regex::Regex::new(&regex) {
                    errs.push(v.span(), format!("invalid regular expression: {}", e.to_string().lines().last().unwrap_or("")));
                    return None;
                }
                Predicate::Matches { column, regex }
            }
            "is_null" => Predicate::IsNull { column, null: t.bool(op, errs)? },
            "valid_leaf_of" => Predicate::ValidLeaf { column, list: t.str(op, errs)? },
            _ => unreachable!(),
        };
        t.finish(&allowed, errs);
        Some(p)
    }

    pub fn columns(&self) -> Vec<String> {
        match self {
            Predicate::Equals { column, .. }
            | Predicate::Compare { column, .. }
            | Predicate::In { column, .. }
            | Predicate::Between { column, .. }
            | Predicate::Matches { column, .. }
            | Predicate::IsNull { column, .. }
            | Predicate::ValidLeaf { column, .. } => vec![column.clone()],
            Predicate::All(ps) | Predicate::Any(ps) => ps.iter().flat_map(|p| p.columns()).collect(),
            Predicate::Not(p) => p.columns(),
        }
    }

    /// The condition as a boolean expression; null → false.
    pub fn expr(&self, cx: &EvalCx) -> Result<Expr, String> {
        let e = match self {
            Predicate::Equals { column, ty, value, negate } => {
                let e = col(column.as_str()).eq(value.expr(*ty, cx)?);
                if *negate {
                    e.not()
                } else {
                    e
                }
            }
            Predicate::Compare { column, ty, op, value } => {
                let (c, v) = (col(column.as_str()), value.expr(*ty, cx)?);
                match *op {
                    "gt" => c.gt(v),
                    "ge" => c.gt_eq(v),
                    "lt" => c.lt(v),
                    _ => c.lt_eq(v),
                }
            }
            Predicate::In { column, values, negate } => {
                let e = col(column.as_str()).cast(DataType::String).is_in(super::expr::set_literal(column, values.clone()), false);
                if *negate {
                    e.not()
                } else {
                    e
                }
            }
            Predicate::Between { column, ty, lo, hi } => {
                let c = col(column.as_str());
                c.clone().gt_eq(lo.expr(*ty, cx)?).and(c.lt_eq(hi.expr(*ty, cx)?))
            }
            Predicate::Matches { column, regex } => {
                col(column.as_str()).cast(DataType::String).str().contains(lit(format!("^(?:{regex})$")), true)
            }
            Predicate::IsNull { column, null } => {
                let e = col(column.as_str()).is_null();
                return Ok(if *null { e } else { e.not() });
            }
            Predicate::ValidLeaf { column, list } => {
                let (start, end) = cx.period()?;
                let codes = cx.list(list)?.codes.values().filter(|c| c.leaf && c.valid_during(start, end)).map(|c| c.code.clone());
                col(column.as_str()).cast(DataType::String).is_in(super::expr::set_literal(column, codes), false)
            }
            Predicate::All(ps) => {
                let mut e = lit(true);
                for p in ps {
                    e = e.and(p.expr(cx)?);
                }
                e
            }
            Predicate::Any(ps) => {
                let mut e = lit(false);
                for p in ps {
                    e = e.or(p.expr(cx)?);
                }
                e
            }
            Predicate::Not(p) => p.expr(cx)?.not(),
        };
        Ok(e.fill_null(lit(false)))
    }

    pub fn describe(&self) -> String {
        match self {
            Predicate::Equals { column, value, negate, .. } => format!("{column} {} {}", if *negate { "≠" } else { "=" }, value.describe()),
            Predicate::Compare { column, op, value, .. } => {
                let sym = match *op {
                    "gt" => ">",
                    "ge" => "≥",
                    "lt" => "<",
                    _ => "≤",
                };
                format!("{column} {sym} {}", value.describe())
            }
            Predicate::In { column, values, negate } => format!("{column} {}in [{}]", if *negate { "not " } else { "" }, values.join(", ")),
            Predicate::Between { column, lo, hi, .. } => {
                format!("{column} between {} and {}", lo.describe(), hi.describe())
            }
            Predicate::Matches { column, regex } => format!("{column} matches /{regex}/"),
            Predicate::IsNull { column, null } => {
                format!("{column} is {}", if *null { "empty" } else { "filled" })
            }
            Predicate::ValidLeaf { column, list } => {
                format!("{column} is a leaf of {list} valid in the period")
            }
            Predicate::All(ps) => ps.iter().map(|p| p.describe()).collect::<Vec<_>>().join(" and "),
            Predicate::Any(ps) => format!("({})", ps.iter().map(|p| p.describe()).collect::<Vec<_>>().join(" or ")),
            Predicate::Not(p) => format!("not ({})", p.describe()),
        }
    }
}

/// Reads the optional `where` filter of a check.
pub fn parse_where(t: &Table, spec: &TableSpec, cx: &ParseCx, errs: &mut Errors) -> Option<Predicate> {
    let v = t.get("where")?;
    Predicate::parse_value(v, spec, cx, errs)
}

/// The `where` filter every kind accepts, ANDed into `evaluated`.
pub fn with_filter(evaluated: Expr, filter: &Option<Predicate>, cx: &EvalCx) -> Result<Expr, String> {
    Ok(match filter {
        Some(p) => evaluated.and(p.expr(cx)?),
        None => evaluated,
    })
}

/// The (table, columns) a single-table check reads: its own columns, then those of its
/// `where` filter.
pub fn table_needs(table: &str, columns: impl IntoIterator<Item = String>, filter: &Option<Predicate>) -> Vec<(String, Vec<String>)> {
    let mut cols: Vec<String> = columns.into_iter().collect();
    cols.extend(filter.iter().flat_map(|f| f.columns()));
    vec![(table.to_string(), cols)]
}

/// The plan of the kinds that judge the filled values of one column (pattern, range,
/// in-set, value-length, identifier, reference): empty values are not evaluated, a filled
/// value fails when `bad` holds.
pub fn value_plan(
    table: &str,
    column: &str,
    bad: Expr,
    filter: &Option<Predicate>,
    breakdown: Option<String>,
    cx: &EvalCx,
) -> Result<RowPlan, String> {
    let evaluated = with_filter(col(column).is_not_null(), filter, cx)?;
    Ok(RowPlan {
        table: table.to_string(),
        failing: bad,
        evaluated,
        weight: None,
        show: vec![column.to_string()],
        breakdown,
        parts: Vec::new(),
    })
}
