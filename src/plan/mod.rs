//! The plan stage: every decision about what to write, made once, for every environment.
//!
//! Input: `Checked` (nothing else: spans and raw layers stay behind).
//! Output: `Plan`, one `EnvPlan` per environment holding every object to render with
//! its output path, names, labels and values already decided, plus the kustomization.
//! Invariant: infallible (no `Result`); templates only print plan fields, so every
//! computed string (names, hosts, URIs, External Secrets templates) is made here.

mod backup;
pub mod bitnami;
mod cnpg;
mod credentials;
#[cfg(test)]
mod fallbacks;
mod flux;
mod gitops;
pub mod hba;
mod helm;
pub mod k8s;
mod kind;
pub(crate) mod logical_backup;
mod meta;
mod monitoring;
mod network;
mod pooler;
pub(crate) mod provisioning;
mod redis;
mod scope;
mod script_job;
mod shard;
pub(crate) mod statefulset;
mod store;
mod upload;
mod workload;

use serde::Serialize;

pub use backup::{ClusterBackupPlan, ObjectStorePlan, RecoveryPlan, ScheduledBackupPlan};
pub use cnpg::{ClusterPlan, DatabasePlan, DatabaseRolePlan, RolePlan, StoragePlan};
pub use credentials::{
    ExternalSecretPlan, InfisicalAuthPlan, InfisicalConnectionPlan, InfisicalScope,
    InfisicalSecretPlan, InfisicalStaticSecretPlan, ManagedSecret, NamespacedName, RemoteRef,
    StoreRef,
};
pub use flux::{HelmReleasePlan, HelmRepositoryPlan, SourceRef};
pub use gitops::{ApplicationSetPlan, FluxKustomizationPlan, GeneratorPlan};
pub use helm::{HelmChartEntry, HelmChartRef, HelmValuesPlan, ImageSource};
pub(crate) use kind::kind_table;
pub use kind::{Check, Kind, KindSpec, ObjectData, Render, Scope};
pub use logical_backup::{ConfigMapPlan, CronJobPlan, PersistentVolumeClaimPlan};
pub use meta::Meta;
pub use monitoring::{AlertPlan, PodMonitorPlan, PrometheusRulePlan};
pub use network::NetworkPolicyPlan;
pub use pooler::PoolerPlan;
pub use store::ClusterSecretStorePlan;
pub use workload::{JobPlan, PodDisruptionBudgetPlan, ServicePlan, StatefulSetPlan};

use crate::model::Checked;

/// Everything dbgen will write.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub environments: Vec<EnvPlan>,
}

/// One environment's directory.
#[derive(Debug, Clone, Serialize)]
pub struct EnvPlan {
    pub name: String,
    /// Objects in file-name order.
    pub objects: Vec<Object>,
    /// The environment's kustomization first, then the cluster-scoped one if any.
    pub kustomizations: Vec<KustomizationPlan>,
}

/// One object and the file it goes to; its kind is its data's (`ObjectData::kind`).
#[derive(Debug, Clone, Serialize)]
pub struct Object {
    /// Output path relative to the output root, e.g. `prod/databases/cluster-pg.yaml`.
    pub path: String,
    /// The template context, exposed to the template as `o`. Boxed: an environment's
    /// objects are collected, extended and sorted as one vector, which then moves 32-byte
    /// elements instead of 400-byte ones, and at scale never grows past the allocator's
    /// reusable sizes (a vector of unboxed objects of 5,000 apps took 17 MB of fresh
    /// pages per environment to grow, sort and copy).
    pub data: Box<ObjectData>,
}

impl Object {
    /// An object of environment `env`, at the path its kind and metadata decide.
    pub fn new(env: &str, data: ObjectData) -> Self {
        Self {
            path: object_path(env, data.kind(), data.meta()),
            data: Box::new(data),
        }
    }

    pub fn kind(&self) -> Kind {
        self.data.kind()
    }
}

/// A `kustomization.yaml`.
#[derive(Debug, Clone, Serialize)]
pub struct KustomizationPlan {
    pub path: String,
    /// Every other file (or kustomization directory) below it, relative to it, sorted;
    /// Helm values files are not resources but `helm_charts` entries.
    pub resources: Vec<String>,
    /// Sorted by values file.
    pub helm_charts: Vec<HelmChartEntry>,
}

impl Plan {
    /// Decides everything; cannot fail because `Checked` already holds only valid input.
    pub fn build(checked: &Checked) -> Plan {
        let granted = Granted::of(checked);
        let environments = checked
            .spec()
            .environments
            .keys()
            .map(|env| EnvPlan::build(checked, env, &granted))
            .collect();
        Plan { environments }
    }
}

/// What planning one environment needs from the others: the namespaces each generated
/// `ClusterSecretStore` serves (those of the `ExternalSecret`s of every environment reading it).
#[derive(Debug, Clone, Default)]
pub struct Granted(store::Granted);

impl Granted {
    /// One pass over every environment's objects, kept only when the spec generates a store.
    pub fn of(checked: &Checked) -> Granted {
        if store::cluster_secret_store(checked).is_none() {
            return Granted::default();
        }
        let mut granted = store::Granted::default();
        for env in checked.spec().environments.keys() {
            granted.add(&environment_objects(checked, env));
        }
        Granted(granted)
    }
}

impl EnvPlan {
    /// The plan of environment `env` alone: equal to its part of `Plan::build`, so
    /// environments can be planned, rendered and dropped one at a time.
    pub fn build(checked: &Checked, env: &str, granted: &Granted) -> EnvPlan {
        let mut objects = environment_objects(checked, env);
        granted.0.restrict(&mut objects);
        let kustomizations = kustomizations(env, &objects);
        let mut plan = EnvPlan {
            name: env.to_owned(),
            objects,
            kustomizations,
        };
        if checked.spec().output.layout == Some(crate::spec::Layout::Sharded) {
            shard::apply(checked.spec(), checked.gitops(), &mut plan);
        }
        plan
    }
}

/// Every object of environment `env`, in path order, before any store is restricted.
fn environment_objects(checked: &Checked, env: &str) -> Vec<Object> {
    let spec = checked.spec();
    let mut objects = Vec::new();
    for cluster in checked.clusters_in(env) {
        objects.extend(match cluster.spec.engine {
            crate::spec::Engine::Cnpg => cnpg::objects(checked, env, cluster),
            crate::spec::Engine::Statefulset => statefulset::objects(checked, env, cluster),
            crate::spec::Engine::Bitnami => bitnami::objects(checked, env, cluster),
        });
    }
    for redis in checked.redis_in(env) {
        objects.extend(redis::objects(checked, env, redis));
    }
    if let Some(data) = store::cluster_secret_store(checked) {
        objects.push(Object::new(env, data));
    }
    for data in credentials::environment_objects(checked, env) {
        objects.push(Object::new(env, data));
    }
    if spec.bitnami.as_ref().and_then(|b| b.delivery) == Some(crate::spec::HelmDelivery::Flux) {
        objects = flux::deliver(env, objects);
    }
    objects.sort_by(|a, b| a.path.cmp(&b.path));
    // Clusters sharing one namespace may ask for the same object (a shared
    // backup credentials Secret); identical requests become one file, and
    // conflicting ones stay for `verify` to report as duplicates.
    objects.dedup_by(|a, b| {
        a.path == b.path && serde_json::to_value(&a.data).ok() == serde_json::to_value(&b.data).ok()
    });
    objects
}

/// The environment's kustomization, and one for its cluster-scoped objects: Kustomize's
/// `namespace:` would stamp a namespace on kinds it does not know are cluster-scoped,
/// so those stay in a kustomization of their own that never sets one.
fn kustomizations(env: &str, objects: &[Object]) -> Vec<KustomizationPlan> {
    unit_kustomizations(env, &objects.iter().collect::<Vec<_>>())
}

/// The kustomizations of the directory `dir` holding `objects` (an environment, or one
/// unit of a sharded environment): `<dir>/kustomization.yaml`, then
/// `<dir>/cluster-scoped/kustomization.yaml` when there are cluster-scoped objects.
fn unit_kustomizations(dir: &str, objects: &[&Object]) -> Vec<KustomizationPlan> {
    let root = format!("{dir}/");
    let scoped = format!("{dir}/{CLUSTER_SCOPED_DIR}/");
    let mut top: Vec<String> = objects
        .iter()
        .filter(|o| !o.kind().cluster_scoped() && o.kind() != Kind::HelmValues)
        .map(|o| o.path.trim_start_matches(&root).to_string())
        .collect();
    let helm_charts: Vec<HelmChartEntry> = objects
        .iter()
        .filter_map(|o| match &*o.data {
            ObjectData::HelmValues(v) => Some(HelmChartEntry {
                name: v.chart.name.clone(),
                repo: v.chart.repo.clone(),
                version: v.chart.version.clone(),
                release_name: v.meta.name.clone(),
                namespace: v.meta.namespace.clone(),
                values_file: o.path.trim_start_matches(&root).to_string(),
            }),
            _ => None,
        })
        .collect();
    let cluster: Vec<String> = objects
        .iter()
        .filter(|o| o.kind().cluster_scoped())
        .map(|o| o.path.trim_start_matches(&scoped).to_string())
        .collect();
    let mut plans = Vec::new();
    if !cluster.is_empty() {
        top.push(CLUSTER_SCOPED_DIR.to_string());
        plans.push(KustomizationPlan {
            path: format!("{scoped}kustomization.yaml"),
            resources: cluster,
            helm_charts: Vec::new(),
        });
    }
    top.sort();
    plans.insert(
        0,
        KustomizationPlan {
            path: format!("{dir}/kustomization.yaml"),
            resources: top,
            helm_charts,
        },
    );
    plans
}

/// Directory of an environment's cluster-scoped objects.
const CLUSTER_SCOPED_DIR: &str = "cluster-scoped";

/// `<env>/<namespace>/<kind>-<name>.yaml`: one object per file, grouped by namespace so
/// a reviewer sees at a glance what lands where; cluster-scoped objects go to
/// `<env>/cluster-scoped/`.
fn object_path(env: &str, kind: Kind, meta: &Meta) -> String {
    if kind.cluster_scoped() {
        return format!(
            "{env}/{CLUSTER_SCOPED_DIR}/{}-{}.yaml",
            kind.file_stem(),
            meta.name
        );
    }
    format!(
        "{env}/{}/{}-{}.yaml",
        meta.namespace,
        kind.file_stem(),
        meta.name
    )
}
