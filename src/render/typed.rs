//! Typed builders: the kinds whose body is already a typed value in the plan.
//!
//! Input: an object whose row renders `typed()` or `values()`. Output: its document.
//! A typed kind's document is its row's apiVersion and kind, `metadata` from the plan's
//! `meta` (name, namespace when namespaced, labels), and every other field of its plan
//! (`spec`, or a ConfigMap's `data`) serialized as is; a Helm values file is the plan's
//! values tree. Invariant: no template and no text: nothing here can misquote a value, and
//! a field the plan adds by mistake reaches `verify` as an unknown field, not the cluster.

use serde_json::{Map, Value};

use crate::plan::{ObjectData, Scope};

/// What a render error names as the template of a typed kind.
pub(super) const SOURCE: &str = "(typed builder)";

pub(super) fn document(data: &ObjectData) -> Result<Value, String> {
    if let ObjectData::HelmValues(plan) = data {
        return Ok(plan.values.clone());
    }
    let spec = data.kind().spec();
    let Value::Object(mut body) = serde_json::to_value(data).map_err(|e| e.to_string())? else {
        return Err(format!("the plan of a {} is not a mapping", spec.name));
    };
    body.remove("meta");
    let meta = data.meta();
    let mut metadata = Map::new();
    metadata.insert("name".to_owned(), Value::String(meta.name.clone()));
    if spec.scope == Scope::Namespaced {
        metadata.insert(
            "namespace".to_owned(),
            Value::String(meta.namespace.clone()),
        );
    }
    let labels = meta
        .labels
        .iter()
        .map(|(key, value)| (key.clone(), Value::String(value.clone())))
        .collect();
    metadata.insert("labels".to_owned(), Value::Object(labels));
    let api_version = spec
        .api_version
        .ok_or_else(|| format!("{} has no apiVersion", spec.name))?;
    body.insert(
        "apiVersion".to_owned(),
        Value::String(api_version.to_owned()),
    );
    body.insert("kind".to_owned(), Value::String(spec.name.to_owned()));
    body.insert("metadata".to_owned(), Value::Object(metadata));
    Ok(Value::Object(body))
}
