//! Builds the resolved parts of `Checked` from a spec whose checks passed: `[platform]`,
//! `[secrets]` and `[gitops]` with their defaults, and every namespace expanded.
//!
//! Input: the typed spec, after every check ran. Output: `model::Platform`,
//! `model::Secrets`, `model::Gitops`, namespaces by environment and by (environment, app).
//! Invariant: a value that failed its check was reported there, and a spec with errors
//! yields no `Checked`; so what is kept here in place of such a value (the pinned version,
//! the text as written) never reaches `plan`.

use std::collections::BTreeMap;

use super::rules;
use crate::defaults;
use crate::model::{self, Pattern};
use crate::naming;
use crate::spec::{InfisicalKind, SecretProvider, Spec, StoreKind};

/// `[platform]` with its defaults applied (an unparsable `cnpg_version` was reported).
pub(super) fn platform(platform: &crate::spec::Platform) -> crate::model::Platform {
    let or = |value: &Option<String>, default: &str| {
        value.clone().unwrap_or_else(|| default.to_string())
    };
    let cnpg_version = platform
        .cnpg_version
        .as_deref()
        .and_then(|v| rules::major_minor(v).ok())
        .unwrap_or(crate::pins::CNPG_VERSION);
    let roles = platform
        .roles
        .unwrap_or(if cnpg_version >= defaults::CNPG_DATABASE_ROLE_SINCE {
            crate::spec::RoleStyle::Objects
        } else {
            crate::spec::RoleStyle::Inline
        });
    crate::model::Platform {
        domain: or(&platform.domain, defaults::DOMAIN),
        operator_namespace: or(&platform.operator_namespace, defaults::OPERATOR_NAMESPACE),
        monitoring_namespace: or(
            &platform.monitoring_namespace,
            defaults::MONITORING_NAMESPACE,
        ),
        cnpg_version,
        roles,
    }
}

/// `[secrets]` for its provider; `None` when a key the provider requires is missing
/// (reported by the `[secrets]` checks).
pub(super) fn secrets(spec: &Spec) -> Option<model::Secrets> {
    let secrets = &spec.secrets;
    let or = |value: &Option<String>, default: &str| {
        value.clone().unwrap_or_else(|| default.to_string())
    };
    let pattern = |text: &String| Pattern::parse(text).unwrap_or_else(|_| Pattern::verbatim(text));
    let provider = match secrets.provider {
        SecretProvider::ExternalSecrets => {
            model::Provider::ExternalSecrets(model::ExternalSecrets {
                store: secrets.store.clone()?,
                store_kind: secrets.store_kind.unwrap_or(StoreKind::ClusterSecretStore),
                key: pattern(secrets.key.as_ref()?),
                refresh: go_duration(or(&secrets.refresh, defaults::REFRESH)),
                vault: secrets.vault.as_ref().map(|vault| model::Vault {
                    server: vault.server.clone(),
                    path: or(&vault.path, defaults::VAULT_KV_PATH),
                    version: or(&vault.version, defaults::VAULT_KV_VERSION),
                    role: vault.role.clone(),
                    mount_path: or(&vault.mount_path, defaults::VAULT_AUTH_MOUNT),
                    service_account: vault.service_account.clone(),
                    audiences: vault.audiences.clone(),
                }),
            })
        }
        SecretProvider::Infisical => model::Provider::Infisical(model::Infisical {
            host: secrets.host.clone()?,
            project: secrets.project.clone()?,
            path: pattern(secrets.path.as_ref()?),
            credentials: secrets.credentials.clone()?,
            resync_interval: {
                let text = or(
                    &secrets.resync_interval,
                    defaults::INFISICAL_RESYNC_INTERVAL,
                );
                let seconds = rules::infisical_interval_seconds(&text);
                model::Duration::new(text, seconds)
            },
            kind: secrets.kind.unwrap_or(InfisicalKind::InfisicalSecret),
            environments: spec
                .environments
                .iter()
                .filter_map(|(env, e)| Some((env.clone(), e.infisical_environment.clone()?)))
                .collect(),
        }),
    };
    Some(model::Secrets {
        password_property: or(&secrets.password_property, defaults::PASSWORD_PROPERTY),
        provider,
    })
}

/// `template` with `{env}` expanded (the checks expanded it the same way).
fn in_env(template: &str, env: &str) -> String {
    naming::expand(template, &BTreeMap::from([("env", env)]))
        .unwrap_or_else(|_| template.to_string())
}

/// The cluster namespace of every environment.
pub(super) fn namespaces(spec: &Spec) -> BTreeMap<String, String> {
    spec.environments
        .keys()
        .map(|env| (env.clone(), in_env(&spec.platform.namespace, env)))
        .collect()
}

/// Every app's namespace in every environment.
pub(super) fn app_namespaces(spec: &Spec) -> BTreeMap<(String, String), String> {
    spec.environments
        .keys()
        .flat_map(|env| {
            spec.apps
                .iter()
                .map(move |(key, app)| ((env.clone(), key.clone()), in_env(&app.namespace, env)))
        })
        .collect()
}

/// `[gitops]` for its tool with its defaults; `None` when Argo CD lacks `repository`
/// (reported by `gitops::check`).
pub(super) fn gitops(gitops: &crate::spec::Gitops) -> Option<model::Gitops> {
    let or = |value: &Option<String>, default: &str| {
        value.clone().unwrap_or_else(|| default.to_string())
    };
    let tool = match gitops.tool {
        crate::spec::GitopsTool::Argocd => model::GitopsTool::Argocd(model::Argocd {
            namespace: or(&gitops.namespace, defaults::ARGOCD_NAMESPACE),
            repository: gitops.repository.clone()?,
            revision: or(&gitops.revision, defaults::ARGOCD_REVISION),
            project: or(&gitops.project, defaults::ARGOCD_PROJECT),
            server: or(&gitops.server, defaults::ARGOCD_SERVER),
        }),
        crate::spec::GitopsTool::Flux => model::GitopsTool::Flux(model::Flux {
            namespace: or(&gitops.namespace, defaults::FLUX_NAMESPACE),
            source: or(&gitops.source, defaults::FLUX_SOURCE),
            interval: go_duration(or(&gitops.interval, defaults::FLUX_INTERVAL)),
        }),
    };
    Some(model::Gitops {
        path: gitops.path.clone(),
        tool,
    })
}

/// A Go duration the checks accepted (`rules::go_duration`), with its length.
fn go_duration(text: String) -> model::Duration {
    let seconds = rules::go_duration_seconds(&text);
    model::Duration::new(text, seconds)
}
