//! Built-in Kubernetes kinds, checked against JSON Schemas generated from k8s-openapi's
//! types (`schemas/builtin/`, `cargo xtask schemas builtin`; provenance in
//! `schemas/README.md`), embedded compressed like the CRD schemas.
//! Input: one document whose (apiVersion, kind) is a `builtin` row of the kind table
//! (`plan::kind_table!`), or `Secret`.
//! Output: issues for unknown fields, type errors and missing required fields (the schema),
//! and dbgen policy (no `status`, no plaintext Secret payloads).
//! Invariant: each row's schema, generated from the k8s-openapi type of the row's
//! apiVersion and kind, admits only that apiVersion and kind, so the table cannot drift
//! from what is checked (`every_embedded_schema_compiles_and_declares_its_kind`; the tests'
//! `strict_decode::` compares the rows with the types themselves).
//! Only emitted kinds have a schema; the library does not depend on k8s-openapi (the
//! strict decoding into the types runs in the tests, over every golden tree).

use serde_json::Value;

use super::meta::NameRule;
use super::path::{FieldPath, Issue};
use super::schema::{SchemaCache, SchemaId};
use crate::plan::{Kind, Scope};

/// A built-in kind dbgen may emit.
#[derive(Debug, Clone, Copy)]
pub(super) struct BuiltinKind {
    pub(super) api_version: &'static str,
    pub(super) kind: &'static str,
    pub(super) scope: Scope,
    pub(super) name_rule: NameRule,
    schema: SchemaId,
}

/// The embedded schema of a stem under `schemas/builtin/`.
macro_rules! embedded {
    ($stem:expr) => {
        include_bytes!(concat!(
            env!("OUT_DIR"),
            "/builtin/",
            $stem,
            ".json.deflate"
        ))
    };
}

/// A row's name rule and compressed schema, or `None` for a kind that is not built in.
macro_rules! row {
    ($stem:literal, builtin($api_version:literal, $scope:ident, $rule:ident)) => {
        Some((NameRule::$rule, embedded!($stem).as_slice()))
    };
    ($stem:literal, $other:ident($($args:tt)*)) => {
        None
    };
}

macro_rules! builtin_rows {
    ($(
        $variant:ident($data:ty) $stem:literal,
        $render:ident($($render_args:tt)*),
        $check:ident($($check_args:tt)*);
    )*) => {
        /// The name rule and compressed schema of each built-in row of the kind table.
        fn row_of(kind: Kind) -> Option<(NameRule, &'static [u8])> {
            match kind {
                $(Kind::$variant => row!($stem, $check($($check_args)*)),)*
                Kind::Kustomization => None,
            }
        }
    };
}

crate::plan::kind_table!(builtin_rows);

/// The compressed schema of a built-in row.
pub(super) fn compressed(kind: Kind) -> Option<&'static [u8]> {
    row_of(kind).map(|(_, schema)| schema)
}

/// `schemas/builtin/secret.json` and `objectmeta.json`, which no row names.
pub(super) const SECRET_SCHEMA: &[u8] = embedded!("secret");
pub(super) const OBJECT_META_SCHEMA: &[u8] = embedded!("objectmeta");

/// The built-in row of `kind`: apiVersion, kind and scope as the kind table declares them.
pub(super) fn of(kind: Kind) -> Option<BuiltinKind> {
    let spec = kind.spec();
    let (name_rule, _) = row_of(kind)?;
    Some(BuiltinKind {
        api_version: spec.api_version?,
        kind: spec.name,
        scope: spec.scope,
        name_rule,
        schema: SchemaId::Kind(kind),
    })
}

/// `Secret`: dbgen never writes one (it is not in the kind table), but if it ever does, the
/// no-payload policy below applies rather than a bare "no schema".
pub(super) const SECRET: BuiltinKind = BuiltinKind {
    api_version: "v1",
    kind: "Secret",
    scope: Scope::Namespaced,
    name_rule: NameRule::Dns1123Subdomain,
    schema: SchemaId::Secret,
};

/// All checks for a built-in object except `metadata`, which `meta` owns (the schemas
/// declare it a bare object, as the CRD schemas do).
pub(super) fn check(cache: &SchemaCache, kind: &BuiltinKind, doc: &Value) -> Vec<Issue> {
    let mut issues = cache.check(kind.schema, doc, &FieldPath::root());
    if doc.get("status").is_some() {
        issues.push(Issue::at(
            "status",
            "dbgen must not write `status`: the controller owns it",
        ));
    }
    if kind.kind == SECRET.kind && kind.api_version == SECRET.api_version {
        issues.extend(secret_payload(doc));
    }
    issues
}

/// dbgen output goes to Git: a Secret carrying values would commit a credential.
fn secret_payload(doc: &Value) -> Vec<Issue> {
    ["data", "stringData"]
        .into_iter()
        .filter(|field| doc.get(field).is_some_and(is_non_empty))
        .map(|field| {
            Issue::at(
                field,
                "a Secret with data/stringData would put a credential in Git; \
                 deliver it through the secret provider",
            )
        })
        .collect()
}

fn is_non_empty(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::String(text) => !text.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}
