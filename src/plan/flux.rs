//! Flux delivery of Helm charts (`[bitnami] delivery = "flux"`): every Helm release an
//! engine planned as a values file becomes a Flux `HelmRelease` (helm.toolkit.fluxcd.io/v2)
//! with the same values inline, pulling its chart through a `HelmRepository`
//! (source.toolkit.fluxcd.io/v1) in the release's namespace.
//!
//! Input: one environment's objects, as the engines planned them (with `HelmValues`).
//! Output: the same objects with every `HelmValues` replaced by a `HelmRelease`, plus one
//! `HelmRepository` per (namespace, repository URL).
//! Invariant: engine-agnostic (it reads only `HelmValuesPlan`s), so no values file and no
//! `helmCharts` entry is left, and two releases from one repository in one namespace share
//! one `HelmRepository` whose name depends only on the URLs in that namespace.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::helm::{HelmChartRef, HelmValuesPlan};
use super::{Meta, Object, ObjectData};

/// How often helm-controller reconciles a release: it retries a failed release and checks
/// the chart and values. Drift detection stays off (Flux's default), so objects the chart
/// owns are changed only by a new values tree or chart version, as with `helmCharts`.
const RELEASE_INTERVAL: &str = "30m";
/// How often source-controller re-checks a repository. An OCI repository yields no
/// artifact (charts are pulled per release, by pinned version), so this only re-validates
/// the URL and credentials.
const REPOSITORY_INTERVAL: &str = "1h";
/// Helm waits for every object of a release to be ready; a database's first start (image
/// pulls, volume provisioning, initdb, replicas joining) can outlast Helm's 5 minutes.
const RELEASE_TIMEOUT: &str = "10m";
/// Attempts after a failed install (uninstalling in between) or upgrade (rolling back in
/// between) before the release is left failed for a human.
const REMEDIATION_RETRIES: u32 = 3;

/// `helm.toolkit.fluxcd.io/v2` `HelmRelease`. `meta.name` is the object's name.
#[derive(Debug, Clone, Serialize)]
pub struct HelmReleasePlan {
    pub meta: Meta,
    /// Helm's release name; the same as under `helmCharts`, so switching delivery keeps
    /// every object name the chart derives from it.
    pub release_name: String,
    pub chart: HelmChartRef,
    pub source: SourceRef,
    pub interval: &'static str,
    pub timeout: &'static str,
    pub retries: u32,
    /// The chart's values, printed inline as `spec.values`.
    pub values: serde_json::Value,
}

/// The `HelmRepository` a release pulls its chart from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SourceRef {
    pub name: String,
    pub namespace: String,
}

/// `source.toolkit.fluxcd.io/v1` `HelmRepository`.
#[derive(Debug, Clone, Serialize)]
pub struct HelmRepositoryPlan {
    pub meta: Meta,
    /// `oci` for `oci://` URLs, else `default` (an HTTP/S repository with an index).
    pub repository_type: &'static str,
    pub url: String,
    pub interval: &'static str,
}

/// Replaces every Helm values object of one environment with a `HelmRelease`, and adds
/// the `HelmRepository`s they pull from.
pub(super) fn deliver(env: &str, objects: Vec<Object>) -> Vec<Object> {
    let releases: Vec<&HelmValuesPlan> = objects
        .iter()
        .filter_map(|o| match &*o.data {
            ObjectData::HelmValues(plan) => Some(plan),
            _ => None,
        })
        .collect();
    let names = repository_names(&releases);
    let mut repositories: BTreeMap<SourceRef, HelmRepositoryPlan> = BTreeMap::new();
    for release in &releases {
        let source = source_ref(&names, release);
        repositories
            .entry(source.clone())
            .or_insert_with(|| repository(release, source.name));
    }
    let mut out: Vec<Object> = objects
        .into_iter()
        .map(|object| match *object.data {
            ObjectData::HelmValues(plan) => {
                let source = source_ref(&names, &plan);
                Object::new(env, release(plan, source))
            }
            _ => object,
        })
        .collect();
    out.extend(
        repositories
            .into_values()
            .map(|plan| Object::new(env, ObjectData::HelmRepository(plan))),
    );
    out
}

fn release(plan: HelmValuesPlan, source: SourceRef) -> ObjectData {
    ObjectData::HelmRelease(Box::new(HelmReleasePlan {
        release_name: plan.meta.name.clone(),
        meta: plan.meta,
        chart: plan.chart,
        source,
        interval: RELEASE_INTERVAL,
        timeout: RELEASE_TIMEOUT,
        retries: REMEDIATION_RETRIES,
        values: plan.values,
    }))
}

/// A repository shared by releases of several clusters belongs to none of them: it keeps
/// only the platform's labels.
fn repository(release: &HelmValuesPlan, name: String) -> HelmRepositoryPlan {
    let labels = release
        .meta
        .labels
        .iter()
        .filter(|(key, _)| {
            !matches!(
                key.as_str(),
                "app.kubernetes.io/instance" | "app.kubernetes.io/name"
            )
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let url = release.chart.repo.clone();
    HelmRepositoryPlan {
        meta: Meta {
            name,
            namespace: release.meta.namespace.clone(),
            labels,
        },
        repository_type: if url.starts_with("oci://") {
            "oci"
        } else {
            "default"
        },
        url,
        interval: REPOSITORY_INTERVAL,
    }
}

fn source_ref(names: &BTreeMap<(String, String), String>, release: &HelmValuesPlan) -> SourceRef {
    let key = (release.meta.namespace.clone(), release.chart.repo.clone());
    SourceRef {
        // `names` was built from these releases: the lookup always finds the name.
        name: names
            .get(&key)
            .cloned()
            .unwrap_or_else(|| base_name(&release.chart.repo)), // not spec data: plan's own map
        namespace: release.meta.namespace.clone(),
    }
}

/// One name per (namespace, URL): the URL's last path segment (`bitnamicharts`); when two
/// URLs of one namespace end alike, the later ones in URL order get `-2`, `-3`...
fn repository_names(releases: &[&HelmValuesPlan]) -> BTreeMap<(String, String), String> {
    let keys: BTreeSet<(String, String)> = releases
        .iter()
        .map(|r| (r.meta.namespace.clone(), r.chart.repo.clone()))
        .collect();
    let mut taken: BTreeSet<(String, String)> = BTreeSet::new();
    let mut names = BTreeMap::new();
    for (namespace, url) in keys {
        let base = base_name(&url);
        let mut name = base.clone();
        let mut n = 2;
        while !taken.insert((namespace.clone(), name.clone())) {
            name = format!("{base}-{n}");
            n += 1;
        }
        names.insert((namespace, url), name);
    }
    names
}

/// The URL's last path segment as a DNS label: lowercase, `[a-z0-9-]`, at most 50
/// characters (room for a `-N` suffix), `charts` if nothing is left.
fn base_name(url: &str) -> String {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = path.trim_end_matches('/');
    let segment = path.rsplit_once('/').map_or(path, |(_, last)| last);
    let mut name: String = segment
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name.truncate(50);
    let name = name.trim_matches('-').to_string();
    if name.is_empty() {
        "charts".to_string()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::{base_name, deliver};
    use crate::plan::helm::{HelmChartRef, HelmValuesPlan};
    use crate::plan::{Kind, Meta, Object, ObjectData};

    fn values_object(name: &str, namespace: &str, repo: &str) -> Object {
        let data = ObjectData::HelmValues(HelmValuesPlan {
            meta: Meta::new(name.into(), namespace.into(), "p", name, None),
            chart: HelmChartRef {
                name: "postgresql-ha".into(),
                repo: repo.into(),
                version: "16.3.4".into(),
            },
            values: json!({ "fullnameOverride": name }),
        });
        Object::new("prod", data)
    }

    fn by_kind(objects: &[Object], kind: Kind) -> Vec<&Object> {
        objects.iter().filter(|o| o.kind() == kind).collect()
    }

    #[test]
    fn releases_in_one_namespace_share_one_repository() {
        const BITNAMI: &str = "oci://registry-1.docker.io/bitnamicharts";
        let objects = deliver(
            "prod",
            vec![
                values_object("pg", "db", BITNAMI),
                values_object("cache", "db", BITNAMI),
                values_object("other", "db2", BITNAMI),
            ],
        );
        assert!(by_kind(&objects, Kind::HelmValues).is_empty());
        assert_eq!(by_kind(&objects, Kind::HelmRelease).len(), 3);
        let repositories = by_kind(&objects, Kind::HelmRepository);
        let paths: Vec<&str> = repositories.iter().map(|o| o.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "prod/db/helmrepository-bitnamicharts.yaml",
                "prod/db2/helmrepository-bitnamicharts.yaml",
            ]
        );
        let ObjectData::HelmRepository(repository) = &*repositories[0].data else {
            panic!("not a HelmRepository");
        };
        assert_eq!(
            (repository.repository_type, repository.url.as_str()),
            ("oci", BITNAMI)
        );
        assert!(
            !repository
                .meta
                .labels
                .contains_key("app.kubernetes.io/instance")
        );
        let sources: BTreeMap<&str, (String, String)> = objects
            .iter()
            .filter_map(|o| match &*o.data {
                ObjectData::HelmRelease(r) => Some((
                    r.meta.name.as_str(),
                    (r.source.name.clone(), r.source.namespace.clone()),
                )),
                _ => None,
            })
            .collect();
        assert_eq!(sources["pg"], sources["cache"]);
        assert_eq!(sources["other"], ("bitnamicharts".into(), "db2".into()));
    }

    #[test]
    fn repositories_ending_alike_get_distinct_names() {
        let objects = deliver(
            "prod",
            vec![
                values_object("a", "db", "oci://one.example/charts"),
                values_object("b", "db", "https://two.example/charts/"),
            ],
        );
        let mut names: Vec<String> = by_kind(&objects, Kind::HelmRepository)
            .iter()
            .map(|o| o.data.meta().name.clone())
            .collect();
        names.sort();
        assert_eq!(names, vec!["charts", "charts-2"]);
        assert_eq!(
            base_name("oci://registry-1.docker.io/bitnamicharts"),
            "bitnamicharts"
        );
        assert_eq!(
            base_name("https://Charts.Example.com/"),
            "charts-example-com"
        );
    }
}
