//! The typed spec model. Field docs become the JSON Schema descriptions users see in
//! their editor, so they are written for users.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

/// A dbgen platform spec (`dbgen.toml`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The platform every generated object belongs to.
    pub platform: Platform,
    /// Environments to render, each into its own directory `<output>/<env>/`.
    #[serde(default)]
    pub environments: BTreeMap<String, Environment>,
    /// Where credentials come from; no password is ever written to Git.
    pub secrets: Secrets,
    /// PostgreSQL clusters, by name.
    #[serde(default)]
    pub postgres: BTreeMap<String, PostgresCluster>,
    /// Applications that need a database, by name.
    #[serde(default)]
    pub apps: BTreeMap<String, App>,
    /// Size profiles defined by this spec; they may shadow built-in ones.
    #[serde(default)]
    pub profiles: BTreeMap<String, Layer>,
    /// Output options.
    #[serde(default)]
    pub output: Output,
}

/// Platform-wide settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    /// Written as `app.kubernetes.io/part-of` on every object.
    pub name: String,
    /// Namespace of the database clusters; may contain `{env}`.
    pub namespace: String,
    /// Kubernetes cluster domain used in fully qualified host names (default `cluster.local`).
    pub domain: Option<String>,
}

/// One environment.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Size profile applied to every cluster in this environment (built-in: nano, small, medium, large).
    pub profile: Option<String>,
}

/// The secret provider.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Secrets {
    /// Which operator delivers credentials.
    pub provider: SecretProvider,
    /// Name of the External Secrets store to read from.
    pub store: String,
    /// Kind of that store (default `ClusterSecretStore`).
    pub store_kind: Option<StoreKind>,
    /// Remote key of each app's credentials; may contain `{env}`, `{app}`, `{cluster}`.
    pub key: String,
    /// Property of the remote key holding the password (default `password`).
    pub password_property: Option<String>,
    /// How often External Secrets re-reads the store, as a Go duration (default `1h`).
    pub refresh: Option<String>,
}

/// Supported secret providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum SecretProvider {
    /// External Secrets Operator (`external-secrets.io/v1`).
    #[serde(rename = "external-secrets")]
    ExternalSecrets,
}

/// Kinds of External Secrets stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum StoreKind {
    ClusterSecretStore,
    SecretStore,
}

/// A PostgreSQL cluster. Size settings written here override the profile; settings
/// under `env.<name>` override these for one environment.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresCluster {
    /// Which engine runs the cluster.
    pub engine: Engine,
    /// PostgreSQL version, `major.minor` (e.g. `17.6`); selects the image.
    pub version: String,
    /// Full image reference, overriding the one derived from `version`.
    pub image: Option<String>,
    /// Size profile for this cluster in every environment (overrides the environment's).
    pub profile: Option<String>,
    /// Number of PostgreSQL instances (1 primary + replicas).
    pub instances: Option<u32>,
    /// Data volume size, a Kubernetes quantity such as `20Gi`.
    pub storage: Option<String>,
    /// Storage class of the data volumes.
    pub storage_class: Option<String>,
    /// CPU and memory requests and limits.
    pub resources: Option<Resources>,
    /// `postgresql.conf` parameters.
    #[serde(default)]
    pub parameters: BTreeMap<String, ParamValue>,
    /// Per-environment overrides, by environment name.
    #[serde(default)]
    pub env: BTreeMap<String, Layer>,
}

impl PostgresCluster {
    /// The size settings written on the cluster table itself, as a layer.
    pub fn layer(&self) -> Layer {
        Layer {
            profile: self.profile.clone(),
            instances: self.instances,
            storage: self.storage.clone(),
            storage_class: self.storage_class.clone(),
            resources: self.resources.clone(),
            parameters: self.parameters.clone(),
        }
    }
}

/// Supported PostgreSQL engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// CloudNativePG operator (`postgresql.cnpg.io/v1`).
    Cnpg,
}

/// A layer of size settings: a profile, a cluster table or a cluster's `env.<name>` table.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// Size profile to start from (not allowed inside a profile).
    pub profile: Option<String>,
    /// Number of PostgreSQL instances (1 primary + replicas).
    pub instances: Option<u32>,
    /// Data volume size, a Kubernetes quantity such as `20Gi`.
    pub storage: Option<String>,
    /// Storage class of the data volumes.
    pub storage_class: Option<String>,
    /// CPU and memory requests and limits.
    pub resources: Option<Resources>,
    /// `postgresql.conf` parameters.
    #[serde(default)]
    pub parameters: BTreeMap<String, ParamValue>,
}

/// Requests and limits.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    pub requests: Option<Compute>,
    pub limits: Option<Compute>,
}

/// CPU and memory quantities, e.g. `cpu = "500m"`, `memory = "512Mi"`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Compute {
    pub cpu: Option<String>,
    pub memory: Option<String>,
}

/// A `postgresql.conf` value; written to Kubernetes as a string.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ParamValue {
    String(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
}

impl ParamValue {
    /// The value as PostgreSQL reads it from a configuration file.
    pub fn to_conf_string(&self) -> String {
        match self {
            Self::String(s) => s.clone(),
            Self::Integer(i) => i.to_string(),
            Self::Float(f) => f.to_string(),
            Self::Bool(b) => if *b { "on" } else { "off" }.to_string(),
        }
    }
}

/// An application that owns one database.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct App {
    /// The PostgreSQL cluster holding this app's database.
    pub postgres: Option<String>,
    /// Database name (default: the app name with `-` replaced by `_`).
    pub database: Option<String>,
    /// Login role owning the database (default: the database name).
    pub user: Option<String>,
    /// Namespace where the app reads its connection Secret.
    pub namespace: String,
    /// PostgreSQL extensions to create in the database.
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Name of the connection Secret in the app's namespace (default `<app>-postgresql`).
    pub connection_secret: Option<String>,
}

/// Output options.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// Output directory, relative to the spec file (default `out`).
    pub dir: Option<String>,
}
