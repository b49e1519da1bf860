//! Checks of `[postgres.*]` clusters and of every size layer, and the per-environment
//! merge whose cross-field rules (requests ≤ limits) need all layers at once.

use std::collections::BTreeMap;

use super::context::Context;
use super::layer::{
    LayerRef, Names, at_least_one, check_quantity, check_schedule, check_sizes, merge,
    requests_within_limits, storage_class,
};
use super::rules;
use super::topology::{self, ClusterEntry};
use crate::defaults;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Merged;

/// CNPG's webhook limit: the cluster name prefixes pod, PVC and Service names.
const CNPG_CLUSTER_NAME_MAX: usize = 50;

fn path(p: &[String]) -> Vec<&str> {
    p.iter().map(String::as_str).collect()
}

pub(super) fn check(cx: &mut Context<'_>) {
    let profiles: Vec<LayerRef<'_>> = cx.profiles.iter().map(|(_, l)| l.clone()).collect();
    for profile in &profiles {
        layer(cx, profile, true);
    }
    let spec = cx.spec();
    let clusters = cx.clusters;
    for entry in clusters {
        let at = |field: &str| {
            let mut path: Vec<&str> = entry.prefix.iter().map(String::as_str).collect();
            path.push(field);
            path.iter().map(|s| (*s).to_string()).collect::<Vec<_>>()
        };
        if entry.spec.image.is_none()
            && entry.spec.engine != crate::spec::Engine::Cnpg
            && let Err(why) = rules::pg_version(&entry.spec.version)
        {
            cx.push(
                Diagnostic::error(
                    Code::InvalidVersion,
                    cx.at(&path(&at("version"))),
                    format!("version `{}`: {why}", entry.spec.version),
                )
                .with_label("unsupported version"),
            );
        }
        if let Some(fullname) = &entry.spec.fullname {
            if entry.spec.engine == crate::spec::Engine::Bitnami {
                cx.rule(
                    cx.at(&path(&at("fullname"))),
                    "chart fullname",
                    fullname,
                    rules::dns1123_label(fullname),
                );
            } else {
                cx.push(
                    Diagnostic::error(
                        Code::Unsupported,
                        cx.at(&path(&at("fullname"))),
                        "`fullname` is the Bitnami chart's `fullnameOverride`; it applies to engine `bitnami` only",
                    )
                    .with_label("no chart here"),
                );
            }
        }
        if let Some(secret) = &entry.spec.admin_secret {
            if entry.spec.engine == crate::spec::Engine::Bitnami {
                cx.rule(
                    cx.at(&path(&at("admin_secret"))),
                    "Secret name",
                    secret,
                    rules::dns1123_subdomain(secret),
                );
            } else {
                cx.push(
                    Diagnostic::error(
                        Code::Unsupported,
                        cx.at(&path(&at("admin_secret"))),
                        "`admin_secret` names the Bitnami chart's `existingSecret`; it applies to engine `bitnami` only",
                    )
                    .with_label("no chart here"),
                );
            }
        }
        // CNPG's image tag is derived from `version`: only versions with a published image.
        if entry.spec.image.is_none()
            && entry.spec.engine == crate::spec::Engine::Cnpg
            && let Err(no) = crate::pins::postgresql_tags::check(&entry.spec.version)
        {
            cx.push(
                Diagnostic::error(
                    Code::InvalidVersion,
                    cx.at(&path(&at("version"))),
                    format!("version `{}`: {}", entry.spec.version, no.why),
                )
                .with_label("no CloudNativePG image for this version")
                .with_help_opt(no.suggestion.map(|s| {
                    format!("did you mean `{s}`? (or set `image` to an image you have checked)")
                })),
            );
        }
        let table = entry.spec.layer();
        layer(cx, &cluster_ref(cx, entry, &table), false);
        for env in entry.spec.env.keys() {
            if !spec.environments.contains_key(env) {
                let names: Vec<&str> = spec.environments.keys().map(String::as_str).collect();
                cx.unknown_reference(
                    cx.key(&path(&[at("env"), vec![env.clone()]].concat())),
                    "environment",
                    env,
                    names,
                );
            }
        }
        for (i, env) in entry.spec.environments.iter().flatten().enumerate() {
            if !spec.environments.contains_key(env) {
                let names: Vec<&str> = spec.environments.keys().map(String::as_str).collect();
                let at = [at("environments"), vec![i.to_string()]].concat();
                cx.unknown_reference(cx.at(&path(&at)), "environment", env, names);
            }
        }
        for (env, overrides) in &entry.spec.env {
            layer(cx, &env_ref(cx, entry, env, overrides), false);
        }
        names(cx, entry);
        if entry.dedicated_for.is_none()
            && entry.spec.restore.is_none()
            && !spec
                .apps
                .iter()
                .any(|(k, a)| topology::app_cluster(k, a) == Some(entry.key.as_str()))
        {
            cx.push(
                Diagnostic::warning(
                    Code::UnusedCluster,
                    cx.key(&["postgres", &entry.key]),
                    format!("no app uses cluster `{}`", entry.key),
                )
                .with_label("rendered, but no app has a database here"),
            );
        }
    }
    collisions(cx);
}

/// The Cluster object name in every environment: placeholders, DNS-1035, CNPG's 50.
fn names(cx: &mut Context<'_>, entry: &ClusterEntry) {
    let pattern_at: Vec<String> = [entry.prefix.clone(), vec!["name".to_string()]].concat();
    let pattern_path: Vec<&str> = pattern_at.iter().map(String::as_str).collect();
    let span = cx
        .at(&pattern_path)
        .or_else(|| cx.key(&["postgres", &entry.key]));
    let mut vars = BTreeMap::from([("env", "env")]);
    if entry.dedicated_for.is_some() {
        vars.insert("app", "app");
    }
    if let Some(pattern) = &entry.spec.name
        && super::platform::placeholders(cx, &pattern_path, pattern, &vars).is_none()
    {
        return;
    }
    for env in cx.spec().environments.keys().filter(|e| entry.in_env(e)) {
        let Ok(name) = entry.name(env) else { continue };
        if let Err(why) = rules::dns1035_label(&name, CNPG_CLUSTER_NAME_MAX) {
            let origin = match &entry.dedicated_for {
                Some(app) => format!(" (made for app `{app}` in environment `{env}`)"),
                None if entry.spec.name.is_some() => format!(" (in environment `{env}`)"),
                None => String::new(),
            };
            cx.push(
                Diagnostic::error(
                    Code::InvalidName,
                    span.clone(),
                    format!("cluster name `{name}`{origin} {why}"),
                )
                .with_label(
                    "CloudNativePG cluster names are DNS-1035 labels of at most 50 characters",
                ),
            );
        }
    }
}

/// Two clusters of one environment with the same name in the same namespace; each pair
/// is reported once, for the first environment where it collides (as for Redis).
fn collisions(cx: &mut Context<'_>) {
    let mut reported: Vec<(String, String)> = Vec::new();
    for env in cx.spec().environments.keys() {
        let mut names = Names::new();
        for entry in cx.clusters.iter().filter(|c| c.in_env(env)) {
            let Ok(name) = entry.name(env) else { continue };
            if let Some(first) = names.claim(&name, entry) {
                let pair = (first.describe(), entry.describe());
                if reported.contains(&pair) {
                    continue;
                }
                reported.push(pair);
                let at = |e: &ClusterEntry| {
                    cx.key(&["postgres", &e.key])
                        .or_else(|| cx.at(&["postgres_defaults", "name"]))
                };
                cx.push(
                    Diagnostic::error(Code::NameCollision, at(entry), format!("{} and {} are both named `{name}` in environment `{env}`", first.describe(), entry.describe()))
                        .with_label("same Cluster name")
                        .with_help("give one of them another `name`; dedicated cluster names should contain `{app}`"),
                );
            }
        }
    }
}

fn cluster_ref<'a>(
    cx: &Context<'a>,
    entry: &ClusterEntry,
    table: &'a crate::spec::Layer,
) -> LayerRef<'a> {
    LayerRef {
        layer: table,
        file: cx.doc.file,
        spans: &cx.doc.spans,
        prefix: entry.prefix.clone(),
        description: entry.describe(),
    }
}

fn env_ref<'a>(
    cx: &Context<'a>,
    entry: &ClusterEntry,
    env: &str,
    layer: &'a crate::spec::Layer,
) -> LayerRef<'a> {
    LayerRef {
        layer,
        file: cx.doc.file,
        spans: &cx.doc.spans,
        prefix: [entry.prefix.clone(), vec!["env".into(), env.into()]].concat(),
        description: format!("{} in environment `{env}`", entry.describe()),
    }
}

/// Checks the values one layer sets, wherever it is used.
fn layer(cx: &mut Context<'_>, layer: &LayerRef<'_>, is_profile: bool) {
    let values = layer.layer;
    if let Some(profile) = &values.profile {
        if is_profile {
            cx.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    layer.span(&["profile"]),
                    format!("{} names another profile", layer.description),
                )
                .with_label("profiles cannot be nested")
                .with_help("copy the settings you need into this profile"),
            );
        } else if cx.profiles.get(profile).is_none() {
            let names: Vec<&str> = cx.profiles.names().collect();
            cx.unknown_reference(layer.span(&["profile"]), "profile", profile, names);
        }
    }
    if values.instances == Some(0) {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                layer.span(&["instances"]),
                "a cluster needs at least 1 instance",
            )
            .with_label("0 instances"),
        );
    }
    at_most(
        cx,
        layer,
        &["instances"],
        values.instances,
        rules::INSTANCES_MAX,
        "PostgreSQL instances per cluster",
    );
    if let Some(pooler) = &values.pooler {
        at_most(
            cx,
            layer,
            &["pooler", "instances"],
            pooler.instances,
            rules::POOLER_INSTANCES_MAX,
            "PgBouncer pods per pooler",
        );
        at_least_one(
            cx,
            layer,
            &["pooler", "instances"],
            pooler.instances,
            "a pooler needs at least 1 instance",
        );
        at_least_one(
            cx,
            layer,
            &["pooler", "max_client_conn"],
            pooler.max_client_conn,
            "max_client_conn must be at least 1",
        );
        at_least_one(
            cx,
            layer,
            &["pooler", "default_pool_size"],
            pooler.default_pool_size,
            "default_pool_size must be at least 1",
        );
    }
    if let Some(crate::spec::Monitoring::Settings(settings)) = &values.monitoring {
        if settings
            .connections_percent
            .is_some_and(|p| p == 0 || p > 100)
        {
            cx.push(
                Diagnostic::error(
                    Code::OutOfRange,
                    layer.span(&["monitoring", "connections_percent"]),
                    "connections_percent must be between 1 and 100",
                )
                .with_label("a percentage of max_connections"),
            );
        }
        at_least_one(
            cx,
            layer,
            &["monitoring", "replication_lag_seconds"],
            settings.replication_lag_seconds,
            "replication_lag_seconds must be at least 1",
        );
        at_least_one(
            cx,
            layer,
            &["monitoring", "backup_age_hours"],
            settings.backup_age_hours,
            "backup_age_hours must be at least 1",
        );
    }
    conf_parameters(cx, layer);
    if let Some(backup) = &values.backup {
        backup_values(cx, layer, backup);
    }
    if let Some(logical) = &values.logical_backup {
        logical_backup_values(cx, layer, logical);
    }
    if is_profile && values.restore.is_some() {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                layer.span(&["restore"]),
                format!("{} sets `restore`", layer.description),
            )
            .with_label("restore belongs to a cluster or one of its environments")
            .with_help("move it to `[postgres.<cluster>.env.<env>]`"),
        );
    }
    if let Some(time) = values.restore.as_ref().and_then(|r| r.target_time.as_ref())
        && let Err(why) = rules::rfc3339(time)
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                layer.span(&["restore", "target_time"]),
                format!("target_time `{time}` {why}"),
            )
            .with_label("not an RFC 3339 time")
            .with_help("CloudNativePG passes it to PostgreSQL's `recovery_target_time`; a time without an offset, or with a zone name, is refused or read in the server's zone"),
        );
    }
    check_sizes(cx, layer);
    for name in values.parameters.keys() {
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
        if !valid {
            let mut path: Vec<&str> = layer.prefix.iter().map(String::as_str).collect();
            path.extend(["parameters", name]);
            let span = layer.spans.key(&path).map(|range| crate::source::Span {
                file: layer.file,
                range,
            });
            cx.push(
                Diagnostic::error(
                    Code::InvalidName,
                    span,
                    format!("`{name}` is not a PostgreSQL parameter name"),
                )
                .with_label("lowercase letters, digits, `_` and `.` only"),
            );
        }
    }
}

/// What `postgresql.conf` can hold (`pgconf`): the same on every engine, since a value
/// CloudNativePG writes into the file breaks it the same way.
fn conf_parameters(cx: &mut Context<'_>, layer: &LayerRef<'_>) {
    for (name, value) in &layer.layer.parameters {
        let mut path: Vec<&str> = layer.prefix.iter().map(String::as_str).collect();
        path.extend(["parameters", name]);
        let locate = |range| crate::source::Span {
            file: layer.file,
            range,
        };
        if let Err(why) = crate::pgconf::check_name(name) {
            cx.push(
                Diagnostic::error(
                    Code::InvalidName,
                    layer.spans.key(&path).map(locate),
                    format!("parameter `{name}` {why}"),
                )
                .with_label("not a setting")
                .with_help("put the settings themselves in `parameters`"),
            );
        }
        if let Err(why) = crate::pgconf::check_value(name, &value.to_conf_string()) {
            cx.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    layer.spans.value(&path).map(locate),
                    format!("the value of parameter `{name}` {why}"),
                )
                .with_label("postgresql.conf cannot hold this value"),
            );
        }
    }
}

fn backup_values(cx: &mut Context<'_>, layer: &LayerRef<'_>, backup: &crate::spec::BackupLayer) {
    if let Some(retention) = &backup.retention
        && let Err(why) = rules::retention(retention)
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                layer.span(&["backup", "retention"]),
                format!("retention `{retention}` {why}"),
            )
            .with_label("not a retention policy"),
        );
    }
    if let Some(schedule) = &backup.schedule {
        check_schedule(
            cx,
            layer,
            &["backup", "schedule"],
            schedule,
            Some("dbgen adds the leading seconds field CloudNativePG's ScheduledBackup needs"),
        );
    }
    for (field, name) in [
        ("access_key_id_key", &backup.access_key_id_key),
        ("secret_access_key_key", &backup.secret_access_key_key),
    ] {
        if let Some(name) = name
            && (name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)))
        {
            cx.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    layer.span(&["backup", field]),
                    // The value is not repeated: it may be a pasted credential.
                    format!("`{field}` is not a Secret key name"),
                )
                .with_label("letters, digits, `-`, `_` and `.` only")
                .with_help("give the key's name in the Secret, e.g. `SECRET_ACCESS_KEY`, never the key itself"),
            );
        }
    }
    if let Some(destination) = &backup.destination {
        let path = layer.key_path(&["backup", "destination"]);
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        let vars = BTreeMap::from([("env", "env"), ("cluster", "cluster"), ("app", "app")]);
        // The ObjectStore reads `s3Credentials` only, so only S3 (and S3-compatible) stores work.
        if let Some(expanded) = super::platform::placeholders(cx, &path, destination, &vars)
            && let Err(why) = super::upload::s3_url(&expanded)
        {
            cx.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    layer.span(&["backup", "destination"]),
                    format!("destination `{destination}` {why}"),
                )
                .with_label("expected s3://bucket/path")
                .with_help(
                    "Barman Cloud writes to `s3://bucket/path/` (also MinIO and Ceph, with `endpoint`)",
                ),
            );
        }
    }
    if let Some(key) = &backup.credentials_key {
        // `plan` expands the key with these variables only (the Secret serves the cluster).
        let path = layer.key_path(&["backup", "credentials_key"]);
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        let vars = BTreeMap::from([("env", "env"), ("cluster", "cluster")]);
        super::platform::placeholders(cx, &path, key, &vars);
    }
    if let Some(endpoint) = &backup.endpoint
        && let Err(why) = super::upload::http_url(endpoint)
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                layer.span(&["backup", "endpoint"]),
                format!("endpoint `{endpoint}` {why}"),
            )
            .with_label("expected https://host[:port]"),
        );
    }
    if let Some(credentials) = &backup.credentials {
        cx.rule(
            layer.span(&["backup", "credentials"]),
            "credentials Secret name",
            credentials,
            rules::dns1123_subdomain(credentials),
        );
    }
}

fn logical_backup_values(
    cx: &mut Context<'_>,
    layer: &LayerRef<'_>,
    logical: &crate::spec::LogicalBackupLayer,
) {
    at_most(
        cx,
        layer,
        &["logical_backup", "retention_days"],
        logical.retention_days,
        rules::RETENTION_DAYS_MAX,
        "days of retention (10 years)",
    );
    if let Some(schedule) = &logical.schedule {
        check_schedule(cx, layer, &["logical_backup", "schedule"], schedule, None);
    }
    at_least_one(
        cx,
        layer,
        &["logical_backup", "retention_days"],
        logical.retention_days,
        "retention_days must be at least 1",
    );
    if let Some(storage) = &logical.storage {
        check_quantity(cx, layer, &["logical_backup", "storage"], storage);
    }
    if let Some(class) = &logical.storage_class {
        storage_class(cx, layer, &["logical_backup", "storage_class"], class);
    }
    if let Some(key) = &logical.credentials_key {
        let path = layer.key_path(&["logical_backup", "credentials_key"]);
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        super::platform::placeholders(
            cx,
            &path,
            key,
            &BTreeMap::from([("env", "env"), ("cluster", "cluster")]),
        );
    }
    if let Some(upload) = &logical.upload {
        super::upload::values(cx, &layer.key_path(&["logical_backup", "upload"]), upload);
    }
}

/// Checks that need the merged settings: complete backup settings, a restore source
/// with backups, and an operator recent enough for the Barman Cloud plugin.
fn merged_backup(
    cx: &mut Context<'_>,
    env: &str,
    cluster: &str,
    merged: &Merged,
    all: &BTreeMap<(String, String), Merged>,
) {
    let spec = cx.spec();
    let version = spec
        .platform
        .cnpg_version
        .as_deref()
        .map(rules::major_minor);
    let version = match version {
        Some(Ok(v)) => v,
        Some(Err(_)) => return, // reported once by the platform checks
        None => crate::pins::CNPG_VERSION,
    };
    if let Some(backup) = &merged.backup {
        for (field, value) in [
            ("destination", &backup.destination),
            ("credentials", &backup.credentials),
            ("credentials_key", &backup.credentials_key),
        ] {
            if value.is_none() {
                cx.push(
                    Diagnostic::error(
                        Code::MissingKey,
                        backup
                            .table
                            .clone()
                            .or_else(|| cx.key(&["postgres", cluster])),
                        format!("backups of cluster `{cluster}` need `backup.{field}`"),
                    )
                    .with_label(format!("backups turned on here without `{field}`")),
                );
            }
        }
        let shared = cx
            .clusters
            .iter()
            .any(|c| c.key == cluster && c.dedicated_for.is_none());
        if let Some(destination) = &backup.destination
            && shared
            && destination.value.contains("{app}")
        {
            cx.push(
                Diagnostic::error(
                    Code::UnknownPlaceholder,
                    destination.span.clone(),
                    format!("destination `{}` of shared cluster `{cluster}` contains `{{app}}`", destination.value),
                )
                .with_label("a shared cluster holds several apps")
                .with_help("use `{app}` only in `[postgres_defaults]` (dedicated clusters); `{env}` and `{cluster}` work everywhere"),
            );
        }
        if version < defaults::CNPG_PLUGIN_BACKUPS_SINCE {
            cx.push(
                Diagnostic::error(Code::Unsupported, backup.table.clone(), format!("backups use the Barman Cloud plugin, which needs CloudNativePG 1.26 or newer; `platform.cnpg_version` is {}.{}", version.0, version.1))
                    .with_label("plugin backups")
                    .with_help("upgrade the operator and raise `platform.cnpg_version`; dbgen does not emit the deprecated in-tree `barmanObjectStore`"),
            );
        }
    }
    if let Some(logical) = &merged.logical_backup
        && logical.credentials_key.is_none()
    {
        cx.push(
            Diagnostic::error(Code::MissingKey, logical.table.clone().or_else(|| cx.key(&["postgres", cluster])), format!("logical backups of cluster `{cluster}` need `logical_backup.credentials_key`"))
                .with_label("where the backup role's password is read")
                .with_help("the CronJob logs in as `dbgen_backup`, whose password the secret provider reads from `credentials_key` (property or secret `password`)"),
        );
    }
    if let Some(upload) = merged
        .logical_backup
        .as_ref()
        .and_then(|l| l.upload.as_ref())
    {
        let fallback = merged
            .logical_backup
            .as_ref()
            .and_then(|l| l.table.clone())
            .or_else(|| cx.key(&["postgres", cluster]));
        let what = format!("logical backups of cluster `{cluster}`");
        super::upload::missing(cx, upload, &what, fallback);
    }
    if let Some(restore) = &merged.restore {
        let from = &restore.value.from;
        if from == cluster {
            cx.push(
                Diagnostic::error(Code::InvalidValue, restore.span.clone(), format!("cluster `{cluster}` restores from its own backups in environment `{env}`"))
                    .with_label("recovery would read the store this cluster archives into")
                    .with_help(format!("restore into a new cluster: add `[postgres.{cluster}-restored]` with `restore = {{ from = \"{cluster}\" }}`")),
            );
        } else if !cx.clusters.iter().any(|c| &c.key == from) {
            let names: Vec<&str> = cx.clusters.iter().map(|c| c.key.as_str()).collect();
            let span = restore.span.clone();
            cx.unknown_reference(span, "restore source cluster", from, names);
        } else if all
            .get(&(env.to_string(), from.clone()))
            .is_none_or(|m| m.backup.is_none())
        {
            cx.push(
                Diagnostic::error(Code::InvalidValue, restore.span.clone(), format!("cluster `{cluster}` restores from `{from}`, which has no backups in environment `{env}`"))
                    .with_label("nothing to restore from")
                    .with_help(format!("configure `[postgres.{from}.backup]` for `{env}`")),
            );
        }
    }
}

fn at_most(
    cx: &mut Context<'_>,
    layer: &LayerRef<'_>,
    field: &[&str],
    value: Option<u32>,
    max: u32,
    what: &str,
) {
    if let Some(value) = value.filter(|v| *v > max) {
        cx.push(
            Diagnostic::error(
                Code::OutOfRange,
                layer.span(field),
                format!(
                    "`{}` is {value}; dbgen accepts at most {max} {what}",
                    layer.key_path(field).join(".")
                ),
            )
            .with_label(format!("more than {max}")),
        );
    }
}

/// Merges the layers of every (environment, cluster) pair and checks the result.
pub(super) fn merge_all(cx: &mut Context<'_>) -> BTreeMap<(String, String), Merged> {
    let spec = cx.spec();
    let defaults = defaults::layer();
    let mut all = BTreeMap::new();
    let clusters = cx.clusters;
    let mut reported = std::collections::BTreeSet::new();
    let mut over_limit = Vec::new();
    for (env, environment) in &spec.environments {
        for entry in clusters.iter().filter(|c| c.in_env(env)) {
            let table = entry.spec.layer();
            let mut layers = Vec::new();
            if let Some(overrides) = entry.spec.env.get(env) {
                layers.push(env_ref(cx, entry, env, overrides));
            }
            layers.push(cluster_ref(cx, entry, &table));
            let profile = layers
                .iter()
                .find_map(|l| l.layer.profile.clone())
                .or_else(|| environment.profile.clone());
            if let Some(profile) = profile.as_deref().and_then(|p| cx.profiles.get(p)) {
                layers.push(profile.clone());
            }
            let production = environment
                .production
                .unwrap_or_else(|| defaults::PRODUCTION_ENVIRONMENTS.contains(&env.as_str()));
            super::parameters::check(
                cx,
                &layers,
                entry.spec.engine,
                &entry.spec.version,
                &mut reported,
            );
            let merged = merge(&layers, &defaults, production);
            if production && merged.reclaim_policy.value == crate::spec::ReclaimPolicy::Delete {
                cx.push(
                    Diagnostic::error(Code::InvalidValue, merged.reclaim_policy.span.clone(), format!("{} would drop databases and roles removed from the spec in production environment `{env}`", entry.describe()))
                        .with_label(format!("`delete`, from {}", merged.reclaim_policy.origin))
                        .with_help(format!("production keeps data: set `reclaim_policy = \"delete\"` only under `[postgres.<cluster>.env.<env>]` of non-production environments, or mark `{env}` with `production = false`")),
                );
            }
            requests_within_limits(
                cx,
                &entry.describe(),
                env,
                &merged.requests,
                &merged.limits,
                &mut over_limit,
            );
            all.insert((env.clone(), entry.key.clone()), merged);
        }
    }
    for ((env, cluster), merged) in &all {
        merged_backup(cx, env, cluster, merged, &all);
    }
    all
}
