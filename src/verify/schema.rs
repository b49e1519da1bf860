//! The embedded JSON Schemas, shared by custom resources (`crd.rs`), built-in kinds
//! (`builtin.rs`) and `metadata` (`meta.rs`).
//! Input: a `SchemaId` (a kind-table row, `Secret` or `ObjectMeta`) and a document.
//! Output: the schema's text (inflated once per process from the bytes `build.rs`
//! compressed) and the document's violations as `Issue`s, with unknown fields reported one by
//! one (plus a close-match suggestion).
//! Invariant: each schema is parsed and compiled at most once per `SchemaCache`, on first
//! use, with the draft the files imply (2020-12, no `$schema`).

use std::fmt;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::path::{FieldPath, Issue};
use super::{builtin, crd};
use crate::plan::Kind;

/// Longest message kept from the validator: its messages embed the offending
/// value, which can be a whole sub-tree.
const MAX_MESSAGE_CHARS: usize = 300;

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

pub(super) struct Compiled {
    schema: Value,
    validator: Validator,
}

/// Lazily compiled validators, one slot per `SchemaId`.
pub(super) struct SchemaCache {
    slots: Vec<OnceLock<Result<Compiled, String>>>,
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
    pub(super) fn get(&self, id: SchemaId) -> Result<&Compiled, String> {
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
            Ok(compiled) => issues(compiled, value, prefix),
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

fn compile(source: &str) -> Result<Compiled, String> {
    let schema: Value = serde_json::from_str(source).map_err(|error| error.to_string())?;
    let validator = jsonschema::validator_for(&schema).map_err(|error| error.to_string())?;
    Ok(Compiled { schema, validator })
}

fn issues(compiled: &Compiled, value: &Value, prefix: &FieldPath) -> Vec<Issue> {
    // The common case, a valid object, skips building error values and their paths.
    if compiled.validator.is_valid(value) {
        return Vec::new();
    }
    compiled
        .validator
        .iter_errors(value)
        .flat_map(|error| convert(&compiled.schema, value, &error))
        .map(|issue| Issue::new(prefix.clone().join(issue.path), issue.message))
        .collect()
}

fn convert(schema: &Value, doc: &Value, error: &ValidationError<'_>) -> Vec<Issue> {
    let segments: Vec<String> = error
        .instance_path()
        .iter()
        .map(|segment| match segment {
            LocationSegment::Property(name) => name.into_owned(),
            LocationSegment::Index(index) => index.to_string(),
        })
        .collect();
    let path = FieldPath::from_pointer(doc, segments.iter().map(String::as_str));
    if let ValidationErrorKind::AdditionalProperties { unexpected } = error.kind() {
        let known = declared_properties(schema, error.schema_path().as_str());
        return unexpected
            .iter()
            .map(|field| {
                Issue::new(
                    path.clone().key(field),
                    unknown_field_message(field, &known),
                )
            })
            .collect();
    }
    let message = plain_message(schema, error).unwrap_or_else(|| error.to_string());
    vec![Issue::new(path, truncate(&message))]
}

/// The grammar of a Kubernetes quantity, as controller-gen writes it in the CRDs and
/// `xtask` in the built-in schemas.
const QUANTITY_PATTERN: &str = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";

const QUANTITY: &str = "a quantity such as \"500m\", \"2\" or \"1Gi\"";

/// A sentence for the errors whose validator wording says nothing to a reader (a failed
/// `anyOf` over simple types, the quantity regular expression); `None` keeps the validator's.
fn plain_message(schema: &Value, error: &ValidationError<'_>) -> Option<String> {
    let value = error.instance();
    match error.kind() {
        ValidationErrorKind::Pattern { pattern } if pattern == QUANTITY_PATTERN => {
            Some(format!("{value} is not {QUANTITY}"))
        }
        ValidationErrorKind::AnyOf { .. } => {
            let node = schema.pointer(error.schema_path().as_str())?;
            let expected = node
                .as_array()?
                .iter()
                .filter(|alternative| !is_null_type(alternative))
                .map(describe)
                .collect::<Option<Vec<_>>>()?;
            Some(format!("{value} is not {}", expected.join(" or ")))
        }
        // `type: [integer, "null"]` (an optional field of a built-in kind): saying the value
        // is not null either tells the reader nothing.
        ValidationErrorKind::Type { .. } => {
            let types = schema.pointer(error.schema_path().as_str())?.as_array()?;
            match types.as_slice() {
                [Value::String(kind), Value::String(null)] if null == "null" => {
                    Some(format!("{value} is not of type \"{kind}\""))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_null_type(alternative: &Value) -> bool {
    alternative.get("type").and_then(Value::as_str) == Some("null")
}

/// "an integer", "a string", ... for an `anyOf` alternative that is a bare type.
fn describe(alternative: &Value) -> Option<&'static str> {
    let fields = alternative.as_object()?;
    let pattern = fields.get("pattern").and_then(Value::as_str);
    let simple = fields.keys().all(|key| key == "type" || key == "pattern");
    match (fields.get("type")?.as_str()?, pattern) {
        _ if !simple => None,
        ("string", Some(QUANTITY_PATTERN)) => Some(QUANTITY),
        ("integer", None) => Some("an integer"),
        ("number", None) => Some("a number"),
        ("string", None) => Some("a string"),
        ("boolean", None) => Some("a boolean"),
        _ => None,
    }
}

/// The schema object whose `additionalProperties: false` fired lists the
/// fields that were expected; they feed the "did you mean" hint.
fn declared_properties<'s>(schema: &'s Value, keyword_location: &str) -> Vec<&'s str> {
    let parent = keyword_location
        .strip_suffix("/additionalProperties")
        .unwrap_or(keyword_location);
    schema
        .pointer(parent)
        .and_then(|object| object.get("properties"))
        .and_then(Value::as_object)
        .map(|properties| properties.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn unknown_field_message(field: &str, known: &[&str]) -> String {
    match closest(field, known) {
        Some(candidate) => format!("unknown field `{field}` (did you mean `{candidate}`?)"),
        None => format!("unknown field `{field}`"),
    }
}

/// Ties keep the first candidate in schema order, so the hint is deterministic.
fn closest<'k>(field: &str, known: &[&'k str]) -> Option<&'k str> {
    const MIN_SIMILARITY: f64 = 0.8;
    let mut best: Option<(&str, f64)> = None;
    for candidate in known {
        let score = strsim::jaro_winkler(field, candidate);
        if score >= MIN_SIMILARITY && best.is_none_or(|(_, top)| score > top) {
            best = Some((candidate, score));
        }
    }
    best.map(|(candidate, _)| candidate)
}

fn truncate(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_owned();
    }
    let kept: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    format!("{kept}…")
}
