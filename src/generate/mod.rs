//! `sotecheck generate`: realistic synthetic packages that follow the contract — the real
//! municipalities of a region with their population shares, real county and municipality
//! codes, the sote service classes with plausible volumes, unit costs and ages, costs and
//! staff consistent with activity and population. Activity is streamed to disk row by row,
//! so 100 M rows need no more memory than 1 000. `--defects` plants chosen defects at
//! chosen rates and writes `manifest.json` with exactly what was planted.

pub mod profile;

use crate::codelist::registry::{HVA_POPULATION_FAMILY, KUNTA_TO_HVA};
use crate::codelist::Registry;
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Defect {
    UnknownService,
    NotLeafService,
    RetiredService,
    LostLeadingZero,
    ForeignMunicipality,
    IdentityCode,
    DuplicateEventId,
    DateOutsidePeriod,
    AgeOutOfRange,
    MissingMonth,
    NegativeFte,
    UnmappedCostCenter,
    BrokenDate,
    /// Every euro multiplied by the rate (a cost outlier between regions).
    CostsScaled,
    /// This share of activity rows left out, their costs and staff kept (an activity outlier).
    ActivityDropped,
}

pub const DEFECTS: &[(&str, Defect)] = &[
    ("unknown-service", Defect::UnknownService),
    ("not-leaf-service", Defect::NotLeafService),
    ("retired-service", Defect::RetiredService),
    ("lost-leading-zero", Defect::LostLeadingZero),
    ("foreign-municipality", Defect::ForeignMunicipality),
    ("identity-code", Defect::IdentityCode),
    ("duplicate-event-id", Defect::DuplicateEventId),
    ("date-outside-period", Defect::DateOutsidePeriod),
    ("age-out-of-range", Defect::AgeOutOfRange),
    ("missing-month", Defect::MissingMonth),
    ("negative-fte", Defect::NegativeFte),
    ("unmapped-cost-center", Defect::UnmappedCostCenter),
    ("broken-date", Defect::BrokenDate),
    ("costs-scaled", Defect::CostsScaled),
    ("activity-dropped", Defect::ActivityDropped),
];

/// Parses `kind:rate,kind:rate` (a rate is a share of activity rows; `missing-month`,
/// `negative-fte` and `unmapped-cost-center` take a count, `costs-scaled` a factor).
pub fn parse_defects(spec: &str) -> Result<Vec<(Defect, f64)>, String> {
    let mut out = Vec::new();
    for part in spec.split(',').filter(|s| !s.trim().is_empty()) {
        let (name, rate) = part.split_once(':').unwrap_or((part, "1"));
        let d = DEFECTS.iter().find(|(n, _)| *n == name.trim()).map(|(_, d)| *d).ok_or_else(|| {
            format!("unknown defect `{name}`; defects: {}", DEFECTS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "))
        })?;
        let rate: f64 = rate.trim().parse().map_err(|_| format!("defect `{name}`: `{rate}` is not a number"))?;
        out.push((d, rate));
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutFormat {
    Csv,
    Parquet,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub region: String,
    pub rows: u64,
    pub out: PathBuf,
    pub format: OutFormat,
    pub seed: u64,
    pub year: i32,
    pub service: String,
    pub defects: Vec<(Defect, f64)>,
}

/// SplitMix64: small, fast and reproducible across platforms, which the fixtures need.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Cumulative weights for fast weighted draws.
struct Picker(Vec<f64>);

impl Picker {
    fn new(weights: impl IntoIterator<Item = f64>) -> Picker {
        let mut acc = 0.0;
        Picker(
            weights
                .into_iter()
                .map(|w| {
                    acc += w;
                    acc
                })
                .collect(),
        )
    }
    fn pick(&self, rng: &mut Rng) -> usize {
        let x = rng.f() * self.0.last().copied().unwrap_or(1.0);
        self.0.partition_point(|&c| c <= x).min(self.0.len() - 1)
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Manifest {
    pub region: String,
    pub year: i32,
    pub activity_rows: u64,
    pub seed: u64,
    pub service: String,
    /// Defect → how many rows (or items) were planted.
    pub planted: BTreeMap<String, u64>,
}

fn embedded_csv(text: &str) -> Vec<Vec<String>> {
    crate::text::parse_csv(text, ',').into_iter().skip(1).map(|r| r.fields).collect()
}

const POP_2020: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/codelists/source/kunta_population_2020_yle.csv"));
const YTUNNUS: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/codelists/source/kunta_ytunnus.csv"));

/// The years `generate` writes clean packages for with a classification: the stand-in Virta
/// versions from the counties' start (2023) while population figures are near enough to
/// check (see `reconcile::MAX_FIGURE_YEARS`); a State Treasury year only for its own year,
/// and not 2023: when the counties took over social and health care, the municipal
/// classification of 2023 dropped its sote classes (only environmental health, 27xx, stays).
pub fn supported(service: &str) -> Vec<i32> {
    match service.split_once('@') {
        Some(("virta-palvelut", "1.0" | "1.1")) => (2023..=2026).collect(),
        Some(("kunta-palveluluokitus", y @ ("2021" | "2022"))) => y.parse().into_iter().collect(),
        _ => Vec::new(),
    }
}

fn supported_years(service: &str) -> String {
    match supported(service).as_slice() {
        [] => "no years".into(),
        [one] => one.to_string(),
        [first, .., last] => format!("{first}–{last}"),
    }
}

/// Writes a package; returns what was planted.
pub fn generate(o: &Options, registry: &Registry) -> Result<Manifest, String> {
    generate_showing(o, registry, false)
}

/// `generate`, with a status line on standard error (`progress`: the command line's choice,
/// when it is a terminal): rows written, then rows converted to Parquet.
pub fn generate_showing(o: &Options, registry: &Registry, progress: bool) -> Result<Manifest, String> {
    let result = write_package(o, registry, progress);
    crate::progress::clear(progress);
    result
}

fn write_package(o: &Options, registry: &Registry, progress: bool) -> Result<Manifest, String> {
    let started = std::time::Instant::now();
    let prefix = format!("sotecheck generate: {}", o.out.display());
    let corr = registry.correspondence(KUNTA_TO_HVA).ok_or("no municipality correspondence")?;
    let year_end = NaiveDate::from_ymd_opt(o.year, 12, 31).ok_or_else(|| format!("year {} is out of range", o.year))?;
    let munis = corr.members_during(&o.region, year_end);
    if munis.is_empty() {
        return Err(format!("region `{}` has no municipalities (use 01–21 or 90)", o.region));
    }
    let list = registry.list(&o.service).ok_or_else(|| format!("unknown service classification `{}`", o.service))?;
    let (first, last) = (
        NaiveDate::from_ymd_opt(o.year, 1, 1).ok_or_else(|| format!("year {} is out of range", o.year))?,
        NaiveDate::from_ymd_opt(o.year, 12, 31).ok_or_else(|| format!("year {} is out of range", o.year))?,
    );
    // Each profile class as the declared version writes it in the package's year: itself,
    // or the class it was split from (2536 before 2556/2557); classes the version does not
    // have as a leaf valid all year are left out, so a clean package is clean in any year.
    let usable = |code: &str| list.get(code).is_some_and(|c| c.leaf && c.valid_on(first) && c.valid_on(last));
    let mut services: Vec<(&str, f64, f64, u32, u32)> = Vec::new();
    for s in profile::SERVICES {
        let Some(code) = [s.0, profile::code_for(false, s.0)].into_iter().find(|c| usable(c)) else { continue };
        match services.iter_mut().find(|x| x.0 == code) {
            // Two profile classes written as one code (2556 and 2557 as 2536): one class.
            Some(x) => x.1 += s.1,
            None => services.push((code, s.1, s.2, s.3, s.4)),
        }
    }
    let mandatory: Vec<&str> =
        list.codes.values().filter(|c| c.mandatory && c.valid_during(first, last)).map(|c| c.code.as_str()).collect();
    if let Some(missing) = mandatory.iter().find(|m| !services.iter().any(|s| s.0 == **m)) {
        return Err(format!(
            "{} has no profile for mandatory class {missing} in {}: generate supports {}",
            o.service,
            o.year,
            supported_years(&o.service)
        ));
    }
    if services.is_empty() {
        return Err(format!("{} has no service classes valid in {}: generate supports {}", o.service, o.year, supported_years(&o.service)));
    }
    let pop2020: BTreeMap<String, f64> = embedded_csv(POP_2020).into_iter().map(|r| (r[0].clone(), r[3].parse().unwrap_or(0.0))).collect();
    // JHS 159: the business ID without its hyphen, as an OID arc without a leading zero.
    let ytunnus: BTreeMap<String, String> =
        embedded_csv(YTUNNUS).into_iter().map(|r| (r[0].clone(), r[2].replace('-', "").trim_start_matches('0').to_string())).collect();
    // The county's population for the package's year, as the population check reads it.
    let county_total = registry.figure_for_year(HVA_POPULATION_FAMILY, &o.region, o.year).map(|f| f.value.round()).unwrap_or(100_000.0);
    // A municipality merged before the year's end counts with the one it joined.
    let weight = |m: &String| {
        let absorbed = crate::codelist::MUNICIPAL_MERGERS.iter().filter(|x| x.into == m && !munis.iter().any(|k| k == x.from));
        pop2020.get(m).copied().unwrap_or(1000.0) + absorbed.map(|x| pop2020.get(x.from).copied().unwrap_or(0.0)).sum::<f64>()
    };
    let weights: Vec<f64> = munis.iter().map(weight).collect();
    let scale = county_total / weights.iter().sum::<f64>();
    let muni_pick = Picker::new(weights.clone());
    // The three largest municipalities host the units.
    let mut by_size: Vec<usize> = (0..munis.len()).collect();
    by_size.sort_by(|a, b| weights[*b].total_cmp(&weights[*a]).then(a.cmp(b)));
    let hosts: Vec<usize> = by_size.into_iter().take(3).collect();

    let service_pick = Picker::new(services.iter().map(|s| s.1));
    let unit_oid = |class: usize, host: usize| {
        let muni = &munis[hosts[host % hosts.len()]];
        format!("1.2.246.10.{}.10.{}", ytunnus.get(muni).cloned().unwrap_or_else(|| "2116752".into()), 1000 + class * 10 + host)
    };

    std::fs::create_dir_all(&o.out).map_err(|e| format!("{}: {e}", o.out.display()))?;
    let rate = |d: Defect| o.defects.iter().find(|(x, _)| *x == d).map(|(_, r)| *r).unwrap_or(0.0);
    let mut planted: BTreeMap<String, u64> = BTreeMap::new();
    let mut plant = |d: Defect, n: u64| {
        let name = DEFECTS.iter().find(|(_, x)| *x == d).map(|(n, _)| n.to_string()).unwrap_or_default();
        *planted.entry(name).or_default() += n;
    };
    let mut rng = Rng(o.seed);
    let foreign: Vec<String> =
        corr.map.iter().filter(|(_, h)| **h != o.region && h.as_str() != "91").map(|(k, _)| k.clone()).take(40).collect();
    let missing_month = rate(Defect::MissingMonth) > 0.0;
    if missing_month {
        plant(Defect::MissingMonth, 1);
    }

    // activity, streamed
    let days = if NaiveDate::from_ymd_opt(o.year, 12, 31).is_some_and(|d| d.ordinal() == 366) { 366 } else { 365 };
    let tmp_csv = o.out.join("activity.csv");
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp_csv).map_err(|e| e.to_string())?);
    let io = |e: std::io::Error| e.to_string();
    writeln!(w, "event_id,event_date,service_code,unit_oid,production,municipality,age,sex,contact_mode,professional,diagnosis,volume")
        .map_err(io)?;
    // (class, production, month) → (events, euros)
    let mut agg: BTreeMap<(usize, bool, u32), (u64, f64)> = BTreeMap::new();
    let contact_pick = Picker::new(profile::CONTACT_MODES.iter().map(|c| c.1));
    let mut written = 0u64;
    let mut last_id = String::new();
    // Whether the last row already repeats the id before it: a repeat of a repeat adds one
    // failing row (the id's third), not two.
    let mut last_repeated = false;
    let mut seq = 0u64;
    while written < o.rows {
        seq += 1;
        let s = service_pick.pick(&mut rng);
        let (code, _, cost, amin, amax) = services[s];
        let mut day = rng.below(days) as u32;
        let mut date = NaiveDate::from_yo_opt(o.year, day + 1).expect("day of year");
        if missing_month && date.month() == 3 {
            day = (day + 31) % days as u32;
            date = NaiveDate::from_yo_opt(o.year, day + 1).expect("day of year");
            if date.month() == 3 {
                continue;
            }
        }
        let m = muni_pick.pick(&mut rng);
        let mut muni = munis[m].clone();
        let mut age = amin + rng.below((amax - amin + 1) as u64) as u32;
        let sex = if rng.f() < 0.002 {
            "9"
        } else if rng.f() < 0.52 {
            "2"
        } else {
            "1"
        };
        let own = rng.f() < 0.85;
        let host = hosts.iter().position(|h| *h == m).unwrap_or(0);
        let unit = unit_oid(s, host);
        let (cm, _) = profile::CONTACT_MODES[contact_pick.pick(&mut rng)];
        let prof = profile::OCCUPATIONS[s % profile::OCCUPATIONS.len()];
        let mut diag =
            if rng.f() < 0.6 { profile::DIAGNOSES[rng.below(profile::DIAGNOSES.len() as u64) as usize].to_string() } else { String::new() };
        let mut id = format!("E{:010}", seq);
        let mut code_out = code.to_string();
        let mut date_out = date.to_string();
        // Planted defects: each row gets at most one, drawn in a fixed order.
        let x = rng.f();
        let mut acc = 0.0;
        let mut pick = |d: Defect| {
            let r = rate(d);
            let hit = !matches!(
                d,
                Defect::MissingMonth | Defect::NegativeFte | Defect::UnmappedCostCenter | Defect::CostsScaled | Defect::ActivityDropped
            ) && x >= acc
                && x < acc + r;
            acc += r;
            hit
        };
        if pick(Defect::UnknownService) {
            code_out = "9999".into();
            plant(Defect::UnknownService, 1);
        } else if pick(Defect::NotLeafService) {
            code_out = "2530".into();
            plant(Defect::NotLeafService, 1);
        } else if pick(Defect::RetiredService) {
            code_out = "2537".into();
            plant(Defect::RetiredService, 1);
        } else if pick(Defect::LostLeadingZero) && muni.starts_with('0') {
            muni = muni.trim_start_matches('0').to_string();
            plant(Defect::LostLeadingZero, 1);
        } else if pick(Defect::ForeignMunicipality) && !foreign.is_empty() {
            muni = foreign[rng.below(foreign.len() as u64) as usize].clone();
            plant(Defect::ForeignMunicipality, 1);
        } else if pick(Defect::IdentityCode) {
            diag = "131052-308T".into();
            plant(Defect::IdentityCode, 1);
        } else if pick(Defect::DuplicateEventId) && !last_id.is_empty() {
            id = last_id.clone();
            plant(Defect::DuplicateEventId, if last_repeated { 1 } else { 2 });
        } else if pick(Defect::DateOutsidePeriod) {
            date_out = date.with_year(o.year - 1).unwrap_or(date).to_string();
            plant(Defect::DateOutsidePeriod, 1);
        } else if pick(Defect::AgeOutOfRange) {
            age = 130;
            plant(Defect::AgeOutOfRange, 1);
        } else if pick(Defect::BrokenDate) {
            date_out = format!("{}-02-30", o.year);
            plant(Defect::BrokenDate, 1);
        }
        // A dropped row still has its costs and staff: the activity alone goes missing.
        let dropped = rate(Defect::ActivityDropped) > 0.0 && rng.f() < rate(Defect::ActivityDropped);
        if dropped {
            plant(Defect::ActivityDropped, 1);
        } else {
            writeln!(
                w,
                "{id},{date_out},{code_out},{unit},{},{muni},{age},{sex},{cm},{prof},{},1",
                if own { "own" } else { "purchased" },
                crate::text::csv_field(&diag, ',')
            )
            .map_err(io)?;
        }
        last_repeated = id == last_id;
        last_id = id;
        let e = agg.entry((s, own, date.month())).or_default();
        e.0 += 1;
        e.1 += cost;
        written += 1;
        if progress && written % (1 << 20) == 0 {
            crate::progress::rows(true, &format!("{prefix} · activity"), written, Some(o.rows), started);
        }
    }
    w.flush().map_err(io)?;
    drop(w);

    // costs: one row per class × production × month × cost centre
    let cc = |s: usize, own: bool| format!("CC{}{}", services[s].0, if own { "O" } else { "P" });
    let mut w = BufWriter::new(std::fs::File::create(o.out.join("costs.csv")).map_err(io)?);
    writeln!(w, "month,service_code,cost_center,account,production,amount_eur").map_err(io)?;
    let scale_costs = if rate(Defect::CostsScaled) > 0.0 { rate(Defect::CostsScaled) } else { 1.0 };
    if scale_costs != 1.0 {
        plant(Defect::CostsScaled, 1);
    }
    for ((s, own, month), (_, euros)) in &agg {
        writeln!(
            w,
            "{}-{month:02},{},{},{},{},{:.2}",
            o.year,
            services[*s].0,
            cc(*s, *own),
            if *own { "4000" } else { "4300" },
            if *own { "own" } else { "purchased" },
            euros * scale_costs
        )
        .map_err(io)?;
    }
    w.flush().map_err(io)?;

    // staff: own production, ~32 FTE per 1 000 inhabitants spread by class volume
    let total_weight: f64 = services.iter().map(|s| s.1).sum();
    let mut w = BufWriter::new(std::fs::File::create(o.out.join("staff.csv")).map_err(io)?);
    writeln!(w, "month,service_code,unit_oid,occupation,fte").map_err(io)?;
    let negative = rate(Defect::NegativeFte) as u64;
    let mut neg_left = negative;
    for month in 1..=12u32 {
        for (s, svc) in services.iter().enumerate() {
            if !agg.contains_key(&(s, true, month)) {
                continue;
            }
            let fte = county_total * 32.0 / 1000.0 * svc.1 / total_weight;
            let fte = if neg_left > 0 {
                neg_left -= 1;
                -fte
            } else {
                fte
            };
            writeln!(
                w,
                "{}-{month:02},{},{},{},{:.2}",
                o.year,
                svc.0,
                unit_oid(s, 0),
                profile::OCCUPATIONS[s % profile::OCCUPATIONS.len()],
                fte
            )
            .map_err(io)?;
        }
    }
    w.flush().map_err(io)?;
    if negative > 0 {
        plant(Defect::NegativeFte, negative - neg_left);
    }

    // population: municipality × sex × age 0–100, scaled to the county's official total
    let age_total: f64 = (0..=100).map(profile::age_weight).sum();
    let mut w = BufWriter::new(std::fs::File::create(o.out.join("population.csv")).map_err(io)?);
    writeln!(w, "year,municipality,age,sex,population").map_err(io)?;
    for (i, m) in munis.iter().enumerate() {
        for sex in ["1", "2"] {
            for age in 0..=100u32 {
                let share = if sex == "2" { 0.505 } else { 0.495 };
                let v = (weights[i] * scale * share * profile::age_weight(age) / age_total).round().max(1.0);
                writeln!(w, "{},{m},{age},{sex},{}", o.year, v as u64).map_err(io)?;
            }
        }
    }
    w.flush().map_err(io)?;

    // service_map: every cost centre and unit attached, valid from the start of the year
    let unmapped = rate(Defect::UnmappedCostCenter) as usize;
    let mut w = BufWriter::new(std::fs::File::create(o.out.join("service_map.csv")).map_err(io)?);
    writeln!(w, "local_id,kind,service_code,valid_from,valid_to").map_err(io)?;
    let mut skipped = 0;
    let mut ccs: Vec<(usize, bool)> = agg.keys().map(|(s, own, _)| (*s, *own)).collect();
    ccs.dedup();
    for (s, own) in ccs {
        if skipped < unmapped {
            skipped += 1;
            continue;
        }
        writeln!(w, "{},cost_center,{},{}-01-01,", cc(s, own), services[s].0, o.year).map_err(io)?;
    }
    if skipped > 0 {
        plant(Defect::UnmappedCostCenter, skipped as u64);
    }
    for (s, svc) in services.iter().enumerate() {
        for h in 0..hosts.len() {
            writeln!(w, "{},unit,{},{}-01-01,", unit_oid(s, h), svc.0, o.year).map_err(io)?;
        }
    }
    w.flush().map_err(io)?;

    let county_name =
        registry.list("hyvinvointialue_1_20211013").and_then(|l| l.get(&o.region)).map(|c| c.name.clone()).unwrap_or_default();
    let tables = ["activity", "costs", "staff", "population", "service_map"];
    if o.format == OutFormat::Parquet {
        to_parquet(&o.out, &tables, progress.then_some(prefix.as_str()))?;
    }
    let ext = if o.format == OutFormat::Parquet { "parquet" } else { "csv" };
    let resources: Vec<serde_json::Value> =
        tables.iter().map(|t| serde_json::json!({"name": t, "path": format!("{t}.{ext}"), "format": ext, "encoding": "utf-8"})).collect();
    let desc = serde_json::json!({
        "name": format!("hva{}-{}", o.region, o.year),
        "title": format!("{county_name}, {} (synthetic)", o.year),
        "sote": {
            "region": o.region,
            "period": {"start": format!("{}-01-01", o.year), "end": format!("{}-12-31", o.year)},
            "classifications": {"service": o.service, "municipality": "kunta_1_20230101"},
            "contact": "tietojohtaminen@example.fi"
        },
        "resources": resources,
    });
    std::fs::write(o.out.join("datapackage.json"), serde_json::to_string_pretty(&desc).unwrap_or_default() + "\n").map_err(io)?;
    let manifest =
        Manifest { region: o.region.clone(), year: o.year, activity_rows: written, seed: o.seed, service: o.service.clone(), planted };
    std::fs::write(o.out.join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n").map_err(io)?;
    Ok(manifest)
}

/// Rows of a row group written by `to_parquet` (polars' own writer cuts a table read whole
/// into groups of about this many).
const GROUP_ROWS: usize = 1 << 18;

/// A Parquet file written batch by batch in row groups of `GROUP_ROWS` rows (the last
/// fewer), whatever the batches' sizes and chunks.
struct GroupWriter {
    file: Option<std::fs::File>,
    writer: Option<polars::io::parquet::write::BatchedWriter<std::fs::File>>,
    /// Rows not yet written, fewer than a group.
    pending: Option<polars::prelude::DataFrame>,
}

impl GroupWriter {
    fn add(&mut self, batch: &polars::prelude::DataFrame) -> polars::prelude::PolarsResult<()> {
        let batch = batch.drop(crate::package::LINE)?;
        let mut pending = match self.pending.take() {
            None => batch,
            Some(mut p) => {
                p.vstack_mut(&batch)?;
                p
            }
        };
        while pending.height() >= GROUP_ROWS {
            self.group(pending.slice(0, GROUP_ROWS))?;
            pending = pending.slice(GROUP_ROWS as i64, pending.height() - GROUP_ROWS);
        }
        self.pending = Some(pending);
        Ok(())
    }

    /// Writes `rows` as one row group (the writer writes a group per chunk).
    fn group(&mut self, mut rows: polars::prelude::DataFrame) -> polars::prelude::PolarsResult<()> {
        use polars::prelude::ParquetWriter;
        rows.rechunk_mut();
        if self.writer.is_none() {
            let file = self.file.take().expect("the file is taken once");
            self.writer = Some(ParquetWriter::new(file).batched(rows.schema())?);
        }
        self.writer.as_mut().expect("made above").write_batch(&rows)
    }

    fn finish(mut self) -> polars::prelude::PolarsResult<()> {
        // The rest, or an empty table's (schema only).
        if let Some(rest) = self.pending.take().filter(|p| p.height() > 0 || self.writer.is_none()) {
            self.group(rest)?;
        }
        match self.writer {
            Some(w) => w.finish().map(|_| ()),
            None => Err(polars::prelude::polars_err!(ComputeError: "no rows were read")),
        }
    }
}

/// Converts the written CSV tables to typed Parquet through the package loader, so the
/// Parquet files carry the contract's types (codes as strings, dates as dates). A table is
/// read and written batch by batch, so memory stays flat at any size (read whole, 100 M
/// activity rows took more than 23 GB).
/// `status`: the prefix of a status line to show progress on, if any.
fn to_parquet(dir: &Path, tables: &[&str], status: Option<&str>) -> Result<(), String> {
    use crate::package::load::{Batching, Data};
    use polars::prelude::*;
    for t in tables {
        let spec = crate::package::contract::table(t).expect("contract table");
        let res: crate::package::descriptor::Resource =
            serde_json::from_value(serde_json::json!({"name": t, "path": format!("{t}.csv")})).map_err(|e| e.to_string())?;
        let mut problems = Vec::new();
        let batching = Some(Batching { over_bytes: 0, ..Batching::default() });
        let mut ctx = crate::package::load::LoadContext { root: dir, scratch: dir, problems: &mut problems, batching };
        let table = crate::package::load::load(spec, &res, &mut ctx).ok_or_else(|| format!("{t}: {problems:?}"))?;
        if !problems.is_empty() {
            return Err(format!("{t}: {problems:?}"));
        }
        let file = std::fs::File::create(dir.join(format!("{t}.parquet"))).map_err(|e| e.to_string())?;
        let mut out = GroupWriter { file: Some(file), writer: None, pending: None };
        let mut failed: Option<PolarsError> = None;
        match &table.data {
            Data::Loaded(df) => out.add(df).map_err(|e| e.to_string())?,
            Data::Streamed(stream) => {
                let (started, mut rows) = (std::time::Instant::now(), 0u64);
                let problems = stream
                    .scan(|batch| match out.add(batch) {
                        Ok(()) => {
                            rows += batch.height() as u64;
                            if let Some(prefix) = status {
                                crate::progress::rows(true, &format!("{prefix} · {t} to Parquet"), rows, None, started);
                            }
                            true
                        }
                        Err(e) => {
                            failed = Some(e);
                            false
                        }
                    })
                    .map_err(|e| e.to_string())?;
                if let Some(e) = failed {
                    return Err(format!("{t}: {e}"));
                }
                if !problems.is_empty() {
                    return Err(format!("{t}: {problems:?}"));
                }
            }
        }
        out.finish().map_err(|e| format!("{t}: {e}"))?;
        drop(table);
        std::fs::remove_file(dir.join(format!("{t}.csv"))).map_err(|e| e.to_string())?;
    }
    Ok(())
}
