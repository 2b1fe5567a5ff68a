//! The physical layer: runs checks over a package. Every row check of a table is fused into
//! one pass over it (or over each batch of a streamed one, `pass`), executed by `rows` with
//! per-value evaluation (`dictionary`, `tally`); aggregates gather state from each table
//! (`gather`), merged over batches, and are judged when every table is read. A check whose
//! table or column is absent, or whose input could not be read, is not evaluated, never
//! passed. Checks know nothing of this module; the report is built from its outcome.

pub mod dictionary;
pub mod gather;
pub mod pass;
pub mod rows;
pub mod tally;

use crate::checks::{Check, EvalCx, Gather, RowPlan, State};
use crate::codelist::Registry;
use crate::model::Measure;
use crate::options::{EngineOptions, Timings};
use crate::package::problem::{InputProblem, ProblemCode};
use crate::package::{Batching, Data, Package, LINE};
use crate::profile::timing;
use std::collections::BTreeMap;
use std::time::Instant;

/// How many failing rows or items a measure shows by default.
pub const SAMPLE_LIMIT: usize = 10;

/// What runs the checks: code lists, the suite's pins and how to read tables.
pub struct Engine<'a> {
    pub registry: &'a Registry,
    pub pins: &'a BTreeMap<String, String>,
    pub sample_limit: usize,
    /// When tables are read in batches; `None`: always whole.
    pub batching: Option<Batching>,
    pub options: EngineOptions,
}

/// One check to run, with a label for timings (the rule id).
pub struct Job<'a> {
    pub label: &'a str,
    pub check: &'a Check,
}

/// What running checks over a package gave: per job, its measure or why it was not
/// evaluated (none when the package has no usable descriptor), and the input problems
/// found while reading (a streamed table's are found as it is read).
pub struct Outcome {
    pub problems: Vec<InputProblem>,
    pub results: Option<Vec<Result<Measure, String>>>,
    /// The package's key measures (`crate::metrics`), gathered in the same passes.
    pub metrics: Option<crate::metrics::Metrics>,
}

/// A job's place in the run and what it asked for.
pub(crate) struct Planned {
    /// Indexes into the run's gathers: an aggregate's gathers, or a row check's lookups.
    pub(crate) asks: Vec<usize>,
}

impl Engine<'_> {
    /// Opens a package (timed as a whole; its tables stream later if large).
    pub fn open(&self, path: &std::path::Path) -> Package {
        let started = Instant::now();
        crate::progress::show(self.options.progress, &format!("sotecheck: reading {}", path.display()));
        let pkg = Package::open_with(path, self.registry, self.batching);
        timing(self.options.timings, &format!("load {}", path.display()), started);
        pkg
    }

    /// Runs `jobs` over a package; nothing is judged without a usable descriptor.
    pub fn run(&self, pkg: &Package, jobs: &[Job]) -> Outcome {
        if pkg.descriptor.is_none() {
            return Outcome { problems: pkg.problems.clone(), results: None, metrics: None };
        }
        let (problems, results, metrics) = self.evaluate(pkg, jobs, true);
        Outcome { problems, results: Some(results), metrics }
    }

    /// Runs `jobs` over tables held in memory (`Package::in_memory`), with or without a
    /// descriptor (checks that need its period or region say so).
    pub fn run_in_memory(&self, pkg: &Package, jobs: &[Job]) -> Vec<Result<Measure, String>> {
        self.evaluate(pkg, jobs, false).1
    }

    fn evaluate(
        &self,
        pkg: &Package,
        jobs: &[Job],
        with_metrics: bool,
    ) -> (Vec<InputProblem>, Vec<Result<Measure, String>>, Option<crate::metrics::Metrics>) {
        let mut problems = pkg.problems.clone();
        let cx = EvalCx::new(pkg, self.registry, self.pins, self.sample_limit);
        let mut results: Vec<Option<Result<Measure, String>>> = jobs.iter().map(|j| missing_input(j.check, pkg).map(Err)).collect();
        // What every job asks to gather, each distinct request once.
        let mut gathers: Vec<Gather> = Vec::new();
        let mut planned: Vec<Planned> = Vec::new();
        for (job, result) in jobs.iter().zip(results.iter_mut()) {
            let asked = match (&result, job.check) {
                (Some(_), _) => Ok(Vec::new()),
                (None, Check::Aggregate(c)) => c.gathers(&cx),
                (None, Check::Row(c)) => c.lookups(&cx),
            };
            let asks = match asked {
                Ok(asked) => asked.into_iter().map(|g| index_of(&mut gathers, g)).collect(),
                Err(reason) => {
                    *result = Some(Err(reason));
                    Vec::new()
                }
            };
            planned.push(Planned { asks });
        }
        // The metrics' sums, gathered with the rules' (an equal request is gathered once).
        let metric_asks: Vec<(crate::metrics::Sum, usize)> = if with_metrics {
            crate::metrics::gathers(pkg).into_iter().map(|(sum, g)| (sum, index_of(&mut gathers, g))).collect()
        } else {
            Vec::new()
        };
        let mut states: Vec<Option<Result<State, String>>> = vec![None; gathers.len()];
        // Lookup targets first: a row check planning over a table needs its lookups done.
        let lookups: Vec<&str> = jobs
            .iter()
            .zip(&planned)
            .filter(|(j, _)| !j.check.is_aggregate())
            .flat_map(|(_, p)| p.asks.iter().map(|&g| gathers[g].table()))
            .collect();
        let mut order: Vec<&String> = pkg.tables.keys().collect();
        order.sort_by_key(|t| !lookups.contains(&t.as_str()));
        let package = pkg.name();
        for (k, name) in order.iter().copied().enumerate() {
            let table = &pkg.tables[name];
            let mut status = crate::progress::Status::start(self.options.progress, &package, name, k + 1, order.len());
            let here: Vec<usize> = (0..gathers.len()).filter(|&g| gathers[g].table() == name).collect();
            let rows: Vec<usize> = (0..jobs.len())
                .filter(|&i| results[i].is_none() && !jobs[i].check.is_aggregate() && jobs[i].check.table() == *name)
                .collect();
            let batches = match &table.data {
                Data::Streamed(stream) => pass::Batches::Stream(stream),
                Data::Loaded(df) => {
                    if self.options.timings == Timings::Rules {
                        self.time_rules_alone(&cx, df, name, jobs, &planned, &states, &problems, &rows);
                    }
                    pass::Batches::Whole(df)
                }
            };
            let run = pass::Run { engine: self, cx: &cx, jobs, planned: &planned, gathers: &gathers };
            let pass = run.stream(name, batches, &rows, &here, &states, &problems, &mut status);
            problems.extend(pass.problems);
            for (i, r) in pass.rows {
                results[i] = Some(r);
            }
            for (g, s) in pass.states {
                states[g] = Some(s);
            }
        }
        for (i, job) in jobs.iter().enumerate() {
            let Check::Aggregate(check) = job.check else { continue };
            if results[i].is_some() {
                continue;
            }
            let started = Instant::now();
            let judged = unreadable_sum(job.check, &problems).map_or_else(
                || {
                    let asked: Vec<&State> = asked_states(&planned[i].asks, &states)?;
                    check.judge(&cx, &asked)
                },
                Err,
            );
            timing(self.options.timings, &format!("judge {}", job.label), started);
            results[i] = Some(judged);
        }
        let results = results.into_iter().map(|r| r.unwrap_or_else(|| Err("internal: the check was not run".into()))).collect();
        let metrics = with_metrics.then(|| {
            let asked: Vec<(crate::metrics::Sum, Option<&State>)> =
                metric_asks.iter().map(|(sum, g)| (*sum, states[*g].as_ref().and_then(|s| s.as_ref().ok()))).collect();
            crate::metrics::compute(pkg, self.registry, &asked)
        });
        (problems, results, metrics)
    }

    /// A row check's plan over the rows in `cx`'s scope, unless a column it sums could not
    /// be read.
    pub(crate) fn plan_row(
        &self,
        cx: &EvalCx,
        jobs: &[Job],
        planned: &[Planned],
        states: &[Option<Result<State, String>>],
        problems: &[InputProblem],
        i: usize,
    ) -> Result<RowPlan, String> {
        let Check::Row(check) = jobs[i].check else { return Err("internal: an aggregate planned as rows".into()) };
        if let Some(reason) = unreadable_sum(jobs[i].check, problems) {
            return Err(reason);
        }
        let lookups = asked_states(&planned[i].asks, states)?;
        let started = Instant::now();
        let plan = check.plan(cx, &lookups);
        timing(self.options.timings, &format!("plan {}", jobs[i].label), started);
        plan
    }

    /// `SOTECHECK_TIMINGS=rules`: each row rule of a table read whole, fused alone, timed.
    #[allow(clippy::too_many_arguments)]
    fn time_rules_alone(
        &self,
        cx: &EvalCx,
        df: &polars::prelude::DataFrame,
        name: &str,
        jobs: &[Job],
        planned: &[Planned],
        states: &[Option<Result<State, String>>],
        problems: &[InputProblem],
        rows: &[usize],
    ) {
        let scoped = cx.scoped(name, df);
        for &i in rows {
            let Ok(p) = self.plan_row(&scoped, jobs, planned, states, problems, i) else { continue };
            let one = [(i, RowPlan { breakdown: None, parts: Vec::new(), ..p })];
            let started = Instant::now();
            let _ = rows::fused(df, &one, self.sample_limit, false, None, &self.options);
            timing(self.options.timings, &format!("  alone #{i}"), started);
        }
    }
}

/// Where `g` is among the run's gathers, adding it if no equal one is there.
fn index_of(gathers: &mut Vec<Gather>, g: Gather) -> usize {
    match gathers.iter().position(|x| *x == g) {
        Some(i) => i,
        None => {
            gathers.push(g);
            gathers.len() - 1
        }
    }
}

/// The gathered states a job asked for, or why one could not be gathered.
fn asked_states<'s>(asks: &[usize], states: &'s [Option<Result<State, String>>]) -> Result<Vec<&'s State>, String> {
    asks.iter()
        .map(|&g| match &states[g] {
            Some(Ok(s)) => Ok(s),
            Some(Err(reason)) => Err(reason.clone()),
            None => Err("internal: a gathered state is missing".into()),
        })
        .collect()
}

/// Why a check cannot run on this package, if it cannot.
fn missing_input(check: &Check, pkg: &Package) -> Option<String> {
    for (table, cols) in check.needs() {
        if table == "*" {
            continue;
        }
        let Some(t) = pkg.table(&table) else {
            let declared = pkg.descriptor.as_ref().is_some_and(|d| d.resources.iter().any(|r| r.name == table));
            return Some(if declared {
                format!("table `{table}` could not be read (see the input problems)")
            } else {
                format!("table `{table}` is not in the package")
            });
        };
        for c in cols {
            if c != LINE && !t.has(&c) {
                return Some(format!("column `{c}` is not in `{table}`"));
            }
        }
    }
    None
}

/// Why a check that sums a column is not judged: some of the column's values could not be
/// read (treated as missing, they would make the sums too small and the comparison wrong).
fn unreadable_sum(check: &Check, problems: &[InputProblem]) -> Option<String> {
    check.summed().into_iter().find_map(|(table, column)| {
        let unread = problems.iter().find(|p| {
            matches!(p.code, ProblemCode::ValueUnparsable | ProblemCode::DecimalCommaUndeclared)
                && p.table.as_deref() == Some(table.as_str())
                && p.column.as_deref() == Some(column.as_str())
        })?;
        Some(format!(
            "{} values of `{column}` in `{table}` could not be read (see the input problems): its sums would be too small",
            unread.count
        ))
    })
}

/// A row check's measure, unless it judged no row because every filled value of a column
/// it reads could not be read: then it was not evaluated (a pass over no rows would hide
/// that the column holds nothing usable).
pub(crate) fn unreadable_rows(check: &Check, problems: &[InputProblem], m: Measure) -> Result<Measure, String> {
    if m.evaluated > 0 {
        return Ok(m);
    }
    let table = check.table();
    let unread = check.columns().into_iter().find_map(|c| {
        problems.iter().find(|p| {
            matches!(p.code, ProblemCode::ValueUnparsable | ProblemCode::DecimalCommaUndeclared)
                && p.table.as_deref() == Some(table.as_str())
                && p.column.as_deref() == Some(c.as_str())
        })
    });
    match unread {
        Some(p) => Err(format!(
            "no value of `{}` in `{table}` could be read ({} unreadable; see the input problems)",
            p.column.clone().unwrap_or_default(),
            p.count
        )),
        None => Ok(m),
    }
}
