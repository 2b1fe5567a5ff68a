//! `unique`: the (compound) key identifies one row. Every row of a duplicated key fails;
//! rows with an empty key part are not evaluated (not-null reports those).
//!
//! Keys are compared by a 128-bit hash held as two 64-bit halves (xxh3-128 of a one-column
//! text key; two differently seeded polars hashes otherwise), kept with each row's line:
//! 20 bytes a row whatever the key, and mergeable over the batches of a streamed table.
//! Two different keys are taken for a duplicate only if all 128 bits collide, with a
//! probability of about n² / 2¹²⁹ (10⁻²³ at 100 M rows). The shown values are read back
//! by line.
//!
//! ```toml
//! [check]
//! kind = "unique"
//! table = "activity"
//! columns = ["event_id"]
//! ```
//!
//! Compared with Great Expectations' `expect_column_values_to_be_unique` and
//! `expect_compound_columns_to_be_unique`, deliberately different
//! (tests/data/great-expectations/known-differences.toml):
//! - a key with any empty part is not evaluated, as GX does with
//!   `ignore_row_if = "any_value_is_missing"`; GX's default compares partly empty keys and
//!   counts `(1, empty)` twice as a duplicate.
//! - a column has one type, the contract's: in a text column `1` and `"1"` are the same
//!   value; GX keeps Python's mixed types apart.

use super::api::{AggregateCheck, Check, EvalCx, Gather, Kind, ParseCx, State};
use super::expr::pe;
use super::predicate::{parse_where, with_filter, Predicate};
use crate::model::{Measure, Sample};
use crate::package::LINE;
use crate::spanned::{Errors, Table};
use polars::prelude::*;

#[derive(Debug, Clone)]
pub struct Unique {
    pub table: String,
    pub columns: Vec<String>,
    pub filter: Option<Predicate>,
}

impl Unique {
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Self> {
        let spec = cx.table(t, "table", errs)?;
        let columns = cx.columns(t, "columns", spec, errs);
        let filter = parse_where(t, spec, cx, errs);
        t.finish(&["kind", "table", "columns", "where"], errs);
        Some(Unique { table: spec.name.into(), columns: columns?, filter })
    }
}

impl Kind for Unique {
    fn kind(&self) -> &'static str {
        "unique"
    }

    fn reads(&self) -> Vec<(String, Vec<String>)> {
        let mut cols = self.columns.clone();
        cols.extend(self.filter.iter().flat_map(|f| f.columns()));
        vec![(self.table.clone(), cols)]
    }
}

impl AggregateCheck for Unique {
    /// A 128-bit hash of the key of every evaluated row (every key part filled), with its
    /// line: 20 bytes a row whatever the key's length, and mergeable over batches.
    fn gathers(&self, cx: &EvalCx) -> Result<Vec<Gather>, String> {
        let filled = self.columns.iter().fold(col(LINE).gt(lit(0u32)), |acc, c| acc.and(col(c.as_str()).is_not_null()));
        let evaluated = with_filter(filled, &self.filter, cx)?.fill_null(lit(false));
        Ok(vec![Gather::Hashes { table: self.table.clone(), columns: self.columns.clone(), evaluated }])
    }

    fn judge(&self, cx: &EvalCx, states: &[&State]) -> Result<Measure, String> {
        let [State::Hashes { h1, h2, lines }] = states else { return Err("internal: unique gathers hashes".into()) };
        // Repeated first hashes by sorting a copy (bucket by bucket): on 10 M rows about five
        // times faster than a hash table of the keys. Rows whose first hash repeats are the candidates; rows
        // that share both hashes (128 bits) are the duplicates. Two distinct keys collide
        // with a probability of about n² / 2¹²⁹ (10⁻²³ at 100 M rows), so the count is exact
        // in practice, and no key text needs to be held.
        let repeated = repeated_values(h1);
        let mut candidates: Vec<(u64, u64, u64)> = if repeated.is_empty() {
            Vec::new()
        } else {
            (0..h1.len()).filter(|&i| repeated.contains(&h1[i])).map(|i| (h1[i], h2[i], lines[i] as u64)).collect()
        };
        {
            use rayon::slice::ParallelSliceMut;
            candidates.par_sort_unstable();
        }
        let mut failing_lines: Vec<u64> = candidates
            .chunk_by(|a, b| (a.0, a.1) == (b.0, b.1))
            .filter(|run| run.len() > 1)
            .flat_map(|run| run.iter().map(|r| r.2))
            .collect();
        failing_lines.sort_unstable();
        let failing = failing_lines.len() as u64;
        failing_lines.truncate(cx.sample_limit);
        if failing_lines.is_empty() {
            return Ok(Measure::items(h1.len() as u64, Vec::new(), 0));
        }
        let shown = cx.rows_at(&self.table, &failing_lines, &self.columns)?;
        let values: Vec<Vec<Option<String>>> = self
            .columns
            .iter()
            .map(|c| crate::frame::column(&shown, c).map(|s| crate::frame::strings(&s)))
            .collect::<Result<_, _>>()
            .map_err(pe)?;
        let shown_lines = crate::frame::u64s(&crate::frame::column(&shown, LINE).map_err(pe)?).map_err(pe)?;
        let samples = Sample::at_lines(&shown_lines, &self.columns, &values);
        let evaluated = h1.len() as u64;
        Ok(Measure { evaluated, failing, total_weight: evaluated as f64, failing_weight: failing as f64, samples, ..Default::default() })
    }
}

pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
    Unique::parse(t, cx, errs).map(Check::aggregate)
}

/// The values occurring more than once in `h` (uniformly distributed hashes). They are
/// scattered into buckets by their top bits (about 64 values a bucket), and each bucket is
/// sorted on its own, in parallel: on 10 M hashes faster than sorting them all. The
/// scatter is parallel too: each thread counts, then places, the values of its own part
/// into its own slots of every bucket.
fn repeated_values(h: &[u64]) -> PlHashSet<u64> {
    use rayon::prelude::*;
    let bits = (h.len() / 64).max(1).ilog2().clamp(1, 20);
    let buckets = 1usize << bits;
    let bucket = |v: u64| (v >> (64 - bits)) as usize;
    let parts: Vec<&[u64]> = h.chunks(h.len().div_ceil(rayon::current_num_threads()).max(1 << 16)).collect();
    let counts: Vec<Vec<usize>> = parts
        .par_iter()
        .map(|part| {
            let mut c = vec![0usize; buckets];
            for &v in *part {
                c[bucket(v)] += 1;
            }
            c
        })
        .collect();
    // Where each part's values of each bucket go: buckets in order, parts in order within.
    let mut starts = vec![0usize; buckets + 1];
    let mut next: Vec<Vec<usize>> = vec![vec![0; buckets]; parts.len()];
    let mut at = 0;
    for b in 0..buckets {
        starts[b] = at;
        for (p, c) in counts.iter().enumerate() {
            next[p][b] = at;
            at += c[b];
        }
    }
    starts[buckets] = at;
    let mut scattered = vec![0u64; h.len()];
    let out = SharedSlots(scattered.as_mut_ptr());
    parts.par_iter().zip(next.into_par_iter()).for_each(|(part, mut next)| {
        let out = &out;
        for &v in *part {
            let b = bucket(v);
            // SAFETY: the slots of (part, bucket) are disjoint from every other part's and
            // bucket's (laid out above from the counts), and within `scattered`.
            unsafe { out.0.add(next[b]).write(v) };
            next[b] += 1;
        }
    });
    // Buckets as disjoint slices, to sort in parallel.
    let mut slices: Vec<&mut [u64]> = Vec::with_capacity(buckets);
    let mut rest = scattered.as_mut_slice();
    for w in starts.windows(2) {
        let (b, r) = rest.split_at_mut(w[1] - w[0]);
        slices.push(b);
        rest = r;
    }
    slices
        .into_par_iter()
        .flat_map_iter(|b| {
            b.sort_unstable();
            let repeated: Vec<u64> = b.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
            repeated
        })
        .collect::<Vec<u64>>()
        .into_iter()
        .collect()
}

/// The scatter's output, written by several threads at disjoint places.
struct SharedSlots(*mut u64);
// SAFETY: each thread writes its own slots only (see `repeated_values`).
unsafe impl Sync for SharedSlots {}

#[cfg(test)]
mod tests {
    use super::repeated_values;

    #[test]
    fn repeated_values_are_found_in_every_bucket() {
        let mut h: Vec<u64> = (0..100_000u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
        h.extend([h[5], h[99_999], h[5], u64::MAX, u64::MAX, 0, 0]);
        let mut found: Vec<u64> = repeated_values(&h).into_iter().collect();
        found.sort_unstable();
        let mut expected = vec![h[5], h[99_999], u64::MAX, 0];
        expected.sort_unstable();
        assert_eq!(found, expected);
        assert!(repeated_values(&[]).is_empty());
        assert!(repeated_values(&[7]).is_empty());
    }
}
