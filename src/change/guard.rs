//! Deletion guards: in protected environments every object that holds data carries
//! the `GitOps` annotations that stop a prune, so removing it from Git never deletes
//! data even when someone bypasses dbgen's plan.
//!
//! Input: one rendered manifest of a protected environment (the pipeline calls this for
//! each manifest of each protected environment as it is rendered).
//! Output: the same manifest, with, if it holds data,
//! `argocd.argoproj.io/sync-options: Delete=false,Prune=false` and
//! `kustomize.toolkit.fluxcd.io/prune: disabled` (a Bitnami chart's values get them as
//! `commonAnnotations`, which the chart puts on every object of the release, in the
//! values file or a Flux `HelmRelease`'s `spec.values`).
//! Invariant: other environments and objects are untouched, byte for byte.

use serde_json::{Map, Value};

use crate::plan::Kind;
use crate::render::{HEADER, Manifest, RenderError};

pub const ARGO_ANNOTATION: &str = "argocd.argoproj.io/sync-options";
pub const ARGO_VALUE: &str = "Delete=false,Prune=false";
pub const FLUX_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/prune";
pub const FLUX_VALUE: &str = "disabled";

/// Whether `manifest` holds data (or, for a Helm release, stands for objects that do).
fn holds_data(manifest: &Manifest) -> bool {
    match manifest.kind {
        Kind::Cluster
        | Kind::PersistentVolumeClaim
        | Kind::Database
        | Kind::DatabaseRole
        | Kind::HelmRelease
        | Kind::HelmValues => true,
        Kind::StatefulSet => manifest.document["spec"]["volumeClaimTemplates"].is_array(),
        _ => false,
    }
}

/// Adds the guards to `manifest`, a manifest of a protected environment, if it holds data;
/// a manifest with text gets its text again.
pub fn apply(manifest: &mut Manifest) -> Result<(), RenderError> {
    if !holds_data(manifest) {
        return Ok(());
    }
    if manifest.kind == Kind::HelmValues {
        annotate(entry(&mut manifest.document, "commonAnnotations"));
    } else {
        let metadata = entry(&mut manifest.document, "metadata");
        annotate(entry(metadata, "annotations"));
    }
    // A Flux release carries the same values as the helmCharts values file.
    if manifest.kind == Kind::HelmRelease {
        let values = entry(entry(&mut manifest.document, "spec"), "values");
        annotate(entry(values, "commonAnnotations"));
    }
    // A manifest rendered without its text (`validate`) keeps none.
    if manifest.text.is_empty() {
        return Ok(());
    }
    let body = crate::yaml::emit(&manifest.document).map_err(|e| RenderError {
        path: manifest.path.clone(),
        template: "deletion guard",
        detail: e.to_string(),
    })?;
    manifest.text = format!("{HEADER}{body}");
    Ok(())
}

fn annotate(annotations: &mut Value) {
    if let Value::Object(map) = annotations {
        map.insert(ARGO_ANNOTATION.to_owned(), ARGO_VALUE.into());
        map.insert(FLUX_ANNOTATION.to_owned(), FLUX_VALUE.into());
    }
}

/// The object at `key` of `value`, created empty when missing.
fn entry<'a>(value: &'a mut Value, key: &str) -> &'a mut Value {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    // Indexing an object by a missing key inserts `null`, replaced just below.
    let slot = &mut value[key];
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot
}
