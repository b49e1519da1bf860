//! Cross-object checks over one environment tree.
//! Input: every (file, document) pair rendered for one environment.
//! Output: (document index, issue) pairs for duplicate identities, CNPG objects
//! pointing at a Cluster or role the tree does not declare, role password
//! Secrets that no secret-provider object of the tree produces, and pods (of
//! `StatefulSet`s, `Job`s and `CronJob`s) mounting a Secret the tree does not produce or a
//! ConfigMap it does not declare.
//! Invariant: read-only over the documents; the indexes are hash sets and maps
//! that are only probed, never iterated, so the result depends only on the input order.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::path::{FieldPath, Issue};

const CNPG: &str = "postgresql.cnpg.io/v1";
const BARMAN: &str = "barmancloud.cnpg.io/v1";
const EXTERNAL_SECRET: (&str, &str) = ("external-secrets.io/v1", "ExternalSecret");
const INFISICAL_SECRET: (&str, &str) = ("secrets.infisical.com/v1alpha1", "InfisicalSecret");
const INFISICAL_STATIC_SECRET: (&str, &str) =
    ("secrets.infisical.com/v1beta1", "InfisicalStaticSecret");

/// The fields every check needs, read once per document.
struct Header<'a> {
    api_version: &'a str,
    kind: &'a str,
    namespace: &'a str,
    name: &'a str,
    doc: &'a Value,
}

impl<'a> Header<'a> {
    fn read(doc: &'a Value) -> Option<Self> {
        Some(Self {
            api_version: doc.get("apiVersion")?.as_str()?,
            kind: doc.get("kind")?.as_str()?,
            namespace: text(doc, "/metadata/namespace").unwrap_or(""),
            name: text(doc, "/metadata/name")?,
            doc,
        })
    }

    fn is(&self, api_version: &str, kind: &str) -> bool {
        self.api_version == api_version && self.kind == kind
    }

    /// The API group ("" for core) is part of identity; the version is not,
    /// since two versions of one kind address the same stored object.
    fn group(&self) -> &'a str {
        self.api_version
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    fn describe(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} {}", self.kind, self.name)
        } else {
            format!("{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// The value at a JSON pointer made of plain object keys (every pointer of this
/// module): unlike `Value::pointer`, which unescapes each token into a new `String`,
/// it allocates nothing, and this runs several times per object of the tree.
fn at<'a>(doc: &'a Value, pointer: &str) -> Option<&'a Value> {
    pointer
        .strip_prefix('/')?
        .split('/')
        .try_fold(doc, |value, key| value.as_object()?.get(key))
}

fn text<'a>(doc: &'a Value, pointer: &str) -> Option<&'a str> {
    at(doc, pointer)?.as_str()
}

fn items<'a>(doc: &'a Value, pointer: &str) -> &'a [Value] {
    at(doc, pointer)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// CNPG treats a missing `ensure` as `present`.
fn ensures_present(role: &Value) -> bool {
    text(role, "/ensure").is_none_or(|ensure| ensure == "present")
}

/// What the tree declares, keyed by namespace so lookups never cross namespaces.
/// Hashed rather than ordered: the keys share long prefixes (one namespace, app-named
/// objects), which made every ordered probe a chain of long `memcmp`s.
#[derive(Default)]
struct Declared<'a> {
    clusters: HashSet<(&'a str, &'a str)>,
    roles: HashSet<(&'a str, &'a str, &'a str)>,
    secrets: HashSet<(&'a str, &'a str)>,
    object_stores: HashSet<(&'a str, &'a str)>,
    config_maps: HashSet<(&'a str, &'a str)>,
}

impl<'a> Declared<'a> {
    fn collect(headers: &[Option<Header<'a>>]) -> Self {
        let mut declared = Self::default();
        for header in headers.iter().flatten() {
            declared.add(header);
        }
        declared
    }

    fn add(&mut self, header: &Header<'a>) {
        let (namespace, doc) = (header.namespace, header.doc);
        if header.is(CNPG, "Cluster") {
            self.clusters.insert((namespace, header.name));
            for role in items(doc, "/spec/managed/roles")
                .iter()
                .filter(|role| ensures_present(role))
            {
                if let Some(role_name) = text(role, "/name") {
                    self.roles.insert((namespace, header.name, role_name));
                }
            }
        } else if header.is(BARMAN, "ObjectStore") {
            self.object_stores.insert((namespace, header.name));
        } else if header.is("v1", "ConfigMap") {
            self.config_maps.insert((namespace, header.name));
        } else if header.is(CNPG, "DatabaseRole") {
            let spec = doc.get("spec").unwrap_or(&Value::Null);
            if let (Some(cluster), Some(role), true) = (
                text(spec, "/cluster/name"),
                text(spec, "/name"),
                ensures_present(spec),
            ) {
                self.roles.insert((namespace, cluster, role));
            }
        } else {
            self.secrets.extend(produced_secrets(header));
        }
    }
}

/// Secrets a secret-provider object materialises, as (namespace, name).
fn produced_secrets<'a>(header: &Header<'a>) -> Vec<(&'a str, &'a str)> {
    let doc = header.doc;
    if header.is(EXTERNAL_SECRET.0, EXTERNAL_SECRET.1) {
        // `Merge` and `None` write into a Secret someone else must create.
        let creates = text(doc, "/spec/target/creationPolicy")
            .is_none_or(|policy| policy == "Owner" || policy == "Orphan");
        let name = text(doc, "/spec/target/name").unwrap_or(header.name);
        return if creates {
            vec![(header.namespace, name)]
        } else {
            Vec::new()
        };
    }
    if header.is(INFISICAL_SECRET.0, INFISICAL_SECRET.1) {
        let single = at(doc, "/spec/managedSecretReference").into_iter();
        return items(doc, "/spec/managedKubeSecretReferences")
            .iter()
            .chain(single)
            .filter_map(|reference| {
                Some((
                    text(reference, "/secretNamespace")?,
                    text(reference, "/secretName")?,
                ))
            })
            .collect();
    }
    if header.is(INFISICAL_STATIC_SECRET.0, INFISICAL_STATIC_SECRET.1) {
        return items(doc, "/spec/targets")
            .iter()
            .filter(|target| text(target, "/kind") == Some("Secret"))
            .filter_map(|target| Some((text(target, "/namespace")?, text(target, "/name")?)))
            .collect();
    }
    Vec::new()
}

pub(super) fn check<F: AsRef<str>, D: Borrow<Value>>(objects: &[(F, D)]) -> Vec<(usize, Issue)> {
    let headers: Vec<Option<Header<'_>>> = objects
        .iter()
        .map(|(_, doc)| Header::read(doc.borrow()))
        .collect();
    let declared = Declared::collect(&headers);
    let mut issues = duplicates(objects, &headers);
    for (index, header) in headers.iter().enumerate() {
        let Some(header) = header else { continue };
        for issue in references(header, &declared) {
            issues.push((index, issue));
        }
    }
    issues
}

fn duplicates<F: AsRef<str>, D>(
    objects: &[(F, D)],
    headers: &[Option<Header<'_>>],
) -> Vec<(usize, Issue)> {
    let mut first_seen: HashMap<(&str, &str, &str, &str), usize> =
        HashMap::with_capacity(headers.len());
    let mut issues = Vec::new();
    for (index, header) in headers.iter().enumerate() {
        let Some(header) = header else { continue };
        let identity = (header.group(), header.kind, header.namespace, header.name);
        match first_seen.get(&identity) {
            Some(&first) => {
                let first_file = objects.get(first).map_or("?", |(file, _)| file.as_ref());
                let message = format!(
                    "duplicate object: {} is already defined in {first_file}",
                    header.describe()
                );
                issues.push((index, Issue::new(FieldPath::root(), message)));
            }
            None => {
                first_seen.insert(identity, index);
            }
        }
    }
    issues
}

fn references(header: &Header<'_>, declared: &Declared<'_>) -> Vec<Issue> {
    if header.is(BARMAN, "ObjectStore") {
        return ["accessKeyId", "secretAccessKey"]
            .iter()
            .filter_map(|key| {
                let pointer = format!("/spec/configuration/s3Credentials/{key}/name");
                let dotted = format!("spec.configuration.s3Credentials.{key}.name");
                password_secret(header, declared, &dotted, &pointer)
            })
            .collect();
    }
    if let Some(pod) = pod_template(header) {
        return pod_references(header, pod, declared);
    }
    if header.api_version != CNPG {
        return Vec::new();
    }
    match header.kind {
        "Database" => database(header, declared),
        "DatabaseRole" => {
            let mut issues: Vec<Issue> = cluster_reference(header, declared).into_iter().collect();
            issues.extend(password_secret(
                header,
                declared,
                "spec.passwordSecret.name",
                "/spec/passwordSecret/name",
            ));
            issues
        }
        "Pooler" | "ScheduledBackup" => cluster_reference(header, declared).into_iter().collect(),
        "Cluster" => {
            let mut issues = cluster_role_secrets(header, declared);
            issues.extend(object_store_references(header, declared));
            issues
        }
        _ => Vec::new(),
    }
}

/// Reports a `spec.cluster.name` that names no Cluster of the namespace.
fn cluster_reference(header: &Header<'_>, declared: &Declared<'_>) -> Option<Issue> {
    let cluster = text(header.doc, "/spec/cluster/name")?;
    (!declared.clusters.contains(&(header.namespace, cluster))).then(|| {
        Issue::at(
            "spec.cluster.name",
            format!(
                "Cluster `{cluster}` is not declared in namespace `{}` of this tree",
                header.namespace
            ),
        )
    })
}

fn database(header: &Header<'_>, declared: &Declared<'_>) -> Vec<Issue> {
    if let Some(missing) = cluster_reference(header, declared) {
        // The owner cannot be judged without its Cluster; one root cause is enough.
        return vec![missing];
    }
    let (Some(cluster), Some(owner)) = (
        text(header.doc, "/spec/cluster/name"),
        text(header.doc, "/spec/owner"),
    ) else {
        return Vec::new();
    };
    if declared.roles.contains(&(header.namespace, cluster, owner)) {
        return Vec::new();
    }
    vec![Issue::at(
        "spec.owner",
        format!(
            "owner role `{owner}` is not declared in Cluster {}/{cluster} (managed.roles) nor by a DatabaseRole: \
             CNPG would fail with \"role does not exist\"",
            header.namespace
        ),
    )]
}

fn cluster_role_secrets(header: &Header<'_>, declared: &Declared<'_>) -> Vec<Issue> {
    items(header.doc, "/spec/managed/roles")
        .iter()
        .enumerate()
        .filter_map(|(index, role)| {
            let secret = text(role, "/passwordSecret/name")?;
            let path = FieldPath::keys("spec.managed.roles")
                .index(index)
                .key("passwordSecret")
                .key("name");
            missing_secret(header.namespace, secret, declared)
                .map(|message| Issue::new(path, message))
        })
        .collect()
}

/// Every `barmanObjectName` of the Cluster's plugins and recovery sources must name an
/// `ObjectStore` of the namespace: the plugin fails at runtime otherwise.
fn object_store_references(header: &Header<'_>, declared: &Declared<'_>) -> Vec<Issue> {
    let plugins = items(header.doc, "/spec/plugins")
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                FieldPath::keys("spec.plugins")
                    .index(i)
                    .key("parameters")
                    .key("barmanObjectName"),
                at(p, "/parameters/barmanObjectName"),
            )
        });
    let sources = items(header.doc, "/spec/externalClusters")
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                FieldPath::keys("spec.externalClusters")
                    .index(i)
                    .key("plugin")
                    .key("parameters")
                    .key("barmanObjectName"),
                at(c, "/plugin/parameters/barmanObjectName"),
            )
        });
    plugins
        .chain(sources)
        .filter_map(|(path, name)| {
            let name = name?.as_str()?;
            (!declared.object_stores.contains(&(header.namespace, name))).then(|| {
                Issue::new(
                    path,
                    format!(
                        "ObjectStore `{name}` is not declared in namespace `{}` of this tree",
                        header.namespace
                    ),
                )
            })
        })
        .collect()
}

/// The pod spec of a workload and its dotted path.
fn pod_template<'a>(header: &Header<'a>) -> Option<(&'static str, &'a Value)> {
    let (dotted, pointer) = if header.is("apps/v1", "StatefulSet") || header.is("batch/v1", "Job") {
        ("spec.template.spec", "/spec/template/spec")
    } else if header.is("batch/v1", "CronJob") {
        (
            "spec.jobTemplate.spec.template.spec",
            "/spec/jobTemplate/spec/template/spec",
        )
    } else {
        return None;
    };
    Some((dotted, at(header.doc, pointer)?))
}

/// Secrets (volumes, `secretKeyRef`s) and `ConfigMap`s (volumes) a pod needs: a pod whose
/// Secret or ConfigMap never appears waits in `ContainerCreating` forever.
fn pod_references(
    header: &Header<'_>,
    (base, pod): (&'static str, &Value),
    declared: &Declared<'_>,
) -> Vec<Issue> {
    let namespace = header.namespace;
    let mut issues = Vec::new();
    for (index, volume) in items(pod, "/volumes").iter().enumerate() {
        let at = |rest: &str| FieldPath::keys(base).key("volumes").index(index).key(rest);
        if let Some(secret) = text(volume, "/secret/secretName")
            && let Some(message) = missing_secret(namespace, secret, declared)
        {
            issues.push(Issue::new(at("secret").key("secretName"), message));
        }
        if let Some(config_map) = text(volume, "/configMap/name")
            && !declared.config_maps.contains(&(namespace, config_map))
        {
            let message = format!(
                "ConfigMap `{config_map}` is not declared in namespace `{namespace}` of this tree"
            );
            issues.push(Issue::new(at("configMap").key("name"), message));
        }
    }
    for (c, container) in items(pod, "/containers").iter().enumerate() {
        for (e, env) in items(container, "/env").iter().enumerate() {
            let Some(secret) = text(env, "/valueFrom/secretKeyRef/name") else {
                continue;
            };
            if let Some(message) = missing_secret(namespace, secret, declared) {
                let path = FieldPath::keys(base)
                    .key("containers")
                    .index(c)
                    .key("env")
                    .index(e)
                    .key("valueFrom")
                    .key("secretKeyRef")
                    .key("name");
                issues.push(Issue::new(path, message));
            }
        }
    }
    issues
}

fn password_secret(
    header: &Header<'_>,
    declared: &Declared<'_>,
    dotted: &str,
    pointer: &str,
) -> Option<Issue> {
    let secret = text(header.doc, pointer)?;
    missing_secret(header.namespace, secret, declared).map(|message| Issue::at(dotted, message))
}

fn missing_secret(namespace: &str, secret: &str, declared: &Declared<'_>) -> Option<String> {
    (!declared.secrets.contains(&(namespace, secret))).then(|| {
        format!(
            "Secret `{secret}` is not produced in namespace `{namespace}` by any ExternalSecret, \
             InfisicalSecret or InfisicalStaticSecret of this tree: the operator could not read it"
        )
    })
}
