//! The psql script that creates each app's login role and database on a PostgreSQL server
//! reached as an administrator (engines without an operator: Bitnami charts, plain `StatefulSet`s).
//!
//! Input: `ProvisionedDatabase` entries (any strings). Output: a psql script, run as
//! `psql -v ON_ERROR_STOP=1 -f <file>`. Invariant: names reach the server only through psql
//! variables (`:'v'`, `:"v"`, `format('%I')`), passwords only from files read at run time.

use super::psql_meta_arg;
use std::fmt::Write as _;

/// One app's database on a PostgreSQL server reached as an administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedDatabase {
    /// Database name; any string (quotes, spaces, `$`, unicode, ...).
    pub database: String,
    /// Login role owning the database; any string.
    pub role: String,
    /// Path of a file (a mounted Secret key) holding the role's password.
    pub password_file: String,
    /// Extensions created in the database when missing.
    pub extensions: Vec<String>,
}

/// A login role that owns no database (a read-only or backup role): it is made a member of
/// `member_of` (e.g. `pg_read_all_data`) and may connect to `connect`, which matters because
/// [`provision_sql`] revokes CONNECT on every app database from PUBLIC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedRole {
    /// Role name; any string.
    pub role: String,
    /// Path of a file (a mounted Secret key) holding the role's password.
    pub password_file: String,
    /// Roles granted to this one, e.g. `pg_read_all_data` (PostgreSQL 14 and newer).
    pub member_of: Vec<String>,
    /// Databases this role may connect to (created by the same script or already there).
    pub connect: Vec<String>,
}

/// Settings that would otherwise copy the text of `ALTER ROLE ... PASSWORD` into the server
/// log or into `pg_stat_statements`, with the value they get while a password is sent.
const QUIET_SETTINGS: [(&str, &str); 10] = [
    ("log_statement", "none"),
    ("log_min_error_statement", "panic"),
    ("log_min_duration_statement", "-1"),
    ("log_min_duration_sample", "-1"),
    ("log_transaction_sample_rate", "0"),
    ("log_duration", "off"),
    ("debug_print_parse", "off"),
    ("debug_print_rewritten", "off"),
    ("debug_print_plan", "off"),
    ("pg_stat_statements.track_utility", "off"),
];

/// A DO block silencing [`QUIET_SETTINGS`] for this session. Names missing on the server (older
/// versions, modules not loaded) are skipped. Most are superuser-only: an administrator who may
/// not set them gets an error here, before the password is read (fail closed).
fn quiet_logging() -> String {
    let values: Vec<String> = QUIET_SETTINGS
        .iter()
        .map(|(name, value)| format!("('{name}', '{value}')"))
        .collect();
    r"DO $dbgen$
DECLARE
    setting record;
BEGIN
    FOR setting IN
        SELECT wanted.name, wanted.value
        FROM (VALUES VALUES_LIST) AS wanted (name, value)
        WHERE wanted.name IN (SELECT s.name FROM pg_catalog.pg_settings AS s)
    LOOP
        PERFORM pg_catalog.set_config(setting.name, setting.value, false);
    END LOOP;
END
$dbgen$;
"
    .replace("VALUES_LIST", &values.join(", "))
}

/// A DO block putting [`QUIET_SETTINGS`] back to what `RESET` gives (server, database or role
/// defaults), so that everything but the password statements is logged as the server says.
fn restore_logging() -> String {
    let names: Vec<String> = QUIET_SETTINGS
        .iter()
        .map(|(name, _)| format!("'{name}'"))
        .collect();
    r"DO $dbgen$
BEGIN
    PERFORM pg_catalog.set_config(s.name, s.reset_val, false)
    FROM pg_catalog.pg_settings AS s
    WHERE s.name IN (NAMES_LIST);
END
$dbgen$;
"
    .replace("NAMES_LIST", &names.join(", "))
}

/// Sets `dbgen_conninfo` to a libpq connection string naming the database in psql variable
/// `var`, quoted for libpq (`'...'` with `\'` and `\\`). `\connect` then takes it through
/// `:"dbgen_conninfo"`: psql strips one level of identifier double quotes from `\connect`
/// arguments, so the `"..."` that `:"v"` adds is exactly what it removes. A bare database
/// name would not do: one containing `=` or starting with `postgresql://` is read as a
/// connection string by `\connect`.
fn connect_to(var: &str) -> String {
    format!(
        "SELECT 'dbname=''' || pg_catalog.replace(pg_catalog.replace(:'{var}', E'\\\\', E'\\\\\\\\'), '''', E'\\\\''') || '''' AS dbgen_conninfo \\gset\n\
         \\connect -reuse-previous=on :\"dbgen_conninfo\"\n"
    )
}

/// Creates the role in `dbgen_role` if missing (LOGIN) and sets its password from the file in
/// `dbgen_password_file`. Only the statement carrying the password is hidden from the log; the
/// rest of the script stays visible to a server that audits with `log_statement = 'all'`.
fn login_role() -> String {
    let mut out = String::from(
        "SELECT pg_catalog.format('CREATE ROLE %I LOGIN', :'dbgen_role')\n\
         WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'dbgen_role') \\gexec\n",
    );
    out.push_str(&quiet_logging());
    out.push_str(
        "\\set dbgen_password `cat -- :'dbgen_password_file'`\n\
         ALTER ROLE :\"dbgen_role\" WITH LOGIN PASSWORD :'dbgen_password';\n\
         \\unset dbgen_password\n",
    );
    out.push_str(&restore_logging());
    out
}

/// `\set NAME 'value'`, the only way a name enters the script.
fn set_var(name: &str, value: &str) -> String {
    format!("\\set {name} {}\n", psql_meta_arg(value))
}

/// Checks the password file named by `dbgen_password_file` holds at least one character
/// besides line feeds, else stops the script. psql ignores the exit status of a backquoted
/// command (a missing file would silently give an empty password), so the check runs first and
/// its verdict comes back as `true`/`false` for `\if`.
const CHECK_PASSWORD_FILE: &str = r"\set dbgen_password_ok `if grep -q -e . -- :'dbgen_password_file'; then echo true; else echo false; fi`
\if :dbgen_password_ok
\else
\warn 'dbgen: password file' :dbgen_password_file 'is missing, unreadable or empty'
DO $dbgen$ BEGIN RAISE EXCEPTION 'dbgen: a password file is missing, unreadable or empty'; END $dbgen$;
\endif
";

/// A psql script (run as `psql -v ON_ERROR_STOP=1 -f <file>` by an admin) that, idempotently:
/// creates each missing role (LOGIN), sets each role's password from its file, creates each
/// missing database owned by its role, makes the role the owner if the database already
/// existed, lets only that role (and superusers) connect to it, creates each extension if
/// missing (connecting to that database), and reconnects to the admin database.
///
/// Passwords: read with psql's backquote substitution `` `cat -- :'dbgen_password_file'` ``
/// (psql quotes the path for the shell), which drops exactly one trailing line feed, so a
/// Kubernetes Secret file (none) and `echo pw > file` (one) give the same password; any other
/// byte, including a second line feed or a carriage return, is part of the password. A file
/// that is missing, unreadable or holds only line feeds stops the script before any change.
///
/// A name containing NUL cannot exist in PostgreSQL; if one is given the script only fails.
pub fn provision_sql(databases: &[ProvisionedDatabase]) -> String {
    provision_sql_with_roles(databases, &[])
}

/// [`provision_sql`], then, idempotently, for each of `roles`: creates it if missing (LOGIN),
/// sets its password from its file (checked up front with the others, logged as quietly),
/// grants it membership in each of `member_of` and CONNECT on each of `connect`. Nothing is
/// ever revoked from these roles: a grant removed from the spec stays until an administrator
/// revokes it.
pub fn provision_sql_with_roles(
    databases: &[ProvisionedDatabase],
    roles: &[ProvisionedRole],
) -> String {
    provision_sql_retiring(databases, roles, &[])
}

/// [`provision_sql_with_roles`], then, for each of `retired` (the roles of retired apps) that
/// exists: `ALTER ROLE ... NOLOGIN PASSWORD NULL`. Nothing else about them changes: their
/// databases, data, ownership and grants stay, and no password file is read for them. Sessions
/// already open continue; PostgreSQL checks LOGIN only when a session starts.
pub fn provision_sql_retiring(
    databases: &[ProvisionedDatabase],
    roles: &[ProvisionedRole],
    retired: &[String],
) -> String {
    let mut out = String::new();
    out.push_str(
        "-- Generated by dbgen: creates app roles and databases. Do not edit.\n\
         -- Run as an administrator: psql -v ON_ERROR_STOP=1 -f <this file>\n\
         -- Idempotent: a second run changes nothing but the passwords (re-read from their files).\n\
         -- Names are set as psql variables and reach SQL only as :'literal', :\"identifier\" or\n\
         -- format('%I'); passwords are read from files at run time and are never echoed or logged.\n\
         \\set ON_ERROR_STOP on\n\
         \\set ECHO none\n\
         \\set ECHO_HIDDEN off\n\
         -- Terse errors without context never quote the failing statement back.\n\
         \\set VERBOSITY terse\n\
         \\set SHOW_CONTEXT never\n\
         -- The names below are UTF-8, whatever the locale of the machine running psql.\n\
         \\encoding UTF8\n\n",
    );

    let has_nul = databases.iter().any(|d| {
        [&d.database, &d.role, &d.password_file]
            .into_iter()
            .chain(&d.extensions)
            .any(|s| s.contains('\0'))
    }) || roles.iter().any(|r| {
        [&r.role, &r.password_file]
            .into_iter()
            .chain(&r.member_of)
            .chain(&r.connect)
            .any(|s| s.contains('\0'))
    }) || retired.iter().any(|r| r.contains('\0'));
    if has_nul {
        out.push_str(
            "DO $dbgen$ BEGIN RAISE EXCEPTION 'dbgen: a database, role, extension or password file name contains NUL, which PostgreSQL cannot store'; END $dbgen$;\n",
        );
        return out;
    }

    out.push_str(
        "-- Remember where we started, to come back after visiting app databases.\n\
         SELECT pg_catalog.current_database() AS dbgen_admin_db \\gset\n\n\
         -- Password statements run with logging silenced (below). Try it once before changing\n\
         -- anything: an administrator who may not silence it stops the script here.\n",
    );
    out.push_str(&quiet_logging());
    out.push_str(&restore_logging());

    // Every password file is checked before anything changes, so a missing Secret does not
    // leave half the apps provisioned.
    if !databases.is_empty() || !roles.is_empty() {
        out.push_str("\n-- Check every password file first.\n");
    }
    let files = databases
        .iter()
        .map(|d| &d.password_file)
        .chain(roles.iter().map(|r| &r.password_file));
    for file in files {
        out.push_str(&set_var("dbgen_password_file", file));
        out.push_str(CHECK_PASSWORD_FILE);
    }

    let total = databases.len();
    for (index, db) in databases.iter().enumerate() {
        // Comments carry only numbers: a name could end a `--` comment with a line break.
        let _ = write!(
            out,
            "\n-- Database {} of {total}: role, password, database, access.\n",
            index + 1
        );
        out.push_str(&set_var("dbgen_database", &db.database));
        out.push_str(&set_var("dbgen_role", &db.role));
        out.push_str(&set_var("dbgen_password_file", &db.password_file));
        out.push_str(&login_role());
        // CREATE DATABASE cannot run in a DO block (it refuses a transaction), hence \gexec.
        out.push_str(
            "SELECT pg_catalog.format('CREATE DATABASE %I OWNER %I', :'dbgen_database', :'dbgen_role')\n\
             WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = :'dbgen_database') \\gexec\n\
             ALTER DATABASE :\"dbgen_database\" OWNER TO :\"dbgen_role\";\n\
             -- PostgreSQL lets every role connect to every database by default.\n\
             REVOKE CONNECT ON DATABASE :\"dbgen_database\" FROM PUBLIC;\n\
             GRANT CONNECT ON DATABASE :\"dbgen_database\" TO :\"dbgen_role\";\n",
        );
    }

    for (index, role) in roles.iter().enumerate() {
        let _ = write!(
            out,
            "\n-- Role {} of {}: password, memberships, CONNECT.\n",
            index + 1,
            roles.len()
        );
        out.push_str(&set_var("dbgen_role", &role.role));
        out.push_str(&set_var("dbgen_password_file", &role.password_file));
        out.push_str(&login_role());
        for member_of in &role.member_of {
            out.push_str(&set_var("dbgen_member_of", member_of));
            out.push_str("GRANT :\"dbgen_member_of\" TO :\"dbgen_role\";\n");
        }
        for database in &role.connect {
            out.push_str(&set_var("dbgen_database", database));
            out.push_str("GRANT CONNECT ON DATABASE :\"dbgen_database\" TO :\"dbgen_role\";\n");
        }
    }

    for (index, role) in retired.iter().enumerate() {
        let _ = write!(
            out,
            "\n-- Retired role {} of {}: login disabled, password removed.\n",
            index + 1,
            retired.len()
        );
        out.push_str(&set_var("dbgen_role", role));
        out.push_str(
            "SELECT pg_catalog.format('ALTER ROLE %I NOLOGIN PASSWORD NULL', :'dbgen_role')\n\
             WHERE EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'dbgen_role') \\gexec\n",
        );
    }

    // Extensions last, so that all the work in the admin database is done in one session.
    let mut left_admin_db = false;
    for (index, db) in databases.iter().enumerate() {
        if db.extensions.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "\n-- Extensions of database {} of {total}.\n",
            index + 1
        );
        out.push_str(&set_var("dbgen_database", &db.database));
        out.push_str(&connect_to("dbgen_database"));
        left_admin_db = true;
        for extension in &db.extensions {
            out.push_str(&set_var("dbgen_extension", extension));
            // CASCADE: an extension's prerequisites (earthdistance needs cube) come along.
            out.push_str("CREATE EXTENSION IF NOT EXISTS :\"dbgen_extension\" CASCADE;\n");
        }
    }
    if left_admin_db {
        out.push_str("\n-- Back to the administrator's database.\n");
        out.push_str(&connect_to("dbgen_admin_db"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nasty() -> Vec<ProvisionedDatabase> {
        vec![
            ProvisionedDatabase {
                database: "shop's \"db\" $HOME \\x :foo @h; é=1".to_string(),
                role: "o'brien \"admin\" $USER \\ :bar @; ü".to_string(),
                password_file: "/run/secrets/it's $HOME `x`/password".to_string(),
                extensions: vec!["pg_trgm".to_string(), "cit\"ext".to_string()],
            },
            ProvisionedDatabase {
                database: "line\nbreak -- ; DROP DATABASE postgres".to_string(),
                role: "plain".to_string(),
                password_file: "/run/secrets/plain".to_string(),
                extensions: vec![],
            },
        ]
    }

    #[test]
    fn output_is_deterministic_and_lf_only() {
        let a = provision_sql(&nasty());
        assert_eq!(a, provision_sql(&nasty()));
        assert!(!a.contains('\r'));
        assert!(a.ends_with('\n'));
    }

    #[test]
    fn names_appear_only_in_quoted_set_lines() {
        let sql = provision_sql(&nasty());
        for db in nasty() {
            for name in [&db.database, &db.role, &db.password_file] {
                let quoted = psql_meta_arg(name);
                for line in sql.lines() {
                    if line.contains(quoted.as_str()) {
                        assert!(line.starts_with("\\set dbgen_"), "{line}");
                        assert!(line.ends_with(&quoted), "{line}");
                    }
                }
                // Where quoting changes a name, the raw name must not appear anywhere.
                if quoted[1..quoted.len() - 1] != **name {
                    assert!(!sql.contains(name.as_str()), "raw name {name:?} in script");
                }
            }
        }
        // A line break inside a name must not start a new script line.
        assert!(!sql.lines().any(|l| l.starts_with("break --")));
    }

    #[test]
    fn passwords_are_read_at_run_time_never_written() {
        let sql = provision_sql(&nasty());
        assert!(sql.contains("\\set dbgen_password `cat -- :'dbgen_password_file'`"));
        assert!(sql.contains("PASSWORD :'dbgen_password'"));
        // Each password statement is wrapped: quiet logging right before, restored right after.
        let quiet = quiet_logging();
        let restore = restore_logging();
        let wrapped = format!(
            "{quiet}\\set dbgen_password `cat -- :'dbgen_password_file'`\n\
             ALTER ROLE :\"dbgen_role\" WITH LOGIN PASSWORD :'dbgen_password';\n\
             \\unset dbgen_password\n{restore}"
        );
        assert_eq!(sql.matches(&wrapped).count(), 2);
        assert_eq!(sql.matches("PASSWORD").count(), 2);
        // And once up front, before the first change, to fail closed.
        let first_change = sql.find("CREATE ROLE").unwrap();
        assert!(sql[..first_change].contains(&format!("{quiet}{restore}")));
    }

    #[test]
    fn every_password_file_is_checked_before_any_change() {
        let sql = provision_sql(&nasty());
        let first_change = sql.find("CREATE ROLE").unwrap();
        let checks = sql[..first_change].matches("dbgen_password_ok").count();
        assert_eq!(checks, 2 * 2, "two lines per check, one check per database");
    }

    #[test]
    fn extensions_reconnect_and_return() {
        let sql = provision_sql(&nasty());
        assert_eq!(sql.matches("\\connect ").count(), 2);
        assert!(
            sql.trim_end()
                .ends_with("\\connect -reuse-previous=on :\"dbgen_conninfo\"")
        );
        assert!(sql.contains("\\set dbgen_extension 'cit\"ext'\n"));

        let without = provision_sql(&[ProvisionedDatabase {
            extensions: vec![],
            ..nasty().remove(0)
        }]);
        assert!(!without.contains("\\connect"));
    }

    #[test]
    fn nul_in_a_name_gives_a_failing_script() {
        let sql = provision_sql(&[ProvisionedDatabase {
            database: "a\0b".to_string(),
            ..nasty().remove(0)
        }]);
        assert!(sql.contains("RAISE EXCEPTION"));
        assert!(!sql.contains("CREATE ROLE"));
        assert!(!sql.contains('\0'));
    }

    fn backup_role() -> ProvisionedRole {
        ProvisionedRole {
            role: "dbgen_backup".to_string(),
            password_file: "/secrets/backup's/password".to_string(),
            member_of: vec!["pg_read_all_data".to_string()],
            connect: nasty().into_iter().map(|d| d.database).collect(),
        }
    }

    #[test]
    fn extra_roles_come_after_the_databases_with_their_grants() {
        let sql = provision_sql_with_roles(&nasty(), &[backup_role()]);
        let role_at = sql.find("\\set dbgen_role 'dbgen_backup'").unwrap();
        let last_database = sql.rfind("CREATE DATABASE").unwrap();
        assert!(
            role_at > last_database,
            "CONNECT needs the databases to exist"
        );
        assert_eq!(
            sql.matches("GRANT CONNECT ON DATABASE :\"dbgen_database\" TO :\"dbgen_role\";")
                .count(),
            2 + 2,
            "one per app role, one per database for the backup role"
        );
        assert!(sql.contains("\\set dbgen_member_of 'pg_read_all_data'\nGRANT :\"dbgen_member_of\" TO :\"dbgen_role\";\n"));
        // Its password file is checked with the others, before the first change.
        let first_change = sql.find("CREATE ROLE").unwrap();
        assert!(sql[..first_change].contains("backup''s/password"));
        assert_eq!(sql.matches("PASSWORD :'dbgen_password'").count(), 3);
    }

    #[test]
    fn without_extra_roles_the_script_is_unchanged() {
        assert_eq!(
            provision_sql(&nasty()),
            provision_sql_with_roles(&nasty(), &[])
        );
    }

    #[test]
    fn nul_in_an_extra_role_gives_a_failing_script() {
        let role = ProvisionedRole {
            member_of: vec!["pg\0x".to_string()],
            ..backup_role()
        };
        let sql = provision_sql_with_roles(&nasty(), &[role]);
        assert!(sql.contains("RAISE EXCEPTION"));
        assert!(!sql.contains("CREATE ROLE"));
    }

    #[test]
    fn retired_roles_lose_login_and_read_no_password() {
        let retired = vec!["o'ld \"app\"".to_string()];
        let sql = provision_sql_retiring(&nasty(), &[backup_role()], &retired);
        let at = sql.find("\\set dbgen_role 'o''ld \"app\"'").unwrap();
        assert!(at > sql.rfind("GRANT CONNECT").unwrap());
        assert!(sql[at..].contains("ALTER ROLE %I NOLOGIN PASSWORD NULL"));
        assert!(!sql[at..].contains("dbgen_password"));
        assert_eq!(
            sql.matches("CREATE ROLE %I LOGIN").count(),
            3,
            "never for a retired role"
        );
        assert_eq!(sql.matches("PASSWORD :'dbgen_password'").count(), 3);
        let nul = provision_sql_retiring(&nasty(), &[], &["a\0".to_string()]);
        assert!(nul.contains("RAISE EXCEPTION") && !nul.contains("ALTER ROLE"));
        assert_eq!(
            provision_sql_with_roles(&nasty(), &[backup_role()]),
            provision_sql_retiring(&nasty(), &[backup_role()], &[])
        );
    }

    #[test]
    fn empty_input_is_just_the_preamble() {
        let sql = provision_sql(&[]);
        assert!(!sql.contains("CREATE"));
        assert!(!sql.contains("\\connect"));
    }
}
