//! Checks of `[platform]`, `[environments]` and `[secrets]`.
//!
//! `[secrets]` holds the keys of every provider as options: here each provider gets the
//! keys it needs (missing ones reported at the table) and no key of another provider
//! (reported at the key, with the equivalent key of the chosen provider as help).

use std::collections::BTreeMap;

use super::context::Context;
use super::rules;
use crate::diagnostic::{Code, Diagnostic, Problem};
use crate::naming::{self, PlaceholderError};
use crate::source::Span;
use crate::spec::{SecretProvider, Secrets};

pub(super) fn check(cx: &mut Context<'_>) {
    let spec = cx.spec();
    let platform = &spec.platform;
    cx.rule(
        cx.at(&["platform", "name"]),
        "platform name",
        &platform.name,
        rules::label_value(&platform.name),
    );
    if let Some(domain) = &platform.domain {
        cx.rule(
            cx.at(&["platform", "domain"]),
            "domain",
            domain,
            rules::dns1123_subdomain(domain),
        );
    }
    for (field, value) in [
        ("operator_namespace", &platform.operator_namespace),
        ("monitoring_namespace", &platform.monitoring_namespace),
    ] {
        if let Some(namespace) = value {
            cx.rule(
                cx.at(&["platform", field]),
                "namespace",
                namespace,
                rules::dns1123_label(namespace),
            );
        }
    }
    if let Some(version) = &platform.cnpg_version
        && let Err(why) = rules::major_minor(version)
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidVersion,
                cx.at(&["platform", "cnpg_version"]),
                format!("cnpg_version `{version}` {why}"),
            )
            .with_label("not an operator version"),
        );
    }
    if platform.roles == Some(crate::spec::RoleStyle::Objects)
        && let Some(Ok(version)) = platform.cnpg_version.as_deref().map(rules::major_minor)
        && version < crate::defaults::CNPG_DATABASE_ROLE_SINCE
    {
        cx.push(
            Diagnostic::error(
                Code::Unsupported,
                cx.at(&["platform", "roles"]),
                format!(
                    "`DatabaseRole` objects need CloudNativePG 1.30; `cnpg_version` is {}.{}",
                    version.0, version.1
                ),
            )
            .with_label("DatabaseRole objects")
            .with_help(
                "use `roles = \"inline\"` (the Cluster's `managed.roles`) with this operator",
            ),
        );
    }
    if spec.environments.is_empty() {
        cx.push(
            Diagnostic::error(
                Code::NoEnvironments,
                None,
                "the spec defines no environment, so there is nothing to render",
            )
            .with_help("add one, e.g. `[environments.dev]`"),
        );
    }
    for (env, environment) in &spec.environments {
        cx.rule(
            cx.key(&["environments", env]),
            "environment name",
            env,
            rules::dns1123_label(env),
        );
        if let Some(profile) = &environment.profile
            && cx.profiles.get(profile).is_none()
        {
            let names: Vec<&str> = cx.profiles.names().collect();
            cx.unknown_reference(
                cx.at(&["environments", env, "profile"]),
                "profile",
                profile,
                names,
            );
        }
        let vars = BTreeMap::from([("env", env.as_str())]);
        if let Some(namespace) =
            placeholders(cx, &["platform", "namespace"], &platform.namespace, &vars)
        {
            cx.rule(
                cx.at(&["platform", "namespace"]),
                "namespace",
                &namespace,
                rules::dns1123_label(&namespace),
            );
        }
    }
    secrets(cx);
}

/// Which provider reads each provider-specific key of `[secrets]`, and the key the other
/// provider uses for the same purpose (for the did-you-mean help).
const PROVIDER_KEYS: &[(&str, SecretProvider, Option<&str>)] = &[
    ("store", SecretProvider::ExternalSecrets, Some("project")),
    ("store_kind", SecretProvider::ExternalSecrets, Some("kind")),
    ("key", SecretProvider::ExternalSecrets, Some("path")),
    (
        "refresh",
        SecretProvider::ExternalSecrets,
        Some("resync_interval"),
    ),
    ("host", SecretProvider::Infisical, None),
    ("project", SecretProvider::Infisical, Some("store")),
    ("path", SecretProvider::Infisical, Some("key")),
    ("credentials", SecretProvider::Infisical, None),
    (
        "resync_interval",
        SecretProvider::Infisical,
        Some("refresh"),
    ),
    ("kind", SecretProvider::Infisical, Some("store_kind")),
    ("vault", SecretProvider::ExternalSecrets, None),
];

/// Keys each provider cannot work without.
const REQUIRED: &[(&str, SecretProvider)] = &[
    ("store", SecretProvider::ExternalSecrets),
    ("key", SecretProvider::ExternalSecrets),
    ("host", SecretProvider::Infisical),
    ("project", SecretProvider::Infisical),
    ("path", SecretProvider::Infisical),
    ("credentials", SecretProvider::Infisical),
];

fn secrets(cx: &mut Context<'_>) {
    let secrets = &cx.spec().secrets;
    provider_keys(cx, secrets);
    if secrets.password_property.as_deref() == Some("") {
        cx.push(Diagnostic::error(
            Code::InvalidValue,
            cx.at(&["secrets", "password_property"]),
            "password_property must not be empty",
        ));
    }
    if let Some(vault) = &secrets.vault {
        vault_store(cx, secrets, vault);
    }
    match secrets.provider {
        SecretProvider::ExternalSecrets => external_secrets(cx, secrets),
        SecretProvider::Infisical => infisical(cx, secrets),
    }
}

/// The `ClusterSecretStore` dbgen emits: only a cluster-wide store can be emitted once
/// for every namespace, and its values must be what External Secrets accepts.
fn vault_store(cx: &mut Context<'_>, secrets: &Secrets, vault: &crate::spec::VaultStore) {
    if secrets.store_kind == Some(crate::spec::StoreKind::SecretStore) {
        cx.push(
            Diagnostic::error(Code::InvalidValue, cx.at(&["secrets", "vault"]), "dbgen emits the Vault store as a `ClusterSecretStore`, but `store_kind` is `SecretStore`")
                .with_label("a namespaced store would be needed in every namespace")
                .with_help("drop `store_kind`, or manage the SecretStores yourself and drop `[secrets.vault]`"),
        );
    }
    if let Err(Problem {
        why, fix: fixed, ..
    }) = rules::base_url(&vault.server)
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                cx.at(&["secrets", "vault", "server"]),
                format!("Vault server `{}` {why}", vault.server),
            )
            .with_label("not a base URL")
            .with_help_opt(fixed.map(|f| format!("did you mean `{f}`?"))),
        );
    }
    if let Some(version) = &vault.version
        && !matches!(version.as_str(), "v1" | "v2")
    {
        cx.push(
            Diagnostic::error(
                Code::UnknownValue,
                cx.at(&["secrets", "vault", "version"]),
                format!("KV version `{version}` is neither `v1` nor `v2`"),
            )
            .with_label("v1 or v2"),
        );
    }
    let account = &vault.service_account;
    cx.rule(
        cx.at(&["secrets", "vault", "service_account"]),
        "service account namespace",
        &account.namespace,
        rules::dns1123_label(&account.namespace),
    );
    cx.rule(
        cx.at(&["secrets", "vault", "service_account"]),
        "service account name",
        &account.name,
        rules::dns1123_subdomain(&account.name),
    );
}

/// Every key the chosen provider needs but is missing, and every key it does not use.
fn provider_keys(cx: &mut Context<'_>, secrets: &Secrets) {
    let provider = secrets.provider;
    let present = |key: &str| cx.at(&["secrets", key]).is_some();
    let other_keys_present: Vec<&str> = PROVIDER_KEYS
        .iter()
        .filter(|(key, used_by, _)| *used_by != provider && present(key))
        .map(|(key, _, _)| *key)
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|(key, used_by)| *used_by == provider && !present(key))
        .map(|(key, _)| *key)
        .collect();
    // Every key of the other provider and none of this one's: the provider is wrong.
    let other = match provider {
        SecretProvider::ExternalSecrets => SecretProvider::Infisical,
        SecretProvider::Infisical => SecretProvider::ExternalSecrets,
    };
    let wrong_provider = !other_keys_present.is_empty()
        && REQUIRED
            .iter()
            .filter(|(_, used_by)| *used_by == other)
            .all(|(key, _)| present(key));
    for key in &missing {
        let help = if wrong_provider {
            format!(
                "the other keys here are {} keys: did you mean `provider = \"{}\"`?",
                other.as_str(),
                other.as_str()
            )
        } else {
            format!("provider `{}` needs `{key}`", provider.as_str())
        };
        cx.push(
            Diagnostic::error(
                Code::MissingKey,
                cx.at(&["secrets"]),
                format!(
                    "missing required key `{key}` in [secrets] (provider `{}`)",
                    provider.as_str()
                ),
            )
            .with_label(format!("`{key}` is required here"))
            .with_help(help),
        );
    }
    for key in other_keys_present {
        let counterpart = PROVIDER_KEYS
            .iter()
            .find(|(k, _, _)| *k == key)
            .and_then(|(_, _, c)| *c);
        let help = if wrong_provider {
            format!("did you mean `provider = \"{}\"`?", other.as_str())
        } else {
            counterpart.map_or_else(
                || format!("remove it, or use `provider = \"{}\"`", other.as_str()),
                |c| format!("did you mean `{c}`? (the {} key)", provider.as_str()),
            )
        };
        cx.push(
            Diagnostic::error(
                Code::UnusedKey,
                cx.key(&["secrets", key]),
                format!(
                    "`secrets.{key}` is an {} key; provider `{}` does not use it",
                    other.as_str(),
                    provider.as_str()
                ),
            )
            .with_label("not used by this provider")
            .with_help(help),
        );
    }
    if provider != SecretProvider::Infisical {
        for env in cx.spec().environments.keys() {
            let path = ["environments", env.as_str(), "infisical_environment"];
            if cx.at(&path).is_some() {
                cx.push(
                    Diagnostic::error(
                        Code::UnusedKey,
                        cx.key(&path),
                        format!(
                            "`environments.{env}.infisical_environment` is an infisical key; provider `{}` does not use it",
                            provider.as_str()
                        ),
                    )
                    .with_label("not used by this provider")
                    .with_help("remove it, or use `provider = \"infisical\"`"),
                );
            }
        }
    }
}

fn external_secrets(cx: &mut Context<'_>, secrets: &Secrets) {
    if let Some(store) = &secrets.store {
        cx.rule(
            cx.at(&["secrets", "store"]),
            "secret store name",
            store,
            rules::dns1123_subdomain(store),
        );
    }
    let vars = BTreeMap::from([("env", "env"), ("app", "app"), ("cluster", "cluster")]);
    if let Some(key) = &secrets.key {
        placeholders(cx, &["secrets", "key"], key, &vars);
    }
    if let Some(refresh) = &secrets.refresh
        && let Err(why) = rules::refresh_interval(refresh)
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidDuration,
                cx.at(&["secrets", "refresh"]),
                format!("refresh interval `{refresh}`: {why}"),
            )
            .with_label("not a Go duration"),
        );
    }
}

fn infisical(cx: &mut Context<'_>, secrets: &Secrets) {
    if let Some(host) = &secrets.host {
        infisical_host(cx, host);
    }
    if let Some(project) = &secrets.project {
        cx.rule(
            cx.at(&["secrets", "project"]),
            "Infisical project slug",
            project,
            rules::infisical_slug(project),
        );
    }
    if let Some(path) = &secrets.path {
        let vars = BTreeMap::from([("env", "env"), ("app", "app"), ("cluster", "cluster")]);
        placeholders(cx, &["secrets", "path"], path, &vars);
        // Placeholders never hold `/`, so the raw template shows the folder structure.
        if let Err(why) = folder_path(path) {
            cx.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    cx.at(&["secrets", "path"]),
                    format!("Infisical secrets path `{path}` {why}"),
                )
                .with_label("not an Infisical folder path")
                .with_help(format!(
                    "did you mean `/{}`?",
                    path.trim_matches('/')
                        .split('/')
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join("/")
                )),
            );
        }
    }
    if let Some(credentials) = &secrets.credentials {
        cx.rule(
            cx.at(&["secrets", "credentials", "name"]),
            "credentials Secret name",
            &credentials.name,
            rules::dns1123_subdomain(&credentials.name),
        );
        cx.rule(
            cx.at(&["secrets", "credentials", "namespace"]),
            "credentials namespace",
            &credentials.namespace,
            rules::dns1123_label(&credentials.namespace),
        );
    }
    if let Some(interval) = &secrets.resync_interval
        && let Err(why) = rules::infisical_interval(interval)
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidDuration,
                cx.at(&["secrets", "resync_interval"]),
                format!("resync interval `{interval}` {why}"),
            )
            .with_label("not an Infisical interval"),
        );
    }
    if let Some(property) = &secrets.password_property
        && !property.is_empty()
        && let Err(why) = rules::template_identifier(property)
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                cx.at(&["secrets", "password_property"]),
                format!("Infisical secret name `{property}` {why}"),
            )
            .with_label("not usable in an Infisical template")
            .with_help(format!(
                "dbgen reads it as `{{{{ .{property}.Value }}}}`; rename the secret in Infisical, e.g. to `{}`",
                property.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            )),
        );
    }
    for (env, environment) in &cx.spec().environments {
        if let Some(slug) = &environment.infisical_environment {
            cx.rule(
                cx.at(&["environments", env, "infisical_environment"]),
                "Infisical environment slug",
                slug,
                rules::infisical_slug(slug),
            );
        }
    }
}

/// The host must be the instance's base URL: dbgen appends `/api` itself.
fn infisical_host(cx: &mut Context<'_>, host: &str) {
    let span = cx.at(&["secrets", "host"]);
    let (why, fixed) = match rules::base_url(host) {
        Err(problem) => (problem.why, problem.fix),
        Ok(()) if host.ends_with("/api") => (
            "ends with `/api`, which dbgen appends itself (it would become `/api/api`)".into(),
            Some(host.trim_end_matches("/api").to_string()),
        ),
        Ok(()) => {
            if host.starts_with("http://") {
                cx.push(
                    Diagnostic::warning(
                        Code::PlainHttp,
                        span,
                        format!("Infisical host `{host}` uses plain HTTP"),
                    )
                    .with_label("not encrypted")
                    .with_help(
                        "the machine identity's token and every database password cross the network in clear text; prefer https",
                    ),
                );
            }
            return;
        }
    };
    cx.push(
        Diagnostic::error(
            Code::InvalidUrl,
            span,
            format!("Infisical host `{host}` {why}"),
        )
        .with_label("not a base URL")
        .with_help_opt(fixed.map(|f| format!("did you mean `{f}`?"))),
    );
}

/// An Infisical folder path: absolute, no empty segment, no trailing `/` (but `/`).
pub(super) fn folder_path(path: &str) -> Result<(), &'static str> {
    if !path.starts_with('/') {
        return Err("must start with `/`");
    }
    if path != "/" && path.ends_with('/') {
        return Err("must not end with `/`");
    }
    if path.contains("//") {
        return Err("must not contain an empty folder name (`//`)");
    }
    Ok(())
}

/// Expands `{placeholders}` in the value at `path`, reporting unknown or unbalanced
/// ones at their exact column.
pub(super) fn placeholders(
    cx: &mut Context<'_>,
    path: &[&str],
    template: &str,
    vars: &BTreeMap<&str, &str>,
) -> Option<String> {
    match naming::expand(template, vars) {
        Ok(expanded) => Some(expanded),
        Err(error) => {
            let value = cx.at(path);
            // +1 skips the opening quote of a basic or literal TOML string.
            let inside = |offset: usize, len: usize| {
                value.clone().map(|s| Span {
                    file: s.file,
                    range: s.range.start + 1 + offset..s.range.start + 1 + offset + len,
                })
            };
            let allowed: Vec<String> = vars.keys().map(|k| format!("`{{{k}}}`")).collect();
            let diagnostic = match error {
                PlaceholderError::Unknown { name, offset } => {
                    let help = crate::suggest::did_you_mean(&name, vars.keys().copied())
                        .map_or_else(
                            || format!("allowed here: {}", allowed.join(", ")),
                            |s| {
                                format!(
                                    "did you mean `{{{s}}}`? (allowed here: {})",
                                    allowed.join(", ")
                                )
                            },
                        );
                    Diagnostic::error(
                        Code::UnknownPlaceholder,
                        inside(offset, name.len() + 2),
                        format!("unknown placeholder `{{{name}}}` in `{}`", path.join(".")),
                    )
                    .with_label("unknown placeholder")
                    .with_help(help)
                }
                PlaceholderError::Unbalanced { offset } => Diagnostic::error(
                    Code::UnknownPlaceholder,
                    inside(offset, 1),
                    format!("unbalanced brace in `{}`", path.join(".")),
                )
                .with_label("no matching brace")
                .with_help(format!("placeholders look like {}", allowed.join(", "))),
            };
            cx.push(diagnostic);
            None
        }
    }
}
