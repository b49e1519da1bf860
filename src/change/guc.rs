//! When a PostgreSQL parameter change takes effect: its `pg_settings.context`.
//!
//! Input: the server's major version and a parameter name. Output: its context, or
//! `None` when it is not known here (the plan then assumes a restart).
//! Invariant: this is the one place `change` asks about parameters, so the full
//! per-major GUC catalog can replace the table below without touching the rest.
//! Source: PostgreSQL documentation, "Server Configuration" (each parameter states
//! "This parameter can only be set at server start", i.e. context `postmaster`),
//! checked against `SELECT name, context FROM pg_settings` on 14 to 18.

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

/// Parameters whose context is `postmaster` in every supported major (14-18).
const POSTMASTER: &[&str] = &[
    "archive_mode",
    "cluster_name",
    "dynamic_shared_memory_type",
    "hot_standby",
    "huge_pages",
    "huge_page_size",
    "listen_addresses",
    "max_connections",
    "max_files_per_process",
    "max_locks_per_transaction",
    "max_logical_replication_workers",
    "max_pred_locks_per_transaction",
    "max_prepared_transactions",
    "max_replication_slots",
    "max_wal_senders",
    "max_worker_processes",
    "port",
    "shared_buffers",
    "shared_memory_type",
    "shared_preload_libraries",
    "superuser_reserved_connections",
    "track_activity_query_size",
    "track_commit_timestamp",
    "wal_buffers",
    "wal_level",
    "wal_log_hints",
];

/// Reloadable parameters dbgen users commonly set (context `sighup` or `user`).
const RELOAD: &[&str] = &[
    "checkpoint_completion_target",
    "checkpoint_timeout",
    "default_statistics_target",
    "effective_cache_size",
    "effective_io_concurrency",
    "log_min_duration_statement",
    "log_statement",
    "maintenance_work_mem",
    "max_parallel_workers",
    "max_parallel_workers_per_gather",
    "max_wal_size",
    "min_wal_size",
    "random_page_cost",
    "statement_timeout",
    "idle_in_transaction_session_timeout",
    "work_mem",
    "autovacuum_naptime",
    "autovacuum_vacuum_scale_factor",
];

const INTERNAL: &[&str] = &[
    "block_size",
    "data_checksums",
    "segment_size",
    "server_version",
    "server_version_num",
    "wal_block_size",
    "wal_segment_size",
];

/// The context of `name` on PostgreSQL `major`.
pub(super) fn context(major: u32, name: &str) -> Option<Context> {
    match name {
        // `postmaster` until 17; PostgreSQL 18 sizes the slots with
        // `autovacuum_worker_slots` and made this one `sighup`.
        "autovacuum_max_workers" => Some(if major >= 18 {
            Context::Reload
        } else {
            Context::Postmaster
        }),
        // PostgreSQL 16 and later.
        "reserved_connections" if major >= 16 => Some(Context::Postmaster),
        // PostgreSQL 18 and later.
        "io_method" | "autovacuum_worker_slots" if major >= 18 => Some(Context::Postmaster),
        _ if POSTMASTER.contains(&name) => Some(Context::Postmaster),
        _ if RELOAD.contains(&name) => Some(Context::Reload),
        _ if INTERNAL.contains(&name) => Some(Context::Internal),
        _ => None,
    }
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
