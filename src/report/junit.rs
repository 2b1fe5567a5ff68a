//! The JUnit XML view for CI: one testsuite per package, one testcase per rule. A failed
//! gate rule is a `failure`; a rule that could not be evaluated, or a package with input
//! errors, is an `error`; warnings and info pass with their text in system-out.

use super::{Finding, Report, Status};
use junit_report::{Duration, OffsetDateTime, ReportBuilder, TestCase, TestSuiteBuilder};

fn detail(f: &Finding) -> String {
    let mut s = format!(
        "{} — {} of {} failing ({}), threshold: {}",
        f.title,
        f.rows_failing,
        f.rows_evaluated,
        crate::rules::model::pct(f.failing_share),
        f.threshold
    );
    if !f.failing_by_column.is_empty() {
        let parts: Vec<String> = f.by_column_ranked().iter().map(|(c, n)| format!("{c} {n}")).collect();
        s.push_str(&format!("\n  failing by column: {}", parts.join(", ")));
    }
    for sample in &f.samples {
        s.push_str("\n  ");
        if let Some(l) = sample.line {
            s.push_str(&format!("{} {l}: ", f.position));
        } else if let Some(k) = &sample.key {
            s.push_str(&format!("{k}: "));
        }
        let vals: Vec<String> = sample.values.iter().map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("∅"))).collect();
        s.push_str(&vals.join(" "));
    }
    s
}

pub fn render(report: &Report) -> String {
    let mut builder = ReportBuilder::new();
    for p in &report.packages {
        let mut suite = TestSuiteBuilder::new(&p.package);
        // Fixed timestamp: reports must be byte-for-byte reproducible.
        suite.set_timestamp(OffsetDateTime::UNIX_EPOCH);
        for problem in p.input_problems.iter().filter(|x| x.level == crate::package::problem::Level::Error) {
            let mut place = problem.file.clone();
            if let Some(l) = problem.line {
                place.push_str(&format!(":{l}"));
            }
            let mut tc = TestCase::error(
                &format!("input:{}:{place}", problem.code.as_str()),
                Duration::ZERO,
                &problem.code.as_str(),
                &problem.message,
            );
            tc.set_classname(&format!("{}.input", p.package));
            suite.add_testcase(tc);
        }
        for f in &p.findings {
            let name = f.rule.as_str();
            let mut tc = match f.status {
                Status::Fail => TestCase::failure(name, Duration::ZERO, &f.kind, &detail(f)),
                Status::NotEvaluated => TestCase::error(name, Duration::ZERO, "not-evaluated", f.reason.as_deref().unwrap_or("")),
                Status::Warning | Status::Info => {
                    let mut tc = TestCase::success(name, Duration::ZERO);
                    tc.set_system_out(&format!("{}: {}", f.status.as_str(), detail(f)));
                    tc
                }
                Status::Pass if f.within_tolerance > 0 => {
                    let mut tc = TestCase::success(name, Duration::ZERO);
                    tc.set_system_out(&format!("pass, {} within tolerance: {}", f.within_tolerance, detail(f)));
                    tc
                }
                Status::Pass => TestCase::success(name, Duration::ZERO),
            };
            tc.set_classname(&format!("{}.{}", p.package, f.family));
            suite.add_testcase(tc);
        }
        builder.add_testsuite(suite.build());
    }
    let mut out = Vec::new();
    builder.build().write_xml(&mut out).expect("writing to memory");
    let mut s = String::from_utf8(out).expect("junit-report writes UTF-8");
    s.push('\n');
    s
}
