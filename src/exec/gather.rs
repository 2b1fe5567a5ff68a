//! Gathering aggregate state from rows in scope (a whole table, or one batch of a streamed
//! one): keyed counts and sums answered together (one pass per key columns: per code when
//! the batch's dictionary coded the one key column, else one group-by), duplicate-key
//! hashes, months present, identity codes, distinct lookup rows. States of a streamed
//! table's batches merge in file order (`State::merge`).

use super::dictionary::{count_codes, elementwise_roots, Dictionary};
use super::tally::Judged;
use crate::checks::identity_code_leak::IdentityCodeLeak;
use crate::checks::{pe, Gather, KeyedSum, State};
use crate::frame;
use crate::keyhash::KeyHashes;
use crate::package::LINE;
use polars::prelude::*;
use std::collections::BTreeMap;

/// The state of each of `gathers` (all on `table`) over `df`, in order.
pub fn gather(
    table: &str,
    df: &DataFrame,
    dict: Option<&Dictionary>,
    gathers: &[&Gather],
    sample_limit: usize,
    judged: &mut Judged,
) -> Vec<Result<State, String>> {
    let tasks = Tasks::new(table, df, dict, gathers, sample_limit, judged);
    tasks.work();
    tasks.finish()
}

/// A batch's gathers as tasks that more than one thread may take, each the next one not
/// yet taken: the thread of the fused row checks, done first, takes what the gathers'
/// thread has not begun (10 M Parquet rows: for 93 ms of 328 the gathers ran alone, on one
/// core). Each task's state is the same whichever thread computes it.
pub struct Tasks<'a> {
    table: &'a str,
    df: &'a DataFrame,
    dict: Option<&'a Dictionary>,
    gathers: &'a [&'a Gather],
    sample_limit: usize,
    /// The keyed requests, grouped by their key columns (answered together, one task).
    keyed: BTreeMap<Vec<String>, Vec<(usize, &'a KeyedSum)>>,
    /// Kept from batch to batch; used by the keyed task alone.
    judged: std::sync::Mutex<&'a mut Judged>,
    order: Vec<Task>,
    next: std::sync::atomic::AtomicUsize,
    out: std::sync::Mutex<Vec<Option<Result<State, String>>>>,
}

#[derive(Clone, Copy)]
enum Task {
    Keyed,
    One(usize),
}

impl<'a> Tasks<'a> {
    pub fn new(
        table: &'a str,
        df: &'a DataFrame,
        dict: Option<&'a Dictionary>,
        gathers: &'a [&'a Gather],
        sample_limit: usize,
        judged: &'a mut Judged,
    ) -> Self {
        let mut keyed: BTreeMap<Vec<String>, Vec<(usize, &KeyedSum)>> = BTreeMap::new();
        for (i, g) in gathers.iter().enumerate() {
            if let Gather::Keyed(k) = g {
                keyed.entry(k.by.clone()).or_default().push((i, k));
            }
        }
        // The longest first, so that what is left for the other thread is short: a row's
        // hash (per batch of 10 M Parquet rows about 9 ms), the keyed sums (5 ms), then the
        // rest (identity codes 2.6 ms, months 0.6 ms).
        let others = |hashes: bool| {
            gathers
                .iter()
                .enumerate()
                .filter(move |(_, g)| !matches!(g, Gather::Keyed(_)) && matches!(g, Gather::Hashes { .. }) == hashes)
                .map(|(i, _)| Task::One(i))
        };
        let mut order: Vec<Task> = others(true).collect();
        if !keyed.is_empty() {
            order.push(Task::Keyed);
        }
        order.extend(others(false));
        Tasks {
            table,
            df,
            dict,
            gathers,
            sample_limit,
            keyed,
            judged: std::sync::Mutex::new(judged),
            order,
            next: std::sync::atomic::AtomicUsize::new(0),
            out: std::sync::Mutex::new(vec![None; gathers.len()]),
        }
    }

    /// Takes and does tasks until none is left.
    pub fn work(&self) {
        while self.work_one() {}
    }

    /// Takes and does the next task; false when none was left.
    fn work_one(&self) -> bool {
        let at = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(&task) = self.order.get(at) else { return false };
        let states = self.run(task);
        // A thread that panicked left no state half-written: the lock still holds every
        // state set before.
        let mut out = self.out.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (i, state) in states {
            out[i] = Some(state);
        }
        true
    }

    /// Every gather's state, in order (once no thread works on them any more).
    pub fn finish(self) -> Vec<Result<State, String>> {
        let out = self.out.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        out.into_iter().map(|s| s.unwrap_or_else(|| Err("internal: a gather was not answered".into()))).collect()
    }

    fn run(&self, task: Task) -> Vec<(usize, Result<State, String>)> {
        let (df, dict) = (self.df, self.dict);
        let i = match task {
            Task::One(i) => i,
            Task::Keyed => {
                let mut judged = self.judged.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let mut shared = Shared::default();
                let mut out = Vec::new();
                for (by, requests) in &self.keyed {
                    let asked: Vec<&KeyedSum> = requests.iter().map(|(_, k)| *k).collect();
                    match answer(df, dict, by, &asked, &mut shared, &mut judged) {
                        Ok(states) => out.extend(requests.iter().map(|(i, _)| *i).zip(states.into_iter().map(Ok))),
                        Err(reason) => out.extend(requests.iter().map(|(i, _)| (*i, Err(reason.clone())))),
                    }
                }
                return out;
            }
        };
        let state = match self.gathers[i] {
            Gather::Keyed(_) => Err("internal: a keyed request outside the keyed task".into()),
            Gather::Hashes { columns, evaluated, .. } => hashes(df, columns, evaluated.clone()),
            Gather::Months { column, by, evaluated, plain, .. } => months(df, dict, column, by.as_deref(), evaluated.clone(), *plain),
            Gather::IdentityCodes { .. } => {
                let coded = |c: &str| dict.and_then(|d| d.coded(c));
                IdentityCodeLeak::scan(self.table, df, self.sample_limit, &coded).map(State::Measure)
            }
            Gather::Distinct { columns, filter, .. } => distinct(df, columns, filter.as_ref()),
        };
        vec![(i, state)]
    }
}

/// What a gather holds over no rows.
pub fn empty(g: &Gather) -> State {
    match g {
        Gather::Keyed(k) if k.present => State::Present(Default::default()),
        Gather::Keyed(_) => State::Sums(BTreeMap::new()),
        Gather::Hashes { .. } => State::Hashes(Default::default()),
        Gather::Months { .. } => State::Present(Default::default()),
        Gather::IdentityCodes { .. } => State::Measure(Default::default()),
        Gather::Distinct { .. } => State::Rows(Default::default()),
    }
}

/// Keyed requests grouping by the same columns, in one pass.
fn answer(
    df: &DataFrame,
    dict: Option<&Dictionary>,
    by: &[String],
    requests: &[&KeyedSum],
    shared: &mut Shared,
    judged: &mut Judged,
) -> Result<Vec<State>, String> {
    if let Some(dict) = dict.filter(|_| !by.is_empty()) {
        if let Some(states) = answer_coded(df, dict, by, requests, shared, judged)? {
            return Ok(states);
        }
    }
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
    let lf = df.clone().lazy();
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
    let get = |c: &str| frame::column(&out, c).map_err(pe);
    let (sums_keys, present_keys) = (frame::strings(&get("__ks")?), frame::strings(&get("__kp")?));
    let mut states = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        let n = frame::u64s(&get(&format!("__n{i}"))?).map_err(pe)?;
        // A key with an empty value matches nothing: completeness rules report it.
        let counted = (0..n.len()).filter(|&j| n[j] > 0 && present_keys[j].is_some());
        states.push(if r.present {
            State::Present(counted.filter_map(|j| present_keys[j].clone()).collect())
        } else {
            let v = frame::f64s(&get(&format!("__v{i}"))?).map_err(pe)?;
            State::Sums(counted.map(|j| (sums_keys[j].clone().unwrap_or_default(), v[j].unwrap_or(0.0))).collect())
        });
    }
    Ok(states)
}

/// What the keyed groups of one batch share in `answer_coded`: each row's combination of
/// codes, per set of columns, and the values of each summed expression. Activity's two
/// groups (by service; by service and production) read the same combinations (the first
/// group's masks read the production) and sum the same volume.
#[derive(Default)]
struct Shared {
    /// Per set of roots asked: the roots used and their combinations, `None` if too many.
    combined: Vec<(Vec<PlSmallStr>, Option<std::rc::Rc<Combined>>)>,
    sums: Vec<(Expr, std::rc::Rc<Vec<f64>>)>,
}

/// Each row's combination of codes of `roots`, and the rows per combination.
struct Combined {
    roots: Vec<PlSmallStr>,
    all: super::dictionary::Combinations,
    combination: Vec<u32>,
    per_combination: Vec<u64>,
}

impl Shared {
    /// The values of summed expression `e`, if made.
    fn sum(&self, e: &Expr) -> Option<std::rc::Rc<Vec<f64>>> {
        self.sums.iter().find(|(x, _)| x == e).map(|(_, v)| v.clone())
    }

    /// The combinations of `roots` (or, if they are too many, of `by_roots`), made once.
    fn combined(
        &mut self,
        dict: &Dictionary,
        roots: Vec<PlSmallStr>,
        by_roots: &[PlSmallStr],
        rows: usize,
    ) -> Result<Option<std::rc::Rc<Combined>>, String> {
        if let Some((_, c)) = self.combined.iter().find(|(r, _)| *r == roots) {
            return Ok(c.clone());
        }
        let (all, used) = match dict.combinations(&roots).map_err(pe)? {
            Some(all) => (all, roots.clone()),
            None => match dict.combinations(by_roots).map_err(pe)? {
                Some(all) => (all, by_roots.to_vec()),
                None => {
                    self.combined.push((roots, None));
                    return Ok(None);
                }
            },
        };
        let codes: Vec<&[IdxSize]> = used.iter().map(|r| dict.coded(r).map(|(_, c)| c)).collect::<Option<_>>().unwrap_or_default();
        let made = if codes.len() != used.len() || codes.iter().any(|c| c.len() != rows) {
            None
        } else {
            let mut combination = vec![0u32; rows];
            for (codes, (_, stride)) in codes.iter().zip(&all.roots) {
                for (o, &c) in combination.iter_mut().zip(codes.iter()) {
                    *o += c as u32 * *stride as u32;
                }
            }
            let per_combination = count_codes(&combination, all.frame.height());
            Some(std::rc::Rc::new(Combined { roots: used, all, combination, per_combination }))
        };
        self.combined.push((roots, made.clone()));
        Ok(made)
    }
}

/// A request's mask in `answer_coded`: judged once per combination of coded values, or
/// per row by polars.
enum Mask {
    PerCombination(Vec<bool>),
    PerRow(BooleanChunked),
}

/// `answer` for requests keyed by coded columns of the batch, with no group-by hashing.
/// Each row gets its combination of codes (the key columns', then those of the masks that
/// read only coded columns) and the rows per combination are counted once. A mask over
/// coded columns is judged once per combination, on the dictionary's frame of them (as
/// `Dictionary::rewrite` judges row rules): a count is then a sum over combinations, no
/// row visited; other masks and summed columns are evaluated by polars in one select, and
/// the rows they keep visited once per request. (10 M Parquet rows, activity's keyed
/// gathers: per-row masks on every request 0.62 s, this ~0.1 s.) "Every row" (`every_row`)
/// is no mask at all. `None` if the key columns' combinations are too many (the group-by
/// then answers).
fn answer_coded(
    df: &DataFrame,
    dict: &Dictionary,
    by: &[String],
    requests: &[&KeyedSum],
    shared: &mut Shared,
    kept: &mut Judged,
) -> Result<Option<Vec<State>>, String> {
    let masks: Vec<Expr> =
        requests.iter().map(|r| r.mask.clone().map_expr(|e| if e == crate::checks::every_row() { lit(true) } else { e })).collect();
    let by_roots: Vec<PlSmallStr> = by.iter().map(|c| c.as_str().into()).collect();
    // The key columns, and the coded columns the masks read, if their combinations are few.
    let coded_roots = |m: &Expr| elementwise_roots(m).filter(|r| r.iter().all(|c| dict.coded(c).is_some()));
    let mut roots = by_roots.clone();
    for m in &masks {
        roots.extend(coded_roots(m).into_iter().flatten().filter(|c| !by_roots.contains(c)));
    }
    roots[by.len()..].sort();
    roots.dedup();
    let rows = df.height();
    let Some(combined) = shared.combined(dict, roots, &by_roots, rows)? else { return Ok(None) };
    let Combined { roots, all, combination, per_combination } = &*combined;
    let combinations = all.frame.height();
    // The key columns vary slowest: a combination's key is its index divided by the last
    // key column's stride.
    let key_stride = all.roots[by.len() - 1].1;
    let keys = combinations / key_stride;
    // Masks judged per combination where they can be (all in one select: each select on
    // the small frame costs polars about half a millisecond whatever its size); the rest,
    // and the summed columns, by polars over the rows.
    let judgeable: Vec<usize> =
        (0..masks.len()).filter(|&i| matches!(coded_roots(&masks[i]), Some(r) if r.iter().all(|c| roots.contains(c)))).collect();
    let mut judged: Vec<Option<Vec<bool>>> = vec![None; masks.len()];
    let asked: Vec<&Expr> = judgeable.iter().map(|&i| &masks[i]).collect();
    let per_combination_judged = match kept_masks(dict, roots, all, &asked, kept).map_err(pe)? {
        Some(kept) => kept.into_iter().map(Some).collect(),
        None => per_combination_masks(&all.frame, asked.into_iter()),
    };
    for (i, m) in judgeable.iter().zip(per_combination_judged) {
        judged[*i] = m;
    }
    let mut sel = Vec::new();
    for (i, (r, m)) in requests.iter().zip(&masks).enumerate() {
        if judged[i].is_none() {
            sel.push(crate::checks::every_row().and(m.clone()).fill_null(lit(false)).alias(format!("__m{i}")));
        }
        if let (false, Some(e)) = (r.present, &r.sum) {
            if shared.sum(e).is_none() {
                sel.push(e.clone().cast(DataType::Float64).alias(format!("__v{i}")));
            }
        }
    }
    let evaluated = if sel.is_empty() { DataFrame::empty() } else { df.clone().lazy().select(sel).collect().map_err(pe)? };
    if evaluated.width() > 0 && evaluated.height() != rows {
        return Ok(None);
    }
    // Summed values, nulls as 0 (as the group-by's sum), each expression made once.
    for (i, r) in requests.iter().enumerate() {
        if let (false, Some(e)) = (r.present, &r.sum) {
            if shared.sum(e).is_none() {
                let v = frame::column(&evaluated, &format!("__v{i}")).and_then(|c| c.f64().cloned()).map_err(pe)?;
                // Chunk by chunk (a batch of two row groups is two chunks): a chunk without
                // nulls is copied whole.
                let mut values: Vec<f64> = Vec::with_capacity(v.len());
                for arr in v.downcast_iter() {
                    match polars_arrow::array::Array::null_count(arr) {
                        0 => values.extend_from_slice(arr.values()),
                        _ => values.extend(arr.iter().map(|x| x.copied().unwrap_or(0.0))),
                    }
                }
                shared.sums.push((e.clone(), std::rc::Rc::new(values)));
            }
        }
    }
    let parts: Vec<Vec<Option<String>>> = by
        .iter()
        .map(|c| dict.coded(c).map(|(values, _)| values))
        .map(|v| v.map(|v| v.cast(&DataType::String).map(|v| frame::strings(&v))))
        .collect::<Option<Result<_, _>>>()
        .unwrap_or_else(|| Ok(Vec::new()))
        .map_err(pe)?;
    let sizes: Vec<usize> = parts.iter().map(Vec::len).collect();
    // The key of a key index as `answer` writes it (sums: parts joined by a space; present
    // keys: by U+001F); none if a part is empty.
    let key = |mut j: usize, separator: &str| -> Option<String> {
        let mut digits = vec![0usize; sizes.len()];
        for (d, &n) in digits.iter_mut().zip(&sizes).rev() {
            *d = j % n.max(1);
            j /= n.max(1);
        }
        let texts: Option<Vec<&str>> = digits.iter().zip(&parts).map(|(&d, p)| p.get(d).and_then(|v| v.as_deref())).collect();
        Some(texts?.join(separator))
    };
    let key_of: Vec<u32> = (0..combinations).map(|c| (c / key_stride) as u32).collect();
    let mut states = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        let mask = match judged[i].take() {
            Some(m) => Mask::PerCombination(m),
            None => Mask::PerRow(frame::column(&evaluated, &format!("__m{i}")).and_then(|c| c.bool().cloned()).map_err(pe)?),
        };
        let summed: Option<std::rc::Rc<Vec<f64>>> = match (r.present, &r.sum) {
            (false, Some(e)) => shared.sum(e),
            _ => None,
        };
        let (mut n, mut v) = (vec![0u64; keys], vec![0f64; keys]);
        match (&mask, &summed) {
            (Mask::PerCombination(m), s) => {
                // Counts: added up per combination.
                for c in (0..combinations).filter(|&c| m[c]) {
                    n[c / key_stride] += per_combination[c];
                }
                // Sums row by row, in file order (the same additions as the group-by's
                // order). Each combination's key is looked up, not divided out per row, and
                // a row the mask leaves out is added to a slot past the keys, not branched
                // over (a mask true on half the rows mispredicts half the branches).
                if let Some(s) = s {
                    let slot: Vec<u32> = (0..combinations).map(|c| if m[c] { key_of[c] } else { keys as u32 }).collect();
                    let mut sums = vec![0f64; keys + 1];
                    for (&c, &x) in combination.iter().zip(s.iter()) {
                        sums[slot[c as usize] as usize] += x;
                    }
                    sums.truncate(keys);
                    v = sums;
                }
            }
            (Mask::PerRow(m), s) => frame::for_true_rows(m, |row| {
                let k = key_of[combination[row] as usize] as usize;
                n[k] += 1;
                if let Some(s) = s {
                    v[k] += s[row];
                }
            }),
        }
        // As `answer`: keys without a counted row, or with an empty value, are left out.
        let counted = (0..keys).filter(|&j| n[j] > 0);
        states.push(if r.present {
            State::Present(counted.filter_map(|j| key(j, "\u{1f}")).collect())
        } else {
            State::Sums(counted.filter_map(|j| Some((key(j, " ")?, if summed.is_some() { v[j] } else { n[j] as f64 }))).collect())
        });
    }
    Ok(Some(states))
}

/// `masks` judged per combination of `roots` (in the order of `all`), from the judgement of
/// an earlier batch holding the same values where there is one (`kept`): the masks are
/// judged on the values sorted, so batches that met them in another order share it (10 M
/// Parquet rows, on the thread the batches wait for: judging the masks 20–25 → 12–15 ms).
/// `None` if a mask fails on the combinations (each is then judged alone).
fn kept_masks(
    dict: &Dictionary,
    roots: &[PlSmallStr],
    all: &super::dictionary::Combinations,
    masks: &[&Expr],
    kept: &mut Judged,
) -> PolarsResult<Option<Vec<Vec<bool>>>> {
    if masks.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let Some(sorted) = dict.sorted_combinations(roots)? else { return Ok(None) };
    let exprs: Vec<(Expr, Expr)> = masks.iter().map(|m| (lit(true), (*m).clone())).collect();
    let Some(tables) = kept.tables(roots, &exprs, &sorted)? else { return Ok(None) };
    // A combination's place among the sorted ones: its codes' ranks in the sorted strides.
    let n = all.frame.height();
    let at: Vec<usize> = (0..n)
        .map(|c| {
            all.roots
                .iter()
                .zip(&sorted.ranks)
                .zip(&sorted.strides)
                .map(|(((_, stride), rank), sorted_stride)| rank[(c / stride) % rank.len()] as usize * sorted_stride)
                .sum()
        })
        .collect();
    Ok(Some(tables.iter().map(|(_, mask)| at.iter().map(|&s| mask[s]).collect()).collect()))
}

/// Masks judged once per combination of values (`frame`: a row per combination), nulls as
/// false, in one select; `None` for a mask polars cannot judge there (its rows are then
/// judged directly, and fail only if they must). A literal needs no polars.
fn per_combination_masks<'m>(frame: &DataFrame, masks: impl Iterator<Item = &'m Expr>) -> Vec<Option<Vec<bool>>> {
    let height = frame.height();
    let masks: Vec<&Expr> = masks.collect();
    let mut out: Vec<Option<Vec<bool>>> = masks
        .iter()
        .map(|m| match m {
            Expr::Literal(v) => v.bool().map(|b| vec![b; height]),
            _ => None,
        })
        .collect();
    let asked: Vec<usize> = (0..masks.len()).filter(|&i| out[i].is_none()).collect();
    if asked.is_empty() {
        return out;
    }
    let sel = asked.iter().map(|&i| masks[i].clone().fill_null(lit(false)).alias(format!("__m{i}")));
    let judged = match frame.clone().lazy().select(sel.collect::<Vec<_>>()).collect() {
        Ok(judged) => judged,
        // One mask polars cannot judge on the frame fails the select: each is tried alone.
        Err(_) if asked.len() > 1 => {
            for &i in &asked {
                out[i] = per_combination_masks(frame, std::iter::once(masks[i])).pop().flatten();
            }
            return out;
        }
        Err(_) => return out,
    };
    for &i in &asked {
        let Some(judged) = judged.column(&format!("__m{i}")).ok().and_then(|c| c.bool().ok()) else { continue };
        let value = |j: usize| judged.get(j).unwrap_or(false);
        out[i] = match judged.len() {
            // A mask reading no column is one value.
            1 => Some(vec![value(0); height]),
            n if n == height => Some((0..n).map(value).collect()),
            _ => None,
        };
    }
    out
}

/// A 128-bit hash (two 64-bit halves) of the key of every evaluated row, with its line: 20
/// bytes a row, whatever the key's length, and mergeable over batches.
fn hashes(df: &DataFrame, columns: &[String], evaluated: Expr) -> Result<State, String> {
    if let [one] = columns {
        if df.column(one).is_ok_and(|c| c.dtype() == &DataType::String) {
            return text_hashes(df, one, evaluated);
        }
    }
    let key = || match columns {
        [one] => col(one.as_str()),
        many => as_struct(many.iter().map(|c| col(c.as_str())).collect()),
    };
    let hashed = df
        .clone()
        .lazy()
        .filter(evaluated)
        .select([
            col(LINE).cast(DataType::UInt32).alias("__l"),
            key().hash(0x5EED, 0x50C1, 0xC4EC, 0x4B).alias("__h1"),
            key().hash(0x7A11, 0x0DD5, 0xB10C, 0x5C).alias("__h2"),
        ])
        .collect()
        .map_err(pe)?;
    let get = |c: &str| -> Result<Vec<u64>, String> {
        Ok(frame::column(&hashed, c).map_err(pe)?.u64().map_err(pe)?.into_no_null_iter().collect())
    };
    let lines = frame::column(&hashed, "__l").map_err(pe)?.u32().map_err(pe)?.into_no_null_iter().collect();
    Ok(State::Hashes(KeyHashes::new(get("__h1")?, get("__h2")?, lines)))
}

/// `hashes` of a one-column text key: one 128-bit xxh3 of each value's bytes, in one pass
/// over the key's arrays (two polars hashes of every value measured 0.29 s at 10 M rows;
/// this, with polars' per-value iterators, 0.16 s; over the arrays ~0.08 s).
fn text_hashes(df: &DataFrame, column: &str, evaluated: Expr) -> Result<State, String> {
    let sel = df
        .clone()
        .lazy()
        .select([col(LINE).cast(DataType::UInt32).alias("__l"), evaluated.alias("__e"), col(column).alias("__k")])
        .collect()
        .map_err(pe)?;
    let get = |c: &str| frame::column(&sel, c).map_err(pe);
    let (lines, mask, keys) = (get("__l")?, get("__e")?, get("__k")?);
    let (lines, mask, keys) = (lines.u32().map_err(pe)?.rechunk(), mask.bool().map_err(pe)?.rechunk(), keys.str().map_err(pe)?);
    // (Each array also as `dyn Array`, for its validity.)
    let (Some((lines, lines_dyn)), Some((mask, mask_dyn))) =
        (lines.downcast_iter().zip(lines.chunks()).next(), mask.downcast_iter().zip(mask.chunks()).next())
    else {
        return Ok(State::Hashes(KeyHashes::default()));
    };
    let n = mask.values().set_bits();
    let (mut h1, mut h2, mut kept) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mask_valid, lines_valid) = (mask_dyn.validity(), lines_dyn.validity());
    let kept_row = |row: usize| mask.value(row) && mask_valid.is_none_or(|v| v.get_bit(row)) && lines_valid.is_none_or(|v| v.get_bit(row));
    let mut row = 0;
    for (arr, chunk) in keys.downcast_iter().zip(keys.chunks()) {
        let keys_valid = chunk.validity();
        for (i, key) in arr.values_iter().enumerate() {
            if kept_row(row + i) && keys_valid.is_none_or(|v| v.get_bit(i)) {
                let h = xxhash_rust::xxh3::xxh3_128(key.as_bytes());
                h1.push(h as u64);
                h2.push((h >> 64) as u64);
                kept.push(lines.value(row + i));
            }
        }
        row += arr.len();
    }
    Ok(State::Hashes(KeyHashes::new(h1, h2, kept)))
}

/// The (group, month) pairs with rows, as `group\u{1f}YYYY-MM`.
fn months(
    df: &DataFrame,
    dict: Option<&Dictionary>,
    column: &str,
    by: Option<&str>,
    evaluated: Expr,
    plain: bool,
) -> Result<State, String> {
    // Without a group or a filter, over a batch whose dictionary coded the column: the
    // dates with a row are the codes used, no hashing.
    if let (true, Some((values, codes))) = (plain, dict.and_then(|d| d.coded(column))) {
        let mut used = vec![false; values.len()];
        for &c in codes {
            used[c as usize] = true;
        }
        let dates = frame::strings(values);
        return Ok(State::Present(
            dates
                .iter()
                .zip(used)
                .filter_map(|(d, used)| Some(format!("\u{1f}{}", d.as_deref().filter(|_| used)?.chars().take(7).collect::<String>())))
                .collect(),
        ));
    }
    // Distinct (group, date) pairs first: a year has at most 366 dates, so the month
    // arithmetic runs on a few hundred values instead of every row. Without a group, the
    // distinct dates alone (the group column is added after, on the few distinct rows).
    let mut sel = vec![col(column).alias("__d")];
    if let Some(b) = by {
        sel.push(col(b).cast(DataType::String).alias("__g"));
    }
    let mut distinct = df.clone().lazy().filter(evaluated).select(sel).unique(None, UniqueKeepStrategy::Any).collect().map_err(pe)?;
    if by.is_none() {
        distinct = distinct.lazy().with_column(lit("").alias("__g")).collect().map_err(pe)?;
    }
    let g = frame::strings(&frame::column(&distinct, "__g").map_err(pe)?);
    // Dates render as YYYY-MM-DD: the month is the first seven characters.
    let m = frame::strings(&frame::column(&distinct, "__d").map_err(pe)?);
    Ok(State::Present(
        g.into_iter()
            .zip(m)
            .map(|(g, m)| format!("{}\u{1f}{}", g.unwrap_or_default(), m.unwrap_or_default().chars().take(7).collect::<String>()))
            .collect(),
    ))
}

/// The distinct rows of `columns` (as text) among the rows `filter` keeps.
fn distinct(df: &DataFrame, columns: &[Expr], filter: Option<&Expr>) -> Result<State, String> {
    let mut lf = df.clone().lazy();
    if let Some(f) = filter {
        lf = lf.filter(f.clone());
    }
    let sel: Vec<Expr> = columns.iter().enumerate().map(|(i, c)| c.clone().cast(DataType::String).alias(format!("__c{i}"))).collect();
    let out = lf.select(sel).unique(None, UniqueKeepStrategy::Any).collect().map_err(pe)?;
    let cols: Vec<Vec<Option<String>>> = (0..columns.len())
        .map(|i| frame::column(&out, &format!("__c{i}")).map(|s| frame::strings(&s)).map_err(pe))
        .collect::<Result<_, _>>()?;
    Ok(State::Rows((0..out.height()).map(|r| cols.iter().map(|c| c[r].clone()).collect()).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::every_row;

    fn keyed(by: &[&str], mask: Expr, sum: Option<Expr>, present: bool) -> KeyedSum {
        KeyedSum { table: "t".into(), by: by.iter().map(|c| c.to_string()).collect(), mask, sum, present }
    }

    /// Masks judged on the combinations in one select: each as judged alone, a literal
    /// without polars, and a mask polars fails on leaves the others judged.
    #[test]
    fn masks_judged_together_equal_masks_judged_alone() {
        let frame = df!("service" => [Some("A"), Some("12"), None], "production" => ["own", "own", "purchased"]).unwrap();
        let own = col("production").eq(lit("own"));
        let listed = col("service").is_in(lit(Series::new("".into(), ["A"])).implode(false), false);
        // Fails: "A" is not a number.
        let failing = col("service").strict_cast(DataType::Int64).gt(lit(1));
        let masks = [own.clone(), lit(true), listed.clone(), failing.clone(), lit(false)];
        let together = per_combination_masks(&frame, masks.iter());
        assert_eq!(
            together,
            vec![Some(vec![true, true, false]), Some(vec![true; 3]), Some(vec![true, false, false]), None, Some(vec![false; 3])]
        );
        for (m, judged) in masks.iter().zip(&together) {
            assert_eq!(&per_combination_masks(&frame, std::iter::once(m)).pop().flatten(), judged, "{m:?}");
        }
    }

    /// Per-code counting (masks judged per combination or per row) gives what the group-by
    /// gives, nulls in keys, masks and sums included.
    #[test]
    fn coded_keyed_sums_equal_the_group_by() {
        let df = df!(
            LINE => (1u32..=8).collect::<Vec<_>>(),
            "service" => [Some("A"), Some("B"), None, Some("A"), Some("B"), Some("A"), Some("C"), Some("A")],
            "production" => [Some("own"), Some("own"), Some("own"), None, Some("purchased"), Some("purchased"), Some("own"), Some("own")],
            "volume" => [Some(1i64), None, Some(3), Some(4), Some(5), Some(2), Some(7), Some(1)],
        )
        .unwrap();
        let mut dict = Dictionary::new(df.height());
        dict.prepare(&df, [], &["service", "production", "volume"]).unwrap();
        let own = col("production").eq(lit("own")).fill_null(lit(false));
        let listed = col("service").cast(DataType::String).is_in(lit(Series::new("".into(), ["A", "C"])).implode(false), false);
        let requests = [
            keyed(&["service"], every_row(), None, true),
            keyed(&["service"], every_row().and(own.clone()), None, false),
            keyed(&["service"], listed.clone(), Some(col("volume").cast(DataType::Float64).fill_null(lit(1.0))), false),
            keyed(&["service"], col("volume").gt(lit(2)), None, false),
            keyed(&["service"], lit(false), None, false),
            keyed(&["service", "production"], every_row(), Some(col("volume")), false),
            keyed(&["service", "production"], own.and(listed), None, true),
            keyed(&["service", "production"], every_row(), Some(col("volume").cast(DataType::Float64).fill_null(lit(1.0))), false),
        ];
        // Alone, and one after another sharing combinations and sums (as a batch's groups do).
        let (mut shared, mut kept) = (Shared::default(), Judged::default());
        for r in &requests {
            let alone = answer(&df, Some(&dict), &r.by, &[r], &mut Shared::default(), &mut Judged::default()).unwrap();
            let after_others = answer(&df, Some(&dict), &r.by, &[r], &mut shared, &mut kept).unwrap();
            let grouped = answer(&df, None, &r.by, &[r], &mut Shared::default(), &mut Judged::default()).unwrap();
            assert_eq!(format!("{alone:?}"), format!("{grouped:?}"), "{:?}", r.mask);
            assert_eq!(format!("{after_others:?}"), format!("{grouped:?}"), "{:?}", r.mask);
        }
        assert_eq!(shared.sums.len(), 2, "the volume filled with 1 is summed once for both keys");
        // All of one key's requests at once, as the engine asks them.
        let together: Vec<&KeyedSum> = requests[..5].iter().collect();
        let coded = answer(&df, Some(&dict), &together[0].by, &together, &mut Shared::default(), &mut Judged::default()).unwrap();
        let grouped = answer(&df, None, &together[0].by, &together, &mut Shared::default(), &mut Judged::default()).unwrap();
        assert_eq!(format!("{coded:?}"), format!("{grouped:?}"));
        assert!(format!("{coded:?}").contains("\"A\": 2.0"), "{coded:?}");
        // A next batch meeting the same values in another order (other codes) judged from
        // the masks kept from the first: what its own group-by gives.
        let next = df.reverse();
        let mut next_dict = Dictionary::new(next.height());
        next_dict.prepare(&next, [], &["service", "production", "volume"]).unwrap();
        assert_ne!(next_dict.coded("service").unwrap().1, dict.coded("service").unwrap().1, "other codes");
        for r in &requests {
            let from_kept = answer(&next, Some(&next_dict), &r.by, &[r], &mut Shared::default(), &mut kept).unwrap();
            let grouped = answer(&next, None, &r.by, &[r], &mut Shared::default(), &mut Judged::default()).unwrap();
            assert_eq!(format!("{from_kept:?}"), format!("{grouped:?}"), "{:?}", r.mask);
        }
    }

    /// Gathers taken by two threads, each the next not yet begun, give what one thread
    /// gives doing them in order: every kind of gather, each state in its own place.
    #[test]
    fn gathers_taken_by_two_threads_equal_them_done_in_order() {
        let df = df!(
            LINE => (1u32..=6).collect::<Vec<_>>(),
            "id" => ["a", "b", "a", "c", "d", "c"],
            "service" => [Some("A"), Some("B"), None, Some("A"), Some("B"), Some("A")],
            "production" => ["own", "own", "purchased", "own", "purchased", "own"],
            "volume" => [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "note" => ["", "131052-308T", "", "", "", ""],
        )
        .unwrap();
        let t = || "t".to_string();
        let gathers = [
            Gather::IdentityCodes { table: t() },
            Gather::Keyed(keyed(&["service"], every_row(), Some(col("volume")), false)),
            Gather::Hashes { table: t(), columns: vec!["id".into()], evaluated: every_row() },
            Gather::Distinct { table: t(), columns: vec![col("production")], filter: None },
            Gather::Keyed(keyed(&["service", "production"], every_row(), None, true)),
            Gather::Hashes { table: t(), columns: vec!["service".into(), "production".into()], evaluated: every_row() },
        ];
        let asked: Vec<&Gather> = gathers.iter().collect();
        let mut dict = Dictionary::new(df.height());
        dict.prepare(&df, [], &["service", "production"]).unwrap();
        let show = |states: &[Result<State, String>]| format!("{states:?}");
        let mut in_order = Judged::default();
        let expected = show(&gather("t", &df, Some(&dict), &asked, 10, &mut in_order));
        assert!(expected.starts_with("[Ok(Measure(Measure { evaluated: 6, failing: 1"), "the identity code is found: {expected}");
        // Taken in turns by this thread and another, first one, then the other first.
        for other_first in [false, true] {
            let mut judged = Judged::default();
            let tasks = Tasks::new("t", &df, Some(&dict), &asked, 10, &mut judged);
            for turn in 0.. {
                let took = if turn % 2 == usize::from(other_first) {
                    tasks.work_one()
                } else {
                    std::thread::scope(|s| s.spawn(|| tasks.work_one()).join().unwrap())
                };
                if !took {
                    break;
                }
            }
            assert_eq!(show(&tasks.finish()), expected);
        }
        // And racing.
        for _ in 0..20 {
            let mut judged = Judged::default();
            let tasks = Tasks::new("t", &df, Some(&dict), &asked, 10, &mut judged);
            std::thread::scope(|s| {
                s.spawn(|| tasks.work());
                tasks.work();
            });
            assert_eq!(show(&tasks.finish()), expected);
        }
    }
}
