//! Input problems: what is wrong with a package as delivered (descriptor, files, encoding,
//! columns, unparsable values), with the place. They are data; reports render them.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The package cannot be judged as delivered: exit code 2.
    Error,
    /// Reported, does not stop the run.
    Warning,
    /// A note on how the package was read (blank lines ignored, a declared type the
    /// contract overrides); nothing to fix for the comparison.
    Info,
}

/// Every kind of input problem, kebab-case in reports. Public API: the full list is
/// snapshotted by the test-suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemCode {
    /// The package path is neither a folder nor a .zip, or cannot be read.
    PackageUnreadable,
    /// `datapackage.json` is missing or not valid JSON.
    DescriptorInvalid,
    /// The `sote` property is missing or incomplete.
    SoteMissing,
    /// `sote.region` is not a reporting wellbeing services county.
    RegionUnknown,
    /// `sote.period` is not a pair of ISO dates with start ≤ end.
    PeriodInvalid,
    /// A `sote.classifications` entry names a code list sotecheck does not have.
    ClassificationUnknown,
    /// A required table has no resource in the descriptor.
    TableMissing,
    /// A resource's file does not exist.
    FileMissing,
    /// A path leaves the package: absolute, `..` out of its folder, a symbolic link out,
    /// or a .zip entry that would be written outside it (zip-slip).
    PathOutsidePackage,
    /// A path names a folder, FIFO, device or symbolic link (in a .zip), not a regular file.
    FileNotRegular,
    /// A resource names a table the contract does not know; it is ignored.
    ResourceUnknown,
    /// A resource's `format` or `encoding` is not supported.
    FormatUnsupported,
    /// The file is not valid in its declared encoding.
    EncodingInvalid,
    /// The header holds another delimiter than the declared one.
    DelimiterMismatch,
    /// The file could not be parsed (ragged rows, broken quoting, corrupt Parquet).
    FileUnparsable,
    /// A file is larger, longer or wider than a documented limit (docs/package-format.md).
    LimitExceeded,
    /// CSV records with fewer fields than the header; the missing fields read as empty.
    FieldsMissing,
    /// A required column is absent.
    ColumnMissing,
    /// A column the contract does not define; it is ignored.
    ColumnUnknown,
    /// A column name appears twice.
    ColumnDuplicate,
    /// Values that are not of the column's type (date, month, integer, number).
    ValueUnparsable,
    /// Numbers written with a decimal comma that the descriptor does not declare.
    DecimalCommaUndeclared,
    /// A code column stored as a number in Parquet: leading zeros are lost.
    CodeStoredAsNumber,
    /// Blank lines (or lines of delimiters only) at the end of a CSV file: ignored, as
    /// nearly every spreadsheet export writes them.
    BlankLinesIgnored,
    /// A field's declared type differs from the contract's (`integer` inferred by a tool on
    /// a code column); the contract's type is read, and the note says so.
    FieldTypeDiffers,
    /// sotecheck itself failed on this package (a defect to report); the other packages of
    /// the run are checked as usual.
    InternalError,
}

impl ProblemCode {
    pub fn as_str(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
    }

    pub const ALL: &'static [ProblemCode] = &[
        ProblemCode::PackageUnreadable,
        ProblemCode::DescriptorInvalid,
        ProblemCode::SoteMissing,
        ProblemCode::RegionUnknown,
        ProblemCode::PeriodInvalid,
        ProblemCode::ClassificationUnknown,
        ProblemCode::TableMissing,
        ProblemCode::FileMissing,
        ProblemCode::PathOutsidePackage,
        ProblemCode::FileNotRegular,
        ProblemCode::ResourceUnknown,
        ProblemCode::FormatUnsupported,
        ProblemCode::EncodingInvalid,
        ProblemCode::DelimiterMismatch,
        ProblemCode::FileUnparsable,
        ProblemCode::LimitExceeded,
        ProblemCode::FieldsMissing,
        ProblemCode::ColumnMissing,
        ProblemCode::ColumnUnknown,
        ProblemCode::ColumnDuplicate,
        ProblemCode::ValueUnparsable,
        ProblemCode::DecimalCommaUndeclared,
        ProblemCode::CodeStoredAsNumber,
        ProblemCode::BlankLinesIgnored,
        ProblemCode::FieldTypeDiffers,
        ProblemCode::InternalError,
    ];
}

/// One problem with the delivered package and where it is.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct InputProblem {
    pub code: ProblemCode,
    pub level: Level,
    /// File inside the package (or the package itself).
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// First line (CSV, 1-based incl. header) or row (Parquet) where it occurs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// How many values or rows are affected (1 for structural problems).
    pub count: u64,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl InputProblem {
    pub fn new(code: ProblemCode, level: Level, file: impl Into<String>, message: impl Into<String>) -> Self {
        InputProblem {
            code,
            level,
            file: file.into(),
            table: None,
            column: None,
            line: None,
            count: 1,
            message: message.into(),
            help: None,
        }
    }
    pub fn error(code: ProblemCode, file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Level::Error, file, message)
    }
    pub fn warning(code: ProblemCode, file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Level::Warning, file, message)
    }
    pub fn info(code: ProblemCode, file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Level::Info, file, message)
    }
    pub fn table(mut self, t: &str) -> Self {
        self.table = Some(t.to_string());
        self
    }
    pub fn column(mut self, c: &str) -> Self {
        self.column = Some(c.to_string());
        self
    }
    pub fn line(mut self, l: u64) -> Self {
        self.line = Some(l);
        self
    }
    pub fn count(mut self, n: u64) -> Self {
        self.count = n;
        self
    }
    pub fn help(mut self, h: impl Into<String>) -> Self {
        self.help = Some(h.into());
        self
    }
}

/// An input problem that stops a reader, carried through `std::io::Error` (and so through
/// `PolarsError`), so that a scan which meets a ragged or overlong record deep inside can
/// end with the problem itself, line and all, instead of a bare message.
#[derive(Debug)]
pub(crate) struct Stop(pub InputProblem);

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Stop {}

impl Stop {
    pub(crate) fn io(problem: InputProblem) -> std::io::Error {
        std::io::Error::other(Stop(problem))
    }

    /// The problem a reader stopped with, if `e` carries one.
    pub(crate) fn carried(e: &polars::prelude::PolarsError) -> Option<InputProblem> {
        let mut e = e;
        loop {
            match e {
                polars::prelude::PolarsError::IO { error, .. } => {
                    return error.get_ref().and_then(|inner| inner.downcast_ref::<Stop>()).map(|s| s.0.clone())
                }
                polars::prelude::PolarsError::Context { error, .. } => e = error,
                _ => return None,
            }
        }
    }
}

/// Runs a polars read that can panic on a corrupt file (the Parquet reader does, at several
/// places), turning the panic into an error for this table.
pub(crate) fn guarded<T>(read: impl FnOnce() -> polars::prelude::PolarsResult<T>) -> polars::prelude::PolarsResult<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|payload| {
        Err(polars::prelude::PolarsError::ComputeError(format!("the reader failed: {}", panic_message(&payload)).into()))
    })
}

/// The text of a panic's payload.
pub(crate) fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    let text = payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned());
    // The first line only: a panic may carry a backtrace or a dump of the data.
    let text = text.unwrap_or_else(|| "an unexpected error".into());
    // A panic in one of polars' tasks comes back wrapped, with a task number that depends
    // on scheduling: only the inner message is kept, so the report is deterministic.
    let inner = text.split_once("JoinError::Panic(").and_then(|(_, rest)| rest.split('"').nth(1)).unwrap_or(&text);
    inner.lines().next().unwrap_or("").chars().take(200).collect()
}
