//! The built-in Kubernetes objects dbgen builds, as lean typed structs: exactly the fields
//! dbgen sets, nothing else (a field nobody sets does not exist here).
//!
//! Input: values the plan decides (names, labels, images, checked quantities). Output: the
//! bodies of the `typed()` rows of the kind table (`spec` of `StatefulSet`, `Job`, `CronJob`,
//! `Service`, `PodDisruptionBudget`, `NetworkPolicy` and `PersistentVolumeClaim`, with their pod
//! template pieces), serialized by `render/typed.rs` like the Kubernetes API types: field
//! names in camelCase, an unset optional field absent, `Some(vec![])` written as `[]`,
//! quantities as strings, int-or-string untagged.
//! Invariant: every struct serialises to a value that decodes strictly into its
//! k8s-openapi type; `tests/it/strict_decode.rs` checks it on every golden tree, and
//! `verify` checks each object against its built-in schema. Fields are declared in
//! alphabetical order, the order k8s-openapi serialises them in, so a hash taken over a
//! serialised spec (the provisioning Job's name) is the one the k8s-openapi types gave.
//! Why below `plan`: only `plan` builds these values, `render` sees them through
//! `Serialize` alone, and `verify` checks documents, not these types.

mod pod;
mod workloads;

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

pub use pod::{
    Affinity, Capabilities, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource,
    EnvVar, EnvVarSource, ExecAction, KeyToPath, Lifecycle, LifecycleHandler,
    PersistentVolumeClaimVolumeSource, PodAffinityTerm, PodAntiAffinity, PodSecurityContext,
    PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile, SecretKeySelector,
    SecretVolumeSource, SecurityContext, Volume, VolumeMount, WeightedPodAffinityTerm,
};
pub use workloads::{
    CronJobSpec, JobSpec, JobTemplateSpec, NetworkPolicyEgressRule, NetworkPolicyIngressRule,
    NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec, PersistentVolumeClaim,
    PersistentVolumeClaimSpec, PodDisruptionBudgetSpec, ServicePort, ServiceSpec,
    StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec, VolumeResourceRequirements,
};

/// A resource quantity as the API server reads it (`500m`, `2Gi`), written as a string.
/// Built from a checked spec quantity, printed as the user wrote it, or from one of dbgen's
/// own constants; the built-in schemas' quantity pattern checks both on every render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Quantity(String);

impl Quantity {
    /// One of dbgen's own sizes (a sidecar's requests, a scratch volume's limit).
    pub fn fixed(text: &'static str) -> Self {
        Self(text.to_owned())
    }
}

impl From<&crate::model::Quantity> for Quantity {
    fn from(quantity: &crate::model::Quantity) -> Self {
        Self(quantity.as_str().to_owned())
    }
}

/// `cpu`, `memory` or `storage` to a quantity.
pub type Quantities = BTreeMap<String, Quantity>;

/// A port by number or by name, written untagged (`5432` or `"postgresql"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntOrString {
    Int(i32),
    String(String),
}

impl Serialize for IntOrString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Int(number) => serializer.serialize_i32(*number),
            Self::String(text) => serializer.serialize_str(text),
        }
    }
}

/// The metadata of a template inside an object (a pod template, a volume claim template);
/// the object's own metadata comes from the plan's `Meta`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Selects by labels only: dbgen writes no set-based expressions.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<BTreeMap<String, String>>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn unset_fields_are_absent_and_empty_lists_are_written() {
        let spec = NetworkPolicySpec {
            pod_selector: Some(LabelSelector::default()),
            policy_types: Some(vec!["Ingress".to_owned()]),
            ingress: Some(Vec::new()),
            egress: None,
        };
        assert_eq!(
            serde_json::to_value(&spec).unwrap(),
            json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": []})
        );
    }

    #[test]
    fn ports_are_untagged_and_quantities_strings() {
        let port = ServicePort {
            name: Some("pg".to_owned()),
            port: 5432,
            protocol: None,
            target_port: Some(IntOrString::String("pg".to_owned())),
        };
        assert_eq!(
            serde_json::to_value(&port).unwrap(),
            json!({"name": "pg", "port": 5432, "targetPort": "pg"})
        );
        let rule = NetworkPolicyPort {
            port: Some(IntOrString::Int(53)),
            protocol: Some("UDP".to_owned()),
        };
        assert_eq!(
            serde_json::to_string(&rule).unwrap(),
            r#"{"port":53,"protocol":"UDP"}"#
        );
        let checked = crate::model::Quantity::parse("512Mi").unwrap();
        assert_eq!(
            serde_json::to_value(Quantity::from(&checked)).unwrap(),
            json!("512Mi")
        );
    }

    /// The claim template carries its own apiVersion and kind, as the API type does.
    #[test]
    fn a_claim_template_is_a_whole_object() {
        let claim = PersistentVolumeClaim {
            metadata: ObjectMeta::default(),
            spec: None,
        };
        assert_eq!(
            serde_json::to_string(&claim).unwrap(),
            r#"{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{}}"#
        );
    }

    /// Fields in the order k8s-openapi writes them: a hash over the text stays the same.
    #[test]
    fn fields_serialise_in_alphabetical_order() {
        let probe = Probe {
            exec: Some(ExecAction {
                command: Some(vec!["true".to_owned()]),
            }),
            failure_threshold: Some(3),
            initial_delay_seconds: Some(1),
            period_seconds: Some(10),
            timeout_seconds: Some(5),
        };
        assert_eq!(
            serde_json::to_string(&probe).unwrap(),
            r#"{"exec":{"command":["true"]},"failureThreshold":3,"initialDelaySeconds":1,"periodSeconds":10,"timeoutSeconds":5}"#
        );
    }
}
