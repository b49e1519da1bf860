//! The starter spec `dbgen init` writes: one PostgreSQL cluster, one app, two environments,
//! each line commented so a new user learns the spec by editing it.
//!
//! Input: the engine and the secret provider chosen on the command line.
//! Output: the spec text, starting with the `#:schema` line editors read.
//! Invariant: every combination compiles with no error and no warning (a test renders each).

use std::fmt::Write as _;

/// The file, beside the spec, that the `#:schema` line points at.
pub const SCHEMA_FILE: &str = "dbgen.schema.json";

/// `dbgen init --engine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Cnpg,
    Bitnami,
    Statefulset,
}

/// `dbgen init --secrets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    ExternalSecrets,
    Infisical,
}

/// Why `engine` cannot be started with `secrets`, if it cannot.
pub fn unsupported(engine: Engine, secrets: Secrets) -> Option<&'static str> {
    (engine == Engine::Bitnami && secrets == Secrets::Infisical).then_some(
        "the Bitnami engine cannot take its Pgpool users from Infisical (every app password \
         must be joined into one Secret); use `--secrets external-secrets` or `--engine cnpg`",
    )
}

/// The starter spec for `engine` and `secrets`.
pub fn spec(engine: Engine, secrets: Secrets) -> String {
    let mut text = format!(
        "#:schema ./{SCHEMA_FILE}\n\
         # dbgen spec: `dbgen render` writes one Kustomize tree per environment into out/;\n\
         # `dbgen render --check` (pre-commit, CI) fails when out/ is not what this file renders.\n\
         # Every key: docs/reference.md in the dbgen repository, or `dbgen schema`.\n\
         \n\
         [platform]\n\
         name = \"my-platform\"                # app.kubernetes.io/part-of on every object\n\
         namespace = \"databases\"             # namespace of the database clusters\n\
         \n\
         # One directory per environment; `profile` sets instances, storage and resources\n\
         # (small, medium, large), overridable per cluster and environment.\n\
         [environments.dev]\n\
         profile = \"small\"\n\
         [environments.prod]\n\
         profile = \"medium\"\n\
         \n"
    );
    match secrets {
        Secrets::ExternalSecrets => text.push_str(
            "# Passwords never enter Git: External Secrets copies them from your secret store.\n\
             [secrets]\n\
             provider = \"external-secrets\"\n\
             store = \"vault-backend\"              # the ClusterSecretStore to read from\n\
             key = \"databases/{env}/{app}\"        # remote key per app; property `password`\n\
             \n",
        ),
        Secrets::Infisical => text.push_str(
            "# Passwords never enter Git: the Infisical operator copies them from Infisical.\n\
             [secrets]\n\
             provider = \"infisical\"\n\
             host = \"https://app.infisical.com\"  # dbgen appends /api\n\
             project = \"my-project\"               # Infisical project slug\n\
             path = \"/databases/{app}\"            # folder per app; secret `password`\n\
             credentials = { name = \"infisical-universal-auth\", namespace = \"infisical\" }\n\
             \n",
        ),
    }
    if engine == Engine::Bitnami {
        text.push_str(
            "# Since August 2025 Bitnami's versioned images live under bitnamilegacy (frozen);\n\
             # point this at your mirror for anything long-lived.\n\
             [bitnami]\n\
             images = \"bitnamilegacy\"\n\
             \n",
        );
    }
    let (name, engine_name, comment) = match engine {
        Engine::Cnpg => (
            "main",
            "cnpg",
            "CloudNativePG operator: failover, backups, poolers",
        ),
        Engine::Bitnami => (
            "main",
            "bitnami",
            "Bitnami postgresql-ha chart (repmgr + Pgpool)",
        ),
        Engine::Statefulset => (
            "main",
            "statefulset",
            "plain StatefulSet, no operator needed",
        ),
    };
    let _ = write!(
        text,
        "[postgres.{name}]\n\
         engine = \"{engine_name}\"                  # {comment}\n\
         version = \"17.6\"                   # PostgreSQL version\n"
    );
    if engine != Engine::Cnpg {
        let key = match secrets {
            Secrets::ExternalSecrets => format!("databases/{{env}}/{name}-admin"),
            Secrets::Infisical => format!("/databases/{name}-admin"),
        };
        let _ = writeln!(
            text,
            "credentials_key = \"{key}\"  # holds the superuser's `admin-password`"
        );
    }
    text.push_str(
        "\n\
         # Each app gets a database and a login role of its name, and a connection Secret\n\
         # `<app>-postgresql` (host, port, dbname, user, password, uri, jdbc-uri) in its namespace.\n\
         # `dbgen explain app my-app` shows what it gets.\n",
    );
    let _ = write!(
        text,
        "[apps.my-app]\n\
         postgres = \"{name}\"\n\
         namespace = \"my-app\"\n"
    );
    text
}

/// What to do after `dbgen init`, for the CLI to print.
pub fn next_steps(spec: &str) -> String {
    format!(
        "next steps:\n  \
         1. edit {spec}: your platform name, secret store, clusters and apps\n  \
         2. dbgen render              write out/<env>/ (review every file, then commit both)\n  \
         3. dbgen explain app my-app  what the app mounts: Secret, keys, host, port\n  \
         4. point Argo CD or Flux at out/<env> (README: Quick start)\n  \
         5. add `dbgen render --check` to pre-commit and CI (README: CI and pre-commit)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_starter_compiles_without_a_warning() {
        for engine in [Engine::Cnpg, Engine::Bitnami, Engine::Statefulset] {
            for secrets in [Secrets::ExternalSecrets, Secrets::Infisical] {
                if unsupported(engine, secrets).is_some() {
                    continue;
                }
                let text = spec(engine, secrets);
                assert!(text.starts_with("#:schema ./dbgen.schema.json\n"));
                match crate::pipeline::compile("dbgen.toml", &text) {
                    Ok(compiled) => assert!(
                        compiled.warnings.is_empty(),
                        "{engine:?} {secrets:?}: {:?}",
                        compiled.warnings
                    ),
                    Err(crate::pipeline::Failure::Invalid {
                        sources,
                        diagnostics,
                    }) => panic!(
                        "{engine:?} {secrets:?}:\n{}",
                        crate::diagnostic::render(&sources, &diagnostics)
                    ),
                    Err(e) => panic!("{engine:?} {secrets:?}: {e}"),
                }
            }
        }
    }
}
