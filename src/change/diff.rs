//! Object-level and field-level differences between two output trees.
//!
//! Input: two trees as (relative path → file text): the committed one read from the
//! output directory and a fresh render. Output: per environment (first path segment),
//! every object added, removed or changed, identified by (kind, namespace, name), with
//! the leaf field paths that differ and their old and new values.
//! Invariant: deterministic order (environment, then identity); a file that is not a
//! YAML object (or is a Kustomization) takes no part, so only applied objects are compared.

use std::collections::BTreeMap;

use serde_json::Value;

/// Who an object is, as the API server sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Identity {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl Identity {
    /// `Kind/namespace/name`, or `Kind/name` without a namespace: how an
    /// `[[acknowledge]]` entry names the object.
    pub fn reference(&self) -> String {
        if self.namespace.is_empty() {
            format!("{}/{}", self.kind, self.name)
        } else {
            format!("{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// One object of a tree.
#[derive(Debug, Clone)]
pub(super) struct Object {
    pub(super) file: String,
    pub(super) document: Value,
}

/// One differing leaf: `path` in dotted form, list items by `name` when they have one.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FieldChange {
    pub(super) path: String,
    pub(super) old: Option<Value>,
    pub(super) new: Option<Value>,
}

/// What happened to one object.
#[derive(Debug, Clone)]
pub(super) enum ObjectDiff {
    Add(Object),
    Remove(Object),
    Change {
        old: Object,
        new: Object,
        fields: Vec<FieldChange>,
    },
}

/// Kind name given to a Helm chart's values file: it stands for the Helm release.
pub(super) const HELM_VALUES: &str = "HelmValues";

/// The objects of one tree, by environment then identity.
pub(super) type Objects = BTreeMap<String, BTreeMap<Identity, Object>>;

/// Parses every object of a tree. Files that are not YAML mappings with a `kind`
/// (scripts, the ownership manifest) and Kustomizations are skipped; a values file
/// (`values-<release>.yaml`) stands for its Helm release.
pub(super) fn objects<'a>(files: impl IntoIterator<Item = (&'a String, &'a String)>) -> Objects {
    let mut out: Objects = BTreeMap::new();
    for (path, text) in files {
        if let Some(document) = parsed(path, text) {
            insert(&mut out, path, document);
        }
    }
    out
}

/// The document of file `path` when it can hold an applied object and is YAML.
pub(super) fn parsed(path: &str, text: &str) -> Option<Value> {
    takes_part(path)
        .then(|| crate::yaml::parse(text).ok())
        .flatten()
}

/// Adds the object of file `path`, already read into `document`, as `objects` does.
pub(super) fn insert(out: &mut Objects, path: &str, document: Value) {
    let Some((env, _)) = path.split_once('/') else {
        return;
    };
    if !takes_part(path) {
        return;
    }
    let Some(identity) = identity(path, &document) else {
        return;
    };
    out.entry(env.to_owned()).or_default().insert(
        identity,
        Object {
            file: path.to_owned(),
            document,
        },
    );
}

/// Whether the file at `path` can hold an applied object: a YAML file of an environment
/// that is not a kustomization.
fn takes_part(path: &str) -> bool {
    path.contains('/')
        && std::path::Path::new(path)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml"))
        && !path.ends_with("/kustomization.yaml")
}

/// The identity of the object in file `path`.
pub(super) fn identity(path: &str, document: &Value) -> Option<Identity> {
    let file_name = path.rsplit('/').next().unwrap_or(path);
    if let Some(release) = file_name
        .strip_prefix("values-")
        .and_then(|s| s.strip_suffix(".yaml"))
    {
        // `<env>/<namespace>/values-<release>.yaml`
        let namespace = path.rsplit('/').nth(1).unwrap_or_default();
        return Some(Identity {
            kind: HELM_VALUES.to_owned(),
            namespace: namespace.to_owned(),
            name: release.to_owned(),
        });
    }
    let kind = document.get("kind")?.as_str()?;
    // Kustomize's own index files are not objects; Flux's `Kustomization`
    // (`kustomize.toolkit.fluxcd.io`) is, and removing one prunes what it applied.
    if kind == "Kustomization"
        && document["apiVersion"]
            .as_str()?
            .starts_with("kustomize.config.k8s.io/")
    {
        return None;
    }
    let metadata = document.get("metadata")?;
    Some(Identity {
        kind: kind.to_owned(),
        namespace: metadata["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        name: metadata.get("name")?.as_str()?.to_owned(),
    })
}

/// Every difference between `old` and `new`, per environment present in either; the
/// objects move into the differences (an unchanged one is dropped), none is copied.
pub(super) fn diff(
    mut old: Objects,
    mut new: Objects,
) -> BTreeMap<String, Vec<(Identity, ObjectDiff)>> {
    let mut envs: Vec<String> = old.keys().chain(new.keys()).cloned().collect();
    envs.sort();
    envs.dedup();
    let mut out = BTreeMap::new();
    for env in envs {
        let before = old.remove(&env).unwrap_or_default();
        let mut after = new.remove(&env).unwrap_or_default();
        let mut changes = Vec::new();
        for (id, object) in before {
            match after.remove(&id) {
                None => changes.push((id, ObjectDiff::Remove(object))),
                Some(next) => {
                    let mut fields = Vec::new();
                    fields_of(&object.document, &next.document, "", &mut fields);
                    if !fields.is_empty() {
                        changes.push((
                            id,
                            ObjectDiff::Change {
                                old: object,
                                new: next,
                                fields,
                            },
                        ));
                    }
                }
            }
        }
        // What is left was not in the committed tree.
        changes.extend(
            after
                .into_iter()
                .map(|(id, object)| (id, ObjectDiff::Add(object))),
        );
        changes.sort_by(|a, b| a.0.cmp(&b.0));
        out.insert(env, changes);
    }
    out
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Collects differing leaves. Lists whose items all carry a `name` are compared by
/// name (containers, volumes, env), so reordering is no change and a path says which
/// item it is; other lists are compared index by index.
pub(super) fn fields_of(old: &Value, new: &Value, at: &str, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                match b.get(key) {
                    Some(other) => fields_of(value, other, &join(at, key), out),
                    None => out.push(FieldChange {
                        path: join(at, key),
                        old: Some(value.clone()),
                        new: None,
                    }),
                }
            }
            for (key, value) in b {
                if !a.contains_key(key) {
                    out.push(FieldChange {
                        path: join(at, key),
                        old: None,
                        new: Some(value.clone()),
                    });
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(a_named), Some(b_named)) = (named(a), named(b)) {
                for (name, value) in &a_named {
                    let path = format!("{at}[{name}]");
                    match b_named.get(name) {
                        Some(other) => fields_of(value, other, &path, out),
                        None => out.push(FieldChange {
                            path,
                            old: Some((*value).clone()),
                            new: None,
                        }),
                    }
                }
                for (name, value) in &b_named {
                    if !a_named.contains_key(name) {
                        out.push(FieldChange {
                            path: format!("{at}[{name}]"),
                            old: None,
                            new: Some((*value).clone()),
                        });
                    }
                }
            } else if a.len() == b.len() {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    fields_of(x, y, &format!("{at}[{i}]"), out);
                }
            } else {
                out.push(FieldChange {
                    path: at.to_owned(),
                    old: Some(old.clone()),
                    new: Some(new.clone()),
                });
            }
        }
        _ if old == new => {}
        _ => out.push(FieldChange {
            path: at.to_owned(),
            old: Some(old.clone()),
            new: Some(new.clone()),
        }),
    }
}

fn named(items: &[Value]) -> Option<BTreeMap<String, &Value>> {
    if items.is_empty() {
        return None;
    }
    let mut map = BTreeMap::new();
    for item in items {
        let name = item.get("name")?.as_str()?;
        if map.insert(name.to_owned(), item).is_some() {
            return None;
        }
    }
    Some(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn named_lists_compare_by_name_and_paths_say_which_item() {
        let old = json!({"spec": {"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y"}]}});
        let new = json!({"spec": {"containers": [{"name": "b", "image": "y"}, {"name": "a", "image": "x:2"}]}});
        let mut out = Vec::new();
        fields_of(&old, &new, "", &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].path, "spec.containers[a].image");
        assert_eq!(out[0].new, Some(json!("x:2")));
    }

    #[test]
    fn removed_and_added_keys_are_reported() {
        let old = json!({"a": 1, "b": {"c": 2}});
        let new = json!({"a": 1, "d": 3});
        let mut out = Vec::new();
        fields_of(&old, &new, "", &mut out);
        let paths: Vec<&str> = out.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["b", "d"]);
        assert_eq!(out[0].new, None);
    }
}
