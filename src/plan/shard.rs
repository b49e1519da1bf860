//! The sharded layout (`[output] layout = "sharded"`): a pass over one planned
//! environment that regroups its objects into units `GitOps` tools sync independently.
//!
//! Input: an `EnvPlan` as the environment layout planned it (paths `<env>/<rest>`) and the
//! spec's `[gitops]`. Output: the same objects at `<env>/<unit>/<rest>`, one
//! `kustomization.yaml` per unit (plus its `cluster-scoped/` one when it has such
//! objects), and, with `[gitops]`, the Argo CD or Flux objects under `<env>/gitops/`.
//! Units: `platform` (objects of no single cluster: the `ClusterSecretStore`, Secrets
//! shared by the clusters of a namespace), `clusters/<cluster>` (objects labelled with the
//! cluster as `app.kubernetes.io/instance` and no app) and `apps/<app>` (objects labelled
//! with the app as `app.kubernetes.io/name`, whichever cluster or namespace they are in),
//! except where a cluster provisions its roles with a `Job` (engines without an operator):
//! the role Secrets that Job mounts, in the cluster's namespace, stay in the cluster's unit,
//! since a unit synced first cannot wait for an input of a unit synced after it.
//! Invariant: the pass reads only paths and labels, so it is independent of how each
//! object was planned; no object changes (same documents, same bytes), only its file and
//! the kustomization listing it. An app's unit depends only on its own name, so adding or
//! removing an app never moves another app's objects to another unit.

use std::collections::{BTreeMap, BTreeSet};

use super::gitops::{self, Unit};
use super::{EnvPlan, Kind, KustomizationPlan, Object, unit_kustomizations};
use crate::model::Gitops;
use crate::spec::Spec;

/// Directory of the environment-wide unit.
pub(super) const PLATFORM_DIR: &str = "platform";
/// Parent directory of the cluster units.
pub(super) const CLUSTERS_DIR: &str = "clusters";
/// Parent directory of the app units.
pub(super) const APPS_DIR: &str = "apps";
/// Directory of the Argo CD or Flux objects (the one directory a user points Argo CD or Flux at).
pub(super) const GITOPS_DIR: &str = "gitops";

const APP_LABEL: &str = "app.kubernetes.io/name";
const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// Regroups one planned environment into units.
pub(super) fn apply(spec: &Spec, gitops: Option<&Gitops>, env: &mut EnvPlan) {
    let root = format!("{}/", env.name);
    let provisioned = provisioned_by_job(&env.objects);
    let mut units: BTreeMap<Unit, Vec<usize>> = BTreeMap::new();
    for (index, object) in env.objects.iter_mut().enumerate() {
        let unit = unit_of(object, &provisioned);
        // not spec data: every path plan builds starts with its environment's directory.
        let rest = object.path.strip_prefix(&root).unwrap_or(&object.path);
        object.path = format!("{root}{}/{rest}", unit.dir());
        units.entry(unit).or_default().push(index);
    }
    let mut kustomizations: Vec<KustomizationPlan> = Vec::new();
    for (unit, members) in &units {
        let objects: Vec<&Object> = members.iter().map(|&i| &env.objects[i]).collect();
        kustomizations.extend(unit_kustomizations(
            &format!("{root}{}", unit.dir()),
            &objects,
        ));
    }
    let dependencies = dependencies(&env.objects, &units);
    if let Some(settings) = gitops {
        let objects = gitops::objects(spec, settings, &env.name, &dependencies);
        // A kustomization per directory: `gitops/` and each of its bucket directories.
        let mut directories: BTreeMap<&str, Vec<&Object>> = BTreeMap::new();
        for object in &objects {
            let dir = object.path.rsplit_once('/').map_or("", |(dir, _)| dir);
            directories.entry(dir).or_default().push(object);
        }
        for (dir, files) in directories {
            kustomizations.extend(unit_kustomizations(dir, &files));
        }
        env.objects.extend(objects);
    }
    env.objects.sort_by(|a, b| a.path.cmp(&b.path));
    kustomizations.sort_by(|a, b| a.path.cmp(&b.path));
    env.kustomizations = kustomizations;
}

/// (cluster, namespace) of every cluster whose roles a `Job` creates.
fn provisioned_by_job(objects: &[Object]) -> BTreeSet<(String, String)> {
    objects
        .iter()
        .filter(|o| o.kind() == Kind::Job)
        .filter_map(|o| {
            let meta = o.data.meta();
            let cluster = meta.labels.get(INSTANCE_LABEL)?;
            Some((cluster.clone(), meta.namespace.clone()))
        })
        .collect()
}

/// The unit of one object, from its labels.
fn unit_of(object: &Object, provisioned: &BTreeSet<(String, String)>) -> Unit {
    let meta = object.data.meta();
    let labels = &meta.labels;
    let cluster = labels.get(INSTANCE_LABEL);
    if let Some(app) = labels.get(APP_LABEL) {
        let input_of_job =
            cluster.is_some_and(|c| provisioned.contains(&(c.clone(), meta.namespace.clone())));
        if !input_of_job {
            return Unit::App(app.clone());
        }
    }
    match cluster {
        Some(cluster) => Unit::Cluster(cluster.clone()),
        None => Unit::Platform,
    }
}

/// Every unit with the units it needs first: a cluster needs the platform unit (its
/// secret store, shared Secrets); an app needs the platform unit and the units of the
/// clusters its objects belong to.
fn dependencies(
    objects: &[Object],
    units: &BTreeMap<Unit, Vec<usize>>,
) -> BTreeMap<Unit, BTreeSet<Unit>> {
    let platform = units.contains_key(&Unit::Platform);
    units
        .iter()
        .map(|(unit, members)| {
            let mut needs = BTreeSet::new();
            if platform && *unit != Unit::Platform {
                needs.insert(Unit::Platform);
            }
            if let Unit::App(_) = unit {
                for &index in members {
                    if let Some(cluster) = objects[index].data.meta().labels.get(INSTANCE_LABEL) {
                        let cluster = Unit::Cluster(cluster.clone());
                        if units.contains_key(&cluster) {
                            needs.insert(cluster);
                        }
                    }
                }
            }
            (unit.clone(), needs)
        })
        .collect()
}
