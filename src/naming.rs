//! Naming rules shared by `validate` (which checks every name) and `plan` (which uses
//! them): defaults for database and role names, derived object names, placeholders.
//!
//! Input: names the user wrote. Output: the names dbgen derives from them.
//! Invariant: one function per derived name, so the name `validate` checked is the
//! name `plan` writes.

use std::collections::BTreeMap;

/// Database name of an app: the spec's `database`, else the app name with `-` → `_`
/// (PostgreSQL identifiers with `-` would need quoting everywhere).
pub fn database(app_key: &str, database: Option<&str>) -> String {
    database.map_or_else(|| app_key.replace('-', "_"), str::to_string)
}

/// Login role of an app: the spec's `user`, else the database name.
pub fn role(database: &str, user: Option<&str>) -> String {
    user.unwrap_or(database).to_string()
}

/// CNPG `Database` object name (in the cluster namespace).
pub fn database_object(cluster: &str, app_key: &str) -> String {
    format!("{cluster}-{app_key}")
}

/// Role credentials Secret (in the cluster namespace), read by CNPG's `passwordSecret`.
pub fn role_secret(cluster: &str, app_key: &str) -> String {
    format!("{cluster}-{app_key}-role")
}

/// Connection Secret in the app's namespace.
pub fn connection_secret(app_key: &str, configured: Option<&str>) -> String {
    configured.map_or_else(|| format!("{app_key}-postgresql"), str::to_string)
}

/// Redis connection Secret in the app's namespace.
pub fn redis_connection_secret(app_key: &str, configured: Option<&str>) -> String {
    configured.map_or_else(|| format!("{app_key}-redis"), str::to_string)
}

/// The Redis password Secret (in the platform namespace), read by Redis and its backups.
pub fn redis_credentials_secret(redis: &str) -> String {
    format!("{redis}-credentials")
}

/// The read-only role of an app (`readonly = true`).
pub fn readonly_role(role: &str) -> String {
    format!("{role}_readonly")
}

/// The read-only role's password Secret (in the cluster namespace).
pub fn readonly_role_secret(cluster: &str, app_key: &str) -> String {
    format!("{cluster}-{app_key}-readonly-role")
}

/// The read-only connection Secret in the app's namespace: the spec's
/// `readonly_connection_secret`, else `<connection Secret>-readonly`.
pub fn readonly_connection_secret(connection_secret: &str, configured: Option<&str>) -> String {
    configured.map_or_else(|| format!("{connection_secret}-readonly"), str::to_string)
}

/// A `{name}` placeholder problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceholderError {
    /// `{name}` is not one of the allowed placeholders; byte offset of the `{`.
    Unknown { name: String, offset: usize },
    /// A `{` without `}` or a stray `}`; byte offset.
    Unbalanced { offset: usize },
}

/// Replaces `{name}` placeholders; `vars` lists every allowed name.
pub fn expand(template: &str, vars: &BTreeMap<&str, &str>) -> Result<String, PlaceholderError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    let mut offset = 0;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err(PlaceholderError::Unbalanced {
                offset: offset + open,
            });
        }
        let Some(close) = rest[open..].find('}') else {
            return Err(PlaceholderError::Unbalanced {
                offset: offset + open,
            });
        };
        let name = &rest[open + 1..open + close];
        let Some(value) = vars.get(name) else {
            return Err(PlaceholderError::Unknown {
                name: name.to_string(),
                offset: offset + open,
            });
        };
        out.push_str(&rest[..open]);
        out.push_str(value);
        offset += open + close + 1;
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_known_placeholders_and_rejects_others() {
        let vars = BTreeMap::from([("env", "prod"), ("app", "wiki")]);
        assert_eq!(
            expand("databases/{env}/{app}", &vars).unwrap(),
            "databases/prod/wiki"
        );
        assert_eq!(
            expand("db-{ev}", &vars),
            Err(PlaceholderError::Unknown {
                name: "ev".into(),
                offset: 3
            })
        );
        assert_eq!(
            expand("db-{env", &vars),
            Err(PlaceholderError::Unbalanced { offset: 3 })
        );
        assert_eq!(
            expand("db-}", &vars),
            Err(PlaceholderError::Unbalanced { offset: 3 })
        );
    }

    #[test]
    fn defaults_follow_the_app_name() {
        assert_eq!(database("my-app", None), "my_app");
        assert_eq!(role("my_app", None), "my_app");
        assert_eq!(role("authentik", Some("authentik_user")), "authentik_user");
    }
}
