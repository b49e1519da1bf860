//! The emit stage: owns an output directory and makes it equal to a tree.
//! Input: a finished `Tree` (relative `/` path -> content) and the output path.
//! Output: `check` lists the drift without writing; `write` changes the files
//! that differ, through a journal, and reports what changed.
//! Invariant: dbgen overwrites and deletes only files its `.dbgen-manifest`
//! lists; every other entry, and the output directory itself, keeps its bytes,
//! inode, mode and owner; nothing is written when a foreign file is in the way
//! or the directory is not dbgen's; one render at a time holds the directory.

mod disk;
mod drift;
mod legacy;
mod lock;
mod owned;
mod path;
mod plan;
mod swap;

#[cfg(all(test, unix))]
mod proptests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use self::disk::io_error;
use self::plan::Plan;

/// Name of the ownership manifest at the root of every output directory.
pub const MANIFEST: &str = ".dbgen-manifest";

/// Root entries named `.dbgen-…` other than the manifest are dbgen's
/// bookkeeping (journals of a write in progress): never part of a tree,
/// never foreign.
fn is_bookkeeping(name: &str) -> bool {
    name.starts_with(".dbgen-") && name != MANIFEST
}

/// How `check_with` and `write_with` treat the output directory.
#[derive(Clone, Copy, Default)]
pub struct Options<'a> {
    /// When the directory has no manifest, take over the files that carry
    /// dbgen's generated-file header instead of refusing the directory.
    pub adopt: bool,
    /// Called once, before waiting, when another dbgen holds the directory.
    pub on_wait: Option<&'a dyn Fn(&Path)>,
}

impl std::fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("adopt", &self.adopt)
            .field("on_wait", &self.on_wait.is_some())
            .finish()
    }
}

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
        self.check_with(out, Options::default())
    }

    /// `check`, waiting (shared) for a render in progress to finish first.
    pub fn check_with(&self, out: &Path, options: Options<'_>) -> Result<Vec<Drift>, EmitError> {
        let exists = require_dir(out)?;
        let _lock = if exists {
            Some(lock::acquire(out, false, options.on_wait)?)
        } else {
            None
        };
        // Half the files of that render may be in place; only a write finishes it.
        if swap::has_pending_commit(out) {
            return Err(EmitError::Interrupted {
                out: out.to_path_buf(),
            });
        }
        Ok(Plan::new(out, out, &self.files, options.adopt)?.into_drift(&self.files))
    }

    /// Makes `out` equal to this tree, keeping files dbgen did not write.
    pub fn write(&self, out: &Path) -> Result<WriteReport, EmitError> {
        self.write_with(out, Options::default())
    }

    /// `write`, holding the directory's lock from planning to the last rename.
    pub fn write_with(&self, out: &Path, options: Options<'_>) -> Result<WriteReport, EmitError> {
        let mut leftovers = legacy::recover(out)?;
        if !require_dir(out)? {
            fs::create_dir_all(out).map_err(io_error("create directory", out))?;
        }
        let _lock = lock::acquire(out, true, options.on_wait)?;
        leftovers.extend(swap::recover(out)?);
        let plan = Plan::new(out, out, &self.files, options.adopt)?;
        if plan.changes_anything() {
            leftovers.extend(swap::apply(out, &self.files, &plan)?);
        }
        let mut report = plan.report();
        report.leftovers = leftovers;
        Ok(report)
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
        if rel.split('/').next().is_some_and(is_bookkeeping) || rel.starts_with('#') {
            return Err(invalid(
                rel,
                "names starting with `.dbgen-` or `#` are reserved for dbgen's bookkeeping"
                    .to_owned(),
            ));
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

/// Accepts a missing path (`false`: it is created) or a directory, also
/// through a symlink (`true`); the symlink itself is kept.
fn require_dir(root: &Path) -> Result<bool, EmitError> {
    match fs::metadata(root) {
        Ok(meta) if !meta.is_dir() => Err(EmitError::NotADirectory {
            path: root.to_path_buf(),
        }),
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
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
    /// dbgen's own leftovers of earlier writes that could not be removed; the
    /// write succeeded, but they should be deleted by hand.
    pub leftovers: Vec<String>,
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
    /// The output directory holds entries and no manifest, and adoption was not asked for.
    #[error("{}", unowned_message(out, *entries, *generated))]
    Unowned {
        out: PathBuf,
        /// Entries found in it (files, symlinks, empty directories).
        entries: usize,
        /// How many of them are files carrying dbgen's generated-file header.
        generated: usize,
    },
    /// A render was interrupted after its commit; `check` cannot judge a half-moved tree.
    #[error("an interrupted render of {} has not finished; run `dbgen render` to finish it, then check again", out.display())]
    Interrupted { out: PathBuf },
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

fn unowned_message(out: &Path, entries: usize, generated: usize) -> String {
    let mut text = format!(
        "cannot write {}: it is not empty ({entries} entries) and has no {MANIFEST}, so dbgen does not own it; \
         dbgen writes only into an empty directory or one it rendered before, and changes nothing else; nothing was written",
        out.display()
    );
    if generated > 0 {
        let _ = write!(
            text,
            "\n{generated} of its files carry dbgen's `Code generated by dbgen` header: if dbgen wrote them and \
             {MANIFEST} was lost, run again with `--adopt` to take them over (files without the header are kept)"
        );
    } else {
        text.push_str("\nchoose an empty or new directory with `-o`");
    }
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
