//! The documented limits on what one package may make sotecheck read, unpack or report
//! (docs/package-format.md, "Limits"): packages are untrusted input, opened side by side on
//! the coordinator's machine, so none may take its disk, memory or time. Each limit has a
//! default and an environment variable that changes it.

use std::sync::OnceLock;

/// The limits in force.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Bytes all entries of a .zip may expand to together.
    pub zip_total: u64,
    /// Bytes one .zip entry may expand to.
    pub zip_entry: u64,
    /// How many times its compressed size an entry may expand to, once it is larger than
    /// [`RATIO_FLOOR`].
    pub zip_ratio: u64,
    /// Entries a .zip may hold.
    pub zip_entries: u64,
    /// Bytes of one CSV record (a field is part of one, so this caps fields too).
    pub csv_record: u64,
    /// Columns a CSV header may name.
    pub csv_columns: u64,
}

/// Entries smaller than this are never judged by their ratio: a small file of repeated
/// text compresses far better than 100:1 without being a bomb.
pub const RATIO_FLOOR: u64 = 1 << 20;

/// The largest `datapackage.json` read (a descriptor is a few kilobytes).
pub const DESCRIPTOR_BYTES: u64 = 16 << 20;

/// Resources a descriptor may list (the contract has five tables).
pub const RESOURCES: usize = 64;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // 100 M activity rows, the largest package benchmarked, are about 10 GiB of CSV.
            zip_total: 64 << 30,
            zip_entry: 32 << 30,
            // Apache POI's default for the same attack (ZipSecureFile, 1 %); exports of real
            // tables deflate 5–15:1, a bomb of zeros about 1000:1.
            zip_ratio: 100,
            zip_entries: 1000,
            // A contract record is about 100 bytes; 1 MiB is 10 000 times that.
            csv_record: 1 << 20,
            // The widest contract table has 12 columns; exports with extra columns have tens.
            csv_columns: 1000,
        }
    }
}

/// The environment variable for each limit, and its field.
const VARIABLES: &[(&str, fn(&mut Limits) -> &mut u64, bool)] = &[
    ("SOTECHECK_ZIP_MAX_TOTAL", |l| &mut l.zip_total, true),
    ("SOTECHECK_ZIP_MAX_ENTRY", |l| &mut l.zip_entry, true),
    ("SOTECHECK_ZIP_MAX_RATIO", |l| &mut l.zip_ratio, false),
    ("SOTECHECK_ZIP_MAX_ENTRIES", |l| &mut l.zip_entries, false),
    ("SOTECHECK_CSV_MAX_RECORD", |l| &mut l.csv_record, true),
    ("SOTECHECK_CSV_MAX_COLUMNS", |l| &mut l.csv_columns, false),
];

impl Limits {
    /// The defaults, changed by any `SOTECHECK_*` variable set; an unreadable value is an
    /// error naming the variable.
    pub fn from_env() -> Result<Limits, String> {
        let mut limits = Limits::default();
        for (name, field, is_size) in VARIABLES {
            let Ok(value) = std::env::var(name) else { continue };
            let n =
                if *is_size { parse_size(&value) } else { value.trim().parse::<u64>().map_err(|_| format!("`{value}` is not a number")) }
                    .map_err(|e| format!("{name}: {e}"))?;
            if n == 0 {
                return Err(format!("{name}: a limit of 0 would refuse every package"));
            }
            *field(&mut limits) = n;
        }
        Ok(limits)
    }

    /// The limits in force for this process (read once; an unreadable variable leaves the
    /// defaults, as `main` has already refused to start with one).
    pub fn get() -> Limits {
        static LIMITS: OnceLock<Limits> = OnceLock::new();
        *LIMITS.get_or_init(|| Limits::from_env().unwrap_or_default())
    }
}

/// A size in bytes: a whole number with an optional K, M or G (binary multiples). A size
/// that does not fit in 64 bits is an error, never a wrapped small number.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("`{s}`: the unit must be K, M or G")),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let n = num.trim().parse::<u64>().map_err(|e| match e.kind() {
        std::num::IntErrorKind::PosOverflow => format!("`{s}` is too large (at most {} bytes)", u64::MAX),
        _ => format!("`{s}` is not a size such as 64M or 1G"),
    })?;
    n.checked_mul(mult).ok_or_else(|| format!("`{s}` is too large (at most {} bytes)", u64::MAX))
}

/// A byte count for messages: `1.5 GiB`, `64 MiB`, `512 bytes`.
pub fn bytes(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if n >= size {
            let whole = n / size;
            let tenth = (n % size) * 10 / size;
            return if tenth == 0 { format!("{whole} {unit}") } else { format!("{whole}.{tenth} {unit}") };
        }
    }
    format!("{n} bytes")
}

#[cfg(test)]
mod tests {
    use super::{bytes, parse_size};

    #[test]
    fn sizes_parse_and_never_wrap() {
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size(" 1g "), Ok(1 << 30));
        assert_eq!(parse_size("0"), Ok(0));
        assert!(parse_size("99999999999999G").unwrap_err().contains("too large"));
        assert!(parse_size("18446744073709551616").unwrap_err().contains("too large"));
        assert!(parse_size("16777216T").unwrap_err().contains("unit"));
        assert!(parse_size("-1M").unwrap_err().contains("not a size"));
        assert_eq!(parse_size("17179869183G"), Ok(17179869183 << 30), "the largest G that fits");
        assert!(parse_size("17179869184G").is_err(), "one more does not");
    }

    #[test]
    fn byte_counts_read_as_units() {
        assert_eq!(bytes(10 << 30), "10 GiB");
        assert_eq!(bytes(3 << 29), "1.5 GiB");
        assert_eq!(bytes(1 << 20), "1 MiB");
        assert_eq!(bytes(100), "100 bytes");
    }
}
