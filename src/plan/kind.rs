//! The Kubernetes kinds dbgen writes. `render` maps each to its template.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Kind {
    Cluster,
    ClusterSecretStore,
    ConfigMap,
    CronJob,
    Database,
    DatabaseRole,
    ExternalSecret,
    InfisicalAuth,
    InfisicalConnection,
    InfisicalSecret,
    InfisicalStaticSecret,
    Kustomization,
    NetworkPolicy,
    ObjectStore,
    PersistentVolumeClaim,
    PodMonitor,
    Pooler,
    PrometheusRule,
    ScheduledBackup,
    StatefulSet,
    Service,
    PodDisruptionBudget,
    Job,
    /// A Helm chart's values file (not a Kubernetes object).
    HelmValues,
    /// Flux `HelmRelease` (`[bitnami] delivery = "flux"`).
    HelmRelease,
    /// Flux `HelmRepository` the releases pull their charts from.
    HelmRepository,
    /// Argo CD `ApplicationSet` syncing a sharded environment (`[gitops] tool = "argocd"`).
    ApplicationSet,
    /// Flux `Kustomization` syncing one unit of a sharded environment (`tool = "flux"`).
    FluxKustomization,
}

impl Kind {
    /// Whether objects of this kind have no namespace.
    pub fn cluster_scoped(self) -> bool {
        matches!(self, Self::ClusterSecretStore)
    }

    /// Lowercase kind, used in file names.
    pub fn file_stem(self) -> &'static str {
        match self {
            Self::Cluster => "cluster",
            Self::ClusterSecretStore => "clustersecretstore",
            Self::ConfigMap => "configmap",
            Self::CronJob => "cronjob",
            Self::Database => "database",
            Self::DatabaseRole => "databaserole",
            Self::ExternalSecret => "externalsecret",
            Self::InfisicalAuth => "infisicalauth",
            Self::InfisicalConnection => "infisicalconnection",
            Self::InfisicalSecret => "infisicalsecret",
            Self::InfisicalStaticSecret => "infisicalstaticsecret",
            // A Flux Kustomization shares the stem: both are `kind: Kustomization`.
            Self::Kustomization | Self::FluxKustomization => "kustomization",
            Self::NetworkPolicy => "networkpolicy",
            Self::ObjectStore => "objectstore",
            Self::PersistentVolumeClaim => "persistentvolumeclaim",
            Self::PodMonitor => "podmonitor",
            Self::Pooler => "pooler",
            Self::PrometheusRule => "prometheusrule",
            Self::ScheduledBackup => "scheduledbackup",
            Self::StatefulSet => "statefulset",
            Self::Service => "service",
            Self::PodDisruptionBudget => "poddisruptionbudget",
            Self::Job => "job",
            Self::HelmValues => "values",
            Self::HelmRelease => "helmrelease",
            Self::HelmRepository => "helmrepository",
            Self::ApplicationSet => "applicationset",
        }
    }
}
