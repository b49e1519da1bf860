//! Read-only view of an existing output directory.
//! Input: the output root (which may not exist yet).
//! Output: every leaf below it (non-directory entry or empty directory) with
//! its kind, keyed by relative path, and CRLF-normalised file contents.
//! Invariant: symlinks are listed as leaves and never followed, so nothing
//! read through this module lies outside the root.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::EmitError;

/// What sits at a leaf of the output directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Leaf {
    File,
    Symlink,
    /// A directory with nothing in it; kept as a leaf so it can be preserved.
    EmptyDir,
    /// A FIFO, socket or device node.
    Special,
}

/// Every leaf below `root`, or nothing when `root` does not exist.
pub(super) fn scan(root: &Path) -> Result<BTreeMap<PathBuf, Leaf>, EmitError> {
    let mut leaves = BTreeMap::new();
    if fs::symlink_metadata(root).is_ok() {
        scan_dir(root, PathBuf::new(), &mut leaves)?;
    }
    Ok(leaves)
}

fn scan_dir(
    root: &Path,
    rel: PathBuf,
    leaves: &mut BTreeMap<PathBuf, Leaf>,
) -> Result<(), EmitError> {
    let dir = root.join(&rel);
    let mut empty = true;
    for entry in fs::read_dir(&dir).map_err(io_error("list", &dir))? {
        let entry = entry.map_err(io_error("list", &dir))?;
        empty = false;
        let child = rel.join(entry.file_name());
        // `DirEntry::file_type` does not follow symlinks.
        let kind = entry
            .file_type()
            .map_err(io_error("inspect", &entry.path()))?;
        if kind.is_dir() {
            scan_dir(root, child, leaves)?;
        } else {
            let leaf = if kind.is_file() {
                Leaf::File
            } else if kind.is_symlink() {
                Leaf::Symlink
            } else {
                Leaf::Special
            };
            leaves.insert(child, leaf);
        }
    }
    // The root itself is not a leaf: an empty output directory holds nothing.
    if empty && !rel.as_os_str().is_empty() {
        leaves.insert(rel, Leaf::EmptyDir);
    }
    Ok(())
}

/// Contents of a regular file the scan found, as text a generated file is
/// compared with: CRLF becomes LF so a Windows checkout does not read as drift,
/// and bytes that are not UTF-8 become U+FFFD (the file then differs anyway).
pub(super) fn read_text(path: &Path) -> Result<String, EmitError> {
    let bytes = fs::read(path).map_err(io_error("read", path))?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(if text.contains("\r\n") {
        text.replace("\r\n", "\n")
    } else {
        text.into_owned()
    })
}

/// Maps an `io::Error` into `EmitError::Io` for `action` on `path`.
pub(super) fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> EmitError {
    let path = path.to_path_buf();
    move |source| EmitError::Io {
        action,
        path,
        source,
    }
}
