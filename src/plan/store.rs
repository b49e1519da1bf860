//! The Vault `ClusterSecretStore` External Secrets reads from, when the spec describes
//! it (`[secrets.vault]`): cluster-scoped, so it lives in the environment's
//! `cluster-scoped/` kustomization.
//!
//! Invariant: the store serves only the namespaces the spec grants (those holding an
//! ExternalSecret dbgen generates through it, in any environment), through its
//! `conditions`; the union over environments keeps the object identical in every tree,
//! so environments sharing a Kubernetes cluster do not fight over it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Meta;
use crate::model::{Checked, Provider};

#[derive(Debug, Clone, Serialize)]
pub struct ClusterSecretStorePlan {
    /// `namespace` is empty: the template writes none.
    pub meta: Meta,
    pub server: String,
    pub path: String,
    pub version: String,
    pub mount_path: String,
    pub role: String,
    pub service_account: String,
    pub service_account_namespace: String,
    pub audiences: Vec<String>,
    /// Namespaces allowed to use the store (`spec.conditions[].namespaces`), sorted.
    pub namespaces: Vec<String>,
}

pub(super) fn cluster_secret_store(checked: &Checked) -> Option<super::ObjectData> {
    let spec = checked.spec();
    let Provider::ExternalSecrets(es) = &checked.secrets().provider else {
        return None;
    };
    let vault = es.vault.as_ref()?;
    let labels = BTreeMap::from([
        (
            "app.kubernetes.io/part-of".to_string(),
            spec.platform.name.clone(),
        ),
        (
            "app.kubernetes.io/managed-by".to_string(),
            "dbgen".to_string(),
        ),
    ]);
    let meta = Meta {
        name: es.store.clone(),
        namespace: String::new(),
        labels,
    };
    Some(super::ObjectData::ClusterSecretStore(
        ClusterSecretStorePlan {
            meta,
            server: vault.server.clone(),
            path: vault.path.clone(),
            version: vault.version.clone(),
            mount_path: vault.mount_path.clone(),
            role: vault.role.clone(),
            service_account: vault.service_account.name.clone(),
            service_account_namespace: vault.service_account.namespace.clone(),
            audiences: vault.audiences.clone(),
            namespaces: Vec::new(),
        },
    ))
}

/// Store name → the namespaces of the generated `ExternalSecret`s reading it.
#[derive(Debug, Clone, Default)]
pub(super) struct Granted(BTreeMap<String, std::collections::BTreeSet<String>>);

impl Granted {
    /// Adds the namespaces of the `ExternalSecret`s among `objects`.
    pub(super) fn add(&mut self, objects: &[super::Object]) {
        for object in objects {
            if let super::ObjectData::ExternalSecret(es) = &*object.data
                && es.store.kind == "ClusterSecretStore"
            {
                self.0
                    .entry(es.store.name.clone())
                    .or_default()
                    .insert(es.meta.namespace.clone());
            }
        }
    }

    /// Fills every generated store's `namespaces` among `objects` with those granted.
    pub(super) fn restrict(&self, objects: &mut [super::Object]) {
        for object in objects {
            if let super::ObjectData::ClusterSecretStore(store) = &mut *object.data {
                // A store no generated ExternalSecret reads grants no namespace.
                store.namespaces = self
                    .0
                    .get(&store.meta.name)
                    .map(|n| n.iter().cloned().collect())
                    .unwrap_or_default(); // not spec data: no reader, no namespace
            }
        }
    }
}
