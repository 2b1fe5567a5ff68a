//! Validating packages with a suite's rules: each package opened and checked in parallel
//! and in isolation (a panic on one becomes that package's `internal-error`, the others are
//! reported as usual), and its report built. The command line goes one step further and
//! checks each package in a process of its own ([`isolated`]): polars aborts the process
//! on some corrupt files (an allocation of exabytes asked by a damaged page header is an
//! abort, not a panic), and the operating system may kill a process that runs out of
//! memory; either then costs that package only.

use crate::exec::{Engine, Job};
use crate::package::Package;
use crate::report::{build, PackageReport};
use crate::rules::Rule;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

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

/// How to check one package in a process of its own: the program and the arguments that
/// precede the package's path. The child prints the package's report as JSON on standard
/// output and nothing else there.
#[derive(Debug, Clone)]
pub struct Worker {
    pub program: PathBuf,
    pub args: Vec<std::ffi::OsString>,
    /// Let the child's standard error through (a terminal: its progress and messages);
    /// otherwise it is captured, and its first line names why a child that failed did.
    pub inherit_stderr: bool,
}

/// Checks each package in a child process (see the module docs), in parallel; the reports
/// keep the input order. A child that dies, or whose report cannot be read, gives that
/// package an `internal-error`; a child that could not be started at all falls back to
/// checking the package here.
pub fn isolated(worker: &Worker, paths: &[PathBuf], in_process: impl Fn(&Path) -> PackageReport + Sync) -> Vec<PackageReport> {
    paths.par_iter().map(|p| one_isolated(worker, p).unwrap_or_else(|| in_process(p))).collect()
}

fn one_isolated(worker: &Worker, path: &Path) -> Option<PackageReport> {
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(&worker.program);
    cmd.args(&worker.args).arg(path).stdin(Stdio::null()).stdout(Stdio::piped());
    cmd.stderr(if worker.inherit_stderr { Stdio::inherit() } else { Stdio::piped() });
    let out = cmd.output().ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        if let Ok(report) = serde_json::from_slice::<PackageReport>(&out.stdout) {
            if !worker.inherit_stderr {
                // Timings and other notes the child wrote, passed on.
                eprint!("{stderr}");
            }
            return Some(report);
        }
    }
    let why = stderr.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_string).unwrap_or_else(|| describe(&out.status));
    let why = if out.status.success() { "its report could not be read back".to_string() } else { why };
    Some(build::crashed(path, Box::new(format!("the check stopped ({}): {why}", describe(&out.status)))))
}

/// How a child process ended, in words.
fn describe(status: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                6 => " (SIGABRT: aborted, e.g. a memory allocation failed)",
                9 => " (SIGKILL: killed, e.g. by the out-of-memory killer)",
                11 => " (SIGSEGV)",
                _ => "",
            };
            return format!("signal {signal}{name}");
        }
    }
    match status.code() {
        Some(c) => format!("exit code {c}"),
        None => "no exit code".into(),
    }
}

/// Checks one opened package with `rules` and builds its report.
pub fn package(engine: &Engine, rules: &[Rule], pkg: &Package) -> PackageReport {
    let jobs: Vec<Job> = rules.iter().map(|r| Job { label: &r.id, check: &r.check }).collect();
    build::package_report(pkg, rules, engine.run(pkg, &jobs))
}
