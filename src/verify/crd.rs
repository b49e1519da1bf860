//! Custom resources, checked against the upstream CRD JSON Schemas embedded
//! from `schemas/crds/` (see `schemas/README.md` for provenance), compressed by
//! `build.rs` and inflated once per process on first use (`schema.rs`).
//! Input: one document whose (apiVersion, kind) is a `crd` row of the kind table
//! (`plan::kind_table!`), which names its schema file.
//! Output: issues for unexpected top-level keys and every schema violation.
//! Invariant: a custom resource has only apiVersion, kind, metadata and spec, whatever its
//! schema leaves open at the root.

use serde_json::Value;

use super::path::{FieldPath, Issue};
use super::schema::{SchemaCache, SchemaId};
use crate::plan::{Check, Kind};

/// A row's embedded (compressed) schema, or `None` for a kind that is not a custom resource.
macro_rules! schema {
    (crd($group:literal, $version:literal, $scope:ident, $file:literal)) => {
        Some(include_bytes!(concat!(
            env!("OUT_DIR"),
            "/crds/",
            $group,
            "/",
            $file,
            ".deflate"
        )))
    };
    (crd($group:literal, $version:literal, $scope:ident, $file:literal, $name:literal)) => {
        schema!(crd($group, $version, $scope, $file))
    };
    ($other:ident($($args:tt)*)) => {
        None
    };
}

macro_rules! crd_rows {
    ($(
        $variant:ident($data:ty) $stem:literal,
        $render:ident($($render_args:tt)*),
        $check:ident($($check_args:tt)*);
    )*) => {
        /// The compressed schema of each custom-resource row of the kind table.
        pub(super) fn compressed(kind: Kind) -> Option<&'static [u8]> {
            match kind {
                $(Kind::$variant => schema!($check($($check_args)*)),)*
                Kind::Kustomization => None,
            }
        }
    };
}

crate::plan::kind_table!(crd_rows);

/// The embedded schema text of a custom-resource kind.
pub(super) fn source(kind: Kind) -> Option<&'static str> {
    compressed(kind)?;
    SchemaId::Kind(kind).source()
}

/// The schema file of a custom-resource kind, below `schemas/crds/`.
pub(super) fn file(kind: Kind) -> &'static str {
    match kind.spec().check {
        Check::Crd { file } => file,
        _ => "?",
    }
}

/// The schemas leave the root open, so the allowed top-level keys are ours to
/// enforce; `status` is written by controllers, never by dbgen.
const TOP_LEVEL_KEYS: [&str; 4] = ["apiVersion", "kind", "metadata", "spec"];

pub(super) fn check(cache: &SchemaCache, kind: Kind, doc: &Value) -> Vec<Issue> {
    let mut issues = top_level_keys(doc);
    issues.extend(cache.check(SchemaId::Kind(kind), doc, &FieldPath::root()));
    issues
}

fn top_level_keys(doc: &Value) -> Vec<Issue> {
    let Some(map) = doc.as_object() else {
        return Vec::new();
    };
    map.keys()
        .filter(|key| !TOP_LEVEL_KEYS.contains(&key.as_str()))
        .map(|key| {
            Issue::new(
                FieldPath::root().key(key),
                format!("unknown top-level field `{key}`: a custom resource has only apiVersion, kind, metadata and spec"),
            )
        })
        .collect()
}
