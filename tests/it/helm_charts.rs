//! The Bitnami charts rendered for real: every Helm release of every golden environment
//! (a kustomization's `helmCharts` entry or a Flux `HelmRelease`) is inflated with the
//! values dbgen generated, by `helm template` and the pinned charts under `tests/charts/`.
//!
//! Input: the golden trees and `helm` (scripts/install-tools.sh `helm`; helm 4, which
//! kustomize's `--enable-helm` cannot drive, hence `helm template` directly). Output:
//! assertions on every object the charts emit: each is schema-checked like dbgen's own
//! (dbgen's verifier for the kinds it knows, strict k8s-openapi decoding for the other
//! built-in kinds, the prometheus-operator schema for `ServiceMonitor`); no Secret at all
//! (a chart-generated random password would fight the secret provider's); every image
//! from a registry/repository the values configure; every Secret a pod reads is one the
//! secret provider creates in that environment, and Pgpool and repmgr read some.
//! Invariant: a release whose chart or version is not pinned here fails, never skips.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support;

/// One Helm release of one golden environment.
#[derive(Debug)]
struct Release {
    env: PathBuf,
    chart: String,
    version: String,
    name: String,
    namespace: String,
    values: Value,
}

fn charts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/charts")
}

fn helm() -> Option<PathBuf> {
    let found = support::pinned_tool("helm").filter(|helm| {
        Command::new(helm)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    support::require("helm", found, "helm")
}

fn yaml_file(path: &Path) -> Value {
    dbgen::yaml::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn text(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("missing {pointer} in {value}"))
        .to_owned()
}

/// Every YAML file of an environment tree, parsed.
fn objects(dir: &Path, out: &mut Vec<Value>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            objects(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(yaml_file(&path));
        }
    }
}

fn releases() -> Vec<Release> {
    let mut found = Vec::new();
    for env in crate::trees::golden_environments() {
        let kustomization = yaml_file(&env.join("kustomization.yaml"));
        for chart in kustomization["helmCharts"].as_array().into_iter().flatten() {
            found.push(Release {
                env: env.clone(),
                chart: text(chart, "/name"),
                version: text(chart, "/version"),
                name: text(chart, "/releaseName"),
                namespace: text(chart, "/namespace"),
                values: yaml_file(&env.join(text(chart, "/valuesFile"))),
            });
        }
        let mut all = Vec::new();
        objects(&env, &mut all);
        for release in all.iter().filter(|o| o["kind"] == "HelmRelease") {
            let namespace = release["spec"]["targetNamespace"]
                .as_str()
                .map_or_else(|| text(release, "/metadata/namespace"), str::to_owned);
            found.push(Release {
                env: env.clone(),
                chart: text(release, "/spec/chart/spec/chart"),
                version: text(release, "/spec/chart/spec/version"),
                name: release["spec"]["releaseName"]
                    .as_str()
                    .map_or_else(|| text(release, "/metadata/name"), str::to_owned),
                namespace,
                values: release["spec"]["values"].clone(),
            });
        }
    }
    found
}

/// `helm template` of one release, split into its objects.
fn render(helm: &Path, release: &Release, scratch: &Path) -> Vec<Value> {
    let chart = charts_dir().join(&release.chart);
    let pinned = yaml_file(&chart.join("Chart.yaml"));
    assert_eq!(
        text(&pinned, "/version"),
        release.version,
        "{}: release {} wants {} {}, tests/charts has another version",
        release.env.display(),
        release.name,
        release.chart,
        release.version
    );
    let values = scratch.join(format!("{}-{}.json", release.chart, release.name));
    std::fs::write(&values, release.values.to_string()).unwrap();
    let output = support::run_ok(
        Command::new(helm)
            .arg("template")
            .arg(&release.name)
            .arg(&chart)
            .args(["--namespace", &release.namespace])
            .arg("--values")
            .arg(&values)
            .env("HELM_CACHE_HOME", scratch.join("cache"))
            .env("HELM_CONFIG_HOME", scratch.join("config"))
            .env("HELM_DATA_HOME", scratch.join("data")),
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in stdout.lines().chain(std::iter::once("---")) {
        if line == "---" {
            let doc = dbgen::yaml::parse(&current).unwrap_or_else(|e| {
                panic!(
                    "{}: chart output does not parse: {e}\n{current}",
                    release.name
                )
            });
            if !doc.is_null() {
                docs.push(doc);
            }
            current.clear();
        } else {
            current.push_str(&yaml11_octal(line));
            current.push('\n');
        }
    }
    docs
}

/// The charts write file modes as `defaultMode: 0755`, which Kubernetes' YAML 1.1 reader
/// takes as octal (493) and dbgen's YAML 1.2 reader would not: the value is rewritten in
/// decimal before parsing.
fn yaml11_octal(line: &str) -> String {
    if let Some((key, value)) = line.split_once(": ")
        && key.trim_start().ends_with("Mode")
        && value.len() > 1
        && value.starts_with('0')
        && let Ok(mode) = u32::from_str_radix(value, 8)
    {
        return format!("{key}: {mode}");
    }
    line.to_owned()
}

/// Each `{registry, repository}` mapping of the values: the images dbgen configured.
fn configured_images(values: &Value, out: &mut BTreeSet<String>) {
    match values {
        Value::Object(map) => {
            if let (Some(registry), Some(repository)) = (
                map.get("registry").and_then(Value::as_str),
                map.get("repository").and_then(Value::as_str),
            ) {
                out.insert(format!("{registry}/{repository}"));
            }
            map.values().for_each(|v| configured_images(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| configured_images(v, out)),
        _ => {}
    }
}

/// Every `image` of every container and init container, and every Secret name a pod reads.
fn pod_references(object: &Value) -> (Vec<String>, BTreeSet<String>) {
    let spec = &object["spec"]["template"]["spec"];
    let mut images = Vec::new();
    let mut secrets = BTreeSet::new();
    for list in ["containers", "initContainers"] {
        for container in spec[list].as_array().into_iter().flatten() {
            images.push(text(container, "/image"));
            for env in container["env"].as_array().into_iter().flatten() {
                if let Some(name) = env.pointer("/valueFrom/secretKeyRef/name") {
                    secrets.insert(name.as_str().unwrap().to_owned());
                }
            }
            for from in container["envFrom"].as_array().into_iter().flatten() {
                if let Some(name) = from.pointer("/secretRef/name") {
                    secrets.insert(name.as_str().unwrap().to_owned());
                }
            }
        }
    }
    for volume in spec["volumes"].as_array().into_iter().flatten() {
        if let Some(name) = volume.pointer("/secret/secretName") {
            secrets.insert(name.as_str().unwrap().to_owned());
        }
        for source in volume
            .pointer("/projected/sources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = source.pointer("/secret/name") {
                secrets.insert(name.as_str().unwrap().to_owned());
            }
        }
    }
    (images, secrets)
}

/// The Secrets the secret provider creates in `namespace` of one environment tree.
fn provided_secrets(env: &Path, namespace: &str) -> BTreeSet<String> {
    let mut all = Vec::new();
    objects(env, &mut all);
    all.iter()
        .filter(|o| o["metadata"]["namespace"] == namespace)
        .filter_map(|o| match o["kind"].as_str() {
            Some("ExternalSecret") => Some(
                o.pointer("/spec/target/name")
                    .and_then(Value::as_str)
                    .map_or_else(|| text(o, "/metadata/name"), str::to_owned),
            ),
            Some("InfisicalSecret") => o
                .pointer("/spec/managedKubeSecretReferences/0/secretName")
                .or_else(|| o.pointer("/spec/managedSecretReference/secretName"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => None,
        })
        .collect()
}

/// Strict decoding of a built-in kind dbgen itself does not emit: unknown fields fail.
fn decode_strict<T: serde::de::DeserializeOwned>(object: &Value) -> Result<(), String> {
    let mut unknown = Vec::new();
    let decoded: Result<T, _> = serde_ignored::deserialize(object, |path| {
        unknown.push(path.to_string());
    });
    decoded.map_err(|e| e.to_string())?;
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!("unknown fields {unknown:?}"))
    }
}

fn service_monitor_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(charts_dir().join("schemas/servicemonitor_v1.json")).unwrap(),
    )
    .unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// Schema problems of one chart object; an unknown kind is one.
fn schema_problems(
    verifier: &dbgen::verify::Verifier,
    monitors: &jsonschema::Validator,
    object: &Value,
) -> Vec<String> {
    use k8s_openapi::api::{apps::v1 as apps, core::v1 as core, rbac::v1 as rbac};
    let kind = object["kind"].as_str().unwrap_or_default();
    let strict = match kind {
        "Deployment" => decode_strict::<apps::Deployment>(object),
        "ServiceAccount" => decode_strict::<core::ServiceAccount>(object),
        "Role" => decode_strict::<rbac::Role>(object),
        "RoleBinding" => decode_strict::<rbac::RoleBinding>(object),
        "ServiceMonitor" => {
            return monitors
                .iter_errors(object)
                .map(|e| format!("{}: {e}", e.instance_path()))
                .collect();
        }
        _ => {
            return verifier
                .verify_object("chart", object)
                .iter()
                .map(ToString::to_string)
                .collect();
        }
    };
    strict.err().into_iter().collect()
}

#[test]
fn every_golden_helm_release_renders_with_the_pinned_chart_and_only_provider_secrets() {
    let Some(helm) = helm() else { return };
    let scratch = tempfile::tempdir().unwrap();
    let releases = releases();
    let charts: BTreeSet<&str> = releases.iter().map(|r| r.chart.as_str()).collect();
    assert_eq!(
        charts.into_iter().collect::<Vec<_>>(),
        ["postgresql-ha", "redis"],
        "the goldens should exercise both pinned charts"
    );
    let verifier = dbgen::verify::Verifier::new();
    let monitors = service_monitor_validator();
    let mut problems = Vec::new();
    let mut rendered = 0;
    for release in &releases {
        let label = format!(
            "{} {} ({})",
            release.env.display(),
            release.name,
            release.chart
        );
        let objects = render(&helm, release, scratch.path());
        assert!(!objects.is_empty(), "{label}: the chart rendered nothing");
        rendered += objects.len();
        let mut configured = BTreeSet::new();
        configured_images(&release.values, &mut configured);
        let provided = provided_secrets(&release.env, &release.namespace);
        let mut readers = BTreeSet::new();
        for object in &objects {
            let kind = object["kind"].as_str().unwrap_or_default();
            let name = object["metadata"]["name"].as_str().unwrap_or_default();
            if kind == "Secret" {
                problems.push(format!("{label}: the chart generates Secret {name}"));
            }
            for problem in schema_problems(&verifier, &monitors, object) {
                problems.push(format!("{label}: {kind} {name}: {problem}"));
            }
            let (images, secrets) = pod_references(object);
            for image in images {
                let repository = image.rsplit_once(':').map_or(image.as_str(), |(r, _)| r);
                if !configured.contains(repository) {
                    problems.push(format!(
                        "{label}: {kind} {name} runs {image}, not an image the values configure ({configured:?})"
                    ));
                }
            }
            for secret in &secrets {
                if !provided.contains(secret) {
                    problems.push(format!(
                        "{label}: {kind} {name} reads Secret {secret}, which the secret provider does not create ({provided:?})"
                    ));
                }
            }
            if !secrets.is_empty() {
                readers.insert(kind.to_owned());
            }
        }
        // Pgpool is the Deployment and repmgr the StatefulSet of postgresql-ha; Redis
        // reads its password from the provider's Secret too.
        let want: &[&str] = if release.chart == "postgresql-ha" {
            &["Deployment", "StatefulSet"]
        } else {
            &["StatefulSet"]
        };
        for kind in want {
            if !readers.contains(*kind) {
                problems.push(format!("{label}: no {kind} reads a provider Secret"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(rendered > 20, "only {rendered} objects rendered");
}
