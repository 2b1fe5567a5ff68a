//! Text columns of a streamed Parquet file read with their dictionary keys.
//!
//! Writers (polars, pyarrow, Spark) store a text column of few values as a dictionary page
//! per row group and, per row, a key into it. polars decodes such a column to text, and
//! the engine then codes the text again, value by value (`exec::dictionary`), which took
//! a fifth of a 10 M-row run. Here such a column is read as its keys and dictionary
//! (polars' own page decoder), the text built from them as polars builds it (each row the
//! view of its key's value), and the keys kept beside the batch: the engine codes a row by
//! its key, looking the text up only once per key.
//!
//! The keys are only a shortcut: a column whose pages are not all dictionary-encoded, or
//! any error, reads the batch as before; the engine takes a chunk's keys only for the very
//! array built here (same views buffer), so a copy or a change of the column on the way
//! falls back to coding its text.

use polars::io::parquet::metadata::FileMetadataRef;
use polars::prelude::*;
use polars_arrow::array::{Array, DictionaryArray, Utf8ViewArray, View};
use polars_arrow::datatypes::{ArrowDataType, IntegerType, DTYPE_CATEGORICAL_NEW};
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Per column, the dictionary keys of each chunk read with them.
#[derive(Debug, Default)]
pub struct Keys(BTreeMap<String, Vec<KeyChunk>>);

/// One chunk of a column: its rows' keys into its dictionary.
#[derive(Debug)]
pub struct KeyChunk {
    /// The views of the text array built from the keys: it is that array's chunk when its
    /// views are these (held here, so no other array can take their address meanwhile).
    views: polars_buffer::Buffer<View>,
    pub keys: polars_buffer::Buffer<u32>,
    /// Values in the dictionary: every key is below.
    pub distinct: usize,
}

impl Keys {
    /// The keys of `column`'s chunk whose views are `views`, if it was read with them.
    pub fn chunk(&self, column: &str, views: &[View]) -> Option<&KeyChunk> {
        self.0.get(column)?.iter().find(|k| std::ptr::eq(k.views.as_ptr(), views.as_ptr()) && k.views.len() == views.len())
    }
}

/// The columns of `names` worth reading by key in row groups `groups`: flat text columns
/// with a dictionary page in every group (`schema`: the file's columns as polars reads them).
pub(crate) fn keyed_columns(
    metadata: &FileMetadataRef,
    schema: &ArrowSchema,
    groups: std::ops::Range<usize>,
    names: &[String],
) -> Vec<String> {
    names
        .iter()
        .filter(|name| {
            let Some(field) = schema.get(name.as_str()) else { return false };
            // A categorical or enum column is polars' own dictionary already.
            matches!(field.dtype, ArrowDataType::Utf8View | ArrowDataType::Utf8 | ArrowDataType::LargeUtf8)
                && !groups.is_empty()
                && metadata.row_groups[groups.clone()].iter().all(|g| {
                    let mut chunks = g.columns_under_root_iter(name.as_str()).into_iter().flatten();
                    match (chunks.next(), chunks.next()) {
                        (Some(c), None) => c.descriptor().path_in_schema.len() == 1 && c.dictionary_page_offset().is_some(),
                        _ => false,
                    }
                })
        })
        .cloned()
        .collect()
}

/// Reads `columns` of row groups `groups` by key: each a text column (a chunk per group)
/// and its keys, or why it could not be (a page not dictionary-encoded, a corrupt page).
pub(crate) fn read_keyed(
    path: &Path,
    metadata: &FileMetadataRef,
    groups: std::ops::Range<usize>,
    columns: &[String],
) -> Vec<PolarsResult<(Column, Vec<KeyChunk>)>> {
    use rayon::prelude::*;
    let tasks: Vec<(usize, usize)> = (0..columns.len()).flat_map(|c| groups.clone().map(move |g| (c, g))).collect();
    let read: Vec<PolarsResult<Vec<(Box<dyn Array>, KeyChunk)>>> =
        tasks.par_iter().map(|&(c, g)| super::problem::guarded(|| read_chunk(path, metadata, g, &columns[c]))).collect();
    // `tasks` is column-major: each column's groups are consecutive, in order.
    let mut read = read.into_iter();
    columns
        .iter()
        .map(|name| {
            let parts = read.by_ref().take(groups.len()).collect::<PolarsResult<Vec<_>>>()?;
            let (arrays, chunks): (Vec<Box<dyn Array>>, Vec<KeyChunk>) = parts.into_iter().flatten().unzip();
            Ok((Series::try_from((PlSmallStr::from(name.as_str()), arrays))?.into_column(), chunks))
        })
        .collect()
}

/// Keys read for a batch: `read_keyed`'s columns, by name.
impl Keys {
    pub(crate) fn insert(&mut self, column: String, chunks: Vec<KeyChunk>) {
        self.0.insert(column, chunks);
    }
}

/// One column chunk by key: its text array(s) and keys.
fn read_chunk(path: &Path, metadata: &FileMetadataRef, group: usize, name: &str) -> PolarsResult<Vec<(Box<dyn Array>, KeyChunk)>> {
    let meta = metadata.row_groups[group]
        .columns_under_root_iter(name)
        .into_iter()
        .flatten()
        .next()
        .ok_or_else(|| polars_err!(ComputeError: "column `{name}` is not in row group {group}"))?;
    let range = meta.byte_range();
    let mut bytes = vec![0u8; (range.end - range.start) as usize];
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(range.start))?;
    file.read_exact(&mut bytes)?;
    // The categorical flag makes polars decode the keys as they are (and fail on a page
    // that is not dictionary-encoded) rather than text.
    let field =
        ArrowField::new(name.into(), ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(ArrowDataType::Utf8View), false), true)
            .with_metadata([(PlSmallStr::from_static(DTYPE_CATEGORICAL_NEW), PlSmallStr::EMPTY)].into_iter().collect());
    let (arrays, _) = polars::io::parquet::read::_internal::to_deserializer(vec![(meta, bytes.into())], field, None)?;
    let mut out = Vec::with_capacity(arrays.len());
    for array in arrays {
        let dict = array
            .as_any()
            .downcast_ref::<DictionaryArray<u32>>()
            .ok_or_else(|| polars_err!(ComputeError: "column `{name}` was not read as keys"))?;
        out.push(text_of(dict)?);
    }
    // Rows must line up with the other columns'.
    let rows: usize = out.iter().map(|(a, _)| a.len()).sum();
    let expected = metadata.row_groups[group].num_rows();
    polars_ensure!(rows == expected, ComputeError: "column `{name}` of row group {group} holds {rows} rows, not {expected}");
    Ok(out)
}

/// The text of a dictionary array (each row the view of its key's value, as polars decodes
/// a dictionary page) and its keys.
fn text_of(dict: &DictionaryArray<u32>) -> PolarsResult<(Box<dyn Array>, KeyChunk)> {
    let values = dict
        .values()
        .as_any()
        .downcast_ref::<Utf8ViewArray>()
        .ok_or_else(|| polars_err!(ComputeError: "a dictionary of text holds no text"))?;
    let keys = dict.keys();
    let dictionary = values.views();
    let validity = keys.validity().filter(|v| v.unset_bits() > 0).cloned();
    // Every key is checked first (the greatest, then, only if it lies outside, each
    // non-null one), so that the gather below is a plain loop: the per-row check and its
    // flag had kept it from being compiled tight (10 M Parquet rows, eight keyed columns:
    // its share of the run's CPU samples 9.2 → 7.7 %).
    let n = dictionary.len();
    if keys.values().iter().fold(0u32, |max, &k| max.max(k)) as usize >= n {
        let outside = keys.values().iter().zip(0..).any(|(&k, i)| k as usize >= n && validity.as_ref().is_none_or(|v| v.get_bit(i)));
        if outside {
            polars_bail!(ComputeError: "a key lies outside its dictionary");
        }
    }
    let mut views: Vec<View> = Vec::with_capacity(keys.len());
    let spare = &mut views.spare_capacity_mut()[..keys.len()];
    for (slot, &k) in spare.iter_mut().zip(keys.values().iter()) {
        // A null row's key may lie outside (checked above): its view is never read.
        slot.write(dictionary.get(k as usize).copied().unwrap_or_default());
    }
    // SAFETY: the loop above wrote the first `keys.len()` slots.
    unsafe { views.set_len(keys.len()) };
    let views: polars_buffer::Buffer<View> = views.into();
    let chunk = KeyChunk { views: views.clone(), keys: keys.values().clone(), distinct: dictionary.len() };
    // SAFETY: every view is a value's view of `values` (same buffers), or null.
    let text =
        unsafe { Utf8ViewArray::new_unchecked_unknown_md(ArrowDataType::Utf8View, views, values.data_buffers().clone(), validity, None) };
    Ok((text.boxed(), chunk))
}
