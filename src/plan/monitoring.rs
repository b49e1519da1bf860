//! Prometheus objects of one cluster: a `PodMonitor` for the instances and one for the
//! pooler (CNPG's own `enablePodMonitor` is deprecated), and a `PrometheusRule` whose
//! alerts select the cluster's pods by namespace and pod name.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Meta;
use crate::model::MergedMonitoring;

#[derive(Debug, Clone, Serialize)]
pub struct PodMonitorPlan {
    pub meta: Meta,
    pub selector: BTreeMap<String, String>,
    /// Name of the metrics port on the selected pods.
    pub port: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrometheusRulePlan {
    pub meta: Meta,
    pub group: String,
    pub alerts: Vec<AlertPlan>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertPlan {
    pub alert: String,
    pub expr: String,
    /// How long the condition must hold (`for:`).
    pub duration: String,
    pub severity: String,
    pub summary: String,
    pub description: String,
}

pub(super) fn cluster_pod_monitor(meta: Meta, cluster: &str) -> PodMonitorPlan {
    PodMonitorPlan {
        meta,
        selector: BTreeMap::from([("cnpg.io/cluster".to_string(), cluster.to_string())]),
        port: "metrics".to_string(),
    }
}

pub(super) fn pooler_pod_monitor(meta: Meta, pooler: &str) -> PodMonitorPlan {
    PodMonitorPlan {
        meta,
        selector: BTreeMap::from([("cnpg.io/poolerName".to_string(), pooler.to_string())]),
        port: "metrics".to_string(),
    }
}

/// The alerts a CNPG operator wants; the backup alerts only where there are backups.
pub(super) fn rules(
    meta: Meta,
    namespace: &str,
    cluster: &str,
    thresholds: &MergedMonitoring,
    backups: bool,
) -> PrometheusRulePlan {
    // Instance pods are `<cluster>-<n>`; this keeps the pooler's and jobs' pods out.
    let pods = format!("namespace=\"{namespace}\", pod=~\"{cluster}-[0-9]+\"");
    let mut alerts = vec![
        alert(
            "PostgreSQLInstanceDown",
            format!("cnpg_collector_up{{{pods}}} == 0"),
            "5m",
            "critical",
            format!("A PostgreSQL instance of {namespace}/{cluster} is down"),
            "Instance {{ $labels.pod }} reports PostgreSQL as not running for 5 minutes."
                .to_string(),
        ),
        alert(
            "PostgreSQLReplicationLag",
            format!(
                "max by (pod) (cnpg_pg_replication_lag{{{pods}}}) > {}",
                thresholds.replication_lag_seconds
            ),
            "5m",
            "warning",
            format!("A replica of {namespace}/{cluster} is lagging"),
            format!(
                "Replica {{{{ $labels.pod }}}} is more than {} seconds behind the primary.",
                thresholds.replication_lag_seconds
            ),
        ),
        alert(
            "PostgreSQLHighConnections",
            format!(
                "sum by (pod) (cnpg_backends_total{{{pods}}}) / max by (pod) (cnpg_pg_settings_setting{{name=\"max_connections\", {pods}}}) * 100 > {}",
                thresholds.connections_percent
            ),
            "5m",
            "warning",
            format!("{namespace}/{cluster} is running out of connections"),
            format!(
                "Instance {{{{ $labels.pod }}}} uses more than {}% of max_connections.",
                thresholds.connections_percent
            ),
        ),
    ];
    if backups {
        alerts.push(alert(
            "PostgreSQLBackupTooOld",
            format!(
                "time() - max({}{{{pods}}}) > {}",
                crate::pins::BARMAN_PLUGIN_BACKUP_METRIC,
                u64::from(thresholds.backup_age_hours) * 3600
            ),
            "10m",
            "warning",
            format!("The newest backup of {namespace}/{cluster} is too old"),
            format!(
                "No base backup completed in the last {} hours.",
                thresholds.backup_age_hours
            ),
        ));
        alerts.push(alert(
            "PostgreSQLWALArchivingFailing",
            format!("increase(cnpg_pg_stat_archiver_failed_count{{{pods}}}[10m]) > 0"),
            "10m",
            "critical",
            format!("WAL archiving of {namespace}/{cluster} is failing"),
            "Instance {{ $labels.pod }} failed to archive WAL in the last 10 minutes: point-in-time recovery is at risk.".to_string(),
        ));
    }
    PrometheusRulePlan {
        meta,
        group: format!("{cluster}.rules"),
        alerts,
    }
}

fn alert(
    name: &str,
    expr: String,
    duration: &str,
    severity: &str,
    summary: String,
    description: String,
) -> AlertPlan {
    AlertPlan {
        alert: name.to_string(),
        expr,
        duration: duration.to_string(),
        severity: severity.to_string(),
        summary,
        description,
    }
}
