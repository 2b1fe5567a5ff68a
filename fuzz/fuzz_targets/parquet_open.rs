//! Fuzzes opening a Parquet table: the input is `costs.parquet` of a one-table package,
//! opened whole and streamed. A corrupt file must be an input problem, never a panic
//! (polars' reader panics on some; the loader turns those into `file-unparsable`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shared.rs"]
mod shared;

fuzz_target!(|data: &[u8]| {
    let descriptor = serde_json::json!({
        "name": "fuzz",
        "sote": {"region": "08", "period": {"start": "2025-01-01", "end": "2025-12-31"},
                 "classifications": {"service": "virta-palvelut@1.1"}},
        "resources": [{"name": "costs", "path": "costs.parquet", "format": "parquet"}]
    });
    shared::open_both(&descriptor.to_string(), "costs.parquet", data);
});
