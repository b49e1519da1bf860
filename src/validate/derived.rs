//! Checks of what each environment will actually contain, once every cluster's settings are
//! merged: names dbgen or a chart derives from a cluster name stay within their kind's
//! limit, and every app has its cluster wherever the app is rendered.
//!
//! Input: the context and the merged settings of every (environment, cluster) pair.
//! Output: diagnostics at the spec value that produced the name or the reference.
//! Invariant: a name checked here is built by the same `plan` function that writes it.

use std::collections::{BTreeMap, BTreeSet};

use super::context::Context;
use super::topology::{self, ClusterEntry};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Merged;
use crate::model::owned::JOB_NAME_EXTRA;
use crate::source::Span;
use crate::spec::Engine;

/// The Kubernetes API refuses a CronJob name longer than 52 characters: it appends an
/// 11-character suffix to name each Job, and a Job's name is a 63-character label value.
const CRONJOB_NAME_MAX: usize = 52;
/// A Job's name becomes the `job-name` label of its pods.
const JOB_NAME_MAX: usize = 63;
/// A `StatefulSet`'s name plus `-` and a 10-character hash is its pods'
/// `controller-revision-hash` label value (at most 63), so longer names never start pods.
const STATEFULSET_NAME_MAX: usize = 52;
/// The `postgresql-ha` chart (`postgresql-ha.validateValues.nodesHostnames`) refuses to
/// render when `<fullname>-postgresql-00.<fullname>-postgresql-headless` is longer than
/// Pgpool's 128-character backend host name.
const PGPOOL_HOSTNAME_MAX: usize = 128;

pub(super) fn check(cx: &mut Context<'_>, merged: &BTreeMap<(String, String), Merged>) {
    let mut reported = BTreeSet::new();
    for ((env, key), settings) in merged {
        let Some(entry) = cx.clusters.iter().find(|c| &c.key == key) else {
            continue;
        };
        let Ok(name) = entry.name(env) else { continue };
        // The tightest limit says how short the name must be; one error per name.
        let Some(worst) = derived_names(entry, &name, settings)
            .into_iter()
            .filter(|d| d.length > d.max)
            .max_by_key(|d| d.length - d.max)
        else {
            continue;
        };
        if !reported.insert((key.clone(), worst.name.clone())) {
            continue;
        }
        let mut diagnostic = Diagnostic::error(
            Code::NameTooLong,
            name_span(cx, entry),
            format!(
                "{} `{}` of {} in environment `{env}` is {} characters long; the limit is {}",
                worst.kind,
                worst.name,
                entry.describe(),
                worst.length,
                worst.max
            ),
        )
        .with_label(format!("cluster name `{name}` is too long"))
        .with_help(format!(
            "shorten the cluster name to at most {} characters",
            name.len() - (worst.length - worst.max)
        ));
        if worst.kind == "CronJob"
            && let Some(table) = settings
                .logical_backup
                .as_ref()
                .and_then(|l| l.table.clone())
        {
            diagnostic = diagnostic.with_related(table, "logical backups turned on here");
        }
        cx.push(diagnostic);
    }
    apps_without_cluster(cx);
}

/// A name derived from the cluster name, and its kind's limit.
struct Derived {
    kind: &'static str,
    /// As shown in messages (a hash written as `<hash>`).
    name: String,
    length: usize,
    max: usize,
}

impl Derived {
    fn new(kind: &'static str, name: String, max: usize) -> Self {
        Self {
            kind,
            length: name.len(),
            name,
            max,
        }
    }
}

/// Every name derived from cluster `name` that has a limit of its own.
fn derived_names(entry: &ClusterEntry, name: &str, settings: &Merged) -> Vec<Derived> {
    let mut names = Vec::new();
    if settings.logical_backup.is_some() {
        names.push(Derived::new(
            "CronJob",
            crate::model::owned::logical_backup(name),
            CRONJOB_NAME_MAX,
        ));
    }
    if entry.spec.engine == Engine::Bitnami {
        let statefulset = format!("{name}-postgresql");
        names.push(Derived {
            kind: "provisioning Job",
            name: format!("{name}-provision-<hash>"),
            length: name.len() + JOB_NAME_EXTRA,
            max: JOB_NAME_MAX,
        });
        names.push(Derived::new(
            "chart's Pgpool backend host name",
            format!("{statefulset}-00.{statefulset}-headless"),
            PGPOOL_HOSTNAME_MAX,
        ));
        names.push(Derived::new(
            "chart's StatefulSet",
            statefulset,
            STATEFULSET_NAME_MAX,
        ));
    }
    names
}

/// The `name` pattern that made the cluster name, else the cluster's table.
fn name_span(cx: &Context<'_>, entry: &ClusterEntry) -> Option<Span> {
    let mut path: Vec<&str> = entry.prefix.iter().map(String::as_str).collect();
    path.push("name");
    cx.at(&path).or_else(|| match &entry.dedicated_for {
        Some(app) => cx.key(&["apps", app]),
        None => cx.key(&["postgres", &entry.key]),
    })
}

/// An app whose cluster is not rendered in some environments would silently have no
/// database, role or Secret there: an error naming the app and those environments.
fn apps_without_cluster(cx: &mut Context<'_>) {
    let spec = cx.spec();
    for (key, app) in &spec.apps {
        let Some(cluster) = topology::app_cluster(key, app) else {
            continue;
        };
        let Some(entry) = cx.clusters.iter().find(|c| c.key == cluster) else {
            continue;
        };
        let missing: Vec<String> = spec
            .environments
            .keys()
            .filter(|env| !entry.in_env(env))
            .map(|env| format!("`{env}`"))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let span = cx
            .at(&["apps", key, "postgres"])
            .or_else(|| cx.key(&["apps", key]));
        let mut diagnostic = Diagnostic::error(
            Code::MissingCluster,
            span,
            format!(
                "app `{key}` uses cluster `{cluster}`, which is not rendered in environment{} {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ),
        )
        .with_label("the app would have no database, role or Secret there")
        .with_help(format!(
            "add those environments to `environments` of cluster `{cluster}`, or move the app to a cluster rendered everywhere"
        ));
        if let Some(at) = cx.at(&["postgres", cluster, "environments"]) {
            diagnostic = diagnostic.with_related(at, "the environments the cluster is rendered in");
        }
        cx.push(diagnostic);
    }
}
