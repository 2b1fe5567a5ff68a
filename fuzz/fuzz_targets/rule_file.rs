//! Fuzzes the rule-file parser: any TOML text gives a rule or span errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = sotecheck::rules::parse::parse_rule(Path::new("rules/codes/fuzzed.toml"), "codes", text);
});
