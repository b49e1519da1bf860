//! The shape pass: every syntax error, unknown key, wrong type and missing key at once.
//!
//! Input: a registered TOML source and the target type `T` (serde + schemars).
//! Output: `Document<T>` with a `SpanIndex`, or all problems found. The JSON Schema
//! that schemars derives from `T` drives the walk, so the checks cannot drift from
//! the types; serde then decodes, and would only fail here on a bug in this walk.
//! Invariant: a returned `Document` always decoded without error.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value as Schema;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::Document;
use super::duplicate;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Sources, Span};
use crate::suggest::did_you_mean;

/// A path of keys from the document root, e.g. `["apps", "docspell", "postgres"]`.
pub type TomlPath = Vec<String>;

/// Where each key and value of a document is.
#[derive(Debug, Clone, Default)]
pub struct SpanIndex {
    entries: BTreeMap<TomlPath, (Range<usize>, Range<usize>)>,
}

impl SpanIndex {
    pub fn value(&self, path: &[&str]) -> Option<Range<usize>> {
        self.lookup(path).map(|(_, value)| value.clone())
    }

    pub fn key(&self, path: &[&str]) -> Option<Range<usize>> {
        self.lookup(path).map(|(key, _)| key.clone())
    }

    fn lookup(&self, path: &[&str]) -> Option<&(Range<usize>, Range<usize>)> {
        let owned: TomlPath = path.iter().map(|s| (*s).to_string()).collect();
        self.entries.get(&owned)
    }
}

pub(super) fn load<T: DeserializeOwned + JsonSchema>(
    sources: &Sources,
    file: FileId,
) -> Result<Document<T>, Vec<Diagnostic>> {
    let text = &sources.get(file).text;
    let (root, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        let mut problems: Vec<Diagnostic> = errors
            .iter()
            .filter(|e| {
                e.message().trim_end() != "duplicate key"
                    || !e
                        .span()
                        .is_some_and(|s| duplicate::in_repeated_table(text, &s))
            })
            .map(|e| syntax_error(file, text, e))
            .collect();
        // The recovering parser can report one duplicate twice.
        problems.dedup_by(|a, b| a.message == b.message && a.span == b.span);
        return Err(problems);
    }
    let schema = schemars::schema_for!(T);
    let mut walk = Walk {
        file,
        root: schema.as_value(),
        problems: Vec::new(),
        index: SpanIndex::default(),
    };
    walk.table(
        &mut Vec::new(),
        root.get_ref(),
        root.span(),
        schema.as_value(),
    );
    if !walk.problems.is_empty() {
        return Err(walk.problems);
    }
    match toml::from_str::<T>(text) {
        Ok(value) => Ok(Document {
            file,
            value,
            spans: walk.index,
        }),
        Err(e) => Err(vec![syntax_error(file, text, &e)]),
    }
}

fn syntax_error(file: FileId, text: &str, error: &toml::de::Error) -> Diagnostic {
    let span = error.span().map(|range| Span { file, range });
    let message = error.message().trim_end();
    if message == "duplicate key"
        && let Some(range) = error.span()
        && let Some(duplicate) = duplicate::describe(text, range)
    {
        let mut diagnostic = Diagnostic::error(Code::InvalidToml, span, duplicate.message)
            .with_label("defined again here")
            .with_help("TOML allows each key once per table: merge the two or remove one");
        if let Some(first) = duplicate.first {
            diagnostic = diagnostic.with_related(Span { file, range: first }, "first defined here");
        }
        return diagnostic;
    }
    Diagnostic::error(Code::InvalidToml, span, message.to_string())
}

struct Walk<'s> {
    file: FileId,
    root: &'s Schema,
    problems: Vec<Diagnostic>,
    index: SpanIndex,
}

impl<'s> Walk<'s> {
    #[allow(clippy::unnecessary_wraps)] // diagnostics take an optional span
    fn span(&self, range: Range<usize>) -> Option<Span> {
        Some(Span {
            file: self.file,
            range,
        })
    }

    /// Follows `$ref` into `$defs`.
    fn resolve(&self, schema: &'s Schema) -> &'s Schema {
        let Some(reference) = schema.get("$ref").and_then(Schema::as_str) else {
            return schema;
        };
        let name = reference.rsplit('/').next().unwrap_or_default();
        self.root
            .pointer(&format!("/$defs/{name}"))
            .map_or(schema, |s| self.resolve(s))
    }

    fn value(&mut self, path: &mut TomlPath, value: &Spanned<DeValue<'_>>, schema: &'s Schema) {
        let schema = self.resolve(schema);
        if let Some(branches) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Schema::as_array)
        {
            self.any_of(path, value, branches);
            return;
        }
        let found = type_name(value.get_ref());
        let expected = expected_types(schema);
        if !expected.is_empty() && !expected.iter().any(|t| accepts(t, value.get_ref())) {
            self.wrong_type(path, value.span(), &expected, found);
            return;
        }
        match value.get_ref() {
            DeValue::Table(table) => self.table(path, table, value.span(), schema),
            DeValue::Array(items) => {
                let item_schema = schema.get("items").unwrap_or(&Schema::Bool(true));
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    self.record(path, value.span(), item.span());
                    self.value(path, item, item_schema);
                    path.pop();
                }
            }
            DeValue::String(s) => self.enum_member(path, value.span(), schema, s),
            DeValue::Integer(i) => self.minimum(path, value.span(), schema, i.as_str()),
            _ => {}
        }
    }

    fn any_of(
        &mut self,
        path: &mut TomlPath,
        value: &Spanned<DeValue<'_>>,
        branches: &'s [Schema],
    ) {
        for branch in branches {
            let mut trial = Walk {
                file: self.file,
                root: self.root,
                problems: Vec::new(),
                index: SpanIndex::default(),
            };
            trial.value(path, value, branch);
            if trial.problems.is_empty() {
                self.index.entries.extend(trial.index.entries);
                return;
            }
        }
        let constants: Vec<Schema> = branches
            .iter()
            .filter_map(|b| self.resolve(b).get("const").cloned())
            .collect();
        if let (DeValue::String(s), false) = (value.get_ref(), constants.is_empty()) {
            let as_enum = serde_json::json!({ "enum": constants });
            self.enum_member(path, value.span(), &as_enum, s);
            return;
        }
        // A value of the right type that failed inside (an unknown key in a table, a bad enum
        // member): walk the branch that takes its type, so the problem is the inner one
        // rather than "must be a table, found a table".
        if let Some(branch) = branches
            .iter()
            .find(|b| self.takes_type_of(b, value.get_ref()))
        {
            self.value(path, value, branch);
            return;
        }
        let expected: Vec<String> = branches
            .iter()
            .flat_map(|b| expected_types(self.resolve(b)))
            .collect();
        self.wrong_type(path, value.span(), &expected, type_name(value.get_ref()));
    }

    /// Whether `schema` (through `$ref` and nested `anyOf`) declares the type of `value`.
    fn takes_type_of(&self, schema: &'s Schema, value: &DeValue<'_>) -> bool {
        let schema = self.resolve(schema);
        if let Some(branches) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Schema::as_array)
        {
            return branches.iter().any(|b| self.takes_type_of(b, value));
        }
        expected_types(schema).iter().any(|t| accepts(t, value))
    }

    fn table(
        &mut self,
        path: &mut TomlPath,
        table: &DeTable<'_>,
        span: Range<usize>,
        schema: &'s Schema,
    ) {
        let schema = self.resolve(schema);
        let properties = schema.get("properties").and_then(Schema::as_object);
        let additional = schema.get("additionalProperties");
        for (key, value) in table {
            let name: &str = key.get_ref().as_ref();
            path.push(name.to_string());
            self.record(path, key.span(), value.span());
            match (properties.and_then(|p| p.get(name)), additional) {
                (Some(field), _) => self.value(path, value, field),
                (None, Some(Schema::Object(_))) => {
                    if let Some(additional) = additional {
                        self.value(path, value, additional);
                    }
                }
                (None, Some(Schema::Bool(false)) | None) if properties.is_some() => {
                    path.pop();
                    self.unknown_key(path, name, key.span(), properties);
                    path.push(name.to_string());
                }
                _ => {}
            }
            path.pop();
        }
        for required in schema
            .get("required")
            .and_then(Schema::as_array)
            .into_iter()
            .flatten()
        {
            let Some(required) = required.as_str() else {
                continue;
            };
            if !table.keys().any(|k| k.get_ref().as_ref() == required) {
                let message = format!("missing required key `{required}` in {}", table_name(path));
                self.problems.push(
                    Diagnostic::error(Code::MissingKey, self.span(span.clone()), message)
                        .with_label(format!("`{required}` is required here")),
                );
            }
        }
    }

    fn record(&mut self, path: &TomlPath, key: Range<usize>, value: Range<usize>) {
        self.index.entries.insert(path.clone(), (key, value));
    }

    fn unknown_key(
        &mut self,
        path: &TomlPath,
        name: &str,
        span: Range<usize>,
        properties: Option<&serde_json::Map<String, Schema>>,
    ) {
        let known: Vec<&str> = properties
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let help = did_you_mean(name, known.iter().copied()).map_or_else(
            || {
                format!(
                    "known keys here: {}",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            |s| format!("did you mean `{s}`?"),
        );
        self.problems.push(
            Diagnostic::error(
                Code::UnknownKey,
                self.span(span),
                format!("unknown key `{name}` in {}", table_name(path)),
            )
            .with_label("unknown key")
            .with_help(help),
        );
    }

    fn wrong_type(
        &mut self,
        path: &TomlPath,
        span: Range<usize>,
        expected: &[String],
        found: &str,
    ) {
        let expected = expected
            .iter()
            .filter(|t| *t != "null")
            .map(|t| article(t))
            .collect::<Vec<_>>()
            .join(" or ");
        let message = format!("`{}` must be {expected}, found {found}", dotted(path));
        self.problems.push(
            Diagnostic::error(Code::WrongType, self.span(span), message)
                .with_label(format!("expected {expected}")),
        );
    }

    fn enum_member(&mut self, path: &TomlPath, span: Range<usize>, schema: &Schema, value: &str) {
        let allowed: Vec<&str> = match (schema.get("enum"), schema.get("const")) {
            (Some(Schema::Array(values)), _) => values.iter().filter_map(Schema::as_str).collect(),
            (_, Some(Schema::String(c))) => vec![c.as_str()],
            _ => return,
        };
        if allowed.contains(&value) {
            return;
        }
        let list = allowed
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let help = did_you_mean(value, allowed.iter().copied()).map_or_else(
            || format!("expected one of {list}"),
            |s| format!("did you mean `{s}`? (expected one of {list})"),
        );
        self.problems.push(
            Diagnostic::error(
                Code::UnknownValue,
                self.span(span),
                format!("`{}` cannot be `{value}`", dotted(path)),
            )
            .with_label("not a supported value")
            .with_help(help),
        );
    }

    fn minimum(&mut self, path: &TomlPath, span: Range<usize>, schema: &Schema, literal: &str) {
        let Some(minimum) = schema.get("minimum").and_then(Schema::as_i64) else {
            return;
        };
        let Ok(number) = literal.replace('_', "").parse::<i64>() else {
            return;
        };
        if number < minimum {
            let message = format!(
                "`{}` must be at least {minimum}, found {number}",
                dotted(path)
            );
            self.problems.push(Diagnostic::error(
                Code::OutOfRange,
                self.span(span),
                message,
            ));
        }
    }
}

fn expected_types(schema: &Schema) -> Vec<String> {
    match schema.get("type") {
        Some(Schema::String(t)) => vec![t.clone()],
        Some(Schema::Array(ts)) => ts
            .iter()
            .filter_map(Schema::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn accepts(expected: &str, value: &DeValue<'_>) -> bool {
    matches!(
        (expected, value),
        ("object", DeValue::Table(_))
            | ("array", DeValue::Array(_))
            | ("string", DeValue::String(_))
            | ("integer" | "number", DeValue::Integer(_))
            | ("number", DeValue::Float(_))
            | ("boolean", DeValue::Boolean(_))
    )
}

fn article(json_type: &str) -> String {
    match json_type {
        "object" => "a table".to_string(),
        "array" => "an array".to_string(),
        "integer" => "an integer".to_string(),
        "number" => "a number".to_string(),
        other => format!("a {other}"),
    }
}

/// `apps.x.extensions[0]`: the path as a user would write it.
pub(crate) fn dotted(path: &[String]) -> String {
    let mut out = String::new();
    for key in path {
        if key.bytes().all(|b| b.is_ascii_digit()) && !out.is_empty() {
            let _ = write!(out, "[{key}]");
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&toml_key(key));
        }
    }
    out
}

fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// `[apps.docspell]`, or "the top level" for the root.
pub(crate) fn table_name(path: &[String]) -> String {
    if path.is_empty() {
        return "the top level".to_string();
    }
    let keys: Vec<String> = path.iter().map(|k| toml_key(k)).collect();
    format!("[{}]", keys.join("."))
}

fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}
