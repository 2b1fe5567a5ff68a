//! A region's data package (shared/design/package-format.md): opening a folder or a .zip,
//! reading the descriptor and loading every table (or, for a large one, preparing to
//! stream it), with every input problem recorded.

pub mod contract;
pub mod descriptor;
pub mod limits;
pub mod load;
pub mod parquet_keys;
pub mod paths;
pub mod problem;
pub mod records;
pub mod stream;
pub mod typing;
mod zip;

use crate::codelist::Registry;
use chrono::NaiveDate;
use descriptor::Descriptor;
pub use load::{Batching, Data, Table, LINE};
use problem::{InputProblem, Level, ProblemCode};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A loaded package: its descriptor, the tables that could be read and what was wrong.
#[derive(Debug, Clone)]
pub struct Package {
    /// The path as the user gave it.
    pub source: String,
    pub descriptor: Option<Descriptor>,
    pub tables: BTreeMap<String, Table>,
    pub problems: Vec<InputProblem>,
    /// Where a .zip was unpacked and Windows-1252 files transcoded; streamed tables read
    /// from it while the rules run, so it lives as long as the package.
    scratch: Option<std::sync::Arc<Scratch>>,
}

impl Package {
    pub fn name(&self) -> String {
        self.descriptor.as_ref().map(|d| d.name.clone()).unwrap_or_else(|| {
            Path::new(&self.source).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| self.source.clone())
        })
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    pub fn has_input_errors(&self) -> bool {
        self.problems.iter().any(|p| p.level == Level::Error)
    }

    pub fn period(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.descriptor.as_ref().map(|d| (d.period_start, d.period_end))
    }

    /// Opens and loads a package folder or `.zip`.
    /// A package of tables already in memory (tests, embedding).
    pub fn in_memory(source: &str, descriptor: Option<Descriptor>, tables: BTreeMap<String, Table>) -> Package {
        Package { source: source.to_string(), descriptor, tables, problems: Vec::new(), scratch: None }
    }

    /// Opens a package, reading every table whole.
    pub fn open(path: &Path, registry: &Registry) -> Package {
        Package::open_with(path, registry, None)
    }

    /// Opens a package; with `batching`, tables in files above its threshold are streamed.
    pub fn open_with(path: &Path, registry: &Registry, batching: Option<Batching>) -> Package {
        let source = path.display().to_string();
        let mut pkg = Package { source: source.clone(), descriptor: None, tables: BTreeMap::new(), problems: Vec::new(), scratch: None };
        let scratch = match Scratch::new() {
            Ok(s) => s,
            Err(e) => {
                pkg.problems.push(InputProblem::error(
                    ProblemCode::PackageUnreadable,
                    &source,
                    format!("cannot create a scratch folder: {e}"),
                ));
                return pkg;
            }
        };
        let limits = limits::Limits::get();
        let folder = if path.is_dir() {
            path.to_path_buf()
        } else if path.is_file() && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
            match zip::unzip(path, &scratch.0, &source, &limits) {
                Ok(r) => r,
                Err(p) => {
                    pkg.problems.push(p);
                    return pkg;
                }
            }
        } else {
            let why = if path.exists() { "is neither a folder nor a .zip" } else { "does not exist" };
            let help = match paths::near_sibling(path).filter(|_| !path.exists()) {
                Some(near) => format!("did you mean {}?", near.display()),
                None => "give a package folder holding datapackage.json, or a .zip of one".into(),
            };
            pkg.problems.push(InputProblem::error(ProblemCode::PackageUnreadable, &source, format!("the package {why}")).help(help));
            return pkg;
        };
        let root = match paths::Root::new(&folder) {
            Ok(r) => r,
            Err(e) => {
                pkg.problems.push(InputProblem::error(
                    ProblemCode::PackageUnreadable,
                    &source,
                    format!("cannot open the package folder: {e}"),
                ));
                return pkg;
            }
        };
        let text = match read_descriptor(&root, &source, path.is_dir()) {
            Ok(t) => t,
            Err(p) => {
                pkg.problems.push(*p);
                return pkg;
            }
        };
        let Some(desc) = descriptor::parse(&text, registry, &mut pkg.problems) else {
            return pkg;
        };
        let mut ctx = load::LoadContext { root: root.path(), scratch: &scratch.0, problems: &mut pkg.problems, batching };
        for res in &desc.resources {
            if contract::table(&res.name).is_none() {
                ctx.problems.push(
                    InputProblem::warning(
                        ProblemCode::ResourceUnknown,
                        &res.path,
                        format!("resource `{}` is not a table of the contract; it is ignored", res.name),
                    )
                    .help(match crate::suggest::best(&res.name, contract::table_names()) {
                        Some(t) => format!("did you mean `{t}`? Resource names are the contract's table names, in lower case"),
                        None => format!("the tables are: {}", contract::table_names().collect::<Vec<_>>().join(", ")),
                    }),
                );
            }
        }
        for spec in contract::TABLES {
            match desc.resources.iter().find(|r| r.name == spec.name) {
                Some(res) => {
                    if let Some(t) = load::load(spec, res, &mut ctx) {
                        ctx.problems.extend(descriptor::declared_type_notes(spec, res));
                        pkg.tables.insert(spec.name.to_string(), t);
                    }
                }
                None if spec.required => ctx.problems.push(
                    InputProblem::error(
                        ProblemCode::TableMissing,
                        descriptor::FILE,
                        format!("required table `{}` has no resource", spec.name),
                    )
                    .table(spec.name)
                    .help(format!("add {{\"name\": \"{0}\", \"path\": \"{0}.csv\"}} to `resources`", spec.name)),
                ),
                None => {}
            }
        }
        pkg.descriptor = Some(desc);
        pkg.scratch = Some(std::sync::Arc::new(scratch));
        pkg
    }
}

/// A scratch folder (an unpacked .zip, transcoded files), removed when the package is
/// dropped: streamed tables read from it until then.
#[derive(Debug)]
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Scratch> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("sotecheck-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The descriptor's text, read only if it is a regular file inside the package and not
/// larger than [`limits::DESCRIPTOR_BYTES`].
fn read_descriptor(root: &paths::Root, source: &str, folder: bool) -> Result<String, Box<InputProblem>> {
    let path = root.file(descriptor::FILE).map_err(|r| {
        let p = r.problem("the descriptor", descriptor::FILE);
        Box::new(if p.code == ProblemCode::FileMissing {
            // A folder of exports, the usual first run: `init` writes the descriptor.
            let help = if folder {
                format!(
                    "a package folder must hold a datapackage.json descriptor; for a folder of CSV or Parquet exports, \
                     write one with `sotecheck init {source} --region 08 --period 2025` (your region's code and period)"
                )
            } else {
                "a package must hold a datapackage.json descriptor".to_string()
            };
            InputProblem::error(ProblemCode::DescriptorInvalid, descriptor::FILE, "cannot read datapackage.json: it is not in the package")
                .help(help)
        } else {
            p
        })
    })?;
    let cannot = |e: std::io::Error| {
        Box::new(
            InputProblem::error(ProblemCode::DescriptorInvalid, descriptor::FILE, format!("cannot read datapackage.json: {e}"))
                .help("a package folder must hold a datapackage.json descriptor"),
        )
    };
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::open(&path).map_err(cannot)?, limits::DESCRIPTOR_BYTES + 1),
        &mut bytes,
    )
    .map_err(cannot)?;
    if bytes.len() as u64 > limits::DESCRIPTOR_BYTES {
        return Err(Box::new(
            InputProblem::error(
                ProblemCode::LimitExceeded,
                descriptor::FILE,
                format!("datapackage.json is larger than {}; a descriptor is a few kilobytes", limits::bytes(limits::DESCRIPTOR_BYTES)),
            )
            .help("the descriptor names the tables; the data belongs in the tables' files"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| cannot(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}
