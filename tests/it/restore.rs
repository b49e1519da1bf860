//! Point-in-time recovery: a cluster restored from another cluster's Barman Cloud
//! backups bootstraps with `recovery` through an `externalClusters` plugin entry, as in
//! seed 004's PITR example, and the result passes dbgen's output verification.

const SPEC: &str = r#"
[platform]
name = "fawkes"
namespace = "fawkes"

[environments.dev]

[secrets]
provider = "external-secrets"
store = "vault"
key = "fawkes/{env}/{app}"

[postgres.db-focalboard-dev]
engine = "cnpg"
version = "16.10"
backup = { destination = "s3://fawkes-db-backups/focalboard/", credentials = "db-backup-credentials", credentials_key = "fawkes/backup" }

[postgres.db-focalboard-dev-restored]
engine = "cnpg"
version = "16.10"
restore = { from = "db-focalboard-dev", target_time = "2024-01-15T10:30:00Z" }

[apps.focalboard]
postgres = "db-focalboard-dev"
user = "focalboard_user"
namespace = "fawkes"
"#;

#[test]
fn restored_cluster_bootstraps_from_the_source_store() {
    let compiled =
        dbgen::pipeline::compile("dbgen.toml", SPEC).expect("restore spec compiles and verifies");
    let (_, manifests) = &compiled.environments[0];
    let restored = manifests
        .iter()
        .find(|m| m.path == "dev/fawkes/cluster-db-focalboard-dev-restored.yaml")
        .expect("restored cluster rendered");
    let spec = &restored.document["spec"];
    assert_eq!(spec["bootstrap"]["recovery"]["source"], "origin");
    assert_eq!(
        spec["bootstrap"]["recovery"]["recoveryTarget"]["targetTime"],
        "2024-01-15T10:30:00Z"
    );
    let origin = &spec["externalClusters"][0];
    assert_eq!(origin["name"], "origin");
    assert_eq!(origin["plugin"]["name"], "barman-cloud.cloudnative-pg.io");
    assert_eq!(
        origin["plugin"]["parameters"]["barmanObjectName"],
        "db-focalboard-dev-backup"
    );
    assert_eq!(
        origin["plugin"]["parameters"]["serverName"],
        "db-focalboard-dev"
    );
    assert!(
        spec.get("plugins").is_none(),
        "the restored cluster has no backups of its own"
    );
    let source = manifests
        .iter()
        .find(|m| m.path == "dev/fawkes/cluster-db-focalboard-dev.yaml")
        .unwrap();
    assert_eq!(
        source.document["spec"]["plugins"][0]["parameters"]["barmanObjectName"],
        "db-focalboard-dev-backup"
    );
    let scheduled = manifests
        .iter()
        .find(|m| m.path == "dev/fawkes/scheduledbackup-db-focalboard-dev-daily.yaml")
        .unwrap();
    assert_eq!(
        scheduled.document["spec"]["schedule"], "0 0 2 * * *",
        "5-field default converted to CNPG's 6 fields"
    );
    assert_eq!(scheduled.document["spec"]["method"], "plugin");
}
