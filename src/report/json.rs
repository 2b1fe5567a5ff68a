//! The JSON view: the report model serialised as documented in docs/report-schema.md.

use super::Report;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("the report model always serialises");
    s.push('\n');
    s
}

/// Only the batch summary (`--summary`): the packages' verdicts by region and the batch.
pub fn render_summary(report: &Report) -> String {
    let packages: Vec<serde_json::Value> = report
        .packages
        .iter()
        .map(|p| serde_json::json!({"package": p.package, "region": p.region, "verdict": p.verdict, "summary": p.summary}))
        .collect();
    let v = serde_json::json!({
        "schema_version": report.schema_version,
        "suite": report.suite,
        "fail_on": report.fail_on,
        "packages": packages,
        "batch": report.batch,
    });
    let mut s = serde_json::to_string_pretty(&v).expect("serialises");
    s.push('\n');
    s
}
