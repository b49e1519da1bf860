//! Typed values `validate` parsed, so `plan` prints them without parsing again.
//!
//! Input: nothing (types; `validate` constructs them from checked text).
//! Output: `CronSchedule`, `Platform`.
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
