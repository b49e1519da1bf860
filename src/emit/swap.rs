//! Applies a `Plan` to the output directory in place, through a journal.
//! Input: the output root (locked by the caller), the wanted files and the plan.
//! Output: the changed files staged in `<out>/.dbgen-staging`, made durable by
//! one filesystem sync, committed by renaming that directory to
//! `<out>/.dbgen-commit`, then moved into place one atomic rename per file (or
//! per directory that `out` does not have yet); files no longer produced are
//! deleted with the directories they leave empty.
//! Invariant: only files the plan owns or creates are replaced or removed; the
//! output directory itself and every foreign entry keep their inode, mode and
//! owner. A crash before the commit rename leaves the old tree; after it, the
//! next write first finishes the commit (`recover`), so every completed
//! recovery is exactly one whole render. Failing to remove dbgen's own
//! leftovers is reported, never an error.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::disk::io_error;
use super::path::{ancestors, invalid_reason};
use super::plan::Plan;
use super::{EmitError, MANIFEST};

/// A journal being written; anything by this name (or `.N`) is garbage.
const STAGING: &str = ".dbgen-staging";
/// A complete journal that must be rolled forward.
const COMMIT: &str = ".dbgen-commit";
/// Inside a journal: the new files, at their paths relative to the output root.
const FILES: &str = "files";
/// Inside a journal: the paths to delete, one per line.
const DELETE: &str = "delete";

/// Names `STAGING` may take when earlier leftovers could not be removed.
const MAX_STAGING: usize = 100;

/// Writes the plan's changes into `out`; returns the leftovers it could not remove.
pub(super) fn apply(
    out: &Path,
    wanted: &BTreeMap<String, String>,
    plan: &Plan,
) -> Result<Vec<String>, EmitError> {
    let staging = free_staging(out)?;
    if let Err(e) = stage(&staging, wanted, plan) {
        if !crash::is_simulated(&e) {
            // The stage error is the one worth reporting; what is left is
            // garbage the next write removes.
            let _ = remove_all(&staging);
        }
        return Err(e);
    }
    sync_filesystem(&staging)?;
    let commit = out.join(COMMIT);
    crash::step()?;
    rename(&staging, &commit)?;
    sync_dir(out)?;
    roll_forward(out, &commit)
}

/// Finishes a committed journal left by an interrupted write and removes
/// uncommitted ones; returns the leftovers it could not remove.
pub(super) fn recover(out: &Path) -> Result<Vec<String>, EmitError> {
    let commit = out.join(COMMIT);
    let mut leftovers = if has_pending_commit(out) {
        roll_forward(out, &commit)?
    } else {
        Vec::new()
    };
    for name in staging_names() {
        let path = out.join(&name);
        if fs::symlink_metadata(&path).is_ok() && remove_all(&path).is_err() {
            leftovers.push(name);
        }
    }
    Ok(leftovers)
}

/// Whether an interrupted write left a committed journal to roll forward.
pub(super) fn has_pending_commit(out: &Path) -> bool {
    fs::symlink_metadata(out.join(COMMIT)).is_ok_and(|m| m.is_dir())
}

/// `.dbgen-staging`, `.dbgen-staging.1`, … in the order they are tried.
fn staging_names() -> impl Iterator<Item = String> {
    std::iter::once(STAGING.to_owned()).chain((1..MAX_STAGING).map(|n| format!("{STAGING}.{n}")))
}

/// Creates the first staging directory name that is free.
fn free_staging(out: &Path) -> Result<PathBuf, EmitError> {
    for name in staging_names() {
        let path = out.join(name);
        crash::step()?;
        match fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_error("create directory", &path)(e)),
        }
    }
    Err(EmitError::Io {
        action: "create directory",
        path: out.join(STAGING),
        source: io::Error::other(
            "too many leftover `.dbgen-staging` directories that could not be removed; delete them",
        ),
    })
}

fn stage(staging: &Path, wanted: &BTreeMap<String, String>, plan: &Plan) -> Result<(), EmitError> {
    let files = staging.join(FILES);
    // Files come in path order, so most share the directory of the one before.
    let mut made: Option<PathBuf> = None;
    for rel in plan.created.iter().chain(plan.updated.keys()) {
        let dest = files.join(rel);
        if let Some(parent) = dest.parent()
            && made.as_deref() != Some(parent)
        {
            crash::step()?;
            fs::create_dir_all(parent).map_err(io_error("create directory", parent))?;
            made = Some(parent.to_path_buf());
        }
        crash::step()?;
        write_file(&dest, &wanted[rel])?;
    }
    let mut list = String::new();
    for rel in plan.deleted.keys() {
        list.push_str(rel);
        list.push('\n');
    }
    crash::step()?;
    write_file(&staging.join(DELETE), &list)
}

/// Moves every staged file into place (the manifest last), deletes the listed
/// files and retires the journal. A staged directory whose place in `out` is
/// free moves whole, in one rename (a render into an empty directory moves
/// each environment at once). Running it again after a crash is harmless:
/// moved entries are no longer in the journal and deleted ones are gone.
fn roll_forward(out: &Path, commit: &Path) -> Result<Vec<String>, EmitError> {
    let files = commit.join(FILES);
    let mut staged = Vec::new();
    if fs::symlink_metadata(&files).is_ok_and(|m| m.is_dir()) {
        list_moves(out, &files, "", &mut staged)?;
    }
    // The manifest moves last so it never names a file that is not in place yet.
    staged.sort_by_key(|rel| rel == MANIFEST);
    for rel in &staged {
        if rel == MANIFEST {
            delete_listed(out, commit)?;
        }
        let dest = out.join(rel);
        ensure_parent_dirs(out, rel)?;
        crash::step()?;
        rename(&files.join(rel), &dest)?;
    }
    if !staged.iter().any(|rel| rel == MANIFEST) {
        delete_listed(out, commit)?;
    }
    // One rename marks the journal as done; removing it is only cleanup.
    let retired = free_name(out)?;
    crash::step()?;
    rename(commit, &retired)?;
    Ok(match remove_all(&retired) {
        Ok(()) => Vec::new(),
        Err(_) => vec![
            retired
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        ],
    })
}

/// A staging name nothing occupies, for retiring a journal.
fn free_name(out: &Path) -> Result<PathBuf, EmitError> {
    staging_names()
        .map(|name| out.join(name))
        .find(|path| fs::symlink_metadata(path).is_err())
        .ok_or_else(|| EmitError::Io {
            action: "retire",
            path: out.join(COMMIT),
            source: io::Error::other(
                "too many leftover `.dbgen-staging` directories that could not be removed; delete them",
            ),
        })
}

/// Deletes the regular files the journal lists, then the directories that
/// leaves empty; never follows a symlink and never removes the root.
fn delete_listed(out: &Path, commit: &Path) -> Result<(), EmitError> {
    let list_path = commit.join(DELETE);
    let list = match fs::read_to_string(&list_path) {
        Ok(list) => list,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error("read", &list_path)(e)),
    };
    for rel in list.lines() {
        // The journal is dbgen's, but a tampered one must not reach outside.
        if invalid_reason(rel).is_some() || !real_dirs_to(out, rel) {
            continue;
        }
        let path = out.join(rel);
        if fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            crash::step()?;
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("remove", &path)(e)),
            }
        }
        // Deepest first; stops at the first directory something else still uses.
        for dir in ancestors(rel).collect::<Vec<_>>().into_iter().rev() {
            if fs::remove_dir(out.join(dir)).is_err() {
                break;
            }
        }
    }
    Ok(())
}

/// Whether every proper ancestor of `rel` below `out` is a real directory (not
/// a symlink), so that acting on `out/rel` stays inside the tree.
fn real_dirs_to(out: &Path, rel: &str) -> bool {
    ancestors(rel).all(|dir| fs::symlink_metadata(out.join(dir)).is_ok_and(|m| m.is_dir()))
}

/// Creates the missing directories above `out/rel`; fails when one of them is
/// a symlink or a file, which must never be written through.
fn ensure_parent_dirs(out: &Path, rel: &str) -> Result<(), EmitError> {
    for dir in ancestors(rel) {
        let path = out.join(dir);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(EmitError::Io {
                    action: "write into",
                    path,
                    source: io::Error::other("it is no longer a directory"),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                crash::step()?;
                fs::create_dir(&path).map_err(io_error("create directory", &path))?;
            }
            Err(e) => return Err(io_error("inspect", &path)(e)),
        }
    }
    Ok(())
}

/// What moves out of the journal directory `dir`, as `/`-separated paths
/// relative to it: each regular file, or a whole directory where `out` has
/// nothing at its path yet (below it every file is new).
fn list_moves(out: &Path, dir: &Path, rel: &str, moves: &mut Vec<String>) -> Result<(), EmitError> {
    let here = dir.join(rel);
    for entry in fs::read_dir(&here).map_err(io_error("list", &here))? {
        let entry = entry.map_err(io_error("list", &here))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        if invalid_reason(&child).is_some() {
            continue;
        }
        let kind = entry
            .file_type()
            .map_err(io_error("inspect", &entry.path()))?;
        if kind.is_dir() {
            match fs::symlink_metadata(out.join(&child)) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => moves.push(child),
                // Whatever is there (a directory, or something `ensure_parent_dirs`
                // refuses to write into) is dealt with file by file.
                _ => list_moves(out, dir, &child, moves)?,
            }
        } else if kind.is_file() {
            moves.push(child);
        }
    }
    Ok(())
}

/// Every regular file below `dir`, as `/`-separated paths relative to it.
#[cfg(not(unix))]
fn list_files(dir: &Path, rel: &str, files: &mut Vec<String>) -> Result<(), EmitError> {
    let here = dir.join(rel);
    for entry in fs::read_dir(&here).map_err(io_error("list", &here))? {
        let entry = entry.map_err(io_error("list", &here))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let kind = entry
            .file_type()
            .map_err(io_error("inspect", &entry.path()))?;
        if kind.is_dir() {
            list_files(dir, &child, files)?;
        } else if kind.is_file() && invalid_reason(&child).is_none() {
            files.push(child);
        }
    }
    Ok(())
}

/// Writes without syncing: one `sync_filesystem` covers every staged file.
fn write_file(path: &Path, content: &str) -> Result<(), EmitError> {
    let mut file = File::create(path).map_err(io_error("create", path))?;
    file.write_all(content.as_bytes())
        .map_err(io_error("write", path))
}

/// Makes every staged file durable before the commit rename can be: generated
/// files are reproducible, so one sync of the filesystem replaces a sync per file.
#[cfg(target_os = "linux")]
fn sync_filesystem(staging: &Path) -> Result<(), EmitError> {
    let dir = File::open(staging).map_err(io_error("open", staging))?;
    rustix::fs::syncfs(&dir).map_err(|e| io_error("sync", staging)(e.into()))
}

#[cfg(all(unix, not(target_os = "linux")))]
fn sync_filesystem(_staging: &Path) -> Result<(), EmitError> {
    rustix::fs::sync();
    Ok(())
}

/// Without `syncfs`, each staged file is synced.
#[cfg(not(unix))]
fn sync_filesystem(staging: &Path) -> Result<(), EmitError> {
    let mut files = Vec::new();
    list_files(staging, "", &mut files)?;
    for rel in files {
        let path = staging.join(rel);
        File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(io_error("sync", &path))?;
    }
    Ok(())
}

/// Makes the commit rename durable before files start moving.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), EmitError> {
    let file = File::open(dir).map_err(io_error("open", dir))?;
    rustix::fs::fsync(&file).map_err(|e| io_error("sync", dir)(e.into()))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), EmitError> {
    Ok(())
}

fn rename(from: &Path, to: &Path) -> Result<(), EmitError> {
    fs::rename(from, to).map_err(io_error("rename", from))
}

/// Removes a directory of dbgen's bookkeeping, or whatever else sits at its name.
fn remove_all(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
    }
}

/// Simulated crashes for tests: `step` fails once a countdown reaches zero, and
/// callers skip their error cleanup for that failure, as a killed process would.
pub(super) mod crash {
    use super::EmitError;

    #[cfg(test)]
    thread_local! {
        static COUNTDOWN: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
    }

    #[cfg(test)]
    const ACTION: &str = "simulated crash before";

    /// Makes the `steps`-th mutating step from now fail (`None`: never).
    #[cfg(test)]
    pub(in crate::emit) fn arm(steps: Option<usize>) {
        COUNTDOWN.with(|c| c.set(steps));
    }

    #[cfg(test)]
    pub(super) fn step() -> Result<(), EmitError> {
        COUNTDOWN.with(|c| match c.get() {
            Some(0) => Err(EmitError::Io {
                action: ACTION,
                path: std::path::PathBuf::new(),
                source: std::io::Error::other("simulated"),
            }),
            Some(n) => {
                c.set(Some(n - 1));
                Ok(())
            }
            None => Ok(()),
        })
    }

    #[cfg(test)]
    pub(in crate::emit) fn is_simulated(error: &EmitError) -> bool {
        matches!(error, EmitError::Io { action, .. } if *action == ACTION)
    }

    // Same signature as the test build's, which can fail.
    #[cfg(not(test))]
    #[allow(clippy::unnecessary_wraps)]
    #[inline]
    pub(super) fn step() -> Result<(), EmitError> {
        Ok(())
    }

    #[cfg(not(test))]
    pub(in crate::emit) fn is_simulated(_error: &EmitError) -> bool {
        false
    }
}
