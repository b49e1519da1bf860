//! The PostgreSQL parameters CloudNativePG manages itself and refuses in a Cluster.
//!
//! Input: `data/cnpg-fixed-parameters.tsv` (from CloudNativePG's source, version in its
//! header). Output: [`managed`], why a parameter cannot be set. Invariant: the list is the
//! operator's, not dbgen's opinion.

/// Whether the operator sets a parameter itself or needs PostgreSQL's default kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Managed {
    /// CloudNativePG sets the value (`fixed`).
    Fixed,
    /// The value must stay PostgreSQL's default for the operator to work (`blocked`).
    Blocked,
}

impl Managed {
    /// Why the parameter is refused, for a diagnostic.
    #[must_use]
    pub const fn reason(self) -> &'static str {
        match self {
            Self::Fixed => "CloudNativePG sets it itself and its webhook refuses it",
            Self::Blocked => {
                "CloudNativePG needs PostgreSQL's default kept and its webhook refuses it"
            }
        }
    }
}

const DATA: &str = include_str!("data/cnpg-fixed-parameters.tsv");

/// Whether CloudNativePG manages the parameter `name` (any case), and how.
#[must_use]
pub fn managed(name: &str) -> Option<Managed> {
    let name = name.to_ascii_lowercase();
    DATA.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .find(|(n, _)| *n == name)
        .map(|(_, kind)| {
            if kind == "fixed" {
                Managed::Fixed
            } else {
                Managed::Blocked
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_matches_the_pinned_operator() {
        // The list is CloudNativePG 1.30's: moving the pinned operator means reviewing
        // FixedConfigurationParameters in its pkg/postgres/configuration.go and this file.
        assert_eq!(
            crate::pins::CNPG_VERSION,
            (1, 30),
            "CNPG_VERSION moved: review data/cnpg-fixed-parameters.tsv against the new release"
        );
        assert!(DATA.contains("commit b122f632"));
    }

    #[test]
    fn operator_managed_parameters() {
        assert_eq!(managed("wal_level"), None);
        assert_eq!(managed("archive_mode"), Some(Managed::Fixed));
        assert_eq!(managed("Listen_Addresses"), Some(Managed::Blocked));
        assert_eq!(managed("shared_buffers"), None);
        for line in DATA.lines().filter(|l| !l.starts_with('#')) {
            let (name, kind) = line.split_once('\t').unwrap();
            assert!(matches!(kind, "fixed" | "blocked"), "{line}");
            // Every entry is a real parameter of some supported major, or an extension's.
            assert!(
                name.contains('.')
                    || crate::catalog::guc::MAJORS
                        .iter()
                        .any(|m| crate::catalog::guc::lookup(*m, name).is_some()),
                "{name}"
            );
        }
    }
}
