//! sotecheck: data-quality validation and conformance reports for the data packages that
//! Finnish wellbeing services counties submit for national comparison.

pub mod builtin;
pub mod checks;
pub mod cli;
pub mod codelist;
pub mod dictionary;
pub mod engine;
pub mod examples;
pub mod frame;
pub mod generate;
pub mod lang;
pub mod memory;
pub mod package;
pub mod report;
pub mod rules;
pub mod suggest;
pub mod suite;
pub mod tally;
pub mod text;
