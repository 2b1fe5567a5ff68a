//! The result model of a check: what it measured (`Measure`), the failing rows or items it
//! shows (`Sample`) and where failing weight comes from (`BreakdownRow`). Plain data, shared
//! by the checks that produce it, the executor that merges it over batches and the report
//! that shows it.

use serde::Serialize;
use std::collections::BTreeMap;

/// How many groups a breakdown keeps for the report.
pub const BREAKDOWN_LIMIT: usize = 10;

/// What a check measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Measure {
    pub evaluated: u64,
    pub failing: u64,
    /// Total and failing weight; equal to the row counts when the check is unweighted.
    pub total_weight: f64,
    pub failing_weight: f64,
    pub samples: Vec<Sample>,
    pub breakdown: Vec<BreakdownRow>,
    /// Extra lines for the report (e.g. the top foreign municipalities).
    pub notes: Vec<String>,
    /// Failing rows per `table.column`, for checks over several columns or tables.
    pub by_column: BTreeMap<String, u64>,
}

impl Measure {
    /// Adds the measure of a later part of the same rows (the next batch).
    pub fn merge(&mut self, other: Measure, sample_limit: usize) {
        self.evaluated += other.evaluated;
        self.failing += other.failing;
        self.total_weight += other.total_weight;
        self.failing_weight += other.failing_weight;
        let room = sample_limit.saturating_sub(self.samples.len());
        self.samples.extend(other.samples.into_iter().take(room));
        for b in other.breakdown {
            match self.breakdown.iter_mut().find(|a| a.group == b.group) {
                Some(a) => {
                    a.rows += b.rows;
                    a.failing_rows += b.failing_rows;
                    a.total += b.total;
                    a.failing += b.failing;
                }
                None => self.breakdown.push(b),
            }
        }
        self.notes.extend(other.notes);
        for (place, n) in other.by_column {
            *self.by_column.entry(place).or_default() += n;
        }
    }

    pub fn failing_share(&self) -> f64 {
        if self.total_weight > 0.0 {
            self.failing_weight / self.total_weight
        } else {
            0.0
        }
    }

    /// An unweighted measure of items (months, members, keys).
    pub fn items(evaluated: u64, samples: Vec<Sample>, failing: u64) -> Measure {
        Measure {
            evaluated,
            failing,
            total_weight: evaluated as f64,
            failing_weight: failing as f64,
            samples,
            breakdown: Vec::new(),
            notes: Vec::new(),
            by_column: BTreeMap::new(),
        }
    }
}

/// One failing row or item, with its place and values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub values: BTreeMap<String, Option<String>>,
}

impl Sample {
    /// One sample per line: `shown[j][i]` is column `columns[j]` on line `lines[i]`.
    pub fn at_lines(lines: &[u64], columns: &[String], shown: &[Vec<Option<String>>]) -> Vec<Sample> {
        lines
            .iter()
            .enumerate()
            .map(|(i, line)| Sample {
                line: Some(*line),
                key: None,
                values: columns.iter().zip(shown).map(|(c, v)| (c.clone(), v.get(i).cloned().flatten())).collect(),
            })
            .collect()
    }

    pub fn key(key: impl Into<String>) -> Sample {
        Sample { line: None, key: Some(key.into()), values: BTreeMap::new() }
    }
    pub fn with(mut self, k: &str, v: impl Into<String>) -> Sample {
        self.values.insert(k.to_string(), Some(v.into()));
        self
    }
}

/// Failing weight by a grouping column (cost centre, unit), largest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakdownRow {
    pub group: Option<String>,
    pub rows: u64,
    pub failing_rows: u64,
    pub total: f64,
    pub failing: f64,
}

impl Measure {
    /// Keeps the groups with failing rows, largest failing weight first (ties by name, so
    /// the order is deterministic), at most `BREAKDOWN_LIMIT`.
    pub fn keep_top_groups(mut self) -> Measure {
        self.breakdown.retain(|b| b.failing_rows > 0);
        self.breakdown.sort_by(|a, b| b.failing.total_cmp(&a.failing).then_with(|| a.group.cmp(&b.group)));
        self.breakdown.truncate(BREAKDOWN_LIMIT);
        self
    }
}
