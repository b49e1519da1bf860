//! Walking a document against a compiled `Schema`.
//! Input: a `serde_json::Value` and the path where it sits in its document.
//! Output: every violation as an `Issue` (path + sentence), not just the first; an unknown
//! field under `additionalProperties: false` is one issue at that field, with a
//! did-you-mean from the declared properties.
//! Invariant: a valid document allocates nothing: paths live on the stack as a chain of
//! borrowed segments and become a `FieldPath` only when a violation is reported.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use super::{Additional, Node, Schema, Types};
use crate::verify::path::{FieldPath, Issue};

/// Longest message kept: messages embed the offending value, which can be a whole
/// sub-tree.
const MAX_MESSAGE_CHARS: usize = 300;

/// Enum options shown in full up to this many; beyond, the first ones and a count.
const MAX_DISPLAYED_ENUM_OPTIONS: usize = 3;

impl Schema {
    /// Every violation in `value`, with paths below `prefix`.
    pub(crate) fn check(&self, value: &Value, prefix: &FieldPath) -> Vec<Issue> {
        let mut sink = Sink {
            prefix: Some(prefix),
            issues: Vec::new(),
        };
        self.root.check(value, &Location::Here, &mut sink);
        sink.issues
    }
}

/// Where a value sits below the checked one, borrowed from the walk's stack frames.
#[derive(Debug, Clone, Copy)]
enum Location<'a> {
    Here,
    Key(&'a Location<'a>, &'a str),
    Index(&'a Location<'a>, usize),
}

impl Location<'_> {
    fn path(&self, prefix: &FieldPath) -> FieldPath {
        match self {
            Self::Here => prefix.clone(),
            Self::Key(parent, key) => parent.path(prefix).key(key),
            Self::Index(parent, index) => parent.path(prefix).index(*index),
        }
    }
}

/// Collects issues, or (a probe, for `anyOf`) only answers "valid?" and stops at the first
/// violation without building a message.
struct Sink<'p> {
    prefix: Option<&'p FieldPath>,
    issues: Vec<Issue>,
}

impl Sink<'_> {
    fn probe() -> Self {
        Sink {
            prefix: None,
            issues: Vec::new(),
        }
    }

    /// Records a violation; `false` tells the caller to stop (a probe has its answer).
    fn fail(&mut self, at: &Location<'_>, message: impl FnOnce() -> String) -> bool {
        let Some(prefix) = self.prefix else {
            return false;
        };
        self.issues
            .push(Issue::new(at.path(prefix), truncate(&message())));
        true
    }

    fn unknown_field(&mut self, at: &Location<'_>, field: &str, node: &Node) -> bool {
        let Some(prefix) = self.prefix else {
            return false;
        };
        let known: Vec<&str> = node
            .properties
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        self.issues.push(Issue::new(
            at.path(prefix).key(field),
            unknown_field_message(field, &known),
        ));
        true
    }
}

/// Records a violation in `$valid` and returns `false` from the enclosing check when the
/// sink is a probe.
macro_rules! fail {
    ($sink:expr, $at:expr, $valid:ident, $message:expr) => {{
        $valid = false;
        if !$sink.fail($at, || $message) {
            return false;
        }
    }};
}

impl Node {
    fn check(&self, value: &Value, at: &Location<'_>, sink: &mut Sink<'_>) -> bool {
        let mut valid = true;
        if self.reject_all {
            fail!(
                sink,
                at,
                valid,
                format!("False schema does not allow {value}")
            );
        }
        if let Some(rule) = &self.types
            && !rule.allowed.admits(value)
        {
            fail!(sink, at, valid, format!("{value} {}", rule.message));
        }
        if let Some(options) = &self.enumeration
            && !options.iter().any(|option| equal(option, value))
        {
            fail!(sink, at, valid, enum_message(value, options));
        }
        if let Some(any_of) = &self.any_of
            && !any_of
                .alternatives
                .iter()
                .any(|alternative| alternative.check(value, at, &mut Sink::probe()))
        {
            fail!(
                sink,
                at,
                valid,
                match &any_of.expected {
                    Some(expected) => format!("{value} is not {expected}"),
                    None => format!(
                        "{value} is not valid under any of the schemas listed in the 'anyOf' keyword"
                    ),
                }
            );
        }
        let ok = match value {
            Value::String(text) => self.check_string(text, value, at, sink),
            Value::Number(number) => self.check_number(number, value, at, sink),
            Value::Array(items) => self.check_array(items, value, at, sink),
            Value::Object(fields) => self.check_object(fields, value, at, sink),
            Value::Null | Value::Bool(_) => true,
        };
        valid && ok
    }

    fn check_string(
        &self,
        text: &str,
        value: &Value,
        at: &Location<'_>,
        sink: &mut Sink<'_>,
    ) -> bool {
        let mut valid = true;
        if self.min_length.is_some() || self.max_length.is_some() {
            let length = text.chars().count() as u64;
            if let Some(limit) = self.min_length
                && length < limit
            {
                fail!(
                    sink,
                    at,
                    valid,
                    format!("{value} is shorter than {limit} character{}", plural(limit))
                );
            }
            if let Some(limit) = self.max_length
                && length > limit
            {
                fail!(
                    sink,
                    at,
                    valid,
                    format!("{value} is longer than {limit} character{}", plural(limit))
                );
            }
        }
        if let Some(pattern) = &self.pattern
            && !pattern.regex.is_match(text)
        {
            fail!(sink, at, valid, format!("{value} {}", pattern.message));
        }
        valid
    }

    fn check_number(
        &self,
        number: &Number,
        value: &Value,
        at: &Location<'_>,
        sink: &mut Sink<'_>,
    ) -> bool {
        let mut valid = true;
        if let Some(limit) = &self.minimum
            && compare(number, limit) == Some(Ordering::Less)
        {
            fail!(
                sink,
                at,
                valid,
                format!("{value} is less than the minimum of {limit}")
            );
        }
        if let Some(limit) = &self.maximum
            && compare(number, limit) == Some(Ordering::Greater)
        {
            fail!(
                sink,
                at,
                valid,
                format!("{value} is greater than the maximum of {limit}")
            );
        }
        valid
    }

    fn check_array(
        &self,
        items: &[Value],
        value: &Value,
        at: &Location<'_>,
        sink: &mut Sink<'_>,
    ) -> bool {
        let mut valid = true;
        let length = items.len() as u64;
        if let Some(limit) = self.min_items
            && length < limit
        {
            fail!(
                sink,
                at,
                valid,
                format!("{value} has less than {limit} item{}", plural(limit))
            );
        }
        if let Some(limit) = self.max_items
            && length > limit
        {
            fail!(
                sink,
                at,
                valid,
                format!("{value} has more than {limit} item{}", plural(limit))
            );
        }
        if let Some(schema) = &self.items {
            for (index, item) in items.iter().enumerate() {
                if !schema.check(item, &Location::Index(at, index), sink) {
                    valid = false;
                    if sink.prefix.is_none() {
                        return false;
                    }
                }
            }
        }
        valid
    }

    fn check_object(
        &self,
        fields: &Map<String, Value>,
        value: &Value,
        at: &Location<'_>,
        sink: &mut Sink<'_>,
    ) -> bool {
        let mut valid = true;
        let length = fields.len() as u64;
        if let Some(limit) = self.min_properties
            && length < limit
        {
            fail!(
                sink,
                at,
                valid,
                format!("{value} has less than {limit} propert{}", plural_y(limit))
            );
        }
        if let Some(limit) = self.max_properties
            && length > limit
        {
            fail!(
                sink,
                at,
                valid,
                format!("{value} has more than {limit} propert{}", plural_y(limit))
            );
        }
        for name in &self.required {
            if !fields.contains_key(name) {
                fail!(
                    sink,
                    at,
                    valid,
                    format!("{} is a required property", Value::String(name.clone()))
                );
            }
        }
        for (key, child) in fields {
            let ok = match (self.property(key), &self.additional) {
                (Some(schema), _) => schema.check(child, &Location::Key(at, key), sink),
                (None, Additional::Schema(schema)) => {
                    schema.check(child, &Location::Key(at, key), sink)
                }
                (None, Additional::Allowed) => true,
                (None, Additional::Forbidden) => {
                    sink.unknown_field(at, key, self);
                    false
                }
            };
            if !ok {
                valid = false;
                if sink.prefix.is_none() {
                    return false;
                }
            }
        }
        valid
    }

    fn property(&self, key: &str) -> Option<&Node> {
        let index = self
            .property_order
            .binary_search_by(|&index| self.properties[index].0.as_str().cmp(key))
            .ok()?;
        Some(&self.properties[self.property_order[index]].1)
    }
}

impl Types {
    fn admits(self, value: &Value) -> bool {
        let bit = match value {
            Value::Null => Self::NULL,
            Value::Bool(_) => Self::BOOLEAN,
            Value::Object(_) => Self::OBJECT,
            Value::Array(_) => Self::ARRAY,
            Value::String(_) => Self::STRING,
            Value::Number(_) if self.0 & Self::NUMBER != 0 => return true,
            // An integer-valued float (`3.0`) is an integer, as in JSON Schema since draft 6.
            Value::Number(number) if is_integer(number) => Self::INTEGER,
            Value::Number(_) => return false,
        };
        self.0 & bit != 0
    }
}

fn is_integer(number: &Number) -> bool {
    number.is_i64() || number.is_u64() || number.as_f64().is_some_and(|f| f.fract() == 0.0)
}

/// Numbers compare by value (`1` and `1.0` are equal); integers exactly.
fn compare(left: &Number, right: &Number) -> Option<Ordering> {
    match (exact(left), exact(right)) {
        (Some(left), Some(right)) => Some(left.cmp(&right)),
        _ => left.as_f64()?.partial_cmp(&right.as_f64()?),
    }
}

fn exact(number: &Number) -> Option<i128> {
    number
        .as_i64()
        .map(i128::from)
        .or_else(|| number.as_u64().map(i128::from))
}

/// JSON equality with numbers compared by value, as `enum` requires.
fn equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => {
            compare(left, right) == Some(Ordering::Equal)
        }
        (Value::Array(left), Value::Array(right)) => {
            left.len() == right.len() && left.iter().zip(right).all(|(l, r)| equal(l, r))
        }
        (Value::Object(left), Value::Object(right)) => {
            left.len() == right.len()
                && left
                    .iter()
                    .all(|(key, l)| right.get(key).is_some_and(|r| equal(l, r)))
        }
        _ => left == right,
    }
}

/// `"x" is not one of "a", "b" or "c"`; a long list shows its first options and a count.
fn enum_message(value: &Value, options: &[Value]) -> String {
    let shown: Vec<String> = if options.len() <= MAX_DISPLAYED_ENUM_OPTIONS {
        options.iter().map(Value::to_string).collect()
    } else {
        let mut shown: Vec<String> = options
            .iter()
            .take(MAX_DISPLAYED_ENUM_OPTIONS - 1)
            .map(Value::to_string)
            .collect();
        shown.push(format!(
            "{} other candidates",
            options.len() - (MAX_DISPLAYED_ENUM_OPTIONS - 1)
        ));
        shown
    };
    let list = match shown.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, first)) => format!("{} or {last}", first.join(", ")),
        None => String::new(),
    };
    format!("{value} is not one of {list}")
}

fn plural(count: u64) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn plural_y(count: u64) -> &'static str {
    if count == 1 { "y" } else { "ies" }
}

pub(super) fn unknown_field_message(field: &str, known: &[&str]) -> String {
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

pub(super) fn truncate(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_owned();
    }
    let kept: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    format!("{kept}…")
}
