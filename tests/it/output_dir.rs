//! The output directory through the `dbgen` binary: racing renders, directories
//! dbgen does not own, `--adopt`, a mount point as output, a spec on stdin, a
//! closed or full stdout, and the message while another render holds the lock.
//! Input: small specs from `golden/` in temporary directories.
//! Output: assertions on exit codes, messages and every byte left on disk.
//! Invariant: each test owns its temporary directories; the tmpfs test mounts
//! in a private mount namespace (`unshare -m`), so nothing outlives it.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Read as _;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SPEC: &str = include_str!("../../golden/yaml-safety/dbgen.toml");

fn dbgen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dbgen"))
}

fn run(dir: &Path, args: &[&str]) -> Output {
    dbgen().args(args).current_dir(dir).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every entry below `root` with its kind, bytes, mode, owner and inode.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut entries = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = fs::symlink_metadata(&path).unwrap();
        let what = if meta.is_dir() {
            stack.extend(fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            "dir".to_owned()
        } else if meta.file_type().is_symlink() {
            format!("-> {}", fs::read_link(&path).unwrap().display())
        } else {
            String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned()
        };
        let id = format!(
            "{:o} {}:{} #{}",
            meta.mode(),
            meta.uid(),
            meta.gid(),
            meta.ino()
        );
        entries.insert(
            path.strip_prefix(root).unwrap().to_path_buf(),
            format!("{id} {what}"),
        );
    }
    entries
}

/// The files below `root` with their bytes, for comparing whole renders.
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = fs::read(&path).unwrap();
                files.insert(path.strip_prefix(root).unwrap().to_path_buf(), bytes);
            }
        }
    }
    files
}

#[test]
fn racing_renders_of_two_specs_end_in_one_whole_render_and_keep_foreign_files() {
    let dir = tempfile::tempdir().unwrap();
    let specs = [
        ("a.toml", SPEC.to_owned()),
        ("b.toml", format!("{SPEC}\n[environments.z]\n")),
    ];
    let mut renders = Vec::new();
    for (name, text) in &specs {
        fs::write(dir.path().join(name), text).unwrap();
        let reference = format!("ref-{name}");
        let output = run(dir.path(), &["render", "-f", name, "-o", &reference]);
        assert!(output.status.success(), "{}", stderr(&output));
        renders.push(files(&dir.path().join(reference)));
    }
    assert_ne!(renders[0], renders[1]);
    let out = dir.path().join("out");
    assert!(
        run(dir.path(), &["render", "-f", "a.toml", "-o", "out"])
            .status
            .success()
    );
    let foreign = [("README.md", "mine\n"), ("y/notes.txt", "notes\n")];
    for (rel, text) in foreign {
        fs::write(out.join(rel), text).unwrap();
    }

    for round in 0..100 {
        let children: Vec<_> = ["a.toml", "b.toml"]
            .iter()
            .map(|spec| {
                dbgen()
                    .args(["render", "-f", spec, "-o", "out"])
                    .current_dir(dir.path())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "round {round}: {}",
                stderr(&output)
            );
        }
        let mut on_disk = files(&out);
        for (rel, text) in foreign {
            assert_eq!(
                on_disk.remove(Path::new(rel)).as_deref(),
                Some(text.as_bytes()),
                "round {round}"
            );
        }
        assert!(
            on_disk == renders[0] || on_disk == renders[1],
            "round {round}: the tree is neither render: {:?}",
            on_disk.keys().collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_render_waits_for_the_holder_of_the_lock_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("dbgen.toml"), SPEC).unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    let holder = File::open(&out).unwrap();
    holder.lock().unwrap();

    let mut child = dbgen()
        .args(["render"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr_pipe.read_to_string(&mut text).unwrap();
        text
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    // It must still be waiting well after it could have finished.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        child.try_wait().unwrap().is_none(),
        "dbgen did not wait for the lock"
    );
    assert!(!out.join(".dbgen-manifest").exists());
    drop(holder);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "dbgen never finished");
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = reader.join().unwrap();
    assert!(status.success(), "{text}");
    assert!(text.contains("waiting for another dbgen"), "{text}");
    assert!(out.join(".dbgen-manifest").is_file());
}

#[test]
fn a_non_empty_directory_dbgen_does_not_own_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("dbgen.toml"), SPEC).unwrap();
    fs::create_dir(dir.path().join("private")).unwrap();
    fs::write(dir.path().join("private/key"), "secret").unwrap();
    fs::set_permissions(
        dir.path().join("private"),
        fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o1777)).unwrap();
    let before = snapshot(dir.path());

    for args in [
        &["render", "-o", "."][..],
        &["render", "--adopt", "-o", "."],
        &["render", "--check", "-o", "."],
    ] {
        let output = run(dir.path(), args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        let message = stderr(&output);
        assert!(message.contains("does not own it"), "{message}");
        assert!(!message.contains("panicked"), "{message}");
    }
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn adopt_takes_over_a_tree_whose_manifest_was_lost() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("dbgen.toml"), SPEC).unwrap();
    assert!(run(dir.path(), &["render"]).status.success());
    let out = dir.path().join("out");
    let rendered = files(&out);
    fs::remove_file(out.join(".dbgen-manifest")).unwrap();
    fs::write(out.join("NOTES.md"), "mine\n").unwrap();

    let refused = run(dir.path(), &["render"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("--adopt"), "{}", stderr(&refused));

    let adopted = run(dir.path(), &["render", "--adopt"]);
    assert!(adopted.status.success(), "{}", stderr(&adopted));
    let mut now = files(&out);
    assert_eq!(
        now.remove(Path::new("NOTES.md")).as_deref(),
        Some(&b"mine\n"[..])
    );
    assert_eq!(now, rendered);
    let manifest = fs::read_to_string(out.join(".dbgen-manifest")).unwrap();
    let version = format!("\n# dbgen-version: {}\n", env!("CARGO_PKG_VERSION"));
    assert!(manifest.contains(&version), "{manifest}");
}

#[test]
fn an_unchanged_render_touches_no_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("dbgen.toml"), SPEC).unwrap();
    assert!(run(dir.path(), &["render"]).status.success());
    let before = snapshot(dir.path());
    let mtimes: Vec<_> = files(&dir.path().join("out"))
        .keys()
        .map(|rel| {
            fs::metadata(dir.path().join("out").join(rel))
                .unwrap()
                .modified()
                .unwrap()
        })
        .collect();
    std::thread::sleep(Duration::from_millis(20));
    let again = run(dir.path(), &["render"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(snapshot(dir.path()), before);
    let after: Vec<_> = files(&dir.path().join("out"))
        .keys()
        .map(|rel| {
            fs::metadata(dir.path().join("out").join(rel))
                .unwrap()
                .modified()
                .unwrap()
        })
        .collect();
    assert_eq!(after, mtimes);
}

#[test]
fn a_tmpfs_mount_point_is_a_valid_output_directory() {
    let root = fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    });
    let unshare = Command::new("unshare")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !(root && unshare) {
        assert!(
            std::env::var_os("CI").is_none(),
            "mounting a tmpfs needs root and unshare(1), which CI has"
        );
        #[allow(clippy::print_stderr)]
        {
            eprintln!("SKIPPED: mounting a tmpfs needs root and unshare(1)");
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("dbgen.toml"), SPEC).unwrap();
    fs::create_dir(dir.path().join("out")).unwrap();
    // Render, add a foreign file, render a changed spec over it, check: all on the mount.
    let script = r#"
        set -e
        mount -t tmpfs dbgen-test out
        chmod 0750 out
        "$0" render -o out
        echo mine > out/mine.txt
        printf '\n[environments.z]\n' >> dbgen.toml
        "$0" render -o out
        "$0" render --check -o out
        mountpoint -q out
        test "$(cat out/mine.txt)" = mine
        test -f out/z/kustomization.yaml
        stat -c %a out
    "#;
    let output = Command::new("unshare")
        .args(["-m", "sh", "-c", script, env!("CARGO_BIN_EXE_dbgen")])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).ends_with("750\n"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn a_spec_that_is_not_a_regular_file_needs_an_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("dbgen.toml");
    fs::write(&spec, SPEC).unwrap();
    for piped in [false, true] {
        let mut command = dbgen();
        command
            .args(["render", "-f", "/dev/stdin"])
            .current_dir(dir.path());
        let output = if piped {
            let mut child = command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            std::io::Write::write_all(&mut child.stdin.take().unwrap(), SPEC.as_bytes()).unwrap();
            child.wait_with_output().unwrap()
        } else {
            command.stdin(File::open(&spec).unwrap()).output().unwrap()
        };
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("pass the output directory with -o"),
            "{}",
            stderr(&output)
        );
        assert!(!Path::new("/dev/out").exists());
    }
    let output = dbgen()
        .args(["render", "-f", "/dev/stdin", "-o", "out"])
        .current_dir(dir.path())
        .stdin(File::open(&spec).unwrap())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.path().join("out/y/kustomization.yaml").is_file());
}

#[test]
fn a_closed_or_full_stdout_ends_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("dbgen.toml"), SPEC).unwrap();
    let stream = ["render", "--stdout", "--env", "y"];

    // The reader is gone before dbgen prints (it compiles first).
    let mut child = dbgen()
        .args(stream)
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let closed = child.wait_with_output().unwrap();
    assert_eq!(closed.status.code(), Some(2));
    assert_eq!(stderr(&closed), "", "quiet on a closed pipe");

    let full = dbgen()
        .args(stream)
        .current_dir(dir.path())
        .stdout(File::options().write(true).open("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(full.status.code(), Some(2));
    let message = stderr(&full);
    assert!(message.contains("No space left on device"), "{message}");
    assert!(
        !message.contains("panicked") && !message.contains("backtrace"),
        "{message}"
    );
}
