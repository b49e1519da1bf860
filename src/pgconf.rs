//! `postgresql.conf` lines from the spec's `parameters`, for the engines whose file dbgen
//! writes (the `statefulset` ConfigMap, Bitnami's `postgresql.extendedConf`), and the rules
//! `validate` applies to every engine's parameters (CloudNativePG writes the file itself).
//!
//! Input: a parameter name and value from the spec. Output: the value as a quoted
//! configuration string, or why the file cannot hold it.
//! Invariant: a value `check_value` accepts, written by `quote`, reads back in PostgreSQL
//! (`postgres -C name`) as exactly the value given, and adds no other setting.

use crate::catalog::guc;

/// Largest parameter value dbgen accepts, in bytes: far above any real setting, and low
/// enough that a handful of them keep a ConfigMap or Helm values file under the 1 MiB an
/// object may take.
pub const MAX_VALUE_BYTES: usize = 8 * 1024;

/// Parameters that are directives of the file itself, not settings: `include 'x'` would make
/// PostgreSQL read a file of the user's choosing (and fail to start when it is missing).
const DIRECTIVES: &[&str] = &["include", "include_dir", "include_if_exists"];

/// Whether `name` is a string-typed parameter (`pg_settings.vartype` `string`) in any
/// PostgreSQL major of the embedded catalog: for those an empty value (`''`) is a value,
/// while every other type (bool, integer, real, enum) makes the server refuse to start on
/// `''`. Any major, since the same parameters may be written for every version dbgen runs
/// (`log_connections` became a string in 18; `promote_trigger_file` left in 16).
fn string_typed(name: &str) -> bool {
    guc::MAJORS
        .iter()
        .any(|&major| guc::lookup(major, name).is_some_and(|g| g.kind == guc::Type::String))
}

/// `value` as a `postgresql.conf` string: in single quotes, `'` doubled and `\` doubled
/// (the file's quoted strings take C-like backslash escapes, so a lone `\` would escape
/// the next character, and a trailing one the closing quote).
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
}

/// Why `name` cannot be a parameter, if it cannot.
pub fn check_name(name: &str) -> Result<(), String> {
    if DIRECTIVES.contains(&name) {
        return Err(
            "is a postgresql.conf directive that makes the server read another file, not a parameter"
                .to_string(),
        );
    }
    Ok(())
}

/// Why `value` of parameter `name` cannot be written to `postgresql.conf`, if it cannot.
pub fn check_value(name: &str, value: &str) -> Result<(), String> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(format!(
            "holds the control character U+{:04X}; a postgresql.conf value is one line of text",
            u32::from(c)
        ));
    }
    if value.len() > MAX_VALUE_BYTES {
        return Err(format!(
            "is {} bytes long; dbgen accepts at most {MAX_VALUE_BYTES}",
            value.len()
        ));
    }
    // A name with a `.` is an extension's setting, which PostgreSQL keeps as a string.
    if value.trim().is_empty() && !name.contains('.') && !string_typed(name) {
        return Err(
            "is empty, which PostgreSQL refuses for a parameter that is not a string (the server would not start)"
                .to_string(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_backslashes_and_quotes() {
        assert_eq!(quote("a'b"), "'a''b'");
        assert_eq!(quote("a\\"), "'a\\\\'");
        assert_eq!(quote("%m [%p] "), "'%m [%p] '");
    }

    #[test]
    fn refuses_what_the_file_cannot_hold() {
        assert!(check_value("log_line_prefix", "a\nlog_statement = all").is_err());
        assert!(check_value("log_line_prefix", "a\0").is_err());
        assert!(check_value("log_line_prefix", "a\r").is_err());
        assert!(check_value("work_mem", "").is_err());
        assert!(check_value("work_mem", " ").is_err());
        assert!(check_value("log_line_prefix", "").is_ok());
        assert!(check_value("pg_stat_statements.track", "").is_ok());
        // String-typed per the catalog, in any case, in any major it knows.
        assert!(check_value("application_name", "").is_ok());
        assert!(check_value("DateStyle", "").is_ok());
        assert!(check_value("log_connections", "").is_ok());
        assert!(check_value("promote_trigger_file", "").is_ok());
        assert!(check_value("log_statement", "").is_err());
        assert!(check_value("no_such_parameter", "").is_err());
        assert!(check_value("log_line_prefix", &"x".repeat(MAX_VALUE_BYTES + 1)).is_err());
        assert!(check_value("log_line_prefix", "a\\'b").is_ok());
        assert!(check_name("include_dir").is_err());
        assert!(check_name("work_mem").is_ok());
    }
}
