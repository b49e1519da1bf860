//! Helm charts rendered by Kustomize: one values file per release, referenced from the
//! environment's `kustomization.yaml` under `helmCharts` (built with `--enable-helm`).
//!
//! Input: a chart (name, repository, pinned version), a release and its values, decided by
//! an engine module. Output: a `HelmValuesPlan` object (the values file) and, through
//! `kustomizations`, its `helmCharts` entry.
//! Invariant: every entry carries an explicit `releaseName` and a pinned `version`; without
//! either Kustomize's output would not be deterministic.

use serde::Serialize;

use super::Meta;

/// One Helm release: the values file and everything its `helmCharts` entry needs.
/// `meta.name` is the release name and `meta.namespace` the release namespace.
#[derive(Debug, Clone, Serialize)]
pub struct HelmValuesPlan {
    pub meta: Meta,
    pub chart: HelmChartRef,
    /// The chart's values, printed as the whole values file.
    pub values: serde_json::Value,
}

/// A pinned chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HelmChartRef {
    pub name: String,
    /// `oci://...` or `https://...`.
    pub repo: String,
    pub version: String,
}

/// One `helmCharts` entry of a kustomization.
#[derive(Debug, Clone, Serialize)]
pub struct HelmChartEntry {
    pub name: String,
    pub repo: String,
    pub version: String,
    pub release_name: String,
    pub namespace: String,
    /// Relative to the kustomization.
    pub values_file: String,
}
