//! The `statefulset` Redis engine's start command and `redis.conf`, as rendered, run against
//! a real `redis-server`: the password (with characters `redis.conf` must escape) is
//! required, the spec's memory and persistence settings apply, and the password is on no
//! command line. Only the container paths and the port are moved into a temp dir.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::{clean_command, free_port, on_path, require};

const SPEC: &str = r#"
[platform]
name = "p"
namespace = "db"
[environments.dev]
[secrets]
provider = "external-secrets"
store = "vault"
key = "{app}"
[redis.cache]
engine = "statefulset"
version = "8.2.1"
maxmemory = "512mb"
maxmemory_policy = "allkeys-lru"
credentials_key = "infrastructure/redis"
[apps.api]
redis = "cache"
namespace = "api"
"#;

/// A password with a quote, a backslash, a `%` (printf) and spaces.
const PASSWORD: &str = r#"p@ss "q\uo:te+ %s end"#;

struct Rendered {
    conf: String,
    start: String,
    probe: String,
}

fn rendered() -> Rendered {
    let compiled = dbgen::pipeline::compile("dbgen.toml", SPEC).unwrap_or_else(|e| panic!("{e:?}"));
    let tree = compiled.tree().unwrap();
    let file = |path: &str| dbgen::yaml::parse(&tree.files()[path]).unwrap();
    let config = file("dev/db/configmap-cache-config.yaml");
    let set = file("dev/db/statefulset-cache.yaml");
    let container = set.pointer("/spec/template/spec/containers/0").unwrap();
    let text = |v: Option<&serde_json::Value>| v.unwrap().as_str().unwrap().to_string();
    Rendered {
        conf: text(config.pointer("/data/redis.conf")),
        start: text(container.pointer("/command/2")),
        probe: text(container.pointer("/readinessProbe/exec/command/2")),
    }
}

/// The container's paths, moved under `root`.
fn relocate(text: &str, root: &Path) -> String {
    let root = root.display();
    text.replace("/etc/redis-password", &format!("{root}/secret"))
        .replace("/etc/redis/", &format!("{root}/config/"))
        .replace("/run/redis", &format!("{root}/run"))
        .replace("dir /data", &format!("dir {root}/data"))
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cli(port: u16, password: Option<&str>, args: &[&str]) -> String {
    let mut command = clean_command("redis-cli");
    command.args(["-p", &port.to_string()]).args(args);
    if let Some(password) = password {
        command.env("REDISCLI_AUTH", password);
    }
    String::from_utf8(command.output().unwrap().stdout).unwrap()
}

#[test]
fn the_rendered_start_command_runs_redis_with_the_secret_password() {
    if require("redis-server", on_path("redis-server"), "redis").is_none()
        || require("redis-cli", on_path("redis-cli"), "redis").is_none()
    {
        return;
    }
    let r = rendered();
    assert!(!r.conf.contains("requirepass"), "{}", r.conf);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["secret", "config", "run", "data"] {
        std::fs::create_dir(root.join(sub)).unwrap();
    }
    std::fs::write(root.join("secret/redis-password"), PASSWORD).unwrap();
    let port = free_port();
    let conf = relocate(&r.conf, root).replace("port 6379", &format!("port {port}"));
    std::fs::write(root.join("config/redis.conf"), conf).unwrap();
    let server = Server(
        clean_command("sh")
            .args(["-c", &relocate(&r.start, root)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while cli(port, Some(PASSWORD), &["PING"]).trim() != "PONG" {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The rendered readiness probe: passes with the password, fails without it.
    let probe = |password: Option<&str>| {
        let probe = r.probe.replace("ping", &format!("-p {port} ping"));
        let mut command = clean_command("sh");
        command.args(["-c", &probe]);
        if let Some(password) = password {
            command.env("REDISCLI_AUTH", password);
        }
        command.stderr(Stdio::null()).status().unwrap().success()
    };
    assert!(probe(Some(PASSWORD)));
    assert!(!probe(None));
    assert!(!probe(Some("wrong")));
    let config = cli(port, Some(PASSWORD), &["CONFIG", "GET", "maxmemory*"]);
    assert!(config.contains("536870912"), "{config}");
    assert!(config.contains("allkeys-lru"), "{config}");
    let aof = cli(port, Some(PASSWORD), &["CONFIG", "GET", "appendonly"]);
    assert!(aof.contains("yes"), "{aof}");
    // `exec` made the shell redis-server: its command line is the config path only.
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", server.0.id())).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline);
    assert!(cmdline.contains("redis-server"), "{cmdline}");
    assert!(!cmdline.contains("p@ss"), "{cmdline}");
    let mode = std::fs::metadata(root.join("run/auth.conf")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );
}
