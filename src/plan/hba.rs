//! Per-app isolation on a CloudNativePG cluster: `spec.postgresql.pg_hba` lines.
//!
//! Input: each app of the cluster: its database and the login roles that use it.
//! Output: per database, a line admitting exactly its roles, then one line rejecting
//! every app role elsewhere (other apps' databases, `postgres`, `template1`).
//! Invariant: only app roles are named, so roles dbgen does not own (the operator's,
//! `dbgen_backup`, which dumps every database) fall through to CNPG's own final
//! `host all all all scram-sha-256`. CNPG places these lines after its fixed ones
//! (local peer, the replication and pooler certificate lines) and before that final
//! one; PgBouncer opens server connections as the client's role, so connections
//! through the pooler meet the same lines.

/// One database and the login roles of its app (owner, read-only user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub database: String,
    pub roles: Vec<String>,
}

/// The method of the admitting lines: the one CNPG's final line uses for the same roles
/// (PostgreSQL ≥ 14 stores SCRAM verifiers), so isolation changes who, never how.
const METHOD: &str = "scram-sha-256";

/// `pg_hba.conf` lines isolating each app; empty without apps.
pub fn lines(apps: &[Access]) -> Vec<String> {
    if apps.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<String> = apps
        .iter()
        .map(|a| {
            format!(
                "host {} {} all {METHOD}",
                token(&a.database),
                list(&a.roles)
            )
        })
        .collect();
    let every_role: Vec<String> = apps.iter().flat_map(|a| a.roles.clone()).collect();
    out.push(format!("host all {} all reject", list(&every_role)));
    out
}

fn list(names: &[String]) -> String {
    names.iter().map(|n| token(n)).collect::<Vec<_>>().join(",")
}

/// A database or role name as a `pg_hba.conf` token: the keywords are quoted so that they
/// name the object, not every object (validated names hold no quote, comma or space).
fn token(name: &str) -> String {
    const KEYWORDS: [&str; 5] = ["all", "sameuser", "samerole", "samegroup", "replication"];
    if KEYWORDS.contains(&name) {
        format!("\"{name}\"")
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_database_admits_its_roles_and_the_rest_is_rejected() {
        let apps = [
            Access {
                database: "wiki".into(),
                roles: vec!["wiki".into(), "wiki_readonly".into()],
            },
            Access {
                database: "all".into(),
                roles: vec!["shop".into()],
            },
        ];
        assert_eq!(
            lines(&apps),
            [
                "host wiki wiki,wiki_readonly all scram-sha-256",
                "host \"all\" shop all scram-sha-256",
                "host all wiki,wiki_readonly,shop all reject",
            ]
        );
        assert!(lines(&[]).is_empty());
    }
}
