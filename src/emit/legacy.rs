//! Recovery from the layout of dbgen versions that swapped the whole output
//! directory: `<parent>/.<name>.dbgen-old` held the old tree while
//! `<parent>/.<name>.dbgen-staging` was renamed into place.
//! Input: the output path, before anything is written.
//! Output: `out` put back when such a version was interrupted with it moved
//! aside; the names of its leftovers that could not be removed.
//! Invariant: touches only the two sibling names those versions reserved, and
//! a failure to remove them is reported, never an error.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use super::EmitError;
use super::disk::io_error;

pub(super) fn recover(out: &Path) -> Result<Vec<String>, EmitError> {
    let Some((old, staging)) = siblings(out) else {
        return Ok(Vec::new());
    };
    let is_dir = |p: &Path| fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
    if fs::symlink_metadata(out).is_err() && is_dir(&old) {
        fs::rename(&old, out).map_err(io_error("rename", &old))?;
    }
    let mut leftovers = Vec::new();
    for path in [staging, old] {
        if is_dir(&path) && fs::remove_dir_all(&path).is_err() {
            leftovers.push(path.display().to_string());
        }
    }
    Ok(leftovers)
}

/// `.<name>.dbgen-old` and `.<name>.dbgen-staging` beside `out`, when `out` has a name.
fn siblings(out: &Path) -> Option<(PathBuf, PathBuf)> {
    let named;
    let out = if out.file_name().is_some() {
        out
    } else {
        named = fs::canonicalize(out).ok()?;
        &named
    };
    let (parent, name) = (out.parent()?, out.file_name()?);
    let sibling = |suffix: &str| {
        let mut file = OsString::from(".");
        file.push(name);
        file.push(suffix);
        parent.join(file)
    };
    Some((sibling(".dbgen-old"), sibling(".dbgen-staging")))
}
