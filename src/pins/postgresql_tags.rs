//! Which CloudNativePG operand image tags exist, from the embedded data file.
//!
//! Input: a cluster's `version` (`major` or `major.minor`).
//! Output: `Ok(())` when `ghcr.io/cloudnative-pg/postgresql:<version>-<flavour>` exists,
//! else why not and the nearest version that has an image.
//! Invariant: only versions the data file lists are accepted; a `major` alone names the
//! rolling major tag, which exists for every listed major.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// The majors CloudNativePG 1.30 supports (its documented range).
pub const SUPPORTED_MAJORS: std::ops::RangeInclusive<u32> = 14..=18;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagData {
    pub source: String,
    pub observed_from: String,
    pub observed_to: String,
    pub types: Vec<String>,
    pub distributions: Vec<String>,
    /// Major → minors with images.
    pub minors: BTreeMap<u32, Vec<u32>>,
}

/// The embedded data, parsed once; the file is part of the crate, so a parse error is a
/// build defect the tests catch.
pub fn data() -> &'static TagData {
    static DATA: OnceLock<TagData> = OnceLock::new();
    DATA.get_or_init(|| {
        toml::from_str(include_str!("cnpg-postgresql-tags.toml"))
            .expect("cnpg-postgresql-tags.toml is valid")
    })
}

/// Why a `version` has no CNPG image, and a version that has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoImage {
    pub why: String,
    pub suggestion: Option<String>,
}

/// Checks that CNPG publishes an image for `version`.
pub fn check(version: &str) -> Result<(), NoImage> {
    let mut parts = version.split('.');
    let major = parts.next().and_then(|m| m.parse::<u32>().ok());
    let minor = parts.next().map(str::parse::<u32>);
    let (Some(major), None) = (major, parts.next()) else {
        return Err(format_error());
    };
    let minor = match minor {
        None => None,
        Some(Ok(minor)) => Some(minor),
        Some(Err(_)) => return Err(format_error()),
    };
    let minors = data()
        .minors
        .get(&major)
        .filter(|_| SUPPORTED_MAJORS.contains(&major));
    let Some(minors) = minors else {
        let latest = data()
            .minors
            .iter()
            .filter(|(m, _)| SUPPORTED_MAJORS.contains(m))
            .min_by_key(|(m, _)| m.abs_diff(major))
            .and_then(|(m, minors)| minors.last().map(|n| format!("{m}.{n}")));
        return Err(NoImage {
            why: format!(
                "PostgreSQL {major} is not supported by CloudNativePG 1.30 ({} to {} are)",
                SUPPORTED_MAJORS.start(),
                SUPPORTED_MAJORS.end()
            ),
            suggestion: latest,
        });
    };
    match minor {
        None => Ok(()),
        Some(minor) if minors.contains(&minor) => Ok(()),
        Some(minor) => {
            // The first release after the one asked for keeps the upgrade smallest; past
            // the newest known one, the newest.
            let nearest = minors
                .iter()
                .find(|&&m| m > minor)
                .or(minors.last())
                .map(|m| format!("{major}.{m}"));
            let known: Vec<String> = minors.iter().map(|m| format!("{major}.{m}")).collect();
            Err(NoImage {
                why: format!(
                    "CloudNativePG publishes no `{}` image for PostgreSQL {major}.{minor} (known: {})",
                    super::CNPG_IMAGE_FLAVOUR,
                    known.join(", ")
                ),
                suggestion: nearest,
            })
        }
    }
}

fn format_error() -> NoImage {
    NoImage {
        why: "must be `major.minor`, like `17.6`".into(),
        suggestion: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_versions_and_rolling_majors_are_accepted() {
        assert_eq!(check("17.6"), Ok(()));
        assert_eq!(check("18.0"), Ok(()));
        assert_eq!(check("16"), Ok(()));
    }

    #[test]
    fn versions_without_an_image_suggest_the_next_release() {
        let old = check("16.4").unwrap_err();
        assert_eq!(old.suggestion.as_deref(), Some("16.10"));
        let future = check("16.99").unwrap_err();
        assert_eq!(future.suggestion.as_deref(), Some("16.15"));
        assert!(future.why.contains("16.99"), "{}", future.why);
        let unsupported = check("13.22").unwrap_err();
        assert!(
            unsupported.why.contains("not supported"),
            "{}",
            unsupported.why
        );
        assert_eq!(unsupported.suggestion.as_deref(), Some("14.24"));
        assert_eq!(check("17.x").unwrap_err().suggestion, None);
        assert!(check("17.6.1").is_err());
    }

    #[test]
    fn every_supported_major_has_images_of_both_distributions() {
        for major in SUPPORTED_MAJORS {
            assert!(!data().minors[&major].is_empty(), "{major}");
        }
        let (kind, distribution) = crate::pins::CNPG_IMAGE_FLAVOUR.split_once('-').unwrap();
        assert!(data().types.iter().any(|t| t == kind));
        assert!(data().distributions.iter().any(|d| d == distribution));
    }
}
