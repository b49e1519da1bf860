//! Credentials, per app: the role's `kubernetes.io/basic-auth` Secret next to the cluster
//! (read by CNPG through `passwordSecret`) and the app's connection Secret in the app's
//! namespace with CNPG's key set, both produced by the configured secret operator.
//!
//! Input: the spec's `[secrets]` and one app's resolved names (`Target`).
//! Output: per app, two `ExternalSecret`s (External Secrets) or two `InfisicalSecret`s /
//! `InfisicalStaticSecret`s (Infisical), each in the namespace of the Secret it produces
//! (an owner reference cannot cross namespaces); with `InfisicalStaticSecret`, also one
//! `InfisicalConnection` and one `InfisicalAuth` per environment.
//! Invariant: the password never appears here: each Secret is templated by the operator
//! from the store. The Go-template strings below are data, printed literally, and both
//! providers get their connection keys from the one function `connection_keys`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Meta, ObjectData};
use crate::defaults;
use crate::model::{AppVars, Checked, ExternalSecrets, Infisical, Provider};
use crate::spec::{InfisicalKind, StoreKind};

#[derive(Debug, Clone, Serialize)]
pub struct ExternalSecretPlan {
    pub meta: Meta,
    pub refresh: String,
    pub store: StoreRef,
    pub target: String,
    pub secret_type: String,
    /// Labels of the produced Secret.
    pub secret_labels: BTreeMap<String, String>,
    /// Produced Secret's keys → External Secrets (Go) templates.
    pub template: BTreeMap<String, String>,
    pub data: Vec<RemoteRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoreRef {
    pub name: String,
    pub kind: String,
}

/// One value read from the store, available to templates as `.<secret_key>`.
#[derive(Debug, Clone, Serialize)]
pub struct RemoteRef {
    pub secret_key: String,
    pub key: String,
    pub property: String,
}

/// `secrets.infisical.com/v1alpha1` `InfisicalSecret`: host, auth and scope inline.
#[derive(Debug, Clone, Serialize)]
pub struct InfisicalSecretPlan {
    pub meta: Meta,
    /// The instance's API base URL (`<host>/api`).
    pub host_api: String,
    pub resync_interval: String,
    /// Universal-auth credentials Secret (`clientId`, `clientSecret`).
    pub credentials: NamespacedName,
    pub scope: InfisicalScope,
    pub target: ManagedSecret,
}

/// `secrets.infisical.com/v1beta1` `InfisicalStaticSecret`.
#[derive(Debug, Clone, Serialize)]
pub struct InfisicalStaticSecretPlan {
    pub meta: Meta,
    pub auth: NamespacedName,
    pub refresh_interval: String,
    pub source: InfisicalScope,
    pub target: ManagedSecret,
}

/// `secrets.infisical.com/v1beta1` `InfisicalAuth` with universal auth.
#[derive(Debug, Clone, Serialize)]
pub struct InfisicalAuthPlan {
    pub meta: Meta,
    pub connection: NamespacedName,
    pub credentials: NamespacedName,
    pub client_id_key: String,
    pub client_secret_key: String,
}

/// `secrets.infisical.com/v1beta1` `InfisicalConnection`.
#[derive(Debug, Clone, Serialize)]
pub struct InfisicalConnectionPlan {
    pub meta: Meta,
    /// The instance's base URL, without `/api`.
    pub address: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NamespacedName {
    pub name: String,
    pub namespace: String,
}

/// Where in Infisical an app's credentials live.
#[derive(Debug, Clone, Serialize)]
pub struct InfisicalScope {
    pub project: String,
    pub environment: String,
    pub path: String,
}

/// The Secret an Infisical object produces.
#[derive(Debug, Clone, Serialize)]
pub struct ManagedSecret {
    pub name: String,
    pub namespace: String,
    pub secret_type: String,
    pub labels: BTreeMap<String, String>,
    /// Produced Secret's keys → Infisical (Go) templates.
    pub data: BTreeMap<String, String>,
}

/// The app whose credentials are delivered, with its resolved names.
#[derive(Clone)]
pub(super) struct Target<'a> {
    pub(super) env: &'a str,
    pub(super) cluster: &'a str,
    /// Namespace of the cluster.
    pub(super) namespace: &'a str,
    pub(super) app_key: &'a str,
    pub(super) database: &'a str,
    pub(super) role: &'a str,
    /// The role's password Secret in the cluster namespace.
    pub(super) role_secret: String,
    /// The connection Secret's name in the app's namespace.
    pub(super) connection_secret: String,
    /// The Service apps connect to, in the cluster namespace: CNPG's `<cluster>-rw` (or
    /// `-ro`/`-r` for read-only credentials), or an operator-less engine's client Service.
    pub(super) service: String,
    /// Property (External Secrets) or secret name (Infisical) holding the password.
    pub(super) password_property: String,
    /// The PgBouncer Service, when the cluster has a pooler (and credentials use it).
    pub(super) pooler: Option<PoolerAccess>,
    pub(super) sslmode: Option<&'static str>,
}

impl Target<'_> {
    /// The values of `secrets.key`/`secrets.path` placeholders for this app.
    fn vars(&self) -> AppVars<'_> {
        AppVars {
            env: self.env,
            app: self.app_key,
            cluster: self.cluster,
        }
    }
}

/// How apps reach the cluster's pooler.
#[derive(Clone)]
pub(super) struct PoolerAccess {
    /// Service name of the Pooler.
    pub(super) service: String,
    /// Transaction pooling breaks server-side prepared statements, so JDBC must not use them.
    pub(super) transaction: bool,
}

/// How a provider's template writes the password in each place it appears. Both
/// operators run Go `text/template` with sprig (External Secrets' engine v2; Infisical's
/// operator adds sprig minus `env`/`expandenv`), so the escaping is the same and only the
/// expression reaching the value differs.
pub(super) struct PasswordExprs {
    /// As is (`password` key).
    pub(super) plain: String,
    /// In `user:password@` of a URI: `urlquery` escapes everything but writes a space as
    /// `+`, which is a literal plus in the userinfo part, so `+` (only ever a space after
    /// `urlquery`, which escapes a real `+` as `%2B`) becomes `%20`.
    pub(super) userinfo: String,
    /// In a query string (`?password=`), where `+` already means a space.
    pub(super) query: String,
    /// In a `.pgpass` line, whose fields escape `\` and `:` with a backslash.
    pub(super) pgpass: String,
}

impl PasswordExprs {
    /// `value` is the template expression of the password, e.g. `.password`.
    pub(super) fn go_template(value: &str) -> Self {
        Self {
            plain: format!("{{{{ {value} }}}}"),
            userinfo: format!("{{{{ {value} | urlquery | replace \"+\" \"%20\" }}}}"),
            query: format!("{{{{ {value} | urlquery }}}}"),
            pgpass: format!(
                "{{{{ {value} | replace \"\\\\\" \"\\\\\\\\\" | replace \":\" \"\\\\:\" }}}}"
            ),
        }
    }
}

/// Name of the per-environment `InfisicalConnection` and `InfisicalAuth`; prefixed so it
/// cannot clash with objects a team already keeps in the cluster namespace.
const INFISICAL_SHARED_NAME: &str = "dbgen-infisical";
/// Keys of the universal-auth credentials Secret, fixed by the Infisical operator.
const CLIENT_ID_KEY: &str = "clientId";
const CLIENT_SECRET_KEY: &str = "clientSecret";
const BASIC_AUTH: &str = "kubernetes.io/basic-auth";

/// Property (External Secrets) or secret name (Infisical) holding each app's password.
pub(super) fn password_property(checked: &Checked) -> String {
    checked.secrets().password_property.clone()
}

/// Every credentials object of one app.
pub(super) fn objects(checked: &Checked, t: &Target<'_>) -> Vec<ObjectData> {
    match &checked.secrets().provider {
        Provider::ExternalSecrets(es) => external_secrets(checked, es, t)
            .into_iter()
            .map(ObjectData::ExternalSecret)
            .collect(),
        Provider::Infisical(infisical) => self::infisical(checked, infisical, t),
    }
}

/// Objects shared by every app of an environment: the `InfisicalConnection` and
/// `InfisicalAuth` an `InfisicalStaticSecret` points at, in the cluster namespace.
pub(super) fn environment_objects(checked: &Checked, env: &str) -> Vec<ObjectData> {
    let spec = checked.spec();
    let infisical = match &checked.secrets().provider {
        Provider::Infisical(i) if i.kind == InfisicalKind::InfisicalStaticSecret => i,
        _ => return Vec::new(),
    };
    let namespace = checked.namespace(env).to_string();
    let meta = Meta {
        name: INFISICAL_SHARED_NAME.to_string(),
        namespace: namespace.clone(),
        // Shared by every cluster, so no `instance` or `name` label.
        labels: BTreeMap::from([
            (
                "app.kubernetes.io/part-of".to_string(),
                spec.platform.name.clone(),
            ),
            (
                "app.kubernetes.io/managed-by".to_string(),
                "dbgen".to_string(),
            ),
        ]),
    };
    let connection = InfisicalConnectionPlan {
        meta: meta.clone(),
        address: infisical.host.clone(),
    };
    let auth = InfisicalAuthPlan {
        meta,
        connection: NamespacedName {
            name: INFISICAL_SHARED_NAME.to_string(),
            namespace,
        },
        credentials: credentials_ref(infisical),
        client_id_key: CLIENT_ID_KEY.to_string(),
        client_secret_key: CLIENT_SECRET_KEY.to_string(),
    };
    vec![
        ObjectData::InfisicalConnection(connection),
        ObjectData::InfisicalAuth(auth),
    ]
}

fn external_secrets(
    checked: &Checked,
    es: &ExternalSecrets,
    t: &Target<'_>,
) -> Vec<ExternalSecretPlan> {
    let spec = checked.spec();
    let key = es.key.expand(&t.vars());
    let property = t.password_property.clone();
    let data = vec![RemoteRef {
        secret_key: "password".to_string(),
        key,
        property,
    }];
    let store = store_ref(es);
    let refresh = es.refresh.to_string();
    let platform = &spec.platform.name;
    let password = PasswordExprs::go_template(".password");
    let role_secret = t.role_secret.clone();
    let role = ExternalSecretPlan {
        meta: Meta::new(
            role_secret.clone(),
            t.namespace.to_string(),
            platform,
            t.cluster,
            Some(t.app_key),
        ),
        refresh: refresh.clone(),
        store: store.clone(),
        target: role_secret,
        secret_type: BASIC_AUTH.to_string(),
        secret_labels: reload_label(),
        template: role_keys(t, &password),
        data: data.clone(),
    };
    let (connection_secret, app_namespace) = connection_target(checked, t);
    let connection = ExternalSecretPlan {
        meta: Meta::new(
            connection_secret.clone(),
            app_namespace,
            platform,
            t.cluster,
            Some(t.app_key),
        ),
        refresh,
        store,
        target: connection_secret,
        secret_type: BASIC_AUTH.to_string(),
        secret_labels: BTreeMap::new(),
        template: connection_keys(checked, t, &password),
        data,
    };
    vec![role, connection]
}

fn infisical(checked: &Checked, infisical: &Infisical, t: &Target<'_>) -> Vec<ObjectData> {
    let scope = infisical_scope(infisical, t.env, infisical.path.expand(&t.vars()));
    // Infisical exposes each secret of the folder as `.<name>.Value`; validate made
    // sure the name is a Go identifier.
    let property = t.password_property.as_str();
    let mut password = PasswordExprs::go_template(&format!(".{property}.Value"));
    // A secret missing from the folder renders as `<no value>` in Go templates, which would
    // become the role's password; failing the render keeps the last good Secret instead.
    // Every produced Secret has a `password` key, so guarding it guards the Secret.
    password.plain = format!(
        "{{{{ if not .{property}.Value }}}}{{{{ fail \"dbgen: Infisical secret {property} is missing or empty\" }}}}{{{{ end }}}}{}",
        password.plain
    );
    let role_secret = t.role_secret.clone();
    let (connection_secret, app_namespace) = connection_target(checked, t);
    let produced = vec![
        ManagedSecret {
            name: role_secret,
            namespace: t.namespace.to_string(),
            secret_type: BASIC_AUTH.to_string(),
            labels: reload_label(),
            data: role_keys(t, &password),
        },
        ManagedSecret {
            name: connection_secret,
            namespace: app_namespace,
            secret_type: BASIC_AUTH.to_string(),
            labels: BTreeMap::new(),
            data: connection_keys(checked, t, &password),
        },
    ];
    let owner = Owner {
        cluster: t.cluster,
        cluster_namespace: t.namespace,
        app: Some(t.app_key),
    };
    infisical_objects(checked, infisical, &owner, &scope, produced)
}

/// Who an Infisical object belongs to, for its labels and the shared auth objects.
struct Owner<'a> {
    cluster: &'a str,
    cluster_namespace: &'a str,
    app: Option<&'a str>,
}

/// One Infisical object per produced Secret, named after it and in its namespace, as with
/// External Secrets: the `Owner` creation policy needs a same-namespace owner.
fn infisical_objects(
    checked: &Checked,
    infisical: &Infisical,
    owner: &Owner<'_>,
    scope: &InfisicalScope,
    produced: Vec<ManagedSecret>,
) -> Vec<ObjectData> {
    let platform = &checked.spec().platform.name;
    let interval = &infisical.resync_interval;
    produced
        .into_iter()
        .map(|target| {
            let mut meta = Meta::new(
                target.name.clone(),
                target.namespace.clone(),
                platform,
                owner.cluster,
                owner.app,
            );
            match infisical.kind {
                InfisicalKind::InfisicalSecret => {
                    // Operators before `template.metadata` copy the object's own labels
                    // to the Secret, so the reload label goes on both.
                    meta.labels.extend(target.labels.clone());
                    let plan = InfisicalSecretPlan {
                        meta,
                        host_api: format!("{}/api", infisical.host),
                        resync_interval: interval.to_string(),
                        credentials: credentials_ref(infisical),
                        scope: scope.clone(),
                        target,
                    };
                    ObjectData::InfisicalSecret(plan)
                }
                InfisicalKind::InfisicalStaticSecret => {
                    let plan = InfisicalStaticSecretPlan {
                        auth: NamespacedName {
                            name: INFISICAL_SHARED_NAME.to_string(),
                            namespace: owner.cluster_namespace.to_string(),
                        },
                        meta,
                        refresh_interval: interval.to_string(),
                        source: scope.clone(),
                        target,
                    };
                    ObjectData::InfisicalStaticSecret(plan)
                }
            }
        })
        .collect()
}

/// A Secret in the cluster namespace that is not an app's: its `keys` are read by the
/// provider from `remote` (External Secrets: properties of that remote key; Infisical:
/// secrets of that folder), `literal` keys are written as they are.
pub(super) struct ProvidedSecret<'a> {
    pub(super) name: &'a str,
    pub(super) remote: &'a str,
    pub(super) secret_type: &'static str,
    pub(super) labels: BTreeMap<String, String>,
    pub(super) literal: BTreeMap<String, String>,
    pub(super) keys: &'a [&'a str],
}

/// The S3 credentials of backups: `Opaque`, every key from the provider.
pub(super) fn opaque_secret<'a>(
    name: &'a str,
    remote: &'a str,
    keys: &'a [&'a str],
) -> ProvidedSecret<'a> {
    ProvidedSecret {
        name,
        remote,
        secret_type: "Opaque",
        labels: BTreeMap::new(),
        literal: BTreeMap::new(),
        keys,
    }
}

/// The password Secret of a role dbgen itself declares (the logical backup role).
pub(super) fn role_password_secret<'a>(
    name: &'a str,
    remote: &'a str,
    role: &str,
) -> ProvidedSecret<'a> {
    ProvidedSecret {
        name,
        remote,
        secret_type: BASIC_AUTH,
        labels: reload_label(),
        literal: BTreeMap::from([("username".to_string(), role.to_string())]),
        keys: &["password"],
    }
}

/// The provider object producing `secret` in `namespace`.
pub(super) fn provided_secret(
    checked: &Checked,
    env: &str,
    cluster: &str,
    namespace: &str,
    secret: &ProvidedSecret<'_>,
) -> ObjectData {
    let spec = checked.spec();
    // Shared by the clusters of a namespace, so labelled as no single cluster's.
    let mut meta = Meta::new(
        secret.name.to_string(),
        namespace.to_string(),
        &spec.platform.name,
        cluster,
        None,
    );
    meta.labels.remove("app.kubernetes.io/instance");
    let template = |expr: &dyn Fn(&str) -> String| -> BTreeMap<String, String> {
        let mut data = secret.literal.clone();
        data.extend(secret.keys.iter().map(|k| ((*k).to_string(), expr(k))));
        data
    };
    match &checked.secrets().provider {
        Provider::ExternalSecrets(es) => {
            let plan = ExternalSecretPlan {
                meta,
                refresh: es.refresh.to_string(),
                store: store_ref(es),
                target: secret.name.to_string(),
                secret_type: secret.secret_type.to_string(),
                secret_labels: secret.labels.clone(),
                template: template(&|k| format!("{{{{ {} }}}}", go_field(k))),
                data: secret
                    .keys
                    .iter()
                    .map(|k| RemoteRef {
                        secret_key: (*k).to_string(),
                        key: secret.remote.to_string(),
                        property: (*k).to_string(),
                    })
                    .collect(),
            };
            ObjectData::ExternalSecret(plan)
        }
        Provider::Infisical(infisical) => {
            let scope = infisical_scope(infisical, env, secret.remote.to_string());
            let produced = vec![ManagedSecret {
                name: secret.name.to_string(),
                namespace: namespace.to_string(),
                secret_type: secret.secret_type.to_string(),
                labels: secret.labels.clone(),
                data: template(&|k| format!("{{{{ {}.Value }}}}", go_field(k))),
            }];
            let owner = Owner {
                cluster,
                cluster_namespace: namespace,
                app: None,
            };
            let mut data =
                infisical_objects(checked, infisical, &owner, &scope, produced).remove(0);
            if let ObjectData::InfisicalSecret(p) = &mut data {
                p.meta.labels.remove("app.kubernetes.io/instance");
            } else if let ObjectData::InfisicalStaticSecret(p) = &mut data {
                p.meta.labels.remove("app.kubernetes.io/instance");
            }
            data
        }
    }
}

/// The Go template expression of field `key` of the data: `.key` when `key` is a Go
/// identifier, else `(index . "key")` (`.admin-password` is a template syntax error).
fn go_field(key: &str) -> String {
    let identifier = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if identifier {
        format!(".{key}")
    } else {
        format!("(index . \"{key}\")")
    }
}

/// An External Secrets `ExternalSecret` producing the `Opaque` Secret `meta.name` in
/// `meta.namespace`: `data` reads values from the store, `template` (Go templates over
/// those values) writes the Secret's keys. For Secrets whose keys are not the store's
/// property names, or join several values (the Bitnami charts' credentials).
pub(super) fn external_secret(
    es: &ExternalSecrets,
    meta: Meta,
    template: BTreeMap<String, String>,
    data: Vec<RemoteRef>,
) -> ExternalSecretPlan {
    ExternalSecretPlan {
        target: meta.name.clone(),
        meta,
        refresh: es.refresh.to_string(),
        store: store_ref(es),
        secret_type: "Opaque".to_string(),
        secret_labels: BTreeMap::new(),
        template,
        data,
    }
}

/// A Secret whose keys are all templated around one password the provider reads from
/// `remote` (External Secrets: property `password` of that remote key; Infisical: secret
/// `password` of that folder): the Redis password Secret and Redis connection Secrets.
pub(super) struct PasswordSecret<'a> {
    pub(super) name: &'a str,
    pub(super) namespace: &'a str,
    pub(super) remote: &'a str,
    /// The `instance` label: the server the password belongs to.
    pub(super) instance: &'a str,
    /// The app a connection Secret is for (its `name` label).
    pub(super) app: Option<&'a str>,
    /// Namespace of the shared Infisical auth objects (the platform namespace).
    pub(super) platform_namespace: &'a str,
}

/// The provider object producing `secret`, an `Opaque` Secret whose keys `keys` writes
/// from the provider's password expressions.
pub(super) fn password_secret(
    checked: &Checked,
    env: &str,
    secret: &PasswordSecret<'_>,
    keys: &dyn Fn(&PasswordExprs) -> BTreeMap<String, String>,
) -> ObjectData {
    const PROPERTY: &str = defaults::PASSWORD_PROPERTY;
    let spec = checked.spec();
    match &checked.secrets().provider {
        Provider::ExternalSecrets(es) => {
            let plan = ExternalSecretPlan {
                meta: Meta::new(
                    secret.name.to_string(),
                    secret.namespace.to_string(),
                    &spec.platform.name,
                    secret.instance,
                    secret.app,
                ),
                refresh: es.refresh.to_string(),
                store: store_ref(es),
                target: secret.name.to_string(),
                secret_type: "Opaque".to_string(),
                secret_labels: BTreeMap::new(),
                template: keys(&PasswordExprs::go_template(".password")),
                data: vec![RemoteRef {
                    secret_key: "password".to_string(),
                    key: secret.remote.to_string(),
                    property: PROPERTY.to_string(),
                }],
            };
            ObjectData::ExternalSecret(plan)
        }
        Provider::Infisical(infisical) => {
            let mut password = PasswordExprs::go_template(&format!(".{PROPERTY}.Value"));
            // As for app credentials: a missing secret must fail the render, not become
            // the literal `<no value>`; every key set here includes `plain`.
            password.plain = format!(
                "{{{{ if not .{PROPERTY}.Value }}}}{{{{ fail \"dbgen: Infisical secret {PROPERTY} is missing or empty\" }}}}{{{{ end }}}}{}",
                password.plain
            );
            let scope = infisical_scope(infisical, env, secret.remote.to_string());
            let produced = vec![ManagedSecret {
                name: secret.name.to_string(),
                namespace: secret.namespace.to_string(),
                secret_type: "Opaque".to_string(),
                labels: BTreeMap::new(),
                data: keys(&password),
            }];
            let owner = Owner {
                cluster: secret.instance,
                cluster_namespace: secret.platform_namespace,
                app: secret.app,
            };
            infisical_objects(checked, infisical, &owner, &scope, produced).remove(0)
        }
    }
}

/// Where the Infisical operator reads: the project, the environment's slug, a folder.
fn infisical_scope(infisical: &Infisical, env: &str, path: String) -> InfisicalScope {
    InfisicalScope {
        project: infisical.project.clone(),
        environment: infisical.environment(env).to_string(),
        path,
    }
}

/// The External Secrets store every ExternalSecret reads from.
fn store_ref(es: &ExternalSecrets) -> StoreRef {
    StoreRef {
        name: es.store.clone(),
        kind: match es.store_kind {
            StoreKind::ClusterSecretStore => "ClusterSecretStore",
            StoreKind::SecretStore => "SecretStore",
        }
        .to_string(),
    }
}

fn credentials_ref(infisical: &Infisical) -> NamespacedName {
    NamespacedName {
        name: infisical.credentials.name.clone(),
        namespace: infisical.credentials.namespace.clone(),
    }
}

/// CNPG applies a changed password at once only when the role Secret has this label.
fn reload_label() -> BTreeMap<String, String> {
    BTreeMap::from([("cnpg.io/reload".to_string(), "true".to_string())])
}

/// Name and namespace of the app's connection Secret.
fn connection_target(checked: &Checked, t: &Target<'_>) -> (String, String) {
    let namespace = checked.app_namespace(t.env, t.app_key).to_string();
    (t.connection_secret.clone(), namespace)
}

/// The role Secret CNPG reads: `username` written by dbgen, so it always equals the role.
fn role_keys(t: &Target<'_>, password: &PasswordExprs) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("username".to_string(), t.role.to_string()),
        ("password".to_string(), password.plain.clone()),
    ])
}

/// CNPG's application Secret keys, pointing at the cluster's read-write Service; the one
/// place that decides the connection key set, whatever the provider.
fn connection_keys(
    checked: &Checked,
    t: &Target<'_>,
    password: &PasswordExprs,
) -> BTreeMap<String, String> {
    let domain = &checked.platform().domain;
    let port = defaults::POSTGRES_PORT;
    // Apps live in other namespaces, so the short host already names the namespace.
    let host = format!("{}.{}", t.service, t.namespace);
    let fqdn = format!("{host}.svc.{domain}");
    let (user, db) = (t.role, t.database);
    let PasswordExprs {
        plain,
        userinfo,
        query,
        pgpass,
    } = password;
    // `sslmode` joins the URI query; JDBC takes it as a driver property in its query.
    let (ssl_uri, ssl_jdbc) = match t.sslmode {
        Some(m) => (format!("?sslmode={m}"), format!("&sslmode={m}")),
        None => (String::new(), String::new()),
    };
    let uri = |h: &str| format!("postgresql://{user}:{userinfo}@{h}:{port}/{db}{ssl_uri}");
    let jdbc = |h: &str, extra: &str| {
        format!("jdbc:postgresql://{h}:{port}/{db}?password={query}&user={user}{ssl_jdbc}{extra}")
    };
    let mut keys = BTreeMap::from([
        ("username".to_string(), user.to_string()),
        ("user".to_string(), user.to_string()),
        ("password".to_string(), plain.clone()),
        ("dbname".to_string(), db.to_string()),
        ("host".to_string(), host.clone()),
        ("port".to_string(), port.to_string()),
        (
            "pgpass".to_string(),
            format!("{host}:{port}:{db}:{user}:{pgpass}\n"),
        ),
        ("uri".to_string(), uri(&host)),
        ("jdbc-uri".to_string(), jdbc(&host, "")),
        ("fqdn-uri".to_string(), uri(&fqdn)),
        ("fqdn-jdbc-uri".to_string(), jdbc(&fqdn, "")),
    ]);
    if let Some(pooler) = &t.pooler {
        let pooler_host = format!("{}.{}", pooler.service, t.namespace);
        // PgBouncer in transaction mode cannot keep server-side prepared statements.
        let extra = if pooler.transaction {
            "&prepareThreshold=0"
        } else {
            ""
        };
        keys.insert("pgbouncer-host".to_string(), pooler_host.clone());
        keys.insert("pgbouncer-uri".to_string(), uri(&pooler_host));
        keys.insert("pgbouncer-jdbc-uri".to_string(), jdbc(&pooler_host, extra));
    }
    keys
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::BTreeSet;

    use super::PasswordExprs;
    use crate::pipeline;

    const PLATFORM: &str = r#"
[platform]
name = "p"
namespace = "db"
[environments.dev]
[postgres.pg]
engine = "cnpg"
version = "17.6"
[apps.wiki]
postgres = "pg"
namespace = "wiki"
"#;

    /// Keys of the Secret produced by the first object under `path_prefix`, whichever
    /// provider's object it is (shared with the Redis credentials tests).
    pub(in crate::plan) fn produced_keys(spec: &str, path_prefix: &str) -> BTreeSet<String> {
        let compiled = pipeline::compile("dbgen.toml", spec).unwrap_or_else(|e| panic!("{e:?}"));
        let (_, manifests) = &compiled.environments[0];
        let object = manifests
            .iter()
            .find(|m| m.path.starts_with(path_prefix))
            .expect("a connection Secret producer");
        let doc = &object.document;
        let data = doc
            .pointer("/spec/target/template/data")
            .or_else(|| doc.pointer("/spec/managedKubeSecretReferences/0/template/data"))
            .or_else(|| doc.pointer("/spec/targets/0/template/data"))
            .expect("templated data");
        data.as_object().unwrap().keys().cloned().collect()
    }

    /// Keys of the connection Secret (`wiki-postgresql`) each provider's object produces.
    fn connection_keys(secrets: &str) -> BTreeSet<String> {
        produced_keys(&format!("{PLATFORM}{secrets}"), "dev/wiki/")
    }

    #[test]
    fn every_provider_produces_the_same_connection_keys() {
        let external = connection_keys(
            "[secrets]\nprovider = \"external-secrets\"\nstore = \"s\"\nkey = \"{app}\"\n",
        );
        let infisical = "[secrets]\nprovider = \"infisical\"\nhost = \"https://i.example\"\n\
            project = \"p\"\npath = \"/{app}\"\n\
            credentials = { name = \"c\", namespace = \"n\" }\n";
        assert_eq!(connection_keys(infisical), external);
        let static_secret = format!("{infisical}kind = \"InfisicalStaticSecret\"\n");
        assert_eq!(connection_keys(&static_secret), external);
        assert!(external.contains("fqdn-jdbc-uri") && external.contains("pgpass"));
    }

    #[test]
    fn go_fields_index_keys_that_are_not_identifiers() {
        assert_eq!(super::go_field("password"), ".password");
        assert_eq!(
            super::go_field("admin-password"),
            "(index . \"admin-password\")"
        );
        assert_eq!(super::go_field("ACCESS_KEY_ID"), ".ACCESS_KEY_ID");
    }

    #[test]
    fn password_expressions_escape_for_each_context() {
        let exprs = PasswordExprs::go_template(".password.Value");
        assert_eq!(exprs.plain, "{{ .password.Value }}");
        assert_eq!(
            exprs.userinfo,
            r#"{{ .password.Value | urlquery | replace "+" "%20" }}"#
        );
        assert_eq!(exprs.query, "{{ .password.Value | urlquery }}");
        assert_eq!(
            exprs.pgpass,
            r#"{{ .password.Value | replace "\\" "\\\\" | replace ":" "\\:" }}"#
        );
    }
}
