//! Strict `metadata` checks shared by every kind.
//! Input: the top-level mapping of one object, its kind's scope and name rule.
//! Output: issues for unknown metadata fields and type errors (`schemas/builtin/objectmeta.json`),
//! invalid names, namespaces,
//! label keys/values and annotation keys, and scope violations.
//! Invariant: CRD schemas declare `metadata` as a bare `type: object`, so this
//! module is the only thing standing between a typo in metadata and the cluster.

use serde_json::{Map, Value};

use super::path::{FieldPath, Issue};
use super::schema::{SchemaCache, SchemaId};
use crate::plan::Scope;

/// Which name syntax the API server enforces for `metadata.name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NameRule {
    Dns1123Subdomain,
    Dns1035Label,
}

const SUBDOMAIN_RULE: &str = "a DNS-1123 subdomain: at most 253 characters, dot-separated parts of \
     lowercase alphanumerics and '-', each starting and ending with an alphanumeric";
const LABEL_RULE: &str = "a DNS-1123 label: at most 63 lowercase alphanumerics or '-', \
     starting and ending with an alphanumeric";
const DNS1035_RULE: &str = "a DNS-1035 label: at most 63 lowercase alphanumerics or '-', \
     starting with a letter and ending with an alphanumeric";
const QUALIFIED_NAME_RULE: &str = "an optional DNS-1123 subdomain prefix and '/', then a name of at \
     most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
const LABEL_VALUE_RULE: &str = "at most 63 alphanumerics, '-', '_' or '.', starting and ending \
     with an alphanumeric (or empty)";

pub(super) fn check(
    cache: &SchemaCache,
    object: &Map<String, Value>,
    kind: &str,
    scope: Scope,
    rule: NameRule,
) -> Vec<Issue> {
    let Some(metadata) = object.get("metadata") else {
        return vec![Issue::at("metadata", "missing field `metadata`")];
    };
    let Some(fields) = metadata.as_object() else {
        return vec![Issue::at("metadata", "`metadata` must be a mapping")];
    };
    let mut issues = cache.check(SchemaId::ObjectMeta, metadata, &FieldPath::keys("metadata"));
    issues.extend(check_name(fields, rule));
    issues.extend(check_namespace(fields, kind, scope));
    issues.extend(check_string_map(fields, "labels", true));
    issues.extend(check_string_map(fields, "annotations", false));
    issues
}

fn check_name(fields: &Map<String, Value>, rule: NameRule) -> Option<Issue> {
    let Some(name) = fields.get("name") else {
        return Some(Issue::at("metadata.name", "missing field `name`"));
    };
    // A non-string name is already reported by the ObjectMeta schema.
    let name = name.as_str()?;
    let (valid, description) = match rule {
        NameRule::Dns1123Subdomain => (is_dns1123_subdomain(name), SUBDOMAIN_RULE),
        NameRule::Dns1035Label => (is_dns1035_label(name), DNS1035_RULE),
    };
    (!valid).then(|| Issue::at("metadata.name", format!("`{name}` is not {description}")))
}

fn check_namespace(fields: &Map<String, Value>, kind: &str, scope: Scope) -> Option<Issue> {
    match (fields.get("namespace"), scope) {
        (None, Scope::Namespaced) => Some(Issue::at(
            "metadata.namespace",
            format!(
                "missing field `namespace`: {kind} is namespaced and dbgen never relies on a default namespace"
            ),
        )),
        (None, Scope::Cluster) => None,
        (Some(_), Scope::Cluster) => Some(Issue::at(
            "metadata.namespace",
            format!("{kind} is cluster-scoped and must not have a namespace"),
        )),
        (Some(namespace), Scope::Namespaced) => {
            let namespace = namespace.as_str()?;
            (!is_dns1123_label(namespace)).then(|| {
                Issue::at(
                    "metadata.namespace",
                    format!("`{namespace}` is not {LABEL_RULE}"),
                )
            })
        }
    }
}

/// Label keys and annotation keys share the qualified-name syntax; only label
/// values are restricted (annotation values are free text).
fn check_string_map(fields: &Map<String, Value>, field: &str, check_values: bool) -> Vec<Issue> {
    let Some(Value::Object(entries)) = fields.get(field) else {
        return Vec::new();
    };
    let mut issues = Vec::new();
    for (key, value) in entries {
        let path = FieldPath::keys("metadata").key(field).key(key);
        if !is_qualified_name(key) {
            issues.push(Issue::new(
                path.clone(),
                format!("invalid key `{key}`: expected {QUALIFIED_NAME_RULE}"),
            ));
        }
        if let (true, Some(text)) = (check_values, value.as_str())
            && !is_label_value(text)
        {
            issues.push(Issue::new(
                path,
                format!("invalid label value `{text}`: expected {LABEL_VALUE_RULE}"),
            ));
        }
    }
    issues
}

fn is_dns_part(part: &str, allow_upper_and_underscore: bool) -> bool {
    let inner_ok = |c: char| {
        c.is_ascii_digit()
            || c.is_ascii_lowercase()
            || c == '-'
            || (allow_upper_and_underscore && (c.is_ascii_uppercase() || c == '_' || c == '.'))
    };
    let edge_ok = |c: char| {
        c.is_ascii_digit()
            || c.is_ascii_lowercase()
            || (allow_upper_and_underscore && c.is_ascii_uppercase())
    };
    let (Some(first), Some(last)) = (part.chars().next(), part.chars().last()) else {
        return false;
    };
    edge_ok(first) && edge_ok(last) && part.chars().all(inner_ok)
}

pub(super) fn is_dns1123_label(name: &str) -> bool {
    name.len() <= 63 && is_dns_part(name, false)
}

pub(super) fn is_dns1035_label(name: &str) -> bool {
    is_dns1123_label(name) && name.starts_with(|c: char| c.is_ascii_lowercase())
}

pub(super) fn is_dns1123_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(|part| is_dns_part(part, false))
}

/// The name half of a label key, also the syntax of a non-empty label value.
fn is_label_name(name: &str) -> bool {
    name.len() <= 63 && is_dns_part(name, true)
}

fn is_qualified_name(key: &str) -> bool {
    match key.split_once('/') {
        Some((prefix, name)) => is_dns1123_subdomain(prefix) && is_label_name(name),
        None => is_label_name(key),
    }
}

fn is_label_value(value: &str) -> bool {
    value.is_empty() || is_label_name(value)
}
