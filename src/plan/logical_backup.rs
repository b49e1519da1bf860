//! Logical backups of one cluster: a `CronJob` running dbgen's backup script (`pg_dump -Fc`
//! of every app database plus `pg_dumpall --globals-only`, with retention), the script in a
//! `ConfigMap`, and the `PersistentVolumeClaim` the dumps go to. The job logs in as the
//! `dbgen_backup` role (a member of `pg_read_all_data`, declared like the app roles, or
//! made by the provisioning Job of engines without an operator) on the replicas' Service
//! when there are replicas, so dumps do not load the primary. Engine-agnostic: the engine
//! names the image, the Service and the image's user in `Target`.

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
use serde::Serialize;

use super::Meta;
use crate::defaults;
use crate::scripts;
use crate::validate::MergedLogicalBackup;

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
pub(super) fn name(cluster: &str) -> String {
    format!("{cluster}-logical-backup")
}

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
const SCRIPT: &str = "backup.sh";

/// Where the cluster lives, for the objects' metadata and the password Secret.
pub(super) struct Place<'a> {
    pub(super) spec: &'a crate::spec::Spec,
    pub(super) env: &'a str,
    pub(super) namespace: &'a str,
    /// Makes the metadata of an object named `name` (the cluster's namespace and labels).
    pub(super) meta: &'a dyn Fn(String) -> Meta,
}

/// Every logical-backup object of one cluster, whatever the engine: the script's
/// `ConfigMap`, the dump volume, the `CronJob`, and the backup role's password Secret through
/// the secret provider (the role itself is the engine's: a CNPG role, or the provisioning
/// Job's).
pub(super) fn objects(
    place: &Place<'_>,
    t: &Target<'_>,
    settings: &MergedLogicalBackup,
) -> Vec<(super::Kind, super::ObjectData)> {
    use super::{Kind, ObjectData};
    let name = name(t.cluster);
    let mut out = vec![
        (
            Kind::ConfigMap,
            ObjectData::ConfigMap(config_map((place.meta)(name.clone()), t, settings)),
        ),
        (
            Kind::PersistentVolumeClaim,
            ObjectData::PersistentVolumeClaim(volume((place.meta)(name.clone()), t, settings)),
        ),
        (
            Kind::CronJob,
            ObjectData::CronJob(Box::new(cron_job((place.meta)(name), t, settings))),
        ),
    ];
    let template = settings.credentials_key.clone().unwrap_or_default();
    let remote = crate::naming::expand(
        &template,
        &BTreeMap::from([("env", place.env), ("cluster", t.cluster)]),
    )
    .unwrap_or(template);
    let secret_name = role_secret(t.cluster);
    let secret = super::credentials::role_password_secret(
        &secret_name,
        &remote,
        defaults::LOGICAL_BACKUP_ROLE,
    );
    out.push(super::credentials::provided_secret(
        place.spec,
        place.env,
        t.cluster,
        place.namespace,
        &secret,
    ));
    out
}

pub(super) fn config_map(
    meta: Meta,
    t: &Target<'_>,
    settings: &MergedLogicalBackup,
) -> ConfigMapPlan {
    let script = scripts::pg_backup_sh(&t.databases, settings.retention_days);
    ConfigMapPlan {
        meta,
        data: BTreeMap::from([(SCRIPT.to_string(), script)]),
    }
}

pub(super) fn volume(
    meta: Meta,
    t: &Target<'_>,
    settings: &MergedLogicalBackup,
) -> PersistentVolumeClaimPlan {
    let spec = PersistentVolumeClaimSpec {
        access_modes: Some(vec!["ReadWriteOnce".to_string()]),
        storage_class_name: settings
            .storage_class
            .clone()
            .or_else(|| t.storage_class.map(str::to_string)),
        resources: Some(VolumeResourceRequirements {
            requests: Some(BTreeMap::from([(
                "storage".to_string(),
                Quantity(settings.storage.clone()),
            )])),
            ..VolumeResourceRequirements::default()
        }),
        ..PersistentVolumeClaimSpec::default()
    };
    PersistentVolumeClaimPlan { meta, spec }
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

pub(super) fn cron_job(meta: Meta, t: &Target<'_>, settings: &MergedLogicalBackup) -> CronJobPlan {
    let name = name(t.cluster);
    let env = |name: &str, value: &str| EnvVar {
        name: name.to_string(),
        value: Some(value.to_string()),
        value_from: None,
    };
    let container = Container {
        name: "backup".to_string(),
        image: Some(t.image.to_string()),
        command: Some(vec!["sh".to_string(), format!("/scripts/{SCRIPT}")]),
        env: Some(vec![
            env("BACKUP_DIR", "/backup"),
            env("PGHOST", &t.host),
            env("PGPORT", &defaults::POSTGRES_PORT.to_string()),
            env("PGUSER", defaults::LOGICAL_BACKUP_ROLE),
            EnvVar {
                name: "PGPASSWORD".to_string(),
                value: None,
                value_from: Some(EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: role_secret(t.cluster),
                        key: "password".to_string(),
                        optional: None,
                    }),
                    ..EnvVarSource::default()
                }),
            },
        ]),
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_string(), Quantity("100m".to_string())),
                ("memory".to_string(), Quantity("128Mi".to_string())),
            ])),
            limits: Some(BTreeMap::from([(
                "memory".to_string(),
                Quantity("512Mi".to_string()),
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
            VolumeMount {
                name: "backup".to_string(),
                mount_path: "/backup".to_string(),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: "scripts".to_string(),
                mount_path: "/scripts".to_string(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: "tmp".to_string(),
                mount_path: "/tmp".to_string(),
                ..VolumeMount::default()
            },
        ]),
        ..Container::default()
    };
    let pod = PodSpec {
        restart_policy: Some("Never".to_string()),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(t.uid),
            run_as_group: Some(t.uid),
            fs_group: Some(t.uid),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".to_string(),
                localhost_profile: None,
            }),
            ..PodSecurityContext::default()
        }),
        containers: vec![container],
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
    let spec = CronJobSpec {
        schedule: settings.schedule.clone(),
        // Two dumps at once would double the load and race on retention.
        concurrency_policy: Some("Forbid".to_string()),
        // A run missed by more than an hour (controller down) is skipped, not piled up.
        starting_deadline_seconds: Some(3600),
        successful_jobs_history_limit: Some(3),
        failed_jobs_history_limit: Some(3),
        job_template: JobTemplateSpec {
            metadata: None,
            spec: Some(JobSpec {
                backoff_limit: Some(2),
                // A hung dump must not block the next night's run forever.
                active_deadline_seconds: Some(6 * 3600),
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(pod_labels(t.cluster)),
                        ..ObjectMeta::default()
                    }),
                    spec: Some(pod),
                },
                ..JobSpec::default()
            }),
        },
        ..CronJobSpec::default()
    };
    CronJobPlan { meta, spec }
}
