//! Engine `bitnami`: one cluster in one environment as a release of the Bitnami
//! `postgresql-ha` chart (PostgreSQL with repmgr behind Pgpool-II), its password Secrets
//! delivered by the secret provider, and per app the usual credentials pointing at Pgpool.
//!
//! Input: the checked spec, an environment and a cluster whose engine is `bitnami`.
//! Output: the release (a Helm values file for Kustomize `helmCharts`, or a Flux
//! `HelmRelease` after `super::flux`), three
//! `ExternalSecret`s (PostgreSQL passwords, Pgpool passwords, Pgpool's list of app users)
//! and every app's credentials.
//! Invariant: every password reaches the chart through `existingSecret`/`customUsersSecret`,
//! never through values, so rendering the chart twice gives the same objects; every values
//! key written here exists in the pinned chart's `values.yaml` (`tests/it/bitnami_values.rs`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::credentials::{self, RemoteRef};
use super::helm::{HelmChartRef, HelmValuesPlan, ImageSource};
use super::scope::ClusterScope as Scope;
use super::{Object, ObjectData, logical_backup, provisioning};
use crate::defaults;
use crate::model::ClusterEntry;
use crate::model::{AppVars, Checked, ExternalSecrets, Merged, Provider};
use crate::naming;
use crate::spec::App;

/// The pinned chart: `postgresql-ha` 16.3.4 ships PostgreSQL 17.6.0, so `version` must be
/// `17.6` (checked by `validate`).
pub use crate::pins::{
    BITNAMI_CHART_REPO as CHART_REPO, BITNAMI_POSTGRESQL_HA_CHART as CHART,
    BITNAMI_POSTGRESQL_HA_CHART_VERSION as CHART_VERSION,
    BITNAMI_POSTGRESQL_HA_POSTGRES_VERSION as POSTGRES_VERSION,
};
/// The superuser the chart creates; apps never use it.
pub const ADMIN_USER: &str = "postgres";
/// Pgpool's streaming-replication check user (the chart's default name).
const SR_CHECK_USER: &str = "sr_check_user";
/// Pgpool replicas unless `pooler.instances` says otherwise (the chart's default).
pub const PGPOOL_INSTANCES: u32 = 1;
/// Properties read under `credentials_key`.
pub use crate::model::owned::bitnami::{
    ADMIN_PROPERTY, PGPOOL_ADMIN_PROPERTY, REPLICATION_PROPERTY,
};
/// Every image block of the chart: (key path of its `image` table, image name);
/// `[bitnami] images` rewrites each.
pub const IMAGES: &[(&[&str], &str)] = &[
    (&["postgresql"], "postgresql-repmgr"),
    (&["pgpool"], "pgpool"),
    (&["metrics"], "postgres-exporter"),
    (&["volumePermissions"], "os-shell"),
];
/// Pod annotation carrying the list of Pgpool users: Pgpool reads its custom users only
/// when it starts, so a changed list must roll its pods.
const USERS_ANNOTATION: &str = "dbgen.io/pgpool-users";

/// How an administrator reaches the server: what the provisioning Job of per-app databases
/// and roles connects with. The chart's values are written from the same struct, so the Job
/// and the chart cannot disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAccess {
    /// Pgpool's Service, `<cluster>-pgpool.<namespace>`: it routes writes to the primary.
    pub host: String,
    pub port: u16,
    pub user: &'static str,
    /// Secret in the cluster namespace holding the superuser's password...
    pub secret: String,
    /// ...under this key.
    pub key: &'static str,
}

impl Scope<'_> {
    /// The apps of this cluster with their roles, sorted by role (Pgpool's list order).
    fn apps_by_role(&self) -> Vec<(&str, &App, String, String)> {
        let mut apps: Vec<_> = self
            .checked
            .apps_of(&self.entry.key)
            .map(|(key, app)| {
                let database = naming::database(key, app.database.as_deref());
                let role = naming::role(&database, app.user.as_deref());
                (key.as_str(), app, database, role)
            })
            .collect();
        apps.sort_by(|a, b| a.3.cmp(&b.3));
        apps
    }

    /// [`Self::apps_by_role`] without retired apps: those that get credentials and whose
    /// users Pgpool accepts.
    fn active_apps_by_role(&self) -> Vec<(&str, &App, String, String)> {
        let mut apps = self.apps_by_role();
        apps.retain(|a| a.1.retired != Some(true));
        apps
    }

    /// `credentials_key` with `{env}` and `{cluster}` expanded.
    fn credentials_key(&self) -> &str {
        &self.merged.admin_credentials_key
    }
}

/// Name of the Secret with the PostgreSQL passwords (`existingSecret`): the spec's
/// `admin_secret` (to keep the name an existing installation reads), else
/// `<cluster>-postgresql-credentials`.
fn postgresql_secret(scope: &Scope<'_>) -> String {
    match &scope.entry.spec.admin_secret {
        Some(name) => name.clone(),
        None => format!("{}-postgresql-credentials", scope.cluster),
    }
}

/// Name of the Secret with the Pgpool passwords (`pgpool.existingSecret`).
pub fn pgpool_secret(cluster: &str) -> String {
    format!("{cluster}-pgpool-credentials")
}

/// Name of the Secret listing the app users Pgpool accepts (`pgpool.customUsersSecret`).
pub fn pgpool_users_secret(cluster: &str) -> String {
    format!("{cluster}-pgpool-users")
}

/// The Service apps connect to: Pgpool, named after `fullnameOverride`.
pub fn service(fullname: &str) -> String {
    format!("{fullname}-pgpool")
}

/// The chart's `fullnameOverride`, which prefixes every object the chart makes: the
/// spec's `fullname` (to keep an existing release's names), else the cluster's name.
fn fullname(scope: &Scope<'_>) -> String {
    match &scope.entry.spec.fullname {
        Some(fullname) => fullname.clone(),
        None => scope.cluster.to_string(),
    }
}

/// How the provisioning Job reaches this cluster as the superuser.
pub fn admin_access(secret: String, fullname: &str, namespace: &str) -> AdminAccess {
    AdminAccess {
        host: format!("{}.{namespace}", service(fullname)),
        port: defaults::POSTGRES_PORT,
        user: ADMIN_USER,
        secret,
        key: "password",
    }
}

/// Everything one `bitnami` cluster contributes to one environment.
pub(super) fn objects(checked: &Checked, env: &str, entry: &ClusterEntry) -> Vec<Object> {
    let scope = Scope::new(checked, env, entry);
    let mut objects = Vec::new();
    for (app_key, app, database, role) in scope.active_apps_by_role() {
        app_credentials(&scope, app_key, app, &database, &role, &mut objects);
    }
    password_secrets(&scope, &mut objects);
    release(&scope, &mut objects);
    let mut roles = Vec::new();
    logical_backup_objects(&scope, &mut roles, &mut objects);
    provisioning_objects(&scope, roles, &mut objects);
    objects
}

/// The image of the provisioning Job and the dump CronJob: the official `postgres` image of
/// the chart's PostgreSQL, which (unlike the chart's own images since August 2025) is still
/// published, and carries `psql`, `pg_isready`, `pg_dump` and `sh`.
fn tools_image() -> String {
    format!("{TOOLS_IMAGE_REPOSITORY}:{POSTGRES_VERSION}")
}
use crate::pins::POSTGRES_IMAGE_REPOSITORY as TOOLS_IMAGE_REPOSITORY;
/// UID and GID of `postgres` in the official image.
const TOOLS_UID: i64 = 999;

/// The chart creates a single database at first boot only: the engine-agnostic Job makes
/// every app's role and database (and the backup role), through Pgpool as the superuser.
fn provisioning_objects(
    scope: &Scope<'_>,
    roles: Vec<provisioning::ExtraRole>,
    objects: &mut Vec<Object>,
) {
    let admin = admin_access(postgresql_secret(scope), &fullname(scope), &scope.namespace);
    let apps = scope
        .apps_by_role()
        .into_iter()
        .map(|(key, app, database, role)| provisioning::ProvisionedApp {
            database,
            role,
            password_secret: naming::role_secret(scope.cluster, key),
            extensions: app.extensions.clone(),
            retired: app.retired == Some(true),
        })
        .collect();
    let meta = |name: String| scope.meta(name, None);
    let image = tools_image();
    let input = provisioning::Provisioning {
        cluster: scope.cluster,
        meta: &meta,
        hosts: vec![service(&fullname(scope))],
        admin_user: admin.user,
        admin_secret: &admin.secret,
        admin_secret_key: admin.key,
        image: &image,
        uid: TOOLS_UID,
        apps,
        roles,
    };
    for data in provisioning::objects(&input) {
        scope.push(objects, data);
    }
}

/// The dump CronJob reads from `<cluster>-postgresql`, the chart's Service over every
/// PostgreSQL node, not through Pgpool, whose user list holds the apps only; the backup
/// role is made by the provisioning Job with CONNECT on every app database.
fn logical_backup_objects(
    scope: &Scope<'_>,
    roles: &mut Vec<provisioning::ExtraRole>,
    objects: &mut Vec<Object>,
) {
    let Some(settings) = &scope.merged.logical_backup else {
        return;
    };
    let databases: Vec<String> = scope.apps_by_role().into_iter().map(|a| a.2).collect();
    roles.push(provisioning::ExtraRole {
        role: defaults::LOGICAL_BACKUP_ROLE.to_string(),
        password_secret: logical_backup::role_secret(scope.cluster),
        member_of: vec![defaults::READONLY_GRANT.to_string()],
        connect: databases.clone(),
        retired: false,
    });
    let image = tools_image();
    let target = logical_backup::Target {
        cluster: scope.cluster,
        image: &image,
        host: format!("{}-postgresql", fullname(scope)),
        uid: TOOLS_UID,
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

/// The app's role Secret (read by the provisioning Job) and connection Secret, on Pgpool.
fn app_credentials(
    scope: &Scope<'_>,
    app_key: &str,
    app: &App,
    database: &str,
    role: &str,
    objects: &mut Vec<Object>,
) {
    let target = credentials::Target {
        env: scope.env,
        cluster: scope.cluster,
        namespace: &scope.namespace,
        app_key,
        database,
        role,
        role_secret: naming::role_secret(scope.cluster, app_key),
        connection_secret: naming::connection_secret(app_key, app.connection_secret.as_deref()),
        service: service(&fullname(scope)),
        password_property: credentials::password_property(scope.checked),
        pooler: None,
        sslmode: app.sslmode.map(crate::spec::SslMode::as_str),
    };
    for data in credentials::objects(scope.checked, &target) {
        scope.push(objects, data);
    }
}

/// The chart's two password Secrets and Pgpool's users Secret, each an `ExternalSecret`
/// with the chart's own key names.
fn password_secrets(scope: &Scope<'_>, objects: &mut Vec<Object>) {
    // `validate::bitnami` refuses this engine with Infisical: Pgpool's user list joins
    // every app's password, which Infisical's templates cannot read across folders.
    let Provider::ExternalSecrets(es) = &scope.checked.secrets().provider else {
        return;
    };
    let remote = scope.credentials_key();
    let read = |secret_key: &str, property: &str| RemoteRef {
        secret_key: secret_key.to_string(),
        key: remote.to_string(),
        property: property.to_string(),
    };
    let cluster = scope.cluster;
    // `password` is the superuser's when `username` is `postgres`; `postgres-password` is
    // read instead by chart versions that look the key up, so both carry it.
    let postgresql = credentials::external_secret(
        es,
        scope.meta(postgresql_secret(scope), None),
        BTreeMap::from([
            ("password".to_string(), "{{ .admin }}".to_string()),
            ("postgres-password".to_string(), "{{ .admin }}".to_string()),
            (
                "repmgr-password".to_string(),
                "{{ .replication }}".to_string(),
            ),
        ]),
        vec![
            read("admin", ADMIN_PROPERTY),
            read("replication", REPLICATION_PROPERTY),
        ],
    );
    // Pgpool's replication check user shares repmgr's password: both only watch replication.
    let pgpool = credentials::external_secret(
        es,
        scope.meta(pgpool_secret(cluster), None),
        BTreeMap::from([
            (
                "admin-password".to_string(),
                "{{ .pgpoolAdmin }}".to_string(),
            ),
            (
                "sr-check-password".to_string(),
                "{{ .replication }}".to_string(),
            ),
        ]),
        vec![
            read("pgpoolAdmin", PGPOOL_ADMIN_PROPERTY),
            read("replication", REPLICATION_PROPERTY),
        ],
    );
    // Pgpool's custom users come from the apps; with none, the chart keeps its own (empty)
    // list, since an ExternalSecret without data is refused by its schema.
    let users = (!scope.active_apps_by_role().is_empty()).then(|| pgpool_users(scope, es));
    for plan in [postgresql, pgpool].into_iter().chain(users) {
        scope.push(objects, ObjectData::ExternalSecret(plan));
    }
}

/// `usernames` and `passwords`, `;`-joined in role order, read from every app's credentials.
/// Pgpool splits both lists on `,`, `;` and white space, so a password holding one of
/// them (or an empty one) fails the sync instead of shifting every later user's password.
fn pgpool_users(scope: &Scope<'_>, es: &ExternalSecrets) -> crate::plan::ExternalSecretPlan {
    let property = credentials::password_property(scope.checked);
    let apps = scope.active_apps_by_role();
    let data = apps
        .iter()
        .map(|(app_key, _, _, role)| {
            let vars = AppVars {
                env: scope.env,
                app: app_key,
                cluster: scope.cluster,
            };
            RemoteRef {
                // Role names are `[a-z_][a-z0-9_]*`, so `.role` is a valid template field.
                secret_key: role.clone(),
                key: es.key.expand(&vars),
                property: property.clone(),
            }
        })
        .collect();
    let usernames: Vec<&str> = apps.iter().map(|a| a.3.as_str()).collect();
    let passwords: Vec<String> = apps.iter().map(|a| pgpool_password(&a.3)).collect();
    credentials::external_secret(
        es,
        scope.meta(pgpool_users_secret(scope.cluster), None),
        BTreeMap::from([
            ("usernames".to_string(), usernames.join(";")),
            ("passwords".to_string(), passwords.join(";")),
        ]),
        data,
    )
}

/// One role's password in Pgpool's list (a Go template): the value read as `.<role>`,
/// failing the sync when Pgpool could not split it back out.
fn pgpool_password(role: &str) -> String {
    let unusable = format!("or (eq .{role} \"\") (regexMatch \"[\\\\s,;]\" .{role})");
    let message = format!(
        "dbgen: the password of role {role} is empty or holds a comma, a semicolon or white \
         space, which Pgpool's user list cannot carry"
    );
    format!("{{{{ if {unusable} }}}}{{{{ fail \"{message}\" }}}}{{{{ end }}}}{{{{ .{role} }}}}")
}

/// The Helm release: a values file for Kustomize's `helmCharts`, which `super::flux` turns
/// into a Flux `HelmRelease` when `[bitnami] delivery = "flux"`.
fn release(scope: &Scope<'_>, objects: &mut Vec<Object>) {
    let plan = HelmValuesPlan {
        meta: scope.meta(scope.cluster.to_string(), None),
        chart: HelmChartRef {
            name: CHART.to_string(),
            repo: CHART_REPO.to_string(),
            version: CHART_VERSION.to_string(),
        },
        values: values(scope),
    };
    scope.push(objects, ObjectData::HelmValues(plan));
}

/// The chart's values. Only keys dbgen decides are written; the chart's defaults stay
/// visible in its own `values.yaml`.
fn values(scope: &Scope<'_>) -> Value {
    let merged = scope.merged;
    let cluster = scope.cluster;
    let admin = admin_access(postgresql_secret(scope), &fullname(scope), &scope.namespace);
    let users: Vec<String> = scope
        .active_apps_by_role()
        .into_iter()
        .map(|a| a.3)
        .collect();
    let mut postgresql = json!({
        "replicaCount": merged.instances.value,
        "username": admin.user,
        "existingSecret": admin.secret,
        "networkPolicy": { "enabled": merged.network_policy },
    });
    let resources = resources(merged);
    if !resources.is_empty() {
        postgresql["resources"] = Value::Object(resources);
    }
    if !merged.parameters.is_empty() {
        postgresql["extendedConf"] = Value::String(extended_conf(merged));
    }
    let mut pgpool = json!({
        "replicaCount": merged.pooler.as_ref().map_or(PGPOOL_INSTANCES, |p| p.instances),
        "existingSecret": pgpool_secret(cluster),
        "srCheckUsername": SR_CHECK_USER,
        "networkPolicy": { "enabled": merged.network_policy },
    });
    if !users.is_empty() {
        pgpool["customUsersSecret"] = Value::String(pgpool_users_secret(cluster));
        pgpool["podAnnotations"] = json!({ USERS_ANNOTATION: users.join(";") });
    }
    let mut persistence = json!({ "size": merged.storage.value.as_str() });
    if let Some(class) = &merged.storage_class {
        persistence["storageClass"] = Value::String(class.value.clone());
    }
    let mut values = json!({
        "fullnameOverride": fullname(scope),
        "clusterDomain": scope.checked.platform().domain,
        "commonLabels": { "app.kubernetes.io/part-of": scope.spec.platform.name },
        "persistence": persistence,
    });
    let mut metrics = json!({ "enabled": merged.monitoring.is_some() });
    if merged.monitoring.is_some() {
        metrics["serviceMonitor"] = json!({ "enabled": true });
    }
    values["postgresql"] = postgresql;
    values["pgpool"] = pgpool;
    values["metrics"] = metrics;
    if let Some(source) = ImageSource::of_spec(scope.spec) {
        source.rewrite(&mut values, IMAGES);
    }
    values
}

/// `requests`/`limits` → `cpu`/`memory`, only what the layers set.
fn resources(merged: &Merged) -> Map<String, Value> {
    let mut out = Map::new();
    for (side, compute) in [("requests", &merged.requests), ("limits", &merged.limits)] {
        let mut values = Map::new();
        for (name, value) in [("cpu", &compute.cpu), ("memory", &compute.memory)] {
            if let Some(value) = value {
                values.insert(name.to_string(), Value::String(value.value.to_string()));
            }
        }
        if !values.is_empty() {
            out.insert(side.to_string(), Value::Object(values));
        }
    }
    out
}

/// `parameters` as a `postgresql.conf` fragment (`postgresql.extendedConf`), values quoted
/// as configuration strings (`pgconf::quote`: `'` and `\` doubled).
fn extended_conf(merged: &Merged) -> String {
    let mut conf = String::new();
    for (name, value) in &merged.parameters {
        let _ = writeln!(conf, "{name} = {}", crate::pgconf::quote(&value.value));
    }
    conf
}

#[cfg(test)]
mod tests {
    use super::{admin_access, pgpool_password};

    #[test]
    fn pgpool_passwords_refuse_what_pgpool_would_split() {
        let template = pgpool_password("wiki");
        assert!(template.starts_with(
            r#"{{ if or (eq .wiki "") (regexMatch "[\\s,;]" .wiki) }}{{ fail "dbgen: the password of role wiki"#
        ));
        assert!(template.ends_with("{{ end }}{{ .wiki }}"));
    }

    #[test]
    fn admin_access_goes_through_pgpool() {
        let admin = admin_access("pg-postgresql-credentials".to_string(), "pg", "databases");
        assert_eq!(admin.host, "pg-pgpool.databases");
        assert_eq!(
            (admin.user, admin.secret.as_str(), admin.key),
            ("postgres", "pg-postgresql-credentials", "password")
        );
    }
}
