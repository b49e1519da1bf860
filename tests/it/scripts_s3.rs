//! `dbgen::scripts::s3_upload_sh` against a real S3-compatible server (moto): after a real Redis
//! backup run, the complete dump lands in the bucket byte for byte; partial work, lost+found and
//! foreign files stay local; a second run sends nothing again; deleting the local dumps never
//! deletes a remote copy; the PostgreSQL filter sends whole backup directories only.
//!
//! Tools: `aws` and `moto_server` from `<repo>/.tools/bin` (scripts/install-tools.sh s3), else
//! PATH; Redis as in `scripts_redis`. A missing tool fails the test under CI and skips it
//! visibly otherwise (`support::require`). The server listens on a free 127.0.0.1 port and is stopped on drop.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Redis, clean_command, free_port, pinned_tool, require, run_ok};
use dbgen::scripts::{PG_BACKUP_COMPLETE, REDIS_BACKUP_COMPLETE, redis_backup_sh, s3_upload_sh};
use tempfile::TempDir;

const BUCKET: &str = "dbgen-test";
/// Keys moto accepts; what matters is that they reach aws only through the environment.
const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const SECRET_ACCESS_KEY: &str = "secret key with $HOME ' `id`";

/// A moto S3 server and an `aws` configured for it only through the environment, with a home
/// of its own so no configuration of the machine leaks in.
struct S3 {
    aws: PathBuf,
    endpoint: String,
    home: TempDir,
    child: Child,
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3 {
    fn start() -> Option<Self> {
        let aws = require("aws", pinned_tool("aws"), "s3")?;
        let server = require("moto_server", pinned_tool("moto_server"), "s3")?;
        for attempt in 1..=5 {
            let port = free_port();
            let child = Command::new(&server)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut s3 = S3 {
                aws: aws.clone(),
                endpoint: format!("http://127.0.0.1:{port}"),
                home: tempfile::Builder::new()
                    .prefix("dbgen-s3-")
                    .tempdir()
                    .unwrap(),
                child,
            };
            if s3.made_bucket() {
                return Some(s3);
            }
            assert!(attempt < 5, "moto_server did not start on {}", s3.endpoint);
            // Dropping `s3` stops this server (a port clash, say) before the next try.
        }
        unreachable!()
    }

    /// Waits for the server and creates the test bucket; false when the server exited or
    /// never answered.
    fn made_bucket(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            let made = self
                .command(&["s3api", "create-bucket", "--bucket", BUCKET])
                .output()
                .unwrap();
            if made.status.success() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        false
    }

    /// The environment the CronJob's upload container gets, plus what a bare machine lacks.
    fn env(&self, command: &mut Command) {
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AWS_") {
                command.env_remove(&key);
            }
        }
        let home = self.home.path();
        command
            .env("HOME", home)
            .env("AWS_CONFIG_FILE", home.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
            .env("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required");
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = clean_command(&self.aws);
        self.env(&mut command);
        command.args(args);
        command
    }

    /// Runs the generated upload script on `backup_dir` to `destination`.
    fn upload(&self, script: &str, backup_dir: &Path, destination: &str) -> Output {
        let path = self.home.path().join("upload.sh");
        fs::write(&path, script).unwrap();
        let mut command = clean_command("sh");
        self.env(&mut command);
        // The script finds `aws` on PATH, as in the image.
        let dir = self.aws.parent().unwrap().to_path_buf();
        let path_var = std::env::join_paths(std::iter::once(dir).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )))
        .unwrap();
        command
            .arg(&path)
            .env("PATH", path_var)
            .env("BACKUP_DIR", backup_dir)
            .env("DESTINATION", destination);
        run_ok(&mut command)
    }

    /// Key → (size, last-modified) of every object under `prefix`.
    fn objects(&self, prefix: &str) -> Vec<(String, u64, String)> {
        let out = run_ok(&mut self.command(&[
            "s3api",
            "list-objects-v2",
            "--bucket",
            BUCKET,
            "--prefix",
            prefix,
            "--output",
            "json",
        ]));
        let text = String::from_utf8(out.stdout).unwrap();
        if text.trim().is_empty() {
            return Vec::new();
        }
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut objects: Vec<(String, u64, String)> = json["Contents"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|o| {
                        (
                            o["Key"].as_str().unwrap().to_string(),
                            o["Size"].as_u64().unwrap(),
                            o["LastModified"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        objects.sort();
        objects
    }

    fn get(&self, key: &str) -> Vec<u8> {
        let target = self.home.path().join("downloaded");
        run_ok(&mut self.command(&[
            "s3",
            "cp",
            &format!("s3://{BUCKET}/{key}"),
            target.to_str().unwrap(),
            "--only-show-errors",
        ]));
        fs::read(target).unwrap()
    }
}

fn keys(objects: &[(String, u64, String)]) -> Vec<&str> {
    objects.iter().map(|(k, _, _)| k.as_str()).collect()
}

fn redis_backup(redis: &Redis, backup_dir: &Path) -> String {
    let script = redis.dir.path().join("backup.sh");
    fs::write(&script, redis_backup_sh(7)).unwrap();
    run_ok(
        clean_command("sh")
            .arg(&script)
            .env("BACKUP_DIR", backup_dir)
            .env("REDIS_HOST", "127.0.0.1")
            .env("REDIS_PORT", redis.port.to_string())
            .env("REDISCLI_AUTH", redis.password.as_deref().unwrap()),
    );
    let mut dumps: Vec<String> = crate::support::entries(backup_dir)
        .into_iter()
        .filter(|n| n.starts_with("dump-"))
        .collect();
    dumps.pop().unwrap()
}

#[test]
fn redis_dumps_are_uploaded_once_and_never_deleted_remotely() {
    let Some(s3) = S3::start() else {
        return;
    };
    let Some(redis) = Redis::start(Some("pw for the s3 test"), None) else {
        return;
    };
    run_ok(&mut redis.cli(&["SET", "greeting", "hello"]));
    let backups = redis.dir.path().join("backups");
    let first = redis_backup(&redis, &backups);
    // What a killed run, the filesystem and someone else leave on the volume.
    fs::write(
        backups.join(".partial-dump-20240101T000000Z.rdb"),
        "half a dump",
    )
    .unwrap();
    fs::create_dir(backups.join("lost+found")).unwrap();
    fs::write(backups.join("lost+found/#1234"), "orphan").unwrap();
    fs::write(backups.join("notes.txt"), "not a dump").unwrap();

    let script = s3_upload_sh(&[REDIS_BACKUP_COMPLETE]);
    // Without the trailing slash: the script adds it.
    let destination = format!("s3://{BUCKET}/redis/cache-prod");
    s3.upload(&script, &backups, &destination);
    let after_first = s3.objects("");
    assert_eq!(keys(&after_first), [format!("redis/cache-prod/{first}")]);
    assert_eq!(
        s3.get(&format!("redis/cache-prod/{first}")),
        fs::read(backups.join(&first)).unwrap()
    );

    // A second run with nothing new sends nothing: the object is not written again.
    std::thread::sleep(Duration::from_millis(1100));
    s3.upload(&script, &backups, &destination);
    assert_eq!(s3.objects(""), after_first);

    // The next backup adds one object and leaves the first alone.
    run_ok(&mut redis.cli(&["SET", "greeting", "changed"]));
    std::thread::sleep(Duration::from_millis(1100));
    let second = redis_backup(&redis, &backups);
    assert_ne!(first, second);
    s3.upload(&script, &backups, &destination);
    let after_second = s3.objects("");
    assert_eq!(
        keys(&after_second),
        [
            format!("redis/cache-prod/{first}"),
            format!("redis/cache-prod/{second}")
        ]
    );
    assert!(after_second.contains(&after_first[0]));
    assert_eq!(
        s3.get(&format!("redis/cache-prod/{second}")),
        fs::read(backups.join(&second)).unwrap()
    );

    // A lost or emptied volume: the run succeeds and every remote copy stays.
    for name in [&first, &second] {
        fs::remove_file(backups.join(name)).unwrap();
    }
    s3.upload(&script, &backups, &destination);
    assert_eq!(s3.objects(""), after_second);
}

#[test]
fn postgres_backups_are_uploaded_as_whole_directories() {
    let Some(s3) = S3::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path();
    // The layout pg_backup_sh leaves: complete timestamp directories, a partial one.
    for (sub, file, bytes) in [
        (
            "20240101T020000Z",
            "globals.sql",
            &b"CREATE ROLE app;\n"[..],
        ),
        ("20240101T020000Z", "app.dump", &b"PGDMP\x01\x0e\x00"[..]),
        ("20240101T020000Z", "it%27s%20db.dump", &b"PGDMP\x02"[..]),
        (".partial-20240102T020000Z", "app.dump", &b"PGDMP half"[..]),
        ("lost+found", "#99", &b"orphan"[..]),
        ("not-a-backup", "x.dump", &b"PGDMP"[..]),
    ] {
        fs::create_dir_all(backups.join(sub)).unwrap();
        fs::write(backups.join(sub).join(file), bytes).unwrap();
    }
    let script = s3_upload_sh(&[PG_BACKUP_COMPLETE]);
    s3.upload(&script, backups, &format!("s3://{BUCKET}/logical/prod/"));
    let objects = s3.objects("");
    assert_eq!(
        keys(&objects),
        [
            "logical/prod/20240101T020000Z/app.dump",
            "logical/prod/20240101T020000Z/globals.sql",
            "logical/prod/20240101T020000Z/it%27s%20db.dump",
        ]
    );
    assert_eq!(
        s3.get("logical/prod/20240101T020000Z/app.dump"),
        b"PGDMP\x01\x0e\x00"
    );
}

#[test]
fn a_destination_that_is_not_s3_is_refused() {
    let Some(s3) = S3::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.sh");
    fs::write(&path, s3_upload_sh(&[REDIS_BACKUP_COMPLETE])).unwrap();
    let mut command = clean_command("sh");
    s3.env(&mut command);
    let out = command
        .arg(&path)
        .env("BACKUP_DIR", dir.path())
        .env("DESTINATION", "/tmp/elsewhere")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an s3:// URL"));
}
