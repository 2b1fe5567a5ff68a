//! The Markdown view: a compact summary (verdict, §29 perspectives, what to fix first, the
//! failing rules with their counts) for a merge-request comment or a CI job summary.

use super::page;
use super::view::View;
use super::Report;

const TEMPLATE: &str = include_str!("templates/report.md");

/// Escapes what Markdown reads as markup in a value from a package: table pipes, emphasis,
/// code, links and HTML.
fn md(value: String) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &Report, view: &View) -> String {
    let mut env = minijinja::Environment::new();
    env.add_filter("md", md);
    let page = page::build(report, view);
    let text = env
        .template_from_named_str("report.md", TEMPLATE)
        .and_then(|t| t.render(&page))
        .unwrap_or_else(|e| format!("sotecheck: the Markdown report could not be rendered: {e}\n"));
    let mut text = text.trim_end().to_string();
    text.push('\n');
    text
}
