//! The converter against a hand-checked fixture and against real upstream CRDs, whose
//! conversions must be the schemas dbgen embeds; and the pins against `schemas/crds/`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{convert, json, pins, recipe, repo_root};

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
        "templates/<stem>.yaml.j2",
        "templates/limitrange.yaml.j2"
    ));
    assert!(!recipe::matches(
        "src/plan/kind.rs",
        "src/plan/kind.rs.orig"
    ));
}
