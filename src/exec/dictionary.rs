//! Evaluating row-rule expressions once per distinct value instead of once per row.
//!
//! Most columns the rules read hold few distinct values (service classes, municipalities,
//! units, dates, ages), and most rules ask the same few questions of them (is the code in
//! the list, a leaf, valid on the date, well-formed). A batch's column is coded once (a
//! `u32` per row: strings by their Parquet dictionary key where the batch was read with
//! keys, else by their view; integers and dates by offset); a costly
//! expression whose columns are all coded, and whose value combinations are few, is
//! evaluated by polars on the combinations (a small frame holding every one of them) and
//! looked up per row by code. The rule's meaning is untouched: the same expression judges
//! the same values. It relies on row expressions being elementwise (a row's result depends
//! on that row alone), which `RowPlan` promises. The engine also counts breakdowns per code.

use crate::package::parquet_keys::{KeyChunk, Keys};
use polars::prelude::*;
use polars_arrow::array::View;
use std::collections::BTreeMap;

/// A text chunk's dictionary keys, found by its views (`Keys::chunk`), if it has them.
type KeyedChunk<'k> = dyn Fn(&[View]) -> Option<&'k KeyChunk> + 'k;
use std::sync::Arc;

/// Most value combinations an expression is evaluated on.
const MAX_COMBINATIONS: usize = 1 << 16;
/// A column is coded only if it holds at most this many distinct values or a quarter of
/// its rows, whichever is more: small tables always, identifiers never.
const MIN_DISTINCT_LIMIT: usize = 64;

/// One batch's coded columns.
pub struct Dictionary {
    rows: usize,
    /// `None`: tried, too many distinct values (or a type not coded).
    coded: BTreeMap<String, Option<Coded>>,
}

struct Coded {
    /// The distinct values, in order of first appearance, null (if any) among them.
    values: Series,
    /// Name of the code column added to the frame.
    code_column: String,
    codes: IdxCa,
    /// Rows per code, counted while coding (`tally` counts a plan on one column from it).
    counts: Vec<u64>,
}

/// A column's distinct values, each row's code and the rows per code.
type Encoded = (Series, IdxCa, Vec<u64>);

/// Every combination of some coded columns' values (`Dictionary::combinations`).
pub(crate) struct Combinations {
    /// A column per root, a row per combination.
    pub frame: DataFrame,
    /// Per root: its code column and stride. A row's combination is the sum of its codes
    /// times their strides.
    pub roots: Vec<(String, usize)>,
}

/// `Dictionary::sorted_combinations`.
pub(crate) struct SortedCombinations {
    pub strides: Vec<usize>,
    pub ranks: Vec<Vec<IdxSize>>,
    /// Each root's values, sorted.
    pub sorted: Vec<Series>,
}

impl SortedCombinations {
    /// The frame of every combination (made only when it is to be judged: a judgement kept
    /// from an earlier batch needs none).
    pub fn frame(&self, roots: &[PlSmallStr]) -> PolarsResult<DataFrame> {
        let named: Vec<(PlSmallStr, Series)> = roots.iter().cloned().zip(self.sorted.iter().cloned()).collect();
        Ok(combination_frame(&named)?.0)
    }
}

/// A frame of every combination of the named values, the first varying slowest, and each
/// one's stride (a combination's row is the sum of its values' positions times strides).
fn combination_frame(named: &[(PlSmallStr, Series)]) -> PolarsResult<(DataFrame, Vec<usize>)> {
    let combinations: usize = named.iter().map(|(_, v)| v.len()).product();
    let mut columns = Vec::with_capacity(named.len());
    let mut strides = Vec::with_capacity(named.len());
    let mut stride = combinations;
    for (name, values) in named {
        let n = values.len();
        stride /= n;
        let at = IdxCa::from_vec("".into(), (0..combinations).map(|i| ((i / stride) % n) as IdxSize).collect());
        columns.push(values.take(&at)?.with_name(name.clone()).into_column());
        strides.push(stride);
    }
    Ok((DataFrame::new(combinations, columns)?, strides))
}

impl Dictionary {
    pub fn new(rows: usize) -> Self {
        Dictionary { rows, coded: BTreeMap::new() }
    }

    /// Codes, in parallel, every column that the expressions read (and that a rewrite may
    /// use); `rewrite` then finds them ready.
    /// `also`: columns wanted coded for another use (breakdowns).
    pub fn prepare<'a>(&mut self, df: &DataFrame, exprs: impl IntoIterator<Item = &'a Expr>, also: &[&str]) -> PolarsResult<()> {
        self.prepare_keyed(df, exprs, also, &Keys::default())
    }

    /// `prepare`, coding a text column by its Parquet dictionary keys where the batch was
    /// read with them.
    pub fn prepare_keyed<'a>(
        &mut self,
        df: &DataFrame,
        exprs: impl IntoIterator<Item = &'a Expr>,
        also: &[&str],
        keys: &Keys,
    ) -> PolarsResult<()> {
        let mut wanted: Vec<PlSmallStr> = exprs.into_iter().filter(|e| costly(e)).filter_map(elementwise_roots).flatten().collect();
        wanted.extend(also.iter().map(|&c| PlSmallStr::from(c)));
        wanted.sort();
        wanted.dedup();
        wanted.retain(|r| !r.starts_with("__") && !self.coded.contains_key(r.as_str()));
        let limit = self.rows.div_ceil(4).max(MIN_DISTINCT_LIMIT);
        use rayon::prelude::*;
        let coded: Vec<(PlSmallStr, Option<Encoded>)> = wanted
            .into_par_iter()
            .map(|name| {
                let coded = match df.column(name.as_str()) {
                    Ok(c) => encode(c.as_materialized_series(), limit, &|views| keys.chunk(&name, views))?,
                    Err(_) => None,
                };
                Ok((name, coded))
            })
            .collect::<PolarsResult<_>>()?;
        for (name, coded) in coded {
            self.insert(&name, coded);
        }
        Ok(())
    }

    fn insert(&mut self, name: &str, coded: Option<Encoded>) {
        let code_column = format!("__code_{}", self.coded.len());
        self.coded.insert(name.to_string(), coded.map(|(values, codes, counts)| Coded { values, code_column, codes, counts }));
    }

    /// Rows per code of a coded column.
    pub fn counts(&self, name: &str) -> Option<&[u64]> {
        Some(&self.coded_column(name)?.counts)
    }

    /// `e` as a lookup of its value on coded columns, when every column it reads was coded
    /// (`prepare`) and their combinations are few; `None` keeps it as it is.
    pub fn rewrite(&self, e: &Expr) -> PolarsResult<Option<Expr>> {
        let Some(roots) = elementwise_roots(e) else { return Ok(None) };
        if !costly(e) {
            return Ok(None);
        }
        if roots.is_empty() || roots.iter().any(|r| r.starts_with("__")) {
            return Ok(None);
        }
        let Some(all) = self.combinations(&roots)? else { return Ok(None) };
        // Each row's combination is its codes in the same mixed radix (polars arithmetic,
        // beside the other expressions).
        let index = all
            .roots
            .iter()
            .map(|(code_column, stride)| {
                let code = col(code_column.as_str());
                if *stride == 1 {
                    code
                } else {
                    code * lit(*stride as IdxSize)
                }
            })
            .reduce(|a, b| a + b)
            .expect("at least one root");
        let combinations = all.frame.height();
        // Combinations pair values that may never meet in a row; should the expression fail
        // on one, the rows are judged directly instead (and fail there only if they must).
        let Ok(table) = all.frame.lazy().select([e.clone().alias("__value")]).collect() else {
            return Ok(None);
        };
        let table = table.column("__value")?.as_materialized_series().clone();
        if table.len() != combinations {
            // Not elementwise after all (an aggregate): leave it to polars.
            return Ok(None);
        }
        let dtype = table.dtype().clone();
        let table = Arc::new(table);
        let lookup = index.map(
            move |codes: Column| {
                let codes = codes.as_materialized_series().idx()?.clone();
                Ok(table.take(&codes)?.into_column())
            },
            move |_, f| Ok(Field::new(f.name().clone(), dtype.clone())),
        );
        Ok(Some(lookup))
    }

    /// `e` with each costly part that `rewrite` can look up replaced by its lookup: the
    /// whole expression if it can, else its operands, recursively. So a rule that ANDs a
    /// membership test on one column with a test on another (a code valid on the row's
    /// date: too many code × date combinations to look up together) still judges the
    /// membership once per code. `None` when no part was rewritten.
    pub fn rewrite_parts(&self, e: &Expr) -> PolarsResult<Option<Expr>> {
        if let Some(r) = self.rewrite(e)? {
            return Ok(Some(r));
        }
        if !costly(e) {
            return Ok(None);
        }
        let part = |x: &Arc<Expr>| -> PolarsResult<Option<Arc<Expr>>> { Ok(self.rewrite_parts(x)?.map(Arc::new)) };
        Ok(match e {
            Expr::BinaryExpr { left, op, right } => {
                let (l, r) = (part(left)?, part(right)?);
                (l.is_some() || r.is_some()).then(|| Expr::BinaryExpr {
                    left: l.unwrap_or_else(|| left.clone()),
                    op: *op,
                    right: r.unwrap_or_else(|| right.clone()),
                })
            }
            Expr::Ternary { predicate, truthy, falsy } => {
                let (p, t, f) = (part(predicate)?, part(truthy)?, part(falsy)?);
                (p.is_some() || t.is_some() || f.is_some()).then(|| Expr::Ternary {
                    predicate: p.unwrap_or_else(|| predicate.clone()),
                    truthy: t.unwrap_or_else(|| truthy.clone()),
                    falsy: f.unwrap_or_else(|| falsy.clone()),
                })
            }
            // Only the logical functions, whose operands are row values of their own (a
            // membership test's list, say, is not).
            Expr::Function { input, function }
                if matches!(function.to_string().as_str(), "not" | "fill_null" | "is_null" | "is_not_null") =>
            {
                let parts: Vec<Option<Expr>> = input.iter().map(|x| self.rewrite_parts(x)).collect::<PolarsResult<_>>()?;
                parts.iter().any(Option::is_some).then(|| Expr::Function {
                    input: parts.into_iter().zip(input).map(|(p, x)| p.unwrap_or_else(|| x.clone())).collect(),
                    function: function.clone(),
                })
            }
            _ => None,
        })
    }

    /// Every combination of the coded `roots`' values, as a frame with a column per root
    /// (the first root varying slowest), or `None` when a root is not coded or the
    /// combinations are too many to look up (see `rewrite`).
    pub(crate) fn combinations(&self, roots: &[PlSmallStr]) -> PolarsResult<Option<Combinations>> {
        let Some(coded) = self.roots(roots) else { return Ok(None) };
        let named: Vec<(PlSmallStr, Series)> = roots.iter().cloned().zip(coded.iter().map(|c| c.values.clone())).collect();
        let (frame, strides) = combination_frame(&named)?;
        Ok(Some(Combinations { frame, roots: coded.iter().map(|c| c.code_column.clone()).zip(strides).collect() }))
    }

    /// `combinations` with each root's values in sorted order (nulls first), so that
    /// batches holding the same values give the same frame whatever order they met them
    /// in. `ranks[r][code]` is where a code's value sorts.
    pub(crate) fn sorted_combinations(&self, roots: &[PlSmallStr]) -> PolarsResult<Option<SortedCombinations>> {
        let Some(coded) = self.roots(roots) else { return Ok(None) };
        let mut sorted = Vec::with_capacity(roots.len());
        let mut ranks = Vec::with_capacity(roots.len());
        for c in &coded {
            let order = c.values.arg_sort(SortOptions::default().with_nulls_last(false));
            sorted.push(c.values.take(&order)?);
            let mut rank = vec![0 as IdxSize; order.len()];
            for (at, code) in order.into_no_null_iter().enumerate() {
                rank[code as usize] = at as IdxSize;
            }
            ranks.push(rank);
        }
        // The first root varies slowest, as in `combination_frame`.
        let mut strides: Vec<usize> = sorted.iter().rev().scan(1, |s, v| Some(std::mem::replace(s, *s * v.len()))).collect();
        strides.reverse();
        Ok(Some(SortedCombinations { strides, ranks, sorted }))
    }

    /// The coded columns `roots`, if every one is coded and their combinations are few
    /// enough to look up.
    fn roots(&self, roots: &[PlSmallStr]) -> Option<Vec<&Coded>> {
        let mut combinations = 1usize;
        let mut coded = Vec::with_capacity(roots.len());
        for r in roots {
            // (An empty table has nothing to look up.)
            let c = self.coded_column(r).filter(|c| !c.values.is_empty())?;
            combinations = combinations.saturating_mul(c.values.len());
            // Never more combinations than rows, unless few (so small tables go this way too,
            // and the tests cover it).
            if combinations > MAX_COMBINATIONS.min(self.rows.max(4096)) {
                return None;
            }
            coded.push(c);
        }
        Some(coded)
    }

    /// A coded column's distinct values and each row's code.
    pub fn coded(&self, name: &str) -> Option<(&Series, &[IdxSize])> {
        let c = self.coded_column(name)?;
        // Codes are made in one piece, without nulls.
        Some((&c.values, c.codes.cont_slice().expect("codes are one chunk without nulls")))
    }

    /// The dictionary for a table's (or batch's) row plans: their costly expressions'
    /// columns, the columns they break down by, and `also`, coded in parallel. Empty (no
    /// column coded, so every expression is judged directly) without `per_value`, to
    /// measure what it saves.
    pub fn for_plans(
        df: &DataFrame,
        plans: &[(usize, crate::checks::RowPlan)],
        also: &[&str],
        per_value: bool,
        keys: &Keys,
    ) -> PolarsResult<Dictionary> {
        let mut dict = Dictionary::new(df.height());
        if per_value {
            let mut wanted: Vec<&str> = plans.iter().filter_map(|(_, p)| p.breakdown.as_deref()).collect();
            wanted.extend_from_slice(also);
            dict.prepare_keyed(df, plans.iter().flat_map(|(_, p)| [&p.evaluated, &p.failing]), &wanted, keys)?;
        }
        Ok(dict)
    }

    /// The code columns made so far, to add to the frame the rewritten expressions run on.
    /// They are cut into `df`'s chunks: a frame whose columns are chunked differently is
    /// copied whole to align them (measured: +160 MB at 1 M CSV rows).
    pub fn code_columns(&self, df: &DataFrame) -> Vec<Column> {
        let lengths: Vec<usize> = match df.columns().first() {
            Some(c) => c.as_materialized_series().chunk_lengths().collect(),
            None => Vec::new(),
        };
        let aligned = |codes: &IdxCa| -> IdxCa {
            let mut offset = 0;
            let mut out: Option<IdxCa> = None;
            for &n in &lengths {
                let piece = codes.slice(offset as i64, n);
                offset += n;
                match &mut out {
                    None => out = Some(piece),
                    Some(o) => {
                        o.append(&piece).expect("same type");
                    }
                }
            }
            out.unwrap_or_else(|| codes.clone())
        };
        let codes = self.coded.values().flatten().map(|c| aligned(&c.codes).with_name(c.code_column.as_str().into()));
        codes.map(|c| c.into_column()).collect()
    }

    fn coded_column(&self, name: &str) -> Option<&Coded> {
        self.coded.get(name)?.as_ref()
    }
}

/// Whether `e` costs more per row than a lookup (about a gather): a membership test, a
/// string function, a cast. Null tests, negations and comparisons run on whole words of
/// bits or numbers, faster than looking anything up.
fn costly(e: &Expr) -> bool {
    e.into_iter().any(|n| match n {
        Expr::Function { function, .. } => !matches!(function.to_string().as_str(), "is_null" | "is_not_null" | "not" | "fill_null"),
        Expr::Cast { .. } => true,
        _ => false,
    })
}

/// The columns `e` reads, or `None` if it holds a node that is not elementwise (windows,
/// aggregates of columns, filters, sorts, ...). Functions are trusted: row expressions are
/// elementwise by `RowPlan`'s contract; this guard catches the plain mistakes.
pub(crate) fn elementwise_roots(e: &Expr) -> Option<Vec<PlSmallStr>> {
    let mut roots = Vec::new();
    for node in e {
        match node {
            Expr::Column(name) => roots.push(name.clone()),
            // A constant list (`is_in`'s right side) is an aggregate of a literal: fine.
            Expr::Agg(_) if node.into_iter().all(|n| !matches!(n, Expr::Column(_))) => {}
            Expr::Agg(_)
            | Expr::Over { .. }
            | Expr::Len
            | Expr::Selector(_)
            | Expr::Field(_)
            | Expr::Element
            | Expr::Slice { .. }
            | Expr::Sort { .. }
            | Expr::SortBy { .. }
            | Expr::Gather { .. }
            | Expr::Filter { .. }
            | Expr::Explode { .. } => return None,
            _ => {}
        }
    }
    roots.sort();
    roots.dedup();
    Some(roots)
}

/// The distinct values of `s` and each row's index into them, or `None` past `limit`
/// distinct values or for a type not coded. Integers and dates are coded by their offset
/// from the smallest value (the values are then the whole range: no hashing); strings by
/// their 16-byte view (see `string_codes`).
fn encode(s: &Series, limit: usize, keyed: &KeyedChunk) -> PolarsResult<Option<Encoded>> {
    match s.dtype() {
        DataType::String => {
            let (mut first_rows, mut counts) = (Vec::new(), Vec::new());
            let Some(codes) = string_codes(s.str()?, &mut first_rows, &mut counts, limit, keyed) else { return Ok(None) };
            let at = IdxCa::from_iter_options("".into(), first_rows.into_iter());
            Ok(Some((s.take(&at)?, IdxCa::from_vec("".into(), codes), counts)))
        }
        d if d.is_integer() || matches!(d, DataType::Date) => {
            let physical = s.to_physical_repr();
            // Dates (i32) and the contract's integers (i64) are read in place; other
            // widths are rare enough to widen first.
            let coded = match physical.dtype() {
                DataType::Int32 => offsets(physical.i32()?),
                DataType::Int64 => offsets(physical.i64()?),
                _ => offsets(physical.cast(&DataType::Int64)?.i64()?),
            };
            let Some((lo, hi, codes, nulls)) = coded else { return Ok(None) };
            let mut range: Vec<Option<i64>> = (lo..=hi).map(Some).collect();
            if nulls {
                range.push(None);
            }
            let counts = count_codes(&codes, range.len());
            let values = Int64Chunked::from_iter_options("".into(), range.into_iter()).into_series().cast(d)?;
            Ok(Some((values, IdxCa::from_vec("".into(), codes), counts)))
        }
        _ => Ok(None),
    }
}

/// Integers coded by their offset from the smallest: `(lo, hi, codes, has nulls)`, codes
/// `0..=hi - lo` and null (if any) `hi - lo + 1`; `None` when empty or the range is too wide.
fn offsets<T>(ints: &ChunkedArray<T>) -> Option<(i64, i64, Vec<IdxSize>, bool)>
where
    T: PolarsIntegerType,
    T::Native: Into<i64>,
    ChunkedArray<T>: ChunkAgg<T::Native>,
{
    let (lo, hi): (i64, i64) = (ints.min()?.into(), ints.max()?.into());
    let span = hi.checked_sub(lo).and_then(|d| usize::try_from(d).ok()).filter(|&d| d < MAX_COMBINATIONS)?;
    let nulls = ints.null_count() > 0;
    let mut codes: Vec<IdxSize> = Vec::with_capacity(ints.len());
    // Chunk by chunk over the value slices (this loop vectorises); nulls after.
    for arr in ints.downcast_iter() {
        codes.extend(arr.values().iter().map(|&x| Into::<i64>::into(x).wrapping_sub(lo) as IdxSize));
    }
    if nulls {
        let null_code = (span + 1) as IdxSize;
        for (c, v) in codes.iter_mut().zip(ints.iter()) {
            if v.is_none() {
                *c = null_code;
            }
        }
    }
    Some((lo, hi, codes, nulls))
}

/// Codes a string column by first appearance; `first_rows` gets each distinct value's
/// first row (`None` for null). Each row is looked up by its 16-byte view, which holds a
/// short string itself and points a long one into a buffer: rows decoded from one Parquet
/// dictionary share their views, so most rows cost one integer hash. A view seen for the
/// first time in a chunk is looked up by its text, so a value stays one code wherever it
/// is stored.
/// Gives up early on columns that look like identifiers.
fn string_codes(
    ca: &StringChunked,
    first_rows: &mut Vec<Option<IdxSize>>,
    counts: &mut Vec<u64>,
    limit: usize,
    keyed: &KeyedChunk,
) -> Option<Vec<IdxSize>> {
    let mut by_view = ViewTable::default();
    let mut by_text: PlHashMap<&str, IdxSize> = PlHashMap::new();
    let mut null_code: Option<IdxSize> = None;
    let mut codes = Vec::with_capacity(ca.len());
    let (mut row, mut sampled) = (0usize, false);
    // (The chunks as `dyn Array` too, for their validity.)
    for (arr, chunk) in ca.downcast_iter().zip(ca.chunks()) {
        // A long string's view points into its own chunk's buffers: views are compared
        // within a chunk only. Where long views seldom repeat (text parsed from CSV: one
        // buffer position per row), they are not kept, and the text decides alone.
        by_view.clear();
        let (mut long_views, mut long_new) = (0usize, 0usize);
        let validity = chunk.validity().filter(|v| v.unset_bits() > 0);
        let views = arr.views();
        if let Some(keys) = keyed(views) {
            // Read by key: a row's code is its key's, the text read once per key (`place`,
            // out of the loop). Null rows are coded after the loop (a branch on each row's
            // validity made a column of scattered nulls code three times slower than one
            // without); the null code still takes its place among the first appearances, at
            // the chunk's first null. (10 M Parquet rows, coding CPU summed over columns:
            // 408–472 → 253–345 ms; `diagnosis`, the one with nulls, 102–119 → 47–74 ms.)
            let mut by_key: Vec<IdxSize> = vec![IdxSize::MAX; keys.distinct];
            let start = codes.len();
            let nulls: Option<polars_arrow::bitmap::Bitmap> = validity.map(|v| !v);
            let first_null = nulls.as_ref().and_then(|n| n.true_idx_iter().next());
            // The text of key `key`'s first filled row `i`: its code (`None`: past the limit).
            let mut place = |i: usize, first_rows: &mut Vec<Option<IdxSize>>, null_code: &mut Option<IdxSize>| -> Option<IdxSize> {
                if null_code.is_none() && first_null.is_some_and(|f| f < i) {
                    first_rows.push(None);
                    *null_code = Some((first_rows.len() - 1) as IdxSize);
                }
                // SAFETY: `i` is within the array (the keys are its rows).
                let text = unsafe { arr.value_unchecked(i) };
                let at = row + i;
                let code = *by_text.entry(text).or_insert_with(|| {
                    first_rows.push(Some(at as IdxSize));
                    (first_rows.len() - 1) as IdxSize
                });
                (first_rows.len() <= limit).then_some(code)
            };
            // Rows in turn until every key of the dictionary has its code (a dictionary
            // holds the values its rows use: usually a short prefix), then the rest by a
            // plain lookup, with no first appearance to look for (10 M Parquet rows: a
            // keyed column's coding 1.3–1.6 → 0.8–0.9 ms a batch; `diagnosis`, with
            // nulls, 3.2 → 2.5–2.6 ms).
            let (mut i, mut unseen) = (0, keys.distinct);
            while unseen > 0 && i < keys.keys.len() {
                // (A null row's key means nothing: coded below.)
                match by_key.get_mut(keys.keys[i] as usize) {
                    Some(slot) if *slot != IdxSize::MAX => codes.push(*slot),
                    _ if nulls.as_ref().is_some_and(|n| n.get_bit(i)) => codes.push(0),
                    Some(slot) => {
                        *slot = place(i, first_rows, &mut null_code)?;
                        unseen -= 1;
                        codes.push(*slot);
                    }
                    None => return None,
                }
                i += 1;
            }
            codes.extend(keys.keys[i..].iter().map(|&k| by_key.get(k as usize).copied().unwrap_or(IdxSize::MAX)));
            if let Some(nulls) = &nulls {
                let null = *null_code.get_or_insert_with(|| {
                    first_rows.push(None);
                    (first_rows.len() - 1) as IdxSize
                });
                for i in nulls.true_idx_iter() {
                    codes[start + i] = null;
                }
            }
            // A key outside the dictionary (the reader rejects those) is no code.
            if codes[start..].contains(&IdxSize::MAX) {
                return None;
            }
            row += keys.keys.len();
            if !sampled && row >= 4096 {
                sampled = true;
                if first_rows.len() > 2048 {
                    return None;
                }
            }
            continue;
        }
        let mut i = 0;
        while i < views.len() {
            // Runs of filled views seen before, in a loop that does little else (no new
            // value to place): most rows of a few-valued column. (Coding 1 M Parquet rows
            // of a two-valued column: 4.7 → 3.3 ms; of service classes 5.9 → 4.5 ms.)
            if !(long_views >= 1024 && long_new * 2 > long_views) {
                let (mut seen, mut long) = (0, 0);
                for v in &views[i..] {
                    if validity.is_some_and(|b| !b.get_bit(i + seen)) {
                        break;
                    }
                    let Some(code) = by_view.get(v.as_u128()) else { break };
                    codes.push(code);
                    seen += 1;
                    long += (v.length > 12) as usize;
                }
                (i, row, long_views) = (i + seen, row + seen, long_views + long);
                // The identifier sample (below) is judged once the first 4096 rows are in.
                if row >= 4096 && !sampled {
                    sampled = true;
                    if first_rows.len() > 2048 {
                        return None;
                    }
                }
                if i == views.len() {
                    break;
                }
            }
            let view = &views[i];
            i += 1;
            if validity.is_some_and(|v| !v.get_bit(i - 1)) {
                let code = *null_code.get_or_insert_with(|| {
                    first_rows.push(None);
                    (first_rows.len() - 1) as IdxSize
                });
                codes.push(code);
                row += 1;
                continue;
            }
            // The text is only read for a view not seen before.
            let mut by_text = || {
                // SAFETY: `i - 1` is within the array (it indexes its views).
                let text = unsafe { arr.value_unchecked(i - 1) };
                *by_text.entry(text).or_insert_with(|| {
                    first_rows.push(Some(row as IdxSize));
                    (first_rows.len() - 1) as IdxSize
                })
            };
            let long = view.length > 12;
            let key = view.as_u128();
            let code = if long && long_views >= 1024 && long_new * 2 > long_views {
                by_text()
            } else {
                long_views += long as usize;
                match by_view.get(key) {
                    Some(c) => c,
                    None => {
                        long_new += long as usize;
                        let c = by_text();
                        by_view.insert(key, c);
                        c
                    }
                }
            };
            codes.push(code);
            row += 1;
            // Identifiers: after a sample (the first 4096 rows), most values new.
            if first_rows.len() > limit || (!sampled && row >= 4096 && first_rows.len() > 2048) {
                return None;
            }
            sampled |= row >= 4096;
        }
    }
    *counts = count_codes(&codes, first_rows.len());
    Some(codes)
}

/// Rows per code. Few codes: four tallies, added up at the end (a column of few values
/// increments the same counter row after row, and each increment would wait for the one
/// before; measured on a two-valued column of 1 M Parquet rows: coding 5.2 → 4.7 ms).
/// Many codes (value combinations): one tally, so that it stays in the cache (10 M Parquet
/// rows, three rules on two columns each, 3 600 to 13 000 combinations: counting 84 → 56
/// ms, with `tally::Index::count`). Tallies of `u32`: a frame's rows are counted in
/// `IdxSize`, so no tally overflows.
pub(crate) fn count_codes(codes: &[IdxSize], distinct: usize) -> Vec<u64> {
    if distinct > FEW_CODES {
        let mut tally = vec![0u32; distinct];
        for &c in codes {
            tally[c as usize] += 1;
        }
        return tally.into_iter().map(u64::from).collect();
    }
    let mut tallies = vec![[0u32; 4]; distinct];
    let mut quads = codes.chunks_exact(4);
    for q in &mut quads {
        tallies[q[0] as usize][0] += 1;
        tallies[q[1] as usize][1] += 1;
        tallies[q[2] as usize][2] += 1;
        tallies[q[3] as usize][3] += 1;
    }
    for &c in quads.remainder() {
        tallies[c as usize][0] += 1;
    }
    tallies.iter().map(|t| t.iter().map(|&n| u64::from(n)).sum()).collect()
}

// polars without its `bigidx` feature (as built here) holds at most `u32::MAX` rows a frame.
const _: () = assert!(std::mem::size_of::<IdxSize>() == 4, "tallies of u32 count a frame's rows");

/// Up to this many codes, `count_codes` keeps four tallies.
const FEW_CODES: usize = 256;

/// Codes by 16-byte string view: a small open-addressing table (linear probing, at most
/// half full), as a column's distinct views are few and looked up once per row, where a
/// general hash map's probing costs more than the lookup itself.
#[derive(Default)]
struct ViewTable {
    keys: Vec<u128>,
    /// `EMPTY` where no key is stored (any `u128`, zero too, is a possible view).
    codes: Vec<IdxSize>,
    len: usize,
    shift: u32,
}

impl ViewTable {
    const EMPTY: IdxSize = IdxSize::MAX;

    fn clear(&mut self) {
        self.codes.fill(Self::EMPTY);
        self.len = 0;
    }

    #[inline]
    fn slot(&self, key: u128) -> usize {
        let mixed = ((key as u64) ^ ((key >> 64) as u64).rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (mixed >> self.shift) as usize
    }

    #[inline]
    fn get(&self, key: u128) -> Option<IdxSize> {
        if self.codes.is_empty() {
            return None;
        }
        let mask = self.codes.len() - 1;
        let mut at = self.slot(key);
        loop {
            let code = self.codes[at];
            if code == Self::EMPTY {
                return None;
            }
            if self.keys[at] == key {
                return Some(code);
            }
            at = (at + 1) & mask;
        }
    }

    fn insert(&mut self, key: u128, code: IdxSize) {
        if (self.len + 1) * 2 > self.codes.len() {
            self.grow();
        }
        let mask = self.codes.len() - 1;
        let mut at = self.slot(key);
        while self.codes[at] != Self::EMPTY {
            at = (at + 1) & mask;
        }
        self.keys[at] = key;
        self.codes[at] = code;
        self.len += 1;
    }

    fn grow(&mut self) {
        let size = (self.codes.len() * 2).max(64);
        let old: Vec<(u128, IdxSize)> =
            self.keys.iter().zip(&self.codes).filter(|(_, c)| **c != Self::EMPTY).map(|(k, c)| (*k, *c)).collect();
        self.keys = vec![0; size];
        self.codes = vec![Self::EMPTY; size];
        self.shift = 64 - size.trailing_zeros();
        self.len = 0;
        for (k, c) in old {
            self.insert(k, c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Dictionary;
    use polars::prelude::*;

    /// Each way of counting (few codes, many codes) counts what a plain tally counts.
    #[test]
    fn counted_codes_equal_a_plain_tally() {
        for distinct in [1usize, 3, 256, 257, 5000] {
            let codes: Vec<IdxSize> = (0..20_011u64).map(|i| (i.wrapping_mul(2_654_435_761) % distinct as u64) as IdxSize).collect();
            let mut plain = vec![0u64; distinct];
            for &c in &codes {
                plain[c as usize] += 1;
            }
            assert_eq!(super::count_codes(&codes, distinct), plain, "{distinct} codes");
        }
    }

    fn prepared_rewrite(dict: &mut Dictionary, df: &DataFrame, e: &Expr) -> Option<Expr> {
        dict.prepare(df, [e], &[]).unwrap();
        dict.rewrite(e).unwrap()
    }

    #[test]
    fn a_rewritten_expression_gives_the_same_values() {
        let df = df!(
            "code" => [Some("a"), Some("b"), None, Some("a"), Some("c"), Some("b")],
            "age" => [Some(1i64), Some(130), Some(5), None, Some(7), Some(1)],
            "id" => ["1", "2", "3", "4", "5", "6"],
        )
        .unwrap();
        let in_ac = || col("code").is_in(lit(Series::new("".into(), ["a", "c"])).implode(false), false);
        let exprs = [
            in_ac(),
            in_ac().not().and(col("age").gt(lit(100i64))),
            in_ac().or(col("age").is_null()),
            col("id").cast(DataType::Int64).eq(lit(3i64)),
        ];
        let mut dict = Dictionary::new(df.height());
        dict.prepare(&df, &exprs, &[]).unwrap();
        for e in exprs {
            let direct = df.clone().lazy().select([e.clone().alias("v")]).collect().unwrap();
            let Some(rewritten) = dict.rewrite(&e).unwrap() else { panic!("not rewritten: {e:?}") };
            let with_codes = df.hstack(&dict.code_columns(&df)).unwrap();
            let looked_up = with_codes.lazy().select([rewritten.alias("v")]).collect().unwrap();
            assert_eq!(direct, looked_up, "{e:?}");
        }
    }

    #[test]
    fn a_costly_part_is_looked_up_when_the_whole_cannot_be() {
        let ids: Vec<String> = (0..5000).map(|i| format!("E{i}")).collect();
        let codes: Vec<Option<&str>> = (0..5000).map(|i| [Some("a"), Some("b"), None][i % 3]).collect();
        let df = df!("id" => ids, "code" => codes).unwrap();
        let in_a = || col("code").is_in(lit(Series::new("".into(), ["a"])).implode(false), false);
        // `id` holds too many values to be coded: the whole cannot be looked up, `in_a` can.
        let e = in_a().not().and(col("id").str().ends_with(lit("7"))).or(col("code").is_null());
        let mut dict = Dictionary::new(df.height());
        dict.prepare(&df, [&e], &[]).unwrap();
        assert!(dict.rewrite(&e).unwrap().is_none());
        let parts = dict.rewrite_parts(&e).unwrap().expect("the membership test is looked up");
        assert!(format!("{parts:?}").contains("__code_"), "{parts:?}");
        let direct = df.clone().lazy().select([e.alias("v")]).collect().unwrap();
        let looked_up = df.hstack(&dict.code_columns(&df)).unwrap().lazy().select([parts.alias("v")]).collect().unwrap();
        assert_eq!(direct, looked_up);
    }

    #[test]
    fn cheap_expressions_are_left_as_they_are() {
        let df = df!("code" => [Some("a"), None], "age" => [1i64, 2]).unwrap();
        let mut dict = Dictionary::new(df.height());
        for e in [col("code").is_null().or(col("age").gt(lit(1i64))), col("code").is_not_null().not()] {
            assert!(prepared_rewrite(&mut dict, &df, &e).is_none(), "{e:?}");
        }
    }

    #[test]
    fn windows_and_column_aggregates_are_not_rewritten() {
        let df = df!("code" => ["a", "b", "a"]).unwrap();
        let mut dict = Dictionary::new(df.height());
        let is_a = || col("code").cast(DataType::String).eq(lit("a"));
        assert!(prepared_rewrite(&mut dict, &df, &is_a().eq(col("code").max())).is_none());
        assert!(prepared_rewrite(&mut dict, &df, &is_a().sum().over([col("code")]).unwrap()).is_none());
        assert!(prepared_rewrite(&mut dict, &df, &is_a().and(len().gt(lit(2)))).is_none());
    }

    #[test]
    fn long_strings_in_several_chunks_keep_their_own_codes() {
        // Same length and prefix, each in its own chunk: their views differ only by offset
        // and buffer, which mean nothing across chunks.
        let mut df = df!("unit" => ["1.2.246.10.2116752.10.1"]).unwrap();
        for u in ["1.2.246.10.2116752.10.2", "1.2.246.10.2116752.10.1", "1.2.246.10.2116752.10.9"] {
            df.vstack_mut(&df!("unit" => [u]).unwrap()).unwrap();
        }
        assert_eq!(df.column("unit").unwrap().as_materialized_series().n_chunks(), 4);
        let e = col("unit").cast(DataType::String).eq(lit("1.2.246.10.2116752.10.9"));
        let mut dict = Dictionary::new(df.height());
        let rewritten = prepared_rewrite(&mut dict, &df, &e).expect("coded");
        let looked_up = df.hstack(&dict.code_columns(&df)).unwrap().lazy().select([rewritten.alias("v")]).collect().unwrap();
        let v: Vec<Option<bool>> = looked_up.column("v").unwrap().bool().unwrap().iter().collect();
        assert_eq!(v, [Some(false), Some(false), Some(false), Some(true)]);
        assert_eq!(dict.coded("unit").unwrap().0.len(), 3);
    }

    #[test]
    fn identifiers_are_not_coded() {
        let ids: Vec<String> = (0..1000).map(|i| format!("E{i}")).collect();
        let df = df!("id" => ids).unwrap();
        let mut dict = Dictionary::new(df.height());
        assert!(prepared_rewrite(&mut dict, &df, &col("id").cast(DataType::String).eq(lit("E1"))).is_none());
    }
}
