//! Redis objects of one Redis server in one environment: its password Secret and each
//! app's connection Secret (both through the secret provider), the engine's objects
//! (`sentinel`: a Helm values file for the Bitnami chart; `statefulset`: `StatefulSet`,
//! Services, ConfigMap) and, when asked, the backup CronJob (`backup`).
//!
//! Input: a validated `RedisEnv` and the apps naming it. Output: `Object`s.
//! Invariant: no password is ever written: Redis, its backups and its apps all read the
//! one Secret `<name>-credentials` (key `redis-password`) or Secrets templated from the
//! same remote key by the provider.

mod backup;
mod sentinel;
mod statefulset;

use std::collections::BTreeMap;

use super::credentials::{self, PasswordExprs, PasswordSecret};
use super::{Meta, Object, ObjectData};
use crate::defaults;
use crate::model::{Checked, RedisEnv};
use crate::naming;
use crate::spec::{RedisEngine, Spec};

/// The key of the password in `<name>-credentials`, the Bitnami chart's own default.
pub(super) const PASSWORD_KEY: &str = "redis-password";

/// One Redis in one environment, with everything its objects are derived from.
pub(super) struct Scope<'a> {
    pub(super) checked: &'a Checked,
    pub(super) spec: &'a Spec,
    pub(super) env: &'a str,
    pub(super) redis: &'a RedisEnv,
    /// The platform namespace, where Redis runs.
    pub(super) namespace: String,
}

impl Scope<'_> {
    pub(super) fn meta(&self, name: String) -> Meta {
        Meta::new(
            name,
            self.namespace.clone(),
            &self.spec.platform.name,
            &self.redis.name,
            None,
        )
    }

    /// `<name>.<namespace>`: apps live in other namespaces.
    pub(super) fn host(&self, service: &str) -> String {
        format!("{service}.{}", self.namespace)
    }

    /// The image of the server (`statefulset`) and of the backup job: `image`, else the
    /// official `redis:<version>`; with the chart, the official image of exactly the Redis
    /// the chart runs, whatever `8.2` spelling the spec used.
    pub(super) fn official_image(&self) -> String {
        let redis = self.redis;
        let tag = match redis.engine {
            RedisEngine::BitnamiSentinel => crate::pins::BITNAMI_REDIS_APP_VERSION,
            RedisEngine::Statefulset => redis.version.as_str(),
        };
        match (redis.engine, &redis.image) {
            (RedisEngine::Statefulset, Some(image)) => image.clone(),
            _ => format!("{}:{tag}", crate::pins::REDIS_IMAGE_REPOSITORY),
        }
    }
}

/// Everything one Redis contributes to one environment.
pub(super) fn objects(checked: &Checked, env: &str, redis: &RedisEnv) -> Vec<Object> {
    let spec = checked.spec();
    let scope = Scope {
        checked,
        spec,
        env,
        redis,
        namespace: checked.namespace(env).to_string(),
    };
    let mut out: Vec<ObjectData> = Vec::new();
    out.push(credentials_secret(&scope));
    for (app_key, app) in spec
        .apps
        .iter()
        // A retired app must not connect: its Secret is no longer written.
        .filter(|(_, a)| a.redis.as_deref() == Some(redis.key.as_str()) && a.retired != Some(true))
    {
        let name = naming::redis_connection_secret(app_key, app.redis_connection_secret.as_deref());
        let secret = PasswordSecret {
            name: &name,
            namespace: checked.app_namespace(env, app_key),
            remote: &redis.credentials_key,
            instance: &redis.name,
            app: Some(app_key),
            platform_namespace: &scope.namespace,
        };
        out.push(credentials::password_secret(checked, env, &secret, &|p| {
            connection_keys(&scope, p)
        }));
    }
    match redis.engine {
        RedisEngine::BitnamiSentinel => out.push(sentinel::values(&scope)),
        RedisEngine::Statefulset => out.extend(statefulset::objects(&scope)),
    }
    if let Some(settings) = &redis.backup {
        out.extend(backup::objects(&scope, settings));
    }
    out.into_iter().map(|data| Object::new(env, data)).collect()
}

/// `<name>-credentials` in the platform namespace: Redis's password for the server,
/// the chart (`auth.existingSecret`) and the backup job.
fn credentials_secret(scope: &Scope<'_>) -> ObjectData {
    let name = naming::redis_credentials_secret(&scope.redis.name);
    let secret = PasswordSecret {
        name: &name,
        namespace: &scope.namespace,
        remote: &scope.redis.credentials_key,
        instance: &scope.redis.name,
        app: None,
        platform_namespace: &scope.namespace,
    };
    credentials::password_secret(scope.checked, scope.env, &secret, &|p| {
        BTreeMap::from([(PASSWORD_KEY.to_string(), p.plain.clone())])
    })
}

/// The Service through which writes reach the master: the chart's master Service with
/// Sentinel, the only Service of a `statefulset` Redis.
pub(super) fn master_service(redis: &RedisEnv) -> String {
    match redis.engine {
        RedisEngine::BitnamiSentinel => format!("{}-master", redis.name),
        RedisEngine::Statefulset => redis.name.clone(),
    }
}

/// The connection Secret's keys: the master endpoint (`host`, `port`, `password`,
/// `uri`) and, with Sentinel, the Sentinel endpoint and master set.
fn connection_keys(scope: &Scope<'_>, password: &PasswordExprs) -> BTreeMap<String, String> {
    let redis = scope.redis;
    let host = scope.host(&master_service(redis));
    let port = defaults::REDIS_PORT;
    let userinfo = &password.userinfo;
    let mut keys = BTreeMap::from([
        ("host".to_string(), host.clone()),
        ("port".to_string(), port.to_string()),
        ("password".to_string(), password.plain.clone()),
        (
            "uri".to_string(),
            format!("redis://:{userinfo}@{host}:{port}/0"),
        ),
    ]);
    if redis.engine == RedisEngine::BitnamiSentinel {
        let sentinel_host = scope.host(&redis.name);
        let sentinel_port = defaults::REDIS_SENTINEL_PORT;
        let master = &redis.master_set;
        keys.extend([
            ("sentinel-host".to_string(), sentinel_host.clone()),
            ("sentinel-port".to_string(), sentinel_port.to_string()),
            ("sentinel-master".to_string(), master.clone()),
            (
                "sentinel-uri".to_string(),
                format!("redis+sentinel://:{userinfo}@{sentinel_host}:{sentinel_port}/{master}/0"),
            ),
        ]);
    }
    keys
}

/// The spec's persistence and memory directives of `redis.conf`, shared by both engines.
/// `no_rdb_with_aof` also turns RDB snapshots off when AOF is on (the chart's own default).
pub(super) fn data_directives(redis: &RedisEnv, no_rdb_with_aof: bool) -> Vec<String> {
    let mut lines = Vec::new();
    if redis.appendonly {
        lines.extend([
            "appendonly yes".to_string(),
            "appendfsync everysec".to_string(),
        ]);
        if no_rdb_with_aof {
            lines.push("save \"\"".to_string());
        }
    } else {
        lines.push("appendonly no".to_string());
    }
    if let Some(maxmemory) = &redis.maxmemory {
        lines.push(format!("maxmemory {}", maxmemory.as_written()));
    }
    if let Some(policy) = redis.maxmemory_policy {
        lines.push(format!("maxmemory-policy {}", policy.as_str()));
    }
    lines
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    const PLATFORM: &str = r#"
[platform]
name = "p"
namespace = "db"
[environments.dev]
[bitnami]
images = "bitnamilegacy"
[redis.sessions]
engine = "bitnami-sentinel"
version = "8.2.1"
credentials_key = "/redis/{env}"
[apps.web]
redis = "sessions"
namespace = "web"
"#;

    /// Keys of `web-redis` as each provider's object produces it.
    fn connection_keys(secrets: &str) -> BTreeSet<String> {
        crate::plan::credentials::tests::produced_keys(&format!("{PLATFORM}{secrets}"), "dev/web/")
    }

    #[test]
    fn every_provider_produces_the_same_redis_connection_keys() {
        let external = connection_keys(
            "[secrets]\nprovider = \"external-secrets\"\nstore = \"s\"\nkey = \"{app}\"\n",
        );
        let infisical = "[secrets]\nprovider = \"infisical\"\nhost = \"https://i.example\"\n\
            project = \"p\"\npath = \"/{app}\"\n\
            credentials = { name = \"c\", namespace = \"n\" }\n";
        assert_eq!(connection_keys(infisical), external);
        let static_secret = format!("{infisical}kind = \"InfisicalStaticSecret\"\n");
        assert_eq!(connection_keys(&static_secret), external);
        let expected: BTreeSet<String> = [
            "host",
            "port",
            "password",
            "uri",
            "sentinel-host",
            "sentinel-port",
            "sentinel-master",
            "sentinel-uri",
        ]
        .into_iter()
        .map(str::to_string)
        .collect();
        assert_eq!(external, expected);
    }
}
