//! Redis backups: a `CronJob` running dbgen's script (`redis-cli --rdb`, a snapshot
//! streamed over the network, with retention), the script in a `ConfigMap`, and the
//! `PersistentVolumeClaim` the snapshots go to; all named `<name>-backup`.
//!
//! Input: a `Scope` and its merged backup settings. Output: those three objects, and with
//! `upload` the object store credentials Secret (the job then also copies each snapshot).
//! Invariant: the job never mounts Redis's own (`ReadWriteOnce`) data volume, and reads
//! the password from `<name>-credentials` as `REDISCLI_AUTH`, never a command line.

use std::collections::BTreeMap;

use super::statefulset::REDIS_UID;
use super::{PASSWORD_KEY, Scope};
use crate::defaults;
use crate::model::RedisBackupEnv;
use crate::naming;
use crate::plan::ObjectData;
use crate::plan::script_job::{self, ScriptCronJob, env, secret_env};
use crate::scripts;

pub(super) fn name(redis: &str) -> String {
    format!("{redis}-backup")
}

pub(super) fn objects(scope: &Scope<'_>, settings: &RedisBackupEnv) -> Vec<ObjectData> {
    let redis = &scope.redis.name;
    let target = crate::plan::upload::Target {
        checked: scope.checked,
        env: scope.env,
        cluster: redis,
        namespace: &scope.namespace,
    };
    let (upload, upload_secret) = settings
        .upload
        .as_ref()
        .map(|u| crate::plan::upload::step(&target, u, scripts::REDIS_BACKUP_COMPLETE))
        .unzip();
    let job = ScriptCronJob {
        name: name(redis),
        pod_labels: BTreeMap::from([
            (
                "app.kubernetes.io/component".to_string(),
                "redis-backup".to_string(),
            ),
            ("app.kubernetes.io/instance".to_string(), redis.clone()),
        ]),
        // redis-cli of the same major as the server, from the official image.
        image: scope.official_image(),
        uid: REDIS_UID,
        script: scripts::redis_backup_sh(settings.retention_days),
        env: vec![
            env("REDIS_HOST", &source_service(scope)),
            env("REDIS_PORT", &defaults::REDIS_PORT.to_string()),
            secret_env(
                "REDISCLI_AUTH",
                &naming::redis_credentials_secret(redis),
                PASSWORD_KEY,
            ),
        ],
        requests: ("50m", "64Mi"),
        memory_limit: "256Mi",
        schedule: settings.schedule.as_written().to_string(),
        active_deadline_seconds: 3 * 3600,
        storage: crate::plan::k8s::Quantity::from(&settings.storage),
        storage_class: settings
            .storage_class
            .clone()
            .or_else(|| scope.redis.storage_class.clone()),
        upload,
    };
    let mut out = script_job::objects(&|name| scope.meta(name), job);
    out.extend(upload_secret);
    out
}

/// Where the snapshot is read: the Service named after the Redis. With Sentinel it is
/// the chart's Service in front of every node, master or replica: each holds the whole
/// dataset, and a replica serving the snapshot spares the master the fork. With
/// `statefulset` it is the only Redis.
fn source_service(scope: &Scope<'_>) -> String {
    scope.redis.name.clone()
}
