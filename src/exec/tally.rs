//! Measuring row rules by counting rows per value combination instead of judging each row.
//!
//! When everything a row plan reads (its `evaluated` and `failing` expressions and the
//! column it breaks down by) is coded in the batch's `Dictionary`, and the combinations of
//! those columns' values are few, a row's verdict depends only on its combination. The
//! rows are then counted once per combination (a pass over the codes, shared by every plan
//! on the same columns; for one column, while it is coded), each plan's expressions are
//! judged once per combination by polars (and the judgement kept for the next batch with
//! the same values, `Judged`), and its counts and breakdown are sums over the
//! combinations. Only a plan with
//! failing rows goes back to the rows, to find its first samples. The measures are those
//! the per-row scan (`rows::fused`) gives; the tests compare the two on every rule.

use super::dictionary::{count_codes, elementwise_roots, Dictionary, SortedCombinations};
use crate::checks::RowPlan;
use crate::frame;
use crate::model::{BreakdownRow, Measure, Sample};
use crate::package::load::LINE;
use polars::prelude::*;
use std::collections::BTreeMap;

/// The measures of the plans that can be counted per combination (`None` for the others,
/// which the caller judges row by row). `batch`: as in `rows::fused` (breakdowns hold
/// every group, and are not trimmed).
pub fn counted(
    df: &DataFrame,
    plans: &[(usize, RowPlan)],
    dict: &Dictionary,
    limit: usize,
    batch: bool,
    judged: &mut Judged,
) -> PolarsResult<Vec<Option<Measure>>> {
    // Plans by the columns they read: each set's rows are counted once.
    let mut by_roots: BTreeMap<Vec<PlSmallStr>, Vec<usize>> = BTreeMap::new();
    for (k, (_, p)) in plans.iter().enumerate() {
        if let Some(roots) = roots(p) {
            by_roots.entry(roots).or_default().push(k);
        }
    }
    let mut out: Vec<Option<Measure>> = vec![None; plans.len()];
    for (roots, ks) in by_roots {
        let Some(all) = dict.sorted_combinations(&roots)? else { continue };
        let n: usize = all.sorted.iter().map(|s| s.len()).product();
        let (strides, ranks) = (&all.strides, &all.ranks);
        // Each plan's (evaluated, failing), then (evaluated, part) for each of its parts.
        let exprs: Vec<(Expr, Expr)> = ks
            .iter()
            .flat_map(|&k| {
                let p = &plans[k].1;
                std::iter::once((p.evaluated.clone(), p.failing.clone()))
                    .chain(p.parts.iter().map(|(_, part)| (p.evaluated.clone(), part.clone())))
            })
            .collect();
        let Some(tables) = judged.tables(&roots, &exprs, &all)? else { continue };
        // The tables follow the sorted values; the rows are counted by their codes.
        let sorted_at: Vec<usize> = (0..n)
            .map(|at| strides.iter().zip(ranks).map(|(&stride, rank)| rank[(at / stride) % rank.len()] as usize * stride).sum())
            .collect();
        let by_code = |t: &[bool]| -> Vec<bool> { sorted_at.iter().map(|&at| t[at]).collect() };
        let tables: Tables = tables.iter().map(|(ev, fail)| (by_code(ev), by_code(fail))).collect();
        let codes: Vec<(&[IdxSize], usize)> =
            roots.iter().zip(strides).map(|(r, stride)| (dict.coded(r).expect("coded").1, *stride)).collect();
        let index = Index { codes: &codes };
        // Rows per value of one column were counted as it was coded.
        let rows = match roots.as_slice() {
            [one] => dict.counts(one).map(<[u64]>::to_vec),
            _ => None,
        }
        .unwrap_or_else(|| index.count(n, df.height()));
        let sum = |mask: &[bool]| -> u64 { rows.iter().zip(mask).filter(|(_, m)| **m).map(|(r, _)| *r).sum() };
        let mut tables = tables.into_iter();
        for &k in &ks {
            let p = &plans[k].1;
            let (ev, fail) = tables.next().expect("one table per plan");
            let by_column = p.parts.iter().map(|(place, _)| (place.clone(), sum(&tables.next().expect("one table per part").1))).collect();
            let (evaluated, failing) = (sum(&ev), sum(&fail));
            let samples = if failing > 0 { samples(df, p, &index.first(&fail, limit))? } else { Vec::new() };
            let breakdown = match &p.breakdown {
                Some(by) if batch || failing > 0 => {
                    let at = roots.iter().position(|r| r == by.as_str()).expect("breakdown column among the roots");
                    breakdown(dict.coded(by).expect("coded").0, strides[at], &rows, &ev, &fail)?
                }
                _ => Vec::new(),
            };
            let m = Measure {
                evaluated,
                failing,
                total_weight: evaluated as f64,
                failing_weight: failing as f64,
                samples,
                breakdown,
                notes: Vec::new(),
                by_column,
            };
            out[k] = Some(if batch { m } else { m.keep_top_groups() });
        }
    }
    Ok(out)
}

/// Each plan's `(evaluated, failing)` on every combination, as the per-row scan judges a
/// row: nulls count as false, and `failing` only where `evaluated`. `None` if an
/// expression fails on the combinations (which pair values that may never meet in a
/// row): the plans are then judged row by row instead.
fn judge(frame: DataFrame, exprs: &[(Expr, Expr)]) -> Option<Tables> {
    let n = frame.height();
    let mut judged = Vec::with_capacity(exprs.len() * 2);
    for (k, (evaluated, failing)) in exprs.iter().enumerate() {
        let ev = evaluated.clone().fill_null(lit(false));
        judged.push(ev.clone().alias(format!("__e{k}")));
        judged.push(ev.and(failing.clone()).fill_null(lit(false)).alias(format!("__f{k}")));
    }
    let tables = frame.lazy().with_columns(judged).collect().ok()?;
    let mask = |name: String| -> Option<Vec<bool>> {
        let c = tables.column(&name).ok()?.bool().ok()?.clone();
        (c.len() == n).then(|| c.iter().map(|v| v == Some(true)).collect())
    };
    (0..exprs.len()).map(|k| Some((mask(format!("__e{k}"))?, mask(format!("__f{k}"))?))).collect()
}

/// Judgements kept from batch to batch: a batch holding the same values of the same
/// columns, judged by the same expressions, is judged from the last one's tables instead
/// of asking polars again (most batches of a large table hold every value of its coded
/// columns).
#[derive(Default)]
pub struct Judged {
    kept: Vec<Judgement>,
}

/// Per expression pair, its `(evaluated, failing)` on every combination (`judge`).
type Tables = Vec<(Vec<bool>, Vec<bool>)>;

struct Judgement {
    roots: Vec<PlSmallStr>,
    /// Kept whole (not a hash): an expression holding a function is equal only to itself.
    exprs: Vec<(Expr, Expr)>,
    sorted: Vec<Series>,
    tables: Tables,
}

impl Judged {
    /// The tables of `exprs` on the sorted combinations `all` of `roots` (as `judge`
    /// gives): kept from an earlier batch holding the same values, or judged now and kept.
    /// `None` if an expression fails on the combinations.
    pub(crate) fn tables(
        &mut self,
        roots: &[PlSmallStr],
        exprs: &[(Expr, Expr)],
        all: &SortedCombinations,
    ) -> PolarsResult<Option<&Tables>> {
        if self.find(roots, exprs, &all.sorted).is_none() {
            let Some(tables) = judge(all.frame(roots)?, exprs) else { return Ok(None) };
            self.keep(Judgement { roots: roots.to_vec(), exprs: exprs.to_vec(), sorted: all.sorted.clone(), tables });
        }
        Ok(self.find(roots, exprs, &all.sorted))
    }

    fn find(&self, roots: &[PlSmallStr], exprs: &[(Expr, Expr)], sorted: &[Series]) -> Option<&Tables> {
        let same = |a: &Series, b: &Series| a.dtype() == b.dtype() && a.equals_missing(b);
        self.kept
            .iter()
            .find(|j| {
                j.roots == roots
                    && j.exprs == exprs
                    && j.sorted.len() == sorted.len()
                    && j.sorted.iter().zip(sorted).all(|(a, b)| same(a, b))
            })
            .map(|j| &j.tables)
    }

    /// Keeps `j`, in place of an earlier judgement of the same columns by the same rules.
    fn keep(&mut self, j: Judgement) {
        self.kept.retain(|k| !(k.roots == j.roots && k.exprs.len() == j.exprs.len()));
        self.kept.push(j);
    }
}

/// The columns a plan reads, if it can be counted: unweighted (a weight is a row's own
/// number), elementwise, on data columns (not the line number), at least one.
fn roots(p: &RowPlan) -> Option<Vec<PlSmallStr>> {
    if p.weight.is_some() {
        return None;
    }
    let mut roots = elementwise_roots(&p.evaluated)?;
    roots.extend(elementwise_roots(&p.failing)?);
    for (_, part) in &p.parts {
        roots.extend(elementwise_roots(part)?);
    }
    roots.extend(p.breakdown.iter().map(|b| PlSmallStr::from(b.as_str())));
    roots.sort();
    roots.dedup();
    (!roots.is_empty() && roots.iter().all(|r| !r.starts_with("__") && r != LINE)).then_some(roots)
}

/// Each row's combination: the sum of its codes times their strides.
struct Index<'a> {
    codes: &'a [(&'a [IdxSize], usize)],
}

impl Index<'_> {
    /// Rows per combination: a column of combinations, built one root at a time (each loop
    /// vectorises), then tallied (`count_codes`).
    fn count(&self, combinations: usize, rows: usize) -> Vec<u64> {
        match self.codes {
            [(a, _)] => count_codes(a, combinations),
            // Two columns (most plans that are not on one): each row's combination counted
            // as it is computed, not written out first (tallies of `u32`, as `count_codes`).
            [(a, sa), (b, sb)] => {
                let mut tally = vec![0u32; combinations];
                for (&x, &y) in a.iter().zip(*b) {
                    tally[x as usize * sa + y as usize * sb] += 1;
                }
                tally.into_iter().map(u64::from).collect()
            }
            _ => {
                let mut at = vec![0 as IdxSize; rows];
                for (c, stride) in self.codes {
                    at.iter_mut().zip(*c).for_each(|(i, &x)| *i += x * *stride as IdxSize);
                }
                count_codes(&at, combinations)
            }
        }
    }

    /// The first `limit` rows (in order) whose combination is marked.
    fn first(&self, marked: &[bool], limit: usize) -> Vec<IdxSize> {
        let rows = self.codes.first().map_or(0, |(c, _)| c.len());
        let mut found = Vec::new();
        for i in 0..rows {
            let at: usize = self.codes.iter().map(|(c, stride)| c[i] as usize * stride).sum();
            if marked[at] {
                found.push(i as IdxSize);
                if found.len() >= limit {
                    break;
                }
            }
        }
        found
    }
}

/// The samples at `rows`: their line numbers and shown values, as the per-row scan gives them.
fn samples(df: &DataFrame, p: &RowPlan, rows: &[IdxSize]) -> PolarsResult<Vec<Sample>> {
    let at = IdxCa::from_vec("".into(), rows.to_vec());
    let lines = frame::u64s(&frame::column(df, LINE)?.take(&at)?)?;
    let shown: Vec<Vec<Option<String>>> =
        p.show.iter().map(|c| Ok(frame::strings(&frame::column(df, c)?.take(&at)?))).collect::<PolarsResult<_>>()?;
    Ok(Sample::at_lines(&lines, &p.show, &shown))
}

/// Rows (evaluated and failing) per value of the breakdown column, from the rows per
/// combination: `stride` is the column's place in the combinations.
fn breakdown(values: &Series, stride: usize, rows: &[u64], ev: &[bool], fail: &[bool]) -> PolarsResult<Vec<BreakdownRow>> {
    let groups = frame::strings(&values.cast(&DataType::String)?);
    let n = groups.len();
    let (mut evaluated, mut failing) = (vec![0u64; n], vec![0u64; n]);
    for (at, &r) in rows.iter().enumerate() {
        let g = (at / stride) % n;
        if ev[at] {
            evaluated[g] += r;
        }
        if fail[at] {
            failing[g] += r;
        }
    }
    Ok((0..n)
        .filter(|&g| evaluated[g] > 0)
        .map(|g| BreakdownRow {
            group: groups[g].clone(),
            rows: evaluated[g],
            failing_rows: failing[g],
            total: evaluated[g] as f64,
            failing: failing[g] as f64,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows per combination of two columns (counted as combined) and of three (combined
    /// first), as counted one row at a time.
    #[test]
    fn rows_per_combination_are_counted_exactly() {
        let a: Vec<IdxSize> = (0..1000u32).map(|i| i % 3).collect();
        let b: Vec<IdxSize> = (0..1000u32).map(|i| (i * 7) % 5).collect();
        let c: Vec<IdxSize> = (0..1000u32).map(|i| (i / 10) % 2).collect();
        let naive = |cols: &[(&[IdxSize], usize)], n: usize| {
            let mut t = vec![0u64; n];
            for row in 0..1000 {
                t[cols.iter().map(|(c, s)| c[row] as usize * s).sum::<usize>()] += 1;
            }
            t
        };
        let two: [(&[IdxSize], usize); 2] = [(&a, 5), (&b, 1)];
        assert_eq!(Index { codes: &two }.count(15, 1000), naive(&two, 15));
        let three: [(&[IdxSize], usize); 3] = [(&a, 10), (&b, 2), (&c, 1)];
        assert_eq!(Index { codes: &three }.count(30, 1000), naive(&three, 30));
    }
}
