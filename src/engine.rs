//! Runs rules over packages. All row-level rules on one table are fused into a single
//! polars `select` (one pass over the table, whatever the number of rules); aggregate
//! rules run their own small plans. A table too large to hold is streamed: one pass over
//! its batches evaluates the fused row-level rules per batch and gathers the aggregate
//! rules' mergeable partials, so memory holds one batch, not the table. Packages run in
//! parallel with rayon. A rule whose table or column is absent is "not evaluated", never
//! passed.

use crate::checks::{pe, BreakdownRow, EvalCx, KeyedSum, Measure, Partial, Plan, RowPlan, Sample};
use crate::codelist::Registry;
use crate::dictionary::Dictionary;
use crate::frame;
use crate::package::problem::{InputProblem, ProblemCode};
use crate::package::stream::Stream;
use crate::package::{Batching, Data, Package, LINE};
use crate::report::{Finding, Measured, PackageReport, Status, Summary, Verdict};
use crate::rules::{Rule, Severity};
use polars::prelude::*;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// How many failing rows or items a finding shows.
pub const SAMPLE_LIMIT: usize = 10;
const BREAKDOWN_LIMIT: usize = 10;

pub struct Engine<'a> {
    pub rules: &'a [Rule],
    pub registry: &'a Registry,
    pub pins: &'a BTreeMap<String, String>,
    pub sample_limit: usize,
    /// When tables are read in batches; `None`: always whole.
    pub batching: Option<Batching>,
}

/// What one pass over a streamed table produced.
struct Pass {
    problems: Vec<InputProblem>,
    /// Row-level rules on the table, measured; aggregate rules that could not gather.
    results: BTreeMap<usize, Result<Measure, String>>,
    /// Aggregates merged over the batches, for the aggregate rules to judge.
    partials: BTreeMap<String, Partial>,
}

impl Engine<'_> {
    /// Loads and checks packages in parallel; the report keeps the input order.
    /// Each package runs isolated: a panic while one is read or checked (a defect of
    /// sotecheck or of a library on a hostile file) becomes that package's `internal-error`
    /// and every other package is reported as usual.
    pub fn run_paths(&self, paths: &[PathBuf]) -> Vec<PackageReport> {
        paths
            .par_iter()
            .map(|p| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let started = std::time::Instant::now();
                    let pkg = Package::open_with(p, self.registry, self.batching);
                    timing(&format!("load {}", p.display()), started);
                    self.run(&pkg)
                }))
                .unwrap_or_else(|payload| crashed(p, payload))
            })
            .collect()
    }

    pub fn run(&self, pkg: &Package) -> PackageReport {
        let cx = EvalCx::new(pkg, self.registry, self.pins, self.sample_limit);
        let mut findings = Vec::new();
        let mut problems = pkg.problems.clone();
        if pkg.descriptor.is_some() {
            let mut runnable = Vec::new();
            for (i, rule) in self.rules.iter().enumerate() {
                match missing_input(rule, pkg) {
                    Some(reason) => findings.push(not_evaluated(rule, pkg, reason)),
                    None => runnable.push(i),
                }
            }
            // Streamed tables first: one pass over each feeds every rule on it.
            let mut streamed = BTreeMap::new();
            for (name, table) in &pkg.tables {
                if let Data::Streamed(stream) = &table.data {
                    let pass = self.stream(&cx, name, stream, &runnable);
                    problems.extend(pass.problems);
                    streamed.extend(pass.results);
                    cx.add_partials(pass.partials);
                }
            }
            // Tables read whole: their keyed sums answered together too. A failure here is
            // left for each rule to meet, and report, when it plans.
            let mut requests = Vec::new();
            for (name, table) in &pkg.tables {
                if table.frame().is_some() {
                    let rules = runnable.iter().copied().filter(|i| !streamed.contains_key(i));
                    requests.extend(self.keyed_requests(name, rules, &cx).0);
                }
            }
            let started = std::time::Instant::now();
            let _ = cx.answer(requests);
            timing("keyed sums of whole tables", started);
            let mut row_plans: BTreeMap<String, Vec<(usize, RowPlan)>> = BTreeMap::new();
            for i in runnable {
                let rule = &self.rules[i];
                if let Some(result) = streamed.remove(&i) {
                    findings.push(match result {
                        Ok(m) => measured(rule, pkg, &problems, m),
                        Err(reason) => not_evaluated(rule, pkg, reason),
                    });
                    continue;
                }
                if let Some(reason) = unreadable_sum(rule, &problems) {
                    findings.push(not_evaluated(rule, pkg, reason));
                    continue;
                }
                let started = std::time::Instant::now();
                let plan = rule.check.plan(&cx);
                timing(&format!("plan {}", rule.id), started);
                match plan {
                    Ok(Plan::Rows(p)) => row_plans.entry(p.table.clone()).or_default().push((i, p)),
                    Ok(Plan::Done(m)) => findings.push(finding(rule, pkg, m)),
                    Err(reason) => findings.push(not_evaluated(rule, pkg, reason)),
                }
            }
            for (table, plans) in row_plans {
                let df = pkg.table(&table).and_then(|t| t.frame()).expect("row plans of streamed tables ran in their pass");
                if std::env::var("SOTECHECK_TIMINGS").as_deref() == Ok("rules") {
                    self.time_alone(df, &plans);
                }
                let started = std::time::Instant::now();
                let result = fused(df, &plans, self.sample_limit, false, None);
                timing(&format!("fused {table}: {} rules", plans.len()), started);
                match result {
                    Ok(measures) => {
                        for ((i, _), m) in plans.iter().zip(measures) {
                            findings.push(measured(&self.rules[*i], pkg, &problems, m));
                        }
                    }
                    Err(e) => {
                        for (i, _) in &plans {
                            findings.push(not_evaluated(&self.rules[*i], pkg, pe(e.clone())));
                        }
                    }
                }
            }
        }
        let d = pkg.descriptor.as_ref();
        PackageReport {
            package: pkg.name(),
            source: pkg.source.clone(),
            region: d.map(|d| d.region.clone()),
            period: d.map(|d| [d.period_start.to_string(), d.period_end.to_string()]),
            classifications: d.map(|d| d.classifications.clone()).unwrap_or_default(),
            verdict: Verdict::Conformant,
            summary: Summary::default(),
            input_problems: problems,
            findings,
        }
        .finish()
    }

    /// One pass over a streamed table: every batch is typed, the row-level rules on the
    /// table are fused over it as over a whole table and their measures added up, and the
    /// aggregate rules gather their partials from it.
    fn stream(&self, cx: &EvalCx, name: &str, stream: &Stream, runnable: &[usize]) -> Pass {
        let rules = |aggregate: bool| -> Vec<usize> {
            runnable
                .iter()
                .copied()
                .filter(|&i| {
                    let check = &self.rules[i].check;
                    // A row-level rule runs on its first table; an aggregate may read several.
                    check.is_aggregate() == aggregate
                        && if aggregate { check.needs().iter().any(|(t, _)| t == name || t == "*") } else { check.table() == name }
                })
                .collect()
        };
        let (row_rules, aggregate_rules) = (rules(false), rules(true));
        let mut measures: BTreeMap<usize, Measure> = BTreeMap::new();
        let mut failed: BTreeMap<usize, String> = BTreeMap::new();
        let mut partials: BTreeMap<String, Partial> = BTreeMap::new();
        let started = std::time::Instant::now();
        let mut batches = 0;
        let mut phases = Phases::default();
        let mut judged = crate::tally::Judged::default();
        let scanned = stream.scan(|batch| {
            batches += 1;
            // Row rules are planned first: the batch's dictionary is made from their plans.
            let plan_cx = cx.for_batch(name, batch, None);
            let t = std::time::Instant::now();
            let mut plans = Vec::new();
            for &i in &row_rules {
                if failed.contains_key(&i) {
                    continue;
                }
                match self.rules[i].check.plan(&plan_cx) {
                    Ok(Plan::Rows(p)) => plans.push((i, p)),
                    Ok(Plan::Done(_)) => {
                        // A kind that measures whole tables must say so (`Check::is_aggregate`);
                        // judged on one batch its measure would be wrong, so it is not used.
                        failed.insert(i, format!("kind `{}` cannot be evaluated batch by batch", self.rules[i].check.kind()));
                    }
                    Err(reason) => {
                        failed.insert(i, reason);
                    }
                }
            }
            phases.add("plan row rules", t);
            // The batch's coded columns, shared: the fused rules look values up in them, the
            // aggregates count per code (keyed sums, months) and scan each distinct text
            // once (identity codes). Every text and date column is offered.
            let t = std::time::Instant::now();
            let offered: Vec<&str> = batch
                .schema()
                .iter()
                .filter(|(n, dt)| matches!(dt, DataType::String | DataType::Date) && n.as_str() != LINE)
                .map(|(n, _)| n.as_str())
                .collect();
            let dict = Dictionary::for_plans(batch, &plans, &offered).unwrap_or_else(|_| Dictionary::new(batch.height()));
            phases.add("code columns", t);
            let bcx = cx.for_batch(name, batch, Some(&dict));
            // The fused row rules and the aggregates read the batch independently: they run
            // side by side (the fused scan on a scoped thread, the aggregates here, where
            // their context lives), so that one's single-threaded steps fill the other's gaps.
            let side_by_side = std::time::Instant::now();
            let mut aggregates_took = std::time::Duration::ZERO;
            let (plans_ref, dict_ref, judged) = (&plans, &dict, &mut judged);
            let (result, fused_took) = std::thread::scope(|scope| {
                let fused_scan = scope.spawn(move || {
                    let t = std::time::Instant::now();
                    (fused_with(batch, plans_ref, self.sample_limit, true, Some(dict_ref), judged), t.elapsed())
                });
                // Keyed sums first, answered together: one pass per key column set.
                let t = std::time::Instant::now();
                let rules = aggregate_rules.iter().copied().filter(|i| !failed.contains_key(i));
                let (requests, requesters, unformed) = self.keyed_requests(name, rules, &bcx);
                failed.extend(unformed);
                if let Err(reason) = bcx.answer(requests) {
                    for i in requesters {
                        failed.insert(i, reason.clone());
                    }
                }
                phases.add("keyed sums", t);
                for &i in &aggregate_rules {
                    if failed.contains_key(&i) {
                        continue;
                    }
                    let t = std::time::Instant::now();
                    if let Err(reason) = self.rules[i].check.gather(name, &bcx) {
                        failed.insert(i, reason);
                    }
                    phases.add(&format!("gather {}", self.rules[i].id), t);
                }
                aggregates_took = side_by_side.elapsed();
                fused_scan.join().unwrap_or_else(|_| {
                    (Err(PolarsError::ComputeError("internal: the fused scan panicked".into())), std::time::Duration::ZERO)
                })
            });
            phases.add_overlapping("fused row rules", fused_took, aggregates_took, side_by_side.elapsed());
            match result {
                Ok(ms) => {
                    for ((i, _), m) in plans.iter().zip(ms) {
                        match measures.get_mut(i) {
                            Some(acc) => acc.merge(m, self.sample_limit),
                            None => {
                                measures.insert(*i, m);
                            }
                        }
                    }
                }
                Err(e) => {
                    for (i, _) in &plans {
                        failed.insert(*i, pe(e.clone()));
                    }
                }
            }
            for (k, p) in bcx.take_partials() {
                match partials.get_mut(&k) {
                    Some(acc) => acc.merge(p, self.sample_limit),
                    None => {
                        partials.insert(k, p);
                    }
                }
            }
            true
        });
        timing(&format!("stream {name}: {batches} batches, {} row rules, {} aggregates", row_rules.len(), aggregate_rules.len()), started);
        phases.report(started);
        let problems = match scanned {
            Ok(p) => p,
            Err(e) => {
                for &i in row_rules.iter().chain(&aggregate_rules) {
                    failed.insert(i, format!("table `{name}` could not be read (see the input problems)"));
                }
                vec![crate::package::load::unreadable(stream.spec, &stream.file, &e)]
            }
        };
        let mut results = BTreeMap::new();
        for i in row_rules {
            let m = measures.remove(&i).unwrap_or_default();
            results.insert(i, failed.remove(&i).map_or_else(|| Ok(finish_breakdown(m)), Err));
        }
        for i in aggregate_rules {
            if let Some(reason) = failed.remove(&i) {
                results.insert(i, Err(reason));
            }
        }
        Pass { problems, results, partials }
    }

    /// The keyed sums `rules` need from `table`: the requests, the rules asking, and the
    /// rules whose requests could not be formed, with why.
    fn keyed_requests(
        &self,
        table: &str,
        rules: impl Iterator<Item = usize>,
        cx: &EvalCx,
    ) -> (Vec<KeyedSum>, Vec<usize>, Vec<(usize, String)>) {
        let (mut requests, mut asking, mut unformed) = (Vec::new(), Vec::new(), Vec::new());
        for i in rules {
            match self.rules[i].check.keyed_sums(table, cx) {
                Ok(r) if r.is_empty() => {}
                Ok(r) => {
                    requests.extend(r);
                    asking.push(i);
                }
                Err(reason) => unformed.push((i, reason)),
            }
        }
        (requests, asking, unformed)
    }

    /// Profiling aid (`SOTECHECK_TIMINGS=rules`): each rule alone, to see which expressions cost.
    fn time_alone(&self, df: &DataFrame, plans: &[(usize, RowPlan)]) {
        for (i, p) in plans {
            let one = [(
                *i,
                RowPlan {
                    table: p.table.clone(),
                    evaluated: p.evaluated.clone(),
                    failing: p.failing.clone(),
                    weight: p.weight.clone(),
                    show: p.show.clone(),
                    breakdown: None,
                    parts: Vec::new(),
                },
            )];
            let started = std::time::Instant::now();
            let _ = fused(df, &one, self.sample_limit, false, None);
            timing(&format!("  alone {}", self.rules[*i].id), started);
        }
    }
}

/// The report of a package whose check panicked.
fn crashed(path: &std::path::Path, payload: Box<dyn std::any::Any + Send>) -> PackageReport {
    let what =
        payload.downcast_ref::<String>().map(String::as_str).or_else(|| payload.downcast_ref::<&str>().copied()).unwrap_or("no message");
    let source = path.display().to_string();
    PackageReport {
        package: path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| source.clone()),
        source: source.clone(),
        region: None,
        period: None,
        classifications: BTreeMap::new(),
        verdict: Verdict::InputError,
        summary: Summary::default(),
        input_problems: vec![InputProblem::error(
            ProblemCode::InternalError,
            &source,
            format!("sotecheck failed while reading or checking this package: {}", what.lines().next().unwrap_or(what)),
        )
        .help("a file of the package is probably damaged (e.g. a corrupt Parquet file): export it again; if it persists, report this message to the sotecheck maintainers")],
        findings: Vec::new(),
    }
    .finish()
}

/// With `SOTECHECK_TIMINGS=1`, phase timings go to standard error (for profiling; reports
/// stay free of timings so they diff cleanly).
pub fn timing(what: &str, started: std::time::Instant) {
    if std::env::var_os("SOTECHECK_TIMINGS").is_some() {
        eprintln!("[timing] {:>9.3} ms  peak {:>6} MB  {what}", started.elapsed().as_secs_f64() * 1000.0, peak_rss_mb());
    }
}

/// The process's peak resident memory so far (Linux; 0 elsewhere), for the timings.
fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    kb.unwrap_or(0) / 1024
}

/// Time spent per phase over the batches of a stream (`SOTECHECK_TIMINGS`), and how much
/// of it ran side by side; what is left of the pass is reading and typing the batches.
#[derive(Default)]
struct Phases(BTreeMap<String, std::time::Duration>, std::time::Duration);

impl Phases {
    fn add(&mut self, phase: &str, started: std::time::Instant) {
        if std::env::var_os("SOTECHECK_TIMINGS").is_some() {
            *self.0.entry(phase.to_string()).or_default() += started.elapsed();
        }
    }

    /// A phase that took `took` beside the phases timed in the same `wall` time: what
    /// the two took beyond it ran side by side, and is not wall time of the pass.
    fn add_overlapping(&mut self, phase: &str, took: std::time::Duration, beside: std::time::Duration, wall: std::time::Duration) {
        if std::env::var_os("SOTECHECK_TIMINGS").is_some() {
            *self.0.entry(phase.to_string()).or_default() += took;
            self.1 += (took + beside).saturating_sub(wall);
        }
    }

    fn report(&self, pass_started: std::time::Instant) {
        if std::env::var_os("SOTECHECK_TIMINGS").is_none() {
            return;
        }
        let spent = self.0.values().sum::<std::time::Duration>().saturating_sub(self.1);
        for (phase, d) in &self.0 {
            eprintln!("[timing] {:>9.3} ms    {phase}", d.as_secs_f64() * 1000.0);
        }
        eprintln!(
            "[timing] {:>9.3} ms    of the above, side by side (fused row rules beside the aggregates)",
            self.1.as_secs_f64() * 1000.0
        );
        eprintln!("[timing] {:>9.3} ms    read and type batches", (pass_started.elapsed().saturating_sub(spent)).as_secs_f64() * 1000.0);
    }
}

/// Why a rule cannot run on this package, if it cannot.
fn missing_input(rule: &Rule, pkg: &Package) -> Option<String> {
    for (table, cols) in rule.check.needs() {
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

/// A row rule's finding, unless it judged no row because every filled value of a column
/// it reads could not be read: then it was not evaluated (a pass over no rows would hide
/// that the column holds nothing usable).
fn measured(rule: &Rule, pkg: &Package, problems: &[InputProblem], m: Measure) -> Finding {
    if m.evaluated == 0 {
        let table = rule.check.table();
        let unread = rule.check.columns().into_iter().find_map(|c| {
            problems.iter().find(|p| {
                matches!(p.code, ProblemCode::ValueUnparsable | ProblemCode::DecimalCommaUndeclared)
                    && p.table.as_deref() == Some(table.as_str())
                    && p.column.as_deref() == Some(c.as_str())
            })
        });
        if let Some(p) = unread {
            let column = p.column.clone().unwrap_or_default();
            return not_evaluated(
                rule,
                pkg,
                format!("no value of `{column}` in `{table}` could be read ({} unreadable; see the input problems)", p.count),
            );
        }
    }
    finding(rule, pkg, m)
}

/// Why a rule that sums a column is not judged: some of the column's values could not be
/// read (treated as missing, they would make the sums too small and the comparison wrong).
fn unreadable_sum(rule: &Rule, problems: &[InputProblem]) -> Option<String> {
    rule.check.summed().into_iter().find_map(|(table, column)| {
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

/// Evaluates every row-level plan of one table (or batch) in one pass (the `usize` is the
/// caller's index, passed through). Breakdowns hold every group: with `batch`, even groups
/// without failing rows (a later batch may fail there), so that merged batches add up to
/// the whole table; `finish_breakdown` then keeps the top groups.
/// `dict`: the table's (batch's) coded columns, if the caller made them to share;
/// otherwise they are made here.
pub fn fused(
    df: &DataFrame,
    plans: &[(usize, RowPlan)],
    limit: usize,
    batch: bool,
    dict: Option<&Dictionary>,
) -> PolarsResult<Vec<Measure>> {
    fused_with(df, plans, limit, batch, dict, &mut crate::tally::Judged::default())
}

/// `fused`, reusing (and keeping) judgements of earlier batches of the same table.
pub fn fused_with(
    df: &DataFrame,
    plans: &[(usize, RowPlan)],
    limit: usize,
    batch: bool,
    dict: Option<&Dictionary>,
    judged: &mut crate::tally::Judged,
) -> PolarsResult<Vec<Measure>> {
    let own;
    let dict = match dict {
        Some(d) => d,
        None => {
            own = Dictionary::for_plans(df, plans, &[])?;
            &own
        }
    };
    // Plans on coded columns are counted per value combination; the others judged per row.
    let counted = crate::tally::counted(df, plans, dict, limit, batch, judged)?;
    let rest: Vec<(usize, RowPlan)> = plans.iter().zip(&counted).filter(|(_, c)| c.is_none()).map(|(p, _)| p.clone()).collect();
    let mut by_row = if rest.is_empty() { Vec::new() } else { per_row(df, &rest, limit, batch, dict)? }.into_iter();
    counted
        .into_iter()
        .map(|c| match c {
            Some(m) => Ok(m),
            None => by_row.next().ok_or_else(|| PolarsError::ComputeError("internal: a row rule was not measured".into())),
        })
        .collect()
}

/// `fused` for plans judged row by row: a mask per plan, then counts, samples and
/// breakdowns read from the masks.
fn per_row(df: &DataFrame, plans: &[(usize, RowPlan)], limit: usize, batch: bool, dict: &Dictionary) -> PolarsResult<Vec<Measure>> {
    // The masks (and weights) of every rule first, in one pass: the counts, samples and
    // breakdowns below read these columns instead of evaluating each rule again.
    let mut cols = vec![col(LINE)];
    let mut carried: Vec<&str> = Vec::new();
    for (_, p) in plans {
        for c in p.show.iter().chain(&p.breakdown) {
            if c != LINE && !carried.contains(&c.as_str()) {
                carried.push(c);
                cols.push(col(c.as_str()));
            }
        }
    }
    // `evaluated` first, as columns, so that `failing` (only judged on evaluated rows)
    // reads the mask instead of evaluating it again.
    let mut evaluated = Vec::new();
    // Judged once per distinct value where the columns allow (see `dictionary`).
    let per_value = |e: &Expr| -> PolarsResult<Expr> { Ok(dict.rewrite_parts(e)?.unwrap_or_else(|| e.clone())) };
    for (k, (_, p)) in plans.iter().enumerate() {
        // A check may say `lit(true)` ("every row"); ANDed with a real column it stays a
        // full-length mask. (Line numbers start at 1, so this is true on every row.)
        // Nulls (from null inputs) count as false.
        let ev = col(LINE).gt(lit(0u32)).and(per_value(&p.evaluated)?).fill_null(lit(false));
        evaluated.push(ev.alias(format!("__e{k}")));
        cols.push(col(format!("__e{k}")));
        cols.push(col(format!("__e{k}")).and(per_value(&p.failing)?).fill_null(lit(false)).alias(format!("__f{k}")));
        if let Some(w) = &p.weight {
            cols.push(w.clone().cast(DataType::Float64).alias(format!("__w{k}")));
        }
        for (j, (_, part)) in p.parts.iter().enumerate() {
            cols.push(col(format!("__e{k}")).and(per_value(part)?).fill_null(lit(false)).alias(format!("__p{k}_{j}")));
        }
    }
    // Without common-subexpression elimination: measured at 1 M and 10 M rows, it
    // materialised shared subexpressions (casts, dates as datetimes) as full columns,
    // costing 200 bytes a row of peak memory and no time saved.
    let df = df.hstack(&dict.code_columns(df))?;
    let lf = df.lazy().with_columns(evaluated).select(cols).with_comm_subexpr_elim(false);
    if std::env::var("SOTECHECK_DEBUG_PLAN").is_ok() {
        eprintln!("{}", lf.clone().describe_optimized_plan()?);
    }
    let masked = lf.collect()?;
    let mut exprs = Vec::new();
    for (k, (_, p)) in plans.iter().enumerate() {
        let (ev, fail) = (col(format!("__e{k}")), col(format!("__f{k}")));
        exprs.push(ev.clone().sum().cast(DataType::UInt64).alias(format!("e{k}")));
        exprs.push(fail.clone().sum().cast(DataType::UInt64).alias(format!("f{k}")));
        if p.weight.is_some() {
            let w = col(format!("__w{k}"));
            exprs.push(w.clone().filter(ev).sum().alias(format!("we{k}")));
            exprs.push(w.filter(fail.clone()).sum().alias(format!("wf{k}")));
        }
        for j in 0..p.parts.len() {
            exprs.push(col(format!("__p{k}_{j}")).sum().cast(DataType::UInt64).alias(format!("p{k}_{j}")));
        }
        exprs.push(col(LINE).filter(fail.clone()).head(Some(limit)).implode(true).alias(format!("l{k}")));
        for (j, c) in p.show.iter().enumerate() {
            exprs.push(col(c.as_str()).filter(fail.clone()).head(Some(limit)).implode(true).alias(format!("s{k}_{j}")));
        }
    }
    let out = masked.clone().lazy().select(exprs).collect()?;
    // Breakdowns: in a batch for every rule with one (a later batch may fail where this
    // one did not), else only where rows fail.
    let wanted: Vec<(usize, &str, bool)> = plans
        .iter()
        .enumerate()
        .filter_map(|(k, (_, p))| p.breakdown.as_deref().map(|by| (k, by, p.weight.is_some())))
        .map(|(k, by, w)| Ok((frame::scalar_u64(&out, &format!("f{k}"))? > 0 || batch).then_some((k, by, w))))
        .collect::<PolarsResult<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let mut breakdowns = breakdowns(&masked, &wanted, dict)?;
    let mut measures = Vec::new();
    for (k, (_, p)) in plans.iter().enumerate() {
        let evaluated = frame::scalar_u64(&out, &format!("e{k}"))?;
        let failing = frame::scalar_u64(&out, &format!("f{k}"))?;
        let (total_weight, failing_weight) = if p.weight.is_some() {
            (frame::scalar_f64(&out, &format!("we{k}"))?.unwrap_or(0.0), frame::scalar_f64(&out, &format!("wf{k}"))?.unwrap_or(0.0))
        } else {
            (evaluated as f64, failing as f64)
        };
        let lines = frame::u64s(&frame::list0(&out, &format!("l{k}"))?)?;
        let shown: Vec<Vec<Option<String>>> =
            (0..p.show.len()).map(|j| frame::list0(&out, &format!("s{k}_{j}")).map(|s| frame::strings(&s))).collect::<PolarsResult<_>>()?;
        let samples = Sample::at_lines(&lines, &p.show, &shown);
        let breakdown = breakdowns.remove(&k).unwrap_or_default();
        let by_column = p
            .parts
            .iter()
            .enumerate()
            .map(|(j, (place, _))| Ok((place.clone(), frame::scalar_u64(&out, &format!("p{k}_{j}"))?)))
            .collect::<PolarsResult<_>>()?;
        let m = Measure { evaluated, failing, total_weight, failing_weight, samples, breakdown, notes: Vec::new(), by_column };
        measures.push(if batch { m } else { finish_breakdown(m) });
    }
    Ok(measures)
}

/// Keeps the groups with failing rows, largest failing weight first (ties by name, so the
/// order is deterministic), at most `BREAKDOWN_LIMIT`.
pub(crate) fn finish_breakdown(mut m: Measure) -> Measure {
    m.breakdown.retain(|b| b.failing_rows > 0);
    m.breakdown.sort_by(|a, b| b.failing.total_cmp(&a.failing).then_with(|| a.group.cmp(&b.group)));
    m.breakdown.truncate(BREAKDOWN_LIMIT);
    m
}

/// Rows and weight by group, failing and in all, for each `(plan, by column, weighted)`.
/// Rules breaking down by the same column share one group-by; its sums are masked (no
/// filtered copy), and group keys become text only on the few grouped rows.
fn breakdowns(masked: &DataFrame, wanted: &[(usize, &str, bool)], dict: &Dictionary) -> PolarsResult<BTreeMap<usize, Vec<BreakdownRow>>> {
    let mut by_column: BTreeMap<&str, Vec<(usize, bool)>> = BTreeMap::new();
    for &(k, by, weighted) in wanted {
        by_column.entry(by).or_default().push((k, weighted));
    }
    let mut result = BTreeMap::new();
    for (by, plans) in by_column {
        if let Some((values, codes)) = dict.coded(by) {
            result.extend(coded_breakdowns(masked, values, codes, &plans)?);
            continue;
        }
        let mut aggs = Vec::new();
        for &(k, weighted) in &plans {
            let (ev, fail) = (col(format!("__e{k}")), col(format!("__f{k}")));
            aggs.push(ev.clone().sum().cast(DataType::UInt64).alias(format!("rows{k}")));
            aggs.push(fail.clone().sum().cast(DataType::UInt64).alias(format!("frows{k}")));
            if weighted {
                // Masked by `when`, not `filter`: a filter inside a group-by measured slower.
                let w = col(format!("__w{k}"));
                aggs.push(when(ev).then(w.clone()).otherwise(lit(0.0)).sum().alias(format!("total{k}")));
                aggs.push(when(fail).then(w).otherwise(lit(0.0)).sum().alias(format!("failing{k}")));
            }
        }
        let out =
            masked.clone().lazy().group_by([col(by).alias("__g")]).agg(aggs).with_column(col("__g").cast(DataType::String)).collect()?;
        let groups = frame::strings(&frame::column(&out, "__g")?);
        for (k, weighted) in plans {
            let rows = frame::u64s(&frame::column(&out, &format!("rows{k}"))?)?;
            let frows = frame::u64s(&frame::column(&out, &format!("frows{k}"))?)?;
            let (total, failing) = if weighted {
                (frame::f64s(&frame::column(&out, &format!("total{k}"))?)?, frame::f64s(&frame::column(&out, &format!("failing{k}"))?)?)
            } else {
                (rows.iter().map(|&r| Some(r as f64)).collect(), frows.iter().map(|&r| Some(r as f64)).collect())
            };
            let v: Vec<BreakdownRow> = (0..groups.len())
                .filter(|&i| rows[i] > 0)
                .map(|i| BreakdownRow {
                    group: groups[i].clone(),
                    rows: rows[i],
                    failing_rows: frows[i],
                    total: total[i].unwrap_or(0.0),
                    failing: failing[i].unwrap_or(0.0),
                })
                .collect();
            result.insert(k, v);
        }
    }
    Ok(result)
}

/// `breakdowns` by a column the dictionary coded: rows are counted per code (dense, no
/// hashing) once, and each rule's counts are taken from that by visiting only the rows
/// its masks set apart (the few not evaluated, the few failing), a word of bits at a time.
fn coded_breakdowns(
    masked: &DataFrame,
    values: &Series,
    codes: &[IdxSize],
    plans: &[(usize, bool)],
) -> PolarsResult<Vec<(usize, Vec<BreakdownRow>)>> {
    let groups = frame::strings(&values.cast(&DataType::String)?);
    let n = groups.len();
    let mut all = vec![0u64; n];
    for &c in codes {
        all[c as usize] += 1;
    }
    let mask = |name: &str| -> PolarsResult<BooleanChunked> {
        let m = frame::column(masked, name)?.bool()?.clone();
        // The masks are filled (no nulls); should one not be, a null counts as false.
        Ok(if m.null_count() > 0 { m.fill_null_with_values(false)? } else { m })
    };
    let mut out = Vec::new();
    for &(k, weighted) in plans {
        let (ev, fail) = (mask(&format!("__e{k}"))?, mask(&format!("__f{k}"))?);
        let mut rows = all.clone();
        frame::for_true_rows(&!&ev, |i| rows[codes[i] as usize] -= 1);
        let mut frows = vec![0u64; n];
        frame::for_true_rows(&fail, |i| frows[codes[i] as usize] += 1);
        let (total, failing) = if weighted {
            let w = frame::column(masked, &format!("__w{k}"))?.f64()?.clone();
            let (mut total, mut failing) = (vec![0.0f64; n], vec![0.0f64; n]);
            for (((&c, e), f), w) in codes.iter().zip(ev.iter()).zip(fail.iter()).zip(w.iter()) {
                let w = w.unwrap_or(0.0);
                if e == Some(true) {
                    total[c as usize] += w;
                }
                if f == Some(true) {
                    failing[c as usize] += w;
                }
            }
            (total, failing)
        } else {
            (rows.iter().map(|&r| r as f64).collect(), frows.iter().map(|&r| r as f64).collect())
        };
        let v = (0..n)
            .filter(|&i| rows[i] > 0)
            .map(|i| BreakdownRow { group: groups[i].clone(), rows: rows[i], failing_rows: frows[i], total: total[i], failing: failing[i] })
            .collect();
        out.push((k, v));
    }
    Ok(out)
}

fn base(rule: &Rule, pkg: &Package) -> Finding {
    let table = rule.check.table();
    let t = pkg.table(&table);
    Finding {
        rule: rule.id.clone(),
        title: rule.title.clone(),
        family: rule.family.clone(),
        severity: rule.severity.as_str().to_string(),
        perspectives: rule.perspectives.clone(),
        why: first_sentence(&rule.docs.why),
        kind: rule.check.kind().to_string(),
        table,
        columns: rule.check.columns(),
        status: Status::NotEvaluated,
        reason: None,
        rows_evaluated: 0,
        rows_failing: 0,
        failing_share: 0.0,
        measured: Measured { name: measured_name(rule).into(), value: 0.0 },
        threshold: threshold_text(rule),
        samples: Vec::new(),
        breakdown: Vec::new(),
        notes: Vec::new(),
        failing_by_column: BTreeMap::new(),
        within_tolerance: 0,
        position: t.map(|t| t.position).unwrap_or("line").to_string(),
        file: t.map(|t| t.file.clone()).unwrap_or_default(),
    }
}

/// The first sentence of a docs text, on one line.
fn first_sentence(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let words: Vec<&str> = flat.split(' ').collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        out.push(*w);
        // A sentence ends at a full stop followed by a capital, except after an abbreviation.
        let next_capital = words.get(i + 1).and_then(|n| n.chars().next()).is_some_and(|c| c.is_uppercase());
        let abbreviation = ["e.g.", "i.e.", "esim.", "ks.", "vs.", "etc.", "mm."].contains(&w.to_lowercase().as_str());
        if w.ends_with('.') && next_capital && !abbreviation {
            break;
        }
    }
    out.join(" ")
}

fn measured_name(rule: &Rule) -> &'static str {
    if rule.threshold.fail.min_share.is_some() || rule.check.kind() == "coverage" {
        "coverage"
    } else {
        "failing share"
    }
}

fn threshold_text(rule: &Rule) -> String {
    let mut s = rule.threshold.fail.describe();
    if let Some(w) = &rule.threshold.warn {
        s.push_str(&format!("; warning unless {}", w.describe()));
    }
    s
}

fn not_evaluated(rule: &Rule, pkg: &Package, reason: String) -> Finding {
    Finding { reason: Some(reason), ..base(rule, pkg) }
}

fn finding(rule: &Rule, pkg: &Package, m: Measure) -> Finding {
    let share = m.failing_share();
    let passes = rule.threshold.fail.holds(m.failing, share);
    let warn_ok = rule.threshold.warn.as_ref().is_none_or(|w| w.holds(m.failing, share));
    let status = match (passes, warn_ok, rule.severity) {
        (true, true, _) => Status::Pass,
        (true, false, _) => Status::Warning,
        (false, _, Severity::Error) => Status::Fail,
        (false, _, Severity::Warning) => Status::Warning,
        (false, _, Severity::Info) => Status::Info,
    };
    let value = if measured_name(rule) == "coverage" { 1.0 - share } else { share };
    let mut f = base(rule, pkg);
    if rule.check.kind() == "identity-code-leak" {
        f.table = "*".into();
        f.file = String::new();
    }
    // Months are held as their first day; shown as written (`2025-05`).
    let spec = crate::package::contract::table(&rule.check.table());
    let is_month = |c: &str| spec.and_then(|t| t.column(c)).is_some_and(|c| c.ty == crate::package::contract::ColType::Month);
    let mut samples = m.samples;
    for s in &mut samples {
        for (c, v) in s.values.iter_mut() {
            if let Some(v) = v.as_mut().filter(|v| v.len() == 10 && is_month(c)) {
                v.truncate(7);
            }
        }
    }
    Finding {
        status,
        rows_evaluated: m.evaluated,
        rows_failing: m.failing,
        failing_share: round(share),
        measured: Measured { value: round(value), ..f.measured.clone() },
        samples,
        breakdown: m.breakdown,
        notes: m.notes,
        failing_by_column: m.by_column.into_iter().filter(|(_, n)| *n > 0).collect(),
        within_tolerance: if status == Status::Pass { m.failing } else { 0 },
        ..f
    }
}

/// Shares are rounded so reports do not carry float noise between platforms.
fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
