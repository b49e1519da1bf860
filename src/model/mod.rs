//! The resolved model: what `validate` returns and `plan` consumes, below both stages.
//!
//! Input: nothing (types, the constants both stages share, and pure derivations from
//! the typed spec such as which clusters exist).
//! Output: `Checked` and the per-environment types it holds (`Merged`, `RedisEnv`,
//! `ClusterEntry`), plus the names and keys dbgen owns (`owned`).
//! Invariant: every value is already checked. Nothing here imports `validate` or `plan`:
//! both import from here, so the stages form a line, not a circle.

mod checked;
mod duration;
mod gitops;
mod merged;
pub mod owned;
mod pattern;
mod quantity;
mod secrets;
pub mod topology;
mod values;

pub use checked::Checked;
pub use duration::Duration;
pub use gitops::{Argocd, Flux, Gitops, GitopsTool};
pub use merged::{
    Merged, MergedBackup, MergedCompute, MergedLogicalBackup, MergedMonitoring, MergedPooler,
    MergedUpload, RedisBackupEnv, RedisEnv, Sourced, Target,
};
pub use pattern::{AppVars, Pattern};
pub use quantity::{Quantity, split as quantity_split};
pub use secrets::{ExternalSecrets, Infisical, Provider, Secrets, Vault};
pub use topology::ClusterEntry;
pub use values::{CronSchedule, Platform, PostgresVersion, RedisMemory, Retention, RetentionUnit};
