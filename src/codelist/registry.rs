//! The code lists sotecheck ships (embedded in the binary, so it runs anywhere) plus any a
//! user adds from files, looked up by the identifiers packages and suites name them by.

use super::{koodistot, plain, statfi, valtiokonttori, CodeList, Correspondence, Figures, LoadError, YearFigure};
use std::collections::BTreeMap;
use std::path::Path;

macro_rules! embedded {
    ($path:literal) => {
        (concat!("codelists/", $path), include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/codelists/", $path)).as_slice())
    };
}

const VIRTA_STANDIN: &str = "STAND-IN, not the real Virta classification: built by sotecheck on the real sote \
service classes of the State Treasury municipal service classification 2022, with illustrative changes in 1.1 \
(2539 added, 2537 retired, 2536 split into 2556 and 2557). See codelists/PROVENANCE.md.";

/// All code lists, correspondences and official figures known to a run.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    lists: BTreeMap<String, CodeList>,
    correspondences: BTreeMap<String, Correspondence>,
    figures: BTreeMap<String, Figures>,
}

/// The identifier of the municipality → county correspondence.
pub const KUNTA_TO_HVA: &str = "kunta_1_20220101#hyvinvointialue_1_20220101";
/// The identifier of the official county populations of the latest year shipped.
pub const HVA_POPULATION: &str = "hva-population@2024";
/// The family of county populations by year (`hva-population@<year>`).
pub const HVA_POPULATION_FAMILY: &str = "hva-population";

impl Registry {
    /// The lists shipped with sotecheck. They are checked by the test-suite, so a failure
    /// here is a build defect, not a user error.
    pub fn builtin() -> Registry {
        Self::try_builtin().unwrap_or_else(|e| panic!("embedded code list is broken: {e}"))
    }

    fn try_builtin() -> Result<Registry, LoadError> {
        let mut r = Registry::default();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();

        let (f, b) = embedded!("virta-palvelut_1.0.csv");
        r.add(plain::load(
            "virta-palvelut@1.0",
            "Virta organisation-independent service classification 1.0 (stand-in)",
            VIRTA_STANDIN,
            f,
            &text(b),
        )?);
        let (f, b) = embedded!("virta-palvelut_1.1.csv");
        r.add(plain::load(
            "virta-palvelut@1.1",
            "Virta organisation-independent service classification 1.1 (stand-in)",
            VIRTA_STANDIN,
            f,
            &text(b),
        )?);

        let (f, b) = embedded!("source/kunta_palveluluokitus_2021_2023_valtiokonttori.csv");
        for year in [2021, 2022, 2023] {
            r.add(valtiokonttori::load_year(
                year,
                "State Treasury (Valtiokonttori), Liite 5. Kunnan ja kuntayhtymän palveluluokitus (14.12.2022), via TuomasBorman/osta",
                f,
                &text(b),
            )?);
        }

        let (f, b) = embedded!("source/koodistot_kunta_1_20230101.json");
        r.add(koodistot::load(
            "kunta_1_20230101",
            "Kunnat 2023",
            "koodistot.suomi.fi jhs/kunta_1_20230101 (Statistics Finland, DVV)",
            f,
            &text(b),
        )?);
        let (f, b) = embedded!("source/koodistot_hyvinvointialue_1_20211013.json");
        r.add(koodistot::load(
            "hyvinvointialue_1_20211013",
            "Hyvinvointialueet",
            "koodistot.suomi.fi jhs/hyvinvointialue_1_20211013 (Statistics Finland, DVV)",
            f,
            &text(b),
        )?);

        let (f, b) = embedded!("yhteystapa.csv");
        r.add(plain::load(
            "yhteystapa",
            "Yhteystapa (contact mode)",
            "THL AvoHILMO contact modes as listed in the submission contract",
            f,
            &text(b),
        )?);

        let (f, b) = embedded!("source/statfi_kunta_1_20220101_hyvinvointialue_1_20220101_cp1252.csv");
        r.correspondences.insert(
            KUNTA_TO_HVA.into(),
            statfi::load_correspondence(
                KUNTA_TO_HVA,
                "Statistics Finland classification service, via vrk-kpa/auroraai-core-components",
                f,
                b,
            )?,
        );

        let (f, b) = embedded!("source/hva_population_2024_vm_rahoituslaskelma2026.csv");
        let recs = crate::text::parse_csv(&text(b), ',');
        let mut values = BTreeMap::new();
        for rec in &recs[1..] {
            // Only the counties: the file also carries a national total row.
            if rec.fields[0].len() != 2 || !rec.fields[0].chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let v: f64 = rec.fields[2].parse().map_err(|_| LoadError {
                file: f.into(),
                line: Some(rec.line),
                message: "population is not a number".into(),
            })?;
            values.insert(rec.fields[0].clone(), v);
        }
        // County populations on 31 December of earlier years, each derived from published
        // municipal figures summed by county (codelists/PROVENANCE.md says how and checks
        // each year's sum against Statistics Finland's national total).
        for (year, (f, b), provenance) in [
            (
                2020,
                embedded!("source/hva_population_2020_derived_yle.csv"),
                "Yle geodata (Statistics Finland), municipal populations 31.12.2020 summed by county",
            ),
            (
                2021,
                embedded!("source/hva_population_2021_derived_statfi_11re.csv"),
                "Statistics Finland StatFin 11re, municipal populations 31.12.2021 summed by county",
            ),
            (
                2023,
                embedded!("source/hva_population_2023_derived_statfi_wikipedia.csv"),
                "Statistics Finland final municipal populations 31.12.2023 (as tabulated in fi.wikipedia) summed by county",
            ),
        ] {
            let mut by_county = BTreeMap::new();
            for rec in &crate::text::parse_csv(&text(b), ',')[1..] {
                // Counties only: the files end with a mainland total.
                if rec.fields[0].len() != 2 || !rec.fields[0].chars().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                let v: f64 = rec.fields.get(2).and_then(|v| v.parse().ok()).ok_or_else(|| LoadError {
                    file: f.into(),
                    line: Some(rec.line),
                    message: "population is not a number".into(),
                })?;
                by_county.insert(rec.fields[0].clone(), v);
            }
            let id = format!("{HVA_POPULATION_FAMILY}@{year}");
            r.figures.insert(id.clone(), Figures { id, provenance: provenance.into(), values: by_county });
        }
        r.figures.insert(
            HVA_POPULATION.into(),
            Figures {
                id: HVA_POPULATION.into(),
                provenance: "VM, Hyvinvointialueiden rahoituslaskelma 2026 (26.6.2025): 2024 populations".into(),
                values,
            },
        );
        Ok(r)
    }

    pub fn add(&mut self, list: CodeList) {
        self.lists.insert(list.id.clone(), list);
    }

    /// Adds a user's code list from a file, e.g. a real Virta release:
    /// `--codelist virta-palvelut@1.2=virta_1_2.csv`. The format is read from the content.
    pub fn add_file(&mut self, id: &str, path: &Path) -> Result<(), LoadError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| LoadError { file: file.clone(), line: None, message: e.to_string() })?;
        let provenance = format!("user file {file}");
        let list = if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
            koodistot::load(id, id, &provenance, &file, &String::from_utf8_lossy(&bytes))?
        } else if std::str::from_utf8(&bytes).is_err() || bytes.windows(2).any(|w| w == b"\"'") {
            statfi::load_classification(id, id, &provenance, &file, &bytes)?
        } else {
            plain::load(id, id, &provenance, &file, &String::from_utf8_lossy(&bytes))?
        };
        self.add(list);
        Ok(())
    }

    pub fn list(&self, id: &str) -> Option<&CodeList> {
        self.lists.get(id)
    }

    pub fn lists(&self) -> impl Iterator<Item = &CodeList> {
        self.lists.values()
    }

    pub fn correspondence(&self, id: &str) -> Option<&Correspondence> {
        self.correspondences.get(id)
    }

    pub fn figures(&self, id: &str) -> Option<&Figures> {
        self.figures.get(id)
    }

    /// `region`'s figure of `family` for `year`: the published one where there is one,
    /// interpolated linearly between the nearest years before and after, or the nearest
    /// year's figure outside them (its `distance` then says how far it is).
    pub fn figure_for_year(&self, family: &str, region: &str, year: i32) -> Option<YearFigure> {
        let by_year: BTreeMap<i32, f64> = self
            .figures
            .iter()
            .filter_map(|(id, f)| {
                let (fam, y) = id.split_once('@')?;
                (fam == family).then_some(())?;
                Some((y.parse::<i32>().ok()?, *f.values.get(region)?))
            })
            .collect();
        if let Some(v) = by_year.get(&year) {
            return Some(YearFigure { value: *v, distance: 0, how: year.to_string() });
        }
        let before = by_year.range(..year).next_back();
        let after = by_year.range(year + 1..).next();
        Some(match (before, after) {
            (Some((&y0, &v0)), Some((&y1, &v1))) => YearFigure {
                value: v0 + (v1 - v0) * f64::from(year - y0) / f64::from(y1 - y0),
                distance: (year - y0).min(y1 - year),
                how: format!("interpolated between {y0} and {y1}"),
            },
            (Some((&y, &v)), None) | (None, Some((&y, &v))) => {
                YearFigure { value: v, distance: (year - y).abs(), how: format!("{y} (the nearest year with figures)") }
            }
            (None, None) => return None,
        })
    }

    /// Identifiers of the lists whose id starts with `family@` (versions of one list).
    pub fn versions_of(&self, family: &str) -> Vec<String> {
        self.lists.keys().filter(|k| k.split('@').next() == Some(family)).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codelist::plain;

    #[test]
    fn builtin_lists_load_with_expected_sizes() {
        let r = Registry::builtin();
        assert_eq!(r.list("kunta_1_20230101").unwrap().codes.len(), 309);
        assert_eq!(r.list("hyvinvointialue_1_20211013").unwrap().codes.len(), 23);
        assert_eq!(r.correspondence(KUNTA_TO_HVA).unwrap().map.len(), 309);
        let total: f64 = r.figures(HVA_POPULATION).unwrap().values.values().sum();
        assert_eq!(total, 5_605_317.0);
        // 31.12.2020: 5 533 793 in all, Åland's 30 129 left out.
        let f2020 = r.figures("hva-population@2020").unwrap();
        assert_eq!(f2020.values.len(), 22);
        assert_eq!(f2020.values.values().sum::<f64>(), 5_533_793.0 - 30_129.0);
        // Each year's mainland sum with Åland is Statistics Finland's national total.
        for (year, national, aland) in [(2021, 5_548_241.0, 30_344.0), (2023, 5_603_851.0, 30_541.0)] {
            let f = r.figures(&format!("hva-population@{year}")).unwrap();
            assert_eq!(f.values.len(), 22, "{year}");
            assert_eq!(f.values.values().sum::<f64>() + aland, national, "{year}");
        }
        assert_eq!(f2020.values.get("08"), Some(&522_852.0));
    }

    #[test]
    fn figures_by_year_are_published_interpolated_or_nearest() {
        let r = Registry::builtin();
        let at = |y| r.figure_for_year(HVA_POPULATION_FAMILY, "08", y).unwrap();
        assert_eq!(at(2024), YearFigure { value: 545_406.0, distance: 0, how: "2024".into() });
        assert_eq!(at(2020).value, 522_852.0);
        let mid = at(2022);
        // Between 31.12.2021 (527 478) and 31.12.2023 (539 309).
        assert_eq!((mid.value, mid.distance), (533_393.5, 1));
        assert!(mid.how.contains("between 2021 and 2023"), "{}", mid.how);
        assert_eq!(at(2021).value, 527_478.0);
        assert_eq!(at(2023).value, 539_309.0);
        assert_eq!((at(2025).value, at(2025).distance), (545_406.0, 1));
        assert!(r.figure_for_year(HVA_POPULATION_FAMILY, "91", 2024).is_none(), "Åland reports nothing");
    }

    #[test]
    fn three_formats_agree_on_the_same_lists() {
        let r = Registry::builtin();
        // koodistot JSON vs the plain CSV derived from it.
        let (f, b) = embedded!("source/kunta_1_20230101.csv");
        let plain_kunta = plain::load("k", "k", "p", f, &String::from_utf8_lossy(b)).unwrap();
        let json_kunta = r.list("kunta_1_20230101").unwrap();
        assert!(plain_kunta.codes.keys().eq(json_kunta.codes.keys()));
        // Statistics Finland cp1252 CSV vs koodistot JSON, names included (ä survives cp1252).
        let (f, b) = embedded!("source/statfi_hyvinvointialue_codes_cp1252.csv");
        let statfi_hva = statfi::load_classification("h", "h", "p", f, b).unwrap();
        let json_hva = r.list("hyvinvointialue_1_20211013").unwrap();
        for (code, c) in &json_hva.codes {
            assert_eq!(statfi_hva.get(code).map(|s| s.name.as_str()), Some(c.name.as_str()), "{code}");
        }
        // The correspondence covers exactly the 2023 municipalities.
        let corr = r.correspondence(KUNTA_TO_HVA).unwrap();
        assert!(corr.map.keys().eq(json_kunta.codes.keys()));
        assert_eq!(corr.map.get("091").map(String::as_str), Some("90"));
        assert_eq!(corr.map.get("837").map(String::as_str), Some("08"));
    }

    #[test]
    fn virta_versions_differ_by_add_retire_split() {
        let r = Registry::builtin();
        let (v10, v11) = (r.list("virta-palvelut@1.0").unwrap(), r.list("virta-palvelut@1.1").unwrap());
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(v10.get("2539").is_none() && v11.get("2539").is_some());
        assert!(v10.get("2537").unwrap().valid_on(d("2025-06-01")));
        assert!(!v11.get("2537").unwrap().valid_on(d("2025-06-01")));
        assert!(v11.get("2537").unwrap().valid_on(d("2024-06-01")));
        assert!(v11.get("2556").unwrap().valid_on(d("2025-06-01")) && v11.get("2557").is_some());
        assert!(!v11.get("2530").unwrap().leaf, "Erittelemätön groups are not leaves");
    }

    #[test]
    fn valtiokonttori_years_know_retired_and_new_classes() {
        let r = Registry::builtin();
        let k22 = r.list("kunta-palveluluokitus@2022").unwrap();
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(!k22.get("2602").unwrap().valid_on(d("2022-03-01")), "retired 31.12.2021");
        assert_eq!(k22.get("2612").unwrap().parent.as_deref(), Some("2600"));
        assert!(!k22.get("2600").unwrap().leaf);
        assert!(r.list("kunta-palveluluokitus@2021").is_some() && r.list("kunta-palveluluokitus@2023").is_some());
    }
}
