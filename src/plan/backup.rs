//! Continuous backup through the Barman Cloud plugin (CNPG ≥ 1.26; the in-tree
//! `barmanObjectStore` is deprecated): an `ObjectStore` holding the destination,
//! credentials and retention, the Cluster's `plugins` entry that archives WAL to it, a
//! `ScheduledBackup` with `method: plugin`, and point-in-time recovery from a store.

use serde::Serialize;

use super::Meta;
use crate::defaults;
use crate::model::MergedBackup;

#[derive(Debug, Clone, Serialize)]
pub struct ObjectStorePlan {
    pub meta: Meta,
    pub destination: String,
    pub endpoint: Option<String>,
    /// Secret with the two S3 keys below, delivered by the secret provider.
    pub credentials: String,
    /// Key names of the access key id and the secret access key in `credentials`.
    pub access_key_id_key: String,
    pub secret_access_key_key: String,
    pub retention: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScheduledBackupPlan {
    pub meta: Meta,
    pub cluster: String,
    /// 6 fields, seconds first, as CNPG's robfig/cron parser reads it.
    pub schedule: String,
    pub plugin: &'static str,
}

/// The Cluster's side of backups and recovery.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterBackupPlan {
    pub plugin: &'static str,
    /// Set when this cluster archives WAL to its own store.
    pub object_store: Option<String>,
    pub recovery: Option<RecoveryPlan>,
}

/// `bootstrap.recovery` from another cluster's store, through `externalClusters`.
#[derive(Debug, Clone, Serialize)]
pub struct RecoveryPlan {
    /// Name of the `externalClusters` entry.
    pub source: String,
    pub object_store: String,
    /// The cluster whose backups are read (the folder name inside the store).
    pub server_name: String,
    pub target_time: Option<String>,
}

/// `<cluster>-backup`.
pub(super) fn store_name(cluster: &str) -> String {
    format!("{cluster}-backup")
}

pub(super) fn object_store(meta: Meta, backup: &MergedBackup) -> ObjectStorePlan {
    ObjectStorePlan {
        meta,
        destination: backup.target.destination.clone(),
        endpoint: backup.endpoint.as_ref().map(|s| s.value.clone()),
        credentials: backup.target.credentials.clone(),
        access_key_id_key: s3_keys(backup)[0].clone(),
        secret_access_key_key: s3_keys(backup)[1].clone(),
        retention: backup.retention.value.to_string(),
    }
}

pub(super) fn scheduled(meta: Meta, cluster: &str, backup: &MergedBackup) -> ScheduledBackupPlan {
    let schedule = backup.schedule.value.with_seconds().to_string();
    ScheduledBackupPlan {
        meta,
        cluster: cluster.to_string(),
        schedule,
        plugin: defaults::BARMAN_PLUGIN,
    }
}

/// `restore`: the source cluster's object name in this environment, and the target time.
pub(super) fn cluster_side(
    cluster: &str,
    backup: Option<&MergedBackup>,
    restore: Option<(&str, Option<&String>)>,
) -> Option<ClusterBackupPlan> {
    if backup.is_none() && restore.is_none() {
        return None;
    }
    Some(ClusterBackupPlan {
        plugin: defaults::BARMAN_PLUGIN,
        object_store: backup.map(|_| store_name(cluster)),
        recovery: restore.map(|(from, target_time)| RecoveryPlan {
            source: "origin".to_string(),
            object_store: store_name(from),
            server_name: from.to_string(),
            target_time: target_time.cloned(),
        }),
    })
}

/// The keys the `ObjectStore` reads from its credentials Secret by default.
pub(super) const S3_KEYS: [&str; 2] = ["ACCESS_KEY_ID", "ACCESS_SECRET_KEY"];

/// The key names of one cluster's S3 credentials: the spec's, else `S3_KEYS`.
pub(super) fn s3_keys(backup: &MergedBackup) -> [String; 2] {
    let or = |s: &Option<crate::model::Sourced<String>>, default: &str| {
        s.as_ref()
            .map_or_else(|| default.to_string(), |s| s.value.clone())
    };
    [
        or(&backup.access_key_id_key, S3_KEYS[0]),
        or(&backup.secret_access_key_key, S3_KEYS[1]),
    ]
}
