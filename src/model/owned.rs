//! Names and keys that dbgen owns in the output, which `validate` keeps the spec from
//! using or overflowing and `plan` writes.
//!
//! Input: nothing (constants and name derivations).
//! Output: the owned parameter names, property names and name lengths.
//! Invariant: one definition each, so what validate reserves is exactly what plan writes.

/// Characters the provisioning Job's name adds to the cluster name: `-provision-` and 8 hex
/// digits. A Job's name becomes a label value of its pods (at most 63 characters), which
/// bounds cluster names.
pub const JOB_NAME_EXTRA: usize = "-provision-".len() + 8;

/// Names of the parameters engine `statefulset` sets itself, plus the file locations given
/// on the command line; validate rejects them in `parameters`.
pub const MANAGED_PARAMETERS: &[&str] = &[
    "listen_addresses",
    "port",
    "unix_socket_directories",
    "password_encryption",
    "config_file",
    "hba_file",
    "ident_file",
    "data_directory",
];

/// `<cluster>-logical-backup`: the CronJob, its ConfigMap and its volume.
pub fn logical_backup(cluster: &str) -> String {
    format!("{cluster}-logical-backup")
}

/// Properties engine `bitnami` reads under the cluster's `credentials_key`.
pub mod bitnami {
    pub const ADMIN_PROPERTY: &str = "admin-password";
    pub const REPLICATION_PROPERTY: &str = "replication-password";
    pub const PGPOOL_ADMIN_PROPERTY: &str = "pgpool-admin-password";
}
