//! dbgen's maintainer tasks: `cargo xtask <task>` (the alias is in `.cargo/config.toml`).
//!
//! Input: the command line, `schemas/upstream.toml` and upstream CRD files on disk (this
//! never downloads; `schemas urls` says what to fetch). Output: JSON Schema files under
//! `schemas/crds/` (or a report of how they differ). Invariant: every embedded schema is
//! either reproduced from its pinned upstream file by `convert`, or marked in
//! `schemas/upstream.toml` as not reproducible, with the reason.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod convert;
mod json;
mod pins;
mod recipe;
#[cfg(test)]
mod tests;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  crd2schema OUT_DIR CRD.yaml...     convert every served version of every CRD in the files
                                     to OUT_DIR/<group>/<kind>_<version>.json
  schemas urls                       print where to download each pinned upstream CRD file:
                                     a `# source` line, then `<UPSTREAM_DIR path> <URL>` lines
  schemas regenerate UPSTREAM_DIR    rewrite schemas/crds/ from the pinned upstream files,
                                     laid out as UPSTREAM_DIR/<owner>/<repo>/<path>
  schemas check UPSTREAM_DIR         the same, but only report files that would change
  kind-recipe                        follow ARCHITECTURE.md's `Adding a kind` for a toy
                                     LimitRange on a copy of the crate (target/kind-recipe/):
                                     fails unless it touches only the places the recipe names,
                                     builds without warnings, renders and verifies
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["crd2schema", out, crds @ ..] if !crds.is_empty() => crd2schema(Path::new(out), crds),
        ["schemas", "urls"] => urls(),
        ["schemas", "regenerate", upstream] => schemas(Path::new(upstream), Mode::Write),
        ["schemas", "check", upstream] => schemas(Path::new(upstream), Mode::Check),
        ["kind-recipe"] => recipe::run(&repo_root()),
        ["help" | "--help" | "-h"] => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root (this package's parent).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository")
        .to_path_buf()
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn crd2schema(out: &Path, crds: &[&str]) -> Result<(), String> {
    for crd in crds {
        let converted =
            convert::convert(&read(Path::new(crd))?).map_err(|e| format!("{crd}: {e}"))?;
        if converted.is_empty() {
            return Err(format!("{crd}: no served CustomResourceDefinition version"));
        }
        for c in converted {
            write(&out.join(&c.path), &json::to_text(&c.schema))?;
            println!("{}", c.path);
        }
    }
    Ok(())
}

fn urls() -> Result<(), String> {
    let pins = pins::load(&repo_root())?;
    for source in pins.reproducible() {
        println!(
            "# {} {} ({}), {}",
            source.repo, source.version, source.commit, source.license
        );
        for file in &source.files {
            println!("{}/{file} {}", source.repo, source.url(file));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Write,
    Check,
}

fn schemas(upstream: &Path, mode: Mode) -> Result<(), String> {
    let root = repo_root();
    let pins = pins::load(&root)?;
    let generated = pins::generate(&pins, upstream)?;
    let mut stale = Vec::new();
    for (path, text) in &generated {
        let target = root.join("schemas/crds").join(path);
        if fs::read_to_string(&target).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        match mode {
            Mode::Write => {
                write(&target, text)?;
                println!("wrote schemas/crds/{path}");
            }
            Mode::Check => stale.push(path.clone()),
        }
    }
    if stale.is_empty() {
        println!("{} schemas reproduced", generated.len());
        Ok(())
    } else {
        Err(format!(
            "not as pinned upstream converts them: {}",
            stale.join(", ")
        ))
    }
}
