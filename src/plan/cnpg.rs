//! CloudNativePG objects of one cluster in one environment: the `Cluster`, per app a
//! `Database`, its login role (a `DatabaseRole` or inline `managed.roles`) and its
//! credentials, and whatever the merged settings ask for: pooler, backups, logical
//! backups, monitoring and network policies (each built by its own module).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::credentials;
use super::network::{self, Peers};
use super::scope::ClusterScope as Scope;
use super::{Meta, Object, ObjectData, backup, hba, logical_backup, monitoring, pooler};
use crate::defaults;
use crate::model::ClusterEntry;
use crate::model::{Checked, MergedCompute};
use crate::naming;
use crate::spec::App;
use crate::spec::RoleStyle;

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
    /// `pg_hba.conf` lines keeping each app's roles to its own database.
    pub pg_hba: Vec<String>,
    /// Extra names in CNPG's server certificate: the pooler's Service, which presents
    /// that certificate to clients, so `verify-full` through the pooler can succeed.
    pub server_alt_dns_names: Vec<String>,
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
    /// `false` for the roles of a retired app: NOLOGIN and no password (`disablePassword`).
    pub login: bool,
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

impl Scope<'_> {
    /// `-ro` only routes to replicas; a single instance has none, so read-only traffic
    /// goes to `-r` (any instance) then.
    fn read_service(&self) -> &'static str {
        if self.merged.instances.value > 1 {
            "ro"
        } else {
            "r"
        }
    }
}

/// A role to declare: its object name, its app (for labels) and the role itself.
type RoleEntry = (String, Option<String>, RolePlan);

/// Everything one cluster contributes to one environment.
pub(super) fn objects(checked: &Checked, env: &str, entry: &ClusterEntry) -> Vec<Object> {
    let scope = Scope::new(checked, env, entry);
    let mut objects = Vec::new();
    let mut roles = Vec::new();
    for (app_key, app) in checked.apps_of(&entry.key) {
        app_objects(&scope, app_key, app, &mut roles, &mut objects);
    }
    if scope.merged.logical_backup.is_some() {
        roles.push((
            logical_backup::name(scope.cluster),
            None,
            RolePlan {
                name: defaults::LOGICAL_BACKUP_ROLE.to_string(),
                password_secret: logical_backup::role_secret(scope.cluster),
                login: true,
                in_roles: vec![defaults::READONLY_GRANT.to_string()],
            },
        ));
    }
    roles.sort_by(|a, b| a.2.name.cmp(&b.2.name));
    let inline_roles = role_objects(&scope, roles, &mut objects);
    pooler_objects(&scope, &mut objects);
    backup_objects(&scope, &mut objects);
    logical_backup_objects(&scope, &mut objects);
    monitoring_objects(&scope, &mut objects);
    network_objects(&scope, &mut objects);
    let plan = cluster_plan(&scope, inline_roles);
    scope.push(&mut objects, ObjectData::Cluster(plan));
    objects
}

/// One app's `Database` and credentials (and read-only credentials); its roles go to `roles`.
/// A retired app keeps its `Database` and roles, with login disabled, and gets no Secrets.
fn app_objects(
    scope: &Scope<'_>,
    app_key: &str,
    app: &App,
    roles: &mut Vec<RoleEntry>,
    objects: &mut Vec<Object>,
) {
    let (cluster, merged) = (scope.cluster, scope.merged);
    let database = naming::database(app_key, app.database.as_deref());
    let role = naming::role(&database, app.user.as_deref());
    let role_secret = naming::role_secret(cluster, app_key);
    let object_name = naming::database_object(cluster, app_key);
    let login = app.retired != Some(true);
    let role_plan = RolePlan {
        name: role.clone(),
        password_secret: role_secret.clone(),
        login,
        in_roles: Vec::new(),
    };
    roles.push((object_name.clone(), Some(app_key.to_string()), role_plan));
    let plan = DatabasePlan {
        meta: scope.meta(object_name.clone(), Some(app_key)),
        cluster: cluster.to_string(),
        database: database.clone(),
        owner: role.clone(),
        extensions: app.extensions.clone(),
        reclaim_policy: merged.reclaim_policy.value.as_str(),
    };
    scope.push(objects, ObjectData::Database(plan));
    let connection_secret = naming::connection_secret(app_key, app.connection_secret.as_deref());
    let password_property = credentials::password_property(scope.checked);
    let target = credentials::Target {
        env: scope.env,
        cluster,
        namespace: &scope.namespace,
        app_key,
        database: &database,
        role: &role,
        role_secret,
        connection_secret: connection_secret.clone(),
        service: format!("{cluster}-rw"),
        password_property,
        pooler: merged.pooler.as_ref().map(|p| credentials::PoolerAccess {
            service: pooler::name(cluster),
            transaction: p.mode == crate::spec::PoolMode::Transaction,
        }),
        sslmode: app.sslmode.map(crate::spec::SslMode::as_str),
    };
    if app.readonly == Some(true) {
        let readonly = naming::readonly_role(&role);
        let readonly_secret = naming::readonly_role_secret(cluster, app_key);
        roles.push((
            format!("{object_name}-readonly"),
            Some(app_key.to_string()),
            RolePlan {
                name: readonly.clone(),
                password_secret: readonly_secret.clone(),
                login,
                in_roles: vec![defaults::READONLY_GRANT.to_string()],
            },
        ));
        if !login {
            return;
        }
        let readonly_target = credentials::Target {
            role: &readonly,
            role_secret: readonly_secret,
            connection_secret: naming::readonly_connection_secret(
                &connection_secret,
                app.readonly_connection_secret.as_deref(),
            ),
            service: format!("{cluster}-{}", scope.read_service()),
            password_property: defaults::READONLY_PASSWORD_PROPERTY.to_string(),
            pooler: None,
            ..target.clone()
        };
        for data in credentials::objects(scope.checked, &readonly_target) {
            scope.push(objects, data);
        }
    }
    if !login {
        return;
    }
    for data in credentials::objects(scope.checked, &target) {
        scope.push(objects, data);
    }
}

/// `DatabaseRole` objects, or the roles to declare inline in the Cluster.
fn role_objects(
    scope: &Scope<'_>,
    roles: Vec<RoleEntry>,
    objects: &mut Vec<Object>,
) -> Vec<RolePlan> {
    if scope.checked.platform().roles == RoleStyle::Inline {
        return roles.into_iter().map(|(_, _, role)| role).collect();
    }
    for (object_name, app_key, role) in roles {
        let plan = DatabaseRolePlan {
            meta: scope.meta(object_name, app_key.as_deref()),
            cluster: scope.cluster.to_string(),
            role,
            reclaim_policy: scope.merged.reclaim_policy.value.as_str(),
        };
        scope.push(objects, ObjectData::DatabaseRole(plan));
    }
    Vec::new()
}

fn cluster_plan(scope: &Scope<'_>, roles: Vec<RolePlan>) -> ClusterPlan {
    let merged = scope.merged;
    let restore = merged.restore.as_ref().map(|r| {
        (
            scope.checked.cluster_name(scope.env, &r.value.from),
            r.value.target_time.as_ref(),
        )
    });
    ClusterPlan {
        meta: scope.meta(scope.cluster.to_string(), None),
        instances: u32::from(merged.instances.value),
        image: image(&scope.entry.spec),
        storage: StoragePlan {
            size: merged.storage.value.to_string(),
            storage_class: merged.storage_class.as_ref().map(|s| s.value.clone()),
        },
        resources: resources(&merged.requests, &merged.limits),
        parameters: merged
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect(),
        pg_hba: hba::lines(&isolation(scope)),
        server_alt_dns_names: pooler_hosts(scope),
        enable_pdb: merged.instances.value > 1,
        roles,
        backup: backup::cluster_side(scope.cluster, merged.backup.as_ref(), restore),
    }
}

/// The names apps reach the pooler by (the forms `connection_keys` writes, and the rest).
fn pooler_hosts(scope: &Scope<'_>) -> Vec<String> {
    if scope.merged.pooler.is_none() {
        return Vec::new();
    }
    let service = pooler::name(scope.cluster);
    let namespace = &scope.namespace;
    let domain = &scope.checked.platform().domain;
    vec![
        service.clone(),
        format!("{service}.{namespace}"),
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.{domain}"),
    ]
}

/// Each app's database and login roles, in the order of `apps_of`.
fn isolation(scope: &Scope<'_>) -> Vec<hba::Access> {
    scope
        .checked
        .apps_of(&scope.entry.key)
        .map(|(key, app)| {
            let database = naming::database(key, app.database.as_deref());
            let role = naming::role(&database, app.user.as_deref());
            let mut roles = vec![role.clone()];
            if app.readonly == Some(true) {
                roles.push(naming::readonly_role(&role));
            }
            hba::Access { database, roles }
        })
        .collect()
}

/// The UID and GID of `postgres` in CloudNativePG's images.
const CNPG_POSTGRES_UID: i64 = 26;

/// The operand image: `image`, else CNPG's image for `version`.
fn image(cluster: &crate::spec::PostgresCluster) -> String {
    match &cluster.image {
        Some(image) => image.clone(),
        None => crate::pins::cnpg_image(&cluster.version),
    }
}

/// The explicit port of an object store endpoint, unless it is 443 (already allowed).
fn endpoint_port(endpoint: &str) -> Option<i32> {
    let authority = endpoint.split("://").nth(1)?.split('/').next()?;
    let port: i32 = authority.rsplit_once(':')?.1.parse().ok()?;
    (port != 443).then_some(port)
}

fn pooler_objects(scope: &Scope<'_>, objects: &mut Vec<Object>) {
    if let Some(settings) = &scope.merged.pooler {
        let plan = pooler::plan(
            scope.meta(pooler::name(scope.cluster), None),
            scope.cluster,
            settings,
        );
        scope.push(objects, ObjectData::Pooler(plan));
    }
}

/// The object store, its credentials through the secret provider, the scheduled backup.
fn backup_objects(scope: &Scope<'_>, objects: &mut Vec<Object>) {
    let Some(settings) = &scope.merged.backup else {
        return;
    };
    let (env, cluster) = (scope.env, scope.cluster);
    let store = backup::object_store(scope.meta(backup::store_name(cluster), None), settings);
    scope.push(objects, ObjectData::ObjectStore(store));
    let target = &settings.target;
    let keys = backup::s3_keys(settings);
    let keys = [keys[0].as_str(), keys[1].as_str()];
    let secret = credentials::opaque_secret(&target.credentials, &target.credentials_key, &keys);
    let data = credentials::provided_secret(scope.checked, env, cluster, &scope.namespace, &secret);
    scope.push(objects, data);
    let scheduled = backup::scheduled(
        scope.meta(format!("{cluster}-daily"), None),
        cluster,
        settings,
    );
    scope.push(objects, ObjectData::ScheduledBackup(scheduled));
}

/// The dump CronJob, its script, its volume and the backup role's password Secret.
fn logical_backup_objects(scope: &Scope<'_>, objects: &mut Vec<Object>) {
    let Some(settings) = &scope.merged.logical_backup else {
        return;
    };
    let cluster = scope.cluster;
    let target = logical_backup::Target {
        cluster,
        image: &image(&scope.entry.spec),
        host: format!("{cluster}-{}", scope.read_service()),
        uid: CNPG_POSTGRES_UID,
        storage_class: scope
            .merged
            .storage_class
            .as_ref()
            .map(|s| s.value.as_str()),
        databases: scope
            .checked
            .apps_of(&scope.entry.key)
            .map(|(k, a)| naming::database(k, a.database.as_deref()))
            .collect(),
    };
    for data in logical_backup::objects(scope, &target, settings) {
        scope.push(objects, data);
    }
}

fn monitoring_objects(scope: &Scope<'_>, objects: &mut Vec<Object>) {
    let Some(thresholds) = &scope.merged.monitoring else {
        return;
    };
    let cluster = scope.cluster;
    let plan = monitoring::cluster_pod_monitor(scope.meta(cluster.to_string(), None), cluster);
    scope.push(objects, ObjectData::PodMonitor(plan));
    if scope.merged.pooler.is_some() {
        let name = pooler::name(cluster);
        let plan = monitoring::pooler_pod_monitor(scope.meta(name.clone(), None), &name);
        scope.push(objects, ObjectData::PodMonitor(plan));
    }
    let meta = scope.meta(format!("{cluster}-alerts"), None);
    let plan = monitoring::rules(
        meta,
        &scope.namespace,
        cluster,
        thresholds,
        scope.merged.backup.is_some(),
    );
    scope.push(objects, ObjectData::PrometheusRule(plan));
}

fn network_objects(scope: &Scope<'_>, objects: &mut Vec<Object>) {
    let (merged, platform) = (scope.merged, scope.checked.platform());
    if !merged.network_policy {
        return;
    }
    let app_namespaces: BTreeSet<String> = scope
        .apps()
        .map(|(key, _)| scope.checked.app_namespace(scope.env, key).to_string())
        .collect();
    let pooler_name = merged.pooler.as_ref().map(|_| pooler::name(scope.cluster));
    let peers = Peers {
        cluster: scope.cluster,
        pooler: pooler_name.as_deref(),
        app_namespaces: &app_namespaces,
        operator_namespace: &platform.operator_namespace,
        logical_backup: merged.logical_backup.is_some(),
        object_store_port: merged
            .backup
            .as_ref()
            .and_then(|b| b.endpoint.as_ref())
            .and_then(|e| endpoint_port(&e.value)),
        monitoring_namespace: &platform.monitoring_namespace,
    };
    for (suffix, policy) in network::policies(&peers) {
        let plan = network::NetworkPolicyPlan {
            meta: scope.meta(format!("{}-{suffix}", scope.cluster), None),
            spec: policy,
        };
        scope.push(objects, ObjectData::NetworkPolicy(plan));
    }
}

fn resources(
    requests: &MergedCompute,
    limits: &MergedCompute,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (side, compute) in [("requests", requests), ("limits", limits)] {
        let values: BTreeMap<String, String> = [("cpu", &compute.cpu), ("memory", &compute.memory)]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_string(), v.value.to_string())))
            .collect();
        if !values.is_empty() {
            out.insert(side.to_string(), values);
        }
    }
    out
}
