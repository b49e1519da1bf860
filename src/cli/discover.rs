//! Finding the spec, as cargo finds `Cargo.toml`, and naming paths for CI.
//!
//! Input: the `-f` argument (a file, a directory or `-` for stdin) or nothing, and the current
//! directory. Output: the spec's text, the name diagnostics show for it, and the directory its
//! relative `[output] dir` is resolved against (`None` for stdin).
//! Invariant: a missing spec is reported with every path that was tried.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

/// The spec's file name when `-f` names a directory or is absent.
pub(super) const SPEC_NAME: &str = "dbgen.toml";

/// A spec read from disk or stdin.
#[derive(Debug)]
pub(super) struct SpecInput {
    /// The name diagnostics show, e.g. `platform/dbgen.toml`, `../dbgen.toml` or `<stdin>`.
    pub(super) name: String,
    pub(super) text: String,
    /// The spec's directory; `None` when the spec came from stdin.
    pub(super) dir: Option<PathBuf>,
}

/// Reads the spec named by `-f`, or searches `cwd` and its parents for `dbgen.toml`.
/// The error is the whole message to print.
pub(super) fn locate(arg: Option<&Path>, cwd: &Path) -> Result<SpecInput, String> {
    let path = match arg {
        Some(path) if path == Path::new("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read the spec from stdin: {e}"))?;
            return Ok(SpecInput {
                name: "<stdin>".to_owned(),
                text,
                dir: None,
            });
        }
        Some(path) if path.is_dir() => {
            let file = path.join(SPEC_NAME);
            if !file.is_file() {
                return Err(format!(
                    "no {SPEC_NAME} in {}\n  = help: create one with `dbgen init {}`, or pass the spec's file with -f",
                    path.display(),
                    path.display()
                ));
            }
            file
        }
        Some(path) => path.to_path_buf(),
        None => search(cwd)?,
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let pseudo = std::fs::canonicalize(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        &dir
    })
    .is_ok_and(|d| is_pseudo_dir(&d));
    let regular = !pseudo && std::fs::metadata(&path).is_ok_and(|m| m.is_file());
    Ok(SpecInput {
        name: path.display().to_string(),
        text,
        dir: regular.then_some(dir),
    })
}

/// Whether a spec in the (canonical) directory `dir` is a pipe or a device rather than a
/// file with a directory of its own to write beside: `/dev/stdin` (even redirected from a
/// file) and `/dev/fd/N` (which resolves under `/proc`); `/dev/out` or `/proc/self/out` is
/// nobody's output directory. Real directories under `/dev` (`/dev/shm`, a tmpfs) are not.
fn is_pseudo_dir(dir: &Path) -> bool {
    dir == Path::new("/dev") || dir.starts_with("/proc")
}

/// `dbgen.toml` in `cwd` or the nearest parent that has one, named relative to `cwd`
/// (`dbgen.toml`, `../dbgen.toml`, …) so that diagnostics stay short.
fn search(cwd: &Path) -> Result<PathBuf, String> {
    let mut tried = Vec::new();
    let mut relative = PathBuf::new();
    for dir in cwd.ancestors() {
        let candidate = dir.join(SPEC_NAME);
        if candidate.is_file() {
            return Ok(relative.join(SPEC_NAME));
        }
        tried.push(candidate);
        relative.push("..");
    }
    let mut message =
        format!("no {SPEC_NAME} in the current directory or any parent directory; looked for:");
    for path in &tried {
        let _ = write!(message, "\n  {}", path.display());
    }
    message.push_str(
        "\n  = help: create a starter spec with `dbgen init`, or name the spec with `-f FILE|DIR`",
    );
    Err(message)
}

/// `path` relative to the root of the git repository that contains the current directory
/// (the nearest ancestor with a `.git`), else relative to the current directory, with `/`
/// separators: the form `git apply` and GitHub annotations expect.
pub(super) fn repo_relative(path: &Path, cwd: &Path) -> String {
    let absolute = normalize(&cwd.join(path));
    let root = cwd.ancestors().find(|dir| dir.join(".git").exists());
    let base = root.unwrap_or(cwd);
    let shown = absolute
        .strip_prefix(normalize(base))
        .map_or_else(|_| path.to_path_buf(), Path::to_path_buf);
    shown.to_string_lossy().replace('\\', "/")
}

/// Removes `.` and folds `..` without touching the filesystem (the output directory may not
/// exist yet, so `canonicalize` cannot be used).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_spec_in_a_parent_and_names_it_relatively() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SPEC_NAME), "x").unwrap();
        let deep = dir.path().join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(search(&deep).unwrap(), Path::new("../../dbgen.toml"));
        assert_eq!(search(dir.path()).unwrap(), Path::new("dbgen.toml"));
    }

    #[test]
    fn only_device_and_proc_directories_are_pseudo() {
        assert!(is_pseudo_dir(Path::new("/dev")));
        assert!(is_pseudo_dir(Path::new("/proc/self/fd")));
        assert!(!is_pseudo_dir(Path::new("/dev/shm/platform")));
        assert!(!is_pseudo_dir(Path::new("/devices/platform")));
        assert!(!is_pseudo_dir(Path::new("/home/dev")));
    }

    #[test]
    fn paths_are_relative_to_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        let sub = dir.path().join("platform");
        std::fs::create_dir_all(&sub).unwrap();
        assert_eq!(
            repo_relative(Path::new("out/prod/x.yaml"), &sub),
            "platform/out/prod/x.yaml"
        );
        assert_eq!(repo_relative(Path::new("../out"), &sub), "out");
    }
}
