//! A `CronJob` running one of dbgen's scripts against a server over the network, writing to
//! a volume of its own: the shape shared by PostgreSQL logical backups and Redis backups.
//!
//! Input: a `ScriptCronJob` (name, script, image, user, environment, schedule, volume, and
//! an optional upload step). Output: the script's `ConfigMap`, the `PersistentVolumeClaim`
//! and the `CronJob`, all named `name`. With an upload step the backup runs as an init
//! container, so the upload container (`upload.sh`, same ConfigMap) starts only after a
//! successful backup. Invariant: the pod runs non-root with a read-only root filesystem, never
//! mounts the server's own volume, reads passwords and keys only from Secrets through `env`,
//! and runs once at a time (`Forbid`), skipping runs missed by more than an hour.

use std::collections::BTreeMap;

use super::k8s::{
    Container, CronJobSpec, EnvVar, EnvVarSource, JobSpec, JobTemplateSpec, ObjectMeta,
    PersistentVolumeClaimSpec, PodSpec, PodTemplateSpec, Quantity, ResourceRequirements,
    SecretKeySelector, VolumeResourceRequirements,
};

use super::upload::{AWS_CLI_IMAGE, UploadStep};
use super::workload::{
    claim_volume, config_map_volume, empty_dir_volume, mount, restricted_container, restricted_pod,
};
use super::{ConfigMapPlan, CronJobPlan, Meta, ObjectData, PersistentVolumeClaimPlan};
use crate::scripts;

const SCRIPT: &str = "backup.sh";
const UPLOAD_SCRIPT: &str = "upload.sh";
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
    pub(super) storage: Quantity,
    pub(super) storage_class: Option<String>,
    /// Copy the volume's complete backups to an object store after each successful run.
    pub(super) upload: Option<UploadStep>,
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
            }),
        }),
    }
}

/// The `ConfigMap`, the volume and the `CronJob`; `meta` makes each one's metadata.
pub(super) fn objects(meta: &dyn Fn(String) -> Meta, job: ScriptCronJob) -> Vec<ObjectData> {
    let mut data = BTreeMap::from([(SCRIPT.to_string(), job.script.clone())]);
    if let Some(upload) = &job.upload {
        data.insert(
            UPLOAD_SCRIPT.to_string(),
            scripts::s3_upload_sh(&[upload.complete]),
        );
    }
    let config = ConfigMapPlan {
        meta: meta(job.name.clone()),
        data,
    };
    let volume = PersistentVolumeClaimPlan {
        meta: meta(job.name.clone()),
        spec: PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_string()]),
            storage_class_name: job.storage_class.clone(),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    job.storage.clone(),
                )])),
            }),
        },
    };
    let cron_job = CronJobPlan {
        meta: meta(job.name.clone()),
        spec: cron_job_spec(job),
    };
    vec![
        ObjectData::ConfigMap(config),
        ObjectData::PersistentVolumeClaim(volume),
        ObjectData::CronJob(Box::new(cron_job)),
    ]
}

fn resources(
    requests: (&'static str, &'static str),
    memory_limit: &'static str,
) -> ResourceRequirements {
    let quantity = Quantity::fixed;
    ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_string(), quantity(requests.0)),
            ("memory".to_string(), quantity(requests.1)),
        ])),
        limits: Some(BTreeMap::from([(
            "memory".to_string(),
            quantity(memory_limit),
        )])),
    }
}

/// The AWS CLI container: reads the volume, never writes it; `HOME` on the writable `/tmp`.
fn upload_container(upload: &UploadStep) -> Container {
    let mut env_vars = vec![
        env("BACKUP_DIR", BACKUP_DIR),
        env("DESTINATION", &upload.destination),
        env("HOME", "/tmp"),
        secret_env("AWS_ACCESS_KEY_ID", &upload.credentials, "ACCESS_KEY_ID"),
        secret_env(
            "AWS_SECRET_ACCESS_KEY",
            &upload.credentials,
            "ACCESS_SECRET_KEY",
        ),
    ];
    if let Some(endpoint) = &upload.endpoint {
        env_vars.push(env("AWS_ENDPOINT_URL", endpoint));
        // AWS CLI 2.23 and later add CRC checksums to every upload by default, which many
        // S3-compatible stores reject; checksums only where the operation requires them.
        env_vars.push(env("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required"));
        env_vars.push(env("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required"));
    }
    Container {
        name: "upload".to_string(),
        image: Some(AWS_CLI_IMAGE.to_string()),
        command: Some(vec!["sh".to_string(), format!("/scripts/{UPLOAD_SCRIPT}")]),
        env: Some(env_vars),
        resources: Some(resources(("50m", "128Mi"), "512Mi")),
        security_context: Some(restricted_container()),
        volume_mounts: Some(vec![
            mount("backup", BACKUP_DIR, true),
            mount("scripts", "/scripts", true),
            mount("tmp", "/tmp", false),
        ]),
        ..Container::default()
    }
}

fn cron_job_spec(job: ScriptCronJob) -> CronJobSpec {
    let mut env_vars = vec![env("BACKUP_DIR", BACKUP_DIR)];
    env_vars.extend(job.env);
    let backup = Container {
        name: "backup".to_string(),
        image: Some(job.image),
        command: Some(vec!["sh".to_string(), format!("/scripts/{SCRIPT}")]),
        env: Some(env_vars),
        resources: Some(resources(job.requests, job.memory_limit)),
        security_context: Some(restricted_container()),
        volume_mounts: Some(vec![
            mount("backup", BACKUP_DIR, false),
            mount("scripts", "/scripts", true),
            mount("tmp", "/tmp", false),
        ]),
        ..Container::default()
    };
    // An init container must succeed before the main one starts: a failed backup is never
    // followed by an upload, and the Job fails (and retries) as a whole.
    let (init_containers, containers) = match job.upload {
        Some(upload) => (Some(vec![backup]), vec![upload_container(&upload)]),
        None => (None, vec![backup]),
    };
    let pod = PodSpec {
        restart_policy: Some("Never".to_string()),
        security_context: Some(restricted_pod(job.uid)),
        init_containers,
        containers,
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
            }),
        },
    }
}
