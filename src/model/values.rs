//! Typed values `validate` parsed, so `plan` prints them without parsing again.
//!
//! Input: nothing (types; `validate` constructs them from checked text).
//! Output: `CronSchedule`, `Platform`, `PostgresVersion`.
//! Invariant: a value of these types was checked; its accessors cannot fail.

use crate::spec::RoleStyle;

/// A cron schedule as written (5 fields or an `@descriptor`), with the form that
/// CloudNativePG's `ScheduledBackup` takes (a seconds field first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSchedule {
    written: String,
    with_seconds: String,
}

impl CronSchedule {
    /// `with_seconds` is `written` as `validate::rules::cron_with_seconds` converted it.
    pub(crate) fn new(written: String, with_seconds: String) -> Self {
        Self {
            written,
            with_seconds,
        }
    }

    /// As written: what Kubernetes CronJobs take.
    pub fn as_written(&self) -> &str {
        &self.written
    }

    /// With a leading seconds field (descriptors unchanged).
    pub fn with_seconds(&self) -> &str {
        &self.with_seconds
    }
}

/// `[platform]` with every default applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// The cluster DNS domain (`cluster.local` unless set).
    pub domain: String,
    /// Where the CloudNativePG operator runs.
    pub operator_namespace: String,
    /// Where Prometheus runs (the scraper the network policies let in).
    pub monitoring_namespace: String,
    /// The CloudNativePG release the output targets, `major.minor`.
    pub cnpg_version: (u32, u32),
    /// Inline `managed.roles` or `DatabaseRole` objects: the spec's choice, else objects
    /// from CloudNativePG 1.30 on.
    pub roles: RoleStyle,
}

/// A PostgreSQL version as written (`17`, `17.6`), with its numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresVersion {
    written: String,
    major: u32,
    minor: Option<u32>,
}

impl PostgresVersion {
    /// `major` or `major.minor`; `None` otherwise (which versions are supported is
    /// `validate::rules::pg_version`'s decision).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map(str::parse).transpose().ok()?;
        parts.next().is_none().then(|| Self {
            written: text.to_string(),
            major,
            minor,
        })
    }

    pub fn as_written(&self) -> &str {
        &self.written
    }

    pub fn major(&self) -> u32 {
        self.major
    }

    pub fn minor(&self) -> Option<u32> {
        self.minor
    }
}

#[cfg(test)]
mod tests {
    use super::PostgresVersion;

    #[test]
    fn versions_parse_into_their_numbers() {
        let v = PostgresVersion::parse("16.11").unwrap();
        assert_eq!(
            (v.major(), v.minor(), v.as_written()),
            (16, Some(11), "16.11")
        );
        assert_eq!(PostgresVersion::parse("18").unwrap().minor(), None);
        for bad in ["", "x", "17.", "17.6.1", "17.x", ".6"] {
            assert_eq!(PostgresVersion::parse(bad), None, "{bad}");
        }
    }
}
