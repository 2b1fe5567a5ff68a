//! The fixed words of the reports in English and Finnish: one keyed message catalogue, so a
//! view asks for `verdict.conformant` in a language instead of translating English output.
//! Placeholders are `{name}`; both languages of a message name the same ones (a test holds
//! the catalogue to that). Finnish follows the glossary (docs: /shared/design/glossary-fi.md):
//! the statuses are kunnossa / virhe / varoitus / ei arvioitu.

use crate::lang::Lang;
use std::collections::BTreeMap;

/// (key, English, Finnish).
const MESSAGES: &[(&str, &str, &str)] = &[
    // Verdicts and statuses.
    ("verdict.conformant", "CONFORMANT", "VAATIMUSTENMUKAINEN"),
    ("verdict.gate-failed", "NOT CONFORMANT (gate failed)", "EI VAATIMUSTENMUKAINEN (ei läpäissyt tarkistusta)"),
    ("verdict.input-error", "INPUT ERROR (the package could not be fully read)", "LUKUVIRHE (aineistoa ei voitu lukea kokonaan)"),
    ("verdict.short.conformant", "conformant", "vaatimustenmukainen"),
    ("verdict.short.gate-failed", "not conformant", "ei vaatimustenmukainen"),
    ("verdict.short.input-error", "input error", "lukuvirhe"),
    ("status.fail", "fail", "virhe"),
    ("status.warning", "warning", "varoitus"),
    ("status.info", "info", "tiedoksi"),
    ("status.not-evaluated", "not evaluated", "ei arvioitu"),
    ("status.pass", "pass", "kunnossa"),
    ("status.pass-within", "pass (within)", "kunnossa (toleranssin sisällä)"),
    // Headings and column headers.
    ("word.package", "package", "tietopaketti"),
    ("word.region", "region", "alue"),
    ("word.period", "period", "ajanjakso"),
    ("word.verdict", "verdict", "tulos"),
    ("word.suite", "suite", "testisarja"),
    ("word.rules", "rules", "säännöt"),
    ("col.status", "status", "tila"),
    ("col.rule", "rule", "sääntö"),
    ("col.table", "table", "taulu"),
    ("col.evaluated", "evaluated", "arvioitu"),
    ("col.failing", "failing", "virheitä"),
    ("col.measured", "measured", "mitattu"),
    ("col.threshold", "threshold", "raja-arvo"),
    ("col.family", "family", "sääntöryhmä"),
    ("col.rows", "rows", "rivejä"),
    ("col.perspective", "§29 perspective", "§29 näkökulma"),
    ("col.comparable", "comparable", "vertailukelpoinen"),
    ("col.decided-by", "decided by", "ratkaisevat säännöt"),
    ("col.share", "share", "osuus"),
    ("col.unit", "unit", "yksikkö"),
    ("col.cost-centre", "cost centre", "kustannuspaikka"),
    ("heading.input-problems", "input problems", "lukuongelmat"),
    ("heading.fix-first", "fix first", "korjaa ensin"),
    ("heading.fix-first-long", "What to fix first", "Korjaa ensin"),
    ("heading.passing-within", "passing within tolerance", "kunnossa toleranssin sisällä"),
    ("heading.perspectives", "Comparability by §29 perspective", "Vertailukelpoisuus §29:n näkökulmittain"),
    ("heading.coverage", "Coverage of the service classification", "Palveluluokituksen kattavuus"),
    ("heading.worst-units", "Units with the most unattached rows", "Toimintayksiköt, joilla eniten kohdistamattomia rivejä"),
    ("heading.worst-cost-centres", "Cost centres with the most unattached euros", "Kustannuspaikat, joilla eniten kohdistamattomia euroja"),
    ("heading.rules", "Every rule", "Kaikki säännöt"),
    ("heading.failing-rules", "Failing rules", "Virheelliset säännöt"),
    ("heading.batch", "The batch", "Toimituserä"),
    ("heading.packages-rules", "Packages × rules", "Tietopaketit × säännöt"),
    ("heading.packages-perspectives", "Packages × §29 perspectives", "Tietopaketit × §29 näkökulmat"),
    ("heading.coordinator", "For the coordinator (warnings, not gate failures)", "Koordinaattorille (varoituksia, eivät hylkää)"),
    ("heading.packages", "Packages", "Tietopaketit"),
    ("heading.summary", "Summary", "Yhteenveto"),
    ("title.report", "sotecheck report", "sotecheck-raportti"),
    ("filter.status", "Status", "Tila"),
    ("filter.family", "Family", "Sääntöryhmä"),
    ("filter.all", "all", "kaikki"),
    // Lines of the summary.
    (
        "summary.line",
        "{rules} rules: {passed} passed, {failed} failed, {warnings} warnings, {info} info, {not_evaluated} not evaluated",
        // Label before number, as in a table: grammatical for every count (`virheitä 1`),
        // where `1 virhettä` is not.
        "sääntöjä {rules}: kunnossa {passed}, virheitä {failed}, varoituksia {warnings}, tiedoksi {info}, ei arvioitu {not_evaluated}",
    ),
    // English says "1 warning"; Finnish puts the label first and needs no second form.
    (
        "summary.line-one-warning",
        "{rules} rules: {passed} passed, {failed} failed, {warnings} warning, {info} info, {not_evaluated} not evaluated",
        "sääntöjä {rules}: kunnossa {passed}, virheitä {failed}, varoituksia {warnings}, tiedoksi {info}, ei arvioitu {not_evaluated}",
    ),
    ("passes.family", "{n} rules pass", "{n} sääntöä kunnossa"),
    ("passes.family-one", "1 rule passes", "1 sääntö kunnossa"),
    ("comparable.of", "{n}/{of} comparable", "{n}/{of} vertailukelpoisia"),
    ("perspective.all-pass", "{n} rules protect it, all pass", "{n} sääntöä suojaa sitä, kaikki kunnossa"),
    ("comparable.yes", "comparable", "vertailukelpoinen"),
    ("comparable.no", "not comparable", "ei vertailukelpoinen"),
    ("comparable.not", "not: {list}", "eivät: {list}"),
    ("fix.none", "Nothing to fix: every rule passes.", "Ei korjattavaa: kaikki säännöt ovat kunnossa."),
    // What to fix: the cause, the counts, the action.
    ("fix.retired", "retired {date}", "lakkautettu {date}"),
    ("fix.unknown", "not in the declared classification", "ei ilmoitetussa luokituksessa"),
    ("fix.not-leaf", "a grouping class", "erittelemätön (kooste)luokka"),
    ("fix.identity", "personal identity codes in column {column}", "henkilötunnuksia sarakkeessa {column}"),
    ("fix.month", "month {value}", "kuukausi {value}"),
    ("fix.value", "{column} = {value}", "{column} = {value}"),
    ("fix.counts", "{rows} {unit}, {n} rules", "{rows} {unit}, {n} sääntöä"),
    ("fix.counts-one", "{rows} {unit}, 1 rule", "{rows} {unit}, 1 sääntö"),
    ("fix.in-tables", "in {tables}", "tauluissa {tables}"),
    ("unit.rows", "rows", "riviä"),
    ("unit.items", "items", "kohdetta"),
    (
        "action.retired",
        "remap to its successor: a code valid on the event date",
        "kohdista seuraajaansa: koodiin, joka on voimassa tapahtumapäivänä",
    ),
    (
        "action.unknown",
        "map it to a leaf class of the classification in the mapping table",
        "kohdista se kohdistustaulussa luokituksen alimman tason luokkaan",
    ),
    ("action.not-leaf", "attach the rows to one of its leaf classes", "kohdista rivit jollekin sen alimman tason luokista"),
    (
        "action.identity",
        "remove them from the export and deliver the package again",
        "poista ne poiminnasta ja toimita tietopaketti uudelleen",
    ),
    // A finding's details.
    (
        "details.counts",
        "{failing} of {evaluated} {unit} failing ({share}) in {place}; threshold: {threshold}",
        "{failing}/{evaluated} {unit} virheellisiä ({share}) kohteessa {place}; raja-arvo: {threshold}",
    ),
    ("details.by-column", "failing by column", "virheet sarakkeittain"),
    ("details.first-failing", "first failing", "ensimmäiset virheelliset"),
    ("details.where", "where it comes from", "mistä virheet tulevat"),
    ("details.of-rows", "{failing} of {rows} rows", "{failing}/{rows} riviä"),
    ("details.by-measure", "{failing} of {total} by measure", "{failing}/{total} mittarin mukaan"),
    ("details.why", "why it matters", "miksi tällä on väliä"),
    ("details.how", "how to fix", "näin korjaat"),
    ("details.explain", "explain", "lisätietoja"),
    ("details.line", "line", "rivi"),
    ("details.samples", "samples", "esimerkit"),
    ("details.breakdown", "breakdown", "erittely"),
    ("details.notes", "notes", "huomautukset"),
    ("details.reason", "reason", "syy"),
    // Cross-table findings in words.
    (
        "cross.missing-right",
        "{key}: {left} {left_noun} in {left_table}, none in {right_table}",
        "{key}: {left_table}-taulussa {left} {left_noun}, {right_table}-taulussa ei mitään",
    ),
    (
        "cross.missing-left",
        "{key}: {right} {right_noun} in {right_table}, none in {left_table}",
        "{key}: {right_table}-taulussa {right} {right_noun}, {left_table}-taulussa ei mitään",
    ),
    (
        "cross.differ",
        "{key}: {left} {left_noun} in {left_table}, {right} in {right_table}",
        "{key}: {left_table}-taulussa {left} {left_noun}, {right_table}: {right}",
    ),
    ("cross.band", "{key}: {ratio} {per}, outside {band}", "{key}: {ratio} {per}, sallittu {band}"),
    ("cross.official", "the official figure", "virallinen luku"),
    ("band.per-one", "{right} per {left_one}", "{right} {left_one} kohden"),
    ("band.per-many", "{right} per {scale} {left}", "{right} {scale} {left} kohden"),
    ("band.monthly", "{per} (monthly mean)", "{per} (kuukausikeskiarvo)"),
    // The batch in the terminal.
    ("matrix.regions", "regions × verdict", "alueet × tulos"),
    (
        "matrix.rules",
        "rules × packages (· pass, ✗ fail, ! warning, i info, – not evaluated)",
        "säännöt × tietopaketit (· kunnossa, ✗ virhe, ! varoitus, i tiedoksi, – ei arvioitu)",
    ),
    (
        "matrix.note",
        "rules that pass everywhere are left out; columns are the packages in order above",
        "kaikissa kunnossa olevat säännöt on jätetty pois; sarakkeet ovat tietopaketit yllä olevassa järjestyksessä",
    ),
    (
        "matrix.perspectives",
        "comparability by §29 perspective (packages with a failing rule protecting it)",
        "vertailukelpoisuus §29:n näkökulmittain (tietopaketit, joissa näkökulmaa suojaava sääntö on virheellinen)",
    ),
    (
        "matrix.coordinator",
        "for the coordinator (warnings, not gate failures)",
        "koordinaattorille (varoituksia, eivät hylkää tarkistusta)",
    ),
    // Charts and tables of the HTML report.
    ("chart.rows", "rows (activity)", "rivit (activity)"),
    ("chart.euros", "euros (costs)", "eurot (costs)"),
    ("chart.fte", "FTEs (staff)", "htv (staff)"),
    ("chart.none", "no coverage measured", "kattavuutta ei mitattu"),
    ("batch.pass-everywhere", "rules that pass everywhere are left out", "kaikissa kunnossa olevat säännöt on jätetty pois"),
    ("html.no-script", "Filters need JavaScript; everything is shown.", "Suodattimet tarvitsevat JavaScriptiä; kaikki näytetään."),
    ("html.rules-shown", "rules shown", "sääntöä näkyvissä"),
];

/// A message in a language. An unknown key is a mistake in a view: the tests (debug builds)
/// stop on it; a release build shows `?` rather than failing on a report.
pub fn t(lang: Lang, key: &str) -> &'static str {
    match MESSAGES.iter().find(|(k, _, _)| *k == key) {
        Some((_, en, fi)) => match lang {
            Lang::En => en,
            Lang::Fi => fi,
        },
        None => {
            debug_assert!(false, "no message `{key}` in the catalogue");
            "?"
        }
    }
}

/// A message with its `{name}` placeholders filled.
pub fn fmt(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut s = t(lang, key).to_string();
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

/// Every message of a language, for the templates (`t["verdict.conformant"]`).
pub fn all(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    MESSAGES
        .iter()
        .map(|(k, en, fi)| {
            (
                *k,
                match lang {
                    Lang::En => *en,
                    Lang::Fi => *fi,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        let mut rest = s;
        while let Some(i) = rest.find('{') {
            let Some(j) = rest[i..].find('}') else { break };
            out.insert(rest[i + 1..i + j].to_string());
            rest = &rest[i + j..];
        }
        out
    }

    #[test]
    fn every_message_has_both_languages_with_the_same_placeholders() {
        let mut seen = std::collections::BTreeSet::new();
        for (k, en, fi) in MESSAGES {
            assert!(seen.insert(k), "{k} twice");
            assert!(!en.trim().is_empty() && !fi.trim().is_empty(), "{k}");
            assert_eq!(placeholders(en), placeholders(fi), "{k}");
        }
    }

    #[test]
    fn messages_are_filled() {
        assert_eq!(fmt(Lang::Fi, "fix.retired", &[("date", "31.12.2024")]), "lakkautettu 31.12.2024");
    }
}
