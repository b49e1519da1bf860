//! The raw platform spec: the TOML file as the user wrote it, plus where each value is.
//!
//! Input: the text of `dbgen.toml` (and of each profile file, through the same loader).
//! Output: a typed `Spec` (serde + schemars, unknown keys denied) and a `SpanIndex`
//! locating every key and value, or every syntax and shape problem at once.
//! Invariant: nothing here merges, defaults or cross-checks; that is `validate`'s job.

mod duplicate;
mod model;
mod profiles;
mod shape;

pub use model::{
    Acknowledge, AcknowledgedClass, App, BackupLayer, Bitnami, Compute, Engine, Environment,
    HelmDelivery, InfisicalKind, Layer, LogicalBackupLayer, Monitoring, MonitoringSettings, Output,
    ParamValue, Platform, PoolMode, PoolerLayer, PostgresCluster, ReclaimPolicy, Resources,
    Restore, RoleStyle, SecretProvider, SecretRef, Secrets, Spec, SslMode, StoreKind, VaultStore,
};
pub use model::{Gitops, GitopsTool, Layout};
pub use model::{MaxmemoryPolicy, RedisBackup, RedisCluster, RedisEngine, RedisLayer, UploadLayer};
pub use profiles::{BUILTIN_PROFILES, BuiltinProfile};
pub use shape::{SpanIndex, TomlPath};

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Sources, Span};

/// A parsed document of type `T` with the spans of its keys and values.
#[derive(Debug, Clone)]
pub struct Document<T> {
    pub file: FileId,
    pub value: T,
    pub spans: SpanIndex,
}

impl<T> Document<T> {
    /// The span of the value at `path`, if the user wrote it.
    pub fn value_span(&self, path: &[&str]) -> Option<Span> {
        self.spans.value(path).map(|range| Span {
            file: self.file,
            range,
        })
    }

    /// The span of the key at `path` (for map entries such as app names).
    pub fn key_span(&self, path: &[&str]) -> Option<Span> {
        self.spans.key(path).map(|range| Span {
            file: self.file,
            range,
        })
    }
}

/// Loads the user's platform spec.
pub fn load_spec(sources: &Sources, file: FileId) -> Result<Document<Spec>, Vec<Diagnostic>> {
    shape::load(sources, file)
}

/// Loads one profile (a built-in file or nothing else: spec profiles live in the spec).
pub fn load_layer(sources: &Sources, file: FileId) -> Result<Document<Layer>, Vec<Diagnostic>> {
    shape::load(sources, file)
}

/// The JSON Schema of the spec file, for editors (`dbgen schema`).
pub fn json_schema() -> serde_json::Value {
    schemars::schema_for!(Spec).as_value().clone()
}
