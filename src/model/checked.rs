//! The output of `validate` and the only input of `plan`.
//!
//! Input: nothing (types only; `validate::check` builds a `Checked`).
//! Output: `Checked`: the spec with each environment x cluster's merged settings, the
//! clusters and Redis servers rendered per environment, and the warnings.
//! Invariant: every value is already checked: names are valid and unique, references
//! resolve, quantities parse, so `plan` reads without falling back.

use std::collections::BTreeMap;

use super::merged::{Merged, RedisEnv};
use super::secrets::Secrets;
use super::topology::{self, ClusterEntry};
use super::values::{Platform, PostgresVersion};
use crate::diagnostic::Diagnostic;
use crate::spec::{App, Spec};

/// A spec that passed every check, with its merged per-environment settings. Only
/// `validate::check` builds one (the fields are `pub(crate)` for that alone; everything
/// else reads through the methods).
#[derive(Debug, Clone)]
pub struct Checked {
    pub(crate) spec: Spec,
    pub(crate) platform: Platform,
    pub(crate) secrets: Secrets,
    /// `[gitops]` resolved; `None` without the table.
    pub(crate) gitops: Option<super::gitops::Gitops>,
    /// The cluster namespace (`platform.namespace` expanded), by environment.
    pub(crate) namespaces: BTreeMap<String, String>,
    /// Each app's namespace (its `namespace` expanded), by (environment, app key).
    pub(crate) app_namespaces: BTreeMap<(String, String), String>,
    pub(crate) clusters: Vec<ClusterEntry>,
    /// (environment, cluster key) → Cluster object name.
    pub(crate) names: BTreeMap<(String, String), String>,
    pub(crate) merged: BTreeMap<(String, String), Merged>,
    /// Each cluster's PostgreSQL version, by cluster key: every cluster whose engine reads
    /// it (validate checked it; a CloudNativePG cluster with its own `image` may be absent).
    pub(crate) versions: BTreeMap<String, PostgresVersion>,
    /// Redis rendered in each environment, by environment.
    pub(crate) redis: BTreeMap<String, Vec<RedisEnv>>,
    pub(crate) warnings: Vec<Diagnostic>,
    pub(crate) safety: crate::change::Safety,
    /// Why `render --stdout` is refused (the sharded layout), located at the spec.
    pub(crate) stream_refusal: Option<Diagnostic>,
}

impl Checked {
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// The located error `render --stdout` reports for this spec, if it refuses it.
    pub fn stream_refusal(&self) -> Option<&Diagnostic> {
        self.stream_refusal.as_ref()
    }

    /// `[platform]` with its defaults applied.
    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// `[gitops]` resolved for its tool, if the spec has the table.
    pub fn gitops(&self) -> Option<&super::gitops::Gitops> {
        self.gitops.as_ref()
    }

    /// `[secrets]` resolved for its provider.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// The namespace of every cluster (and Redis) in `env`.
    pub fn namespace(&self, env: &str) -> &str {
        &self.namespaces[env]
    }

    /// The namespace of app `app` (a key) in `env`.
    pub fn app_namespace(&self, env: &str, app: &str) -> &str {
        &self.app_namespaces[&(env.to_string(), app.to_string())]
    }

    /// Settings of `cluster` in `env`; every (environment, cluster) pair is present.
    pub fn merged(&self, env: &str, cluster: &str) -> &Merged {
        &self.merged[&(env.to_string(), cluster.to_string())]
    }

    /// The PostgreSQL version of `cluster` (a key), for the engines that read it: the
    /// statefulset engine always has one (validate refuses a spec without).
    pub fn postgres_version(&self, cluster: &str) -> &PostgresVersion {
        &self.versions[cluster]
    }

    /// The clusters rendered in `env`: shared ones by key, then dedicated ones by app.
    pub fn clusters_in<'a>(&'a self, env: &'a str) -> impl Iterator<Item = &'a ClusterEntry> {
        self.clusters.iter().filter(move |c| c.in_env(env))
    }

    /// The Cluster object name of `cluster` (a key) in `env`.
    pub fn cluster_name(&self, env: &str, cluster: &str) -> &str {
        &self.names[&(env.to_string(), cluster.to_string())]
    }

    /// The cluster key holding each app's database, by app.
    pub fn apps_of<'a>(&'a self, cluster: &'a str) -> impl Iterator<Item = (&'a String, &'a App)> {
        self.spec
            .apps
            .iter()
            .filter(move |(k, a)| topology::app_cluster(k, a) == Some(cluster))
    }

    /// The Redis servers rendered in `env`, by key.
    pub fn redis_in(&self, env: &str) -> &[RedisEnv] {
        self.redis.get(env).map_or(&[], Vec::as_slice)
    }

    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Protected environments and `[[acknowledge]]` entries, for the change plan.
    pub fn safety(&self) -> &crate::change::Safety {
        &self.safety
    }
}
