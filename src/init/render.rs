//! What `init` says it did: the package, each table with its file and what was inferred, and
//! what it could not decide, with the next command; made safe to show (`redact`).

use super::Described;
use std::path::Path;

/// The printout; `written` is where the descriptor went.
pub fn render(d: &Described, folder: &Path, written: &Path) -> String {
    let mut out = format!("sotecheck init: wrote {}\n\n", written.display());
    let county = d.region_name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
    out.push_str(&format!("package {} · region {}{county} · period {} … {} · service {}\n", d.name, d.region, d.start, d.end, d.service));
    out.push_str("\ntables:\n");
    if d.tables.is_empty() {
        out.push_str("  none found\n");
    }
    let wt = d.tables.iter().map(|t| t.table.chars().count()).max().unwrap_or(0);
    let wf = d.tables.iter().map(|t| t.file.chars().count()).max().unwrap_or(0);
    for t in &d.tables {
        out.push_str(&format!("  {:<wt$}  {:<wf$}  {}\n", t.table, t.file, t.summary));
        if let Some(why) = &t.guess {
            out.push_str(&format!("  {:<wt$}  guessed from the file name: {why}\n", ""));
        }
        for i in &t.inferred {
            out.push_str(&format!("  {:<wt$}  {i}\n", ""));
        }
    }
    if !d.other_files.is_empty() {
        out.push_str(&format!("\nnot described (neither CSV nor Parquet): {}\n", d.other_files.join(", ")));
    }
    if d.undecided.is_empty() {
        out.push_str("\ncould not decide: nothing\n");
    } else {
        out.push_str("\ncould not decide (edit datapackage.json, or fix the files and run init again with --force):\n");
        for u in &d.undecided {
            out.push_str(&format!("  - {u}\n"));
        }
    }
    out.push_str(&format!("\nnext: sotecheck validate {}\n", folder.display()));
    // File names, header names and values come from the folder: identity codes masked, no
    // escape sequence reaches the terminal.
    crate::redact::shown_message(&out)
}
