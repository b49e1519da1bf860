//! The values dbgen writes for the Bitnami `redis` chart, against the pinned chart's own
//! reference files in `schemas/bitnami/redis/`: every key path dbgen sets must exist in
//! the chart's `values.yaml` (a misspelled key is silently ignored by Helm), and the
//! chart's defaults deep-merged with dbgen's values must validate against the chart's
//! `values.schema.json`, as `helm template` would check them.

use std::path::Path;

use serde_json::Value;

fn reference(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas/bitnami/redis")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn chart_defaults() -> Value {
    dbgen::yaml::parse(&reference("values.yaml")).unwrap()
}

/// Every Redis values file dbgen renders for `spec`, by output path.
fn rendered_values(spec: &str) -> Vec<(String, Value)> {
    let compiled = dbgen::pipeline::compile("dbgen.toml", spec).unwrap_or_else(|e| panic!("{e:?}"));
    let tree = compiled.tree().unwrap();
    let values: Vec<(String, Value)> = tree
        .files()
        .iter()
        .filter(|(path, _)| {
            path.rsplit('/')
                .next()
                .is_some_and(|f| f.starts_with("values-"))
        })
        .map(|(path, text)| (path.clone(), dbgen::yaml::parse(text).unwrap()))
        .collect();
    assert!(!values.is_empty(), "no values file rendered");
    values
}

/// Key paths of `ours` that the chart's `values.yaml` does not have. An empty map in
/// the reference (`resources: {}`, `podLabels: {}`) is free-form: anything below it is
/// accepted, as the chart passes it through.
fn unknown_paths(ours: &Value, chart: &Value, path: &str, out: &mut Vec<String>) {
    let Value::Object(ours) = ours else { return };
    let Value::Object(chart) = chart else { return };
    if chart.is_empty() {
        return;
    }
    for (key, value) in ours {
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match chart.get(key) {
            None => out.push(here),
            Some(reference) => unknown_paths(value, reference, &here, out),
        }
    }
}

/// Helm's values merge: maps merge key by key, anything else replaces the default.
fn deep_merge(base: &mut Value, ours: &Value) {
    match (base, ours) {
        (Value::Object(base), Value::Object(ours)) => {
            for (key, value) in ours {
                match base.get_mut(key) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, ours) => *base = ours.clone(),
    }
}

fn schema_errors(values: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(&reference("values.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut merged = chart_defaults();
    deep_merge(&mut merged, values);
    validator
        .iter_errors(&merged)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn problems(values: &Value) -> Vec<String> {
    let mut out = Vec::new();
    unknown_paths(values, &chart_defaults(), "", &mut out);
    out.extend(schema_errors(values));
    out
}

const MIRROR_SPEC: &str = r#"
[platform]
name = "p"
namespace = "db"
[environments.dev]
[environments.prod]
[secrets]
provider = "infisical"
host = "https://infisical.example.com"
project = "p"
path = "/{app}"
credentials = { name = "auth", namespace = "infisical" }
[bitnami]
images = "registry.example.com/mirror/bitnami"
[redis.sessions]
engine = "bitnami-sentinel"
version = "8.2"
name = "sessions-{env}"
master_set = "sessions"
maxmemory = "1gb"
maxmemory_policy = "volatile-lru"
appendonly = false
monitoring = true
resources = { requests = { cpu = "100m", memory = "1Gi" }, limits = { cpu = "1", memory = "2Gi" } }
credentials_key = "/redis/{cluster}"
backup = { retention_days = 3 }
[redis.sessions.env.dev]
replicas = 1
monitoring = false
[apps.web]
redis = "sessions"
namespace = "web-{env}"
"#;

fn golden_spec() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/redis-engines/dbgen.toml");
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn every_key_dbgen_sets_exists_in_the_chart_and_the_values_validate() {
    for spec in [golden_spec(), MIRROR_SPEC.to_string()] {
        for (path, values) in rendered_values(&spec) {
            let found = problems(&values);
            assert!(found.is_empty(), "{path}:\n{}", found.join("\n"));
        }
    }
}

#[test]
fn every_image_of_the_chart_is_rewritten() {
    let chart = chart_defaults();
    let mut blocks = Vec::new();
    image_blocks(&chart, "", &mut blocks);
    assert!(blocks.len() >= 6, "{blocks:?}");
    for (path, values) in rendered_values(MIRROR_SPEC) {
        for block in &blocks {
            let pointer = format!("/{}", block.replace('.', "/"));
            let image = values.pointer(&pointer);
            assert_eq!(
                image.and_then(|i| i.get("registry")),
                Some(&Value::from("registry.example.com")),
                "{path}: {block} keeps the chart's registry"
            );
        }
        assert_eq!(
            values.pointer("/global/security/allowInsecureImages"),
            Some(&Value::Bool(true))
        );
    }
}

/// Key paths of every `image` table with a `repository` in the chart's values.
fn image_blocks(value: &Value, path: &str, out: &mut Vec<String>) {
    let Value::Object(map) = value else { return };
    for (key, child) in map {
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        if key == "image" && child.get("repository").is_some() {
            out.push(here);
        } else {
            image_blocks(child, &here, out);
        }
    }
}

#[test]
fn a_misspelled_key_or_a_wrong_type_is_caught() {
    let (_, mut values) = rendered_values(&golden_spec()).remove(0);
    assert!(problems(&values).is_empty());
    let mut misspelled = values.clone();
    misspelled["sentinel"]["masterset"] = Value::from("mymaster");
    assert_eq!(
        problems(&misspelled),
        vec!["sentinel.masterset".to_string()]
    );
    values["replica"]["replicaCount"] = Value::from("three");
    let errors = schema_errors(&values);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/replica/replicaCount")),
        "{errors:?}"
    );
}
