//! Plan types of the built-in workload kinds the operator-less engines emit
//! (`StatefulSet`, `Service`, `PodDisruptionBudget`, `Job`).
//!
//! Input: specs already built from k8s-openapi types by the engine modules.
//! Output: `meta` + typed `spec`, printed as is by one template per kind.
//! Invariant: the spec is a k8s-openapi type, so a field name cannot be misspelled here;
//! `verify` still decodes the rendered object to catch anything the template adds.

use k8s_openapi::api::apps::v1::StatefulSetSpec;
use k8s_openapi::api::batch::v1::JobSpec;
use k8s_openapi::api::core::v1::ServiceSpec;
use k8s_openapi::api::policy::v1::PodDisruptionBudgetSpec;
use serde::Serialize;

use super::Meta;

#[derive(Debug, Clone, Serialize)]
pub struct StatefulSetPlan {
    pub meta: Meta,
    pub spec: StatefulSetSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServicePlan {
    pub meta: Meta,
    pub spec: ServiceSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct PodDisruptionBudgetPlan {
    pub meta: Meta,
    pub spec: PodDisruptionBudgetSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobPlan {
    pub meta: Meta,
    pub spec: JobSpec,
}
