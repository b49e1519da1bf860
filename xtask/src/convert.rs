//! A `CustomResourceDefinition` → standalone JSON Schema, one per served version.
//!
//! Input: the text of a CRD YAML file (one or more documents). Output: for every served
//! version of every CRD in it, `(<group>/<kind-lowercase>_<version>.json, schema)`, in the
//! file's order. Invariant: the schema is the version's `openAPIV3Schema` as upstream wrote it
//! (key order, descriptions, defaults, patterns, every `x-kubernetes-*` extension) changed only
//! by the rules in `schemas/README.md`:
//! - every object node below the root that declares `properties` and no
//!   `additionalProperties` gets `additionalProperties: false`, unless it is marked
//!   `x-kubernetes-preserve-unknown-fields: true` (the API server keeps unknown fields there);
//! - a node of `format: int-or-string` becomes `oneOf: [string, integer]`;
//! - `apiVersion` and `kind` are pinned with a one-value `enum` and required at the root;
//! - versions with `served: false` are skipped.

use serde_json::{Map, Value, json};

/// One converted schema: where it goes under `schemas/crds/` and what it holds.
#[derive(Debug)]
pub struct Converted {
    /// `<group>/<kind-lowercase>_<version>.json`
    pub path: String,
    pub schema: Value,
}

/// Converts every CRD in `text`; documents of other kinds are ignored.
pub fn convert(text: &str) -> Result<Vec<Converted>, String> {
    let documents: Vec<Value> =
        serde_saphyr::from_multiple(text).map_err(|e| format!("not YAML: {e}"))?;
    let mut out = Vec::new();
    for crd in documents
        .iter()
        .filter(|d| d.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition"))
    {
        let field = |pointer: &str| {
            crd.pointer(pointer)
                .ok_or_else(|| format!("a CRD without {pointer}"))
        };
        let group = field("/spec/group")?
            .as_str()
            .ok_or("spec.group is not a string")?;
        let kind = field("/spec/names/kind")?
            .as_str()
            .ok_or("spec.names.kind is not a string")?;
        let versions = field("/spec/versions")?
            .as_array()
            .ok_or("spec.versions is not a list")?;
        for version in versions {
            if version.get("served") == Some(&Value::Bool(false)) {
                continue;
            }
            let name = version
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{kind}: a version without a name"))?;
            let mut schema = version
                .pointer("/schema/openAPIV3Schema")
                .cloned()
                .ok_or_else(|| format!("{kind} {name}: no schema.openAPIV3Schema"))?;
            pin_type_meta(&mut schema, &format!("{group}/{name}"), kind)?;
            close_objects(&mut schema, true);
            int_or_string(&mut schema);
            out.push(Converted {
                path: format!("{group}/{}_{name}.json", kind.to_lowercase()),
                schema,
            });
        }
    }
    Ok(out)
}

/// `apiVersion` and `kind` admit only this version's values, and both are required first.
pub(crate) fn pin_type_meta(
    schema: &mut Value,
    api_version: &str,
    kind: &str,
) -> Result<(), String> {
    let root = schema
        .as_object_mut()
        .ok_or("openAPIV3Schema is not a mapping")?;
    let properties = root
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or("properties is not a mapping")?;
    for (field, value) in [("apiVersion", api_version), ("kind", kind)] {
        let node = properties
            .entry(field)
            .or_insert_with(|| json!({ "type": "string" }))
            .as_object_mut()
            .ok_or_else(|| format!("properties.{field} is not a mapping"))?;
        node.insert("enum".into(), json!([value]));
    }
    let required = root
        .entry("required")
        .or_insert_with(|| Value::Array(Vec::new()))
        .as_array_mut()
        .ok_or("required is not a list")?;
    let missing: Vec<Value> = ["apiVersion", "kind"]
        .into_iter()
        .filter(|f| !required.iter().any(|r| r == f))
        .map(Value::from)
        .collect();
    required.splice(0..0, missing);
    Ok(())
}

/// The subschemas of a schema node, as structural CRD schemas may hold them.
fn subschemas(node: &mut Map<String, Value>) -> Vec<&mut Value> {
    let mut found = Vec::new();
    for (key, value) in node.iter_mut() {
        match key.as_str() {
            "properties" | "patternProperties" => {
                if let Value::Object(map) = value {
                    found.extend(map.values_mut());
                }
            }
            "items" | "additionalProperties" | "not" if !value.is_array() => found.push(value),
            "items" | "allOf" | "anyOf" | "oneOf" => {
                if let Value::Array(list) = value {
                    found.extend(list.iter_mut());
                }
            }
            _ => {}
        }
    }
    found
}

/// Closes every object node below the root that lists its properties, so a misspelt field
/// fails verification instead of being pruned by the API server.
pub(crate) fn close_objects(schema: &mut Value, is_root: bool) {
    let Value::Object(node) = schema else { return };
    let preserves_unknown = node.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
    if !is_root
        && node.contains_key("properties")
        && !node.contains_key("additionalProperties")
        && !preserves_unknown
    {
        node.insert("additionalProperties".into(), Value::Bool(false));
    }
    for sub in subschemas(node) {
        close_objects(sub, false);
    }
}

/// `format: int-or-string` (older generators) as the JSON Schema it means.
fn int_or_string(schema: &mut Value) {
    let Value::Object(node) = schema else { return };
    if node.get("format") == Some(&json!("int-or-string")) {
        *schema = json!({ "oneOf": [{ "type": "string" }, { "type": "integer" }] });
        return;
    }
    for sub in subschemas(node) {
        int_or_string(sub);
    }
}
