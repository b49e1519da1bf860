//! The closed set of diagnostic codes.
//!
//! Input: nothing; this is a table.
//! Output: `Code`, one variant per kind of problem, with its stable kebab-case name
//! (`Code::name`), the one shown as `error[name]` and accepted in `allow_warnings`, a
//! one-line summary (the variant's doc comment, `Code::summary`) and the long explanation
//! `dbgen --explain NAME` prints (`explain/NAME.md`, `Code::explanation`).
//! Invariant: names never change once released (users list them in `allow_warnings`);
//! every name is unique and kebab-case and every explanation's example really reports its
//! code, which tests check.

use std::fmt;

macro_rules! codes {
    ($($(#[doc = $doc:literal])+ $variant:ident = $name:literal,)+) => {
        /// What kind of problem a diagnostic reports; stable, user-visible.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &[Code] = &[$(Code::$variant,)+];

            /// The kebab-case name users see and write in `allow_warnings`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)+
                }
            }

            /// One sentence saying what the code means.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$variant => concat!($($doc),+).trim_ascii(),)+
                }
            }

            /// What the code means, an example spec that reports it, and the fix (Markdown).
            pub fn explanation(self) -> &'static str {
                match self {
                    $(Code::$variant => include_str!(concat!("explain/", $name, ".md")),)+
                }
            }
        }
    };
}

codes! {
    /// A Bitnami (repmgr) cluster runs an even number of instances, so a split vote can leave it without a primary.
    BitnamiEvenInstances = "bitnami-even-instances",
    /// A Bitnami chart would pull its default images, which `docker.io/bitnami` no longer publishes.
    BitnamiImages = "bitnami-images",
    /// The spec's `[platform] min_version` is newer than this dbgen.
    DbgenTooOld = "dbgen-too-old",
    /// Two apps claim the same database or role in one cluster.
    DuplicateName = "duplicate-name",
    /// A value that must say something is empty.
    EmptyValue = "empty-value",
    /// A duration or interval is not in the syntax its consumer parses.
    InvalidDuration = "invalid-duration",
    /// A name is not valid where Kubernetes or PostgreSQL will use it.
    InvalidName = "invalid-name",
    /// A generated object failed verification against its schema (a dbgen bug).
    InvalidOutput = "invalid-output",
    /// A PostgreSQL parameter cannot take this value, or cannot be set at all.
    InvalidParameter = "invalid-parameter",
    /// A resource size is not a Kubernetes quantity, or is outside its bounds.
    InvalidQuantity = "invalid-quantity",
    /// A backup schedule is not a valid cron expression.
    InvalidSchedule = "invalid-schedule",
    /// The file is not valid TOML (syntax error or a key defined twice).
    InvalidToml = "invalid-toml",
    /// A URL is not a base URL its consumer accepts.
    InvalidUrl = "invalid-url",
    /// A value is well-typed but not acceptable here.
    InvalidValue = "invalid-value",
    /// A PostgreSQL or image version is malformed or not supported by the engine.
    InvalidVersion = "invalid-version",
    /// A PostgreSQL parameter is managed by the operator and cannot be set in the spec.
    ManagedParameter = "managed-parameter",
    /// Redis `maxmemory` is not below the container's memory limit.
    MaxmemoryAboveLimit = "maxmemory-above-limit",
    /// An app uses a cluster that is not rendered in one of its environments.
    MissingCluster = "missing-cluster",
    /// A required key is absent.
    MissingKey = "missing-key",
    /// Two things would produce the same Kubernetes object or Secret.
    NameCollision = "name-collision",
    /// A derived object name exceeds the length Kubernetes allows.
    NameTooLong = "name-too-long",
    /// The spec defines no environment, so there is nothing to render.
    NoEnvironments = "no-environments",
    /// A number is outside its allowed range.
    OutOfRange = "out-of-range",
    /// A secret-manager host is reached over plain HTTP.
    PlainHttp = "plain-http",
    /// A resource request is larger than its limit.
    RequestExceedsLimit = "request-exceeds-limit",
    /// A name is reserved by PostgreSQL, an operator or dbgen itself.
    ReservedName = "reserved-name",
    /// A Redis Sentinel deployment has too few pods to fail over.
    SentinelNoFailover = "sentinel-no-failover",
    /// Two readers would share one password in the secret store.
    SharedPassword = "shared-password",
    /// An `[[acknowledge]]` entry matches no pending change.
    StaleAcknowledgement = "stale-acknowledgement",
    /// A data-loss, rejected or login-kept change in a protected environment has no `[[acknowledge]]` entry.
    UnacknowledgedChange = "unacknowledged-change",
    /// An extension is not shipped by the engine's PostgreSQL image.
    UnknownExtension = "unknown-extension",
    /// A key is not part of the spec's schema.
    UnknownKey = "unknown-key",
    /// A PostgreSQL parameter does not exist in that major version.
    UnknownParameter = "unknown-parameter",
    /// A name template contains a placeholder dbgen does not know, or unbalanced braces.
    UnknownPlaceholder = "unknown-placeholder",
    /// A reference names something the spec does not define.
    UnknownReference = "unknown-reference",
    /// A value is not one of the values the key accepts.
    UnknownValue = "unknown-value",
    /// A combination the chosen engine or provider cannot deliver.
    Unsupported = "unsupported",
    /// A PostgreSQL cluster is defined but no app uses it.
    UnusedCluster = "unused-cluster",
    /// A key is set that the chosen engine or provider ignores.
    UnusedKey = "unused-key",
    /// A Redis is defined but no app uses it.
    UnusedRedis = "unused-redis",
    /// A value has the wrong TOML type.
    WrongType = "wrong-type",
}

impl Code {
    /// The code named `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|code| code.name() == name)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_round_trip() {
        let mut names: Vec<_> = Code::ALL.iter().map(|c| c.name()).collect();
        for name in &names {
            assert!(
                name.split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
                "{name}"
            );
            assert_eq!(Code::from_name(name).map(Code::name), Some(*name));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
        assert_eq!(Code::from_name("no-such-code"), None);
    }

    #[test]
    fn every_code_has_a_summary() {
        for code in Code::ALL {
            assert!(code.summary().ends_with('.'), "{code}");
        }
    }
}
