//! The key hashes a `unique` check gathers (a 128-bit hash of each evaluated row's key, as
//! two 64-bit halves, with the row's line: 20 bytes a row) and the duplicates among them.
//!
//! Held as they came up to a budget of rows; past it, the rows are written out in
//! [`PARTITIONS`] partitions by the low bits of the second half, and the duplicates are
//! found partition by partition. A key's rows all land in one partition, so the answer is
//! exactly the one of all rows at once. Rows written out are kept in memory up to
//! [`WRITTEN_IN_MEMORY`] times the budget, then go to files in a private temporary folder,
//! so memory holds at most four times the budget plus a partition per core (at 100 M rows:
//! 2 GB of hashes in all, against 80 + 240 MB and about 31 MB a partition). Rows are
//! written out on a thread of their own while the next batches are read (half the budget
//! as they came, half on its way out). The folder, if made, is removed when the last
//! holder of the hashes is dropped (after any write under way), also when the run fails.

use rayon::prelude::*;
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Partitions of a spilled set (by the low 6 bits of the second hash half).
pub const PARTITIONS: usize = 64;
/// Bytes of one spilled row: h1, h2 (little-endian u64) and the line (u32).
const ROW: usize = 20;
/// Rows written out are kept in memory up to this many times the budget of rows held as
/// they came (then they go to files): 12 M rows, 240 MB, by default, so a table of 10 M
/// rows is judged without a file.
pub const WRITTEN_IN_MEMORY: usize = 3;

/// The key hashes of the rows seen so far (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct KeyHashes {
    /// The rows in memory, a part per batch, never joined (a batch's hashes
    /// appended to one set of vectors were copied again at each growth: 10 M Parquet rows,
    /// 83–89 ms of merging on the thread the batches wait for).
    parts: Vec<Hashed>,
    /// The rows written out, when the budget was passed. Shared by clones (a clone is only
    /// made of an empty state).
    spill: Option<Arc<Spill>>,
}

/// Rows' hash halves and lines, one entry a row in each.
#[derive(Debug, Clone, Default)]
struct Hashed {
    h1: Vec<u64>,
    h2: Vec<u64>,
    lines: Vec<u32>,
}

impl Hashed {
    fn len(&self) -> usize {
        self.h1.len()
    }
}

/// `KeyHashes::rows`.
struct InMemory<'a> {
    parts: &'a [Hashed],
    /// Where each part's rows start among them all, and their number last.
    starts: Vec<usize>,
}

impl InMemory<'_> {
    /// Row `i`'s part and its place there.
    fn locate(&self, i: usize) -> (&Hashed, usize) {
        let k = self.starts.partition_point(|&s| s <= i) - 1;
        (&self.parts[k], i - self.starts[k])
    }

    /// Row `i`'s second half and line.
    fn rest(&self, i: usize) -> (u64, u32) {
        let (p, j) = self.locate(i);
        (p.h2[j], p.lines[j])
    }

    /// Every row's first half, in one piece (the one part's own, if there is one).
    fn h1s(&self) -> std::borrow::Cow<'_, [u64]> {
        match self.parts {
            [one] => std::borrow::Cow::Borrowed(&one.h1),
            parts => std::borrow::Cow::Owned(parts.iter().flat_map(|p| p.h1.iter().copied()).collect()),
        }
    }
}

/// What [`KeyHashes::duplicates`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicates {
    /// Rows with a hashed key.
    pub evaluated: u64,
    /// Rows whose key another row has too.
    pub failing: u64,
    /// The first failing lines, sorted, at most the limit asked.
    pub first_lines: Vec<u64>,
}

struct Spill {
    /// The folder of the partition files, made when the memory's room is used up.
    dir: PathBuf,
    writer: Mutex<Writer>,
    rows: AtomicU64,
}

/// A spill's partitions, or the write under way that holds them (`None`: a write failed).
enum Writer {
    Idle(Option<Partitions>),
    Writing(std::thread::JoinHandle<std::io::Result<Partitions>>),
}

/// The rows written out, by partition: a spill's rows are kept in memory, laid out as in a
/// file, while they fit the room left; the rest go to the partition files. Laid out by
/// partition, the rows are judged a partition at a time whichever holds them; held in memory,
/// they cost no file writes, reads and removal (10 M Parquet rows, 8.4 M of them written
/// out: about 0.14 s of kernel time on the files).
struct Partitions {
    /// Per partition, a piece per spill kept in memory.
    memory: Vec<Vec<Vec<u8>>>,
    /// Bytes the memory may still take.
    room: usize,
    /// The partition files, once made (empty before).
    files: Vec<BufWriter<File>>,
}

impl std::fmt::Debug for Spill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Spill({}, {} rows)", self.dir.display(), self.rows.load(Ordering::Relaxed))
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        // The write under way first (it would write into the removed folder), then the
        // buffers: closing a file into a removed folder is harmless, but tidy.
        drop(self.partitions());
        if !self.dir.exists() {
            return;
        }
        // The partitions removed side by side first (freeing a file's cached pages is most
        // of the cost: a 10 M-row table's 64 files took 19–28 ms one after another, 10 ms
        // so).
        (0..PARTITIONS).into_par_iter().for_each(|p| {
            let _ = std::fs::remove_file(self.dir.join(format!("{p}.bin")));
        });
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn partition(h2: u64) -> usize {
    (h2 as usize) & (PARTITIONS - 1)
}

impl KeyHashes {
    pub fn new(h1: Vec<u64>, h2: Vec<u64>, lines: Vec<u32>) -> Self {
        debug_assert!(h1.len() == h2.len() && h1.len() == lines.len(), "a hash half or line per row");
        let parts = if h1.is_empty() { Vec::new() } else { vec![Hashed { h1, h2, lines }] };
        KeyHashes { parts, spill: None }
    }

    /// Rows held in memory.
    fn in_memory(&self) -> usize {
        self.parts.iter().map(Hashed::len).sum()
    }

    /// Rows held, in memory and spilled.
    pub fn len(&self) -> u64 {
        self.in_memory() as u64 + self.spill.as_ref().map_or(0, |s| s.rows.load(Ordering::Relaxed))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether rows were written out.
    pub fn spilled(&self) -> bool {
        self.spill.is_some()
    }

    /// Adds the hashes of later rows (the next batch).
    pub fn append(&mut self, other: KeyHashes) {
        self.parts.extend(other.parts);
        if let Some(s) = other.spill {
            // Two spilled sets are never merged: a batch's hashes are in memory.
            debug_assert!(self.spill.is_none(), "two spilled hash sets merged");
            self.spill.get_or_insert(s);
        }
    }

    /// The rows in memory, read across their parts by a row's place among them all: the
    /// parts are not joined (a copy of every row held, 20 MB at 1 M rows, at its peak).
    fn rows(&self) -> InMemory<'_> {
        let mut starts = Vec::with_capacity(self.parts.len() + 1);
        let mut at = 0;
        for p in &self.parts {
            starts.push(at);
            at += p.len();
        }
        starts.push(at);
        InMemory { parts: &self.parts, starts }
    }

    /// Writes the rows in memory out when there are more than `max_rows`: laid out by
    /// partition, in memory up to [`WRITTEN_IN_MEMORY`] times `max_rows` rows, then to a new
    /// folder under `temp`. Once rows are written, half the budget is kept as they came and
    /// half may be on its way out, so the two stay within the budget (after the first
    /// write, which may still be under way when the next half is full).
    pub fn bound(&mut self, max_rows: usize, temp: &Path) -> std::io::Result<()> {
        let kept = if self.spill.is_some() { max_rows / 2 } else { max_rows };
        if self.in_memory() <= kept {
            return Ok(());
        }
        if self.spill.is_none() {
            self.spill = Some(Arc::new(Spill::new(temp, max_rows.saturating_mul(WRITTEN_IN_MEMORY).saturating_mul(ROW))));
        }
        let spill = self.spill.as_ref().expect("made above");
        // The previous write done first (see above).
        let Some(mut out) = spill.partitions()? else {
            return Err(std::io::Error::other("an earlier write of the key hashes failed"));
        };
        let parts = std::mem::take(&mut self.parts);
        let rows: usize = parts.iter().map(Hashed::len).sum();
        spill.rows.fetch_add(rows as u64, Ordering::Relaxed);
        let dir = spill.dir.clone();
        // Written beside the next batches: 10 M rows (two spills) took 0.15 s in line.
        let write = std::thread::spawn(move || -> std::io::Result<Partitions> {
            // In memory if the whole spill fits, each partition's piece allocated once.
            let mut memory: Option<Vec<Vec<u8>>> = None;
            if rows * ROW <= out.room {
                let mut counts = [0usize; PARTITIONS];
                for part in &parts {
                    for &h in &part.h2 {
                        counts[partition(h)] += 1;
                    }
                }
                memory = Some(counts.iter().map(|&n| Vec::with_capacity(n * ROW)).collect());
                out.room -= rows * ROW;
            } else if out.files.is_empty() {
                out.files = Spill::create_files(&dir)?;
            }
            for part in &parts {
                lay_out(part, 0..part.len(), |p, rows| match &mut memory {
                    Some(memory) => {
                        memory[p].extend_from_slice(rows);
                        Ok(())
                    }
                    None => out.files[p].write_all(rows),
                })?;
            }
            if let Some(memory) = memory {
                for (kept, piece) in out.memory.iter_mut().zip(memory) {
                    kept.push(piece);
                }
            }
            Ok(out)
        });
        spill.put(Writer::Writing(write));
        Ok(())
    }

    /// The rows sharing a key with another row: how many, and the first `limit` lines.
    pub fn duplicates(&self, limit: usize) -> std::io::Result<Duplicates> {
        let evaluated = self.len();
        let memory = self.rows();
        let Some(spill) = &self.spill else {
            let (failing, first_lines) = duplicate_lines(&memory.h1s(), repeated_values, |i| memory.rest(i), limit);
            return Ok(Duplicates { evaluated, failing, first_lines });
        };
        let Some(mut out) = spill.partitions()? else {
            return Err(std::io::Error::other("an earlier write of the key hashes failed"));
        };
        let flushed = out.files.iter_mut().try_for_each(|f| f.flush());
        // (Put back whatever the judgement gives: the partitions are judged again if asked.)
        let judged = flushed.and_then(|()| Self::judge_written(spill, &out, &memory, limit));
        spill.put(Writer::Idle(Some(out)));
        let (failing, first_lines) = judged?;
        Ok(Duplicates { evaluated, failing, first_lines })
    }

    /// `duplicates` over the rows written out and those still in memory: how many, and the
    /// first `limit` lines.
    fn judge_written(spill: &Spill, out: &Partitions, memory: &InMemory, limit: usize) -> std::io::Result<(u64, Vec<u64>)> {
        let on_file = !out.files.is_empty();
        // The rows still as they came, laid out by partition as the written ones are: visited
        // once, not once per partition, in pieces side by side (10 M Parquet rows, 1.6 M of
        // them left: the other core was idle for the 20 ms this took on one).
        const PIECE: usize = 1 << 16;
        let pieces: Vec<(&Hashed, usize)> =
            memory.parts.iter().flat_map(|part| (0..part.len()).step_by(PIECE).map(move |from| (part, from))).collect();
        let by_piece: Vec<Vec<Vec<u8>>> = pieces
            .into_par_iter()
            .map(|(part, from)| {
                let mut laid_out = vec![Vec::new(); PARTITIONS];
                // (Into memory: nothing can fail.)
                let _ = lay_out(part, from..(from + PIECE).min(part.len()), |p, rows| {
                    laid_out[p].extend_from_slice(rows);
                    Ok(())
                });
                laid_out
            })
            .collect();
        // Partitions side by side (one per core: a national table's is about 30 MB, 100 M
        // rows / 64 × 20 bytes), each file read whole.
        let parts: Vec<(u64, Vec<u64>)> = (0..PARTITIONS)
            .into_par_iter()
            .map(|p| -> std::io::Result<(u64, Vec<u64>)> {
                let file = if on_file { std::fs::read(spill.dir.join(format!("{p}.bin")))? } else { Vec::new() };
                // The partition's rows: the pieces written to memory, the file's, then those
                // still as they came.
                let segments: Vec<&[u8]> = out.memory[p]
                    .iter()
                    .map(Vec::as_slice)
                    .chain(std::iter::once(file.as_slice()))
                    .chain(by_piece.iter().map(|piece| piece[p].as_slice()))
                    .collect();
                let mut ends = Vec::with_capacity(segments.len());
                let mut rows = 0;
                for w in &segments {
                    rows += w.len() / ROW;
                    ends.push(rows);
                }
                // The first halves only: the other half and the line are read for the rows
                // whose first half repeats (none in a conformant package).
                let mut h1: Vec<u64> = Vec::with_capacity(rows);
                for w in &segments {
                    h1.extend(w.chunks_exact(ROW).map(|row| u64::from_le_bytes(row[..8].try_into().expect("8 bytes"))));
                }
                let rest = |i: usize| -> (u64, u32) {
                    let k = ends.partition_point(|&end| end <= i);
                    let at = i - (if k == 0 { 0 } else { ends[k - 1] });
                    let row = &segments[k][at * ROW..(at + 1) * ROW];
                    (
                        u64::from_le_bytes(row[8..16].try_into().expect("8 bytes")),
                        u32::from_le_bytes(row[16..].try_into().expect("4 bytes")),
                    )
                };
                // (One partition a thread: the partitions keep the cores busy.)
                Ok(duplicate_lines(&h1, repeated_in_one_thread, rest, limit))
            })
            .collect::<std::io::Result<_>>()?;
        let failing = parts.iter().map(|(n, _)| n).sum();
        let mut first_lines: Vec<u64> = parts.into_iter().flat_map(|(_, lines)| lines).collect();
        first_lines.sort_unstable();
        first_lines.truncate(limit);
        Ok((failing, first_lines))
    }
}

/// Rows `range` of `part` laid out by partition as the files hold them (h1, h2, line: 20
/// bytes a row), each partition's rows handed to `put` in order. A block of rows at a time
/// is laid out in a buffer that stays in the cache, then each partition's rows go in one
/// piece: a row written to one of 64 file buffers at a time missed the cache at every row
/// (10 M Parquet rows, three spills: the writer's time 272–312 → 193–232 ms).
fn lay_out(part: &Hashed, range: std::ops::Range<usize>, mut put: impl FnMut(usize, &[u8]) -> std::io::Result<()>) -> std::io::Result<()> {
    const BLOCK: usize = 1 << 14;
    let Hashed { h1, h2, lines } = part;
    let mut block = vec![0u8; BLOCK.min(range.len()) * ROW];
    for start in range.clone().step_by(BLOCK) {
        let end = (start + BLOCK).min(range.end);
        let mut next = [0usize; PARTITIONS];
        for &h in &h2[start..end] {
            next[partition(h)] += 1;
        }
        let mut at = 0;
        for n in next.iter_mut() {
            (*n, at) = (at, at + *n);
        }
        let starts = next;
        for i in start..end {
            let p = partition(h2[i]);
            let row = &mut block[next[p] * ROW..(next[p] + 1) * ROW];
            row[..8].copy_from_slice(&h1[i].to_le_bytes());
            row[8..16].copy_from_slice(&h2[i].to_le_bytes());
            row[16..].copy_from_slice(&lines[i].to_le_bytes());
            next[p] += 1;
        }
        for (p, (from, to)) in starts.iter().zip(&next).enumerate() {
            put(p, &block[from * ROW..to * ROW])?;
        }
    }
    Ok(())
}

impl Spill {
    /// A spill whose rows go to memory while `room` bytes last, then to a folder under
    /// `temp` (named now, made then).
    fn new(temp: &Path, room: usize) -> Spill {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = temp.join(format!("sotecheck-spill-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
        let partitions = Partitions { memory: vec![Vec::new(); PARTITIONS], room, files: Vec::new() };
        Spill { dir, writer: Mutex::new(Writer::Idle(Some(partitions))), rows: AtomicU64::new(0) }
    }

    /// Makes the folder and its partition files.
    fn create_files(dir: &Path) -> std::io::Result<Vec<BufWriter<File>>> {
        // A new folder (not an existing one someone prepared), private to this run.
        std::fs::create_dir(dir)?;
        (0..PARTITIONS).map(|p| Ok(BufWriter::with_capacity(1 << 16, File::create_new(dir.join(format!("{p}.bin")))?))).collect()
    }

    /// The partitions, once the write under way (if any) is done; its error if it failed
    /// (the partitions are then gone, and later writes fail).
    fn partitions(&self) -> std::io::Result<Option<Partitions>> {
        let mut writer = self.writer.lock().map_err(|_| std::io::Error::other("a spill writer panicked"))?;
        match std::mem::replace(&mut *writer, Writer::Idle(None)) {
            Writer::Idle(partitions) => Ok(partitions),
            Writer::Writing(write) => write.join().unwrap_or_else(|_| Err(std::io::Error::other("the spill writer panicked"))).map(Some),
        }
    }

    fn put(&self, writer: Writer) {
        if let Ok(mut w) = self.writer.lock() {
            *w = writer;
        }
    }
}

/// The rows whose 128-bit hash another row shares: how many, and the first `limit` lines,
/// sorted. `h1`: each row's first half; `rest(row)`: its second half and line; `search`:
/// how the repeated first halves are found.
fn duplicate_lines(h1: &[u64], search: fn(&[u64]) -> HashSet<u64>, rest: impl Fn(usize) -> (u64, u32), limit: usize) -> (u64, Vec<u64>) {
    // Repeated first hashes by sorting a copy (bucket by bucket): on 10 M rows about five
    // times faster than a hash table of the keys. Rows whose first hash repeats are the
    // candidates; rows that share both hashes (128 bits) are the duplicates.
    let repeated = search(h1);
    if repeated.is_empty() {
        return (0, Vec::new());
    }
    let mut candidates: Vec<(u64, u64, u64)> = (0..h1.len())
        .filter(|&i| repeated.contains(&h1[i]))
        .map(|i| {
            let (h2, line) = rest(i);
            (h1[i], h2, line as u64)
        })
        .collect();
    candidates.par_sort_unstable();
    let mut failing_lines: Vec<u64> =
        candidates.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)).filter(|run| run.len() > 1).flat_map(|run| run.iter().map(|r| r.2)).collect();
    failing_lines.sort_unstable();
    let failing = failing_lines.len() as u64;
    failing_lines.truncate(limit);
    (failing, failing_lines)
}

/// The values occurring more than once in `h` (uniformly distributed hashes). They are
/// scattered into buckets by their top bits (about 64 values a bucket), and each bucket is
/// sorted on its own, in parallel: on 10 M hashes faster than sorting them all. The
/// scatter is parallel too: each thread counts, then places, the values of its own part
/// into its own slots of every bucket.
pub fn repeated_values(h: &[u64]) -> HashSet<u64> {
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

/// `repeated_values` on one thread: the values scattered by their top bits into about as
/// many buckets as values (counted first, so each bucket is a slice), and the few buckets
/// holding more than one value sorted. Spilled partitions are searched so, one a thread:
/// the parallel search made thousands of tiny tasks per partition (10 M spilled rows: the
/// duplicate-id judge 153 → 87 ms, mean of 5, with the first hash halves alone decoded).
/// A table's hashes held in memory keep the parallel search (1 M rows: 9–13 ms, against
/// 16–20 ms on one thread).
fn repeated_in_one_thread(h: &[u64]) -> HashSet<u64> {
    let bits = h.len().max(2).ilog2().clamp(1, 24);
    let (buckets, shift) = (1usize << bits, 64 - bits);
    let mut starts = vec![0u32; buckets + 1];
    for &v in h {
        starts[(v >> shift) as usize + 1] += 1;
    }
    for b in 0..buckets {
        starts[b + 1] += starts[b];
    }
    let mut next = starts.clone();
    let mut scattered = vec![0u64; h.len()];
    for &v in h {
        let b = (v >> shift) as usize;
        scattered[next[b] as usize] = v;
        next[b] += 1;
    }
    let mut repeated = HashSet::new();
    for w in starts.windows(2) {
        let bucket = &mut scattered[w[0] as usize..w[1] as usize];
        if bucket.len() > 1 {
            bucket.sort_unstable();
            repeated.extend(bucket.windows(2).filter(|p| p[0] == p[1]).map(|p| p[0]));
        }
    }
    repeated
}

/// The scatter's output, written by several threads at disjoint places.
struct SharedSlots(*mut u64);
// SAFETY: each thread writes its own slots only (see `repeated_values`).
unsafe impl Sync for SharedSlots {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_values_are_found_in_every_bucket() {
        let mut h: Vec<u64> = (0..100_000u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
        h.extend([h[5], h[99_999], h[5], u64::MAX, u64::MAX, 0, 0]);
        let mut expected = vec![h[5], h[99_999], u64::MAX, 0];
        expected.sort_unstable();
        // Both searches (a partition's, on one thread, and a whole table's, in parallel).
        for search in [repeated_in_one_thread, repeated_values] {
            let mut found: Vec<u64> = search(&h).into_iter().collect();
            found.sort_unstable();
            assert_eq!(found, expected);
        }
        // A partition's size at a national year (over a million values): the same answer.
        const LARGE: usize = 1 << 20;
        let mut large: Vec<u64> = (0..LARGE as u64 + 7).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
        large.extend([large[1], large[LARGE]]);
        let mut found: Vec<u64> = repeated_values(&large).into_iter().collect();
        found.sort_unstable();
        let mut expected = vec![large[1], large[LARGE]];
        expected.sort_unstable();
        assert_eq!(found, expected);
        assert_eq!(repeated_in_one_thread(&large), repeated_values(&large));
    }

    /// Keys with duplicates spread over the batches; the same answer spilled at any
    /// budget, and the folder gone once the hashes are dropped.
    #[test]
    fn spilled_duplicates_equal_the_in_memory_ones_and_the_folder_is_removed() {
        let key = |i: u64| if i % 97 == 0 { i % 1000 } else { i };
        let batch = |from: u64, to: u64| {
            let keys: Vec<u64> = (from..to).map(key).collect();
            KeyHashes::new(
                keys.iter().map(|k| k.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect(),
                keys.iter().map(|k| k.wrapping_mul(0xC2B2_AE3D_27D4_EB4F).rotate_left(17)).collect(),
                (from..to).map(|l| l as u32 + 2).collect(),
            )
        };
        let temp = std::env::temp_dir().join(format!("sotecheck-keyhash-test-{}", std::process::id()));
        std::fs::create_dir_all(&temp).unwrap();
        let mut whole = KeyHashes::default();
        for b in 0..20 {
            whole.append(batch(b * 5000, (b + 1) * 5000));
        }
        let expected = whole.duplicates(10).unwrap();
        assert!(expected.failing > 1000, "{expected:?}");
        // Rows written out go to files (0, 1), to memory, then to files (4999, 12 000), or
        // to memory only (60 000: three times the budget holds them).
        for (budget, files) in [(0, true), (1, true), (4999, true), (12_000, true), (60_000, false)] {
            let mut spilled = KeyHashes::default();
            for b in 0..20 {
                spilled.append(batch(b * 5000, (b + 1) * 5000));
                spilled.bound(budget, &temp).unwrap();
            }
            assert!(spilled.spilled());
            assert_eq!(spilled.len(), 100_000);
            assert_eq!(spilled.duplicates(10).unwrap(), expected, "budget {budget}");
            assert_eq!(spilled.duplicates(10).unwrap(), expected, "budget {budget}, judged again");
            let spill = spilled.spill.as_ref().unwrap();
            let dir = spill.dir.clone();
            assert_eq!(dir.is_dir(), files, "budget {budget}");
            let kept = spill.partitions().unwrap().unwrap();
            let in_memory: usize = kept.memory.iter().flatten().map(Vec::len).sum();
            assert_eq!(in_memory > 0, budget >= 4999, "budget {budget}");
            spill.put(Writer::Idle(Some(kept)));
            drop(spilled);
            assert!(!dir.exists(), "the spill folder is removed");
        }
        std::fs::remove_dir_all(&temp).unwrap();
    }
}
