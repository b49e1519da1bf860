//! Built-in Kubernetes kinds, checked by decoding into k8s-openapi types.
//! Input: one document whose (apiVersion, kind) is a `builtin` row of the kind table
//! (`plan::kind_table!`), or `Secret`.
//! Output: issues for unknown fields (`serde_ignored`), type errors
//! (`serde_path_to_error`) and dbgen policy (no `status`, no plaintext Secret
//! payloads).
//! Invariant: each row takes apiVersion, kind and scope from the k8s-openapi type
//! itself, and that type's deserializer rejects any other apiVersion/kind, so the
//! table cannot drift from the decoded type. Only emitted kinds have a decoder (each is
//! a large monomorphization: an unused one costs build time for nothing).

use k8s_openapi::Resource;
use k8s_openapi::api::core::v1::Secret;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::meta::NameRule;
use super::path::{FieldPath, Issue};
use crate::plan::{Kind, Scope};

/// A built-in kind dbgen may emit.
#[derive(Debug, Clone, Copy)]
pub(super) struct BuiltinKind {
    pub(super) api_version: &'static str,
    pub(super) kind: &'static str,
    pub(super) scope: Scope,
    pub(super) name_rule: NameRule,
    decode: fn(&Value) -> Vec<Issue>,
}

/// A row's decoder and name rule, or `None` for a kind that is not built in.
macro_rules! decoder {
    (builtin($ty:ty, $rule:ident)) => {
        Some((
            decode_without_metadata::<$ty> as fn(&Value) -> Vec<Issue>,
            NameRule::$rule,
        ))
    };
    ($other:ident($($args:tt)*)) => {
        None
    };
}

macro_rules! builtin_rows {
    ($(
        $variant:ident($data:ty) $stem:literal,
        $render:ident($($render_args:tt)*),
        $check:ident($($check_args:tt)*);
    )*) => {
        /// The k8s-openapi decoder and name rule of each built-in row of the kind table.
        fn decoder_of(kind: Kind) -> Option<(fn(&Value) -> Vec<Issue>, NameRule)> {
            match kind {
                $(Kind::$variant => decoder!($check($($check_args)*)),)*
                Kind::Kustomization => None,
            }
        }
    };
}

crate::plan::kind_table!(builtin_rows);

/// The built-in row of `kind`, whose apiVersion, kind and scope the kind table took from
/// the decoded k8s-openapi type itself (and that type's deserializer rejects any other
/// apiVersion/kind), so the table cannot drift from the decoded type.
pub(super) fn of(kind: Kind) -> Option<BuiltinKind> {
    let spec = kind.spec();
    let (decode, name_rule) = decoder_of(kind)?;
    Some(BuiltinKind {
        api_version: spec.api_version?,
        kind: spec.name,
        scope: spec.scope,
        name_rule,
        decode,
    })
}

/// `Secret`: dbgen never writes one (it is not in the kind table), but if it ever does, the
/// no-payload policy below applies rather than a bare "no schema".
pub(super) const SECRET: BuiltinKind = BuiltinKind {
    api_version: Secret::API_VERSION,
    kind: Secret::KIND,
    scope: Scope::Namespaced,
    name_rule: NameRule::Dns1123Subdomain,
    decode: decode_without_metadata::<Secret>,
};

/// All checks for a built-in object except `metadata`, which `meta` owns.
pub(super) fn check(kind: &BuiltinKind, doc: &Value) -> Vec<Issue> {
    let mut issues = (kind.decode)(doc);
    if doc.get("status").is_some() {
        issues.push(Issue::at(
            "status",
            "dbgen must not write `status`: the controller owns it",
        ));
    }
    if kind.kind == Secret::KIND && kind.api_version == Secret::API_VERSION {
        issues.extend(secret_payload(doc));
    }
    issues
}

/// `metadata` is checked once, by `meta`, for every kind; leaving it in here
/// would report its problems twice and let a metadata type error stop the
/// decoder before it reaches `spec`.
fn decode_without_metadata<T: DeserializeOwned>(doc: &Value) -> Vec<Issue> {
    let body = match doc {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| key.as_str() != "metadata")
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
        ),
        other => other.clone(),
    };
    decode_strict::<T>(&body, &FieldPath::root())
}

/// Decodes `value` as `T`, reporting every field `T` does not know and the
/// first type error, all with paths prefixed by `prefix`.
pub(super) fn decode_strict<T: DeserializeOwned>(value: &Value, prefix: &FieldPath) -> Vec<Issue> {
    let mut unknown = Vec::new();
    let mut on_ignored =
        |path: serde_ignored::Path<'_>| unknown.push(FieldPath::from_ignored(&path));
    let outcome: Result<T, _> =
        serde_path_to_error::deserialize(serde_ignored::Deserializer::new(value, &mut on_ignored));
    let mut issues: Vec<Issue> = unknown
        .into_iter()
        .map(|path| {
            let message = path.last_key().map_or_else(
                || "unknown field".to_owned(),
                |key| format!("unknown field `{key}`"),
            );
            Issue::new(prefix.clone().join(path), message)
        })
        .collect();
    if let Err(error) = outcome {
        let path = prefix.clone().join(FieldPath::from_tracked(error.path()));
        issues.push(Issue::new(path, error.inner().to_string()));
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
