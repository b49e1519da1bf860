//! When a PostgreSQL parameter change takes effect: its `pg_settings.context`.
//!
//! Input: the server's major version and a parameter name. Output: its context, or
//! `None` when the major's catalog does not know it (the plan then assumes a restart).
//! Invariant: this is the one place `change` asks about parameters; the answer comes from
//! the GUC catalog `validate` checks parameters against (`crate::catalog::guc`, read from
//! `pg_settings` of real servers, 14 to 18), so the two can never disagree.

use crate::catalog::guc::{self, Context as GucContext};

/// `pg_settings.context`, reduced to what the plan needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    /// Only at server start: changing it restarts the server.
    Postmaster,
    /// Applied by a configuration reload (`sighup`, `superuser`, `user`, `backend`...).
    Reload,
    /// Cannot be set at all.
    Internal,
}

/// The context of `name` on PostgreSQL `major`.
pub(super) fn context(major: u32, name: &str) -> Option<Context> {
    Some(match guc::lookup(major, name)?.context {
        GucContext::Postmaster => Context::Postmaster,
        GucContext::Internal => Context::Internal,
        // `backend` settings reach new connections after the reload; sessions keep theirs.
        _ => Context::Reload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts() {
        assert_eq!(context(16, "shared_buffers"), Some(Context::Postmaster));
        assert_eq!(context(16, "work_mem"), Some(Context::Reload));
        assert_eq!(
            context(17, "autovacuum_max_workers"),
            Some(Context::Postmaster)
        );
        assert_eq!(context(18, "autovacuum_max_workers"), Some(Context::Reload));
        assert_eq!(context(15, "reserved_connections"), None);
        assert_eq!(context(16, "no_such_parameter"), None);
    }
}
