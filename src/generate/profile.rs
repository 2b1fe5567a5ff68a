//! The service profile the generator draws from: for the sote classes of the stand-in
//! classification, a relative volume, a unit cost and a plausible client age range.
//! Volumes and costs are rough orders of magnitude from public THL/Kuntaliitto figures
//! (visits dominate, inpatient days cost hundreds of euros); they make synthetic packages
//! realistic enough to exercise the rules, not statistics.

/// (code, relative volume, unit cost €, min age, max age, has staff)
pub const SERVICES: &[(&str, f64, f64, u32, u32)] = &[
    ("2131", 2.0, 180.0, 0, 17),   // lastensuojelun avohuolto
    ("2181", 1.5, 90.0, 0, 60),    // lapsiperheiden sosiaalityö
    ("2211", 3.0, 210.0, 65, 100), // iäkkäiden tehostettu palveluasuminen (care days)
    ("2235", 8.0, 55.0, 65, 100),  // iäkkäiden kotihoito (visits)
    ("2238", 1.0, 80.0, 65, 100),  // iäkkäiden sosiaalityö
    ("2285", 1.0, 95.0, 18, 80),   // vammaisten sosiaalityö
    ("2453", 3.0, 120.0, 16, 85),  // päihde- ja mielenterveys avopalvelu
    ("2532", 3.0, 45.0, 7, 16),    // kouluterveydenhuolto
    ("2534", 1.5, 50.0, 16, 30),   // opiskeluterveydenhuolto
    ("2538", 3.0, 60.0, 0, 6),     // äitiys- ja lastenneuvola
    ("2545", 6.0, 110.0, 0, 95),   // suun terveydenhuolto
    ("2556", 12.0, 95.0, 0, 100),  // perustason lääkärin vastaanotto (1.1)
    ("2557", 14.0, 55.0, 0, 100),  // perustason hoitajan vastaanotto (1.1)
    ("2561", 2.0, 420.0, 40, 100), // perustason vuodeosastohoito (care days)
    ("2601", 1.5, 260.0, 18, 90),  // aikuispsykiatria
    ("2607", 4.0, 380.0, 0, 100),  // päivystys
    ("2612", 10.0, 650.0, 0, 100), // somaattinen erikoissairaanhoito
    ("2902", 0.5, 150.0, 0, 100),  // sosiaalipäivystys
];

/// In version 1.0 the split classes 2556/2557 are still 2536.
pub fn code_for(version_has_split: bool, code: &'static str) -> &'static str {
    if !version_has_split && (code == "2556" || code == "2557") {
        "2536"
    } else {
        code
    }
}

/// Relative weight of an age in the population (a crude Finnish pyramid).
pub fn age_weight(age: u32) -> f64 {
    match age {
        0..=19 => 1.0,
        20..=64 => 1.15,
        65..=79 => 1.0,
        80..=89 => 0.45,
        _ => 0.04 + 0.1 * (100 - age.min(100)) as f64 / 10.0,
    }
}

pub const OCCUPATIONS: &[&str] = &["22210", "22211", "22120", "32210", "53211", "26351"];
pub const CONTACT_MODES: &[(&str, f64)] = &[("R10", 0.62), ("R20", 0.1), ("R50", 0.15), ("R52", 0.08), ("R56", 0.05)];
pub const DIAGNOSES: &[&str] = &["J06.9", "I10", "E11.9", "M54.5", "F32.1", "K02.1", "Z00.0", "A97", "R05", "S93.4", "A18.0+M49.0*"];
