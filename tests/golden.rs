//! Golden trees: for every `golden/<case>/dbgen.toml`, the tree dbgen renders must equal
//! `golden/<case>/expected/`, compared by the same drift check users run
//! (`dbgen render --check`). `DBGEN_BLESS=1 cargo test --test golden` rewrites them.

use std::path::{Path, PathBuf};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("dbgen.toml").is_file())
        .collect();
    cases.sort();
    assert!(
        !cases.is_empty(),
        "no golden cases under {}",
        root.display()
    );
    cases
}

#[test]
fn golden_trees_match() {
    let bless = std::env::var_os("DBGEN_BLESS").is_some();
    let mut failures = Vec::new();
    for case in cases() {
        let spec = case.join("dbgen.toml");
        let text = std::fs::read_to_string(&spec).unwrap();
        let compiled = dbgen::pipeline::compile("dbgen.toml", &text)
            .unwrap_or_else(|e| panic!("{}: {e:?}", case.display()));
        let tree = compiled.tree().unwrap();
        let expected = case.join("expected");
        if bless {
            tree.write(&expected).unwrap();
            continue;
        }
        let drift = tree.check(&expected).unwrap();
        for d in drift {
            failures.push(format!("{}:\n{}", case.display(), d.unified_diff()));
        }
    }
    assert!(
        failures.is_empty(),
        "golden trees differ (DBGEN_BLESS=1 to accept):\n{}",
        failures.join("\n")
    );
}

#[test]
fn rendering_is_deterministic() {
    for case in cases() {
        let text = std::fs::read_to_string(case.join("dbgen.toml")).unwrap();
        let first = dbgen::pipeline::compile("dbgen.toml", &text)
            .unwrap()
            .tree()
            .unwrap();
        let second = dbgen::pipeline::compile("dbgen.toml", &text)
            .unwrap()
            .tree()
            .unwrap();
        assert_eq!(first, second, "{}", case.display());
    }
}
