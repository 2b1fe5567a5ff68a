//! The row executor: every row plan of a table (or batch) evaluated in one pass. Plans
//! whose columns the dictionary coded are counted per value combination (`tally`); the
//! others are judged row by row from masks computed in one polars select, from which the
//! counts, samples, per-column counts and breakdowns are read.

use super::dictionary::Dictionary;
use super::tally::{self, Judged};
use crate::checks::RowPlan;
use crate::frame;
use crate::model::{BreakdownRow, Measure, Sample};
use crate::options::EngineOptions;
use crate::package::LINE;
use polars::prelude::*;
use std::collections::BTreeMap;

/// Evaluates every row-level plan of one table (or batch) in one pass (the `usize` is the
/// caller's index, passed through). Breakdowns hold every group: with `batch`, even groups
/// without failing rows (a later batch may fail there), so that merged batches add up to
/// the whole table; `Measure::keep_top_groups` then keeps the top groups.
/// `dict`: the table's (batch's) coded columns, if the caller made them to share;
/// otherwise they are made here.
pub fn fused(
    df: &DataFrame,
    plans: &[(usize, RowPlan)],
    limit: usize,
    batch: bool,
    dict: Option<&Dictionary>,
    options: &EngineOptions,
) -> PolarsResult<Vec<Measure>> {
    fused_with(df, plans, limit, batch, dict, &mut Judged::default(), options)
}

/// `fused`, reusing (and keeping) judgements of earlier batches of the same table.
pub fn fused_with(
    df: &DataFrame,
    plans: &[(usize, RowPlan)],
    limit: usize,
    batch: bool,
    dict: Option<&Dictionary>,
    judged: &mut Judged,
    options: &EngineOptions,
) -> PolarsResult<Vec<Measure>> {
    let own;
    let dict = match dict {
        Some(d) => d,
        None => {
            own = Dictionary::for_plans(df, plans, &[], options.per_value, &Default::default())?;
            &own
        }
    };
    // Plans on coded columns are counted per value combination; the others judged per row.
    let counted = tally::counted(df, plans, dict, limit, batch, judged)?;
    let rest: Vec<(usize, RowPlan)> = plans.iter().zip(&counted).filter(|(_, c)| c.is_none()).map(|(p, _)| p.clone()).collect();
    let mut by_row = if rest.is_empty() { Vec::new() } else { per_row(df, &rest, limit, batch, dict, options)? }.into_iter();
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
fn per_row(
    df: &DataFrame,
    plans: &[(usize, RowPlan)],
    limit: usize,
    batch: bool,
    dict: &Dictionary,
    options: &EngineOptions,
) -> PolarsResult<Vec<Measure>> {
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
        let ev = crate::checks::every_row().and(per_value(&p.evaluated)?).fill_null(lit(false));
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
    if options.debug_plan {
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
        measures.push(if batch { m } else { m.keep_top_groups() });
    }
    Ok(measures)
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
