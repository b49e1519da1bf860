//! Checks of engine `statefulset` (a plain `StatefulSet`, no operator), and of the keys that
//! only operator-less engines read (`credentials_key`, `independent_instances`).
//!
//! Input: every cluster entry, its own tables (cluster, `env.<name>`) and the profiles it
//! uses, and the apps on it. Output: diagnostics at the value that asks for something the
//! engine cannot do: settings only CloudNativePG implements (pooler, Barman backups,
//! restore, `reclaim_policy = "delete"`, alert thresholds), more than one instance written
//! in the cluster's own tables, parameters dbgen manages, TLS in connection strings.
//! Invariant: nothing is silently ignored, except a profile's `instances` (profiles size
//! CloudNativePG clusters too; the engine then still runs one primary, see README).

use std::collections::BTreeMap;

use super::context::Context;
use super::layer::LayerRef;
use super::platform::{folder_path, placeholders};
use super::rules;
use super::topology::{self, ClusterEntry};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::owned::{JOB_NAME_EXTRA, MANAGED_PARAMETERS};
use crate::source::Span;
use crate::spec::{Engine, Layer, Monitoring, ReclaimPolicy, SecretProvider, SslMode};

/// Kubernetes label values, which a Job's name becomes on its pods, have at most 63 characters.
const LABEL_VALUE_MAX: usize = 63;

/// Diagnostics already pushed: dedicated clusters share the `[postgres_defaults]` table, so
/// the same value would otherwise be reported once per app.
#[derive(Default)]
struct Reported(Vec<(Option<Span>, String)>);

impl Reported {
    fn push(&mut self, cx: &mut Context<'_>, diagnostic: Diagnostic) {
        let key = (diagnostic.span.clone(), diagnostic.message.clone());
        if !self.0.contains(&key) {
            self.0.push(key);
            cx.push(diagnostic);
        }
    }
}

pub(super) fn check(cx: &mut Context<'_>) {
    let mut reported = Reported::default();
    for entry in cx.clusters {
        keys(cx, entry, &mut reported);
        if entry.spec.engine == Engine::Statefulset {
            statefulset(cx, entry, &mut reported);
        }
    }
}

fn at<'e>(entry: &'e ClusterEntry, field: &'e str) -> Vec<&'e str> {
    let mut path: Vec<&str> = entry.prefix.iter().map(String::as_str).collect();
    path.push(field);
    path
}

/// `credentials_key` and `independent_instances`, by engine.
fn keys(cx: &mut Context<'_>, entry: &ClusterEntry, reported: &mut Reported) {
    let engine = entry.spec.engine;
    let prefix: Vec<&str> = entry.prefix.iter().map(String::as_str).collect();
    match (&entry.spec.credentials_key, engine) {
        (Some(_), Engine::Cnpg) => reported.push(
            cx,
            Diagnostic::error(
                Code::Unsupported,
                cx.at(&at(entry, "credentials_key")),
                "`credentials_key` is for engines without an operator; CloudNativePG makes its own superuser",
            )
            .with_label("not read by engine `cnpg`")
            .with_help("remove it"),
        ),
        (None, Engine::Statefulset) => reported.push(
            cx,
            Diagnostic::error(
                Code::MissingKey,
                cx.key(&prefix),
                format!("{} (engine `statefulset`) needs `credentials_key`", entry.describe()),
            )
            .with_label("no administrator password source")
            .with_help("set `credentials_key` to where the secret provider reads `admin-password`, e.g. `databases/{env}/{cluster}`"),
        ),
        (Some(key), Engine::Statefulset) => {
            let mut vars = BTreeMap::from([("env", "env"), ("cluster", "cluster")]);
            if entry.dedicated_for.is_some() {
                vars.insert("app", "app");
            }
            placeholders(cx, &at(entry, "credentials_key"), key, &vars);
            if cx.spec().secrets.provider == SecretProvider::Infisical
                && let Err(why) = folder_path(key)
            {
                reported.push(
                    cx,
                    Diagnostic::error(
                        Code::InvalidValue,
                        cx.at(&at(entry, "credentials_key")),
                        format!("Infisical folder `{key}` {why}"),
                    )
                    .with_label("not an Infisical folder path")
                    .with_help("with Infisical, `credentials_key` is the folder holding the secret `admin-password`, e.g. `/postgres/{cluster}`"),
                );
            }
        }
        // `validate::bitnami` checks its own engine's key.
        (_, Engine::Bitnami) | (None, Engine::Cnpg) => {}
    }
    if entry.spec.independent_instances.is_some() && engine != Engine::Statefulset {
        reported.push(
            cx,
            Diagnostic::error(
                Code::Unsupported,
                cx.at(&at(entry, "independent_instances")),
                "`independent_instances` only applies to engine `statefulset`",
            )
            .with_label("CloudNativePG instances are replicas of one primary"),
        );
    }
}

fn statefulset(cx: &mut Context<'_>, entry: &ClusterEntry, reported: &mut Reported) {
    if entry.spec.image.is_some()
        && let Err(why) = rules::pg_version(&entry.spec.version)
    {
        reported.push(
            cx,
            Diagnostic::error(
                Code::InvalidVersion,
                cx.at(&at(entry, "version")),
                format!("version `{}`: {why}", entry.spec.version),
            )
            .with_label("the statefulset engine reads the major version from here")
            .with_help(
                "give the version of `image`: PostgreSQL 18 and newer keep their data elsewhere",
            ),
        );
    }
    let independent = entry.spec.independent_instances == Some(true);
    let table = entry.spec.layer();
    let mut layers = vec![(table_ref(cx, entry, &table, None), true)];
    for (env, layer) in &entry.spec.env {
        layers.push((table_ref(cx, entry, layer, Some(env)), true));
    }
    let mut profiles: Vec<String> = layers
        .iter()
        .filter_map(|(l, _)| l.layer.profile.clone())
        .collect();
    profiles.extend(
        cx.spec()
            .environments
            .iter()
            .filter(|(env, _)| entry.in_env(env))
            .filter_map(|(_, e)| e.profile.clone()),
    );
    for profile in profiles {
        if let Some(layer) = cx.profiles.get(&profile) {
            layers.push((layer.clone(), false));
        }
    }
    let dumps = layers.iter().any(|(l, _)| {
        l.layer
            .logical_backup
            .as_ref()
            .is_some_and(|b| b.enabled != Some(false))
    });
    if independent && dumps {
        reported.push(
            cx,
            Diagnostic::error(
                Code::Unsupported,
                cx.at(&at(entry, "independent_instances")),
                format!("{} has independent instances and logical backups", entry.describe()),
            )
            .with_label("each nightly dump would read whichever server the Service picks")
            .with_help("drop `independent_instances` (one primary), or turn `logical_backup` off for this cluster"),
        );
    }
    for (layer, own) in &layers {
        cnpg_only(cx, entry, layer, reported);
        if *own {
            instances(cx, entry, layer, independent, reported);
        }
    }
    name_length(cx, entry, reported);
    ssl(cx, entry, reported);
}

fn table_ref<'a>(
    cx: &Context<'a>,
    entry: &ClusterEntry,
    layer: &'a Layer,
    env: Option<&str>,
) -> LayerRef<'a> {
    let mut prefix = entry.prefix.clone();
    let mut description = entry.describe();
    if let Some(env) = env {
        prefix.extend(["env".to_string(), env.to_string()]);
        description = format!("{description} in environment `{env}`");
    }
    LayerRef {
        layer,
        file: cx.doc.file,
        spans: &cx.doc.spans,
        prefix,
        description,
    }
}

/// Settings the statefulset engine has no way to honour.
fn cnpg_only(
    cx: &mut Context<'_>,
    entry: &ClusterEntry,
    layer: &LayerRef<'_>,
    reported: &mut Reported,
) {
    let values = layer.layer;
    let unsupported = |field: &str, what: &str, help: &str| {
        Diagnostic::error(
            Code::Unsupported,
            layer.span(&[field]),
            format!(
                "{} uses engine `statefulset`, which has no {what}",
                entry.describe()
            ),
        )
        .with_label(format!("set in {}", layer.description))
        .with_help(help.to_string())
    };
    if values
        .pooler
        .as_ref()
        .is_some_and(|p| p.enabled != Some(false))
    {
        reported.push(
            cx,
            unsupported(
                "pooler",
                "PgBouncer pooler",
                "remove `pooler`, or use engine `cnpg`",
            ),
        );
    }
    if values
        .backup
        .as_ref()
        .is_some_and(|b| b.enabled != Some(false))
    {
        reported.push(cx, unsupported("backup", "WAL archiving to an object store", "use `logical_backup` (nightly pg_dump), or engine `cnpg` for point-in-time recovery"));
    }
    if values.restore.is_some() {
        reported.push(
            cx,
            unsupported(
                "restore",
                "point-in-time recovery",
                "restore a `logical_backup` dump with pg_restore, or use engine `cnpg`",
            ),
        );
    }
    if values.reclaim_policy == Some(ReclaimPolicy::Delete) {
        reported.push(cx, unsupported("reclaim_policy", "way to drop databases removed from the spec", "the provisioning Job only creates; drop unused databases by hand and remove `reclaim_policy`"));
    }
    if let Some(Monitoring::Settings(settings)) = &values.monitoring {
        for (field, value) in [
            ("replication_lag_seconds", settings.replication_lag_seconds),
            ("connections_percent", settings.connections_percent),
            ("backup_age_hours", settings.backup_age_hours),
        ] {
            if value.is_some() {
                reported.push(
                    cx,
                    Diagnostic::error(
                        Code::Unsupported,
                        layer.span(&["monitoring", field]),
                        format!("{} uses engine `statefulset`, for which dbgen renders no alert rules", entry.describe()),
                    )
                    .with_label("alert threshold")
                    .with_help("the metrics exporter and PodMonitor are rendered; write alerts for postgres-exporter's metrics yourself, and keep `monitoring = true`"),
                );
            }
        }
    }
    for name in values.parameters.keys() {
        if MANAGED_PARAMETERS.contains(&name.as_str()) {
            let mut path: Vec<&str> = layer.prefix.iter().map(String::as_str).collect();
            path.extend(["parameters", name]);
            let span = layer.spans.key(&path).map(|range| Span {
                file: layer.file,
                range,
            });
            reported.push(
                cx,
                Diagnostic::error(
                    Code::InvalidValue,
                    span,
                    format!("parameter `{name}` is set by dbgen for engine `statefulset`"),
                )
                .with_label("managed by dbgen")
                .with_help(
                    "the probes, Services and the image's entrypoint depend on it; remove it",
                ),
            );
        }
    }
}

/// More than one instance, written in the cluster's own tables, without asking for
/// independent servers.
fn instances(
    cx: &mut Context<'_>,
    entry: &ClusterEntry,
    layer: &LayerRef<'_>,
    independent: bool,
    reported: &mut Reported,
) {
    let Some(count) = layer.layer.instances.filter(|n| *n > 1) else {
        return;
    };
    if independent {
        return;
    }
    reported.push(
        cx,
        Diagnostic::error(
            Code::Unsupported,
            layer.span(&["instances"]),
            format!("{} asks for {count} instances, but a plain StatefulSet does not replicate", entry.describe()),
        )
        .with_label("engine `statefulset` runs one primary")
        .with_help("for replicas and failover use engine `cnpg`; for that many unrelated servers set `independent_instances = true`; else remove `instances`"),
    );
}

/// The provisioning Job is `<cluster>-provision-<hash>`, and a Job's name is a label value.
fn name_length(cx: &mut Context<'_>, entry: &ClusterEntry, reported: &mut Reported) {
    let max = LABEL_VALUE_MAX - JOB_NAME_EXTRA;
    for env in cx.spec().environments.keys().filter(|e| entry.in_env(e)) {
        let Ok(name) = entry.name(env) else { continue };
        if name.len() > max {
            let span = cx
                .at(&at(entry, "name"))
                .or_else(|| cx.key(&entry.prefix.iter().map(String::as_str).collect::<Vec<_>>()));
            reported.push(
                cx,
                Diagnostic::error(
                    Code::InvalidName,
                    span,
                    format!("cluster name `{name}` (in environment `{env}`) is longer than {max} characters"),
                )
                .with_label("too long for engine `statefulset`")
                .with_help(format!("the provisioning Job is named `<cluster>-provision-<hash>`, at most {LABEL_VALUE_MAX} characters")),
            );
        }
    }
}

/// The official image serves no TLS, so a connection string that requires it cannot work.
fn ssl(cx: &mut Context<'_>, entry: &ClusterEntry, reported: &mut Reported) {
    for (key, app) in &cx.spec().apps {
        if topology::app_cluster(key, app) != Some(entry.key.as_str()) {
            continue;
        }
        if let Some(mode @ (SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull)) =
            app.sslmode
        {
            reported.push(
                cx,
                Diagnostic::error(
                    Code::Unsupported,
                    cx.at(&["apps", key, "sslmode"]),
                    format!(
                        "app `{key}` requires TLS (`{}`), but engine `statefulset` serves none",
                        mode.as_str()
                    ),
                )
                .with_label("connections would be refused")
                .with_help("use `prefer` or `disable`, or engine `cnpg`, which serves TLS"),
            );
        }
    }
}
