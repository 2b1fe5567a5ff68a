//! The command line: argument parsing, the commands, output files and exit codes. The
//! library knows nothing of argv; this module turns arguments into library calls.

use crate::codelist::Registry;
use crate::engine::{Engine, SAMPLE_LIMIT};
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
        /// How many failing rows each finding shows.
        #[arg(long, default_value_t = SAMPLE_LIMIT)]
        samples: usize,
        /// Tables in files larger than this are read in batches while the rules run, so
        /// memory stays flat however large the table (e.g. `256M`, `1G`; `0`: every table).
        #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
        batch_over: u64,
        /// About how much of a streamed file each batch holds (e.g. `64M`).
        #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
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
    let dir = dir.map(Path::to_path_buf).unwrap_or_else(rules::builtin_dir);
    let (rules, bad) = rules::load_dir(&dir).map_err(|e| UsageError(format!("cannot read rules folder {}: {e}", dir.display())))?;
    if !bad.is_empty() {
        let text: Vec<String> = bad.iter().map(|b| b.render()).collect();
        return Err(UsageError(text.join("\n")));
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in &rules {
        if !seen.insert(r.id.clone()) {
            return Err(UsageError(format!("rule id `{}` is defined twice in {}", r.id, dir.display())));
        }
    }
    Ok(rules)
}

fn load_suite(spec: &str, rules: &[Rule]) -> Result<Suite, UsageError> {
    let path = suite::resolve(spec, &suite::builtin_dir()).map_err(UsageError)?;
    suite::load(&path, rules).map_err(|e| UsageError(e.render()))
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

/// Validates packages with a suite; the report and the packages' input problems decide
/// the exit code.
pub fn validate(
    packages: &[PathBuf],
    suite_spec: &str,
    sources: &Sources,
    samples: usize,
    batching: Option<Batching>,
) -> Result<Report, UsageError> {
    let registry = registry(sources)?;
    let all = load_rules(sources.rules.as_deref())?;
    let suite = load_suite(suite_spec, &all)?;
    let rules = suite.select(&all);
    let engine = Engine { rules: &rules, registry: &registry, pins: &suite.pins, sample_limit: samples, batching };
    let mut reports = engine.run_paths(packages);
    for r in &mut reports {
        accept_check(&suite, r);
    }
    Ok(Report {
        schema_version: report::SCHEMA_VERSION.into(),
        tool: format!("sotecheck {}", env!("CARGO_PKG_VERSION")),
        suite: suite.id(),
        packages: reports,
    })
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

/// A size in bytes: a number with an optional K, M or G (binary multiples); one too large
/// for 64 bits is an error, never a wrapped small number.
fn parse_size(s: &str) -> Result<u64, String> {
    crate::package::limits::parse_size(s)
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
                "--output {} is inside the package {} being validated; write the report outside the package",
                output.display(),
                package.display()
            )));
        }
    }
    Ok(())
}

pub fn run(cli: Cli) -> Result<i32, UsageError> {
    match cli.command {
        Command::Validate { packages, suite, format, output, samples, batch_over, batch_size, sources } => {
            if let Some(out) = &output {
                output_outside_packages(out, &packages)?;
            }
            let batching = Batching { over_bytes: batch_over, batch_bytes: batch_size.max(1) as usize };
            let report = validate(&packages, &suite, &sources, samples, Some(batching))?;
            let text = match format {
                Format::Human => report::human::render(&report),
                Format::Json => report::json::render(&report),
                Format::Junit => report::junit::render(&report),
            };
            write_out(&text, output.as_deref())?;
            Ok(report.exit_code())
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
        Command::Explain { rule, sources } => {
            let rules = load_rules(sources.rules.as_deref())?;
            let Some(r) = rules.iter().find(|r| r.id == rule) else {
                let help = crate::suggest::best(&rule, rules.iter().map(|r| r.id.as_str()))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(UsageError(format!("no rule `{rule}`{help}; `sotecheck rules` lists them")));
            };
            write_out(&explain(r), None)?;
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
        Command::Generate { region, rows, out, defects, format, seed, year, service, all_regions } => {
            let registry = Registry::builtin();
            let defects = crate::generate::parse_defects(&defects).map_err(UsageError)?;
            let format = if format == DataFormat::Parquet { crate::generate::OutFormat::Parquet } else { crate::generate::OutFormat::Csv };
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
                        defects: defects.clone(),
                    };
                    crate::generate::generate(&opts, &registry).map_err(UsageError)?;
                }
                eprintln!("wrote {} regions under {}", figures.values.len(), out.display());
                return Ok(0);
            }
            let opts = crate::generate::Options { region, rows, out, format, seed, year, service, defects };
            let m = crate::generate::generate(&opts, &registry).map_err(UsageError)?;
            eprintln!("wrote {} ({} activity rows); planted: {:?}", opts.out.display(), m.activity_rows, m.planted);
            Ok(0)
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

pub fn explain(r: &Rule) -> String {
    let mut out = format!("{} — {}\n\n", r.id, r.title);
    out.push_str(&format!("family: {}   severity: {}   check: {} on {}\n", r.family, r.severity.as_str(), r.check.kind(), r.check.table()));
    out.push_str(&format!("perspectives (§29): {}\n", r.perspectives.join(", ")));
    out.push_str(&format!("threshold: {}\n", r.threshold.fail.describe()));
    if let Some(w) = &r.threshold.warn {
        out.push_str(&format!("warning unless: {}\n", w.describe()));
    }
    out.push_str(&format!(
        "\nWhat it checks\n  {}\n\nWhy it matters\n  {}\n",
        r.docs.what.trim().replace('\n', "\n  "),
        r.docs.why.trim().replace('\n', "\n  ")
    ));
    if let Some(t) = &r.docs.threshold {
        out.push_str(&format!("\nThreshold reasoning\n  {}\n", t.trim().replace('\n', "\n  ")));
    }
    if !r.docs.references.is_empty() {
        out.push_str("\nReferences\n");
        for x in &r.docs.references {
            out.push_str(&format!("  - {x}\n"));
        }
    }
    out.push_str("\nExamples\n");
    for e in &r.examples {
        out.push_str(&format!("  [{}] {}\n", if e.expect == crate::rules::model::Expect::Pass { "pass" } else { "fail" }, e.name));
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
                    crate::rules::model::Flag::Line(l) => format!("line {l}"),
                    crate::rules::model::Flag::Key(k) => k.clone(),
                })
                .collect();
            out.push_str(&format!("    flags: {}\n", f.join(", ")));
        }
    }
    out.push_str(&format!("\nfile: {}\n", r.path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(&r.path).display()));
    out
}
