//! A status line on standard error while packages are read and checked: the package, the
//! table (of how many), batches and rows read, rows per second. The command line turns it
//! on only when standard error is a terminal; it never touches a report or standard output,
//! and it is cleared before the report is printed.

use std::io::Write;
use std::sync::Mutex;
use std::time::Instant;

/// One line at a time, whichever package (they are checked in parallel) speaks.
static LINE: Mutex<()> = Mutex::new(());

/// The widest line written, so that it fits an ordinary terminal without wrapping.
const WIDTH: usize = 100;

/// Writes `text` over the current status line.
pub fn show(on: bool, text: &str) {
    if !on {
        return;
    }
    let _held = LINE.lock();
    let text: String = text.chars().take(WIDTH).collect();
    let mut err = std::io::stderr().lock();
    // Carriage return and erase-line: the line is rewritten in place.
    let _ = write!(err, "\r\x1b[2K{text}");
    let _ = err.flush();
}

/// Clears the status line.
pub fn clear(on: bool) {
    if !on {
        return;
    }
    let _held = LINE.lock();
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[2K");
    let _ = err.flush();
}

/// The progress of one table of one package.
pub struct Status {
    on: bool,
    prefix: String,
    started: Instant,
    rows: u64,
    batches: u64,
}

impl Status {
    /// `index` of `tables`, 1-based.
    pub fn start(on: bool, package: &str, table: &str, index: usize, tables: usize) -> Status {
        let prefix = format!("sotecheck: {package} · table {index}/{tables} {table}");
        show(on, &format!("{prefix} …"));
        Status { on, prefix, started: Instant::now(), rows: 0, batches: 0 }
    }

    /// A batch of `rows` has been checked.
    pub fn batch(&mut self, rows: usize) {
        self.batches += 1;
        self.rows += rows as u64;
        if self.on {
            show(true, &format!("{} · batch {} · {} · {}", self.prefix, self.batches, rows_text(self.rows), self.rate()));
        }
    }

    /// The table is checked (`rows` when it was read whole).
    pub fn done(&mut self, rows: usize) {
        if self.batches == 0 {
            self.rows = rows as u64;
        }
        if self.on {
            show(true, &format!("{} · {} · {}", self.prefix, rows_text(self.rows), self.rate()));
        }
    }

    fn rate(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        format!("{} rows/s", short(self.rows as f64 / secs))
    }
}

/// `prefix · 12 M of 100 M rows · 1.2 M rows/s` (without `of`: `12 M rows`), for work
/// counted in rows outside a check (`generate`).
pub fn rows(on: bool, prefix: &str, done: u64, of: Option<u64>, started: Instant) {
    if !on {
        return;
    }
    let secs = started.elapsed().as_secs_f64().max(1e-3);
    let count = match of {
        Some(total) => format!("{} of {}", short(done as f64), rows_text(total)),
        None => rows_text(done),
    };
    show(true, &format!("{prefix} · {count} · {} rows/s", short(done as f64 / secs)));
}

fn rows_text(rows: u64) -> String {
    format!("{} rows", short(rows as f64))
}

/// `950`, `12.5 k`, `3.2 M`.
fn short(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.1} M", n / 1e6)
    } else if n >= 1e4 {
        format!("{:.0} k", n / 1e3)
    } else {
        format!("{n:.0}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_read_short() {
        assert_eq!(super::short(950.0), "950");
        assert_eq!(super::short(12_500.0), "12 k");
        assert_eq!(super::short(3_240_000.0), "3.2 M");
    }
}
