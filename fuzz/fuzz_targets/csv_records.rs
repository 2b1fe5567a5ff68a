//! Fuzzes the CSV loader on a one-table package: the first byte picks the dialect, the
//! rest is `activity.csv`. Whole and streamed, it must give a table or input problems,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "shared.rs"]
mod shared;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, csv)) = data.split_first() else { return };
    let delimiter = [",", ";", "\t", "|"][(pick & 3) as usize];
    let encoding = if pick & 4 == 0 { "utf-8" } else { "windows-1252" };
    let header = pick & 8 == 0;
    let decimal = if pick & 16 == 0 { "." } else { "," };
    let group = if pick & 32 == 0 { "" } else { " " };
    let descriptor = serde_json::json!({
        "name": "fuzz",
        "sote": {"region": "08", "period": {"start": "2025-01-01", "end": "2025-12-31"},
                 "classifications": {"service": "virta-palvelut@1.1"}},
        "resources": [{"name": "activity", "path": "activity.csv", "format": "csv", "encoding": encoding,
                       "dialect": {"delimiter": delimiter, "header": header, "decimalChar": decimal, "groupChar": group}}]
    });
    shared::open_both(&descriptor.to_string(), "activity.csv", csv);
});
