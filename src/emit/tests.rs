//! Behaviour of `Tree::check` and `Tree::write` on real temporary directories.
//! Input: small trees and hand-made disk states (edits, foreign files, broken
//! manifests, interrupted swaps).
//! Output: assertions on drift, reports, errors and the bytes left on disk.
//! Invariant: every test owns its own `tempfile` directory.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::owned::{HEADER, VERSION};
use super::*;

fn tree(files: &[(&str, &str)]) -> Tree {
    Tree::new(
        files
            .iter()
            .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
            .collect(),
    )
    .unwrap()
}

fn base() -> Tree {
    tree(&[
        ("kustomization.yaml", "resources:\n- db/cluster.yaml\n"),
        ("db/cluster.yaml", "kind: Cluster\nname: pg\n"),
        ("db/secret.yaml", "kind: Secret\n"),
    ])
}

fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    (dir, out)
}

/// Every entry below `root` (the root included) with its kind and bytes or
/// link target, to compare whole directories byte for byte.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut entries = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = fs::symlink_metadata(&path).unwrap();
        let rel = path.strip_prefix(root).unwrap().to_path_buf();
        let value = if meta.file_type().is_symlink() {
            format!("symlink -> {}", fs::read_link(&path).unwrap().display())
        } else if meta.is_dir() {
            stack.extend(fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            "dir".to_owned()
        } else {
            format!("file {:?}", fs::read(&path).unwrap())
        };
        entries.insert(rel, value);
    }
    entries
}

fn mtime(path: &Path) -> SystemTime {
    fs::symlink_metadata(path).unwrap().modified().unwrap()
}

#[cfg(unix)]
fn inode(path: &Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&fs::symlink_metadata(path).unwrap())
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    std::os::unix::fs::MetadataExt::mode(&fs::symlink_metadata(path).unwrap())
}

fn names(paths: &[&str]) -> Vec<String> {
    paths.iter().map(|p| (*p).to_owned()).collect()
}

fn write_manifest(out: &Path, paths: &[&str]) {
    let mut text = format!("{HEADER}\n");
    for path in paths {
        text.push_str(path);
        text.push('\n');
    }
    fs::write(out.join(MANIFEST), text).unwrap();
}

#[test]
fn first_write_creates_files_and_manifest() {
    let (_dir, out) = scratch();
    let report = base().write(&out).unwrap();
    assert_eq!(
        report,
        WriteReport {
            created: names(&[
                MANIFEST,
                "db/cluster.yaml",
                "db/secret.yaml",
                "kustomization.yaml"
            ]),
            ..WriteReport::default()
        }
    );
    assert_eq!(
        fs::read_to_string(out.join("db/cluster.yaml")).unwrap(),
        "kind: Cluster\nname: pg\n"
    );
    assert_eq!(
        fs::read_to_string(out.join(MANIFEST)).unwrap(),
        format!(
            "{HEADER}\n# dbgen-version: {VERSION}\ndb/cluster.yaml\ndb/secret.yaml\nkustomization.yaml\n"
        )
    );
    let mut entries: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        [MANIFEST, "db", "kustomization.yaml"],
        "no journal left"
    );
    assert_eq!(
        fs::read_dir(out.parent().unwrap()).unwrap().count(),
        1,
        "nothing beside"
    );
}

#[test]
fn write_creates_missing_parent_directories() {
    let (_dir, out) = scratch();
    let nested = out.join("a/b/prod");
    base().write(&nested).unwrap();
    assert!(nested.join("kustomization.yaml").is_file());
}

#[test]
fn tree_files_include_the_manifest() {
    let files = base().files().clone();
    assert_eq!(files.len(), 4);
    assert!(files[MANIFEST].starts_with(HEADER));
    assert!(Tree::default().files().contains_key(MANIFEST));
}

#[test]
fn second_write_of_the_same_tree_touches_nothing() {
    let (_dir, out) = scratch();
    base().write(&out).unwrap();
    let file = out.join("db/cluster.yaml");
    let before = (
        mtime(&file),
        mtime(&out),
        mtime(&out.join(MANIFEST)),
        snapshot(&out),
    );
    #[cfg(unix)]
    let inodes = (inode(&file), inode(&out));
    std::thread::sleep(std::time::Duration::from_millis(20));

    let report = base().write(&out).unwrap();

    assert_eq!(
        report,
        WriteReport {
            unchanged: 4,
            ..WriteReport::default()
        }
    );
    assert_eq!(
        (
            mtime(&file),
            mtime(&out),
            mtime(&out.join(MANIFEST)),
            snapshot(&out)
        ),
        before
    );
    #[cfg(unix)]
    assert_eq!((inode(&file), inode(&out)), inodes);
}

#[test]
fn check_after_write_is_empty() {
    let (_dir, out) = scratch();
    base().write(&out).unwrap();
    assert_eq!(base().check(&out).unwrap(), vec![]);
}

#[test]
fn check_of_a_missing_directory_creates_everything_and_writes_nothing() {
    let (dir, out) = scratch();
    let drift = base().check(&out).unwrap();
    assert_eq!(drift.len(), 4);
    assert!(
        drift
            .iter()
            .all(|d| d.change == Change::Create && d.old.is_none() && d.new.is_some())
    );
    assert_eq!(drift[0].path, MANIFEST, "sorted by path");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn check_reports_update_after_an_edit_and_write_restores_it() {
    let (_dir, out) = scratch();
    base().write(&out).unwrap();
    fs::write(out.join("db/cluster.yaml"), "kind: Cluster\nname: edited\n").unwrap();

    let drift = base().check(&out).unwrap();
    assert_eq!(
        drift,
        vec![Drift {
            path: "db/cluster.yaml".to_owned(),
            change: Change::Update,
            old: Some("kind: Cluster\nname: edited\n".to_owned()),
            new: Some("kind: Cluster\nname: pg\n".to_owned()),
        }]
    );

    let report = base().write(&out).unwrap();
    assert_eq!(report.updated, names(&["db/cluster.yaml"]));
    assert_eq!(report.unchanged, 3);
    assert_eq!(
        fs::read_to_string(out.join("db/cluster.yaml")).unwrap(),
        "kind: Cluster\nname: pg\n"
    );
}

#[cfg(unix)]
#[test]
fn a_write_that_changes_one_file_keeps_the_others_in_place() {
    let (_dir, out) = scratch();
    base().write(&out).unwrap();
    let kept = out.join("kustomization.yaml");
    let before = (inode(&kept), mtime(&kept));
    fs::write(out.join("db/secret.yaml"), "edited\n").unwrap();

    base().write(&out).unwrap();

    assert_eq!((inode(&kept), mtime(&kept)), before);
    assert_eq!(
        fs::read_to_string(out.join("db/secret.yaml")).unwrap(),
        "kind: Secret\n"
    );
}

#[test]
fn check_reports_create_after_a_generated_file_is_deleted() {
    let (_dir, out) = scratch();
    base().write(&out).unwrap();
    fs::remove_file(out.join("db/secret.yaml")).unwrap();

    let drift = base().check(&out).unwrap();
    assert_eq!(drift.len(), 1);
    assert_eq!(
        (drift[0].path.as_str(), drift[0].change),
        ("db/secret.yaml", Change::Create)
    );
    assert_eq!(drift[0].old, None);

    assert_eq!(
        base().write(&out).unwrap().created,
        names(&["db/secret.yaml"])
    );
    assert_eq!(base().check(&out).unwrap(), vec![]);
}

#[test]
fn a_dropped_file_is_delete_drift_and_write_removes_it_and_its_empty_directory() {
    let (_dir, out) = scratch();
    let full = tree(&[
        ("keep.yaml", "k\n"),
        ("gone/only.yaml", "g\n"),
        ("db/a.yaml", "a\n"),
        ("db/b.yaml", "b\n"),
    ]);
    full.write(&out).unwrap();
    let smaller = tree(&[("keep.yaml", "k\n"), ("db/a.yaml", "a\n")]);

    let drift = smaller.check(&out).unwrap();
    let summary: Vec<_> = drift.iter().map(|d| (d.path.as_str(), d.change)).collect();
    assert_eq!(
        summary,
        [
            (MANIFEST, Change::Update),
            ("db/b.yaml", Change::Delete),
            ("gone/only.yaml", Change::Delete)
        ]
    );
    assert_eq!(drift[1].old.as_deref(), Some("b\n"));
    assert_eq!(drift[1].new, None);

    let report = smaller.write(&out).unwrap();
    assert_eq!(report.deleted, names(&["db/b.yaml", "gone/only.yaml"]));
    assert_eq!(report.updated, names(&[MANIFEST]));
    assert!(!out.join("gone").exists(), "emptied directory must go");
    assert!(!out.join("db/b.yaml").exists());
    assert!(out.join("db/a.yaml").is_file());
    assert_eq!(smaller.check(&out).unwrap(), vec![]);
}

#[test]
fn foreign_files_in_the_way_are_refused_and_the_directory_is_unchanged() {
    let (_dir, out) = scratch();
    base().write(&out).unwrap();
    // One at a path the tree wants, one where the tree needs a directory.
    let wider = tree(&[
        ("kustomization.yaml", "x\n"),
        ("notes.md", "n\n"),
        ("extra/a.yaml", "a\n"),
    ]);
    fs::write(out.join("notes.md"), "mine\n").unwrap();
    fs::write(out.join("extra"), "also mine\n").unwrap();
    let before = snapshot(&out);

    let err = wider.write(&out).unwrap_err();
    match &err {
        EmitError::Foreign {
            out: reported,
            paths,
        } => {
            assert_eq!(reported, &out);
            assert_eq!(paths, &names(&["extra", "notes.md"]));
        }
        other => panic!("expected Foreign, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("  extra\n  notes.md\n"), "{message}");
    assert!(message.contains("did not write"), "{message}");
    assert_eq!(snapshot(&out), before);
    assert!(matches!(wider.check(&out), Err(EmitError::Foreign { .. })));
}

#[test]
fn a_tree_file_where_a_foreign_directory_is_lists_its_content() {
    let (_dir, out) = scratch();
    tree(&[("kustomization.yaml", "k\n")]).write(&out).unwrap();
    fs::create_dir_all(out.join("db/cluster.yaml")).unwrap();
    fs::write(out.join("db/cluster.yaml/inner"), "x").unwrap();
    match base().write(&out) {
        Err(EmitError::Foreign { paths, .. }) => {
            assert_eq!(paths, names(&["db/cluster.yaml/inner"]));
        }
        other => panic!("expected Foreign, got {other:?}"),
    }
}

#[test]
fn foreign_files_elsewhere_survive_writes() {
    let (_dir, out) = scratch();
    base().write(&out).unwrap();
    fs::write(out.join("README.md"), "hand written\r\n").unwrap();
    fs::write(out.join("db/notes.txt"), "mine").unwrap();
    fs::create_dir(out.join("empty")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("../elsewhere", out.join("link")).unwrap();

    // Dropping every file of `db/` must keep the directory for the foreign note.
    let report = tree(&[("kustomization.yaml", "changed\n")])
        .write(&out)
        .unwrap();

    assert_eq!(
        report.deleted,
        names(&["db/cluster.yaml", "db/secret.yaml"])
    );
    assert_eq!(
        fs::read(out.join("README.md")).unwrap(),
        b"hand written\r\n"
    );
    assert_eq!(fs::read(out.join("db/notes.txt")).unwrap(), b"mine");
    assert!(out.join("empty").is_dir());
    #[cfg(unix)]
    assert_eq!(
        fs::read_link(out.join("link")).unwrap(),
        Path::new("../elsewhere")
    );
    assert_eq!(
        fs::read_to_string(out.join(MANIFEST)).unwrap(),
        format!("{HEADER}\n# dbgen-version: {VERSION}\nkustomization.yaml\n")
    );
}

#[test]
fn a_first_write_fills_an_existing_empty_directory_and_keeps_it() {
    let (_dir, out) = scratch();
    fs::create_dir(&out).unwrap();
    #[cfg(unix)]
    let before = {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&out, fs::Permissions::from_mode(0o700)).unwrap();
        (inode(&out), mode(&out))
    };
    let report = base().write(&out).unwrap();
    assert_eq!(report.created.len(), 4);
    #[cfg(unix)]
    assert_eq!((inode(&out), mode(&out)), before);
}

#[test]
fn a_non_empty_directory_without_manifest_is_refused_and_unchanged() {
    let (_dir, out) = scratch();
    fs::create_dir_all(out.join("private")).unwrap();
    fs::write(out.join(".gitkeep"), "").unwrap();
    fs::write(out.join("notes.md"), "mine\n").unwrap();
    let before = snapshot(&out);
    let mtimes = (mtime(&out), mtime(&out.join("private")));

    for result in [base().write(&out).map(drop), base().check(&out).map(drop)] {
        match result {
            Err(err @ EmitError::Unowned { .. }) => {
                let message = err.to_string();
                assert!(message.contains("does not own it"), "{message}");
                assert!(message.contains("3 entries"), "{message}");
                assert!(!message.contains("--adopt"), "{message}");
            }
            other => panic!("expected Unowned, got {other:?}"),
        }
    }
    assert_eq!(snapshot(&out), before);
    assert_eq!((mtime(&out), mtime(&out.join("private"))), mtimes);
}

#[test]
fn a_lost_manifest_suggests_adopt_and_adopting_takes_over_generated_files() {
    let (_dir, out) = scratch();
    let generated = |body: &str| format!("{}{body}", crate::render::HEADER);
    let old = tree(&[
        ("kustomization.yaml", &generated("resources: []\n")),
        ("db/cluster.yaml", &generated("kind: Cluster\n")),
        ("db/stale.yaml", &generated("kind: Gone\n")),
    ]);
    old.write(&out).unwrap();
    fs::remove_file(out.join(MANIFEST)).unwrap();
    fs::write(out.join("README.md"), "mine\n").unwrap();
    let new = tree(&[
        ("kustomization.yaml", &generated("resources: []\n")),
        ("db/cluster.yaml", &generated("kind: Cluster\nname: pg\n")),
    ]);

    let err = new.write(&out).unwrap_err();
    assert!(
        matches!(
            err,
            EmitError::Unowned {
                entries: 4,
                generated: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("--adopt"), "{err}");

    let adopt = Options {
        adopt: true,
        ..Options::default()
    };
    let drift = new.check_with(&out, adopt).unwrap();
    let summary: Vec<_> = drift.iter().map(|d| (d.path.as_str(), d.change)).collect();
    assert_eq!(
        summary,
        [
            (MANIFEST, Change::Create),
            ("db/cluster.yaml", Change::Update),
            ("db/stale.yaml", Change::Delete)
        ]
    );
    let report = new.write_with(&out, adopt).unwrap();
    assert_eq!(report.deleted, names(&["db/stale.yaml"]));
    assert_eq!(report.unchanged, 1);
    assert_eq!(fs::read(out.join("README.md")).unwrap(), b"mine\n");
    assert_eq!(new.check(&out).unwrap(), vec![]);
}

#[test]
fn adopting_still_refuses_files_without_the_header_in_the_way() {
    let (_dir, out) = scratch();
    fs::create_dir_all(out.join("db")).unwrap();
    fs::write(out.join("kustomization.yaml"), "hand written\n").unwrap();
    let adopt = Options {
        adopt: true,
        ..Options::default()
    };
    assert!(
        matches!(
            base().write_with(&out, adopt),
            Err(EmitError::Unowned { generated: 0, .. })
        ),
        "nothing to adopt"
    );
    let generated = format!("{}kind: Cluster\n", crate::render::HEADER);
    fs::write(out.join("db/cluster.yaml"), &generated).unwrap();
    match base().write_with(&out, adopt) {
        Err(EmitError::Foreign { paths, .. }) => assert_eq!(paths, names(&["kustomization.yaml"])),
        other => panic!("expected Foreign, got {other:?}"),
    }
    assert_eq!(
        fs::read(out.join("kustomization.yaml")).unwrap(),
        b"hand written\n"
    );
}

#[cfg(unix)]
#[test]
fn a_write_keeps_mode_owner_and_inode_of_every_directory_it_did_not_create() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, out) = scratch();
    base().write(&out).unwrap();
    fs::create_dir(out.join("private")).unwrap();
    fs::write(out.join("private/key"), "secret").unwrap();
    for (dir, m) in [
        (&out, 0o1777),
        (&out.join("private"), 0o700),
        (&out.join("db"), 0o750),
    ] {
        fs::set_permissions(dir, fs::Permissions::from_mode(m)).unwrap();
    }
    let dirs = [out.clone(), out.join("private"), out.join("db")];
    let before: Vec<_> = dirs.iter().map(|d| (inode(d), mode(d))).collect();

    let report = tree(&[
        ("kustomization.yaml", "changed\n"),
        ("db/cluster.yaml", "kind: Cluster\nname: other\n"),
        ("db/secret.yaml", "kind: Secret\n"),
        ("new/x.yaml", "x\n"),
    ])
    .write(&out)
    .unwrap();

    assert_eq!(report.created, names(&["new/x.yaml"]));
    let after: Vec<_> = dirs.iter().map(|d| (inode(d), mode(d))).collect();
    assert_eq!(after, before);
    assert_eq!(fs::read(out.join("private/key")).unwrap(), b"secret");
}

#[test]
fn crlf_on_disk_is_not_drift() {
    let (_dir, out) = scratch();
    base().write(&out).unwrap();
    for file in [MANIFEST, "db/cluster.yaml"] {
        let text = fs::read_to_string(out.join(file)).unwrap();
        fs::write(out.join(file), text.replace('\n', "\r\n")).unwrap();
    }
    assert_eq!(base().check(&out).unwrap(), vec![]);
    assert_eq!(
        base().write(&out).unwrap(),
        WriteReport {
            unchanged: 4,
            ..WriteReport::default()
        }
    );
    assert_eq!(
        fs::read(out.join("db/cluster.yaml")).unwrap(),
        b"kind: Cluster\r\nname: pg\r\n"
    );
}

#[test]
fn an_edited_crlf_file_diffs_without_carriage_returns() {
    let (_dir, out) = scratch();
    base().write(&out).unwrap();
    fs::write(out.join("db/secret.yaml"), "kind: Secret\r\nextra: 1\r\n").unwrap();
    let drift = base().check(&out).unwrap();
    assert_eq!(drift[0].old.as_deref(), Some("kind: Secret\nextra: 1\n"));
}

#[test]
fn an_escaping_manifest_entry_is_rejected_and_nothing_is_deleted() {
    for entry in ["../victim.txt", "/etc/passwd", "db/../../victim.txt"] {
        let (dir, out) = scratch();
        base().write(&out).unwrap();
        fs::write(dir.path().join("victim.txt"), "precious").unwrap();
        write_manifest(&out, &["db/cluster.yaml", entry]);
        let before = snapshot(dir.path());

        for result in [base().write(&out).map(drop), base().check(&out).map(drop)] {
            match result {
                Err(EmitError::BadManifest { line, reason, .. }) => {
                    assert_eq!(line, 3, "{entry}");
                    assert!(reason.contains(entry), "{reason}");
                }
                other => panic!("{entry}: expected BadManifest, got {other:?}"),
            }
        }
        assert_eq!(snapshot(dir.path()), before, "{entry}");
    }
}

#[test]
fn a_manifest_without_the_header_is_rejected() {
    let (_dir, out) = scratch();
    base().write(&out).unwrap();
    fs::write(out.join(MANIFEST), "db/cluster.yaml\n").unwrap();
    assert!(matches!(
        base().write(&out),
        Err(EmitError::BadManifest { line: 1, .. })
    ));
}

#[cfg(unix)]
#[test]
fn deleting_never_follows_a_symlinked_directory_out_of_the_tree() {
    let (dir, out) = scratch();
    base().write(&out).unwrap();
    // Someone replaced the generated `db/` by a link to a directory outside.
    let outside = dir.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("cluster.yaml"), "not dbgen's").unwrap();
    fs::remove_dir_all(out.join("db")).unwrap();
    std::os::unix::fs::symlink(&outside, out.join("db")).unwrap();

    let report = tree(&[("kustomization.yaml", "k\n")]).write(&out).unwrap();

    assert_eq!(
        report.deleted,
        Vec::<String>::new(),
        "the owned files are not reachable"
    );
    assert_eq!(
        fs::read(outside.join("cluster.yaml")).unwrap(),
        b"not dbgen's"
    );
    assert_eq!(
        fs::read_link(out.join("db")).unwrap(),
        outside,
        "the foreign link survives"
    );
}

#[cfg(unix)]
#[test]
fn a_generated_file_replaced_by_a_symlink_is_not_written_through() {
    let (dir, out) = scratch();
    base().write(&out).unwrap();
    let outside = dir.path().join("target.txt");
    fs::write(&outside, "not dbgen's").unwrap();
    fs::remove_file(out.join("db/secret.yaml")).unwrap();
    std::os::unix::fs::symlink(&outside, out.join("db/secret.yaml")).unwrap();

    match base().write(&out) {
        Err(EmitError::Foreign { paths, .. }) => assert_eq!(paths, names(&["db/secret.yaml"])),
        other => panic!("expected Foreign, got {other:?}"),
    }
    assert_eq!(fs::read(&outside).unwrap(), b"not dbgen's");
}

#[test]
fn a_swap_interrupted_by_an_older_dbgen_is_recovered() {
    let (dir, out) = scratch();
    base().write(&out).unwrap();
    fs::write(out.join("README.md"), "mine").unwrap();
    // Older versions renamed `out` aside, then the staging copy into place.
    let old = dir.path().join(".out.dbgen-old");
    let staging = dir.path().join(".out.dbgen-staging");
    fs::rename(&out, &old).unwrap();
    fs::create_dir(&staging).unwrap();
    fs::write(staging.join("half.yaml"), "partial").unwrap();

    let report = base().write(&out).unwrap();

    assert_eq!(
        report,
        WriteReport {
            unchanged: 4,
            ..WriteReport::default()
        }
    );
    assert_eq!(fs::read(out.join("README.md")).unwrap(), b"mine");
    assert!(out.join("db/cluster.yaml").is_file());
    assert!(!old.exists() && !staging.exists());
}

#[test]
fn leftovers_of_an_older_dbgen_next_to_an_intact_output_are_removed() {
    let (dir, out) = scratch();
    base().write(&out).unwrap();
    let old = dir.path().join(".out.dbgen-old");
    let staging = dir.path().join(".out.dbgen-staging");
    fs::create_dir(&old).unwrap();
    fs::write(old.join("stale.yaml"), "old").unwrap();
    fs::create_dir(&staging).unwrap();

    base().write(&out).unwrap();

    assert!(!old.exists() && !staging.exists());
    assert!(!out.join("stale.yaml").exists());
}

#[test]
fn an_uncommitted_journal_is_discarded_and_the_old_tree_stays() {
    let (_dir, out) = scratch();
    base().write(&out).unwrap();
    fs::create_dir_all(out.join(".dbgen-staging/files/db")).unwrap();
    fs::write(out.join(".dbgen-staging/files/db/cluster.yaml"), "half\n").unwrap();

    assert_eq!(
        base().check(&out).unwrap(),
        vec![],
        "a journal is not drift"
    );
    let report = base().write(&out).unwrap();

    assert_eq!(report.unchanged, 4);
    assert!(!out.join(".dbgen-staging").exists());
    assert_eq!(
        fs::read_to_string(out.join("db/cluster.yaml")).unwrap(),
        "kind: Cluster\nname: pg\n"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_leftover_that_cannot_be_removed_is_reported_and_later_writes_still_work() {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;
    let (_dir, out) = scratch();
    base().write(&out).unwrap();
    let stuck = out.join(".dbgen-staging/files");
    fs::create_dir_all(&stuck).unwrap();
    fs::write(stuck.join("x.yaml"), "x").unwrap();
    // Read-only stops other users; root needs the immutable attribute.
    fs::set_permissions(&stuck, fs::Permissions::from_mode(0o555)).unwrap();
    // Only root can still write into the read-only directory.
    let root = fs::write(stuck.join("probe"), "").is_ok();
    if root {
        fs::remove_file(stuck.join("probe")).unwrap();
        let status = Command::new("chattr").arg("+i").arg(&stuck).status();
        assert!(status.is_ok_and(|s| s.success()), "chattr +i failed");
    }
    let unstick = || {
        if root {
            let _ = Command::new("chattr").arg("-i").arg(&stuck).status();
        }
        let _ = fs::set_permissions(&stuck, fs::Permissions::from_mode(0o755));
    };

    let first = tree(&[("kustomization.yaml", "v2\n")]).write(&out);
    let second = tree(&[("kustomization.yaml", "v3\n")]).write(&out);
    unstick();

    for report in [first.unwrap(), second.unwrap()] {
        assert_eq!(report.leftovers, names(&[".dbgen-staging"]));
    }
    assert_eq!(fs::read(out.join("kustomization.yaml")).unwrap(), b"v3\n");
    assert!(!out.join("db").exists());
}

#[test]
fn an_output_path_that_is_a_file_is_not_a_directory() {
    let (_dir, out) = scratch();
    fs::write(&out, "x").unwrap();
    assert!(matches!(
        base().write(&out),
        Err(EmitError::NotADirectory { .. })
    ));
    assert!(matches!(
        base().check(&out),
        Err(EmitError::NotADirectory { .. })
    ));
    assert_eq!(fs::read(&out).unwrap(), b"x");
}

#[cfg(unix)]
#[test]
fn an_output_path_that_is_a_symlink_is_written_through_and_kept() {
    let (dir, out) = scratch();
    let real = dir.path().join("real");
    fs::create_dir(&real).unwrap();
    std::os::unix::fs::symlink("real", &out).unwrap();

    base().write(&out).unwrap();

    assert_eq!(fs::read_link(&out).unwrap(), Path::new("real"));
    assert!(real.join("db/cluster.yaml").is_file());
    assert_eq!(base().check(&out).unwrap(), vec![]);
}

#[test]
fn writing_an_empty_tree_deletes_every_generated_file() {
    let (_dir, out) = scratch();
    base().write(&out).unwrap();
    fs::write(out.join("mine.txt"), "m").unwrap();
    let report = Tree::default().write(&out).unwrap();
    assert_eq!(report.deleted.len(), 3);
    assert_eq!(report.updated, names(&[MANIFEST]));
    let left: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
}

#[test]
fn invalid_tree_paths_are_rejected_as_dbgen_bugs() {
    let cases: [&[&str]; 11] = [
        &[".dbgen-staging/x.yaml"],
        &["#notes"],
        &[""],
        &["/abs.yaml"],
        &["../up.yaml"],
        &["a/../b.yaml"],
        &["a\\b.yaml"],
        &["a//b.yaml"],
        &[MANIFEST],
        &["db", "db/x.yaml"],
        &["Prod.yaml", "prod.yaml"],
    ];
    for paths in cases {
        let files = paths
            .iter()
            .map(|p| ((*p).to_owned(), String::new()))
            .collect();
        match Tree::new(files) {
            Err(err @ EmitError::InvalidPath { .. }) => {
                assert!(err.to_string().contains("bug in dbgen"), "{err}");
            }
            other => panic!("{paths:?}: expected InvalidPath, got {other:?}"),
        }
    }
}

#[test]
fn unified_diff_of_an_update() {
    let drift = Drift {
        path: "db/cluster.yaml".to_owned(),
        change: Change::Update,
        old: Some("kind: Cluster\nname: old\n".to_owned()),
        new: Some("kind: Cluster\nname: new\n".to_owned()),
    };
    assert_eq!(
        drift.unified_diff(),
        "--- a/db/cluster.yaml\n+++ b/db/cluster.yaml\n@@ -1,2 +1,2 @@\n kind: Cluster\n-name: old\n+name: new\n"
    );
}

#[test]
fn unified_diff_of_a_creation_and_a_deletion() {
    let create = Drift {
        path: "a.yaml".to_owned(),
        change: Change::Create,
        old: None,
        new: Some("x: 1\ny: 2\n".to_owned()),
    };
    assert_eq!(
        create.unified_diff(),
        "--- /dev/null\n+++ b/a.yaml\n@@ -0,0 +1,2 @@\n+x: 1\n+y: 2\n"
    );
    let delete = Drift {
        path: "a.yaml".to_owned(),
        change: Change::Delete,
        old: Some("x: 1\n".to_owned()),
        new: None,
    };
    assert_eq!(
        delete.unified_diff(),
        "--- a/a.yaml\n+++ /dev/null\n@@ -1 +0,0 @@\n-x: 1\n"
    );
    let empty = Drift {
        path: "e".to_owned(),
        change: Change::Create,
        old: None,
        new: Some(String::new()),
    };
    assert_eq!(empty.unified_diff(), "--- /dev/null\n+++ b/e\n");
}
