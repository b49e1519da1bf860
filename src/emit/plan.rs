//! What making an output directory equal to a tree would change.
//! Input: the wanted files (manifest entry included) and an output root.
//! Output: a `Plan` sorting every wanted or owned path into created, updated,
//! unchanged or deleted, plus the foreign leaves a write must carry over.
//! Invariant: a path is owned only when it is a regular file and the on-disk
//! manifest lists it (or, when adopting a directory without manifest, it
//! carries dbgen's generated-file header); a foreign leaf in the way of a
//! wanted file is an error, and so is a non-empty directory without manifest
//! that is not being adopted.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::disk::{self, Leaf, io_error};
use super::path::{ancestors, to_slash, to_slash_lossy};
use super::{Change, Drift, EmitError, MANIFEST, WriteReport, owned};

/// The difference between an output root and a tree; old contents are CRLF-normalised.
#[derive(Debug, Default)]
pub(super) struct Plan {
    pub(super) created: BTreeSet<String>,
    /// Path to the content on disk.
    pub(super) updated: BTreeMap<String, String>,
    /// Owned files whose content is already the wanted one.
    pub(super) unchanged: BTreeSet<String>,
    /// Owned files no longer produced, with their content on disk.
    pub(super) deleted: BTreeMap<String, String>,
    /// Leaves dbgen did not write; they survive a write.
    pub(super) foreign: BTreeMap<PathBuf, Leaf>,
}

impl Plan {
    /// Compares `root` (which may not exist) with `wanted`; `out` only names
    /// the output directory in errors.
    pub(super) fn new(
        root: &Path,
        out: &Path,
        wanted: &BTreeMap<String, String>,
        adopt: bool,
    ) -> Result<Plan, EmitError> {
        let (owned, foreign) = classify(root, out, adopt)?;
        let mut plan = Plan {
            foreign,
            ..Plan::default()
        };
        plan.reject_conflicts(out, wanted)?;
        let mut bytes = Vec::new();
        for (path, content) in wanted {
            if owned.contains(path) {
                disk::read_bytes(&root.join(path), &mut bytes)?;
                // Byte-equal is the common case; only a differing file becomes text.
                let old = (bytes != content.as_bytes()).then(|| disk::text_of(&bytes));
                match old {
                    Some(old) if old != *content => {
                        plan.updated.insert(path.clone(), old);
                    }
                    _ => {
                        plan.unchanged.insert(path.clone());
                    }
                }
            } else {
                plan.created.insert(path.clone());
            }
        }
        for path in owned.into_iter().filter(|p| !wanted.contains_key(p)) {
            let old = disk::read_text(&root.join(&path))?;
            plan.deleted.insert(path, old);
        }
        Ok(plan)
    }

    /// Whether a write would change anything in the output directory.
    pub(super) fn changes_anything(&self) -> bool {
        !(self.created.is_empty() && self.updated.is_empty() && self.deleted.is_empty())
    }

    pub(super) fn report(&self) -> WriteReport {
        WriteReport {
            created: self.created.iter().cloned().collect(),
            updated: self.updated.keys().cloned().collect(),
            deleted: self.deleted.keys().cloned().collect(),
            unchanged: self.unchanged.len(),
            leftovers: Vec::new(),
        }
    }

    /// Every difference, sorted by path.
    pub(super) fn into_drift(self, wanted: &BTreeMap<String, String>) -> Vec<Drift> {
        let mut drift = BTreeMap::new();
        for path in self.created {
            let new = wanted.get(&path).cloned();
            drift.insert(
                path.clone(),
                Drift {
                    path,
                    change: Change::Create,
                    old: None,
                    new,
                },
            );
        }
        for (path, old) in self.updated {
            let new = wanted.get(&path).cloned();
            drift.insert(
                path.clone(),
                Drift {
                    path,
                    change: Change::Update,
                    old: Some(old),
                    new,
                },
            );
        }
        for (path, old) in self.deleted {
            drift.insert(
                path.clone(),
                Drift {
                    path,
                    change: Change::Delete,
                    old: Some(old),
                    new: None,
                },
            );
        }
        drift.into_values().collect()
    }

    /// Fails with every foreign leaf a wanted file would replace or sit inside
    /// of, before anything is written.
    fn reject_conflicts(
        &self,
        out: &Path,
        wanted: &BTreeMap<String, String>,
    ) -> Result<(), EmitError> {
        let paths: Vec<String> = self
            .foreign
            .iter()
            .filter(|(rel, leaf)| in_the_way(rel, **leaf, wanted))
            .map(|(rel, _)| to_slash_lossy(rel))
            .collect();
        if paths.is_empty() {
            Ok(())
        } else {
            Err(EmitError::Foreign {
                out: out.to_path_buf(),
                paths,
            })
        }
    }
}

/// Splits the leaves under `root` into owned file paths and foreign leaves.
fn classify(
    root: &Path,
    out: &Path,
    adopt: bool,
) -> Result<(BTreeSet<String>, BTreeMap<PathBuf, Leaf>), EmitError> {
    let leaves = disk::scan(root)?;
    let listed = match read_manifest(root)? {
        Some(manifest) => manifest.paths,
        None if leaves.is_empty() => BTreeSet::new(),
        // Writing into a directory dbgen does not own would change what it
        // holds (and whoever relies on its contents) without being asked.
        None => {
            let generated = generated_files(root, &leaves)?;
            // Adopting a directory without a single generated file would only
            // mean writing into someone else's directory.
            if !adopt || generated.is_empty() {
                return Err(EmitError::Unowned {
                    out: out.to_path_buf(),
                    entries: leaves.len(),
                    generated: generated.len(),
                });
            }
            generated
        }
    };
    let mut owned = BTreeSet::new();
    let mut foreign = BTreeMap::new();
    for (rel, leaf) in leaves {
        match to_slash(&rel) {
            // A listed path that is now a symlink or directory was replaced by
            // someone else; treating it as dbgen's could write through a link.
            Some(path) if leaf == Leaf::File && (path == MANIFEST || listed.contains(&path)) => {
                owned.insert(path);
            }
            _ => {
                foreign.insert(rel, leaf);
            }
        }
    }
    Ok((owned, foreign))
}

/// Whether the foreign leaf `rel` occupies a place the tree needs: the same
/// path, a directory the tree wants as a file, or a non-directory where the
/// tree needs a directory. An empty directory the tree writes into is fine.
fn in_the_way(rel: &Path, leaf: Leaf, wanted: &BTreeMap<String, String>) -> bool {
    let Some(path) = to_slash(rel) else {
        // A non-UTF-8 name is never wanted, but a UTF-8 ancestor of it may be.
        return rel
            .ancestors()
            .skip(1)
            .filter_map(to_slash)
            .any(|a| wanted.contains_key(&a));
    };
    if wanted.contains_key(&path) || ancestors(&path).any(|a| wanted.contains_key(a)) {
        return true;
    }
    let prefix = format!("{path}/");
    leaf != Leaf::EmptyDir
        && wanted
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(p, _)| p.starts_with(&prefix))
}

/// Regular files below `root` that start with dbgen's generated-file header.
fn generated_files(
    root: &Path,
    leaves: &BTreeMap<PathBuf, Leaf>,
) -> Result<BTreeSet<String>, EmitError> {
    let mut generated = BTreeSet::new();
    for (rel, leaf) in leaves {
        if *leaf != Leaf::File {
            continue;
        }
        if let Some(path) = to_slash(rel)
            && disk::has_generated_header(&root.join(rel))?
        {
            generated.insert(path);
        }
    }
    Ok(generated)
}

/// The on-disk manifest; `None` when there is none.
fn read_manifest(root: &Path) -> Result<Option<owned::Manifest>, EmitError> {
    let file = root.join(MANIFEST);
    match fs::symlink_metadata(&file) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error("inspect", &file)(e)),
        // Reading through a symlink could take ownership claims from anywhere.
        Ok(meta) if !meta.is_file() => Err(EmitError::BadManifest {
            path: file,
            line: 0,
            reason: "it is not a regular file".to_owned(),
        }),
        Ok(_) => {
            let bytes = fs::read(&file).map_err(io_error("read", &file))?;
            owned::parse(&bytes, &file).map(Some)
        }
    }
}
