//! The converter against a hand-checked fixture and against real upstream CRDs, whose
//! conversions must be the schemas dbgen embeds; and the pins against `schemas/crds/`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{builtin, convert, json, pins, recipe, repo_root};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

#[test]
fn the_widget_fixture_converts_as_reviewed() {
    let text = fs::read_to_string(fixtures().join("widget-crd.yaml")).unwrap();
    let converted = convert::convert(&text).unwrap();
    let paths: Vec<&str> = converted.iter().map(|c| c.path.as_str()).collect();
    // The ConfigMap is ignored and the unserved v1alpha1 skipped.
    assert_eq!(
        paths,
        [
            "example.dbgen.dev/widget_v1.json",
            "example.dbgen.dev/widget_v1beta2.json"
        ]
    );
    for c in &converted {
        let name = c.path.rsplit('/').next().unwrap();
        let expected = fs::read_to_string(fixtures().join(name)).unwrap();
        assert_eq!(json::to_text(&c.schema), expected, "{}", c.path);
    }
}

/// The same JSON, keys in the same order, whatever the whitespace (a minified embedded
/// schema still compares).
fn same_document(a: &str, b: &str) -> bool {
    let a: Value = serde_json::from_str(a).unwrap();
    let b: Value = serde_json::from_str(b).unwrap();
    serde_json::to_string(&a).unwrap() == serde_json::to_string(&b).unwrap()
}

#[test]
fn upstream_crds_convert_to_the_embedded_schemas() {
    let root = repo_root();
    let pins = pins::load(&root).unwrap();
    let upstream = fixtures().join("upstream");
    let mut compared = Vec::new();
    for source in pins.reproducible() {
        for file in &source.files {
            let path = upstream.join(&source.repo).join(file);
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            for c in convert::convert(&text).unwrap() {
                if !source.schemas.contains(&c.path) {
                    continue;
                }
                let embedded = fs::read_to_string(root.join("schemas/crds").join(&c.path)).unwrap();
                let ours = json::to_embedded(&c.schema);
                assert!(same_document(&ours, &embedded), "{} differs", c.path);
                assert_eq!(ours, embedded, "{}: same JSON, other bytes", c.path);
                compared.push(c.path);
            }
        }
    }
    assert_eq!(
        compared,
        [
            "postgresql.cnpg.io/scheduledbackup_v1.json",
            "external-secrets.io/externalsecret_v1.json",
        ],
        "the upstream fixtures no longer cover what they did"
    );
}

#[test]
fn every_embedded_schema_is_pinned_once() {
    let root = repo_root();
    let pins = pins::load(&root).unwrap();
    let mut listed = BTreeSet::new();
    for schema in pins.source.iter().flat_map(|s| &s.schemas) {
        assert!(listed.insert(schema.clone()), "{schema} listed twice");
    }
    let crds = root.join("schemas/crds");
    let mut present = BTreeSet::new();
    for group in fs::read_dir(&crds).unwrap() {
        let group = group.unwrap().path();
        for file in fs::read_dir(&group).unwrap() {
            let file = file.unwrap().path();
            present.insert(format!(
                "{}/{}",
                group.file_name().unwrap().to_string_lossy(),
                file.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert_eq!(
        listed, present,
        "schemas/upstream.toml and schemas/crds/ disagree"
    );
}

#[test]
fn a_missing_upstream_file_is_named_with_its_url() {
    let root = repo_root();
    let pins = pins::load(&root).unwrap();
    let empty = tempdir();
    let error = pins::generate(&pins, &empty).unwrap_err();
    assert!(
        error.contains("download it from https://raw.githubusercontent.com/"),
        "{error}"
    );
    fs::remove_dir_all(&empty).unwrap();
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-test-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The places the kind recipe names, read from ARCHITECTURE.md, and how a changed file
/// is matched against them (`cargo xtask kind-recipe` does the building).
#[test]
fn the_kind_recipe_names_its_places() {
    let text = fs::read_to_string(repo_root().join("ARCHITECTURE.md")).unwrap();
    let places = recipe::recipe_places(&text).unwrap();
    for place in [
        "src/plan/kind.rs",
        "src/plan/mod.rs",
        "src/plan/<module>.rs",
        "golden/<case>/",
        "templates/<stem>.yaml.j2",
        "schemas/builtin/<stem>.json",
        "src/plan/k8s/",
    ] {
        assert!(
            places.iter().any(|p| p == place),
            "{place} not in {places:?}"
        );
    }
    // Only the recipe's own section: the engine recipe's places are not the kind's.
    assert!(
        !places.iter().any(|p| p == "src/spec/model.rs"),
        "{places:?}"
    );
    assert!(recipe::matches(
        "src/plan/<module>.rs",
        "src/plan/statefulset.rs"
    ));
    assert!(!recipe::matches(
        "src/plan/<module>.rs",
        "src/plan/redis/mod.rs"
    ));
    assert!(recipe::matches(
        "golden/<case>/",
        "golden/toy/expected/dev/a.yaml"
    ));
    assert!(!recipe::matches("golden/<case>/", "golden/toy"));
    assert!(recipe::matches(
        "src/plan/k8s/",
        "src/plan/k8s/workloads.rs"
    ));
    assert!(recipe::matches(
        "templates/<stem>.yaml.j2",
        "templates/limitrange.yaml.j2"
    ));
    assert!(!recipe::matches(
        "src/plan/kind.rs",
        "src/plan/kind.rs.orig"
    ));
}

/// `schemas/builtin/` is exactly what `cargo xtask schemas builtin` generates from the kind
/// table and the pinned k8s-openapi (the check `schemas builtin --check` makes).
#[test]
fn builtin_schemas_are_as_generated() {
    let root = repo_root();
    let generated =
        builtin::generate(&fs::read_to_string(root.join("src/plan/kind.rs")).unwrap()).unwrap();
    let mut names = BTreeSet::new();
    for schema in &generated {
        let name = format!("{}.json", schema.stem);
        let embedded = fs::read_to_string(root.join("schemas/builtin").join(&name)).unwrap();
        assert_eq!(json::to_embedded(&schema.schema), embedded, "{name}");
        names.insert(name);
    }
    let present: BTreeSet<String> = fs::read_dir(root.join("schemas/builtin"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, present);
}

#[test]
fn builtin_rows_are_read_from_the_kind_table() {
    let table = r#"
        $then! {
            ConfigMap(ConfigMapPlan) "configmap", typed(),
                builtin("v1", Namespaced, Dns1123Subdomain);
            // Services are DNS-1035 labels; "quoted" in a comment is no stem.
            Service(ServicePlan) "service", typed(),
                builtin("v1", Namespaced, Dns1035Label);
            Pooler(PoolerPlan) "pooler", template("pooler.yaml.j2"),
                crd("postgresql.cnpg.io", "v1", Namespaced, "pooler_v1.json");
        }
    "#;
    let rows = builtin::builtin_rows(table).unwrap();
    assert_eq!(
        rows,
        [
            builtin::Row {
                stem: "configmap".into(),
                api_version: "v1".into(),
                kind: "ConfigMap".into()
            },
            builtin::Row {
                stem: "service".into(),
                api_version: "v1".into(),
                kind: "Service".into()
            },
        ]
    );
}

/// The conversion keeps the decoder's strictness: closed objects, required fields, typed
/// int-or-string and quantities, and pins apiVersion and kind.
#[test]
fn a_builtin_schema_is_strict() {
    let table = "$then! {\n            Service(ServicePlan) \"service\", typed(),\n                builtin(\"v1\", Namespaced, Dns1035Label);\n        }\n";
    let generated = builtin::generate(table).unwrap();
    let stems: Vec<&str> = generated.iter().map(|g| g.stem.as_str()).collect();
    assert_eq!(stems, ["objectmeta", "secret", "service"]);
    let service = &generated[2].schema;
    let port = service
        .pointer("/properties/spec/properties/ports/items")
        .unwrap();
    assert_eq!(port["additionalProperties"], Value::Bool(false));
    assert_eq!(port["required"], serde_json::json!(["port"]));
    // Optional fields admit null (as the API server and the decoder did), required ones not.
    assert_eq!(
        port.pointer("/properties/targetPort/anyOf").unwrap(),
        &serde_json::json!([{ "type": "integer" }, { "type": "string" }, { "type": "null" }])
    );
    assert_eq!(port["properties"]["port"]["type"], "integer");
    assert_eq!(
        port["properties"]["name"]["type"],
        serde_json::json!(["string", "null"])
    );
    assert_eq!(
        service.pointer("/properties/apiVersion/enum").unwrap(),
        &serde_json::json!(["v1"])
    );
    assert_eq!(service["additionalProperties"], Value::Bool(false));
    assert_eq!(
        service["properties"]["metadata"],
        serde_json::json!({ "type": "object" })
    );
    assert!(!json::to_embedded(service).contains("description"));
    let meta = &generated[0].schema;
    assert_eq!(meta["additionalProperties"], Value::Bool(false));
    let limits = generated[1].schema.pointer("/properties/data").unwrap();
    assert!(
        limits["additionalProperties"].is_object(),
        "a free-form map stays open"
    );
    let unknown = builtin::generate(&table.replace("Service(ServicePlan)", "Pod(PodPlan)"));
    assert!(unknown.unwrap_err().contains("known_types!"));
}
