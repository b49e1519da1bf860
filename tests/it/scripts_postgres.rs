//! The scripts of `dbgen::scripts` against a real PostgreSQL server: provisioning with hostile
//! names and passwords, access isolation, ownership, extensions, the server log, and backups.
//!
//! Each test starts its own server (`support`) on a free 127.0.0.1 port and stops it on
//! the way out. Without PostgreSQL the tests fail under CI and are skipped visibly locally.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{ADMIN_PASSWORD, Postgres, backdate, entries, free_port, run_ok};
use dbgen::scripts::{
    ProvisionedDatabase, ProvisionedRole, pg_backup_sh, provision_sql, provision_sql_retiring,
    provision_sql_with_roles,
};

/// One app as the tests see it. Every password starts with a marker of plain letters, so a
/// search of the server log also finds it when the server wrote it quoted or escaped.
#[derive(Clone, Copy)]
struct App {
    database: &'static str,
    role: &'static str,
    password: &'static str,
    extensions: &'static [&'static str],
}

/// Quotes, double quotes, spaces, `$`, backslashes, `:`, `@`, `;`, non-ASCII, psql variable
/// syntax, shell syntax, and names libpq would read as connection strings.
const APPS: [App; 3] = [
    App {
        database: r#"shop's "db" $HOME \x :foo @h; é=1"#,
        role: r#"o'brien "admin" $USER \ :bar @; ü"#,
        password: r#"MARKAONE p'w "q" $(id) `x` \ :pw :'pw' @; ñ"#,
        extensions: &["pg_trgm", "citext"],
    },
    App {
        database: "postgresql://evil@h/x?a=b ",
        role: "dbname=postgres user=x",
        password: r"MARKBONE '; DROP ROLE postgres; -- \\n 日本",
        extensions: &["citext"],
    },
    App {
        database: "plain_app",
        role: "plain_app",
        password: "MARKCONE-plain",
        extensions: &[],
    },
];

/// The password of app 0 after rotation; its file gets a trailing newline like `echo pw > f`.
const ROTATED: &str = r#"MARKATWO new ' " \ pw"#;

/// Where the password files live: a directory whose name needs shell quoting.
fn secrets_dir(pg: &Postgres) -> PathBuf {
    let dir = pg.dir.path().join(r"secret's $HOME `id` ;@:\ dir");
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn password_file(pg: &Postgres, index: usize) -> PathBuf {
    secrets_dir(pg).join(format!("app {index} password"))
}

fn write_passwords(pg: &Postgres, apps: &[App]) {
    for (index, app) in apps.iter().enumerate() {
        fs::write(password_file(pg, index), app.password).unwrap();
    }
}

fn specs(pg: &Postgres, apps: &[App]) -> Vec<ProvisionedDatabase> {
    apps.iter()
        .enumerate()
        .map(|(index, app)| ProvisionedDatabase {
            database: app.database.to_string(),
            role: app.role.to_string(),
            password_file: password_file(pg, index).to_str().unwrap().to_string(),
            extensions: app.extensions.iter().map(|e| (*e).to_string()).collect(),
        })
        .collect()
}

/// Runs the provisioning script the way the Job will: `psql -v ON_ERROR_STOP=1 -f <file>`, as
/// the superuser, in the C locale, with `extra` arguments after it.
fn provision(pg: &Postgres, apps: &[App], extra: &[&str]) -> Output {
    let script = pg.dir.path().join("provision.sql");
    fs::write(&script, provision_sql(&specs(pg, apps))).unwrap();
    let mut command = pg.admin_psql("postgres");
    command.arg("-f").arg(&script).args(extra);
    command.output().unwrap()
}

fn provision_ok(pg: &Postgres, apps: &[App]) -> Output {
    let output = provision(pg, apps, &[]);
    assert!(
        output.status.success(),
        "provisioning failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// An app's psql session: user, password and database from env (PGPASSWORD, never argv).
fn login(pg: &Postgres, role: &str, password: &str, database: &str, sql: &str) -> Output {
    pg.client("psql", role, password, database)
        .env("PGCLIENTENCODING", "UTF8")
        .args(["-X", "-w", "-A", "-t", "-F", "\u{1f}", "-c", sql])
        .output()
        .unwrap()
}

fn assert_login_fails(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "login unexpectedly worked");
    assert!(
        stderr.contains(expected),
        "expected {expected:?} in: {stderr}"
    );
}

/// Everything provisioning may change, except password hashes (re-salted on every run).
fn snapshot(pg: &Postgres) -> String {
    let mut state = pg.query(
        "postgres",
        &[],
        "SELECT rolname, rolcanlogin, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolconnlimit \
         FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1;\n\
         SELECT datname, pg_get_userbyid(datdba), datacl FROM pg_database ORDER BY 1;\n",
    );
    for app in APPS {
        state.push_str(&pg.query(
            app.database,
            &[],
            "SELECT extname, extversion FROM pg_extension ORDER BY 1;",
        ));
    }
    state
}

fn password_hash(pg: &Postgres, role: &str) -> String {
    pg.query(
        "postgres",
        &[("r", role)],
        "SELECT rolpassword FROM pg_authid WHERE rolname = :'r';",
    )
}

#[test]
fn provisions_hostile_names_and_a_second_run_changes_only_passwords() {
    let Some(pg) = Postgres::start("") else {
        return;
    };

    // A missing password file stops the script before it changes anything.
    write_passwords(&pg, &APPS[..2]);
    let output = provision(&pg, &APPS, &[]);
    assert!(
        !output.status.success(),
        "a missing password file must fail the script"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is missing, unreadable or empty"),
        "{stderr}"
    );
    let roles = pg.query(
        "postgres",
        &[],
        "SELECT count(*) FROM pg_roles WHERE rolname !~ '^pg_' AND rolname <> 'postgres';",
    );
    assert_eq!(
        roles.trim(),
        "0",
        "nothing may be created before every file is checked"
    );

    write_passwords(&pg, &APPS);
    provision_ok(&pg, &APPS);
    let first = snapshot(&pg);
    let hashes: Vec<String> = APPS.iter().map(|a| password_hash(&pg, a.role)).collect();

    // Every name arrived byte for byte: exactly these databases, owned by exactly these roles.
    for app in APPS {
        let found = pg.query(
            "postgres",
            &[("d", app.database), ("r", app.role)],
            "SELECT count(*) FROM pg_database WHERE datname = :'d' AND pg_get_userbyid(datdba) = :'r';",
        );
        assert_eq!(
            found.trim(),
            "1",
            "database {:?} owned by {:?}",
            app.database,
            app.role
        );
    }
    let databases = pg.query("postgres", &[], "SELECT count(*) FROM pg_database;");
    assert_eq!(
        databases.trim(),
        "6",
        "postgres, template0, template1 and the three apps"
    );
    let roles = pg.query(
        "postgres",
        &[],
        "SELECT count(*) FROM pg_roles WHERE rolname !~ '^pg_' AND rolname <> 'postgres';",
    );
    assert_eq!(roles.trim(), "3");

    provision_ok(&pg, &APPS);
    assert_eq!(
        first,
        snapshot(&pg),
        "the second run changed more than passwords"
    );
    for (app, before) in APPS.iter().zip(&hashes) {
        assert_ne!(
            *before,
            password_hash(&pg, app.role),
            "the second run must set the password again (so rotation applies)"
        );
    }
}

#[test]
fn each_app_logs_in_to_its_own_database_only_and_rotation_applies() {
    let Some(pg) = Postgres::start("") else {
        return;
    };
    write_passwords(&pg, &APPS);
    provision_ok(&pg, &APPS);

    for app in APPS {
        let output = login(
            &pg,
            app.role,
            app.password,
            app.database,
            "SELECT current_user, current_database()",
        );
        assert!(
            output.status.success(),
            "{:?} cannot log in: {}",
            app.role,
            String::from_utf8_lossy(&output.stderr)
        );
        let expected = format!("{}\u{1f}{}\n", app.role, app.database);
        assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    }

    // Another app's database: CONNECT was revoked from PUBLIC.
    let [a, b, c] = APPS;
    for (who, whose) in [(a, b), (b, a), (c, a)] {
        let output = login(&pg, who.role, who.password, whose.database, "SELECT 1");
        assert_login_fails(&output, "permission denied for database");
    }
    // A wrong password, and another app's password.
    assert_login_fails(
        &login(&pg, a.role, "wrong", a.database, "SELECT 1"),
        "password authentication failed",
    );
    assert_login_fails(
        &login(&pg, a.role, b.password, a.database, "SELECT 1"),
        "password authentication failed",
    );

    // Rotation: the file changes (now with a trailing newline, as `echo pw > file` writes) and
    // the Job runs again. The newline is not part of the password.
    fs::write(password_file(&pg, 0), format!("{ROTATED}\n")).unwrap();
    provision_ok(&pg, &APPS);
    let output = login(&pg, a.role, ROTATED, a.database, "SELECT 1");
    assert!(
        output.status.success(),
        "the rotated password does not work: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_login_fails(
        &login(&pg, a.role, a.password, a.database, "SELECT 1"),
        "password authentication failed",
    );
    assert_login_fails(
        &login(&pg, a.role, &format!("{ROTATED}\n"), a.database, "SELECT 1"),
        "password authentication failed",
    );
}

#[test]
fn a_retired_app_cannot_log_in_and_keeps_its_database_and_data() {
    let Some(pg) = Postgres::start("") else {
        return;
    };
    write_passwords(&pg, &APPS);
    provision_ok(&pg, &APPS);
    let [a, b, c] = APPS;
    let output = login(
        &pg,
        a.role,
        a.password,
        a.database,
        "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here');",
    );
    assert!(output.status.success(), "{output:?}");

    // App 0 is retired: its Secret is gone, so no password file is left for it.
    fs::remove_file(password_file(&pg, 0)).unwrap();
    let mut active = specs(&pg, &APPS);
    active.remove(0);
    let retired = [a.role.to_string(), "never_created".to_string()];
    let script = pg.dir.path().join("retire.sql");
    fs::write(&script, provision_sql_retiring(&active, &[], &retired)).unwrap();
    for _ in 0..2 {
        let output = pg
            .admin_psql("postgres")
            .arg("-f")
            .arg(&script)
            .output()
            .unwrap();
        assert!(output.status.success(), "retiring failed: {output:?}");
    }

    // Without a password, authentication fails before LOGIN is even looked at.
    assert_login_fails(
        &login(&pg, a.role, a.password, a.database, "SELECT 1"),
        "password authentication failed",
    );
    let state = pg.query(
        "postgres",
        &[("r", a.role)],
        "SELECT rolcanlogin, rolpassword IS NULL FROM pg_authid WHERE rolname = :'r';",
    );
    assert_eq!(state.trim(), "f|t", "NOLOGIN and no password");
    let kept = pg.query(a.database, &[], "SELECT v FROM kept;");
    assert_eq!(kept.trim(), "still here", "the data survives");
    let owner = pg.query(
        "postgres",
        &[("d", a.database)],
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :'d';",
    );
    assert_eq!(owner.trim(), a.role, "the database keeps its owner");
    for app in [b, c] {
        let output = login(&pg, app.role, app.password, app.database, "SELECT 1");
        assert!(output.status.success(), "{:?}: {output:?}", app.role);
    }
}

#[test]
fn roles_own_their_databases_and_extensions_exist() {
    let Some(pg) = Postgres::start("") else {
        return;
    };
    // One database exists already, owned by the administrator: provisioning hands it over.
    pg.query("postgres", &[], "CREATE DATABASE plain_app;");
    write_passwords(&pg, &APPS);
    let output = provision(
        &pg,
        &APPS,
        &["-c", "SELECT 'finally in ' || current_database()"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("finally in postgres"),
        "the script must return to the admin database: {stdout}"
    );

    for app in APPS {
        let owner = pg.query(
            "postgres",
            &[("d", app.database)],
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :'d';",
        );
        assert_eq!(owner, format!("{}\n", app.role));

        let extensions = pg.query(
            app.database,
            &[],
            "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1;",
        );
        let mut expected: Vec<&str> = app.extensions.to_vec();
        expected.sort_unstable();
        assert_eq!(
            extensions.lines().collect::<Vec<_>>(),
            expected,
            "{:?}",
            app.database
        );

        // Owning the database is enough to work in it (PostgreSQL 15+: public schema is owned
        // by pg_database_owner).
        let output = login(
            &pg,
            app.role,
            app.password,
            app.database,
            "CREATE TABLE t (x int); INSERT INTO t VALUES (1); SELECT count(*) FROM t",
        );
        assert!(
            output.status.success(),
            "{:?} cannot create a table: {}",
            app.role,
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn passwords_never_reach_the_server_log_or_psql_output() {
    let conf = "log_statement = 'all'\nlog_min_duration_statement = 0\nlog_connections = on\n\
                log_min_error_statement = 'debug5'\n";
    let Some(pg) = Postgres::start(conf) else {
        return;
    };

    // The control: this server does log passwords given in plain SQL.
    pg.query(
        "postgres",
        &[],
        "CREATE ROLE control LOGIN PASSWORD 'CONTROLMARK';",
    );
    assert!(
        pg.log().contains("CONTROLMARK"),
        "the log does not catch passwords"
    );

    write_passwords(&pg, &APPS);
    let mut outputs = vec![provision_ok(&pg, &APPS), provision_ok(&pg, &APPS)];
    fs::write(password_file(&pg, 0), ROTATED).unwrap();
    outputs.push(provision_ok(&pg, &APPS));

    // Everything but the password statements is still logged, for servers that audit.
    let log = pg.log();
    for statement in [
        "statement: CREATE DATABASE",
        "statement: ALTER DATABASE",
        "statement: GRANT",
    ] {
        assert!(
            log.contains(statement),
            "{statement} was not logged:\n{log}"
        );
    }
    for output in &outputs {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        for marker in ["MARKAONE", "MARKBONE", "MARKCONE", "MARKATWO"] {
            assert!(
                !log.contains(marker),
                "{marker} is in the server log:\n{log}"
            );
            assert!(
                !text.contains(marker),
                "{marker} is in psql's output:\n{text}"
            );
        }
    }

    // An administrator who may not silence logging gets an error before any password is sent.
    pg.query(
        "postgres",
        &[],
        "CREATE ROLE weak_admin LOGIN CREATEROLE CREATEDB PASSWORD 'weak-admin-pw';",
    );
    let script = pg.dir.path().join("weak.sql");
    fs::write(
        &script,
        provision_sql(&specs(
            &pg,
            &[App {
                database: "weak_db",
                role: "weak_role",
                ..APPS[0]
            }],
        )),
    )
    .unwrap();
    let output = pg
        .client("psql", "weak_admin", "weak-admin-pw", "postgres")
        .args(["-X", "-w", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&script)
        .output()
        .unwrap();
    assert!(!output.status.success(), "must fail closed");
    let exists = pg.query(
        "postgres",
        &[],
        "SELECT count(*) FROM pg_roles WHERE rolname = 'weak_role';",
    );
    assert_eq!(exists.trim(), "0");
}

/// Name of the dump of `database`: the name with bytes outside `[A-Za-z0-9_-]` as `%XX`.
fn dump_name(database: &str) -> String {
    let mut name = String::new();
    for byte in database.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' {
            name.push(char::from(byte));
        } else {
            let _ = write!(name, "%{byte:02X}");
        }
    }
    name + ".dump"
}

fn is_timestamp_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() == 16
        && bytes[8] == b'T'
        && bytes[15] == b'Z'
        && bytes[..8]
            .iter()
            .chain(&bytes[9..15])
            .all(u8::is_ascii_digit)
}

/// Runs the backup script of `databases` as `user` into the fresh directory `<tmp>/<label>`,
/// asserts it succeeded, and returns the one dump directory it made.
fn backup_once_as(
    pg: &Postgres,
    user: &str,
    password: &str,
    databases: &[String],
    label: &str,
) -> PathBuf {
    let backups = pg.dir.path().join(label);
    let file = pg.dir.path().join(format!("{label}.sh"));
    fs::write(&file, pg_backup_sh(databases, 7)).unwrap();
    let output = pg
        .with_env("sh", user, password, "postgres")
        .env("BACKUP_DIR", &backups)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "backup as {user} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let made: Vec<String> = entries(&backups)
        .into_iter()
        .filter(|n| is_timestamp_name(n))
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    backups.join(&made[0])
}

fn run_backup(pg: &Postgres, script: &str, backup_dir: &Path, port: u16) -> Output {
    let file = pg.dir.path().join("backup.sh");
    fs::write(&file, script).unwrap();
    pg.with_env("sh", "postgres", ADMIN_PASSWORD, "postgres")
        .env("PGPORT", port.to_string())
        .env("BACKUP_DIR", backup_dir)
        .arg(&file)
        .output()
        .unwrap()
}

#[test]
fn backups_restore_and_old_ones_are_pruned() {
    let Some(pg) = Postgres::start("") else {
        return;
    };
    let [a, b, _] = APPS;
    write_passwords(&pg, &[a, b]);
    provision_ok(&pg, &[a, b]);
    for (app, rows) in [(a, 3), (b, 5)] {
        pg.query(
            app.database,
            &[],
            &format!(
                "CREATE TABLE items (id int); INSERT INTO items SELECT generate_series(1, {rows});"
            ),
        );
    }

    // What a backup volume holds before: an expired backup, a stale partial from a killed run,
    // and lost+found, which is not ours and must survive.
    let backups = pg.dir.path().join("backups");
    for stale in [
        "20000101T000000Z",
        ".partial-20000101T000000Z",
        "lost+found",
    ] {
        fs::create_dir_all(backups.join(stale)).unwrap();
        fs::write(backups.join(stale).join("file"), "old").unwrap();
        backdate(&backups.join(stale));
    }
    let before = entries(&backups);

    // A dump failing midway (the second database does not exist) and an unreachable server:
    // non-zero exit, no new complete-looking backup, no partial left, nothing pruned.
    let databases = [a.database.to_string(), "no such database".to_string()];
    let output = run_backup(&pg, &pg_backup_sh(&databases, 7), &backups, pg.port);
    assert!(
        !output.status.success(),
        "a failed pg_dump must fail the script"
    );
    assert_eq!(entries(&backups), before);
    let databases = [a.database.to_string(), b.database.to_string()];
    let output = run_backup(&pg, &pg_backup_sh(&databases, 7), &backups, free_port());
    assert!(
        !output.status.success(),
        "an unreachable server must fail the script"
    );
    assert_eq!(entries(&backups), before);

    let output = run_backup(&pg, &pg_backup_sh(&databases, 7), &backups, pg.port);
    assert!(
        output.status.success(),
        "backup failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let after = entries(&backups);
    let new: Vec<&String> = after.iter().filter(|n| is_timestamp_name(n)).collect();
    assert_eq!(new.len(), 1, "exactly the new backup: {after:?}");
    assert_ne!(
        new[0], "20000101T000000Z",
        "the expired backup must be deleted"
    );
    assert_eq!(
        after,
        vec![new[0].clone(), "lost+found".to_string()],
        "{after:?}"
    );

    let backup = backups.join(new[0]);
    let mode = fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the backup holds every row of every database");
    let mut expected = vec![
        "globals.sql".to_string(),
        dump_name(a.database),
        dump_name(b.database),
    ];
    expected.sort();
    assert_eq!(entries(&backup), expected);
    let globals = fs::read_to_string(backup.join("globals.sql")).unwrap();
    assert!(globals.contains(r#"CREATE ROLE "o'brien ""admin"" $USER \ :bar @; ü""#));

    for (index, (app, rows)) in [(a, 3), (b, 5)].into_iter().enumerate() {
        let target = format!("restored_{index}");
        pg.query("postgres", &[], &format!("CREATE DATABASE {target};"));
        run_ok(
            pg.client("pg_restore", "postgres", ADMIN_PASSWORD, "postgres")
                .args(["--no-owner", "--exit-on-error"])
                .arg(format!("--dbname={target}"))
                .arg(backup.join(dump_name(app.database))),
        );
        let count = pg.query(&target, &[], "SELECT count(*) FROM items;");
        assert_eq!(count.trim(), rows.to_string(), "{:?}", app.database);
    }
}

/// What the CNPG logical-backup CronJob does: log in as `dbgen_backup`, a plain login role
/// in `pg_read_all_data` (no superuser), and dump every app database plus the globals.
/// The databases are made as CNPG makes them (owner role, CONNECT left to PUBLIC), not by
/// `provision_sql`, which revokes CONNECT from PUBLIC.
#[test]
fn backups_work_as_the_read_only_backup_role() {
    let Some(pg) = Postgres::start("") else {
        return;
    };
    let databases = ["wiki".to_string(), "shop's db".to_string()];
    for (index, database) in databases.iter().enumerate() {
        pg.query(
            "postgres",
            &[("db", database)],
            &format!("CREATE ROLE owner_{index} LOGIN;"),
        );
        pg.query(
            "postgres",
            &[("db", database)],
            &format!("CREATE DATABASE :\"db\" OWNER owner_{index};"),
        );
        pg.query(
            database,
            &[],
            "CREATE TABLE items (id int); INSERT INTO items SELECT generate_series(1, 4);",
        );
    }
    pg.query(
        "postgres",
        &[],
        "CREATE ROLE dbgen_backup LOGIN PASSWORD 'backup-pw' IN ROLE pg_read_all_data;",
    );
    let dump = backup_once_as(&pg, "dbgen_backup", "backup-pw", &databases, "role-backups");
    let globals = fs::read_to_string(dump.join("globals.sql")).unwrap();
    assert!(globals.contains("CREATE ROLE dbgen_backup"), "{globals}");
    assert!(
        !globals.contains("SCRAM-SHA-256$"),
        "no password hash may reach a backup file"
    );
    for (index, database) in databases.iter().enumerate() {
        let target = format!("restored_role_{index}");
        pg.query("postgres", &[], &format!("CREATE DATABASE {target};"));
        run_ok(
            pg.client("pg_restore", "postgres", ADMIN_PASSWORD, "postgres")
                .args(["--no-owner", "--exit-on-error"])
                .arg(format!("--dbname={target}"))
                .arg(dump.join(dump_name(database))),
        );
        assert_eq!(
            pg.query(&target, &[], "SELECT count(*) FROM items;").trim(),
            "4"
        );
    }
}

/// What the operator-less engines do: provisioning (which revokes CONNECT from PUBLIC) also
/// creates `dbgen_backup` in `pg_read_all_data` with CONNECT on every app database; the
/// backup script, logged in as that role, then dumps every app database and the globals. A
/// second run changes nothing, and the role cannot write.
#[test]
fn provisioned_backup_role_dumps_every_app_database() {
    let Some(pg) = Postgres::start("") else {
        return;
    };
    write_passwords(&pg, &APPS);
    let backup_password = r"MARKBACKUP '; \ :x";
    let backup_file = secrets_dir(&pg).join("backup role password");
    fs::write(&backup_file, backup_password).unwrap();
    let role = ProvisionedRole {
        role: "dbgen_backup".to_string(),
        password_file: backup_file.to_str().unwrap().to_string(),
        member_of: vec!["pg_read_all_data".to_string()],
        connect: APPS.iter().map(|a| a.database.to_string()).collect(),
    };
    let script = pg.dir.path().join("provision-roles.sql");
    fs::write(
        &script,
        provision_sql_with_roles(&specs(&pg, &APPS), &[role]),
    )
    .unwrap();
    for _ in 0..2 {
        let mut command = pg.admin_psql("postgres");
        run_ok(command.arg("-f").arg(&script));
    }
    for app in APPS {
        // Rows the owner wrote, in a schema of its own, are readable by the backup role.
        let output = login(
            &pg,
            app.role,
            app.password,
            app.database,
            "CREATE SCHEMA app; CREATE TABLE app.items (id int); INSERT INTO app.items VALUES (1), (2)",
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let output = login(
            &pg,
            "dbgen_backup",
            backup_password,
            app.database,
            "INSERT INTO app.items VALUES (3)",
        );
        assert_login_fails(&output, "permission denied");
    }
    let databases: Vec<String> = APPS.iter().map(|a| a.database.to_string()).collect();
    let dump = backup_once_as(
        &pg,
        "dbgen_backup",
        backup_password,
        &databases,
        "provisioned-backups",
    );
    for (index, app) in APPS.iter().enumerate() {
        let target = format!("restored_provisioned_{index}");
        pg.query("postgres", &[], &format!("CREATE DATABASE {target};"));
        run_ok(
            pg.client("pg_restore", "postgres", ADMIN_PASSWORD, "postgres")
                .args(["--no-owner", "--exit-on-error"])
                .arg(format!("--dbname={target}"))
                .arg(dump.join(dump_name(app.database))),
        );
        assert_eq!(
            pg.query(&target, &[], "SELECT count(*) FROM app.items;")
                .trim(),
            "2",
            "{:?}",
            app.database
        );
    }
    assert!(
        !pg.log().contains("MARKBACKUP"),
        "the backup password reached the log"
    );
}

/// CNPG isolation on a shared cluster: the `pg_hba` lines `dbgen::plan::hba` writes, in a
/// `pg_hba.conf` laid out as CloudNativePG lays it out (its fixed lines, then the
/// Cluster's `postgresql.pg_hba`, then its final `host all all all scram-sha-256`), on
/// databases made as CNPG makes them (owner role, CONNECT left to PUBLIC). Each app's
/// roles reach their own database only; roles dbgen does not list are unaffected.
#[test]
fn cnpg_pg_hba_keeps_each_app_in_its_own_database() {
    use dbgen::plan::hba::{Access, lines};
    let Some(pg) = Postgres::start("") else {
        return;
    };
    // (database, role, password); `wiki_readonly` shares wiki's line, as read-only users do.
    let logins = [
        ("wiki", "wiki", "MARKWIKI-pw"),
        ("wiki", "wiki_readonly", "MARKWIKIRO-pw"),
        ("shop", "shop_user", "MARKSHOP-pw"),
    ];
    for (_, role, password) in logins {
        pg.query(
            "postgres",
            &[("role", role), ("pw", password)],
            "CREATE ROLE :\"role\" LOGIN PASSWORD :'pw';",
        );
    }
    for (database, owner) in [("wiki", "wiki"), ("shop", "shop_user")] {
        pg.query(
            "postgres",
            &[("db", database), ("owner", owner)],
            "CREATE DATABASE :\"db\" OWNER :\"owner\";",
        );
    }
    pg.query(
        "postgres",
        &[],
        "CREATE ROLE other LOGIN PASSWORD 'MARKOTHER-pw';",
    );
    let access = [
        Access {
            database: "wiki".into(),
            roles: vec!["wiki".into(), "wiki_readonly".into()],
        },
        Access {
            database: "shop".into(),
            roles: vec!["shop_user".into()],
        },
    ];
    let mut hba = String::from("local all all trust\n");
    for line in lines(&access) {
        writeln!(hba, "{line}").unwrap();
    }
    hba.push_str("host all all all scram-sha-256\n");
    let hba_file = pg.query("postgres", &[], "SHOW hba_file;");
    fs::write(hba_file.trim(), hba).unwrap();
    pg.query("postgres", &[], "SELECT pg_reload_conf();");
    assert_eq!(
        pg.query(
            "postgres",
            &[],
            "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL;"
        )
        .trim(),
        "0",
        "every generated line parses"
    );
    for (own, role, password) in logins {
        let output = login(&pg, role, password, own, "SELECT current_database()");
        assert!(
            output.status.success(),
            "{role} on {own}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        for elsewhere in ["wiki", "shop", "postgres", "template1"] {
            if elsewhere != own {
                let output = login(&pg, role, password, elsewhere, "SELECT 1");
                assert_login_fails(&output, "pg_hba.conf rejects connection");
            }
        }
    }
    // A role no app owns (the operator's, `dbgen_backup`) meets CNPG's final line only.
    for database in ["wiki", "shop", "postgres"] {
        let output = login(&pg, "other", "MARKOTHER-pw", database, "SELECT 1");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
