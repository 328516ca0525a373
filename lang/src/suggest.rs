//! "Did you mean" suggestions: the closest candidate by edit distance.

/// Levenshtein distance between `a` and `b`, counted in chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `word` if it is close enough to be a plausible typo: at most a
/// third of the word's length in edits (at least 1), or equal ignoring case and `_`/`-`.
pub fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['_', '-'], "");
    let limit = (word.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == word {
            continue;
        }
        let d = if norm(c) == norm(word) {
            0
        } else {
            edit_distance(word, c)
        };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The help line for a name that is not among `candidates`: `` did you mean `x`? `` for a
/// plausible typo ([`did_you_mean`]), else `list` applied to the candidates joined by `, `
/// (e.g. `|l| format!("its keys are: {l}")`).
pub fn did_you_mean_or(
    word: &str,
    candidates: &[&str],
    list: impl FnOnce(String) -> String,
) -> String {
    match did_you_mean(word, candidates.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => list(candidates.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn suggestions() {
        let c = ["address_space", "dns_servers", "location", "name"];
        assert_eq!(did_you_mean("adress_space", c), Some("address_space"));
        assert_eq!(did_you_mean("addressSpace", c), Some("address_space"));
        assert_eq!(did_you_mean("zzz", c), None);
    }

    #[test]
    fn help_suggests_or_lists() {
        let c = ["fqdn", "node_resource_group"];
        let list = |l: String| format!("its keys are: {l}");
        assert_eq!(did_you_mean_or("fqdm", &c, list), "did you mean `fqdn`?");
        assert_eq!(
            did_you_mean_or("zzz", &c, list),
            "its keys are: fqdn, node_resource_group"
        );
    }
}
