//! One pass over a table: every batch is typed (by the package's stream), the row checks
//! on the table are planned and fused over it and their measures added up, and the gathers
//! on the table update their state from it. Memory holds one batch, not the table. A table
//! read whole is one batch: it is checked the same way (one dictionary shared by the fused
//! rules and the gathers, side by side), so its report is the streamed one.

use super::dictionary::Dictionary;
use super::tally::Judged;
use super::{gather, rows, unreadable_rows, Engine, Job, Planned};
use crate::checks::{pe, EvalCx, Gather, State};
use crate::model::Measure;
use crate::package::parquet_keys::Keys;
use crate::package::problem::InputProblem;
use crate::package::stream::Stream;
use crate::package::LINE;
use crate::profile::{timing, Phases};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The run a pass belongs to.
pub(crate) struct Run<'r, 'a> {
    pub(crate) engine: &'r Engine<'a>,
    pub(crate) cx: &'r EvalCx<'r>,
    pub(crate) jobs: &'r [Job<'r>],
    pub(crate) planned: &'r [Planned],
    pub(crate) gathers: &'r [Gather],
}

/// The batches a pass reads.
#[derive(Clone, Copy)]
pub(crate) enum Batches<'s> {
    Stream(&'s Stream),
    /// A table read whole (`Data::Loaded`).
    Whole(&'s DataFrame),
}

impl Batches<'_> {
    fn scan(&self, each: impl FnMut(&DataFrame, &Keys) -> bool) -> PolarsResult<Vec<InputProblem>> {
        match self {
            Batches::Stream(stream) => stream.scan_keyed(each),
            Batches::Whole(df) => {
                let mut each = each;
                each(df, &Keys::default());
                Ok(Vec::new())
            }
        }
    }
}

/// What one pass gave.
pub(crate) struct Pass {
    pub(crate) problems: Vec<InputProblem>,
    /// The row jobs on the table: measured over every batch, or why not.
    pub(crate) rows: Vec<(usize, Result<Measure, String>)>,
    /// The gathers on the table, merged over every batch.
    pub(crate) states: Vec<(usize, Result<State, String>)>,
}

impl Run<'_, '_> {
    /// `row_jobs`: the row jobs planned over `name`; `here`: the gathers on it; `states`:
    /// the lookups gathered before (tables a row check looks up are read first).
    pub(crate) fn stream(
        &self,
        name: &str,
        batches: Batches,
        row_jobs: &[usize],
        here: &[usize],
        states: &[Option<Result<State, String>>],
        problems: &[InputProblem],
        status: &mut crate::progress::Status,
    ) -> Pass {
        let engine = self.engine;
        let limit = engine.sample_limit;
        let mut measures: BTreeMap<usize, Measure> = BTreeMap::new();
        let mut failed: BTreeMap<usize, String> = BTreeMap::new();
        let mut gathered: BTreeMap<usize, Result<State, String>> = BTreeMap::new();
        let started = Instant::now();
        let mut read = 0;
        let mut phases = Phases::new(engine.options.timings);
        let mut judged = Judged::default();
        // The gathers' judgements of masks, kept from batch to batch as the fused rules' are.
        let mut gathers_judged = Judged::default();
        let scanned = batches.scan(|batch, keys| {
            read += 1;
            // Row checks are planned first: the batch's dictionary is made from their plans.
            let scoped = self.cx.scoped(name, batch);
            let t = Instant::now();
            let mut plans = Vec::new();
            for &i in row_jobs {
                if failed.contains_key(&i) {
                    continue;
                }
                match engine.plan_row(&scoped, self.jobs, self.planned, states, problems, i) {
                    Ok(p) => plans.push((i, p)),
                    Err(reason) => {
                        failed.insert(i, reason);
                    }
                }
            }
            phases.add("plan row rules", t);
            // The batch's coded columns, shared: the fused checks look values up in them,
            // the gathers count per code (keyed sums, months) and scan each distinct text
            // once (identity codes). Every text and date column is offered.
            let t = Instant::now();
            let offered: Vec<&str> = batch
                .schema()
                .iter()
                .filter(|(n, dt)| matches!(dt, DataType::String | DataType::Date) && n.as_str() != LINE)
                .map(|(n, _)| n.as_str())
                .collect();
            let dict = Dictionary::for_plans(batch, &plans, &offered, engine.options.per_value, keys)
                .unwrap_or_else(|_| Dictionary::new(batch.height()));
            phases.add("code columns", t);
            // The fused row checks and the gathers read the batch independently: they run
            // side by side (two legs of a `rayon::join`), so that one's single-threaded
            // steps fill the other's gaps; the first done takes the gathers not yet begun.
            let side_by_side = Instant::now();
            let mut gathers_took = Duration::ZERO;
            let (plans_ref, dict_ref, judged) = (&plans, &dict, &mut judged);
            let options = &engine.options;
            let live: Vec<usize> = here.iter().copied().filter(|g| !matches!(gathered.get(g), Some(Err(_)))).collect();
            let asked: Vec<&Gather> = live.iter().map(|&g| &self.gathers[g]).collect();
            let tasks = gather::Tasks::new(name, batch, Some(dict_ref), &asked, limit, &mut gathers_judged);
            let tasks_ref = &tasks;
            // Both legs in the thread pool (`rayon::join`): a thread waiting for the other
            // leg does the pool's work meanwhile, so legs waiting on each other, here and
            // in another package's pass, never leave the pool without a thread to run them.
            let ((result, fused_took), ()) = rayon::join(
                move || {
                    let t = Instant::now();
                    let fused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        rows::fused_with(batch, plans_ref, limit, true, Some(dict_ref), judged, options)
                    }))
                    .unwrap_or_else(|_| Err(PolarsError::ComputeError("internal: the fused scan panicked".into())));
                    let took = t.elapsed();
                    tasks_ref.work();
                    (fused, took)
                },
                || {
                    let t = Instant::now();
                    tasks_ref.work();
                    phases.add("gathers", t);
                    gathers_took = side_by_side.elapsed();
                },
            );
            for (&g, s) in live.iter().zip(tasks.finish()) {
                match (gathered.get_mut(&g), s) {
                    (Some(Ok(acc)), Ok(s)) => acc.merge(s, limit),
                    (_, s) => {
                        gathered.insert(g, s);
                    }
                }
                // Duplicate-key hashes grow with the table: past the budget they go to
                // disk, so a national table's memory stays flat.
                if let Some(Ok(State::Hashes(h))) = gathered.get_mut(&g) {
                    if let Err(e) = h.bound(options.hash_rows_in_memory, &std::env::temp_dir()) {
                        gathered.insert(g, Err(format!("the key hashes could not be spilled to a temporary folder: {e}")));
                    }
                }
            }
            phases.add_overlapping("fused row rules", fused_took, gathers_took, side_by_side.elapsed());
            if let Batches::Stream(_) = batches {
                status.batch(batch.height());
            }
            match result {
                Ok(ms) => {
                    for ((i, _), m) in plans.iter().zip(ms) {
                        match measures.get_mut(i) {
                            Some(acc) => acc.merge(m, limit),
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
            true
        });
        timing(
            engine.options.timings,
            &format!("stream {name}: {read} batches, {} row rules, {} gathers", row_jobs.len(), here.len()),
            started,
        );
        phases.report(started);
        if let Batches::Whole(df) = batches {
            status.done(df.height());
        }
        let mut read_problems = match scanned {
            Ok(p) => p,
            Err(e) => {
                let why = format!("table `{name}` could not be read (see the input problems)");
                for &i in row_jobs {
                    failed.insert(i, why.clone());
                }
                for &g in here {
                    gathered.insert(g, Err(why.clone()));
                }
                match batches {
                    Batches::Stream(stream) => vec![crate::package::load::unreadable(stream.spec, &stream.file, &e)],
                    // Nothing is read: the frame is in memory.
                    Batches::Whole(_) => Vec::new(),
                }
            }
        };
        let all_problems: Vec<InputProblem> = problems.iter().chain(&read_problems).cloned().collect();
        let rows = row_jobs
            .iter()
            .map(|&i| {
                let m = measures.remove(&i).unwrap_or_default();
                let r = match failed.remove(&i) {
                    Some(reason) => Err(reason),
                    None => unreadable_rows(self.jobs[i].check, &all_problems, m.keep_top_groups()),
                };
                (i, r)
            })
            .collect();
        // A table without rows has no batch: its gathers hold nothing.
        let states = here.iter().map(|&g| (g, gathered.remove(&g).unwrap_or_else(|| Ok(gather::empty(&self.gathers[g]))))).collect();
        Pass { problems: std::mem::take(&mut read_problems), rows, states }
    }
}
