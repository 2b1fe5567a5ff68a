//! How the executor runs, decided once by the command line (from its flags or the
//! environment) and passed down: the library itself reads no environment.

/// What `--timings` (or `SOTECHECK_TIMINGS`) asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Timings {
    #[default]
    Off,
    /// Phase timings on standard error (per table load, fused scan, aggregate; per batch
    /// phase for streamed tables).
    Phases,
    /// Also each row rule alone, to see which expressions cost.
    Rules,
}

/// The executor's switches. None of them changes a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineOptions {
    /// Judge costly expressions once per distinct value (`exec::dictionary`, `exec::tally`)
    /// instead of on every row; off only to measure what that saves.
    pub per_value: bool,
    pub timings: Timings,
    /// Print each fused scan's optimised polars plan on standard error.
    pub debug_plan: bool,
    /// Rows of duplicate-key hashes (20 bytes each) a streamed table keeps as read before
    /// they are written out by partition: to memory up to three times this, then to a
    /// temporary folder (`keyhash`). The default, 4 M rows (80 MB): measured on 10 M CSV
    /// rows, spilling costs no time beyond noise (6.7–7.3 s against 6.8–7.6 s) and saves
    /// 250 MB of peak memory (0.90–0.96 → 0.70 GB), when every spill went to files.
    pub hash_rows_in_memory: usize,
    /// A status line on standard error (`crate::progress`): tables, batches, rows per second.
    pub progress: bool,
}

/// The default of [`EngineOptions::hash_rows_in_memory`].
pub const HASH_ROWS_IN_MEMORY: usize = 4 << 20;

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            per_value: true,
            timings: Timings::Off,
            debug_plan: false,
            hash_rows_in_memory: HASH_ROWS_IN_MEMORY,
            progress: false,
        }
    }
}
