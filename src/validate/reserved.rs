//! Database and role names an app may not take, because PostgreSQL, an engine or dbgen
//! itself already uses them (or gives them a meaning).
//!
//! Input: a database or role name and the engine of the app's cluster. Output: why the
//! name is reserved, if it is. Invariant: one table, each row with its source, so a name
//! reserved for one engine is checked the same way wherever an app is validated.

use crate::spec::Engine;

/// How a row matches a name.
#[derive(Clone, Copy)]
enum Match {
    Exact(&'static str),
    Prefix(&'static str),
}

/// One reserved name: on which engines (`None`: every engine), why, and where that comes from.
struct Row {
    name: Match,
    engines: Option<&'static [Engine]>,
    why: &'static str,
}

const BITNAMI: &[Engine] = &[Engine::Bitnami];

/// Sources: PostgreSQL 17 documentation (CREATE ROLE, "Template Databases", "Predefined
/// Roles", `pg_hba.conf`), CloudNativePG 1.30 ("Bootstrap", "Replication", its webhook), the
/// `postgresql-ha` chart 16.3.4 `values.yaml` (`postgresql.repmgrUsername`,
/// `postgresql.repmgrDatabase`, `pgpool.srCheckUsername`, `pgpool.adminUsername`), and the
/// roles dbgen declares itself.
const TABLE: &[Row] = &[
    // PostgreSQL
    Row {
        name: Match::Exact("postgres"),
        engines: None,
        why: "is the superuser and maintenance database of every cluster",
    },
    Row {
        name: Match::Exact("template0"),
        engines: None,
        why: "is a PostgreSQL template database",
    },
    Row {
        name: Match::Exact("template1"),
        engines: None,
        why: "is a PostgreSQL template database",
    },
    Row {
        name: Match::Exact("public"),
        engines: None,
        why: "is the pseudo-role of every role in PostgreSQL (CREATE ROLE refuses it)",
    },
    Row {
        name: Match::Exact("none"),
        engines: None,
        why: "is a name PostgreSQL reserves for roles (CREATE ROLE refuses it)",
    },
    Row {
        name: Match::Exact("current_user"),
        engines: None,
        why: "is an SQL keyword PostgreSQL reserves for roles",
    },
    Row {
        name: Match::Exact("current_role"),
        engines: None,
        why: "is an SQL keyword PostgreSQL reserves for roles",
    },
    Row {
        name: Match::Exact("session_user"),
        engines: None,
        why: "is an SQL keyword PostgreSQL reserves for roles",
    },
    Row {
        name: Match::Exact("all"),
        engines: None,
        why: "matches every database or role in pg_hba.conf",
    },
    Row {
        name: Match::Exact("replication"),
        engines: None,
        why: "matches replication connections, not a database, in pg_hba.conf",
    },
    Row {
        name: Match::Exact("sameuser"),
        engines: None,
        why: "is a pg_hba.conf keyword",
    },
    Row {
        name: Match::Exact("samerole"),
        engines: None,
        why: "is a pg_hba.conf keyword",
    },
    Row {
        name: Match::Exact("samegroup"),
        engines: None,
        why: "is a pg_hba.conf keyword",
    },
    Row {
        name: Match::Prefix("pg_"),
        engines: None,
        why: "starts with `pg_`, reserved by PostgreSQL",
    },
    // CloudNativePG (reserved on every engine, so moving an app between engines keeps it valid)
    Row {
        name: Match::Exact("streaming_replica"),
        engines: None,
        why: "is the replication role CNPG manages",
    },
    Row {
        name: Match::Exact("app"),
        engines: None,
        why: "is the database and owner CNPG creates at bootstrap",
    },
    Row {
        name: Match::Prefix("cnpg_"),
        engines: None,
        why: "starts with `cnpg_`, reserved by CloudNativePG",
    },
    // Bitnami postgresql-ha: repmgr's role and database hold the replication credentials.
    Row {
        name: Match::Exact("repmgr"),
        engines: None,
        why: "is the role and database repmgr uses for replication and failover (Bitnami `postgresql-ha`)",
    },
    Row {
        name: Match::Exact("sr_check_user"),
        engines: None,
        why: "is Pgpool-II's streaming-replication check user (Bitnami `postgresql-ha`)",
    },
    Row {
        name: Match::Exact("admin"),
        engines: Some(BITNAMI),
        why: "is Pgpool-II's administrator on engine `bitnami` (`pgpool.adminUsername`)",
    },
    // dbgen
    Row {
        name: Match::Prefix("dbgen_"),
        engines: None,
        why: "starts with `dbgen_`, reserved for roles dbgen declares (the logical backup role)",
    },
];

/// Why `name` is reserved for an app on `engine` (`None`: on any engine), if it is.
pub(super) fn why(name: &str, engine: Option<Engine>) -> Option<&'static str> {
    TABLE.iter().find_map(|row| {
        let matches = match row.name {
            Match::Exact(n) => name == n,
            Match::Prefix(p) => name.starts_with(p),
        };
        let on_engine = match (row.engines, engine) {
            (None, _) => true,
            (Some(engines), Some(engine)) => engines.contains(&engine),
            (Some(_), None) => false,
        };
        (matches && on_engine).then_some(row.why)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_engine_reserves_postgresql_and_replication_names() {
        for name in [
            "postgres",
            "template0",
            "template1",
            "public",
            "none",
            "all",
            "replication",
            "pg_x",
            "cnpg_x",
            "streaming_replica",
            "app",
            "repmgr",
            "sr_check_user",
            "dbgen_backup",
        ] {
            for engine in [Engine::Cnpg, Engine::Statefulset, Engine::Bitnami] {
                assert!(why(name, Some(engine)).is_some(), "{name} on {engine:?}");
            }
        }
        assert!(why("docspell", Some(Engine::Bitnami)).is_none());
    }

    #[test]
    fn pgpool_admin_is_reserved_on_bitnami_only() {
        assert!(why("admin", Some(Engine::Bitnami)).is_some());
        assert!(why("admin", Some(Engine::Cnpg)).is_none());
        assert!(why("admin", None).is_none());
    }
}
