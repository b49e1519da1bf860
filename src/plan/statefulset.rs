//! Engine `statefulset`: PostgreSQL as a plain `StatefulSet` of the official `postgres`
//! image, without an operator, for one cluster in one environment.
//!
//! Input: a validated cluster entry with `engine = "statefulset"` and its merged settings.
//! Output: the `StatefulSet` (server + optional metrics exporter sidecar), a headless, a
//! client and a read-only `Service`, the `ConfigMap` with `postgresql.conf` and
//! `pg_hba.conf`, a `PodDisruptionBudget`, the administrator Secret and every app's
//! credentials through the secret provider, the provisioning `Job` (roles, databases,
//! passwords, extensions), and what the settings ask for: logical backups, a `PodMonitor`,
//! a `NetworkPolicy`.
//! Invariant: one primary and no replication. `instances > 1` only reaches here with
//! `independent_instances = true`, and then means that many unrelated servers, each
//! provisioned by the Job; every Service still selects every pod.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::k8s::{
    Affinity, Container, ContainerPort, EnvVar, ExecAction, IntOrString, LabelSelector, Lifecycle,
    LifecycleHandler, ObjectMeta, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PodAffinityTerm, PodAntiAffinity, PodDisruptionBudgetSpec, PodSecurityContext, PodSpec,
    PodTemplateSpec, Probe, Quantity, ResourceRequirements, SecurityContext, ServicePort,
    ServiceSpec, StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec, Volume,
    VolumeResourceRequirements, WeightedPodAffinityTerm,
};

use super::logical_backup::ConfigMapPlan;
use super::monitoring::PodMonitorPlan;
use super::network::{self, NetworkPolicyPlan, ServerPeers};
use super::provisioning::{self, ExtraRole, ProvisionedApp, Provisioning};
use super::scope::ClusterScope as Scope;
use super::workload::{
    PodDisruptionBudgetPlan, ServicePlan, StatefulSetPlan, config_map_volume, empty_dir_volume,
    mount, restricted_container, restricted_pod, secret_file_volume,
};
use super::{Object, ObjectData, credentials, logical_backup};
use crate::defaults;
use crate::model::ClusterEntry;
use crate::model::{Checked, Merged, MergedCompute};
use crate::naming;
use crate::spec::{App, PostgresCluster};

/// The official image's repository; the tag is the spec's `version`.
use crate::pins::POSTGRES_IMAGE_REPOSITORY as IMAGE_REPOSITORY;
/// UID and GID of `postgres` in the official (Debian) image.
const POSTGRES_UID: i64 = 999;
/// The superuser the image creates (`POSTGRES_USER` left at its default).
const ADMIN_USER: &str = "postgres";
/// Key of the administrator password in `<cluster>-admin`, and the property (External
/// Secrets) or secret name (Infisical) it is read from.
const ADMIN_PASSWORD_KEY: &str = "admin-password";
use crate::pins::POSTGRES_EXPORTER_IMAGE as EXPORTER_IMAGE;
const METRICS_PORT: i32 = 9187;
/// Seconds Kubernetes waits after the preStop fast shutdown before killing the server.
const TERMINATION_GRACE_SECONDS: i64 = 60;

const CONFIG_DIR: &str = "/etc/postgresql";
const ADMIN_SECRET_DIR: &str = "/secrets/admin";
const RUN_DIR: &str = "/var/run/postgresql";

/// Where the data volume is mounted and where `PGDATA` points, by major version.
///
/// From PostgreSQL 18 the official image keeps its data in `/var/lib/postgresql/<major>/docker`
/// and wants the volume on `/var/lib/postgresql` (a volume on the old path makes it refuse to
/// start). Older images use `/var/lib/postgresql/data`; `PGDATA` then points one directory
/// below the mount, because initdb refuses a non-empty directory and a fresh volume's root
/// may hold `lost+found`.
fn data_paths(major: u32) -> (&'static str, String) {
    if major >= 18 {
        (
            "/var/lib/postgresql",
            format!("/var/lib/postgresql/{major}/docker"),
        )
    } else {
        (
            "/var/lib/postgresql/data",
            "/var/lib/postgresql/data/pgdata".to_string(),
        )
    }
}

/// The server image: `image`, else the official image of `version`.
fn image(cluster: &PostgresCluster) -> String {
    match &cluster.image {
        Some(image) => image.clone(),
        None => format!("{IMAGE_REPOSITORY}:{}", cluster.version),
    }
}

/// How many pods run: one primary, unless the spec asks for independent instances.
fn replicas(cluster: &PostgresCluster, merged: &Merged) -> u16 {
    if cluster.independent_instances == Some(true) {
        merged.instances.value
    } else {
        1
    }
}

impl Scope<'_> {
    /// Labels selecting the server pods (immutable in a `StatefulSet`, so few and fixed).
    fn server_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (
                "app.kubernetes.io/component".to_string(),
                "database".to_string(),
            ),
            (
                "app.kubernetes.io/instance".to_string(),
                self.cluster.to_string(),
            ),
        ])
    }

    fn headless(&self) -> String {
        format!("{}-headless", self.cluster)
    }

    fn admin_secret(&self) -> String {
        format!("{}-admin", self.cluster)
    }

    /// The server image of this cluster.
    fn image(&self) -> String {
        image(&self.entry.spec)
    }
}

/// Everything one `statefulset` cluster contributes to one environment.
pub(super) fn objects(checked: &Checked, env: &str, entry: &ClusterEntry) -> Vec<Object> {
    let scope = Scope::new(checked, env, entry);
    let mut objects = Vec::new();
    admin_secret(&scope, &mut objects);
    let mut apps = Vec::new();
    let mut roles = Vec::new();
    for (app_key, app) in scope.apps() {
        app_objects(&scope, app_key, app, &mut apps, &mut roles, &mut objects);
    }
    logical_backup_objects(&scope, &apps, &mut roles, &mut objects);
    provisioning_objects(&scope, apps, roles, &mut objects);
    let config = config_map(&scope);
    let config_hash = provisioning::hash_of(&config.data);
    scope.push(&mut objects, ObjectData::ConfigMap(config));
    services(&scope, &mut objects);
    let plan = StatefulSetPlan {
        meta: scope.meta(scope.cluster.to_string(), None),
        spec: stateful_set(&scope, &config_hash),
    };
    scope.push(&mut objects, ObjectData::StatefulSet(Box::new(plan)));
    let pdb = PodDisruptionBudgetPlan {
        meta: scope.meta(scope.cluster.to_string(), None),
        // One primary cannot stay up through a drain; `minAvailable: 1` would block every
        // drain of its node forever, so the budget lets one pod go at a time.
        spec: PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(selector(scope.server_labels())),
        },
    };
    scope.push(&mut objects, ObjectData::PodDisruptionBudget(pdb));
    monitoring_objects(&scope, &mut objects);
    network_objects(&scope, &mut objects);
    objects
}

/// `<cluster>-admin` (key `admin-password`), read by the provider from `credentials_key`.
fn admin_secret(scope: &Scope<'_>, objects: &mut Vec<Object>) {
    let remote = &scope.merged.admin_credentials_key;
    let name = scope.admin_secret();
    let keys = [ADMIN_PASSWORD_KEY];
    let secret = credentials::opaque_secret(&name, remote, &keys);
    let data = credentials::provided_secret(
        scope.checked,
        scope.env,
        scope.cluster,
        &scope.namespace,
        &secret,
    );
    scope.push(objects, data);
}

/// One app's credentials (and read-only credentials); what the Job must create goes to
/// `apps` and `roles`. A retired app gets no Secrets; the Job disables its roles' login.
fn app_objects(
    scope: &Scope<'_>,
    app_key: &str,
    app: &App,
    apps: &mut Vec<ProvisionedApp>,
    roles: &mut Vec<ExtraRole>,
    objects: &mut Vec<Object>,
) {
    let cluster = scope.cluster;
    let database = naming::database(app_key, app.database.as_deref());
    let role = naming::role(&database, app.user.as_deref());
    let role_secret = naming::role_secret(cluster, app_key);
    let retired = app.retired == Some(true);
    apps.push(ProvisionedApp {
        database: database.clone(),
        role: role.clone(),
        password_secret: role_secret.clone(),
        extensions: app.extensions.clone(),
        retired,
    });
    let connection_secret = naming::connection_secret(app_key, app.connection_secret.as_deref());
    let target = credentials::Target {
        env: scope.env,
        cluster,
        namespace: &scope.namespace,
        app_key,
        database: &database,
        role: &role,
        role_secret,
        connection_secret: connection_secret.clone(),
        service: cluster.to_string(),
        password_property: credentials::password_property(scope.checked),
        pooler: None,
        sslmode: app.sslmode.map(crate::spec::SslMode::as_str),
    };
    if app.readonly == Some(true) {
        let readonly = naming::readonly_role(&role);
        let readonly_secret = naming::readonly_role_secret(cluster, app_key);
        roles.push(ExtraRole {
            role: readonly.clone(),
            password_secret: readonly_secret.clone(),
            member_of: vec![defaults::READONLY_GRANT.to_string()],
            connect: vec![database.clone()],
            retired,
        });
        if retired {
            return;
        }
        let readonly_target = credentials::Target {
            role: &readonly,
            role_secret: readonly_secret,
            connection_secret: naming::readonly_connection_secret(
                &connection_secret,
                app.readonly_connection_secret.as_deref(),
            ),
            service: readonly_service(cluster),
            password_property: defaults::READONLY_PASSWORD_PROPERTY.to_string(),
            ..target.clone()
        };
        for data in credentials::objects(scope.checked, &readonly_target) {
            scope.push(objects, data);
        }
    }
    if retired {
        return;
    }
    for data in credentials::objects(scope.checked, &target) {
        scope.push(objects, data);
    }
}

fn readonly_service(cluster: &str) -> String {
    format!("{cluster}-readonly")
}

/// The hosts the Job provisions: the client Service, or each pod of independent instances.
fn provisioning_hosts(scope: &Scope<'_>) -> Vec<String> {
    let replicas = replicas(&scope.entry.spec, scope.merged);
    if replicas == 1 {
        return vec![scope.cluster.to_string()];
    }
    (0..replicas)
        .map(|i| format!("{}-{i}.{}", scope.cluster, scope.headless()))
        .collect()
}

fn provisioning_objects(
    scope: &Scope<'_>,
    apps: Vec<ProvisionedApp>,
    roles: Vec<ExtraRole>,
    objects: &mut Vec<Object>,
) {
    let meta = |name: String| scope.meta(name, None);
    let admin_secret = scope.admin_secret();
    let input = Provisioning {
        cluster: scope.cluster,
        meta: &meta,
        hosts: provisioning_hosts(scope),
        admin_user: ADMIN_USER,
        admin_secret: &admin_secret,
        admin_secret_key: ADMIN_PASSWORD_KEY,
        image: &scope.image(),
        uid: POSTGRES_UID,
        apps,
        roles,
    };
    for data in provisioning::objects(&input) {
        scope.push(objects, data);
    }
}

/// The dump CronJob (on the client Service: there are no replicas to offload to), its
/// script and volume, and the backup role's password Secret; the role itself is made by
/// the provisioning Job, with CONNECT on every app database.
fn logical_backup_objects(
    scope: &Scope<'_>,
    apps: &[ProvisionedApp],
    roles: &mut Vec<ExtraRole>,
    objects: &mut Vec<Object>,
) {
    let Some(settings) = &scope.merged.logical_backup else {
        return;
    };
    let cluster = scope.cluster;
    let databases: Vec<String> = apps.iter().map(|a| a.database.clone()).collect();
    let secret_name = logical_backup::role_secret(cluster);
    roles.push(ExtraRole {
        role: defaults::LOGICAL_BACKUP_ROLE.to_string(),
        password_secret: secret_name.clone(),
        member_of: vec![defaults::READONLY_GRANT.to_string()],
        connect: databases.clone(),
        retired: false,
    });
    let target = logical_backup::Target {
        cluster,
        image: &scope.image(),
        host: cluster.to_string(),
        uid: POSTGRES_UID,
        storage_class: scope
            .merged
            .storage_class
            .as_ref()
            .map(|s| s.value.as_str()),
        databases,
    };
    for data in logical_backup::objects(scope, &target, settings) {
        scope.push(objects, data);
    }
}

/// Settings dbgen decides, written after the spec's `parameters` (validate rejects a
/// parameter that would override one of them).
fn managed_parameters() -> Vec<(&'static str, String)> {
    vec![
        ("listen_addresses", "*".to_string()),
        ("port", defaults::POSTGRES_PORT.to_string()),
        ("unix_socket_directories", RUN_DIR.to_string()),
        ("password_encryption", "scram-sha-256".to_string()),
    ]
}

/// A `postgresql.conf` string value (see `pgconf::quote`).
fn conf_value(value: &str) -> String {
    crate::pgconf::quote(value)
}

fn config_map(scope: &Scope<'_>) -> ConfigMapPlan {
    let mut conf = String::from(
        "# Generated by dbgen: change the spec, not this file.\n\
         # Parameters from the spec:\n",
    );
    for (name, value) in &scope.merged.parameters {
        let _ = writeln!(conf, "{name} = {}", conf_value(&value.value));
    }
    conf.push_str("# Managed by dbgen:\n");
    for (name, value) in managed_parameters() {
        let _ = writeln!(conf, "{name} = {}", conf_value(&value));
    }
    // Only the image's own `postgres` user, on the pod's socket, needs no password (the
    // image's entrypoint initialises the database that way); everything over the network
    // authenticates with SCRAM.
    let hba = "# Generated by dbgen: change the spec, not this file.\n\
               # TYPE  DATABASE  USER      ADDRESS  METHOD\n\
               local   all       postgres           peer\n\
               host    all       all       all      scram-sha-256\n"
        .to_string();
    ConfigMapPlan {
        meta: scope.meta(format!("{}-config", scope.cluster), None),
        data: BTreeMap::from([
            ("postgresql.conf".to_string(), conf),
            ("pg_hba.conf".to_string(), hba),
        ]),
    }
}

fn selector(labels: BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels),
    }
}

fn postgres_port() -> ServicePort {
    ServicePort {
        name: Some("postgresql".to_string()),
        port: i32::from(defaults::POSTGRES_PORT),
        target_port: Some(IntOrString::String("postgresql".to_string())),
        protocol: Some("TCP".to_string()),
    }
}

/// Headless (the `StatefulSet`'s `serviceName`, stable pod DNS), client (what credentials
/// point at) and read-only. With one primary the read-only Service reaches the same pod as
/// the client one: it exists so apps can already split reads, and a later engine with
/// replicas can point it at them without touching the apps.
fn services(scope: &Scope<'_>, objects: &mut Vec<Object>) {
    let cluster = scope.cluster;
    let headless = ServiceSpec {
        cluster_ip: Some("None".to_string()),
        selector: Some(scope.server_labels()),
        ports: Some(vec![postgres_port()]),
        ..ServiceSpec::default()
    };
    let client = ServiceSpec {
        type_: Some("ClusterIP".to_string()),
        selector: Some(scope.server_labels()),
        ports: Some(vec![postgres_port()]),
        ..ServiceSpec::default()
    };
    for (name, spec) in [
        (scope.headless(), headless),
        (cluster.to_string(), client.clone()),
        (readonly_service(cluster), client),
    ] {
        let plan = ServicePlan {
            meta: scope.meta(name, None),
            spec,
        };
        scope.push(objects, ObjectData::Service(plan));
    }
}

fn restricted() -> SecurityContext {
    SecurityContext {
        run_as_non_root: Some(true),
        ..restricted_container()
    }
}

fn env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: Some(value.to_string()),
        value_from: None,
    }
}

fn exec(command: &[&str]) -> ExecAction {
    ExecAction {
        command: Some(command.iter().map(|s| (*s).to_string()).collect()),
    }
}

/// `pg_isready` on the pod's own TCP port: it answers only once the real server listens
/// (the entrypoint's first-boot server listens on the socket only), and needs no password.
fn ready_probe(period: i32, timeout: i32, failures: i32) -> Probe {
    Probe {
        exec: Some(exec(&[
            "pg_isready",
            "--host=127.0.0.1",
            "--port=5432",
            "--username=postgres",
            "--quiet",
        ])),
        period_seconds: Some(period),
        timeout_seconds: Some(timeout),
        failure_threshold: Some(failures),
        ..Probe::default()
    }
}

fn resources(requests: &MergedCompute, limits: &MergedCompute) -> ResourceRequirements {
    let side = |c: &MergedCompute| {
        let values: BTreeMap<String, Quantity> = [("cpu", &c.cpu), ("memory", &c.memory)]
            .into_iter()
            .filter_map(|(k, v)| {
                v.as_ref()
                    .map(|v| (k.to_string(), Quantity::from(&v.value)))
            })
            .collect();
        (!values.is_empty()).then_some(values)
    };
    ResourceRequirements {
        requests: side(requests),
        limits: side(limits),
    }
}

fn postgres_container(scope: &Scope<'_>) -> Container {
    let major = scope.checked.postgres_version(&scope.entry.key).major();
    let (mount_path, pgdata) = data_paths(major);
    Container {
        name: "postgresql".to_string(),
        image: Some(scope.image()),
        image_pull_policy: Some("IfNotPresent".to_string()),
        args: Some(
            [
                "-c",
                &format!("config_file={CONFIG_DIR}/postgresql.conf"),
                "-c",
                &format!("hba_file={CONFIG_DIR}/pg_hba.conf"),
            ]
            .iter()
            .map(|s| (*s).to_string())
            .collect(),
        ),
        env: Some(vec![
            env("PGDATA", &pgdata),
            env(
                "POSTGRES_PASSWORD_FILE",
                &format!("{ADMIN_SECRET_DIR}/{ADMIN_PASSWORD_KEY}"),
            ),
            // The files written at first boot match pg_hba.conf above; checksums catch
            // storage corruption (the default from PostgreSQL 18).
            env(
                "POSTGRES_INITDB_ARGS",
                "--auth-local=peer --auth-host=scram-sha-256 --data-checksums",
            ),
        ]),
        ports: Some(vec![ContainerPort {
            name: Some("postgresql".to_string()),
            container_port: i32::from(defaults::POSTGRES_PORT),
            protocol: Some("TCP".to_string()),
        }]),
        // First boot (initdb) and crash recovery may take long: up to 15 minutes.
        startup_probe: Some(ready_probe(10, 5, 90)),
        readiness_probe: Some(ready_probe(10, 5, 3)),
        liveness_probe: Some(ready_probe(30, 10, 6)),
        // Kubernetes stops containers with SIGTERM, which PostgreSQL takes as a "smart"
        // shutdown that waits for every client (pooled apps never leave) until SIGKILL, and
        // then crash recovery at the next start. A fast shutdown first ends sessions and
        // writes a checkpoint, well within the grace period.
        lifecycle: Some(Lifecycle {
            pre_stop: Some(LifecycleHandler {
                exec: Some(exec(&[
                    "pg_ctl",
                    "stop",
                    "--mode=fast",
                    "--wait",
                    "--timeout=50",
                ])),
            }),
        }),
        resources: Some(resources(&scope.merged.requests, &scope.merged.limits)),
        security_context: Some(restricted()),
        volume_mounts: Some(vec![
            mount("data", mount_path, false),
            mount("config", CONFIG_DIR, true),
            mount("admin", ADMIN_SECRET_DIR, true),
            mount("run", RUN_DIR, false),
            mount("tmp", "/tmp", false),
        ]),
        ..Container::default()
    }
}

/// postgres-exporter, logged in as the administrator over the pod's loopback (the only
/// role that sees every statistic without extra grants), password from the mounted file.
fn exporter_container() -> Container {
    let quantity = |cpu: &'static str, memory: &'static str| {
        BTreeMap::from([
            ("cpu".to_string(), Quantity::fixed(cpu)),
            ("memory".to_string(), Quantity::fixed(memory)),
        ])
    };
    Container {
        name: "metrics".to_string(),
        image: Some(EXPORTER_IMAGE.to_string()),
        image_pull_policy: Some("IfNotPresent".to_string()),
        env: Some(vec![
            env(
                "DATA_SOURCE_URI",
                &format!(
                    "127.0.0.1:{}/postgres?sslmode=disable",
                    defaults::POSTGRES_PORT
                ),
            ),
            env("DATA_SOURCE_USER", ADMIN_USER),
            env(
                "DATA_SOURCE_PASS_FILE",
                &format!("{ADMIN_SECRET_DIR}/{ADMIN_PASSWORD_KEY}"),
            ),
        ]),
        ports: Some(vec![ContainerPort {
            name: Some("metrics".to_string()),
            container_port: METRICS_PORT,
            protocol: Some("TCP".to_string()),
        }]),
        resources: Some(ResourceRequirements {
            requests: Some(quantity("100m", "128Mi")),
            limits: Some(quantity("500m", "256Mi")),
        }),
        security_context: Some(restricted()),
        volume_mounts: Some(vec![mount("admin", ADMIN_SECRET_DIR, true)]),
        ..Container::default()
    }
}

/// Prefer spreading pods over nodes, then zones: only independent instances have more than
/// one pod, and a single pod must still schedule on a one-node or one-zone cluster.
fn affinity(labels: &BTreeMap<String, String>) -> Affinity {
    let term = |weight: i32, topology: &str| WeightedPodAffinityTerm {
        weight,
        pod_affinity_term: PodAffinityTerm {
            label_selector: Some(selector(labels.clone())),
            topology_key: topology.to_string(),
        },
    };
    Affinity {
        pod_anti_affinity: Some(PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![
                term(100, "kubernetes.io/hostname"),
                term(50, "topology.kubernetes.io/zone"),
            ]),
        }),
    }
}

fn volumes(scope: &Scope<'_>) -> Vec<Volume> {
    vec![
        config_map_volume("config", &format!("{}-config", scope.cluster)),
        secret_file_volume("admin", &scope.admin_secret(), ADMIN_PASSWORD_KEY),
        empty_dir_volume("run"),
        empty_dir_volume("tmp"),
    ]
}

fn stateful_set(scope: &Scope<'_>, config_hash: &str) -> StatefulSetSpec {
    let labels = scope.server_labels();
    let mut pod_labels = labels.clone();
    pod_labels.extend(
        scope
            .meta(String::new(), None)
            .labels
            .into_iter()
            .filter(|(k, _)| k != "app.kubernetes.io/instance"),
    );
    let mut containers = vec![postgres_container(scope)];
    if scope.merged.monitoring.is_some() {
        containers.push(exporter_container());
    }
    let pod = PodSpec {
        security_context: Some(PodSecurityContext {
            // Only a volume whose root is not ours yet is re-owned, not every file each start.
            fs_group_change_policy: Some("OnRootMismatch".to_string()),
            ..restricted_pod(POSTGRES_UID)
        }),
        automount_service_account_token: Some(false),
        // Service links would add a variable per Service of the namespace, and
        // `POSTGRES_*` ones could collide with the image's settings.
        enable_service_links: Some(false),
        termination_grace_period_seconds: Some(TERMINATION_GRACE_SECONDS),
        affinity: Some(affinity(&labels)),
        containers,
        volumes: Some(volumes(scope)),
        ..PodSpec::default()
    };
    let storage = PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some("data".to_string()),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_string()]),
            storage_class_name: scope.merged.storage_class.as_ref().map(|s| s.value.clone()),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity::from(&scope.merged.storage.value),
                )])),
            }),
        }),
    };
    StatefulSetSpec {
        replicas: Some(i32::from(replicas(&scope.entry.spec, scope.merged))),
        service_name: Some(scope.headless()),
        selector: selector(labels),
        // Deleting the StatefulSet or scaling it down never deletes data.
        persistent_volume_claim_retention_policy: Some(
            StatefulSetPersistentVolumeClaimRetentionPolicy {
                when_deleted: Some("Retain".to_string()),
                when_scaled: Some("Retain".to_string()),
            },
        ),
        template: PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(pod_labels),
                // A changed postgresql.conf or pg_hba.conf rolls the pod (most settings need
                // a restart, and a ConfigMap change alone restarts nothing).
                // Prefixed: a bare hex hash such as `71e90889` reads as a float (or an
                // integer) to YAML parsers after a tool re-emits it unquoted.
                annotations: Some(BTreeMap::from([(
                    "dbgen.io/config-hash".to_string(),
                    format!("fnv1a-{config_hash}"),
                )])),
                ..ObjectMeta::default()
            }),
            spec: Some(pod),
        },
        volume_claim_templates: Some(vec![storage]),
    }
}

fn monitoring_objects(scope: &Scope<'_>, objects: &mut Vec<Object>) {
    if scope.merged.monitoring.is_none() {
        return;
    }
    let plan = PodMonitorPlan {
        meta: scope.meta(scope.cluster.to_string(), None),
        selector: scope.server_labels(),
        port: "metrics".to_string(),
    };
    scope.push(objects, ObjectData::PodMonitor(plan));
}

fn network_objects(scope: &Scope<'_>, objects: &mut Vec<Object>) {
    let merged = scope.merged;
    if !merged.network_policy {
        return;
    }
    let app_namespaces: BTreeSet<String> = scope
        .apps()
        .map(|(key, _)| scope.checked.app_namespace(scope.env, key).to_string())
        .collect();
    let mut jobs = vec![provisioning::pod_labels(scope.cluster)];
    if merged.logical_backup.is_some() {
        jobs.push(logical_backup::pod_labels(scope.cluster));
    }
    let peers = ServerPeers {
        server: scope.server_labels(),
        app_namespaces: &app_namespaces,
        jobs,
        monitoring_namespace: merged
            .monitoring
            .as_ref()
            .map(|_| scope.checked.platform().monitoring_namespace.as_str()),
    };
    let plan = NetworkPolicyPlan {
        meta: scope.meta(scope.cluster.to_string(), None),
        spec: network::server(&peers),
    };
    scope.push(objects, ObjectData::NetworkPolicy(plan));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_18_and_newer_mount_the_parent_directory() {
        assert_eq!(
            data_paths(18),
            (
                "/var/lib/postgresql",
                "/var/lib/postgresql/18/docker".to_string()
            )
        );
        assert_eq!(
            data_paths(19),
            (
                "/var/lib/postgresql",
                "/var/lib/postgresql/19/docker".to_string()
            )
        );
    }

    #[test]
    fn older_majors_keep_data_below_the_mount() {
        for major in [14, 15, 16, 17] {
            let (mount, pgdata) = data_paths(major);
            assert_eq!(mount, "/var/lib/postgresql/data");
            assert_eq!(pgdata, "/var/lib/postgresql/data/pgdata");
            assert!(pgdata.starts_with(&format!("{mount}/")));
        }
    }

    const SPEC: &str = r#"
[platform]
name = "p"
namespace = "db"
[environments.prod]
profile = "medium"
[secrets]
provider = "external-secrets"
store = "s"
key = "{app}"
[apps.wiki]
postgres = "pg"
namespace = "wiki"
[postgres.pg]
engine = "statefulset"
version = "18.1"
credentials_key = "{env}/{cluster}"
"#;

    /// The rendered document at `path` of the only environment.
    fn document(spec: &str, path: &str) -> serde_json::Value {
        let compiled =
            crate::pipeline::compile("dbgen.toml", spec).unwrap_or_else(|e| panic!("{e:?}"));
        let (_, manifests) = &compiled.environments[0];
        manifests
            .iter()
            .find(|m| m.path.starts_with(path))
            .unwrap_or_else(|| panic!("no {path}"))
            .document
            .clone()
    }

    #[test]
    fn a_profile_with_three_instances_still_runs_one_primary() {
        let set = document(SPEC, "prod/db/statefulset-pg.yaml");
        assert_eq!(set["spec"]["replicas"], 1);
        // The profile's sizing does apply.
        let container = &set["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["resources"]["limits"]["memory"], "2Gi");
        assert_eq!(
            container["env"][0]["value"],
            "/var/lib/postgresql/18/docker"
        );
        assert_eq!(
            container["volumeMounts"][0]["mountPath"],
            "/var/lib/postgresql"
        );
    }

    #[test]
    fn independent_instances_are_each_provisioned() {
        let spec = format!("{SPEC}instances = 2\nindependent_instances = true\n");
        let set = document(&spec, "prod/db/statefulset-pg.yaml");
        assert_eq!(set["spec"]["replicas"], 2);
        let job = document(&spec, "prod/db/job-pg-provision-");
        let command = job["spec"]["template"]["spec"]["containers"][0]["command"][2]
            .as_str()
            .unwrap()
            .to_string();
        assert!(command.contains("for host in 'pg-0.pg-headless' 'pg-1.pg-headless'; do"));
    }

    #[test]
    fn more_instances_without_independent_instances_is_an_error() {
        let spec = format!("{SPEC}instances = 3\n");
        let Err(crate::pipeline::Failure::Invalid { diagnostics, .. }) =
            crate::pipeline::compile("dbgen.toml", &spec)
        else {
            panic!("must fail");
        };
        assert!(
            diagnostics
                .iter()
                .any(|d| d.is_error() && d.message.contains("asks for 3 instances"))
        );
    }

    #[test]
    fn conf_values_are_quoted() {
        assert_eq!(conf_value("512MB"), "'512MB'");
        assert_eq!(conf_value("it's \\x"), "'it''s \\\\x'");
    }
}
