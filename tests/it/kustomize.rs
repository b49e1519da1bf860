//! Every expected environment tree under `golden/` must build with the real
//! `kubectl kustomize`, and every object kubectl emits must pass dbgen's own output
//! verification (k8s-openapi types, embedded CRD schemas, cross-object checks).
//!
//! kubectl comes from `scripts/install-tools.sh` (`DBGEN_KUBECTL`), else from PATH.
//! Without it the test fails under CI and is skipped with a `SKIP:` line locally (`support::require`).
//!
//! `helmCharts` need `--enable-helm`, helm and the network; an environment with Helm
//! charts is built from a temporary copy without them, proving every other object builds,
//! and its `helmCharts` entries are checked on their own (`helm_chart_entries_are_complete`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Files a kustomization lists, following nested kustomization directories.
fn listed_files(dir: &Path) -> usize {
    let kustomization = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    let parsed = dbgen::yaml::parse(&kustomization).unwrap();
    parsed["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let path = dir.join(r.as_str().unwrap());
            if path.is_dir() {
                listed_files(&path)
            } else {
                1
            }
        })
        .sum()
}

/// The environment's kustomization, parsed.
fn kustomization(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    dbgen::yaml::parse(&text).unwrap()
}

/// Copies the tree at `from` into `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// `dir` itself, or a temporary copy whose kustomization has no `helmCharts` (kept alive
/// by the returned guard).
fn without_helm_charts(dir: &Path) -> (PathBuf, Option<tempfile::TempDir>) {
    let mut parsed = kustomization(dir);
    let Some(object) = parsed.as_object_mut() else {
        panic!("{}: kustomization is not a mapping", dir.display())
    };
    if object.remove("helmCharts").is_none() {
        return (dir.to_path_buf(), None);
    }
    let temp = tempfile::tempdir().unwrap();
    let copy = temp.path().join("env");
    copy_tree(dir, &copy);
    std::fs::write(
        copy.join("kustomization.yaml"),
        dbgen::yaml::emit(&parsed).unwrap(),
    )
    .unwrap();
    (copy, Some(temp))
}

#[test]
fn every_expected_environment_builds_and_verifies() {
    let Some(kubectl) = crate::support::kubectl() else {
        return;
    };
    let verifier = dbgen::verify::Verifier::new();
    for dir in crate::trees::golden_environments() {
        let (build_dir, _guard) = without_helm_charts(&dir);
        let output = Command::new(&kubectl)
            .arg("kustomize")
            .arg(&build_dir)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "kubectl kustomize {} failed:\n{}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let stream = String::from_utf8(output.stdout).unwrap();
        let objects: Vec<(String, serde_json::Value)> = stream
            .split("\n---\n")
            .enumerate()
            .map(|(i, doc)| {
                (
                    format!("{}#{i}", dir.display()),
                    dbgen::yaml::parse(doc).unwrap(),
                )
            })
            .collect();
        let listed = listed_files(&dir);
        assert_eq!(
            objects.len(),
            listed,
            "{}: kustomize emitted a different number of objects",
            dir.display()
        );
        let mut problems = Vec::new();
        for (name, object) in &objects {
            problems.extend(verifier.verify_object(name, object));
            assert_ne!(
                object["kind"], "Secret",
                "{name}: dbgen must never emit a Secret"
            );
        }
        problems.extend(verifier.verify_tree(&objects));
        crate::support::assert_verified(&dir, &problems);
    }
}

/// Every `helmCharts` entry names a pinned chart, an explicit release and namespace, and a
/// values file that exists and is not also listed as a resource.
#[test]
fn helm_chart_entries_are_complete() {
    let mut entries = 0;
    for dir in crate::trees::golden_environments() {
        let parsed = kustomization(&dir);
        let Some(charts) = parsed["helmCharts"].as_array() else {
            continue;
        };
        let resources = parsed["resources"].as_array().unwrap();
        for chart in charts {
            entries += 1;
            let field = |name: &str| {
                chart[name]
                    .as_str()
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| {
                        panic!("{}: helmCharts entry without `{name}`", dir.display())
                    })
                    .to_string()
            };
            for name in ["name", "releaseName", "namespace"] {
                field(name);
            }
            let repo = field("repo");
            assert!(
                repo.starts_with("oci://") || repo.starts_with("https://"),
                "{}: repo `{repo}`",
                dir.display()
            );
            let version = field("version");
            assert!(
                version.split('.').count() == 3
                    && version.split('.').all(|p| p.parse::<u32>().is_ok()),
                "{}: version `{version}` is not a pinned x.y.z",
                dir.display()
            );
            let values = field("valuesFile");
            assert!(
                dir.join(&values).is_file(),
                "{}: values file {values} missing",
                dir.display()
            );
            assert!(
                !resources
                    .iter()
                    .any(|r| r.as_str() == Some(values.as_str())),
                "{}: values file {values} listed as a resource",
                dir.display()
            );
        }
    }
    assert!(entries > 0, "no golden environment has helmCharts");
}
