//! A one-table package written from fuzz input, opened whole and streamed: what the CSV
//! and Parquet targets share.

use sotecheck::codelist::Registry;
use sotecheck::package::{Batching, Data, Package};
use std::path::PathBuf;
use std::sync::OnceLock;

/// A folder of this process's own, in memory where the machine has /dev/shm.
pub fn folder() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
        let dir = base.join(format!("sotecheck-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::builtin)
}

/// Writes `descriptor` and `file` (holding `data`), then opens the package whole and with
/// every table streamed in small batches; every streamed table is read to its end.
pub fn open_both(descriptor: &str, file: &str, data: &[u8]) {
    // The loader catches polars' panics on corrupt files on purpose; libFuzzer's hook
    // would abort at each. A panic nobody catches still reaches libfuzzer-sys, which
    // aborts on it: only those are crashes, unless SOTECHECK_FUZZ_PANICS is set.
    static QUIET: OnceLock<()> = OnceLock::new();
    QUIET.get_or_init(|| {
        if std::env::var_os("SOTECHECK_FUZZ_PANICS").is_none() {
            std::panic::set_hook(Box::new(|_| {}));
        }
    });
    let dir = folder();
    std::fs::write(dir.join("datapackage.json"), descriptor).unwrap();
    std::fs::write(dir.join(file), data).unwrap();
    let whole = Package::open(dir, registry());
    drop(whole);
    let streamed = Package::open_with(dir, registry(), Some(Batching { over_bytes: 0, batch_bytes: 256 }));
    for table in streamed.tables.values() {
        if let Data::Streamed(stream) = &table.data {
            let _ = stream.scan(|_| true);
        }
    }
}
