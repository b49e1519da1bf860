//! Redis backups: a `CronJob` running dbgen's script (`redis-cli --rdb`, a snapshot
//! streamed over the network, with retention), the script in a `ConfigMap`, and the
//! `PersistentVolumeClaim` the snapshots go to; all named `<name>-backup`.
//!
//! Input: a `Scope` and its merged backup settings. Output: those three objects.
//! Invariant: the job never mounts Redis's own (`ReadWriteOnce`) data volume, and reads
//! the password from `<name>-credentials` as `REDISCLI_AUTH`, never a command line.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, Container, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec,
    PodTemplateSpec, ResourceRequirements, SeccompProfile, SecretKeySelector, SecurityContext,
    Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::statefulset::REDIS_UID;
use super::{PASSWORD_KEY, Scope};
use crate::defaults;
use crate::naming;
use crate::plan::{ConfigMapPlan, CronJobPlan, Kind, ObjectData, PersistentVolumeClaimPlan};
use crate::scripts;
use crate::validate::RedisBackupEnv;

const SCRIPT: &str = "backup.sh";

pub(super) fn name(redis: &str) -> String {
    format!("{redis}-backup")
}

pub(super) fn objects(scope: &Scope<'_>, settings: &RedisBackupEnv) -> Vec<(Kind, ObjectData)> {
    let name = name(&scope.redis.name);
    let script = ConfigMapPlan {
        meta: scope.meta(name.clone()),
        data: BTreeMap::from([(
            SCRIPT.to_string(),
            scripts::redis_backup_sh(settings.retention_days),
        )]),
    };
    let volume = PersistentVolumeClaimPlan {
        meta: scope.meta(name.clone()),
        spec: PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_string()]),
            storage_class_name: settings
                .storage_class
                .clone()
                .or_else(|| scope.redis.storage_class.clone()),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity(settings.storage.clone()),
                )])),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        },
    };
    let job = CronJobPlan {
        meta: scope.meta(name),
        spec: cron_job_spec(scope, settings),
    };
    vec![
        (Kind::ConfigMap, ObjectData::ConfigMap(script)),
        (
            Kind::PersistentVolumeClaim,
            ObjectData::PersistentVolumeClaim(volume),
        ),
        (Kind::CronJob, ObjectData::CronJob(Box::new(job))),
    ]
}

/// Where the snapshot is read: the Service named after the Redis. With Sentinel it is
/// the chart's Service in front of every node, master or replica: each holds the whole
/// dataset, and a replica serving the snapshot spares the master the fork. With
/// `statefulset` it is the only Redis.
fn source_service(scope: &Scope<'_>) -> String {
    scope.redis.name.clone()
}

fn container(scope: &Scope<'_>) -> Container {
    let env = |name: &str, value: &str| EnvVar {
        name: name.to_string(),
        value: Some(value.to_string()),
        value_from: None,
    };
    let mount = |name: &str, path: &str, read_only: bool| VolumeMount {
        name: name.to_string(),
        mount_path: path.to_string(),
        read_only: read_only.then_some(true),
        ..VolumeMount::default()
    };
    Container {
        name: "backup".to_string(),
        // redis-cli of the same major as the server, from the official image.
        image: Some(scope.official_image()),
        command: Some(vec!["sh".to_string(), format!("/scripts/{SCRIPT}")]),
        env: Some(vec![
            env("BACKUP_DIR", "/backup"),
            env("REDIS_HOST", &source_service(scope)),
            env("REDIS_PORT", &defaults::REDIS_PORT.to_string()),
            EnvVar {
                name: "REDISCLI_AUTH".to_string(),
                value: None,
                value_from: Some(EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: naming::redis_credentials_secret(&scope.redis.name),
                        key: PASSWORD_KEY.to_string(),
                        optional: None,
                    }),
                    ..EnvVarSource::default()
                }),
            },
        ]),
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_string(), Quantity("50m".to_string())),
                ("memory".to_string(), Quantity("64Mi".to_string())),
            ])),
            limits: Some(BTreeMap::from([(
                "memory".to_string(),
                Quantity("256Mi".to_string()),
            )])),
            ..ResourceRequirements::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".to_string()]),
                add: None,
            }),
            ..SecurityContext::default()
        }),
        volume_mounts: Some(vec![
            mount("backup", "/backup", false),
            mount("scripts", "/scripts", true),
            mount("tmp", "/tmp", false),
        ]),
        ..Container::default()
    }
}

fn cron_job_spec(scope: &Scope<'_>, settings: &RedisBackupEnv) -> CronJobSpec {
    let name = name(&scope.redis.name);
    let pod = PodSpec {
        restart_policy: Some("Never".to_string()),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(REDIS_UID),
            run_as_group: Some(REDIS_UID),
            fs_group: Some(REDIS_UID),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".to_string(),
                localhost_profile: None,
            }),
            ..PodSecurityContext::default()
        }),
        containers: vec![container(scope)],
        volumes: Some(vec![
            Volume {
                name: "backup".to_string(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: name.clone(),
                    read_only: None,
                }),
                ..Volume::default()
            },
            Volume {
                name: "scripts".to_string(),
                config_map: Some(ConfigMapVolumeSource {
                    name: name.clone(),
                    ..ConfigMapVolumeSource::default()
                }),
                ..Volume::default()
            },
            Volume {
                name: "tmp".to_string(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Volume::default()
            },
        ]),
        ..PodSpec::default()
    };
    let labels = BTreeMap::from([
        (
            "app.kubernetes.io/component".to_string(),
            "redis-backup".to_string(),
        ),
        (
            "app.kubernetes.io/instance".to_string(),
            scope.redis.name.clone(),
        ),
    ]);
    CronJobSpec {
        schedule: settings.schedule.clone(),
        // Two snapshots at once would double the load and race on retention.
        concurrency_policy: Some("Forbid".to_string()),
        // A run missed by more than an hour (controller down) is skipped, not piled up.
        starting_deadline_seconds: Some(3600),
        successful_jobs_history_limit: Some(3),
        failed_jobs_history_limit: Some(3),
        job_template: JobTemplateSpec {
            metadata: None,
            spec: Some(JobSpec {
                backoff_limit: Some(2),
                // A hung transfer must not block the next run forever.
                active_deadline_seconds: Some(3 * 3600),
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(labels),
                        ..ObjectMeta::default()
                    }),
                    spec: Some(pod),
                },
                ..JobSpec::default()
            }),
        },
        ..CronJobSpec::default()
    }
}
