//! Custom resources, checked against the upstream CRD JSON Schemas embedded
//! from `schemas/crds/` (see `schemas/README.md` for provenance), compressed by
//! `build.rs` and inflated once per process on first use.
//! Input: one document whose (apiVersion, kind) is a `crd` row of the kind table
//! (`plan::kind_table!`), which names its schema file.
//! Output: issues for unexpected top-level keys and every schema violation,
//! with unknown fields reported one by one (plus a close-match suggestion).
//! Invariant: each schema is parsed and compiled at most once per `SchemaCache`,
//! on first use, with the draft the files imply (2020-12, no `$schema`).

use std::fmt;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::path::{FieldPath, Issue};
use crate::plan::{Check, Kind};

/// A row's embedded (compressed) schema, or `None` for a kind that is not a custom resource.
macro_rules! schema {
    (crd($group:literal, $version:literal, $scope:ident, $file:literal)) => {
        Some(include_bytes!(concat!(
            env!("OUT_DIR"),
            "/crds/",
            $group,
            "/",
            $file,
            ".deflate"
        )))
    };
    (crd($group:literal, $version:literal, $scope:ident, $file:literal, $name:literal)) => {
        schema!(crd($group, $version, $scope, $file))
    };
    ($other:ident($($args:tt)*)) => {
        None
    };
}

macro_rules! crd_rows {
    ($(
        $variant:ident($data:ty) $stem:literal,
        $render:ident($($render_args:tt)*),
        $check:ident($($check_args:tt)*);
    )*) => {
        /// The compressed schema of each custom-resource row of the kind table.
        fn compressed(kind: Kind) -> Option<&'static [u8]> {
            match kind {
                $(Kind::$variant => schema!($check($($check_args)*)),)*
                Kind::Kustomization => None,
            }
        }
    };
}

crate::plan::kind_table!(crd_rows);

/// The embedded schema text of a custom-resource kind.
pub(super) fn source(kind: Kind) -> Option<&'static str> {
    static TEXTS: OnceLock<Vec<OnceLock<String>>> = OnceLock::new();
    let compressed = compressed(kind)?;
    let slot = TEXTS
        .get_or_init(|| Kind::all().map(|_| OnceLock::new()).collect())
        .get(kind as usize)?;
    Some(slot.get_or_init(|| {
        // build.rs wrote these bytes from a UTF-8 file; anything else is a broken build.
        let bytes = miniz_oxide::inflate::decompress_to_vec(compressed)
            .unwrap_or_else(|error| panic!("embedded schemas/crds/{}: {error}", file(kind)));
        String::from_utf8(bytes)
            .unwrap_or_else(|error| panic!("embedded schemas/crds/{}: {error}", file(kind)))
    }))
}

/// The schema file of a custom-resource kind, below `schemas/crds/`.
pub(super) fn file(kind: Kind) -> &'static str {
    match kind.spec().check {
        Check::Crd { file } => file,
        _ => "?",
    }
}

/// The schemas leave the root open, so the allowed top-level keys are ours to
/// enforce; `status` is written by controllers, never by dbgen.
const TOP_LEVEL_KEYS: [&str; 4] = ["apiVersion", "kind", "metadata", "spec"];

/// Longest message kept from the validator: its messages embed the offending
/// value, which can be a whole sub-tree.
const MAX_MESSAGE_CHARS: usize = 300;

pub(super) struct Compiled {
    schema: Value,
    validator: Validator,
}

/// Lazily compiled validators, one slot per kind (only custom resources use theirs).
pub(super) struct SchemaCache {
    slots: Vec<OnceLock<Result<Compiled, String>>>,
}

impl Default for SchemaCache {
    fn default() -> Self {
        Self {
            slots: Kind::all().map(|_| OnceLock::new()).collect(),
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
    pub(super) fn get(&self, kind: Kind) -> Result<&Compiled, String> {
        let (Some(slot), Some(source)) = (self.slots.get(kind as usize), source(kind)) else {
            return Err(format!("{kind:?} has no schema"));
        };
        slot.get_or_init(|| compile(source))
            .as_ref()
            .map_err(Clone::clone)
    }
}

fn compile(source: &str) -> Result<Compiled, String> {
    let schema: Value = serde_json::from_str(source).map_err(|error| error.to_string())?;
    let validator = jsonschema::validator_for(&schema).map_err(|error| error.to_string())?;
    Ok(Compiled { schema, validator })
}

pub(super) fn check(cache: &SchemaCache, kind: Kind, doc: &Value) -> Vec<Issue> {
    let mut issues = top_level_keys(doc);
    match cache.get(kind) {
        Ok(compiled) => issues.extend(schema_issues(compiled, doc)),
        Err(error) => {
            let file = file(kind);
            issues.push(Issue::new(
                FieldPath::root(),
                format!("embedded schema schemas/crds/{file} does not compile ({error}); this is a dbgen bug"),
            ));
        }
    }
    issues
}

fn top_level_keys(doc: &Value) -> Vec<Issue> {
    let Some(map) = doc.as_object() else {
        return Vec::new();
    };
    map.keys()
        .filter(|key| !TOP_LEVEL_KEYS.contains(&key.as_str()))
        .map(|key| {
            Issue::new(
                FieldPath::root().key(key),
                format!("unknown top-level field `{key}`: a custom resource has only apiVersion, kind, metadata and spec"),
            )
        })
        .collect()
}

fn schema_issues(compiled: &Compiled, doc: &Value) -> Vec<Issue> {
    // The common case, a valid object, skips building error values and their paths.
    if compiled.validator.is_valid(doc) {
        return Vec::new();
    }
    compiled
        .validator
        .iter_errors(doc)
        .flat_map(|error| convert(&compiled.schema, doc, &error))
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
    vec![Issue::new(path, truncate(&error.to_string()))]
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
