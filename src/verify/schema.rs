//! The embedded JSON Schemas, shared by custom resources (`crd.rs`), built-in kinds
//! (`builtin.rs`) and `metadata` (`meta.rs`).
//! Input: a `SchemaId` (a kind-table row, `Secret` or `ObjectMeta`) and a document.
//! Output: the schema's text (inflated once per process from the bytes `build.rs`
//! compressed) and the document's violations as `Issue`s, with unknown fields reported one by
//! one (plus a close-match suggestion).
//! Invariant: each schema is parsed and compiled (by `validator`, draft 2020-12 semantics)
//! at most once per `SchemaCache`, on first use.

use std::fmt;
use std::sync::OnceLock;

use serde_json::Value;

use super::path::{FieldPath, Issue};
use super::validator::Schema;
use super::{builtin, crd};
use crate::plan::Kind;

/// Which embedded schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SchemaId {
    /// The schema of a kind-table row (a custom resource or a built-in kind).
    Kind(Kind),
    /// `Secret`, checked though dbgen writes none (see `builtin::SECRET`).
    Secret,
    /// `metadata` of every object.
    ObjectMeta,
}

impl SchemaId {
    fn slot(self) -> usize {
        let kinds = Kind::all().count();
        match self {
            Self::Kind(kind) => kind as usize,
            Self::Secret => kinds,
            Self::ObjectMeta => kinds + 1,
        }
    }

    fn slots() -> usize {
        Self::ObjectMeta.slot() + 1
    }

    /// The file under `schemas/` this schema was embedded from.
    pub(super) fn file(self) -> String {
        match self {
            Self::Kind(kind) if crd::compressed(kind).is_some() => {
                format!("schemas/crds/{}", crd::file(kind))
            }
            Self::Kind(kind) => format!("schemas/builtin/{}.json", kind.file_stem()),
            Self::Secret => "schemas/builtin/secret.json".to_owned(),
            Self::ObjectMeta => "schemas/builtin/objectmeta.json".to_owned(),
        }
    }

    fn compressed(self) -> Option<&'static [u8]> {
        match self {
            Self::Kind(kind) => crd::compressed(kind).or_else(|| builtin::compressed(kind)),
            Self::Secret => Some(builtin::SECRET_SCHEMA),
            Self::ObjectMeta => Some(builtin::OBJECT_META_SCHEMA),
        }
    }

    /// The embedded schema text, or `None` for a kind without a schema.
    pub(super) fn source(self) -> Option<&'static str> {
        static TEXTS: OnceLock<Vec<OnceLock<String>>> = OnceLock::new();
        let compressed = self.compressed()?;
        let slot = TEXTS
            .get_or_init(|| (0..Self::slots()).map(|_| OnceLock::new()).collect())
            .get(self.slot())?;
        Some(slot.get_or_init(|| {
            // build.rs wrote these bytes from a UTF-8 file; anything else is a broken build.
            let bytes = miniz_oxide::inflate::decompress_to_vec(compressed)
                .unwrap_or_else(|error| panic!("embedded {}: {error}", self.file()));
            String::from_utf8(bytes)
                .unwrap_or_else(|error| panic!("embedded {}: {error}", self.file()))
        }))
    }
}

/// Lazily compiled validators, one slot per `SchemaId`.
pub(super) struct SchemaCache {
    slots: Vec<OnceLock<Result<Schema, String>>>,
}

impl Default for SchemaCache {
    fn default() -> Self {
        Self {
            slots: (0..SchemaId::slots()).map(|_| OnceLock::new()).collect(),
        }
    }
}

impl fmt::Debug for SchemaCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let compiled = self
            .slots
            .iter()
            .filter(|slot| slot.get().is_some())
            .count();
        f.debug_struct("SchemaCache")
            .field("schemas", &self.slots.len())
            .field("compiled", &compiled)
            .finish()
    }
}

impl SchemaCache {
    pub(super) fn get(&self, id: SchemaId) -> Result<&Schema, String> {
        let (Some(slot), Some(source)) = (self.slots.get(id.slot()), id.source()) else {
            return Err(format!("{id:?} has no schema"));
        };
        slot.get_or_init(|| compile(source))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Every violation of `id`'s schema in `value`, with paths below `prefix` (where
    /// `value` sits in its document).
    pub(super) fn check(&self, id: SchemaId, value: &Value, prefix: &FieldPath) -> Vec<Issue> {
        match self.get(id) {
            Ok(schema) => issues(schema, value, prefix),
            Err(error) => vec![Issue::new(
                prefix.clone(),
                format!(
                    "embedded schema {} does not compile ({error}); this is a dbgen bug",
                    id.file()
                ),
            )],
        }
    }
}

fn compile(source: &str) -> Result<Schema, String> {
    let schema: Value = serde_json::from_str(source).map_err(|error| error.to_string())?;
    Schema::compile(&schema)
}

fn issues(schema: &Schema, value: &Value, prefix: &FieldPath) -> Vec<Issue> {
    // A valid object allocates nothing here: paths and messages are built on violations.
    schema.check(value, prefix)
}
