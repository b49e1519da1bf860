//! Merged per-environment settings: every size layer (built-in profile, cluster table,
//! environment table) folded into one value per setting, each remembering where it was
//! written.
//!
//! Input: nothing (types only; `validate` builds them).
//! Output: `Merged` (one PostgreSQL cluster in one environment) and `RedisEnv` (one Redis
//! in one environment), read by `plan`.
//! Invariant: every value is already checked; `Sourced::span` is only for diagnostics.

use std::collections::BTreeMap;

use super::quantity::Quantity;
use super::values::{CronSchedule, RedisMemory, Retention};
use crate::source::Span;
use crate::spec::{MaxmemoryPolicy, PoolMode, RedisEngine};

/// A merged value and where the user (or a profile file) wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    /// `None` for a built-in default.
    pub span: Option<Span>,
    /// The layer it came from, for notes ("profile `small`", "a built-in default").
    pub origin: String,
}

impl<T> Sourced<T> {
    /// A value no layer set: the built-in default.
    pub fn builtin(value: T) -> Self {
        Self {
            value,
            span: None,
            origin: "a built-in default".to_string(),
        }
    }

    /// The same place, holding `f(value)`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Sourced<U> {
        Sourced {
            value: f(self.value),
            span: self.span,
            origin: self.origin,
        }
    }
}

/// CPU and memory after merging, leaf by leaf.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MergedCompute {
    pub cpu: Option<Sourced<Quantity>>,
    pub memory: Option<Sourced<Quantity>>,
}

/// Every size setting of one cluster in one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// At most `rules::INSTANCES_MAX`: a `u16` converts into every Kubernetes count
    /// (`i32` replicas, CloudNativePG's `instances`) without a fallible cast.
    pub instances: Sourced<u16>,
    pub storage: Sourced<Quantity>,
    pub storage_class: Option<Sourced<String>>,
    pub requests: MergedCompute,
    pub limits: MergedCompute,
    pub parameters: BTreeMap<String, Sourced<String>>,
    /// `None` when monitoring is off.
    pub monitoring: Option<MergedMonitoring>,
    pub network_policy: bool,
    /// `None` when there is no pooler.
    pub pooler: Option<MergedPooler>,
    /// `None` when backups are off.
    pub backup: Option<MergedBackup>,
    pub restore: Option<Sourced<crate::spec::Restore>>,
    pub reclaim_policy: Sourced<crate::spec::ReclaimPolicy>,
    /// `None` when logical backups are off.
    pub logical_backup: Option<MergedLogicalBackup>,
    /// `credentials_key`, expanded: where the secret provider reads the administrator
    /// password of an engine without an operator. Empty on CloudNativePG, which refuses
    /// the key and reads no such password.
    pub admin_credentials_key: String,
}

/// Where a backup's data and its S3 credentials live in one environment: the spec's
/// patterns with `{env}`, `{cluster}` (and, where accepted, `{app}`) expanded. `validate`
/// fills it once every check passed (`validate::expand`); `plan` writes it as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// The object-store URL.
    pub destination: String,
    /// The Secret holding the S3 keys.
    pub credentials: String,
    /// Where the secret provider reads that Secret's values.
    pub credentials_key: String,
}

/// Logical backup settings after merging.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedLogicalBackup {
    /// The table that turned logical backups on, for "missing key" diagnostics.
    pub table: Option<Span>,
    /// 5 fields or a descriptor, as Kubernetes CronJobs take it.
    pub schedule: CronSchedule,
    pub retention_days: u32,
    pub storage: Quantity,
    pub storage_class: Option<String>,
    pub credentials_key: Option<String>,
    /// `credentials_key`, expanded: where the provider reads the backup role's password.
    pub remote_key: String,
    /// `None` when dumps stay on the volume only.
    pub upload: Option<MergedUpload>,
}

/// Backup settings after merging, each leaf located for diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedBackup {
    /// The `backup` table that turned backups on, for "missing key" diagnostics.
    pub table: Option<Span>,
    pub destination: Option<Sourced<String>>,
    pub endpoint: Option<Sourced<String>>,
    pub credentials: Option<Sourced<String>>,
    pub credentials_key: Option<Sourced<String>>,
    /// Key names of the S3 credentials in the `credentials` Secret.
    pub access_key_id_key: Option<Sourced<String>>,
    pub secret_access_key_key: Option<Sourced<String>>,
    pub retention: Sourced<Retention>,
    pub schedule: Sourced<CronSchedule>,
    /// `destination`, `credentials` and `credentials_key`, expanded.
    pub target: Target,
}

/// Alert thresholds after merging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedMonitoring {
    pub replication_lag_seconds: u32,
    pub connections_percent: u32,
    pub backup_age_hours: u32,
}

/// PgBouncer settings after merging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedPooler {
    pub instances: u32,
    pub mode: PoolMode,
    pub max_client_conn: u32,
    pub default_pool_size: u32,
}

/// Upload settings of one backup in one environment, leaf by leaf from the most specific
/// table that sets each key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedUpload {
    /// The most specific `upload` table, for "missing key" diagnostics.
    pub table: Option<Span>,
    /// As written: may contain `{env}` and `{cluster}`.
    pub destination: Option<String>,
    pub endpoint: Option<String>,
    pub credentials: Option<String>,
    /// As written: may contain `{env}` and `{cluster}`.
    pub credentials_key: Option<String>,
    /// `destination`, `credentials` and `credentials_key`, expanded.
    pub target: Target,
}

/// One Redis in one environment, with every setting decided.
#[derive(Debug, Clone)]
pub struct RedisEnv {
    /// The `[redis.<key>]` key.
    pub key: String,
    /// Name of its objects and Helm release in this environment.
    pub name: String,
    pub engine: RedisEngine,
    pub version: String,
    pub image: Option<String>,
    pub master_set: String,
    /// Remote key or Infisical folder of the password, placeholders expanded.
    pub credentials_key: String,
    pub replicas: u32,
    pub storage: Quantity,
    pub storage_class: Option<String>,
    pub requests: MergedCompute,
    pub limits: MergedCompute,
    pub maxmemory: Option<RedisMemory>,
    pub maxmemory_policy: Option<MaxmemoryPolicy>,
    pub appendonly: bool,
    pub monitoring: bool,
    pub backup: Option<RedisBackupEnv>,
}

/// Backup settings of one Redis in one environment.
#[derive(Debug, Clone)]
pub struct RedisBackupEnv {
    pub schedule: CronSchedule,
    pub retention_days: u32,
    pub storage: Quantity,
    pub storage_class: Option<String>,
    /// `None` when snapshots stay on the volume only.
    pub upload: Option<MergedUpload>,
}
