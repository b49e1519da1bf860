//! The layer-merging engine every database engine shares, and PostgreSQL's use of it.
//!
//! Input: layers from most to least specific (an environment table, the engine's table, a
//! profile), each a `LayerRef` over the engine's own layer type (`spec::Layer` for
//! PostgreSQL, `spec::RedisLayer` for Redis) with the file and key path it was read from.
//! Output: values folded leaf by leaf into `Sourced` (its span, or `None` for a built-in
//! default); `merge` builds PostgreSQL's `Merged`, `redis::merge` Redis's settings. The
//! checks every engine's sizes need (quantities where written, requests ≤ limits after
//! merging, one name per object in an environment) live here too.
//! Invariant: precedence is decided here and nowhere else (the first layer that sets a leaf
//! wins); `plan` only reads values. A third engine implements `Sizes` for its layer type.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::context::Context;
use super::rules;
use crate::defaults;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{
    CronSchedule, Merged, MergedBackup, MergedCompute, MergedLogicalBackup, MergedMonitoring,
    MergedPooler, Quantity, Retention, Sourced, Target,
};
use crate::source::{FileId, Span};
use crate::spec::{Compute, Layer, Monitoring, PoolMode, RedisLayer, Resources, SpanIndex};

/// A layer together with where it lives, so its values can be located.
#[derive(Debug)]
pub(super) struct LayerRef<'a, L = Layer> {
    pub(super) layer: &'a L,
    pub(super) file: FileId,
    pub(super) spans: &'a SpanIndex,
    /// Key path of the layer's table in its file (empty for a profile file).
    pub(super) prefix: Vec<String>,
    /// How to name this layer in a note, e.g. "profile `small`".
    pub(super) description: String,
}

impl<L> Clone for LayerRef<'_, L> {
    fn clone(&self) -> Self {
        Self {
            layer: self.layer,
            file: self.file,
            spans: self.spans,
            prefix: self.prefix.clone(),
            description: self.description.clone(),
        }
    }
}

impl<L> LayerRef<'_, L> {
    pub(super) fn span(&self, field: &[&str]) -> Option<Span> {
        let mut path: Vec<&str> = self.prefix.iter().map(String::as_str).collect();
        path.extend_from_slice(field);
        self.spans.value(&path).map(|range| Span {
            file: self.file,
            range,
        })
    }

    /// `value` located at `field` of this layer.
    pub(super) fn sourced<T>(&self, value: T, field: &[&str]) -> Sourced<T> {
        Sourced {
            value,
            span: self.span(field),
            origin: self.description.clone(),
        }
    }

    pub(super) fn key_path(&self, field: &[&str]) -> Vec<String> {
        let mut path = self.prefix.clone();
        path.extend(field.iter().map(|s| (*s).to_string()));
        path
    }
}

/// The value of the most specific layer that sets `field` (read with `get`), located there.
pub(super) fn pick<L, T>(
    layers: &[LayerRef<'_, L>],
    field: &[&str],
    get: impl Fn(&L) -> Option<T>,
) -> Option<Sourced<T>> {
    layers
        .iter()
        .find_map(|l| get(l.layer).map(|value| l.sourced(value, field)))
}

/// The size settings every engine's layer type has, under the same keys.
pub(super) trait Sizes {
    fn storage(&self) -> Option<&String>;
    fn storage_class(&self) -> Option<&String>;
    fn resources(&self) -> Option<&Resources>;
}

impl Sizes for Layer {
    fn storage(&self) -> Option<&String> {
        self.storage.as_ref()
    }
    fn storage_class(&self) -> Option<&String> {
        self.storage_class.as_ref()
    }
    fn resources(&self) -> Option<&Resources> {
        self.resources.as_ref()
    }
}

impl Sizes for RedisLayer {
    fn storage(&self) -> Option<&String> {
        self.storage.as_ref()
    }
    fn storage_class(&self) -> Option<&String> {
        self.storage_class.as_ref()
    }
    fn resources(&self) -> Option<&Resources> {
        self.resources.as_ref()
    }
}

/// `resources.<side>` (`requests` or `limits`), CPU and memory each from the most
/// specific layer that sets it.
pub(super) fn compute<L: Sizes>(layers: &[LayerRef<'_, L>], side: &'static str) -> MergedCompute {
    let get = |l: &L| side_of(l.resources()?, side).cloned();
    MergedCompute {
        cpu: pick(layers, &["resources", side, "cpu"], |l| get(l)?.cpu.clone())
            .map(|s| s.map(quantity)),
        memory: pick(layers, &["resources", side, "memory"], |l| {
            get(l)?.memory.clone()
        })
        .map(|s| s.map(quantity)),
    }
}

fn side_of<'r>(resources: &'r Resources, side: &str) -> Option<&'r Compute> {
    if side == "requests" {
        resources.requests.as_ref()
    } else {
        resources.limits.as_ref()
    }
}

/// Checks the size values one layer writes, where it writes them: quantities and the
/// storage class.
pub(super) fn check_sizes<L: Sizes>(cx: &mut Context<'_>, layer: &LayerRef<'_, L>) {
    let values = layer.layer;
    if let Some(storage) = values.storage() {
        check_quantity(cx, layer, &["storage"], storage);
    }
    if let Some(class) = values.storage_class() {
        storage_class(cx, layer, &["storage_class"], class);
    }
    for side in ["requests", "limits"] {
        let compute = values.resources().and_then(|r| side_of(r, side));
        if let Some(cpu) = compute.and_then(|c| c.cpu.as_ref()) {
            check_quantity(cx, layer, &["resources", side, "cpu"], cpu);
        }
        if let Some(memory) = compute.and_then(|c| c.memory.as_ref()) {
            check_quantity(cx, layer, &["resources", side, "memory"], memory);
        }
    }
}

/// A storage class name at `field` of `layer`.
pub(super) fn storage_class<L>(
    cx: &mut Context<'_>,
    layer: &LayerRef<'_, L>,
    field: &[&str],
    class: &str,
) {
    cx.rule(
        layer.span(field),
        "storage class",
        class,
        rules::dns1123_subdomain(class),
    );
}

/// A Kubernetes quantity at `field` of `layer`, within the bounds of what it measures.
pub(super) fn check_quantity<L>(
    cx: &mut Context<'_>,
    layer: &LayerRef<'_, L>,
    field: &[&str],
    value: &str,
) {
    let what = layer.key_path(field).join(".");
    if let Err(help) = rules::quantity(value) {
        cx.push(
            Diagnostic::error(
                Code::InvalidQuantity,
                layer.span(field),
                format!("`{value}` is not a Kubernetes quantity (`{what}`)"),
            )
            .with_label("invalid quantity")
            .with_help(help.why),
        );
    } else if let Err(why) = rules::bounded_quantity(value, rules::Measure::of_field(&what)) {
        cx.push(
            Diagnostic::error(
                Code::OutOfRange,
                layer.span(field),
                format!("`{what}` `{value}` {why}"),
            )
            .with_label("out of range"),
        );
    }
}

/// A 5-field cron expression at `field` of `layer`, with `help` for the engine's use of it.
pub(super) fn check_schedule<L>(
    cx: &mut Context<'_>,
    layer: &LayerRef<'_, L>,
    field: &[&str],
    schedule: &str,
    help: Option<&str>,
) {
    if let Err(why) = rules::cron_with_seconds(schedule) {
        cx.push(
            Diagnostic::error(
                Code::InvalidSchedule,
                layer.span(field),
                format!("schedule `{schedule}` {why}"),
            )
            .with_label("not a valid 5-field cron expression")
            .with_help_opt(help.map(str::to_string)),
        );
    }
}

/// A count at `field` of `layer` that must be at least 1.
pub(super) fn at_least_one<L>(
    cx: &mut Context<'_>,
    layer: &LayerRef<'_, L>,
    field: &[&str],
    value: Option<u32>,
    message: &str,
) {
    if value == Some(0) {
        cx.push(Diagnostic::error(Code::OutOfRange, layer.span(field), message).with_label("0"));
    }
}

/// A merged request above its merged limit, which Kubernetes rejects: reported at the
/// value written in the spec, with a note at the other one. `subject` names the object
/// ("cluster `pg`", "Redis `cache`"); a pair of values shared by several environments is
/// reported once, for the first (`reported` holds the pairs reported).
pub(super) fn requests_within_limits(
    cx: &mut Context<'_>,
    subject: &str,
    env: &str,
    requests: &MergedCompute,
    limits: &MergedCompute,
    reported: &mut Vec<(Option<Span>, Option<Span>)>,
) {
    for (what, request, limit) in [
        ("cpu", &requests.cpu, &limits.cpu),
        ("memory", &requests.memory, &limits.memory),
    ] {
        let (Some(request), Some(limit)) = (request, limit) else {
            continue;
        };
        if !request.value.exceeds(&limit.value) {
            continue;
        }
        let pair = (request.span.clone(), limit.span.clone());
        if reported.contains(&pair) {
            continue;
        }
        reported.push(pair);
        // Point at the value the user wrote in the spec; the other one is the note.
        let in_spec = |s: &Option<Span>| s.as_ref().is_some_and(|s| s.file == cx.doc.file);
        let (primary, other, primary_is, other_is) =
            if in_spec(&request.span) || !in_spec(&limit.span) {
                (request, limit, "request", "limit")
            } else {
                (limit, request, "limit", "request")
            };
        let mut diagnostic = Diagnostic::error(
            Code::RequestExceedsLimit,
            primary.span.clone(),
            format!(
                "{what} request `{}` of {subject} is larger than its limit `{}` in environment `{env}`",
                request.value, limit.value
            ),
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

/// The first holder of each object name in one environment's platform namespace, where
/// every engine's objects live side by side.
pub(super) struct Names<K> {
    seen: BTreeMap<String, K>,
}

impl<K: Clone> Names<K> {
    pub(super) fn new() -> Self {
        Self {
            seen: BTreeMap::new(),
        }
    }

    /// Claims `name` for `holder`; the holder that had it already, if any.
    pub(super) fn claim(&mut self, name: &str, holder: K) -> Option<K> {
        if let Some(first) = self.seen.get(name) {
            return Some(first.clone());
        }
        self.seen.insert(name.to_string(), holder);
        None
    }
}

/// Merges `layers` (most specific first) over the built-in `defaults`; network policies
/// default to `production`.
pub(super) fn merge(layers: &[LayerRef<'_>], defaults: &Layer, production: bool) -> Merged {
    let instances = pick(layers, &["instances"], |l| l.instances)
        .unwrap_or_else(|| Sourced::builtin(defaults.instances.unwrap_or(1)))
        // Above `rules::INSTANCES_MAX` is reported where a layer writes it, and a spec with
        // errors yields no `Checked`: the saturated count never reaches `plan`.
        .map(|n| u16::try_from(n).unwrap_or(u16::MAX));
    let storage = pick(layers, &["storage"], |l| l.storage.clone())
        .unwrap_or_else(|| Sourced::builtin(defaults.storage.clone().unwrap_or_default()))
        .map(quantity);
    let mut parameters = BTreeMap::new();
    for layer in layers.iter().rev() {
        for (name, value) in &layer.layer.parameters {
            let sourced = layer.sourced(value.to_conf_string(), &["parameters", name]);
            parameters.insert(name.clone(), sourced);
        }
    }
    Merged {
        instances,
        storage,
        storage_class: pick(layers, &["storage_class"], |l| l.storage_class.clone()),
        requests: compute(layers, "requests"),
        limits: compute(layers, "limits"),
        parameters,
        monitoring: monitoring(layers),
        network_policy: layers
            .iter()
            .find_map(|l| l.layer.network_policy)
            .unwrap_or(production),
        pooler: pooler(layers),
        backup: backup(layers),
        restore: pick(layers, &["restore"], |l| l.restore.clone()),
        reclaim_policy: pick(layers, &["reclaim_policy"], |l| l.reclaim_policy)
            .unwrap_or_else(|| Sourced::builtin(crate::spec::ReclaimPolicy::Retain)),
        logical_backup: logical_backup(layers),
        // Filled by `expand::resolve` once every check passed.
        admin_credentials_key: String::new(),
    }
}

/// On when the most specific layer with a logical backup table does not turn it off.
fn logical_backup(layers: &[LayerRef<'_>]) -> Option<MergedLogicalBackup> {
    let first = layers.iter().find(|l| l.layer.logical_backup.is_some())?;
    if !first
        .layer
        .logical_backup
        .as_ref()
        .is_some_and(|b| b.enabled.unwrap_or(true))
    {
        return None;
    }
    let tables: Vec<&crate::spec::LogicalBackupLayer> = layers
        .iter()
        .filter_map(|l| l.layer.logical_backup.as_ref())
        .collect();
    let text = |get: fn(&crate::spec::LogicalBackupLayer) -> Option<&String>| {
        tables.iter().find_map(|t| get(t).cloned())
    };
    Some(MergedLogicalBackup {
        table: first.span(&["logical_backup"]),
        schedule: cron(
            text(|t| t.schedule.as_ref())
                .unwrap_or_else(|| defaults::LOGICAL_BACKUP_SCHEDULE.to_string()),
        ),
        retention_days: tables
            .iter()
            .find_map(|t| t.retention_days)
            .unwrap_or(defaults::LOGICAL_BACKUP_RETENTION_DAYS),
        storage: quantity(
            text(|t| t.storage.as_ref())
                .unwrap_or_else(|| defaults::LOGICAL_BACKUP_STORAGE.to_string()),
        ),
        storage_class: text(|t| t.storage_class.as_ref()),
        credentials_key: text(|t| t.credentials_key.as_ref()),
        // Filled by `expand::resolve` once every check passed.
        remote_key: String::new(),
        upload: super::upload::merge(
            &layers
                .iter()
                .map(|l| {
                    let table = l.layer.logical_backup.as_ref();
                    let upload = table.and_then(|t| t.upload.as_ref());
                    (upload, l.span(&["logical_backup", "upload"]))
                })
                .collect::<Vec<_>>(),
        ),
    })
}

/// On when the most specific layer with a backup table does not turn it off; leaf by leaf.
fn backup(layers: &[LayerRef<'_>]) -> Option<MergedBackup> {
    let first = layers.iter().find(|l| l.layer.backup.is_some())?;
    if !first
        .layer
        .backup
        .as_ref()
        .is_some_and(|b| b.enabled.unwrap_or(true))
    {
        return None;
    }
    let leaf = |get: fn(&crate::spec::BackupLayer) -> Option<&String>, field: &str| {
        pick(layers, &["backup", field], |l| {
            get(l.backup.as_ref()?).cloned()
        })
    };
    Some(MergedBackup {
        table: first.span(&["backup"]),
        destination: leaf(|b| b.destination.as_ref(), "destination"),
        endpoint: leaf(|b| b.endpoint.as_ref(), "endpoint"),
        credentials: leaf(|b| b.credentials.as_ref(), "credentials"),
        credentials_key: leaf(|b| b.credentials_key.as_ref(), "credentials_key"),
        access_key_id_key: leaf(|b| b.access_key_id_key.as_ref(), "access_key_id_key"),
        secret_access_key_key: leaf(
            |b| b.secret_access_key_key.as_ref(),
            "secret_access_key_key",
        ),
        retention: leaf(|b| b.retention.as_ref(), "retention")
            .unwrap_or_else(|| Sourced::builtin(defaults::BACKUP_RETENTION.to_string()))
            .map(|text| retention(&text)),
        schedule: leaf(|b| b.schedule.as_ref(), "schedule")
            .unwrap_or_else(|| Sourced::builtin(defaults::BACKUP_SCHEDULE.to_string()))
            .map(cron),
        // Filled by `expand::resolve` once every check passed.
        target: Target::default(),
    })
}

/// On/off from the most specific layer that says; thresholds leaf by leaf.
fn monitoring(layers: &[LayerRef<'_>]) -> Option<MergedMonitoring> {
    let enabled = layers
        .iter()
        .find_map(|l| match l.layer.monitoring.as_ref()? {
            Monitoring::Enabled(on) => Some(*on),
            Monitoring::Settings(s) => Some(s.enabled.unwrap_or(true)),
        })?;
    if !enabled {
        return None;
    }
    let setting = |get: fn(&crate::spec::MonitoringSettings) -> Option<u32>, default: u32| {
        layers
            .iter()
            .find_map(|l| match l.layer.monitoring.as_ref()? {
                Monitoring::Settings(s) => get(s),
                Monitoring::Enabled(_) => None,
            })
            .unwrap_or(default)
    };
    Some(MergedMonitoring {
        replication_lag_seconds: setting(
            |s| s.replication_lag_seconds,
            defaults::ALERT_REPLICATION_LAG_SECONDS,
        ),
        connections_percent: setting(
            |s| s.connections_percent,
            defaults::ALERT_CONNECTIONS_PERCENT,
        ),
        backup_age_hours: setting(|s| s.backup_age_hours, defaults::ALERT_BACKUP_AGE_HOURS),
    })
}

/// On when the most specific layer with a pooler table does not turn it off; leaf by leaf.
fn pooler(layers: &[LayerRef<'_>]) -> Option<MergedPooler> {
    let tables: Vec<&crate::spec::PoolerLayer> = layers
        .iter()
        .filter_map(|l| l.layer.pooler.as_ref())
        .collect();
    if !tables.first()?.enabled.unwrap_or(true) {
        return None;
    }
    let pick = |get: fn(&crate::spec::PoolerLayer) -> Option<u32>, default: u32| {
        tables.iter().find_map(|t| get(t)).unwrap_or(default)
    };
    Some(MergedPooler {
        instances: pick(|t| t.instances, defaults::POOLER_INSTANCES),
        mode: tables
            .iter()
            .find_map(|t| t.mode)
            .unwrap_or(PoolMode::Transaction),
        max_client_conn: pick(|t| t.max_client_conn, defaults::POOLER_MAX_CLIENT_CONN),
        default_pool_size: pick(|t| t.default_pool_size, defaults::POOLER_DEFAULT_POOL_SIZE),
    })
}

/// `text` with its seconds form. An invalid expression is reported where a layer writes
/// it (`clusters::check`), and a spec with errors yields no `Checked`, so the text kept
/// in its place never reaches `plan`.
/// `text` parsed. An invalid retention is reported where a layer writes it
/// (`clusters::check`), and a spec with errors yields no `Checked`, so the placeholder kept
/// in its place never reaches `plan`.
fn retention(text: &str) -> Retention {
    super::rules::retention(text).unwrap_or(Retention::days(0))
}

pub(super) fn cron(text: String) -> CronSchedule {
    match super::rules::cron_with_seconds(&text) {
        Ok(with_seconds) => CronSchedule::new(text, with_seconds),
        Err(_) => CronSchedule::new(text.clone(), text),
    }
}

/// `text` parsed. An invalid quantity is reported where a layer writes it
/// (`clusters::check`), and a spec with errors yields no `Checked`, so the unparsed text
/// kept in its place never reaches `plan`.
pub(super) fn quantity(text: String) -> Quantity {
    Quantity::parse(&text).unwrap_or_else(|| Quantity::unparsed(text))
}
