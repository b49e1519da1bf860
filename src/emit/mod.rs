//! The emit stage: owns an output directory and makes it equal to a tree.
//! Input: a finished `Tree` (relative `/` path -> content) and the output path.
//! Output: `check` lists the drift without writing; `write` replaces the
//! directory all at once and reports what changed.
//! Invariant: dbgen overwrites and deletes only files its `.dbgen-manifest`
//! lists; every other file survives, and nothing is written when one is in the way.

mod disk;
mod drift;
mod owned;
mod path;
mod plan;
mod swap;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use self::disk::io_error;
use self::plan::Plan;
use self::swap::Layout;

/// Name of the ownership manifest at the root of every output directory.
pub const MANIFEST: &str = ".dbgen-manifest";

/// The complete content of one output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    /// Always holds the `MANIFEST` entry describing the other files.
    files: BTreeMap<String, String>,
}

impl Default for Tree {
    /// An empty tree: writing it deletes every file dbgen wrote before.
    fn default() -> Self {
        Tree {
            files: BTreeMap::from([(MANIFEST.to_owned(), owned::render([]))]),
        }
    }
}

impl Tree {
    /// Builds a tree; the manifest entry is added by emit, callers never pass it.
    pub fn new(mut files: BTreeMap<String, String>) -> Result<Tree, EmitError> {
        validate(&files)?;
        let manifest = owned::render(files.keys().map(String::as_str));
        files.insert(MANIFEST.to_owned(), manifest);
        Ok(Tree { files })
    }

    /// Every file of the tree, including the manifest entry.
    pub fn files(&self) -> &BTreeMap<String, String> {
        &self.files
    }

    /// Every difference between `out` and this tree, sorted by path; writes nothing.
    pub fn check(&self, out: &Path) -> Result<Vec<Drift>, EmitError> {
        let layout = Layout::resolve(out)?;
        let root = layout.current();
        require_dir(root)?;
        Ok(Plan::new(root, out, &self.files)?.into_drift(&self.files))
    }

    /// Makes `out` equal to this tree, keeping files dbgen did not write.
    pub fn write(&self, out: &Path) -> Result<WriteReport, EmitError> {
        let layout = Layout::resolve(out)?;
        layout.recover()?;
        require_dir(&layout.out)?;
        let plan = Plan::new(&layout.out, out, &self.files)?;
        if plan.changes_anything() {
            layout.replace(&self.files, &plan)?;
        }
        Ok(plan.report())
    }
}

/// Rejects paths that could land outside the output directory or clash with
/// one another on disk; the callers build them, so a failure is a dbgen bug.
fn validate(files: &BTreeMap<String, String>) -> Result<(), EmitError> {
    let invalid = |path: &str, reason: String| EmitError::InvalidPath {
        path: path.to_owned(),
        reason,
    };
    // Lower-cased path -> path: macOS and Windows checkouts fold case.
    let mut folded: BTreeMap<String, &str> = BTreeMap::from([(MANIFEST.to_owned(), MANIFEST)]);
    for rel in files.keys() {
        if let Some(reason) = path::invalid_reason(rel) {
            return Err(invalid(rel, reason.to_owned()));
        }
        if let Some(parent) = path::ancestors(rel).find(|a| files.contains_key(*a)) {
            return Err(invalid(
                rel,
                format!("`{parent}` is a file of the tree, so it cannot be a directory"),
            ));
        }
        if let Some(other) = folded.insert(rel.to_lowercase(), rel) {
            let reason = if other == MANIFEST {
                "the name is reserved for dbgen's ownership manifest".to_owned()
            } else {
                format!("it differs from `{other}` only in letter case")
            };
            return Err(invalid(rel, reason));
        }
    }
    Ok(())
}

/// Accepts a missing path (it is created) or a directory.
fn require_dir(root: &Path) -> Result<(), EmitError> {
    match fs::symlink_metadata(root) {
        Ok(meta) if !meta.is_dir() => Err(EmitError::NotADirectory {
            path: root.to_path_buf(),
        }),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("inspect", root)(e)),
    }
}

/// How one file differs between the output directory and the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The tree has the file; the directory does not (or not as dbgen's).
    Create,
    /// Both have it with different content.
    Update,
    /// dbgen wrote the file before and no longer produces it.
    Delete,
}

/// One file that `write` would create, change or delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// Relative `/`-separated path inside the output directory.
    pub path: String,
    pub change: Change,
    /// Content on disk with CRLF normalised to LF; `None` for `Create`.
    pub old: Option<String>,
    /// Content the tree has; `None` for `Delete`.
    pub new: Option<String>,
}

/// What a `write` did; paths are sorted and include the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub deleted: Vec<String>,
    /// Files whose content was already right (they are not rewritten).
    pub unchanged: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// A filesystem operation failed; `action` is a verb such as `read` or `rename`.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Files dbgen did not write are where the tree needs to write; nothing was written.
    #[error("{}", foreign_message(out, paths))]
    Foreign { out: PathBuf, paths: Vec<String> },
    /// The on-disk manifest cannot be trusted; `line` is 1-based, 0 for the whole file.
    #[error("{}", bad_manifest_message(path, *line, reason))]
    BadManifest {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// The tree holds a path emit refuses; the caller (dbgen itself) is wrong.
    #[error("invalid output path `{path}`: {reason} (this is a bug in dbgen, please report it)")]
    InvalidPath { path: String, reason: String },
    /// The output path exists and is not a directory.
    #[error("{} is not a directory; dbgen needs a directory (or a path that does not exist yet) to write into", path.display())]
    NotADirectory { path: PathBuf },
}

fn foreign_message(out: &Path, paths: &[String]) -> String {
    let mut text = format!(
        "cannot write {}: dbgen does not overwrite or delete files it did not write, and these are in the way:",
        out.display()
    );
    for path in paths {
        let _ = write!(text, "\n  {path}");
    }
    text.push_str("\nmove or delete them, then run dbgen again; nothing was written");
    text
}

fn bad_manifest_message(path: &Path, line: usize, reason: &str) -> String {
    let place = if line == 0 {
        String::new()
    } else {
        format!(", line {line}")
    };
    format!(
        "invalid dbgen manifest {}{place}: {reason}; it records the files dbgen may replace or delete, \
         so nothing was written: restore it from version control, or delete it together with the files dbgen generated",
        path.display()
    )
}
