//! Checks of `[apps.*]`: references, database and role names, and the uniqueness of
//! every name dbgen derives from them (per cluster and per namespace).

use std::collections::BTreeMap;

use super::context::Context;
use super::platform::placeholders;
use super::rules;
use super::topology;
use crate::diagnostic::{Code, Diagnostic};
use crate::naming;
use crate::source::Span;
use crate::spec::{App, Engine, SslMode};

pub(super) fn check(cx: &mut Context<'_>) {
    let spec = cx.spec();
    // (cluster, database|role, name) → app that claimed it first.
    let mut claimed: BTreeMap<(String, &'static str, String), String> = BTreeMap::new();
    // (namespace template, secret name) → app
    let mut secrets: BTreeMap<(String, String), String> = BTreeMap::new();
    for (key, app) in &spec.apps {
        let key_valid = cx.rule(
            cx.key(&["apps", key]),
            "app name",
            key,
            rules::dns1123_label(key),
        );
        namespace(cx, key, app);
        let Some(cluster) = cluster(cx, key, app) else {
            continue;
        };
        verified_tls(cx, key, app, cluster);
        let database = naming::database(key, app.database.as_deref());
        let role = naming::role(&database, app.user.as_deref());
        let database_at = name_span(cx, key, "database");
        let role_at = if app.user.is_some() {
            cx.at(&["apps", key, "user"])
        } else {
            database_at.clone()
        };
        // A name derived from an invalid one would only repeat its error.
        let derived_from_bad_key = app.database.is_none() && !key_valid;
        let engine = cx
            .clusters
            .iter()
            .find(|c| c.key == cluster)
            .map(|c| c.spec.engine);
        let database_valid = !derived_from_bad_key
            && identifier(cx, database_at.clone(), "database", &database, engine);
        if app.user.is_some() || database_valid {
            identifier(cx, role_at.clone(), "role", &role, engine);
        }
        for extension in &app.extensions {
            let valid = !extension.is_empty()
                && extension.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                });
            if valid {
                shipped_extension(cx, key, cluster, app, extension);
            } else {
                let index = app
                    .extensions
                    .iter()
                    .position(|e| e == extension)
                    .unwrap_or_default()
                    .to_string();
                cx.push(
                    Diagnostic::error(
                        Code::InvalidName,
                        cx.at(&["apps", key, "extensions", &index]),
                        format!("`{extension}` is not an extension name"),
                    )
                    .with_label("lowercase letters, digits, `_` and `-` only"),
                );
            }
        }
        for (what, name, span) in [
            ("database", &database, &database_at),
            ("role", &role, &role_at),
        ] {
            match claimed.get(&(cluster.to_string(), what, name.clone())) {
                Some(first) => duplicate(cx, span.clone(), what, name, cluster, first),
                None => {
                    claimed.insert((cluster.to_string(), what, name.clone()), key.clone());
                }
            }
        }
        if key_valid {
            derived_names(cx, key, app, cluster);
        }
        let secret = naming::connection_secret(key, app.connection_secret.as_deref());
        if let Some(first) = secrets.insert((app.namespace.clone(), secret.clone()), key.clone()) {
            let span = cx
                .at(&["apps", key, "connection_secret"])
                .or_else(|| cx.key(&["apps", key]));
            cx.push(
                Diagnostic::error(Code::NameCollision, span, format!("apps `{first}` and `{key}` would both write Secret `{secret}` in namespace `{}`", app.namespace))
                    .with_label("same connection Secret")
                    .with_help("set `connection_secret` on one of them"),
            );
        }
    }
}

fn namespace(cx: &mut Context<'_>, key: &str, app: &App) {
    for env in cx.spec().environments.keys() {
        let vars = BTreeMap::from([("env", env.as_str())]);
        if let Some(namespace) =
            placeholders(cx, &["apps", key, "namespace"], &app.namespace, &vars)
        {
            cx.rule(
                cx.at(&["apps", key, "namespace"]),
                "namespace",
                &namespace,
                rules::dns1123_label(&namespace),
            );
        }
    }
}

/// The cluster the app uses, if it names one that exists.
fn cluster<'s>(cx: &mut Context<'_>, key: &'s str, app: &'s App) -> Option<&'s str> {
    if app.readonly == Some(true) && !topology::is_dedicated(app) {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                cx.at(&["apps", key, "readonly"]),
                format!("app `{key}` asks for read-only credentials on a shared cluster"),
            )
            .with_label("read-only credentials read every database of their cluster")
            .with_help("give the app `dedicated = true`, or drop `readonly`"),
        );
    }
    if topology::is_dedicated(app) {
        if app.postgres.is_some() {
            cx.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    cx.at(&["apps", key, "postgres"]),
                    format!(
                        "app `{key}` is dedicated and also names cluster `{}`",
                        app.postgres.as_deref().unwrap_or_default()
                    ),
                )
                .with_label("an app has one cluster")
                .with_help("remove `postgres`, or `dedicated = true`"),
            );
            return None;
        }
        if cx.spec().postgres_defaults.is_none() {
            cx.push(
                Diagnostic::error(Code::MissingKey, cx.at(&["apps", key, "dedicated"]), format!("app `{key}` wants a dedicated cluster, but the spec has no `[postgres_defaults]`"))
                    .with_label("dedicated clusters are made from `[postgres_defaults]`")
                    .with_help("add `[postgres_defaults]` with `engine`, `version` and a `name` pattern such as `db-{app}-{env}`"),
            );
            return None;
        }
        if cx.spec().postgres.contains_key(key) {
            cx.push(
                Diagnostic::error(
                    Code::NameCollision,
                    cx.key(&["postgres", key]),
                    format!(
                        "cluster `{key}` has the key of app `{key}`, which has a dedicated cluster"
                    ),
                )
                .with_label("rename this cluster"),
            );
            return None;
        }
        return Some(key);
    }
    let Some(cluster) = app.postgres.as_deref() else {
        // A Redis-only app has nothing on PostgreSQL to check.
        if app.redis.is_some() {
            return None;
        }
        cx.push(
            Diagnostic::error(
                Code::MissingKey,
                cx.key(&["apps", key]),
                format!("app `{key}` names no PostgreSQL cluster"),
            )
            .with_label("needs `postgres = \"<cluster>\"` or `dedicated = true`")
            .with_help("set `postgres` to one of the `[postgres.*]` clusters"),
        );
        return None;
    };
    if cx.spec().postgres.contains_key(cluster) {
        return Some(cluster);
    }
    let names: Vec<&str> = cx.spec().postgres.keys().map(String::as_str).collect();
    cx.unknown_reference(
        cx.at(&["apps", key, "postgres"]),
        "PostgreSQL cluster",
        cluster,
        names,
    );
    None
}

/// Where a defaulted name comes from: the explicit value, else the app's key.
fn name_span(cx: &Context<'_>, key: &str, field: &str) -> Option<Span> {
    cx.at(&["apps", key, field])
        .or_else(|| cx.key(&["apps", key]))
}

/// `verify-ca`/`verify-full` need the server's CA in the app's pod; dbgen delivers none
/// yet (CNPG keeps it in `<cluster>-ca`, beside its private key, in the cluster's
/// namespace), so the client would refuse every connection. Engine `statefulset` reports
/// its own, broader TLS error.
fn verified_tls(cx: &mut Context<'_>, key: &str, app: &App, cluster: &str) {
    let Some(mode @ (SslMode::VerifyCa | SslMode::VerifyFull)) = app.sslmode else {
        return;
    };
    let engine = cx
        .clusters
        .iter()
        .find(|c| c.key == cluster)
        .map(|c| c.spec.engine);
    if engine == Some(Engine::Statefulset) {
        return;
    }
    cx.push(
        Diagnostic::error(
            Code::Unsupported,
            cx.at(&["apps", key, "sslmode"]),
            format!(
                "app `{key}` asks for `sslmode = \"{}\"`, but no CA certificate reaches its pods",
                mode.as_str()
            ),
        )
        .with_label("the client would refuse every connection")
        .with_help(
            "use `require` (encrypted, server not verified); to verify, mount the `ca.crt` of \
             CloudNativePG's `<cluster>-ca` Secret into the app and set `sslrootcert` yourself",
        ),
    );
}

/// Checks a database or role name; true when it is usable.
fn identifier(
    cx: &mut Context<'_>,
    span: Option<Span>,
    what: &str,
    name: &str,
    engine: Option<crate::spec::Engine>,
) -> bool {
    if let Err(why) = rules::pg_identifier(name) {
        cx.push(
            Diagnostic::error(
                Code::InvalidName,
                span,
                format!("{what} name `{name}` {why}"),
            )
            .with_label(format!("invalid {what} name")),
        );
        false
    } else if let Some(why) = super::reserved::why(name, engine) {
        cx.push(
            Diagnostic::error(
                Code::ReservedName,
                span,
                format!("{what} name `{name}` is reserved: it {why}"),
            )
            .with_label("reserved")
            .with_help(format!("choose another {what} name")),
        );
        false
    } else {
        true
    }
}

fn duplicate(
    cx: &mut Context<'_>,
    span: Option<Span>,
    what: &str,
    name: &str,
    cluster: &str,
    first: &str,
) {
    let mut diagnostic = Diagnostic::error(
        Code::DuplicateName,
        span,
        format!("{what} `{name}` is claimed by two apps in cluster `{cluster}`"),
    )
    .with_label(format!("second claim of {what} `{name}`"))
    .with_help(format!(
        "give one app its own `{}`",
        if what == "role" { "user" } else { "database" }
    ));
    let field = if what == "role" { "user" } else { "database" };
    if let Some(first_span) = name_span(cx, first, field) {
        diagnostic = diagnostic.with_related(first_span, format!("first claimed by app `{first}`"));
    }
    cx.push(diagnostic);
}

fn derived_names(cx: &mut Context<'_>, key: &str, app: &App, cluster: &str) {
    let at = cx.key(&["apps", key]);
    for name in [
        naming::database_object(cluster, key),
        naming::role_secret(cluster, key),
    ] {
        cx.rule(
            at.clone(),
            "derived object name",
            &name,
            rules::dns1123_subdomain(&name),
        );
    }
    let secret = naming::connection_secret(key, app.connection_secret.as_deref());
    let span = cx.at(&["apps", key, "connection_secret"]).or(at);
    cx.rule(
        span,
        "connection Secret name",
        &secret,
        rules::dns1123_subdomain(&secret),
    );
    if let Some(readonly) = &app.readonly_connection_secret {
        cx.rule(
            cx.at(&["apps", key, "readonly_connection_secret"]),
            "connection Secret name",
            readonly,
            rules::dns1123_subdomain(readonly),
        );
    }
}

/// An extension the image of the app's cluster does not ship: `CREATE EXTENSION` would fail
/// on the live cluster, after the spec was accepted.
fn shipped_extension(cx: &mut Context<'_>, key: &str, cluster: &str, app: &App, extension: &str) {
    use crate::catalog::extensions;
    let Some(entry) = cx.clusters.iter().find(|c| c.key == cluster) else {
        return;
    };
    let Ok(major) = rules::pg_version(&entry.spec.version) else {
        return;
    };
    let engine = entry.spec.engine;
    if extensions::available(engine, major, extension) {
        return;
    }
    let index = app
        .extensions
        .iter()
        .position(|e| e == extension)
        .unwrap_or_default()
        .to_string();
    let engine_name = match engine {
        crate::spec::Engine::Cnpg => "cnpg",
        crate::spec::Engine::Statefulset => "statefulset",
        crate::spec::Engine::Bitnami => "bitnami",
    };
    let help = crate::suggest::did_you_mean(extension, extensions::names(engine, major))
        .map_or_else(
            || "the image ships PostgreSQL's contrib extensions (see the README's extension reference)".to_string(),
            |s| format!("did you mean `{s}`?"),
        );
    cx.push(
        Diagnostic::error(
            Code::UnknownExtension,
            cx.at(&["apps", key, "extensions", &index]),
            format!("extension `{extension}` is not shipped by the `{engine_name}` image of PostgreSQL {major}"),
        )
        .with_label("unknown extension")
        .with_help(help),
    );
}
