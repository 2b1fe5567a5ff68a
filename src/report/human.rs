//! The terminal view: a summary table per package, the input problems, then one miette
//! diagnostic per failing or warning rule with the rows that show the defect.

use super::view::{count, View};
use super::{Finding, PackageReport, Report, Status, Verdict};
use crate::package::problem::Level;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

#[derive(Debug)]
struct FindingDiag<'a>(&'a Finding, String, String);

impl std::fmt::Display for FindingDiag<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.1)
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
        Some(Box::new(&self.2))
    }
}

fn fmt_count(n: u64) -> String {
    count(n)
}

fn package(p: &PackageReport, v: &View, out: &mut String) {
    out.push_str(&format!("{} {} ({})\n", v.t("word.package"), p.package, p.source));
    if let (Some(r), Some(period)) = (&p.region, &p.period) {
        let cls: Vec<String> = p.classifications.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!(
            "  {} {r} · {} {} … {} · {}\n",
            v.t("word.region"),
            v.t("word.period"),
            period[0],
            period[1],
            cls.join(" · ")
        ));
    }
    out.push_str(&format!("  {}: {}\n", v.t("word.verdict"), v.verdict(p.verdict)));
    if !p.input_problems.is_empty() {
        out.push_str(&format!("\n{}:\n", v.t("heading.input-problems")));
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
    fix_first(p, v, out);
    // Failures first, then warnings, not evaluated and info; passes one line per family.
    let mut shown: Vec<&Finding> = p.findings.iter().filter(|f| f.status != Status::Pass || f.within_tolerance > 0).collect();
    shown.sort_by(|a, b| (a.status, &a.rule).cmp(&(b.status, &b.rule)));
    let w = shown.iter().map(|f| f.rule.len()).max().unwrap_or(4).max(4).max(v.t("col.rule").chars().count());
    let sw = 13.max(shown.iter().map(|f| v.status_of(f).chars().count()).max().unwrap_or(0));
    out.push_str(&format!(
        "\n  {:<sw$} {:<w$}  {:<12} {:>10} {:>9} {:>10}  {}\n",
        v.t("col.status"),
        v.t("col.rule"),
        v.t("col.table"),
        v.t("col.evaluated"),
        v.t("col.failing"),
        v.t("col.measured"),
        v.t("col.threshold")
    ));
    for f in &shown {
        out.push_str(&format!(
            "  {:<sw$} {:<w$}  {:<12} {:>10} {:>9} {:>10}  {}\n",
            v.status_of(f).to_uppercase(),
            f.rule,
            f.table,
            fmt_count(f.rows_evaluated),
            fmt_count(f.rows_failing),
            v.measured(f),
            if f.status == Status::NotEvaluated { f.reason.clone().unwrap_or_default() } else { v.threshold(f) }
        ));
    }
    let mut passing: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for f in p.findings.iter().filter(|f| f.status == Status::Pass && f.within_tolerance == 0) {
        *passing.entry(f.family.as_str()).or_default() += 1;
    }
    for (family, n) in &passing {
        out.push_str(&format!(
            "  {:<sw$} {}: {}\n",
            v.status(Status::Pass).to_uppercase(),
            v.family(family),
            if *n == 1 { v.fmt("passes.family-one", &[]) } else { v.fmt("passes.family", &[("n", &n.to_string())]) }
        ));
    }
    let tolerated: Vec<&Finding> = p.findings.iter().filter(|f| f.within_tolerance > 0).collect();
    if !tolerated.is_empty() {
        out.push_str(&format!("\n  {}:\n", v.t("heading.passing-within")));
        for f in tolerated {
            let unit = if f.samples.iter().any(|s| s.line.is_some()) { "rows" } else { "items" };
            out.push_str(&format!(
                "    {}: pass, {} {unit} within tolerance ({} of {}; threshold: {})\n",
                f.rule,
                fmt_count(f.within_tolerance),
                v.pct(f.failing_share),
                fmt_count(f.rows_evaluated),
                v.threshold(f)
            ));
        }
    }
    for f in shown.iter().filter(|f| matches!(f.status, Status::Fail | Status::Warning | Status::Info)) {
        out.push('\n');
        out.push_str(&finding_in(f, v));
    }
    out.push_str(&format!("\n  {}\n", v.summary_line(&p.summary)));
}

/// The fix-first list: each cause once, with the rules it breaks and what to do.
fn fix_first(p: &PackageReport, v: &View, out: &mut String) {
    if p.fix_first.is_empty() {
        return;
    }
    out.push_str(&format!("\n  {}:\n", v.t("heading.fix-first")));
    for (i, item) in p.fix_first.iter().enumerate() {
        let (headline, counts, action) = v.fix(item);
        let mark = match item.status {
            Status::Fail => "✗",
            Status::Warning => "!",
            _ => "i",
        };
        out.push_str(&format!("  {:>2}. {mark} {headline}\n", i + 1));
        out.push_str(&format!("         {counts}: {}\n", item.rules.join(", ")));
        if !action.is_empty() {
            out.push_str(&format!("         → {action}\n"));
        }
    }
}

/// One finding as the terminal shows it, in English with the words the finding holds (the
/// rules' snapshots).
pub fn finding(f: &Finding) -> String {
    finding_in(f, &View::plain())
}

/// One finding as the terminal shows it: what failed, how much, where, why it matters and
/// how to fix it.
pub fn finding_in(f: &Finding, v: &View) -> String {
    let help = details_in(f, v);
    let mut s = String::new();
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100);
    let _ = handler.render_report(&mut s, &FindingDiag(f, v.title(f), help));
    s
}

/// A finding's details as plain English lines (the body of a JUnit failure).
pub fn details(f: &Finding) -> String {
    details_in(f, &View::plain())
}

/// A finding's details as plain lines: counts, columns, samples with their file and line
/// (cross-table ones in words), where failing rows come from, notes, why it matters, how to
/// fix it and how to read more.
pub fn details_in(f: &Finding, v: &View) -> String {
    let unit = if f.samples.iter().any(|s| s.line.is_some()) { "rows" } else { "items" };
    let unit = if v.lang == crate::lang::Lang::En { unit } else { v.t(&format!("unit.{unit}")) };
    let place = format!("{}{}", f.table, if f.columns.is_empty() { String::new() } else { format!(".{}", f.columns.join(",")) });
    let mut help = v.fmt(
        "details.counts",
        &[
            ("failing", &fmt_count(f.rows_failing)),
            ("evaluated", &fmt_count(f.rows_evaluated)),
            ("unit", unit),
            ("share", &v.pct(f.failing_share)),
            ("place", &place),
            ("threshold", &v.threshold(f)),
        ],
    );
    if !f.failing_by_column.is_empty() {
        let parts: Vec<String> = f.by_column_ranked().iter().map(|(c, n)| format!("{c} {}", fmt_count(*n))).collect();
        help.push_str(&format!("\n{}: {}", v.t("details.by-column"), parts.join(", ")));
    }
    if !f.samples.is_empty() {
        help.push_str(&format!("\n{}:", v.t("details.first-failing")));
        for s in &f.samples {
            help.push_str(format!("\n  {}", v.sample(f, s)).trim_end());
        }
    }
    if !f.breakdown.is_empty() {
        help.push_str(&format!("\n{}:", v.t("details.where")));
        let weighted = f.breakdown.iter().any(|b| b.total != b.rows as f64 || b.failing != b.failing_rows as f64);
        for b in &f.breakdown {
            let rows = v.fmt("details.of-rows", &[("failing", &fmt_count(b.failing_rows)), ("rows", &fmt_count(b.rows))]);
            let mut line = format!("\n  {}: {rows}", b.group.as_deref().unwrap_or("∅"));
            if weighted {
                let n = |x: f64| v.lang.decimal(&crate::frame::number((x * 100.0).round() / 100.0));
                line.push_str(&format!(", {}", v.fmt("details.by-measure", &[("failing", &n(b.failing)), ("total", &n(b.total))])));
            }
            help.push_str(&line);
        }
    }
    for n in &f.notes {
        help.push_str(&format!("\n{n}"));
    }
    let why = v.why(f);
    if !why.is_empty() {
        help.push_str(&format!("\n{}: {why}", v.t("details.why")));
    }
    if let Some(how) = v.how_to_fix(f) {
        help.push_str(&format!("\n{}: {how}", v.t("details.how")));
    }
    let lang = if v.lang == crate::lang::Lang::Fi { " --lang fi" } else { "" };
    help.push_str(&format!("\n{}: sotecheck explain {}{lang}", v.t("details.explain"), f.rule));
    help
}

/// A few lines for the console when the report itself went elsewhere: each package's
/// verdict and counts, and the files written.
pub fn summary(report: &Report, files: &[(impl std::fmt::Debug, std::path::PathBuf)]) -> String {
    let v = View::plain();
    let mut out = String::new();
    for p in &report.packages {
        let s = &p.summary;
        let counted = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        out.push_str(&format!(
            "sotecheck: {}: {} — {}: {} failed, {}, {} not evaluated; {}\n",
            p.package,
            v.verdict(p.verdict),
            counted(s.rules, "rule", "rules"),
            s.failed,
            counted(s.warnings, "warning", "warnings"),
            s.not_evaluated,
            counted(p.input_problems.len(), "input problem", "input problems"),
        ));
    }
    for (format, path) in files {
        out.push_str(&format!("sotecheck: wrote the {} report to {}\n", format!("{format:?}").to_lowercase(), path.display()));
    }
    out
}

pub fn render(report: &Report, v: &View) -> String {
    let mut out = format!("sotecheck · {} {}\n\n", v.t("word.suite"), report.suite);
    for (i, p) in report.packages.iter().enumerate() {
        if i > 0 {
            out.push_str("\n────────\n\n");
        }
        package(p, v, &mut out);
    }
    matrix(report, v, &mut out);
    out
}

/// The coordinator's view: rules × packages, and per §29 perspective how many packages
/// have a failing rule protecting it (their figures are not comparable on it).
fn matrix(report: &Report, v: &View, out: &mut String) {
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
        out.push_str(&format!("\n{}:\n", v.t("matrix.regions")));
        for (i, p) in report.packages.iter().enumerate() {
            out.push_str(&format!("  {:>2}. {:<16} {:<40} {}\n", i + 1, p.package, p.source, v.verdict(p.verdict)));
        }
        out.push_str(&format!("\n{}:\n", v.t("matrix.rules")));
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
        out.push_str(&format!("  ({})\n", v.t("matrix.note")));
        out.push_str(&format!("\n{}:\n", v.t("matrix.perspectives")));
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
            let pw = crate::rules::model::PERSPECTIVES.iter().map(|p| v.perspective(p).chars().count()).max().unwrap_or(18).max(18);
            out.push_str(&format!(
                "  {:<pw$} {}{}\n",
                v.perspective(&c.perspective),
                v.fmt("comparable.of", &[("n", &c.comparable.to_string()), ("of", &c.of.to_string())]),
                if bad.is_empty() { String::new() } else { format!(" ({})", v.fmt("comparable.not", &[("list", &bad.join(", "))])) }
            ));
        }
    }
    if !batch.findings.is_empty() {
        out.push_str(&format!("\n{}:\n", v.t("matrix.coordinator")));
        for f in &batch.findings {
            out.push_str(&format!("  ! [{}] {}\n", f.code, f.message));
        }
    }
}

/// Only the batch summary (`--summary`): each package's verdict, then the batch view.
pub fn batch_summary(report: &Report, v: &View) -> String {
    let mut out = format!("sotecheck · {} {}\n", v.t("word.suite"), report.suite);
    if report.batch.as_ref().is_none_or(|b| b.packages.len() < 2) {
        out.push('\n');
        for p in &report.packages {
            out.push_str(&format!("  {:<16} {}\n", p.package, v.verdict(p.verdict)));
        }
    }
    matrix(report, v, &mut out);
    out
}
