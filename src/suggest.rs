//! Did-you-mean suggestions for unknown keys and references.
//!
//! Input: the unknown word and the words that would have been valid.
//! Output: the closest valid word when it is close enough to be a plausible typo.
//! Invariant: ties resolve to the first candidate in the caller's (sorted) order.

/// The candidate closest to `word`, if it is a likely typo of it.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(word, candidate);
        if score >= 0.8 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(
            did_you_mean("postgress", ["postgres", "namespace"]),
            Some("postgres")
        );
        assert_eq!(did_you_mean("zzz", ["postgres", "namespace"]), None);
    }
}
