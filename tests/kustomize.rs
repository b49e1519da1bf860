//! Every expected environment tree under `golden/` must build with the real
//! `kubectl kustomize`, and every object kubectl emits must pass dbgen's own output
//! verification (k8s-openapi types, embedded CRD schemas, cross-object checks).
//!
//! kubectl comes from `scripts/install-tools.sh` (`DBGEN_KUBECTL`), else from PATH.
//! Without it the test fails under CI (`CI` set) and is skipped with a notice locally.

use std::path::{Path, PathBuf};
use std::process::Command;

fn kubectl() -> Option<PathBuf> {
    let candidate =
        std::env::var_os("DBGEN_KUBECTL").map_or_else(|| PathBuf::from("kubectl"), PathBuf::from);
    let works = Command::new(&candidate)
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if works {
        return Some(candidate);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "kubectl not found (DBGEN_KUBECTL={}); run scripts/install-tools.sh, or scripts/test.sh",
        candidate.display()
    );
    #[allow(clippy::print_stderr)]
    {
        eprintln!("SKIPPED: kubectl not found; run scripts/test.sh to install it");
    }
    None
}

fn environment_dirs() -> Vec<PathBuf> {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut dirs = Vec::new();
    for case in std::fs::read_dir(golden).unwrap() {
        let expected = case.unwrap().path().join("expected");
        if !expected.is_dir() {
            continue;
        }
        for env in std::fs::read_dir(expected).unwrap() {
            let env = env.unwrap().path();
            if env.join("kustomization.yaml").is_file() {
                dirs.push(env);
            }
        }
    }
    dirs.sort();
    assert!(!dirs.is_empty(), "no expected environment trees found");
    dirs
}

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

/// `kubectl kustomize` cannot inflate `helmCharts` (no `--enable-helm`), so a tree with
/// charts is built from a copy without them: the rest must still build and verify.
fn without_helm_charts(dir: &Path) -> (PathBuf, Option<tempfile::TempDir>) {
    let text = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    let mut parsed = dbgen::yaml::parse(&text).unwrap();
    let Some(map) = parsed.as_object_mut() else {
        return (dir.to_path_buf(), None);
    };
    if map.remove("helmCharts").is_none() {
        return (dir.to_path_buf(), None);
    }
    let temp = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .arg("-R")
        .arg(dir)
        .arg(temp.path().join("env"))
        .status()
        .unwrap();
    assert!(status.success(), "cp -R {}", dir.display());
    let copy = temp.path().join("env");
    std::fs::write(
        copy.join("kustomization.yaml"),
        serde_json::to_string(&parsed).unwrap(),
    )
    .unwrap();
    (copy, Some(temp))
}

#[test]
fn every_expected_environment_builds_and_verifies() {
    let Some(kubectl) = kubectl() else { return };
    let verifier = dbgen::verify::Verifier::new();
    for dir in environment_dirs() {
        let (buildable, _copy) = without_helm_charts(&dir);
        let output = Command::new(&kubectl)
            .arg("kustomize")
            .arg(&buildable)
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
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            dir.display(),
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
