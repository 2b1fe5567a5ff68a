//! Reading a table in batches must not change a report. Every fixture package, and small
//! packages with awkward CSV (quoted newlines, doubled quotes, CRLF, no final newline, no
//! header, invalid UTF-8, a ragged row, no rows), is validated read whole and streamed in
//! small batches; the JSON reports must be equal byte for byte.

use sotecheck::package::Batching;
use std::path::{Path, PathBuf};

const WHOLE: Batching = Batching { over_bytes: u64::MAX, batch_bytes: 1 << 26 };

fn report(pkg: &Path, batching: Batching) -> String {
    let sources = sotecheck::cli::Sources { rules: None, codelists: vec![] };
    let mut r =
        sotecheck::cli::validate(&[pkg.to_path_buf()], "virta-2025", &sources, 10, Some(batching)).unwrap_or_else(|e| panic!("{}", e.0));
    for p in &mut r.packages {
        p.source = p.package.clone();
    }
    sotecheck::report::json::render(&r)
}

fn first_difference(a: &str, b: &str) -> String {
    let line = a.lines().zip(b.lines()).position(|(x, y)| x != y).unwrap_or(a.lines().count().min(b.lines().count()));
    let around = |s: &str| s.lines().skip(line.saturating_sub(3)).take(7).collect::<Vec<_>>().join("\n");
    format!("whole, from line {}:\n{}\nstreamed:\n{}", line.saturating_sub(3) + 1, around(a), around(b))
}

fn assert_streaming_agrees(pkg: &Path, batch_sizes: &[usize]) {
    let whole = report(pkg, WHOLE);
    for &batch_bytes in batch_sizes {
        let streamed = report(pkg, Batching { over_bytes: 0, batch_bytes });
        assert!(
            streamed == whole,
            "{}: streamed in {batch_bytes}-byte batches, the report differs\n{}",
            pkg.display(),
            first_difference(&whole, &streamed)
        );
    }
}

fn fixture_packages() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = vec![root.join("demo")];
    for group in ["defects", "variants", "input"] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(root.join(group)).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        out.extend(entries.into_iter().filter(|p| p.join("datapackage.json").is_file() || p.extension().is_some_and(|e| e == "zip")));
    }
    out
}

#[test]
fn every_fixture_gives_the_same_report_streamed() {
    let packages = fixture_packages();
    assert!(packages.len() > 20, "fixtures found: {packages:?}");
    for pkg in packages {
        assert_streaming_agrees(&pkg, &[2048]);
    }
}

/// A package with `activity.csv` as given (bytes) and an optional dialect; the other tables
/// are left out (their absence is an input problem, reported the same either way).
fn package(name: &str, activity: &[u8], dialect: serde_json::Value, schema: Option<serde_json::Value>) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sotecheck-streaming-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("activity.csv"), activity).unwrap();
    let mut res = serde_json::json!({"name": "activity", "path": "activity.csv", "format": "csv", "dialect": dialect});
    if let Some(s) = schema {
        res["schema"] = s;
    }
    let desc = serde_json::json!({
        "name": name,
        "sote": {"region": "08", "period": {"start": "2025-01-01", "end": "2025-12-31"},
                 "classifications": {"service": "virta-palvelut@1.1"}},
        "resources": [res],
    });
    std::fs::write(dir.join("datapackage.json"), serde_json::to_string_pretty(&desc).unwrap()).unwrap();
    dir
}

const HEADER: &str = "event_id,event_date,service_code,unit_oid,production,municipality,age,sex,contact_mode,professional,diagnosis,volume";
const ROWS: &[&str] = &[
    "E1,2025-01-05,2556,1.2.246.10.1582217.10.1112,purchased,980,75,1,R10,26351,E11.9,1",
    "E2,2025-02-06,2557,1.2.246.10.2116752.10.1120,own,837,9,2,R20,22210,,1",
    "E2,2025-13-01,2557,1.2.246.10.2116752.10.1120,own,837,x,2,R20,22210,,1",
    "E4,2025-03-07,9999,1.2.246.10.2116752.10.1120,own,91,130,3,R99,2221,J06,2",
    "E5,2025-04-08,2556,1.2.246.10.1582217.10.1112,purchased,980,40,1,R10,26351,131052-308T,1",
];

fn csv(rows: &[&str], eol: &str) -> String {
    std::iter::once(HEADER).chain(rows.iter().copied()).collect::<Vec<_>>().join(eol) + eol
}

#[test]
fn quoted_newlines_and_doubled_quotes() {
    let mut rows = ROWS.to_vec();
    rows.push("E6,2025-05-09,2556,1.2.246.10.1582217.10.1112,own,980,40,1,R10,26351,\"E11.9\nsee \"\"notes\"\"\",1");
    rows.push("E7,2025-05-10,2556,\"1.2.246.10.1582217.10.1112\",own,980,41,2,R10,26351,,1");
    let pkg = package("quoted", csv(&rows, "\n").as_bytes(), serde_json::json!({}), None);
    assert_streaming_agrees(&pkg, &[1, 40, 100]);
}

#[test]
fn crlf_without_a_final_newline() {
    let text = csv(ROWS, "\r\n");
    let pkg = package("crlf", text.trim_end().as_bytes(), serde_json::json!({}), None);
    assert_streaming_agrees(&pkg, &[1, 64]);
}

#[test]
fn no_header_with_a_schema() {
    let fields: Vec<serde_json::Value> = HEADER.split(',').map(|n| serde_json::json!({"name": n})).collect();
    let body = csv(ROWS, "\n");
    let body = body.split_once('\n').unwrap().1;
    let pkg = package("no-header", body.as_bytes(), serde_json::json!({"header": false}), Some(serde_json::json!({"fields": fields})));
    assert_streaming_agrees(&pkg, &[1, 90]);
}

#[test]
fn invalid_utf8_and_a_byte_order_mark() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(csv(ROWS, "\n").replace("purchased,980,40", "purchased,980,4\u{0}0").as_bytes());
    // A lone Windows-1252 `ä` in an otherwise UTF-8 file.
    let at = bytes.windows(5).position(|w| w == b"J06,2").unwrap();
    bytes.insert(at, 0xE4);
    let pkg = package("invalid-utf8", &bytes, serde_json::json!({}), None);
    // Streamed, the bytes are checked piece by piece instead of before reading.
    assert!(report(&pkg, WHOLE).contains("\"code\": \"encoding-invalid\""));
    assert_streaming_agrees(&pkg, &[1, 128]);
}

#[test]
fn header_names_padded_with_spaces() {
    // Exports pad names (` diagnosis`, `age `): read as the trimmed names, whole or streamed.
    let padded = HEADER.replace(",age,", ", age ,").replace(",diagnosis,", ",\" diagnosis\",");
    let text = csv(ROWS, "\n").replacen(HEADER, &padded, 1);
    let pkg = package("padded-header", text.as_bytes(), serde_json::json!({}), None);
    let whole = report(&pkg, WHOLE);
    assert!(!whole.contains("file-unparsable") && !whole.contains("column-missing"), "{whole}");
    assert!(whole.contains("\"rule\": \"activity-age-out-of-range\""), "{whole}");
    assert_streaming_agrees(&pkg, &[1, 90]);
}

#[test]
fn a_duplicate_column_is_an_input_problem_either_way() {
    let text = csv(ROWS, "\n").replacen(",volume", ",age", 1);
    let pkg = package("duplicate-column", text.as_bytes(), serde_json::json!({}), None);
    let whole = report(&pkg, WHOLE);
    assert!(whole.contains("\"code\": \"column-duplicate\"") && whole.contains("keep one `age` column"), "{whole}");
    assert_streaming_agrees(&pkg, &[1, 90]);
}

#[test]
fn thousands_separators_are_named_or_read_where_declared() {
    // Every row's volume `1 000`, with a no-break space.
    let rows: Vec<String> = ROWS.iter().map(|r| format!("{},\"1\u{a0}000\"", r.rsplit_once(',').unwrap().0)).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let text = csv(&rows, "\n");
    let undeclared = report(&package("grouped", text.as_bytes(), serde_json::json!({}), None), WHOLE);
    assert!(
        undeclared.contains("5 of 5 unread values in `volume` have a thousands separator") && undeclared.contains("1\\\\u{a0}000"),
        "{undeclared}"
    );
    let schema = serde_json::json!({"fields": [{"name": "volume", "type": "number", "groupChar": "\u{a0}"}]});
    let pkg = package("grouped-declared", text.as_bytes(), serde_json::json!({}), Some(schema));
    let declared = report(&pkg, WHOLE);
    assert!(!declared.contains("`volume`"), "{declared}");
    assert_streaming_agrees(&pkg, &[1, 90]);
}

#[test]
fn a_resource_named_in_another_case_gets_a_suggestion() {
    let pkg = package("resource-case", csv(ROWS, "\n").as_bytes(), serde_json::json!({}), None);
    let desc = std::fs::read_to_string(pkg.join("datapackage.json")).unwrap().replace("\"name\": \"activity\"", "\"name\": \"Activity\"");
    std::fs::write(pkg.join("datapackage.json"), desc).unwrap();
    let r = report(&pkg, WHOLE);
    assert!(r.contains("resource `Activity` is not a table of the contract") && r.contains("did you mean `activity`?"), "{r}");
}

#[test]
fn a_header_only_table() {
    let pkg = package("empty", format!("{HEADER}\n").as_bytes(), serde_json::json!({}), None);
    assert_streaming_agrees(&pkg, &[1, 4096]);
}

#[test]
fn a_ragged_row_is_an_input_problem_either_way() {
    let mut rows = ROWS.to_vec();
    rows.insert(2, "E3,2025-01-05,2556,1.2.246.10.1582217.10.1112,purchased,980,75,1,R10,26351,E11.9,1,extra,fields");
    let pkg = package("ragged", csv(&rows, "\n").as_bytes(), serde_json::json!({}), None);
    let whole: serde_json::Value = serde_json::from_str(&report(&pkg, WHOLE)).unwrap();
    let streamed: serde_json::Value = serde_json::from_str(&report(&pkg, Batching { over_bytes: 0, batch_bytes: 64 })).unwrap();
    let codes = |r: &serde_json::Value| -> Vec<String> {
        r["packages"][0]["input_problems"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap_or("").to_string()).collect()
    };
    assert_eq!(whole["packages"][0]["verdict"], streamed["packages"][0]["verdict"]);
    assert_eq!(codes(&whole), codes(&streamed));
}

#[test]
fn records_longer_than_a_batch_and_blank_lines() {
    let long = format!("\"{}\"", "pitkä kuvaus\nrivi ".repeat(2000));
    let with_long = format!("E8,2025-06-01,2556,1.2.246.10.1582217.10.1112,own,980,40,1,R10,26351,{long},1");
    let mut rows: Vec<&str> = ROWS.to_vec();
    rows.insert(1, &with_long);
    rows.insert(3, "");
    rows.insert(4, "   ");
    rows.push("");
    let pkg = package("long-and-blank", csv(&rows, "\n").as_bytes(), serde_json::json!({}), None);
    assert_streaming_agrees(&pkg, &[1, 40, 5000]);
}

/// Blank lines at the end of a file (spreadsheet exports: empty lines, CRLF, lines of
/// delimiters only) are not rows: the same note whole and streamed, no `fields-missing`, and
/// the rows before them all read. Blank lines in the middle stay a problem.
#[test]
fn blank_lines_at_the_end_are_a_note_not_rows() {
    let codes = |r: &serde_json::Value| -> Vec<(String, String)> {
        r["packages"][0]["input_problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["code"].as_str().unwrap().to_string(), p["level"].as_str().unwrap().to_string()))
            .collect()
    };
    let evaluated = |r: &serde_json::Value, rule: &str| -> u64 {
        r["packages"][0]["findings"].as_array().unwrap().iter().find(|f| f["rule"] == rule).unwrap()["rows_evaluated"].as_u64().unwrap()
    };
    for (name, tail, dialect) in [
        ("lf", "\n\n\n".to_string(), serde_json::json!({})),
        ("crlf", "\r\n\r\n".to_string(), serde_json::json!({})),
        ("semicolons", ";;;;;;;;;;;\n;;;;;;;;;;;\n".to_string(), serde_json::json!({"delimiter": ";"})),
        ("spaces-no-final-newline", "\n  \t".to_string(), serde_json::json!({})),
    ] {
        let delimiter = if name == "semicolons" { ";" } else { "," };
        let body = csv(ROWS, "\n").replace(',', delimiter) + &tail;
        let pkg = package(&format!("tail-{name}"), body.as_bytes(), dialect, None);
        assert_streaming_agrees(&pkg, &[1, 64]);
        let r: serde_json::Value = serde_json::from_str(&report(&pkg, WHOLE)).unwrap();
        let problems = codes(&r);
        assert!(problems.contains(&("blank-lines-ignored".into(), "info".into())), "{name}: {problems:?}");
        assert!(!problems.iter().any(|(c, _)| c == "fields-missing"), "{name}: {problems:?}");
        assert_eq!(evaluated(&r, "activity-event-id-duplicate"), ROWS.len() as u64, "{name}: every row read, no blank one");
    }
    let mut rows = ROWS.to_vec();
    rows.insert(2, "");
    let pkg = package("blank-in-the-middle", (csv(&rows, "\n") + "\n").as_bytes(), serde_json::json!({}), None);
    let r: serde_json::Value = serde_json::from_str(&report(&pkg, WHOLE)).unwrap();
    let problems = codes(&r);
    assert!(problems.contains(&("fields-missing".into(), "error".into())), "a blank line between records is still a record: {problems:?}");
    assert!(problems.contains(&("blank-lines-ignored".into(), "info".into())), "{problems:?}");
}

/// A package `sotecheck generate` writes (region 08, CSV) with `rows` activity rows and the
/// `defects` planted, in a fresh temporary folder named after `name`.
fn generated(name: &str, rows: &str, defects: &str) -> PathBuf {
    let out = std::env::temp_dir().join(format!("sotecheck-streaming-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_sotecheck"))
        .args(["generate", "--region", "08", "--rows", rows, "--defects", defects, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    out
}

/// Duplicate-key hashes spilled to disk after every batch give the report kept in memory
/// gives, byte for byte (generated package with planted duplicate event ids).
#[test]
fn duplicate_ids_spilled_to_disk_give_the_same_report() {
    let out = generated("spill", "20000", "duplicate-event-id:0.01");
    let sources = sotecheck::cli::Sources { rules: None, codelists: vec![] };
    let run = |hash_rows_in_memory: usize| {
        let options = sotecheck::options::EngineOptions { hash_rows_in_memory, ..Default::default() };
        let mut r = sotecheck::cli::validate_with(
            &[out.clone()],
            "virta-2025",
            &sources,
            10,
            Some(Batching { over_bytes: 0, batch_bytes: 64 << 10 }),
            options,
        )
        .unwrap_or_else(|e| panic!("{}", e.0));
        r.packages[0].source = String::new();
        sotecheck::report::json::render(&r)
    };
    let in_memory = run(usize::MAX);
    let spilled = run(0);
    // Written out to memory first, then to files.
    let mixed = run(1500);
    assert!(mixed == in_memory, "{}", first_difference(&in_memory, &mixed));
    assert!(in_memory.contains("\"rule\": \"activity-event-id-duplicate\""));
    let report: serde_json::Value = serde_json::from_str(&in_memory).unwrap();
    let dup = report["packages"][0]["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "activity-event-id-duplicate").unwrap();
    assert!(dup["rows_failing"].as_u64().unwrap() > 100, "{dup}");
    assert!(spilled == in_memory, "{}", first_difference(&in_memory, &spilled));
}

/// More streamed packages checked at once than the thread pool has threads: a batch's two
/// legs (fused row rules and gathers) wait for each other in every package, and each leg
/// uses the pool; all finish, each with the report it gives alone. (A leg on a thread of
/// its own once left the pool's threads all waiting: the clean-packages test of
/// tests/generate.rs hung. The hang needs a leg to reach the pool at the wrong moment, so
/// this test may pass even then; it guards the rest.)
#[test]
fn more_packages_at_once_than_threads_all_finish() {
    let out = generated("many", "3000", "identity-code:0.01");
    let alone = report(&out, Batching { over_bytes: 0, batch_bytes: 16 << 10 });
    let n = rayon::current_num_threads() + 1;
    let (send, receive) = std::sync::mpsc::channel();
    let packages = vec![out.clone(); n];
    std::thread::spawn(move || {
        let sources = sotecheck::cli::Sources { rules: None, codelists: vec![] };
        let _ = send.send(sotecheck::cli::validate(
            &packages,
            "virta-2025",
            &sources,
            10,
            Some(Batching { over_bytes: 0, batch_bytes: 16 << 10 }),
        ));
    });
    let together = receive
        .recv_timeout(std::time::Duration::from_secs(600))
        .expect("the packages finish (no thread of the pool left waiting for a leg that needs one)")
        .unwrap_or_else(|e| panic!("{}", e.0));
    assert_eq!(together.packages.len(), n);
    for p in &together.packages {
        let mut one = together.clone();
        one.packages = vec![p.clone()];
        one.batch = None;
        one.packages[0].source = one.packages[0].package.clone();
        assert!(sotecheck::report::json::render(&one) == alone, "{}", first_difference(&alone, &sotecheck::report::json::render(&one)));
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// Parquet batches of whole row groups read their dictionary-encoded text columns by key
/// (`src/package/parquet_keys.rs`): pyarrow's pages (format 2.0, zstd, text columns that
/// fall back from keys to plain text within a chunk), polars' one group and pandas'
/// categoricals give the report of a whole read. 16 000 bytes a batch are 250 rows: the
/// pyarrow variant's groups; 64 000 bytes, polars' one group of 1 000 rows.
#[test]
fn parquet_read_by_dictionary_keys_gives_the_same_report() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for pkg in ["variants/pyarrow-pages", "variants/parquet", "variants/pandas-category", "input/zoned-timestamps"] {
        assert_streaming_agrees(&root.join(pkg), &[16_000, 64_000]);
    }
    // Findings that name rows: batches of whole groups of 100 rows (6 400 bytes), and
    // batches that cut them (1 024 bytes: 16 rows; 16 000: 250 rows, cut at the nearest
    // group boundary). polars numbers a slice's rows from the file's start: a batch's own
    // offset added again shifted every row after the first batch.
    assert_streaming_agrees(&root.join("defects/duplicate-event-id-parquet"), &[1024, 6400, 16_000]);
}

/// The same defect package from another writer (text as `large_string`, row groups of 1,
/// 37, 200, 3 and 64 rows in turn, version 1 pages, snappy) gives the same report, read
/// whole, in batches of whole groups (by key), in batches that cut the 37- and 200-row
/// groups and join the small ones (640 bytes: 10 rows), and in one batch of every group.
#[test]
fn another_writers_row_groups_give_the_same_report() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let expected = report(&root.join("defects/duplicate-event-id-parquet"), WHOLE);
    let uneven = root.join("defects/duplicate-event-id-uneven-groups");
    for batching in [
        WHOLE,
        Batching { over_bytes: 0, batch_bytes: 640 },
        Batching { over_bytes: 0, batch_bytes: 6400 },
        Batching { over_bytes: 0, batch_bytes: 64_000 },
    ] {
        let got = report(&uneven, batching);
        assert!(got == expected, "{batching:?}: {}", first_difference(&expected, &got));
    }
    // Its text columns are read by key where a batch holds whole groups.
    let keyed = keyed_columns_per_batch(&uneven, 64_000);
    assert_eq!(keyed.len(), 1);
    assert!(keyed[0].contains(&"service_code".to_string()) && keyed[0].contains(&"diagnosis".to_string()), "{keyed:?}");
}

/// Which columns of each batch arrive with their keys, and that the typed batch still
/// holds the very arrays the keys were read for (else the engine codes text again, and
/// the test above passes without the keys ever being used).
fn keyed_columns_per_batch(pkg: &Path, batch_bytes: usize) -> Vec<Vec<String>> {
    use polars::prelude::*;
    let registry = sotecheck::codelist::Registry::builtin();
    let package = sotecheck::package::Package::open_with(pkg, &registry, Some(Batching { over_bytes: 0, batch_bytes }));
    let sotecheck::package::Data::Streamed(stream) = &package.tables["activity"].data else { panic!("activity is not streamed") };
    let mut seen = Vec::new();
    stream
        .scan_keyed(|batch, keys| {
            let keyed = batch.columns().iter().filter(|c| c.dtype() == &DataType::String).filter(|c| {
                let ca = c.as_materialized_series().str().unwrap().clone();
                let all = ca.downcast_iter().all(|arr| keys.chunk(c.name(), arr.views()).is_some());
                all
            });
            seen.push(keyed.map(|c| c.name().to_string()).collect());
            true
        })
        .unwrap();
    seen
}

#[test]
fn text_columns_with_dictionary_pages_arrive_with_their_keys() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    // pyarrow, groups of 250 rows: few-valued columns keep their keys; columns whose
    // dictionary outgrew 96 bytes fell back to plain pages and are read as text.
    let pyarrow = keyed_columns_per_batch(&root.join("variants/pyarrow-pages"), 16_000);
    assert_eq!(pyarrow.len(), 12);
    for batch in &pyarrow {
        assert!(batch.contains(&"sex".to_string()) && batch.contains(&"production".to_string()), "{batch:?}");
        assert!(!batch.contains(&"event_id".to_string()) && !batch.contains(&"unit_oid".to_string()), "{batch:?}");
    }
    // Batches that cut a row group are read as text.
    assert!(keyed_columns_per_batch(&root.join("variants/pyarrow-pages"), 2048).iter().all(|b| b.is_empty()));
    // polars' own file: one group of 1 000 rows, every text column but the identifiers keyed.
    let polars_written = keyed_columns_per_batch(&root.join("variants/parquet"), 64_000);
    assert_eq!(polars_written.len(), 1);
    assert!(polars_written[0].contains(&"service_code".to_string()), "{polars_written:?}");
}

/// A file of many tiny row groups (groups of 2 rows) is streamed however few its rows
/// (past 1 024 groups), at most 1 024 groups a batch joined into one chunk: its report is
/// the report of the same rows in few groups, the defect package's (rows named) alike.
#[test]
fn many_tiny_row_groups_give_the_report_of_few_large_ones() {
    use polars::prelude::*;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for (name, fixture) in [("tiny-groups", "variants/pyarrow-pages"), ("tiny-groups-defects", "defects/duplicate-event-id-parquet")] {
        let from = root.join(fixture);
        let dir = std::env::temp_dir().join(format!("sotecheck-streaming-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for e in std::fs::read_dir(&from).unwrap().flatten() {
            std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
        }
        let df = ParquetReader::new(std::fs::File::open(from.join("activity.parquet")).unwrap()).finish().unwrap();
        // A row group per write of two rows.
        let mut writer = ParquetWriter::new(std::fs::File::create(dir.join("activity.parquet")).unwrap()).batched(df.schema()).unwrap();
        for at in (0..df.height()).step_by(2) {
            writer.write_batch(&df.slice(at as i64, 2)).unwrap();
        }
        writer.finish().unwrap();
        let groups =
            ParquetReader::new(std::fs::File::open(dir.join("activity.parquet")).unwrap()).get_metadata().unwrap().row_groups.len();
        assert!(groups >= 500, "{groups} groups");
        // Streamed by default past 1 024 groups (the demo's 1 500), and when asked.
        let few = report(&from, Batching::default());
        for batching in [Batching::default(), Batching { over_bytes: 0, ..Batching::default() }] {
            let many = report(&dir, batching);
            assert!(many == few, "{fixture} ({batching:?}): {}", first_difference(&few, &many));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
