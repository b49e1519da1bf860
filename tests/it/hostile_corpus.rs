//! The hostile-input corpus: at least 1,000 specs generated from a fixed seed (so every run
//! checks the same ones), each a valid base spec with one to three hostile mutations: wrong
//! types, bad names and YAML 1.1 words, quantities, crons, durations, ports, URLs, lengths,
//! reserved names, collisions, injection strings, broken TOML.
//!
//! Each spec must either be refused, with every error located at a spec line, or compile to
//! output that passes dbgen's verification; compiling never panics. On a sample, the real CLI
//! must write nothing for a refused spec, and a rendered one must build with the real
//! `kubectl kustomize` and have its `postgresql.conf` values read back by `postgres -C`.
//! Prints `N refused, M rendered and verified, 0 panics, 0 written on refusal`.
//!
//! This is the CI-run counterpart of the `fuzz/` target, which needs a nightly toolchain.
//! kubectl and PostgreSQL come from `scripts/install-tools.sh`; under `CI` a missing tool
//! fails the test.

use crate::support;

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;

use toml::{Table, Value};

/// Number of generated specs.
const CASES: usize = 1200;
/// Fixed seed: the corpus is the same on every run and every machine.
const SEED: u64 = 0x00db_9e4e_5eed_0001;
/// Every n-th refused spec is also given to the CLI, which must write nothing.
const CLI_REFUSED_EVERY: usize = 40;
/// Every n-th rendered spec is written by the CLI and built by `kubectl kustomize`.
const KUSTOMIZE_EVERY: usize = 25;
/// Every n-th rendered spec has its `postgresql.conf` files read by `postgres -C`.
const POSTGRES_EVERY: usize = 5;

/// splitmix64: a tiny deterministic generator (no dependency, same sequence everywhere).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const COMMON: &str = r#"
[platform]
name = "shop"
namespace = "databases"

[environments.dev]
profile = "small"
[environments.prod]
profile = "medium"
"#;

/// Valid specs the mutations start from, one per engine and provider family.
const BASES: &[&str] = &[
    // CloudNativePG, External Secrets, backups, pooler, logical backups with upload.
    r#"
[secrets]
provider = "external-secrets"
store = "vault-backend"
key = "shop/{env}/{app}"

[postgres.main]
engine = "cnpg"
version = "17.6"
storage = "10Gi"
parameters = { work_mem = "16MB", log_line_prefix = "%m [%p] " }
pooler = { instances = 2, mode = "transaction" }
monitoring = true

[postgres.main.backup]
destination = "s3://shop-backups/{env}/"
endpoint = "https://minio.storage:9000"
credentials = "main-backup-s3"
credentials_key = "shop/{env}/backup-s3"

[postgres.main.logical_backup]
credentials_key = "shop/{env}/logical"
upload = { destination = "s3://shop-dumps/{env}", credentials = "main-backup-s3", credentials_key = "shop/{env}/backup-s3" }

[apps.orders]
postgres = "main"
namespace = "orders"
extensions = ["pg_trgm"]

[apps.billing]
postgres = "main"
namespace = "billing"
user = "billing_user"
"#,
    // Plain StatefulSet, Infisical.
    r#"
[secrets]
provider = "infisical"
host = "https://app.infisical.com"
project = "shop"
path = "/postgres/{app}"
credentials = { name = "infisical-auth", namespace = "argocd" }

[postgres.plain]
engine = "statefulset"
version = "17.6"
credentials_key = "/admin/{cluster}"
parameters = { shared_buffers = "128MB", log_line_prefix = "%t " }

[postgres.plain.logical_backup]
credentials_key = "/backup/{cluster}"

[apps.wiki]
postgres = "plain"
namespace = "wiki"
"#,
    // Bitnami postgresql-ha and Redis.
    r#"
[secrets]
provider = "external-secrets"
store = "vault-backend"
key = "shop/{env}/{app}"

[bitnami]
images = "bitnamilegacy"

[postgres.ha]
engine = "bitnami"
version = "17.6"
credentials_key = "shop/{env}/ha"
instances = 3
parameters = { max_connections = "200" }

[redis.cache]
engine = "statefulset"
version = "8.2.1"
credentials_key = "shop/{env}/redis"

[apps.shopfront]
postgres = "ha"
redis = "cache"
namespace = "front"
"#,
    // Dedicated clusters from [postgres_defaults].
    r#"
[secrets]
provider = "external-secrets"
store = "vault-backend"
key = "shop/{env}/{app}"

[postgres_defaults]
name = "db-{app}-{env}"
engine = "cnpg"
version = "16.10"

[apps.reports]
dedicated = true
namespace = "reports"
readonly = true
"#,
];

/// Strings hostile to names, YAML, shells, SQL and configuration files.
const STRINGS: &[&str] = &[
    "",
    " ",
    "yes",
    "no",
    "on",
    "off",
    "true",
    "null",
    "~",
    "1e3",
    "0x1F",
    "010",
    ".inf",
    "-",
    "a-",
    "-a",
    "A",
    "ä",
    "a b",
    "a\nb",
    "a\tb",
    "a\u{0}b",
    "{env}",
    "{x}",
    "{",
    "}",
    "a'b",
    "a\"b",
    "a\\b",
    "a\\",
    "$(whoami)",
    "`id`",
    "${HOME}",
    "%s",
    "../etc",
    "a/b",
    "a.b",
    "a_b",
    "postgres",
    "repmgr",
    "public",
    "none",
    "pg_x",
    "template1",
    "streaming_replica",
    "app",
    "sr_check_user",
    "dbgen_backup",
    "all",
    "replication",
    "admin",
    "x\u{202e}y",
    "ok",
    "orders",
];

/// Values for a key, by kind.
fn value_for(rng: &mut Rng, kind: &str) -> Value {
    let s = |v: &&str| Value::String((*v).to_string());
    match kind {
        "name" => {
            if rng.below(5) == 0 {
                Value::String("a".repeat(*rng.pick(&[50, 51, 52, 53, 60, 63, 64, 200])))
            } else {
                s(rng.pick(STRINGS))
            }
        }
        "int" => Value::Integer(*rng.pick(&[0, -1, 1, 2, 3, 7, 65536, 2_147_483_648, i64::MAX])),
        "quantity" => s(rng.pick(&[
            "0", "0Gi", "1m", "20Gb", "-1Gi", "1e40", "Gi", "", "1.5Gi", "20Gi", "100Ti", "1", "x",
        ])),
        "cron" => s(rng.pick(&[
            "0 25 * * *",
            "61 * * * *",
            "*/0 * * * *",
            "0-70 * * * *",
            "5-1 * * * *",
            "@daily",
            "@reboot",
            "0 0 0 * * *",
            "",
            "0 2 * * *",
            "a b c d e",
            "0 2 * * *\n",
        ])),
        "duration" => s(rng.pick(&[
            "0s",
            "1h",
            "1d",
            "-1h",
            "",
            "1h30m",
            "30d",
            "0d",
            "99999999999999d",
        ])),
        "endpoint" => s(rng.pick(&[
            "https://minio:99999",
            "https://minio:0",
            "https://user:secret@minio",
            "http://minio",
            "minio:9000",
            "https://",
            "https://minio/x",
            "ftp://x",
            "https://minio:9000",
            "https://mi nio",
        ])),
        "destination" => s(rng.pick(&[
            "s3://Bucket/x",
            "s3://bu",
            "gs://bucket/x",
            "https://account.blob.core.windows.net/x",
            "s3://ok-bucket/{x}",
            "s3://ok-bucket/{app}",
            "s3://ok-bucket/a\nb",
            "s3://ok-bucket/{env}/",
            "s3://ok-bucket//x",
            "",
        ])),
        "image" => s(rng.pick(&[
            "",
            "x y",
            "Postgres",
            "postgres:",
            "ghcr.io/x/y:1",
            "postgres:17@sha256:12",
            "registry:99999/x",
            "docker.io/library/postgres:17.6",
        ])),
        "key" => s(rng.pick(&[
            "shop/{env}",
            "{app}",
            "shop/{env}/{cluster}",
            "shop/{env}/logical",
            "shop/{env}/{app}",
            "/x/{app}",
            "",
            "{nope}",
        ])),
        "param" => {
            if rng.below(20) == 0 {
                Value::String("x".repeat(100_000))
            } else {
                match rng.below(4) {
                    0 => Value::Integer(1),
                    1 => Value::Boolean(true),
                    2 => Value::Float(1.5),
                    _ => s(rng.pick(STRINGS)),
                }
            }
        }
        "envs" => Value::Array(
            rng.pick(&[&[][..], &["dev"][..], &["nope"][..], &["prod", "dev"][..]])
                .iter()
                .map(s)
                .collect(),
        ),
        "bool" => Value::Boolean(rng.below(2) == 0),
        // A wrong type wherever it lands.
        _ => match rng.below(4) {
            0 => Value::Integer(3),
            1 => Value::Array(vec![s(&"x")]),
            2 => Value::Table(Table::new()),
            _ => Value::Boolean(false),
        },
    }
}

/// (key path, value kind): the places mutations write to. `*` is the base's first entry of
/// that table.
const TARGETS: &[(&str, &str)] = &[
    ("platform.name", "name"),
    ("platform.namespace", "name"),
    ("platform.domain", "name"),
    ("apps.*.namespace", "name"),
    ("apps.*.database", "name"),
    ("apps.*.user", "name"),
    ("apps.*.connection_secret", "name"),
    ("apps.*.postgres", "name"),
    ("apps.*.extensions", "wrong"),
    ("apps.*.sslmode", "name"),
    ("apps.*.readonly", "bool"),
    ("apps.*.dedicated", "bool"),
    ("postgres.*.name", "name"),
    ("postgres.*.instances", "int"),
    ("postgres.*.storage", "quantity"),
    ("postgres.*.version", "name"),
    ("postgres.*.image", "image"),
    ("postgres.*.environments", "envs"),
    ("postgres.*.resources.requests.cpu", "quantity"),
    ("postgres.*.resources.limits.memory", "quantity"),
    ("postgres.*.parameters.work_mem", "param"),
    ("postgres.*.parameters.log_line_prefix", "param"),
    ("postgres.*.parameters.include_dir", "param"),
    ("postgres.*.parameters.cluster_name", "param"),
    ("postgres.*.backup.destination", "destination"),
    ("postgres.*.backup.endpoint", "endpoint"),
    ("postgres.*.backup.schedule", "cron"),
    ("postgres.*.backup.retention", "duration"),
    ("postgres.*.backup.credentials_key", "key"),
    ("postgres.*.logical_backup.schedule", "cron"),
    ("postgres.*.logical_backup.credentials_key", "key"),
    ("postgres.*.logical_backup.retention_days", "int"),
    ("postgres.*.logical_backup.upload.endpoint", "endpoint"),
    (
        "postgres.*.logical_backup.upload.destination",
        "destination",
    ),
    ("postgres.*.pooler.instances", "int"),
    ("postgres.*.restore.from", "name"),
    ("postgres.*.credentials_key", "key"),
    ("postgres.*.env.prod.instances", "int"),
    ("postgres.*.env.prod.storage", "quantity"),
    ("postgres_defaults.name", "name"),
    ("redis.*.image", "image"),
    ("redis.*.credentials_key", "key"),
    ("secrets.key", "key"),
    ("secrets.path", "key"),
    ("secrets.refresh", "duration"),
    ("secrets.password_property", "name"),
    ("environments.prod.profile", "name"),
    ("environments.*.production", "wrong"),
    ("apps", "wrong"),
    ("postgres.*", "wrong"),
];

/// Sets `path` in `table`, creating tables on the way (`*`: the first existing key).
fn set(table: &mut Table, path: &[&str], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let key = if *first == "*" {
        match table.keys().next() {
            Some(k) => k.clone(),
            None => return,
        }
    } else {
        (*first).to_string()
    };
    if rest.is_empty() {
        table.insert(key, value);
        return;
    }
    let entry = table
        .entry(key)
        .or_insert_with(|| Value::Table(Table::new()));
    if let Value::Table(inner) = entry {
        set(inner, rest, value);
    }
}

/// One generated spec: a base and its mutations (as TOML text).
fn generate(rng: &mut Rng, index: usize) -> String {
    let base = format!("{COMMON}{}", BASES[index % BASES.len()]);
    let mut table: Table = base.parse().expect("base specs are valid TOML");
    let mutations = 1 + rng.below(3);
    for _ in 0..mutations {
        let (path, kind) = rng.pick(TARGETS);
        let path: Vec<&str> = path.split('.').collect();
        let value = value_for(rng, kind);
        set(&mut table, &path, value);
    }
    // Collisions: a second app copying the first one's names.
    if rng.below(8) == 0
        && let Some(Value::Table(apps)) = table.get_mut("apps")
        && let Some((_, first)) = apps.iter().next().map(|(k, v)| (k.clone(), v.clone()))
    {
        apps.insert(format!("copy{}", rng.below(3)), first);
    }
    let mut text = toml::to_string(&table).expect("a table serialises");
    // Broken TOML: a truncated file, a duplicated line, stray brackets.
    match rng.below(12) {
        0 => {
            let cut = rng.below(text.len());
            let cut = (0..=cut)
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            text.truncate(cut);
        }
        1 => {
            let lines: Vec<&str> = text.lines().collect();
            let line = lines[rng.below(lines.len())].to_string();
            let _ = writeln!(text, "{line}");
        }
        2 => text.insert_str(rng.below(2) * text.len(), "[[apps]]\n= x\n"),
        _ => {}
    }
    text
}

/// What the corpus found.
#[derive(Default)]
struct Counts {
    refused: usize,
    rendered: usize,
    panics: usize,
    written_on_refusal: usize,
    cli_refused: usize,
    kustomized: usize,
    conf_checked: usize,
    problems: Vec<String>,
}

fn kubectl() -> Option<PathBuf> {
    support::kubectl()
}

/// The CLI on a refused spec: non-zero exit, nothing at the output path.
fn cli_refuses(spec: &str, counts: &mut Counts, index: usize) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dbgen.toml");
    std::fs::write(&file, spec).unwrap();
    let out = dir.path().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_dbgen"))
        .args(["render", "-f"])
        .arg(&file)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    counts.cli_refused += 1;
    if output.status.success() || out.exists() {
        counts.written_on_refusal += 1;
        counts.problems.push(format!(
            "case {index}: the CLI wrote output for a refused spec:\n{spec}"
        ));
    }
}

/// The CLI renders; every environment without Helm charts builds with kubectl.
fn cli_renders(spec: &str, kubectl: &Path, counts: &mut Counts, index: usize) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dbgen.toml");
    std::fs::write(&file, spec).unwrap();
    let out = dir.path().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_dbgen"))
        .args(["render", "-f"])
        .arg(&file)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    if !output.status.success() {
        counts.problems.push(format!(
            "case {index}: the CLI refused a spec the library compiled:\n{}\n{spec}",
            String::from_utf8_lossy(&output.stderr)
        ));
        return;
    }
    for env in support::entries(&out) {
        let env_dir = out.join(&env);
        if !env_dir.is_dir() {
            continue;
        }
        let kustomization = std::fs::read_to_string(env_dir.join("kustomization.yaml")).unwrap();
        if kustomization.contains("helmCharts") {
            continue; // needs --enable-helm, helm and the chart: covered by tests/kustomize.rs
        }
        let built = Command::new(kubectl)
            .arg("kustomize")
            .arg(&env_dir)
            .output()
            .unwrap();
        counts.kustomized += 1;
        if !built.status.success() {
            counts.problems.push(format!(
                "case {index}: kubectl kustomize {env} failed:\n{}\n{spec}",
                String::from_utf8_lossy(&built.stderr)
            ));
        }
    }
}

/// Every `postgresql.conf` dbgen wrote, read by `postgres -C` for each parameter.
fn conf_reads_back(
    compiled: &dbgen::pipeline::Compiled,
    pg: &PgCheck,
    counts: &mut Counts,
    seen: &mut std::collections::BTreeSet<String>,
    index: usize,
) {
    for (_, manifests) in &compiled.environments {
        for manifest in manifests {
            let conf = manifest.document["data"]["postgresql.conf"]
                .as_str()
                .or_else(|| manifest.document["postgresql"]["extendedConf"].as_str());
            let Some(conf) = conf else { continue };
            if !seen.insert(conf.to_string()) {
                continue;
            }
            counts.conf_checked += 1;
            if let Err(problem) = pg.check(conf) {
                counts
                    .problems
                    .push(format!("case {index}: {}: {problem}", manifest.path));
            }
        }
    }
}

/// A data directory and the server binary, to run `postgres -C` against generated files.
struct PgCheck {
    pg: support::PgData,
}

impl PgCheck {
    fn new() -> Option<Self> {
        support::PgData::init().map(|pg| Self { pg })
    }

    /// Each `name = value` line of `conf` (dbgen writes one per parameter), appended to
    /// initdb's file, must read back through `postgres -C name` as the value unquoted.
    fn check(&self, conf: &str) -> Result<(), String> {
        let base = std::fs::read_to_string(self.pg.data.join("postgresql.conf")).unwrap();
        let file = self.pg.dir.path().join("check.conf");
        std::fs::write(&file, format!("{base}\n{conf}\n")).unwrap();
        for line in conf
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let Some((name, quoted)) = line.split_once(" = ") else {
                return Err(format!("unexpected line {line:?}"));
            };
            // The settings dbgen manages point at the image's paths; only the spec's count.
            if [
                "listen_addresses",
                "port",
                "unix_socket_directories",
                "password_encryption",
            ]
            .contains(&name)
            {
                continue;
            }
            let expected = quoted
                .strip_prefix('\'')
                .and_then(|q| q.strip_suffix('\''))
                .map(|q| q.replace("''", "'").replace("\\\\", "\\"))
                .ok_or_else(|| format!("unquoted value in {line:?}"))?;
            let output = self
                .pg
                .show(&[format!("-cconfig_file={}", file.display())], name);
            let got = support::shown(&output);
            // A value of the wrong type is the catalog's business (validate); the file
            // must still parse, which a refusal of this one value does not contradict.
            let stderr = String::from_utf8_lossy(&output.stderr);
            if stderr.contains("syntax error") {
                return Err(format!("postgresql.conf does not parse: {stderr}"));
            }
            // PostgreSQL shows numbers in its own units (`128MB` as `16384`): compare with
            // the value given on the command line, where no file syntax is involved.
            if output.status.success() && got != expected {
                let direct = support::shown(&self.pg.show(&[format!("-c{name}={expected}")], name));
                if got != direct {
                    return Err(format!(
                        "{name}: expected {expected:?} ({direct:?}), postgres read {got:?}"
                    ));
                }
            }
        }
        Ok(())
    }
}

#[test]
fn every_hostile_spec_is_refused_with_a_location_or_renders_verified_output() {
    let kubectl = kubectl();
    let pg = PgCheck::new();
    let mut rng = Rng(SEED);
    let mut counts = Counts::default();
    let mut seen_confs = std::collections::BTreeSet::new();
    for index in 0..CASES {
        let spec = generate(&mut rng, index);
        let name = format!("hostile-{index}.toml");
        let result = catch_unwind(AssertUnwindSafe(|| dbgen::pipeline::compile(&name, &spec)));
        match result {
            Err(_) => {
                counts.panics += 1;
                counts
                    .problems
                    .push(format!("case {index}: panicked on:\n{spec}"));
            }
            Ok(Err(dbgen::pipeline::Failure::Invalid { diagnostics, .. })) => {
                counts.refused += 1;
                let unlocated: Vec<&str> = diagnostics
                    .iter()
                    .filter(|d| d.is_error() && d.span.is_none())
                    .map(|d| d.message.as_str())
                    .collect();
                if !unlocated.is_empty() {
                    counts.problems.push(format!(
                        "case {index}: errors without a location: {unlocated:?}\n{spec}"
                    ));
                }
                if counts.refused % CLI_REFUSED_EVERY == 1 {
                    cli_refuses(&spec, &mut counts, index);
                }
            }
            Ok(Err(dbgen::pipeline::Failure::Output { problems, .. })) => {
                counts.problems.push(format!(
                    "case {index}: accepted, but the output failed verification: {problems:?}\n{spec}"
                ));
            }
            Ok(Err(error)) => {
                counts
                    .problems
                    .push(format!("case {index}: {error}\n{spec}"));
            }
            Ok(Ok(compiled)) => {
                counts.rendered += 1;
                if counts.rendered % POSTGRES_EVERY == 1
                    && let Some(pg) = &pg
                {
                    conf_reads_back(&compiled, pg, &mut counts, &mut seen_confs, index);
                }
                if counts.rendered % KUSTOMIZE_EVERY == 1
                    && let Some(kubectl) = &kubectl
                {
                    cli_renders(&spec, kubectl, &mut counts, index);
                }
            }
        }
    }
    // Straight to stderr, past libtest's capture: the counts are the corpus's report in CI.
    let line = format!(
        "hostile corpus: {} refused, {} rendered and verified, {} panics, {} written on refusal \
         ({} refusals re-run through the CLI, {} environments built by kubectl kustomize, \
         {} postgresql.conf files read by postgres -C)\n",
        counts.refused,
        counts.rendered,
        counts.panics,
        counts.written_on_refusal,
        counts.cli_refused,
        counts.kustomized,
        counts.conf_checked
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    assert!(
        counts.problems.is_empty(),
        "{} problems; the first ones:\n{}",
        counts.problems.len(),
        counts
            .problems
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n---\n")
    );
    assert_eq!(counts.refused + counts.rendered, CASES);
    assert!(
        counts.rendered >= CASES / 20,
        "too few specs render: the corpus tests little output"
    );
}
