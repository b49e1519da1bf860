//! No two roles silently share a password: every password dbgen has the secret provider
//! read is located by (remote key or Infisical folder, property), and two different roles
//! reading the same one is an error. `secrets.shared_passwords = true` lets apps' roles
//! share one (an explicit choice); sharing with a role dbgen or an engine declares (the
//! logical backup role, the administrator, repmgr, Pgpool, Redis) is always an error.
//!
//! Input: the context, the merged settings and the Redis servers of every environment.
//! Output: one diagnostic per pair of roles that would share a password.
//! The same for object-store credentials: one Secret name in an environment's cluster
//! namespace is one object, so every backup naming it must read it from the same key.
//!
//! Invariant: keys are expanded with the same variables `plan` uses for the same objects.

use std::collections::{BTreeMap, BTreeSet};

use super::context::Context;
use super::topology;
use crate::defaults;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Merged;
use crate::model::RedisEnv;
use crate::model::owned::bitnami;
use crate::naming;
use crate::source::Span;
use crate::spec::{Engine, SecretProvider};

/// One role reading one password.
#[derive(Clone)]
struct Reader {
    /// Stable identity (not per environment), e.g. `app:wiki`.
    id: String,
    /// For messages, e.g. "the role `wiki` of app `wiki`".
    describe: String,
    /// An app's role (which `shared_passwords` may let share).
    is_app: bool,
    span: Option<Span>,
}

pub(super) fn check(
    cx: &mut Context<'_>,
    merged: &BTreeMap<(String, String), Merged>,
    redis: &BTreeMap<String, Vec<RedisEnv>>,
) {
    let spec = cx.spec();
    let shared_ok = spec.secrets.shared_passwords == Some(true);
    let mut reported = BTreeSet::new();
    for env in spec.environments.keys() {
        // (location, property) → first reader.
        let mut seen: BTreeMap<(String, String), Reader> = BTreeMap::new();
        for (location, property, reader) in readers(cx, env, merged, redis) {
            let Some(first) = seen.get(&(location.clone(), property.clone())) else {
                seen.insert((location, property), reader);
                continue;
            };
            if first.id == reader.id
                || (shared_ok && first.is_app && reader.is_app)
                || !reported.insert((first.id.clone(), reader.id.clone()))
            {
                continue;
            }
            let mut diagnostic = Diagnostic::error(
                Code::SharedPassword,
                reader.span.clone(),
                format!(
                    "{} and {} would both read the password `{property}` of `{location}` in environment `{env}`",
                    first.describe, reader.describe
                ),
            )
            .with_label("the same remote password for two roles")
            .with_help(match (first.is_app, reader.is_app) {
                (true, true) => "give each app its own remote key (`{app}` in `secrets.key` or `secrets.path`), or set `secrets.shared_passwords = true` if the apps are meant to share one password",
                (false, false) => "give each role its own remote key, e.g. with `{cluster}` in `credentials_key`",
                _ => "give this role its own remote key: an app must never hold the password of a role dbgen or the engine declares",
            });
            if let Some(span) = &first.span
                && Some(span) != reader.span.as_ref()
            {
                diagnostic = diagnostic
                    .with_related(span.clone(), format!("{} reads it here", first.describe));
            }
            cx.push(diagnostic);
        }
    }
    credentials_secrets(cx, merged, redis);
}

/// A backup credentials Secret named twice with different remote keys would be two
/// different objects of one name.
fn credentials_secrets(
    cx: &mut Context<'_>,
    merged: &BTreeMap<(String, String), Merged>,
    redis: &BTreeMap<String, Vec<RedisEnv>>,
) {
    let mut reported = BTreeSet::new();
    for env in cx.spec().environments.keys() {
        // (Secret, remote key, where, what) of every backup with credentials.
        let mut uses: Vec<(String, String, Option<Span>, String)> = Vec::new();
        for entry in cx.clusters.iter().filter(|c| c.in_env(env)) {
            let (Ok(name), Some(settings)) = (
                entry.name(env),
                merged.get(&(env.clone(), entry.key.clone())),
            ) else {
                continue;
            };
            let vars = BTreeMap::from([("env", env.as_str()), ("cluster", name.as_str())]);
            if let Some(backup) = &settings.backup
                && let (Some(secret), Some(key)) = (&backup.credentials, &backup.credentials_key)
                && let Ok(remote) = naming::expand(&key.value, &vars)
            {
                uses.push((
                    secret.value.clone(),
                    remote,
                    key.span.clone(),
                    format!("the backups of {}", entry.describe()),
                ));
            }
            if let Some(upload) = settings
                .logical_backup
                .as_ref()
                .and_then(|l| l.upload.as_ref())
                && let (Some(secret), Some(key)) = (&upload.credentials, &upload.credentials_key)
                && let Ok(remote) = naming::expand(key, &vars)
            {
                let table = upload
                    .table
                    .clone()
                    .or_else(|| cx.key(&["postgres", &entry.key]));
                uses.push((
                    secret.clone(),
                    remote,
                    table,
                    format!("the logical backup upload of {}", entry.describe()),
                ));
            }
        }
        for server in redis.get(env).map_or(&[][..], Vec::as_slice) {
            let vars = BTreeMap::from([("env", env.as_str()), ("cluster", server.name.as_str())]);
            if let Some(upload) = server.backup.as_ref().and_then(|b| b.upload.as_ref())
                && let (Some(secret), Some(key)) = (&upload.credentials, &upload.credentials_key)
                && let Ok(remote) = naming::expand(key, &vars)
            {
                let table = upload
                    .table
                    .clone()
                    .or_else(|| cx.at(&["redis", &server.key, "backup"]))
                    .or_else(|| cx.key(&["redis", &server.key]));
                uses.push((
                    secret.clone(),
                    remote,
                    table,
                    format!("the backup upload of Redis `{}`", server.key),
                ));
            }
        }
        let mut first_use: BTreeMap<&str, &(String, String, Option<Span>, String)> =
            BTreeMap::new();
        for current in &uses {
            let Some(first) = first_use.get(current.0.as_str()) else {
                first_use.insert(&current.0, current);
                continue;
            };
            if first.1 == current.1 || !reported.insert((current.0.clone(), current.3.clone())) {
                continue;
            }
            let mut diagnostic = Diagnostic::error(
                Code::NameCollision,
                current.2.clone(),
                format!(
                    "{} and {} both name credentials Secret `{}` in environment `{env}`, read from different keys (`{}` and `{}`)",
                    first.3, current.3, current.0, first.1, current.1
                ),
            )
            .with_label("same Secret, another remote key")
            .with_help("one Secret name is one object: use the same `credentials_key`, or another `credentials` name");
            if let Some(span) = &first.2 {
                diagnostic =
                    diagnostic.with_related(span.clone(), format!("{} reads it here", first.3));
            }
            cx.push(diagnostic);
        }
    }
}

/// Every (location, property, reader) of `env`, apps first.
fn readers(
    cx: &Context<'_>,
    env: &str,
    merged: &BTreeMap<(String, String), Merged>,
    redis: &BTreeMap<String, Vec<RedisEnv>>,
) -> Vec<(String, String, Reader)> {
    let spec = cx.spec();
    let infisical = spec.secrets.provider == SecretProvider::Infisical;
    // With Infisical, the same folder in another Infisical environment is another secret.
    let location = |key: String| {
        if infisical {
            let slug = spec
                .environments
                .get(env)
                .and_then(|e| e.infisical_environment.clone())
                .unwrap_or_else(|| env.to_string());
            format!("{slug}:{key}")
        } else {
            key
        }
    };
    let expand = |template: &str, vars: &BTreeMap<&str, &str>| naming::expand(template, vars).ok();
    let mut out = Vec::new();
    let app_template = if infisical {
        spec.secrets.path.clone()
    } else {
        spec.secrets.key.clone()
    };
    let app_span = cx.at(&["secrets", if infisical { "path" } else { "key" }]);
    let property = spec
        .secrets
        .password_property
        .clone()
        .unwrap_or_else(|| defaults::PASSWORD_PROPERTY.to_string());
    let cluster_names: BTreeMap<&str, String> = cx
        .clusters
        .iter()
        .filter(|c| c.in_env(env))
        .filter_map(|c| Some((c.key.as_str(), c.name(env).ok()?)))
        .collect();
    for (key, app) in &spec.apps {
        let Some(cluster) = topology::app_cluster(key, app) else {
            continue;
        };
        let (Some(template), Some(name)) = (&app_template, cluster_names.get(cluster)) else {
            continue;
        };
        let vars = BTreeMap::from([("env", env), ("app", key.as_str()), ("cluster", name)]);
        let Some(remote) = expand(template, &vars) else {
            continue;
        };
        let reader = |id: String, describe: String| Reader {
            id,
            describe,
            is_app: true,
            span: app_span.clone(),
        };
        out.push((
            location(remote.clone()),
            property.clone(),
            reader(format!("app:{key}"), format!("app `{key}`")),
        ));
        if app.readonly == Some(true) {
            out.push((
                location(remote),
                defaults::READONLY_PASSWORD_PROPERTY.to_string(),
                reader(
                    format!("readonly:{key}"),
                    format!("the read-only role of app `{key}`"),
                ),
            ));
        }
    }
    for entry in cx.clusters.iter().filter(|c| c.in_env(env)) {
        let Some(name) = cluster_names.get(entry.key.as_str()) else {
            continue;
        };
        let Some(settings) = merged.get(&(env.to_string(), entry.key.clone())) else {
            continue;
        };
        if let Some(logical) = &settings.logical_backup
            && let Some(template) = &logical.credentials_key
            && let Some(remote) =
                expand(template, &BTreeMap::from([("env", env), ("cluster", name)]))
        {
            out.push((
                location(remote),
                defaults::PASSWORD_PROPERTY.to_string(),
                Reader {
                    id: format!("backup:{}", entry.key),
                    describe: format!("the logical backup role of {}", entry.describe()),
                    is_app: false,
                    span: logical.table.clone(),
                },
            ));
        }
        let Some(template) = &entry.spec.credentials_key else {
            continue;
        };
        let mut vars = BTreeMap::from([("env", env), ("cluster", name.as_str())]);
        if let Some(app) = &entry.dedicated_for {
            vars.insert("app", app);
        }
        let Some(remote) = expand(template, &vars) else {
            continue;
        };
        let mut path: Vec<&str> = entry.prefix.iter().map(String::as_str).collect();
        path.push("credentials_key");
        let span = cx.at(&path);
        let properties: &[(&str, &str)] = match entry.spec.engine {
            Engine::Cnpg => &[],
            Engine::Statefulset => &[("admin-password", "the administrator")],
            Engine::Bitnami => &[
                (bitnami::ADMIN_PROPERTY, "the administrator"),
                (bitnami::REPLICATION_PROPERTY, "repmgr"),
                (bitnami::PGPOOL_ADMIN_PROPERTY, "Pgpool's administrator"),
            ],
        };
        for (property, who) in properties {
            out.push((
                location(remote.clone()),
                (*property).to_string(),
                Reader {
                    id: format!("{property}:{}", entry.key),
                    describe: format!("{who} of {}", entry.describe()),
                    is_app: false,
                    span: span.clone(),
                },
            ));
        }
    }
    for server in redis.get(env).map_or(&[][..], Vec::as_slice) {
        out.push((
            location(server.credentials_key.clone()),
            defaults::PASSWORD_PROPERTY.to_string(),
            Reader {
                id: format!("redis:{}", server.key),
                describe: format!("Redis `{}`", server.key),
                is_app: false,
                span: cx.at(&["redis", &server.key, "credentials_key"]),
            },
        ));
    }
    out
}
