//! Gathering aggregate state from rows in scope (a whole table, or one batch of a streamed
//! one): keyed counts and sums answered together (one pass per key columns: per code when
//! the batch's dictionary coded the one key column, else one group-by), duplicate-key
//! hashes, months present, identity codes, distinct lookup rows. States of a streamed
//! table's batches merge in file order (`State::merge`).

use super::dictionary::Dictionary;
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
) -> Vec<Result<State, String>> {
    let mut out: Vec<Option<Result<State, String>>> = vec![None; gathers.len()];
    // Keyed requests first, answered together by key columns.
    let mut keyed: BTreeMap<Vec<String>, Vec<(usize, &KeyedSum)>> = BTreeMap::new();
    for (i, g) in gathers.iter().enumerate() {
        if let Gather::Keyed(k) = g {
            keyed.entry(k.by.clone()).or_default().push((i, k));
        }
    }
    for (by, requests) in keyed {
        let asked: Vec<&KeyedSum> = requests.iter().map(|(_, k)| *k).collect();
        match answer(df, dict, &by, &asked) {
            Ok(states) => {
                for ((i, _), s) in requests.iter().zip(states) {
                    out[*i] = Some(Ok(s));
                }
            }
            Err(reason) => {
                for (i, _) in &requests {
                    out[*i] = Some(Err(reason.clone()));
                }
            }
        }
    }
    for (i, g) in gathers.iter().enumerate() {
        let state = match g {
            Gather::Keyed(_) => continue,
            Gather::Hashes { columns, evaluated, .. } => hashes(df, columns, evaluated.clone()),
            Gather::Months { column, by, evaluated, plain, .. } => months(df, dict, column, by.as_deref(), evaluated.clone(), *plain),
            Gather::IdentityCodes { .. } => {
                let coded = |c: &str| dict.and_then(|d| d.coded(c));
                IdentityCodeLeak::scan(table, df, sample_limit, &coded).map(State::Measure)
            }
            Gather::Distinct { columns, filter, .. } => distinct(df, columns, filter.as_ref()),
        };
        out[i] = Some(state);
    }
    out.into_iter().map(|s| s.unwrap_or_else(|| Err("internal: a gather was not answered".into()))).collect()
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
fn answer(df: &DataFrame, dict: Option<&Dictionary>, by: &[String], requests: &[&KeyedSum]) -> Result<Vec<State>, String> {
    if let Some(dict) = dict {
        let coded: Option<Vec<(&Series, &[IdxSize])>> = by.iter().map(|c| dict.coded(c)).collect();
        if let Some(coded) = coded.filter(|c| !c.is_empty()) {
            if let Some(states) = answer_coded(df, &coded, requests)? {
                return Ok(states);
            }
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

/// Distinct combinations of coded key columns counted per combination at most: beyond,
/// the group-by answers (a dense array of this many counts per request is cheap).
const MOST_COMBINATIONS: usize = 1 << 16;

/// `answer` for requests keyed by coded columns of the batch: the masks (and summed
/// columns) are evaluated by polars in one select, then counted and summed per combination
/// of codes visiting only the rows each mask keeps, with no group-by hashing. (On 10 M rows
/// the two-column key of service class and production took 0.50 s by group-by; all the
/// gathers of the activity pass went from 2.2 s to 1.0 s with this and opt-level 2.) `None`
/// if a mask is not a full column or the combinations are too many (the group-by then
/// answers).
fn answer_coded(df: &DataFrame, coded: &[(&Series, &[IdxSize])], requests: &[&KeyedSum]) -> Result<Option<Vec<State>>, String> {
    let sizes: Vec<usize> = coded.iter().map(|(values, _)| values.len()).collect();
    let combinations = sizes.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n.max(1))).filter(|&n| n <= MOST_COMBINATIONS);
    let Some(combinations) = combinations else { return Ok(None) };
    let mut sel = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        sel.push(r.mask.clone().alias(format!("__m{i}")));
        if let (false, Some(e)) = (r.present, &r.sum) {
            sel.push(e.clone().cast(DataType::Float64).alias(format!("__v{i}")));
        }
    }
    let masks = df.clone().lazy().select(sel).collect().map_err(pe)?;
    let rows = coded[0].1.len();
    if masks.height() != rows || coded.iter().any(|(_, c)| c.len() != rows) {
        return Ok(None);
    }
    // Each row's combination: the codes as digits of a mixed-radix number.
    let combination: Vec<u32> = if let [(_, codes)] = coded {
        codes.iter().map(|&c| c as u32).collect()
    } else {
        let mut out = vec![0u32; rows];
        for ((_, codes), &n) in coded.iter().zip(&sizes) {
            for (o, &c) in out.iter_mut().zip(codes.iter()) {
                *o = *o * n as u32 + c as u32;
            }
        }
        out
    };
    let parts: Vec<Vec<Option<String>>> =
        coded.iter().map(|(values, _)| values.cast(&DataType::String).map(|v| frame::strings(&v))).collect::<Result<_, _>>().map_err(pe)?;
    // The key of a combination as `answer` writes it (sums: parts joined by a space; present
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
    let mut states = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        let mask = frame::column(&masks, &format!("__m{i}")).and_then(|c| c.bool().cloned()).map_err(pe)?;
        let summed: Option<Vec<f64>> = match (r.present, &r.sum) {
            (false, Some(_)) => {
                let v = frame::column(&masks, &format!("__v{i}")).and_then(|c| c.f64().cloned()).map_err(pe)?;
                Some(v.iter().map(|x| x.unwrap_or(0.0)).collect())
            }
            _ => None,
        };
        let (mut n, mut v) = (vec![0u64; combinations], vec![0f64; combinations]);
        frame::for_true_rows(&mask, |row| {
            let c = combination[row] as usize;
            n[c] += 1;
            if let Some(s) = &summed {
                v[c] += s[row];
            }
        });
        // As `answer`: keys without a counted row, or with an empty value, are left out.
        let counted = (0..combinations).filter(|&j| n[j] > 0);
        states.push(if r.present {
            State::Present(counted.filter_map(|j| key(j, "\u{1f}")).collect())
        } else {
            State::Sums(counted.filter_map(|j| Some((key(j, " ")?, if summed.is_some() { v[j] } else { n[j] as f64 }))).collect())
        });
    }
    Ok(Some(states))
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
/// (two polars hashes of every value measured 0.29 s at 10 M rows, this 0.06 s).
fn text_hashes(df: &DataFrame, column: &str, evaluated: Expr) -> Result<State, String> {
    let sel = df
        .clone()
        .lazy()
        .select([col(LINE).cast(DataType::UInt32).alias("__l"), evaluated.alias("__e"), col(column).alias("__k")])
        .collect()
        .map_err(pe)?;
    let get = |c: &str| frame::column(&sel, c).map_err(pe);
    let (lines, mask, keys) = (get("__l")?, get("__e")?, get("__k")?);
    let (lines, mask, keys) = (lines.u32().map_err(pe)?, mask.bool().map_err(pe)?, keys.str().map_err(pe)?);
    let n = mask.sum().unwrap_or(0) as usize;
    let (mut h1, mut h2, mut kept) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for ((line, keep), key) in lines.iter().zip(mask.iter()).zip(keys.iter()) {
        if let (Some(line), Some(true), Some(key)) = (line, keep, key) {
            let h = xxhash_rust::xxh3::xxh3_128(key.as_bytes());
            h1.push(h as u64);
            h2.push((h >> 64) as u64);
            kept.push(line);
        }
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
