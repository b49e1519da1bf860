//! One PostgreSQL cluster in one environment: what every engine's objects are derived
//! from (the validated spec, the cluster's entry and merged settings, its name and
//! namespace there), and how each object gets its metadata and output path.
//!
//! Input: `Checked`, an environment and a cluster entry. Output: a `ClusterScope` whose
//! `meta`/`push` every engine module uses. Invariant: every object of a cluster carries the
//! same namespace and `part-of`/`managed-by`/`instance` labels, whatever its engine; engine
//! modules add their own methods in their own `impl` blocks.

use super::{Meta, Object, ObjectData};
use crate::model::ClusterEntry;
use crate::model::{Checked, Merged};
use crate::spec::{App, Spec};

pub(super) struct ClusterScope<'a> {
    pub(super) checked: &'a Checked,
    pub(super) spec: &'a Spec,
    pub(super) env: &'a str,
    pub(super) entry: &'a ClusterEntry,
    /// The cluster's object name in this environment.
    pub(super) cluster: &'a str,
    pub(super) namespace: String,
    pub(super) merged: &'a Merged,
}

impl<'a> ClusterScope<'a> {
    pub(super) fn new(checked: &'a Checked, env: &'a str, entry: &'a ClusterEntry) -> Self {
        let spec = checked.spec();
        Self {
            checked,
            spec,
            env,
            entry,
            cluster: checked.cluster_name(env, &entry.key),
            namespace: checked.namespace(env).to_string(),
            merged: checked.merged(env, &entry.key),
        }
    }

    /// Metadata of an object of this cluster (of app `app`, when it is per app).
    pub(super) fn meta(&self, name: String, app: Option<&str>) -> Meta {
        Meta::new(
            name,
            self.namespace.clone(),
            &self.spec.platform.name,
            self.cluster,
            app,
        )
    }

    pub(super) fn push(&self, objects: &mut Vec<Object>, data: ObjectData) {
        objects.push(Object::new(self.env, data));
    }

    /// The apps whose database lives on this cluster, by app key.
    pub(super) fn apps(&self) -> impl Iterator<Item = (&'a String, &'a App)> + use<'a> {
        self.checked.apps_of(&self.entry.key)
    }
}
