//! Where a package may read: every path it names (a resource's `path`, `datapackage.json`)
//! is resolved, symbolic links followed, and must land on a regular file inside the
//! package's own folder. A path that leaves it (`../../etc/passwd`, `/etc/passwd`, a link
//! out) or names something that is not a regular file (a FIFO, `/dev/zero`, a folder) is
//! refused before it is opened, so nothing outside the package is read and nothing blocks.

use super::problem::{InputProblem, ProblemCode};
use std::path::{Component, Path, PathBuf};

/// A package folder, resolved once.
#[derive(Debug, Clone)]
pub struct Root(PathBuf);

/// Why a path was refused (without the resolved path: it may name the machine's own
/// folders, which a shared report must not show).
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Absolute, or climbs out with `..`.
    Outside { absolute: bool },
    /// A symbolic link somewhere on the way leads out of the package.
    LinkOutside,
    /// Nothing there.
    Missing,
    /// There, but a folder, FIFO, socket or device.
    NotRegular(&'static str),
    /// The path could not be looked at (permissions).
    Unreadable(String),
}

impl Root {
    pub fn new(folder: &Path) -> std::io::Result<Root> {
        folder.canonicalize().map(Root)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The regular file `relative` names inside the package, resolved (the path to open).
    pub fn file(&self, relative: &str) -> Result<PathBuf, Refusal> {
        let rel = Path::new(relative);
        if rel.has_root() || rel.components().any(|c| matches!(c, Component::Prefix(_))) {
            return Err(Refusal::Outside { absolute: true });
        }
        // `a/../b` stays inside; `../b` does not, whatever lies there.
        let mut depth = 0i64;
        for c in rel.components() {
            match c {
                Component::ParentDir => depth -= 1,
                Component::Normal(_) => depth += 1,
                _ => {}
            }
            if depth < 0 {
                return Err(Refusal::Outside { absolute: false });
            }
        }
        let joined = self.0.join(rel);
        // Looked at without opening: `metadata` does not open a FIFO, so nothing blocks.
        let resolved = match joined.canonicalize() {
            Ok(p) => p,
            // A dangling link is missing too: nothing is read through it.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Refusal::Missing),
            Err(e) => return Err(Refusal::Unreadable(e.kind().to_string())),
        };
        if !resolved.starts_with(&self.0) {
            return Err(Refusal::LinkOutside);
        }
        let meta = std::fs::metadata(&resolved).map_err(|e| Refusal::Unreadable(e.kind().to_string()))?;
        if !meta.is_file() {
            return Err(Refusal::NotRegular(kind(&meta)));
        }
        Ok(resolved)
    }
}

/// For a path that does not exist, the entry beside it whose name is nearest (a typo:
/// `fixtures/demo-pakage` → `fixtures/demo-package`). Only the names of the folder the user
/// pointed into are listed; nothing is opened.
pub fn near_sibling(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let entries = std::fs::read_dir(parent.unwrap_or(Path::new("."))).ok()?;
    let names: Vec<String> = entries.flatten().take(10_000).filter_map(|e| e.file_name().into_string().ok()).collect();
    let mut names: Vec<&str> = names.iter().map(String::as_str).filter(|n| !n.starts_with('.')).collect();
    names.sort_unstable();
    let near = crate::suggest::best(name, names)?;
    Some(parent.map_or_else(|| PathBuf::from(near), |p| p.join(near)))
}

/// What a file that is not a regular one is, in words.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

impl Refusal {
    /// The input problem for `what` (e.g. "resource `activity`") naming `path`.
    pub fn problem(&self, what: &str, path: &str) -> InputProblem {
        match self {
            Refusal::Outside { absolute: true } => InputProblem::error(
                ProblemCode::PathOutsidePackage,
                path,
                format!("{what} names the absolute path `{path}`; it is not read"),
            )
            .help("paths are relative to the package folder: put the file in the package and name it as e.g. \"activity.csv\""),
            Refusal::Outside { absolute: false } => InputProblem::error(
                ProblemCode::PathOutsidePackage,
                path,
                format!("{what} names `{path}`, which leads out of the package folder; it is not read"),
            )
            .help("a package reads only its own files: put the file in the package folder and name it without `..`"),
            Refusal::LinkOutside => InputProblem::error(
                ProblemCode::PathOutsidePackage,
                path,
                format!("{what}: `{path}` is a symbolic link (or lies behind one) to a place outside the package; it is not read"),
            )
            .help("copy the file itself into the package folder instead of linking to it"),
            Refusal::Missing => {
                InputProblem::error(ProblemCode::FileMissing, path, format!("{what} names `{path}`, which is not in the package"))
                    .help("check the `path` in datapackage.json (it is relative to the package folder)")
            }
            Refusal::NotRegular(kind) => InputProblem::error(
                ProblemCode::FileNotRegular,
                path,
                format!("{what}: `{path}` is {kind}, not a regular file; it is not read"),
            )
            .help("name a regular file holding the table"),
            Refusal::Unreadable(why) => {
                InputProblem::error(ProblemCode::FileMissing, path, format!("{what}: `{path}` cannot be looked at: {why}"))
                    .help("check the file's permissions")
            }
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::{Refusal, Root};

    #[test]
    fn refuses_what_leaves_the_package_or_is_not_a_file() {
        let base = std::env::temp_dir().join(format!("sotecheck-paths-{}", std::process::id()));
        let pkg = base.join("pkg");
        std::fs::create_dir_all(pkg.join("sub")).unwrap();
        std::fs::write(pkg.join("activity.csv"), "a\n").unwrap();
        std::fs::write(base.join("outside.csv"), "a\n").unwrap();
        std::os::unix::fs::symlink(base.join("outside.csv"), pkg.join("out.csv")).unwrap();
        std::os::unix::fs::symlink("activity.csv", pkg.join("in.csv")).unwrap();
        std::os::unix::fs::symlink(&base, pkg.join("up")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", pkg.join("zero.csv")).unwrap();
        std::os::unix::fs::symlink(base.join("gone.csv"), pkg.join("dangling.csv")).unwrap();
        let root = Root::new(&pkg).unwrap();
        assert!(root.file("activity.csv").is_ok());
        assert!(root.file("sub/../activity.csv").is_ok(), "`..` that stays inside is fine");
        assert!(root.file("in.csv").is_ok(), "a link inside the package is followed");
        assert_eq!(root.file("../outside.csv"), Err(Refusal::Outside { absolute: false }));
        assert_eq!(root.file("sub/../../outside.csv"), Err(Refusal::Outside { absolute: false }));
        assert_eq!(root.file("/etc/passwd"), Err(Refusal::Outside { absolute: true }));
        assert_eq!(root.file("out.csv"), Err(Refusal::LinkOutside));
        assert_eq!(root.file("up/outside.csv"), Err(Refusal::LinkOutside), "a linked folder on the way");
        assert_eq!(root.file("dangling.csv"), Err(Refusal::Missing));
        assert_eq!(root.file("zero.csv"), Err(Refusal::LinkOutside), "/dev/zero is outside too");
        assert_eq!(root.file("sub"), Err(Refusal::NotRegular("a folder")));
        assert_eq!(root.file("nothing.csv"), Err(Refusal::Missing));
        std::fs::remove_dir_all(&base).unwrap();
    }
}
