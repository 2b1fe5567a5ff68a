//! The language of user-facing text (English or Finnish) and its number conventions. The
//! library takes a [`Lang`] as an argument everywhere; only the command line reads the
//! environment ([`Lang::from_env`]), so a library call never changes with the caller's locale.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Fi,
}

/// Finnish groups thousands with a no-break space, so `1 893` never breaks across lines.
const NO_BREAK_SPACE: char = '\u{a0}';

impl Lang {
    pub const NAMES: &'static [&'static str] = &["en", "fi"];

    /// `fi` or `en`, as given to `--lang`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "fi" => Some(Lang::Fi),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fi => "fi",
        }
    }

    /// The language of a POSIX locale name: `fi_FI.UTF-8`, `fi_FI@euro`, `fi-FI` and `fi` are
    /// Finnish; anything else (`C`, `POSIX`, `en_GB.UTF-8`, `sv_FI`) is English, the fallback.
    pub fn from_locale(locale: &str) -> Lang {
        let language = locale.split(['.', '@', '_', '-']).next().unwrap_or("");
        if language.eq_ignore_ascii_case("fi") {
            Lang::Fi
        } else {
            Lang::En
        }
    }

    /// The language of the process's locale, read as POSIX does: the first of `LC_ALL`,
    /// `LC_MESSAGES` and `LANG` that is set and not empty decides, so `LC_ALL=C` means
    /// English even when `LANG` is Finnish. Unset: English.
    pub fn from_env() -> Lang {
        Lang::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Lang::from_env`] over any source of variables (tests pass their own).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|name| var(name))
            .find(|v| !v.trim().is_empty())
            .map(|v| Lang::from_locale(&v))
            .unwrap_or_default()
    }

    /// An integer in this language's convention: `1893` in English as the reports have always
    /// written it, `1 893` (no-break space) in Finnish.
    pub fn int(self, n: u64) -> String {
        let digits = n.to_string();
        if self == Lang::En || digits.len() <= 3 {
            return digits;
        }
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(NO_BREAK_SPACE);
            }
            out.push(c);
        }
        out
    }

    /// A decimal already formatted with a point (`0.155`) in this language's convention:
    /// unchanged in English, `0,155` in Finnish.
    pub fn decimal(self, formatted: &str) -> String {
        match self {
            Lang::En => formatted.to_string(),
            Lang::Fi => formatted.replace('.', ","),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(set: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| set.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn parse_accepts_the_two_codes_only() {
        assert_eq!(Lang::parse("fi"), Some(Lang::Fi));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("sv"), None);
        assert_eq!(Lang::parse("fi_FI.UTF-8"), None, "--lang takes a language, not a locale");
    }

    #[test]
    fn locale_names_of_finnish() {
        for fi in ["fi_FI.UTF-8", "fi", "fi_FI", "fi_FI@euro", "fi-FI", "FI_fi.utf8"] {
            assert_eq!(Lang::from_locale(fi), Lang::Fi, "{fi}");
        }
        for en in ["C", "POSIX", "C.UTF-8", "en_GB.UTF-8", "sv_FI.UTF-8", "fil_PH", ""] {
            assert_eq!(Lang::from_locale(en), Lang::En, "{en}");
        }
    }

    #[test]
    fn environment_is_read_in_posix_order() {
        assert_eq!(Lang::from_vars(vars(&[])), Lang::En);
        assert_eq!(Lang::from_vars(vars(&[("LANG", "fi_FI.UTF-8")])), Lang::Fi);
        assert_eq!(Lang::from_vars(vars(&[("LANG", "fi_FI.UTF-8"), ("LC_MESSAGES", "C")])), Lang::En);
        assert_eq!(Lang::from_vars(vars(&[("LANG", "en_US.UTF-8"), ("LC_MESSAGES", "fi_FI.UTF-8")])), Lang::Fi);
        assert_eq!(Lang::from_vars(vars(&[("LC_MESSAGES", "fi_FI.UTF-8"), ("LC_ALL", "C")])), Lang::En);
        assert_eq!(Lang::from_vars(vars(&[("LC_ALL", "fi"), ("LANG", "C")])), Lang::Fi);
        // An empty variable is unset, as in POSIX.
        assert_eq!(Lang::from_vars(vars(&[("LC_ALL", ""), ("LANG", "fi_FI.UTF-8")])), Lang::Fi);
    }

    #[test]
    fn numbers_in_finnish() {
        assert_eq!(Lang::Fi.int(1893), "1\u{a0}893");
        assert_eq!(Lang::Fi.int(1_000_000), "1\u{a0}000\u{a0}000");
        assert_eq!(Lang::Fi.int(977), "977");
        assert_eq!(Lang::En.int(1893), "1893");
        assert_eq!(Lang::Fi.decimal("0.155"), "0,155");
        assert_eq!(Lang::En.decimal("0.155"), "0.155");
    }
}
