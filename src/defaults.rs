//! Every built-in default, in one place. `validate` merges `layer()` below the
//! profiles; `plan` uses the rest when the spec leaves a value out. Pinned images and
//! upstream versions are in `crate::pins`.

use crate::spec::Layer;

/// The lowest layer of size settings: what a cluster gets with no profile at all.
pub fn layer() -> Layer {
    Layer {
        instances: Some(1),
        storage: Some("10Gi".to_string()),
        ..Layer::default()
    }
}

pub const DOMAIN: &str = "cluster.local";
pub const OUTPUT_DIR: &str = "out";
pub const REFRESH: &str = "1h";
pub const PASSWORD_PROPERTY: &str = "password";
pub const POSTGRES_PORT: u16 = 5432;
pub const OPERATOR_NAMESPACE: &str = "cnpg-system";
pub const MONITORING_NAMESPACE: &str = "monitoring";
/// Environments that count as production unless `production` says otherwise.
pub const PRODUCTION_ENVIRONMENTS: &[&str] = &["prod", "production"];
pub const POOLER_INSTANCES: u32 = 2;
pub const POOLER_MAX_CLIENT_CONN: u32 = 1000;
pub const POOLER_DEFAULT_POOL_SIZE: u32 = 50;
pub const ALERT_REPLICATION_LAG_SECONDS: u32 = 30;
pub const ALERT_CONNECTIONS_PERCENT: u32 = 80;
/// A daily backup plus two hours of slack.
pub const ALERT_BACKUP_AGE_HOURS: u32 = 26;
pub const BACKUP_RETENTION: &str = "30d";
/// Daily at 02:00, as the seeds' backup jobs run.
pub const BACKUP_SCHEDULE: &str = "0 2 * * *";
/// The Barman Cloud plugin needs CloudNativePG 1.26 or newer.
pub const CNPG_PLUGIN_BACKUPS_SINCE: (u32, u32) = (1, 26);
pub const BARMAN_PLUGIN: &str = "barman-cloud.cloudnative-pg.io";
/// The Infisical operator's own example interval; its default without one is 5 minutes.
pub const INFISICAL_RESYNC_INTERVAL: &str = "60s";
/// `DatabaseRole` objects exist since CloudNativePG 1.30.
pub const CNPG_DATABASE_ROLE_SINCE: (u32, u32) = (1, 30);
/// Where the read-only role's password is read (property or Infisical secret name).
pub const READONLY_PASSWORD_PROPERTY: &str = "readonly_password";
/// The predefined role that reads every table, for read-only users.
pub const READONLY_GRANT: &str = "pg_read_all_data";
/// Vault KV mount, KV version and Kubernetes auth mount External Secrets uses by default.
pub const VAULT_KV_PATH: &str = "secret";
pub const VAULT_KV_VERSION: &str = "v2";
pub const VAULT_AUTH_MOUNT: &str = "kubernetes";
/// `[gitops]`: Argo CD's and Flux's (`flux bootstrap`'s) own namespaces and names.
pub const ARGOCD_NAMESPACE: &str = "argocd";
pub const ARGOCD_REVISION: &str = "HEAD";
pub const ARGOCD_PROJECT: &str = "default";
pub const ARGOCD_SERVER: &str = "https://kubernetes.default.svc";
pub const FLUX_NAMESPACE: &str = "flux-system";
pub const FLUX_SOURCE: &str = "flux-system";
pub const FLUX_INTERVAL: &str = "10m";
/// Logical backups: nightly at 03:00 (after base backups at 02:00), a week of dumps.
pub const LOGICAL_BACKUP_SCHEDULE: &str = "0 3 * * *";
pub const LOGICAL_BACKUP_RETENTION_DAYS: u32 = 7;
pub const LOGICAL_BACKUP_STORAGE: &str = "10Gi";
/// The role the logical backup CronJob connects as (member of `pg_read_all_data`).
pub const LOGICAL_BACKUP_ROLE: &str = "dbgen_backup";
pub const REDIS_PORT: u16 = 6379;
pub const REDIS_SENTINEL_PORT: u16 = 26379;
/// The Bitnami chart's own default master set name.
pub const REDIS_MASTER_SET: &str = "mymaster";
/// The Bitnami chart's default data volume size.
pub const REDIS_STORAGE: &str = "8Gi";
/// Redis backups: nightly at 03:00 as in the seeds, a week of snapshots, on 5Gi.
pub const REDIS_BACKUP_SCHEDULE: &str = "0 3 * * *";
pub const REDIS_BACKUP_RETENTION_DAYS: u32 = 7;
pub const REDIS_BACKUP_STORAGE: &str = "5Gi";
