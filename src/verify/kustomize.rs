//! The `kustomization.yaml` of each output tree.
//! Input: a document with `apiVersion: kustomize.config.k8s.io/v1beta1`,
//! `kind: Kustomization`.
//! Output: issues for top-level keys Kustomize does not define and for a
//! `resources` entry that is not a string.
//! Invariant: Kustomization is not an API object, so no metadata rules apply.

use serde_json::Value;

use super::path::{FieldPath, Issue};

pub(super) const KIND: &str = "Kustomization";

/// Fields of Kustomize's `Kustomization` type that dbgen may plausibly write;
/// deprecated ones (`bases`, `patchesStrategicMerge`, `commonLabels`, ...) are
/// deliberately absent so they cannot creep back in.
const ALLOWED_KEYS: [&str; 20] = [
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "namespace",
    "labels",
    "commonAnnotations",
    "helmCharts",
    "helmGlobals",
    "components",
    "patches",
    "images",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "replacements",
    "sortOptions",
    "buildMetadata",
    "crds",
    "openapi",
];

pub(super) fn check(doc: &Value) -> Vec<Issue> {
    let Some(map) = doc.as_object() else {
        return Vec::new();
    };
    let mut issues: Vec<Issue> = map
        .keys()
        .filter(|key| !ALLOWED_KEYS.contains(&key.as_str()))
        .map(|key| {
            Issue::new(
                FieldPath::root().key(key),
                format!("unknown Kustomization field `{key}`"),
            )
        })
        .collect();
    issues.extend(check_resources(map.get("resources")));
    issues
}

fn check_resources(resources: Option<&Value>) -> Vec<Issue> {
    match resources {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter(|(_, item)| !item.is_string())
            .map(|(index, _)| {
                Issue::new(
                    FieldPath::keys("resources").index(index),
                    "a Kustomization resource must be a path string",
                )
            })
            .collect(),
        Some(_) => vec![Issue::at(
            "resources",
            "`resources` must be a list of path strings",
        )],
    }
}
