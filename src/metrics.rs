//! A package's key measures, per service class and in total, kept with its report whether
//! rules pass or fail: events and volume per 1 000 inhabitants, euros per inhabitant, unit
//! cost (euros per performance), FTEs per 1 000 inhabitants, own-production shares. They
//! are what the national comparison compares, so they are what the coordinator compares
//! between regions (`batch`) and between submissions (`baseline`).
//!
//! The sums are gathered like any aggregate's (`checks::Gather`), in the same passes over
//! the tables.

use crate::checks::{Gather, KeyedSum, State};
use crate::package::Package;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Sums of one service class (or of all), and the rates made of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// Activity rows (service events).
    pub events: f64,
    /// Performances: the sum of `volume` (1 where empty), care days for inpatient rows.
    pub volume: f64,
    pub euros: f64,
    /// Mean FTEs over the period's months.
    pub fte: f64,
    pub own_events: f64,
    pub own_euros: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_per_1000: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_per_1000: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub euros_per_inhabitant: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fte_per_1000: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_share_events: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_share_euros: Option<f64>,
}

/// The measures a batch compares between regions, with their names in reports.
pub const COMPARED: &[(&str, &str)] = &[
    ("events_per_1000", "events per 1 000 inhabitants"),
    ("volume_per_1000", "performances per 1 000 inhabitants"),
    ("euros_per_inhabitant", "euros per inhabitant"),
    ("unit_cost", "euros per performance"),
    ("fte_per_1000", "FTEs per 1 000 inhabitants"),
];

impl ClassMetrics {
    /// A compared measure by its name in `COMPARED`.
    pub fn get(&self, name: &str) -> Option<f64> {
        match name {
            "events_per_1000" => self.events_per_1000,
            "volume_per_1000" => self.volume_per_1000,
            "euros_per_inhabitant" => self.euros_per_inhabitant,
            "unit_cost" => self.unit_cost,
            "fte_per_1000" => self.fte_per_1000,
            _ => None,
        }
    }

    fn rates(&mut self, population: Option<f64>) {
        let ratio = |a: f64, b: f64| (b > 0.0).then(|| round(a / b));
        let per = |a: f64, scale: f64| population.filter(|p| *p > 0.0).map(|p| round(a / p * scale));
        self.events_per_1000 = per(self.events, 1000.0);
        self.volume_per_1000 = per(self.volume, 1000.0);
        self.euros_per_inhabitant = per(self.euros, 1.0);
        self.fte_per_1000 = per(self.fte, 1000.0);
        self.unit_cost = ratio(self.euros, self.volume);
        self.own_share_events = ratio(self.own_events, self.events);
        self.own_share_euros = ratio(self.own_euros, self.euros);
        for v in [&mut self.events, &mut self.volume, &mut self.euros, &mut self.fte, &mut self.own_events, &mut self.own_euros] {
            *v = round(*v);
        }
    }
}

/// A package's measures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// The population table's total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<f64>,
    /// Share of the population table's municipalities that belong to the package's region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub municipalities_in_region: Option<f64>,
    /// Share of rows, euros and FTEs attached to a valid leaf class, by table (from the
    /// coverage rules of the run).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub coverage: BTreeMap<String, f64>,
    pub total: ClassMetrics,
    /// By service code as delivered.
    pub by_class: BTreeMap<String, ClassMetrics>,
}

/// What the metrics read: each gather and the sum it adds to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sum {
    Events,
    Volume,
    Euros,
    Fte,
    Population,
    Municipalities,
}

/// The gathers the metrics need from the package's tables (those it holds, with the
/// columns needed).
pub fn gathers(pkg: &Package) -> Vec<(Sum, Gather)> {
    let has = |t: &str, cols: &[&str]| pkg.table(t).is_some_and(|t| cols.iter().all(|c| t.has(c)));
    let every_row = crate::checks::every_row;
    let keyed = |table: &str, by: &[&str], sum: Option<Expr>, present: bool| {
        Gather::Keyed(KeyedSum { table: table.into(), by: by.iter().map(|s| s.to_string()).collect(), mask: every_row(), sum, present })
    };
    let mut out = Vec::new();
    if has("activity", &["service_code", "production"]) {
        out.push((Sum::Events, keyed("activity", &["service_code", "production"], None, false)));
        let volume = if has("activity", &["volume"]) {
            col("volume").cast(DataType::Float64).fill_null(lit(1.0))
        } else {
            every_row().cast(DataType::Float64)
        };
        out.push((Sum::Volume, keyed("activity", &["service_code", "production"], Some(volume), false)));
    }
    if has("costs", &["service_code", "production", "amount_eur"]) {
        out.push((Sum::Euros, keyed("costs", &["service_code", "production"], Some(col("amount_eur")), false)));
    }
    if has("staff", &["service_code", "fte"]) {
        out.push((Sum::Fte, keyed("staff", &["service_code"], Some(col("fte")), false)));
    }
    if has("population", &["population"]) {
        out.push((Sum::Population, keyed("population", &[], Some(col("population")), false)));
    }
    if has("population", &["municipality"]) {
        out.push((Sum::Municipalities, keyed("population", &["municipality"], None, true)));
    }
    out
}

/// The metrics from the gathered states (`None` where a gather failed: that sum is left out).
pub fn compute(pkg: &Package, registry: &crate::codelist::Registry, states: &[(Sum, Option<&State>)]) -> Metrics {
    let mut m = Metrics::default();
    let months = pkg.period().map_or(1, |(s, e)| {
        use chrono::Datelike;
        ((e.year() * 12 + e.month() as i32) - (s.year() * 12 + s.month() as i32) + 1).max(1)
    }) as f64;
    for (sum, state) in states {
        match (sum, state) {
            (Sum::Population, Some(State::Sums(s))) => m.population = Some(s.values().sum()),
            (Sum::Municipalities, Some(State::Present(p))) => {
                let region = pkg.descriptor.as_ref().map(|d| d.region.clone()).unwrap_or_default();
                let corr = registry.correspondence(crate::codelist::registry::KUNTA_TO_HVA);
                if let (Some(corr), false) = (corr, p.is_empty()) {
                    let inside = p.iter().filter(|k| corr.map.get(k.as_str()).is_some_and(|r| *r == region)).count();
                    m.municipalities_in_region = Some(round(inside as f64 / p.len() as f64));
                }
            }
            (_, Some(State::Sums(s))) => {
                for (key, v) in s {
                    let (code, production) = key.split_once(' ').unwrap_or((key, ""));
                    let own = production == "own";
                    for c in [&mut m.total, m.by_class.entry(code.to_string()).or_default()] {
                        match sum {
                            Sum::Events => {
                                c.events += v;
                                if own {
                                    c.own_events += v;
                                }
                            }
                            Sum::Volume => c.volume += v,
                            Sum::Euros => {
                                c.euros += v;
                                if own {
                                    c.own_euros += v;
                                }
                            }
                            Sum::Fte => c.fte += v / months,
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // Sums of a streamed table add batch by batch, in another order than one sum over the
    // whole table: their last bits differ. Cut to nine digits first, the rates made of them
    // are the same whichever way the table was read.
    m.population = m.population.map(|p| sig(p, 9));
    for c in std::iter::once(&mut m.total).chain(m.by_class.values_mut()) {
        for v in [&mut c.events, &mut c.volume, &mut c.euros, &mut c.fte, &mut c.own_events, &mut c.own_euros] {
            *v = sig(*v, 9);
        }
    }
    let population = m.population;
    m.total.rates(population);
    for c in m.by_class.values_mut() {
        c.rates(population);
    }
    m
}

/// Six significant digits at most: reports carry no float noise between platforms.
fn round(x: f64) -> f64 {
    sig(x, 6)
}

fn sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = digits - x.abs().log10().ceil() as i32;
    let f = 10f64.powi(digits.clamp(-15, 15));
    (x * f).round() / f
}

/// A metrics file of many runs (`--metrics FILE`): Parquet, one row per package and class
/// (`total` for all classes), appended to run after run, so regions checked on different
/// days can be compared and a region with its past.
pub mod history {
    use super::{ClassMetrics, Metrics};
    use polars::prelude::*;
    use std::path::Path;

    /// One package's measures as a file holds them.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Row {
        pub package: String,
        pub region: String,
        pub period_start: String,
        pub period_end: String,
        pub metrics: Metrics,
    }

    const SUMS: &[&str] = &["events", "volume", "euros", "fte", "own_events", "own_euros"];

    fn frame(rows: &[Row]) -> PolarsResult<DataFrame> {
        let (mut package, mut region, mut start, mut end, mut class, mut population) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut sums: Vec<Vec<f64>> = vec![Vec::new(); SUMS.len()];
        for r in rows {
            let classes = std::iter::once(("total", &r.metrics.total)).chain(r.metrics.by_class.iter().map(|(k, c)| (k.as_str(), c)));
            for (k, c) in classes {
                package.push(r.package.clone());
                region.push(r.region.clone());
                start.push(r.period_start.clone());
                end.push(r.period_end.clone());
                class.push(k.to_string());
                population.push(r.metrics.population);
                for (s, v) in sums.iter_mut().zip([c.events, c.volume, c.euros, c.fte, c.own_events, c.own_euros]) {
                    s.push(v);
                }
            }
        }
        let mut cols = vec![
            Column::new("package".into(), package),
            Column::new("region".into(), region),
            Column::new("period_start".into(), start),
            Column::new("period_end".into(), end),
            Column::new("class".into(), class),
            Column::new("population".into(), population),
        ];
        let height = cols[0].len();
        cols.extend(SUMS.iter().zip(sums).map(|(n, v)| Column::new((*n).into(), v)));
        DataFrame::new(height, cols)
    }

    /// The rows of a metrics file (none when it does not exist yet).
    pub fn load(path: &Path) -> Result<Vec<Row>, String> {
        if !path.exists() {
            return Ok(Vec::new());
        }
        let why =
            |e: PolarsError| format!("{}: not a sotecheck metrics file: {}", path.display(), e.to_string().lines().next().unwrap_or(""));
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let df = ParquetReader::new(file).finish().map_err(why)?;
        let text = |c: &str| -> Result<Vec<String>, String> {
            Ok(crate::frame::strings(&crate::frame::column(&df, c).map_err(why)?).into_iter().map(Option::unwrap_or_default).collect())
        };
        let num =
            |c: &str| -> Result<Vec<Option<f64>>, String> { crate::frame::f64s(&crate::frame::column(&df, c).map_err(why)?).map_err(why) };
        let (package, region, start, end, class) =
            (text("package")?, text("region")?, text("period_start")?, text("period_end")?, text("class")?);
        let population = num("population")?;
        let sums: Vec<Vec<Option<f64>>> = SUMS.iter().map(|c| num(c)).collect::<Result<_, _>>()?;
        let mut rows: Vec<Row> = Vec::new();
        for i in 0..df.height() {
            let key = (&package[i], &region[i], &start[i], &end[i]);
            let at = match rows.iter().position(|r| (&r.package, &r.region, &r.period_start, &r.period_end) == key) {
                Some(at) if rows.len() - 1 == at => at,
                _ => {
                    rows.push(Row {
                        package: package[i].clone(),
                        region: region[i].clone(),
                        period_start: start[i].clone(),
                        period_end: end[i].clone(),
                        metrics: Metrics { population: population[i], ..Default::default() },
                    });
                    rows.len() - 1
                }
            };
            let v = |j: usize| sums[j][i].unwrap_or(0.0);
            let c = ClassMetrics {
                events: v(0),
                volume: v(1),
                euros: v(2),
                fte: v(3),
                own_events: v(4),
                own_euros: v(5),
                ..Default::default()
            };
            let m = &mut rows[at].metrics;
            if class[i] == "total" {
                m.total = c;
            } else {
                m.by_class.insert(class[i].clone(), c);
            }
        }
        for r in &mut rows {
            let p = r.metrics.population;
            r.metrics.total.rates(p);
            r.metrics.by_class.values_mut().for_each(|c| c.rates(p));
        }
        Ok(rows)
    }

    /// Appends `rows` to the file (made if absent), writing a new file and renaming it over
    /// the old one, so a failed write leaves the old file whole.
    pub fn append(path: &Path, rows: &[Row]) -> Result<(), String> {
        let mut all = load(path)?;
        all.extend_from_slice(rows);
        let mut df = frame(&all).map_err(|e| e.to_string())?;
        let tmp = path.with_extension("parquet.tmp");
        let mut write = || -> Result<(), String> {
            let f = std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
            ParquetWriter::new(f).finish(&mut df).map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
        };
        write().inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
    }
}
