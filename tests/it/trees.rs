//! The golden output trees, for the tests that check every environment dbgen renders.
//!
//! Input: `golden/<case>/expected/<env>/` directories. Output: each environment directory
//! holding a `kustomization.yaml`, sorted. Invariant: never empty (a test over no tree
//! would pass vacuously).

use std::path::{Path, PathBuf};

/// Every golden environment directory, sorted.
pub(crate) fn golden_environments() -> Vec<PathBuf> {
    let dirs = environments_where(|env| env.join("kustomization.yaml").is_file());
    assert!(!dirs.is_empty(), "no expected environment trees found");
    dirs
}

/// Every golden environment directory of the sharded layout (units below it, no
/// `kustomization.yaml` of its own), sorted.
pub(crate) fn sharded_golden_environments() -> Vec<PathBuf> {
    environments_where(|env| {
        env.is_dir() && !env.join("kustomization.yaml").exists() && env.join("gitops").is_dir()
    })
}

/// The `golden/<case>/expected/<env>` directories that `keep` accepts, sorted.
fn environments_where(keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut dirs = Vec::new();
    for case in std::fs::read_dir(golden).unwrap() {
        let expected = case.unwrap().path().join("expected");
        if !expected.is_dir() {
            continue;
        }
        for env in std::fs::read_dir(expected).unwrap() {
            let env = env.unwrap().path();
            if keep(&env) {
                dirs.push(env);
            }
        }
    }
    dirs.sort();
    dirs
}
