//! What the integration tests share: the one answer to a missing tool ([`require`]), finding
//! the pinned tools, and real PostgreSQL and Redis servers for the script tests, one per test,
//! each in its own temp dir on a free 127.0.0.1 port, stopped by a Drop guard (so also when the
//! test panics); and an initialised PostgreSQL data directory ([`PgData`]) for the tests that
//! read generated configuration back with `postgres -C`.
//!
//! Tools: kubectl from `DBGEN_KUBECTL`, else PATH; PostgreSQL from `<repo>/.tools/bin`
//! (scripts/install-tools.sh postgres), else the newest `/usr/lib/postgresql/<major>/bin`; other
//! tools from `<repo>/.tools/bin`, else PATH. Invariant: a test whose tool is missing never
//! passes silently: under CI it fails, otherwise it prints a `SKIP:` line that libtest does not
//! capture (and scripts/test.sh counts). As root, initdb and postgres run as `nobody` through
//! `setpriv`, since PostgreSQL refuses to run as root.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The names in `dir`, sorted.
pub(crate) fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// Makes `path` ten days old, past any retention the tests use.
pub(crate) fn backdate(path: &Path) {
    run_ok(Command::new("touch").args(["-d", "10 days ago"]).arg(path));
}

/// Password of the `postgres` superuser of every test server.
pub(crate) const ADMIN_PASSWORD: &str = "admin-pw-for-tests";

/// Whether this run is CI's: `CI` set to anything but empty, `0` or `false` (CI services set
/// `CI=true`). Then a missing tool is a failure, never a skip.
pub(crate) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// The one answer to a missing tool: `found` when it is there. When it is missing the test fails
/// under CI ([`in_ci`]); otherwise this prints a `SKIP:` line naming the test and returns `None`,
/// and the test returns early. The line goes straight to stderr, past libtest's capture, since a
/// skipped test is otherwise reported as `ok` with nothing to tell it from a real pass.
/// `install` is the `scripts/install-tools.sh` argument that provides the tool.
pub(crate) fn require(what: &str, found: Option<PathBuf>, install: &str) -> Option<PathBuf> {
    if found.is_some() {
        return found;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("(unnamed test)")
        .to_string();
    let hint = format!("run `bash scripts/install-tools.sh {install}` (or scripts/test.sh)");
    assert!(!in_ci(), "{test}: {what} not found under CI; {hint}");
    // One write of one whole line, so parallel tests cannot interleave inside it.
    let line = format!("SKIP: {test}: {what} not found; {hint}; with CI=true this fails\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    None
}

/// `name` from `<repo>/.tools/bin` (what scripts/install-tools.sh pins), else from PATH.
pub(crate) fn pinned_tool(name: &str) -> Option<PathBuf> {
    let pinned = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".tools/bin")
        .join(name);
    pinned.is_file().then_some(pinned).or_else(|| on_path(name))
}

/// The kubectl to test with: `DBGEN_KUBECTL` (scripts/test.sh points it at the pinned one),
/// else `kubectl` on PATH; only one that answers `version --client`.
pub(crate) fn kubectl() -> Option<PathBuf> {
    let candidate =
        std::env::var_os("DBGEN_KUBECTL").map_or_else(|| PathBuf::from("kubectl"), PathBuf::from);
    let works = Command::new(&candidate)
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    require("kubectl", works.then_some(candidate), "kubectl")
}

/// `name` on PATH, as a full path.
pub(crate) fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The PostgreSQL server's bin dir (`initdb`, `pg_ctl`, `psql`, `pg_dump`, ...), resolved to its
/// real location so that `nobody` can reach it even when the repository is private to root.
pub(crate) fn pg_bindir() -> Option<PathBuf> {
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/initdb");
    if let Ok(real) = fs::canonicalize(&tools) {
        return real.parent().map(Path::to_path_buf);
    }
    let mut found: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// A port on 127.0.0.1 that was free a moment ago (the server start retries on a clash).
pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A command with none of the caller's libpq/Redis settings (a developer's PGHOST or
/// PGPASSWORD must not leak into a test) and a fixed C locale, like a bare container.
pub(crate) fn clean_command(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    for (key, _) in std::env::vars_os() {
        let key_str = key.to_string_lossy();
        if key_str.starts_with("PG") || key_str.starts_with("REDIS") || key_str.starts_with("LC_") {
            command.env_remove(&key);
        }
    }
    command.env("LC_ALL", "C").stdin(Stdio::null());
    command
}

/// Runs `command`, panicking with its output when it fails.
pub(crate) fn run_ok(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs `command` with `input` on stdin.
pub(crate) fn run_with_stdin(command: &mut Command, input: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn id(args: &[&str]) -> u32 {
    let output = run_ok(Command::new("id").args(args));
    String::from_utf8(output.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Who runs the server: `None` for the current user, else (uid, gid) of `nobody` when we are
/// root.
fn server_user() -> Option<(u32, u32)> {
    (id(&["-u"]) == 0).then(|| (id(&["-u", "nobody"]), id(&["-g", "nobody"])))
}

/// `tool` of `bindir` run as `user` (`server_user()`), from `cwd`, which that user can enter.
fn server_tool(bindir: &Path, user: Option<(u32, u32)>, tool: &str, cwd: &Path) -> Command {
    let program = bindir.join(tool);
    let mut command = match user {
        Some((uid, gid)) => {
            let mut c = clean_command("setpriv");
            c.arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"))
                .args(["--clear-groups", "--"])
                .arg(program);
            c
        }
        None => clean_command(program),
    };
    command.current_dir(cwd);
    command
}

/// An initialised PostgreSQL data directory and no server: `postgres -C` reads generated
/// configuration files against it.
#[derive(Debug)]
pub(crate) struct PgData {
    pub(crate) bindir: PathBuf,
    /// initdb's data directory; its `postgresql.conf` is initdb's file.
    pub(crate) data: PathBuf,
    user: Option<(u32, u32)>,
    /// Holds the data directory; tests write their configuration files here.
    pub(crate) dir: TempDir,
}

impl PgData {
    /// `None`: skipped (no PostgreSQL, or no setpriv as root).
    pub(crate) fn init() -> Option<Self> {
        let bindir = require("PostgreSQL (postgres)", pg_bindir(), "postgres")?;
        let user = server_user();
        if user.is_some() {
            require(
                "setpriv (util-linux), to run PostgreSQL as nobody",
                on_path("setpriv"),
                "postgres",
            )?;
        }
        let dir = tempfile::tempdir().unwrap();
        // The server user must traverse the temp dir and own the data directory's parent.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let owner = dir.path().join("owner");
        fs::create_dir(&owner).unwrap();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&owner, Some(uid), Some(gid)).unwrap();
        }
        let pg = Self {
            bindir,
            data: owner.join("data"),
            user,
            dir,
        };
        run_ok(pg.tool("initdb").arg("--pgdata").arg(&pg.data).args([
            "--no-sync",
            "--auth=trust",
            "--no-locale",
        ]));
        Some(pg)
    }

    /// A PostgreSQL tool run as the server's user.
    pub(crate) fn tool(&self, name: &str) -> Command {
        server_tool(&self.bindir, self.user, name, Path::new("/"))
    }

    /// `postgres -C name` over this data directory with `options` (`-c...` arguments), as
    /// run; stdout is the value and a newline.
    pub(crate) fn show(&self, options: &[String], name: &str) -> Output {
        self.tool("postgres")
            .arg("-D")
            .arg(&self.data)
            .args(options)
            .arg("-C")
            .arg(name)
            .output()
            .unwrap()
    }
}

/// The value `postgres -C` printed, without its newline.
pub(crate) fn shown(output: &Output) -> String {
    let text = String::from_utf8_lossy(&output.stdout);
    text.strip_suffix('\n').unwrap_or(&text).to_string()
}

/// A throwaway PostgreSQL server on 127.0.0.1 with password (SCRAM) authentication and
/// superuser `postgres` / [`ADMIN_PASSWORD`].
#[derive(Debug)]
pub(crate) struct Postgres {
    pub(crate) port: u16,
    pub(crate) bindir: PathBuf,
    data: PathBuf,
    log: PathBuf,
    user: Option<(u32, u32)>,
    // Last field: dropped after Drop::drop has stopped the server.
    pub(crate) dir: TempDir,
}

impl Postgres {
    /// Starts a server, with `extra_conf` appended to postgresql.conf; `None`: skipped.
    pub(crate) fn start(extra_conf: &str) -> Option<Self> {
        let bindir = require("PostgreSQL (initdb)", pg_bindir(), "postgres")?;
        let user = server_user();
        if user.is_some() {
            require(
                "setpriv (util-linux), to run PostgreSQL as nobody",
                on_path("setpriv"),
                "postgres",
            )?;
        }
        let dir = tempfile::Builder::new()
            .prefix("dbgen-pg-")
            .tempdir()
            .unwrap();
        // `nobody` must traverse the root-owned temp dir and own the server's own dir.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let server_dir = dir.path().join("server");
        fs::create_dir(&server_dir).unwrap();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&server_dir, Some(uid), Some(gid)).unwrap();
        }
        let pwfile = dir.path().join("admin-password");
        fs::write(&pwfile, ADMIN_PASSWORD).unwrap();
        fs::set_permissions(&pwfile, fs::Permissions::from_mode(0o644)).unwrap();

        let mut server = Postgres {
            port: 0,
            data: server_dir.join("data"),
            log: server_dir.join("server.log"),
            bindir,
            user,
            dir,
        };
        run_ok(
            server
                .as_server_user("initdb")
                .arg("--pgdata")
                .arg(&server.data)
                .args(["--username=postgres", "--auth-local=trust"])
                .args([
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--no-locale",
                ])
                .arg("--no-sync")
                .arg(format!("--pwfile={}", pwfile.display())),
        );
        let conf = format!(
            "\n# dbgen tests\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n\
             fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n\
             shared_buffers = 16MB\nmax_connections = 30\nlogging_collector = off\n{extra_conf}\n"
        );
        fs::OpenOptions::new()
            .append(true)
            .open(server.data.join("postgresql.conf"))
            .unwrap()
            .write_all(conf.as_bytes())
            .unwrap();

        // A port free a moment ago may be taken by now (tests run in parallel): retry.
        for attempt in 1..=5 {
            server.port = free_port();
            let output = server
                .as_server_user("pg_ctl")
                .arg("--pgdata")
                .arg(&server.data)
                .arg("--log")
                .arg(&server.log)
                .arg(format!("--options=-c port={}", server.port))
                .args(["--wait", "--timeout=60", "start"])
                .output()
                .unwrap();
            if output.status.success() {
                return Some(server);
            }
            assert!(
                attempt < 5,
                "pg_ctl start failed:\n{}\n{}\nlog:\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
                server.log()
            );
        }
        unreachable!()
    }

    /// A PostgreSQL tool run as the server's user (cwd: the temp dir, which it can enter).
    fn as_server_user(&self, tool: &str) -> Command {
        server_tool(&self.bindir, self.user, tool, self.dir.path())
    }

    /// A client tool of this server's version, with PATH leading to the same bin dir (the
    /// backup script calls `pg_dump` by name) and the connection env of `user`/`password`, on
    /// `database`. Names travel in env vars, never as arguments that libpq could parse.
    pub(crate) fn client(&self, tool: &str, user: &str, password: &str, database: &str) -> Command {
        self.with_env(self.bindir.join(tool), user, password, database)
    }

    /// Any program (e.g. `sh` running a backup script) with the environment of [`Self::client`].
    pub(crate) fn with_env(
        &self,
        program: impl AsRef<OsStr>,
        user: &str,
        password: &str,
        database: &str,
    ) -> Command {
        let mut command = clean_command(program);
        command
            .env("PATH", self.path_env())
            .env("PGHOST", "127.0.0.1")
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", user)
            .env("PGPASSWORD", password)
            .env("PGDATABASE", database)
            .env("PGCONNECT_TIMEOUT", "10");
        command
    }

    /// The superuser's psql on `database`, never reading ~/.psqlrc.
    pub(crate) fn admin_psql(&self, database: &str) -> Command {
        let mut command = self.client("psql", "postgres", ADMIN_PASSWORD, database);
        command.args(["-X", "-w", "-v", "ON_ERROR_STOP=1"]);
        command
    }

    /// Runs `sql` as the superuser on `database` with psql variables `vars` (set with -v, so
    /// queries compare names through :'var' without quoting them here) and returns the
    /// unaligned, tuples-only output.
    pub(crate) fn query(&self, database: &str, vars: &[(&str, &str)], sql: &str) -> String {
        let mut command = self.admin_psql(database);
        command
            .env("PGCLIENTENCODING", "UTF8")
            .args(["-A", "-t", "-q"]);
        for (name, value) in vars {
            command.arg("-v").arg(format!("{name}={value}"));
        }
        let output = run_with_stdin(&mut command, sql);
        assert!(
            output.status.success(),
            "query failed: {sql}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// `PATH` with this server's bin dir first.
    pub(crate) fn path_env(&self) -> std::ffi::OsString {
        let mut dirs = vec![self.bindir.clone()];
        if let Some(path) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&path));
        }
        std::env::join_paths(dirs).unwrap()
    }

    /// Everything the server has logged so far.
    pub(crate) fn log(&self) -> String {
        fs::read(&self.log)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Immediate: nothing here is worth a clean shutdown, and the temp dir goes next.
        let _ = self
            .as_server_user("pg_ctl")
            .arg("--pgdata")
            .arg(&self.data)
            .args(["--mode=immediate", "--wait", "--timeout=30", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A throwaway `redis-server` on 127.0.0.1, optionally with `requirepass`.
#[derive(Debug)]
pub(crate) struct Redis {
    pub(crate) port: u16,
    pub(crate) password: Option<String>,
    child: Child,
    pub(crate) dir: TempDir,
}

impl Redis {
    /// Starts a server whose data dir holds `rdb` as its dump (when given); `None`: skipped.
    pub(crate) fn start(password: Option<&str>, rdb: Option<&Path>) -> Option<Self> {
        let server = require("redis-server", on_path("redis-server"), "redis")?;
        require("redis-cli", on_path("redis-cli"), "redis")?;
        let dir = tempfile::Builder::new()
            .prefix("dbgen-redis-")
            .tempdir()
            .unwrap();
        if let Some(rdb) = rdb {
            fs::copy(rdb, dir.path().join("dump.rdb")).unwrap();
        }
        for attempt in 1..=5 {
            let port = free_port();
            // The password goes in the config file, not on this test's command line either.
            // No diskless-sync delay: `redis-cli --rdb` would otherwise wait 5 s for replicas.
            let mut conf = format!(
                "bind 127.0.0.1\nport {port}\nprotected-mode yes\ndir \"{}\"\ndbfilename dump.rdb\n\
                 save \"\"\nappendonly no\ndaemonize no\nlogfile \"{}\"\n\
                 repl-diskless-sync-delay 0\n",
                dir.path().display(),
                dir.path().join("redis.log").display()
            );
            if let Some(password) = password {
                let _ = writeln!(conf, "requirepass \"{password}\"");
            }
            let conf_path = dir.path().join("redis.conf");
            fs::write(&conf_path, conf).unwrap();
            let mut child = clean_command(&server)
                .arg(&conf_path)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // exited: port clash or bad config; retry or report below
                }
                let out = cli_command(port, password, &["PING"]).output().unwrap();
                if String::from_utf8_lossy(&out.stdout).trim() == "PONG" {
                    return Some(Redis {
                        port,
                        password: password.map(str::to_string),
                        child,
                        dir,
                    });
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
            assert!(
                attempt < 5,
                "redis-server did not start:\n{}",
                fs::read_to_string(dir.path().join("redis.log")).unwrap_or_default()
            );
        }
        unreachable!()
    }

    /// `redis-cli` against this server, authenticated through `REDISCLI_AUTH` (never `-a`).
    pub(crate) fn cli(&self, args: &[&str]) -> Command {
        cli_command(self.port, self.password.as_deref(), args)
    }
}

fn cli_command(port: u16, password: Option<&str>, args: &[&str]) -> Command {
    let mut command = clean_command("redis-cli");
    command.args(["-h", "127.0.0.1", "-p", &port.to_string()]);
    if let Some(password) = password {
        command.env("REDISCLI_AUTH", password);
    }
    command.args(args);
    command
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fails with every verification problem of the tree in `dir`, one per line.
pub(crate) fn assert_verified(dir: &Path, problems: &[impl std::fmt::Display]) {
    assert!(
        problems.is_empty(),
        "{}:\n{}",
        dir.display(),
        problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}
