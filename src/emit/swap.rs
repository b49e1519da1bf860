//! Staged, all-or-nothing replacement of the output directory.
//! Input: the output path, the wanted files and the `Plan` computed against it.
//! Output: `<parent>/.<name>.dbgen-staging` built completely (new files, kept
//! files, foreign leaves) and swapped in with two renames via `.<name>.dbgen-old`.
//! Invariant: until the second rename the old tree is intact at `out` or, after
//! a crash between the renames, at `.dbgen-old`, which `recover` puts back.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::EmitError;
use super::disk::{Leaf, io_error};
use super::plan::Plan;

/// Symlink hops followed when the output path itself is a symlink (as Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// The output directory and its two reserved siblings.
#[derive(Debug)]
pub(super) struct Layout {
    pub(super) out: PathBuf,
    staging: PathBuf,
    old: PathBuf,
}

impl Layout {
    /// Resolves `out`: when it is a symlink the directory it points to is the
    /// one replaced (the link stays), and `.`/`..` are made concrete so the
    /// directory has a name to derive the siblings from. Reads only.
    pub(super) fn resolve(out: &Path) -> Result<Layout, EmitError> {
        let mut path = follow_links(out)?;
        if path.file_name().is_none() {
            path = fs::canonicalize(&path).map_err(io_error("resolve", &path))?;
        }
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(EmitError::Io {
                action: "use as output directory",
                path,
                source: io::Error::other("the output directory must not be a filesystem root"),
            });
        };
        let sibling = |suffix: &str| {
            let mut file = OsString::from(".");
            file.push(name);
            file.push(suffix);
            parent.join(file)
        };
        Ok(Layout {
            staging: sibling(".dbgen-staging"),
            old: sibling(".dbgen-old"),
            out: path,
        })
    }

    /// The directory holding the current tree without repairing anything: the
    /// old tree of an interrupted swap when `out` is missing.
    pub(super) fn current(&self) -> &Path {
        if !exists(&self.out) && is_real_dir(&self.old) {
            &self.old
        } else {
            &self.out
        }
    }

    /// Undoes what an interrupted earlier write left behind: puts a moved-aside
    /// tree back when `out` is missing, then removes both reserved siblings.
    pub(super) fn recover(&self) -> Result<(), EmitError> {
        if !exists(&self.out) && is_real_dir(&self.old) {
            rename(&self.old, &self.out)?;
        }
        remove_if_present(&self.staging)?;
        remove_if_present(&self.old)
    }

    /// Builds the staging tree and swaps it in; on failure `out` is as it was
    /// and the staging tree is removed.
    pub(super) fn replace(
        &self,
        wanted: &BTreeMap<String, String>,
        plan: &Plan,
    ) -> Result<(), EmitError> {
        if let Some(parent) = self.staging.parent() {
            fs::create_dir_all(parent).map_err(io_error("create directory", parent))?;
        }
        if let Err(e) = self.stage(wanted, plan) {
            // Best effort: the stage error is the one worth reporting, and a
            // leftover staging directory is removed by the next write.
            let _ = remove_if_present(&self.staging);
            return Err(e);
        }
        self.swap()
    }

    fn stage(&self, wanted: &BTreeMap<String, String>, plan: &Plan) -> Result<(), EmitError> {
        fs::create_dir(&self.staging).map_err(io_error("create directory", &self.staging))?;
        for (rel, content) in wanted {
            let dest = self.staging.join(rel);
            create_parent(&dest)?;
            if plan.unchanged.contains(rel) {
                // Keeps the file's inode, mtime and exact bytes (e.g. CRLF).
                link_or_copy(&self.out.join(rel), &dest)?;
            } else {
                write_file(&dest, content)?;
            }
        }
        for (rel, leaf) in &plan.foreign {
            let dest = self.staging.join(rel);
            create_parent(&dest)?;
            carry(&self.out.join(rel), &dest, *leaf)?;
        }
        Ok(())
    }

    fn swap(&self) -> Result<(), EmitError> {
        if !exists(&self.out) {
            return rename(&self.staging, &self.out);
        }
        rename(&self.out, &self.old)?;
        if let Err(e) = rename(&self.staging, &self.out) {
            let _ = rename(&self.old, &self.out);
            let _ = remove_if_present(&self.staging);
            return Err(e);
        }
        // The new tree is in place; failing here leaves only `.dbgen-old`,
        // which the next write removes, but the user should still hear of it.
        remove_if_present(&self.old)
    }
}

fn follow_links(out: &Path) -> Result<PathBuf, EmitError> {
    let mut path = out.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&path).map_err(io_error("read symlink", &path))?;
                path = path.parent().unwrap_or(Path::new("")).join(target);
            }
            _ => return Ok(path),
        }
    }
    Err(EmitError::Io {
        action: "resolve",
        path: out.to_path_buf(),
        source: io::Error::other("too many levels of symbolic links"),
    })
}

/// Whether anything, even a dangling symlink, is at `path`.
pub(super) fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

fn is_real_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

fn rename(from: &Path, to: &Path) -> Result<(), EmitError> {
    fs::rename(from, to).map_err(io_error("rename", from))
}

/// Removes whatever is at `path` without following symlinks.
fn remove_if_present(path: &Path) -> Result<(), EmitError> {
    let result = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => Err(e),
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
    };
    result.map_err(io_error("remove", path))
}

fn create_parent(path: &Path) -> Result<(), EmitError> {
    match path.parent() {
        Some(parent) => fs::create_dir_all(parent).map_err(io_error("create directory", parent)),
        None => Ok(()),
    }
}

/// Writes and flushes to disk, so the swap never publishes a file whose data
/// a power loss could still lose.
fn write_file(path: &Path, content: &str) -> Result<(), EmitError> {
    let mut file = File::create(path).map_err(io_error("create", path))?;
    file.write_all(content.as_bytes())
        .map_err(io_error("write", path))?;
    file.sync_all().map_err(io_error("flush", path))
}

/// A hard link keeps the file itself; copying is the fallback where links are
/// impossible (another filesystem, no permission).
fn link_or_copy(from: &Path, to: &Path) -> Result<(), EmitError> {
    if fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    fs::copy(from, to).map(drop).map_err(io_error("copy", from))
}

/// Recreates a foreign leaf of the old tree at `to`.
fn carry(from: &Path, to: &Path, leaf: Leaf) -> Result<(), EmitError> {
    match leaf {
        Leaf::File => link_or_copy(from, to),
        // The tree may already have put files in it.
        Leaf::EmptyDir => fs::create_dir_all(to).map_err(io_error("create directory", to)),
        Leaf::Symlink => {
            let target = fs::read_link(from).map_err(io_error("read symlink", from))?;
            symlink(&target, from, to).map_err(io_error("create symlink", to))
        }
        Leaf::Special => fs::hard_link(from, to).map_err(|e| EmitError::Io {
            action: "preserve",
            path: from.to_path_buf(),
            source: io::Error::new(
                e.kind(),
                format!(
                    "{e}; this special file is not dbgen's, move it out of the output directory"
                ),
            ),
        }),
    }
}

#[cfg(unix)]
fn symlink(target: &Path, _original: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink(target: &Path, original: &Path, link: &Path) -> io::Result<()> {
    // Windows distinguishes directory links; ask the original what it points to.
    if fs::metadata(original).is_ok_and(|m| m.is_dir()) {
        std::os::windows::fs::symlink_dir(target, link)
    } else {
        std::os::windows::fs::symlink_file(target, link)
    }
}

#[cfg(not(any(unix, windows)))]
fn symlink(_target: &Path, _original: &Path, _link: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "symlinks are not supported on this platform",
    ))
}
