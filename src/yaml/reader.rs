//! A reader of the text `canonical` writes, so reading back a file dbgen generated (the
//! committed tree `render --check` and `plan` compare against) does not pay for a general
//! YAML parser.
//!
//! Input: a file's text. Output: `Some(document)`, or `None` when the text is not exactly
//! what `canonical` writes for some document (after leading `#` comment lines, such as
//! dbgen's header), and the caller reads it with serde-saphyr instead.
//! Invariant: `Some(v)` only when `canonical::emit` writes the text back byte for byte from
//! `v`, so the text is serde-saphyr's writing of `v` (`canonical`'s invariant), which
//! serde-saphyr reads back as `v`; the reading below only has to be right for canonical
//! texts, since anything else fails that check. Debug builds compare with serde-saphyr on
//! every text read (`yaml::parse`).

use serde_json::{Map, Value};

/// Reads `text`, or `None` when it is not a canonical text.
pub(super) fn read(text: &str) -> Option<Value> {
    // Full-line comments before the document (dbgen's header) are not part of it.
    let mut body = 0;
    while text[body..].starts_with('#') {
        body += text[body..].find('\n')? + 1;
    }
    let (prefix, rest) = text.split_at(body);
    let rest = rest.strip_suffix('\n')?;
    let lines: Vec<&str> = rest.split('\n').collect();
    let mut at = 0;
    let document = block(&lines, &mut at, 0)?;
    if at != lines.len() {
        return None;
    }
    (super::canonical::emit(prefix, &document)? == text).then_some(document)
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The block node whose first line is `lines[*at]`, at `column`.
fn block(lines: &[&str], at: &mut usize, column: usize) -> Option<Value> {
    let line = lines.get(*at)?;
    if indent_of(line) != column {
        return None;
    }
    let content = &line[column..];
    if content.starts_with("- ") {
        sequence(lines, at, column, None).map(Value::Array)
    } else {
        mapping(lines, at, column, None).map(Value::Object)
    }
}

/// A mapping with keys at `column`; its first entry is `first` when it follows a dash on
/// the line `lines[*at]`.
fn mapping(
    lines: &[&str],
    at: &mut usize,
    column: usize,
    first: Option<&str>,
) -> Option<Map<String, Value>> {
    let mut map = Map::new();
    let mut inline = first;
    loop {
        let content = if let Some(content) = inline.take() {
            content
        } else {
            let Some(line) = lines.get(*at) else { break };
            let indent = indent_of(line);
            if indent < column || (indent == column && line[column..].starts_with("- ")) {
                break;
            }
            if indent > column {
                return None;
            }
            &line[column..]
        };
        let (key, rest) = entry(content)?;
        *at += 1;
        let value = if rest.is_empty() {
            let line = lines.get(*at)?;
            let indent = indent_of(line);
            if indent == column && line[column..].starts_with("- ") {
                Value::Array(sequence(lines, at, column, None)?)
            } else if indent == column + 2 {
                Value::Object(mapping(lines, at, column + 2, None)?)
            } else {
                return None;
            }
        } else {
            inline_value(rest.strip_prefix(' ')?, lines, at, column)?
        };
        map.insert(key, value);
    }
    Some(map)
}

/// A sequence with dashes at `column`; its first item is `first` when it follows an outer
/// dash on the line `lines[*at]`.
fn sequence(
    lines: &[&str],
    at: &mut usize,
    column: usize,
    first: Option<&str>,
) -> Option<Vec<Value>> {
    let mut items = Vec::new();
    let mut inline = first;
    loop {
        let item = if let Some(item) = inline.take() {
            item
        } else {
            let Some(line) = lines.get(*at) else { break };
            if indent_of(line) != column {
                break;
            }
            let Some(item) = line[column..].strip_prefix("- ") else {
                break;
            };
            item
        };
        let value = if let Some(inner) = item.strip_prefix("- ") {
            Value::Array(sequence(lines, at, column + 2, Some(inner))?)
        } else if entry(item).is_some() {
            Value::Object(mapping(lines, at, column + 2, Some(item))?)
        } else {
            *at += 1;
            inline_value(item, lines, at, column)?
        };
        items.push(value);
    }
    Some(items)
}

/// `key:` and what follows the colon, when `content` is a mapping entry.
fn entry(content: &str) -> Option<(String, &str)> {
    if content.starts_with('"') {
        let (key, after) = double_quoted(content)?;
        let rest = after.strip_prefix(':')?;
        return (rest.is_empty() || rest.starts_with(' ')).then_some((key, rest));
    }
    // Plain keys never hold a colon, and plain values never hold `: ` or end with one.
    let colon = content.find(':')?;
    let rest = &content[colon + 1..];
    (rest.is_empty() || rest.starts_with(' ')).then(|| (content[..colon].to_string(), rest))
}

/// A value written on the line of its key or dash (whose column is `column`), the line
/// `lines[*at - 1]`; a literal block's body follows on the next lines.
fn inline_value(text: &str, lines: &[&str], at: &mut usize, column: usize) -> Option<Value> {
    Some(match text {
        "{}" => Value::Object(Map::new()),
        "[]" => Value::Array(Vec::new()),
        "null" => Value::Null,
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "'.'" | "'#'" | "'-'" => Value::String(text[1..2].to_string()),
        _ if text.starts_with('|') => Value::String(literal(text, lines, at, column + 2)?),
        _ if text.starts_with('"') => {
            let (s, after) = double_quoted(text)?;
            if !after.is_empty() {
                return None;
            }
            Value::String(s)
        }
        _ if text.starts_with('-')
            && text.len() > 1
            && text[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            Value::from(text.parse::<i64>().ok()?)
        }
        _ if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            Value::from(text.parse::<u64>().ok()?)
        }
        _ => Value::String(text.to_string()),
    })
}

/// The string of a literal block with header `header` whose body lines, at `body` or
/// empty, start at `lines[*at]`.
fn literal(header: &str, lines: &[&str], at: &mut usize, body: usize) -> Option<String> {
    let chomp = header.strip_prefix('|')?;
    let chomp = chomp.strip_prefix('2').unwrap_or(chomp);
    let start = *at;
    while let Some(line) = lines.get(*at) {
        if !line.is_empty() && indent_of(line) < body {
            break;
        }
        *at += 1;
    }
    let taken = &lines[start..*at];
    let content = taken
        .iter()
        .rposition(|line| !line.is_empty())
        .map_or(0, |i| i + 1);
    let empty_after = taken.len() - content;
    let mut s = String::new();
    for (i, line) in taken[..content].iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        if !line.is_empty() {
            s.push_str(line.get(body..)?);
        }
    }
    match chomp {
        "-" => {}
        "" => s.push('\n'),
        "+" => {
            if content > 0 {
                s.push('\n');
            }
            for _ in 0..empty_after {
                s.push('\n');
            }
        }
        _ => return None,
    }
    Some(s)
}

/// The string a double-quoted scalar at the start of `text` holds (only `\\` and `\"`
/// escaped, as `canonical` writes them), and the text after its closing quote.
fn double_quoted(text: &str) -> Option<(String, &str)> {
    let inner = text.strip_prefix('"')?;
    let mut s = String::new();
    let mut bytes = inner.char_indices();
    while let Some((i, c)) = bytes.next() {
        match c {
            '"' => return Some((s, &inner[i + 1..])),
            '\\' => match bytes.next()? {
                (_, e @ ('\\' | '"')) => s.push(e),
                _ => return None,
            },
            c => s.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;
    use serde_json::json;

    use super::read;
    use crate::yaml::canonical::{emit, tests::value};
    use crate::yaml::parse_general;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Whatever the canonical writer writes, the reader reads back, and so does
        /// serde-saphyr (the round trip the reader's invariant rests on).
        #[test]
        fn reads_back_what_the_canonical_writer_writes(document in value()) {
            if let Some(text) = emit("# header\n#\n", &document) {
                prop_assert_eq!(read(&text), Some(document.clone()));
                prop_assert_eq!(parse_general(&text).ok(), Some(document));
            }
        }
    }

    /// Texts that are not exactly the canonical writing of their document: left to
    /// serde-saphyr, whatever they mean.
    #[test]
    fn declines_texts_the_writer_would_not_write() {
        for text in [
            "a: yes\n",
            "a: 'b'\n",
            "a:  b\n",
            "a: 1.0\n",
            "a: 007\n",
            "b: 1\na: 2\n",
            "a: 1\na: 2\n",
            "a: b # comment\n",
            "a:\n    b: c\n",
            "a:\n  - b\n",
            "- a\n -b\n",
            "a: |\n  x\n\n",
            "a: \"\\n\"\n",
            "a: b",
            "",
            "# only a comment\n",
            "{}\n",
            "a: {b: c}\n",
            "---\na: b\n",
        ] {
            assert_eq!(read(text), None, "{text:?}");
        }
        assert_eq!(
            read(
                "# Code generated by dbgen. DO NOT EDIT.\na:\n- b: |2-\n       x\n    y\n  c: []\n"
            ),
            Some(json!({ "a": [ { "b": "   x\ny", "c": [] } ] }))
        );
    }

    /// The reader takes every YAML file of every golden tree (generated by dbgen, ASCII),
    /// so `render --check` and `plan` read committed trees without the general parser.
    #[test]
    fn reads_every_golden_yaml_file() {
        fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).expect("golden dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    walk(&path, files);
                } else if path.extension().is_some_and(|e| e == "yaml") {
                    files.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("golden"),
            &mut files,
        );
        let mut read_count = 0;
        for file in &files {
            let text = std::fs::read_to_string(file).expect("golden file");
            if !text.starts_with("# Code generated by dbgen") || !text.is_ascii() {
                continue;
            }
            let document = read(&text).unwrap_or_else(|| panic!("{} declined", file.display()));
            assert_eq!(
                parse_general(&text).ok(),
                Some(document),
                "{}",
                file.display()
            );
            read_count += 1;
        }
        assert!(read_count > 500, "only {read_count} golden files read");
    }
}
