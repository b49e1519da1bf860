//! Text forms of `dbgen list` and `dbgen explain app`.
//!
//! Input: the library's inventory (`crate::inventory`). Output: the text printed on stdout.
//! Invariant: pure formatting, deterministic, no colour: these texts are golden outputs.

use std::fmt::Write as _;

use super::table;
use crate::inventory::{Connection, EnvInventory, Resources, format_bytes, format_cpu};

fn limit(value: Option<u64>, format: fn(u64) -> String) -> String {
    value.map_or_else(|| "none".to_owned(), format)
}

fn resource_cells(r: &Resources) -> [String; 4] {
    [
        format_cpu(r.cpu_request_millis),
        limit(r.cpu_limit_millis, format_cpu),
        format_bytes(r.memory_request_bytes),
        limit(r.memory_limit_bytes, format_bytes),
    ]
}

/// `dbgen list` as text: one block per environment.
pub(super) fn list(environments: &[EnvInventory]) -> String {
    let mut out = String::new();
    for (i, env) in environments.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "environment {}", env.name);
        let mut rows = vec![
            [
                "WORKLOAD",
                "NAMESPACE/NAME",
                "PODS",
                "CPU REQ",
                "CPU LIM",
                "MEM REQ",
                "MEM LIM",
                "STORAGE",
            ]
            .map(str::to_owned)
            .to_vec(),
        ];
        for w in &env.workloads {
            let total = w.per_pod;
            let [cr, cl, mr, ml] = resource_cells(&total);
            rows.push(vec![
                w.kind.clone(),
                format!("{}/{}", w.namespace, w.name),
                w.pods.to_string(),
                cr,
                cl,
                mr,
                ml,
                format_bytes(w.storage_per_pod_bytes),
            ]);
        }
        for v in &env.volumes {
            rows.push(vec![
                "volume".to_owned(),
                format!("{}/{}", v.namespace, v.name),
                "-".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
                format_bytes(v.bytes),
            ]);
        }
        let [cr, cl, mr, ml] = resource_cells(&env.totals.resources);
        rows.push(vec![
            "total".to_owned(),
            String::new(),
            env.totals.pods.to_string(),
            cr,
            cl,
            mr,
            ml,
            format_bytes(env.totals.storage_bytes),
        ]);
        out.push_str(&table::layout(&rows, "  "));
        out.push_str("  (per-pod requests and limits; totals multiply by pods; storage: per pod for workloads)\n");
        let mut facts = vec![
            vec!["apps".to_owned(), join(&env.apps)],
            vec!["databases".to_owned(), join(&env.databases)],
            vec!["roles".to_owned(), join(&env.roles)],
        ];
        let secrets: Vec<String> = env
            .secrets
            .iter()
            .map(|s| format!("{}/{}", s.namespace, s.name))
            .collect();
        facts.push(vec![format!("secrets ({})", secrets.len()), join(&secrets)]);
        let scheduled: Vec<String> = env
            .scheduled
            .iter()
            .map(|s| format!("{} {}/{} `{}`", s.kind, s.namespace, s.name, s.schedule))
            .collect();
        facts.push(vec!["scheduled".to_owned(), join(&scheduled)]);
        out.push_str(&table::layout(&facts, "  "));
    }
    out
}

fn join(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join(", ")
    }
}

/// `dbgen explain app` as text: one block per connection Secret.
pub(super) fn explain(app: &str, connections: &[&Connection]) -> String {
    let mut out = String::new();
    let mut current_env = "";
    for c in connections {
        if c.environment != current_env {
            if !current_env.is_empty() {
                out.push('\n');
            }
            current_env = &c.environment;
            let _ = writeln!(out, "app {app} in environment {}", c.environment);
        }
        let engine = match (c.engine.as_str(), c.read_only) {
            ("postgres", false) => "PostgreSQL",
            ("postgres", true) => "PostgreSQL, read-only",
            _ => "Redis",
        };
        let _ = writeln!(
            out,
            "  {engine} `{}`: Secret {} in namespace {}",
            c.instance, c.secret, c.namespace
        );
        let mut rows = vec![vec!["keys".to_owned(), c.keys.join(", ")]];
        if let Some(db) = &c.database {
            rows.push(vec!["database".to_owned(), db.clone()]);
        }
        if let Some(user) = &c.user {
            rows.push(vec!["user".to_owned(), user.clone()]);
        }
        if let Some(host) = &c.host {
            let port = c.port.as_deref().unwrap_or("?");
            rows.push(vec!["host".to_owned(), format!("{host}:{port}")]);
        }
        if let Some(pooled) = &c.pooled_host {
            rows.push(vec!["pooled host".to_owned(), pooled.clone()]);
        }
        if let Some(sentinel) = &c.sentinel_host {
            rows.push(vec!["sentinel host".to_owned(), sentinel.clone()]);
        }
        for remote in &c.remote {
            rows.push(vec![
                "store must hold".to_owned(),
                format!(
                    "{}: key `{}`, property `{}`",
                    remote.store, remote.key, remote.property
                ),
            ]);
        }
        if c.backups.is_empty() {
            rows.push(vec!["backups".to_owned(), "none".to_owned()]);
        }
        for backup in &c.backups {
            rows.push(vec![
                "backups".to_owned(),
                format!(
                    "{} {}/{} `{}`",
                    backup.kind, backup.namespace, backup.name, backup.schedule
                ),
            ]);
        }
        out.push_str(&table::layout(&rows, "    "));
    }
    out
}
