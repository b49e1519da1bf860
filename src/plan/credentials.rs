//! Credentials through External Secrets: per app, one `ExternalSecret` producing the
//! role's `kubernetes.io/basic-auth` Secret next to the cluster (read by CNPG), and one
//! producing the app's connection Secret in the app's namespace with CNPG's key set.
//!
//! The password never appears here: each Secret is templated by the External Secrets
//! operator from the store. The Go-template strings below are data, printed literally.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Meta;
use crate::defaults;
use crate::naming;
use crate::spec::{App, Spec, StoreKind};

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

/// The app whose credentials are delivered, with its resolved names.
pub(super) struct Target<'a> {
    pub(super) env: &'a str,
    pub(super) cluster: &'a str,
    /// Namespace of the cluster.
    pub(super) namespace: &'a str,
    pub(super) app_key: &'a str,
    pub(super) app: &'a App,
    pub(super) database: &'a str,
    pub(super) role: &'a str,
}

const PASSWORD: &str = "{{ .password }}";
/// For `user:password@` in URIs: `urlquery` escapes everything but writes a space as
/// `+`, which is a literal plus in the userinfo part, so `+` (only ever a space after
/// `urlquery`, which escapes a real `+` as `%2B`) becomes `%20`.
const PASSWORD_IN_URI: &str = "{{ .password | urlquery | replace \"+\" \"%20\" }}";
/// In a query string (`?password=`) `+` already means a space.
const PASSWORD_IN_QUERY: &str = "{{ .password | urlquery }}";
/// `.pgpass` fields escape `\` and `:` with a backslash.
const PASSWORD_IN_PGPASS: &str =
    "{{ .password | replace \"\\\\\" \"\\\\\\\\\" | replace \":\" \"\\\\:\" }}";

pub(super) fn external_secrets(spec: &Spec, t: &Target<'_>) -> Vec<ExternalSecretPlan> {
    let secrets = &spec.secrets;
    let vars = BTreeMap::from([("env", t.env), ("app", t.app_key), ("cluster", t.cluster)]);
    let key = naming::expand(&secrets.key, &vars).unwrap_or_else(|_| secrets.key.clone());
    let property = secrets
        .password_property
        .clone()
        .unwrap_or_else(|| defaults::PASSWORD_PROPERTY.to_string());
    let data = vec![RemoteRef {
        secret_key: "password".to_string(),
        key,
        property,
    }];
    let store = StoreRef {
        name: secrets.store.clone(),
        kind: match secrets.store_kind.unwrap_or(StoreKind::ClusterSecretStore) {
            StoreKind::ClusterSecretStore => "ClusterSecretStore",
            StoreKind::SecretStore => "SecretStore",
        }
        .to_string(),
    };
    let refresh = secrets
        .refresh
        .clone()
        .unwrap_or_else(|| defaults::REFRESH.to_string());
    let platform = &spec.platform.name;
    let role_secret = naming::role_secret(t.cluster, t.app_key);
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
        secret_type: "kubernetes.io/basic-auth".to_string(),
        // CNPG applies a changed password at once only when the Secret has this label.
        secret_labels: BTreeMap::from([("cnpg.io/reload".to_string(), "true".to_string())]),
        template: BTreeMap::from([
            ("username".to_string(), t.role.to_string()),
            ("password".to_string(), PASSWORD.to_string()),
        ]),
        data: data.clone(),
    };
    let app_namespace = naming::expand(&t.app.namespace, &BTreeMap::from([("env", t.env)]))
        .unwrap_or_else(|_| t.app.namespace.clone());
    let connection_secret =
        naming::connection_secret(t.app_key, t.app.connection_secret.as_deref());
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
        secret_type: "kubernetes.io/basic-auth".to_string(),
        secret_labels: BTreeMap::new(),
        template: connection_keys(spec, t),
        data,
    };
    vec![role, connection]
}

/// CNPG's application Secret keys, pointing at the cluster's read-write Service.
fn connection_keys(spec: &Spec, t: &Target<'_>) -> BTreeMap<String, String> {
    let domain = spec.platform.domain.as_deref().unwrap_or(defaults::DOMAIN);
    let port = defaults::POSTGRES_PORT;
    // Apps live in other namespaces, so the short host already names the namespace.
    let host = format!("{}-rw.{}", t.cluster, t.namespace);
    let fqdn = format!("{host}.svc.{domain}");
    let (user, db) = (t.role, t.database);
    let uri = |h: &str| format!("postgresql://{user}:{PASSWORD_IN_URI}@{h}:{port}/{db}");
    let jdbc = |h: &str| {
        format!("jdbc:postgresql://{h}:{port}/{db}?password={PASSWORD_IN_QUERY}&user={user}")
    };
    BTreeMap::from([
        ("username".to_string(), user.to_string()),
        ("user".to_string(), user.to_string()),
        ("password".to_string(), PASSWORD.to_string()),
        ("dbname".to_string(), db.to_string()),
        ("host".to_string(), host.clone()),
        ("port".to_string(), port.to_string()),
        (
            "pgpass".to_string(),
            format!("{host}:{port}:{db}:{user}:{PASSWORD_IN_PGPASS}\n"),
        ),
        ("uri".to_string(), uri(&host)),
        ("jdbc-uri".to_string(), jdbc(&host)),
        ("fqdn-uri".to_string(), uri(&fqdn)),
        ("fqdn-jdbc-uri".to_string(), jdbc(&fqdn)),
    ])
}
