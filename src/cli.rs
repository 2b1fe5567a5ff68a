//! The command line: argument parsing, the commands, output files and exit codes. The
//! library knows nothing of argv; this module turns arguments into library calls.

use crate::codelist::Registry;
use crate::exec::{Engine, SAMPLE_LIMIT};
use crate::lang::Lang;
use crate::options::{EngineOptions, Timings};
use crate::package::Batching;
use crate::report::{self, Report};
use crate::rules::{self, Rule};
use crate::suite::{self, Suite};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "sotecheck",
    version,
    about = "Validate Finnish sote data packages against the national service classification and conformance suites"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub enum Format {
    Human,
    Json,
    Junit,
    /// One self-contained page (inline CSS, SVG charts and filters): opens from a mail.
    Html,
    /// A compact summary for a merge-request comment or a CI job summary.
    Markdown,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub enum FailOnArg {
    Error,
    Warning,
    New,
}

/// `FORMAT=FILE` of `--report`.
fn parse_report(s: &str) -> Result<(Format, PathBuf), String> {
    let (format, file) = s.split_once('=').ok_or_else(|| format!("`{s}`: write FORMAT=FILE, e.g. junit=report.xml"))?;
    let format = Format::from_str(format, true).map_err(|_| format!("`{format}` is not a format: human, json, junit, html or markdown"))?;
    if file.is_empty() {
        return Err(format!("`{s}`: name the file after `=`"));
    }
    Ok((format, PathBuf::from(file)))
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub enum DataFormat {
    Csv,
    Parquet,
}

#[derive(clap::Args, Debug, Clone)]
pub struct Sources {
    /// Rules folder (`<family>/<rule-id>.toml`); default: the rules shipped with sotecheck.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Add a code list from a file: `ID=FILE`, e.g. `virta-palvelut@1.2=virta.csv`
    /// (plain CSV, koodistot.suomi.fi JSON or Statistics Finland CSV). Repeatable.
    #[arg(long = "codelist", value_name = "ID=FILE")]
    pub codelists: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check one or more packages (folders or .zip) and report.
    Validate {
        #[arg(required = true, value_name = "PACKAGE")]
        packages: Vec<PathBuf>,
        /// Conformance suite: `name`, `name@version` or a path to a suite file.
        #[arg(long, default_value = "virta-2025")]
        suite: String,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Write the report to a file instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Also write a report in another format, e.g. `--report json=out.json --report
        /// html=report.html` (formats: human, json, junit, html, markdown). Repeatable.
        #[arg(long = "report", value_name = "FORMAT=FILE", value_parser = parse_report)]
        reports: Vec<(Format, PathBuf)>,
        /// What fails the gate (exit code 1): `error` — a failing error rule; `warning` —
        /// also a rule that warns; `new` — only a failure that is new or worse since the
        /// `--baseline`.
        #[arg(long, value_enum, default_value = "error")]
        fail_on: FailOnArg,
        /// The JSON report of the previous submission: each finding is marked new,
        /// persisting, changed or resolved, and measures that moved are flagged.
        #[arg(long, value_name = "PREVIOUS.json")]
        baseline: Option<PathBuf>,
        /// Append each package's key measures to this Parquet file (made if absent); the
        /// regions already in it are compared with this run's.
        #[arg(long, value_name = "FILE")]
        metrics: Option<PathBuf>,
        /// Print only the batch summary (verdicts, matrix, comparability, outliers, deltas).
        #[arg(long)]
        summary: bool,
        /// Language of the human, HTML and Markdown reports: `fi` or `en` (JSON and JUnit
        /// are always English). Default: from LC_ALL, LC_MESSAGES or LANG (`fi_FI.UTF-8` is
        /// Finnish), otherwise English.
        #[arg(long, value_name = "fi|en", value_parser = parse_lang)]
        lang: Option<Lang>,
        /// How many failing rows each finding shows.
        #[arg(long, default_value_t = SAMPLE_LIMIT)]
        samples: usize,
        /// Tables in files larger than this are read in batches while the rules run, so
        /// memory stays flat however large the table (e.g. `256M`, `1G`; `0`: every table).
        #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
        batch_over: u64,
        /// About how much of a streamed file each batch holds (e.g. `64M`).
        #[arg(long, value_name = "SIZE", default_value = "32M", value_parser = parse_size)]
        batch_size: u64,
        #[command(flatten)]
        sources: Sources,
    },
    /// Internal: check one package and print its report as JSON (`validate` runs each
    /// package in such a process of its own, see `run::isolated`).
    #[command(name = "check-one-package", hide = true)]
    CheckOnePackage {
        package: PathBuf,
        #[arg(long, default_value = "virta-2025")]
        suite: String,
        #[arg(long, default_value_t = SAMPLE_LIMIT)]
        samples: usize,
        #[arg(long, value_parser = parse_size)]
        batch_over: u64,
        #[arg(long, value_parser = parse_size)]
        batch_size: u64,
        #[command(flatten)]
        sources: Sources,
    },
    /// List the rules with family, severity and §29 perspectives.
    Rules {
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        #[command(flatten)]
        sources: Sources,
    },
    /// Show a rule's documentation, check and examples.
    Explain {
        rule: String,
        /// Language: `fi` or `en`. Default: from LC_ALL, LC_MESSAGES or LANG (`fi_FI.UTF-8`
        /// is Finnish), otherwise English.
        #[arg(long, value_name = "fi|en", value_parser = parse_lang)]
        lang: Option<Lang>,
        #[command(flatten)]
        sources: Sources,
    },
    /// Run every rule's own examples (also for your own rules folder).
    TestRules {
        /// Rules folder; default: the rules shipped with sotecheck.
        dir: Option<PathBuf>,
    },
    /// Write a realistic synthetic package (for demos, tests and benchmarks).
    Generate {
        /// County code (01–21, 90).
        #[arg(long, default_value = "08")]
        region: String,
        /// Activity rows.
        #[arg(long, default_value_t = 10_000)]
        rows: u64,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Defects to plant, e.g. `unknown-service:0.01,identity-code:0.001,missing-month:1`.
        #[arg(long, default_value = "")]
        defects: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: DataFormat,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 2025)]
        year: i32,
        /// Service classification version the package declares.
        #[arg(long, default_value = "virta-palvelut@1.1")]
        service: String,
        /// Write all 22 regions under OUT (hva<code>-<year>), `--rows` split by population.
        #[arg(long)]
        all_regions: bool,
        /// With `--all-regions`: plant the `--defects` in these regions only (e.g. `11,08`),
        /// to make outliers between regions.
        #[arg(long, value_name = "REGIONS", value_delimiter = ',')]
        defects_for: Vec<String>,
    },
    /// Write datapackage.json for a folder of CSV or Parquet exports (a region's first run):
    /// tables matched by file name, encoding, delimiter and number formats read from the data.
    Init {
        /// The folder holding the exports.
        #[arg(value_name = "FOLDER")]
        folder: PathBuf,
        /// County code (01–21, 90 = Helsinki).
        #[arg(long)]
        region: String,
        /// Reporting period: a year (2025), a quarter (2025-Q1), a month (2025-03) or
        /// START..END (2025-01-01..2025-06-30).
        #[arg(long)]
        period: String,
        /// Service classification version the data are coded in.
        #[arg(long, default_value = "virta-palvelut@1.1")]
        service: String,
        /// Replace an existing datapackage.json.
        #[arg(long)]
        force: bool,
        /// A service classification version from a file, for `--service`: `ID=FILE`, as in
        /// `validate`. Repeatable.
        #[arg(long = "codelist", value_name = "ID=FILE")]
        codelists: Vec<String>,
    },
    /// Judge a stored JSON report again with a suite's thresholds, without reading the data.
    Report {
        /// A JSON report of an earlier `validate`.
        report: PathBuf,
        /// Conformance suite: `name`, `name@version` or a path to a suite file.
        #[arg(long, default_value = "virta-2025")]
        suite: String,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        #[arg(long, value_enum, default_value = "error")]
        fail_on: FailOnArg,
        /// Language of the human, HTML and Markdown reports: `fi` or `en` (JSON and JUnit
        /// are always English). Default: from LC_ALL, LC_MESSAGES or LANG (`fi_FI.UTF-8` is
        /// Finnish), otherwise English.
        #[arg(long, value_name = "fi|en", value_parser = parse_lang)]
        lang: Option<Lang>,
        #[command(flatten)]
        sources: Sources,
    },
    /// Run a conformance suite's cases (fixture packages and their expected outcomes).
    TestSuite {
        #[arg(default_value = "virta-2025")]
        suite: String,
    },
}

/// A failure the CLI reports on standard error with exit code 2.
pub struct UsageError(pub String);

fn registry(sources: &Sources) -> Result<Registry, UsageError> {
    let mut r = Registry::builtin();
    for spec in &sources.codelists {
        let (id, file) = spec
            .split_once('=')
            .ok_or_else(|| UsageError(format!("--codelist `{spec}`: write ID=FILE, e.g. virta-palvelut@1.2=virta.csv")))?;
        r.add_file(id, Path::new(file)).map_err(|e| UsageError(format!("--codelist {id}: {e}")))?;
    }
    Ok(r)
}

/// Loads a rules folder; mistakes in rule files are usage errors shown in full.
pub fn load_rules(dir: Option<&Path>) -> Result<Vec<Rule>, UsageError> {
    let (rules, bad) = match dir {
        Some(dir) => rules::load_dir(dir).map_err(|e| UsageError(format!("cannot read rules folder {}: {e}", dir.display())))?,
        None => rules::builtin(),
    };
    if !bad.is_empty() {
        let text: Vec<String> = bad.iter().map(|b| b.render()).collect();
        return Err(UsageError(text.join("\n")));
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in &rules {
        if !seen.insert(r.id.clone()) {
            let place = dir.map_or_else(|| "the shipped rules".to_string(), |d| d.display().to_string());
            return Err(UsageError(format!("rule id `{}` is defined twice in {place}", r.id)));
        }
    }
    Ok(rules)
}

/// What checking a package needs before it is read: the code lists, every rule and the
/// suite. The code lists and the rules are read side by side (about 4 and 5 ms, one after
/// the other before; a validation pays this twice, in its own process and in the package's).
fn setup(sources: &Sources, suite_spec: &str) -> Result<(Registry, Vec<Rule>, Suite), UsageError> {
    let (registry, all) = std::thread::scope(|s| {
        let rules = s.spawn(|| load_rules(sources.rules.as_deref()));
        (registry(sources), rules.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    });
    let (registry, all) = (registry?, all?);
    let suite = load_suite(suite_spec, &all)?;
    Ok((registry, all, suite))
}

fn load_suite(spec: &str, rules: &[Rule]) -> Result<Suite, UsageError> {
    let (path, text) = suite::resolve(spec).map_err(UsageError)?;
    suite::parse(&path, &text, rules).map_err(|errors| UsageError(crate::rules::FileErrors::new(&path, &text, errors).render()))
}

fn write_out(text: &str, output: Option<&Path>) -> Result<(), UsageError> {
    match output {
        Some(p) => std::fs::write(p, text).map_err(|e| UsageError(format!("cannot write {}: {e}", p.display()))),
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error.
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            Ok(())
        }
    }
}

/// The executor's switches from the environment, read here (the library reads none):
/// `SOTECHECK_TIMINGS=1` (or `rules`), `SOTECHECK_NO_DICTIONARY=1`, `SOTECHECK_DEBUG_PLAN=1`
/// (docs/architecture.md).
pub fn options_from_env() -> EngineOptions {
    let timings = match std::env::var("SOTECHECK_TIMINGS").as_deref() {
        Err(_) => Timings::Off,
        Ok("rules") => Timings::Rules,
        Ok(_) => Timings::Phases,
    };
    EngineOptions {
        per_value: std::env::var_os("SOTECHECK_NO_DICTIONARY").is_none(),
        timings,
        debug_plan: std::env::var_os("SOTECHECK_DEBUG_PLAN").is_some(),
        hash_rows_in_memory: std::env::var("SOTECHECK_HASH_ROWS_IN_MEMORY")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(crate::options::HASH_ROWS_IN_MEMORY),
        // Only a person watching a terminal is shown progress; a pipe or a CI log is not.
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
    }
}

/// Validates packages with a suite; the report and the packages' input problems decide
/// the exit code.
pub fn validate(
    packages: &[PathBuf],
    suite_spec: &str,
    sources: &Sources,
    samples: usize,
    batching: Option<Batching>,
) -> Result<Report, UsageError> {
    validate_with(packages, suite_spec, sources, samples, batching, EngineOptions::default())
}

/// `validate` with the executor's switches.
pub fn validate_with(
    packages: &[PathBuf],
    suite_spec: &str,
    sources: &Sources,
    samples: usize,
    batching: Option<Batching>,
    options: EngineOptions,
) -> Result<Report, UsageError> {
    validate_in(packages, suite_spec, sources, samples, batching, options, None).map(|(report, _)| report)
}

/// `validate_with`, each package checked by `worker` in a process of its own when given;
/// also every rule read (for the report's view).
fn validate_in(
    packages: &[PathBuf],
    suite_spec: &str,
    sources: &Sources,
    samples: usize,
    batching: Option<Batching>,
    options: EngineOptions,
    worker: Option<&crate::run::Worker>,
) -> Result<(Report, Vec<Rule>), UsageError> {
    let (registry, all, suite) = setup(sources, suite_spec)?;
    let rules = suite.select(&all);
    let engine = Engine { registry: &registry, pins: &suite.pins, sample_limit: samples, batching, options };
    let mut reports = match worker {
        Some(w) => crate::run::isolated(w, packages, |p| crate::run::packages(&engine, &rules, &[p.to_path_buf()]).remove(0)),
        None => crate::run::packages(&engine, &rules, packages),
    };
    for r in &mut reports {
        accept_check(&suite, r);
    }
    let mut report = Report {
        schema_version: report::SCHEMA_VERSION.into(),
        tool: format!("sotecheck {}", env!("CARGO_PKG_VERSION")),
        suite: suite.id(),
        fail_on: report::FailOn::Error,
        packages: reports,
        batch: None,
    };
    report::fix_first::annotate(&mut report, &registry);
    national(&mut report, sources, None, None)?;
    Ok((report, all))
}

/// The coordinator's view: the previous submission compared (`baseline`), the batch as a
/// unit with its regions compared with each other and with those in the metrics file, and
/// this run's measures appended to that file.
pub fn national(report: &mut Report, sources: &Sources, baseline: Option<&Path>, metrics: Option<&Path>) -> Result<(), UsageError> {
    let before: Option<Report> = match baseline {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| UsageError(format!("--baseline {}: {e}", path.display())))?;
            Some(serde_json::from_str(&text).map_err(|e| {
                UsageError(format!(
                    "--baseline {}: not a sotecheck JSON report ({e}); give the JSON report of an earlier run",
                    path.display()
                ))
            })?)
        }
        None => None,
    };
    let history = match metrics {
        Some(path) => crate::metrics::history::load(path).map_err(UsageError)?,
        None => Vec::new(),
    };
    let moved = before.as_ref().map(|b| report::baseline::compare(report, b)).unwrap_or_default();
    // The regions of earlier runs not in this one, their latest measures, as references.
    let mut reference: Vec<report::PackageReport> = Vec::new();
    for row in history.iter().rev() {
        let here = report.packages.iter().any(|p| p.region.as_deref() == Some(row.region.as_str()));
        if !here && !reference.iter().any(|r| r.region.as_deref() == Some(row.region.as_str())) {
            reference.push(report::PackageReport {
                package: row.package.clone(),
                source: String::new(),
                region: Some(row.region.clone()),
                period: Some([row.period_start.clone(), row.period_end.clone()]),
                classifications: Default::default(),
                verdict: report::Verdict::Conformant,
                summary: Default::default(),
                input_problems: Vec::new(),
                findings: Vec::new(),
                metrics: Some(row.metrics.clone()),
                fix_first: Vec::new(),
            });
        }
    }
    if report.packages.len() > 1 || !moved.is_empty() || !reference.is_empty() {
        let registry = registry(sources)?;
        let mut batch = report::batch::summarize(report, &registry, &reference);
        batch.findings.extend(moved);
        report.batch = Some(batch);
    }
    if let Some(path) = metrics {
        let rows: Vec<crate::metrics::history::Row> = report
            .packages
            .iter()
            .filter_map(|p| {
                let [start, end] = p.period.clone()?;
                Some(crate::metrics::history::Row {
                    package: p.package.clone(),
                    region: p.region.clone()?,
                    period_start: start,
                    period_end: end,
                    metrics: p.metrics.clone()?,
                })
            })
            .collect();
        crate::metrics::history::append(path, &rows).map_err(|e| UsageError(format!("--metrics: {e}")))?;
    }
    Ok(())
}

/// A package declaring a code-list version the suite does not accept is an input error.
fn accept_check(suite: &Suite, r: &mut report::PackageReport) {
    use crate::package::problem::{InputProblem, ProblemCode};
    let mut changed = false;
    for (key, accepted) in &suite.accept {
        if let Some(declared) = r.classifications.get(key) {
            if !accepted.is_empty() && !accepted.contains(declared) {
                r.input_problems.push(
                    InputProblem::error(
                        ProblemCode::ClassificationUnknown,
                        "datapackage.json",
                        format!("suite {} does not accept `{key}` = `{declared}`", suite.id()),
                    )
                    .help(format!("accepted: {}", accepted.join(", "))),
                );
                changed = true;
            }
        }
    }
    if changed {
        *r = r.clone().finish();
    }
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("`{s}`: the language is `fi` or `en`"))
}

/// A size in bytes: a number with an optional K, M or G (binary multiples); one too large
/// for 64 bits is an error, never a wrapped small number.
fn parse_size(s: &str) -> Result<u64, String> {
    crate::package::limits::parse_size(s)
}

/// The child process that checks one package for `validate` (`run::isolated`): this
/// program with the run's suite, samples, batching and sources. None when the program's own
/// path is unknown: the packages are then checked in this process.
fn worker(suite: &str, samples: usize, batching: &Batching, sources: &Sources) -> Option<crate::run::Worker> {
    use std::io::IsTerminal;
    let program = std::env::current_exe().ok()?;
    let mut args: Vec<std::ffi::OsString> = vec!["check-one-package".into(), "--suite".into(), suite.into()];
    args.extend(["--samples".into(), samples.to_string().into()]);
    args.extend(["--batch-over".into(), batching.over_bytes.to_string().into()]);
    args.extend(["--batch-size".into(), batching.batch_bytes.to_string().into()]);
    if let Some(dir) = &sources.rules {
        args.extend(["--rules".into(), dir.into()]);
    }
    for c in &sources.codelists {
        args.extend(["--codelist".into(), c.into()]);
    }
    args.push("--".into());
    Some(crate::run::Worker { program, args, inherit_stderr: std::io::stderr().is_terminal() })
}

/// Refuses an `--output` that would write into a package being validated (a folder's
/// files, or the .zip itself), so a report can never overwrite the data it judges.
fn output_outside_packages(output: &Path, packages: &[PathBuf]) -> Result<(), UsageError> {
    // The file may not exist yet: its folder is resolved, links and `..` included.
    let resolved = match output.canonicalize() {
        Ok(p) => p,
        Err(_) => {
            let parent = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            match (parent.canonicalize(), output.file_name()) {
                (Ok(dir), Some(name)) => dir.join(name),
                // Nowhere to write: the write itself will say so.
                _ => return Ok(()),
            }
        }
    };
    for package in packages {
        let Ok(root) = package.canonicalize() else { continue };
        if resolved == root || (root.is_dir() && resolved.starts_with(&root)) {
            return Err(UsageError(format!(
                "the report file {} is inside the package {} being validated; write reports outside the package",
                output.display(),
                package.display()
            )));
        }
    }
    Ok(())
}

pub fn run(cli: Cli) -> Result<i32, UsageError> {
    match cli.command {
        Command::Validate {
            packages,
            suite,
            format,
            output,
            reports,
            fail_on,
            baseline,
            metrics,
            summary,
            lang,
            samples,
            batch_over,
            batch_size,
            sources,
        } => {
            let batching = Batching { over_bytes: batch_over, batch_bytes: batch_size.max(1) as usize };
            if matches!(fail_on, FailOnArg::New) && baseline.is_none() {
                return Err(UsageError(
                    "--fail-on new compares with the previous submission: give it with --baseline PREVIOUS.json".into(),
                ));
            }
            let mut files: Vec<(Format, PathBuf)> = output.iter().map(|o| (format, o.clone())).collect();
            files.extend(reports);
            // A report that cannot be written, or would overwrite a package's own files, is
            // known before the packages are read.
            for (_, f) in &files {
                output_outside_packages(f, &packages)?;
                let dir = f.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                if !dir.is_dir() {
                    return Err(UsageError(format!("cannot write {}: the folder {} does not exist", f.display(), dir.display())));
                }
                if f.is_dir() {
                    return Err(UsageError(format!("cannot write {}: it is a folder", f.display())));
                }
            }
            // A panic on one package is reported as that package's internal error (the
            // engine catches it); the default hook would print it to the terminal as well.
            let hook = std::panic::take_hook();
            std::panic::set_hook(Box::new(|_| {}));
            let options = options_from_env();
            let worker = worker(&suite, samples, &batching, &sources);
            let report = validate_in(&packages, &suite, &sources, samples, Some(batching), options, worker.as_ref());
            crate::progress::clear(options.progress);
            std::panic::set_hook(hook);
            let fail_on = match fail_on {
                FailOnArg::Error => report::FailOn::Error,
                FailOnArg::Warning => report::FailOn::Warning,
                FailOnArg::New => report::FailOn::New,
            };
            let (mut report, rules) = report?;
            if baseline.is_some() || metrics.is_some() {
                national(&mut report, &sources, baseline.as_deref(), metrics.as_deref())?;
            }
            let report = report.gate(fail_on);
            let view = report::view::View::new(lang.unwrap_or_else(Lang::from_env), &rules);
            let render = |f: Format| match (f, summary) {
                (Format::Human, false) => report::human::render(&report, &view),
                (Format::Json, false) => report::json::render(&report),
                (Format::Junit, _) => report::junit::render(&report),
                (Format::Human, true) => report::human::batch_summary(&report, &view),
                (Format::Json, true) => report::json::render_summary(&report),
                (Format::Html, _) => report::html::render(&report, &view),
                (Format::Markdown, _) => report::markdown::render(&report, &view),
            };
            if output.is_none() {
                write_out(&render(format), None)?;
            }
            for (f, path) in &files {
                write_out(&render(*f), Some(path))?;
            }
            // A short summary always reaches the console: on standard output when the
            // report went to files, on standard error when standard output carries a
            // machine-readable report (the full terminal view already ends with one).
            let summary = report::human::summary(&report, &files);
            if output.is_some() {
                write_out(&summary, None)?;
            } else if format != Format::Human {
                eprint!("{summary}");
            }
            Ok(report.exit_code())
        }
        Command::CheckOnePackage { package, suite, samples, batch_over, batch_size, sources } => {
            let (registry, all, suite) = setup(&sources, &suite)?;
            let rules = suite.select(&all);
            let batching = Batching { over_bytes: batch_over, batch_bytes: batch_size.max(1) as usize };
            let engine = Engine {
                registry: &registry,
                pins: &suite.pins,
                sample_limit: samples,
                batching: Some(batching),
                options: options_from_env(),
            };
            std::panic::set_hook(Box::new(|_| {}));
            let report = crate::run::packages(&engine, &rules, &[package]).remove(0);
            let text = serde_json::to_string(&report).map_err(|e| UsageError(format!("internal: the report could not be written: {e}")))?;
            write_out(&text, None)?;
            Ok(0)
        }
        Command::Rules { format, sources } => {
            let rules = load_rules(sources.rules.as_deref())?;
            let text = if format == Format::Json {
                let v: Vec<serde_json::Value> = rules
                    .iter()
                    .map(|r| serde_json::json!({"id": r.id, "family": r.family, "severity": r.severity, "kind": r.check.kind(), "table": r.check.table(), "perspectives": r.perspectives, "title": r.title}))
                    .collect();
                serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
            } else {
                list_rules(&rules)
            };
            write_out(&text, None)?;
            Ok(0)
        }
        Command::Explain { rule, lang, sources } => {
            let rules = load_rules(sources.rules.as_deref())?;
            let Some(r) = rules.iter().find(|r| r.id == rule) else {
                let help = crate::suggest::best(&rule, rules.iter().map(|r| r.id.as_str()))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(UsageError(format!("no rule `{rule}`{help}; `sotecheck rules` lists them")));
            };
            write_out(&explain(r, lang.unwrap_or_else(Lang::from_env)), None)?;
            Ok(0)
        }
        Command::TestRules { dir } => {
            let rules = load_rules(dir.as_deref())?;
            let registry = Registry::builtin();
            let results: Vec<_> = rules.iter().flat_map(|r| crate::examples::run_rule(r, &registry)).collect();
            let mut text = String::new();
            for r in &results {
                text.push_str(&format!("{} {} :: {} — {}\n", if r.ok { "ok  " } else { "FAIL" }, r.rule, r.example, r.message));
            }
            let failed = results.iter().filter(|r| !r.ok).count();
            text.push_str(&format!("\n{} passed, {failed} failed\n", results.len() - failed));
            write_out(&text, None)?;
            Ok(if failed > 0 { 1 } else { 0 })
        }
        Command::Generate { region, rows, out, defects, format, seed, year, service, all_regions, defects_for } => {
            let registry = Registry::builtin();
            let years = crate::generate::supported(&service);
            if !years.contains(&year) {
                return Err(UsageError(format!(
                    "--year {year} with --service {service}: generate writes clean packages for {}",
                    if years.is_empty() {
                        "no year: it supports virta-palvelut@1.0 and @1.1 (2023–2026) and kunta-palveluluokitus@2021 and @2022 (their own year)".to_string()
                    } else {
                        years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", ")
                    }
                )));
            }
            let defects = crate::generate::parse_defects(&defects).map_err(UsageError)?;
            let format = if format == DataFormat::Parquet { crate::generate::OutFormat::Parquet } else { crate::generate::OutFormat::Csv };
            // A status line for a person at a terminal only (a package of 100 M rows takes minutes).
            let showing = std::io::IsTerminal::is_terminal(&std::io::stderr());
            if all_regions {
                let figures = registry
                    .figures(crate::codelist::registry::HVA_POPULATION)
                    .ok_or_else(|| UsageError("no county populations".into()))?;
                let total: f64 = figures.values.values().sum();
                for (code, pop) in &figures.values {
                    let opts = crate::generate::Options {
                        region: code.clone(),
                        rows: ((rows as f64) * pop / total).round().max(1.0) as u64,
                        out: out.join(format!("hva{code}-{year}")),
                        format,
                        seed: seed + code.parse::<u64>().unwrap_or(0),
                        year,
                        service: service.clone(),
                        defects: if defects_for.is_empty() || defects_for.contains(code) { defects.clone() } else { Vec::new() },
                    };
                    crate::generate::generate_showing(&opts, &registry, showing).map_err(UsageError)?;
                }
                eprintln!("wrote {} regions under {}", figures.values.len(), out.display());
                return Ok(0);
            }
            let opts = crate::generate::Options { region, rows, out, format, seed, year, service, defects };
            let m = crate::generate::generate_showing(&opts, &registry, showing).map_err(UsageError)?;
            eprintln!("wrote {} ({} activity rows); planted: {:?}", opts.out.display(), m.activity_rows, m.planted);
            Ok(0)
        }
        Command::Init { folder, region, period, service, force, codelists } => {
            let registry = registry(&Sources { rules: None, codelists })?;
            let opts = crate::init::Options { region, period, service, force };
            let done = crate::init::describe(&folder, &opts, &registry)
                .and_then(|d| crate::init::write(&folder, &d, force).map(|written| (d, written)));
            match done {
                Ok((d, written)) => {
                    write_out(&crate::init::render(&d, &folder, &written), None)?;
                    Ok(0)
                }
                Err(crate::init::Failure::Usage(msg)) => Err(UsageError(msg)),
                Err(crate::init::Failure::Unreadable(msg)) => {
                    eprintln!("error: {msg}");
                    Ok(2)
                }
            }
        }
        Command::Report { report: path, suite: spec, format, fail_on, lang, sources } => {
            let text = std::fs::read_to_string(&path).map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
            let mut stored: Report =
                serde_json::from_str(&text).map_err(|e| UsageError(format!("{}: not a sotecheck JSON report: {e}", path.display())))?;
            let all = load_rules(sources.rules.as_deref())?;
            let suite = load_suite(&spec, &all)?;
            let rules = suite.select(&all);
            stored.suite = suite.id();
            for p in &mut stored.packages {
                // Rules the suite does not select are left out; its others are judged again.
                p.findings.retain(|f| rules.iter().any(|r| r.id == f.rule));
                for f in &mut p.findings {
                    if let Some(rule) = rules.iter().find(|r| r.id == f.rule) {
                        report::build::rejudge(f, rule);
                    }
                }
                *p = p.clone().finish();
            }
            let fail_on = match fail_on {
                FailOnArg::Error => report::FailOn::Error,
                FailOnArg::Warning => report::FailOn::Warning,
                FailOnArg::New => return Err(UsageError("`report` has no baseline: use --fail-on error or warning".into())),
            };
            stored.batch = None;
            report::fix_first::annotate(&mut stored, &registry(&sources)?);
            national(&mut stored, &sources, None, None)?;
            let stored = stored.gate(fail_on);
            let view = report::view::View::new(lang.unwrap_or_else(Lang::from_env), &all);
            let text = match format {
                Format::Human => report::human::render(&stored, &view),
                Format::Json => report::json::render(&stored),
                Format::Junit => report::junit::render(&stored),
                Format::Html => report::html::render(&stored, &view),
                Format::Markdown => report::markdown::render(&stored, &view),
            };
            write_out(&text, None)?;
            Ok(stored.exit_code())
        }
        Command::TestSuite { suite: spec } => {
            let all = load_rules(None)?;
            let suite = load_suite(&spec, &all)?;
            let mut text = String::new();
            let mut failed = 0;
            for case in &suite.cases {
                let problems = check_case(&suite, case)?;
                if problems.is_empty() {
                    text.push_str(&format!("ok   {}::{}\n", suite.id(), case.name));
                } else {
                    failed += 1;
                    text.push_str(&format!("FAIL {}::{}\n  {}\n", suite.id(), case.name, problems.join("\n  ")));
                }
            }
            text.push_str(&format!("\n{} passed, {failed} failed\n", suite.cases.len() - failed));
            write_out(&text, None)?;
            Ok(if failed > 0 { 1 } else { 0 })
        }
    }
}

/// Compares one suite case with its expected outcome; returns the differences.
pub fn check_case(suite: &Suite, case: &suite::Case) -> Result<Vec<String>, UsageError> {
    let sources = Sources { rules: None, codelists: Vec::new() };
    let report = validate(
        std::slice::from_ref(&case.package),
        &suite.path.display().to_string(),
        &sources,
        SAMPLE_LIMIT,
        Some(Batching::default()),
    )?;
    let p = &report.packages[0];
    let mut problems = Vec::new();
    let verdict = serde_json::to_value(p.verdict).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
    if verdict != case.verdict {
        problems.push(format!("verdict {verdict}, expected {}", case.verdict));
    }
    use crate::report::Status;
    for f in &p.findings {
        let flagged = matches!(f.status, Status::Fail | Status::Warning);
        match case.findings.get(&f.rule) {
            None if flagged => {
                problems.push(format!("{} is {} ({} failing) but the case expects it to pass", f.rule, f.status.as_str(), f.rows_failing))
            }
            Some(_) if !flagged => problems.push(format!("{} is {}, expected it to be flagged", f.rule, f.status.as_str())),
            Some(Some(n)) if *n != f.rows_failing => problems.push(format!("{}: {} failing, expected {n}", f.rule, f.rows_failing)),
            _ => {}
        }
    }
    Ok(problems)
}

pub fn list_rules(rules: &[Rule]) -> String {
    let w = rules.iter().map(|r| r.id.len()).max().unwrap_or(4);
    let mut out = format!("{:<w$}  {:<12} {:<8} {:<18} perspectives\n", "rule", "family", "severity", "kind");
    for r in rules {
        out.push_str(&format!(
            "{:<w$}  {:<12} {:<8} {:<18} {}\n",
            r.id,
            r.family,
            r.severity.as_str(),
            r.check.kind(),
            r.perspectives.join(", ")
        ));
    }
    out.push_str(&format!("\n{} rules\n", rules.len()));
    out
}

/// The fixed words of `explain`, one set per language.
struct ExplainWords {
    family: &'static str,
    severity: &'static str,
    check: &'static str,
    on: &'static str,
    perspectives: &'static str,
    threshold: &'static str,
    warning_unless: &'static str,
    what: &'static str,
    why: &'static str,
    how_to_fix: &'static str,
    threshold_heading: &'static str,
    references: &'static str,
    examples: &'static str,
    pass: &'static str,
    fail: &'static str,
    flags: &'static str,
    line: &'static str,
    file: &'static str,
}

const EXPLAIN_EN: ExplainWords = ExplainWords {
    family: "family",
    severity: "severity",
    check: "check",
    on: "on",
    perspectives: "perspectives (§29)",
    threshold: "threshold",
    warning_unless: "warning unless",
    what: "What it checks",
    why: "Why it matters",
    how_to_fix: "How to fix",
    threshold_heading: "Threshold",
    references: "References",
    examples: "Examples",
    pass: "pass",
    fail: "fail",
    flags: "flags",
    line: "line",
    file: "file",
};

const EXPLAIN_FI: ExplainWords = ExplainWords {
    family: "sääntöryhmä",
    severity: "vakavuus",
    check: "tarkistus",
    on: "taulussa",
    perspectives: "näkökulmat (§29)",
    threshold: "raja-arvo",
    warning_unless: "varoitus, ellei",
    what: "Mitä sääntö tarkistaa",
    why: "Miksi tällä on väliä",
    how_to_fix: "Näin korjaat",
    threshold_heading: "Raja-arvo",
    references: "Lähteet",
    examples: "Esimerkit",
    pass: "kunnossa",
    fail: "virhe",
    flags: "merkitsee",
    line: "rivi",
    file: "tiedosto",
};

fn section(out: &mut String, heading: &str, text: &str) {
    out.push_str(&format!("\n{heading}\n  {}\n", text.trim().replace('\n', "\n  ")));
}

pub fn explain(r: &Rule, lang: Lang) -> String {
    use crate::rules::model::{family_name, perspective_name};
    let w = match lang {
        Lang::En => &EXPLAIN_EN,
        Lang::Fi => &EXPLAIN_FI,
    };
    let mut out = format!("{} — {}\n\n", r.id, r.title(lang));
    out.push_str(&format!(
        "{}: {}   {}: {}   {}: {} {} {}\n",
        w.family,
        family_name(&r.family, lang),
        w.severity,
        r.severity.name(lang),
        w.check,
        r.check.kind(),
        w.on,
        r.check.table()
    ));
    let perspectives: Vec<&str> = r.perspectives.iter().map(|p| perspective_name(p, lang)).collect();
    out.push_str(&format!("{}: {}\n", w.perspectives, perspectives.join(", ")));
    out.push_str(&format!("{}: {}\n", w.threshold, r.threshold.fail.describe_in(lang)));
    if let Some(warn) = &r.threshold.warn {
        out.push_str(&format!("{}: {}\n", w.warning_unless, warn.describe_in(lang)));
    }
    section(&mut out, w.what, r.docs.what(lang));
    section(&mut out, w.why, r.docs.why(lang));
    section(&mut out, w.how_to_fix, r.docs.how_to_fix(lang));
    if let Some(t) = r.docs.threshold(lang) {
        section(&mut out, w.threshold_heading, t);
    }
    if !r.docs.references.is_empty() {
        out.push_str(&format!("\n{}\n", w.references));
        for x in &r.docs.references {
            out.push_str(&format!("  - {x}\n"));
        }
    }
    out.push_str(&format!("\n{}\n", w.examples));
    for e in &r.examples {
        out.push_str(&format!("  [{}] {}\n", if e.expect == crate::rules::model::Expect::Pass { w.pass } else { w.fail }, e.name));
        for (t, csv) in &e.tables {
            out.push_str(&format!("    {t}:\n"));
            for line in csv.lines() {
                out.push_str(&format!("      {line}\n"));
            }
        }
        if !e.flagged.is_empty() {
            let f: Vec<String> = e
                .flagged
                .iter()
                .map(|f| match f {
                    crate::rules::model::Flag::Line(l) => format!("{} {l}", w.line),
                    crate::rules::model::Flag::Key(k) => k.clone(),
                })
                .collect();
            out.push_str(&format!("    {}: {}\n", w.flags, f.join(", ")));
        }
    }
    out.push_str(&format!("\n{}: {}\n", w.file, r.path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(&r.path).display()));
    out
}
