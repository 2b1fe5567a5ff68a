//! Declarative rules: one TOML file per rule under `rules/<family>/<rule-id>.toml`, loaded
//! and validated with every mistake shown at its line.

pub mod model;
pub mod parse;

use crate::spanned::SpanError;
use miette::{Diagnostic, LabeledSpan, NamedSource};
pub use model::{Rule, Severity};
use std::path::{Path, PathBuf};

/// All mistakes of one rule or suite file, rendered by miette at their lines.
#[derive(Debug)]
pub struct FileErrors {
    pub path: PathBuf,
    pub source: NamedSource<String>,
    pub errors: Vec<SpanError>,
}

impl std::fmt::Display for FileErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.errors.len();
        write!(f, "{}: {n} mistake{}", self.path.display(), if n == 1 { "" } else { "s" })
    }
}

impl std::error::Error for FileErrors {}

/// One mistake, as its own diagnostic so each gets its label and help.
#[derive(Debug)]
struct One<'a> {
    parent: &'a FileErrors,
    error: &'a SpanError,
}

impl std::fmt::Display for One<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.error.message)
    }
}
impl std::error::Error for One<'_> {}

impl Diagnostic for One<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new("sotecheck::rule-file"))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.error.help.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.parent.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let s = &self.error.span;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(Some("here".into()), s.start..s.end.max(s.start)))))
    }
}

impl FileErrors {
    pub fn new(path: &Path, text: &str, errors: Vec<SpanError>) -> Self {
        FileErrors { path: path.to_path_buf(), source: NamedSource::new(path.display().to_string(), text.to_string()), errors }
    }

    /// Renders every mistake with miette (no colour, fixed width: stable for snapshots).
    pub fn render(&self) -> String {
        let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor()).with_width(100);
        let mut out = format!("{self}\n");
        for e in &self.errors {
            let mut s = String::new();
            let _ = handler.render_report(&mut s, &One { parent: self, error: e });
            out.push_str(&s);
        }
        out
    }
}

/// Loads every rule file below `dir` (`<family>/<id>.toml`), sorted by id. Returns the
/// rules and the files that had mistakes.
pub fn load_dir(dir: &Path) -> std::io::Result<(Vec<Rule>, Vec<FileErrors>)> {
    let mut files = Vec::new();
    for fam in std::fs::read_dir(dir)? {
        let fam = fam?.path();
        if !fam.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&fam)? {
            let f = f?.path();
            if f.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&f)?;
                files.push((f, text));
            }
        }
    }
    Ok(load_texts(files))
}

/// Rules from (path, text) pairs; the family is the path's folder.
pub fn load_texts(mut files: Vec<(PathBuf, String)>) -> (Vec<Rule>, Vec<FileErrors>) {
    files.sort();
    let (mut rules, mut bad) = (Vec::new(), Vec::new());
    for (f, text) in files {
        let family = f.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str()).unwrap_or("").to_string();
        match parse::parse_rule(&f, &family, &text) {
            Ok(r) => rules.push(r),
            Err(errors) => bad.push(FileErrors::new(&f, &text, errors)),
        }
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    (rules, bad)
}

/// The rules shipped with sotecheck (the source tree's, or the embedded copies).
pub fn builtin() -> (Vec<Rule>, Vec<FileErrors>) {
    load_texts(crate::builtin::rule_files())
}

/// The rules folder shipped with sotecheck, in the source tree.
pub fn builtin_dir() -> PathBuf {
    crate::builtin::rules_dir()
}
