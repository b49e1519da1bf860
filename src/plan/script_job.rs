//! A `CronJob` running one of dbgen's scripts against a server over the network, writing to
//! a volume of its own: the shape shared by PostgreSQL logical backups and Redis backups.
//!
//! Input: a `ScriptCronJob` (name, script, image, user, environment, schedule, volume).
//! Output: the script's `ConfigMap`, the `PersistentVolumeClaim` and the `CronJob`, all
//! named `name`. Invariant: the pod runs non-root with a read-only root filesystem, never
//! mounts the server's own volume, reads passwords only from Secrets through `env`, and
//! runs once at a time (`Forbid`), skipping runs missed by more than an hour.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Container, EnvVar, EnvVarSource, PersistentVolumeClaimSpec, PodSpec, PodTemplateSpec,
    ResourceRequirements, SecretKeySelector, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::workload::{
    claim_volume, config_map_volume, empty_dir_volume, mount, restricted_container, restricted_pod,
};
use super::{ConfigMapPlan, CronJobPlan, Kind, Meta, ObjectData, PersistentVolumeClaimPlan};

const SCRIPT: &str = "backup.sh";
/// Where the volume is mounted; scripts read it as `BACKUP_DIR`.
const BACKUP_DIR: &str = "/backup";

pub(super) struct ScriptCronJob {
    /// Name of the `CronJob`, its `ConfigMap` and its volume.
    pub(super) name: String,
    /// Labels of the job's pods (network policies select them).
    pub(super) pod_labels: BTreeMap<String, String>,
    pub(super) image: String,
    /// UID and GID the image's tools run as.
    pub(super) uid: i64,
    pub(super) script: String,
    /// Besides `BACKUP_DIR`.
    pub(super) env: Vec<EnvVar>,
    /// CPU and memory requests, memory limit.
    pub(super) requests: (&'static str, &'static str),
    pub(super) memory_limit: &'static str,
    /// A 5-field cron expression.
    pub(super) schedule: String,
    /// A hung run must not block the next one forever.
    pub(super) active_deadline_seconds: i64,
    pub(super) storage: String,
    pub(super) storage_class: Option<String>,
}

/// A plain environment variable.
pub(super) fn env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: Some(value.to_string()),
        value_from: None,
    }
}

/// An environment variable read from key `key` of Secret `secret`.
pub(super) fn secret_env(name: &str, secret: &str, key: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.to_string(),
                key: key.to_string(),
                optional: None,
            }),
            ..EnvVarSource::default()
        }),
    }
}

/// The `ConfigMap`, the volume and the `CronJob`; `meta` makes each one's metadata.
pub(super) fn objects(
    meta: &dyn Fn(String) -> Meta,
    job: ScriptCronJob,
) -> Vec<(Kind, ObjectData)> {
    let config = ConfigMapPlan {
        meta: meta(job.name.clone()),
        data: BTreeMap::from([(SCRIPT.to_string(), job.script.clone())]),
    };
    let volume = PersistentVolumeClaimPlan {
        meta: meta(job.name.clone()),
        spec: PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_string()]),
            storage_class_name: job.storage_class.clone(),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity(job.storage.clone()),
                )])),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        },
    };
    let cron_job = CronJobPlan {
        meta: meta(job.name.clone()),
        spec: cron_job_spec(job),
    };
    vec![
        (Kind::ConfigMap, ObjectData::ConfigMap(config)),
        (
            Kind::PersistentVolumeClaim,
            ObjectData::PersistentVolumeClaim(volume),
        ),
        (Kind::CronJob, ObjectData::CronJob(Box::new(cron_job))),
    ]
}

fn cron_job_spec(job: ScriptCronJob) -> CronJobSpec {
    let mut env_vars = vec![env("BACKUP_DIR", BACKUP_DIR)];
    env_vars.extend(job.env);
    let quantity = |q: &str| Quantity(q.to_string());
    let container = Container {
        name: "backup".to_string(),
        image: Some(job.image),
        command: Some(vec!["sh".to_string(), format!("/scripts/{SCRIPT}")]),
        env: Some(env_vars),
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_string(), quantity(job.requests.0)),
                ("memory".to_string(), quantity(job.requests.1)),
            ])),
            limits: Some(BTreeMap::from([(
                "memory".to_string(),
                quantity(job.memory_limit),
            )])),
            ..ResourceRequirements::default()
        }),
        security_context: Some(restricted_container()),
        volume_mounts: Some(vec![
            mount("backup", BACKUP_DIR, false),
            mount("scripts", "/scripts", true),
            mount("tmp", "/tmp", false),
        ]),
        ..Container::default()
    };
    let pod = PodSpec {
        restart_policy: Some("Never".to_string()),
        security_context: Some(restricted_pod(job.uid)),
        containers: vec![container],
        volumes: Some(vec![
            claim_volume("backup", &job.name),
            config_map_volume("scripts", &job.name),
            empty_dir_volume("tmp"),
        ]),
        ..PodSpec::default()
    };
    CronJobSpec {
        schedule: job.schedule,
        // Two runs at once would double the load and race on retention.
        concurrency_policy: Some("Forbid".to_string()),
        // A run missed by more than an hour (controller down) is skipped, not piled up.
        starting_deadline_seconds: Some(3600),
        successful_jobs_history_limit: Some(3),
        failed_jobs_history_limit: Some(3),
        job_template: JobTemplateSpec {
            metadata: None,
            spec: Some(JobSpec {
                backoff_limit: Some(2),
                active_deadline_seconds: Some(job.active_deadline_seconds),
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(job.pod_labels),
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
