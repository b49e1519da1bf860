//! Golden trees: for every `golden/<case>/dbgen.toml`, the tree dbgen renders must equal
//! `golden/<case>/expected/`, compared by the same drift check users run
//! (`dbgen render --check`). `DBGEN_BLESS=1 cargo test --test it golden::` rewrites them all;
//! `DBGEN_BLESS=<case>[,<case>...]` (directory names under `golden/`) rewrites only those,
//! and the other cases are still compared.

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

/// Which cases `DBGEN_BLESS` asks to rewrite: every case for `1`/`all`, else the listed ones.
/// A name that is not a case is refused, lest a typo bless nothing and pass.
fn to_bless(cases: &[PathBuf]) -> Vec<PathBuf> {
    let Ok(wanted) = std::env::var("DBGEN_BLESS") else {
        return Vec::new();
    };
    let wanted = wanted.trim();
    if wanted.is_empty() || wanted == "0" {
        return Vec::new();
    }
    if wanted == "1" || wanted == "all" {
        return cases.to_vec();
    }
    let name = |case: &PathBuf| case.file_name().unwrap().to_string_lossy().into_owned();
    wanted
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(|w| {
            cases
                .iter()
                .find(|case| name(case) == w)
                .unwrap_or_else(|| {
                    let known: Vec<String> = cases.iter().map(name).collect();
                    panic!(
                        "DBGEN_BLESS: no golden case `{w}`; cases: {}",
                        known.join(", ")
                    )
                })
                .clone()
        })
        .collect()
}

#[test]
fn golden_trees_match() {
    let cases = cases();
    let bless = to_bless(&cases);
    let mut failures = Vec::new();
    for case in cases {
        let spec = case.join("dbgen.toml");
        let text = std::fs::read_to_string(&spec).unwrap();
        let compiled = dbgen::pipeline::compile("dbgen.toml", &text)
            .unwrap_or_else(|e| panic!("{}: {e:?}", case.display()));
        let tree = compiled.tree().unwrap();
        let expected = case.join("expected");
        if bless.contains(&case) {
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
        "golden trees differ (DBGEN_BLESS=<case> or DBGEN_BLESS=1 to accept, after review):\n{}",
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
