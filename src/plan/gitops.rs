//! The objects that make Argo CD or Flux sync a sharded environment unit by unit
//! (`[gitops]`): one Argo CD `ApplicationSet` (argoproj.io/v1alpha1) per environment, or
//! one Flux `Kustomization` (kustomize.toolkit.fluxcd.io/v1) per unit.
//!
//! Input: the spec's `[gitops]`, the environment and its units with their dependencies
//! (from `plan::shard`). Output: the objects, at `<env>/gitops/`. Flux's app units'
//! Kustomizations go one level down, in `<env>/gitops/apps-<bucket>/`, each bucket synced
//! by a Kustomization of its own: a directory of 10,000 Kustomizations would be the
//! slowest build of the tree (kustomize's cost grows faster than its object count). The
//! bucket is a fixed hash of the app's name into 256, so an app's Kustomization never
//! moves (a move would let Flux prune it, and with it everything it applied), and a
//! bucket holds about N / 256 of them.
//! Invariant: the order is platform, then clusters, then apps. Argo CD gets it from a
//! progressive sync (`RollingSync`, one step per tier); Flux from `dependsOn` (an app's
//! unit waits for the platform unit and its clusters' units, which `wait` for their
//! objects to be ready). Neither tool deletes what a removed Application applied: the
//! `ApplicationSet` preserves resources on deletion and its Applications carry no
//! cascading finalizer. The Applications apply server-side (`ServerSideApply=true`): a
//! shared cluster's `Cluster` has a `pg_hba` line per app, and client-side apply copies
//! the whole object into an annotation that may hold 256 KiB, so from a few thousand apps
//! on one cluster its sync would be refused ("metadata.annotations: Too long").

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::shard::{APPS_DIR, CLUSTERS_DIR, GITOPS_DIR, PLATFORM_DIR};
use super::{Meta, Object, ObjectData};
use crate::model::{Gitops, GitopsTool};
use crate::spec::Spec;
/// Buckets of Flux app Kustomizations: fixed, so no app ever changes bucket.
const BUCKETS: u32 = 256;
/// The label the progressive sync steps select Applications by.
const TIER_LABEL: &str = "dbgen.io/tier";

/// One independently synced directory of an environment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Unit {
    Platform,
    Cluster(String),
    App(String),
}

impl Unit {
    /// Directory below the environment's.
    pub(super) fn dir(&self) -> String {
        match self {
            Self::Platform => PLATFORM_DIR.to_string(),
            Self::Cluster(name) => format!("{CLUSTERS_DIR}/{name}"),
            Self::App(name) => format!("{APPS_DIR}/{name}"),
        }
    }

    fn tier(&self) -> Tier {
        match self {
            Self::Platform => Tier::Platform,
            Self::Cluster(_) => Tier::Cluster,
            Self::App(_) => Tier::App,
        }
    }

    fn basename(&self) -> &str {
        match self {
            Self::Platform => PLATFORM_DIR,
            Self::Cluster(name) | Self::App(name) => name,
        }
    }
}

/// Sync order of the units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    Platform,
    Cluster,
    App,
}

impl Tier {
    fn name(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Cluster => "cluster",
            Self::App => "app",
        }
    }

    /// Argo CD application (and Flux Kustomization) name prefix of the tier's units:
    /// `<platform>-<env>-platform`, `<platform>-<env>-cluster-<cluster>`,
    /// `<platform>-<env>-app-<app>`, so a cluster and an app of one name never collide.
    fn prefix(self, platform: &str, env: &str) -> String {
        match self {
            Self::Platform => format!("{platform}-{env}-"),
            Self::Cluster | Self::App => format!("{platform}-{env}-{}-", self.name()),
        }
    }
}

/// `argoproj.io/v1alpha1` `ApplicationSet`: a Git directory generator per tier.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationSetPlan {
    pub meta: Meta,
    pub repository: String,
    pub revision: String,
    pub project: String,
    pub server: String,
    pub generators: Vec<GeneratorPlan>,
    /// The tiers present, in sync order: one progressive sync step each.
    pub steps: Vec<&'static str>,
    pub tier_label: &'static str,
    /// Go templates the `ApplicationSet` controller fills in per directory.
    pub application_name: &'static str,
    pub application_path: &'static str,
    /// Labels of every generated Application, the tier one from the generator.
    pub application_labels: BTreeMap<String, String>,
}

/// One Git directory generator: the directories of one tier.
#[derive(Debug, Clone, Serialize)]
pub struct GeneratorPlan {
    /// Repository path pattern, e.g. `platform/out/prod/apps/*`.
    pub path: String,
    pub tier: &'static str,
    /// Application name prefix; the directory's name completes it.
    pub prefix: String,
}

/// `kustomize.toolkit.fluxcd.io/v1` `Kustomization` of one unit.
#[derive(Debug, Clone, Serialize)]
pub struct FluxKustomizationPlan {
    pub meta: Meta,
    pub interval: String,
    /// `./<path>/<env>/<unit>`, from the repository root.
    pub path: String,
    /// The `GitRepository`, in the Kustomization's namespace.
    pub source: String,
    /// Kustomizations that must be ready first, sorted.
    pub depends_on: Vec<String>,
    /// Wait for the unit's objects to be ready before reporting ready: set on platform
    /// and cluster units, so the units depending on them start after the database runs.
    pub wait: bool,
}

/// The `GitOps` objects of one environment.
pub(super) fn objects(
    spec: &Spec,
    settings: &Gitops,
    env: &str,
    units: &BTreeMap<Unit, BTreeSet<Unit>>,
) -> Vec<Object> {
    let platform = &spec.platform.name;
    let prefix = settings
        .path
        .as_deref()
        .map_or_else(|| env.to_string(), |p| format!("{p}/{env}"));
    let labels = BTreeMap::from([
        ("app.kubernetes.io/part-of".to_string(), platform.clone()),
        (
            "app.kubernetes.io/managed-by".to_string(),
            "dbgen".to_string(),
        ),
    ]);
    let meta = |name: String, namespace: &str| Meta {
        name,
        namespace: namespace.to_string(),
        labels: labels.clone(),
    };
    let object = |data: ObjectData| {
        let meta = data.meta();
        Object {
            path: format!(
                "{env}/{GITOPS_DIR}/{}-{}.yaml",
                data.kind().file_stem(),
                meta.name
            ),
            data: Box::new(data),
        }
    };
    match &settings.tool {
        GitopsTool::Argocd(argocd) => {
            let namespace = &argocd.namespace;
            let tiers: BTreeSet<Tier> = units.keys().map(Unit::tier).collect();
            let generators = tiers
                .iter()
                .map(|&tier| GeneratorPlan {
                    path: match tier {
                        Tier::Platform => format!("{prefix}/{PLATFORM_DIR}"),
                        Tier::Cluster => format!("{prefix}/{CLUSTERS_DIR}/*"),
                        Tier::App => format!("{prefix}/{APPS_DIR}/*"),
                    },
                    tier: tier.name(),
                    prefix: tier.prefix(platform, env),
                })
                .collect();
            let plan = ApplicationSetPlan {
                meta: meta(format!("{platform}-{env}"), namespace),
                repository: argocd.repository.clone(),
                revision: argocd.revision.clone(),
                project: argocd.project.clone(),
                server: argocd.server.clone(),
                generators,
                steps: tiers.iter().map(|t| t.name()).collect(),
                tier_label: TIER_LABEL,
                application_name: "{{ .values.prefix }}{{ .path.basename }}",
                application_path: "{{ .path.path }}",
                application_labels: {
                    let mut labels = labels.clone();
                    labels.insert(TIER_LABEL.to_string(), "{{ .values.tier }}".to_string());
                    labels
                },
            };
            vec![object(ObjectData::ApplicationSet(Box::new(plan)))]
        }
        GitopsTool::Flux(settings) => {
            let namespace = &settings.namespace;
            let name =
                |unit: &Unit| format!("{}{}", unit.tier().prefix(platform, env), unit.basename());
            let flux = |name: String, path: String, depends_on: Vec<String>, wait: bool| {
                FluxKustomizationPlan {
                    meta: meta(name, namespace),
                    interval: settings.interval.to_string(),
                    path,
                    source: settings.source.clone(),
                    depends_on,
                    wait,
                }
            };
            let mut objects = Vec::new();
            let mut buckets = BTreeSet::new();
            for (unit, needs) in units {
                let plan = flux(
                    name(unit),
                    format!("./{prefix}/{}", unit.dir()),
                    needs.iter().map(name).collect(),
                    unit.tier() != Tier::App,
                );
                let mut object = object(ObjectData::FluxKustomization(plan));
                if let Unit::App(app) = unit {
                    let bucket = bucket(app);
                    object.path = format!(
                        "{env}/{GITOPS_DIR}/{}/{}",
                        bucket_dir(bucket),
                        object.path.rsplit_once('/').map_or("", |(_, file)| file)
                    );
                    buckets.insert(bucket);
                }
                objects.push(object);
            }
            for bucket in buckets {
                let dir = bucket_dir(bucket);
                let plan = flux(
                    format!("{platform}-{env}-{dir}"),
                    format!("./{prefix}/{GITOPS_DIR}/{dir}"),
                    Vec::new(),
                    false,
                );
                objects.push(object(ObjectData::FluxKustomization(plan)));
            }
            objects
        }
    }
}

/// The bucket of an app's Flux Kustomization: FNV-1a (32 bits) of its name, modulo 256.
/// Fixed forever: changing it would move Kustomizations between buckets.
fn bucket(app: &str) -> u32 {
    let hash = app.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    hash % BUCKETS
}

fn bucket_dir(bucket: u32) -> String {
    format!("{APPS_DIR}-{bucket:02x}")
}

#[cfg(test)]
mod tests {
    use super::bucket;

    /// The buckets are part of the output's contract: pinned values.
    #[test]
    fn buckets_are_stable() {
        assert_eq!(bucket(""), 0x811c_9dc5 % 256);
        assert_eq!(bucket("a"), 0xe40c_292c % 256);
        assert_eq!(bucket("foobar"), 0xbf9c_f968 % 256);
    }
}
