//! The Kubernetes kinds dbgen writes. `render` maps each to its template.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Kind {
    Cluster,
    Database,
    ExternalSecret,
    Kustomization,
}

impl Kind {
    /// Lowercase kind, used in file names.
    pub fn file_stem(self) -> &'static str {
        match self {
            Self::Cluster => "cluster",
            Self::Database => "database",
            Self::ExternalSecret => "externalsecret",
            Self::Kustomization => "kustomization",
        }
    }
}
