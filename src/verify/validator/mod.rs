//! A JSON Schema validator for exactly the subset `xtask` writes into `schemas/`.
//! Input: a schema as `serde_json::Value` (draft 2020-12 semantics, no `$ref`).
//! Output: a `Schema`, a tree of compiled `Node`s with patterns compiled and messages that
//! depend only on the schema prepared, ready for `check.rs` to walk a document with.
//! Invariant: every keyword that could constrain a document is either compiled into a node
//! or refused here; only annotations (`description`, `default`, `format`, ...) and the
//! `x-kubernetes-*` extensions are ignored, so a converter change cannot silently weaken
//! verification.

mod check;
#[cfg(test)]
mod tests;

use serde_json::{Number, Value};

/// The grammar of a Kubernetes quantity, as controller-gen writes it in the CRDs and
/// `xtask` in the built-in schemas.
const QUANTITY_PATTERN: &str = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";

const QUANTITY: &str = "a quantity such as \"500m\", \"2\" or \"1Gi\"";

/// Keywords that describe a value without constraining it. `format` is an annotation in
/// draft 2020-12 (the API server's format checks are not reproduced), and `nullable` is
/// an `OpenAPI` keyword that JSON Schema validation does not know.
const ANNOTATIONS: [&str; 12] = [
    "$schema",
    "description",
    "default",
    "example",
    "format",
    "nullable",
    "title",
    "x-kubernetes-int-or-string",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-list-type",
    "x-kubernetes-map-type",
    "x-kubernetes-preserve-unknown-fields",
];

/// The CEL rules are checked by `verify::cel`, not by this validator.
const CEL_RULES: &str = "x-kubernetes-validations";

/// A compiled schema.
#[derive(Debug)]
pub(crate) struct Schema {
    root: Node,
}

impl Schema {
    /// Compiles `schema`; an unknown keyword or a malformed one is an error naming the
    /// JSON pointer where it sits.
    pub(crate) fn compile(schema: &Value) -> Result<Self, String> {
        let mut pointer = String::new();
        Ok(Self {
            root: Node::compile(schema, &mut pointer)?,
        })
    }
}

/// JSON types, as bits of a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Types(u8);

impl Types {
    const NULL: u8 = 1;
    const BOOLEAN: u8 = 2;
    const OBJECT: u8 = 4;
    const ARRAY: u8 = 8;
    const NUMBER: u8 = 16;
    const STRING: u8 = 32;
    const INTEGER: u8 = 64;

    fn bit(name: &str) -> Option<u8> {
        Some(match name {
            "null" => Self::NULL,
            "boolean" => Self::BOOLEAN,
            "object" => Self::OBJECT,
            "array" => Self::ARRAY,
            "number" => Self::NUMBER,
            "string" => Self::STRING,
            "integer" => Self::INTEGER,
            _ => return None,
        })
    }
}

/// `type`, with the sentence that follows the value when it fails.
#[derive(Debug)]
struct TypeRule {
    allowed: Types,
    message: String,
}

#[derive(Debug)]
struct Pattern {
    regex: regex_lite::Regex,
    /// The sentence after the value: the quantity grammar gets words, not its regex.
    message: String,
}

#[derive(Debug)]
enum Additional {
    /// No `additionalProperties`, or `true`.
    Allowed,
    /// `false`: each extra key is an unknown field, with a did-you-mean.
    Forbidden,
    Schema(Box<Node>),
}

#[derive(Debug)]
struct AnyOf {
    alternatives: Vec<Node>,
    /// "an integer or a string", when every alternative is a bare type.
    expected: Option<String>,
}

/// One compiled schema object. Absent keywords are `None`/empty and cost nothing.
#[derive(Debug)]
struct Node {
    /// `false` as a schema.
    reject_all: bool,
    types: Option<TypeRule>,
    enumeration: Option<Vec<Value>>,
    pattern: Option<Pattern>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    minimum: Option<Number>,
    maximum: Option<Number>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    min_properties: Option<u64>,
    max_properties: Option<u64>,
    required: Vec<String>,
    /// In the schema's key order (the did-you-mean keeps the first of equal candidates).
    properties: Vec<(String, Node)>,
    /// Indexes into `properties`, sorted by name, for lookups by binary search.
    property_order: Vec<usize>,
    additional: Additional,
    items: Option<Box<Node>>,
    any_of: Option<AnyOf>,
}

impl Node {
    fn empty() -> Self {
        Self {
            reject_all: false,
            types: None,
            enumeration: None,
            pattern: None,
            min_length: None,
            max_length: None,
            minimum: None,
            maximum: None,
            min_items: None,
            max_items: None,
            min_properties: None,
            max_properties: None,
            required: Vec::new(),
            properties: Vec::new(),
            property_order: Vec::new(),
            additional: Additional::Allowed,
            items: None,
            any_of: None,
        }
    }

    /// `pointer` is where `schema` sits, for error messages; it is restored on return.
    fn compile(schema: &Value, pointer: &mut String) -> Result<Self, String> {
        let fields = match schema {
            Value::Bool(accept) => {
                return Ok(Self {
                    reject_all: !accept,
                    ..Self::empty()
                });
            }
            Value::Object(fields) => fields,
            other => return Err(format!("{}: a schema cannot be {other}", at(pointer))),
        };
        let mut node = Self::empty();
        for (keyword, value) in fields {
            let depth = pointer.len();
            pointer.push('/');
            pointer.push_str(&keyword.replace('~', "~0").replace('/', "~1"));
            node.keyword(keyword, value, pointer)?;
            pointer.truncate(depth);
        }
        node.property_order = (0..node.properties.len()).collect();
        node.property_order
            .sort_by(|&a, &b| node.properties[a].0.cmp(&node.properties[b].0));
        Ok(node)
    }

    fn keyword(
        &mut self,
        keyword: &str,
        value: &Value,
        pointer: &mut String,
    ) -> Result<(), String> {
        match keyword {
            "type" => self.types = Some(type_rule(value, pointer)?),
            "enum" => self.enumeration = Some(array(value, pointer)?.clone()),
            "pattern" => self.pattern = Some(pattern(value, pointer)?),
            "minLength" => self.min_length = Some(count(value, pointer)?),
            "maxLength" => self.max_length = Some(count(value, pointer)?),
            "minimum" => self.minimum = Some(number(value, pointer)?),
            "maximum" => self.maximum = Some(number(value, pointer)?),
            "minItems" => self.min_items = Some(count(value, pointer)?),
            "maxItems" => self.max_items = Some(count(value, pointer)?),
            "minProperties" => self.min_properties = Some(count(value, pointer)?),
            "maxProperties" => self.max_properties = Some(count(value, pointer)?),
            "required" => {
                self.required = array(value, pointer)?
                    .iter()
                    .map(|name| name.as_str().map(str::to_owned))
                    .collect::<Option<_>>()
                    .ok_or_else(|| format!("{}: not a list of strings", at(pointer)))?;
            }
            "properties" => {
                let Value::Object(properties) = value else {
                    return Err(format!("{}: not an object", at(pointer)));
                };
                for (name, schema) in properties {
                    let depth = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
                    self.properties
                        .push((name.clone(), Self::compile(schema, pointer)?));
                    pointer.truncate(depth);
                }
            }
            "additionalProperties" => {
                self.additional = match value {
                    Value::Bool(true) => Additional::Allowed,
                    Value::Bool(false) => Additional::Forbidden,
                    schema => Additional::Schema(Box::new(Self::compile(schema, pointer)?)),
                };
            }
            "items" => self.items = Some(Box::new(Self::compile(value, pointer)?)),
            "anyOf" => {
                let alternatives = array(value, pointer)?;
                let mut compiled = Vec::with_capacity(alternatives.len());
                for (index, alternative) in alternatives.iter().enumerate() {
                    let depth = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&index.to_string());
                    compiled.push(Self::compile(alternative, pointer)?);
                    pointer.truncate(depth);
                }
                self.any_of = Some(AnyOf {
                    alternatives: compiled,
                    expected: expected_types(alternatives),
                });
            }
            CEL_RULES => {}
            _ if ANNOTATIONS.contains(&keyword) => {}
            _ => {
                return Err(format!(
                    "{}: unsupported keyword `{keyword}` (dbgen's validator would ignore it)",
                    at(pointer)
                ));
            }
        }
        Ok(())
    }
}

fn at(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

fn array<'v>(value: &'v Value, pointer: &str) -> Result<&'v Vec<Value>, String> {
    value
        .as_array()
        .ok_or_else(|| format!("{}: not a list", at(pointer)))
}

fn count(value: &Value, pointer: &str) -> Result<u64, String> {
    value
        .as_u64()
        .ok_or_else(|| format!("{}: not a non-negative integer", at(pointer)))
}

fn number(value: &Value, pointer: &str) -> Result<Number, String> {
    match value {
        Value::Number(number) => Ok(number.clone()),
        _ => Err(format!("{}: not a number", at(pointer))),
    }
}

fn type_rule(value: &Value, pointer: &str) -> Result<TypeRule, String> {
    let names: Vec<&str> = match value {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names
            .iter()
            .map(Value::as_str)
            .collect::<Option<_>>()
            .ok_or_else(|| format!("{}: not a list of type names", at(pointer)))?,
        _ => return Err(format!("{}: not a type name or list", at(pointer))),
    };
    let mut allowed = 0;
    for name in &names {
        allowed |=
            Types::bit(name).ok_or_else(|| format!("{}: unknown type `{name}`", at(pointer)))?;
    }
    // `type: [integer, "null"]` (an optional field of a built-in kind): saying the value
    // is not null either tells the reader nothing.
    let message = match names.as_slice() {
        [single] | [single, "null"] => format!("is not of type \"{single}\""),
        _ => {
            let quoted: Vec<String> = names.iter().map(|name| format!("\"{name}\"")).collect();
            format!("is not of types {}", quoted.join(", "))
        }
    };
    Ok(TypeRule {
        allowed: Types(allowed),
        message,
    })
}

fn pattern(value: &Value, pointer: &str) -> Result<Pattern, String> {
    let source = value
        .as_str()
        .ok_or_else(|| format!("{}: not a string", at(pointer)))?;
    let regex = regex_lite::Regex::new(source)
        .map_err(|error| format!("{}: pattern {source:?}: {error}", at(pointer)))?;
    let message = if source == QUANTITY_PATTERN {
        format!("is not {QUANTITY}")
    } else {
        format!("does not match \"{source}\"")
    };
    Ok(Pattern { regex, message })
}

/// "an integer or a string" for an `anyOf` whose alternatives (other than `null`) are bare
/// types; `None` keeps the generic sentence.
fn expected_types(alternatives: &[Value]) -> Option<String> {
    let expected = alternatives
        .iter()
        .filter(|alternative| !is_null_type(alternative))
        .map(describe)
        .collect::<Option<Vec<_>>>()?;
    Some(expected.join(" or "))
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
