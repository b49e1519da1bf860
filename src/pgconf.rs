//! `postgresql.conf` lines from the spec's `parameters`, for the engines whose file dbgen
//! writes (the `statefulset` ConfigMap, Bitnami's `postgresql.extendedConf`), and the rules
//! `validate` applies to every engine's parameters (CloudNativePG writes the file itself).
//!
//! Input: a parameter name and value from the spec. Output: the value as a quoted
//! configuration string, or why the file cannot hold it.
//! Invariant: a value `check_value` accepts, written by `quote`, reads back in PostgreSQL
//! (`postgres -C name`) as exactly the value given, and adds no other setting.

/// Largest parameter value dbgen accepts, in bytes: far above any real setting, and low
/// enough that a handful of them keep a ConfigMap or Helm values file under the 1 MiB an
/// object may take.
pub const MAX_VALUE_BYTES: usize = 8 * 1024;

/// Parameters that are directives of the file itself, not settings: `include 'x'` would make
/// PostgreSQL read a file of the user's choosing (and fail to start when it is missing).
const DIRECTIVES: &[&str] = &["include", "include_dir", "include_if_exists"];

/// String-typed parameters, for which an empty value (`''`) is a value: every other type
/// (bool, integer, real, enum) makes the server refuse to start on `''`. Source: `postgres
/// --describe-config` of PostgreSQL 15 (vartype `STRING`), plus the string parameters
/// PostgreSQL 16 to 18 added (their release notes).
const STRING_PARAMETERS: &[&str] = &[
    "archive_cleanup_command",
    "archive_command",
    "archive_library",
    "bonjour_name",
    "client_encoding",
    "cluster_name",
    "createrole_self_grant",
    "datestyle",
    "debug_io_direct",
    "default_table_access_method",
    "default_tablespace",
    "default_text_search_config",
    "dynamic_library_path",
    "event_source",
    "extension_destdir",
    "external_pid_file",
    "jit_provider",
    "krb_server_keyfile",
    "lc_messages",
    "lc_monetary",
    "lc_numeric",
    "lc_time",
    "local_preload_libraries",
    "log_connections",
    "log_destination",
    "log_directory",
    "log_filename",
    "log_line_prefix",
    "log_timezone",
    "oauth_validator_libraries",
    "primary_conninfo",
    "primary_slot_name",
    "promote_trigger_file",
    "recovery_end_command",
    "recovery_target",
    "recovery_target_lsn",
    "recovery_target_name",
    "recovery_target_time",
    "recovery_target_timeline",
    "recovery_target_xid",
    "restore_command",
    "restrict_nonsystem_relation_kind",
    "search_path",
    "session_preload_libraries",
    "shared_preload_libraries",
    "ssl_ca_file",
    "ssl_cert_file",
    "ssl_ciphers",
    "ssl_crl_dir",
    "ssl_crl_file",
    "ssl_dh_params_file",
    "ssl_ecdh_curve",
    "ssl_groups",
    "ssl_key_file",
    "ssl_passphrase_command",
    "ssl_tls13_ciphers",
    "synchronized_standby_slots",
    "synchronous_standby_names",
    "syslog_ident",
    "temp_tablespaces",
    "timezone",
    "timezone_abbreviations",
    "unix_socket_group",
];

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
    if value.trim().is_empty() && !name.contains('.') && !STRING_PARAMETERS.contains(&name) {
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
        assert!(check_value("log_line_prefix", &"x".repeat(MAX_VALUE_BYTES + 1)).is_err());
        assert!(check_value("log_line_prefix", "a\\'b").is_ok());
        assert!(check_name("include_dir").is_err());
        assert!(check_name("work_mem").is_ok());
    }
}
