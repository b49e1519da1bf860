//! `NetworkPolicy` objects isolating one cluster (and its pooler), built as typed
//! `plan::k8s` values. What they allow, from CNPG's "Exposed ports" and networking docs:
//! the operator reaches instances on 8000 (status) and 5432; instances reach each other
//! (replication) on 5432 and 8000; each app namespace reaches only its cluster, or its
//! pooler, on 5432; Prometheus reaches 9187 (instances) and 9127 (PgBouncer); pods reach
//! DNS and the API server (whose address a policy cannot name, hence ports 443 and 6443,
//! which also cover an S3 object store; another object store port is added explicitly).

use std::collections::{BTreeMap, BTreeSet};

use super::k8s::{
    IntOrString, LabelSelector, NetworkPolicyEgressRule, NetworkPolicyIngressRule,
    NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use serde::Serialize;

use super::Meta;

#[derive(Debug, Clone, Serialize)]
pub struct NetworkPolicyPlan {
    pub meta: Meta,
    pub spec: NetworkPolicySpec,
}

/// Who talks to whom around one cluster.
pub(super) struct Peers<'a> {
    pub(super) cluster: &'a str,
    pub(super) pooler: Option<&'a str>,
    pub(super) app_namespaces: &'a BTreeSet<String>,
    pub(super) operator_namespace: &'a str,
    pub(super) monitoring_namespace: &'a str,
    /// Whether the logical backup CronJob's pods must reach the instances.
    pub(super) logical_backup: bool,
    /// The object store's port when it is not 443 (a MinIO endpoint, say).
    pub(super) object_store_port: Option<i32>,
}

const POSTGRES: i32 = 5432;
const STATUS: i32 = 8000;
const POSTGRES_METRICS: i32 = 9187;
const PGBOUNCER_METRICS: i32 = 9127;

/// The policies and the name suffix of each (`<cluster>-<suffix>`).
pub(super) fn policies(peers: &Peers<'_>) -> Vec<(&'static str, NetworkPolicySpec)> {
    let mut policies = vec![("instances", instances(peers))];
    if let Some(pooler) = peers.pooler {
        policies.push(("pooler", pooler_policy(peers, pooler)));
    }
    policies
}

fn instances(p: &Peers<'_>) -> NetworkPolicySpec {
    let mut ingress = vec![
        rule_in(vec![operator(p.operator_namespace)], &[STATUS, POSTGRES]),
        rule_in(vec![pods(instance_labels(p.cluster))], &[POSTGRES, STATUS]),
        rule_in(vec![namespace(p.monitoring_namespace)], &[POSTGRES_METRICS]),
    ];
    if !p.app_namespaces.is_empty() {
        ingress.push(rule_in(
            p.app_namespaces.iter().map(|n| namespace(n)).collect(),
            &[POSTGRES],
        ));
    }
    if let Some(pooler) = p.pooler {
        ingress.push(rule_in(vec![pods(pooler_labels(pooler))], &[POSTGRES]));
    }
    if p.logical_backup {
        ingress.push(rule_in(
            vec![pods(super::logical_backup::pod_labels(p.cluster))],
            &[POSTGRES],
        ));
    }
    let mut egress = vec![
        dns(),
        api_server(),
        rule_out(vec![pods(instance_labels(p.cluster))], &[POSTGRES, STATUS]),
    ];
    if let Some(port) = p.object_store_port {
        egress.push(NetworkPolicyEgressRule {
            to: None,
            ports: Some(ports(&[port], "TCP")),
        });
    }
    NetworkPolicySpec {
        pod_selector: Some(selector(instance_labels(p.cluster))),
        policy_types: Some(vec!["Ingress".to_string(), "Egress".to_string()]),
        ingress: Some(ingress),
        egress: Some(egress),
    }
}

fn pooler_policy(p: &Peers<'_>, pooler: &str) -> NetworkPolicySpec {
    let mut ingress = vec![rule_in(
        vec![namespace(p.monitoring_namespace)],
        &[PGBOUNCER_METRICS],
    )];
    if !p.app_namespaces.is_empty() {
        ingress.push(rule_in(
            p.app_namespaces.iter().map(|n| namespace(n)).collect(),
            &[POSTGRES],
        ));
    }
    NetworkPolicySpec {
        pod_selector: Some(selector(pooler_labels(pooler))),
        policy_types: Some(vec!["Ingress".to_string(), "Egress".to_string()]),
        ingress: Some(ingress),
        egress: Some(vec![
            dns(),
            api_server(),
            rule_out(vec![pods(instance_labels(p.cluster))], &[POSTGRES]),
        ]),
    }
}

fn instance_labels(cluster: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("cnpg.io/cluster".to_string(), cluster.to_string()),
        ("cnpg.io/podRole".to_string(), "instance".to_string()),
    ])
}

fn pooler_labels(pooler: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("cnpg.io/poolerName".to_string(), pooler.to_string())])
}

fn selector(labels: BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels),
    }
}

fn pods(labels: BTreeMap<String, String>) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(selector(labels)),
        ..NetworkPolicyPeer::default()
    }
}

fn namespace(name: &str) -> NetworkPolicyPeer {
    let labels = BTreeMap::from([("kubernetes.io/metadata.name".to_string(), name.to_string())]);
    NetworkPolicyPeer {
        namespace_selector: Some(selector(labels)),
        ..NetworkPolicyPeer::default()
    }
}

fn operator(namespace_name: &str) -> NetworkPolicyPeer {
    let ns = BTreeMap::from([(
        "kubernetes.io/metadata.name".to_string(),
        namespace_name.to_string(),
    )]);
    let pods = BTreeMap::from([(
        "app.kubernetes.io/name".to_string(),
        "cloudnative-pg".to_string(),
    )]);
    NetworkPolicyPeer {
        namespace_selector: Some(selector(ns)),
        pod_selector: Some(selector(pods)),
    }
}

fn ports(numbers: &[i32], protocol: &str) -> Vec<NetworkPolicyPort> {
    numbers
        .iter()
        .map(|n| NetworkPolicyPort {
            port: Some(IntOrString::Int(*n)),
            protocol: Some(protocol.to_string()),
        })
        .collect()
}

fn rule_in(from: Vec<NetworkPolicyPeer>, numbers: &[i32]) -> NetworkPolicyIngressRule {
    NetworkPolicyIngressRule {
        from: Some(from),
        ports: Some(ports(numbers, "TCP")),
    }
}

fn rule_out(to: Vec<NetworkPolicyPeer>, numbers: &[i32]) -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        to: Some(to),
        ports: Some(ports(numbers, "TCP")),
    }
}

/// DNS on any address: node-local caches listen outside the cluster's pod network.
fn dns() -> NetworkPolicyEgressRule {
    let mut ports = ports(&[53], "UDP");
    ports.extend(self::ports(&[53], "TCP"));
    NetworkPolicyEgressRule {
        to: None,
        ports: Some(ports),
    }
}

/// The API server: instance managers watch their Cluster and Secrets.
fn api_server() -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        to: None,
        ports: Some(ports(&[443, 6443], "TCP")),
    }
}

/// Who may reach the server pods of an operator-less engine (plain `StatefulSet`).
pub(super) struct ServerPeers<'a> {
    /// Labels selecting the server pods.
    pub(super) server: BTreeMap<String, String>,
    pub(super) app_namespaces: &'a BTreeSet<String>,
    /// Pods of the provisioning Job and the logical backup CronJob (when there is one).
    pub(super) jobs: Vec<BTreeMap<String, String>>,
    /// Prometheus's namespace, when the metrics exporter runs.
    pub(super) monitoring_namespace: Option<&'a str>,
}

/// The server pods' policy: apps, dbgen's own Jobs and (with monitoring) Prometheus in;
/// only DNS out. The server needs neither the API server nor any peer: there is no
/// replication, and the exporter sidecar reaches PostgreSQL over the pod's loopback.
pub(super) fn server(p: &ServerPeers<'_>) -> NetworkPolicySpec {
    let mut ingress = Vec::new();
    if !p.app_namespaces.is_empty() {
        ingress.push(rule_in(
            p.app_namespaces.iter().map(|n| namespace(n)).collect(),
            &[POSTGRES],
        ));
    }
    if !p.jobs.is_empty() {
        ingress.push(rule_in(
            p.jobs.iter().map(|labels| pods(labels.clone())).collect(),
            &[POSTGRES],
        ));
    }
    if let Some(monitoring) = p.monitoring_namespace {
        ingress.push(rule_in(vec![namespace(monitoring)], &[POSTGRES_METRICS]));
    }
    NetworkPolicySpec {
        pod_selector: Some(selector(p.server.clone())),
        policy_types: Some(vec!["Ingress".to_string(), "Egress".to_string()]),
        ingress: Some(ingress),
        egress: Some(vec![dns()]),
    }
}
