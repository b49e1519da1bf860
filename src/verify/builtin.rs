//! Built-in Kubernetes kinds, checked by decoding into k8s-openapi types.
//! Input: one document whose (apiVersion, kind) is in `BUILTINS`.
//! Output: issues for unknown fields (`serde_ignored`), type errors
//! (`serde_path_to_error`) and dbgen policy (no `status`, no plaintext Secret
//! payloads).
//! Invariant: each table entry takes apiVersion, kind and scope from the
//! k8s-openapi type itself, and that type's deserializer rejects any other
//! apiVersion/kind, so the table cannot drift from the decoded type.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Secret, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope, Resource};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Scope;
use super::meta::NameRule;
use super::path::{FieldPath, Issue};

/// A built-in kind dbgen may emit.
#[derive(Debug)]
pub(super) struct BuiltinKind {
    pub(super) api_version: &'static str,
    pub(super) kind: &'static str,
    pub(super) scope: Scope,
    pub(super) name_rule: NameRule,
    decode: fn(&Value) -> Vec<Issue>,
}

/// Maps k8s-openapi's scope marker types onto our own enum.
trait ScopeOf {
    const SCOPE: Scope;
}

impl ScopeOf for NamespaceResourceScope {
    const SCOPE: Scope = Scope::Namespaced;
}

impl ScopeOf for ClusterResourceScope {
    const SCOPE: Scope = Scope::Cluster;
}

const fn entry<T>(name_rule: NameRule) -> BuiltinKind
where
    T: Resource + DeserializeOwned,
    T::Scope: ScopeOf,
{
    BuiltinKind {
        api_version: T::API_VERSION,
        kind: T::KIND,
        scope: <T::Scope as ScopeOf>::SCOPE,
        name_rule,
        decode: decode_without_metadata::<T>,
    }
}

/// Only the kinds dbgen emits (each decoder is a large monomorphization, so an unused one
/// costs build time for nothing), plus `Secret`: dbgen never writes one, but if it ever does,
/// the no-payload policy below applies rather than a bare "no schema".
/// Services are DNS-1035 labels in the API server; every other kind here accepts a
/// DNS-1123 subdomain.
pub(super) static BUILTINS: [BuiltinKind; 9] = [
    entry::<ConfigMap>(NameRule::Dns1123Subdomain),
    entry::<Secret>(NameRule::Dns1123Subdomain),
    entry::<Service>(NameRule::Dns1035Label),
    entry::<PersistentVolumeClaim>(NameRule::Dns1123Subdomain),
    entry::<StatefulSet>(NameRule::Dns1123Subdomain),
    entry::<Job>(NameRule::Dns1123Subdomain),
    entry::<CronJob>(NameRule::Dns1123Subdomain),
    entry::<PodDisruptionBudget>(NameRule::Dns1123Subdomain),
    entry::<NetworkPolicy>(NameRule::Dns1123Subdomain),
];

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
