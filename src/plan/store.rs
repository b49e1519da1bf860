//! The Vault `ClusterSecretStore` External Secrets reads from, when the spec describes
//! it (`[secrets.vault]`): cluster-scoped, so it lives in the environment's
//! `cluster-scoped/` kustomization.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Meta;
use crate::defaults;
use crate::spec::{SecretProvider, Spec};

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
}

pub(super) fn cluster_secret_store(spec: &Spec) -> Option<super::ObjectData> {
    let secrets = &spec.secrets;
    let vault = secrets
        .vault
        .as_ref()
        .filter(|_| secrets.provider == SecretProvider::ExternalSecrets)?;
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
        name: secrets.store.clone().unwrap_or_default(),
        namespace: String::new(),
        labels,
    };
    Some(super::ObjectData::ClusterSecretStore(
        ClusterSecretStorePlan {
            meta,
            server: vault.server.clone(),
            path: vault
                .path
                .clone()
                .unwrap_or_else(|| defaults::VAULT_KV_PATH.to_string()),
            version: vault
                .version
                .clone()
                .unwrap_or_else(|| defaults::VAULT_KV_VERSION.to_string()),
            mount_path: vault
                .mount_path
                .clone()
                .unwrap_or_else(|| defaults::VAULT_AUTH_MOUNT.to_string()),
            role: vault.role.clone(),
            service_account: vault.service_account.name.clone(),
            service_account_namespace: vault.service_account.namespace.clone(),
            audiences: vault.audiences.clone(),
        },
    ))
}
