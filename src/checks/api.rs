//! The contract between a check kind and the executor. A kind is either a row check —
//! it compiles to elementwise expressions over one table ([`RowPlan`]), which the executor
//! fuses with the other row checks of that table and may judge once per distinct value —
//! or an aggregate: it names what it gathers from tables ([`Gather`]), the executor builds
//! that state batch by batch and merges it ([`State`], on the model of DataFusion's
//! `Accumulator`: update per batch, merge, evaluate), and the kind judges the merged state.
//! A kind never reads a table itself beyond its current scope: a table read whole is
//! asked for explicitly (`EvalCx::rows_at`), anything else is an error, not a fallback.

use crate::codelist::{CodeList, Registry};
use crate::model::Measure;
use crate::package::contract::{self, ColType, TableSpec};
use crate::package::Package;
use crate::spanned::{Errors, Table};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::sync::Arc;

/// What every kind says of itself.
pub trait Kind: Debug + Send + Sync {
    /// The kind's name, as rules write it (`not-null`).
    fn kind(&self) -> &'static str;
    /// The (table, columns) the check reads, primary table first. A check whose tables or
    /// columns are absent is "not evaluated".
    fn reads(&self) -> Vec<(String, Vec<String>)>;
    /// The (table, column) pairs it sums: a sum over a column with unreadable values would
    /// be understated, so such a check is not judged.
    fn summed(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// For a check comparing two sides (`reconcile`): what each side counts and the band,
    /// so a report can say a cross-table finding in words.
    fn comparison(&self) -> Option<Comparison> {
        None
    }
}

/// What a two-sided check compares: per side the table and summed column (none: rows), or
/// official figures; the band of right ÷ left × `scale`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub left: ComparedSide,
    pub right: ComparedSide,
    pub band: Option<(f64, f64)>,
    pub scale: f64,
    pub per_month: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ComparedSide {
    Table { table: String, sum: Option<String> },
    Figures { id: String },
}

/// A check whose verdict on a row depends on that row alone.
pub trait RowCheck: Kind {
    /// State of other tables the plan needs (a reference's target values), gathered before
    /// this check's table is scanned.
    fn lookups(&self, _cx: &EvalCx) -> Result<Vec<Gather>, String> {
        Ok(Vec::new())
    }
    /// The expressions over the scope's table (a whole table or a batch); `lookups` are the
    /// states of `Self::lookups`, in order.
    fn plan(&self, cx: &EvalCx, lookups: &[&State]) -> Result<RowPlan, String>;
}

/// A check judged over whole tables from state gathered batch by batch.
pub trait AggregateCheck: Kind {
    /// What to gather; the same `Gather` asked by several checks is gathered once.
    fn gathers(&self, cx: &EvalCx) -> Result<Vec<Gather>, String>;
    /// The measure from the merged states, in the order of `gathers`.
    fn judge(&self, cx: &EvalCx, states: &[&State]) -> Result<Measure, String>;
}

/// A validated check.
#[derive(Debug, Clone)]
pub enum Check {
    Row(Arc<dyn RowCheck>),
    Aggregate(Arc<dyn AggregateCheck>),
}

impl Check {
    pub fn row(c: impl RowCheck + 'static) -> Check {
        Check::Row(Arc::new(c))
    }

    pub fn aggregate(c: impl AggregateCheck + 'static) -> Check {
        Check::Aggregate(Arc::new(c))
    }

    fn info(&self) -> &dyn Kind {
        match self {
            Check::Row(c) => c.as_ref(),
            Check::Aggregate(c) => c.as_ref(),
        }
    }

    pub fn kind(&self) -> &'static str {
        self.info().kind()
    }

    pub fn needs(&self) -> Vec<(String, Vec<String>)> {
        self.info().reads()
    }

    pub fn summed(&self) -> Vec<(String, String)> {
        self.info().summed()
    }

    pub fn comparison(&self) -> Option<Comparison> {
        self.info().comparison()
    }

    pub fn is_aggregate(&self) -> bool {
        matches!(self, Check::Aggregate(_))
    }

    /// The primary table (`*`: every table).
    pub fn table(&self) -> String {
        self.needs().first().map(|(t, _)| t.clone()).unwrap_or_default()
    }

    /// The columns of the primary table, each once.
    pub fn columns(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let cols = self.needs().first().map(|(_, c)| c.clone()).unwrap_or_default();
        cols.into_iter().filter(|c| seen.insert(c.clone())).collect()
    }
}

/// A row-level check compiled to expressions over one table, fused with the others. The
/// expressions are elementwise: a row's value depends on that row alone (no windows,
/// shifts, aggregates of columns), so the executor may judge them once per distinct value
/// and batch by batch.
#[derive(Clone)]
pub struct RowPlan {
    pub table: String,
    /// Rows the check applies to.
    pub evaluated: Expr,
    /// Which evaluated rows break it. Judged on evaluated rows only (the executor ANDs it
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

/// What an aggregate (or a row check's lookup) gathers from one table. Equal requests from
/// several checks are gathered once; requests are compared as values, never by a name.
#[derive(Debug, Clone, PartialEq)]
pub enum Gather {
    /// Counts or sums by key columns, or the keys present: answered together with the
    /// other keyed requests on the same table and key columns, in one pass.
    Keyed(KeyedSum),
    /// A 128-bit hash of the key of every evaluated row, with its line (duplicates).
    Hashes { table: String, columns: Vec<String>, evaluated: Expr },
    /// The (group, month) pairs with a row (`group\u{1f}YYYY-MM`); `plain` when neither a
    /// group nor a filter is given (then the dates a batch's coded column holds answer it).
    Months { table: String, column: String, by: Option<String>, evaluated: Expr, plain: bool },
    /// Rows holding a valid identity code (henkilötunnus) in any text column.
    IdentityCodes { table: String },
    /// The distinct rows of some columns (as text), over the rows `filter` keeps.
    Distinct { table: String, columns: Vec<Expr>, filter: Option<Expr> },
}

impl Gather {
    pub fn table(&self) -> &str {
        match self {
            Gather::Keyed(k) => &k.table,
            Gather::Hashes { table, .. }
            | Gather::Months { table, .. }
            | Gather::IdentityCodes { table }
            | Gather::Distinct { table, .. } => table,
        }
    }
}

/// True on every row, as a full column of the frame (lines start at 1): a mask or a summed
/// value of "every row" that stays as long as the batch where a literal would not. The
/// engine recognises it (`exec::gather` counts such rows per key without a mask).
pub fn every_row() -> Expr {
    col(crate::package::LINE).gt(lit(0u32))
}

/// A count or sum per key that an aggregate needs from a table (a reconcile side, the
/// members present).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyedSum {
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

/// Gathered state over part of a table; a streamed table's batches merge in file order.
#[derive(Debug, Clone)]
pub enum State {
    /// A value summed per key; keys with no row are absent.
    Sums(BTreeMap<String, f64>),
    /// Keys present (members, months).
    Present(BTreeSet<String>),
    /// A 128-bit hash of a key (two 64-bit halves) and the line of each evaluated row.
    /// (Lines are `__line`, polars' 32-bit index.)
    Hashes(crate::keyhash::KeyHashes),
    /// A measure over rows (identity codes); samples are the first ones.
    Measure(Measure),
    /// Distinct rows, each a value per column, in no particular order.
    Rows(BTreeSet<Vec<Option<String>>>),
}

impl State {
    /// Adds the state of later rows (the next batch) of the same table.
    pub fn merge(&mut self, other: State, sample_limit: usize) {
        match (self, other) {
            (State::Sums(a), State::Sums(b)) => {
                for (k, v) in b {
                    *a.entry(k).or_insert(0.0) += v;
                }
            }
            (State::Present(a), State::Present(b)) => a.extend(b),
            (State::Hashes(a), State::Hashes(b)) => a.append(b),
            (State::Measure(a), State::Measure(b)) => a.merge(b, sample_limit),
            (State::Rows(a), State::Rows(b)) => a.extend(b),
            (a, b) => unreachable!("one gather has one kind of state: {a:?} and {b:?}"),
        }
    }
}

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

/// What evaluating a check needs: the package, the code lists, the suite's pins and, for a
/// row plan, the rows in scope (a whole table, or the current batch of a streamed one).
pub struct EvalCx<'a> {
    pub package: &'a Package,
    pub registry: &'a Registry,
    /// Suite pins: list alias → registry id (e.g. `contact-mode` → `yhteystapa`).
    pub pins: &'a BTreeMap<String, String>,
    pub sample_limit: usize,
    /// The table whose rows a row plan is made over, and those rows.
    pub scope: Option<(&'a str, &'a DataFrame)>,
}

impl<'a> EvalCx<'a> {
    pub fn new(package: &'a Package, registry: &'a Registry, pins: &'a BTreeMap<String, String>, sample_limit: usize) -> Self {
        EvalCx { package, registry, pins, sample_limit, scope: None }
    }

    /// The same context over `rows` of `table`.
    pub fn scoped<'b>(&'b self, table: &'b str, rows: &'b DataFrame) -> EvalCx<'b> {
        EvalCx { scope: Some((table, rows)), ..EvalCx::new(self.package, self.registry, self.pins, self.sample_limit) }
    }

    /// The rows in scope, which must be `table`'s: a check reads no other table directly
    /// (it gathers from it), so asking for one is a defect of the check, reported as such.
    pub fn frame(&self, table: &str) -> Result<&DataFrame, String> {
        match self.scope {
            Some((t, df)) if t == table => Ok(df),
            _ => Err(format!("internal: `{table}` is not in scope (a check must gather from a table it does not plan over)")),
        }
    }

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

    /// The given columns of a table's rows at `lines` (sorted): the one explicit read of a
    /// table beyond the scope, for the few failing rows an aggregate shows (a streamed
    /// table is read again, keeping only those rows).
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
                    .map_err(super::expr::pe)
            }
            crate::package::Data::Streamed(s) => s.rows_at(lines, columns).map_err(super::expr::pe),
        }
    }
}
