//! The typed spec model. Field docs become the JSON Schema descriptions users see in
//! their editor, so they are written for users.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

/// Declares a table type with its own fields followed by the settings every layer
/// shares (a profile, a cluster table, a cluster's `env.<name>` table), and `layer()`
/// returning those settings, so the kinds of table cannot drift apart.
macro_rules! with_layer_settings {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
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
            /// Prometheus monitoring: `true`, or a table with alert thresholds.
            pub monitoring: Option<Monitoring>,
            /// NetworkPolicies isolating the cluster (default: on in production environments).
            pub network_policy: Option<bool>,
            /// A PgBouncer pooler in front of the primary.
            pub pooler: Option<PoolerLayer>,
            /// Continuous backup to an object store through the Barman Cloud plugin.
            pub backup: Option<BackupLayer>,
            /// Bootstrap this cluster from another cluster's backups (point-in-time recovery).
            pub restore: Option<Restore>,
            /// What deleting a database or role from the spec does: `retain` (default) keeps it in
            /// PostgreSQL, `delete` drops it; production environments always retain.
            pub reclaim_policy: Option<ReclaimPolicy>,
            /// Nightly `pg_dump` of every database plus the globals, to a volume, by a CronJob.
            pub logical_backup: Option<LogicalBackupLayer>,
        }

        impl $name {
            /// The layer settings written in this table.
            #[must_use]
            pub fn layer(&self) -> Layer {
                Layer {
                    profile: self.profile.clone(),
                    instances: self.instances,
                    storage: self.storage.clone(),
                    storage_class: self.storage_class.clone(),
                    resources: self.resources.clone(),
                    parameters: self.parameters.clone(),
                    monitoring: self.monitoring.clone(),
                    network_policy: self.network_policy,
                    pooler: self.pooler.clone(),
                    backup: self.backup.clone(),
                    restore: self.restore.clone(),
                    reclaim_policy: self.reclaim_policy,
                    logical_backup: self.logical_backup.clone(),
                }
            }
        }
    };
}

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
    /// The template of every dedicated cluster (`dedicated = true` on an app): the same
    /// keys as a `[postgres.<name>]` table, with `name` a pattern such as `db-{app}-{env}`.
    pub postgres_defaults: Option<PostgresCluster>,
    /// Applications that need a database, by name.
    #[serde(default)]
    pub apps: BTreeMap<String, App>,
    /// Size profiles defined by this spec; they may shadow built-in ones.
    #[serde(default)]
    pub profiles: BTreeMap<String, Layer>,
    /// Output options.
    #[serde(default)]
    pub output: Output,
    /// The Argo CD or Flux objects that sync a sharded tree unit by unit
    /// (needs `[output] layout = "sharded"`).
    pub gitops: Option<Gitops>,
    /// How the Bitnami charts (engine `bitnami`, Redis engine `bitnami-sentinel`) are
    /// delivered, and where their images come from.
    pub bitnami: Option<Bitnami>,
    /// Redis servers, by name; apps name one with `redis = "<name>"`.
    #[serde(default)]
    pub redis: BTreeMap<String, RedisCluster>,
    /// Reviewed `data-loss`, `rejected` or `login-kept` changes a protected environment may render
    /// (see `dbgen plan`); each names the environment, the object and the class.
    #[serde(default)]
    pub acknowledge: Vec<Acknowledge>,
}

/// One reviewed dangerous change (`[[acknowledge]]`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Acknowledge {
    /// The environment the change is in.
    pub environment: String,
    /// The object as `dbgen plan` names it: `Kind/namespace/name` (`Kind/name` without a namespace).
    pub object: String,
    /// The class `dbgen plan` gives the change: `data-loss`, `rejected` or `login-kept`.
    pub class: AcknowledgedClass,
    /// Why this is safe or intended; kept for the reviewers.
    pub reason: String,
}

/// Classes that need an acknowledgement in a protected environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AcknowledgedClass {
    DataLoss,
    Rejected,
    LoginKept,
}

/// Settings shared by every Bitnami chart dbgen renders.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bitnami {
    /// Where the charts' images come from. Since August 2025 the versioned images are no
    /// longer published under `docker.io/bitnami`: `bitnamilegacy` uses the frozen copies
    /// under `docker.io/bitnamilegacy`; any other value is a mirror, `<registry>[/<path>]`
    /// (e.g. `registry.example.com/bitnami`), holding the same image names and tags.
    pub images: Option<String>,
    /// `helm-charts` (default): Kustomize `helmCharts` entries, built with
    /// `kustomize build --enable-helm`; `flux`: a Flux `HelmRelease` and `HelmRepository`.
    pub delivery: Option<HelmDelivery>,
}

/// How a Helm chart reaches the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HelmDelivery {
    /// Kustomize `helmCharts` (needs `--enable-helm`).
    HelmCharts,
    /// Flux `HelmRelease` + `HelmRepository` (helm-controller renders the chart).
    Flux,
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
    /// Namespace of the CloudNativePG operator, allowed through network policies (default `cnpg-system`).
    pub operator_namespace: Option<String>,
    /// Namespace of Prometheus, allowed to scrape metrics through network policies (default `monitoring`).
    pub monitoring_namespace: Option<String>,
    /// CloudNativePG operator version the output targets, `major.minor` (default `1.30`).
    pub cnpg_version: Option<String>,
    /// How login roles are declared: `objects` (one `DatabaseRole` per role, the default
    /// from CloudNativePG 1.30) or `inline` (`managed.roles` in the Cluster).
    pub roles: Option<RoleStyle>,
    /// The oldest dbgen that may render this spec (`major.minor` or `major.minor.patch`);
    /// an older dbgen refuses the spec instead of rendering it differently.
    pub min_version: Option<String>,
    /// Warning codes to silence (e.g. `["bitnami-images"]`); `--deny-warnings` ignores them too.
    #[serde(default)]
    pub allow_warnings: Vec<String>,
}

/// One environment.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Size profile applied to every cluster in this environment (built-in: nano, small, medium, large).
    pub profile: Option<String>,
    /// Infisical environment slug this environment reads from (default: the environment
    /// name). Only with `secrets.provider = "infisical"`.
    pub infisical_environment: Option<String>,
    /// Whether this is a production environment (default: true for `prod` and `production`);
    /// production turns network policies on by default.
    pub production: Option<bool>,
    /// Whether `render` refuses `data-loss`, `rejected` and `login-kept` changes that no
    /// `[[acknowledge]]` entry covers (default: the value of `production`).
    pub protected: Option<bool>,
}

/// The secret provider. Which keys apply depends on `provider`: `store`, `store_kind`,
/// `key` and `refresh` are External Secrets keys; `host`, `project`, `path`,
/// `credentials`, `resync_interval` and `kind` are Infisical keys.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Secrets {
    /// Which operator delivers credentials: `external-secrets` or `infisical`.
    pub provider: SecretProvider,
    /// External Secrets: name of the store to read from (required).
    pub store: Option<String>,
    /// External Secrets: kind of that store (default `ClusterSecretStore`).
    pub store_kind: Option<StoreKind>,
    /// External Secrets: remote key of each app's credentials (required); may contain
    /// `{env}`, `{app}`, `{cluster}`.
    pub key: Option<String>,
    /// Name of the value holding the password (default `password`): the property of the
    /// remote key (External Secrets) or the secret's key in the folder `path` (Infisical).
    pub password_property: Option<String>,
    /// `true` lets two apps' roles read the same password (a remote key without `{app}`);
    /// by default that is an error. Never lets an app share a password with a role dbgen
    /// or the engine declares (logical backups, administrator, repmgr, Pgpool, Redis).
    pub shared_passwords: Option<bool>,
    /// External Secrets: how often the store is re-read, as a Go duration (default `1h`).
    pub refresh: Option<String>,
    /// Infisical: base URL of the instance, without `/api` (required), e.g.
    /// `https://app.infisical.com` or `http://192.168.111.69:8085`; dbgen appends `/api`
    /// where the operator expects the API address.
    pub host: Option<String>,
    /// Infisical: slug of the project holding the credentials (required).
    pub project: Option<String>,
    /// Infisical: folder of each app's credentials (required), starting with `/`; may
    /// contain `{env}`, `{app}`, `{cluster}`, e.g. `/postgresql/{app}`.
    pub path: Option<String>,
    /// Infisical: the Secret holding the universal-auth machine identity's `clientId` and
    /// `clientSecret` (required), e.g. `{ name = "infisical-universal-auth", namespace = "argocd" }`.
    pub credentials: Option<SecretRef>,
    /// Infisical: how often the operator re-reads Infisical: a whole number with one unit,
    /// `s` (at least 5), `m`, `h`, `d` or `w` (default `60s`).
    pub resync_interval: Option<String>,
    /// Infisical: which custom resource delivers the credentials (default `InfisicalSecret`).
    pub kind: Option<InfisicalKind>,
    /// External Secrets: also emit the `ClusterSecretStore` (`store`) for this Vault,
    /// authenticating with Kubernetes service-account tokens.
    pub vault: Option<VaultStore>,
}

/// A `HashiCorp` Vault `ClusterSecretStore` (KV engine, Kubernetes auth).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VaultStore {
    /// Vault address, e.g. `https://vault.vault.svc:8200`.
    pub server: String,
    /// Mount path of the KV engine (default `secret`).
    pub path: Option<String>,
    /// KV engine version, `v1` or `v2` (default `v2`).
    pub version: Option<String>,
    /// Vault role of the Kubernetes auth method.
    pub role: String,
    /// Mount path of the Kubernetes auth method (default `kubernetes`).
    pub mount_path: Option<String>,
    /// Service account whose token External Secrets presents.
    pub service_account: SecretRef,
    /// Token audiences; Vault 1.21 and newer require one matching the role.
    #[serde(default)]
    pub audiences: Vec<String>,
}

/// A Kubernetes Secret in a given namespace.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    /// Name of the Secret.
    pub name: String,
    /// Namespace of the Secret.
    pub namespace: String,
}

/// Supported secret providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum SecretProvider {
    /// External Secrets Operator (`external-secrets.io/v1`).
    #[serde(rename = "external-secrets")]
    ExternalSecrets,
    /// Infisical Kubernetes operator (`secrets.infisical.com`).
    #[serde(rename = "infisical")]
    Infisical,
}

impl SecretProvider {
    /// The name users write in `provider`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExternalSecrets => "external-secrets",
            Self::Infisical => "infisical",
        }
    }
}

/// Infisical custom resources that sync secrets into Kubernetes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum InfisicalKind {
    /// `secrets.infisical.com/v1alpha1` `InfisicalSecret`: one object per Secret, with
    /// the host and credentials inline.
    InfisicalSecret,
    /// `secrets.infisical.com/v1beta1` `InfisicalStaticSecret` (operator 0.11 or newer),
    /// plus one `InfisicalConnection` and one `InfisicalAuth` per environment.
    InfisicalStaticSecret,
}

/// Kinds of External Secrets stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum StoreKind {
    ClusterSecretStore,
    SecretStore,
}

with_layer_settings! {
    /// A PostgreSQL cluster. Size settings written here override the profile; settings
    /// under `env.<name>` override these for one environment.
    #[derive(Debug, Clone, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct PostgresCluster {
        /// Name of the Cluster object, a pattern with `{env}` (and `{app}` in
        /// `[postgres_defaults]`); default: the table's key (`{app}-db` for dedicated clusters).
        pub name: Option<String>,
        /// Render this cluster only in these environments (default: all), e.g. a cluster
        /// restored for a recovery drill in one environment.
        pub environments: Option<Vec<String>>,
        /// Which engine runs the cluster.
        pub engine: Engine,
        /// PostgreSQL version, `major.minor` (e.g. `17.6`); selects the image.
        pub version: String,
        /// Full image reference, overriding the one derived from `version`.
        pub image: Option<String>,
        /// Engine `bitnami`: the chart's `fullnameOverride`, the prefix of every object the
        /// chart makes (default: the cluster's name). `helm install <release>` without an
        /// override gives `<release>-postgresql-ha`: set that to keep an installation's
        /// `StatefulSet`s, volumes and Services (seed 000: `postgresql-postgresql-ha`).
        pub fullname: Option<String>,
        /// Engine `bitnami`: name of the Secret holding the administrator and replication
        /// passwords (the chart's `global.postgresql.existingSecret`; default
        /// `<cluster>-postgresql-credentials`). Set it to keep the Secret an existing
        /// installation reads (seed 000: `postgresql-credentials`).
        pub admin_secret: Option<String>,
        /// Engines without an operator (`statefulset`, `bitnami`): where the secret provider
        /// reads the administrator passwords (remote key for External Secrets, folder for
        /// Infisical); may contain `{env}` and `{cluster}` (and `{app}` in
        /// `[postgres_defaults]`). Property `admin-password`; `bitnami` also reads
        /// `replication-password` (repmgr) and `pgpool-admin-password`. Required for those engines.
        pub credentials_key: Option<String>,
        /// Engine `statefulset` only: `true` accepts `instances > 1` as that many
        /// independent, unreplicated PostgreSQL servers behind one Service (almost never
        /// what you want); without it more than one instance is an error.
        pub independent_instances: Option<bool>,
        /// Per-environment overrides, by environment name.
        #[serde(default)]
        pub env: BTreeMap<String, Layer>,
    }
}

/// Supported PostgreSQL engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// CloudNativePG operator (`postgresql.cnpg.io/v1`).
    Cnpg,
    /// A plain `StatefulSet` of the official `postgres` image, no operator: one primary,
    /// no replication or failover; roles and databases made by a provisioning `Job`.
    Statefulset,
    /// Bitnami `postgresql-ha` Helm chart: PostgreSQL with repmgr behind Pgpool-II.
    Bitnami,
}

with_layer_settings! {
    /// A layer of size settings: a profile, a cluster table or a cluster's `env.<name>` table.
    #[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Layer {}
}

/// Monitoring switch or settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Monitoring {
    /// `monitoring = true` turns monitoring on with the default thresholds.
    Enabled(bool),
    /// Monitoring with alert thresholds; unset thresholds keep their defaults.
    Settings(MonitoringSettings),
}

/// Alert thresholds of the PrometheusRule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitoringSettings {
    /// Turn monitoring on or off (default on when the table is given).
    pub enabled: Option<bool>,
    /// Alert when a replica lags the primary by more than this many seconds (default 30).
    pub replication_lag_seconds: Option<u32>,
    /// Alert when connections exceed this percentage of `max_connections` (default 80).
    pub connections_percent: Option<u32>,
    /// Alert when the newest base backup is older than this many hours (default 26).
    pub backup_age_hours: Option<u32>,
}

/// PgBouncer settings (`[postgres.X.pooler]` or `pooler = { ... }`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolerLayer {
    /// Turn the pooler on or off (default on when the table is given).
    pub enabled: Option<bool>,
    /// Number of PgBouncer pods (default 2).
    pub instances: Option<u32>,
    /// `transaction` (default) or `session` pooling.
    pub mode: Option<PoolMode>,
    /// PgBouncer `max_client_conn` (default 1000).
    pub max_client_conn: Option<u32>,
    /// PgBouncer `default_pool_size` (default 50).
    pub default_pool_size: Option<u32>,
}

/// Backup settings (`[postgres.X.backup]`); every key may be overridden per environment.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupLayer {
    /// Turn backups on or off (default on when the table is given), e.g. off in dev.
    pub enabled: Option<bool>,
    /// Object store path, e.g. `s3://bucket/path/`.
    pub destination: Option<String>,
    /// S3 endpoint URL for non-AWS stores (MinIO, Ceph...).
    pub endpoint: Option<String>,
    /// Name of the Secret (in the cluster namespace) holding `ACCESS_KEY_ID` and
    /// `ACCESS_SECRET_KEY`; dbgen has the secret provider create it.
    pub credentials: Option<String>,
    /// Where the secret provider reads those two keys (remote key or path); may contain
    /// `{env}` and `{cluster}`.
    pub credentials_key: Option<String>,
    /// Name of the access key id's key in the `credentials` Secret (and the property the
    /// provider reads it from); default `ACCESS_KEY_ID`. For adopting an existing Secret.
    pub access_key_id_key: Option<String>,
    /// Name of the secret access key's key there; default `ACCESS_SECRET_KEY` (seed 004's
    /// Secret uses `SECRET_ACCESS_KEY`).
    pub secret_access_key_key: Option<String>,
    /// How long backups are kept: a number and `d`, `w` or `m`, e.g. `30d`.
    pub retention: Option<String>,
    /// When base backups run: a 5-field cron expression (`0 2 * * *`) or `@daily`.
    pub schedule: Option<String>,
}

/// Logical backups (`[postgres.X.logical_backup]`); every key may be overridden per environment.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogicalBackupLayer {
    /// Turn logical backups on or off (default on when the table is given).
    pub enabled: Option<bool>,
    /// When the CronJob runs: a 5-field cron expression (default `0 3 * * *`).
    pub schedule: Option<String>,
    /// Days of dumps to keep (default 7).
    pub retention_days: Option<u32>,
    /// Size of the backup volume (default `10Gi`).
    pub storage: Option<String>,
    /// Storage class of the backup volume (default: the cluster's).
    pub storage_class: Option<String>,
    /// Where the secret provider reads the `password` of the backup role `dbgen_backup`
    /// (remote key or path); may contain `{env}` and `{cluster}`.
    pub credentials_key: Option<String>,
    /// Also copy each run's dumps to an S3-compatible object store.
    pub upload: Option<UploadLayer>,
}

/// Copy of each backup run to an S3-compatible object store (`upload = { ... }` in a
/// logical backup or Redis backup table); every key may be overridden per environment.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadLayer {
    /// Turn the upload on or off (default on when the table is given).
    pub enabled: Option<bool>,
    /// `s3://bucket[/path]`; may contain `{env}` and `{cluster}`.
    pub destination: Option<String>,
    /// S3 endpoint URL for non-AWS stores (MinIO, Ceph...).
    pub endpoint: Option<String>,
    /// Name of the Secret (in the cluster namespace) holding `ACCESS_KEY_ID` and
    /// `ACCESS_SECRET_KEY`; dbgen has the secret provider create it.
    pub credentials: Option<String>,
    /// Where the secret provider reads those two keys (remote key or Infisical folder);
    /// may contain `{env}` and `{cluster}`.
    pub credentials_key: Option<String>,
}

/// Point-in-time recovery from a cluster's backups.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Restore {
    /// The cluster whose backups to restore (its backup settings in the same environment).
    pub from: String,
    /// Recover up to this time, e.g. `2024-01-15 10:30:00 UTC` (default: the latest WAL).
    pub target_time: Option<String>,
}

/// PgBouncer pool modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PoolMode {
    /// A server connection per transaction; apps must not rely on session state.
    Transaction,
    /// A server connection per client session.
    Session,
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
    /// Give this app a cluster of its own, made from `[postgres_defaults]`.
    pub dedicated: Option<bool>,
    /// Also deliver read-only credentials (`<connection_secret>-readonly`, on the `-ro`
    /// Service); needs a dedicated cluster, as the role reads every database.
    pub readonly: Option<bool>,
    /// `sslmode` written into the connection URIs (e.g. `require`).
    pub sslmode: Option<SslMode>,
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
    /// Name of the read-only connection Secret (`readonly = true`); default
    /// `<connection_secret>-readonly`. For keeping the name an existing install uses.
    pub readonly_connection_secret: Option<String>,
    /// The Redis this app uses (a `[redis.<name>]` key); an app may use PostgreSQL,
    /// Redis or both.
    pub redis: Option<String>,
    /// Name of the Redis connection Secret in the app's namespace (default `<app>-redis`).
    pub redis_connection_secret: Option<String>,
    /// Retire the app: its database, data and roles stay, but every login role of the app is
    /// disabled (NOLOGIN, no password) and its connection Secrets are no longer written.
    /// Retire an app, apply, then remove it from the spec.
    pub retired: Option<bool>,
}

/// CNPG's reclaim policies for `Database` and `DatabaseRole` objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReclaimPolicy {
    Retain,
    Delete,
}

impl ReclaimPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Retain => "retain",
            Self::Delete => "delete",
        }
    }
}

/// Where login roles are declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RoleStyle {
    /// `spec.managed.roles` of the Cluster (every CloudNativePG version).
    Inline,
    /// One `DatabaseRole` object per role (CloudNativePG 1.30 and newer).
    Objects,
}

/// libpq `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Allow => "allow",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

/// Output options.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// Output directory, relative to the spec file (default `out`).
    pub dir: Option<String>,
    /// How each environment's directory is laid out: `environment` (default: one
    /// kustomization per environment) or `sharded` (one independent unit per cluster and
    /// per app, for Argo CD or Flux to sync separately at scale).
    pub layout: Option<Layout>,
}

/// The layout of an environment's directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// `<env>/kustomization.yaml` over every object of the environment.
    #[default]
    Environment,
    /// `<env>/platform/`, `<env>/clusters/<cluster>/` and `<env>/apps/<app>/`, each with
    /// its own `kustomization.yaml` that builds on its own.
    Sharded,
}

/// `[gitops]`: where the output lives in Git and which tool syncs it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gitops {
    /// `argocd` (an `ApplicationSet` per environment) or `flux` (a `Kustomization` per unit).
    pub tool: GitopsTool,
    /// `argocd`: URL of the Git repository holding the output (`https://…`, `ssh://…` or
    /// `git@host:path`).
    pub repository: Option<String>,
    /// `argocd`: the branch, tag or commit to sync (default `HEAD`).
    pub revision: Option<String>,
    /// Path of the output directory inside the repository, e.g. `platform/out` (default:
    /// the repository root).
    pub path: Option<String>,
    /// `argocd`: the Argo CD project of the generated Applications (default `default`).
    pub project: Option<String>,
    /// `argocd`: the destination API server (default `https://kubernetes.default.svc`).
    pub server: Option<String>,
    /// Namespace of the `ApplicationSet` or the Flux `Kustomization`s (default `argocd`
    /// for Argo CD, `flux-system` for Flux).
    pub namespace: Option<String>,
    /// `flux`: name of the `GitRepository` holding the output, in `namespace` (default
    /// `flux-system`, the one `flux bootstrap` creates).
    pub source: Option<String>,
    /// `flux`: reconciliation interval of each `Kustomization` (default `10m`).
    pub interval: Option<String>,
}

/// The tool syncing a sharded tree: Argo CD or Flux.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum GitopsTool {
    Argocd,
    Flux,
}

/// Declares a Redis table type with its own fields followed by the settings a
/// `[redis.<name>]` table and its `env.<name>` tables share, so the two cannot drift apart.
macro_rules! with_redis_settings {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            /// Number of Redis pods. `bitnami-sentinel`: every pod runs Redis and a Sentinel,
            /// one is the master (default 3, the least that survives losing one);
            /// `statefulset`: must be 1 (default 1).
            pub replicas: Option<u32>,
            /// Data volume size of each pod, a Kubernetes quantity (default `8Gi`).
            pub storage: Option<String>,
            /// Storage class of the data volumes.
            pub storage_class: Option<String>,
            /// CPU and memory requests and limits of each Redis container.
            pub resources: Option<Resources>,
            /// Redis `maxmemory`, e.g. `512mb` (bytes, or a number with `kb`, `mb` or `gb`).
            pub maxmemory: Option<String>,
            /// Redis `maxmemory-policy` (what to evict at `maxmemory`; default `noeviction`).
            pub maxmemory_policy: Option<MaxmemoryPolicy>,
            /// Append-only-file persistence (default on).
            pub appendonly: Option<bool>,
            /// Prometheus metrics (`bitnami-sentinel` only): the chart's exporter and a `ServiceMonitor`.
            pub monitoring: Option<bool>,
            /// RDB snapshots by a CronJob (`redis-cli --rdb`) to a volume.
            pub backup: Option<RedisBackup>,
        }

        impl $name {
            /// The per-environment settings written in this table.
            #[must_use]
            pub fn settings(&self) -> RedisLayer {
                RedisLayer {
                    replicas: self.replicas,
                    storage: self.storage.clone(),
                    storage_class: self.storage_class.clone(),
                    resources: self.resources.clone(),
                    maxmemory: self.maxmemory.clone(),
                    maxmemory_policy: self.maxmemory_policy,
                    appendonly: self.appendonly,
                    monitoring: self.monitoring,
                    backup: self.backup.clone(),
                }
            }
        }
    };
}

with_redis_settings! {
    /// A Redis server (`[redis.<name>]`). Settings under `env.<name>` override these for
    /// one environment.
    #[derive(Debug, Clone, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RedisCluster {
        /// Which engine runs Redis.
        pub engine: RedisEngine,
        /// Redis version: `statefulset` runs the official image `redis:<version>`
        /// (e.g. `8.2.1`); `bitnami-sentinel` must name the chart's Redis (8.2).
        pub version: String,
        /// Full image reference overriding the one derived from `version` (`statefulset` only).
        pub image: Option<String>,
        /// Name of the Redis objects (and Helm release), a pattern with `{env}`; default: the key.
        pub name: Option<String>,
        /// Render this Redis only in these environments (default: all).
        pub environments: Option<Vec<String>>,
        /// Sentinel master set name (`bitnami-sentinel` only; default `mymaster`).
        pub master_set: Option<String>,
        /// Where the secret provider reads the Redis password (property or Infisical secret
        /// `password`): a remote key or Infisical folder; may contain `{env}` and `{cluster}`
        /// (the Redis name). Required.
        pub credentials_key: Option<String>,
        /// Per-environment overrides, by environment name.
        #[serde(default)]
        pub env: BTreeMap<String, RedisLayer>,
    }
}

with_redis_settings! {
    /// Per-environment Redis settings (`[redis.<name>.env.<env>]`).
    #[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RedisLayer {}
}

/// Supported Redis engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RedisEngine {
    /// Bitnami `redis` chart with Sentinel (`architecture: replication`).
    BitnamiSentinel,
    /// One Redis pod from the official image: `StatefulSet`, `Service` and `ConfigMap`.
    Statefulset,
}

impl RedisEngine {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BitnamiSentinel => "bitnami-sentinel",
            Self::Statefulset => "statefulset",
        }
    }
}

/// Redis eviction policies (`maxmemory-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MaxmemoryPolicy {
    Noeviction,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
}

impl MaxmemoryPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Noeviction => "noeviction",
            Self::AllkeysLru => "allkeys-lru",
            Self::AllkeysLfu => "allkeys-lfu",
            Self::AllkeysRandom => "allkeys-random",
            Self::VolatileLru => "volatile-lru",
            Self::VolatileLfu => "volatile-lfu",
            Self::VolatileRandom => "volatile-random",
            Self::VolatileTtl => "volatile-ttl",
        }
    }
}

/// Redis backups (`[redis.<name>.backup]`); every key may be overridden per environment.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedisBackup {
    /// Turn backups on or off (default on when the table is given).
    pub enabled: Option<bool>,
    /// When the CronJob runs: a 5-field cron expression (default `0 3 * * *`).
    pub schedule: Option<String>,
    /// Days of snapshots to keep (default 7).
    pub retention_days: Option<u32>,
    /// Size of the backup volume (default `5Gi`).
    pub storage: Option<String>,
    /// Storage class of the backup volume (default: the data volumes').
    pub storage_class: Option<String>,
    /// Also copy each snapshot to an S3-compatible object store.
    pub upload: Option<UploadLayer>,
}
