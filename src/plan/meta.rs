//! Object metadata: names, namespaces and the labels every object carries.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
}

impl Meta {
    /// Labels: `part-of` the platform, `managed-by` dbgen, the cluster as `instance`
    /// (so `kubectl get -l app.kubernetes.io/instance=<cluster>` finds everything of a
    /// cluster), and the app as `name` on per-app objects.
    pub fn new(
        name: String,
        namespace: String,
        platform: &str,
        cluster: &str,
        app: Option<&str>,
    ) -> Self {
        let mut labels = BTreeMap::from([
            (
                "app.kubernetes.io/part-of".to_string(),
                platform.to_string(),
            ),
            (
                "app.kubernetes.io/managed-by".to_string(),
                "dbgen".to_string(),
            ),
            (
                "app.kubernetes.io/instance".to_string(),
                cluster.to_string(),
            ),
        ]);
        if let Some(app) = app {
            labels.insert("app.kubernetes.io/name".to_string(), app.to_string());
        }
        Self {
            name,
            namespace,
            labels,
        }
    }
}
