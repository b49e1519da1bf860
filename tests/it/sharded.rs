//! The sharded layout (`[output] layout = "sharded"`): every unit builds on its own with the
//! real `kubectl kustomize`, and the units together hold exactly the objects of the
//! environment layout, byte for byte; only the grouping differs.
//!
//! Input: the sharded golden cases, and a generated 2,000-app spec rendered in both layouts.
//! Output: pass/fail, plus a `sharded:` line on stderr with the kubectl timings (a
//! measurement, not an assertion: the machine is shared). Needs kubectl
//! (`support::require`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The unit directories of a sharded environment: `platform`, `clusters/*`, `apps/*`,
/// `gitops` and its bucket directories (`gitops/apps-*`, Flux), each holding a
/// `kustomization.yaml`; sorted.
fn units(env: &Path) -> Vec<PathBuf> {
    let mut units = Vec::new();
    for single in ["platform", "gitops"] {
        if env.join(single).join("kustomization.yaml").is_file() {
            units.push(env.join(single));
        }
    }
    for parent in ["clusters", "apps", "gitops"] {
        let Ok(entries) = std::fs::read_dir(env.join(parent)) else {
            continue;
        };
        for entry in entries {
            let dir = entry.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            assert!(
                dir.join("kustomization.yaml").is_file(),
                "{}: a unit without a kustomization",
                dir.display()
            );
            units.push(dir);
        }
    }
    units.sort();
    units
}

/// `kubectl kustomize` of every directory, on as many threads as there are cores; the
/// parsed objects per directory (in the order given) and each build's wall time.
fn build_all(kubectl: &Path, dirs: &[PathBuf]) -> Vec<(Vec<Value>, Duration)> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(BTreeMap::new());
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(dir) = dirs.get(index) else { return };
                    let started = Instant::now();
                    let output = Command::new(kubectl)
                        .arg("kustomize")
                        .arg(dir)
                        .output()
                        .unwrap();
                    let took = started.elapsed();
                    assert!(
                        output.status.success(),
                        "kubectl kustomize {} failed:\n{}",
                        dir.display(),
                        String::from_utf8_lossy(&output.stderr)
                    );
                    let stream = String::from_utf8(output.stdout).unwrap();
                    let objects: Vec<Value> = stream
                        .split("\n---\n")
                        .filter(|doc| !doc.trim().is_empty())
                        .map(|doc| dbgen::yaml::parse(doc).unwrap())
                        .collect();
                    results.lock().unwrap().insert(index, (objects, took));
                }
            });
        }
    });
    results.into_inner().unwrap().into_values().collect()
}

/// `Kind/namespace/name` of an object.
fn identity(object: &Value) -> String {
    format!(
        "{}/{}/{}",
        object["kind"].as_str().unwrap(),
        object["metadata"]["namespace"].as_str().unwrap_or_default(),
        object["metadata"]["name"].as_str().unwrap()
    )
}

/// The object files of one compiled environment (kustomizations and Argo CD or Flux objects
/// left out), by identity: (file name, bytes).
fn object_files(
    compiled: &dbgen::pipeline::Compiled,
    env: &str,
) -> BTreeMap<String, (String, String)> {
    let (_, manifests) = compiled
        .environments
        .iter()
        .find(|(name, _)| name == env)
        .unwrap();
    manifests
        .iter()
        .filter(|m| {
            !matches!(
                m.kind,
                dbgen::plan::Kind::Kustomization
                    | dbgen::plan::Kind::ApplicationSet
                    | dbgen::plan::Kind::FluxKustomization
            )
        })
        .map(|m| {
            let file = m.path.rsplit('/').next().unwrap().to_string();
            (identity(&m.document), (file, m.text.clone()))
        })
        .collect()
}

#[test]
fn every_unit_of_the_sharded_goldens_builds_and_verifies() {
    let Some(kubectl) = crate::support::kubectl() else {
        return;
    };
    let envs = crate::trees::sharded_golden_environments();
    assert!(envs.len() >= 2, "no sharded golden environments");
    let verifier = dbgen::verify::Verifier::new();
    for env in envs {
        let dirs = units(&env);
        assert!(
            dirs.iter().any(|d| d.ends_with("gitops")),
            "{}",
            env.display()
        );
        let mut all = Vec::new();
        for (dir, (objects, _)) in dirs.iter().zip(build_all(&kubectl, &dirs)) {
            assert!(!objects.is_empty(), "{}: empty unit", dir.display());
            for (i, object) in objects.into_iter().enumerate() {
                all.push((format!("{}#{i}", dir.display()), object));
            }
        }
        let mut problems = Vec::new();
        for (name, object) in &all {
            problems.extend(verifier.verify_object(name, object));
        }
        // Cross-object checks see the whole environment, as the cluster does once every
        // unit is synced.
        problems.extend(verifier.verify_tree(&all));
        crate::support::assert_verified(&env, &problems);
        // Every object file of the environment is in exactly one unit.
        let files = yaml_objects_below(&env);
        assert_eq!(all.len(), files, "{}", env.display());
    }
}

/// YAML files below `dir` that are objects (not kustomizations).
fn yaml_objects_below(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|path| {
            if path.is_dir() {
                yaml_objects_below(&path)
            } else {
                let name = path.file_name().unwrap().to_string_lossy();
                usize::from(name.ends_with(".yaml") && name != "kustomization.yaml")
            }
        })
        .sum()
}

/// A spec of `apps` apps on one shared CloudNativePG cluster in one environment.
pub(crate) fn generated_spec(apps: usize, sharded: bool) -> String {
    let mut spec = String::from(
        "[platform]\nname = \"scale\"\nnamespace = \"databases\"\n\n\
         [environments.prod]\n\n\
         [secrets]\nprovider = \"external-secrets\"\nstore = \"vault\"\nkey = \"db/{env}/{app}\"\n\n\
         [postgres.main]\nengine = \"cnpg\"\nversion = \"17.6\"\n\n",
    );
    if sharded {
        spec.push_str(
            "[output]\nlayout = \"sharded\"\n\n[gitops]\ntool = \"flux\"\npath = \"platform/out\"\n\n",
        );
    }
    for i in 0..apps {
        let _ = write!(
            spec,
            "[apps.app-{i:05}]\npostgres = \"main\"\nnamespace = \"team-{}\"\n\n",
            i % 50
        );
    }
    spec
}

#[test]
fn a_2000_app_sharded_tree_builds_unit_by_unit_and_equals_the_environment_layout() {
    const APPS: usize = 2000;
    const BATCH: usize = 100;
    let Some(kubectl) = crate::support::kubectl() else {
        return;
    };
    let started = Instant::now();
    let environment = dbgen::pipeline::compile("dbgen.toml", &generated_spec(APPS, false)).unwrap();
    let sharded = dbgen::pipeline::compile("dbgen.toml", &generated_spec(APPS, true)).unwrap();
    let compile = started.elapsed();

    // Same objects, same bytes, same file names; only the directories differ.
    let expected = object_files(&environment, "prod");
    assert_eq!(expected.len(), 2 + 4 * APPS);
    assert_eq!(object_files(&sharded, "prod"), expected);

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    sharded.tree().unwrap().write(&out).unwrap();
    let prod = out.join("prod");
    let dirs = units(&prod);
    let buckets = dirs
        .iter()
        .filter(|d| d.parent().unwrap().ends_with("gitops"))
        .count();
    assert!((200..=256).contains(&buckets), "{buckets} buckets");
    assert_eq!(
        dirs.len(),
        APPS + 2 + buckets,
        "an app unit each, the cluster's, gitops and its buckets"
    );
    // One kubectl process per unit costs more in process start-up than in building; a
    // batch kustomization listing units as resources builds each of them as a
    // kustomization of its own (its own root and load restrictions), so the batches
    // build every unit while keeping each build far below the size that makes
    // kustomize slow.
    let batches: Vec<PathBuf> = dirs
        .chunks(BATCH)
        .enumerate()
        .map(|(i, chunk)| {
            let batch = dir.path().join(format!("batch-{i}"));
            std::fs::create_dir_all(&batch).unwrap();
            let resources: Vec<String> = chunk
                .iter()
                .map(|unit| format!("- ../out/{}\n", unit.strip_prefix(&out).unwrap().display()))
                .collect();
            std::fs::write(
                batch.join("kustomization.yaml"),
                format!(
                    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n{}",
                    resources.concat()
                ),
            )
            .unwrap();
            batch
        })
        .collect();
    let started = Instant::now();
    let built = build_all(&kubectl, &batches);
    let wall = started.elapsed();

    let mut union: BTreeMap<String, Value> = BTreeMap::new();
    let mut slowest = Duration::ZERO;
    let mut flux = 0;
    for (objects, took) in built {
        slowest = slowest.max(took);
        for object in objects {
            if object["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1" {
                flux += usize::from(
                    object["metadata"]["name"]
                        .as_str()
                        .unwrap()
                        .contains("-app-"),
                );
                continue;
            }
            let previous = union.insert(identity(&object), object);
            assert!(previous.is_none(), "an object in two units");
        }
    }
    assert_eq!(flux, APPS, "a Flux Kustomization per app unit");
    let (_, manifests) = &environment.environments[0];
    let documents: BTreeMap<String, Value> = manifests
        .iter()
        .filter(|m| m.kind != dbgen::plan::Kind::Kustomization)
        .map(|m| (identity(&m.document), m.document.clone()))
        .collect();
    assert!(
        union == documents,
        "the units' objects differ from the environment layout's"
    );
    let line = format!(
        "sharded: {} units of {APPS} apps built by kubectl in {} batches in {:.1} s wall (slowest batch {:.2} s); compiled both layouts in {:.1} s\n",
        dirs.len(),
        batches.len(),
        wall.as_secs_f64(),
        slowest.as_secs_f64(),
        compile.as_secs_f64()
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
}

#[test]
fn render_stdout_refuses_a_sharded_spec_at_its_layout() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("dbgen.toml");
    std::fs::write(&spec, generated_spec(2, true)).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_dbgen"))
        .args(["render", "--stdout", "--env", "prod", "-f"])
        .arg(&spec)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("dbgen.toml:"), "{stderr}");
    assert!(stderr.contains("layout = \"sharded\""), "{stderr}");
    assert!(
        stderr.contains("`--stdout` prints an environment"),
        "{stderr}"
    );
}
