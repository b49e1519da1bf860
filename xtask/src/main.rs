//! dbgen's maintainer tasks: `cargo xtask <task>` (the alias is in `.cargo/config.toml`).
//!
//! Input: the command line, `schemas/upstream.toml` and upstream CRD files on disk (this
//! never downloads; `schemas urls` says what to fetch). Output: JSON Schema files under
//! `schemas/crds/` (or a report of how they differ). Invariant: every embedded schema is
//! either reproduced from its pinned upstream file by `convert`, or marked in
//! `schemas/upstream.toml` as not reproducible, with the reason.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod builtin;
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
  schemas builtin [--check]          rewrite schemas/builtin/ (the built-in kinds of the kind
                                     table, Secret, ObjectMeta) from k8s-openapi's types;
                                     --check only reports files that would change
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
        ["schemas", "builtin"] => builtin_schemas(&repo_root(), Mode::Write),
        ["schemas", "builtin", "--check"] => builtin_schemas(&repo_root(), Mode::Check),
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
pub(crate) enum Mode {
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

/// `schemas/builtin/` of the crate at `root` made what its kind table needs: every file
/// generated, nothing else (a kind no longer emitted loses its schema).
pub(crate) fn builtin_schemas(root: &Path, mode: Mode) -> Result<(), String> {
    let generated = builtin::generate(&read(&root.join("src/plan/kind.rs"))?)?;
    let dir = root.join("schemas/builtin");
    let mut stale = Vec::new();
    let mut wanted = Vec::new();
    for schema in &generated {
        let name = format!("{}.json", schema.stem);
        let text = json::to_embedded(&schema.schema);
        let target = dir.join(&name);
        if fs::read_to_string(&target).ok().as_deref() != Some(text.as_str()) {
            match mode {
                Mode::Write => {
                    write(&target, &text)?;
                    println!("wrote schemas/builtin/{name}");
                }
                Mode::Check => stale.push(name.clone()),
            }
        }
        wanted.push(name);
    }
    let present = fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in present {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if path.extension().is_some_and(|e| e == "json") && !wanted.contains(&name) {
            match mode {
                Mode::Write => {
                    fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                    println!("removed schemas/builtin/{name}");
                }
                Mode::Check => stale.push(name),
            }
        }
    }
    if stale.is_empty() {
        println!("{} built-in schemas as generated", generated.len());
        Ok(())
    } else {
        Err(format!(
            "schemas/builtin/ is not what `cargo xtask schemas builtin` generates: {}",
            stale.join(", ")
        ))
    }
}
