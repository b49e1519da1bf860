//! Expands the `{env}`/`{cluster}`/`{app}` patterns of every cluster's and Redis's keys and
//! paths, once every check passed, into the resolved model: `plan` writes these strings as
//! they are and expands nothing.
//!
//! Input: the cluster entries, their object names by (environment, cluster), their merged
//! settings and the Redis servers by environment. Output: each `Target`, `remote_key` and
//! `admin_credentials_key` filled in, or what a check let through.
//! Invariant: each pattern is expanded with exactly the variables its check accepted
//! (`clusters::merged_backup`, `upload::values`, `statefulset::keys`, `bitnami::cluster`);
//! a value missing or failing here is a bug in those checks, refused as an error rather
//! than written as wrong YAML.

use std::collections::BTreeMap;

use crate::model::{ClusterEntry, Merged, MergedUpload, RedisEnv, Target};
use crate::naming;
use crate::spec::Engine;

type Vars<'a> = BTreeMap<&'a str, &'a str>;

/// Fills the expanded keys and paths; `Err` names the first value no check reported.
pub(super) fn resolve(
    clusters: &[ClusterEntry],
    names: &BTreeMap<(String, String), String>,
    merged: &mut BTreeMap<(String, String), Merged>,
    redis: &mut BTreeMap<String, Vec<RedisEnv>>,
) -> Result<(), String> {
    for ((env, key), settings) in merged.iter_mut() {
        let entry = clusters
            .iter()
            .find(|c| &c.key == key)
            .ok_or_else(|| format!("cluster `{key}` has settings but no entry"))?;
        let name = names
            .get(&(env.clone(), key.clone()))
            .ok_or_else(|| format!("cluster `{key}` has no name in `{env}`"))?;
        cluster(entry, env, name, settings)?;
    }
    for (env, list) in redis.iter_mut() {
        for server in list {
            let vars = Vars::from([("env", env.as_str()), ("cluster", server.name.as_str())]);
            if let Some(upload) = server.backup.as_mut().and_then(|b| b.upload.as_mut()) {
                upload.target = upload_target(upload, &vars)?;
            }
        }
    }
    Ok(())
}

fn cluster(entry: &ClusterEntry, env: &str, name: &str, merged: &mut Merged) -> Result<(), String> {
    let what = || format!("{} in `{env}`", entry.describe());
    let vars = Vars::from([("env", env), ("cluster", name)]);
    let mut with_app = vars.clone();
    if let Some(app) = &entry.dedicated_for {
        with_app.insert("app", app);
    }
    merged.admin_credentials_key = match entry.spec.engine {
        Engine::Cnpg => Some(String::new()),
        // Only the statefulset engine accepts `{app}` (`statefulset::keys`).
        Engine::Statefulset => expand(entry.spec.credentials_key.as_ref(), &with_app),
        Engine::Bitnami => expand(entry.spec.credentials_key.as_ref(), &vars),
    }
    .ok_or_else(|| format!("`credentials_key` of {}", what()))?;
    if let Some(backup) = merged.backup.as_mut() {
        let value = |s: &Option<crate::model::Sourced<String>>| s.as_ref().map(|s| s.value.clone());
        backup.target = target(
            expand(value(&backup.destination).as_ref(), &with_app),
            value(&backup.credentials),
            expand(value(&backup.credentials_key).as_ref(), &vars),
        )
        .ok_or_else(|| format!("`backup` of {}", what()))?;
    }
    if let Some(logical) = merged.logical_backup.as_mut() {
        logical.remote_key = expand(logical.credentials_key.as_ref(), &vars)
            .ok_or_else(|| format!("`logical_backup.credentials_key` of {}", what()))?;
        if let Some(upload) = logical.upload.as_mut() {
            upload.target = upload_target(upload, &vars)?;
        }
    }
    Ok(())
}

fn upload_target(upload: &MergedUpload, vars: &Vars<'_>) -> Result<Target, String> {
    target(
        expand(upload.destination.as_ref(), vars),
        upload.credentials.clone(),
        expand(upload.credentials_key.as_ref(), vars),
    )
    .ok_or_else(|| "an `upload` table".to_string())
}

/// A target when all three values are there (the `missing` checks require them).
fn target(
    destination: Option<String>,
    credentials: Option<String>,
    credentials_key: Option<String>,
) -> Option<Target> {
    Some(Target {
        destination: destination?,
        credentials: credentials?,
        credentials_key: credentials_key?,
    })
}

/// `template` expanded; `None` when it is missing or does not expand.
fn expand(template: Option<&String>, vars: &Vars<'_>) -> Option<String> {
    naming::expand(template?, vars).ok()
}

/// Every cluster's version that parses; `Err` names a statefulset cluster without one
/// (the engine reads its major version, `statefulset::statefulset` checked it).
pub(super) fn versions(
    clusters: &[ClusterEntry],
) -> Result<BTreeMap<String, crate::model::PostgresVersion>, String> {
    let mut out = BTreeMap::new();
    for entry in clusters {
        match crate::model::PostgresVersion::parse(&entry.spec.version) {
            Some(version) => {
                out.insert(entry.key.clone(), version);
            }
            None if entry.spec.engine == Engine::Statefulset => {
                return Err(format!("the version of {}", entry.describe()));
            }
            None => {}
        }
    }
    Ok(out)
}
