//! The consequence table: what applying each kind of change does to a running
//! database, one row per (kind, field or action), each citing its source.
//!
//! Input: one object's committed and new documents and the differing field paths.
//! Output: a `Verdict` per field (and per added/removed object).
//! Invariant: the first matching row decides; a field no row matches is `restart`
//! (pods may roll), never `in-place`. Where the class depends on the engine the row's
//! decision looks at the object (CNPG `Cluster`, the `statefulset` engine's
//! `StatefulSet`, a Bitnami chart's values), and the reason names the engine.

use serde_json::Value;

use super::class::{Class, Verdict};
use super::diff::HELM_VALUES;
use super::guc::{self, Context};
use super::login::Script;

/// How a row decides.
#[derive(Debug, Clone, Copy)]
enum Decide {
    Fixed(Class, &'static str),
    /// Fixed class with the procedure to follow instead.
    Refused(Class, &'static str, &'static str),
    StorageSize,
    ImageVersion,
    PgParameter,
    Instances,
    PodTemplate,
    ConnectionTarget,
    Login,
    ProvisionScript,
}

/// One row: `field` is a dotted prefix of the changed path (`*` one segment,
/// a leading `**.` any number of them); list items match by their list's name.
#[derive(Debug)]
struct Row {
    kind: &'static str,
    field: &'static str,
    decide: Decide,
    #[allow(dead_code)] // read by people and the table test, not by code
    source: &'static str,
}

const K8S_META: &str = "Kubernetes API conventions: metadata labels and annotations are mutable";
const K8S_STS: &str = "Kubernetes API, StatefulSet: updates to spec fields other than replicas, template, updateStrategy, persistentVolumeClaimRetentionPolicy, minReadySeconds and ordinals are forbidden";
const K8S_PVC: &str = "Kubernetes API, PersistentVolumeClaim: spec is immutable after creation except resources.requests (growth only, with allowVolumeExpansion) and volumeAttributesClassName";
const K8S_JOB: &str = "Kubernetes API, Job: spec.template is immutable; spec.completions/parallelism only for indexed Jobs";
const K8S_SVC: &str = "Kubernetes API, Service: spec.clusterIP(s) are immutable";
const CNPG_ROLLING: &str = "CloudNativePG docs, Rolling Updates: pod changes roll the replicas first, then the primary by switchover (primaryUpdateMethod switchover)";
const CNPG_STORAGE: &str = "CloudNativePG docs, Storage: volume expansion is online when the storage class allows it; shrinking and changing storageClass are refused by the webhook";
const CNPG_UPGRADE: &str = "CloudNativePG docs, PostgreSQL Upgrades: minor = rolling update; major = offline in-place upgrade (1.26+) with all instances stopped; downgrades refused";
const CNPG_PARAMS: &str = "CloudNativePG docs, PostgreSQL Configuration + PostgreSQL pg_settings.context: postmaster parameters restart the instances, others reload";
const CNPG_RECONCILE: &str = "CloudNativePG docs, Declarative role/database management: reconciled online by the instance manager";
const CNPG_BOOTSTRAP: &str = "CloudNativePG docs, Bootstrap: read only when the cluster is created";
const PG_LOGIN: &str = "PostgreSQL docs, CREATE ROLE: LOGIN is checked when a session starts; CloudNativePG docs, Declarative role management: reconciled online with ALTER ROLE";
const ESO: &str = "External Secrets / Infisical operator docs: the target Secret is rewritten on the next refresh";
const HELM: &str = "Helm upgrade: changed values re-render the chart; StatefulSet volumeClaimTemplates stay immutable (Kubernetes API)";

const TABLE: &[Row] = &[
    Row {
        kind: "*",
        field: "metadata.labels",
        decide: Decide::Fixed(Class::InPlace, "labels are updated online"),
        source: K8S_META,
    },
    Row {
        kind: "*",
        field: "metadata.annotations",
        decide: Decide::Fixed(Class::InPlace, "annotations are updated online"),
        source: K8S_META,
    },
    // CloudNativePG Cluster
    Row {
        kind: "Cluster",
        field: "spec.instances",
        decide: Decide::Instances,
        source: "CloudNativePG docs, Scaling: replicas are added and removed online",
    },
    Row {
        kind: "Cluster",
        field: "spec.imageName",
        decide: Decide::ImageVersion,
        source: CNPG_UPGRADE,
    },
    Row {
        kind: "Cluster",
        field: "spec.storage.size",
        decide: Decide::StorageSize,
        source: CNPG_STORAGE,
    },
    Row {
        kind: "Cluster",
        field: "spec.walStorage.size",
        decide: Decide::StorageSize,
        source: CNPG_STORAGE,
    },
    Row {
        kind: "Cluster",
        field: "spec.storage.storageClass",
        decide: Decide::Refused(
            Class::Rejected,
            "the storage class of existing volumes cannot change",
            REMEDY_NEW_CLUSTER,
        ),
        source: CNPG_STORAGE,
    },
    Row {
        kind: "Cluster",
        field: "spec.walStorage.storageClass",
        decide: Decide::Refused(
            Class::Rejected,
            "the storage class of existing volumes cannot change",
            REMEDY_NEW_CLUSTER,
        ),
        source: CNPG_STORAGE,
    },
    Row {
        kind: "Cluster",
        field: "spec.postgresql.parameters",
        decide: Decide::PgParameter,
        source: CNPG_PARAMS,
    },
    Row {
        kind: "Cluster",
        field: "spec.postgresql.pg_hba",
        decide: Decide::Fixed(Class::InPlace, "pg_hba is reloaded without a restart"),
        source: CNPG_PARAMS,
    },
    Row {
        kind: "Cluster",
        field: "spec.postgresql.pg_ident",
        decide: Decide::Fixed(Class::InPlace, "pg_ident is reloaded without a restart"),
        source: CNPG_PARAMS,
    },
    Row {
        kind: "Cluster",
        field: "spec.managed.roles.login",
        decide: Decide::Login,
        source: PG_LOGIN,
    },
    Row {
        kind: "Cluster",
        field: "spec.managed",
        decide: Decide::Fixed(Class::InPlace, "roles are reconciled online"),
        source: CNPG_RECONCILE,
    },
    Row {
        kind: "Cluster",
        field: "spec.bootstrap",
        decide: Decide::Fixed(
            Class::InPlace,
            "bootstrap is only read when the cluster is created",
        ),
        source: CNPG_BOOTSTRAP,
    },
    Row {
        kind: "Cluster",
        field: "spec.externalClusters",
        decide: Decide::Fixed(
            Class::InPlace,
            "external clusters are only read by bootstrap and replica clusters",
        ),
        source: CNPG_BOOTSTRAP,
    },
    Row {
        kind: "Cluster",
        field: "spec.monitoring",
        decide: Decide::Fixed(
            Class::InPlace,
            "monitoring settings apply without a restart",
        ),
        source: "CloudNativePG docs, Monitoring",
    },
    Row {
        kind: "Cluster",
        field: "spec.enablePDB",
        decide: Decide::Fixed(Class::InPlace, "the PodDisruptionBudget is updated online"),
        source: "CloudNativePG docs, Scheduling: enablePDB",
    },
    Row {
        kind: "Cluster",
        field: "spec.primaryUpdateStrategy",
        decide: Decide::Fixed(
            Class::InPlace,
            "update strategy is read on the next rollout",
        ),
        source: CNPG_ROLLING,
    },
    Row {
        kind: "Cluster",
        field: "spec.primaryUpdateMethod",
        decide: Decide::Fixed(Class::InPlace, "update method is read on the next rollout"),
        source: CNPG_ROLLING,
    },
    Row {
        kind: "Cluster",
        field: "spec",
        decide: Decide::PodTemplate,
        source: CNPG_ROLLING,
    },
    // The `statefulset` engine (and Redis StatefulSets)
    Row {
        kind: "StatefulSet",
        field: "spec.replicas",
        decide: Decide::Instances,
        source: K8S_STS,
    },
    Row {
        kind: "StatefulSet",
        field: "spec.template.spec.containers.image",
        decide: Decide::ImageVersion,
        source: "PostgreSQL docs, Upgrading a Cluster: a new major cannot start on an old data directory",
    },
    Row {
        kind: "StatefulSet",
        field: "spec.template",
        decide: Decide::PodTemplate,
        source: K8S_STS,
    },
    Row {
        kind: "StatefulSet",
        field: "spec.updateStrategy",
        decide: Decide::Fixed(Class::InPlace, "read on the next rollout"),
        source: K8S_STS,
    },
    Row {
        kind: "StatefulSet",
        field: "spec.minReadySeconds",
        decide: Decide::Fixed(Class::InPlace, "read on the next rollout"),
        source: K8S_STS,
    },
    Row {
        kind: "StatefulSet",
        field: "spec.persistentVolumeClaimRetentionPolicy",
        decide: Decide::Fixed(Class::InPlace, "retention policy is mutable"),
        source: K8S_STS,
    },
    Row {
        kind: "StatefulSet",
        field: "spec.volumeClaimTemplates",
        decide: Decide::Refused(
            Class::Rejected,
            "volumeClaimTemplates is immutable: the StatefulSet update is refused",
            REMEDY_STS_STORAGE,
        ),
        source: K8S_STS,
    },
    Row {
        kind: "StatefulSet",
        field: "spec",
        decide: Decide::Refused(
            Class::Rejected,
            "this StatefulSet field is immutable: the update is refused",
            REMEDY_STS_RECREATE,
        ),
        source: K8S_STS,
    },
    Row {
        kind: "PersistentVolumeClaim",
        field: "spec.resources.requests.storage",
        decide: Decide::StorageSize,
        source: K8S_PVC,
    },
    Row {
        kind: "PersistentVolumeClaim",
        field: "spec.volumeAttributesClassName",
        decide: Decide::Fixed(Class::InPlace, "volume attributes class is mutable"),
        source: K8S_PVC,
    },
    Row {
        kind: "PersistentVolumeClaim",
        field: "spec",
        decide: Decide::Refused(
            Class::Rejected,
            "a PersistentVolumeClaim's spec is immutable",
            REMEDY_NEW_CLUSTER,
        ),
        source: K8S_PVC,
    },
    // CloudNativePG satellites
    Row {
        kind: "Pooler",
        field: "spec.instances",
        decide: Decide::Fixed(Class::InPlace, "PgBouncer pods are added or removed online"),
        source: "CloudNativePG docs, Connection Pooling",
    },
    Row {
        kind: "Pooler",
        field: "spec.pgbouncer",
        decide: Decide::Fixed(Class::InPlace, "PgBouncer reloads its configuration"),
        source: "CloudNativePG docs, Connection Pooling: configuration changes are reloaded",
    },
    Row {
        kind: "Pooler",
        field: "spec",
        decide: Decide::Fixed(
            Class::Restart,
            "PgBouncer pods roll: client connections through the pooler drop once",
        ),
        source: "CloudNativePG docs, Connection Pooling",
    },
    Row {
        kind: "Database",
        field: "spec",
        decide: Decide::Fixed(Class::InPlace, "applied online (ALTER DATABASE)"),
        source: CNPG_RECONCILE,
    },
    Row {
        kind: "DatabaseRole",
        field: "spec.login",
        decide: Decide::Login,
        source: PG_LOGIN,
    },
    Row {
        kind: "DatabaseRole",
        field: "spec",
        decide: Decide::Fixed(Class::InPlace, "applied online (ALTER ROLE)"),
        source: CNPG_RECONCILE,
    },
    Row {
        kind: "ScheduledBackup",
        field: "spec",
        decide: Decide::Fixed(Class::InPlace, "read on the next scheduled backup"),
        source: "CloudNativePG docs, Backup",
    },
    Row {
        kind: "ObjectStore",
        field: "spec",
        decide: Decide::Fixed(
            Class::InPlace,
            "read by the Barman Cloud plugin on its next archive or backup",
        ),
        source: "Barman Cloud plugin docs",
    },
    // Kubernetes built-ins
    Row {
        kind: "Job",
        field: "spec",
        decide: Decide::Refused(
            Class::Rejected,
            "a Job's pod template is immutable: the update is refused",
            "delete the Job once it has completed; the next sync creates it with the new template",
        ),
        source: K8S_JOB,
    },
    Row {
        kind: "CronJob",
        field: "spec",
        decide: Decide::Fixed(Class::InPlace, "used from the next run"),
        source: "Kubernetes API, CronJob: jobTemplate changes apply to the next Job",
    },
    Row {
        kind: "Service",
        field: "spec.clusterIP",
        decide: Decide::Refused(
            Class::Rejected,
            "spec.clusterIP is immutable",
            REMEDY_RECREATE,
        ),
        source: K8S_SVC,
    },
    Row {
        kind: "Service",
        field: "spec",
        decide: Decide::Fixed(Class::InPlace, "Service changes apply online"),
        source: K8S_SVC,
    },
    Row {
        kind: "ConfigMap",
        field: "data.provision.sql",
        decide: Decide::ProvisionScript,
        source: PG_LOGIN,
    },
    Row {
        kind: "ConfigMap",
        field: "data",
        decide: Decide::Fixed(
            Class::InPlace,
            "scripts read it on their next run; a running server only at its next restart",
        ),
        source: "Kubernetes docs, ConfigMaps: mounted data is refreshed, environment variables are not",
    },
    Row {
        kind: "NetworkPolicy",
        field: "spec",
        decide: Decide::Fixed(Class::InPlace, "network policies apply online"),
        source: "Kubernetes API, NetworkPolicy",
    },
    Row {
        kind: "PodDisruptionBudget",
        field: "spec",
        decide: Decide::Fixed(Class::InPlace, "applies online"),
        source: "Kubernetes API, PodDisruptionBudget",
    },
    Row {
        kind: "PodMonitor",
        field: "spec",
        decide: Decide::Fixed(
            Class::InPlace,
            "Prometheus reloads its scrape configuration",
        ),
        source: "Prometheus Operator docs",
    },
    Row {
        kind: "PrometheusRule",
        field: "spec",
        decide: Decide::Fixed(Class::InPlace, "Prometheus reloads its rules"),
        source: "Prometheus Operator docs",
    },
    // Credentials
    Row {
        kind: "ExternalSecret",
        field: "spec",
        decide: Decide::ConnectionTarget,
        source: ESO,
    },
    Row {
        kind: "InfisicalSecret",
        field: "spec",
        decide: Decide::ConnectionTarget,
        source: ESO,
    },
    Row {
        kind: "InfisicalStaticSecret",
        field: "spec",
        decide: Decide::ConnectionTarget,
        source: ESO,
    },
    Row {
        kind: "ClusterSecretStore",
        field: "spec",
        decide: Decide::Fixed(Class::InPlace, "secret stores apply on the next refresh"),
        source: ESO,
    },
    Row {
        kind: "SecretStore",
        field: "spec",
        decide: Decide::Fixed(Class::InPlace, "secret stores apply on the next refresh"),
        source: ESO,
    },
    Row {
        kind: "InfisicalAuth",
        field: "spec",
        decide: Decide::Fixed(Class::InPlace, "applies on the next resync"),
        source: ESO,
    },
    Row {
        kind: "InfisicalConnection",
        field: "spec",
        decide: Decide::Fixed(Class::InPlace, "applies on the next resync"),
        source: ESO,
    },
    // Bitnami charts (engine `bitnami`, Redis `bitnami-sentinel`): a values file stands for its release
    Row {
        kind: HELM_VALUES,
        field: "**.persistence.size",
        decide: Decide::Refused(
            Class::Rejected,
            "the chart's StatefulSet volumeClaimTemplates is immutable: helm upgrade fails",
            REMEDY_STS_STORAGE,
        ),
        source: HELM,
    },
    Row {
        kind: HELM_VALUES,
        field: "**.persistence.storageClass",
        decide: Decide::Refused(
            Class::Rejected,
            "the chart's StatefulSet volumeClaimTemplates is immutable: helm upgrade fails",
            REMEDY_NEW_CLUSTER,
        ),
        source: HELM,
    },
    Row {
        kind: HELM_VALUES,
        field: "**.image.tag",
        decide: Decide::ImageVersion,
        source: HELM,
    },
    Row {
        kind: HELM_VALUES,
        field: "**",
        decide: Decide::Fixed(
            Class::Restart,
            "helm upgrade re-renders the chart; its pods roll",
        ),
        source: HELM,
    },
    Row {
        kind: "HelmRelease",
        field: "spec",
        decide: Decide::Fixed(
            Class::Restart,
            "helm-controller upgrades the release; its pods roll",
        ),
        source: "Flux docs, HelmRelease",
    },
    Row {
        kind: "HelmRepository",
        field: "spec",
        decide: Decide::Fixed(Class::InPlace, "read on the next chart fetch"),
        source: "Flux docs, HelmRepository",
    },
    Row {
        kind: "ApplicationSet",
        field: "spec.template.spec.syncPolicy.syncOptions",
        decide: Decide::Fixed(
            Class::InPlace,
            "the Applications change how they apply, not what: each re-syncs once with the same objects",
        ),
        source: "Argo CD docs, Sync Options: ServerSideApply=true applies the same manifests server-side; client-side apply migration (3.3+) moves field ownership without changing objects",
    },
];

const REMEDY_NEW_CLUSTER: &str = "create a new cluster with the new setting beside the old one, import the data (CNPG `bootstrap.initdb.import`, or pg_dump/pg_restore), switch the apps, then remove the old cluster in a later, acknowledged change";
const REMEDY_STS_STORAGE: &str = "grow each claim instead: `kubectl patch pvc <claim>-<statefulset>-<n> -p '{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"<size>\"}}}}'` (the storage class must allow expansion), then `kubectl delete statefulset <statefulset> --cascade=orphan` so the sync recreates it with the new template while its pods and volumes keep running; acknowledge the change once done";
const REMEDY_STS_RECREATE: &str = "`kubectl delete statefulset <statefulset> --cascade=orphan` (pods and volumes keep running) and let the sync recreate it; acknowledge the change";
const REMEDY_RECREATE: &str =
    "delete the object and let the sync recreate it; acknowledge the change";
const REMEDY_MAJOR: &str = "move to CloudNativePG with `bootstrap.initdb.import` from this server (a major upgrade by import), or pg_dump/pg_restore into a new server of the new major; keep this one until the apps are switched";
const REMEDY_CONNECTION: &str = "move the data first (CNPG `bootstrap.initdb.import`, or pg_dump/pg_restore into the new database), then switch the app; acknowledge the change once the new database holds the data";
const REMEDY_CRD: &str = "keep the old value, or create the new object beside the old one, move the data, then remove the old one in a later, acknowledged change";
const REMEDY_REMOVE: &str = "keep it in the spec until the data is moved or a final backup is verified, then acknowledge the removal in the same pull request";
const REMEDY_FLUX: &str = "first set `prune: false` on the Flux Kustomizations to be removed (or `flux suspend` them) and let Flux apply that, then remove them; the objects stay and the new units adopt them";
const REMEDY_BACKUP: &str = "keep `backup` in protected environments; to move backups elsewhere, add the new destination first, then acknowledge";

const REMEDY_LOGIN: &str = "set `retired = true` on the app, render and deploy, then remove it: the role stays without LOGIN and its data stays; if the login is already disabled or the role dropped by hand, acknowledge this change";

/// Verdict for the committed object of `kind` that let `roles` log in, when the fresh
/// render declares them nowhere on a server that stays (`login::kept`).
pub(super) fn login_kept(kind: &str, roles: &[String]) -> Verdict {
    let roles = roles.join(", ");
    let reason = match kind {
        // CloudNativePG docs, Database/DatabaseRole reclaim policy: `retain` leaves the
        // role in PostgreSQL as it is when the object is deleted.
        "DatabaseRole" => format!(
            "{roles} keeps LOGIN and a valid password in PostgreSQL (databaseRoleReclaimPolicy retain), though the spec no longer declares it"
        ),
        // CloudNativePG docs, Declarative role management: a role removed from
        // `managed.roles` is left untouched; only `ensure: absent` drops it.
        "Cluster" => format!(
            "spec.managed.roles: {roles} leaves managed.roles and keeps LOGIN and a valid password in PostgreSQL (CNPG leaves roles it no longer manages)"
        ),
        // `scripts::provision_sql_retiring`: the script only creates, updates and
        // retires the roles it names; nothing drops the others.
        _ => format!(
            "data.provision.sql: the provisioning Job no longer names {roles}, which keeps LOGIN and a valid password in PostgreSQL"
        ),
    };
    Verdict::new(Class::LoginKept, reason).remedy(REMEDY_LOGIN)
}

/// Verdict for an object that is new.
pub(super) fn added(kind: &str) -> Verdict {
    Verdict::new(Class::InPlace, format!("new {kind} is created"))
}

/// Verdict for an object that is no longer rendered (source per line).
pub(super) fn removed(kind: &str, document: &Value) -> Verdict {
    let data_loss =
        |reason: &str| Verdict::new(Class::DataLoss, reason.to_owned()).remedy(REMEDY_REMOVE);
    match kind {
        // CloudNativePG docs, Storage: PVCs are owned by the Cluster and garbage-collected with it.
        "Cluster" => data_loss(
            "the Cluster is pruned and CNPG's PVCs, owned by it, are garbage-collected: the data is gone",
        ),
        // Kubernetes docs: StatefulSet persistentVolumeClaimRetentionPolicy; the server is gone either way.
        "StatefulSet" if document["spec"]["volumeClaimTemplates"].is_array() => data_loss(
            "the database server is deleted; its volumes survive only while nothing prunes the PVCs",
        ),
        "PersistentVolumeClaim" => data_loss("the volume and its data are deleted"),
        HELM_VALUES | "HelmRelease" => data_loss(
            "the Helm release is uninstalled with its StatefulSets; the data is gone with the volumes",
        ),
        // CloudNativePG docs, Database: databaseReclaimPolicy `delete` drops the database.
        "Database" => match document["spec"]["databaseReclaimPolicy"].as_str() {
            Some("delete") => data_loss("databaseReclaimPolicy is delete: the database is dropped"),
            _ => Verdict::new(
                Class::InPlace,
                "the database stays in PostgreSQL (databaseReclaimPolicy retain) until dropped by hand",
            ),
        },
        "DatabaseRole" => match document["spec"]["databaseRoleReclaimPolicy"].as_str() {
            Some("delete") => data_loss("databaseRoleReclaimPolicy is delete: the role is dropped"),
            _ if document["spec"]["login"].as_bool() == Some(false) => Verdict::new(
                Class::InPlace,
                "the role stays in PostgreSQL without LOGIN (its app was retired)",
            ),
            _ => Verdict::new(
                Class::InPlace,
                "the role stays in PostgreSQL with LOGIN and a valid password: retire the app first (`retired = true`), apply, then remove it",
            ),
        },
        // Flux docs, Kustomization garbage collection: with `prune: true`, deleting the
        // Kustomization deletes every object it applied, except those annotated
        // `kustomize.toolkit.fluxcd.io/prune: disabled` (dbgen's deletion guards).
        "Kustomization" if document["spec"]["prune"].as_bool() == Some(true) => Verdict::new(
            Class::DataLoss,
            "Flux deletes every object this Kustomization applied, even those still in Git under another unit; only objects with dbgen's deletion guards (protected environments) survive",
        )
        .remedy(REMEDY_FLUX),
        // CloudNativePG docs, Backup: without them no new base backup or WAL is archived.
        "ScheduledBackup" | "ObjectStore" => Verdict::new(
            Class::DataLoss,
            "backups stop: recovery past this point becomes impossible",
        )
        .remedy(REMEDY_BACKUP),
        "ExternalSecret"
            if document["spec"]["target"]["creationPolicy"].as_str() == Some("Owner") =>
        {
            Verdict::new(
                Class::InPlace,
                "deleted with the Secret it owns; pods that start before a replacement exists cannot read it",
            )
        }
        _ => Verdict::new(
            Class::InPlace,
            format!("{kind} is deleted; it holds no data"),
        ),
    }
}

/// Verdict for one changed field of an object of `kind`.
pub(super) fn field(kind: &str, path: &str, old: &Value, new: &Value) -> Verdict {
    let full = path;
    let mut values_path = None;
    if kind == "HelmRelease" {
        values_path = path.strip_prefix("spec.values.");
    }
    let (kind, path) = match values_path {
        Some(inner) => (HELM_VALUES, inner),
        None => (kind, path),
    };
    let segments: Vec<&str> = path
        .split('.')
        .map(|s| s.split_once('[').map_or(s, |(name, _)| name))
        .collect();
    let Some(row) = TABLE
        .iter()
        .find(|row| (row.kind == "*" || row.kind == kind) && matches(row.field, &segments))
    else {
        return Verdict::new(
            Class::Restart,
            format!("{path}: not in the consequence table; assuming pods roll"),
        );
    };
    let field_old = lookup(old, full);
    let field_new = lookup(new, full);
    let cx = Cx {
        kind,
        segments: &segments,
        new,
        field_old: field_old.as_ref(),
        field_new: field_new.as_ref(),
    };
    let verdict = match row.decide {
        Decide::Fixed(class, reason) => Verdict::new(class, reason),
        Decide::Refused(class, reason, remedy) => Verdict::new(class, reason).remedy(remedy),
        Decide::StorageSize => storage(&cx),
        Decide::ImageVersion => image(&cx),
        Decide::PgParameter => parameter(&cx),
        Decide::Instances => instances(&cx),
        Decide::PodTemplate => pod_template(&cx, "the pod template changes"),
        Decide::ConnectionTarget => connection(&cx),
        Decide::ProvisionScript => provision_script(&old["data"], &new["data"]),
        Decide::Login => {
            // The role is named beside `login`: `spec.name`, or the `managed.roles` item.
            let parent = full.rsplit_once('.').map_or("", |(p, _)| p);
            let role = lookup(new, &format!("{parent}.name"));
            login(
                &cx,
                role.as_ref().and_then(Value::as_str).unwrap_or("the role"),
            )
        }
    };
    Verdict {
        reason: format!("{path}: {}", verdict.reason),
        ..verdict
    }
}

/// A changed path's verdict when the CRD's own transition rule refuses it.
pub(super) fn crd_rule(path: &str, message: &str, evaluated: bool) -> Verdict {
    let how = if evaluated {
        "the CRD's rule refuses the update"
    } else {
        "a CRD transition rule guards it and dbgen assumes it refuses the update"
    };
    Verdict::new(Class::Rejected, format!("{path}: {message} ({how})")).remedy(REMEDY_CRD)
}

fn matches(pattern: &str, segments: &[&str]) -> bool {
    if let Some(rest) = pattern.strip_prefix("**") {
        let rest: Vec<&str> = rest.split('.').filter(|s| !s.is_empty()).collect();
        // `**.a.b` matches a path ending in a.b (or containing it, for deeper leaves).
        return rest.is_empty()
            || (0..segments.len()).any(|start| {
                segments.len() >= start + rest.len()
                    && rest
                        .iter()
                        .zip(&segments[start..])
                        .all(|(p, s)| *p == "*" || p == s)
            });
    }
    let parts: Vec<&str> = pattern.split('.').collect();
    parts.len() <= segments.len() && parts.iter().zip(segments).all(|(p, s)| *p == "*" || p == s)
}

/// The value at a dotted path with `name[item]` list segments.
fn lookup(document: &Value, path: &str) -> Option<Value> {
    let mut current = document;
    for segment in path.split('.') {
        let (key, item) = match segment.split_once('[') {
            Some((key, rest)) => (key, Some(rest.trim_end_matches(']'))),
            None => (segment, None),
        };
        current = current.get(key)?;
        if let Some(item) = item {
            current = match item.parse::<usize>() {
                Ok(index) => current.get(index)?,
                Err(_) => current
                    .as_array()?
                    .iter()
                    .find(|i| i["name"].as_str() == Some(item))?,
            };
        }
    }
    Some(current.clone())
}

struct Cx<'a> {
    kind: &'a str,
    segments: &'a [&'a str],
    new: &'a Value,
    field_old: Option<&'a Value>,
    field_new: Option<&'a Value>,
}

/// The provisioning script (`statefulset`, `bitnami`): which roles it newly retires.
fn provision_script(old: &Value, new: &Value) -> Verdict {
    let retired =
        |data: &Value| Script::parse(data["provision.sql"].as_str().unwrap_or_default()).retired;
    let (before, after) = (retired(old), retired(new));
    let newly: Vec<&String> = after.iter().filter(|r| !before.contains(r)).collect();
    // A role retired earlier that the script stops naming: its app has been removed.
    let gone: Vec<&String> = before.iter().filter(|r| !after.contains(r)).collect();
    if newly.is_empty() && gone.is_empty() {
        return Verdict::new(
            Class::InPlace,
            "scripts read it on their next run; a running server only at its next restart",
        );
    }
    if newly.is_empty() {
        let roles: Vec<&str> = gone.iter().map(|r| r.as_str()).collect();
        return Verdict::new(
            Class::InPlace,
            format!(
                "the provisioning Job no longer names {roles}, retired before: the role stays in PostgreSQL without LOGIN, its database and data stay",
                roles = roles.join(", ")
            ),
        );
    }
    let newly: Vec<&str> = newly.iter().map(|r| r.as_str()).collect();
    Verdict::new(
        Class::InPlace,
        format!(
            "the provisioning Job disables the login of {roles}: connections by {roles} are refused from the next login; running sessions continue",
            roles = newly.join(", ")
        ),
    )
}

/// Disabling a login (a retired app) or enabling it again.
fn login(cx: &Cx<'_>, role: &str) -> Verdict {
    if cx.field_new.and_then(Value::as_bool) == Some(false) {
        Verdict::new(
            Class::InPlace,
            format!(
                "login disabled: connections by {role} are refused from the next login; running sessions continue"
            ),
        )
    } else {
        Verdict::new(
            Class::InPlace,
            format!("login enabled: {role} may connect again once its password Secret exists"),
        )
    }
}

fn instances_of(document: &Value) -> Option<u64> {
    document["spec"]["instances"]
        .as_u64()
        .or_else(|| document["spec"]["replicas"].as_u64())
}

fn instances(cx: &Cx<'_>) -> Verdict {
    let (old, new) = (
        cx.field_old.and_then(Value::as_u64).unwrap_or(1),
        cx.field_new.and_then(Value::as_u64).unwrap_or(1),
    );
    if new <= 1 && old > 1 {
        Verdict::new(
            Class::Downtime,
            format!(
                "{old} → {new}: no redundancy left; the next restart, upgrade or node loss is downtime"
            ),
        )
    } else {
        Verdict::new(
            Class::InPlace,
            format!("{old} → {new}: instances are added or removed online"),
        )
    }
}

fn pod_template(cx: &Cx<'_>, what: &str) -> Verdict {
    let single = instances_of(cx.new).unwrap_or(1) <= 1;
    match (cx.kind, single) {
        (_, true) => Verdict::new(
            Class::Downtime,
            format!("{what}; the only instance restarts, so the service is down meanwhile"),
        ),
        ("Cluster", false) => Verdict::new(
            Class::Restart,
            format!("{what}; CNPG restarts the replicas, then switches over the primary"),
        ),
        _ => Verdict::new(Class::Restart, format!("{what}; pods roll one by one")),
    }
}

/// Bytes of a Kubernetes quantity (`10Gi`, `500M`, `1e3`); `None` when unreadable.
fn quantity(text: &str) -> Option<f64> {
    crate::model::Quantity::parse(text).map(|q| q.value())
}

fn storage(cx: &Cx<'_>) -> Verdict {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
    let (old, new) = (text(cx.field_old), text(cx.field_new));
    match (quantity(&old), quantity(&new)) {
        (Some(a), Some(b)) if b >= a => Verdict::new(
            Class::InPlace,
            format!(
                "{old} → {new}: volumes are expanded online (the storage class must allow volume expansion)"
            ),
        ),
        (Some(_), Some(_)) => Verdict::new(
            Class::Rejected,
            format!("{old} → {new}: volumes cannot shrink; the update is refused"),
        )
        .remedy(REMEDY_NEW_CLUSTER),
        _ => Verdict::new(
            Class::Rejected,
            format!("{old} → {new}: size not comparable; assuming the update is refused"),
        )
        .remedy(REMEDY_NEW_CLUSTER),
    }
}

/// `(repository, major, full tag)` of an image reference or a bare tag.
fn version(image: &str) -> (String, Option<u32>) {
    let (repository, tag) = match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => ("", image),
    };
    let major = tag
        .split(['.', '-'])
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    (repository.to_owned(), major)
}

fn is_postgres(repository: &str, cx: &Cx<'_>) -> bool {
    let last = repository.rsplit('/').next().unwrap_or_default();
    match cx.kind {
        "Cluster" => true,
        // Bitnami values: `postgresql.image.tag` (postgresql-ha) or `image.tag` with a
        // postgresql repository next to it.
        HELM_VALUES => {
            cx.segments.first() == Some(&"postgresql")
                || cx.new.get("postgresql").is_some() && cx.segments.len() == 2
        }
        _ => last == "postgres" || last == "postgresql",
    }
}

fn image(cx: &Cx<'_>) -> Verdict {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
    let (old, new) = (text(cx.field_old), text(cx.field_new));
    let ((repository, old_major), (_, new_major)) = (version(&old), version(&new));
    let change = format!("{old} → {new}");
    if !is_postgres(&repository, cx) || old_major == new_major {
        return pod_template(cx, &format!("image {change}"));
    }
    let (Some(from), Some(to)) = (old_major, new_major) else {
        return pod_template(cx, &format!("image {change}"));
    };
    match cx.kind {
        "Cluster" if to > from => Verdict::new(
            Class::Downtime,
            format!("PostgreSQL {from} → {to}: CNPG's offline in-place major upgrade stops every instance while pg_upgrade runs"),
        ),
        "Cluster" => Verdict::new(
            Class::Rejected,
            format!("PostgreSQL {from} → {to}: CNPG refuses a major downgrade"),
        )
        .remedy("restore a backup taken on the old major into a new cluster of that major"),
        _ => Verdict::new(
            Class::Rejected,
            format!("PostgreSQL {from} → {to}: the new server refuses the old data directory and crash-loops"),
        )
        .remedy(REMEDY_MAJOR),
    }
}

fn parameter(cx: &Cx<'_>) -> Verdict {
    let name = cx.segments.get(3).copied().unwrap_or_default();
    let major = cx.new["spec"]["imageName"]
        .as_str()
        .and_then(|image| version(image).1)
        .unwrap_or(0);
    match guc::context(major, name) {
        Some(Context::Reload) => Verdict::new(
            Class::InPlace,
            format!("parameter {name} is reloadable (pg_settings.context is not postmaster)"),
        ),
        Some(Context::Postmaster) => {
            pod_template(cx, &format!("parameter {name} has context postmaster"))
        }
        Some(Context::Internal) => Verdict::new(
            Class::Rejected,
            format!("parameter {name} is internal and cannot be set"),
        )
        .remedy("remove the parameter"),
        None => pod_template(
            cx,
            &format!("parameter {name}: context unknown, assuming postmaster"),
        ),
    }
}

fn connection(cx: &Cx<'_>) -> Verdict {
    let key = cx.segments.last().copied().unwrap_or_default();
    let in_template = cx.segments.windows(2).any(|w| w == ["template", "data"]);
    if in_template
        && matches!(key, "host" | "dbname" | "database")
        && cx.field_old.is_some()
        && cx.field_new.is_some()
    {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
        return Verdict::new(
            Class::DataLoss,
            format!(
                "{} → {}: the app's Secret points at a different database, which does not hold its data",
                text(cx.field_old),
                text(cx.field_new)
            ),
        )
        .remedy(REMEDY_CONNECTION);
    }
    Verdict::new(
        Class::InPlace,
        "the Secret is rewritten on the next refresh; pods reading it at start see it after their next restart",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_row_cites_a_source_and_nothing_falls_to_in_place() {
        assert!(TABLE.iter().all(|row| !row.source.is_empty()));
        let v = field("Widget", "spec.x", &json!({}), &json!({}));
        assert_eq!(v.class, Class::Restart);
    }

    #[test]
    fn argo_cd_sync_options_change_how_objects_apply_not_what() {
        let doc = |options: Value| json!({"spec": {"template": {"spec": {"syncPolicy": {"syncOptions": options}}}}});
        let path = "spec.template.spec.syncPolicy.syncOptions";
        let v = field(
            "ApplicationSet",
            path,
            &json!({}),
            &doc(json!(["ServerSideApply=true"])),
        );
        assert_eq!(v.class, Class::InPlace);
        // Anything else in the template still counts as a restart: it may change objects.
        let other = field(
            "ApplicationSet",
            "spec.template.spec.source.path",
            &json!({}),
            &json!({}),
        );
        assert_eq!(other.class, Class::Restart);
    }

    #[test]
    fn storage_growth_is_online_and_shrink_refused() {
        let doc = |s: &str| json!({"spec": {"instances": 3, "storage": {"size": s}}});
        assert_eq!(
            field("Cluster", "spec.storage.size", &doc("10Gi"), &doc("20Gi")).class,
            Class::InPlace
        );
        assert_eq!(
            field("Cluster", "spec.storage.size", &doc("10Gi"), &doc("5Gi")).class,
            Class::Rejected
        );
    }

    #[test]
    fn cnpg_major_upgrade_is_downtime_and_downgrade_rejected() {
        let doc = |i: &str| json!({"spec": {"instances": 3, "imageName": i}});
        let (a, b) = (
            doc("ghcr.io/cloudnative-pg/postgresql:16.4-standard-trixie"),
            doc("ghcr.io/cloudnative-pg/postgresql:17.2-standard-trixie"),
        );
        assert_eq!(
            field("Cluster", "spec.imageName", &a, &b).class,
            Class::Downtime
        );
        assert_eq!(
            field("Cluster", "spec.imageName", &b, &a).class,
            Class::Rejected
        );
        let c = doc("ghcr.io/cloudnative-pg/postgresql:16.6-standard-trixie");
        assert_eq!(
            field("Cluster", "spec.imageName", &a, &c).class,
            Class::Restart
        );
    }

    #[test]
    fn parameters_follow_their_context() {
        let doc = |k: &str, v: &str| json!({"spec": {"instances": 3, "imageName": "x:16.4", "postgresql": {"parameters": {k: v}}}});
        let v = field(
            "Cluster",
            "spec.postgresql.parameters.work_mem",
            &doc("work_mem", "4MB"),
            &doc("work_mem", "8MB"),
        );
        assert_eq!(v.class, Class::InPlace);
        let v = field(
            "Cluster",
            "spec.postgresql.parameters.shared_buffers",
            &doc("shared_buffers", "1GB"),
            &doc("shared_buffers", "2GB"),
        );
        assert_eq!(v.class, Class::Restart);
    }

    #[test]
    fn the_provisioning_script_says_which_roles_it_retires_and_which_stay_retired() {
        use crate::scripts::{ProvisionedDatabase, provision_sql_retiring};
        let orders = ProvisionedDatabase {
            database: "orders".to_owned(),
            role: "orders".to_owned(),
            password_file: "/secrets/orders".to_owned(),
            extensions: Vec::new(),
        };
        let doc = |retired: &[&str]| {
            let retired: Vec<String> = retired.iter().map(|r| (*r).to_owned()).collect();
            json!({"data": {"provision.sql": provision_sql_retiring(std::slice::from_ref(&orders), &[], &retired)}})
        };
        let path = "data.provision.sql";
        let v = field("ConfigMap", path, &doc(&[]), &doc(&["catalog"]));
        assert!(
            v.reason.contains("disables the login of catalog"),
            "{}",
            v.reason
        );
        let v = field("ConfigMap", path, &doc(&["catalog"]), &doc(&[]));
        assert!(
            v.reason.contains("no longer names catalog, retired before"),
            "{}",
            v.reason
        );
        assert_eq!(v.class, Class::InPlace);
    }

    #[test]
    fn patterns() {
        assert!(matches(
            "**.persistence.size",
            &["postgresql", "persistence", "size"]
        ));
        assert!(matches("**.persistence.size", &["persistence", "size"]));
        assert!(!matches(
            "**.persistence.size",
            &["persistence", "storageClass"]
        ));
        assert!(matches("spec", &["spec", "a"]));
        assert!(!matches("spec.template", &["spec", "replicas"]));
    }
}
