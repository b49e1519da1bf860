//! Engine `bitnami-sentinel`: the values of the Bitnami `redis` chart (pinned version)
//! with `architecture: replication` and Sentinel, as one Helm release named after the Redis.
//!
//! Input: a `Scope`. Output: one `HelmValuesPlan` (values file + `helmCharts` entry).
//! Invariant: every key written here exists in the pinned chart's `values.yaml`, and the
//! merged values validate against its `values.schema.json` (`tests/it/bitnami_redis_values.rs`);
//! the chart never generates a password (`auth.existingSecret`), since `helm template`
//! cannot look up the previous one and would re-randomise it on every render.

use serde_json::{Value, json};

use super::{PASSWORD_KEY, Scope};
use crate::model::MergedCompute;
use crate::naming;
use crate::plan::{HelmChartRef, HelmValuesPlan, ImageSource, ObjectData};

/// Every image block of the chart: (key path of its `image` table, image name).
const IMAGES: &[(&[&str], &str)] = &[
    (&[], "redis"),
    (&["sentinel"], "redis-sentinel"),
    (&["metrics"], "redis-exporter"),
    (&["volumePermissions"], "os-shell"),
    (&["sysctl"], "os-shell"),
    (&["kubectl"], "kubectl"),
];

/// The Sentinel containers' own resources: Sentinel holds no data, so the Redis
/// settings do not apply to it; these replace the chart's `resourcesPreset`.
const SENTINEL_REQUESTS: (&str, &str) = ("50m", "64Mi");
const SENTINEL_MEMORY_LIMIT: &str = "128Mi";

pub(super) fn values(scope: &Scope<'_>) -> ObjectData {
    let redis = scope.redis;
    let mut persistence = json!({ "enabled": true, "size": redis.storage.as_str() });
    if let Some(class) = &redis.storage_class {
        persistence["storageClass"] = json!(class);
    }
    let mut values = json!({
        "fullnameOverride": redis.name,
        "architecture": "replication",
        "auth": {
            "enabled": true,
            "sentinel": true,
            "existingSecret": naming::redis_credentials_secret(&redis.name),
            "existingSecretPasswordKey": PASSWORD_KEY,
        },
        "commonConfiguration": configuration(scope),
        "replica": {
            "replicaCount": redis.replicas,
            "resources": resources(&redis.requests, &redis.limits),
            "persistence": persistence,
            // The master Service's label updater runs with this token (see below).
            "automountServiceAccountToken": true,
        },
        "sentinel": {
            "enabled": true,
            "masterSet": redis.master_set,
            "quorum": redis.replicas / 2 + 1,
            "resources": {
                "requests": { "cpu": SENTINEL_REQUESTS.0, "memory": SENTINEL_REQUESTS.1 },
                "limits": { "memory": SENTINEL_MEMORY_LIMIT },
            },
            // With Sentinel the chart has no master Service unless asked; apps that cannot
            // speak Sentinel need one. A sidecar relabels the master pod on failover, which
            // needs the chart's RBAC and a service account token.
            "masterService": { "enabled": true },
        },
        "rbac": { "create": true },
        "serviceAccount": { "create": true },
        "metrics": {
            "enabled": redis.monitoring,
            "serviceMonitor": { "enabled": redis.monitoring },
        },
    });
    if let Some(source) = ImageSource::of_spec(scope.spec) {
        source.rewrite(&mut values, IMAGES);
    }
    let plan = HelmValuesPlan {
        meta: scope.meta(redis.name.clone()),
        chart: HelmChartRef {
            name: "redis".to_string(),
            repo: crate::pins::BITNAMI_CHART_REPO.to_string(),
            version: crate::pins::BITNAMI_REDIS_CHART_VERSION.to_string(),
        },
        values,
    };
    ObjectData::HelmValues(plan)
}

/// `redis.conf` lines for every node. With AOF on, RDB snapshots are off, as in the
/// chart's own default; `maxmemory` only when set (unbounded otherwise, Redis's default).
fn configuration(scope: &Scope<'_>) -> String {
    super::data_directives(scope.redis, true).join(
        "
",
    )
}

/// `requests`/`limits` with only what the spec sets.
pub(super) fn resources(requests: &MergedCompute, limits: &MergedCompute) -> Value {
    let mut out = serde_json::Map::new();
    for (side, compute) in [("requests", requests), ("limits", limits)] {
        let mut values = serde_json::Map::new();
        if let Some(cpu) = &compute.cpu {
            values.insert("cpu".to_string(), json!(cpu.value.as_str()));
        }
        if let Some(memory) = &compute.memory {
            values.insert("memory".to_string(), json!(memory.value.as_str()));
        }
        if !values.is_empty() {
            out.insert(side.to_string(), Value::Object(values));
        }
    }
    Value::Object(out)
}
