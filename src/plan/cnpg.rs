//! CloudNativePG objects of one cluster in one environment: the `Cluster` with every
//! app's login role declared under `managed.roles`, and one `Database` per app.

use std::collections::BTreeMap;

use serde::Serialize;

use std::collections::BTreeSet;

use super::credentials;
use super::network::{self, Peers};
use super::{
    Kind, Meta, Object, ObjectData, backup, logical_backup, monitoring, object_path, pooler,
};
use crate::defaults;
use crate::naming;
use crate::spec::RoleStyle;
use crate::validate::topology::ClusterEntry;
use crate::validate::{Checked, MergedCompute};

#[derive(Debug, Clone, Serialize)]
pub struct ClusterPlan {
    pub meta: Meta,
    pub instances: u32,
    pub image: String,
    pub storage: StoragePlan,
    /// `requests`/`limits` → `cpu`/`memory`; only what the layers set.
    pub resources: BTreeMap<String, BTreeMap<String, String>>,
    /// `postgresql.conf` values, always strings (CNPG's schema requires it).
    pub parameters: BTreeMap<String, String>,
    /// A single instance with a PDB would block every node drain.
    pub enable_pdb: bool,
    /// Sorted by role name.
    pub roles: Vec<RolePlan>,
    /// WAL archiving and recovery through the Barman Cloud plugin.
    pub backup: Option<backup::ClusterBackupPlan>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoragePlan {
    pub size: String,
    pub storage_class: Option<String>,
}

/// A login role and the Secret holding its password.
#[derive(Debug, Clone, Serialize)]
pub struct RolePlan {
    pub name: String,
    pub password_secret: String,
    /// Roles this role is a member of (`pg_read_all_data` for read-only users).
    pub in_roles: Vec<String>,
}

/// One `DatabaseRole` object (CloudNativePG 1.30+): a role declared beside its cluster.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseRolePlan {
    pub meta: Meta,
    pub cluster: String,
    pub role: RolePlan,
    pub reclaim_policy: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabasePlan {
    pub meta: Meta,
    pub cluster: String,
    pub database: String,
    pub owner: String,
    pub extensions: Vec<String>,
    /// `retain` or `delete`: what removing the database from the spec does.
    pub reclaim_policy: &'static str,
}

/// Everything one cluster contributes to one environment.
pub(super) fn objects(checked: &Checked, env: &str, entry: &ClusterEntry) -> Vec<Object> {
    let spec = checked.spec();
    let cluster = &entry.spec;
    let cluster_name = checked.cluster_name(env, &entry.key);
    let merged = checked.merged(env, &entry.key);
    let namespace = cluster_namespace(&spec.platform.namespace, env);
    let platform = &spec.platform.name;
    let mut objects = Vec::new();
    let mut roles = Vec::new();
    for (app_key, app) in checked.apps_of(&entry.key) {
        let database = naming::database(app_key, app.database.as_deref());
        let role = naming::role(&database, app.user.as_deref());
        let role_secret = naming::role_secret(cluster_name, app_key);
        roles.push((
            naming::database_object(cluster_name, app_key),
            Some(app_key.clone()),
            RolePlan {
                name: role.clone(),
                password_secret: role_secret.clone(),
                in_roles: Vec::new(),
            },
        ));
        let meta = Meta::new(
            naming::database_object(cluster_name, app_key),
            namespace.clone(),
            platform,
            cluster_name,
            Some(app_key),
        );
        let plan = DatabasePlan {
            meta,
            cluster: cluster_name.to_string(),
            database: database.clone(),
            owner: role.clone(),
            extensions: app.extensions.clone(),
            reclaim_policy: merged.reclaim_policy.value.as_str(),
        };
        objects.push(object(env, Kind::Database, ObjectData::Database(plan)));
        let connection_secret =
            naming::connection_secret(app_key, app.connection_secret.as_deref());
        let password_property = spec
            .secrets
            .password_property
            .clone()
            .unwrap_or_else(|| defaults::PASSWORD_PROPERTY.to_string());
        let target = credentials::Target {
            env,
            cluster: cluster_name,
            namespace: &namespace,
            app_key,
            app,
            database: &database,
            role: &role,
            role_secret: role_secret.clone(),
            connection_secret: connection_secret.clone(),
            service: "rw",
            password_property,
            pooler: merged.pooler.as_ref().map(|p| credentials::PoolerAccess {
                service: pooler::name(cluster_name),
                transaction: p.mode == crate::spec::PoolMode::Transaction,
            }),
            sslmode: app.sslmode.map(crate::spec::SslMode::as_str),
        };
        if app.readonly == Some(true) {
            let readonly = naming::readonly_role(&role);
            let readonly_secret = naming::readonly_role_secret(cluster_name, app_key);
            roles.push((
                format!(
                    "{}-readonly",
                    naming::database_object(cluster_name, app_key)
                ),
                Some(app_key.clone()),
                RolePlan {
                    name: readonly.clone(),
                    password_secret: readonly_secret.clone(),
                    in_roles: vec![defaults::READONLY_GRANT.to_string()],
                },
            ));
            let readonly_target = credentials::Target {
                role: &readonly,
                role_secret: readonly_secret,
                connection_secret: naming::readonly_connection_secret(&connection_secret),
                // `-ro` only routes to replicas; a single instance has none.
                service: if merged.instances.value > 1 {
                    "ro"
                } else {
                    "r"
                },
                password_property: defaults::READONLY_PASSWORD_PROPERTY.to_string(),
                pooler: None,
                ..target.clone()
            };
            for (kind, data) in credentials::objects(spec, &readonly_target) {
                objects.push(object(env, kind, data));
            }
        }
        for (kind, data) in credentials::objects(spec, &target) {
            objects.push(object(env, kind, data));
        }
    }
    if merged.logical_backup.is_some() {
        roles.push((
            logical_backup::name(cluster_name),
            None,
            RolePlan {
                name: defaults::LOGICAL_BACKUP_ROLE.to_string(),
                password_secret: logical_backup::role_secret(cluster_name),
                in_roles: vec![defaults::READONLY_GRANT.to_string()],
            },
        ));
    }
    roles.sort_by(|a, b| a.2.name.cmp(&b.2.name));
    let inline = role_style(spec) == RoleStyle::Inline;
    if !inline {
        for (object_name, app_key, role) in &roles {
            let meta = Meta::new(
                object_name.clone(),
                namespace.clone(),
                platform,
                cluster_name,
                app_key.as_deref(),
            );
            let plan = DatabaseRolePlan {
                meta,
                cluster: cluster_name.to_string(),
                role: role.clone(),
                reclaim_policy: merged.reclaim_policy.value.as_str(),
            };
            objects.push(object(
                env,
                Kind::DatabaseRole,
                ObjectData::DatabaseRole(plan),
            ));
        }
    }
    let roles: Vec<RolePlan> = if inline {
        roles.into_iter().map(|(_, _, r)| r).collect()
    } else {
        Vec::new()
    };
    objects.extend(extras(checked, env, entry, &namespace));
    let image = image(cluster);
    let plan = ClusterPlan {
        meta: Meta::new(
            cluster_name.to_string(),
            namespace,
            platform,
            cluster_name,
            None,
        ),
        instances: merged.instances.value,
        image,
        storage: StoragePlan {
            size: merged.storage.value.clone(),
            storage_class: merged.storage_class.as_ref().map(|s| s.value.clone()),
        },
        resources: resources(&merged.requests, &merged.limits),
        parameters: merged
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect(),
        enable_pdb: merged.instances.value > 1,
        roles,
        backup: backup::cluster_side(
            cluster_name,
            merged.backup.as_ref(),
            merged.restore.as_ref().map(|r| {
                (
                    checked.cluster_name(env, &r.value.from),
                    r.value.target_time.as_ref(),
                )
            }),
        ),
    };
    objects.push(object(env, Kind::Cluster, ObjectData::Cluster(plan)));
    objects
}

/// Inline `managed.roles` or `DatabaseRole` objects: the spec's choice, else objects from
/// CloudNativePG 1.30 on.
fn role_style(spec: &crate::spec::Spec) -> RoleStyle {
    spec.platform.roles.unwrap_or_else(|| {
        let version = spec
            .platform
            .cnpg_version
            .as_deref()
            .and_then(|v| crate::validate::rules::major_minor(v).ok());
        if version.unwrap_or(defaults::CNPG_VERSION) >= defaults::CNPG_DATABASE_ROLE_SINCE {
            RoleStyle::Objects
        } else {
            RoleStyle::Inline
        }
    })
}

/// The operand image: `image`, else CNPG's image for `version`.
fn image(cluster: &crate::spec::PostgresCluster) -> String {
    cluster.image.clone().unwrap_or_else(|| {
        format!(
            "{}:{}-{}",
            defaults::CNPG_IMAGE_REPOSITORY,
            cluster.version,
            defaults::CNPG_IMAGE_FLAVOUR
        )
    })
}

/// The explicit port of an object store endpoint, unless it is 443 (already allowed).
fn endpoint_port(endpoint: &str) -> Option<i32> {
    let authority = endpoint.split("://").nth(1)?.split('/').next()?;
    let port: i32 = authority.rsplit_once(':')?.1.parse().ok()?;
    (port != 443).then_some(port)
}

fn object(env: &str, kind: Kind, data: ObjectData) -> Object {
    Object {
        kind,
        path: object_path(env, kind, data.meta()),
        data,
    }
}

/// The pooler, monitoring and network policies the merged settings ask for.
fn extras(checked: &Checked, env: &str, entry: &ClusterEntry, namespace: &str) -> Vec<Object> {
    let spec = checked.spec();
    let cluster = checked.cluster_name(env, &entry.key);
    let merged = checked.merged(env, &entry.key);
    let platform = &spec.platform.name;
    let meta = |name: String| Meta::new(name, namespace.to_string(), platform, cluster, None);
    let mut objects = Vec::new();
    let pooler_name = merged.pooler.as_ref().map(|_| pooler::name(cluster));
    if let (Some(settings), Some(name)) = (&merged.pooler, &pooler_name) {
        let plan = pooler::plan(meta(name.clone()), cluster, settings);
        objects.push(object(env, Kind::Pooler, ObjectData::Pooler(plan)));
    }
    if let Some(settings) = &merged.backup {
        let mut vars = BTreeMap::from([("env", env), ("cluster", cluster)]);
        if let Some(app) = &entry.dedicated_for {
            vars.insert("app", app);
        }
        let store = backup::object_store(meta(backup::store_name(cluster)), settings, &vars);
        objects.push(object(
            env,
            Kind::ObjectStore,
            ObjectData::ObjectStore(store),
        ));
        let credentials_name = settings
            .credentials
            .as_ref()
            .map(|c| c.value.clone())
            .unwrap_or_default();
        let remote = backup::credentials_key(env, cluster, settings);
        let secret = credentials::opaque_secret(&credentials_name, &remote, &backup::S3_KEYS);
        let (kind, data) = credentials::provided_secret(spec, env, cluster, namespace, &secret);
        objects.push(object(env, kind, data));
        let scheduled = backup::scheduled(meta(format!("{cluster}-daily")), cluster, settings);
        objects.push(object(
            env,
            Kind::ScheduledBackup,
            ObjectData::ScheduledBackup(scheduled),
        ));
    }
    if let Some(settings) = &merged.logical_backup {
        let target = logical_backup::Target {
            cluster,
            image: &image(&entry.spec),
            service: if merged.instances.value > 1 {
                "ro"
            } else {
                "r"
            },
            storage_class: merged.storage_class.as_ref().map(|s| s.value.as_str()),
            databases: checked
                .apps_of(&entry.key)
                .map(|(k, a)| naming::database(k, a.database.as_deref()))
                .collect(),
        };
        let name = logical_backup::name(cluster);
        let config = logical_backup::config_map(meta(name.clone()), &target, settings);
        objects.push(object(env, Kind::ConfigMap, ObjectData::ConfigMap(config)));
        let volume = logical_backup::volume(meta(name.clone()), &target, settings);
        objects.push(object(
            env,
            Kind::PersistentVolumeClaim,
            ObjectData::PersistentVolumeClaim(volume),
        ));
        let job = logical_backup::cron_job(meta(name), &target, settings);
        objects.push(object(
            env,
            Kind::CronJob,
            ObjectData::CronJob(Box::new(job)),
        ));
        let template = settings.credentials_key.clone().unwrap_or_default();
        let remote = naming::expand(
            &template,
            &BTreeMap::from([("env", env), ("cluster", cluster)]),
        )
        .unwrap_or(template);
        let secret_name = logical_backup::role_secret(cluster);
        let secret =
            credentials::role_password_secret(&secret_name, &remote, defaults::LOGICAL_BACKUP_ROLE);
        let (kind, data) = credentials::provided_secret(spec, env, cluster, namespace, &secret);
        objects.push(object(env, kind, data));
    }
    if let Some(thresholds) = &merged.monitoring {
        let plan = monitoring::cluster_pod_monitor(meta(cluster.to_string()), cluster);
        objects.push(object(env, Kind::PodMonitor, ObjectData::PodMonitor(plan)));
        if let Some(name) = &pooler_name {
            let plan = monitoring::pooler_pod_monitor(meta(name.clone()), name);
            objects.push(object(env, Kind::PodMonitor, ObjectData::PodMonitor(plan)));
        }
        let plan = monitoring::rules(
            meta(format!("{cluster}-alerts")),
            namespace,
            cluster,
            thresholds,
            merged.backup.is_some(),
        );
        objects.push(object(
            env,
            Kind::PrometheusRule,
            ObjectData::PrometheusRule(plan),
        ));
    }
    if merged.network_policy {
        let app_namespaces: BTreeSet<String> = checked
            .apps_of(&entry.key)
            .map(|(_, a)| a)
            .map(|a| {
                naming::expand(&a.namespace, &BTreeMap::from([("env", env)]))
                    .unwrap_or_else(|_| a.namespace.clone())
            })
            .collect();
        let peers = Peers {
            cluster,
            pooler: pooler_name.as_deref(),
            app_namespaces: &app_namespaces,
            operator_namespace: spec
                .platform
                .operator_namespace
                .as_deref()
                .unwrap_or(defaults::OPERATOR_NAMESPACE),
            logical_backup: merged.logical_backup.is_some(),
            object_store_port: merged
                .backup
                .as_ref()
                .and_then(|b| b.endpoint.as_ref())
                .and_then(|e| endpoint_port(&e.value)),
            monitoring_namespace: spec
                .platform
                .monitoring_namespace
                .as_deref()
                .unwrap_or(defaults::MONITORING_NAMESPACE),
        };
        for (suffix, policy) in network::policies(&peers) {
            let plan = network::NetworkPolicyPlan {
                meta: meta(format!("{cluster}-{suffix}")),
                spec: policy,
            };
            objects.push(object(
                env,
                Kind::NetworkPolicy,
                ObjectData::NetworkPolicy(plan),
            ));
        }
    }
    objects
}

pub(super) fn cluster_namespace(template: &str, env: &str) -> String {
    let vars = BTreeMap::from([("env", env)]);
    // validate expanded the same template with the same variables.
    naming::expand(template, &vars).unwrap_or_else(|_| template.to_string())
}

fn resources(
    requests: &MergedCompute,
    limits: &MergedCompute,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (side, compute) in [("requests", requests), ("limits", limits)] {
        let values: BTreeMap<String, String> = [("cpu", &compute.cpu), ("memory", &compute.memory)]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_string(), v.value.clone())))
            .collect();
        if !values.is_empty() {
            out.insert(side.to_string(), values);
        }
    }
    out
}
