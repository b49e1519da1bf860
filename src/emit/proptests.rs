//! Properties of the output directory under random trees, crashes and races.
//! Input: random owned trees and foreign files drawn from overlapping paths,
//! a random crash point inside a write, and two writers racing on one directory.
//! Output: proptest failures with the minimal tree that breaks a property.
//! Invariant: after every completed write (or recovery) the directory holds
//! exactly one whole tree plus every foreign file, byte for byte and mode for
//! mode; the directories live on a tmpfs when there is one, since the
//! properties are about names and renames, not the disk.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::swap::crash;
use super::*;

/// Directories owned files and foreign files share, so they mix in every directory.
const DIRS: [&str; 4] = ["", "a/", "b/", "a/c/"];

fn scratch() -> (tempfile::TempDir, PathBuf) {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let out = dir.path().join("out");
    (dir, out)
}

/// A tree of 0..8 files named `<dir>g<n>.yaml`, contents from a few variants.
fn owned_tree() -> impl Strategy<Value = Tree> {
    prop::collection::btree_map((0..4usize, 0..3u8), 0..3u8, 0..8).prop_map(|files| {
        let files = files
            .into_iter()
            .map(|((dir, n), v)| (format!("{}g{n}.yaml", DIRS[dir]), format!("v{v}\n")))
            .collect();
        Tree::new(files).unwrap()
    })
}

/// 0..5 foreign files `<dir>mine<n>.txt` with a mode each (never a name a tree uses).
fn foreign_files() -> impl Strategy<Value = BTreeMap<String, (String, u32)>> {
    prop::collection::btree_map(
        (0..4usize, 0..2u8),
        (0..3u8, prop::sample::select(vec![0o600, 0o644, 0o444])),
        0..5,
    )
    .prop_map(|files| {
        files
            .into_iter()
            .map(|((dir, n), (v, mode))| {
                (
                    format!("{}mine{n}.txt", DIRS[dir]),
                    (format!("mine {v}\n"), mode),
                )
            })
            .collect()
    })
}

fn add_foreign(out: &Path, foreign: &BTreeMap<String, (String, u32)>) {
    for (rel, (content, mode)) in foreign {
        let path = out.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(*mode)).unwrap();
    }
}

/// Every regular file below `out` (dbgen's journals excluded) with its bytes and mode.
fn files_on_disk(out: &Path) -> BTreeMap<String, (String, u32)> {
    let mut files = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for entry in fs::read_dir(out.join(&rel)).unwrap() {
            let entry = entry.unwrap();
            if rel.as_os_str().is_empty() && entry.file_name().to_str().is_some_and(is_bookkeeping)
            {
                continue;
            }
            let child = rel.join(entry.file_name());
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(child);
            } else {
                let text = fs::read_to_string(out.join(&child)).unwrap();
                let key = child.to_str().unwrap().to_owned();
                files.insert(key, (text, meta.permissions().mode() & 0o7777));
            }
        }
    }
    files
}

/// Whether `out` holds exactly `tree` plus `foreign`, with nothing else but
/// directories that some file needs (dbgen's journals aside).
fn holds(out: &Path, tree: &Tree, foreign: &BTreeMap<String, (String, u32)>) -> Result<(), String> {
    let on_disk = files_on_disk(out);
    let mut expected: BTreeMap<String, String> = tree.files().clone();
    expected.extend(foreign.iter().map(|(p, (c, _))| (p.clone(), c.clone())));
    let got: BTreeMap<String, String> = on_disk
        .iter()
        .map(|(p, (c, _))| (p.clone(), c.clone()))
        .collect();
    if got != expected {
        return Err(format!(
            "files differ:\n  got      {got:?}\n  expected {expected:?}"
        ));
    }
    for (rel, (_, mode)) in foreign {
        if on_disk[rel].1 != *mode {
            return Err(format!(
                "{rel}: mode {:o} became {:o}",
                mode, on_disk[rel].1
            ));
        }
    }
    let mut dirs = Vec::new();
    let mut stack = vec![out.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let journal = dir == out
                && path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(is_bookkeeping);
            if path.is_dir() && !journal {
                dirs.push(path.strip_prefix(out).unwrap().to_str().unwrap().to_owned());
                stack.push(path);
            }
        }
    }
    for dir in dirs {
        let prefix = format!("{dir}/");
        if !expected.keys().any(|p| p.starts_with(&prefix)) {
            return Err(format!("directory `{dir}` holds nothing it needs to"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// A write over an owned directory with foreign files ends with exactly the
    /// new tree; foreign files keep bytes and mode; emptied directories go.
    #[test]
    fn a_write_ends_with_the_new_tree_and_every_foreign_file(
        old in owned_tree(),
        new in owned_tree(),
        foreign in foreign_files(),
    ) {
        let (_dir, out) = scratch();
        old.write(&out).unwrap();
        add_foreign(&out, &foreign);

        let report = new.write(&out).unwrap();

        prop_assert_eq!(report.leftovers, Vec::<String>::new());
        holds(&out, &new, &foreign).map_err(TestCaseError::fail)?;
        prop_assert_eq!(new.check(&out).unwrap(), vec![]);
    }

    /// A write stopped at any step (as by `kill -9` or a power loss) leaves
    /// the old tree when it stopped before the commit; recovery then yields
    /// exactly the old or the new tree, and the next write whatever it writes.
    #[test]
    fn an_interrupted_write_recovers_to_exactly_one_whole_tree(
        old in owned_tree(),
        new in owned_tree(),
        foreign in foreign_files(),
        crash_at in 0..40usize,
        next_is_old in any::<bool>(),
    ) {
        let (_dir, out) = scratch();
        old.write(&out).unwrap();
        add_foreign(&out, &foreign);

        crash::arm(Some(crash_at));
        let interrupted = new.write(&out);
        crash::arm(None);

        match interrupted {
            Ok(_) => holds(&out, &new, &foreign).map_err(TestCaseError::fail)?,
            Err(e) => {
                prop_assert!(crash::is_simulated(&e), "{e}");
                let committed = out.join(".dbgen-commit").exists();
                if committed {
                    let checked = new.check(&out);
                    let interrupted = matches!(checked, Err(EmitError::Interrupted { .. }));
                    prop_assert!(interrupted, "check of a half-moved tree: {:?}", checked);
                } else {
                    // What a reader (kustomize, git) sees before any recovery.
                    holds(&out, &old, &foreign).map_err(TestCaseError::fail)?;
                }
                let leftovers = swap::recover(&out).unwrap();
                prop_assert_eq!(leftovers, Vec::<String>::new());
                prop_assert!(fs::read_dir(&out).unwrap().all(|e| {
                    !e.unwrap().file_name().to_str().is_some_and(is_bookkeeping)
                }), "recovery leaves no journal");
                if committed {
                    holds(&out, &new, &foreign).map_err(TestCaseError::fail)?;
                } else {
                    holds(&out, &old, &foreign).map_err(TestCaseError::fail)?;
                }
            }
        }
        let next = if next_is_old { &old } else { &new };
        next.write(&out).unwrap();
        holds(&out, next, &foreign).map_err(TestCaseError::fail)?;
    }
}

/// Two writers racing on one directory, 100 rounds: each round ends with
/// exactly one of the two trees, whole, and every foreign file intact.
#[test]
fn racing_writes_serialise_and_leave_one_whole_tree() {
    let (_dir, out) = scratch();
    let tree = |version: &str, extra: &str| {
        let mut files = BTreeMap::new();
        for dir in ["dev", "prod", "prod/db"] {
            for n in 0..5 {
                files.insert(format!("{dir}/f{n}.yaml"), format!("{version}\n"));
            }
        }
        files.insert(format!("{extra}/only.yaml"), format!("{version}\n"));
        Tree::new(files).unwrap()
    };
    let (first, second) = (tree("one", "dev"), tree("two", "staging"));
    first.write(&out).unwrap();
    let foreign: BTreeMap<String, (String, u32)> = [
        ("README.md", 0o644),
        ("prod/notes.txt", 0o600),
        ("prod/db/keep.txt", 0o444),
    ]
    .into_iter()
    .map(|(p, m)| (p.to_owned(), (format!("{p}\n"), m)))
    .collect();
    add_foreign(&out, &foreign);

    for round in 0..100 {
        let (a, b) = if round % 2 == 0 {
            (&first, &second)
        } else {
            (&second, &first)
        };
        std::thread::scope(|scope| {
            let one = scope.spawn(|| a.write(&out));
            let two = scope.spawn(|| b.write(&out));
            one.join().unwrap().unwrap();
            two.join().unwrap().unwrap();
        });
        let either = holds(&out, &first, &foreign).or_else(|e| {
            holds(&out, &second, &foreign)
                .map_err(|f| format!("round {round}: neither tree:\n{e}\n{f}"))
        });
        either.unwrap();
    }
}
