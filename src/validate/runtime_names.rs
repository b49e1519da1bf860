//! Names the operators create at run time, reserved per namespace.
//!
//! Input: every PostgreSQL cluster and Redis of each environment (all share the
//! environment's namespace). Output: a diagnostic for each cluster or Redis whose name is one
//! CloudNativePG derives for another cluster of the same namespace (its Services, Secrets,
//! `PodDisruptionBudget`, instance Pods and PVCs, Poolers), or the Bitnami `postgresql-ha`
//! or `redis` chart derives from a release's fullname; and for each pair of workloads whose
//! pods would claim PVCs of the same names. Invariant: dbgen's duplicate check
//! sees only the objects in the tree; this one sees the objects the operator will add.

use std::collections::BTreeMap;

use super::context::Context;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::RedisEnv;
use crate::source::Span;
use crate::spec::{Engine, RedisEngine};

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

/// What `name` is among the objects the Bitnami `postgresql-ha` chart derives from the
/// release whose fullname is `cluster` (`fullnameOverride`: the spec's `fullname`, else the
/// cluster name).
pub(super) fn bitnami_derived(cluster: &str, name: &str) -> Option<&'static str> {
    let suffix = name.strip_prefix(cluster)?.strip_prefix('-')?;
    match suffix {
        "postgresql" => Some("the PostgreSQL StatefulSet and Service"),
        "postgresql-headless" => Some("the headless Service"),
        "pgpool" => Some("the Pgpool Deployment and Service"),
        "witness" | "ldap" | "metrics" => Some("an object"),
        _ if suffix.starts_with("postgresql-") || suffix.starts_with("pgpool-") => {
            Some("an object (instance Pods, configuration, Secrets)")
        }
        _ => None,
    }
}

/// What `name` is among the objects the Bitnami `redis` chart (Sentinel) derives from the
/// release whose fullname is `redis` (dbgen sets `fullnameOverride` to the Redis name); read
/// from the pinned chart's `helm template` output (tests/charts/redis).
pub(super) fn redis_chart_derived(redis: &str, name: &str) -> Option<&'static str> {
    let suffix = name.strip_prefix(redis)?.strip_prefix('-')?;
    match suffix {
        "node" => Some("the Sentinel StatefulSet and PodDisruptionBudget"),
        "headless" | "master" | "metrics" | "replicas" => Some("a Service"),
        "configuration" | "health" | "scripts" | "kubectl-scripts" => Some("a ConfigMap"),
        _ => suffix
            .strip_prefix("node-")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .then_some("a Sentinel node Pod and its Service"),
    }
}

/// The prefix of the PVCs a workload's pods claim at run time (`<prefix>-<n>`): CNPG names
/// them after the cluster; a `StatefulSet` after its claim template and itself.
fn pvc_prefix(engine: &Workload, name: &str) -> String {
    match engine {
        Workload::Cnpg => name.to_owned(),
        Workload::StatefulSet => format!("data-{name}"),
        Workload::BitnamiPostgres(fullname) => format!("data-{fullname}-postgresql"),
        Workload::BitnamiRedis => format!("redis-data-{name}-node"),
    }
}

enum Workload {
    Cnpg,
    StatefulSet,
    /// With the chart's fullname.
    BitnamiPostgres(String),
    BitnamiRedis,
}

struct Owner {
    name: String,
    what: String,
    span: Option<Span>,
    workload: Workload,
}

#[derive(Clone, Copy)]
enum Operator {
    Cnpg,
    Bitnami,
    BitnamiRedis,
}

pub(super) fn check(cx: &mut Context<'_>, redis: &BTreeMap<String, Vec<RedisEnv>>) {
    for env in cx.spec().environments.keys() {
        let mut owners = Vec::new();
        // The clusters whose operator or chart derives names at run time.
        let mut cnpg = Vec::new();
        for entry in cx.clusters.iter().filter(|c| c.in_env(env)) {
            let Ok(name) = entry.name(env) else { continue };
            let mut at: Vec<&str> = entry.prefix.iter().map(String::as_str).collect();
            at.push("name");
            let span = cx.at(&at).or_else(|| cx.key(&["postgres", &entry.key]));
            let workload = match entry.spec.engine {
                Engine::Cnpg => {
                    cnpg.push((name.clone(), entry.describe(), Operator::Cnpg));
                    Workload::Cnpg
                }
                Engine::Bitnami => {
                    // The chart prefixes its objects with `fullname` when the spec adopts one.
                    let fullname = entry.spec.fullname.clone().unwrap_or_else(|| name.clone());
                    cnpg.push((fullname.clone(), entry.describe(), Operator::Bitnami));
                    Workload::BitnamiPostgres(fullname)
                }
                Engine::Statefulset => Workload::StatefulSet,
            };
            owners.push(Owner {
                name,
                what: entry.describe(),
                span,
                workload,
            });
        }
        for r in redis.get(env).into_iter().flatten() {
            let workload = match r.engine {
                RedisEngine::BitnamiSentinel => {
                    let describe = format!("Redis `{}`", r.key);
                    cnpg.push((r.name.clone(), describe, Operator::BitnamiRedis));
                    Workload::BitnamiRedis
                }
                RedisEngine::Statefulset => Workload::StatefulSet,
            };
            owners.push(Owner {
                name: r.name.clone(),
                what: format!("Redis `{}`", r.key),
                span: cx
                    .at(&["redis", &r.key, "name"])
                    .or_else(|| cx.key(&["redis", &r.key])),
                workload,
            });
        }
        pvc_collisions(cx, env, &owners);
        for owner in &owners {
            for (cluster, describe, operator) in &cnpg {
                let derived = match operator {
                    Operator::Cnpg => cnpg_derived(cluster, &owner.name),
                    Operator::Bitnami => bitnami_derived(cluster, &owner.name),
                    Operator::BitnamiRedis => redis_chart_derived(cluster, &owner.name),
                };
                let Some(what) = derived else {
                    continue;
                };
                let (creator, reserved) = match operator {
                    Operator::Cnpg => (
                        "CloudNativePG",
                        format!(
                            "`{cluster}-rw`, `-ro`, `-r`, `-any`, `-ca`, `-server`, `-app`, `-superuser`, `-replication`, `-primary`, `-<n>`, `-<n>-wal` and `-pooler-*`"
                        ),
                    ),
                    Operator::Bitnami => (
                        "the Bitnami postgresql-ha chart",
                        format!(
                            "`{cluster}-postgresql`, `-postgresql-*`, `-pgpool`, `-pgpool-*`, `-witness`, `-ldap` and `-metrics`"
                        ),
                    ),
                    Operator::BitnamiRedis => (
                        "the Bitnami redis chart",
                        format!(
                            "`{cluster}-node`, `-node-<n>`, `-headless`, `-master`, `-replicas`, `-metrics`, `-configuration`, `-health`, `-scripts` and `-kubectl-scripts`"
                        ),
                    ),
                };
                cx.push(
                    Diagnostic::error(
                        Code::NameCollision,
                        owner.span.clone(),
                        format!(
                            "{} is named `{}` in environment `{env}`: {what} {creator} creates for {describe}",
                            owner.what, owner.name
                        ),
                    )
                    .with_label("collides with a name the operator creates at run time")
                    .with_help(format!(
                        "in one namespace, {creator} reserves {reserved}; choose another name"
                    )),
                );
            }
        }
    }
}

/// Two workloads whose pods claim PVCs of the same names (`<prefix>-<n>`): the second
/// would bind the first one's volumes, e.g. CNPG cluster `data-pg` and `StatefulSet` `pg`.
fn pvc_collisions(cx: &mut Context<'_>, env: &str, owners: &[Owner]) {
    let mut seen: BTreeMap<String, &Owner> = BTreeMap::new();
    for owner in owners {
        let prefix = pvc_prefix(&owner.workload, &owner.name);
        let Some(first) = seen.get(&prefix) else {
            seen.insert(prefix, owner);
            continue;
        };
        // Two workloads of one name are refused as such already.
        if first.name == owner.name {
            continue;
        }
        cx.push(
            Diagnostic::error(
                Code::NameCollision,
                owner.span.clone(),
                format!(
                    "{} is named `{}` in environment `{env}`: its pods claim PVCs `{prefix}-<n>`, as the pods of {} do",
                    owner.what, owner.name, first.what
                ),
            )
            .with_label("claims another workload's volumes at run time")
            .with_help(
                "a pod binds an existing PVC of its name, so one would start on the other's data; choose another name (PVCs are `<cluster>-<n>` for CloudNativePG, `data-<name>-<n>` for a StatefulSet, `data-<name>-postgresql-<n>` and `redis-data-<name>-node-<n>` for the Bitnami charts)"
            ),
        );
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
        assert!(super::bitnami_derived("pg", "pg-pgpool").is_some());
        assert!(super::bitnami_derived("pg", "pg-postgresql-0").is_some());
        assert!(super::bitnami_derived("pg", "pg-cache").is_none());
        assert!(super::redis_chart_derived("cache", "cache-node").is_some());
        assert!(super::redis_chart_derived("cache", "cache-node-2").is_some());
        assert!(super::redis_chart_derived("cache", "cache-headless").is_some());
        assert!(super::redis_chart_derived("cache", "cache-node-x").is_none());
        assert!(super::redis_chart_derived("cache", "cache").is_none());
    }
}
