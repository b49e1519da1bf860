//! dbgen's speed and memory as ratios to a floor, on a generated spec of N apps sharing one
//! CloudNativePG cluster across dev/staging/prod (4 objects per app per environment), at
//! N = 100, 1000 and 5000 (`cargo bench --bench compile`, or pass the N values as arguments).
//! Columns: validate, render into an empty directory, then on the tree it wrote
//! `render --check`, `plan` (the change plan) and `render` again (which must touch no file:
//! the bench asserts that every modification time is unchanged).
//!
//! The floor builds the same objects directly as typed structs, serializes them with
//! serde-saphyr and writes the same tree: no spec, no templates, no verification. It is what
//! any generator of this output has to pay, so a ratio says how much dbgen adds.
//!
//! Each measurement runs in a child process of this binary, doing what the CLI command does
//! (`pipeline::prepare`, then `render_against` one environment at a time), so its peak RSS (`VmHWM`) is
//! its own. Times are CPU times (user + system, from `/proc/self/stat`, every thread
//! included), not wall time: the machines this runs on are shared. Each measurement runs
//! five times, in rounds that interleave the floor and dbgen (so both meet the same state
//! of the machine and of its file system), and keeps its least CPU time (neighbours on a
//! shared machine only ever add time) and its largest peak RSS. After the table, how each
//! command's CPU time grows from one N to the next, the floor's included, in all and split
//! into user time (the program's own work) and system time (the kernel's: files, pages).
//! `--instructions` counts instead the instructions each command executes in user space,
//! under valgrind's callgrind: a count that no neighbour on the machine changes, so its
//! growth with N is the program's own. No number is asserted.
#![allow(clippy::print_stdout, clippy::cast_precision_loss)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use dbgen::emit::Tree;
use dbgen::pipeline::{Want, prepare};
use serde::Serialize;

// The allocator the `dbgen` binary uses (`src/main.rs`), for dbgen and the floor alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One measurement of one command, as its child process printed it: CPU seconds by part
/// and in all (`user`, `sys`), and peak RSS in MiB (`rss`).
type Measurement = BTreeMap<String, f64>;

const ENVIRONMENTS: [(&str, &str); 3] =
    [("dev", "small"), ("staging", "medium"), ("prod", "large")];

fn spec(apps: usize) -> String {
    let mut text = String::from(
        "[platform]\nname = \"bench\"\nnamespace = \"databases\"\n\n\
         [secrets]\nprovider = \"external-secrets\"\nstore = \"vault\"\nkey = \"db/{env}/{app}\"\n\n\
         [postgres.shared]\nengine = \"cnpg\"\nversion = \"17.6\"\n\n",
    );
    for (env, profile) in ENVIRONMENTS {
        let _ = write!(text, "[environments.{env}]\nprofile = \"{profile}\"\n");
    }
    for a in 0..apps {
        let _ = write!(
            text,
            "\n[apps.app{a}]\npostgres = \"shared\"\nnamespace = \"team{}\"\n",
            a % 17
        );
    }
    text
}

/// CPU time of this process so far, in seconds: (user, system).
fn cpu_split() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields[i].parse::<u64>().expect("clock ticks") as f64;
    // USER_HZ is 100 on every Linux this runs on.
    (ticks(11) / 100.0, ticks(12) / 100.0)
}

/// CPU time (user + system) of this process so far, in seconds.
fn cpu_seconds() -> f64 {
    let (user, system) = cpu_split();
    user + system
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmHWM");
    kib / 1024.0
}

/// Runs `f` and returns its CPU seconds.
fn timed(f: impl FnOnce()) -> f64 {
    let start = cpu_seconds();
    f();
    cpu_seconds() - start
}

// ---- the floor: typed structs, serialized, written ----

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Object<S> {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    spec: S,
}

#[derive(Serialize)]
struct Metadata {
    labels: BTreeMap<&'static str, String>,
    name: String,
    namespace: String,
}

#[derive(Serialize)]
struct Named {
    name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClusterSpec {
    instances: u32,
    image_name: String,
    storage: Storage,
}

#[derive(Serialize)]
struct Storage {
    size: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DatabaseSpec {
    cluster: Named,
    database_reclaim_policy: &'static str,
    ensure: &'static str,
    name: String,
    owner: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RoleSpec {
    cluster: Named,
    database_role_reclaim_policy: &'static str,
    login: bool,
    name: String,
    password_secret: Named,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalSecretSpec {
    data: Vec<SecretData>,
    refresh_interval: &'static str,
    secret_store_ref: StoreRef,
    target: Target,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SecretData {
    remote_ref: RemoteRef,
    secret_key: &'static str,
}

#[derive(Serialize)]
struct RemoteRef {
    key: String,
    property: &'static str,
}

#[derive(Serialize)]
struct StoreRef {
    kind: &'static str,
    name: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    creation_policy: &'static str,
    name: String,
    template: SecretTemplate,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SecretTemplate {
    data: BTreeMap<&'static str, String>,
    engine_version: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Kustomization {
    api_version: &'static str,
    kind: &'static str,
    resources: Vec<String>,
}

fn metadata(app: &str, name: String, namespace: &str) -> Metadata {
    let labels = BTreeMap::from([
        ("app.kubernetes.io/instance", "shared".to_owned()),
        ("app.kubernetes.io/managed-by", "dbgen".to_owned()),
        ("app.kubernetes.io/name", app.to_owned()),
        ("app.kubernetes.io/part-of", "bench".to_owned()),
    ]);
    Metadata {
        labels,
        name,
        namespace: namespace.to_owned(),
    }
}

fn yaml<T: Serialize>(value: &T) -> String {
    let options = serde_saphyr::ser_options! { indent_step: 2, compact_list_indent: true };
    let body = serde_saphyr::to_string_with_options(value, options).expect("serializes");
    format!("{}{body}", dbgen::render::HEADER)
}

fn external_secret(app: &str, env: &str, name: String, ns: &str, role: bool) -> String {
    let host = "shared-rw.databases";
    let mut data = BTreeMap::from([
        ("password", "{{ .password }}".to_owned()),
        ("username", app.to_owned()),
    ]);
    if !role {
        let uri = format!("postgresql://{app}:{{{{ .password | urlquery }}}}@{host}:5432/{app}");
        data.extend([
            ("dbname", app.to_owned()),
            ("host", host.to_owned()),
            ("port", "5432".to_owned()),
            ("user", app.to_owned()),
            ("jdbc-uri", format!("jdbc:{uri}")),
            ("uri", uri),
        ]);
    }
    yaml(&Object {
        api_version: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: metadata(app, name.clone(), ns),
        spec: ExternalSecretSpec {
            data: vec![SecretData {
                remote_ref: RemoteRef {
                    key: format!("db/{env}/{app}"),
                    property: "password",
                },
                secret_key: "password",
            }],
            refresh_interval: "1h",
            secret_store_ref: StoreRef {
                kind: "ClusterSecretStore",
                name: "vault",
            },
            target: Target {
                creation_policy: "Owner",
                name,
                template: SecretTemplate {
                    data,
                    engine_version: "v2",
                    kind: "kubernetes.io/basic-auth",
                },
            },
        },
    })
}

/// The floor's whole output, one environment at a time: (path, text).
fn floor_env(apps: usize, env: &str) -> Vec<(String, String)> {
    let mut files = Vec::with_capacity(apps * 4 + 2);
    let instances = if env == "dev" { 1 } else { 3 };
    files.push((
        format!("{env}/databases/cluster-shared.yaml"),
        yaml(&Object {
            api_version: "postgresql.cnpg.io/v1",
            kind: "Cluster",
            metadata: metadata("shared", "shared".to_owned(), "databases"),
            spec: ClusterSpec {
                instances,
                image_name: "ghcr.io/cloudnative-pg/postgresql:17.6".to_owned(),
                storage: Storage {
                    size: "20Gi".to_owned(),
                },
            },
        }),
    ));
    for a in 0..apps {
        let app = format!("app{a}");
        let ns = format!("team{}", a % 17);
        let cluster = || Named {
            name: "shared".to_owned(),
        };
        files.push((
            format!("{env}/databases/database-shared-{app}.yaml"),
            yaml(&Object {
                api_version: "postgresql.cnpg.io/v1",
                kind: "Database",
                metadata: metadata(&app, format!("shared-{app}"), "databases"),
                spec: DatabaseSpec {
                    cluster: cluster(),
                    database_reclaim_policy: "retain",
                    ensure: "present",
                    name: app.clone(),
                    owner: app.clone(),
                },
            }),
        ));
        files.push((
            format!("{env}/databases/databaserole-shared-{app}.yaml"),
            yaml(&Object {
                api_version: "postgresql.cnpg.io/v1",
                kind: "DatabaseRole",
                metadata: metadata(&app, format!("shared-{app}"), "databases"),
                spec: RoleSpec {
                    cluster: cluster(),
                    database_role_reclaim_policy: "retain",
                    login: true,
                    name: app.clone(),
                    password_secret: Named {
                        name: format!("shared-{app}-role"),
                    },
                },
            }),
        ));
        files.push((
            format!("{env}/databases/externalsecret-shared-{app}-role.yaml"),
            external_secret(&app, env, format!("shared-{app}-role"), "databases", true),
        ));
        files.push((
            format!("{env}/{ns}/externalsecret-{app}-postgresql.yaml"),
            external_secret(&app, env, format!("{app}-postgresql"), &ns, false),
        ));
    }
    let prefix = format!("{env}/");
    let mut resources: Vec<String> = files
        .iter()
        .map(|(path, _)| path[prefix.len()..].to_owned())
        .collect();
    resources.sort();
    files.push((
        format!("{env}/kustomization.yaml"),
        yaml(&Kustomization {
            api_version: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            resources,
        }),
    ));
    files
}

fn write_files(root: &Path, files: &[(String, String)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
}

/// One measurement in this process, the way the CLI command does it; prints `key=value`
/// pairs for the parent (CPU seconds and this process's peak RSS).
fn child(mode: &str, apps: usize, dir: &Path) {
    let text = spec(apps);
    if mode == "floor" {
        let (mut build, mut write) = (0.0, 0.0);
        for (env, _) in ENVIRONMENTS {
            let mut files = Vec::new();
            build += timed(|| files = floor_env(apps, env));
            write += timed(|| write_files(dir, &files));
        }
        let (user, sys) = cpu_split();
        println!(
            "build={build} write={write} user={user} sys={sys} rss={}",
            peak_rss_mib()
        );
        return;
    }
    let mut prepared = None;
    let prepare =
        timed(|| prepared = Some(prepare("bench.toml", &text).expect("bench spec is valid")));
    let mut prepared = prepared.unwrap();
    let mut rendered = None;
    let mut written = 0.0;
    let environments = match mode {
        // `dbgen validate`: every environment rendered and verified, then dropped.
        "validate" => timed(|| {
            let counts = prepared.verify_environments().expect("verifies");
            assert!(counts.iter().map(|(_, n)| n).sum::<usize>() > apps);
        }),
        // `dbgen render` / `render --check`: files kept, the gate's change plan.
        "render" | "check" | "rerender" => timed(|| {
            rendered = Some(prepared.render_against(dir, Want::Files).expect("renders"));
        }),
        // `dbgen plan`: every environment's change plan, no file kept.
        "plan" => timed(|| {
            let plan = prepared
                .render_against(dir, Want::Changes)
                .expect("plans")
                .changes;
            assert!(plan.is_empty(), "an unchanged tree plans no change");
        }),
        other => panic!("unknown mode {other}"),
    };
    if let Some(rendered) = rendered {
        written = timed(|| {
            let tree = Tree::new(rendered.files).expect("tree");
            if mode == "check" {
                assert!(tree.check(dir).expect("check").is_empty(), "unchanged tree");
            } else {
                let report = tree.write(dir).expect("write");
                if mode == "rerender" {
                    let changed = report.created.len() + report.updated.len();
                    assert_eq!(changed + report.deleted.len(), 0, "unchanged tree");
                }
            }
        });
    }
    let (user, sys) = cpu_split();
    println!(
        "prepare={prepare} environments={environments} write={written} user={user} sys={sys} rss={}",
        peak_rss_mib()
    );
}

/// Every file under `dir` (the output directory itself included) with its modification time.
fn modified_times(dir: &Path) -> BTreeMap<PathBuf, std::time::SystemTime> {
    let mut times = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        let meta = std::fs::symlink_metadata(&path).expect("stat");
        times.insert(path.clone(), meta.modified().expect("mtime"));
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read_dir") {
                pending.push(entry.expect("entry").path());
            }
        }
    }
    times
}

/// How many times each measurement runs; the table keeps the least CPU time (the run the
/// shared machine disturbed least) and the largest peak RSS.
const RUNS: usize = 5;

/// The better of two measurements of one command: the least CPU time (its figures with
/// it), and the largest peak RSS.
fn better(kept: Option<Measurement>, this: Measurement) -> Measurement {
    let Some(mut kept) = kept else { return this };
    let rss = kept["rss"].max(this["rss"]);
    if measured_cpu(&this) < measured_cpu(&kept) {
        kept = this;
    }
    kept.insert("rss".to_owned(), rss);
    kept
}

/// The CPU seconds of a measurement's timed parts (for the floor build + write; for dbgen
/// prepare + environments + write), not of the whole child process.
fn measured_cpu(m: &Measurement) -> f64 {
    m.iter()
        .filter(|(k, _)| !matches!(k.as_str(), "rss" | "user" | "sys"))
        .map(|(_, v)| v)
        .sum()
}

/// The measured commands, in the order of a round: `validate` writes nothing; `--check`,
/// `plan` and `rerender` (`dbgen render` again) work on the tree that round's render wrote.
const MODES: [&str; 6] = ["floor", "validate", "render", "check", "plan", "rerender"];

/// The table's heading of each of `MODES`.
const HEADINGS: [&str; 6] = [
    "floor",
    "validate",
    "render (empty dir)",
    "render --check",
    "plan (unchanged)",
    "render (unchanged)",
];

/// The table's header line and separator for `first` columns, then one per command of
/// `MODES` (the floor's included when `floor` says so), then `last`.
fn table_header(first: &[&str], floor: bool, last: &[&str]) -> String {
    let skip = usize::from(!floor);
    let columns: Vec<&str> = first
        .iter()
        .copied()
        .chain(HEADINGS.into_iter().skip(skip))
        .chain(last.iter().copied())
        .collect();
    format!(
        "| {} |\n|{}",
        columns.join(" | "),
        "---|".repeat(columns.len())
    )
}

/// One round: every command in `MODES` order, each given the directory it works in (a
/// fresh one, or for the commands on an unchanged tree the one this round's render wrote).
fn round(mut fresh: impl FnMut() -> PathBuf, mut each: impl FnMut(usize, &str, &Path)) {
    let mut rendered = None;
    for (index, mode) in MODES.into_iter().enumerate() {
        let dir = match mode {
            "check" | "plan" | "rerender" => rendered.clone().expect("rendered this round"),
            _ => fresh(),
        };
        if mode == "render" {
            rendered = Some(dir.clone());
        }
        // `dbgen render` over the tree as it was must touch no file (issue 11); checked
        // here, outside the measured process.
        let before = (mode == "rerender").then(|| modified_times(&dir));
        each(index, mode, &dir);
        if let Some(before) = before {
            assert_eq!(
                modified_times(&dir),
                before,
                "render on an unchanged tree touched a file"
            );
        }
    }
}

/// `RUNS` rounds of every command at `apps` apps, the best of each (`better`). Rounds
/// interleave the floor and dbgen, so both meet the same state of the machine and of the
/// file system (a tmpfs slows down as trees accumulate on it; on ext4 recent deletions
/// do), rather than the floor's runs all coming first.
fn rounds(apps: usize, mut fresh: impl FnMut() -> PathBuf) -> Vec<Measurement> {
    let mut best: Vec<Option<Measurement>> = vec![None; MODES.len()];
    for _ in 0..RUNS {
        round(&mut fresh, |index, mode, dir| {
            let this = run(mode, apps, dir);
            best[index] = Some(better(best[index].take(), this));
        });
    }
    best.into_iter()
        .map(|m| m.expect("at least one run"))
        .collect()
}

/// The arguments that make this binary measure `mode` at `apps` apps in `dir` (`child`).
fn child_args(mode: &str, apps: usize, dir: &Path) -> Vec<std::ffi::OsString> {
    let exe = std::env::current_exe().expect("current_exe");
    vec![
        exe.into(),
        "--child".into(),
        mode.into(),
        apps.to_string().into(),
        dir.into(),
    ]
}

fn run(mode: &str, apps: usize, dir: &Path) -> Measurement {
    let args = child_args(mode, apps, dir);
    let out = Command::new(&args[0])
        .args(&args[1..])
        .output()
        .expect("spawn child");
    assert!(
        out.status.success(),
        "{mode} {apps}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.parse().expect("number")))
        .collect()
}

/// A fresh directory for one measurement, kept (in `trees`) until the bench ends.
fn fresh_dir(trees: &mut Vec<tempfile::TempDir>) -> PathBuf {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    trees.push(dir);
    path
}

/// Prints how `what` of each of `MODES` grew from `small` (N) to `large`, with `digits`
/// decimals; a zero at the smaller N (under one tick of the CPU clock) has no ratio.
fn print_growth(
    what: &str,
    (small, large): (usize, usize),
    a: &[f64; MODES.len()],
    b: &[f64; MODES.len()],
    digits: usize,
) {
    let growth: Vec<String> = MODES
        .iter()
        .zip(a.iter().zip(b))
        .map(|(mode, (a, b))| match *a {
            0.0 => format!("{mode} –"),
            a => format!("{mode} {:.digits$}×", b / a),
        })
        .collect();
    println!(
        "{what} growth from N = {small} to {large}: {}",
        growth.join(", ")
    );
}

/// `--instructions N...`: the instructions each command executes in user space, counted by
/// valgrind's callgrind in one round per N, and how they grow from one N to the next.
/// Unlike CPU time, the count is the same from run to run whatever else the machine does,
/// and it leaves out the kernel's work (creating and reading files, faulting in pages),
/// which the floor pays alike: it measures the program's own work. Slow (callgrind runs
/// code about 50 times slower): minutes at N = 5000.
fn instructions(sizes: &[usize]) {
    println!("Instructions executed in user space (valgrind --tool=callgrind), one round per N");
    println!("{}", table_header(&["N"], true, &[]));
    let mut trees = Vec::new();
    let mut counts: Vec<(usize, [u64; MODES.len()])> = Vec::new();
    for &apps in sizes {
        let fresh = || fresh_dir(&mut trees);
        let mut row = [0; MODES.len()];
        round(fresh, |index, mode, dir| {
            let out = Command::new("valgrind")
                .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
                .args(child_args(mode, apps, dir))
                .output()
                .expect("valgrind runs (Debian's package valgrind)");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "{mode} {apps} under valgrind: {stderr}"
            );
            row[index] = stderr
                .lines()
                .find_map(|line| line.split_once("Collected :"))
                .and_then(|(_, n)| n.trim().parse().ok())
                .expect("callgrind's `Collected :` line");
        });
        let cell = |n: u64| {
            let ratio = n as f64 / row[0] as f64;
            format!("{:.2} G ({ratio:.1}×)", n as f64 / 1e9)
        };
        let cells: Vec<String> = row[1..].iter().map(|n| cell(*n)).collect();
        println!(
            "| {apps} | {:.2} G | {} |",
            row[0] as f64 / 1e9,
            cells.join(" | ")
        );
        counts.push((apps, row));
    }
    for pair in counts.windows(2) {
        let [(small, a), (large, b)] = pair else {
            continue;
        };
        let count = |row: &[u64; MODES.len()]| row.map(|n| n as f64);
        print_growth("instruction", (*small, *large), &count(a), &count(b), 2);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, mode, apps, dir] = args.as_slice()
        && flag == "--child"
    {
        child(mode, apps.parse().expect("N"), Path::new(dir));
        return;
    }
    // `--spec N`: prints the generated spec, to profile the CLI on it (valgrind, heaptrack).
    if let [flag, apps] = args.as_slice()
        && flag == "--spec"
    {
        print!("{}", spec(apps.parse().expect("N")));
        return;
    }
    if cfg!(debug_assertions) {
        // `cargo test --all-targets` builds and runs bench targets unoptimised; numbers from
        // that build would mislead, and the run would take minutes.
        println!(
            "compile bench: unoptimised build, nothing measured (run `cargo bench --bench compile`)"
        );
        return;
    }
    let mut sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = vec![100, 1000, 5000];
    }
    if args.iter().any(|a| a == "--instructions") {
        instructions(&sizes);
        return;
    }
    println!(
        "CPU seconds (user+sys; the least of {RUNS} runs) and peak RSS (the largest) of each command's own process; ratios are to the floor's build+write CPU and RSS"
    );
    let rss_heading = format!("peak RSS {}", MODES[1..].join(" / "));
    println!(
        "{}",
        table_header(
            &["N", "floor CPU", "floor RSS"],
            false,
            &[&rss_heading, "render: prepare / environments / write"]
        )
    );
    // Every tree is deleted only at the end: on ext4 without a journal (the CI-class
    // machine), creating a file right after many were deleted scans the recently freed
    // inodes, so a tree deleted between two measurements would slow the next one's writes.
    let mut trees = Vec::new();
    // (N, the measurement of each of `MODES`), for the growth lines.
    let mut measured: Vec<(usize, [Measurement; MODES.len()])> = Vec::new();
    for apps in sizes {
        let mut fresh = || fresh_dir(&mut trees);
        let all: [Measurement; MODES.len()] =
            rounds(apps, &mut fresh).try_into().expect("one per mode");
        let [floor, dbgen @ ..] = &all;
        let render = &all[2];
        let floor_cpu = measured_cpu(floor);
        let ratios: Vec<String> = dbgen
            .iter()
            .map(|m| {
                let x = measured_cpu(m);
                format!("{x:.2} s ({:.1}×)", x / floor_cpu)
            })
            .collect();
        let rss: Vec<String> = dbgen.iter().map(|m| format!("{:.0}", m["rss"])).collect();
        let most = dbgen.iter().map(|m| m["rss"]).fold(0.0, f64::max);
        println!(
            "| {apps} | {floor_cpu:.2} s | {:.0} MiB | {} | {} MiB ({:.1}× at most) | {:.2} / {:.2} / {:.2} s |",
            floor["rss"],
            ratios.join(" | "),
            rss.join(" / "),
            most / floor["rss"],
            render["prepare"],
            render["environments"],
            render["write"],
        );
        measured.push((apps, all));
    }
    // How CPU time grows with N, the floor's beside dbgen's: the part of the growth that is
    // the machine's (memory, file system) shows in the floor too. User time is the
    // program's own work (and its cache misses); system time is the kernel's, mostly
    // creating, reading and faulting in files and pages, which dbgen and the floor share.
    // (what, the child's key for it; none for the timed parts)
    let kinds_of_time = [
        ("CPU", None),
        ("user CPU (whole process)", Some("user")),
        ("system CPU (whole process)", Some("sys")),
    ];
    for pair in measured.windows(2) {
        let [(small, a), (large, b)] = pair else {
            continue;
        };
        if measured_cpu(&a[0]) < 0.1 {
            println!(
                "growth from N = {small} to {large}: not shown, the floor at N = {small} takes a few ticks of the 10 ms CPU clock"
            );
            continue;
        }
        for (what, key) in kinds_of_time {
            let measure = |m: &Measurement| key.map_or_else(|| measured_cpu(m), |k| m[k]);
            let times = |all: &[Measurement; MODES.len()]| all.each_ref().map(measure);
            print_growth(what, (*small, *large), &times(a), &times(b), 1);
        }
    }
}
