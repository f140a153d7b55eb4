//! "Did you mean" suggestions for misspelt names.

/// The closest candidate to `name`, phrased as help, when one is close enough.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The candidate with the smallest edit distance, if it is within a third of the name's length.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// "did you mean `Asia/Shanghai`?" for a time zone name that is not one,
/// among the IANA names chrono-tz knows.
pub fn zone_did_you_mean(name: &str) -> Option<String> {
    did_you_mean(name, chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            closest("listing_onlin", ["listings_online", "store_type"]),
            Some("listings_online")
        );
        assert_eq!(closest("xyz", ["listings_online"]), None);
        // Short names need a close match: `zap` is not `ban`.
        assert_eq!(closest("zap", ["ban", "grant"]), None);
        assert_eq!(closest("bam", ["ban", "grant"]), Some("ban"));
    }
}
