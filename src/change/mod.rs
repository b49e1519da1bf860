//! The change plan: what applying a fresh render over the committed tree does to the
//! running databases (`dbgen plan`, and the gate `render` passes in protected
//! environments).
//!
//! Input: the committed tree (the files dbgen owns in the output directory, as `GitOps`
//! applies them), the freshly compiled manifests and the spec's `Safety` (protected
//! environments, `[[acknowledge]]` entries). Output: per environment, every object
//! added, changed or removed with one consequence class, a reason naming the field,
//! the remedy for dangerous classes, and whether an acknowledgement covers it.
//! Invariant: computed offline and deterministically; nothing is written; a change no
//! row of the consequence table covers is never `in-place`.

mod class;
mod diff;
pub mod guard;
mod guc;
mod login;
mod report;
mod table;
mod transition;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

pub use self::class::{Class, Verdict};
pub use self::diff::Identity;
use self::diff::{FieldChange, ObjectDiff, Objects};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::Span;

/// Protected environments and the spec's acknowledgements.
#[derive(Debug, Clone, Default)]
pub struct Safety {
    pub protected: BTreeSet<String>,
    pub acknowledgements: Vec<Acknowledgement>,
}

/// One `[[acknowledge]]` entry.
#[derive(Debug, Clone)]
pub struct Acknowledgement {
    pub environment: String,
    pub object: String,
    pub class: Class,
    pub reason: String,
    pub span: Option<Span>,
}

/// What happens to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Add,
    Change,
    Remove,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Change => "change",
            Action::Remove => "remove",
        }
    }
}

/// One planned change of one object.
#[derive(Debug, Clone)]
pub struct Change {
    pub action: Action,
    pub object: Identity,
    /// The file, relative to the output directory.
    pub file: String,
    pub verdict: Verdict,
    /// Every changed field path (empty for add and remove).
    pub fields: Vec<String>,
    /// The reason of the acknowledgement that covers it, when one does.
    pub acknowledged: Option<String>,
}

impl Change {
    /// Whether this change stops `render` in its (protected) environment.
    fn blocks(&self, protected: bool) -> bool {
        protected && self.verdict.class.needs_acknowledgement() && self.acknowledged.is_none()
    }
}

/// The changes of one environment, most dangerous first.
#[derive(Debug, Clone)]
pub struct EnvChanges {
    pub name: String,
    pub protected: bool,
    pub changes: Vec<Change>,
}

/// The whole plan.
#[derive(Debug, Clone)]
pub struct ChangePlan {
    pub environments: Vec<EnvChanges>,
    /// Acknowledgements that match no change, by index in `Safety::acknowledgements`.
    pub stale: Vec<usize>,
}

impl ChangePlan {
    /// Changes that need an acknowledgement they do not have.
    pub fn blocking(&self) -> impl Iterator<Item = (&EnvChanges, &Change)> {
        self.environments.iter().flat_map(|env| {
            env.changes
                .iter()
                .filter(|c| c.blocks(env.protected))
                .map(move |c| (env, c))
        })
    }

    pub fn is_empty(&self) -> bool {
        self.environments.iter().all(|e| e.changes.is_empty())
    }

    /// `plan`'s exit code: 0 no change, 1 changes that need no acknowledgement,
    /// 4 an unacknowledged `data-loss`/`rejected`/`login-kept` change in a protected
    /// environment.
    pub fn exit_code(&self) -> u8 {
        if self.blocking().next().is_some() {
            4
        } else {
            u8::from(!self.is_empty())
        }
    }

    /// Warnings for acknowledgements that cover nothing, at their spec lines.
    pub fn stale_warnings(&self, safety: &Safety) -> Vec<Diagnostic> {
        self.stale
            .iter()
            .filter_map(|i| safety.acknowledgements.get(*i))
            .map(|ack| {
                Diagnostic::warning(
                    Code::StaleAcknowledgement,
                    ack.span.clone(),
                    format!(
                        "acknowledgement of {} `{}` in `{}` matches no pending change",
                        ack.class.as_str(),
                        ack.object,
                        ack.environment
                    ),
                )
                .with_label("covers nothing")
                .with_help(
                    "remove it once the change it covered is rendered and merged, so none lingers",
                )
            })
            .collect()
    }

    pub fn to_json(&self) -> serde_json::Value {
        report::json(self)
    }

    pub fn to_text(&self, color: bool) -> String {
        report::text(self, color)
    }
}

/// The committed tree: every file dbgen's ownership manifest in `out` lists. A
/// directory without a manifest holds nothing of dbgen's (everything is new).
pub fn read_tree(out: &Path) -> io::Result<BTreeMap<String, String>> {
    read_tree_where(out, |_| true)
}

/// The files of the committed tree whose path `keep` accepts.
pub fn read_tree_where(
    out: &Path,
    keep: impl Fn(&str) -> bool,
) -> io::Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    read_listed(out, keep, |path, bytes| {
        files.insert(path.to_owned(), into_text(bytes.to_vec())?);
        Ok(())
    })?;
    Ok(files)
}

/// One environment of the committed tree, read against its fresh render.
#[derive(Debug, Default)]
pub struct CommittedEnv {
    /// Files whose committed text is exactly their rendered text; that text is not kept.
    same: BTreeSet<String>,
    /// The text of every other committed file of the environment.
    texts: BTreeMap<String, String>,
}

/// The committed files of environment `env`, each compared with its file in `rendered`
/// as it is read: a render holds only the committed files that differ, not the whole
/// environment twice. A file `known_same` accepts (`Committed::slim` found it
/// byte-identical to its render) is not read again.
pub fn read_environment(
    out: &Path,
    env: &str,
    rendered: &[crate::render::Manifest],
    known_same: impl Fn(&str) -> bool,
) -> io::Result<CommittedEnv> {
    let prefix = format!("{env}/");
    let texts: BTreeMap<&str, &str> = rendered
        .iter()
        .map(|m| (m.path.as_str(), m.text.as_str()))
        .collect();
    let mut committed = CommittedEnv::default();
    let mut listed_same = Vec::new();
    read_listed(
        out,
        |path| {
            if !path.starts_with(&prefix) {
                return false;
            }
            if known_same(path) {
                listed_same.push(path.to_owned());
                return false;
            }
            true
        },
        |path, bytes| {
            if texts.get(path).is_some_and(|t| t.as_bytes() == bytes) {
                committed.same.insert(path.to_owned());
            } else {
                committed
                    .texts
                    .insert(path.to_owned(), into_text(bytes.to_vec())?);
            }
            Ok(())
        },
    )?;
    committed.same.extend(listed_same);
    Ok(committed)
}

/// Hands every file that the ownership manifest in `out` lists and `keep` accepts to
/// `each`, as bytes read into one reused buffer.
fn read_listed(
    out: &Path,
    mut keep: impl FnMut(&str) -> bool,
    mut each: impl FnMut(&str, &[u8]) -> io::Result<()>,
) -> io::Result<()> {
    use std::io::Read as _;
    let Some(manifest) = ownership_manifest(out)? else {
        return Ok(());
    };
    let mut buffer = Vec::new();
    for path in listed_paths(&manifest) {
        if !keep(path) {
            continue;
        }
        buffer.clear();
        match std::fs::File::open(out.join(path)).and_then(|mut f| f.read_to_end(&mut buffer)) {
            Ok(_) => each(path, &buffer)?,
            // Listed but deleted by hand: GitOps no longer applies it either.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The text of the ownership manifest in `out`; `None` when there is none.
fn ownership_manifest(out: &Path) -> io::Result<Option<String>> {
    match std::fs::read_to_string(out.join(crate::emit::MANIFEST)) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The paths an ownership manifest lists; only plain relative ones, since the manifest
/// may have been edited by hand.
fn listed_paths(manifest: &str) -> impl Iterator<Item = &str> {
    manifest.lines().skip(1).filter_map(|line| {
        let path = line.trim_end_matches('\r');
        let plain = !(path.is_empty()
            || path.starts_with('/')
            || path
                .split('/')
                .any(|s| s == ".." || s == "." || s.is_empty()));
        plain.then_some(path)
    })
}

/// The committed tree in `out` as a planned environment's render meets it, one manifest
/// at a time: which files the ownership manifest lists. A manifest whose committed file
/// holds exactly its text is unchanged, and of most kinds the change plan then needs only
/// its identity (`plan_environment` skips it), so its document can shrink to that at once
/// instead of being held until the whole environment is rendered.
#[derive(Debug, Default)]
pub struct Committed {
    listed: HashSet<String>,
}

impl Committed {
    pub fn read(out: &Path) -> io::Result<Self> {
        let listed = ownership_manifest(out)?
            .map(|manifest| listed_paths(&manifest).map(str::to_owned).collect())
            .unwrap_or_default();
        Ok(Self { listed })
    }

    /// Whether the committed file of `manifest` (which has its text) holds exactly that
    /// text; if so, and the change plan will skip it, its document keeps only the fields
    /// its identity is read from. A file that cannot be read is not known to be the same
    /// (`read_environment` reads it again and reports the error).
    pub fn slim(&self, out: &Path, manifest: &mut crate::render::Manifest) -> bool {
        if !self.listed.contains(&manifest.path) {
            return false;
        }
        let same = std::fs::read(out.join(&manifest.path))
            .is_ok_and(|bytes| bytes == manifest.text.as_bytes());
        if same
            && manifest.kind != crate::plan::Kind::Kustomization
            && diff::identity(&manifest.path, &manifest.document)
                .is_some_and(|id| !login::reads(&id.kind))
        {
            manifest.document = identity_only(&manifest.document);
        }
        same
    }
}

/// The fields of `document` that `diff::identity` reads, and no other.
fn identity_only(document: &Value) -> Value {
    let mut metadata = serde_json::Map::new();
    for key in ["name", "namespace"] {
        if let Some(value) = document["metadata"].get(key) {
            metadata.insert(key.to_owned(), value.clone());
        }
    }
    let mut slim = serde_json::Map::new();
    for key in ["apiVersion", "kind"] {
        if let Some(value) = document.get(key) {
            slim.insert(key.to_owned(), value.clone());
        }
    }
    slim.insert("metadata".to_owned(), Value::Object(metadata));
    Value::Object(slim)
}

/// A committed file's text; not UTF-8 fails as `read_to_string` does.
fn into_text(bytes: Vec<u8>) -> io::Result<String> {
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// The objects of a freshly compiled render; owned documents move, borrowed ones are copied.
fn rendered_objects<'a>(
    manifests: impl Iterator<Item = (&'a str, String, crate::plan::Kind, Cow<'a, Value>)>,
) -> Objects {
    let mut objects: Objects = BTreeMap::new();
    for (env, file, kind, document) in manifests {
        if kind == crate::plan::Kind::Kustomization {
            continue;
        }
        if let Some(id) = diff::identity(&file, &document) {
            objects.entry(env.to_owned()).or_default().insert(
                id,
                diff::Object {
                    file,
                    document: document.into_owned(),
                },
            );
        }
    }
    objects
}

/// Plans the change from the `committed` files to the `rendered` environments.
pub fn plan(
    committed: &BTreeMap<String, String>,
    rendered: &[(String, Vec<crate::render::Manifest>)],
    safety: &Safety,
) -> ChangePlan {
    let names: Vec<&str> = rendered.iter().map(|(name, _)| name.as_str()).collect();
    let manifests = rendered.iter().flat_map(|(env, manifests)| {
        manifests.iter().map(|m| {
            (
                env.as_str(),
                m.path.clone(),
                m.kind,
                Cow::Borrowed(&m.document),
            )
        })
    });
    plan_objects(
        diff::objects(committed),
        &names,
        rendered_objects(manifests),
        safety,
    )
}

/// `plan` over one rendered environment. The documents move out of `rendered` into the
/// plan rather than being copied (each manifest keeps its path and text). An object
/// whose committed file holds exactly its rendered text is unchanged, so neither side
/// of it is parsed or kept, unless another object's change reads it (`login::reads`)
/// or the committed tree declares the same object in another file as well (then
/// everything is compared, as `plan` does).
pub fn plan_environment(
    committed: &CommittedEnv,
    env: &str,
    rendered: &mut [crate::render::Manifest],
    safety: &Safety,
) -> ChangePlan {
    // Identity of each skipped object → its index in `rendered`.
    let mut skipped: BTreeMap<Identity, usize> = BTreeMap::new();
    // The committed document of every file that takes part, by path: the order in which
    // `diff::objects` reads them, so that the last of two files declaring one object wins
    // as it does there.
    let mut committed_documents: BTreeMap<String, Value> = BTreeMap::new();
    let mut manifests = Vec::with_capacity(rendered.len());
    for (index, m) in rendered.iter_mut().enumerate() {
        let document = std::mem::take(&mut m.document);
        let same = committed.same.contains(&m.path);
        if m.kind != crate::plan::Kind::Kustomization
            && same
            && let Some(id) = diff::identity(&m.path, &document)
            && !login::reads(&id.kind)
        {
            skipped.insert(id, index);
            continue;
        }
        if same {
            // The committed text is the rendered text, and `yaml::parse(yaml::emit(v)) == v`:
            // the committed object is this document, with no text to parse.
            committed_documents.insert(m.path.clone(), document.clone());
        }
        manifests.push((env, m.path.clone(), m.kind, Cow::Owned(document)));
    }
    for (path, text) in &committed.texts {
        if let Some(document) = diff::parsed(path, text) {
            committed_documents.insert(path.clone(), document);
        }
    }
    let mut old: diff::Objects = BTreeMap::new();
    for (path, document) in committed_documents {
        diff::insert(&mut old, &path, document);
    }
    let mut new = rendered_objects(manifests.into_iter());
    if !old
        .values()
        .flat_map(BTreeMap::keys)
        .any(|id| skipped.contains_key(id))
    {
        return plan_objects(old, &[env], new, safety);
    }
    // The committed tree also declares a skipped object in another file: compare
    // everything, as `plan` does. The skipped objects' committed texts are their
    // rendered texts.
    let again = skipped.values().map(|index| {
        let m = &rendered[*index];
        (&m.path, &m.text)
    });
    for (env, objects) in diff::objects(again) {
        new.entry(env).or_default().extend(objects);
    }
    let same = rendered
        .iter()
        .filter(|m| committed.same.contains(&m.path))
        .map(|m| (&m.path, &m.text));
    let mut all = diff::objects(same);
    for (env, objects) in diff::objects(&committed.texts) {
        all.entry(env).or_default().extend(objects);
    }
    plan_objects(all, &[env], new, safety)
}

fn plan_objects(old: Objects, rendered: &[&str], new: Objects, safety: &Safety) -> ChangePlan {
    // Spec order first, then environments only the committed tree still has.
    let mut order: Vec<String> = rendered.iter().map(|name| (*name).to_owned()).collect();
    order.extend(
        old.keys()
            .filter(|k| !rendered.contains(&k.as_str()))
            .cloned(),
    );
    let empty = BTreeMap::new();
    let mut kept_in: BTreeMap<&String, _> = order
        .iter()
        .map(|env| {
            let kept = login::kept(
                old.get(env).unwrap_or(&empty),
                new.get(env).unwrap_or(&empty),
            );
            (env, kept)
        })
        .collect();
    // The objects move into the differences; nothing reads them after this.
    let diffs = diff::diff(old, new);
    let mut used = vec![false; safety.acknowledgements.len()];
    let mut environments = Vec::new();
    for env in &order {
        let protected = safety.protected.contains(env)
            || (!rendered.contains(&env.as_str())
                && crate::defaults::PRODUCTION_ENVIRONMENTS.contains(&env.as_str()));
        let kept = kept_in.remove(env).unwrap_or_default();
        let mut changes: Vec<Change> = diffs
            .get(env)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|(id, d)| {
                let mut change = classify(id, d);
                // A login left behind outranks what the object's own fields say, unless
                // they say something worse (which needs an acknowledgement anyway).
                if let Some(roles) = kept.get(id)
                    && change.verdict.class < Class::LoginKept
                {
                    change.verdict = table::login_kept(&id.kind, roles);
                }
                change
            })
            .collect();
        for change in &mut changes {
            let reference = change.object.reference();
            if let Some((i, ack)) = safety.acknowledgements.iter().enumerate().find(|(_, a)| {
                a.environment == *env && a.object == reference && a.class == change.verdict.class
            }) {
                used[i] = true;
                change.acknowledged = Some(ack.reason.clone());
            }
        }
        changes.sort_by(|a, b| {
            b.verdict
                .class
                .cmp(&a.verdict.class)
                .then_with(|| a.object.cmp(&b.object))
        });
        environments.push(EnvChanges {
            name: env.clone(),
            protected,
            changes,
        });
    }
    let stale = used
        .iter()
        .enumerate()
        .filter(|(_, u)| !**u)
        .map(|(i, _)| i)
        .collect();
    ChangePlan {
        environments,
        stale,
    }
}

fn classify(id: &Identity, d: &ObjectDiff) -> Change {
    match d {
        ObjectDiff::Add(object) => Change {
            action: Action::Add,
            object: id.clone(),
            file: object.file.clone(),
            verdict: table::added(&id.kind),
            fields: Vec::new(),
            acknowledged: None,
        },
        ObjectDiff::Remove(object) => Change {
            action: Action::Remove,
            object: id.clone(),
            file: object.file.clone(),
            verdict: table::removed(&id.kind, &object.document),
            fields: Vec::new(),
            acknowledged: None,
        },
        ObjectDiff::Change { old, new, fields } => {
            let broken = transition::broken(&old.document, &new.document);
            let verdict = fields
                .iter()
                .map(|f| field_verdict(&id.kind, f, &old.document, &new.document, &broken))
                // The first field of the most dangerous class explains the object.
                .reduce(|best, v| if v.class > best.class { v } else { best })
                .unwrap_or_else(|| Verdict::new(Class::Restart, "changed"));
            Change {
                action: Action::Change,
                object: id.clone(),
                file: new.file.clone(),
                verdict,
                fields: fields.iter().map(|f| f.path.clone()).collect(),
                acknowledged: None,
            }
        }
    }
}

fn field_verdict(
    kind: &str,
    field: &FieldChange,
    old: &serde_json::Value,
    new: &serde_json::Value,
    broken: &[transition::Broken],
) -> Verdict {
    let under = |rule: &str| {
        field.path == rule
            || field
                .path
                .strip_prefix(rule)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    };
    // The API server refuses the whole update when a rule breaks; the fields under
    // the rule's path say why.
    if let Some(rule) = broken.iter().find(|b| under(&b.path)) {
        return table::crd_rule(&field.path, &rule.message, rule.evaluated);
    }
    table::field(kind, &field.path, old, new)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::Committed;
    use crate::plan::Kind;
    use crate::render::{self, Manifest};

    fn manifest(path: &str, kind: Kind, document: serde_json::Value) -> Manifest {
        let mut manifest = Manifest {
            path: path.to_owned(),
            kind,
            document,
            text: String::new(),
        };
        manifest.text = render::text(&manifest).unwrap();
        manifest
    }

    /// A CNPG object of `kind` named `name`, at the path a render gives it.
    fn cnpg(kind: Kind, name: &str) -> Manifest {
        let path = format!("prod/databases/{}-{name}.yaml", kind.file_stem());
        manifest(&path, kind, object(kind.spec().name, name))
    }

    fn object(kind: &str, name: &str) -> serde_json::Value {
        json!({
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": kind,
            "metadata": {"name": name, "namespace": "databases", "labels": {"a": "b"}},
            "spec": {"cluster": {"name": "pg"}, "name": name, "owner": name}
        })
    }

    /// An unchanged object the change plan skips keeps only its identity; one whose
    /// document a login check reads, a changed one and one the committed tree does not
    /// list keep their whole document, and only unchanged listed files count as the same.
    #[test]
    fn slim_keeps_only_what_the_plan_reads_of_unchanged_objects() {
        let database = cnpg(Kind::Database, "pg-app");
        let role = cnpg(Kind::DatabaseRole, "pg-app");
        let changed = cnpg(Kind::Database, "pg-b");
        let unlisted = cnpg(Kind::Database, "pg-c");
        let dir = tempfile::tempdir().unwrap();
        // The committed tree: `changed` as an earlier render wrote it, under another owner.
        let earlier = manifest(&changed.path, Kind::Database, {
            let mut document = changed.document.clone();
            document["spec"]["owner"] = json!("someone-else");
            document
        });
        let files: BTreeMap<String, String> = [&database, &role, &earlier]
            .iter()
            .map(|m| (m.path.clone(), m.text.clone()))
            .collect();
        crate::emit::Tree::new(files)
            .unwrap()
            .write(dir.path())
            .unwrap();
        std::fs::write(dir.path().join(&unlisted.path), &unlisted.text).unwrap();
        let committed = Committed::read(dir.path()).unwrap();

        let mut slim = database.clone();
        assert!(committed.slim(dir.path(), &mut slim));
        assert_eq!(
            slim.document,
            json!({
                "apiVersion": "postgresql.cnpg.io/v1",
                "kind": "Database",
                "metadata": {"name": "pg-app", "namespace": "databases"}
            })
        );
        assert_eq!(
            super::diff::identity(&slim.path, &slim.document),
            super::diff::identity(&database.path, &database.document)
        );
        for (mut kept, same) in [(role, true), (changed, false), (unlisted, false)] {
            let document = kept.document.clone();
            assert_eq!(committed.slim(dir.path(), &mut kept), same, "{}", kept.path);
            assert_eq!(kept.document, document, "{}", kept.path);
        }
    }
}
