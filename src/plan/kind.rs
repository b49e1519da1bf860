//! The table of kinds: the one declaration of every kind dbgen writes.
//!
//! Input: the rows of `kind_table!` below. Output: the `Kind` enum, the `ObjectData` enum
//! (one plan type per kind), and each kind's `KindSpec` (apiVersion, Kubernetes kind,
//! scope, file stem, how it is rendered, how it is verified). `render` and `verify` expand
//! the same rows for their own tables (templates, embedded schemas),
//! so nothing about a kind is written twice.
//! Invariant: a `Kind` is derived from its `ObjectData` variant, never passed beside it, so
//! a kind and data that disagree cannot be constructed.

use serde::Serialize;

/// Every kind dbgen writes, one row each (plus the kustomization, which indexes them):
///
/// `Variant(plan type) "file stem", render(..), verify(..);`
///
/// - render: `template("<name>.yaml.j2")` prints the object through `templates/<name>`;
///   `typed()` serializes the plan's typed body (structs of `plan::k8s`) directly;
///   `values()` writes the plan's values tree as the file (see ARCHITECTURE.md, "Templates
///   or typed builders").
/// - verify: `builtin("<apiVersion>", <Scope>, <NameRule>)` validates against
///   `schemas/builtin/<file stem>.json`, which `cargo xtask schemas builtin` generates from
///   the k8s-openapi type of that apiVersion and kind (`tests/it/strict_decode.rs` checks
///   the row's apiVersion, kind and scope against that type); `crd("<group>", "<version>",
///   <Scope>, "<schema file under schemas/crds/<group>/>")` validates against the embedded
///   schema; `values()` marks a Helm values file, which is not a Kubernetes object.
///
/// The variant name is the Kubernetes kind. Invoked as `kind_table!(callback)`, it hands
/// the rows to `callback!`, which is how each stage derives its own view.
macro_rules! kind_table {
    ($then:ident) => {
        $then! {
            Cluster(ClusterPlan) "cluster", template("cluster.yaml.j2"),
                crd("postgresql.cnpg.io", "v1", Namespaced, "cluster_v1.json");
            ClusterSecretStore(ClusterSecretStorePlan) "clustersecretstore",
                template("clustersecretstore.yaml.j2"),
                crd("external-secrets.io", "v1", Cluster, "clustersecretstore_v1.json");
            ConfigMap(ConfigMapPlan) "configmap", typed(),
                builtin("v1", Namespaced, Dns1123Subdomain);
            CronJob(Box<CronJobPlan>) "cronjob", typed(),
                builtin("batch/v1", Namespaced, Dns1123Subdomain);
            Database(DatabasePlan) "database", template("database.yaml.j2"),
                crd("postgresql.cnpg.io", "v1", Namespaced, "database_v1.json");
            DatabaseRole(DatabaseRolePlan) "databaserole", template("databaserole.yaml.j2"),
                crd("postgresql.cnpg.io", "v1", Namespaced, "databaserole_v1.json");
            ExternalSecret(ExternalSecretPlan) "externalsecret",
                template("externalsecret.yaml.j2"),
                crd("external-secrets.io", "v1", Namespaced, "externalsecret_v1.json");
            InfisicalAuth(InfisicalAuthPlan) "infisicalauth", template("infisicalauth.yaml.j2"),
                crd("secrets.infisical.com", "v1beta1", Namespaced, "infisicalauth_v1beta1.json");
            InfisicalConnection(InfisicalConnectionPlan) "infisicalconnection",
                template("infisicalconnection.yaml.j2"),
                crd("secrets.infisical.com", "v1beta1", Namespaced,
                    "infisicalconnection_v1beta1.json");
            InfisicalSecret(InfisicalSecretPlan) "infisicalsecret",
                template("infisicalsecret.yaml.j2"),
                crd("secrets.infisical.com", "v1alpha1", Namespaced,
                    "infisicalsecret_v1alpha1.json");
            InfisicalStaticSecret(InfisicalStaticSecretPlan) "infisicalstaticsecret",
                template("infisicalstaticsecret.yaml.j2"),
                crd("secrets.infisical.com", "v1beta1", Namespaced,
                    "infisicalstaticsecret_v1beta1.json");
            NetworkPolicy(NetworkPolicyPlan) "networkpolicy", typed(),
                builtin("networking.k8s.io/v1", Namespaced, Dns1123Subdomain);
            ObjectStore(ObjectStorePlan) "objectstore", template("objectstore.yaml.j2"),
                crd("barmancloud.cnpg.io", "v1", Namespaced, "objectstore_v1.json");
            PersistentVolumeClaim(PersistentVolumeClaimPlan) "persistentvolumeclaim",
                typed(),
                builtin("v1", Namespaced, Dns1123Subdomain);
            PodMonitor(PodMonitorPlan) "podmonitor", template("podmonitor.yaml.j2"),
                crd("monitoring.coreos.com", "v1", Namespaced, "podmonitor_v1.json");
            Pooler(PoolerPlan) "pooler", template("pooler.yaml.j2"),
                crd("postgresql.cnpg.io", "v1", Namespaced, "pooler_v1.json");
            PrometheusRule(PrometheusRulePlan) "prometheusrule",
                template("prometheusrule.yaml.j2"),
                crd("monitoring.coreos.com", "v1", Namespaced, "prometheusrule_v1.json");
            ScheduledBackup(ScheduledBackupPlan) "scheduledbackup",
                template("scheduledbackup.yaml.j2"),
                crd("postgresql.cnpg.io", "v1", Namespaced, "scheduledbackup_v1.json");
            StatefulSet(Box<StatefulSetPlan>) "statefulset", typed(),
                builtin("apps/v1", Namespaced, Dns1123Subdomain);
            // Services are DNS-1035 labels in the API server.
            Service(ServicePlan) "service", typed(),
                builtin("v1", Namespaced, Dns1035Label);
            PodDisruptionBudget(PodDisruptionBudgetPlan) "poddisruptionbudget",
                typed(),
                builtin("policy/v1", Namespaced, Dns1123Subdomain);
            Job(Box<JobPlan>) "job", typed(),
                builtin("batch/v1", Namespaced, Dns1123Subdomain);
            // A Helm chart's values file, inflated by `kustomize --enable-helm`.
            HelmValues(HelmValuesPlan) "values", values(), values();
            // Flux delivery of the Helm charts (`[bitnami] delivery = "flux"`).
            HelmRelease(Box<HelmReleasePlan>) "helmrelease", template("helmrelease.yaml.j2"),
                crd("helm.toolkit.fluxcd.io", "v2", Namespaced, "helmrelease_v2.json");
            HelmRepository(HelmRepositoryPlan) "helmrepository",
                template("helmrepository.yaml.j2"),
                crd("source.toolkit.fluxcd.io", "v1", Namespaced, "helmrepository_v1.json");
            // Syncing a sharded environment (`[gitops]`): an Argo CD ApplicationSet, or a
            // Flux Kustomization per unit (kind `Kustomization`, a name the kustomization
            // file already has, hence the variant's prefix and the explicit kind).
            ApplicationSet(Box<ApplicationSetPlan>) "applicationset",
                template("applicationset.yaml.j2"),
                crd("argoproj.io", "v1alpha1", Namespaced, "applicationset_v1alpha1.json");
            FluxKustomization(FluxKustomizationPlan) "fluxkustomization",
                template("fluxkustomization.yaml.j2"),
                crd("kustomize.toolkit.fluxcd.io", "v1", Namespaced, "kustomization_v1.json",
                    "Kustomization");
        }
    };
}
pub(crate) use kind_table;

/// Whether objects of a kind live in a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Namespaced,
    Cluster,
}

/// How a kind's document is produced from its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Render {
    /// Through `templates/<name>` (custom resources and other hand-shaped documents).
    Template(&'static str),
    /// By serializing the plan's typed fields (built-in kinds whose body is a `plan::k8s`
    /// type) under the kind's apiVersion, kind and metadata; no template.
    Typed,
    /// The plan's `values` tree is the whole file (a Helm values file).
    Values,
}

/// How a kind's document is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Validated against `schemas/builtin/<file stem>.json`, generated from the k8s-openapi
    /// type of its apiVersion and kind.
    Builtin,
    /// Validated against `schemas/crds/<file>`.
    Crd { file: &'static str },
    /// The kustomization's own structural check.
    Kustomization,
    /// Not a Kubernetes object (a Helm values file): nothing to verify.
    NotAnObject,
}

/// One row of the table, as every stage sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSpec {
    pub kind: Kind,
    /// `apiVersion`; `None` for a file that is not a Kubernetes object.
    pub api_version: Option<&'static str>,
    /// The Kubernetes `kind`.
    pub name: &'static str,
    pub scope: Scope,
    /// Lowercase kind, used in file names.
    pub file_stem: &'static str,
    pub render: Render,
    pub check: Check,
}

/// The `KindSpec` fields a row's verify column decides.
macro_rules! verify_fields {
    ($variant:ident, builtin($api_version:literal, $scope:ident, $rule:ident)) => {
        (
            Some($api_version),
            stringify!($variant),
            Scope::$scope,
            Check::Builtin,
        )
    };
    ($variant:ident, crd($group:literal, $version:literal, $scope:ident, $file:literal)) => {
        (
            Some(concat!($group, "/", $version)),
            stringify!($variant),
            Scope::$scope,
            Check::Crd {
                file: concat!($group, "/", $file),
            },
        )
    };
    // A custom resource whose Kubernetes kind is not its variant's name.
    ($variant:ident, crd($group:literal, $version:literal, $scope:ident, $file:literal,
                          $name:literal)) => {
        (
            Some(concat!($group, "/", $version)),
            $name,
            Scope::$scope,
            Check::Crd {
                file: concat!($group, "/", $file),
            },
        )
    };
    ($variant:ident, values()) => {
        (
            None,
            stringify!($variant),
            Scope::Namespaced,
            Check::NotAnObject,
        )
    };
}

macro_rules! render_field {
    (template($name:literal)) => {
        Render::Template($name)
    };
    (typed()) => {
        Render::Typed
    };
    (values()) => {
        Render::Values
    };
}

macro_rules! declare_kinds {
    ($(
        $variant:ident($data:ty) $stem:literal,
        $render:ident($($render_args:tt)*),
        $check:ident($($check_args:tt)*);
    )*) => {
        /// A kind dbgen writes: one per row of `kind_table!`, plus the kustomization.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum Kind {
            $($variant,)*
            Kustomization,
        }

        /// The plan of one object, its variant naming its kind; serialised untagged so a
        /// template sees the plan's fields.
        #[derive(Debug, Clone, Serialize)]
        #[serde(untagged)]
        pub enum ObjectData {
            $($variant($data),)*
        }

        impl ObjectData {
            pub fn kind(&self) -> Kind {
                match self {
                    $(Self::$variant(_) => Kind::$variant,)*
                }
            }

            pub fn meta(&self) -> &Meta {
                match self {
                    $(Self::$variant(plan) => &plan.meta,)*
                }
            }
        }

        /// Every row, in `Kind` order (so `SPECS[kind as usize]` is its row).
        const SPECS: &[KindSpec] = &[
            $({
                let (api_version, name, scope, check) =
                    verify_fields!($variant, $check($($check_args)*));
                KindSpec {
                    kind: Kind::$variant,
                    api_version,
                    name,
                    scope,
                    file_stem: $stem,
                    render: render_field!($render($($render_args)*)),
                    check,
                }
            },)*
            KindSpec {
                kind: Kind::Kustomization,
                api_version: Some("kustomize.config.k8s.io/v1beta1"),
                name: "Kustomization",
                scope: Scope::Namespaced,
                file_stem: "kustomization",
                // Rendered from a `KustomizationPlan`, not an object.
                render: Render::Template("kustomization.yaml.j2"),
                check: Check::Kustomization,
            },
        ];
    };
}

use super::{
    ApplicationSetPlan, ClusterPlan, ClusterSecretStorePlan, ConfigMapPlan, CronJobPlan,
    DatabasePlan, DatabaseRolePlan, ExternalSecretPlan, FluxKustomizationPlan, HelmReleasePlan,
    HelmRepositoryPlan, HelmValuesPlan, InfisicalAuthPlan, InfisicalConnectionPlan,
    InfisicalSecretPlan, InfisicalStaticSecretPlan, JobPlan, Meta, NetworkPolicyPlan,
    ObjectStorePlan, PersistentVolumeClaimPlan, PodDisruptionBudgetPlan, PodMonitorPlan,
    PoolerPlan, PrometheusRulePlan, ScheduledBackupPlan, ServicePlan, StatefulSetPlan,
};

kind_table!(declare_kinds);

impl Kind {
    /// This kind's row.
    pub fn spec(self) -> &'static KindSpec {
        &SPECS[self as usize]
    }

    /// Every kind, in table order.
    pub fn all() -> impl Iterator<Item = Kind> {
        SPECS.iter().map(|spec| spec.kind)
    }

    /// Whether objects of this kind have no namespace.
    pub fn cluster_scoped(self) -> bool {
        self.spec().scope == Scope::Cluster
    }

    /// Lowercase kind, used in file names.
    pub fn file_stem(self) -> &'static str {
        self.spec().file_stem
    }

    /// The kind whose document carries this apiVersion and kind.
    pub fn of_document(api_version: &str, name: &str) -> Option<Kind> {
        SPECS
            .iter()
            .find(|spec| spec.api_version == Some(api_version) && spec.name == name)
            .map(|spec| spec.kind)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn rows_are_in_kind_order_and_unique() {
        for (index, spec) in SPECS.iter().enumerate() {
            assert_eq!(spec.kind as usize, index, "{spec:?}");
        }
        let stems: BTreeSet<_> = SPECS.iter().map(|spec| spec.file_stem).collect();
        assert_eq!(stems.len(), SPECS.len(), "a file stem is used twice");
        let documents: BTreeSet<_> = SPECS
            .iter()
            .map(|spec| (spec.api_version, spec.name))
            .collect();
        assert_eq!(
            documents.len(),
            SPECS.len(),
            "an apiVersion/kind is used twice"
        );
    }

    #[test]
    fn the_variant_name_is_the_kubernetes_kind() {
        for spec in SPECS {
            let variant = format!("{:?}", spec.kind);
            // The one exception: Flux's `Kustomization` beside kustomize's own file.
            let variant = variant.strip_prefix("Flux").unwrap_or(&variant);
            assert_eq!(variant, spec.name);
        }
    }

    /// The rule of ARCHITECTURE.md ("Templates or typed builders"), so a new row follows it.
    #[test]
    fn built_in_kinds_are_typed_and_custom_resources_templated() {
        for spec in SPECS {
            match (spec.check, spec.render) {
                (Check::Builtin, Render::Typed)
                | (Check::Crd { .. } | Check::Kustomization, Render::Template(_))
                | (Check::NotAnObject, Render::Values) => {}
                other => panic!("{:?} breaks the rendering rule: {other:?}", spec.kind),
            }
            if let Render::Template(name) = spec.render {
                assert_eq!(name, format!("{}.yaml.j2", spec.file_stem), "{spec:?}");
            }
        }
    }

    #[test]
    fn documents_resolve_to_their_kind() {
        assert_eq!(
            Kind::of_document("apps/v1", "StatefulSet"),
            Some(Kind::StatefulSet)
        );
        assert_eq!(
            Kind::of_document("postgresql.cnpg.io/v1", "Cluster"),
            Some(Kind::Cluster)
        );
        assert!(Kind::ClusterSecretStore.cluster_scoped());
        assert!(!Kind::Service.cluster_scoped());
        assert_eq!(Kind::HelmValues.file_stem(), "values");
    }
}
