//! The GUC catalog compiled into dbgen against the real server installed on this machine:
//! every parameter `postgres --describe-config` lists has the same context, type and bounds in
//! the catalog of that server's major. Fails when the server moves to a build whose parameters
//! differ and `scripts/gen-guc-catalog.sh` was not run again. Fails under `CI` without a server.

use crate::support::{clean_command, pg_bindir, require, run_ok};
use dbgen::catalog::guc;

#[test]
fn catalog_matches_the_installed_server() {
    let Some(bindir) = require("PostgreSQL (initdb)", pg_bindir(), "postgres") else {
        return;
    };
    let postgres = bindir.join("postgres");
    let version = run_ok(clean_command(&postgres).arg("--version"));
    let version = String::from_utf8(version.stdout).unwrap();
    let major: u32 = version
        .split_whitespace()
        .nth(2)
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("no major in {version:?}"));
    assert!(
        guc::MAJORS.contains(&major),
        "no GUC catalog for the installed PostgreSQL {major}"
    );

    let described = run_ok(clean_command(&postgres).arg("--describe-config"));
    let described = String::from_utf8(described.stdout).unwrap();
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for line in described.lines() {
        // name, context, group, TYPE, reset value, min, max, short and extra description
        let cols: Vec<&str> = line.split('\t').collect();
        let (name, context, kind, min, max) = (cols[0], cols[1], cols[3], cols[5], cols[6]);
        let Some(entry) = guc::lookup(major, name) else {
            mismatches.push(format!("{name}: missing from the catalog"));
            continue;
        };
        let want = (context, kind.to_ascii_lowercase(), min, max);
        let kind_name = if entry.kind.as_str() == "bool" {
            "boolean"
        } else {
            entry.kind.as_str()
        };
        let got = (
            entry.context.as_str(),
            kind_name.to_owned(),
            entry.min.unwrap_or(""),
            entry.max.unwrap_or(""),
        );
        if want != got {
            mismatches.push(format!("{name}: server {want:?}, catalog {got:?}"));
        }
        checked += 1;
    }
    assert!(
        mismatches.is_empty(),
        "the GUC catalog of PostgreSQL {major} differs from the installed server ({version}); \
         run scripts/gen-guc-catalog.sh and review:\n{}",
        mismatches.join("\n")
    );
    assert!(checked > 250, "only {checked} parameters described");
}
