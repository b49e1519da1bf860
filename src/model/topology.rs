//! Which clusters exist: every `[postgres.<key>]` table (shared by the apps naming it)
//! plus one cluster per app with `dedicated = true`, made from `[postgres_defaults]`.
//!
//! Input: the typed spec. Output: `ClusterEntry`s in a stable order (shared by key,
//! then dedicated by app) and the key each app's database lives on.
//! Invariant: a dedicated cluster's key is its app's key; `validate` rejects a shared
//! cluster with the same key, so keys are unique.

use std::collections::BTreeMap;

use crate::naming::{self, PlaceholderError};
use crate::spec::{App, PostgresCluster, Spec};

/// One cluster of the platform (the same in every environment, apart from merged layers).
#[derive(Debug, Clone)]
pub struct ClusterEntry {
    pub key: String,
    pub spec: PostgresCluster,
    /// Key path of the cluster's table in the spec, for locating its values.
    pub prefix: Vec<String>,
    /// The app a dedicated cluster belongs to.
    pub dedicated_for: Option<String>,
}

impl ClusterEntry {
    /// "cluster `x`" or "the dedicated cluster of app `x`", for messages.
    pub fn describe(&self) -> String {
        match &self.dedicated_for {
            Some(app) => format!("the dedicated cluster of app `{app}`"),
            None => format!("cluster `{}`", self.key),
        }
    }

    /// Whether the cluster is rendered in `env`.
    pub fn in_env(&self, env: &str) -> bool {
        self.spec
            .environments
            .as_ref()
            .is_none_or(|envs| envs.iter().any(|e| e == env))
    }

    /// The Cluster object's name in `env`: the `name` pattern, else the key (`{app}-db`
    /// for dedicated clusters).
    pub fn name(&self, env: &str) -> Result<String, PlaceholderError> {
        let mut vars = BTreeMap::from([("env", env)]);
        if let Some(app) = &self.dedicated_for {
            vars.insert("app", app);
        }
        match (&self.spec.name, &self.dedicated_for) {
            (Some(pattern), _) => naming::expand(pattern, &vars),
            (None, Some(app)) => Ok(format!("{app}-db")),
            (None, None) => Ok(self.key.clone()),
        }
    }
}

/// Every cluster: shared ones by key, then dedicated ones by app.
pub fn clusters(spec: &Spec) -> Vec<ClusterEntry> {
    let mut entries: Vec<ClusterEntry> = spec
        .postgres
        .iter()
        .map(|(key, cluster)| ClusterEntry {
            key: key.clone(),
            spec: cluster.clone(),
            prefix: vec!["postgres".to_string(), key.clone()],
            dedicated_for: None,
        })
        .collect();
    if let Some(template) = &spec.postgres_defaults {
        for (app_key, _) in spec.apps.iter().filter(|(_, a)| is_dedicated(a)) {
            entries.push(ClusterEntry {
                key: app_key.clone(),
                spec: template.clone(),
                prefix: vec!["postgres_defaults".to_string()],
                dedicated_for: Some(app_key.clone()),
            });
        }
    }
    entries
}

pub fn is_dedicated(app: &App) -> bool {
    app.dedicated == Some(true)
}

/// The key of the cluster holding `app`'s database, if the app names one.
pub fn app_cluster<'a>(app_key: &'a str, app: &'a App) -> Option<&'a str> {
    if is_dedicated(app) {
        Some(app_key)
    } else {
        app.postgres.as_deref()
    }
}
