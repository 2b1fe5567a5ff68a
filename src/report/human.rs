//! The terminal view: a summary table per package, the input problems, then one miette
//! diagnostic per failing or warning rule with the rows that show the defect.

use super::{Finding, PackageReport, Report, Status, Verdict};
use crate::package::problem::Level;
use crate::rules::model::pct;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

#[derive(Debug)]
struct FindingDiag<'a>(&'a Finding, String);

impl std::fmt::Display for FindingDiag<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.title)
    }
}
impl std::error::Error for FindingDiag<'_> {}
impl Diagnostic for FindingDiag<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.0.rule))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.0.status {
            Status::Fail => miette::Severity::Error,
            Status::Warning => miette::Severity::Warning,
            _ => miette::Severity::Advice,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.1))
    }
}

fn fmt_count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Conformant => "CONFORMANT",
        Verdict::GateFailed => "NOT CONFORMANT (gate failed)",
        Verdict::InputError => "INPUT ERROR (the package could not be fully read)",
    }
}

fn package(p: &PackageReport, out: &mut String) {
    out.push_str(&format!("package {} ({})\n", p.package, p.source));
    if let (Some(r), Some(period)) = (&p.region, &p.period) {
        let cls: Vec<String> = p.classifications.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!("  region {r} · period {} … {} · {}\n", period[0], period[1], cls.join(" · ")));
    }
    out.push_str(&format!("  verdict: {}\n", verdict(p.verdict)));
    if !p.input_problems.is_empty() {
        out.push_str("\ninput problems:\n");
        for x in &p.input_problems {
            let lvl = match x.level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Info => "info",
            };
            let mut place = x.file.clone();
            if let Some(l) = x.line {
                place.push_str(&format!(":{l}"));
            }
            if let Some(c) = &x.column {
                place.push_str(&format!(" column `{c}`"));
            }
            out.push_str(&format!("  {lvl}[{}] {place}: {}\n", x.code.as_str(), x.message));
            if let Some(h) = &x.help {
                out.push_str(&format!("      help: {h}\n"));
            }
        }
    }
    if p.findings.is_empty() {
        return;
    }
    let w = p.findings.iter().map(|f| f.rule.len()).max().unwrap_or(4).max(4);
    out.push_str(&format!(
        "\n  {:<13} {:<w$}  {:<12} {:>10} {:>9} {:>10}  threshold\n",
        "status", "rule", "table", "evaluated", "failing", "measured"
    ));
    for f in &p.findings {
        let measured = if f.status == Status::NotEvaluated {
            "—".to_string()
        } else {
            format!("{} {}", pct(f.measured.value), if f.measured.name == "coverage" { "cov" } else { "" }).trim().to_string()
        };
        out.push_str(&format!(
            "  {:<13} {:<w$}  {:<12} {:>10} {:>9} {:>10}  {}\n",
            if f.within_tolerance > 0 { "PASS (within)".to_string() } else { f.status.as_str().to_uppercase() },
            f.rule,
            f.table,
            fmt_count(f.rows_evaluated),
            fmt_count(f.rows_failing),
            measured,
            if f.status == Status::NotEvaluated { f.reason.clone().unwrap_or_default() } else { f.threshold.clone() }
        ));
    }
    let tolerated: Vec<&Finding> = p.findings.iter().filter(|f| f.within_tolerance > 0).collect();
    if !tolerated.is_empty() {
        out.push_str("\n  passing within tolerance:\n");
        for f in tolerated {
            let unit = if f.samples.iter().any(|s| s.line.is_some()) { "rows" } else { "items" };
            out.push_str(&format!(
                "    {}: pass, {} {unit} within tolerance ({} of {}; threshold: {})\n",
                f.rule,
                fmt_count(f.within_tolerance),
                pct(f.failing_share),
                fmt_count(f.rows_evaluated),
                f.threshold
            ));
        }
    }
    for f in p.findings.iter().filter(|f| matches!(f.status, Status::Fail | Status::Warning | Status::Info)) {
        out.push('\n');
        out.push_str(&finding(f));
    }
    let s = &p.summary;
    out.push_str(&format!(
        "\n  {} rules: {} passed, {} failed, {} warnings, {} info, {} not evaluated\n",
        s.rules, s.passed, s.failed, s.warnings, s.info, s.not_evaluated
    ));
}

/// One finding as the terminal shows it: what failed, how much, where, and why it matters.
pub fn finding(f: &Finding) -> String {
    let help = details(f);
    let mut s = String::new();
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100);
    let _ = handler.render_report(&mut s, &FindingDiag(f, help));
    s
}

/// A finding's details as plain lines: counts, columns, samples with their file and line,
/// where failing rows come from, notes, why it matters and how to read more (the body of
/// the terminal view and of a JUnit failure).
pub fn details(f: &Finding) -> String {
    let mut help = format!(
        "{} of {} {} failing ({}) in {}{}; threshold: {}",
        fmt_count(f.rows_failing),
        fmt_count(f.rows_evaluated),
        if f.samples.iter().any(|s| s.line.is_some()) { "rows" } else { "items" },
        pct(f.failing_share),
        f.table,
        if f.columns.is_empty() { String::new() } else { format!(".{}", f.columns.join(",")) },
        f.threshold
    );
    if !f.failing_by_column.is_empty() {
        let parts: Vec<String> = f.by_column_ranked().iter().map(|(c, n)| format!("{c} {}", fmt_count(*n))).collect();
        help.push_str(&format!("\nfailing by column: {}", parts.join(", ")));
    }
    if !f.samples.is_empty() {
        help.push_str("\nfirst failing:");
        for s in &f.samples {
            let place = match (s.line, &s.key) {
                (Some(l), _) if f.file.is_empty() => format!("line {l}"),
                (Some(l), _) => format!("{}:{l}", f.file),
                (None, Some(k)) => k.clone(),
                _ => String::new(),
            };
            // An item keyed by its only value (a missing month) needs no repeat of it.
            let vals: Vec<String> = s
                .values
                .iter()
                .filter(|(_, v)| s.key.is_none() || v.as_deref() != s.key.as_deref())
                .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("∅")))
                .collect();
            help.push_str(format!("\n  {place}  {}", vals.join(" ")).trim_end());
        }
    }
    if !f.breakdown.is_empty() {
        help.push_str("\nwhere it comes from:");
        let weighted = f.breakdown.iter().any(|b| b.total != b.rows as f64 || b.failing != b.failing_rows as f64);
        for b in &f.breakdown {
            let mut line =
                format!("\n  {}: {} of {} rows", b.group.as_deref().unwrap_or("∅"), fmt_count(b.failing_rows), fmt_count(b.rows));
            if weighted {
                let n = |x: f64| crate::frame::number((x * 100.0).round() / 100.0);
                line.push_str(&format!(", {} of {} by measure", n(b.failing), n(b.total)));
            }
            help.push_str(&line);
        }
    }
    for n in &f.notes {
        help.push_str(&format!("\n{n}"));
    }
    if !f.why.is_empty() {
        help.push_str(&format!("\nwhy it matters: {}", f.why));
    }
    help.push_str(&format!("\nexplain: sotecheck explain {}", f.rule));
    help
}

/// A few lines for the console when the report itself went elsewhere: each package's
/// verdict and counts, and the files written.
pub fn summary(report: &Report, files: &[(impl std::fmt::Debug, std::path::PathBuf)]) -> String {
    let mut out = String::new();
    for p in &report.packages {
        let s = &p.summary;
        out.push_str(&format!(
            "sotecheck: {}: {} — {} rules: {} failed, {} warnings, {} not evaluated; {} input problems\n",
            p.package,
            verdict(p.verdict),
            s.rules,
            s.failed,
            s.warnings,
            s.not_evaluated,
            p.input_problems.len()
        ));
    }
    for (format, path) in files {
        out.push_str(&format!("sotecheck: wrote the {} report to {}\n", format!("{format:?}").to_lowercase(), path.display()));
    }
    out
}

pub fn render(report: &Report) -> String {
    let mut out = format!("sotecheck · suite {}\n\n", report.suite);
    for (i, p) in report.packages.iter().enumerate() {
        if i > 0 {
            out.push_str("\n────────\n\n");
        }
        package(p, &mut out);
    }
    matrix(report, &mut out);
    out
}

/// The coordinator's view: rules × packages, and per §29 perspective how many packages
/// have a failing rule protecting it (their figures are not comparable on it).
fn matrix(report: &Report, out: &mut String) {
    let Some(batch) = &report.batch else { return };
    let mark = |s: &Status| match s {
        Status::Pass => "·",
        Status::Fail => "✗",
        Status::Warning => "!",
        Status::Info => "i",
        Status::NotEvaluated => "–",
    };
    let n = batch.packages.len();
    if n > 1 {
        let w = batch.matrix.keys().map(|r| r.len()).max().unwrap_or(4).max(4);
        out.push_str("\nregions × verdict:\n");
        for (i, p) in report.packages.iter().enumerate() {
            out.push_str(&format!("  {:>2}. {:<16} {:<40} {}\n", i + 1, p.package, p.source, verdict(p.verdict)));
        }
        out.push_str("\nrules × packages (· pass, ✗ fail, ! warning, i info, – not evaluated):\n");
        out.push_str(&format!("  {:<w$} ", ""));
        for i in 0..n {
            out.push_str(&format!("{:>3}", i + 1));
        }
        out.push('\n');
        for (r, row) in &batch.matrix {
            out.push_str(&format!("  {r:<w$} "));
            for s in row {
                out.push_str(&format!("{:>3}", mark(s)));
            }
            out.push('\n');
        }
        out.push_str("  (rules that pass everywhere are left out; columns are the packages in order above)\n");
        out.push_str("\ncomparability by §29 perspective (packages with a failing rule protecting it):\n");
        for c in &batch.perspectives {
            // By position: two packages may share a name (one region delivered twice).
            let bad: Vec<String> = report
                .packages
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    p.verdict == Verdict::InputError
                        || p.findings.iter().any(|f| f.status == Status::Fail && f.perspectives.contains(&c.perspective))
                })
                .map(|(i, _)| format!("#{}", i + 1))
                .collect();
            out.push_str(&format!(
                "  {:<18} {}/{} comparable{}\n",
                c.perspective,
                c.comparable,
                c.of,
                if bad.is_empty() { String::new() } else { format!(" (not: {})", bad.join(", ")) }
            ));
        }
    }
    if !batch.findings.is_empty() {
        out.push_str("\nfor the coordinator (warnings, not gate failures):\n");
        for f in &batch.findings {
            out.push_str(&format!("  ! [{}] {}\n", f.code, f.message));
        }
    }
}

/// Only the batch summary (`--summary`): each package's verdict, then the batch view.
pub fn batch_summary(report: &Report) -> String {
    let mut out = format!("sotecheck · suite {}\n", report.suite);
    if report.batch.as_ref().is_none_or(|b| b.packages.len() < 2) {
        out.push('\n');
        for p in &report.packages {
            out.push_str(&format!("  {:<16} {}\n", p.package, verdict(p.verdict)));
        }
    }
    matrix(report, &mut out);
    out
}
