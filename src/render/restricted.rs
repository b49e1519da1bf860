//! A reader for the restricted YAML that dbgen's templates print, so rendering a custom
//! resource does not pay for a general YAML parser.
//!
//! Input: a template's rendered text. Output: `Some(document)`, or `None` as soon as the
//! text leaves the subset below, and the caller reads it with `yaml::parse` instead.
//! The subset is what the templates print: printable ASCII lines; block mappings whose keys
//! are plain words; block sequences (`- value`, `- key: value`, a sequence at its parent
//! key's indent); and values that are either a plain word from the template (`true`,
//! `present`, `v1beta1`, a decimal integer) or one JSON value printed by the template's JSON
//! auto-escaping (a string, a flow mapping or a flow sequence, on one line).
//! Invariant: `Some(v)` only when `yaml::parse` returns `Ok(v)` for the same text; anything
//! the two readers could read differently (YAML 1.1 booleans such as `on`, floats, octal-
//! looking numbers, non-ASCII text, duplicate keys, merge keys, comments, anchors, tags)
//! is outside the subset. Debug builds check the invariant on every template render.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Reads `text`, or `None` when it is not in the subset.
pub(super) fn parse(text: &str) -> Option<Value> {
    // Only printable ASCII and newlines: YAML readers differ on control and non-ASCII
    // characters (printability checks, line breaks such as U+2028, a byte-order mark).
    if !text
        .bytes()
        .all(|b| b == b'\n' || (b' '..=b'~').contains(&b))
    {
        return None;
    }
    let mut lines = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end();
        if line.is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        split(&line[indent..], indent, &mut lines)?;
    }
    let mut at = 0;
    let document = block(&lines, &mut at, lines.first()?.indent)?;
    (at == lines.len()).then_some(document)
}

/// One line of the subset, with a `- ` split off into its own line (the item's content
/// then sits at the column after the dash, where YAML puts it).
#[derive(Debug)]
struct Line<'a> {
    indent: usize,
    body: Body<'a>,
}

#[derive(Debug)]
enum Body<'a> {
    /// `- ` whose item is on the next line(s).
    Dash,
    /// `- value`.
    Item(&'a str),
    /// `key:` or `key: value`.
    Entry(&'a str, Option<&'a str>),
}

fn split<'a>(content: &'a str, indent: usize, lines: &mut Vec<Line<'a>>) -> Option<()> {
    if let Some(rest) = content.strip_prefix('-') {
        let after = rest.trim_start_matches(' ');
        if after.is_empty() {
            lines.push(Line {
                indent,
                body: Body::Dash,
            });
            return Some(());
        }
        // `-x` is a plain scalar and `- - x` a nested sequence: neither is printed.
        if !rest.starts_with(' ') || after.starts_with('-') {
            return None;
        }
        let inner = indent + 1 + (rest.len() - after.len());
        if let Some(entry) = entry(after) {
            lines.push(Line {
                indent,
                body: Body::Dash,
            });
            lines.push(Line {
                indent: inner,
                body: entry,
            });
        } else {
            lines.push(Line {
                indent,
                body: Body::Item(after),
            });
        }
        return Some(());
    }
    lines.push(Line {
        indent,
        body: entry(content)?,
    });
    Some(())
}

/// `key:` or `key: value` with a plain-word key, else `None`.
fn entry(content: &str) -> Option<Body<'_>> {
    let end = content.find(|c: char| !word_char(c))?;
    let (key, rest) = content.split_at(end);
    if !plain_word(key) {
        return None;
    }
    let rest = rest.strip_prefix(':')?;
    if rest.is_empty() {
        return Some(Body::Entry(key, None));
    }
    let value = rest.strip_prefix(' ')?.trim_start_matches(' ');
    Some(Body::Entry(key, (!value.is_empty()).then_some(value)))
}

/// The node starting at `lines[*at]`, which sits at `indent`.
fn block(lines: &[Line], at: &mut usize, indent: usize) -> Option<Value> {
    match lines.get(*at)? {
        line if line.indent != indent => None,
        Line {
            body: Body::Entry(..),
            ..
        } => mapping(lines, at, indent),
        _ => sequence(lines, at, indent),
    }
}

fn mapping(lines: &[Line], at: &mut usize, indent: usize) -> Option<Value> {
    let mut map = Map::new();
    while let Some(Line {
        indent: i,
        body: Body::Entry(key, value),
    }) = lines.get(*at)
    {
        if *i != indent {
            break;
        }
        *at += 1;
        let value = match value {
            Some(text) => scalar(text)?,
            None => match lines.get(*at)? {
                next if next.indent > indent => block(lines, at, next.indent)?,
                // A sequence may sit at its key's indent.
                next if next.indent == indent && !matches!(next.body, Body::Entry(..)) => {
                    sequence(lines, at, indent)?
                }
                // An empty value (null) is never printed.
                _ => return None,
            },
        };
        if map.insert((*key).to_owned(), value).is_some() {
            return None;
        }
    }
    Some(Value::Object(map))
}

fn sequence(lines: &[Line], at: &mut usize, indent: usize) -> Option<Value> {
    let mut items = Vec::new();
    while let Some(line) = lines.get(*at) {
        if line.indent != indent {
            break;
        }
        let item = match line.body {
            Body::Entry(..) => break,
            Body::Item(text) => {
                *at += 1;
                scalar(text)?
            }
            Body::Dash => {
                *at += 1;
                let next = lines.get(*at)?;
                if next.indent <= indent {
                    return None;
                }
                block(lines, at, next.indent)?
            }
        };
        items.push(item);
    }
    Some(Value::Array(items))
}

/// A value on a line: one JSON value, or a plain word.
fn scalar(text: &str) -> Option<Value> {
    if text.starts_with(['"', '{', '[']) {
        return serde_json::from_str::<Strict>(text).ok().map(|s| s.0);
    }
    match text {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        "null" => return Some(Value::Null),
        _ => {}
    }
    if let Some(number) = integer(text) {
        return Some(number);
    }
    (plain_word(text) && text.chars().all(word_char)).then(|| Value::String(text.to_owned()))
}

/// A decimal integer YAML 1.1 and JSON read alike: no sign but `-`, no leading zero, no `_`.
fn integer(text: &str) -> Option<Value> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    text.parse::<i64>().ok().map(|n| Value::Number(n.into()))
}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')
}

/// A plain word every YAML reader takes as that string: it starts with a letter and is not
/// one of YAML 1.1's booleans or nulls in any case.
fn plain_word(word: &str) -> bool {
    const RETYPED: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    word.starts_with(|c: char| c.is_ascii_alphabetic())
        && !RETYPED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// A JSON value that refuses what YAML could read otherwise: a duplicate key, a `<<` key
/// (a merge key to some readers), and any number that is not an `i64`.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value without floats or duplicate keys")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(|n| Value::Number(Number::from(n)))
            .map_err(|_| E::custom("integer beyond i64"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Value, E> {
        Err(E::custom("float"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.visit_string(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        // The text is ASCII, so a character beyond the BMP came from a `\u` surrogate
        // pair, which JSON joins and YAML need not.
        if v.chars().any(|c| u32::from(c) > 0xFFFF) {
            return Err(E::custom("surrogate pair"));
        }
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if key == "<<" {
                return Err(de::Error::custom("merge key"));
            }
            let Strict(value) = access.next_value()?;
            if map.insert(key, value).is_some() {
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts in the subset: each must read exactly as `yaml::parse` reads it.
    const INSIDE: &[&str] = &[
        "a: 1\n",
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: \"x\"\n  labels: {\"app.kubernetes.io/name\":\"a\",\"b\":\"c\\u003cd\"}\n",
        "spec:\n  roles:\n  - name: \"a\"\n    ensure: present\n    login: true\n  - name: \"b\"\n    login: false\n  instances: 3\n",
        "spec:\n  goTemplateOptions:\n    - \"missingkey=error\"\n  steps:\n    - matchExpressions:\n        - key: \"tier\"\n          operator: In\n          values:\n            - \"db\"\n",
        "a:\n-\n  b: 1\n- \"x\"\nc: [1, -2, \"y\", null, true, {\"k\": []}]\n",
        "a: \"\"\nb: {}\nc: []\nd: -7\ne: 0\nf: null\n",
        "a: \"on\"\nb: \"1.5\"\nc: \"x: y # z\"\nd: \"\\n\\t\\\"\"\n",
        "resources: [\"a.yaml\",\"b/kustomization.yaml\"]\n\n",
    ];

    /// Texts outside the subset (some valid YAML, some not): the reader must decline.
    const OUTSIDE: &[&str] = &[
        "a: on\n",
        "a: Yes\n",
        "a: 1.5\n",
        "a: 010\n",
        "a: 1e3\n",
        "a: [1.5]\n",
        "a: 99999999999999999999\n",
        "a: x y\n",
        "a: x # comment\n",
        "# comment\na: 1\n",
        "a: 1\na: 2\n",
        "a: {\"k\": 1, \"k\": 2}\n",
        "a: {\"<<\": {}}\n",
        "a: \"caf\u{e9}\"\n",
        "a:\tb\n",
        "a:\n",
        "a: 1\n  b: 2\n",
        "a: 1\n- b\n",
        "- - a\n",
        "---\na: 1\n",
        "a: &x 1\n",
        "a: !!str 1\n",
        "\"a\": 1\n",
        "on: 1\n",
        "a: 'x'\n",
        "a: |\n  x\n",
        "a: \"x\" y\n",
        "a: \"\\ud83d\\ude00\"\n",
        "",
    ];

    #[test]
    fn reads_the_subset_as_the_yaml_reader_does() {
        for text in INSIDE {
            let expected = crate::yaml::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(parse(text), Some(expected), "{text:?}");
        }
    }

    #[test]
    fn declines_everything_else() {
        for text in OUTSIDE {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }
}
