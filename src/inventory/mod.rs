//! What a compiled spec gives each environment and each app, read back from the rendered
//! objects: the answers `dbgen list` and `dbgen explain app` print.
//!
//! Input: the verified manifests of every environment (`Compiled::environments`).
//! Output: `EnvInventory` (workloads with their per-pod resources, volumes, Secrets, CronJobs,
//! connections, totals) and `Connection`s for one app.
//! Invariant: everything is taken from the objects dbgen writes, never re-derived from the
//! spec, so the answers cannot disagree with the output; order follows the output paths.

mod quantity;

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

pub use quantity::{format_bytes, format_cpu};

use crate::plan::Kind;
use crate::render::Manifest;

/// Requests and limits of one pod, or a sum of pods. A limit is `None` when a container
/// has none, i.e. the total is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Resources {
    pub cpu_request_millis: u64,
    pub cpu_limit_millis: Option<u64>,
    pub memory_request_bytes: u64,
    pub memory_limit_bytes: Option<u64>,
}

impl Default for Resources {
    fn default() -> Self {
        Self {
            cpu_request_millis: 0,
            cpu_limit_millis: Some(0),
            memory_request_bytes: 0,
            memory_limit_bytes: Some(0),
        }
    }
}

impl Resources {
    /// A container's `resources` block.
    fn of(block: Option<&Value>) -> Self {
        let get = |path: &str| block.and_then(|b| b.pointer(path));
        Self {
            cpu_request_millis: get("/requests/cpu").and_then(quantity::cpu).unwrap_or(0),
            cpu_limit_millis: get("/limits/cpu").and_then(quantity::cpu),
            memory_request_bytes: get("/requests/memory")
                .and_then(quantity::bytes)
                .unwrap_or(0),
            memory_limit_bytes: get("/limits/memory").and_then(quantity::bytes),
        }
    }

    fn add(self, other: Self) -> Self {
        Self {
            cpu_request_millis: self.cpu_request_millis + other.cpu_request_millis,
            cpu_limit_millis: self
                .cpu_limit_millis
                .zip(other.cpu_limit_millis)
                .map(|(a, b)| a + b),
            memory_request_bytes: self.memory_request_bytes + other.memory_request_bytes,
            memory_limit_bytes: self
                .memory_limit_bytes
                .zip(other.memory_limit_bytes)
                .map(|(a, b)| a + b),
        }
    }

    fn times(self, n: u64) -> Self {
        Self {
            cpu_request_millis: self.cpu_request_millis * n,
            cpu_limit_millis: self.cpu_limit_millis.map(|v| v * n),
            memory_request_bytes: self.memory_request_bytes * n,
            memory_limit_bytes: self.memory_limit_bytes.map(|v| v * n),
        }
    }
}

/// Pods that run all the time: a database or Redis instance set, or a pooler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Workload {
    /// What runs: `CNPG Cluster`, `CNPG Pooler`, `StatefulSet`, `postgresql-ha (Helm)`, …
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub pods: u64,
    pub per_pod: Resources,
    /// Persistent storage of one pod (data plus WAL volumes).
    pub storage_per_pod_bytes: u64,
}

/// A claim made once, not per pod (backup volumes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Volume {
    pub namespace: String,
    pub name: String,
    pub bytes: u64,
}

/// A Secret dbgen has delivered by a secret operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretRef {
    /// `ExternalSecret` or `InfisicalSecret`.
    pub source: String,
    pub namespace: String,
    pub name: String,
}

/// A scheduled job (backups, uploads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scheduled {
    /// `CronJob` or `ScheduledBackup`.
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub schedule: String,
    /// The database or Redis it belongs to (`app.kubernetes.io/instance`).
    pub instance: String,
}

/// What the secret store must hold for a Secret to be filled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteKey {
    /// `ClusterSecretStore vault-backend`, or `Infisical project p, environment e`.
    pub store: String,
    /// The remote key or Infisical path.
    pub key: String,
    /// The property (External Secrets) or secret name (Infisical).
    pub property: String,
}

/// One connection Secret an app mounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connection {
    pub app: String,
    pub environment: String,
    /// `postgres` or `redis`.
    pub engine: String,
    /// The database cluster or Redis (`app.kubernetes.io/instance`).
    pub instance: String,
    pub namespace: String,
    pub secret: String,
    pub read_only: bool,
    pub keys: Vec<String>,
    pub database: Option<String>,
    pub user: Option<String>,
    pub host: Option<String>,
    pub port: Option<String>,
    pub pooled_host: Option<String>,
    pub sentinel_host: Option<String>,
    pub remote: Vec<RemoteKey>,
    /// Backups of `instance` in this environment.
    pub backups: Vec<Scheduled>,
}

/// Everything one environment runs and delivers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvInventory {
    pub name: String,
    pub workloads: Vec<Workload>,
    pub volumes: Vec<Volume>,
    pub secrets: Vec<SecretRef>,
    pub scheduled: Vec<Scheduled>,
    pub connections: Vec<Connection>,
    pub apps: Vec<String>,
    pub databases: Vec<String>,
    pub roles: Vec<String>,
    pub totals: Totals,
}

/// Sums over an environment's workloads and volumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub pods: u64,
    pub resources: Resources,
    pub storage_bytes: u64,
}

/// The inventory of every environment, in environment order.
pub fn inventory(environments: &[(String, Vec<Manifest>)]) -> Vec<EnvInventory> {
    environments
        .iter()
        .map(|(name, manifests)| environment(name, manifests))
        .collect()
}

fn text(value: &Value, path: &str) -> String {
    value
        .pointer(path)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn count(value: &Value, path: &str, default: u64) -> u64 {
    value
        .pointer(path)
        .and_then(Value::as_u64)
        .unwrap_or(default)
}

fn storage(value: &Value, path: &str) -> u64 {
    value.pointer(path).and_then(quantity::bytes).unwrap_or(0)
}

fn containers(pod_spec: Option<&Value>) -> Resources {
    pod_spec
        .and_then(|s| s.get("containers"))
        .and_then(Value::as_array)
        .map_or_else(
            || Resources::of(None),
            |list| {
                list.iter().fold(Resources::default(), |sum, c| {
                    sum.add(Resources::of(c.get("resources")))
                })
            },
        )
}

fn environment(name: &str, manifests: &[Manifest]) -> EnvInventory {
    let mut inventory = EnvInventory {
        name: name.to_owned(),
        workloads: Vec::new(),
        volumes: Vec::new(),
        secrets: Vec::new(),
        scheduled: Vec::new(),
        connections: Vec::new(),
        apps: Vec::new(),
        databases: Vec::new(),
        roles: Vec::new(),
        totals: Totals {
            pods: 0,
            resources: Resources::default(),
            storage_bytes: 0,
        },
    };
    for manifest in manifests {
        let doc = &manifest.document;
        let namespace = text(doc, "/metadata/namespace");
        let object = text(doc, "/metadata/name");
        match manifest.kind {
            Kind::HelmValues => {
                // `<env>/<namespace>/values-<release>.yaml`
                let mut parts = manifest.path.split('/');
                let dir = parts.nth(1).unwrap_or_default();
                let file = manifest.path.rsplit('/').next().unwrap_or_default();
                let release = file.trim_start_matches("values-").trim_end_matches(".yaml");
                inventory
                    .workloads
                    .extend(helm_workloads(doc, dir, release));
            }
            Kind::HelmRelease => {
                if let Some(values) = doc.pointer("/spec/values") {
                    let target = text(doc, "/spec/targetNamespace");
                    let ns = if target.is_empty() {
                        &namespace
                    } else {
                        &target
                    };
                    inventory
                        .workloads
                        .extend(helm_workloads(values, ns, &object));
                }
            }
            _ => {}
        }
        match text(doc, "/kind").as_str() {
            "Cluster" => inventory.workloads.push(Workload {
                kind: "CNPG Cluster".to_owned(),
                namespace,
                name: object,
                pods: count(doc, "/spec/instances", 1),
                per_pod: Resources::of(doc.pointer("/spec/resources")),
                storage_per_pod_bytes: storage(doc, "/spec/storage/size")
                    + storage(doc, "/spec/walStorage/size"),
            }),
            "Pooler" => inventory.workloads.push(Workload {
                kind: "CNPG Pooler".to_owned(),
                namespace,
                name: object,
                pods: count(doc, "/spec/instances", 1),
                per_pod: containers(doc.pointer("/spec/template/spec")),
                storage_per_pod_bytes: 0,
            }),
            "StatefulSet" => {
                let claims = doc
                    .pointer("/spec/volumeClaimTemplates")
                    .and_then(Value::as_array)
                    .map_or(0, |list| {
                        list.iter()
                            .map(|c| storage(c, "/spec/resources/requests/storage"))
                            .sum()
                    });
                inventory.workloads.push(Workload {
                    kind: "StatefulSet".to_owned(),
                    namespace,
                    name: object,
                    pods: count(doc, "/spec/replicas", 1),
                    per_pod: containers(doc.pointer("/spec/template/spec")),
                    storage_per_pod_bytes: claims,
                });
            }
            "PersistentVolumeClaim" => inventory.volumes.push(Volume {
                namespace,
                name: object,
                bytes: storage(doc, "/spec/resources/requests/storage"),
            }),
            "CronJob" | "ScheduledBackup" => {
                let schedule = text(doc, "/spec/schedule");
                inventory.scheduled.push(Scheduled {
                    kind: text(doc, "/kind"),
                    namespace,
                    name: object,
                    schedule,
                    instance: text(doc, "/metadata/labels/app.kubernetes.io~1instance"),
                });
            }
            kind @ ("ExternalSecret" | "InfisicalSecret") => {
                for (target_ns, target, template, remote) in secret_targets(doc) {
                    let secret = SecretRef {
                        source: kind.to_owned(),
                        namespace: target_ns.clone().unwrap_or_else(|| namespace.clone()),
                        name: target,
                    };
                    if let Some(connection) =
                        connection(doc, name, &secret, template.as_ref(), remote)
                    {
                        inventory.connections.push(connection);
                    }
                    inventory.secrets.push(secret);
                }
            }
            _ => {}
        }
    }
    for connection in &mut inventory.connections {
        connection.backups = inventory
            .scheduled
            .iter()
            .filter(|s| s.instance == connection.instance)
            .cloned()
            .collect();
    }
    let unique = |values: Vec<String>| -> Vec<String> {
        values
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    inventory.apps = unique(
        inventory
            .connections
            .iter()
            .map(|c| c.app.clone())
            .collect(),
    );
    inventory.databases = unique(
        inventory
            .connections
            .iter()
            .filter_map(|c| c.database.clone())
            .collect(),
    );
    inventory.roles = unique(
        inventory
            .connections
            .iter()
            .filter(|c| c.engine == "postgres")
            .filter_map(|c| c.user.clone())
            .collect(),
    );
    for workload in &inventory.workloads {
        inventory.totals.pods += workload.pods;
        inventory.totals.resources = inventory
            .totals
            .resources
            .add(workload.per_pod.times(workload.pods));
        inventory.totals.storage_bytes += workload.storage_per_pod_bytes * workload.pods;
    }
    inventory.totals.storage_bytes += inventory.volumes.iter().map(|v| v.bytes).sum::<u64>();
    inventory
}

/// The pods a Bitnami chart's values ask for: postgresql-ha (PostgreSQL and Pgpool) or
/// redis (Sentinel pods, or a master and replicas).
fn helm_workloads(values: &Value, namespace: &str, name: &str) -> Vec<Workload> {
    let mut workloads = Vec::new();
    let release = text(values, "/fullnameOverride");
    let release = if release.is_empty() {
        name.to_owned()
    } else {
        release
    };
    if values.get("postgresql").is_some() {
        workloads.push(Workload {
            kind: "postgresql-ha (Helm)".to_owned(),
            namespace: namespace.to_owned(),
            name: release.clone(),
            pods: count(values, "/postgresql/replicaCount", 3),
            per_pod: Resources::of(values.pointer("/postgresql/resources")),
            storage_per_pod_bytes: storage(values, "/persistence/size"),
        });
        workloads.push(Workload {
            kind: "Pgpool (Helm)".to_owned(),
            namespace: namespace.to_owned(),
            name: format!("{release}-pgpool"),
            pods: count(values, "/pgpool/replicaCount", 1),
            per_pod: Resources::of(values.pointer("/pgpool/resources")),
            storage_per_pod_bytes: 0,
        });
    } else if values.get("architecture").is_some() || values.get("replica").is_some() {
        let sentinel = values
            .pointer("/sentinel/enabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let replica_storage = storage(values, "/replica/persistence/size");
        if sentinel {
            workloads.push(Workload {
                kind: "Redis with Sentinel (Helm)".to_owned(),
                namespace: namespace.to_owned(),
                name: release,
                pods: count(values, "/replica/replicaCount", 3),
                per_pod: Resources::of(values.pointer("/replica/resources"))
                    .add(Resources::of(values.pointer("/sentinel/resources"))),
                storage_per_pod_bytes: replica_storage,
            });
        } else {
            workloads.push(Workload {
                kind: "Redis master (Helm)".to_owned(),
                namespace: namespace.to_owned(),
                name: format!("{release}-master"),
                pods: 1,
                per_pod: Resources::of(values.pointer("/master/resources")),
                storage_per_pod_bytes: storage(values, "/master/persistence/size"),
            });
            if text(values, "/architecture") == "replication" {
                workloads.push(Workload {
                    kind: "Redis replicas (Helm)".to_owned(),
                    namespace: namespace.to_owned(),
                    name: format!("{release}-replicas"),
                    pods: count(values, "/replica/replicaCount", 3),
                    per_pod: Resources::of(values.pointer("/replica/resources")),
                    storage_per_pod_bytes: replica_storage,
                });
            }
        }
    }
    workloads
}

/// Each Secret a secret-operator object creates: (namespace if not its own, name,
/// template data, what the store must hold).
/// A Secret an operator object creates: its namespace when not the object's own, its name,
/// its template data, and what the store must hold.
type Target = (Option<String>, String, Option<Value>, Vec<RemoteKey>);

fn secret_targets(doc: &Value) -> Vec<Target> {
    if let Some(target) = doc.pointer("/spec/target") {
        let store = format!(
            "{} {}",
            text(doc, "/spec/secretStoreRef/kind"),
            text(doc, "/spec/secretStoreRef/name")
        );
        let remote = doc
            .pointer("/spec/data")
            .and_then(Value::as_array)
            .map(|data| {
                data.iter()
                    .map(|d| RemoteKey {
                        store: store.clone(),
                        key: text(d, "/remoteRef/key"),
                        property: text(d, "/remoteRef/property"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let name = text(target, "/name");
        let name = if name.is_empty() {
            text(doc, "/metadata/name")
        } else {
            name
        };
        return vec![(
            None,
            name,
            target.pointer("/template/data").cloned(),
            remote,
        )];
    }
    let scope = doc
        .pointer("/spec/authentication/universalAuth/secretsScope")
        .cloned()
        .unwrap_or(Value::Null);
    let store = format!(
        "Infisical project {}, environment {}",
        text(&scope, "/projectSlug"),
        text(&scope, "/envSlug")
    );
    let mut targets = Vec::new();
    let references = doc
        .pointer("/spec/managedKubeSecretReferences")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for reference in references {
        let data = reference.pointer("/template/data").cloned();
        // The template reads `{{ .NAME.Value }}`: those are the secrets the path must hold.
        let names: BTreeSet<String> = data
            .as_ref()
            .and_then(Value::as_object)
            .map(|map| {
                map.values()
                    .filter_map(Value::as_str)
                    .flat_map(|v| v.split("{{").skip(1))
                    .filter_map(|expr| {
                        let expr = expr.trim_start().trim_start_matches("if not ").trim_start();
                        let name = expr.strip_prefix('.')?.split(".Value").next()?;
                        (!name.is_empty() && !name.contains(' ')).then(|| name.to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let remote = names
            .into_iter()
            .map(|property| RemoteKey {
                store: store.clone(),
                key: text(&scope, "/secretsPath"),
                property,
            })
            .collect();
        targets.push((
            Some(text(&reference, "/secretNamespace")),
            text(&reference, "/secretName"),
            data,
            remote,
        ));
    }
    targets
}

/// A Secret is an app's connection when its template gives a host; the app is the
/// object's `app.kubernetes.io/name`.
fn connection(
    doc: &Value,
    environment: &str,
    secret: &SecretRef,
    template: Option<&Value>,
    remote: Vec<RemoteKey>,
) -> Option<Connection> {
    let data = template?.as_object()?;
    let field = |key: &str| data.get(key).and_then(Value::as_str).map(str::to_owned);
    let host = field("host")?;
    let engine = if data.contains_key("dbname") {
        "postgres"
    } else {
        "redis"
    };
    Some(Connection {
        app: text(doc, "/metadata/labels/app.kubernetes.io~1name"),
        environment: environment.to_owned(),
        engine: engine.to_owned(),
        instance: text(doc, "/metadata/labels/app.kubernetes.io~1instance"),
        namespace: secret.namespace.clone(),
        secret: secret.name.clone(),
        read_only: secret.name.ends_with("-readonly"),
        keys: data.keys().cloned().collect(),
        database: field("dbname"),
        user: field("user").or_else(|| field("username")),
        host: Some(host),
        port: field("port"),
        pooled_host: field("pgbouncer-host").or_else(|| field("pgpool-host")),
        sentinel_host: field("sentinel-host"),
        remote,
        backups: Vec::new(),
    })
}

/// The connections of `app`, in every environment or in `env`.
pub fn connections_of<'a>(
    inventory: &'a [EnvInventory],
    app: &str,
    env: Option<&str>,
) -> Vec<&'a Connection> {
    inventory
        .iter()
        .filter(|e| env.is_none_or(|env| e.name == env))
        .flat_map(|e| e.connections.iter())
        .filter(|c| c.app == app)
        .collect()
}
