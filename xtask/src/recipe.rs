//! `cargo xtask kind-recipe`: follows ARCHITECTURE.md's "Adding a kind" for a toy kind on a
//! scratch copy of the crate, and fails if the recipe is not enough or not exact.
//!
//! Input: the repository (ARCHITECTURE.md, the crate's sources). Output: a copy under
//! `target/kind-recipe/` where a built-in `LimitRange` has been added exactly as the recipe
//! says (its row in `kind_table!`, its body's structs in `plan::k8s`, its plan type, its
//! schema from `cargo xtask schemas builtin`, produced by the `statefulset` engine, a golden case), built, rendered and verified by the copy's own `dbgen`.
//! Invariant: every file the copy changes is a place the recipe names; the copy builds
//! without warnings; the new kind reaches the output through the typed builder and passes
//! strict verification; nothing in the repository itself is modified.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{read, write};

/// What the copy needs to build: the crate, its embedded data, its declared targets.
const COPIED: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "build.rs",
    "src",
    "templates",
    "schemas",
    "profiles",
    "benches",
];

/// The golden case the recipe adds, rendered from an existing statefulset spec.
const CASE: &str = "golden/kind-recipe-limitrange";
const CASE_SPEC_FROM: &str = "golden/seed-001-single-statefulset/dbgen.toml";

/// One edit of the recipe: in `path`, insert `text` before (or after) the line holding `anchor`.
struct Edit {
    path: &'static str,
    anchor: &'static str,
    after: bool,
    text: &'static str,
}

/// The recipe applied to a toy kind, step by step (numbers as in ARCHITECTURE.md).
const EDITS: &[Edit] = &[
    // 1. The row, and its plan type in the table's imports.
    Edit {
        path: "src/plan/kind.rs",
        anchor: "            Job(Box<JobPlan>) \"job\", typed(),",
        after: false,
        text: "            LimitRange(LimitRangePlan) \"limitrange\", typed(),\n                builtin(\"v1\", Namespaced, Dns1123Subdomain);\n",
    },
    Edit {
        path: "src/plan/kind.rs",
        anchor: "kind_table!(declare_kinds);",
        after: false,
        text: "use super::LimitRangePlan;\n\n",
    },
    // 1. The body's structs, with only the fields the plan sets, in `src/plan/k8s/`.
    Edit {
        path: "src/plan/k8s/workloads.rs",
        anchor: "/// Traffic out: to these peers",
        after: false,
        text: "/// The kind recipe's toy: a `LimitRange`'s body.\n#[derive(Debug, Clone, Default, Serialize)]\npub struct LimitRangeSpec {\n    pub limits: Vec<LimitRangeItem>,\n}\n\n#[derive(Debug, Clone, Default, Serialize)]\npub struct LimitRangeItem {\n    #[serde(skip_serializing_if = \"Option::is_none\")]\n    pub max: Option<Quantities>,\n    #[serde(rename = \"type\")]\n    pub type_: String,\n}\n\n",
    },
    Edit {
        path: "src/plan/k8s/mod.rs",
        anchor: "pub use workloads::{",
        after: false,
        text: "pub use workloads::{LimitRangeItem, LimitRangeSpec};\n",
    },
    // 1. The plan type, in the module producing it, exported beside the other plan types.
    Edit {
        path: "src/plan/statefulset.rs",
        anchor: "#[cfg(test)]",
        after: false,
        text: "/// A `LimitRange` of the namespace (the kind recipe's toy).\n#[derive(Debug, Clone, serde::Serialize)]\npub struct LimitRangePlan {\n    pub meta: crate::plan::Meta,\n    pub spec: crate::plan::k8s::LimitRangeSpec,\n}\n\n",
    },
    Edit {
        path: "src/plan/mod.rs",
        anchor: "pub use workload::{",
        after: false,
        text: "pub use statefulset::LimitRangePlan;\n",
    },
    // 3. Produced by the engine module.
    Edit {
        path: "src/plan/statefulset.rs",
        anchor: "    scope.push(&mut objects, ObjectData::PodDisruptionBudget(pdb));",
        after: true,
        text: "    let limit_range = LimitRangePlan {\n        meta: scope.meta(scope.cluster.to_string(), None),\n        spec: crate::plan::k8s::LimitRangeSpec {\n            limits: vec![crate::plan::k8s::LimitRangeItem {\n                type_: \"Container\".to_owned(),\n                max: Some(std::collections::BTreeMap::from([(\n                    \"memory\".to_owned(),\n                    crate::plan::k8s::Quantity::fixed(\"4Gi\"),\n                )])),\n            }],\n        },\n    };\n    scope.push(&mut objects, ObjectData::LimitRange(limit_range));\n",
    },
];

pub(crate) fn run(root: &Path) -> Result<(), String> {
    let places = recipe_places(&read(&root.join("ARCHITECTURE.md"))?)?;
    let work = root.join("target/kind-recipe");
    let copy = work.join("crate");
    if copy.exists() {
        fs::remove_dir_all(&copy).map_err(|e| format!("{}: {e}", copy.display()))?;
    }
    for entry in COPIED {
        copy_tree(&root.join(entry), &copy.join(entry))?;
    }
    // Scaffolding, not the recipe: the copy's binary gets its own name so building it in
    // the shared target directory (dependencies already compiled) never replaces `dbgen`.
    let manifest = copy.join("Cargo.toml");
    let text = read(&manifest)?;
    let renamed = text
        .replace(
            "default-run = \"dbgen\"",
            "default-run = \"dbgen-kind-recipe\"",
        )
        .replacen(
            "name = \"dbgen\"\npath = \"src/main.rs\"",
            "name = \"dbgen-kind-recipe\"\npath = \"src/main.rs\"",
            1,
        );
    if renamed == text {
        return Err("Cargo.toml: the [[bin]] table moved; update xtask/src/recipe.rs".to_string());
    }
    write(&manifest, &renamed)?;

    for edit in EDITS {
        apply(&copy, edit)?;
    }
    // 2. A built-in kind: its schema, generated from the row.
    crate::builtin_schemas(&copy, crate::Mode::Write)?;
    write(
        &copy.join(CASE).join("dbgen.toml"),
        &read(&root.join(CASE_SPEC_FROM))?,
    )?;

    let touched = changed_files(root, &copy)?;
    let outside: Vec<&String> = touched
        .iter()
        .filter(|path| path.as_str() != "Cargo.toml")
        .filter(|path| !places.iter().any(|place| matches(place, path)))
        .collect();
    if !outside.is_empty() {
        return Err(format!(
            "the toy kind changed files the recipe does not name: {outside:?}; recipe places: {places:?}"
        ));
    }

    // The caller's target directory, where the dependencies are already compiled; absolute,
    // since the copy is built from its own directory.
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => std::path::absolute(dir).map_err(|e| format!("CARGO_TARGET_DIR: {e}"))?,
        None => root.join("target"),
    };
    build(&copy, &target)?;
    let limit_ranges = render_case(&target, &copy)?;
    println!(
        "kind recipe followed for LimitRange: changed {touched:?} (and the copy's bin name); \
         rendered and verified {limit_ranges:?}"
    );
    Ok(())
}

/// Builds the copy's binary, without a warning.
fn build(copy: &Path, target: &Path) -> Result<(), String> {
    let build = Command::new(env_or("CARGO", "cargo"))
        .args(["build", "--locked", "--bin", "dbgen-kind-recipe"])
        .current_dir(copy)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .map_err(|e| format!("cargo build: {e}"))?;
    let log = String::from_utf8_lossy(&build.stderr);
    if !build.status.success() {
        return Err(format!("the copy does not build:\n{log}"));
    }
    if log.contains("warning") {
        return Err(format!("the copy builds with warnings:\n{log}"));
    }
    Ok(())
}

/// Renders the new golden case with the copy's `dbgen` (which verifies every object), then
/// checks it as `golden::` would; the `LimitRange` files it wrote.
fn render_case(target: &Path, copy: &Path) -> Result<Vec<String>, String> {
    let dbgen = target.join("debug").join("dbgen-kind-recipe");
    let case = copy.join(CASE);
    let spec = case.join("dbgen.toml");
    let expected = case.join("expected");
    // Blessing the new case, then checking it as `golden::` would.
    for check in [false, true] {
        let mut command = Command::new(&dbgen);
        command
            .arg("render")
            .arg("-f")
            .arg(&spec)
            .arg("--out")
            .arg(&expected);
        if check {
            command.arg("--check");
        }
        let out = command
            .output()
            .map_err(|e| format!("{}: {e}", dbgen.display()))?;
        if !out.status.success() {
            return Err(format!(
                "dbgen render{} failed:\n{}{}",
                if check { " --check" } else { "" },
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let mut written = Vec::new();
    files_under(&expected, &expected, &mut written)?;
    let limit_ranges: Vec<String> = written
        .into_iter()
        .filter(|f| {
            Path::new(f)
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("limitrange-"))
        })
        .collect();
    if limit_ranges.is_empty() {
        return Err("no limitrange-*.yaml in the rendered case".to_string());
    }
    for file in &limit_ranges {
        let text = read(&expected.join(file))?;
        if !text.contains("apiVersion: v1\nkind: LimitRange\n") || !text.contains("max:") {
            return Err(format!("{file} is not the toy LimitRange:\n{text}"));
        }
    }
    Ok(limit_ranges)
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn apply(copy: &Path, edit: &Edit) -> Result<(), String> {
    let path = copy.join(edit.path);
    let text = read(&path)?;
    let Some(line_start) = text
        .find(edit.anchor)
        .map(|i| text[..i].rfind('\n').map_or(0, |n| n + 1))
    else {
        return Err(format!(
            "{}: no line `{}` to anchor the recipe's edit; update xtask/src/recipe.rs",
            edit.path, edit.anchor
        ));
    };
    let at = if edit.after {
        text[line_start..]
            .find('\n')
            .map_or(text.len(), |n| line_start + n + 1)
    } else {
        line_start
    };
    let mut edited = text.clone();
    edited.insert_str(at, edit.text);
    write(&path, &edited)
}

/// The repository paths the "Adding a kind" recipe names, as written (`<x>` stands for
/// one path segment or part of one; a trailing `/` names a directory).
pub(crate) fn recipe_places(architecture: &str) -> Result<Vec<String>, String> {
    let start = architecture
        .find("### Adding a kind")
        .ok_or("ARCHITECTURE.md has no `### Adding a kind`")?;
    let section = &architecture[start + 3..];
    let end = section.find("\n#").unwrap_or(section.len());
    let section = &section[..end];
    let mut places = Vec::new();
    for (i, chunk) in section.split('`').enumerate() {
        let path_like = ["src/", "templates/", "schemas/", "golden/"]
            .iter()
            .any(|root| chunk.starts_with(root));
        if i % 2 == 1 && path_like && !chunk.contains(' ') && !places.contains(&chunk.to_string()) {
            places.push(chunk.to_string());
        }
    }
    if places.is_empty() {
        return Err("the recipe names no place".to_string());
    }
    Ok(places)
}

/// Whether `path` is the place `pattern` names.
pub(crate) fn matches(pattern: &str, path: &str) -> bool {
    if let Some(dir) = pattern.strip_suffix('/') {
        let depth = dir.split('/').count();
        let segments: Vec<&str> = path.split('/').collect();
        return segments.len() > depth
            && glob(dir.as_bytes(), segments[..depth].join("/").as_bytes());
    }
    glob(pattern.as_bytes(), path.as_bytes())
}

/// `<...>` matches one or more characters other than `/`.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.first() {
        None => text.is_empty(),
        Some(b'<') => {
            let Some(close) = pattern.iter().position(|&b| b == b'>') else {
                return false;
            };
            let rest = &pattern[close + 1..];
            (1..=text.len())
                .take_while(|&n| text[n - 1] != b'/')
                .any(|n| glob(rest, &text[n..]))
        }
        Some(&b) => text.first() == Some(&b) && glob(&pattern[1..], &text[1..]),
    }
}

/// Files of `copy` that are new or differ from the repository's (paths relative, `/`).
fn changed_files(root: &Path, copy: &Path) -> Result<Vec<String>, String> {
    let mut files = Vec::new();
    files_under(copy, copy, &mut files)?;
    let mut changed = Vec::new();
    for file in files {
        let ours = fs::read(copy.join(&file)).map_err(|e| format!("{file}: {e}"))?;
        if fs::read(root.join(&file)).ok().as_deref() != Some(&ours[..]) {
            changed.push(file);
        }
    }
    Ok(changed)
}

fn files_under(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), String> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(base, &path, out)?;
        } else if let Ok(relative) = path.strip_prefix(base) {
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    if from.is_dir() {
        fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
        for entry in fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
            let entry = entry.map_err(|e| format!("{}: {e}", from.display()))?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        if let Some(dir) = to.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        fs::copy(from, to)
            .map(|_| ())
            .map_err(|e| format!("{} -> {}: {e}", from.display(), to.display()))
    }
}
