//! Offline verification of every rendered Kubernetes object before it is written.
//! Input: parsed YAML documents (`serde_json::Value`) with their output paths,
//! one at a time (`verify_object`) or as a whole environment tree (`verify_tree`, or
//! `TreeCheck` fed one object at a time).
//! Output: `ObjectProblem`s naming file, object and field path, in file order
//! then path order; an empty list means the documents may be written.
//! Invariant: no (apiVersion, kind) is accepted without a schema: the kind table
//! (`plan::kind_table!`) says how each is checked: built-ins against JSON Schemas
//! generated from the k8s-openapi types of their apiVersion and kind, custom resources against embedded CRD schemas.

mod builtin;
pub(crate) mod cel;
mod crd;
mod kustomize;
mod meta;
mod path;
mod schema;
mod tree;
mod validator;

#[cfg(test)]
mod tests;

use std::borrow::Borrow;
use std::fmt;

use serde_json::{Map, Value};

use self::builtin::BuiltinKind;
use self::meta::NameRule;
use self::path::Issue;
use self::schema::SchemaCache;
use crate::plan::{Check, Kind};

/// One problem found in one rendered object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectProblem {
    /// Output path relative to the output root, e.g. `prod/databases/cluster-pg.yaml`.
    pub file: String,
    /// `Kind namespace/name`, or `Kind name` for objects without a namespace.
    pub object: String,
    /// Dotted field path with list indexes, e.g. `spec.managed.roles[0].name`; empty for the whole object.
    pub path: String,
    /// Human sentence describing the problem.
    pub message: String,
}

impl fmt::Display for ObjectProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}: {}", self.file, self.object, self.message)
        } else {
            write!(
                f,
                "{}: {}: {}: {}",
                self.file, self.object, self.path, self.message
            )
        }
    }
}

/// How one (apiVersion, kind) pair is verified.
#[derive(Debug, Clone, Copy)]
enum Checker {
    Builtin(BuiltinKind),
    Crd(Kind),
    Kustomization,
}

/// The kind table says how each kind dbgen writes is checked; `Secret` is checked too, so
/// its policy guards any future output.
fn checker_for(api_version: &str, kind: &str) -> Option<Checker> {
    if api_version == builtin::SECRET.api_version && kind == builtin::SECRET.kind {
        return Some(Checker::Builtin(builtin::SECRET));
    }
    let kind = Kind::of_document(api_version, kind)?;
    match kind.spec().check {
        Check::Builtin => builtin::of(kind).map(Checker::Builtin),
        Check::Crd { .. } => Some(Checker::Crd(kind)),
        Check::Kustomization => Some(Checker::Kustomization),
        Check::NotAnObject => None,
    }
}

/// The (apiVersion, kind) pairs this verifier can check, for documentation and tests.
pub fn supported_kinds() -> Vec<(&'static str, &'static str)> {
    Kind::all()
        .map(Kind::spec)
        .filter(|spec| spec.check != Check::NotAnObject)
        .filter_map(|spec| Some((spec.api_version?, spec.name)))
        .chain([(builtin::SECRET.api_version, builtin::SECRET.kind)])
        .collect()
}

/// Verifies rendered objects; holds the lazily compiled CRD validators, so
/// reuse one instance for a whole render.
#[derive(Debug, Default)]
pub struct Verifier {
    schemas: SchemaCache,
}

impl Verifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks one object (a parsed YAML document as `serde_json::Value`).
    pub fn verify_object(&self, file: &str, doc: &Value) -> Vec<ObjectProblem> {
        let mut issues = self.object_issues(doc);
        issues.sort();
        issues.dedup();
        let object = describe(doc);
        issues
            .into_iter()
            .map(|issue| problem(file, &object, issue))
            .collect()
    }

    /// Cross-object checks over a whole environment tree of (file, doc) pairs, owned or
    /// borrowed.
    pub fn verify_tree<F: AsRef<str>, D: Borrow<Value>>(
        &self,
        objects: &[(F, D)],
    ) -> Vec<ObjectProblem> {
        let mut tree = TreeCheck::default();
        for (file, doc) in objects {
            tree.add(file.as_ref(), doc.borrow());
        }
        tree.finish()
    }

    fn object_issues(&self, doc: &Value) -> Vec<Issue> {
        let Some(object) = doc.as_object() else {
            return vec![Issue::at("", "the document is not a mapping")];
        };
        let (api_version, kind) = match type_header(object) {
            Ok(header) => header,
            Err(issues) => return issues,
        };
        match checker_for(api_version, kind) {
            None => vec![Issue::at("", unsupported_message(api_version, kind))],
            Some(Checker::Kustomization) => kustomize::check(doc),
            Some(Checker::Builtin(builtin)) => {
                let mut issues = builtin::check(&self.schemas, &builtin, doc);
                issues.extend(meta::check(
                    &self.schemas,
                    object,
                    kind,
                    builtin.scope,
                    builtin.name_rule,
                ));
                issues
            }
            Some(Checker::Crd(crd)) => {
                let mut issues = crd::check(&self.schemas, crd, doc);
                // CEL rules assume a schema-valid object, as the API server's do.
                if issues.is_empty() {
                    issues = cel::check(crd, doc);
                }
                issues.extend(meta::check(
                    &self.schemas,
                    object,
                    kind,
                    crd.spec().scope,
                    NameRule::Dns1123Subdomain,
                ));
                issues
            }
        }
    }
}

/// Reads `apiVersion` and `kind`, reporting every missing or non-string one.
fn type_header(object: &Map<String, Value>) -> Result<(&str, &str), Vec<Issue>> {
    let read = |field: &str| match object.get(field) {
        Some(Value::String(text)) => Ok(text.as_str()),
        Some(_) => Err(Issue::at(field, format!("`{field}` must be a string"))),
        None => Err(Issue::at(field, format!("missing field `{field}`"))),
    };
    match (read("apiVersion"), read("kind")) {
        (Ok(api_version), Ok(kind)) => Ok((api_version, kind)),
        (api_version, kind) => Err([api_version.err(), kind.err()]
            .into_iter()
            .flatten()
            .collect()),
    }
}

/// Names the versions dbgen does know for this kind, since a stale apiVersion
/// (ESO `v1beta1`) is the usual cause.
fn unsupported_message(api_version: &str, kind: &str) -> String {
    let known: Vec<&str> = supported_kinds()
        .into_iter()
        .filter(|(_, supported)| *supported == kind)
        .map(|(version, _)| version)
        .collect();
    let base = format!("no schema for {api_version} {kind}: dbgen cannot verify it");
    if known.is_empty() {
        base
    } else {
        format!("{base} (supported: {})", known.join(", "))
    }
}

/// `Kind namespace/name`, or `Kind name` when there is no namespace; a
/// Kustomization has no name, so its kind alone identifies it in its file.
fn describe(doc: &Value) -> String {
    let field = |pointer: &str| doc.pointer(pointer).and_then(Value::as_str);
    let kind = field("/kind").unwrap_or("object");
    match (field("/metadata/namespace"), field("/metadata/name")) {
        (None, None) if kind == kustomize::KIND => kind.to_owned(),
        (namespace, name) => label(kind, namespace, name.unwrap_or("(unnamed)")),
    }
}

/// `Kind namespace/name`, or `Kind name` when there is no namespace.
fn label(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(namespace) => format!("{kind} {namespace}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// The cross-object checks of one environment tree, fed one object at a time in file
/// order (`verify_tree` does it for a slice): each document is read into the few facts the
/// checks need as it is added, so a render can drop its documents before the whole tree
/// is known. Same problems as `verify_tree` over the same objects in the same order.
#[derive(Debug, Default)]
pub struct TreeCheck {
    tree: tree::Tree,
}

impl TreeCheck {
    /// A check for a tree of about `objects` objects.
    pub fn with_capacity(objects: usize) -> Self {
        Self {
            tree: tree::Tree::with_capacity(objects),
        }
    }

    /// Reads the next object of the tree; `doc` is not kept.
    pub fn add(&mut self, file: &str, doc: &Value) {
        self.tree.add(file, doc);
    }

    /// The tree's problems, in object order then path order.
    pub fn finish(self) -> Vec<ObjectProblem> {
        let mut found = self.tree.check();
        found.sort();
        found.dedup();
        found
            .into_iter()
            .filter_map(|(index, issue)| {
                let (file, facts) = self.tree.object(index)?;
                Some(problem(file, &facts.describe(), issue))
            })
            .collect()
    }
}

fn problem(file: &str, object: &str, issue: Issue) -> ObjectProblem {
    ObjectProblem {
        file: file.to_owned(),
        object: object.to_owned(),
        path: issue.path.to_string(),
        message: issue.message,
    }
}
