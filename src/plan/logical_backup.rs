//! Logical backups of one cluster: a `CronJob` running dbgen's backup script (`pg_dump -Fc`
//! of every app database plus `pg_dumpall --globals-only`, with retention), the script in a
//! `ConfigMap`, and the `PersistentVolumeClaim` the dumps go to; with `upload`, a copy of
//! the complete dumps in an object store (see `upload`). The job logs in as the
//! `dbgen_backup` role (a member of `pg_read_all_data`, declared like the app roles, or
//! made by the provisioning Job of engines without an operator) on the replicas' Service
//! when there are replicas, so dumps do not load the primary. Engine-agnostic: the engine
//! names the image, the Service and the image's user in `Target`.

use std::collections::BTreeMap;

use super::k8s::{CronJobSpec, PersistentVolumeClaimSpec};
use serde::Serialize;

use super::Meta;
use super::scope::ClusterScope;
use super::script_job::{self, ScriptCronJob, env, secret_env};
use crate::defaults;
use crate::model::MergedLogicalBackup;
use crate::scripts;

#[derive(Debug, Clone, Serialize)]
pub struct ConfigMapPlan {
    pub meta: Meta,
    pub data: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PersistentVolumeClaimPlan {
    pub meta: Meta,
    pub spec: PersistentVolumeClaimSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct CronJobPlan {
    pub meta: Meta,
    pub spec: CronJobSpec,
}

/// `<cluster>-logical-backup`: the CronJob, its ConfigMap and its volume.
pub(crate) use crate::model::owned::logical_backup as name;

/// The backup role's password Secret.
pub(super) fn role_secret(cluster: &str) -> String {
    format!("{cluster}-logical-backup-role")
}

/// What the objects need to know about the cluster.
pub(super) struct Target<'a> {
    pub(super) cluster: &'a str,
    /// An image of the server's major version (or newer), with `pg_dump` and `sh`.
    pub(super) image: &'a str,
    /// The Service the dumps read from, in the cluster namespace: a replicas' Service when
    /// there are replicas (CNPG `-ro`; `-r` for one instance, as `-ro` then has no endpoints).
    pub(super) host: String,
    /// UID and GID of `postgres` in `image` (26 in CloudNativePG's, 999 in the official one).
    pub(super) uid: i64,
    pub(super) storage_class: Option<&'a str>,
    pub(super) databases: Vec<String>,
}

/// Every logical-backup object of one cluster, whatever the engine: the script's
/// `ConfigMap`, the dump volume, the `CronJob`, and the backup role's password Secret through
/// the secret provider (the role itself is the engine's: a CNPG role, or the provisioning
/// Job's).
pub(super) fn objects(
    scope: &ClusterScope<'_>,
    t: &Target<'_>,
    settings: &MergedLogicalBackup,
) -> Vec<super::ObjectData> {
    let target = super::upload::Target {
        checked: scope.checked,
        env: scope.env,
        cluster: t.cluster,
        namespace: &scope.namespace,
    };
    let (upload, upload_secret) = settings
        .upload
        .as_ref()
        .map(|u| super::upload::step(&target, u, scripts::PG_BACKUP_COMPLETE))
        .unzip();
    let mut out = script_job::objects(&|name| scope.meta(name, None), job(t, settings, upload));
    out.extend(upload_secret);
    let remote = &settings.remote_key;
    let secret_name = role_secret(t.cluster);
    let secret = super::credentials::role_password_secret(
        &secret_name,
        remote,
        defaults::LOGICAL_BACKUP_ROLE,
    );
    out.push(super::credentials::provided_secret(
        scope.checked,
        scope.env,
        t.cluster,
        &scope.namespace,
        &secret,
    ));
    out
}

/// Labels of the backup pods, which the cluster's NetworkPolicy lets in.
pub(super) fn pod_labels(cluster: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "app.kubernetes.io/component".to_string(),
            "logical-backup".to_string(),
        ),
        (
            "app.kubernetes.io/instance".to_string(),
            cluster.to_string(),
        ),
    ])
}

/// The dump job: `pg_dump` of every app database as the backup role, on `t.host`.
fn job(
    t: &Target<'_>,
    settings: &MergedLogicalBackup,
    upload: Option<super::upload::UploadStep>,
) -> ScriptCronJob {
    ScriptCronJob {
        name: name(t.cluster),
        pod_labels: pod_labels(t.cluster),
        image: t.image.to_string(),
        uid: t.uid,
        script: scripts::pg_backup_sh(&t.databases, settings.retention_days),
        env: vec![
            env("PGHOST", &t.host),
            env("PGPORT", &defaults::POSTGRES_PORT.to_string()),
            env("PGUSER", defaults::LOGICAL_BACKUP_ROLE),
            secret_env("PGPASSWORD", &role_secret(t.cluster), "password"),
        ],
        requests: ("100m", "128Mi"),
        memory_limit: "512Mi",
        schedule: settings.schedule.as_written().to_string(),
        active_deadline_seconds: 6 * 3600,
        storage: super::k8s::Quantity::from(&settings.storage),
        storage_class: settings
            .storage_class
            .clone()
            .or_else(|| t.storage_class.map(str::to_string)),
        upload,
    }
}
