//! The one place dbgen reads and writes YAML.
//!
//! Input: rendered template text (`parse`) or a JSON value tree (`emit`).
//! Output: `serde_json::Value` with Kubernetes' YAML 1.1 reading (`on` is a bool, as
//! go-yaml v2 reads it), or canonical block YAML: 2-space indent, kubectl-style lists,
//! keys sorted, every string a YAML 1.1 reader could retype quoted, no folding.
//! `emit` writes with `canonical`, dbgen's own writer, when the document is in its subset,
//! and with serde-saphyr otherwise: the same bytes either way. `parse` reads a text
//! `canonical` wrote with `reader`, and any other with serde-saphyr: the same document.
//! Invariant: `parse(emit(v)) == v` for every value dbgen emits.

use serde_json::Value;

mod canonical;
mod reader;

/// A YAML text that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct YamlError(String);

/// Reads one YAML document the way the Kubernetes API server would.
///
/// A text dbgen wrote (`reader`: exactly what `canonical` writes) is read without the
/// general parser; debug builds check that the general parser reads it the same.
pub fn parse(text: &str) -> Result<Value, YamlError> {
    let Some(document) = reader::read(text) else {
        return parse_general(text);
    };
    debug_assert_eq!(
        parse_general(text).ok().as_ref(),
        Some(&document),
        "canonical YAML reader disagrees with serde-saphyr on:\n{text}"
    );
    Ok(document)
}

/// serde-saphyr's reading of `text`.
fn parse_general(text: &str) -> Result<Value, YamlError> {
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| YamlError(e.to_string()))
}

/// Writes one document canonically (no `---`, trailing newline).
pub fn emit(value: &Value) -> Result<String, YamlError> {
    emit_after("", value)
}

/// `prefix` (a file's header comment) and then the document, as `emit` writes it, in one
/// string written once.
///
/// dbgen's own writer (`canonical`) takes the documents it prints; serde-saphyr writes any
/// other, and debug builds check that the two agree on every document.
pub fn emit_after(prefix: &str, value: &Value) -> Result<String, YamlError> {
    let Some(text) = canonical::emit(prefix, value) else {
        #[cfg(test)]
        canonical::tests::DECLINED.with(|declined| declined.set(declined.get() + 1));
        return emit_general(value).map(|body| format!("{prefix}{body}"));
    };
    debug_assert_eq!(
        emit_general(value).ok().as_deref(),
        text.strip_prefix(prefix),
        "canonical YAML writer disagrees with serde-saphyr on {value}"
    );
    Ok(text)
}

/// serde-saphyr's writing of `value`, the reference `canonical` reproduces.
fn emit_general(value: &Value) -> Result<String, YamlError> {
    let options = serde_saphyr::ser_options! {
        indent_step: 2,
        compact_list_indent: true,
        // Folding long strings would make reviewers read wrapped URIs; literal blocks
        // for multi-line values stay on.
        folded_wrap_chars: usize::MAX,
        yaml_12: false,
    };
    let mut text = serde_saphyr::to_string_with_options(value, options)
        .map_err(|e| YamlError(e.to_string()))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;

    /// Strings that YAML 1.1 readers (Kubernetes' go-yaml v2, PyYAML) would retype
    /// when unquoted: each must survive emit → parse as the same string.
    pub(super) const RETYPABLE: &[&str] = &[
        "on",
        "off",
        "On",
        "OFF",
        "yes",
        "no",
        "Yes",
        "NO",
        "y",
        "n",
        "Y",
        "N",
        "true",
        "false",
        "True",
        "null",
        "Null",
        "~",
        "",
        "1.10",
        "1.0",
        "010",
        "0o17",
        "0x1F",
        "1e3",
        "71e90889",
        "1e400",
        "12e3",
        ".5",
        "+1",
        "-1",
        "1_000",
        "12:30",
        "2024-01-01",
        "<<",
        "=",
        ".inf",
        "-.Inf",
        ".nan",
        "0b101",
        "tab\tsep",
        "line1\nline2\n",
        "x: y # not a comment",
        "- item",
        "{a: 1}",
        "[1]",
        "&anchor",
        "*alias",
        "!tag",
        "%directive",
        "@at",
        "`tick",
        "'single'",
        "\"double\"",
        " leading",
        "trailing ",
        "#comment",
    ];

    #[test]
    fn retypable_strings_round_trip_as_strings() {
        for s in RETYPABLE {
            let doc = json!({ "value": s, s.to_string(): "key" });
            let text = emit(&doc).unwrap();
            let back = parse(&text).unwrap();
            assert_eq!(back, doc, "{s:?} did not round-trip; emitted:\n{text}");
        }
    }

    #[test]
    fn long_strings_stay_on_one_line() {
        let uri = format!("postgresql://user:{}@host:5432/db", "p".repeat(150));
        let text = emit(&json!({ "uri": uri })).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
    }

    #[test]
    fn lists_are_kubectl_style_and_indent_is_two() {
        let text = emit(&json!({ "spec": { "items": [ { "name": "a" } ] } })).unwrap();
        assert_eq!(text, "spec:\n  items:\n  - name: a\n");
    }

    #[test]
    fn kubernetes_reads_unquoted_on_as_bool() {
        assert_eq!(parse("a: on\n").unwrap(), json!({ "a": true }));
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        assert!(parse("a: 1\na: 2\n").is_err());
    }
}
