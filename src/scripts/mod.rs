//! Script texts run by the `Job`s and `CronJob`s dbgen renders for engines without an operator:
//! database/role provisioning (psql) and PostgreSQL/Redis backups (POSIX sh).
//!
//! Input: names (databases, roles, extensions, file paths) and a retention in days.
//! Output: deterministic LF-terminated script text (no timestamps, nothing from the machine).
//! Invariant: no name is ever pasted into SQL or shell syntax raw; every one goes through a
//! quoting function below, and no password ever appears in a script (they are read at run time).

use std::fmt::Write as _;

mod pg_backup;
mod provision;
mod redis_backup;
mod s3_upload;

pub use pg_backup::{PG_BACKUP_COMPLETE, pg_backup_sh};
pub use provision::{
    ProvisionedDatabase, ProvisionedRole, provision_sql, provision_sql_retiring,
    provision_sql_with_roles,
};
pub use redis_backup::{REDIS_BACKUP_COMPLETE, redis_backup_sh};
pub use s3_upload::s3_upload_sh;

/// Quotes `value` as one argument of a psql meta-command such as `\set`.
///
/// psql reads a single-quoted meta-command argument with its own rules: `''` is a quote, a
/// backslash starts a C-like escape (`\n`, `\t`, octal `\ooo`, ...) or quotes the next
/// character, and `:name`/backquotes are not special inside the quotes. A raw line break would
/// end the meta-command, so line breaks and every other control character are escaped; all
/// other characters (including non-ASCII, read as UTF-8 after `\encoding UTF8`) are kept.
/// `value` must not contain NUL: psql would cut the string there (callers check).
pub(crate) fn psql_meta_arg(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                // Always three octal digits: psql's octal escape takes up to three, so a
                // following digit in the name can never be swallowed into the escape.
                let mut buf = [0u8; 4];
                for byte in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\{byte:03o}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Quotes `value` as one word of a POSIX shell command: single quotes, where nothing is
/// special, and each `'` written as `'\''` (close, escaped quote, reopen).
pub(crate) fn sh_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Turns a name into a file name that is injective (two names never share a file) and
/// readable for ordinary names: ASCII letters, digits, `_` and `-` are kept, every other byte
/// (including `.` and `/`) becomes `%XX`, so `..`, hidden files and path separators cannot occur.
pub(crate) fn file_component(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Minutes in `days` days, for `find -mmin` (finer than `-mtime`, which rounds to whole days).
pub(crate) fn days_to_minutes(days: u32) -> u64 {
    u64::from(days) * 24 * 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_meta_arg_escapes_quotes_backslashes_and_controls() {
        assert_eq!(psql_meta_arg("plain"), "'plain'");
        assert_eq!(psql_meta_arg("it's"), "'it''s'");
        assert_eq!(psql_meta_arg(r"a\b"), r"'a\\b'");
        assert_eq!(psql_meta_arg("a\nb\rc\td"), r"'a\nb\rc\td'");
        assert_eq!(psql_meta_arg("a\u{1}7"), r"'a\0017'");
        assert_eq!(psql_meta_arg("\u{85}"), r"'\302\205'");
        assert_eq!(psql_meta_arg(":x `y` \"z\" é"), "':x `y` \"z\" é'");
    }

    #[test]
    fn psql_meta_arg_never_emits_a_line_break() {
        let nasty = "a\nb\r\u{b}\u{c}\u{2028}\u{85}";
        assert!(!psql_meta_arg(nasty).contains(['\n', '\r', '\u{b}', '\u{c}', '\u{85}']));
    }

    #[test]
    fn sh_quote_closes_and_reopens_around_quotes() {
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's $x `y`"), r"'it'\''s $x `y`'");
        assert_eq!(sh_quote(""), "''");
    }

    #[test]
    fn file_component_is_readable_for_plain_names_and_injective() {
        assert_eq!(file_component("shop_db-1"), "shop_db-1");
        assert_eq!(file_component("a b"), "a%20b");
        assert_eq!(file_component(".."), "%2E%2E");
        assert_eq!(file_component("a/b"), "a%2Fb");
        assert_eq!(file_component("é"), "%C3%A9");
        assert_ne!(file_component("a b"), file_component("a_b"));
        assert_ne!(file_component("a%20b"), file_component("a b"));
    }
}
