//! The provisioning `Job` of engines without an operator (plain `StatefulSet`, Bitnami): a
//! `ConfigMap` holding dbgen's psql script (`scripts::provision_sql_with_roles`) and a `Job`
//! that waits for the server, then runs it as the administrator. The script creates each
//! missing role and database, sets every password from its Secret, hands each database to
//! its role, and creates extensions and extra roles (read-only, backup); it is idempotent.
//!
//! Input: `Provisioning`, engine-agnostic: where the server is (Service hosts), who the
//! administrator is (user, Secret name and key), the image (any image with `psql`,
//! `pg_isready` and `sh`) and its user id, and the apps and extra roles.
//! Output: the `ConfigMap` `<cluster>-provision` and the `Job`
//! `<cluster>-provision-<hash>`, where `<hash>` covers the script and the Job spec.
//! Invariant: passwords reach psql only as files (role Secrets mounted read-only) or as
//! `PGPASSWORD` from a Secret (the administrator); never on a command line, in the script
//! or in logs. A Job's pod template is immutable, so a changed Job gets a new name (same
//! spec, same name): `GitOps` tools create the new Job and prune the old one.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::k8s::{
    Container, EnvVar, EnvVarSource, JobSpec, ObjectMeta, PodSpec, PodTemplateSpec, Quantity,
    ResourceRequirements, SecretKeySelector, VolumeMount,
};

use super::logical_backup::ConfigMapPlan;
use super::{JobPlan, Meta, ObjectData};
use crate::defaults;
use crate::scripts::{self, ProvisionedDatabase, ProvisionedRole};

/// One app's database and owner role, as the Job makes them.
#[derive(Debug, Clone)]
pub(super) struct ProvisionedApp {
    pub(super) database: String,
    pub(super) role: String,
    /// The role's password Secret in the cluster namespace (key `password`), the one
    /// `credentials::objects` delivers.
    pub(super) password_secret: String,
    pub(super) extensions: Vec<String>,
    /// The app is retired: the script disables the role's login and reads no password.
    pub(super) retired: bool,
}

/// A login role owning no database: a read-only role or the logical backup role.
#[derive(Debug, Clone)]
pub(super) struct ExtraRole {
    pub(super) role: String,
    /// Its password Secret in the cluster namespace (key `password`).
    pub(super) password_secret: String,
    /// Granted roles, e.g. `pg_read_all_data`.
    pub(super) member_of: Vec<String>,
    /// App databases it may connect to.
    pub(super) connect: Vec<String>,
    /// Its app is retired: the script disables its login and reads no password.
    pub(super) retired: bool,
}

/// Everything the Job needs to know; engines fill it in.
pub(super) struct Provisioning<'a> {
    pub(super) cluster: &'a str,
    /// Makes the metadata of an object named `name` (namespace and labels of the cluster).
    pub(super) meta: &'a dyn Fn(String) -> Meta,
    /// Services (or pod host names) of the servers to provision, in the cluster namespace;
    /// normally one, the primary's.
    pub(super) hosts: Vec<String>,
    pub(super) admin_user: &'a str,
    /// The administrator password Secret in the cluster namespace, and its key.
    pub(super) admin_secret: &'a str,
    pub(super) admin_secret_key: &'a str,
    pub(super) image: &'a str,
    /// UID and GID the image's tools run as (the Secrets are readable by that group).
    pub(super) uid: i64,
    pub(super) apps: Vec<ProvisionedApp>,
    pub(super) roles: Vec<ExtraRole>,
}

/// `<cluster>-provision`: the script's ConfigMap (the Job adds a hash).
pub(super) fn name(cluster: &str) -> String {
    format!("{cluster}-provision")
}

/// Labels of the Job's pods, which the cluster's NetworkPolicy lets in.
pub(super) fn pod_labels(cluster: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "app.kubernetes.io/component".to_string(),
            "provisioning".to_string(),
        ),
        (
            "app.kubernetes.io/instance".to_string(),
            cluster.to_string(),
        ),
    ])
}

const SCRIPT: &str = "provision.sql";
const SCRIPT_DIR: &str = "/provision";
const SECRETS_DIR: &str = "/secrets";

/// The ConfigMap and the Job.
pub(super) fn objects(p: &Provisioning<'_>) -> Vec<ObjectData> {
    let script = script(p);
    let config = ConfigMapPlan {
        meta: (p.meta)(name(p.cluster)),
        data: BTreeMap::from([(SCRIPT.to_string(), script)]),
    };
    let spec = job_spec(p);
    let job = JobPlan {
        meta: (p.meta)(job_name(p.cluster, &config.data, &spec)),
        spec,
    };
    vec![
        ObjectData::ConfigMap(config),
        ObjectData::Job(Box::new(job)),
    ]
}

/// `<cluster>-provision-<hash>`: the hash of the script and the Job spec, so any change
/// (an app added, a new image) names a new Job and an unchanged spec keeps its name.
fn job_name(cluster: &str, data: &BTreeMap<String, String>, spec: &JobSpec) -> String {
    format!("{}-{}", name(cluster), hash_of(&(data, spec)))
}

/// `short_hash` of `value`'s JSON: plan's own maps and `plan::k8s` types, whose
/// serialisation cannot fail (no map with non-string keys, no failing `Serialize`).
pub(super) fn hash_of(value: &impl serde::Serialize) -> String {
    let text = serde_json::to_string(value).unwrap_or_default(); // not spec data: plan types
    short_hash(text.as_bytes())
}

/// 8 hex digits of FNV-1a (64 bits, folded): stable across Rust versions and platforms,
/// unlike `std`'s hasher. A name, not a security boundary.
pub(super) fn short_hash(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", (hash >> 32) ^ (hash & 0xffff_ffff))
}

/// Where the role Secret `secret` is mounted; Secret names are DNS subdomains, safe in a path.
fn password_file(secret: &str) -> String {
    format!("{SECRETS_DIR}/{secret}/password")
}

fn script(p: &Provisioning<'_>) -> String {
    let databases: Vec<ProvisionedDatabase> = p
        .apps
        .iter()
        .filter(|a| !a.retired)
        .map(|a| ProvisionedDatabase {
            database: a.database.clone(),
            role: a.role.clone(),
            password_file: password_file(&a.password_secret),
            extensions: a.extensions.clone(),
        })
        .collect();
    let roles: Vec<ProvisionedRole> = p
        .roles
        .iter()
        .filter(|r| !r.retired)
        .map(|r| ProvisionedRole {
            role: r.role.clone(),
            password_file: password_file(&r.password_secret),
            member_of: r.member_of.clone(),
            connect: r.connect.clone(),
        })
        .collect();
    let retired: Vec<String> = p
        .apps
        .iter()
        .filter(|a| a.retired)
        .map(|a| a.role.clone())
        .chain(p.roles.iter().filter(|r| r.retired).map(|r| r.role.clone()))
        .collect();
    scripts::provision_sql_retiring(&databases, &roles, &retired)
}

/// The container's shell command: for each server, wait until it accepts connections, then
/// run the script. `pg_isready` needs no password; psql reads `PGPASSWORD` from the env.
fn command(hosts: &[String]) -> String {
    let mut out = String::from("set -eu\n");
    let quoted: Vec<String> = hosts.iter().map(|h| scripts::sh_quote(h)).collect();
    let _ = write!(
        out,
        "for host in {}; do\n\
         \x20 until pg_isready --quiet --host=\"$host\" --timeout=5; do\n\
         \x20   echo \"dbgen-provision: waiting for $host\"\n\
         \x20   sleep 5\n\
         \x20 done\n\
         \x20 echo \"dbgen-provision: provisioning $host\"\n\
         \x20 psql --no-psqlrc --no-password --host=\"$host\" --set=ON_ERROR_STOP=1 --file={SCRIPT_DIR}/{SCRIPT}\n\
         done\n",
        quoted.join(" ")
    );
    out
}

fn job_spec(p: &Provisioning<'_>) -> JobSpec {
    let env = |name: &str, value: &str| EnvVar {
        name: name.to_string(),
        value: Some(value.to_string()),
        value_from: None,
    };
    // A retired app's role Secrets are no longer written: mounting one would block the pod.
    let secrets: Vec<&str> = p
        .apps
        .iter()
        .filter(|a| !a.retired)
        .map(|a| a.password_secret.as_str())
        .chain(
            p.roles
                .iter()
                .filter(|r| !r.retired)
                .map(|r| r.password_secret.as_str()),
        )
        .collect();
    let mut mounts = vec![
        super::workload::mount("script", SCRIPT_DIR, true),
        super::workload::mount("tmp", "/tmp", false),
    ];
    let mut volumes = vec![
        super::workload::config_map_volume("script", &name(p.cluster)),
        super::workload::empty_dir_volume("tmp"),
    ];
    for (index, secret) in secrets.iter().enumerate() {
        let volume = format!("password-{index}");
        mounts.push(VolumeMount {
            name: volume.clone(),
            mount_path: format!("{SECRETS_DIR}/{secret}"),
            read_only: Some(true),
        });
        volumes.push(super::workload::secret_file_volume(
            &volume, secret, "password",
        ));
    }
    let container = Container {
        name: "provision".to_string(),
        image: Some(p.image.to_string()),
        command: Some(vec!["sh".to_string(), "-c".to_string(), command(&p.hosts)]),
        env: Some(vec![
            env("PGPORT", &defaults::POSTGRES_PORT.to_string()),
            env("PGUSER", p.admin_user),
            env("PGDATABASE", "postgres"),
            env("PGCONNECT_TIMEOUT", "10"),
            EnvVar {
                name: "PGPASSWORD".to_string(),
                value: None,
                value_from: Some(EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: p.admin_secret.to_string(),
                        key: p.admin_secret_key.to_string(),
                    }),
                }),
            },
        ]),
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_string(), Quantity::fixed("50m")),
                ("memory".to_string(), Quantity::fixed("64Mi")),
            ])),
            limits: Some(BTreeMap::from([(
                "memory".to_string(),
                Quantity::fixed("256Mi"),
            )])),
        }),
        security_context: Some(super::workload::restricted_container()),
        volume_mounts: Some(mounts),
        ..Container::default()
    };
    let pod = PodSpec {
        restart_policy: Some("Never".to_string()),
        security_context: Some(super::workload::restricted_pod(p.uid)),
        // The Job only talks to PostgreSQL; it has no business with the API server.
        automount_service_account_token: Some(false),
        containers: vec![container],
        volumes: Some(volumes),
        ..PodSpec::default()
    };
    JobSpec {
        // Retries cover a Secret the provider has not delivered yet (the script checks every
        // password file before it changes anything); the waiting loop covers a starting server.
        backoff_limit: Some(10),
        // A server that never comes up fails the Job after an hour instead of hiding it.
        active_deadline_seconds: Some(3600),
        // No ttlSecondsAfterFinished: a GitOps tool would re-create a deleted Job and run it
        // again on every sync. The finished Job stays until the next spec change prunes it.
        template: PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(pod_labels(p.cluster)),
                ..ObjectMeta::default()
            }),
            spec: Some(pod),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::owned::JOB_NAME_EXTRA;

    fn meta(name: String) -> Meta {
        Meta::new(name, "db".to_string(), "p", "pg", None)
    }

    fn provisioning<'a>(meta: &'a dyn Fn(String) -> Meta, apps: &[&str]) -> Provisioning<'a> {
        Provisioning {
            cluster: "pg",
            meta,
            hosts: vec!["pg".to_string()],
            admin_user: "postgres",
            admin_secret: "pg-admin",
            admin_secret_key: "admin-password",
            image: "docker.io/library/postgres:16.4",
            uid: 999,
            apps: apps
                .iter()
                .map(|a| ProvisionedApp {
                    database: (*a).to_string(),
                    role: format!("{a}_user"),
                    password_secret: format!("pg-{a}-role"),
                    extensions: Vec::new(),
                    retired: false,
                })
                .collect(),
            roles: Vec::new(),
        }
    }

    fn job_name_of(p: &Provisioning<'_>) -> String {
        objects(p)
            .into_iter()
            .find_map(|data| {
                (data.kind() == crate::plan::Kind::Job).then(|| data.meta().name.clone())
            })
            .unwrap()
    }

    #[test]
    fn job_name_is_stable_for_a_spec_and_changes_with_it() {
        let one = job_name_of(&provisioning(&meta, &["a", "b"]));
        assert_eq!(one, job_name_of(&provisioning(&meta, &["a", "b"])));
        assert!(one.starts_with("pg-provision-") && one.len() == "pg".len() + JOB_NAME_EXTRA);
        assert_ne!(one, job_name_of(&provisioning(&meta, &["a", "b", "c"])));
        let mut other_image = provisioning(&meta, &["a", "b"]);
        other_image.image = "docker.io/library/postgres:16.5";
        assert_ne!(one, job_name_of(&other_image));
    }

    #[test]
    fn short_hash_is_fnv1a_folded() {
        // FNV-1a 64 of "" is the offset basis; of "a", a published test vector.
        assert_eq!(
            short_hash(b""),
            format!("{:08x}", 0xcbf2_9ce4_u64 ^ 0x8422_2325)
        );
        assert_eq!(
            short_hash(b"a"),
            format!("{:08x}", 0xaf63_dc4c_u64 ^ 0x8601_ec8c)
        );
    }

    #[test]
    fn passwords_are_files_and_the_admin_password_an_env_from_a_secret() {
        let p = provisioning(&meta, &["a"]);
        let spec = job_spec(&p);
        let text = serde_json::to_string(&spec).unwrap();
        assert!(text.contains("\"secretName\":\"pg-a-role\""));
        assert!(
            text.contains("\"secretKeyRef\":{\"key\":\"admin-password\",\"name\":\"pg-admin\"}")
        );
        assert!(script(&p).contains("\\set dbgen_password_file '/secrets/pg-a-role/password'"));
        assert!(command(&p.hosts).contains("for host in 'pg'; do"));
    }

    #[test]
    fn a_retired_app_mounts_no_secret_and_is_disabled() {
        let mut p = provisioning(&meta, &["a", "b"]);
        p.apps[1].retired = true;
        let text = serde_json::to_string(&job_spec(&p)).unwrap();
        assert!(text.contains("\"secretName\":\"pg-a-role\""));
        assert!(!text.contains("pg-b-role"));
        let sql = script(&p);
        assert!(!sql.contains("pg-b-role"));
        assert!(sql.contains("\\set dbgen_role 'b_user'\nSELECT pg_catalog.format('ALTER ROLE %I NOLOGIN PASSWORD NULL'"));
    }
}
