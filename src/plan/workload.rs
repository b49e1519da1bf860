//! Plan types of the built-in workload kinds the operator-less engines emit
//! (`StatefulSet`, `Service`, `PodDisruptionBudget`, `Job`).
//!
//! Input: specs already built from `plan::k8s` types by the engine modules.
//! Output: `meta` + typed `spec`, serialized as is by the typed builder
//! (`render/typed.rs`); and the pieces every pod dbgen writes shares (security contexts,
//! volumes, mounts).
//! Invariant: the spec is a `plan::k8s` type, so a field name cannot be misspelled here;
//! `verify` still checks the rendered object against its schema to catch anything else.

use super::k8s::{
    Capabilities, ConfigMapVolumeSource, EmptyDirVolumeSource, JobSpec, KeyToPath,
    PersistentVolumeClaimVolumeSource, PodDisruptionBudgetSpec, PodSecurityContext, SeccompProfile,
    SecretVolumeSource, SecurityContext, ServiceSpec, StatefulSetSpec, Volume, VolumeMount,
};
use serde::Serialize;

use super::Meta;

#[derive(Debug, Clone, Serialize)]
pub struct StatefulSetPlan {
    pub meta: Meta,
    pub spec: StatefulSetSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServicePlan {
    pub meta: Meta,
    pub spec: ServiceSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct PodDisruptionBudgetPlan {
    pub meta: Meta,
    pub spec: PodDisruptionBudgetSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobPlan {
    pub meta: Meta,
    pub spec: JobSpec,
}

/// The pod security context of every pod dbgen writes: non-root as `uid` (also the group
/// and `fsGroup`, so mounted Secrets and volumes are readable by it) and the runtime's
/// default seccomp profile: what the `restricted` Pod Security Standard asks for.
pub(super) fn restricted_pod(uid: i64) -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(uid),
        run_as_group: Some(uid),
        fs_group: Some(uid),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".to_string(),
        }),
        ..PodSecurityContext::default()
    }
}

/// The container security context of every container dbgen writes: no privilege
/// escalation, no capabilities, a read-only root filesystem (writable paths are volumes).
pub(super) fn restricted_container() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        read_only_root_filesystem: Some(true),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".to_string()]),
        }),
        ..SecurityContext::default()
    }
}

pub(super) fn mount(volume: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: volume.to_string(),
        mount_path: path.to_string(),
        read_only: read_only.then_some(true),
    }
}

pub(super) fn config_map_volume(volume: &str, config_map: &str) -> Volume {
    Volume {
        name: volume.to_string(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map.to_string(),
        }),
        ..Volume::default()
    }
}

pub(super) fn empty_dir_volume(volume: &str) -> Volume {
    Volume {
        name: volume.to_string(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Volume::default()
    }
}

pub(super) fn claim_volume(volume: &str, claim: &str) -> Volume {
    Volume {
        name: volume.to_string(),
        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
            claim_name: claim.to_string(),
        }),
        ..Volume::default()
    }
}

/// A volume holding one key of a Secret as a file of the same name, readable by the pod's
/// group only (`0440`): passwords reach processes as files, never as arguments.
pub(super) fn secret_file_volume(volume: &str, secret: &str, key: &str) -> Volume {
    Volume {
        name: volume.to_string(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(secret.to_string()),
            items: Some(vec![KeyToPath {
                key: key.to_string(),
                path: key.to_string(),
            }]),
            default_mode: Some(0o440),
        }),
        ..Volume::default()
    }
}
