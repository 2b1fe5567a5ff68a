//! The HTML view: one self-contained page a manager can open from a mail attachment —
//! verdict, §29 perspectives, coverage charts (inline SVG), what to fix first, every rule
//! with filters by status and family, and for a batch the packages × rules and packages ×
//! perspectives tables. Rendered from `templates/report.html` with auto-escaping, so no
//! value from a package can become markup.

use super::page;
use super::view::View;
use super::Report;

const TEMPLATE: &str = include_str!("templates/report.html");

pub fn render(report: &Report, view: &View) -> String {
    let env = minijinja::Environment::new();
    let page = page::build(report, view);
    // The name decides auto-escaping: `.html` escapes every value.
    let text = env.template_from_named_str("report.html", TEMPLATE).and_then(|t| t.render(&page));
    match text {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        Err(e) => format!(
            "<!DOCTYPE html>\n<html><body><p>sotecheck: the HTML report could not be rendered: {}</p></body></html>\n",
            e.to_string().replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
        ),
    }
}
