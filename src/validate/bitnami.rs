//! Checks of clusters on engine `bitnami` (the `postgresql-ha` chart): what the chart needs
//! (`credentials_key`, the chart's PostgreSQL version, a secret provider that can join the
//! app passwords for Pgpool) and every setting it cannot honour, each reported at the value
//! that asks for it; plus the `bitnami-images` warning.
//!
//! Input: the context and every environment × cluster's merged settings.
//! Output: diagnostics only. Invariant: a `Checked` spec never holds a `bitnami` cluster
//! with a setting `plan::bitnami` would have to drop.

use std::collections::{BTreeMap, BTreeSet};

use super::context::Context;
use super::topology::ClusterEntry;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Merged;
use crate::pins::{
    BITNAMI_POSTGRESQL_HA_CHART as CHART, BITNAMI_POSTGRESQL_HA_CHART_VERSION as CHART_VERSION,
    BITNAMI_POSTGRESQL_HA_POSTGRES_VERSION as POSTGRES_VERSION,
};
use crate::source::Span;
use crate::spec::{Engine, Monitoring, ReclaimPolicy, SecretProvider};

/// Settings of a layer the chart has no place for, with why and what to do instead.
const UNSUPPORTED: [(&[&str], &str, &str); 6] = [
    (
        &["backup"],
        "continuous backups use CloudNativePG's Barman Cloud plugin",
        "use `engine = \"cnpg\"` for object-store backups",
    ),
    (
        &["restore"],
        "point-in-time recovery needs CloudNativePG backups",
        "use `engine = \"cnpg\"` to restore from a backup",
    ),
    (
        &["pooler", "mode"],
        "Pgpool-II, not PgBouncer, pools this chart's connections",
        "only `pooler.instances` (Pgpool replicas) applies to engine `bitnami`",
    ),
    (
        &["pooler", "max_client_conn"],
        "Pgpool-II, not PgBouncer, pools this chart's connections",
        "only `pooler.instances` (Pgpool replicas) applies to engine `bitnami`",
    ),
    (
        &["pooler", "default_pool_size"],
        "Pgpool-II, not PgBouncer, pools this chart's connections",
        "only `pooler.instances` (Pgpool replicas) applies to engine `bitnami`",
    ),
    (
        &["reclaim_policy"],
        "databases are created by a provisioning Job that never drops them",
        "remove `reclaim_policy = \"delete\"`; apps removed from the spec keep their databases",
    ),
];

/// Alert thresholds belong to the CloudNativePG PrometheusRule dbgen renders.
const THRESHOLDS: [&str; 3] = [
    "replication_lag_seconds",
    "connections_percent",
    "backup_age_hours",
];

pub(super) fn check(cx: &mut Context<'_>, merged: &BTreeMap<(String, String), Merged>) {
    images_setting(cx);
    let clusters = cx.clusters;
    let bitnami: Vec<&ClusterEntry> = clusters
        .iter()
        .filter(|c| c.spec.engine == Engine::Bitnami)
        .collect();
    if bitnami.is_empty() {
        return;
    }
    images_warning(cx, &bitnami);
    let mut reported = BTreeSet::new();
    for entry in bitnami {
        cluster(cx, entry);
        for ((_, key), settings) in merged {
            if key == &entry.key {
                merged_settings(cx, entry, settings, &mut reported);
            }
        }
        readonly_apps(cx, entry);
    }
}

/// `[bitnami] images`: `bitnamilegacy`, or `<registry>[/<path>]` of a mirror; never a URL,
/// a tag or a digest (the tags stay the chart's own).
fn images_setting(cx: &mut Context<'_>) {
    let Some(images) = cx.spec().bitnami.as_ref().and_then(|b| b.images.clone()) else {
        return;
    };
    if let Err(why) = image_source(&images) {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                cx.at(&["bitnami", "images"]),
                format!("`images = \"{images}\"` {why}"),
            )
            .with_label("not a registry or repository prefix")
            .with_help(
                "write `bitnamilegacy`, or a mirror as `<registry>[/<path>]`, e.g. `registry.example.com/bitnami`",
            ),
        );
    }
}

/// Checks an `images` value the way `ImageSource::parse` reads it.
fn image_source(images: &str) -> Result<(), String> {
    if images.is_empty() {
        return Err("is empty".to_string());
    }
    if images.contains("://") {
        return Err("is a URL; image references have no scheme".to_string());
    }
    if let Some(c) = images
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | ':')))
    {
        return Err(format!("contains `{c}`, which an image reference cannot"));
    }
    let mut segments = images.trim_end_matches('/').split('/');
    let first = segments.next().unwrap_or_default();
    if let Some((_, port)) = first.split_once(':')
        && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("carries a tag; the chart's own tags are kept".to_string());
    }
    let registry = first.contains('.') || first.contains(':') || first == "localhost";
    let path: Vec<&str> = if registry {
        segments.collect()
    } else {
        std::iter::once(first).chain(segments).collect()
    };
    if path.iter().any(|s| s.is_empty()) {
        return Err("has an empty path segment (`//`)".to_string());
    }
    if path.iter().any(|s| s.contains(':')) {
        return Err("carries a tag; the chart's own tags are kept".to_string());
    }
    if path
        .iter()
        .any(|s| s.chars().any(|c| c.is_ascii_uppercase()))
    {
        return Err("has upper-case letters in its repository path".to_string());
    }
    Ok(())
}

/// Prefix of `entry`'s table plus `field`.
fn at(entry: &ClusterEntry, field: &[&str]) -> Vec<String> {
    let mut path = entry.prefix.clone();
    path.extend(field.iter().map(|s| (*s).to_string()));
    path
}

fn span(cx: &Context<'_>, path: &[String]) -> Option<Span> {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    cx.at(&path)
}

/// The span of `engine = "bitnami"`, where cluster-wide problems point.
fn engine_span(cx: &Context<'_>, entry: &ClusterEntry) -> Option<Span> {
    span(cx, &at(entry, &["engine"])).or_else(|| cx.key(&["postgres", &entry.key]))
}

fn cluster(cx: &mut Context<'_>, entry: &ClusterEntry) {
    let spec = cx.spec();
    match &entry.spec.credentials_key {
        None => cx.push(
            Diagnostic::error(
                Code::MissingKey,
                engine_span(cx, entry),
                format!("{} on engine `bitnami` needs `credentials_key`", entry.describe()),
            )
            .with_label("no operator creates the administrator passwords")
            .with_help(
                "set `credentials_key` to where the secret provider reads `admin-password`, \
                 `replication-password` and `pgpool-admin-password`, e.g. \"infrastructure/postgresql\"",
            ),
        ),
        Some(key) => {
            let path = at(entry, &["credentials_key"]);
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            super::platform::placeholders(
                cx,
                &path,
                key,
                &BTreeMap::from([("env", "env"), ("cluster", "cluster")]),
            );
        }
    }
    if entry.spec.version != POSTGRES_VERSION {
        cx.push(
            Diagnostic::error(
                Code::InvalidVersion,
                span(cx, &at(entry, &["version"])),
                format!(
                    "engine `bitnami` runs PostgreSQL {POSTGRES_VERSION}, not `{}`",
                    entry.spec.version
                ),
            )
            .with_label(format!("the pinned chart {CHART} {CHART_VERSION} ships PostgreSQL {POSTGRES_VERSION}"))
            .with_help(format!("set `version = \"{POSTGRES_VERSION}\"`, or use `engine = \"cnpg\"` for another version")),
        );
    }
    if entry.spec.image.is_some() {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                span(cx, &at(entry, &["image"])),
                "engine `bitnami` takes its images from the chart",
            )
            .with_label("not used by the chart")
            .with_help("remove `image`; `[bitnami] images` moves every image of the chart to `bitnamilegacy` or a mirror"),
        );
    }
    if spec.secrets.provider == SecretProvider::Infisical {
        let mut diagnostic = Diagnostic::error(
            Code::Unsupported,
            engine_span(cx, entry),
            "engine `bitnami` cannot take its Pgpool users from Infisical",
        )
        .with_label("Pgpool needs every app password joined into one Secret");
        if let Some(provider) = cx.at(&["secrets", "provider"]) {
            diagnostic = diagnostic.with_related(provider, "the provider is Infisical here");
        }
        cx.push(diagnostic.with_help(
            "Infisical templates see one folder's secrets by name, and every app's password \
                 has the same name in its own folder, so they cannot be joined; use \
                 `provider = \"external-secrets\"`, or `engine = \"cnpg\"`",
        ));
    }
}

/// Warns once, at the first `bitnami` cluster, when `[bitnami] images` is missing.
fn images_warning(cx: &mut Context<'_>, bitnami: &[&ClusterEntry]) {
    let spec = cx.spec();
    if spec.bitnami.as_ref().is_some_and(|b| b.images.is_some()) {
        return;
    }
    let Some(first) = bitnami.first() else { return };
    cx.push(
        Diagnostic::warning(
            Code::BitnamiImages,
            engine_span(cx, first),
            "the Bitnami chart's default images no longer exist on `docker.io/bitnami`",
        )
        .with_label("pods of this chart would fail to pull their images")
        .with_help(
            "since August 2025 the versioned images live under `docker.io/bitnamilegacy` (frozen, \
             no more updates): add `[bitnami]` with `images = \"bitnamilegacy\"` or \
             `images = \"<your mirror registry>\"`; for the long term, move to \
             `engine = \"cnpg\"` (CloudNativePG, operator-managed images and backups)",
        ),
    );
}

/// Settings merged into an environment that the chart cannot honour, reported at the
/// table that wrote them (the environment's, else the cluster's, else its key).
fn merged_settings(
    cx: &mut Context<'_>,
    entry: &ClusterEntry,
    merged: &Merged,
    reported: &mut BTreeSet<String>,
) {
    let envs: Vec<String> = entry.spec.env.keys().cloned().collect();
    let mut offending: Vec<(&[&str], &str, &str)> = Vec::new();
    for (field, why, help) in UNSUPPORTED {
        let active = match field[0] {
            "backup" => merged.backup.is_some(),
            "restore" => merged.restore.is_some(),
            "reclaim_policy" => merged.reclaim_policy.value == ReclaimPolicy::Delete,
            // Pooler keys are checked where written: the merge does not keep their spans.
            _ => true,
        };
        if active {
            offending.push((field, why, help));
        }
    }
    for (field, why, help) in offending {
        let mut spans: Vec<Option<Span>> = envs
            .iter()
            .map(|env| span(cx, &at(entry, &[&["env", env.as_str()], field].concat())))
            .collect();
        spans.push(span(cx, &at(entry, field)));
        let written: Vec<Span> = spans.into_iter().flatten().collect();
        if written.is_empty() && field[0] == "pooler" {
            continue;
        }
        let targets = if written.is_empty() {
            vec![engine_span(cx, entry)]
        } else {
            written.into_iter().map(Some).collect()
        };
        for target in targets {
            let id = format!("{}:{}:{target:?}", entry.key, field.join("."));
            if !reported.insert(id) {
                continue;
            }
            cx.push(
                Diagnostic::error(
                    Code::Unsupported,
                    target,
                    format!("`{}` is not supported on engine `bitnami`", field.join(".")),
                )
                .with_label(why.to_string())
                .with_help(help.to_string()),
            );
        }
    }
    thresholds(cx, entry, reported);
    let instances = &merged.instances;
    if instances.value.is_multiple_of(2)
        && reported.insert(format!("{}:instances:{:?}", entry.key, instances.span))
    {
        cx.push(
            Diagnostic::warning(
                Code::BitnamiEvenInstances,
                instances.span.clone().or_else(|| engine_span(cx, entry)),
                format!(
                    "{} runs {} PostgreSQL instances; repmgr promotes a new primary by majority",
                    entry.describe(),
                    instances.value
                ),
            )
            .with_label(format!(
                "{} instances, from {}",
                instances.value, instances.origin
            ))
            .with_help("use an odd number (3 is the smallest that survives losing the primary)"),
        );
    }
}

/// Alert thresholds written in the cluster's own tables (they only drive CNPG alerts).
fn thresholds(cx: &mut Context<'_>, entry: &ClusterEntry, reported: &mut BTreeSet<String>) {
    let mut tables = vec![(at(entry, &["monitoring"]), entry.spec.monitoring.clone())];
    for (env, layer) in &entry.spec.env {
        tables.push((
            at(entry, &["env", env, "monitoring"]),
            layer.monitoring.clone(),
        ));
    }
    for (path, monitoring) in tables {
        let Some(Monitoring::Settings(settings)) = monitoring else {
            continue;
        };
        let set = [
            settings.replication_lag_seconds.is_some(),
            settings.connections_percent.is_some(),
            settings.backup_age_hours.is_some(),
        ];
        for (name, _) in THRESHOLDS.iter().zip(set).filter(|(_, s)| *s) {
            let field: Vec<String> = path.iter().cloned().chain([(*name).to_string()]).collect();
            if !reported.insert(field.join(".")) {
                continue;
            }
            cx.push(
                Diagnostic::error(
                    Code::Unsupported,
                    span(cx, &field),
                    format!("alert threshold `{name}` is not supported on engine `bitnami`"),
                )
                .with_label("dbgen renders alerts for CloudNativePG clusters only")
                .with_help("use `monitoring = true`: the chart's exporter and ServiceMonitor are turned on"),
            );
        }
    }
}

/// Read-only credentials need a role reading every database, which the chart cannot declare
/// (on shared clusters the apps checks already reject them).
fn readonly_apps(cx: &mut Context<'_>, entry: &ClusterEntry) {
    if entry.dedicated_for.is_none() {
        return;
    }
    let spec = cx.spec();
    for (key, app) in &spec.apps {
        if app.readonly == Some(true)
            && super::topology::app_cluster(key, app) == Some(entry.key.as_str())
        {
            cx.push(
                Diagnostic::error(
                    Code::Unsupported,
                    cx.at(&["apps", key, "readonly"]),
                    format!("app `{key}` asks for read-only credentials on engine `bitnami`"),
                )
                .with_label("not supported on engine `bitnami`")
                .with_help("remove `readonly`, or use `engine = \"cnpg\"`"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::pipeline;

    const SPEC: &str = r#"
[platform]
name = "p"
namespace = "db"
[environments.prod]
[secrets]
provider = "external-secrets"
store = "vault"
key = "apps/{app}"
[postgres.pg]
engine = "bitnami"
version = "17.6"
credentials_key = "infra/pg"
[apps.wiki]
postgres = "pg"
namespace = "wiki"
"#;

    fn warnings(spec: &str) -> Vec<&'static str> {
        let compiled = pipeline::compile("dbgen.toml", spec).unwrap_or_else(|e| panic!("{e:?}"));
        compiled.warnings.iter().map(|w| w.code.name()).collect()
    }

    #[test]
    fn missing_images_is_a_warning_not_an_error() {
        assert_eq!(warnings(SPEC), vec!["bitnami-images"]);
        let with_images = format!("{SPEC}[bitnami]\nimages = \"bitnamilegacy\"\n");
        assert!(warnings(&with_images).is_empty());
    }

    #[test]
    fn dedicated_clusters_are_checked_like_shared_ones() {
        let spec = SPEC
            .replace("[postgres.pg]", "[postgres_defaults]")
            .replace("postgres = \"pg\"", "dedicated = true")
            + "[postgres_defaults.backup]\ndestination = \"s3://b/\"\n";
        let Err(pipeline::Failure::Invalid { diagnostics, .. }) =
            pipeline::compile("dbgen.toml", &spec)
        else {
            panic!("a backup on engine bitnami must be rejected");
        };
        assert!(
            diagnostics
                .iter()
                .any(|d| d.code == crate::diagnostic::Code::Unsupported && d.span.is_some()),
            "{diagnostics:?}"
        );
    }

    #[test]
    fn image_sources_are_registries_or_repository_prefixes() {
        for good in [
            "bitnamilegacy",
            "registry.example.com/bitnami",
            "harbor.local:5000",
            "localhost/mirror/",
        ] {
            assert!(super::image_source(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "https://registry.example.com",
            "bitnamilegacy:latest",
            "reg.io/a//b",
            "reg.io/Bitnami",
            "reg io",
        ] {
            assert!(super::image_source(bad).is_err(), "{bad}");
        }
    }
}
