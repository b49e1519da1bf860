//! Flux delivery (`[bitnami] delivery = "flux"`): the release Kustomize would render from
//! `helmCharts` becomes a `HelmRelease` with the very same values, and the embedded Flux
//! schemas really check what dbgen writes (a valid object passes, a wrong one fails).

use serde_json::{Value, json};

const SPEC: &str = r#"
[platform]
name = "p"
namespace = "db"

[environments.prod]

[secrets]
provider = "external-secrets"
store = "vault"
key = "apps/{app}"

[bitnami]
images = "bitnamilegacy"

[postgres.pg]
engine = "bitnami"
version = "17.6"
credentials_key = "infra/pg"
instances = 3

[apps.wiki]
postgres = "pg"
namespace = "wiki"
"#;

/// (path, document) of every rendered file of the only environment.
fn documents(delivery: &str) -> Vec<(String, Value)> {
    let spec = SPEC.replace(
        "[bitnami]\n",
        &format!("[bitnami]\ndelivery = \"{delivery}\"\n"),
    );
    let compiled =
        dbgen::pipeline::compile("dbgen.toml", &spec).unwrap_or_else(|e| panic!("{e:?}"));
    let (_, manifests) = &compiled.environments[0];
    manifests
        .iter()
        .map(|m| (m.path.clone(), m.document.clone()))
        .collect()
}

fn of_kind<'d>(docs: &'d [(String, Value)], kind: &str) -> Vec<&'d (String, Value)> {
    docs.iter().filter(|(_, d)| d["kind"] == kind).collect()
}

#[test]
fn flux_release_carries_the_helm_charts_values() {
    let charts = documents("helm-charts");
    let values_file = charts
        .iter()
        .find(|(path, _)| path == "prod/db/values-pg.yaml")
        .map(|(_, d)| d.clone())
        .expect("a values file under helmCharts");
    let flux = documents("flux");
    assert!(flux.iter().all(|(path, _)| !path.contains("values-")));
    let kustomization = &flux
        .iter()
        .find(|(path, _)| path == "prod/kustomization.yaml")
        .expect("a kustomization")
        .1;
    assert!(kustomization.get("helmCharts").is_none());
    let releases = of_kind(&flux, "HelmRelease");
    assert_eq!(releases.len(), 1);
    let (path, release) = releases[0];
    assert_eq!(path, "prod/db/helmrelease-pg.yaml");
    assert_eq!(release["spec"]["values"], values_file);
    assert_eq!(release["spec"]["releaseName"], "pg");
    assert_eq!(
        release["spec"]["chart"]["spec"],
        json!({
            "chart": "postgresql-ha",
            "version": "16.3.4",
            "sourceRef": { "kind": "HelmRepository", "name": "bitnamicharts", "namespace": "db" },
        })
    );
    let repositories = of_kind(&flux, "HelmRepository");
    assert_eq!(repositories.len(), 1);
    assert_eq!(
        repositories[0].1["spec"],
        json!({ "type": "oci", "url": "oci://registry-1.docker.io/bitnamicharts", "interval": "1h" })
    );
}

#[test]
fn flux_schemas_check_what_dbgen_writes() {
    let flux = documents("flux");
    let verifier = dbgen::verify::Verifier::new();
    let (path, release) = of_kind(&flux, "HelmRelease")[0].clone();
    let (_, repository) = of_kind(&flux, "HelmRepository")[0].clone();
    assert!(verifier.verify_object(&path, &release).is_empty());
    assert!(verifier.verify_object(&path, &repository).is_empty());

    let mut wrong_source = release.clone();
    wrong_source["spec"]["chart"]["spec"]["sourceRef"]["kind"] = json!("OCIRepository");
    wrong_source["spec"]["chart"]["spec"]["chartVersion"] = json!("16.3.4");
    let problems = verifier.verify_object(&path, &wrong_source);
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        text.iter().any(|p| p.contains("sourceRef.kind")),
        "{text:?}"
    );
    assert!(text.iter().any(|p| p.contains("chartVersion")), "{text:?}");

    // `values` is the chart's: free-form, never checked against the CRD.
    let mut free_values = release;
    free_values["spec"]["values"]["anything"] = json!({ "goes": true });
    assert!(verifier.verify_object(&path, &free_values).is_empty());

    let mut bad_url = repository;
    bad_url["spec"]["url"] = json!("registry-1.docker.io/bitnamicharts");
    assert!(!verifier.verify_object(&path, &bad_url).is_empty());
}
