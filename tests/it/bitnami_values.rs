//! Every values key dbgen writes for a Bitnami chart must exist in that chart's pinned
//! `values.yaml` (`schemas/bitnami/<chart>/values.yaml`), so a misspelled key fails here
//! instead of being silently ignored by Helm.
//!
//! Walked: every values file a golden kustomization's `helmCharts` entry names, every
//! `HelmRelease`'s `spec.values` in the golden trees (Flux delivery), and the values of a spec
//! with every option of engine `bitnami` turned on. A reference map that is empty (`{}`,
//! such as `resources`, `podAnnotations`, `commonLabels`) is free-form: its children are
//! the user's, not the chart's. No values key may carry a password: they reach the chart
//! only through existing Secrets.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The pinned chart's reference values.
fn reference(chart: &str) -> Value {
    let path = root()
        .join("schemas/bitnami")
        .join(chart)
        .join("values.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no reference values for chart {chart}: {e}"));
    dbgen::yaml::parse(&text).unwrap()
}

/// Key paths of `values` that the reference does not have (or has as another shape).
fn unknown_paths(values: &Value, reference: &Value) -> Vec<String> {
    let mut unknown = Vec::new();
    walk(values, reference, "", &mut unknown);
    unknown
}

fn walk(values: &Value, reference: &Value, path: &str, unknown: &mut Vec<String>) {
    let Value::Object(map) = values else {
        // A scalar or a list where the chart has an object is a type error for Helm.
        if matches!(reference, Value::Object(r) if !r.is_empty()) {
            unknown.push(format!("{path} (the chart has a mapping here)"));
        }
        return;
    };
    let Value::Object(known) = reference else {
        unknown.push(format!("{path} (the chart has no mapping here)"));
        return;
    };
    if known.is_empty() {
        return;
    }
    for (key, value) in map {
        let child = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match known.get(key) {
            Some(reference) => walk(value, reference, &child, unknown),
            None => unknown.push(child),
        }
    }
}

/// Key paths whose name mentions a password (`password`, `adminPassword`, `passwords`...):
/// passwords reach the charts only through existing Secrets.
fn password_paths(values: &Value, path: &str) -> Vec<String> {
    let Value::Object(map) = values else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (key, value) in map {
        let child = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        if key.to_ascii_lowercase().contains("password") {
            found.push(child.clone());
        }
        found.extend(password_paths(value, &child));
    }
    found
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

/// (where, chart, values) of every release in the golden trees.
fn golden_releases() -> Vec<(String, String, Value)> {
    let mut releases = Vec::new();
    for dir in crate::trees::golden_environments() {
        let text = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
        let kustomization = dbgen::yaml::parse(&text).unwrap();
        for chart in kustomization["helmCharts"].as_array().into_iter().flatten() {
            let file = dir.join(chart["valuesFile"].as_str().unwrap());
            let values = dbgen::yaml::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let name = chart["name"].as_str().unwrap().to_string();
            releases.push((file.display().to_string(), name, values));
        }
        let mut files = Vec::new();
        yaml_files(&dir, &mut files);
        for file in files {
            let doc = dbgen::yaml::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
            if doc["kind"] == "HelmRelease" {
                let chart = doc["spec"]["chart"]["spec"]["chart"].as_str().unwrap();
                releases.push((
                    file.display().to_string(),
                    chart.to_string(),
                    doc["spec"]["values"].clone(),
                ));
            }
        }
    }
    releases
}

#[test]
fn golden_values_keys_exist_in_the_pinned_charts() {
    let releases = golden_releases();
    assert!(
        releases
            .iter()
            .any(|(_, chart, _)| chart == "postgresql-ha"),
        "no golden postgresql-ha release"
    );
    assert!(
        releases
            .iter()
            .any(|(file, _, _)| file.contains("helmrelease-")),
        "no golden HelmRelease (Flux delivery) walked"
    );
    let mut failures = Vec::new();
    for (file, chart, values) in releases {
        for path in unknown_paths(&values, &reference(&chart)) {
            failures.push(format!(
                "{file}: `{path}` is not a key of {chart}'s values.yaml"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Engine `bitnami` with every option on: images from a mirror, parameters, Pgpool
/// replicas, monitoring, network policies, a storage class, a cluster domain, resources.
const EVERYTHING: &str = r#"
[platform]
name = "p"
namespace = "db"
domain = "k8s.example"

[environments.prod]

[secrets]
provider = "external-secrets"
store = "vault"
key = "apps/{app}"

[bitnami]
images = "registry.example.com/mirror"

[postgres.pg]
engine = "bitnami"
version = "17.6"
credentials_key = "infra/{env}/{cluster}"
instances = 3
storage = "5Gi"
storage_class = "fast"
resources = { requests = { cpu = "1", memory = "1Gi" }, limits = { cpu = "2", memory = "2Gi" } }
parameters = { max_connections = 300, log_line_prefix = "%m [%p] '%u' " }
pooler = { instances = 2 }
monitoring = true
network_policy = true

[apps.wiki]
postgres = "pg"
namespace = "wiki"
"#;

fn everything_values() -> Value {
    let compiled =
        dbgen::pipeline::compile("dbgen.toml", EVERYTHING).unwrap_or_else(|e| panic!("{e:?}"));
    let (_, manifests) = &compiled.environments[0];
    manifests
        .iter()
        .find_map(|m| match m.kind {
            dbgen::plan::Kind::HelmValues => Some(m.document.clone()),
            _ if m.document["kind"] == "HelmRelease" => Some(m.document["spec"]["values"].clone()),
            _ => None,
        })
        .expect("a postgresql-ha release")
}

#[test]
fn every_option_writes_only_known_keys() {
    let reference = reference("postgresql-ha");
    {
        let values = everything_values();
        assert_eq!(unknown_paths(&values, &reference), Vec::<String>::new());
        assert_eq!(password_paths(&values, ""), Vec::<String>::new());
        // Each option reached the values, so the walk above covered it.
        assert_eq!(values["pgpool"]["replicaCount"], 2);
        assert_eq!(values["metrics"]["serviceMonitor"]["enabled"], true);
        assert_eq!(values["clusterDomain"], "k8s.example");
        assert_eq!(values["global"]["security"]["allowInsecureImages"], true);
        for key in ["postgresql", "pgpool", "metrics", "volumePermissions"] {
            assert_eq!(values[key]["image"]["registry"], "registry.example.com");
        }
        assert_eq!(
            values["postgresql"]["extendedConf"],
            "log_line_prefix = '%m [%p] ''%u'' '\nmax_connections = '300'\n"
        );
    }
}

#[test]
fn a_misspelled_or_misshaped_key_is_caught() {
    let reference = reference("postgresql-ha");
    let mut values = everything_values();
    values["pgpool"]["replicaCont"] = Value::from(2);
    values["persistence"] = Value::from("20Gi");
    values["postgresql"]["resources"]["requests"]["anything"] = Value::from("free-form");
    values["pgpool"]["adminPassword"] = Value::from("x");
    assert_eq!(password_paths(&values, ""), vec!["pgpool.adminPassword"]);
    assert_eq!(
        unknown_paths(&values, &reference),
        vec![
            "persistence (the chart has a mapping here)".to_string(),
            "pgpool.replicaCont".to_string(),
        ]
    );
}
