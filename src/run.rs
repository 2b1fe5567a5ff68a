//! Validating packages with a suite's rules: each package opened and checked in parallel
//! and in isolation (a panic on one becomes that package's `internal-error`, the others are
//! reported as usual), and its report built.

use crate::exec::{Engine, Job};
use crate::package::Package;
use crate::report::{build, PackageReport};
use crate::rules::Rule;
use rayon::prelude::*;
use std::path::PathBuf;

/// Opens and checks packages in parallel; the reports keep the input order.
pub fn packages(engine: &Engine, rules: &[Rule], paths: &[PathBuf]) -> Vec<PackageReport> {
    paths
        .par_iter()
        .map(|p| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| package(engine, rules, &engine.open(p))))
                .unwrap_or_else(|payload| build::crashed(p, payload))
        })
        .collect()
}

/// Checks one opened package with `rules` and builds its report.
pub fn package(engine: &Engine, rules: &[Rule], pkg: &Package) -> PackageReport {
    let jobs: Vec<Job> = rules.iter().map(|r| Job { label: &r.id, check: &r.check }).collect();
    build::package_report(pkg, rules, engine.run(pkg, &jobs))
}
