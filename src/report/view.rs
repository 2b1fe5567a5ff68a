//! What every view shows of a finding, in a language: the rule's title, why, how to fix and
//! threshold from its docs, the status and verdict words, numbers in the language's format,
//! cross-table samples in words, and a fix-first entry as a headline and an action. The
//! views (human, Markdown, HTML) render these; none of them translates English output.
//!
//! A view without rules (`View::plain`) uses the words stored in the findings, in English:
//! the JUnit report and a stored report judged without its rules folder read as before.

use super::fix_first::{Cause, FixItem};
use super::i18n;
use super::{Finding, Status, Verdict};
use crate::checks::api::{ComparedSide, Comparison};
use crate::lang::Lang;
use crate::model::Sample;
use crate::rules::model::{family_name, pct_in, perspective_name};
use crate::rules::Rule;
use std::collections::BTreeMap;

pub struct View<'a> {
    pub lang: Lang,
    rules: BTreeMap<&'a str, &'a Rule>,
}

/// A count with thousands grouped by a no-break space (`3 000`), as the reports write it in
/// both languages.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

impl<'a> View<'a> {
    pub fn new(lang: Lang, rules: &'a [Rule]) -> View<'a> {
        View { lang, rules: rules.iter().map(|r| (r.id.as_str(), r)).collect() }
    }

    /// English, with the words the findings hold.
    pub fn plain() -> View<'static> {
        View { lang: Lang::En, rules: BTreeMap::new() }
    }

    pub fn t(&self, key: &str) -> &'static str {
        i18n::t(self.lang, key)
    }

    pub fn fmt(&self, key: &str, args: &[(&str, &str)]) -> String {
        i18n::fmt(self.lang, key, args)
    }

    /// A package's counts of rules by status, in one line.
    pub fn summary_line(&self, s: &super::Summary) -> String {
        let n = |x: usize| x.to_string();
        self.fmt(
            if s.warnings == 1 { "summary.line-one-warning" } else { "summary.line" },
            &[
                ("rules", &n(s.rules)),
                ("passed", &n(s.passed)),
                ("failed", &n(s.failed)),
                ("warnings", &n(s.warnings)),
                ("info", &n(s.info)),
                ("not_evaluated", &n(s.not_evaluated)),
            ],
        )
    }

    pub fn rule(&self, id: &str) -> Option<&'a Rule> {
        self.rules.get(id).copied()
    }

    pub fn title(&self, f: &Finding) -> String {
        match self.rule(&f.rule) {
            Some(r) if !r.title(self.lang).is_empty() => r.title(self.lang).to_string(),
            _ => f.title.clone(),
        }
    }

    /// Why it matters: the first sentence of the rule's docs.
    pub fn why(&self, f: &Finding) -> String {
        match self.rule(&f.rule) {
            Some(r) if !r.docs.why(self.lang).is_empty() => super::build::first_sentence(r.docs.why(self.lang)),
            _ => f.why.clone(),
        }
    }

    pub fn why_full(&self, f: &Finding) -> String {
        match self.rule(&f.rule) {
            Some(r) if !r.docs.why(self.lang).is_empty() => flat(r.docs.why(self.lang)),
            _ => f.why.clone(),
        }
    }

    pub fn how_to_fix(&self, f: &Finding) -> Option<String> {
        self.rule(&f.rule).map(|r| flat(r.docs.how_to_fix(self.lang))).filter(|s| !s.is_empty())
    }

    /// The first sentence of how to fix a rule.
    pub fn how_to_fix_short(&self, rule: &str) -> Option<String> {
        self.rule(rule).map(|r| super::build::first_sentence(r.docs.how_to_fix(self.lang))).filter(|s| !s.is_empty())
    }

    /// The threshold that applies: a band in its units for a rule comparing two sides, the
    /// limits otherwise (with the warning limits).
    pub fn threshold(&self, f: &Finding) -> String {
        let Some(r) = self.rule(&f.rule) else { return f.threshold.clone() };
        if let Some(band) = r.check.comparison().as_ref().and_then(|c| self.band(c)) {
            return band;
        }
        let mut s = r.threshold.fail.describe_in(self.lang);
        if let Some(w) = &r.threshold.warn {
            let unless = if self.lang == Lang::Fi { "varoitus, ellei" } else { "warning unless" };
            s.push_str(&format!("; {unless} {}", w.describe_in(self.lang)));
        }
        s
    }

    pub fn status(&self, s: Status) -> &'static str {
        self.t(&format!("status.{}", s.as_str()))
    }

    pub fn status_of(&self, f: &Finding) -> &'static str {
        if f.within_tolerance > 0 {
            self.t("status.pass-within")
        } else {
            self.status(f.status)
        }
    }

    pub fn verdict(&self, v: Verdict) -> &'static str {
        self.t(&format!("verdict.{}", verdict_id(v)))
    }

    pub fn verdict_short(&self, v: Verdict) -> &'static str {
        self.t(&format!("verdict.short.{}", verdict_id(v)))
    }

    pub fn family(&self, id: &'a str) -> &'a str {
        family_name(id, self.lang)
    }

    pub fn perspective(&self, id: &'a str) -> &'a str {
        perspective_name(id, self.lang)
    }

    pub fn pct(&self, share: f64) -> String {
        pct_in(share, self.lang)
    }

    /// A decimal in the language's format.
    pub fn number(&self, x: f64) -> String {
        let s = crate::frame::number(x);
        match s.split_once('.') {
            Some((int, frac)) => {
                let int = int.parse::<u64>().map(count).unwrap_or_else(|_| int.to_string());
                format!("{int}{}{frac}", if self.lang == Lang::Fi { "," } else { "." })
            }
            None => s.parse::<u64>().map(count).unwrap_or(s),
        }
    }

    /// A date as prose writes it: ISO in English, `31.12.2024` in Finnish.
    pub fn date(&self, iso: &str) -> String {
        match (self.lang, chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")) {
            (Lang::Fi, Ok(d)) => d.format("%-d.%-m.%Y").to_string(),
            _ => iso.to_string(),
        }
    }

    /// The measured value: a share of coverage or of failing rows.
    pub fn measured(&self, f: &Finding) -> String {
        if f.status == Status::NotEvaluated {
            return "—".into();
        }
        let cov = if f.measured.name == "coverage" {
            if self.lang == Lang::Fi {
                " kattavuus"
            } else {
                " cov"
            }
        } else {
            ""
        };
        format!("{}{cov}", self.pct(f.measured.value))
    }

    fn noun(&self, side: &ComparedSide, one: bool) -> String {
        let (en_many, en_one, fi) = match side {
            ComparedSide::Figures { .. } => ("inhabitants", "inhabitant", "asukasta"),
            ComparedSide::Table { table, sum } => match (table.as_str(), sum.as_deref()) {
                (_, Some("population")) => ("inhabitants", "inhabitant", "asukasta"),
                (_, Some("fte")) => ("FTEs", "FTE", "htv"),
                (_, Some("amount_eur")) => ("euros", "euro", "euroa"),
                (_, Some("volume")) => ("performances", "performance", "suoritetta"),
                ("activity", None) => ("events", "event", "palvelutapahtumaa"),
                ("costs", None) => ("cost rows", "cost row", "kustannusriviä"),
                ("staff", None) => ("staff rows", "staff row", "henkilöstöriviä"),
                _ => ("rows", "row", "riviä"),
            },
        };
        match (self.lang, one) {
            (Lang::Fi, _) => fi.into(),
            (Lang::En, true) => en_one.into(),
            (Lang::En, false) => en_many.into(),
        }
    }

    fn side_table(&self, side: &ComparedSide) -> String {
        match side {
            ComparedSide::Table { table, .. } => table.clone(),
            ComparedSide::Figures { .. } => self.t("cross.official").to_string(),
        }
    }

    /// What the band's ratio counts: `FTEs per 1 000 inhabitants`.
    fn per(&self, c: &Comparison) -> String {
        let right = self.noun(&c.right, false);
        let per = if c.scale == 1.0 {
            self.fmt("band.per-one", &[("right", &right), ("left_one", &self.noun(&c.left, true)), ("left", &self.noun(&c.left, false))])
        } else {
            self.fmt("band.per-many", &[("right", &right), ("scale", &self.number(c.scale)), ("left", &self.noun(&c.left, false))])
        };
        if c.per_month {
            self.fmt("band.monthly", &[("per", &per)])
        } else {
            per
        }
    }

    /// `10–80 FTEs per 1 000 inhabitants`.
    fn band(&self, c: &Comparison) -> Option<String> {
        let (lo, hi) = c.band?;
        Some(format!("{}–{} {}", self.number(lo), self.number(hi), self.per(c)))
    }

    /// One failing row or item in words: `activity.csv:124  service_code=9999`, or for a
    /// cross-table finding `2612: 2 events in activity, none in costs`.
    pub fn sample(&self, f: &Finding, s: &Sample) -> String {
        if let Some(words) = self.cross_table(f, s) {
            return words;
        }
        let line = self.t("details.line");
        let place = match (s.line, &s.key) {
            (Some(l), _) if f.file.is_empty() => format!("{line} {l}"),
            (Some(l), _) => format!("{}:{l}", f.file),
            (None, Some(k)) => k.clone(),
            _ => String::new(),
        };
        // An item keyed by its only value (a missing month) needs no repeat of it.
        let vals: Vec<String> = s
            .values
            .iter()
            .filter(|(_, v)| s.key.is_none() || v.as_deref() != s.key.as_deref())
            .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("∅")))
            .collect();
        format!("{place}  {}", vals.join(" ")).trim_end().to_string()
    }

    fn cross_table(&self, f: &Finding, s: &Sample) -> Option<String> {
        let c = self.rule(&f.rule)?.check.comparison()?;
        let get = |k: &str| s.values.get(k).cloned().flatten();
        let problem = get("problem")?;
        let key = s.key.clone().unwrap_or_default();
        let num = |k: &str| get(k).map(|v| v.parse::<f64>().map(|x| self.number(x)).unwrap_or(v)).unwrap_or_default();
        let args = |extra: &[(&'static str, String)]| -> Vec<(&'static str, String)> {
            let mut a: Vec<(&'static str, String)> = vec![
                ("key", key.clone()),
                ("left", num("left")),
                ("right", num("right")),
                ("left_noun", self.noun(&c.left, false)),
                ("right_noun", self.noun(&c.right, false)),
                ("left_table", self.side_table(&c.left)),
                ("right_table", self.side_table(&c.right)),
            ];
            a.extend(extra.iter().cloned());
            a
        };
        let say = |msg: &str, a: Vec<(&'static str, String)>| {
            let refs: Vec<(&str, &str)> = a.iter().map(|(k, v)| (*k, v.as_str())).collect();
            self.fmt(msg, &refs)
        };
        Some(match problem.as_str() {
            "missing on the right" => say("cross.missing-right", args(&[])),
            "missing on the left" => say("cross.missing-left", args(&[])),
            "values differ" => say("cross.differ", args(&[])),
            "ratio outside the band" => {
                say("cross.band", args(&[("ratio", num("ratio")), ("per", self.per(&c)), ("band", self.band(&c).unwrap_or_default())]))
            }
            _ => return None,
        })
    }

    /// A fix-first entry as a headline (`2537 Työterveyshuolto — retired 31.12.2024`), a
    /// count (`62 rows, 2 rules`) and what to do.
    pub fn fix(&self, item: &FixItem) -> (String, String, String) {
        let column = item.column.clone().unwrap_or_default();
        let value = item.value.clone().unwrap_or_default();
        let named = match &item.name {
            Some(n) => format!("{value} {n}"),
            None => value.clone(),
        };
        let headline = match item.cause {
            Cause::CodeRetired => {
                let date = item.valid_to.as_deref().map(|d| self.date(d)).unwrap_or_default();
                format!("{named} — {}", self.fmt("fix.retired", &[("date", &date)]))
            }
            Cause::CodeUnknown => format!("{named} — {}", self.t("fix.unknown")),
            Cause::CodeNotLeaf => format!("{named} — {}", self.t("fix.not-leaf")),
            Cause::IdentityCode => self.fmt("fix.identity", &[("column", &column)]),
            Cause::Item if column == "month" => self.fmt("fix.month", &[("value", &value)]),
            Cause::Item | Cause::Value => match &item.name {
                Some(_) => format!("{column} {named}"),
                None => self.fmt("fix.value", &[("column", &column), ("value", &value)]),
            },
            Cause::Rule => item
                .rules
                .first()
                .and_then(|r| self.rule(r))
                .map(|r| r.title(self.lang).to_string())
                .unwrap_or_else(|| item.rules.join(", ")),
        };
        let unit = if item.cause == Cause::Item { self.t("unit.items") } else { self.t("unit.rows") };
        let n = item.rules.len().to_string();
        let rows = count(item.rows);
        let mut counts = if item.rules.len() == 1 {
            self.fmt("fix.counts-one", &[("rows", &rows), ("unit", unit)])
        } else {
            self.fmt("fix.counts", &[("rows", &rows), ("unit", unit), ("n", &n)])
        };
        if !item.tables.is_empty() {
            counts.push_str(&format!(" {}", self.fmt("fix.in-tables", &[("tables", &item.tables.join(", "))])));
        }
        let action = match item.cause {
            Cause::CodeRetired => self.t("action.retired").to_string(),
            Cause::CodeUnknown => self.t("action.unknown").to_string(),
            Cause::CodeNotLeaf => self.t("action.not-leaf").to_string(),
            Cause::IdentityCode => self.t("action.identity").to_string(),
            _ => item.rules.first().and_then(|r| self.how_to_fix_short(r)).unwrap_or_default(),
        };
        (headline, counts, action)
    }
}

fn verdict_id(v: Verdict) -> &'static str {
    match v {
        Verdict::Conformant => "conformant",
        Verdict::GateFailed => "gate-failed",
        Verdict::InputError => "input-error",
    }
}

/// A docs text on one line.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
