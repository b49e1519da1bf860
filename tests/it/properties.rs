//! Property tests (proptest) for the functions every output byte and every diagnostic go
//! through: YAML quoting and the round trip (`dbgen::yaml`), placeholder expansion
//! (`dbgen::naming::expand`) and the TOML shape walker behind `dbgen::spec::load_spec`.
//!
//! Input: generated values, templates and spec texts, biased towards the characters and
//! words that break naive code (YAML 1.1 booleans and numbers, indicators, braces, multibyte
//! text). Output: pass, or proptest's minimal failing case. Invariant: each property is
//! checked against an oracle written here, never against the function's own output alone.
//! `PROPTEST_CASES=N` runs more cases than the defaults below.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Map, Value};

/// Strings a YAML writer must quote or escape to keep them strings: YAML 1.1 booleans and
/// null in several cases, number look-alikes (octal, hex, sexagesimal, underscores,
/// exponents), indicators and whitespace at the edges, line breaks of every kind, and
/// arbitrary Unicode.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "(?i:y|n|yes|no|on|off|true|false|null|~)",
        "[-+]?[0-9_.:eExXoObB]{1,10}",
        "[-+]?\\.(inf|Inf|INF|nan|NaN|NAN)",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2})?",
        "[ \t\n\r#:'\"&*!|>%@`{}\\[\\],?~=<-]{0,3}[a-z0-9]{0,3}[ \t\n\r#:'\"&*!|>%@`{}\\[\\],?~=<-]{0,3}",
        "[a-z]{0,4}[\u{85}\u{2028}\u{2029}\u{feff}\u{0}-\u{1f}\u{7f}][a-z]{0,4}",
        any::<String>(),
    ]
}

/// A JSON tree of the kinds dbgen emits: null, booleans, integers, strings, lists and
/// mappings. Floats are left out: no dbgen output holds one (quantities are strings).
fn json_tree() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        tricky_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(tricky_string(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Every document dbgen writes is a mapping at the top.
fn json_document() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(tricky_string(), json_tree(), 0..5)
        .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The invariant of `dbgen::yaml`: what is emitted reads back as the same tree, so no
    /// string is retyped (`on`, `1.10`, `1_000`) and none can inject structure.
    #[test]
    fn yaml_round_trips(value in json_document()) {
        let text = dbgen::yaml::emit(&value).unwrap();
        let back = dbgen::yaml::parse(&text)
            .unwrap_or_else(|e| panic!("emitted YAML does not parse: {e}\n{text}"));
        prop_assert_eq!(back, value, "emitted:\n{}", text);
    }

    /// A string is a string wherever it stands: as a value and as a key.
    #[test]
    fn yaml_strings_stay_strings(s in tricky_string()) {
        let value = serde_json::json!({ "value": s.clone(), s.clone(): "key" });
        let text = dbgen::yaml::emit(&value).unwrap();
        prop_assert_eq!(dbgen::yaml::parse(&text).unwrap(), value, "emitted:\n{}", text);
    }

    /// No folding: a string without a line feed is written on the key's line, so a reviewer
    /// reads it whole and a diff shows it as one line.
    #[test]
    fn yaml_single_line_strings_stay_on_one_line(s in "[^\n]{0,300}") {
        let text = dbgen::yaml::emit(&serde_json::json!({ "k": s })).unwrap();
        prop_assert_eq!(text.matches('\n').count(), 1, "emitted:\n{}", text);
    }

    /// Canonical: emitting what was read back gives the same bytes, so a re-render of a
    /// checked-in tree never shows a diff.
    #[test]
    fn yaml_emit_is_a_fixed_point(value in json_document()) {
        let text = dbgen::yaml::emit(&value).unwrap();
        let again = dbgen::yaml::emit(&dbgen::yaml::parse(&text).unwrap()).unwrap();
        prop_assert_eq!(again, text);
    }
}

/// The placeholders a test template may use, with values that themselves hold braces
/// (an expanded value is never expanded again).
fn placeholder_values() -> impl Strategy<Value = BTreeMap<&'static str, String>> {
    (".{0,6}", "[a-z{}]{0,6}", "\\PC{0,6}").prop_map(|(env, app, cluster)| {
        BTreeMap::from([("env", env), ("app", app), ("cluster", cluster)])
    })
}

/// A piece of a template: literal text (no braces) or a known placeholder.
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Var(&'static str),
}

fn pieces() -> impl Strategy<Value = Vec<Piece>> {
    let piece = prop_oneof![
        "[^{}]{0,6}".prop_map(Piece::Text),
        prop::sample::select(vec!["env", "app", "cluster"]).prop_map(Piece::Var),
    ];
    prop::collection::vec(piece, 0..8)
}

fn template_of(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) => t.clone(),
            Piece::Var(name) => format!("{{{name}}}"),
        })
        .collect()
}

fn borrowed<'v>(values: &'v BTreeMap<&'static str, String>) -> BTreeMap<&'static str, &'v str> {
    values.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Known placeholders are replaced by their values, literally, and nothing else changes.
    #[test]
    fn expand_replaces_known_placeholders(pieces in pieces(), values in placeholder_values()) {
        let expected: String = pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.as_str(),
                Piece::Var(name) => values[name].as_str(),
            })
            .collect();
        let template = template_of(&pieces);
        prop_assert_eq!(dbgen::naming::expand(&template, &borrowed(&values)), Ok(expected));
    }

    /// The first unknown placeholder is reported with the byte offset of its `{`.
    #[test]
    fn expand_reports_the_first_unknown_placeholder(
        before in pieces(),
        name in "[a-z_]{0,8}",
        after in "\\PC{0,12}",
        values in placeholder_values(),
    ) {
        prop_assume!(!values.contains_key(name.as_str()));
        let prefix = template_of(&before);
        let template = format!("{prefix}{{{name}}}{after}");
        prop_assert_eq!(
            dbgen::naming::expand(&template, &borrowed(&values)),
            Err(dbgen::naming::PlaceholderError::Unknown { name, offset: prefix.len() })
        );
    }

    /// A stray `}` or a `{` never closed is reported at its byte offset.
    #[test]
    fn expand_reports_unbalanced_braces(
        before in pieces(),
        stray_close in any::<bool>(),
        after in "[^{}]{0,12}",
        values in placeholder_values(),
    ) {
        let prefix = template_of(&before);
        let template = if stray_close {
            format!("{prefix}}}{after}")
        } else {
            format!("{prefix}{{{after}")
        };
        prop_assert_eq!(
            dbgen::naming::expand(&template, &borrowed(&values)),
            Err(dbgen::naming::PlaceholderError::Unbalanced { offset: prefix.len() })
        );
    }

    /// Any text at all: no panic, and an error's offset points at a brace of the template
    /// (diagnostics turn it into a column).
    #[test]
    fn expand_never_panics_and_offsets_point_at_braces(
        template in "\\PC{0,24}|[{}a-z]{0,24}",
        values in placeholder_values(),
    ) {
        let offset = match dbgen::naming::expand(&template, &borrowed(&values)) {
            Ok(_) => return Ok(()),
            Err(
                dbgen::naming::PlaceholderError::Unknown { offset, .. }
                | dbgen::naming::PlaceholderError::Unbalanced { offset },
            ) => offset,
        };
        prop_assert!(template.is_char_boundary(offset));
        let at_brace = matches!(template.as_bytes().get(offset), Some(b'{' | b'}'));
        prop_assert!(at_brace, "offset {} of {:?}", offset, template);
    }
}

/// A valid spec of the shapes users write; every property below starts from it.
const VALID_SPEC: &str = include_str!("../../golden/vixens-shared/dbgen.toml");

/// Loads `text` as `dbgen.toml` through the shape walker.
fn load(
    text: &str,
) -> (
    dbgen::source::Sources,
    Result<(), Vec<dbgen::diagnostic::Diagnostic>>,
) {
    let mut sources = dbgen::source::Sources::default();
    let file = sources.add("dbgen.toml", text);
    let result = dbgen::spec::load_spec(&sources, file).map(|_| ());
    (sources, result)
}

/// TOML-looking text: headers, keys, values of every type, broken quoting and brackets.
fn toml_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "\\[[a-z.\"-]{0,20}\\]{0,2}",
        "[a-z_.\"-]{0,12} ?= ?(\"[^\"\n]{0,8}\"?|[0-9]{0,4}|true|\\[[0-9, \"]{0,8}\\]?|\\{[a-z =\"0-9,]{0,12}\\}?)",
        "\\PC{0,16}",
    ];
    prop::collection::vec(line, 0..12).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any text: the walker answers (no panic), a refusal carries at least one error, every
    /// span lies inside the file on character boundaries, and the report renders.
    #[test]
    fn shape_walker_never_panics_and_locates_every_problem(
        text in prop_oneof![toml_like(), any::<String>()],
    ) {
        let (sources, result) = load(&text);
        let Err(diagnostics) = result else { return Ok(()) };
        prop_assert!(diagnostics.iter().any(dbgen::diagnostic::Diagnostic::is_error));
        for d in &diagnostics {
            if let Some(span) = &d.span {
                prop_assert!(span.range.start <= span.range.end && span.range.end <= text.len(), "{:?}", d);
                prop_assert!(text.is_char_boundary(span.range.start), "{:?}", d);
                prop_assert!(text.is_char_boundary(span.range.end), "{:?}", d);
            }
        }
        let rendered = dbgen::diagnostic::render(&sources, &diagnostics);
        prop_assert!(!rendered.is_empty());
    }

    /// Unknown keys added to a valid spec are all reported at once, each at its own key,
    /// and nothing else is: the root table is strict, so at least that one is found; a key
    /// added to a table of free-form entries may be accepted or refused there, but never
    /// reported anywhere else.
    #[test]
    fn shape_walker_reports_every_added_key_where_it_is(
        root_key in "zz_[a-z0-9_]{0,10}",
        more in prop::collection::btree_map(0..64usize, "zz_[a-z0-9_]{0,10}", 0..4),
    ) {
        // Added after a header line (a table) or at the top (the root table).
        let headers: Vec<usize> = VALID_SPEC
            .match_indices('\n')
            .map(|(i, _)| i + 1)
            .filter(|&i| VALID_SPEC[i..].starts_with('['))
            .map(|i| i + VALID_SPEC[i..].find('\n').unwrap() + 1)
            .collect();
        let mut insertions: BTreeMap<usize, String> = BTreeMap::new();
        insertions.insert(0, root_key);
        for (pick, key) in more {
            insertions.entry(headers[pick % headers.len()]).or_insert(key);
        }
        let mut text = String::new();
        let mut key_ranges = Vec::new();
        let mut copied = 0;
        for (&at, key) in &insertions {
            text.push_str(&VALID_SPEC[copied..at]);
            key_ranges.push(text.len()..text.len() + key.len());
            text.push_str(key);
            text.push_str(" = \"added\"\n");
            copied = at;
        }
        text.push_str(&VALID_SPEC[copied..]);

        let (_, result) = load(&text);
        let Err(diagnostics) = result else {
            return Err(TestCaseError::fail(format!("accepted:\n{text}")));
        };
        let unknown_at = |range: &std::ops::Range<usize>| {
            diagnostics.iter().any(|d| {
                d.code == dbgen::diagnostic::Code::UnknownKey && d.span.as_ref().is_some_and(|s| s.range == *range)
            })
        };
        prop_assert!(unknown_at(&key_ranges[0]), "root key not reported: {:?}", diagnostics);
        for d in &diagnostics {
            let span = d.span.as_ref().map(|s| s.range.clone());
            let at_an_added_line = span.as_ref().is_some_and(|r| {
                key_ranges.iter().any(|k| r.start >= k.start && r.end <= k.end + " = \"added\"".len())
            });
            prop_assert!(at_an_added_line, "{:?} is not at an added key:\n{}", d, text);
        }
    }
}

#[test]
fn the_valid_spec_loads() {
    let (_, result) = load(VALID_SPEC);
    assert!(result.is_ok(), "{result:?}");
}
