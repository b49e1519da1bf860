//! Every image and version dbgen pins, with where it comes from.
//!
//! Input: nothing at run time (constants and the embedded `cnpg-postgresql-tags.toml`).
//! Output: image references and version strings for `validate` and `plan`.
//! Invariant: no other module spells an image tag or a pinned upstream version; the
//! snapshot test below lists all of them, so a changed pin fails the tests until the
//! snapshot is re-accepted by someone who reviewed the change.

pub mod postgresql_tags;

use std::fmt::Write as _;

/// The CloudNativePG release the output targets unless `platform.cnpg_version` says
/// otherwise. Source: the CRD schemas in `schemas/` (cloudnative-pg v1.30.0).
pub const CNPG_VERSION: (u32, u32) = (1, 30);
/// CNPG's operand images; the tag is `<version>-<CNPG_IMAGE_FLAVOUR>`.
/// Source: cloudnative-pg/postgres-containers; which tags exist: `postgresql_tags`.
pub const CNPG_IMAGE_REPOSITORY: &str = "ghcr.io/cloudnative-pg/postgresql";
/// `standard` carries the common extensions (pgvector, pgaudit) and no Barman Cloud,
/// which the Barman Cloud plugin no longer needs; `trixie` is CNPG 1.30's default base.
pub const CNPG_IMAGE_FLAVOUR: &str = "standard-trixie";
/// The Barman Cloud plugin release whose `ObjectStore` schema `schemas/` holds
/// (cloudnative-pg/plugin-barman-cloud v0.14.0).
pub const BARMAN_PLUGIN_VERSION: &str = "0.14.0";
/// The plugin exports `barman_cloud_cloudnative_pg_io_last_available_backup_timestamp`
/// since 0.6.0 (plugin-barman-cloud #459, release notes of v0.6.0); CNPG's own
/// `cnpg_collector_last_available_backup_timestamp` stays 0 or stale with plugin backups
/// (cloudnative-pg #7812, #8902).
pub const BARMAN_PLUGIN_BACKUP_METRIC_SINCE: &str = "0.6.0";
pub const BARMAN_PLUGIN_BACKUP_METRIC: &str =
    "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp";

/// Bitnami's OCI chart repository (both charts below).
pub const BITNAMI_CHART_REPO: &str = "oci://registry-1.docker.io/bitnamicharts";
/// `postgresql-ha` 16.3.4 ships PostgreSQL 17.6.0 (its `Chart.yaml` `appVersion` and
/// `values.yaml` image tags, in the pinned chart copy the tests inflate).
pub const BITNAMI_POSTGRESQL_HA_CHART: &str = "postgresql-ha";
pub const BITNAMI_POSTGRESQL_HA_CHART_VERSION: &str = "16.3.4";
pub const BITNAMI_POSTGRESQL_HA_POSTGRES_VERSION: &str = "17.6";
/// `redis` 23.1.1 ships Redis 8.2.1 (its `Chart.yaml` `appVersion`).
pub const BITNAMI_REDIS_CHART_VERSION: &str = "23.1.1";
pub const BITNAMI_REDIS_APP_VERSION: &str = "8.2.1";
pub const BITNAMI_REDIS_MINOR: &str = "8.2";

/// The official PostgreSQL image (engine `statefulset`, and the tools of the `bitnami`
/// engine); the tag is a `version`, which Docker Hub publishes for every release.
pub const POSTGRES_IMAGE_REPOSITORY: &str = "docker.io/library/postgres";
/// The official Redis image (engine `statefulset` and every Redis backup job).
pub const REDIS_IMAGE_REPOSITORY: &str = "docker.io/library/redis";
/// The metrics exporter sidecar of engine `statefulset`
/// (prometheus-community/postgres_exporter release v0.17.1).
pub const POSTGRES_EXPORTER_IMAGE: &str = "quay.io/prometheuscommunity/postgres-exporter:v0.17.1";
/// The AWS CLI v2 image the uploads run in. Docker Hub publishes no moving `2` tag; this
/// one is what the end-to-end tests of Percona's `MongoDB` operator pull (their
/// `IMAGE_AWS_CLI` default), so it exists.
pub const AWS_CLI_IMAGE: &str = "docker.io/amazon/aws-cli:2.34.60";

/// CNPG's operand image for a `version` the tag data knows (see `postgresql_tags`).
pub fn cnpg_image(version: &str) -> String {
    format!("{CNPG_IMAGE_REPOSITORY}:{version}-{CNPG_IMAGE_FLAVOUR}")
}

/// One line per pin: what the snapshot test holds.
pub fn listing() -> String {
    let pins: [(&str, String); 17] = [
        (
            "cnpg operator",
            format!("{}.{}", CNPG_VERSION.0, CNPG_VERSION.1),
        ),
        ("cnpg operand image", cnpg_image("<version>")),
        ("barman cloud plugin", BARMAN_PLUGIN_VERSION.to_string()),
        (
            "backup metric",
            format!("{BARMAN_PLUGIN_BACKUP_METRIC} (since {BARMAN_PLUGIN_BACKUP_METRIC_SINCE})"),
        ),
        ("bitnami chart repo", BITNAMI_CHART_REPO.to_string()),
        (
            "bitnami postgresql-ha chart",
            BITNAMI_POSTGRESQL_HA_CHART.to_string(),
        ),
        (
            "bitnami postgresql-ha version",
            BITNAMI_POSTGRESQL_HA_CHART_VERSION.to_string(),
        ),
        (
            "bitnami postgresql-ha postgres",
            BITNAMI_POSTGRESQL_HA_POSTGRES_VERSION.to_string(),
        ),
        (
            "bitnami redis chart",
            BITNAMI_REDIS_CHART_VERSION.to_string(),
        ),
        ("bitnami redis app", BITNAMI_REDIS_APP_VERSION.to_string()),
        ("bitnami redis minor", BITNAMI_REDIS_MINOR.to_string()),
        ("postgres image", POSTGRES_IMAGE_REPOSITORY.to_string()),
        ("redis image", REDIS_IMAGE_REPOSITORY.to_string()),
        ("postgres exporter", POSTGRES_EXPORTER_IMAGE.to_string()),
        ("aws cli", AWS_CLI_IMAGE.to_string()),
        (
            "cnpg tag data source",
            postgresql_tags::data().source.clone(),
        ),
        (
            "cnpg tag data observed",
            format!(
                "{} to {}",
                postgresql_tags::data().observed_from,
                postgresql_tags::data().observed_to
            ),
        ),
    ];
    let mut out = String::new();
    for (k, v) in &pins {
        let _ = writeln!(out, "{k}: {v}");
    }
    for (major, minors) in &postgresql_tags::data().minors {
        let minors: Vec<String> = minors.iter().map(|m| format!("{major}.{m}")).collect();
        let _ = writeln!(out, "cnpg postgresql {major}: {}", minors.join(" "));
    }
    out
}

#[cfg(test)]
mod tests {
    /// The backup alert reads a metric the pinned plugin must export.
    #[test]
    fn the_pinned_plugin_exports_the_backup_metric() {
        let version = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap()).collect() };
        assert!(
            version(super::BARMAN_PLUGIN_VERSION)
                >= version(super::BARMAN_PLUGIN_BACKUP_METRIC_SINCE)
        );
    }

    /// A pinned version or the tag data changed: review what the new pin means for users
    /// (which `version` values are accepted, which images running clusters roll to), then
    /// accept the new snapshot.
    #[test]
    fn pinned_versions_are_reviewed() {
        insta::assert_snapshot!(super::listing());
    }
}
