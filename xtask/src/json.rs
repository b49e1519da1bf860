//! The byte format of the files under `schemas/crds/`.
//!
//! Input: a JSON value whose maps keep their insertion order. Output: its text with two-space
//! indentation, `,` at the end of a line, `": "` after keys, `{}`/`[]` for empty containers, every character outside printable ASCII escaped as `\uXXXX` (UTF-16
//! units), and a final newline. Invariant: ASCII-only output, so a schema file never carries
//! an invisible or look-alike character, and its diffs stay readable in any terminal.

use std::fmt::Write as _;

use serde_json::Value;

/// The form embedded under `schemas/crds/`: the same JSON on one line without whitespace,
/// keys in converted order, then a newline (less text for the compiler and the verifier).
pub fn to_embedded(value: &Value) -> String {
    let mut text = serde_json::to_string(value).expect("a JSON value serializes");
    text.push('\n');
    text
}

/// The readable schema file text of `value` (`crd2schema`, the fixtures).
pub fn to_text(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out.push('\n');
    out
}

fn write_value(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => write!(out, "{i}").unwrap(),
            (None, Some(u), _) => write!(out, "{u}").unwrap(),
            (None, None, Some(f)) => out.push_str(&float(f)),
            (None, None, None) => unreachable!("a JSON number is an integer or a float"),
        },
        Value::String(s) => write_string(out, s),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                separator(out, i, depth + 1);
                write_value(out, item, depth + 1);
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                separator(out, i, depth + 1);
                write_string(out, key);
                out.push_str(": ");
                write_value(out, item, depth + 1);
            }
            newline(out, depth);
            out.push('}');
        }
    }
}

fn separator(out: &mut String, index: usize, depth: usize) {
    if index > 0 {
        out.push(',');
    }
    newline(out, depth);
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    out.push_str(&"  ".repeat(depth));
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(out, "\\u{unit:04x}").unwrap();
                }
            }
        }
    }
    out.push('"');
}

/// A float the way the existing files write one: the shortest digits that read back to the
/// same value, always with a `.` or an exponent (`1.0`, `0.5`, `1e-05`, `1e+16`), exponents
/// below 1e-4 and from 1e16 on, with a sign and at least two digits.
fn float(f: f64) -> String {
    // `{:e}` gives the shortest round-trip digits: "1.5e-5", "1e16".
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap();
    let exponent: i32 = exponent.parse().unwrap();
    let (sign, mantissa) = mantissa
        .strip_prefix('-')
        .map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if !(-4..16).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}{fraction}e{exp_sign}{:02}", exponent.abs());
    }
    let point = usize::try_from(exponent + 1).unwrap_or(0);
    let text = if exponent < 0 {
        let zeros = "0".repeat(usize::try_from(-exponent - 1).unwrap());
        format!("0.{zeros}{digits}")
    } else if digits.len() <= point {
        format!("{digits}{}.0", "0".repeat(point - digits.len()))
    } else {
        format!("{}.{}", &digits[..point], &digits[point..])
    };
    format!("{sign}{text}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn layout_and_escapes() {
        let value = json!({ "b": [1, "é😀\u{7f}\u{1}\n\"\\"], "a": {}, "c": [], "d": null });
        assert_eq!(
            to_text(&value),
            "{\n  \"b\": [\n    1,\n    \"\\u00e9\\ud83d\\ude00\\u007f\\u0001\\n\\\"\\\\\"\n  ],\n  \
             \"a\": {},\n  \"c\": [],\n  \"d\": null\n}\n"
        );
    }

    #[test]
    fn floats_keep_a_point_or_an_exponent() {
        let cases = [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (-2.25, "-2.25"),
            (100.0, "100.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (123_456.789, "123456.789"),
        ];
        for (f, text) in cases {
            assert_eq!(float(f), text, "{f}");
        }
    }
}
