//! Built-in objects of every golden tree, decoded strictly into their k8s-openapi types.
//!
//! Input: every YAML document under `golden/*/expected/` whose apiVersion and kind are a
//! built-in row of the kind table (or `Secret`). Output: a failure naming the file, the
//! object's kind and the field path of every unknown field (`serde_ignored`) and of the
//! first type error (`serde_path_to_error`). Invariant: dbgen itself checks built-in kinds
//! against the JSON Schemas of `schemas/builtin/` (no k8s-openapi `Deserialize` in the
//! binary, which builds them from its own structs, `plan::k8s`, and does not depend on
//! k8s-openapi); this keeps what it writes checked against the real types as well, and keeps
//! the apiVersion, kind and scope the kind table's built-in rows declare equal to the types'.

use std::any::TypeId;
use std::fs;
use std::path::{Path, PathBuf};

use dbgen::plan::{Check, Kind, Scope};
use k8s_openapi::{NamespaceResourceScope, Resource};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// How one built-in kind is decoded, and what its type says about it.
struct Decoder {
    api_version: &'static str,
    kind: &'static str,
    scope: Scope,
    decode: fn(&Value) -> Vec<String>,
}

fn decoder<T>() -> Decoder
where
    T: Resource + DeserializeOwned,
    T::Scope: 'static,
{
    let scope = if TypeId::of::<T::Scope>() == TypeId::of::<NamespaceResourceScope>() {
        Scope::Namespaced
    } else {
        Scope::Cluster
    };
    Decoder {
        api_version: T::API_VERSION,
        kind: T::KIND,
        scope,
        decode: decode_strict::<T>,
    }
}

/// Every built-in kind dbgen may write; `every_built_in_row_has_its_decoder` keeps this
/// list and the kind table equal.
fn decoders() -> Vec<Decoder> {
    use k8s_openapi::api::{apps, batch, core, networking, policy};
    vec![
        decoder::<core::v1::ConfigMap>(),
        decoder::<batch::v1::CronJob>(),
        decoder::<batch::v1::Job>(),
        decoder::<networking::v1::NetworkPolicy>(),
        decoder::<core::v1::PersistentVolumeClaim>(),
        decoder::<apps::v1::StatefulSet>(),
        decoder::<core::v1::Service>(),
        decoder::<policy::v1::PodDisruptionBudget>(),
        decoder::<core::v1::Secret>(),
    ]
}

/// Every field `T` does not know, and the first type error, as `path: message`.
fn decode_strict<T: DeserializeOwned>(value: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    // `?` marks an `Option` layer, not a field of the YAML.
    let mut unknown = |path: serde_ignored::Path<'_>| {
        problems.push(format!(
            "{}: unknown field",
            path.to_string().replace("?.", "")
        ));
    };
    let outcome: Result<T, _> =
        serde_path_to_error::deserialize(serde_ignored::Deserializer::new(value, &mut unknown));
    if let Err(error) = outcome {
        problems.push(format!("{}: {}", error.path(), error.inner()));
    }
    problems
}

/// A test's own check that the decoder is strict: without it, a decoder that accepts
/// anything would let every golden tree pass.
#[test]
fn the_decoder_refuses_unknown_fields_and_wrong_types() {
    let decoders = decoders();
    let service = decoders
        .iter()
        .find(|d| d.kind == "Service")
        .expect("a Service decoder");
    let mut doc = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "pg", "namespace": "db"},
        "spec": {"ports": [{"port": 5432, "targetPort": "postgres"}]},
    });
    assert!((service.decode)(&doc).is_empty());
    doc["spec"]["ports"][0]["prot"] = Value::from(1);
    doc["metadata"]["labelz"] = Value::from("x");
    let problems = (service.decode)(&doc);
    assert_eq!(
        problems,
        [
            "metadata.labelz: unknown field",
            "spec.ports.0.prot: unknown field"
        ]
    );
    doc["spec"]["ports"][0]["port"] = Value::from("5432");
    let problems = (service.decode)(&doc);
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("spec.ports[0].port: invalid type: string")),
        "{problems:?}"
    );
}

/// The kind table's built-in rows and this module's decoders name the same kinds, with the
/// apiVersion, kind and scope of the k8s-openapi type.
#[test]
fn every_built_in_row_has_its_decoder() {
    let decoders = decoders();
    let rows: Vec<&'static dbgen::plan::KindSpec> = Kind::all()
        .map(Kind::spec)
        .filter(|spec| spec.check == Check::Builtin)
        .collect();
    for row in &rows {
        let decoder = decoders
            .iter()
            .find(|d| Some(d.api_version) == row.api_version && d.kind == row.name)
            .unwrap_or_else(|| panic!("no decoder for the row {row:?}"));
        assert_eq!(decoder.scope, row.scope, "{row:?}");
    }
    // Every decoder but Secret's (checked without a row) is a row's.
    assert_eq!(decoders.len(), rows.len() + 1);
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

#[test]
fn every_built_in_object_of_every_golden_tree_decodes_strictly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut files = Vec::new();
    for case in fs::read_dir(&root).unwrap() {
        let expected = case.unwrap().path().join("expected");
        if expected.is_dir() {
            yaml_files(&expected, &mut files);
        }
    }
    files.sort();
    let decoders = decoders();
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    let mut failures = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        let documents: Vec<Value> = serde_saphyr::from_multiple(&text)
            .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        for doc in documents {
            let field = |name: &str| doc.get(name).and_then(Value::as_str);
            let (Some(api_version), Some(kind)) = (field("apiVersion"), field("kind")) else {
                continue;
            };
            let Some(found) = decoders
                .iter()
                .find(|d| d.api_version == api_version && d.kind == kind)
            else {
                continue;
            };
            *seen.entry(found.kind).or_default() += 1;
            for problem in (found.decode)(&doc) {
                let relative = file.strip_prefix(&root).unwrap_or(file);
                failures.push(format!("{}: {kind}: {problem}", relative.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every row's kind is in some golden tree (Secret is not: dbgen writes none).
    for expected in decoders.iter().filter(|d| d.kind != "Secret") {
        assert!(
            seen.contains_key(expected.kind),
            "no golden tree writes a {}: {seen:?}",
            expected.kind
        );
    }
}
