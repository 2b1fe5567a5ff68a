//! Fuzzes the descriptor parser: any `datapackage.json` text gives a descriptor or input
//! problems, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sotecheck::codelist::Registry;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    let registry = REGISTRY.get_or_init(Registry::builtin);
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut problems = Vec::new();
    let parsed = sotecheck::package::descriptor::parse(text, registry, &mut problems);
    // A descriptor is returned exactly when no error was found.
    assert_eq!(parsed.is_some(), problems.is_empty(), "{problems:?}");
});
