//! `dbgen::scripts::redis_backup_sh` against a real password-protected `redis-server`: the dump
//! is a loadable RDB holding the keys, old dumps are pruned, a wrong password fails the run.
//!
//! Servers come from `support` (free 127.0.0.1 port, temp dir, stopped on drop). Without
//! redis-server/redis-cli the test fails under CI and is skipped visibly locally.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use crate::support::{Redis, clean_command, entries, run_ok};
use dbgen::scripts::redis_backup_sh;

/// Characters that would need quoting on a command line (where it must never be anyway).
const PASSWORD: &str = "r3dis pw $HOME ' `id` ;:@";

fn run_backup(redis: &Redis, password: &str, backup_dir: &Path) -> Output {
    let script = redis.dir.path().join("backup.sh");
    fs::write(&script, redis_backup_sh(7)).unwrap();
    clean_command("sh")
        .arg(&script)
        .env("BACKUP_DIR", backup_dir)
        .env("REDIS_HOST", "127.0.0.1")
        .env("REDIS_PORT", redis.port.to_string())
        .env("REDISCLI_AUTH", password)
        .output()
        .unwrap()
}

fn is_dump_name(name: &str) -> bool {
    let Some(stamp) = name
        .strip_prefix("dump-")
        .and_then(|n| n.strip_suffix(".rdb"))
    else {
        return false;
    };
    let bytes = stamp.as_bytes();
    bytes.len() == 16
        && bytes[8] == b'T'
        && bytes[15] == b'Z'
        && bytes[..8]
            .iter()
            .chain(&bytes[9..15])
            .all(u8::is_ascii_digit)
}

#[test]
fn redis_backup_is_a_loadable_rdb_and_old_dumps_are_pruned() {
    let Some(redis) = Redis::start(Some(PASSWORD), None) else {
        return;
    };
    for (key, value) in [("greeting", "hello"), ("weird key ' $x", "value \" `y`")] {
        let out = run_ok(&mut redis.cli(&["SET", key, value]));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK");
    }

    // Before: an expired dump, a stale partial from a killed run, and a file that is not ours.
    let backups = redis.dir.path().join("backups");
    fs::create_dir_all(&backups).unwrap();
    for stale in [
        "dump-20000101T000000Z.rdb",
        ".partial-dump-20000101T000000Z.rdb",
        "notes.txt",
    ] {
        fs::write(backups.join(stale), "old").unwrap();
        run_ok(
            Command::new("touch")
                .args(["-d", "10 days ago"])
                .arg(backups.join(stale)),
        );
    }
    let before = entries(&backups);

    // A wrong password: non-zero exit, no new dump, no partial file left, nothing pruned.
    let output = run_backup(&redis, "wrong password", &backups);
    assert!(
        !output.status.success(),
        "a wrong password must fail the script"
    );
    assert_eq!(entries(&backups), before);

    let output = run_backup(&redis, PASSWORD, &backups);
    assert!(
        output.status.success(),
        "backup failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let after = entries(&backups);
    let dumps: Vec<&String> = after.iter().filter(|n| is_dump_name(n)).collect();
    assert_eq!(dumps.len(), 1, "exactly the new dump: {after:?}");
    assert_ne!(
        dumps[0], "dump-20000101T000000Z.rdb",
        "the expired dump must be deleted"
    );
    assert_eq!(
        after,
        vec![dumps[0].clone(), "notes.txt".to_string()],
        "{after:?}"
    );

    let dump = backups.join(dumps[0]);
    let bytes = fs::read(&dump).unwrap();
    assert!(bytes.starts_with(b"REDIS"), "not an RDB file");

    // The real proof: a fresh server loads the dump and has the keys.
    let Some(restored) = Redis::start(None, Some(&dump)) else {
        return;
    };
    let out = run_ok(&mut restored.cli(&["GET", "greeting"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "hello");
    let out = run_ok(&mut restored.cli(&["GET", "weird key ' $x"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "value \" `y`");
    let out = run_ok(&mut restored.cli(&["DBSIZE"]));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2");
}
