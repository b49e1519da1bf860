//! `[gitops]` resolved: one variant per tool, each with exactly the keys it reads and its
//! defaults applied.
//!
//! Input: nothing (types; `validate::resolve::gitops` builds them once every check passed).
//! Output: `Gitops`, read by `plan::gitops`.
//! Invariant: every field is decided; `plan` prints them without defaulting.

/// How Argo CD or Flux syncs the sharded tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Gitops {
    /// The output directory inside the repository; `None` for the repository root.
    pub path: Option<String>,
    pub tool: GitopsTool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GitopsTool {
    Argocd(Argocd),
    Flux(Flux),
}

/// One `ApplicationSet` per environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Argocd {
    pub namespace: String,
    pub repository: String,
    pub revision: String,
    pub project: String,
    pub server: String,
}

/// One `Kustomization` per unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Flux {
    pub namespace: String,
    /// The `GitRepository` holding the output, in `namespace`.
    pub source: String,
    pub interval: super::Duration,
}
