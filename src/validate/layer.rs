//! Merging size layers while remembering where each value came from.
//!
//! Input: layers from most to least specific (`cluster.env.<env>` table, cluster
//! table, profile, built-in defaults), each with the file and key path it was read from.
//! Output: `Merged`, every value `Sourced` (its span, or `None` for a built-in default).
//! Invariant: precedence is decided here and nowhere else; `plan` only reads values.

use std::collections::BTreeMap;

use crate::defaults;
use crate::model::{
    CronSchedule, Merged, MergedBackup, MergedCompute, MergedLogicalBackup, MergedMonitoring,
    MergedPooler, Quantity, Sourced,
};
use crate::source::{FileId, Span};
use crate::spec::{Compute, Layer, Monitoring, PoolMode, SpanIndex};

/// A layer together with where it lives, so its values can be located.
#[derive(Debug, Clone)]
pub(super) struct LayerRef<'a> {
    pub(super) layer: &'a Layer,
    pub(super) file: FileId,
    pub(super) spans: &'a SpanIndex,
    /// Key path of the layer's table in its file (empty for a profile file).
    pub(super) prefix: Vec<String>,
    /// How to name this layer in a note, e.g. "profile `small`".
    pub(super) description: String,
}

impl LayerRef<'_> {
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

/// Merges `layers` (most specific first) over the built-in `defaults`; network policies
/// default to `production`.
pub(super) fn merge(layers: &[LayerRef<'_>], defaults: &Layer, production: bool) -> Merged {
    let pick = |get: &dyn Fn(&Layer) -> Option<String>, field: &[&str]| {
        layers
            .iter()
            .find_map(|l| get(l.layer).map(|value| l.sourced(value, field)))
    };
    let instances = layers
        .iter()
        .find_map(|l| {
            l.layer
                .instances
                .map(|value| l.sourced(value, &["instances"]))
        })
        .unwrap_or_else(|| Sourced::builtin(defaults.instances.unwrap_or(1)));
    let storage = pick(&|l| l.storage.clone(), &["storage"])
        .unwrap_or_else(|| Sourced::builtin(defaults.storage.clone().unwrap_or_default()))
        .map(quantity);
    let compute = |side: &'static str, get: fn(&Layer) -> Option<&Compute>| MergedCompute {
        cpu: pick(
            &|l| get(l).and_then(|c| c.cpu.clone()),
            &["resources", side, "cpu"],
        )
        .map(|s| s.map(quantity)),
        memory: pick(
            &|l| get(l).and_then(|c| c.memory.clone()),
            &["resources", side, "memory"],
        )
        .map(|s| s.map(quantity)),
    };
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
        storage_class: pick(&|l| l.storage_class.clone(), &["storage_class"]),
        requests: compute("requests", |l| {
            l.resources.as_ref().and_then(|r| r.requests.as_ref())
        }),
        limits: compute("limits", |l| {
            l.resources.as_ref().and_then(|r| r.limits.as_ref())
        }),
        parameters,
        monitoring: monitoring(layers),
        network_policy: layers
            .iter()
            .find_map(|l| l.layer.network_policy)
            .unwrap_or(production),
        pooler: pooler(layers),
        backup: backup(layers),
        restore: layers
            .iter()
            .find_map(|l| l.layer.restore.clone().map(|r| l.sourced(r, &["restore"]))),
        reclaim_policy: layers
            .iter()
            .find_map(|l| {
                l.layer
                    .reclaim_policy
                    .map(|p| l.sourced(p, &["reclaim_policy"]))
            })
            .unwrap_or_else(|| Sourced::builtin(crate::spec::ReclaimPolicy::Retain)),
        logical_backup: logical_backup(layers),
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
        schedule: text(|t| t.schedule.as_ref())
            .unwrap_or_else(|| defaults::LOGICAL_BACKUP_SCHEDULE.to_string()),
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
    let pick = |get: fn(&crate::spec::BackupLayer) -> Option<&String>, field: &str| {
        layers.iter().find_map(|l| {
            let value = get(l.layer.backup.as_ref()?)?;
            Some(l.sourced(value.clone(), &["backup", field]))
        })
    };
    Some(MergedBackup {
        table: first.span(&["backup"]),
        destination: pick(|b| b.destination.as_ref(), "destination"),
        endpoint: pick(|b| b.endpoint.as_ref(), "endpoint"),
        credentials: pick(|b| b.credentials.as_ref(), "credentials"),
        credentials_key: pick(|b| b.credentials_key.as_ref(), "credentials_key"),
        access_key_id_key: pick(|b| b.access_key_id_key.as_ref(), "access_key_id_key"),
        secret_access_key_key: pick(
            |b| b.secret_access_key_key.as_ref(),
            "secret_access_key_key",
        ),
        retention: pick(|b| b.retention.as_ref(), "retention")
            .unwrap_or_else(|| Sourced::builtin(defaults::BACKUP_RETENTION.to_string())),
        schedule: pick(|b| b.schedule.as_ref(), "schedule")
            .unwrap_or_else(|| Sourced::builtin(defaults::BACKUP_SCHEDULE.to_string()))
            .map(cron),
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
fn cron(text: String) -> CronSchedule {
    match super::rules::cron_with_seconds(&text) {
        Ok(with_seconds) => CronSchedule::new(text, with_seconds),
        Err(_) => CronSchedule::new(text.clone(), text),
    }
}

/// `text` parsed. An invalid quantity is reported where a layer writes it
/// (`clusters::check`), and a spec with errors yields no `Checked`, so the unparsed text
/// kept in its place never reaches `plan`.
fn quantity(text: String) -> Quantity {
    Quantity::parse(&text).unwrap_or_else(|| Quantity::unparsed(text))
}
