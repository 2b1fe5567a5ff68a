//! Profiling aids: phase timings and peak memory on standard error, when the options ask
//! for them. Reports never carry timings, so they diff cleanly.

use crate::options::Timings;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Prints how long `what` took since `started`, with the peak memory so far.
pub fn timing(timings: Timings, what: &str, started: Instant) {
    if timings != Timings::Off {
        eprintln!("[timing] {:>9.3} ms  peak {:>6} MB  {what}", started.elapsed().as_secs_f64() * 1000.0, peak_rss_mb());
    }
}

/// The process's peak resident memory so far (Linux; 0 elsewhere).
pub fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    kb.unwrap_or(0) / 1024
}

/// Time spent per phase over the batches of a stream, and how much of it ran side by
/// side; what is left of the pass is reading and typing the batches.
pub struct Phases {
    on: bool,
    spent: BTreeMap<String, Duration>,
    overlapped: Duration,
}

impl Phases {
    pub fn new(timings: Timings) -> Phases {
        Phases { on: timings != Timings::Off, spent: BTreeMap::new(), overlapped: Duration::ZERO }
    }

    pub fn add(&mut self, phase: &str, started: Instant) {
        if self.on {
            *self.spent.entry(phase.to_string()).or_default() += started.elapsed();
        }
    }

    /// A phase that took `took` beside the phases timed in the same `wall` time: what
    /// the two took beyond it ran side by side, and is not wall time of the pass.
    pub fn add_overlapping(&mut self, phase: &str, took: Duration, beside: Duration, wall: Duration) {
        if self.on {
            *self.spent.entry(phase.to_string()).or_default() += took;
            self.overlapped += (took + beside).saturating_sub(wall);
        }
    }

    pub fn report(&self, pass_started: Instant) {
        if !self.on {
            return;
        }
        let spent = self.spent.values().sum::<Duration>().saturating_sub(self.overlapped);
        for (phase, d) in &self.spent {
            eprintln!("[timing] {:>9.3} ms    {phase}", d.as_secs_f64() * 1000.0);
        }
        eprintln!(
            "[timing] {:>9.3} ms    of the above, side by side (fused row rules beside the aggregates)",
            self.overlapped.as_secs_f64() * 1000.0
        );
        eprintln!(
            "[timing] {:>9.3} ms    read and type batches (a CSV file's: the wait for its reader, which runs beside)",
            (pass_started.elapsed().saturating_sub(spent)).as_secs_f64() * 1000.0
        );
    }
}
