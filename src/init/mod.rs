//! `sotecheck init`: a descriptor for a folder of CSV or Parquet exports, for a region's first
//! run. Each file at the folder's top level is matched to a table of the contract by its name
//! and, for CSV, read as far as a bounded sample (`sniff`): encoding, delimiter, header and
//! how each number column writes its decimals and thousands (`numbers`). What it could not
//! decide is said, never guessed silently; the folder is read as a package is (`paths`: no
//! link out, nothing but regular files).

mod columns;
mod names;
mod numbers;
mod period;
mod render;
mod sniff;

use crate::codelist::Registry;
use crate::package::{contract, descriptor, limits, paths};
use chrono::NaiveDate;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

pub use period::{parse_period, Period};
pub use render::render;

/// What the user tells `init`.
#[derive(Debug, Clone)]
pub struct Options {
    /// County code, `08`.
    pub region: String,
    /// `2025`, `2025-Q1`, `2025-03` or `2025-01-01..2025-06-30`.
    pub period: String,
    /// The service classification version the data are coded in.
    pub service: String,
    /// Replace an existing `datapackage.json`.
    pub force: bool,
}

/// Why no descriptor was written.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// A flag, or a descriptor already there: exit code 3.
    Usage(String),
    /// The folder or its files cannot be read: exit code 2.
    Unreadable(String),
}

/// What `init` found: the descriptor to write and what it says about it.
#[derive(Debug, Clone)]
pub struct Described {
    pub name: String,
    pub region: String,
    pub region_name: Option<String>,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub service: String,
    pub tables: Vec<TableFile>,
    /// Files that are neither CSV nor Parquet (not described).
    pub other_files: Vec<String>,
    /// What could not be decided, one sentence each.
    pub undecided: Vec<String>,
    pub descriptor: Value,
}

/// One table and the file that holds it.
#[derive(Debug, Clone)]
pub struct TableFile {
    pub table: &'static str,
    pub file: String,
    /// Why the file was taken for the table when its name is not the table's.
    pub guess: Option<String>,
    /// `utf-8 · delimiter `;` · 6 columns · 362 rows read (the whole file)`, or `Parquet`.
    pub summary: String,
    /// Per column: what was inferred (`amount_eur: decimal comma (`180,00`)`).
    pub inferred: Vec<String>,
}

/// Describes `folder`; nothing is written.
pub fn describe(folder: &Path, opts: &Options, registry: &Registry) -> Result<Described, Failure> {
    let Period { start, end, label, slug } = parse_period(&opts.period).map_err(Failure::Usage)?;
    let region_name = check_region(&opts.region, registry)?;
    check_service(&opts.service, registry)?;
    let root = open_folder(folder)?;
    if !opts.force {
        existing(&root, folder)?;
    }
    let mut undecided = Vec::new();
    let (files, other_files) = list_files(&root, &mut undecided)?;
    let chosen = choose(&files, &mut undecided);
    let mut tables = Vec::new();
    let mut resources = Vec::new();
    for (spec, file, guess) in chosen {
        // Looked at again when read: the folder may have changed since it was listed.
        let path = root.file(&file).map_err(|r| Failure::Unreadable(format!("{file}: {}", refused(&r))))?;
        let (resource, summary, inferred) = columns::resource(spec, &path, &file, &mut undecided);
        resources.push(resource);
        tables.push(TableFile { table: spec.name, file, guess, summary, inferred });
    }
    // A table whose files were ambiguous is already said; one with none is said here.
    let said = |name: &str| undecided.iter().any(|u| u.starts_with(&format!("`{name}`: ")));
    let missing: Vec<&str> = contract::TABLES
        .iter()
        .filter(|s| s.required && !tables.iter().any(|t| t.table == s.name) && !said(s.name))
        .map(|s| s.name)
        .collect();
    for name in missing {
        undecided.push(format!(
            "required table `{0}`: no file found for it; add {0}.csv (or .parquet) to the folder, or add a resource \
             named `{0}` to datapackage.json",
            name
        ));
    }
    let name = format!("hva{}-{slug}", opts.region);
    let title = match &region_name {
        Some(n) => format!("{n}, {label}"),
        None => format!("{}, {label}", opts.region),
    };
    let descriptor = json!({
        "name": name,
        "title": title,
        "sote": {
            "region": opts.region,
            "period": {"start": start.to_string(), "end": end.to_string()},
            "classifications": {"service": opts.service, "municipality": descriptor::DEFAULT_MUNICIPALITY_LIST},
        },
        "resources": resources,
    });
    Ok(Described {
        name,
        region: opts.region.clone(),
        region_name,
        start,
        end,
        service: opts.service.clone(),
        tables,
        other_files,
        undecided,
        descriptor,
    })
}

/// Writes the descriptor into `folder` (replacing one only when `force`), through a file
/// renamed into place: an existing `datapackage.json` that is a link is replaced, never
/// written through.
pub fn write(folder: &Path, described: &Described, force: bool) -> Result<PathBuf, Failure> {
    let root = open_folder(folder)?;
    if !force {
        existing(&root, folder)?;
    }
    let target = root.path().join(descriptor::FILE);
    if target.is_dir() {
        return Err(Failure::Usage(format!("{} is a folder; remove it first", folder.join(descriptor::FILE).display())));
    }
    let text = serde_json::to_string_pretty(&described.descriptor).unwrap_or_default() + "\n";
    let scratch = root.path().join(".datapackage.json.sotecheck-init");
    let cannot = |e: std::io::Error| Failure::Unreadable(format!("cannot write {}: {e}", folder.join(descriptor::FILE).display()));
    std::fs::write(&scratch, text).map_err(cannot)?;
    std::fs::rename(&scratch, &target).map_err(|e| {
        let _ = std::fs::remove_file(&scratch);
        cannot(e)
    })?;
    Ok(folder.join(descriptor::FILE))
}

/// The folder, resolved; what it is when it is not one.
fn open_folder(folder: &Path) -> Result<paths::Root, Failure> {
    if folder.is_file() {
        let zip = folder.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip"));
        return Err(Failure::Usage(if zip {
            format!("{} is a .zip: unpack it and run init on its folder", folder.display())
        } else {
            format!("{} is a file: init describes a folder of CSV or Parquet files", folder.display())
        }));
    }
    if !folder.exists() {
        let hint = paths::near_sibling(folder).map(|s| format!("; did you mean {}?", s.display())).unwrap_or_default();
        return Err(Failure::Unreadable(format!("the folder {} does not exist{hint}", folder.display())));
    }
    paths::Root::new(folder).map_err(|e| Failure::Unreadable(format!("cannot open the folder {}: {e}", folder.display())))
}

/// A descriptor already in the folder is not replaced without `--force`.
fn existing(root: &paths::Root, folder: &Path) -> Result<(), Failure> {
    if std::fs::symlink_metadata(root.path().join(descriptor::FILE)).is_ok() {
        return Err(Failure::Usage(format!(
            "{} already exists; it is not overwritten.\n  hint: check it with `sotecheck validate {}`, or run init again with \
             --force to replace it",
            folder.join(descriptor::FILE).display(),
            folder.display()
        )));
    }
    Ok(())
}

/// CSV and Parquet files at the folder's top level, by name; the other files' names.
fn list_files(root: &paths::Root, undecided: &mut Vec<String>) -> Result<(Vec<String>, Vec<String>), Failure> {
    let entries = std::fs::read_dir(root.path()).map_err(|e| Failure::Unreadable(format!("cannot list the folder: {e}")))?;
    let mut names: Vec<String> = Vec::new();
    // A bound on what a folder of exports holds (a folder of millions of files is not one).
    for entry in entries.flatten().take(10_000) {
        match entry.file_name().into_string() {
            Ok(n) => names.push(n),
            Err(n) => undecided.push(format!("a file name that is not UTF-8 ({}) is not read", n.to_string_lossy())),
        }
    }
    names.sort();
    let (mut files, mut others) = (Vec::new(), Vec::new());
    for name in names {
        let ext = Path::new(&name).extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if name.starts_with('.') || name == descriptor::FILE {
            continue;
        }
        let table_like = matches!(ext.as_str(), "csv" | "tsv" | "parquet");
        match root.file(&name) {
            Ok(_) if table_like => files.push(name),
            Ok(_) => others.push(name),
            Err(paths::Refusal::NotRegular("a folder")) => {}
            Err(refusal) if table_like => undecided.push(format!("{name}: {}", refused(&refusal))),
            Err(_) => {}
        }
    }
    if files.len() > limits::RESOURCES {
        undecided.push(format!(
            "the folder holds {} CSV and Parquet files; the first {} by name are looked at",
            files.len(),
            limits::RESOURCES
        ));
        files.truncate(limits::RESOURCES);
    }
    Ok((files, others))
}

fn refused(refusal: &paths::Refusal) -> String {
    match refusal {
        paths::Refusal::LinkOutside | paths::Refusal::Outside { .. } => {
            "a link to a place outside the folder; not read (copy the file itself into the folder)".into()
        }
        paths::Refusal::NotRegular(kind) => format!("{kind}, not a regular file; not read"),
        paths::Refusal::Missing => "a link to nothing; not read".into(),
        paths::Refusal::Unreadable(why) => format!("cannot be looked at ({why})"),
    }
}

/// The file for each table, in the contract's order: the one named as the table, else the
/// one guess; ties and names that fit nothing are undecided.
fn choose(files: &[String], undecided: &mut Vec<String>) -> Vec<(&'static contract::TableSpec, String, Option<String>)> {
    let matched: Vec<(&String, names::NameMatch)> = files
        .iter()
        .map(|f| (f, names::table_for(Path::new(f).file_stem().map(|s| s.to_string_lossy()).unwrap_or_default().as_ref())))
        .collect();
    let mut chosen = Vec::new();
    for spec in contract::TABLES {
        let exact: Vec<&String> = matched.iter().filter(|(_, m)| *m == names::NameMatch::Exact(spec.name)).map(|(f, _)| *f).collect();
        let guesses: Vec<(&String, &String)> = matched
            .iter()
            .filter_map(|(f, m)| match m {
                names::NameMatch::Guess { table, why } if *table == spec.name => Some((*f, why)),
                _ => None,
            })
            .collect();
        let quoted = |fs: &[&String]| fs.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ");
        match (exact.as_slice(), guesses.as_slice()) {
            ([one], _) => {
                chosen.push((spec, one.to_string(), None));
                for (f, why) in &guesses {
                    undecided.push(format!("{f} may also hold `{}` ({why}); {one} is used", spec.name));
                }
            }
            ([], [(f, why)]) => chosen.push((spec, f.to_string(), Some(why.to_string()))),
            ([], []) => {}
            ([], several) => undecided.push(format!(
                "`{}`: {} could each hold it; none is used — rename the one that does to {}.csv",
                spec.name,
                quoted(&several.iter().map(|(f, _)| *f).collect::<Vec<_>>()),
                spec.name
            )),
            (several, _) => undecided.push(format!(
                "`{}`: {} are each named as the table; none is used — keep one of them in the folder",
                spec.name,
                quoted(several)
            )),
        }
    }
    for (f, m) in &matched {
        match m {
            names::NameMatch::None => undecided.push(format!(
                "{f}: its name is not a table of the contract ({}); if it holds one, rename it, or add it to datapackage.json \
                 with that table's name",
                contract::table_names().collect::<Vec<_>>().join(", ")
            )),
            names::NameMatch::Several(tables) => undecided.push(format!(
                "{f}: its name fits {}; not used — rename it to the table it holds",
                tables.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(" and ")
            )),
            _ => {}
        }
    }
    chosen
}

/// The county's name, or a usage error for a code that is not a reporting region.
fn check_region(region: &str, registry: &Registry) -> Result<Option<String>, Failure> {
    let counties = registry.list("hyvinvointialue_1_20211013");
    let name = counties.and_then(|l| l.get(region)).map(|c| c.name.clone());
    if region == "91" || (counties.is_some() && name.is_none()) {
        let hint = if region.len() == 1 && region.chars().all(|c| c.is_ascii_digit()) {
            format!("codes have two digits: did you mean 0{region}?")
        } else {
            "use 01–21, or 90 for Helsinki (91, Åland, is not a reporting region)".into()
        };
        return Err(Failure::Usage(format!("--region `{region}` is not a wellbeing services county code; {hint}")));
    }
    Ok(name)
}

fn check_service(service: &str, registry: &Registry) -> Result<(), Failure> {
    if registry.list(service).is_some() {
        return Ok(());
    }
    let family = service.split('@').next().unwrap_or(service);
    let known = registry.versions_of(family);
    let known = if known.is_empty() { registry.versions_of("virta-palvelut") } else { known };
    Err(Failure::Usage(format!(
        "--service `{service}`: sotecheck does not have this classification; known: {}; add another with --codelist {service}=FILE",
        known.join(", ")
    )))
}
