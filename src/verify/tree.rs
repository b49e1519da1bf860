//! Cross-object checks over one environment tree.
//! Input: every (file, document) pair rendered for one environment, in order, one at a
//! time: `Tree::add` reads each document into its `Facts` (identity, what it declares,
//! what it references) as it arrives, so a render need not hold its documents until the
//! whole tree is known.
//! Output: (object index, issue) pairs for duplicate identities, CNPG objects
//! pointing at a Cluster or role the tree does not declare, role password
//! Secrets that no secret-provider object of the tree produces, and pods (of
//! `StatefulSet`s, `Job`s and `CronJob`s) mounting a Secret the tree does not produce or a
//! ConfigMap it does not declare.
//! Invariant: the issues depend only on the facts and their order, never on when a
//! document was dropped; the indexes are hash sets and maps that are only probed, never
//! iterated.

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

/// What the tree check keeps of one object: its identity, what it declares and what it
/// references, owned, so the document itself can be dropped once read.
#[derive(Debug)]
pub(super) struct Facts {
    group: String,
    kind: String,
    /// `metadata.namespace` as written (`None` when absent, for `describe`).
    written_namespace: Option<String>,
    name: String,
    declares: Vec<Declaration>,
    needs: Vec<Need>,
}

/// Something an object puts in the tree; all but secrets in the object's own namespace.
#[derive(Debug)]
enum Declaration {
    Cluster,
    Role { cluster: String, role: String },
    Secret { namespace: String, name: String },
    ObjectStore,
    ConfigMap,
}

/// Something an object needs the tree to declare in its own namespace, and the field
/// that names it.
#[derive(Debug)]
enum Need {
    /// `spec.cluster.name`; for a Database, then its owner role in that Cluster.
    Cluster {
        name: String,
        owner: Option<String>,
    },
    Secret {
        path: FieldPath,
        name: String,
    },
    ObjectStore {
        path: FieldPath,
        name: String,
    },
    ConfigMap {
        path: FieldPath,
        name: String,
    },
}

impl Facts {
    /// The facts of `doc`, or `None` when it has no `apiVersion`, `kind` or name (the
    /// per-object check reports those).
    fn read(doc: &Value) -> Option<Self> {
        let header = Header::read(doc)?;
        Some(Self {
            group: header.group().to_owned(),
            kind: header.kind.to_owned(),
            written_namespace: text(doc, "/metadata/namespace").map(str::to_owned),
            name: header.name.to_owned(),
            declares: declarations(&header),
            needs: needs(&header),
        })
    }

    /// The namespace lookups use: "" when absent.
    fn namespace(&self) -> &str {
        self.written_namespace.as_deref().unwrap_or("")
    }

    /// `Kind namespace/name`, or `Kind name` without a namespace (`verify::describe`).
    pub(super) fn describe(&self) -> String {
        super::label(&self.kind, self.written_namespace.as_deref(), &self.name)
    }

    /// The object as a duplicate's message names it.
    fn identity_text(&self) -> String {
        if self.namespace().is_empty() {
            format!("{} {}", self.kind, self.name)
        } else {
            format!("{} {}/{}", self.kind, self.namespace(), self.name)
        }
    }
}

fn declarations(header: &Header<'_>) -> Vec<Declaration> {
    let doc = header.doc;
    if header.is(CNPG, "Cluster") {
        let mut declares = vec![Declaration::Cluster];
        for role in items(doc, "/spec/managed/roles")
            .iter()
            .filter(|role| ensures_present(role))
        {
            if let Some(role_name) = text(role, "/name") {
                declares.push(Declaration::Role {
                    cluster: header.name.to_owned(),
                    role: role_name.to_owned(),
                });
            }
        }
        return declares;
    }
    if header.is(BARMAN, "ObjectStore") {
        return vec![Declaration::ObjectStore];
    }
    if header.is("v1", "ConfigMap") {
        return vec![Declaration::ConfigMap];
    }
    if header.is(CNPG, "DatabaseRole") {
        let spec = doc.get("spec").unwrap_or(&Value::Null);
        return match (
            text(spec, "/cluster/name"),
            text(spec, "/name"),
            ensures_present(spec),
        ) {
            (Some(cluster), Some(role), true) => vec![Declaration::Role {
                cluster: cluster.to_owned(),
                role: role.to_owned(),
            }],
            _ => Vec::new(),
        };
    }
    produced_secrets(header)
        .into_iter()
        .map(|(namespace, name)| Declaration::Secret {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        })
        .collect()
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

/// What the tree knows of an environment while it is rendered: each object's file and
/// facts, in render order.
#[derive(Debug, Default)]
pub(super) struct Tree {
    objects: Vec<(String, Option<Facts>)>,
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
    fn add(&mut self, facts: &'a Facts) {
        let (namespace, name) = (facts.namespace(), facts.name.as_str());
        for declaration in &facts.declares {
            match declaration {
                Declaration::Cluster => {
                    self.clusters.insert((namespace, name));
                }
                Declaration::Role { cluster, role } => {
                    self.roles.insert((namespace, cluster, role));
                }
                Declaration::Secret {
                    namespace: secret_namespace,
                    name: secret,
                } => {
                    self.secrets.insert((secret_namespace, secret));
                }
                Declaration::ObjectStore => {
                    self.object_stores.insert((namespace, name));
                }
                Declaration::ConfigMap => {
                    self.config_maps.insert((namespace, name));
                }
            }
        }
    }
}

impl Tree {
    pub(super) fn with_capacity(objects: usize) -> Self {
        Self {
            objects: Vec::with_capacity(objects),
        }
    }

    /// Reads the next object of the tree; the document is not kept.
    pub(super) fn add(&mut self, file: &str, doc: &Value) {
        self.objects.push((file.to_owned(), Facts::read(doc)));
    }

    /// The file and facts of the object at `index`.
    pub(super) fn object(&self, index: usize) -> Option<(&str, &Facts)> {
        let (file, facts) = self.objects.get(index)?;
        Some((file, facts.as_ref()?))
    }

    /// Every issue of the tree, by object index.
    pub(super) fn check(&self) -> Vec<(usize, Issue)> {
        let mut declared = Declared::default();
        for facts in self.objects.iter().filter_map(|(_, facts)| facts.as_ref()) {
            declared.add(facts);
        }
        let mut issues = self.duplicates();
        for (index, (_, facts)) in self.objects.iter().enumerate() {
            let Some(facts) = facts else { continue };
            for need in &facts.needs {
                issues.extend(resolve(facts, need, &declared).map(|issue| (index, issue)));
            }
        }
        issues
    }

    fn duplicates(&self) -> Vec<(usize, Issue)> {
        let mut first_seen: HashMap<(&str, &str, &str, &str), usize> =
            HashMap::with_capacity(self.objects.len());
        let mut issues = Vec::new();
        for (index, (_, facts)) in self.objects.iter().enumerate() {
            let Some(facts) = facts else { continue };
            let identity = (
                facts.group.as_str(),
                facts.kind.as_str(),
                facts.namespace(),
                facts.name.as_str(),
            );
            match first_seen.get(&identity) {
                Some(&first) => {
                    let first_file = self.objects.get(first).map_or("?", |(file, _)| file);
                    let message = format!(
                        "duplicate object: {} is already defined in {first_file}",
                        facts.identity_text()
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
}

/// What `header` references: the fields naming Clusters, roles, Secrets, object stores
/// and `ConfigMap`s of its namespace.
fn needs(header: &Header<'_>) -> Vec<Need> {
    if header.is(BARMAN, "ObjectStore") {
        return ["accessKeyId", "secretAccessKey"]
            .iter()
            .filter_map(|key| {
                let pointer = format!("/spec/configuration/s3Credentials/{key}/name");
                let dotted = format!("spec.configuration.s3Credentials.{key}.name");
                secret_need(header.doc, &dotted, &pointer)
            })
            .collect();
    }
    if let Some(pod) = pod_template(header) {
        return pod_needs(pod);
    }
    if header.api_version != CNPG {
        return Vec::new();
    }
    let cluster = |owner: Option<&str>| {
        text(header.doc, "/spec/cluster/name").map(|name| Need::Cluster {
            name: name.to_owned(),
            owner: owner.map(str::to_owned),
        })
    };
    match header.kind {
        "Database" => cluster(text(header.doc, "/spec/owner"))
            .into_iter()
            .collect(),
        "DatabaseRole" => {
            let mut needs: Vec<Need> = cluster(None).into_iter().collect();
            needs.extend(secret_need(
                header.doc,
                "spec.passwordSecret.name",
                "/spec/passwordSecret/name",
            ));
            needs
        }
        "Pooler" | "ScheduledBackup" => cluster(None).into_iter().collect(),
        "Cluster" => {
            let mut needs = cluster_role_secrets(header.doc);
            needs.extend(object_store_needs(header.doc));
            needs
        }
        _ => Vec::new(),
    }
}

/// The issue `need` of the object `facts` raises, if the tree does not meet it.
fn resolve(facts: &Facts, need: &Need, declared: &Declared<'_>) -> Option<Issue> {
    let namespace = facts.namespace();
    match need {
        Need::Cluster { name, owner } => {
            if !declared.clusters.contains(&(namespace, name.as_str())) {
                return Some(Issue::at(
                    "spec.cluster.name",
                    format!(
                        "Cluster `{name}` is not declared in namespace `{namespace}` of this tree"
                    ),
                ));
            }
            // The owner is judged only once its Cluster is known: one root cause is enough.
            let owner = owner.as_deref()?;
            (!declared.roles.contains(&(namespace, name, owner))).then(|| {
                Issue::at(
                    "spec.owner",
                    format!(
                        "owner role `{owner}` is not declared in Cluster {namespace}/{name} (managed.roles) nor by a DatabaseRole: \
                         CNPG would fail with \"role does not exist\""
                    ),
                )
            })
        }
        Need::Secret { path, name } => missing_secret(namespace, name, declared)
            .map(|message| Issue::new(path.clone(), message)),
        Need::ObjectStore { path, name } => (!declared
            .object_stores
            .contains(&(namespace, name.as_str())))
        .then(|| {
            Issue::new(
                path.clone(),
                format!(
                    "ObjectStore `{name}` is not declared in namespace `{namespace}` of this tree"
                ),
            )
        }),
        Need::ConfigMap { path, name } => {
            (!declared.config_maps.contains(&(namespace, name.as_str()))).then(|| {
                Issue::new(
                    path.clone(),
                    format!(
                        "ConfigMap `{name}` is not declared in namespace `{namespace}` of this tree"
                    ),
                )
            })
        }
    }
}

fn cluster_role_secrets(doc: &Value) -> Vec<Need> {
    items(doc, "/spec/managed/roles")
        .iter()
        .enumerate()
        .filter_map(|(index, role)| {
            let secret = text(role, "/passwordSecret/name")?;
            let path = FieldPath::keys("spec.managed.roles")
                .index(index)
                .key("passwordSecret")
                .key("name");
            Some(Need::Secret {
                path,
                name: secret.to_owned(),
            })
        })
        .collect()
}

/// Every `barmanObjectName` of the Cluster's plugins and recovery sources must name an
/// `ObjectStore` of the namespace: the plugin fails at runtime otherwise.
fn object_store_needs(doc: &Value) -> Vec<Need> {
    let plugins = items(doc, "/spec/plugins")
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
    let sources = items(doc, "/spec/externalClusters")
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
            Some(Need::ObjectStore {
                path,
                name: name?.as_str()?.to_owned(),
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
fn pod_needs((base, pod): (&'static str, &Value)) -> Vec<Need> {
    let mut needs = Vec::new();
    for (index, volume) in items(pod, "/volumes").iter().enumerate() {
        let at = |rest: &str| FieldPath::keys(base).key("volumes").index(index).key(rest);
        if let Some(secret) = text(volume, "/secret/secretName") {
            needs.push(Need::Secret {
                path: at("secret").key("secretName"),
                name: secret.to_owned(),
            });
        }
        if let Some(config_map) = text(volume, "/configMap/name") {
            needs.push(Need::ConfigMap {
                path: at("configMap").key("name"),
                name: config_map.to_owned(),
            });
        }
    }
    for (c, container) in items(pod, "/containers").iter().enumerate() {
        for (e, env) in items(container, "/env").iter().enumerate() {
            let Some(secret) = text(env, "/valueFrom/secretKeyRef/name") else {
                continue;
            };
            let path = FieldPath::keys(base)
                .key("containers")
                .index(c)
                .key("env")
                .index(e)
                .key("valueFrom")
                .key("secretKeyRef")
                .key("name");
            needs.push(Need::Secret {
                path,
                name: secret.to_owned(),
            });
        }
    }
    needs
}

fn secret_need(doc: &Value, dotted: &str, pointer: &str) -> Option<Need> {
    Some(Need::Secret {
        path: FieldPath::keys(dotted),
        name: text(doc, pointer)?.to_owned(),
    })
}

fn missing_secret(namespace: &str, secret: &str, declared: &Declared<'_>) -> Option<String> {
    (!declared.secrets.contains(&(namespace, secret))).then(|| {
        format!(
            "Secret `{secret}` is not produced in namespace `{namespace}` by any ExternalSecret, \
             InfisicalSecret or InfisicalStaticSecret of this tree: the operator could not read it"
        )
    })
}
