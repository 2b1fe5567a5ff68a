//! "Did you mean" suggestions for misspelt keys, columns, tables and rule ids.

/// Levenshtein distance, small inputs only.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// True when `b` is a plausible misspelling of `a`.
pub fn close(a: &str, b: &str) -> bool {
    let d = distance(&a.to_lowercase(), &b.to_lowercase());
    d > 0 && d <= (a.len().max(3) / 3).max(1)
}

/// The closest candidate, if it is close enough.
pub fn best<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(3) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_close_words_only() {
        assert_eq!(super::best("servce_code", ["service_code", "event_id"]), Some("service_code"));
        assert_eq!(super::best("zzz", ["service_code"]), None);
    }
}
