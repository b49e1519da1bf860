//! The JSON Schemas of the built-in Kubernetes kinds dbgen emits, from k8s-openapi's types.
//!
//! Input: the `builtin("<apiVersion>", ..)` rows of `src/plan/kind.rs` (with their variant,
//! which is the Kubernetes kind, and their file stems), plus `Secret` and `ObjectMeta`, which dbgen's verifier checks without a row. Output:
//! `schemas/builtin/<stem>.json` for each, minified, as k8s-openapi 0.29.0 (Kubernetes v1.33,
//! the pin in `xtask/Cargo.toml`) describes the type, changed only by the rules in
//! `schemas/README.md` ("Built-in kinds"). Invariant: the schemas are as strict as decoding
//! into the k8s-openapi type was: every object that lists its fields is closed, required
//! fields stay required, int-or-string and quantities are typed; only validation keywords are
//! kept, and no `$ref` is left (so every error's schema location is a plain path).

use std::collections::BTreeMap;

use k8s_openapi::Resource;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::schemars::generate::SchemaSettings;
use k8s_openapi::schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use crate::convert;

/// `schemas/builtin/<stem>.json` of the two schemas the verifier needs without a row.
pub const SECRET_STEM: &str = "secret";
pub const OBJECT_META_STEM: &str = "objectmeta";

/// A Kubernetes quantity as the API server parses it (`resource.ParseQuantity`'s grammar,
/// the pattern controller-gen writes for `resource.Quantity` fields).
const QUANTITY_PATTERN: &str = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";

/// One generated schema: its stem under `schemas/builtin/` and its text.
#[derive(Debug)]
pub struct Generated {
    pub stem: String,
    pub schema: Value,
}

/// The k8s-openapi types xtask can describe, found by the apiVersion and kind a row
/// declares. A new built-in row needs its type here (one line) before `cargo xtask schemas
/// builtin` runs.
macro_rules! known_types {
    ($($ty:ty,)*) => {
        /// The raw schema of the object type with this apiVersion and kind, or `None` when
        /// xtask does not know it.
        fn object_schema(api_version: &str, kind: &str) -> Option<Schema> {
            $(if <$ty as Resource>::API_VERSION == api_version && <$ty as Resource>::KIND == kind {
                return Some(root_schema::<$ty>());
            })*
            None
        }

        /// Every `apiVersion kind` `object_schema` knows (for the error naming them).
        fn known() -> Vec<String> {
            vec![$(format!("{} {}", <$ty as Resource>::API_VERSION, <$ty as Resource>::KIND),)*]
        }
    };
}

known_types! {
    k8s_openapi::api::apps::v1::DaemonSet,
    k8s_openapi::api::apps::v1::Deployment,
    k8s_openapi::api::apps::v1::StatefulSet,
    k8s_openapi::api::batch::v1::CronJob,
    k8s_openapi::api::batch::v1::Job,
    k8s_openapi::api::core::v1::ConfigMap,
    k8s_openapi::api::core::v1::LimitRange,
    k8s_openapi::api::core::v1::PersistentVolumeClaim,
    k8s_openapi::api::core::v1::ResourceQuota,
    k8s_openapi::api::core::v1::Secret,
    k8s_openapi::api::core::v1::Service,
    k8s_openapi::api::core::v1::ServiceAccount,
    k8s_openapi::api::networking::v1::NetworkPolicy,
    k8s_openapi::api::policy::v1::PodDisruptionBudget,
    k8s_openapi::api::rbac::v1::Role,
    k8s_openapi::api::rbac::v1::RoleBinding,
}

fn root_schema<T: JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>()
}

/// One `builtin(..)` row of the kind table: its file stem, apiVersion and kind (the
/// row's variant name).
#[derive(Debug, PartialEq, Eq)]
pub struct Row {
    pub stem: String,
    pub api_version: String,
    pub kind: String,
}

/// The built-in rows of the kind table in `kind_rs` (the text of `src/plan/kind.rs`).
pub fn builtin_rows(kind_rs: &str) -> Result<Vec<Row>, String> {
    let start = kind_rs
        .find("$then! {")
        .ok_or("src/plan/kind.rs: no `$then! {` opening the kind table")?;
    let body = &kind_rs[start..];
    let end = body
        .find("\n        }\n")
        .ok_or("src/plan/kind.rs: the kind table does not end")?;
    let code: String = body[..end]
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut rows = Vec::new();
    for row in code.split(';') {
        let Some(at) = row.find("builtin(") else {
            continue;
        };
        let stem = row
            .split('"')
            .nth(1)
            .ok_or_else(|| format!("a built-in row without a file stem: {}", row.trim()))?;
        // The variant, the row's first word (the first row follows the table's opening).
        let kind = row
            .split('(')
            .next()
            .and_then(|head| head.split_whitespace().last())
            .unwrap_or_default();
        let api_version = row[at + "builtin(".len()..]
            .split('"')
            .nth(1)
            .ok_or_else(|| format!("a built-in row without an apiVersion: {}", row.trim()))?;
        rows.push(Row {
            stem: stem.to_owned(),
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
        });
    }
    if rows.is_empty() {
        return Err("src/plan/kind.rs: no builtin(..) row".to_owned());
    }
    Ok(rows)
}

/// Every schema `schemas/builtin/` must hold for this kind table, in stem order.
pub fn generate(kind_rs: &str) -> Result<Vec<Generated>, String> {
    let mut wanted: BTreeMap<String, (String, String)> = builtin_rows(kind_rs)?
        .into_iter()
        .map(|row| (row.stem, (row.api_version, row.kind)))
        .collect();
    wanted.insert(
        SECRET_STEM.to_owned(),
        ("v1".to_owned(), "Secret".to_owned()),
    );
    let mut generated = Vec::new();
    for (stem, (api_version, kind)) in wanted {
        let raw = object_schema(&api_version, &kind).ok_or_else(|| {
            format!(
                "{api_version} {kind} (row `{stem}`): xtask does not know this type; add it \
                 to `known_types!` in xtask/src/builtin.rs (known: {})",
                known().join(", ")
            )
        })?;
        let schema = convert_object(raw.to_value(), &api_version, &kind)
            .map_err(|e| format!("{api_version} {kind}: {e}"))?;
        generated.push(Generated { stem, schema });
    }
    let meta = root_schema::<ObjectMeta>().to_value();
    generated.push(Generated {
        stem: OBJECT_META_STEM.to_owned(),
        schema: convert_schema(meta).map_err(|e| format!("ObjectMeta: {e}"))?,
    });
    generated.sort_by(|a, b| a.stem.cmp(&b.stem));
    Ok(generated)
}

/// The schema of a top-level object: `metadata` is left to dbgen's `verify/meta.rs`, which
/// checks it against `objectmeta.json` and dbgen's name rules once for every kind (here it
/// would be reported twice); `apiVersion` and `kind` are pinned as for a CRD.
fn convert_object(raw: Value, api_version: &str, kind: &str) -> Result<Value, String> {
    let mut schema = convert_schema(raw)?;
    let root = schema
        .as_object_mut()
        .ok_or("the schema is not a mapping")?;
    if let Some(Value::Object(properties)) = root.get_mut("properties") {
        properties.insert("metadata".into(), json!({ "type": "object" }));
    }
    if let Some(Value::Array(required)) = root.get_mut("required") {
        required.retain(|field| field != "metadata");
    }
    convert::pin_type_meta(&mut schema, api_version, kind)?;
    Ok(schema)
}

/// k8s-openapi's schema of a type → the schema dbgen embeds (rules in `schemas/README.md`):
/// definitions inlined, int-or-string and quantities typed, only validation keywords kept,
/// every object that lists its properties closed (the root too).
pub fn convert_schema(mut raw: Value) -> Result<Value, String> {
    let root = raw.as_object_mut().ok_or("the schema is not a mapping")?;
    let defs = match root.remove("$defs") {
        Some(Value::Object(defs)) => defs,
        Some(_) => return Err("$defs is not a mapping".to_owned()),
        None => Map::new(),
    };
    let defs: Map<String, Value> = defs
        .into_iter()
        .map(|(name, def)| {
            let def = match name.as_str() {
                "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => {
                    json!({ "anyOf": [{ "type": "integer" }, { "type": "string" }] })
                }
                "io.k8s.apimachinery.pkg.api.resource.Quantity" => json!({ "anyOf": [
                    { "type": "number" },
                    { "type": "string", "pattern": QUANTITY_PATTERN },
                ] }),
                _ => def,
            };
            (name, def)
        })
        .collect();
    let mut schema = inline(&raw, &defs, &mut Vec::new())?;
    if mentions(&schema, "x-kubernetes-int-or-string") {
        return Err("an int-or-string field that is neither IntOrString nor Quantity".to_owned());
    }
    strip(&mut schema);
    nullable_optionals(&mut schema);
    convert::close_objects(&mut schema, false);
    Ok(schema)
}

/// Every optional field also admits `null`, which the API server reads as absent and Helm
/// charts write (`nodePort: null`, `annotations: null`); the k8s-openapi decoder accepted it
/// too. A required field, a list item and a map value still refuse it.
fn nullable_optionals(node: &mut Value) {
    let Value::Object(map) = node else { return };
    let required: Vec<String> = map
        .get("required")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        for (name, property) in properties.iter_mut() {
            nullable_optionals(property);
            if !required.contains(name) {
                admit_null(property);
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(value @ Value::Object(_)) = map.get_mut(key) {
            nullable_optionals(value);
        }
    }
    if let Some(Value::Array(list)) = map.get_mut("anyOf") {
        list.iter_mut().for_each(nullable_optionals);
    }
}

fn admit_null(property: &mut Value) {
    let Value::Object(map) = property else { return };
    if let Some(Value::String(kind)) = map.get("type") {
        let kind = kind.clone();
        map.insert("type".into(), json!([kind, "null"]));
    } else if let Some(Value::Array(list)) = map.get_mut("anyOf") {
        list.push(json!({ "type": "null" }));
    }
}

/// Replaces every `$ref` by the definition it names (merged with its sibling keywords),
/// failing on a cycle: no built-in kind dbgen emits is recursive.
fn inline(
    node: &Value,
    defs: &Map<String, Value>,
    stack: &mut Vec<String>,
) -> Result<Value, String> {
    match node {
        Value::Object(map) => {
            let mut out = Map::new();
            if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                let name = reference
                    .strip_prefix("#/$defs/")
                    .ok_or_else(|| format!("unexpected $ref {reference}"))?;
                if stack.iter().any(|seen| seen == name) {
                    return Err(format!("recursive schema through {name}"));
                }
                let def = defs
                    .get(name)
                    .ok_or_else(|| format!("$ref to a missing definition {name}"))?;
                stack.push(name.to_owned());
                let inlined = inline(def, defs, stack)?;
                stack.pop();
                if let Value::Object(def_map) = inlined {
                    out = def_map;
                }
            }
            for (key, value) in map {
                if key != "$ref" {
                    out.insert(key.clone(), inline(value, defs, stack)?);
                }
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .map(|item| inline(item, defs, stack))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

/// The keywords a validator reads; descriptions, titles, `$schema` and the
/// `x-kubernetes-*` extensions are documentation for other tools and only cost bytes.
const VALIDATION_KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "additionalProperties",
    "items",
    "required",
    "enum",
    "anyOf",
    "format",
    "pattern",
];

/// Keeps only the keywords a validator reads, at every schema node.
fn strip(node: &mut Value) {
    let Value::Object(map) = node else { return };
    map.retain(|key, _| VALIDATION_KEYWORDS.contains(&key.as_str()));
    for (key, value) in map.iter_mut() {
        match (key.as_str(), value) {
            ("properties", Value::Object(properties)) => properties.values_mut().for_each(strip),
            ("anyOf", Value::Array(list)) => list.iter_mut().for_each(strip),
            ("items" | "additionalProperties", value @ Value::Object(_)) => strip(value),
            _ => {}
        }
    }
}

/// Whether `key` is a key anywhere in `node`.
fn mentions(node: &Value, key: &str) -> bool {
    match node {
        Value::Object(map) => map.contains_key(key) || map.values().any(|v| mentions(v, key)),
        Value::Array(items) => items.iter().any(|v| mentions(v, key)),
        _ => false,
    }
}
