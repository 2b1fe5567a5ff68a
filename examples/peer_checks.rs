//! The benchmark's peer: eight checks on `activity` written by hand with polars' lazy API,
//! as a data engineer would write them without sotecheck — a typed read (dates, integers,
//! numbers) and one query that counts the failing rows of each check. `sotecheck validate`
//! runs its whole suite (58 rules over five tables) against this.
//!
//! Usage: `cargo run --example peer_checks -- PACKAGE` (prints the eight counts), or
//! `cargo run --example peer_checks -- --floor PACKAGE` (the typed read of `activity` alone,
//! nothing checked: the floor the issue measures against).

use polars::prelude::*;
use std::path::Path;

fn main() -> PolarsResult<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let floor = args.iter().any(|a| a == "--floor");
    let dir = args.iter().find(|a| !a.starts_with("--")).expect("usage: peer_checks [--floor] PACKAGE");
    let desc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(dir).join("datapackage.json"))?).expect("descriptor");
    let res = desc["resources"].as_array().expect("resources").iter().find(|r| r["name"] == "activity").expect("activity");
    let path = Path::new(dir).join(res["path"].as_str().expect("path"));
    let p = PlRefPath::new(path.to_string_lossy().as_ref());
    let lf =
        if res["format"] == "parquet" {
            LazyFrame::scan_parquet(p, Default::default())?
        } else {
            let text = |n: &str| Field::new(n.into(), DataType::String);
            let schema = Schema::from_iter([
                text("event_id"),
                text("event_date"),
                text("service_code"),
                text("unit_oid"),
                text("production"),
                text("municipality"),
                Field::new("age".into(), DataType::Int64),
                text("sex"),
                text("contact_mode"),
                text("professional"),
                text("diagnosis"),
                Field::new("volume".into(), DataType::Float64),
            ]);
            LazyCsvReader::new(p).with_schema(Some(Arc::new(schema))).finish()?.with_column(
                col("event_date").str().to_date(StrptimeOptions { format: Some("%Y-%m-%d".into()), strict: false, ..Default::default() }),
            )
        };
    if floor {
        println!("{}", lf.collect()?.height());
        return Ok(());
    }
    let codes: Vec<String> = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("codelists/virta-palvelut_1.1.csv"))?
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(4) == Some("true"))
        .map(|l| l.split(',').next().unwrap_or("").to_string())
        .collect();
    let codes = Series::new("codes".into(), codes);
    let start = date(2025, 1, 1);
    let end = date(2025, 12, 31);
    let count = |e: Expr, name: &str| e.cast(DataType::UInt32).sum().alias(name);
    let out = lf
        .select([
            count(col("event_id").is_duplicated(), "event_id duplicate"),
            count(col("service_code").is_in(lit(codes).implode(false), false).not(), "service_code unknown"),
            count(col("event_date").lt(lit(start)).or(col("event_date").gt(lit(end))), "event_date outside period"),
            count(col("municipality").str().contains(lit(r"^[0-9]{3}$"), false).not(), "municipality malformed"),
            count(col("age").lt(lit(0)).or(col("age").gt(lit(120))), "age out of range"),
            count(col("sex").is_in(lit(Series::new("s".into(), ["1", "2", "9"])).implode(false), false).not(), "sex invalid"),
            count(
                col("unit_oid").str().contains(lit(r"^1\.2\.246\.10\.[1-9][0-9]{6,7}\.10(\.(0|[1-9][0-9]*))+$"), false).not(),
                "unit_oid invalid",
            ),
            count(col("diagnosis").str().contains(lit(r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$"), false).not(), "diagnosis malformed"),
        ])
        .collect()?;
    for c in out.columns() {
        println!("{}: {}", c.name(), c.get(0)?);
    }
    Ok(())
}

fn date(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}
