//! Versioned, date-effective code lists with hierarchy (code, validity interval, parent,
//! level, leaf), the correspondences between lists, and the loaders for the real export
//! formats they come in.

pub mod koodistot;
pub mod plain;
pub mod registry;
pub mod statfi;
pub mod valtiokonttori;

use chrono::NaiveDate;
use std::collections::BTreeMap;

pub use registry::Registry;

/// One code of a list, as valid in one version of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    pub level: u8,
    /// A leaf may be used in data; a non-leaf ("Erittelemätön …") only groups leaves.
    pub leaf: bool,
    /// Inclusive; `None` = since the beginning of the version.
    pub valid_from: Option<NaiveDate>,
    /// Inclusive; `None` = open-ended.
    pub valid_to: Option<NaiveDate>,
    /// Whether every region must report the class (service classifications only).
    pub mandatory: bool,
}

impl Code {
    pub fn new(code: impl Into<String>, name: impl Into<String>) -> Self {
        Code {
            code: code.into(),
            name: name.into(),
            parent: None,
            level: 1,
            leaf: true,
            valid_from: None,
            valid_to: None,
            mandatory: false,
        }
    }

    pub fn valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= date) && self.valid_to.is_none_or(|t| date <= t)
    }

    /// True when the code's validity overlaps the inclusive interval.
    pub fn valid_during(&self, start: NaiveDate, end: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= end) && self.valid_to.is_none_or(|t| start <= t)
    }
}

/// One version of a code list, e.g. `virta-palvelut@1.1`.
#[derive(Debug, Clone)]
pub struct CodeList {
    /// The identifier a package or suite names it by.
    pub id: String,
    pub title: String,
    /// Where the codes come from; shown by `sotecheck explain` and in reports.
    pub provenance: String,
    pub codes: BTreeMap<String, Code>,
}

impl CodeList {
    pub fn new(id: impl Into<String>, title: impl Into<String>, provenance: impl Into<String>) -> Self {
        CodeList { id: id.into(), title: title.into(), provenance: provenance.into(), codes: BTreeMap::new() }
    }

    pub fn get(&self, code: &str) -> Option<&Code> {
        self.codes.get(code)
    }

    pub fn insert(&mut self, code: Code) {
        self.codes.insert(code.code.clone(), code);
    }

    /// Derives `leaf` (no children) and `level` (depth) from the parent links, for
    /// formats that carry only parents. Fails on a parent that is not in the list.
    pub fn derive_hierarchy(&mut self) -> Result<(), String> {
        let parents: Vec<(String, String)> = self.codes.values().filter_map(|c| c.parent.clone().map(|p| (c.code.clone(), p))).collect();
        for (child, parent) in &parents {
            if !self.codes.contains_key(parent) {
                return Err(format!("code {child} names parent {parent}, which is not in {}", self.id));
            }
        }
        let with_children: std::collections::BTreeSet<&String> = parents.iter().map(|(_, p)| p).collect();
        let depth = |code: &str| {
            let mut d = 1u8;
            let mut cur = self.codes.get(code).and_then(|c| c.parent.clone());
            while let Some(p) = cur {
                d += 1;
                if d > 20 {
                    break;
                }
                cur = self.codes.get(&p).and_then(|c| c.parent.clone());
            }
            d
        };
        let levels: Vec<(String, u8, bool)> = self.codes.keys().map(|k| (k.clone(), depth(k), !with_children.contains(k))).collect();
        for (k, level, leaf) in levels {
            let c = self.codes.get_mut(&k).expect("key from the same map");
            c.level = level;
            c.leaf = leaf;
        }
        Ok(())
    }
}

/// A mapping from the codes of one list to the codes of another, e.g. municipality → county.
#[derive(Debug, Clone)]
pub struct Correspondence {
    pub id: String,
    pub provenance: String,
    pub map: BTreeMap<String, String>,
}

/// A municipal merger after the date of the municipality → county correspondence: from
/// `date` on, `from` is part of `into` and has no inhabitants, rows or code of its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Merger {
    pub date: (i32, u32, u32),
    pub from: &'static str,
    pub into: &'static str,
}

/// Mergers since 1 January 2022 (the correspondence kunta_1_20220101#hyvinvointialue_1_20220101),
/// as Statistics Finland lists them (Tilastokeskus, kuntien lakkautukset ja liitokset;
/// Valtioneuvoston päätös 2023 on the merger of Pertunmaa and Mäntyharju). Both stay in the
/// same county.
pub const MUNICIPAL_MERGERS: &[Merger] = &[Merger { date: (2025, 1, 1), from: "588", into: "507" }];

impl Correspondence {
    /// The source codes that map to `target`.
    pub fn members_of(&self, target: &str) -> Vec<String> {
        self.map.iter().filter(|(_, t)| t.as_str() == target).map(|(s, _)| s.clone()).collect()
    }

    /// The members of `target` that exist for the whole of a period ending on `end`: a
    /// municipality merged into another on or before that day is left out, so a package is
    /// never asked for a municipality that no longer existed (its population is the other's).
    /// Its code is still a member ([`Correspondence::members_of`]): rows using it in a period
    /// before the merger are valid.
    pub fn members_during(&self, target: &str, end: chrono::NaiveDate) -> Vec<String> {
        let merged = |m: &str| {
            MUNICIPAL_MERGERS
                .iter()
                .any(|x| x.from == m && chrono::NaiveDate::from_ymd_opt(x.date.0, x.date.1, x.date.2).is_some_and(|d| d <= end))
        };
        self.members_of(target).into_iter().filter(|m| !merged(m)).collect()
    }
}

/// Official figures keyed by code, e.g. county populations of a year.
#[derive(Debug, Clone)]
pub struct Figures {
    pub id: String,
    pub provenance: String,
    pub values: BTreeMap<String, f64>,
}

/// A region's figure for a year, taken from the years the registry has figures for.
#[derive(Debug, Clone, PartialEq)]
pub struct YearFigure {
    pub value: f64,
    /// Years from the asked year to the nearest year with a published figure (0: published).
    pub distance: i32,
    /// How the figure was found, for the report: "2024", "interpolated between 2020 and
    /// 2024", "2024 (the nearest year with figures)".
    pub how: String,
}

/// A problem in a code-list file: which file, which line, what.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for LoadError {}

pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let s = s.get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}
