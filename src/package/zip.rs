//! Unpacking a `.zip` package safely: every entry is judged from the central directory
//! before a byte is inflated (names that would land outside the folder, symbolic links and
//! other special entries, names given twice, sizes, ratio and count against [`Limits`]),
//! then extracted while its bytes are counted, since a header can lie about its size.

use super::limits::{bytes, Limits, RATIO_FLOOR};
use super::problem::{InputProblem, ProblemCode};
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Extracts `path` into `scratch/zip` and returns the folder holding `datapackage.json`
/// (the zip's root or its single top folder), or the problem that stopped it. Problems
/// name the entry; `source` (the package as the user gave it) where the whole .zip is at
/// fault.
pub(crate) fn unzip(path: &Path, scratch: &Path, source: &str, limits: &Limits) -> Result<PathBuf, InputProblem> {
    let unreadable = |why: String| {
        InputProblem::error(ProblemCode::PackageUnreadable, source, format!("cannot read the .zip: {why}"))
            .help("make the .zip again from the package folder (e.g. `zip -r pkg.zip pkg`)")
    };
    let mut file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    // The zip reader keeps one entry per name (the last): names given twice are found in
    // the central directory itself, before a reader that would hide them.
    let (count, size, offset) = central_directory(&mut file).map_err(unreadable)?;
    if count > limits.zip_entries {
        return Err(limit(
            source,
            format!("the .zip holds {count} entries; at most {} are read", limits.zip_entries),
            "SOTECHECK_ZIP_MAX_ENTRIES",
        ));
    }
    let names = central_names(&mut file, count, size, offset).map_err(unreadable)?;
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for name in &names {
        // `a//b` and `./a/b` name the same file as `a/b`.
        let normal: Vec<&str> = name.split(['/', '\\']).filter(|c| !c.is_empty() && *c != ".").collect();
        let n = seen.entry(normal.join("/")).or_default();
        *n += 1;
        if *n == 2 {
            return Err(InputProblem::error(
                ProblemCode::PackageUnreadable,
                name.as_str(),
                format!("the .zip holds `{name}` twice; which one is the package's is ambiguous, so neither is read"),
            )
            .help("make the .zip again from the package folder, so that every file is in it once"));
        }
    }
    file.seek(SeekFrom::Start(0)).map_err(|e| unreadable(e.to_string()))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| unreadable(e.to_string()))?;

    // Judged whole before anything is written.
    let mut plan: Vec<(usize, PathBuf, u64)> = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| unreadable(e.to_string()))?;
        let name = entry.name().to_string();
        let Some(relative) = entry.enclosed_name() else {
            return Err(InputProblem::error(
                ProblemCode::PathOutsidePackage,
                name.as_str(),
                format!("the .zip entry `{name}` would be written outside the package folder; the .zip is not unpacked"),
            )
            .help("entries must be relative paths inside the package folder, without `..` or a leading `/`"));
        };
        if entry.is_symlink() {
            return Err(InputProblem::error(
                ProblemCode::FileNotRegular,
                name.as_str(),
                format!("the .zip entry `{name}` is a symbolic link; the .zip is not unpacked"),
            )
            .help("put the file itself in the .zip (`zip -r` without `--symlinks`)"));
        }
        if entry.is_dir() {
            plan.push((i, relative, 0));
            continue;
        }
        if let Some(kind) = entry.unix_mode().and_then(special) {
            return Err(InputProblem::error(
                ProblemCode::FileNotRegular,
                name.as_str(),
                format!("the .zip entry `{name}` is {kind}, not a regular file; the .zip is not unpacked"),
            )
            .help("a package holds regular files only"));
        }
        let (size, packed) = (entry.size(), entry.compressed_size());
        if size > limits.zip_entry {
            return Err(limit(
                name.as_str(),
                format!("the .zip entry `{name}` expands to {}; at most {} is unpacked per entry", bytes(size), bytes(limits.zip_entry)),
                "SOTECHECK_ZIP_MAX_ENTRY",
            ));
        }
        if size > RATIO_FLOOR && size / packed.max(1) >= limits.zip_ratio {
            return Err(limit(
                name.as_str(),
                format!(
                    "the .zip entry `{name}` expands {}:1 ({} to {}); at most {}:1 is unpacked (a zip bomb looks like this)",
                    size / packed.max(1),
                    bytes(packed),
                    bytes(size),
                    limits.zip_ratio
                ),
                "SOTECHECK_ZIP_MAX_RATIO",
            ));
        }
        total = total.saturating_add(size);
        if total > limits.zip_total {
            return Err(limit(
                source,
                format!("the .zip's entries expand to more than {} together; at most that is unpacked", bytes(limits.zip_total)),
                "SOTECHECK_ZIP_MAX_TOTAL",
            ));
        }
        plan.push((i, relative, size));
    }

    let out = scratch.join("zip");
    std::fs::create_dir_all(&out).map_err(|e| unreadable(e.to_string()))?;
    for (i, relative, declared) in plan {
        let target = out.join(&relative);
        let mut entry = archive.by_index(i).map_err(|e| unreadable(e.to_string()))?;
        if entry.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| unreadable(e.to_string()))?;
            continue;
        }
        let name = entry.name().to_string();
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| unreadable(e.to_string()))?;
        }
        // `create_new`: an entry never writes through a file or link already there.
        let mut written = std::fs::OpenOptions::new().write(true).create_new(true).open(&target).map_err(|e| unreadable(e.to_string()))?;
        let mut buf = vec![0u8; 1 << 16];
        let mut count = 0u64;
        loop {
            let n = entry.read(&mut buf).map_err(|e| unreadable(format!("entry `{name}`: {e}")))?;
            if n == 0 {
                break;
            }
            count += n as u64;
            // The declared size was judged above; more than it is a header that lies.
            if count > declared {
                return Err(limit(
                    name.as_str(),
                    format!(
                        "the .zip entry `{name}` expands past the {} its header declares; the .zip is corrupt or forged, and is not unpacked",
                        bytes(declared)
                    ),
                    "SOTECHECK_ZIP_MAX_ENTRY",
                ));
            }
            written.write_all(&buf[..n]).map_err(|e| unreadable(e.to_string()))?;
        }
    }

    if out.join(super::descriptor::FILE).is_file() {
        return Ok(out);
    }
    let dirs: Vec<PathBuf> = std::fs::read_dir(&out)
        .map_err(|e| unreadable(e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join(super::descriptor::FILE).is_file())
        .collect();
    match dirs.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(unreadable("no datapackage.json at its root or in a top folder".into())),
        _ => Err(unreadable("more than one folder with a datapackage.json".into())),
    }
}

fn limit(file: &str, message: String, variable: &str) -> InputProblem {
    InputProblem::error(ProblemCode::LimitExceeded, file, message).help(format!(
        "if the package is genuine, raise the limit with the environment variable {variable} (docs/package-format.md, Limits)"
    ))
}

/// What a Unix file mode that is not a regular file or folder is, in words.
fn special(mode: u32) -> Option<&'static str> {
    match mode & 0o170000 {
        0 | 0o100000 | 0o040000 => None,
        0o120000 => Some("a symbolic link"),
        0o010000 => Some("a FIFO (named pipe)"),
        0o020000 | 0o060000 => Some("a device"),
        0o140000 => Some("a socket"),
        _ => Some("not a regular file"),
    }
}

/// The central directory's entry count, size and offset, from the end record (zip64 too).
fn central_directory(file: &mut std::fs::File) -> Result<(u64, u64, u64), String> {
    let len = file.seek(SeekFrom::End(0)).map_err(|e| e.to_string())?;
    // The end record is 22 bytes plus a comment of at most 65 535.
    let tail_len = len.min(22 + 65_535);
    let mut tail = vec![0u8; tail_len as usize];
    file.seek(SeekFrom::Start(len - tail_len)).map_err(|e| e.to_string())?;
    file.read_exact(&mut tail).map_err(|e| e.to_string())?;
    let eocd = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .ok_or("no end of central directory: not a .zip, or cut short")?;
    let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]) as u64;
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as u64;
    let u64_at = |b: &[u8], i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    let end = &tail[eocd..];
    let (mut count, mut size, mut offset) = (u16_at(end, 10), u32_at(end, 12), u32_at(end, 16));
    if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
        // Zip64: the locator sits just before the end record and points at the zip64 end.
        let at = (len - tail_len) + eocd as u64;
        let locator_at = at.checked_sub(20).ok_or("a zip64 .zip without its locator")?;
        let mut locator = [0u8; 20];
        file.seek(SeekFrom::Start(locator_at)).map_err(|e| e.to_string())?;
        file.read_exact(&mut locator).map_err(|e| e.to_string())?;
        if locator[..4] != [0x50, 0x4b, 0x06, 0x07] {
            return Err("a zip64 .zip without its locator".into());
        }
        let mut end64 = [0u8; 56];
        file.seek(SeekFrom::Start(u64_at(&locator, 8))).map_err(|e| e.to_string())?;
        file.read_exact(&mut end64).map_err(|e| e.to_string())?;
        if end64[..4] != [0x50, 0x4b, 0x06, 0x06] {
            return Err("a zip64 .zip whose end record is missing".into());
        }
        (count, size, offset) = (u64_at(&end64, 32), u64_at(&end64, 40), u64_at(&end64, 48));
    }
    if offset.checked_add(size).is_none_or(|e| e > len) {
        return Err("the central directory lies outside the file".into());
    }
    Ok((count, size, offset))
}

/// The entry names in the central directory, in order, as written (with duplicates).
fn central_names(file: &mut std::fs::File, count: u64, size: u64, offset: u64) -> Result<Vec<String>, String> {
    // Entries are 46 bytes and at most three 64 KiB fields each.
    if size > count.saturating_mul(46 + 3 * 65_535) {
        return Err(format!("its central directory is {} for {count} entries", bytes(size)));
    }
    let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]) as u64;
    let mut dir = vec![0u8; size as usize];
    file.seek(SeekFrom::Start(offset)).map_err(|e| e.to_string())?;
    file.read_exact(&mut dir).map_err(|e| e.to_string())?;
    let mut names = Vec::new();
    let mut at = 0usize;
    while names.len() as u64 != count {
        if at + 46 > dir.len() || dir[at..at + 4] != [0x50, 0x4b, 0x01, 0x02] {
            return Err(format!("the central directory lists {count} entries but holds {}", names.len()));
        }
        let (n, extra, comment) = (u16_at(&dir, at + 28) as usize, u16_at(&dir, at + 30) as usize, u16_at(&dir, at + 32) as usize);
        let name = dir.get(at + 46..at + 46 + n).ok_or("an entry name runs past the central directory")?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + n + extra + comment;
    }
    Ok(names)
}
