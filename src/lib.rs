//! sotecheck: data-quality validation and conformance reports for the data packages that
//! Finnish wellbeing services counties submit for national comparison.

pub mod builtin;
pub mod checks;
pub mod cli;
pub mod codelist;
pub mod examples;
pub mod exec;
pub mod frame;
pub mod generate;
pub mod init;
pub mod keyhash;
pub mod lang;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod options;
pub mod package;
pub mod profile;
pub mod progress;
pub mod redact;
pub mod report;
pub mod rules;
pub mod run;
pub mod spanned;
pub mod suggest;
pub mod suite;
pub mod text;
