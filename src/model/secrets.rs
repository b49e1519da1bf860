//! `[secrets]` resolved: one variant per provider, holding exactly the keys it uses with
//! every default applied.
//!
//! Input: nothing (types; `validate` builds them once the `[secrets]` checks passed).
//! Output: `Secrets`, read by `plan::credentials` and `plan::store`.
//! Invariant: a provider's required keys are present by construction; `plan` matches on
//! the provider instead of reading options of the other one.

use std::collections::BTreeMap;

use super::pattern::Pattern;
use crate::spec::{InfisicalKind, SecretRef, StoreKind};

#[derive(Debug, Clone)]
pub struct Secrets {
    /// The property (External Secrets) or secret name (Infisical) of each app's password.
    pub password_property: String,
    pub provider: Provider,
}

#[derive(Debug, Clone)]
pub enum Provider {
    ExternalSecrets(ExternalSecrets),
    Infisical(Infisical),
}

#[derive(Debug, Clone)]
pub struct ExternalSecrets {
    /// The store every `ExternalSecret` reads from.
    pub store: String,
    pub store_kind: StoreKind,
    /// Remote key of each app's credentials.
    pub key: Pattern,
    /// How often the store is re-read (a Go duration).
    pub refresh: super::Duration,
    /// The Vault `ClusterSecretStore` dbgen emits as `store`, if the spec describes one.
    pub vault: Option<Vault>,
}

/// A Vault `ClusterSecretStore` (KV engine, Kubernetes auth) with its defaults applied.
#[derive(Debug, Clone)]
pub struct Vault {
    pub server: String,
    pub path: String,
    pub version: String,
    pub role: String,
    pub mount_path: String,
    pub service_account: SecretRef,
    pub audiences: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Infisical {
    /// Base URL of the instance, without `/api`.
    pub host: String,
    pub project: String,
    /// Folder of each app's credentials.
    pub path: Pattern,
    /// The universal-auth credentials Secret.
    pub credentials: SecretRef,
    pub resync_interval: super::Duration,
    pub kind: InfisicalKind,
    /// `infisical_environment` of the environments that set one, by environment.
    pub environments: BTreeMap<String, String>,
}

impl Infisical {
    /// Infisical's slug of `env`: its `infisical_environment`, else its own name.
    pub fn environment<'a>(&'a self, env: &'a str) -> &'a str {
        match self.environments.get(env) {
            Some(slug) => slug,
            None => env,
        }
    }
}
