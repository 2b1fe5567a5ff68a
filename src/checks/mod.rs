//! Check kinds: the code that rules instantiate. Each kind is one file with its parameters
//! (parsed from the rule's `[check]` table with spans), what it needs from a package, and
//! how it compiles into a polars plan. Row-level kinds return expressions that the engine
//! fuses into one scan per table; aggregate kinds compute their measure directly.

pub mod compare;
pub mod conditional;
pub mod coverage;
pub mod identifier;
pub mod identity_code_leak;
pub mod in_code_list;
pub mod in_set;
pub mod members_present;
pub mod not_null;
pub mod pattern;
pub mod period_complete;
pub mod predicate;
pub mod range;
pub mod reconcile;
pub mod reference;
pub mod unique;
pub mod value_length;

use crate::codelist::{CodeList, Registry};
use crate::package::contract::{self, ColType, TableSpec};
use crate::package::Package;
use crate::rules::spanned::{Errors, Table};
use polars::prelude::*;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// A validated check: one variant per kind.
#[derive(Debug, Clone)]
pub enum Check {
    NotNull(not_null::NotNull),
    Unique(unique::Unique),
    Pattern(pattern::Pattern),
    Range(range::Range),
    InSet(in_set::InSet),
    InCodeList(in_code_list::InCodeList),
    Coverage(coverage::Coverage),
    Reference(reference::Reference),
    PeriodComplete(period_complete::PeriodComplete),
    MembersPresent(members_present::MembersPresent),
    Reconcile(reconcile::Reconcile),
    Conditional(conditional::Conditional),
    IdentityCodeLeak(identity_code_leak::IdentityCodeLeak),
    Identifier(identifier::Identifier),
    ValueLength(value_length::ValueLength),
    Compare(compare::Compare),
}

/// Every kind's name and one-line description; the order is the documentation order.
pub const KINDS: &[(&str, &str)] = &[
    ("not-null", "required values are filled"),
    ("unique", "a (compound) key identifies one row"),
    ("pattern", "values match a regular expression (whole value)"),
    ("range", "numbers or dates lie between bounds, e.g. inside the package period"),
    ("in-set", "values are one of a fixed set"),
    ("value-length", "text values have between min and max characters"),
    ("compare", "one column compares to another in the same row, e.g. valid_from ≤ valid_to"),
    ("in-code-list", "codes exist in a versioned code list, are leaves, and are valid on the row's date"),
    ("coverage", "share of rows or of a measure (euros, FTE) attached to a valid code, with a breakdown"),
    ("reference", "values exist in another table, or map to the submitting region"),
    ("period-complete", "every month of the period is present (optionally per group)"),
    ("members-present", "every expected member (e.g. municipality × age × sex) is present"),
    ("reconcile", "aggregates of two tables agree by key, both directions"),
    ("conditional", "when a row matches a condition, another condition holds"),
    ("identity-code-leak", "no Finnish personal identity code with a valid check character in text"),
    ("identifier", "identifiers with check digits: SOTE organisation OIDs, Y-tunnus"),
];

/// What parsing a check needs: the contract, for table and column names.
pub struct ParseCx;

impl ParseCx {
    /// Reads a table-name key and checks it against the contract.
    pub fn table(&self, t: &Table, key: &str, errs: &mut Errors) -> Option<&'static TableSpec> {
        let name = t.req_str(key, errs)?;
        match contract::table(&name) {
            Some(spec) => Some(spec),
            None => {
                let names: Vec<&str> = contract::table_names().collect();
                let help = match crate::suggest::best(&name, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("tables: {}", names.join(", ")),
                };
                errs.push_help(t.span_of(key), format!("unknown table `{name}`"), help);
                None
            }
        }
    }

    pub fn check_column(&self, spec: &TableSpec, name: &str, span: std::ops::Range<usize>, errs: &mut Errors) -> bool {
        if name == crate::package::LINE || spec.column(name).is_some() {
            return true;
        }
        let help = match crate::suggest::best(name, spec.columns.iter().map(|c| c.name)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("columns of {}: {}", spec.name, spec.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")),
        };
        errs.push_help(span, format!("table `{}` has no column `{name}`", spec.name), help);
        false
    }

    /// Reads a column-name key, checked against the table.
    pub fn column(&self, t: &Table, key: &str, spec: &TableSpec, errs: &mut Errors) -> Option<String> {
        let name = t.req_str(key, errs)?;
        self.check_column(spec, &name, t.span_of(key), errs).then_some(name)
    }

    pub fn opt_column(&self, t: &Table, key: &str, spec: &TableSpec, errs: &mut Errors) -> Option<String> {
        if !t.has(key) {
            return None;
        }
        self.column(t, key, spec, errs)
    }

    /// Reads a key holding one column or an array of columns.
    pub fn columns(&self, t: &Table, key: &str, spec: &TableSpec, errs: &mut Errors) -> Option<Vec<String>> {
        if !t.has(key) {
            t.missing(key, errs);
            return None;
        }
        let names = t.strings(key, errs)?;
        if names.is_empty() {
            errs.push(t.span_of(key), format!("`{key}` names no column"));
            return None;
        }
        let ok = names.iter().all(|n| self.check_column(spec, n, t.span_of(key), errs));
        ok.then_some(names)
    }

    /// Checks a column's contract type is one of `allowed`.
    pub fn expect_type(
        &self,
        spec: &TableSpec,
        column: &str,
        allowed: &[ColType],
        span: std::ops::Range<usize>,
        errs: &mut Errors,
    ) -> bool {
        let Some(c) = spec.column(column) else {
            return false;
        };
        if allowed.contains(&c.ty) {
            return true;
        }
        let names: Vec<&str> = allowed.iter().map(|t| t.name()).collect();
        let article = if c.ty.name().starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        errs.push(span, format!("column `{column}` is {article} {}, this check needs {}", c.ty.name(), names.join(" or ")));
        false
    }
}

/// List aliases rules may name, and the list used when a suite pins none.
pub const DEFAULT_LISTS: &[(&str, &str)] = &[("contact-mode", "yhteystapa")];

/// What evaluating a check needs: the package, the code lists and the suite's pins.
pub struct EvalCx<'a> {
    pub package: &'a Package,
    pub registry: &'a Registry,
    /// Suite pins: list alias → registry id (e.g. `contact-mode` → `yhteystapa`).
    pub pins: &'a BTreeMap<String, String>,
    pub sample_limit: usize,
    /// While a streamed table is read: the table and its current batch, which `frame`
    /// then returns in place of the (never held) whole table.
    pub batch: Option<(&'a str, &'a DataFrame)>,
    /// The batch's coded columns, if made (see `crate::dictionary`).
    dictionary: Option<&'a crate::dictionary::Dictionary>,
    /// Aggregates shared between rules of one run (e.g. activity counted by service class
    /// for four reconcile rules), keyed by a description of the aggregate. For a streamed
    /// table they were merged over its batches before the rules are judged.
    partials: RefCell<BTreeMap<String, Rc<Partial>>>,
}

impl<'a> EvalCx<'a> {
    pub fn new(package: &'a Package, registry: &'a Registry, pins: &'a BTreeMap<String, String>, sample_limit: usize) -> Self {
        EvalCx { package, registry, pins, sample_limit, batch: None, dictionary: None, partials: Default::default() }
    }

    /// A context over one batch of a streamed table, with its own (empty) partials and the
    /// batch's coded columns, if made.
    pub fn for_batch<'b>(
        &'b self,
        table: &'b str,
        batch: &'b DataFrame,
        dictionary: Option<&'b crate::dictionary::Dictionary>,
    ) -> EvalCx<'b> {
        EvalCx { batch: Some((table, batch)), dictionary, ..EvalCx::new(self.package, self.registry, self.pins, self.sample_limit) }
    }

    /// The coded columns of `table`'s current batch, if made.
    pub fn dictionary(&self, table: &str) -> Option<&crate::dictionary::Dictionary> {
        self.dictionary.filter(|_| self.batch.is_some_and(|(t, _)| t == table))
    }

    /// An aggregate of `table` under `key`: computed once per run (per batch, in a batch
    /// context) by `compute` over the table's frame, or merged over the batches already.
    pub fn partial(
        &self,
        table: &str,
        key: String,
        compute: impl FnOnce(&DataFrame) -> Result<Partial, String>,
    ) -> Result<Rc<Partial>, String> {
        if let Some(v) = self.partials.borrow().get(&key) {
            return Ok(v.clone());
        }
        let v = Rc::new(compute(self.frame(table)?)?);
        self.partials.borrow_mut().insert(key, v.clone());
        Ok(v)
    }

    /// The partial a `KeyedSum` asks for (computed alone if no `answer` did yet).
    pub fn keyed(&self, request: KeyedSum) -> Result<Rc<Partial>, String> {
        let key = request.key.clone();
        self.answer(vec![request])?;
        self.partials.borrow().get(&key).cloned().ok_or_else(|| format!("internal: `{key}` was not answered"))
    }

    /// Answers requests not answered yet: one pass per table and key columns (counted per
    /// code when the batch's dictionary coded the one key column, else one group-by).
    pub fn answer(&self, requests: Vec<KeyedSum>) -> Result<(), String> {
        let mut groups: BTreeMap<(String, Vec<String>), Vec<KeyedSum>> = BTreeMap::new();
        for r in requests {
            let group = groups.entry((r.table.clone(), r.by.clone())).or_default();
            if !self.partials.borrow().contains_key(&r.key) && !group.iter().any(|g| g.key == r.key) {
                group.push(r);
            }
        }
        for ((table, by), requests) in groups {
            if requests.is_empty() {
                continue;
            }
            let coded = match (self.dictionary(&table), by.as_slice()) {
                (Some(dict), [one]) => dict.coded(one),
                _ => None,
            };
            let requests = match coded {
                Some((values, codes)) => match self.answer_coded(&table, values, codes, requests)? {
                    None => continue,
                    Some(left) => left,
                },
                None => requests,
            };
            let mut aggs = Vec::new();
            for (i, r) in requests.iter().enumerate() {
                // A mask inside the aggregation rather than a filtered copy of the table.
                aggs.push(r.mask.clone().cast(DataType::UInt32).sum().alias(format!("__n{i}")));
                if !r.present {
                    let value = match &r.sum {
                        Some(e) => e.clone().cast(DataType::Float64).filter(r.mask.clone()).sum(),
                        None => r.mask.clone().cast(DataType::Float64).sum(),
                    };
                    aggs.push(value.alias(format!("__v{i}")));
                }
            }
            let lf = self.frame(&table)?.clone().lazy();
            let by_cols = || by.iter().map(|c| col(c.as_str()).cast(DataType::String));
            // Group by the columns as they are; the text keys are built on the grouped rows.
            let out = if by.is_empty() {
                lf.select(aggs).with_columns([lit("").alias("__ks"), lit("").alias("__kp")])
            } else {
                lf.group_by(by.iter().map(|c| col(c.as_str())).collect::<Vec<_>>()).agg(aggs).with_columns([
                    concat_str(by_cols().collect::<Vec<_>>(), " ", false).alias("__ks"),
                    concat_str(by_cols().collect::<Vec<_>>(), "\u{1f}", false).alias("__kp"),
                ])
            }
            .collect()
            .map_err(pe)?;
            let get = |c: &str| crate::frame::column(&out, c).map_err(pe);
            let (sums_keys, present_keys) = (crate::frame::strings(&get("__ks")?), crate::frame::strings(&get("__kp")?));
            for (i, r) in requests.into_iter().enumerate() {
                let n = crate::frame::u64s(&get(&format!("__n{i}"))?).map_err(pe)?;
                // A key with an empty value matches nothing: completeness rules report it.
                let counted = (0..n.len()).filter(|&j| n[j] > 0 && present_keys[j].is_some());
                let partial = if r.present {
                    Partial::Present(counted.filter_map(|j| present_keys[j].clone()).collect())
                } else {
                    let v = crate::frame::f64s(&get(&format!("__v{i}"))?).map_err(pe)?;
                    Partial::Sums(counted.map(|j| (sums_keys[j].clone().unwrap_or_default(), v[j].unwrap_or(0.0))).collect())
                };
                self.partials.borrow_mut().insert(r.key, Rc::new(partial));
            }
        }
        Ok(())
    }

    /// `answer` for requests keyed by one coded column of the current batch: the masks
    /// (and summed columns) are evaluated by polars in one select, then counted and summed
    /// per code visiting only the rows each mask keeps, with no group-by hashing. Gives the
    /// requests back (`Some`) if a mask is not a full column.
    fn answer_coded(
        &self,
        table: &str,
        values: &Series,
        codes: &[IdxSize],
        requests: Vec<KeyedSum>,
    ) -> Result<Option<Vec<KeyedSum>>, String> {
        let frame = self.frame(table)?;
        let mut sel = Vec::new();
        for (i, r) in requests.iter().enumerate() {
            sel.push(r.mask.clone().alias(format!("__m{i}")));
            if let (false, Some(e)) = (r.present, &r.sum) {
                sel.push(e.clone().cast(DataType::Float64).alias(format!("__v{i}")));
            }
        }
        let masks = frame.clone().lazy().select(sel).collect().map_err(pe)?;
        if masks.height() != codes.len() {
            return Ok(Some(requests));
        }
        let keys = crate::frame::strings(&values.cast(&DataType::String).map_err(pe)?);
        for (i, r) in requests.into_iter().enumerate() {
            let mask = crate::frame::column(&masks, &format!("__m{i}")).and_then(|c| c.bool().cloned()).map_err(pe)?;
            let summed: Option<Vec<f64>> = match (r.present, &r.sum) {
                (false, Some(_)) => {
                    let v = crate::frame::column(&masks, &format!("__v{i}")).and_then(|c| c.f64().cloned()).map_err(pe)?;
                    Some(v.iter().map(|x| x.unwrap_or(0.0)).collect())
                }
                _ => None,
            };
            let (mut n, mut v) = (vec![0u64; keys.len()], vec![0f64; keys.len()]);
            crate::frame::for_true_rows(&mask, |row| {
                let c = codes[row] as usize;
                n[c] += 1;
                if let Some(s) = &summed {
                    v[c] += s[row];
                }
            });
            // As `answer`: keys without a counted row, or with an empty value, are left out.
            let counted = (0..keys.len()).filter_map(|j| Some((j, keys[j].clone()?))).filter(|&(j, _)| n[j] > 0);
            let partial = if r.present {
                Partial::Present(counted.map(|(_, k)| k).collect())
            } else {
                Partial::Sums(counted.map(|(j, k)| (k, if summed.is_some() { v[j] } else { n[j] as f64 })).collect())
            };
            self.partials.borrow_mut().insert(r.key, Rc::new(partial));
        }
        Ok(None)
    }

    /// The partials computed in this (batch) context.
    pub fn take_partials(&self) -> BTreeMap<String, Partial> {
        std::mem::take(&mut *self.partials.borrow_mut()).into_iter().map(|(k, v)| (k, Rc::unwrap_or_clone(v))).collect()
    }

    /// Partials merged over a streamed table's batches.
    pub fn add_partials(&self, merged: BTreeMap<String, Partial>) {
        self.partials.borrow_mut().extend(merged.into_iter().map(|(k, v)| (k, Rc::new(v))));
    }
}

/// Mergeable results of aggregate kinds over part of a table. A table read whole gives one;
/// a streamed table gives one per batch, merged in file order.
#[derive(Debug, Clone)]
pub enum Partial {
    /// A value summed per key (a reconcile side); keys with no row are absent.
    Sums(BTreeMap<String, f64>),
    /// Keys present (members, months).
    Present(BTreeSet<String>),
    /// A 128-bit hash of a key (two 64-bit halves) and the line of each evaluated row (unique).
    /// (Lines are `__line`, polars' 32-bit index.)
    Hashes { h1: Vec<u64>, h2: Vec<u64>, lines: Vec<u32> },
    /// A measure over rows (identity codes); samples are the first ones.
    Measure(Measure),
}

/// A count or sum per key that an aggregate needs from a table (a reconcile side, the
/// members present). Requests grouping by the same columns are answered together, in one
/// pass with a masked sum each (`EvalCx::answer`), instead of one pass per rule.
pub struct KeyedSum {
    /// The partial it answers.
    pub key: String,
    pub table: String,
    pub by: Vec<String>,
    /// Rows that count; groups without any are absent.
    pub mask: Expr,
    /// `Sums` keyed by the values joined by a space, of `sum` or of the row count;
    /// `Present` keyed by the values joined by U+001F. Keys with an empty value are left
    /// out of both.
    pub sum: Option<Expr>,
    pub present: bool,
}

impl Partial {
    pub fn merge(&mut self, other: Partial, sample_limit: usize) {
        match (self, other) {
            (Partial::Sums(a), Partial::Sums(b)) => {
                for (k, v) in b {
                    *a.entry(k).or_insert(0.0) += v;
                }
            }
            (Partial::Present(a), Partial::Present(b)) => a.extend(b),
            (Partial::Hashes { h1, h2, lines }, Partial::Hashes { h1: b1, h2: b2, lines: bl }) => {
                h1.extend(b1);
                h2.extend(b2);
                lines.extend(bl);
            }
            (Partial::Measure(a), Partial::Measure(b)) => a.merge(b, sample_limit),
            (a, b) => unreachable!("partials under one key have one kind: {a:?} and {b:?}"),
        }
    }
}

impl EvalCx<'_> {
    /// Resolves a list name: a classification key of the package (`service`,
    /// `municipality`), a suite pin, or a registry id.
    pub fn list(&self, name: &str) -> Result<&CodeList, String> {
        let id = self
            .package
            .descriptor
            .as_ref()
            .and_then(|d| d.classifications.get(name))
            .or_else(|| self.pins.get(name))
            .map(String::as_str)
            .or_else(|| DEFAULT_LISTS.iter().find(|(alias, _)| *alias == name).map(|(_, id)| *id))
            .unwrap_or(name);
        self.registry.list(id).ok_or_else(|| format!("code list `{id}` is not known"))
    }

    pub fn period(&self) -> Result<(chrono::NaiveDate, chrono::NaiveDate), String> {
        self.package.period().ok_or_else(|| "the package has no valid period".to_string())
    }

    pub fn region(&self) -> Result<String, String> {
        self.package.descriptor.as_ref().map(|d| d.region.clone()).ok_or_else(|| "the package has no region".to_string())
    }

    /// A table's rows: the current batch for the streamed table being read, else the whole
    /// table (a streamed one is then read whole, once).
    pub fn frame(&self, table: &str) -> Result<&DataFrame, String> {
        if let Some((t, df)) = self.batch {
            if t == table {
                return Ok(df);
            }
        }
        let t = self.package.table(table).ok_or_else(|| format!("table `{table}` is not loaded"))?;
        match &t.data {
            crate::package::Data::Loaded(df) => Ok(df),
            crate::package::Data::Streamed(s) => s.whole(),
        }
    }

    /// The given columns of a table's rows at `lines` (sorted), read again for a streamed table.
    pub fn rows_at(&self, table: &str, lines: &[u64], columns: &[String]) -> Result<DataFrame, String> {
        let t = self.package.table(table).ok_or_else(|| format!("table `{table}` is not loaded"))?;
        let mut keep = vec![col(crate::package::LINE)];
        keep.extend(columns.iter().map(|c| col(c.as_str())));
        match &t.data {
            crate::package::Data::Loaded(df) => {
                let wanted = lit(Series::new("lines".into(), lines.to_vec())).implode(false);
                df.clone()
                    .lazy()
                    .filter(col(crate::package::LINE).cast(DataType::UInt64).is_in(wanted, false))
                    .select(keep)
                    .collect()
                    .map_err(pe)
            }
            crate::package::Data::Streamed(s) => s.rows_at(lines, columns).map_err(pe),
        }
    }
}

/// A row-level check compiled to expressions over one table, fused with the others. The
/// expressions are elementwise: a row's value depends on that row alone (no windows,
/// shifts, aggregates of columns), so the engine may judge them once per distinct value
/// (`crate::dictionary`) and batch by batch.
#[derive(Clone)]
pub struct RowPlan {
    pub table: String,
    /// Rows the check applies to.
    pub evaluated: Expr,
    /// Which evaluated rows break it. Judged on evaluated rows only (the engine ANDs it
    /// with `evaluated`), so it need not repeat that condition.
    pub failing: Expr,
    /// Optional weight per row (euros, FTE); shares are then shares of the weight.
    pub weight: Option<Expr>,
    /// Columns shown for failing rows.
    pub show: Vec<String>,
    /// Optional column to break failing weight down by.
    pub breakdown: Option<String>,
    /// For a check over several columns: each column's own failing condition, labelled
    /// `table.column`, so the report can say how many rows fail on each (7 lack `age`, 5
    /// `sex`) — a row failing on two counts under both. Judged on evaluated rows only.
    pub parts: Vec<(String, Expr)>,
}

/// What a check measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Measure {
    pub evaluated: u64,
    pub failing: u64,
    /// Total and failing weight; equal to the row counts when the check is unweighted.
    pub total_weight: f64,
    pub failing_weight: f64,
    pub samples: Vec<Sample>,
    pub breakdown: Vec<BreakdownRow>,
    /// Extra lines for the report (e.g. the top foreign municipalities).
    pub notes: Vec<String>,
    /// Failing rows per `table.column`, for checks over several columns or tables.
    pub by_column: BTreeMap<String, u64>,
}

impl Measure {
    /// Adds the measure of a later part of the same rows (the next batch).
    pub fn merge(&mut self, other: Measure, sample_limit: usize) {
        self.evaluated += other.evaluated;
        self.failing += other.failing;
        self.total_weight += other.total_weight;
        self.failing_weight += other.failing_weight;
        let room = sample_limit.saturating_sub(self.samples.len());
        self.samples.extend(other.samples.into_iter().take(room));
        for b in other.breakdown {
            match self.breakdown.iter_mut().find(|a| a.group == b.group) {
                Some(a) => {
                    a.rows += b.rows;
                    a.failing_rows += b.failing_rows;
                    a.total += b.total;
                    a.failing += b.failing;
                }
                None => self.breakdown.push(b),
            }
        }
        self.notes.extend(other.notes);
        for (place, n) in other.by_column {
            *self.by_column.entry(place).or_default() += n;
        }
    }

    pub fn failing_share(&self) -> f64 {
        if self.total_weight > 0.0 {
            self.failing_weight / self.total_weight
        } else {
            0.0
        }
    }

    /// An unweighted measure of items (months, members, keys).
    pub fn items(evaluated: u64, samples: Vec<Sample>, failing: u64) -> Measure {
        Measure {
            evaluated,
            failing,
            total_weight: evaluated as f64,
            failing_weight: failing as f64,
            samples,
            breakdown: Vec::new(),
            notes: Vec::new(),
            by_column: BTreeMap::new(),
        }
    }
}

/// One failing row or item, with its place and values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub values: BTreeMap<String, Option<String>>,
}

impl Sample {
    /// One sample per line: `shown[j][i]` is column `columns[j]` on line `lines[i]`.
    pub fn at_lines(lines: &[u64], columns: &[String], shown: &[Vec<Option<String>>]) -> Vec<Sample> {
        lines
            .iter()
            .enumerate()
            .map(|(i, line)| Sample {
                line: Some(*line),
                key: None,
                values: columns.iter().zip(shown).map(|(c, v)| (c.clone(), v.get(i).cloned().flatten())).collect(),
            })
            .collect()
    }

    pub fn key(key: impl Into<String>) -> Sample {
        Sample { line: None, key: Some(key.into()), values: BTreeMap::new() }
    }
    pub fn with(mut self, k: &str, v: impl Into<String>) -> Sample {
        self.values.insert(k.to_string(), Some(v.into()));
        self
    }
}

/// Failing weight by a grouping column (cost centre, unit), largest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakdownRow {
    pub group: Option<String>,
    pub rows: u64,
    pub failing_rows: u64,
    pub total: f64,
    pub failing: f64,
}

/// What planning a check gives: expressions to fuse into the table's scan, or the measure.
// A plan is made once per rule (per batch) and moved straight into the engine: boxing the
// larger variant would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Plan {
    Rows(RowPlan),
    Done(Measure),
}

impl Check {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
        let kind = t.req_str("kind", errs)?;
        let check = match kind.as_str() {
            "not-null" => not_null::NotNull::parse(t, cx, errs).map(Check::NotNull),
            "unique" => unique::Unique::parse(t, cx, errs).map(Check::Unique),
            "pattern" => pattern::Pattern::parse(t, cx, errs).map(Check::Pattern),
            "range" => range::Range::parse(t, cx, errs).map(Check::Range),
            "in-set" => in_set::InSet::parse(t, cx, errs).map(Check::InSet),
            "in-code-list" => in_code_list::InCodeList::parse(t, cx, errs).map(Check::InCodeList),
            "coverage" => coverage::Coverage::parse(t, cx, errs).map(Check::Coverage),
            "reference" => reference::Reference::parse(t, cx, errs).map(Check::Reference),
            "period-complete" => period_complete::PeriodComplete::parse(t, cx, errs).map(Check::PeriodComplete),
            "members-present" => members_present::MembersPresent::parse(t, cx, errs).map(Check::MembersPresent),
            "reconcile" => reconcile::Reconcile::parse(t, cx, errs).map(Check::Reconcile),
            "compare" => compare::Compare::parse(t, cx, errs).map(Check::Compare),
            "conditional" => conditional::Conditional::parse(t, cx, errs).map(Check::Conditional),
            "identity-code-leak" => identity_code_leak::IdentityCodeLeak::parse(t, cx, errs).map(Check::IdentityCodeLeak),
            "identifier" => identifier::Identifier::parse(t, cx, errs).map(Check::Identifier),
            "value-length" => value_length::ValueLength::parse(t, cx, errs).map(Check::ValueLength),
            other => {
                let help = match crate::suggest::best(other, KINDS.iter().map(|(k, _)| *k)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("kinds: {}", KINDS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")),
                };
                errs.push_help(t.span_of("kind"), format!("unknown check kind `{other}`"), help);
                return None;
            }
        };
        check
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Check::NotNull(_) => "not-null",
            Check::Unique(_) => "unique",
            Check::Pattern(_) => "pattern",
            Check::Range(_) => "range",
            Check::InSet(_) => "in-set",
            Check::InCodeList(_) => "in-code-list",
            Check::Coverage(_) => "coverage",
            Check::Reference(_) => "reference",
            Check::PeriodComplete(_) => "period-complete",
            Check::MembersPresent(_) => "members-present",
            Check::Reconcile(_) => "reconcile",
            Check::Conditional(_) => "conditional",
            Check::IdentityCodeLeak(_) => "identity-code-leak",
            Check::Identifier(_) => "identifier",
            Check::ValueLength(_) => "value-length",
            Check::Compare(_) => "compare",
        }
    }

    /// The (table, columns) the check reads, primary table first. A check whose tables or
    /// columns are absent is "not evaluated".
    pub fn needs(&self) -> Vec<(String, Vec<String>)> {
        match self {
            Check::NotNull(c) => c.needs(),
            Check::Unique(c) => c.needs(),
            Check::Pattern(c) => c.needs(),
            Check::Range(c) => c.needs(),
            Check::InSet(c) => c.needs(),
            Check::InCodeList(c) => c.needs(),
            Check::Coverage(c) => c.needs(),
            Check::Reference(c) => c.needs(),
            Check::PeriodComplete(c) => c.needs(),
            Check::MembersPresent(c) => c.needs(),
            Check::Reconcile(c) => c.needs(),
            Check::Conditional(c) => c.needs(),
            Check::IdentityCodeLeak(c) => c.needs(),
            Check::Identifier(c) => c.needs(),
            Check::ValueLength(c) => c.needs(),
            Check::Compare(c) => c.needs(),
        }
    }

    pub fn plan(&self, cx: &EvalCx) -> Result<Plan, String> {
        match self {
            Check::NotNull(c) => c.plan(cx),
            Check::Unique(c) => c.plan(cx),
            Check::Pattern(c) => c.plan(cx),
            Check::Range(c) => c.plan(cx),
            Check::InSet(c) => c.plan(cx),
            Check::InCodeList(c) => c.plan(cx),
            Check::Coverage(c) => c.plan(cx),
            Check::Reference(c) => c.plan(cx),
            Check::PeriodComplete(c) => c.plan(cx),
            Check::MembersPresent(c) => c.plan(cx),
            Check::Reconcile(c) => c.plan(cx),
            Check::Conditional(c) => c.plan(cx),
            Check::IdentityCodeLeak(c) => c.plan(cx),
            Check::Identifier(c) => c.plan(cx),
            Check::ValueLength(c) => c.plan(cx),
            Check::Compare(c) => c.plan(cx),
        }
    }

    /// Aggregate kinds judge a whole table; on a streamed table they gather mergeable
    /// partials batch by batch. The others are row-level: their verdict on a row does not
    /// depend on other rows, so they are evaluated batch by batch directly.
    pub fn is_aggregate(&self) -> bool {
        matches!(
            self,
            Check::Unique(_) | Check::PeriodComplete(_) | Check::MembersPresent(_) | Check::Reconcile(_) | Check::IdentityCodeLeak(_)
        )
    }

    /// The keyed sums this check needs from `table` (see `KeyedSum`).
    pub fn keyed_sums(&self, table: &str, cx: &EvalCx) -> Result<Vec<KeyedSum>, String> {
        match self {
            Check::Reconcile(c) => c.keyed_sums(table, cx),
            Check::MembersPresent(c) if c.table == table => Ok(vec![c.request(cx)?]),
            _ => Ok(Vec::new()),
        }
    }

    /// Computes this check's partials of `table` from the current batch (`cx.batch`).
    /// Reconcile and members-present have none here: their keyed sums were answered for
    /// the batch already (`keyed_sums`).
    pub fn gather(&self, table: &str, cx: &EvalCx) -> Result<(), String> {
        match self {
            Check::Unique(c) if c.table == table => c.hashes(cx).map(drop),
            Check::PeriodComplete(c) if c.table == table => c.present(cx).map(drop),
            Check::IdentityCodeLeak(c) => c.gather(table, cx),
            _ => Ok(()),
        }
    }

    /// The (table, column) pairs this check sums: a sum over a column with values that
    /// could not be read would be understated, so the engine does not judge it.
    pub fn summed(&self) -> Vec<(String, String)> {
        match self {
            // Whether a key is present on a side does not depend on its sums.
            Check::Reconcile(c) if c.flag.iter().any(|f| f == "mismatch" || f == "out-of-band") => [&c.left, &c.right]
                .into_iter()
                .filter_map(|side| match side {
                    reconcile::Side::Table { table, sum: Some(sum), .. } => Some((table.clone(), sum.column.clone())),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn table(&self) -> String {
        self.needs().first().map(|(t, _)| t.clone()).unwrap_or_default()
    }

    pub fn columns(&self) -> Vec<String> {
        let mut seen = std::collections::BTreeSet::new();
        let cols = self.needs().first().map(|(_, c)| c.clone()).unwrap_or_default();
        cols.into_iter().filter(|c| seen.insert(c.clone())).collect()
    }
}

/// Shared: a string Series literal usable on the right of `is_in`.
pub fn set_literal(name: &str, values: impl IntoIterator<Item = String>) -> Expr {
    let v: Vec<String> = values.into_iter().collect();
    lit(Series::new(name.into(), v)).implode(false)
}

/// Shared: a date literal as a polars `Date` (days since 1970-01-01). polars' own
/// `lit(NaiveDate)` makes a nanosecond datetime, which cannot hold dates before 1677-09-21
/// or after 2262-04-11: compared with a date column it panicked or wrapped around (a
/// 2525-01-01 typo passed the period check). Days cover every date a column can hold.
pub fn date_lit(d: chrono::NaiveDate) -> Expr {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let days = (d - epoch).num_days().clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    lit(Scalar::new_date(days))
}

/// Shared: a value is valid on a row's date when it belongs to one of the validity
/// intervals (inclusive; `None` = unbounded). `dates` is the first and last date of the
/// rows judged (`None`: no row has a date). The date axis between them is cut at every
/// interval boundary; on each piece a value is valid throughout or not at all, so a row
/// costs one `is_in` for its piece. A package period usually holds no boundary: one piece,
/// one lookup, instead of one per interval (measured: the date-validity rules ran 2–3×
/// faster). The plan stays free of joins.
pub fn valid_on_date(
    value: Expr,
    name: &str,
    date: Expr,
    intervals: BTreeMap<(Option<chrono::NaiveDate>, Option<chrono::NaiveDate>), Vec<String>>,
    dates: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
) -> Expr {
    let Some((first, last)) = dates else {
        return lit(false);
    };
    let mut starts: BTreeSet<chrono::NaiveDate> = BTreeSet::from([first]);
    for (from, to) in intervals.keys() {
        let after_to = to.and_then(|t| t.succ_opt());
        starts.extend([*from, after_to].into_iter().flatten().filter(|d| *d > first && *d <= last));
    }
    let starts: Vec<chrono::NaiveDate> = starts.into_iter().collect();
    let mut valid = lit(false);
    for (i, start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).and_then(|n| n.pred_opt()).unwrap_or(last);
        let values: Vec<String> = intervals
            .iter()
            .filter(|((from, to), _)| from.is_none_or(|f| f <= *start) && to.is_none_or(|t| t >= end))
            .flat_map(|(_, v)| v.iter().cloned())
            .collect();
        let on_piece = if starts.len() == 1 {
            // Every dated row is on the one piece.
            date.clone().is_not_null()
        } else {
            date.clone().gt_eq(date_lit(*start)).and(date.clone().lt_eq(date_lit(end)))
        };
        valid = valid.or(value.clone().is_in(set_literal(name, values), false).and(on_piece));
    }
    valid
}

/// The first and last date of a date column (`None` when no row has one).
pub fn date_range(frame: &DataFrame, column: &str) -> Result<Option<(chrono::NaiveDate, chrono::NaiveDate)>, String> {
    // Read as days since 1970 (the date's physical value), so every year a date column can
    // hold comes back, not only those that print as `YYYY-MM-DD`.
    let days = |e: Expr| e.cast(DataType::Date).to_physical().cast(DataType::Int64);
    let df =
        frame.clone().lazy().select([days(col(column).min()).alias("lo"), days(col(column).max()).alias("hi")]).collect().map_err(pe)?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let get = |c: &str| -> Result<Option<chrono::NaiveDate>, String> {
        let v = crate::frame::column(&df, c).map_err(pe)?;
        let d = v.i64().map_err(pe)?.get(0);
        Ok(d.and_then(|d| epoch.checked_add_signed(chrono::Duration::days(d))))
    };
    Ok(get("lo")?.zip(get("hi")?))
}

/// Shared: the `where` filter every kind accepts, ANDed into `evaluated`.
pub fn with_filter(evaluated: Expr, filter: &Option<predicate::Predicate>, cx: &EvalCx) -> Result<Expr, String> {
    Ok(match filter {
        Some(p) => evaluated.and(p.expr(cx)?),
        None => evaluated,
    })
}

/// Shared: the (table, columns) a single-table check reads: its own columns, then those
/// of its `where` filter.
pub fn table_needs(
    table: &str,
    columns: impl IntoIterator<Item = String>,
    filter: &Option<predicate::Predicate>,
) -> Vec<(String, Vec<String>)> {
    let mut cols: Vec<String> = columns.into_iter().collect();
    cols.extend(filter.iter().flat_map(|f| f.columns()));
    vec![(table.to_string(), cols)]
}

/// Shared by the kinds that judge the filled values of one column (pattern, range, in-set,
/// value-length, identifier, reference): empty values are not evaluated, a filled value
/// fails when `bad` holds.
pub fn value_plan(
    table: &str,
    column: &str,
    bad: Expr,
    filter: &Option<predicate::Predicate>,
    breakdown: Option<String>,
    cx: &EvalCx,
) -> Result<Plan, String> {
    let evaluated = with_filter(col(column).is_not_null(), filter, cx)?;
    Ok(Plan::Rows(RowPlan {
        table: table.to_string(),
        failing: bad,
        evaluated,
        weight: None,
        show: vec![column.to_string()],
        breakdown,
        parts: Vec::new(),
    }))
}

/// Shared: polars errors become reasons a rule was not evaluated.
pub fn pe(e: PolarsError) -> String {
    format!("evaluation failed: {}", e.to_string().lines().next().unwrap_or(""))
}
