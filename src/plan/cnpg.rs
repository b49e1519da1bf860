//! CloudNativePG objects of one cluster in one environment: the `Cluster` with every
//! app's login role declared under `managed.roles`, and one `Database` per app.

use std::collections::BTreeMap;

use serde::Serialize;

use super::credentials;
use super::{Kind, Meta, Object, ObjectData, object_path};
use crate::defaults;
use crate::naming;
use crate::validate::{Checked, MergedCompute};

#[derive(Debug, Clone, Serialize)]
pub struct ClusterPlan {
    pub meta: Meta,
    pub instances: u32,
    pub image: String,
    pub storage: StoragePlan,
    /// `requests`/`limits` → `cpu`/`memory`; only what the layers set.
    pub resources: BTreeMap<String, BTreeMap<String, String>>,
    /// `postgresql.conf` values, always strings (CNPG's schema requires it).
    pub parameters: BTreeMap<String, String>,
    /// A single instance with a PDB would block every node drain.
    pub enable_pdb: bool,
    /// Sorted by role name.
    pub roles: Vec<RolePlan>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoragePlan {
    pub size: String,
    pub storage_class: Option<String>,
}

/// A login role and the Secret holding its password.
#[derive(Debug, Clone, Serialize)]
pub struct RolePlan {
    pub name: String,
    pub password_secret: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabasePlan {
    pub meta: Meta,
    pub cluster: String,
    pub database: String,
    pub owner: String,
    pub extensions: Vec<String>,
}

/// Everything one cluster contributes to one environment.
pub(super) fn objects(checked: &Checked, env: &str, cluster_name: &str) -> Vec<Object> {
    let spec = checked.spec();
    let cluster = &spec.postgres[cluster_name];
    let merged = checked.merged(env, cluster_name);
    let namespace = cluster_namespace(&spec.platform.namespace, env);
    let platform = &spec.platform.name;
    let mut objects = Vec::new();
    let mut roles = Vec::new();
    for (app_key, app) in spec
        .apps
        .iter()
        .filter(|(_, a)| a.postgres.as_deref() == Some(cluster_name))
    {
        let database = naming::database(app_key, app.database.as_deref());
        let role = naming::role(&database, app.user.as_deref());
        let role_secret = naming::role_secret(cluster_name, app_key);
        roles.push(RolePlan {
            name: role.clone(),
            password_secret: role_secret.clone(),
        });
        let meta = Meta::new(
            naming::database_object(cluster_name, app_key),
            namespace.clone(),
            platform,
            cluster_name,
            Some(app_key),
        );
        let plan = DatabasePlan {
            meta,
            cluster: cluster_name.to_string(),
            database: database.clone(),
            owner: role.clone(),
            extensions: app.extensions.clone(),
        };
        objects.push(object(env, Kind::Database, ObjectData::Database(plan)));
        let target = credentials::Target {
            env,
            cluster: cluster_name,
            namespace: &namespace,
            app_key,
            app,
            database: &database,
            role: &role,
        };
        for secret in credentials::external_secrets(spec, &target) {
            objects.push(object(
                env,
                Kind::ExternalSecret,
                ObjectData::ExternalSecret(secret),
            ));
        }
    }
    roles.sort_by(|a, b| a.name.cmp(&b.name));
    let image = cluster.image.clone().unwrap_or_else(|| {
        format!(
            "{}:{}-{}",
            defaults::CNPG_IMAGE_REPOSITORY,
            cluster.version,
            defaults::CNPG_IMAGE_FLAVOUR
        )
    });
    let plan = ClusterPlan {
        meta: Meta::new(
            cluster_name.to_string(),
            namespace,
            platform,
            cluster_name,
            None,
        ),
        instances: merged.instances.value,
        image,
        storage: StoragePlan {
            size: merged.storage.value.clone(),
            storage_class: merged.storage_class.as_ref().map(|s| s.value.clone()),
        },
        resources: resources(&merged.requests, &merged.limits),
        parameters: merged
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect(),
        enable_pdb: merged.instances.value > 1,
        roles,
    };
    objects.push(object(env, Kind::Cluster, ObjectData::Cluster(plan)));
    objects
}

fn object(env: &str, kind: Kind, data: ObjectData) -> Object {
    let meta = match &data {
        ObjectData::Cluster(p) => &p.meta,
        ObjectData::Database(p) => &p.meta,
        ObjectData::ExternalSecret(p) => &p.meta,
    };
    Object {
        kind,
        path: object_path(env, kind, meta),
        data,
    }
}

pub(super) fn cluster_namespace(template: &str, env: &str) -> String {
    let vars = BTreeMap::from([("env", env)]);
    // validate expanded the same template with the same variables.
    naming::expand(template, &vars).unwrap_or_else(|_| template.to_string())
}

fn resources(
    requests: &MergedCompute,
    limits: &MergedCompute,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (side, compute) in [("requests", requests), ("limits", limits)] {
        let values: BTreeMap<String, String> = [("cpu", &compute.cpu), ("memory", &compute.memory)]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_string(), v.value.clone())))
            .collect();
        if !values.is_empty() {
            out.insert(side.to_string(), values);
        }
    }
    out
}
