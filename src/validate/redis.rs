//! Checks of `[redis.*]` and of the apps' `redis` references, and the per-environment
//! merge of each Redis's settings (`env.<env>` over the table over built-in defaults).
//!
//! Input: the spec (through `Context`). Output: every problem found, and `RedisEnv`s:
//! one per (environment, Redis rendered there), every value decided.
//! Invariant: a `RedisEnv` is only built from a Redis whose names, quantities, schedule
//! and credentials key passed; `plan` reads it without checking again.

use std::collections::BTreeMap;

use super::context::Context;
use super::layer::{
    LayerRef, Names, at_least_one, check_quantity, check_schedule, check_sizes, compute, pick,
    requests_within_limits, storage_class,
};
use super::platform::placeholders;
use super::rules;
use super::topology::ClusterEntry;
use crate::defaults;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Quantity, RedisBackupEnv, RedisEnv, RedisMemory, Sourced};
use crate::naming;
use crate::source::Span;
use crate::spec::{RedisBackup, RedisCluster, RedisEngine, RedisLayer};

/// The longest Redis name: the Bitnami chart names its `StatefulSet` `<name>-node`, whose
/// pods carry a `controller-revision-hash` label `<name>-node-<10 characters>` that must
/// stay a 63-character label value; `<name>-backup` CronJobs allow 52.
const REDIS_NAME_MAX: usize = 45;

/// `[redis.<key>]` (`env` `None`) or its `env.<env>` table as a layer of the shared
/// merging engine.
fn layer_ref<'a>(
    cx: &Context<'a>,
    key: &str,
    env: Option<&str>,
    values: &'a RedisLayer,
) -> LayerRef<'a, RedisLayer> {
    let mut prefix = vec!["redis".to_string(), key.to_string()];
    let mut description = format!("Redis `{key}`");
    if let Some(env) = env {
        prefix.extend(["env".to_string(), env.to_string()]);
        description = format!("{description} in environment `{env}`");
    }
    LayerRef {
        layer: values,
        file: cx.doc.file,
        spans: &cx.doc.spans,
        prefix,
        description,
    }
}

/// Checks every Redis and every app's `redis`; returns the merged settings by
/// environment (empty when there are errors: `check` stops before `plan` then).
pub(super) fn check(cx: &mut Context<'_>) -> BTreeMap<String, Vec<RedisEnv>> {
    let spec = cx.spec();
    for (key, redis) in &spec.redis {
        table(cx, key, redis);
        let settings = redis.settings();
        layer(cx, &layer_ref(cx, key, None, &settings), redis.engine);
        for (env, overrides) in &redis.env {
            if spec.environments.contains_key(env) {
                layer(cx, &layer_ref(cx, key, Some(env), overrides), redis.engine);
            } else {
                let names: Vec<&str> = spec.environments.keys().map(String::as_str).collect();
                cx.unknown_reference(
                    cx.key(&["redis", key, "env", env]),
                    "environment",
                    env,
                    names,
                );
            }
        }
    }
    apps(cx);
    let merged = merge_all(cx);
    collisions(cx, &merged);
    merged
}

/// Engine-wide values of one `[redis.<key>]` table: names, version, image, master set,
/// credentials key, environments, and whether anything uses it.
fn table(cx: &mut Context<'_>, key: &str, redis: &RedisCluster) {
    let spec = cx.spec();
    names(cx, key, redis);
    version(cx, key, redis);
    if redis.engine == RedisEngine::BitnamiSentinel {
        if redis.image.is_some() {
            cx.push(
                Diagnostic::error(Code::UnusedKey, cx.key(&["redis", key, "image"]), format!("Redis `{key}` sets `image`, which engine `bitnami-sentinel` does not use"))
                    .with_label("the chart pins its own images")
                    .with_help("choose where the chart's images come from with `[bitnami] images` (e.g. `bitnamilegacy` or a mirror)"),
            );
        }
        if spec.bitnami.as_ref().is_none_or(|b| b.images.is_none()) {
            cx.push(
                Diagnostic::warning(Code::BitnamiImages, cx.at(&["redis", key, "engine"]), format!("Redis `{key}` uses the Bitnami chart's default images, which `docker.io/bitnami` no longer publishes since August 2025"))
                    .with_label("pods would fail to pull their images")
                    .with_help("since August 2025 the versioned images live under `docker.io/bitnamilegacy` (frozen, no more updates): add `[bitnami]` with `images = \"bitnamilegacy\"` or `images = \"<your mirror registry>\"`; for the long term, `engine = \"statefulset\"` runs the official `redis` image"),
            );
        }
    } else if redis.master_set.is_some() {
        cx.push(
            Diagnostic::error(
                Code::UnusedKey,
                cx.key(&["redis", key, "master_set"]),
                format!(
                    "Redis `{key}` sets `master_set`, which only engine `bitnami-sentinel` uses"
                ),
            )
            .with_label("no Sentinel with engine `statefulset`"),
        );
    }
    if let Some(master_set) = &redis.master_set
        && (master_set.is_empty()
            || !master_set
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')))
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidName,
                cx.at(&["redis", key, "master_set"]),
                format!("master set name `{master_set}` must be letters, digits, `-`, `_` or `.`"),
            )
            .with_label("invalid master set name"),
        );
    }
    match &redis.credentials_key {
        Some(template) => {
            let vars = BTreeMap::from([("env", "env"), ("cluster", "cluster")]);
            placeholders(cx, &["redis", key, "credentials_key"], template, &vars);
            // With Infisical the key is the folder the password secret is read from.
            if spec.secrets.provider == crate::spec::SecretProvider::Infisical
                && let Err(why) = super::platform::folder_path(template)
            {
                cx.push(
                    Diagnostic::error(Code::InvalidValue, cx.at(&["redis", key, "credentials_key"]), format!("Infisical folder `{template}` {why}"))
                        .with_label("not an Infisical folder path")
                        .with_help("with provider `infisical`, `credentials_key` is the folder holding the secret `password`, e.g. `/redis/{env}`"),
                );
            }
        }
        None => cx.push(
            Diagnostic::error(Code::MissingKey, cx.key(&["redis", key]), format!("Redis `{key}` needs `credentials_key`"))
                .with_label("where the Redis password is read")
                .with_help("the secret provider reads the password (property or secret `password`) from `credentials_key`, e.g. `infrastructure/redis`; dbgen never generates or writes it"),
        ),
    }
    for (i, env) in redis.environments.iter().flatten().enumerate() {
        if !spec.environments.contains_key(env) {
            let names: Vec<&str> = spec.environments.keys().map(String::as_str).collect();
            let index = i.to_string();
            cx.unknown_reference(
                cx.at(&["redis", key, "environments", &index]),
                "environment",
                env,
                names,
            );
        }
    }
    if !spec.apps.values().any(|a| a.redis.as_deref() == Some(key)) {
        cx.push(
            Diagnostic::warning(
                Code::UnusedRedis,
                cx.key(&["redis", key]),
                format!("no app uses Redis `{key}`"),
            )
            .with_label("rendered, but no app gets a connection Secret for it"),
        );
    }
}

/// The object name in every environment: placeholders, then a DNS-1035 label short
/// enough for every name derived from it.
fn names(cx: &mut Context<'_>, key: &str, redis: &RedisCluster) {
    let span = cx
        .at(&["redis", key, "name"])
        .or_else(|| cx.key(&["redis", key]));
    if let Some(pattern) = &redis.name
        && placeholders(
            cx,
            &["redis", key, "name"],
            pattern,
            &BTreeMap::from([("env", "env")]),
        )
        .is_none()
    {
        return;
    }
    let mut reported = Vec::new();
    for env in cx.spec().environments.keys() {
        let name = redis_name(key, redis, env);
        if reported.contains(&name) {
            continue;
        }
        if let Err(why) = rules::dns1035_label(&name, REDIS_NAME_MAX) {
            cx.push(
                Diagnostic::error(Code::InvalidName, span.clone(), format!("Redis name `{name}` {why}"))
                    .with_label(format!("Redis names are DNS-1035 labels of at most {REDIS_NAME_MAX} characters (they prefix pod and CronJob names)")),
            );
        }
        reported.push(name);
    }
}

/// The Redis's name in `env`: the `name` pattern, else the key.
pub(super) fn redis_name(key: &str, redis: &RedisCluster, env: &str) -> String {
    redis.name.as_ref().map_or_else(
        || key.to_string(),
        |pattern| {
            naming::expand(pattern, &BTreeMap::from([("env", env)]))
                .unwrap_or_else(|_| pattern.clone())
        },
    )
}

/// `statefulset`: any `major.minor[.patch]` (an official image tag) unless `image` is
/// set; `bitnami-sentinel`: the Redis of the pinned chart, since the chart picks the image.
fn version(cx: &mut Context<'_>, key: &str, redis: &RedisCluster) {
    let text = redis.version.as_str();
    let parts: Vec<&str> = text.split('.').collect();
    let numeric = (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let span = cx.at(&["redis", key, "version"]);
    match redis.engine {
        RedisEngine::Statefulset if redis.image.is_none() && !numeric => cx.push(
            Diagnostic::error(Code::InvalidVersion, span, format!("Redis version `{text}` must be `major.minor` or `major.minor.patch`, like `8.2.1`"))
                .with_label("not a Redis version")
                .with_help("it is the tag of the official image `redis:<version>`; set `image` for anything else"),
        ),
        RedisEngine::BitnamiSentinel
            if !(numeric && (text == crate::pins::BITNAMI_REDIS_MINOR
                || text.starts_with(&format!("{}.", crate::pins::BITNAMI_REDIS_MINOR)))) =>
        {
            cx.push(
                Diagnostic::error(Code::InvalidVersion, span, format!("Redis version `{text}` is not the one chart redis {} runs (Redis {})", crate::pins::BITNAMI_REDIS_CHART_VERSION, crate::pins::BITNAMI_REDIS_APP_VERSION))
                    .with_label("the chart decides the Redis version")
                    .with_help(format!("write `version = \"{}\"`, or use engine `statefulset` for another version", crate::pins::BITNAMI_REDIS_APP_VERSION)),
            );
        }
        _ => {}
    }
}

/// Values one table (`[redis.<key>]` or its `env.<env>`) sets, checked where written.
fn layer(cx: &mut Context<'_>, layer: &LayerRef<'_, RedisLayer>, engine: RedisEngine) {
    let values = layer.layer;
    if let Some(replicas) = values.replicas {
        match engine {
            RedisEngine::Statefulset if replicas != 1 => cx.push(
                Diagnostic::error(Code::InvalidValue, layer.span(&["replicas"]), format!("engine `statefulset` runs one Redis pod, but `replicas` is {replicas}"))
                    .with_label("must be 1")
                    .with_help("pods of a plain StatefulSet would be independent masters with different data; use engine `bitnami-sentinel` for replicas with failover"),
            ),
            RedisEngine::BitnamiSentinel if replicas == 0 => cx.push(
                Diagnostic::error(Code::OutOfRange, layer.span(&["replicas"]), "replicas must be at least 1")
                    .with_label("0"),
            ),
            _ => {}
        }
    }
    if values.monitoring == Some(true) && engine == RedisEngine::Statefulset {
        cx.push(
            Diagnostic::error(
                Code::Unsupported,
                layer.span(&["monitoring"]),
                "engine `statefulset` has no metrics exporter",
            )
            .with_label("monitoring needs engine `bitnami-sentinel`")
            .with_help("drop `monitoring`, or scrape Redis with an exporter of your own"),
        );
    }
    check_sizes(cx, layer);
    if let Some(maxmemory) = &values.maxmemory
        && let Err(help) = redis_memory(maxmemory)
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                layer.span(&["maxmemory"]),
                format!("maxmemory `{maxmemory}` is not a Redis memory size"),
            )
            .with_label("not a Redis memory size")
            .with_help(help),
        );
    }
    if let Some(backup) = &values.backup {
        if let Some(schedule) = &backup.schedule {
            check_schedule(cx, layer, &["backup", "schedule"], schedule, None);
        }
        at_least_one(
            cx,
            layer,
            &["backup", "retention_days"],
            backup.retention_days,
            "retention_days must be at least 1",
        );
        if let Some(storage) = &backup.storage {
            check_quantity(cx, layer, &["backup", "storage"], storage);
        }
        if let Some(class) = &backup.storage_class {
            storage_class(cx, layer, &["backup", "storage_class"], class);
        }
        if let Some(upload) = &backup.upload {
            super::upload::values(cx, &layer.key_path(&["backup", "upload"]), upload);
        }
    }
}

/// A memory size as `redis.conf` reads it: bytes, or a number with `k`, `kb`, `m`, `mb`,
/// `g` or `gb` (any case). Kubernetes suffixes are the usual mistake, so they get a hint.
/// `text` parsed. An invalid size is reported where a layer writes it (`check`), and a spec
/// with errors yields no `Checked`, so the zero kept in its place never reaches `plan`.
fn memory(text: String) -> RedisMemory {
    let bytes = redis_memory(&text).unwrap_or(0);
    RedisMemory::new(text, bytes)
}

pub fn redis_memory(text: &str) -> Result<u64, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let factor = match unit.to_ascii_lowercase().as_str() {
        "" => Some(1),
        "k" => Some(1000),
        "kb" => Some(1024),
        "m" => Some(1000 * 1000),
        "mb" => Some(1024 * 1024),
        "g" => Some(1000 * 1000 * 1000),
        "gb" => Some(1024 * 1024 * 1024),
        _ => None,
    };
    if let (Ok(n), Some(f)) = (number.parse::<u64>(), factor) {
        return Ok(n.saturating_mul(f));
    }
    let redis_unit = match unit {
        "Ki" | "KiB" => Some("kb"),
        "Mi" | "MiB" => Some("mb"),
        "Gi" | "GiB" => Some("gb"),
        _ => None,
    };
    Err(match redis_unit {
        Some(u) if !number.is_empty() => {
            format!("Redis writes binary units as `kb`, `mb`, `gb`: did you mean `{number}{u}`?")
        }
        _ => "a whole number of bytes, or one with `kb`, `mb` or `gb` (1024-based), e.g. `512mb`"
            .to_string(),
    })
}

/// Each app's `redis` reference and its Redis connection Secret name.
fn apps(cx: &mut Context<'_>) {
    let spec = cx.spec();
    for (key, app) in &spec.apps {
        let Some(redis) = &app.redis else {
            if app.redis_connection_secret.is_some() {
                cx.push(
                    Diagnostic::error(
                        Code::UnusedKey,
                        cx.key(&["apps", key, "redis_connection_secret"]),
                        format!("app `{key}` names a Redis connection Secret but no `redis`"),
                    )
                    .with_label("no Redis, so no Redis connection Secret")
                    .with_help("set `redis = \"<name>\"`, or remove this key"),
                );
            }
            continue;
        };
        if !spec.redis.contains_key(redis) {
            let names: Vec<&str> = spec.redis.keys().map(String::as_str).collect();
            cx.unknown_reference(cx.at(&["apps", key, "redis"]), "Redis", redis, names);
        }
        let secret = naming::redis_connection_secret(key, app.redis_connection_secret.as_deref());
        let span = cx
            .at(&["apps", key, "redis_connection_secret"])
            .or_else(|| cx.key(&["apps", key]));
        if !cx.rule(
            span.clone(),
            "Redis connection Secret name",
            &secret,
            rules::dns1123_subdomain(&secret),
        ) {
            continue;
        }
        // Another app's PostgreSQL or Redis Secret of the same name in the same namespace.
        let clash = spec.apps.iter().find(|(other_key, other)| {
            other.namespace == app.namespace
                && ((other.postgres.is_some() || other.dedicated == Some(true))
                    && naming::connection_secret(other_key, other.connection_secret.as_deref())
                        == secret
                    || (other_key.as_str() < key.as_str()
                        && other.redis.is_some()
                        && naming::redis_connection_secret(
                            other_key,
                            other.redis_connection_secret.as_deref(),
                        ) == secret))
        });
        if let Some((other, _)) = clash {
            cx.push(
                Diagnostic::error(Code::NameCollision, span, format!("app `{key}`'s Redis connection Secret `{secret}` has the name of a Secret app `{other}` gets in namespace `{}`", app.namespace))
                    .with_label("same Secret name")
                    .with_help("set `redis_connection_secret` to another name"),
            );
        }
    }
}

/// The settings of every Redis in every environment it is rendered in.
fn merge_all(cx: &mut Context<'_>) -> BTreeMap<String, Vec<RedisEnv>> {
    let spec = cx.spec();
    let mut all: BTreeMap<String, Vec<RedisEnv>> = BTreeMap::new();
    let mut reported = Reported::default();
    for env in spec.environments.keys() {
        let list = all.entry(env.clone()).or_default();
        for (key, redis) in &spec.redis {
            let rendered = redis
                .environments
                .as_ref()
                .is_none_or(|envs| envs.iter().any(|e| e == env));
            if rendered {
                list.push(merge(cx, key, redis, env, &mut reported));
            }
        }
    }
    for (env, list) in &all {
        for redis in list {
            upload_complete(cx, env, redis);
        }
    }
    all
}

/// What the checks of merged values reported already: a value shared by several
/// environments is reported once, for the first.
#[derive(Default)]
struct Reported {
    /// (request, limit) spans of requests above their limits.
    over_limit: Vec<(Option<Span>, Option<Span>)>,
    /// Spans of the values warned about.
    warned: Vec<Option<Span>>,
}

/// The merged upload settings of `redis` in `env` name everything the job needs.
fn upload_complete(cx: &mut Context<'_>, env: &str, redis: &RedisEnv) {
    let Some(upload) = redis.backup.as_ref().and_then(|b| b.upload.as_ref()) else {
        return;
    };
    let key = redis.key.as_str();
    let fallback = cx
        .at(&["redis", key, "env", env, "backup", "upload"])
        .or_else(|| cx.at(&["redis", key, "backup", "upload"]))
        .or_else(|| cx.key(&["redis", key]));
    let what = format!("the backups of Redis `{key}`");
    super::upload::missing(cx, upload, &what, fallback);
}

/// `env.<env>` over the table over the built-in defaults, folded by the shared engine;
/// the checks of merged values run here, where each value's span and origin are known.
fn merge(
    cx: &mut Context<'_>,
    key: &str,
    redis: &RedisCluster,
    env: &str,
    reported: &mut Reported,
) -> RedisEnv {
    let base = redis.settings();
    let mut layers = Vec::new();
    if let Some(over) = redis.env.get(env) {
        layers.push(layer_ref(cx, key, Some(env), over));
    }
    layers.push(layer_ref(cx, key, None, &base));
    let value = |picked: Option<Sourced<String>>| picked.map(|s| s.value);
    let requests = compute(&layers, "requests");
    let limits = compute(&layers, "limits");
    requests_within_limits(
        cx,
        &format!("Redis `{key}`"),
        env,
        &requests,
        &limits,
        &mut reported.over_limit,
    );
    let replicas = pick(&layers, &["replicas"], |l| l.replicas);
    let maxmemory = pick(&layers, &["maxmemory"], |l| l.maxmemory.clone()).map(|s| s.map(memory));
    if redis.engine == RedisEngine::BitnamiSentinel
        && let Some(replicas) = &replicas
    {
        sentinel_size(cx, key, env, replicas, &mut reported.warned);
    }
    if let (Some(maxmemory), Some(limit)) = (&maxmemory, &limits.memory) {
        memory_within_limit(cx, key, env, maxmemory, limit, &mut reported.warned);
    }
    let sentinel = redis.engine == RedisEngine::BitnamiSentinel;
    let backup = {
        let leaf = |field: &str, get: fn(&RedisBackup) -> Option<&String>| {
            value(pick(&layers, &["backup", field], |l| {
                get(l.backup.as_ref()?).cloned()
            }))
        };
        let given = layers.iter().any(|l| l.layer.backup.is_some());
        let enabled = pick(&layers, &["backup", "enabled"], |l| {
            l.backup.as_ref()?.enabled
        })
        .is_none_or(|s| s.value);
        (enabled && given).then(|| RedisBackupEnv {
            schedule: super::layer::cron(
                leaf("schedule", |b| b.schedule.as_ref())
                    .unwrap_or_else(|| defaults::REDIS_BACKUP_SCHEDULE.to_string()),
            ),
            retention_days: pick(&layers, &["backup", "retention_days"], |l| {
                l.backup.as_ref()?.retention_days
            })
            .map_or(defaults::REDIS_BACKUP_RETENTION_DAYS, |s| s.value),
            storage: super::layer::quantity(
                leaf("storage", |b| b.storage.as_ref())
                    .unwrap_or_else(|| defaults::REDIS_BACKUP_STORAGE.to_string()),
            ),
            storage_class: leaf("storage_class", |b| b.storage_class.as_ref()),
            upload: super::upload::merge(
                &layers
                    .iter()
                    .map(|l| {
                        // No span: a Redis upload's "missing key" and shared-Secret
                        // diagnostics point at its backup or upload table themselves.
                        (
                            l.layer.backup.as_ref().and_then(|b| b.upload.as_ref()),
                            None,
                        )
                    })
                    .collect::<Vec<_>>(),
            ),
        })
    };
    let name = redis_name(key, redis, env);
    let credentials_key = redis.credentials_key.clone().unwrap_or_default();
    let credentials_key = naming::expand(
        &credentials_key,
        &BTreeMap::from([("env", env), ("cluster", name.as_str())]),
    )
    .unwrap_or(credentials_key);
    let flag = |field: &str, get: fn(&RedisLayer) -> Option<bool>, default: bool| {
        pick(&layers, &[field], get).map_or(default, |s| s.value)
    };
    RedisEnv {
        key: key.to_string(),
        engine: redis.engine,
        version: redis.version.clone(),
        image: redis.image.clone(),
        master_set: redis
            .master_set
            .clone()
            .unwrap_or_else(|| defaults::REDIS_MASTER_SET.to_string()),
        credentials_key,
        replicas: replicas.map_or(if sentinel { 3 } else { 1 }, |s| s.value),
        storage: super::layer::quantity(
            value(pick(&layers, &["storage"], |l| l.storage.clone()))
                .unwrap_or_else(|| defaults::REDIS_STORAGE.to_string()),
        ),
        storage_class: value(pick(&layers, &["storage_class"], |l| {
            l.storage_class.clone()
        })),
        requests,
        limits,
        maxmemory: maxmemory.map(|s| s.value),
        maxmemory_policy: pick(&layers, &["maxmemory_policy"], |l| l.maxmemory_policy)
            .map(|s| s.value),
        appendonly: flag("appendonly", |l| l.appendonly, true),
        monitoring: flag("monitoring", |l| l.monitoring, false),
        backup,
        name,
    }
}

/// Sentinel fails over only when a majority of the Sentinels (one per pod) agree, so
/// fewer than three pods cannot survive losing the master's pod.
fn sentinel_size(
    cx: &mut Context<'_>,
    key: &str,
    env: &str,
    replicas: &Sourced<u32>,
    warned: &mut Vec<Option<Span>>,
) {
    if replicas.value == 0 || replicas.value >= 3 || warned.contains(&replicas.span) {
        return;
    }
    warned.push(replicas.span.clone());
    cx.push(
        Diagnostic::warning(Code::SentinelNoFailover, replicas.span.clone(), format!("Redis `{key}` runs {} pod(s) in environment `{env}`, too few for Sentinel to fail over", replicas.value))
            .with_label("each pod runs one Redis and one Sentinel")
            .with_help("a failover needs a majority of Sentinels alive once the master's pod is gone: use 3 pods or more"),
    );
}

/// `maxmemory` at or above the container's memory limit: Redis would be killed for
/// running out of memory before it starts evicting (its own overhead, and the fork of
/// an AOF rewrite or snapshot, come on top of the data).
fn memory_within_limit(
    cx: &mut Context<'_>,
    key: &str,
    env: &str,
    maxmemory: &Sourced<RedisMemory>,
    limit: &Sourced<Quantity>,
    warned: &mut Vec<Option<Span>>,
) {
    let bytes = maxmemory.value.bytes();
    // An unparsed limit (NaN, already reported) is below nothing; an unparsed maxmemory
    // (0 bytes, already reported) is below every limit.
    #[allow(clippy::cast_precision_loss)] // byte counts far below 2^52
    if limit.value.value().is_nan() || (bytes as f64) < limit.value.value() {
        return;
    }
    if warned.contains(&maxmemory.span) {
        return;
    }
    warned.push(maxmemory.span.clone());
    cx.push(
        Diagnostic::warning(Code::MaxmemoryAboveLimit, maxmemory.span.clone(), format!("Redis `{key}` may use `maxmemory` {} in environment `{env}`, not less than its memory limit {}", maxmemory.value.as_written(), limit.value))
            .with_label("Redis would be OOM-killed before it evicts")
            .with_help("keep `maxmemory` well below `resources.limits.memory` (Redis's overhead and the fork of a rewrite come on top), e.g. three quarters of it"),
    );
}

/// Two Redis of one environment with one name, or a Redis named like a PostgreSQL
/// cluster (both live in the platform namespace); each pair is reported once, for the
/// first environment where it collides. Clusters colliding with each other are
/// `clusters::check`'s to report.
fn collisions(cx: &mut Context<'_>, merged: &BTreeMap<String, Vec<RedisEnv>>) {
    #[derive(Clone, Copy)]
    enum Holder<'a> {
        Postgres(&'a ClusterEntry),
        Redis(&'a str),
    }
    let mut reported: Vec<(String, String)> = Vec::new();
    for (env, list) in merged {
        let mut names = Names::new();
        for cluster in cx.clusters.iter().filter(|c| c.in_env(env)) {
            if let Ok(name) = cluster.name(env) {
                names.claim(&name, Holder::Postgres(cluster));
            }
        }
        for redis in list {
            let (pair, message) = match names.claim(&redis.name, Holder::Redis(&redis.key)) {
                Some(Holder::Redis(first)) => (
                    (first.to_string(), redis.key.clone()),
                    format!(
                        "Redis `{first}` and `{}` are both named `{}` in environment `{env}`",
                        redis.key, redis.name
                    ),
                ),
                Some(Holder::Postgres(cluster)) => (
                    (cluster.key.clone(), redis.key.clone()),
                    format!(
                        "Redis `{}` is named `{}` like {} in environment `{env}`",
                        redis.key,
                        redis.name,
                        cluster.describe()
                    ),
                ),
                None => continue,
            };
            if reported.contains(&pair) {
                continue;
            }
            cx.push(
                Diagnostic::error(Code::NameCollision, cx.key(&["redis", &redis.key]), message)
                    .with_label("same name in the platform namespace")
                    .with_help("give one of them another `name`"),
            );
            reported.push(pair);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redis_memory;

    #[test]
    fn redis_memory_sizes() {
        assert_eq!(redis_memory("512mb"), Ok(512 * 1024 * 1024));
        assert_eq!(redis_memory("1GB"), Ok(1024 * 1024 * 1024));
        assert_eq!(redis_memory("1000"), Ok(1000));
        assert!(redis_memory("512Mi").unwrap_err().contains("`512mb`"));
        assert!(redis_memory("mb").is_err());
        assert!(redis_memory("1.5gb").is_err());
        assert!(redis_memory("").is_err());
    }
}
