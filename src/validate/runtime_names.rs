//! Names the operators create at run time, reserved per namespace.
//!
//! Input: every PostgreSQL cluster and Redis of each environment (all share the
//! environment's namespace). Output: a diagnostic for each cluster or Redis whose name is one
//! CloudNativePG derives for another cluster of the same namespace (its Services, Secrets,
//! `PodDisruptionBudget`, instance Pods and PVCs, Poolers). Invariant: dbgen's duplicate check
//! sees only the objects in the tree; this one sees the objects the operator will add.

use std::collections::BTreeMap;

use super::RedisEnv;
use super::context::Context;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::spec::Engine;

/// CloudNativePG's fixed suffixes of a cluster's objects, with what each one is.
const CNPG_SUFFIXES: [(&str, &str); 10] = [
    ("rw", "the read-write Service"),
    ("ro", "the read-only Service"),
    ("r", "the read Service"),
    ("any", "the every-instance Service"),
    ("ca", "the CA Secret"),
    ("server", "the server certificate Secret"),
    ("app", "the application user Secret"),
    ("superuser", "the superuser Secret"),
    (
        "replication",
        "the streaming replication certificate Secret",
    ),
    ("primary", "the primary's PodDisruptionBudget"),
];

/// What `name` is among the objects CloudNativePG derives from cluster `cluster`, if any.
pub(super) fn cnpg_derived(cluster: &str, name: &str) -> Option<&'static str> {
    let suffix = name.strip_prefix(cluster)?.strip_prefix('-')?;
    if let Some((_, what)) = CNPG_SUFFIXES.iter().find(|(s, _)| *s == suffix) {
        return Some(what);
    }
    let instance = suffix.strip_suffix("-wal").unwrap_or(suffix);
    if !instance.is_empty() && instance.bytes().all(|b| b.is_ascii_digit()) {
        return Some(if suffix.ends_with("-wal") {
            "an instance's WAL PVC"
        } else {
            "an instance Pod and its PVC"
        });
    }
    suffix
        .starts_with("pooler-")
        .then_some("a name of the cluster's Poolers")
}

struct Owner {
    name: String,
    what: String,
    span: Option<Span>,
}

pub(super) fn check(cx: &mut Context<'_>, redis: &BTreeMap<String, Vec<RedisEnv>>) {
    for env in cx.spec().environments.keys() {
        let mut owners = Vec::new();
        let mut cnpg = Vec::new();
        for entry in cx.clusters.iter().filter(|c| c.in_env(env)) {
            let Ok(name) = entry.name(env) else { continue };
            let mut at: Vec<&str> = entry.prefix.iter().map(String::as_str).collect();
            at.push("name");
            let span = cx.at(&at).or_else(|| cx.key(&["postgres", &entry.key]));
            if entry.spec.engine == Engine::Cnpg {
                cnpg.push((name.clone(), entry.describe()));
            }
            owners.push(Owner {
                name,
                what: entry.describe(),
                span,
            });
        }
        for r in redis.get(env).into_iter().flatten() {
            owners.push(Owner {
                name: r.name.clone(),
                what: format!("Redis `{}`", r.key),
                span: cx
                    .at(&["redis", &r.key, "name"])
                    .or_else(|| cx.key(&["redis", &r.key])),
            });
        }
        for owner in &owners {
            for (cluster, describe) in &cnpg {
                let Some(what) = cnpg_derived(cluster, &owner.name) else {
                    continue;
                };
                cx.push(
                    Diagnostic::error(
                        "name-collision",
                        owner.span.clone(),
                        format!(
                            "{} is named `{}` in environment `{env}`: {what} CloudNativePG creates for {describe}",
                            owner.what, owner.name
                        ),
                    )
                    .with_label("collides with a name the operator creates at run time")
                    .with_help(format!(
                        "in one namespace, CloudNativePG reserves `{cluster}-rw`, `-ro`, `-r`, `-any`, `-ca`, `-server`, `-app`, `-superuser`, `-replication`, `-primary`, `-<n>`, `-<n>-wal` and `-pooler-*`; choose another name"
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cnpg_derived;

    #[test]
    fn names_cnpg_derives() {
        assert_eq!(
            cnpg_derived("main", "main-rw"),
            Some("the read-write Service")
        );
        assert!(cnpg_derived("main", "main-1").is_some());
        assert!(cnpg_derived("main", "main-12-wal").is_some());
        assert!(cnpg_derived("main", "main-pooler-rw").is_some());
        assert!(cnpg_derived("main", "main").is_none());
        assert!(cnpg_derived("main", "main-cache").is_none());
        assert!(cnpg_derived("main", "mainrw").is_none());
        assert!(cnpg_derived("main", "main-").is_none());
    }
}
