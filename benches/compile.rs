//! Speed and memory of a whole compile (spec → verified tree, nothing written) on a
//! large generated spec: 4 environments × 10 PostgreSQL clusters of every engine
//! (`cnpg`, `statefulset`, `bitnami`) × 200 apps, and 4 Redis servers of both engines. Run with
//! `cargo bench --bench compile`; prints the median wall time and peak RSS.
#![allow(clippy::print_stdout)]

use std::fmt::Write as _;
use std::time::Instant;

fn spec(clusters: usize, apps: usize) -> String {
    let mut text = String::from(
        "[platform]\nname = \"bench\"\nnamespace = \"db-{env}\"\n\n\
         [environments.dev]\nprofile = \"small\"\n[environments.qa]\nprofile = \"small\"\n\
         [environments.staging]\nprofile = \"medium\"\n[environments.prod]\nprofile = \"large\"\n\n\
         [secrets]\nprovider = \"external-secrets\"\nstore = \"vault\"\nkey = \"db/{env}/{app}\"\n\n\
         [bitnami]\nimages = \"bitnamilegacy\"\n\n",
    );
    for c in 0..clusters {
        let engine = match c % 3 {
            0 => "engine = \"cnpg\"",
            1 => "engine = \"statefulset\"\ncredentials_key = \"infra/{env}/{cluster}\"",
            _ => "engine = \"bitnami\"\ncredentials_key = \"infra/{env}/{cluster}\"",
        };
        let _ = write!(
            text,
            "[postgres.pg{c}]\n{engine}\nversion = \"17.6\"\nstorage_class = \"fast\"\n\
             logical_backup = {{ credentials_key = \"infra/{{env}}/{{cluster}}-backup\" }}\n\n"
        );
        let _ = write!(
            text,
            "[postgres.pg{c}.env.prod]\n{}storage = \"200Gi\"\n\n",
            if c % 3 == 1 { "" } else { "instances = 3\n" }
        );
    }
    for r in 0..4 {
        let engine = if r % 2 == 0 {
            "engine = \"bitnami-sentinel\"\nversion = \"8.2.1\"\nreplicas = 3"
        } else {
            "engine = \"statefulset\"\nversion = \"8.2.1\"\nmaxmemory = \"512mb\""
        };
        let _ = write!(
            text,
            "[redis.cache{r}]\n{engine}\nstorage = \"2Gi\"\ncredentials_key = \"infra/{{env}}/{{cluster}}\"\n\
             backup = {{ schedule = \"0 3 * * *\" }}\n\n"
        );
    }
    for a in 0..apps {
        let _ = write!(
            text,
            "[apps.app{a}]\npostgres = \"pg{}\"\nredis = \"cache{}\"\nnamespace = \"team{}\"\nextensions = [\"pg_trgm\"]\n\n",
            a % clusters,
            a % 4,
            a % 17
        );
    }
    text
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let text = spec(10, 200);
    let mut times = Vec::new();
    let mut files = 0;
    for _ in 0..7 {
        let start = Instant::now();
        let compiled = dbgen::pipeline::compile("bench.toml", &text).expect("bench spec compiles");
        let tree = compiled.tree().expect("tree");
        files = tree.files().len();
        times.push(start.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "compile: {} bytes of spec → {files} files; median {:.1} ms over {} runs (min {:.1} ms); peak RSS {} KiB",
        text.len(),
        median.as_secs_f64() * 1e3,
        times.len(),
        times[0].as_secs_f64() * 1e3,
        peak_rss_kib().map_or_else(|| "?".to_string(), |k| k.to_string())
    );
}
