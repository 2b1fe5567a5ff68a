//! The code lists sotecheck ships (embedded in the binary, so it runs anywhere) plus any a
//! user adds from files, looked up by the identifiers packages and suites name them by.

use super::{koodistot, plain, statfi, valtiokonttori, CodeList, Correspondence, Figures, LoadError};
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
/// The identifier of the official county populations used for the population check.
pub const HVA_POPULATION: &str = "hva-population@2024";

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
