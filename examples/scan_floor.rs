//! The benchmark's floor: a bare polars scan of a package's tables, reading every column
//! once (CSV as text, Parquet as stored) and nothing else. `sotecheck validate` is measured
//! against this. Usage: `cargo run --release --example scan_floor -- PACKAGE`.

use polars::prelude::*;
use std::path::Path;

fn main() -> PolarsResult<()> {
    let dir = std::env::args().nth(1).expect("usage: scan_floor PACKAGE");
    let desc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&dir).join("datapackage.json"))?).expect("descriptor");
    let mut rows = 0;
    for r in desc["resources"].as_array().expect("resources") {
        let path = Path::new(&dir).join(r["path"].as_str().expect("path"));
        let p = PlRefPath::new(path.to_string_lossy().as_ref());
        let lf = if r["format"] == "parquet" {
            LazyFrame::scan_parquet(p, Default::default())?
        } else {
            let sep = r["dialect"]["delimiter"].as_str().unwrap_or(",").as_bytes()[0];
            LazyCsvReader::new(p).with_separator(sep).with_infer_schema_length(Some(0)).finish()?
        };
        rows += lf.collect()?.height();
    }
    println!("{rows}");
    Ok(())
}
