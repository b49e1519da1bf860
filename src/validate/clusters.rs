//! Checks of `[postgres.*]` clusters and of every size layer, and the per-environment
//! merge whose cross-field rules (requests ≤ limits) need all layers at once.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::context::Context;
use super::layer::{LayerRef, Merged, MergedCompute, merge};
use super::rules;
use crate::defaults;
use crate::diagnostic::Diagnostic;

/// CNPG's webhook limit: the cluster name prefixes pod, PVC and Service names.
const CNPG_CLUSTER_NAME_MAX: usize = 50;

pub(super) fn check(cx: &mut Context<'_>) {
    let profiles: Vec<LayerRef<'_>> = cx.profiles.iter().map(|(_, l)| l.clone()).collect();
    for profile in &profiles {
        layer(cx, profile, true);
    }
    let spec = cx.spec();
    for (name, cluster) in &spec.postgres {
        cx.rule(
            cx.key(&["postgres", name]),
            "cluster name",
            name,
            rules::dns1035_label(name, CNPG_CLUSTER_NAME_MAX),
        );
        if cluster.image.is_none()
            && let Err(why) = rules::pg_version(&cluster.version)
        {
            cx.push(
                Diagnostic::error(
                    "invalid-version",
                    cx.at(&["postgres", name, "version"]),
                    format!("version `{}`: {why}", cluster.version),
                )
                .with_label("unsupported version"),
            );
        }
        let table = cluster.layer();
        layer(cx, &cluster_ref(cx, name, &table), false);
        for env in cluster.env.keys() {
            if !spec.environments.contains_key(env) {
                let names: Vec<&str> = spec.environments.keys().map(String::as_str).collect();
                cx.unknown_reference(
                    cx.key(&["postgres", name, "env", env]),
                    "environment",
                    env,
                    names,
                );
            }
        }
        for (env, overrides) in &cluster.env {
            layer(cx, &env_ref(cx, name, env, overrides), false);
        }
        if !spec
            .apps
            .values()
            .any(|a| a.postgres.as_deref() == Some(name.as_str()))
        {
            cx.push(
                Diagnostic::warning(
                    "unused-cluster",
                    cx.key(&["postgres", name]),
                    format!("no app uses cluster `{name}`"),
                )
                .with_label("rendered, but no app has a database here"),
            );
        }
    }
}

fn cluster_ref<'a>(cx: &Context<'a>, name: &str, table: &'a crate::spec::Layer) -> LayerRef<'a> {
    LayerRef {
        layer: table,
        file: cx.doc.file,
        spans: &cx.doc.spans,
        prefix: vec!["postgres".into(), name.into()],
        description: format!("cluster `{name}`"),
    }
}

fn env_ref<'a>(
    cx: &Context<'a>,
    name: &str,
    env: &str,
    layer: &'a crate::spec::Layer,
) -> LayerRef<'a> {
    LayerRef {
        layer,
        file: cx.doc.file,
        spans: &cx.doc.spans,
        prefix: vec!["postgres".into(), name.into(), "env".into(), env.into()],
        description: format!("cluster `{name}` in environment `{env}`"),
    }
}

/// Checks the values one layer sets, wherever it is used.
fn layer(cx: &mut Context<'_>, layer: &LayerRef<'_>, is_profile: bool) {
    let values = layer.layer;
    if let Some(profile) = &values.profile {
        if is_profile {
            cx.push(
                Diagnostic::error(
                    "invalid-value",
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
                "invalid-value",
                layer.span(&["instances"]),
                "a cluster needs at least 1 instance",
            )
            .with_label("0 instances"),
        );
    }
    if let Some(pooler) = &values.pooler {
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
                    "out-of-range",
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
    if let Some(backup) = &values.backup {
        backup_values(cx, layer, backup);
    }
    if is_profile && values.restore.is_some() {
        cx.push(
            Diagnostic::error(
                "invalid-value",
                layer.span(&["restore"]),
                format!("{} sets `restore`", layer.description),
            )
            .with_label("restore belongs to a cluster or one of its environments")
            .with_help("move it to `[postgres.<cluster>.env.<env>]`"),
        );
    }
    if let Some(storage) = &values.storage {
        quantity(cx, layer, &["storage"], storage);
    }
    if let Some(class) = &values.storage_class {
        cx.rule(
            layer.span(&["storage_class"]),
            "storage class",
            class,
            rules::dns1123_subdomain(class),
        );
    }
    for side in ["requests", "limits"] {
        let compute = values.resources.as_ref().and_then(|r| {
            if side == "requests" {
                r.requests.as_ref()
            } else {
                r.limits.as_ref()
            }
        });
        if let Some(cpu) = compute.and_then(|c| c.cpu.as_ref()) {
            quantity(cx, layer, &["resources", side, "cpu"], cpu);
        }
        if let Some(memory) = compute.and_then(|c| c.memory.as_ref()) {
            quantity(cx, layer, &["resources", side, "memory"], memory);
        }
    }
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
                    "invalid-name",
                    span,
                    format!("`{name}` is not a PostgreSQL parameter name"),
                )
                .with_label("lowercase letters, digits, `_` and `.` only"),
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
                "invalid-value",
                layer.span(&["backup", "retention"]),
                format!("retention `{retention}` {why}"),
            )
            .with_label("not a retention policy"),
        );
    }
    if let Some(schedule) = &backup.schedule
        && let Err(why) = rules::cron_with_seconds(schedule)
    {
        cx.push(
            Diagnostic::error(
                "invalid-schedule",
                layer.span(&["backup", "schedule"]),
                format!("schedule `{schedule}` {why}"),
            )
            .with_label("not a 5-field cron expression"),
        );
    }
    if let Some(destination) = &backup.destination
        && !["s3://", "gs://", "https://"]
            .iter()
            .any(|p| destination.starts_with(p))
    {
        cx.push(
            Diagnostic::error(
                "invalid-value",
                layer.span(&["backup", "destination"]),
                format!("destination `{destination}` is not an object store URL"),
            )
            .with_label("expected s3://bucket/path")
            .with_help(
                "Barman Cloud writes to `s3://bucket/path/` (also MinIO and Ceph, with `endpoint`)",
            ),
        );
    }
    if let Some(endpoint) = &backup.endpoint
        && !(endpoint.starts_with("https://") || endpoint.starts_with("http://"))
    {
        cx.push(
            Diagnostic::error(
                "invalid-value",
                layer.span(&["backup", "endpoint"]),
                format!("endpoint `{endpoint}` is not an http(s) URL"),
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
        None => defaults::CNPG_VERSION,
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
                        "missing-key",
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
        if spec.secrets.provider != crate::spec::SecretProvider::ExternalSecrets {
            cx.push(
                Diagnostic::error("unsupported", backup.table.clone(), format!("backups of cluster `{cluster}` need their S3 credentials from External Secrets; the `{}` provider cannot deliver them yet", spec.secrets.provider.as_str()))
                    .with_label("backup credentials")
                    .with_help("use `provider = \"external-secrets\"`, or leave backups off for now"),
            );
        }
        if version < defaults::CNPG_PLUGIN_BACKUPS_SINCE {
            cx.push(
                Diagnostic::error("unsupported", backup.table.clone(), format!("backups use the Barman Cloud plugin, which needs CloudNativePG 1.26 or newer; `platform.cnpg_version` is {}.{}", version.0, version.1))
                    .with_label("plugin backups")
                    .with_help("upgrade the operator and raise `platform.cnpg_version`; dbgen does not emit the deprecated in-tree `barmanObjectStore`"),
            );
        }
    }
    if let Some(restore) = &merged.restore {
        let from = &restore.value.from;
        if !spec.postgres.contains_key(from) {
            let names: Vec<&str> = spec.postgres.keys().map(String::as_str).collect();
            let span = restore.span.clone();
            cx.unknown_reference(span, "restore source cluster", from, names);
        } else if all
            .get(&(env.to_string(), from.clone()))
            .is_none_or(|m| m.backup.is_none())
        {
            cx.push(
                Diagnostic::error("invalid-value", restore.span.clone(), format!("cluster `{cluster}` restores from `{from}`, which has no backups in environment `{env}`"))
                    .with_label("nothing to restore from")
                    .with_help(format!("configure `[postgres.{from}.backup]` for `{env}`")),
            );
        }
    }
}

fn at_least_one(
    cx: &mut Context<'_>,
    layer: &LayerRef<'_>,
    field: &[&str],
    value: Option<u32>,
    message: &str,
) {
    if value == Some(0) {
        cx.push(Diagnostic::error("out-of-range", layer.span(field), message).with_label("0"));
    }
}

fn quantity(cx: &mut Context<'_>, layer: &LayerRef<'_>, field: &[&str], value: &str) {
    if let Err(help) = rules::quantity(value) {
        let what = layer.key_path(field).join(".");
        cx.push(
            Diagnostic::error(
                "invalid-quantity",
                layer.span(field),
                format!("`{value}` is not a Kubernetes quantity (`{what}`)"),
            )
            .with_label("invalid quantity")
            .with_help(help),
        );
    }
}

/// Merges the layers of every (environment, cluster) pair and checks the result.
pub(super) fn merge_all(cx: &mut Context<'_>) -> BTreeMap<(String, String), Merged> {
    let spec = cx.spec();
    let defaults = defaults::layer();
    let mut all = BTreeMap::new();
    for (env, environment) in &spec.environments {
        for (name, cluster) in &spec.postgres {
            let table = cluster.layer();
            let mut layers = Vec::new();
            if let Some(overrides) = cluster.env.get(env) {
                layers.push(env_ref(cx, name, env, overrides));
            }
            layers.push(cluster_ref(cx, name, &table));
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
            let merged = merge(&layers, &defaults, production);
            requests_within_limits(cx, &merged.requests, &merged.limits);
            all.insert((env.clone(), name.clone()), merged);
        }
    }
    for ((env, cluster), merged) in &all {
        merged_backup(cx, env, cluster, merged, &all);
    }
    all
}

fn requests_within_limits(cx: &mut Context<'_>, requests: &MergedCompute, limits: &MergedCompute) {
    for (what, request, limit) in [
        ("cpu", &requests.cpu, &limits.cpu),
        ("memory", &requests.memory, &limits.memory),
    ] {
        let (Some(request), Some(limit)) = (request, limit) else {
            continue;
        };
        let (Ok(r), Ok(l)) = (
            rules::quantity(&request.value),
            rules::quantity(&limit.value),
        ) else {
            continue;
        };
        if r > l {
            // Point at the value the user wrote in the spec; the other one is the note.
            let in_spec =
                |s: &Option<crate::source::Span>| s.as_ref().is_some_and(|s| s.file == cx.doc.file);
            let (primary, other, primary_is) = if in_spec(&request.span) || !in_spec(&limit.span) {
                (request, limit, "request")
            } else {
                (limit, request, "limit")
            };
            let other_is = if primary_is == "request" {
                "limit"
            } else {
                "request"
            };
            let mut diagnostic = Diagnostic::error(
                "request-exceeds-limit",
                primary.span.clone(),
                format!("{what} request `{}` is larger than its limit `{}`", request.value, limit.value),
            )
            .with_label(format!("{primary_is}, from {}", primary.origin))
            .with_help("Kubernetes rejects a Pod whose request exceeds its limit; raise the limit or lower the request");
            if let Some(span) = &other.span {
                let note = format!("the {other_is} comes from {}", other.origin);
                diagnostic = diagnostic.with_related(span.clone(), note);
            } else {
                let _ = write!(diagnostic.label, "; the {other_is} is {}", other.origin);
            }
            cx.push(diagnostic);
        }
    }
}
