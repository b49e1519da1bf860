//! Unit and property tests for the schema validator.
//! Input: small hand-written schemas and documents, every schema file under `schemas/`, and
//! golden manifests with random mutations.
//! Output: assertions on the exact issues (path and message) reported, and agreement with
//! the `jsonschema` crate (the validator dbgen used before, a dev-dependency now) on the
//! mutated golden manifests.
//! Invariant: each test fails if a keyword stops refusing, starts refusing valid input, or
//! a message or path drifts from what users and pinned tests read.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::check::{truncate, unknown_field_message};
use super::{QUANTITY, QUANTITY_PATTERN, Schema, describe, is_null_type};
use crate::plan::Kind;
use crate::verify::path::{FieldPath, Issue};
use crate::verify::schema::SchemaId;
use crate::verify::{Checker, checker_for};

/// `(path, message)` pairs, sorted, as `Verifier` presents them.
fn found(schema: &Value, doc: &Value) -> Vec<(String, String)> {
    let compiled = Schema::compile(schema).expect("test schema compiles");
    let mut issues = compiled.check(doc, &FieldPath::root());
    issues.sort();
    issues
        .into_iter()
        .map(|issue| (issue.path.to_string(), issue.message))
        .collect()
}

fn messages(schema: &Value, doc: &Value) -> Vec<String> {
    found(schema, doc)
        .into_iter()
        .map(|(_, message)| message)
        .collect()
}

#[test]
fn type_accepts_its_types_and_names_the_expected_one() {
    let integer = json!({"type": "integer"});
    assert!(found(&integer, &json!(3)).is_empty());
    assert!(found(&integer, &json!(-3)).is_empty());
    // An integer-valued float is an integer, as it was with jsonschema.
    assert!(found(&integer, &json!(3.0)).is_empty());
    assert_eq!(
        messages(&integer, &json!(3.5)),
        [r#"3.5 is not of type "integer""#]
    );
    assert_eq!(
        messages(&integer, &json!("3")),
        [r#""3" is not of type "integer""#]
    );
    assert!(found(&json!({"type": "number"}), &json!(3)).is_empty());
    assert!(found(&json!({"type": "number"}), &json!(3.5)).is_empty());
    assert_eq!(
        messages(&json!({"type": "boolean"}), &json!(null)),
        [r#"null is not of type "boolean""#]
    );
    for (ty, ok, bad) in [
        ("string", json!("a"), json!(1)),
        ("object", json!({}), json!([])),
        ("array", json!([]), json!({})),
        ("null", json!(null), json!(false)),
    ] {
        let schema = json!({"type": ty});
        assert!(found(&schema, &ok).is_empty(), "{ty}");
        assert_eq!(
            messages(&schema, &bad),
            [format!("{bad} is not of type \"{ty}\"")]
        );
    }
}

#[test]
fn nullable_type_lists_read_as_the_non_null_type() {
    let optional = json!({"type": ["integer", "null"]});
    assert!(found(&optional, &json!(null)).is_empty());
    assert!(found(&optional, &json!(1)).is_empty());
    assert_eq!(
        messages(&optional, &json!("1")),
        [r#""1" is not of type "integer""#]
    );
    let either = json!({"type": ["object", "string"]});
    assert!(found(&either, &json!("a")).is_empty());
    assert_eq!(
        messages(&either, &json!(1)),
        [r#"1 is not of types "object", "string""#]
    );
}

#[test]
fn enum_compares_values_and_lists_the_options() {
    let schema = json!({"enum": ["a", "b", 3]});
    assert!(found(&schema, &json!("a")).is_empty());
    assert!(found(&schema, &json!(3.0)).is_empty());
    assert_eq!(
        messages(&schema, &json!("c")),
        [r#""c" is not one of "a", "b" or 3"#]
    );
    assert_eq!(
        messages(&json!({"enum": ["a"]}), &json!("c")),
        [r#""c" is not one of "a""#]
    );
    assert_eq!(
        messages(&json!({"enum": ["a", "b", "c", "d", "e"]}), &json!("z")),
        [r#""z" is not one of "a", "b" or 3 other candidates"#]
    );
}

#[test]
fn pattern_searches_and_the_quantity_grammar_gets_words() {
    let schema = json!({"type": "string", "pattern": "b+"});
    assert!(found(&schema, &json!("abc")).is_empty());
    assert_eq!(
        messages(&schema, &json!("ac")),
        [r#""ac" does not match "b+""#]
    );
    // Not a string: only `type` speaks.
    assert_eq!(
        messages(&schema, &json!(1)),
        [r#"1 is not of type "string""#]
    );
    let quantity = json!({"type": "string", "pattern": QUANTITY_PATTERN});
    assert!(found(&quantity, &json!("500m")).is_empty());
    assert_eq!(
        messages(&quantity, &json!("10 GB")),
        [format!(r#""10 GB" is not {QUANTITY}"#)]
    );
    let insensitive = json!({"pattern": "^(?i)(abort|warn)?$"});
    assert!(found(&insensitive, &json!("WARN")).is_empty());
    assert_eq!(found(&insensitive, &json!("stop")).len(), 1);
}

#[test]
fn lengths_count_characters() {
    let schema = json!({"minLength": 2, "maxLength": 3});
    assert!(found(&schema, &json!("éé")).is_empty());
    assert_eq!(
        messages(&schema, &json!("a")),
        [r#""a" is shorter than 2 characters"#]
    );
    assert_eq!(
        messages(&schema, &json!("abcd")),
        [r#""abcd" is longer than 3 characters"#]
    );
    assert_eq!(
        messages(&json!({"minLength": 1}), &json!("")),
        [r#""" is shorter than 1 character"#]
    );
    assert!(found(&schema, &json!(12345)).is_empty());
}

#[test]
fn minimum_and_maximum_compare_numbers_by_value() {
    let schema = json!({"minimum": 0, "maximum": 10});
    assert!(found(&schema, &json!(0)).is_empty());
    assert!(found(&schema, &json!(10.0)).is_empty());
    assert!(found(&schema, &json!(u64::MAX)).len() == 1);
    assert_eq!(
        messages(&schema, &json!(-1)),
        ["-1 is less than the minimum of 0"]
    );
    assert_eq!(
        messages(&schema, &json!(10.5)),
        ["10.5 is greater than the maximum of 10"]
    );
    assert!(found(&schema, &json!("-1")).is_empty());
}

#[test]
fn item_and_property_counts() {
    assert_eq!(
        messages(&json!({"minItems": 1}), &json!([])),
        ["[] has less than 1 item"]
    );
    assert_eq!(
        messages(&json!({"maxItems": 1}), &json!([1, 2])),
        ["[1,2] has more than 1 item"]
    );
    let one = json!({"minProperties": 1, "maxProperties": 1});
    assert!(found(&one, &json!({"a": 1})).is_empty());
    assert_eq!(messages(&one, &json!({})), ["{} has less than 1 property"]);
    assert_eq!(
        messages(&one, &json!({"a": 1, "b": 2})),
        [r#"{"a":1,"b":2} has more than 1 property"#]
    );
}

#[test]
fn required_names_each_missing_property() {
    let schema = json!({"required": ["name", "port"]});
    assert!(found(&schema, &json!({"name": null, "port": 1})).is_empty());
    assert_eq!(
        messages(&schema, &json!({})),
        [
            r#""name" is a required property"#,
            r#""port" is a required property"#
        ]
    );
    assert!(found(&schema, &json!("not an object")).is_empty());
}

#[test]
fn closed_objects_name_unknown_fields_with_a_suggestion() {
    let schema = json!({
        "type": "object",
        "properties": {"instances": {"type": "integer"}, "imageName": {"type": "string"}},
        "additionalProperties": false
    });
    assert!(found(&schema, &json!({"instances": 1})).is_empty());
    assert_eq!(
        found(&schema, &json!({"instancez": 1, "zzz": 2})),
        [
            (
                "instancez".to_owned(),
                "unknown field `instancez` (did you mean `instances`?)".to_owned()
            ),
            ("zzz".to_owned(), "unknown field `zzz`".to_owned())
        ]
    );
    let open = json!({"properties": {"a": {"type": "string"}}});
    assert!(found(&open, &json!({"b": 1})).is_empty());
    let map = json!({"additionalProperties": {"type": "string"}});
    assert_eq!(
        found(&map, &json!({"app.kubernetes.io/name": 1})),
        [(
            r#"["app.kubernetes.io/name"]"#.to_owned(),
            r#"1 is not of type "string""#.to_owned()
        )]
    );
}

#[test]
fn any_of_over_bare_types_reads_as_a_sentence() {
    let int_or_string = json!({"anyOf": [{"type": "integer"}, {"type": "string"}]});
    assert!(found(&int_or_string, &json!("http")).is_empty());
    assert_eq!(
        messages(&int_or_string, &json!(true)),
        ["true is not an integer or a string"]
    );
    let quantity = json!({"anyOf": [
        {"type": "number"}, {"type": "string", "pattern": QUANTITY_PATTERN}, {"type": "null"}
    ]});
    assert_eq!(
        messages(&quantity, &json!("1 GiB")),
        [format!(r#""1 GiB" is not a number or {QUANTITY}"#)]
    );
    let other = json!({"anyOf": [{"type": "string", "minLength": 2}, {"type": "integer"}]});
    assert_eq!(
        messages(&other, &json!("a")),
        [r#""a" is not valid under any of the schemas listed in the 'anyOf' keyword"#]
    );
}

#[test]
fn boolean_schemas() {
    assert!(found(&json!(true), &json!({"anything": 1})).is_empty());
    assert_eq!(
        messages(&json!({"items": false}), &json!([1])),
        ["False schema does not allow 1"]
    );
}

/// Every violation is reported, each at its own path, including those below one that failed.
#[test]
fn all_violations_are_collected_with_nested_paths() {
    let schema = json!({
        "type": "object",
        "required": ["spec"],
        "properties": {
            "spec": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "ports": {"type": "array", "items": {
                        "type": "object",
                        "required": ["port"],
                        "properties": {"port": {"type": "integer", "minimum": 1}, "name": {"type": "string", "maxLength": 3}}
                    }}
                }
            }
        }
    });
    let doc =
        json!({"spec": {"ports": [{"port": 0, "name": "long"}, {}, {"port": "x"}], "prot": 1}});
    assert_eq!(
        found(&schema, &doc),
        [
            (
                "spec.ports[0].name",
                r#""long" is longer than 3 characters"#
            ),
            ("spec.ports[0].port", "0 is less than the minimum of 1"),
            ("spec.ports[1]", r#""port" is a required property"#),
            ("spec.ports[2].port", r#""x" is not of type "integer""#),
            ("spec.prot", "unknown field `prot` (did you mean `ports`?)"),
        ]
        .map(|(path, message)| (path.to_owned(), message.to_owned()))
    );
    let long = json!({"type": "integer"});
    let message = &messages(&long, &json!("x".repeat(400)))[0];
    assert_eq!(message.chars().count(), 301);
    assert!(message.ends_with('…'));
}

#[test]
fn paths_sit_below_the_prefix() {
    let schema = Schema::compile(&json!({"properties": {"name": {"type": "string"}}})).unwrap();
    let issues = schema.check(&json!({"name": 1}), &FieldPath::keys("metadata"));
    assert_eq!(issues[0].path.to_string(), "metadata.name");
}

/// A keyword the validator does not implement would be silently ignored; it must stop the
/// schema from compiling instead, naming where it is.
#[test]
fn unknown_or_malformed_keywords_do_not_compile() {
    for keyword in [
        "$ref",
        "oneOf",
        "allOf",
        "not",
        "const",
        "patternProperties",
        "uniqueItems",
    ] {
        let schema = json!({"properties": {"spec": {keyword: {}}}});
        let error = Schema::compile(&schema).expect_err(keyword);
        assert!(
            error.starts_with(&format!("/properties/spec/{keyword}: unsupported keyword")),
            "{error}"
        );
    }
    for (schema, pointer) in [
        (json!({"type": "int"}), "/type"),
        (json!({"minLength": -1}), "/minLength"),
        (json!({"pattern": "("}), "/pattern"),
        (json!({"required": [1]}), "/required"),
        (json!({"items": 3}), "/items"),
        (json!({"anyOf": [{}, {"oneOf": []}]}), "/anyOf/1/oneOf"),
    ] {
        let error = Schema::compile(&schema).expect_err(pointer);
        assert!(error.starts_with(&format!("{pointer}:")), "{error}");
    }
    // Annotations and the Kubernetes extensions are not constraints.
    let annotated = json!({
        "description": "d", "default": 1, "format": "int32", "nullable": true, "example": 2,
        "x-kubernetes-int-or-string": true, "x-kubernetes-validations": [{"rule": "self > 0"}],
        "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
        "x-kubernetes-map-type": "atomic", "x-kubernetes-preserve-unknown-fields": true
    });
    assert!(Schema::compile(&annotated).is_ok());
}

/// Every schema file in the repository compiles, embedded or not (so every `pattern` in them
/// is one `regex-lite` accepts).
#[test]
fn every_schema_file_compiles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let mut compiled = 0;
    for dir in ["crds", "builtin"] {
        let mut stack = vec![root.join(dir)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("schemas directory") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|ext| ext == "json") {
                    let text = std::fs::read_to_string(&path).expect("schema file");
                    let schema: Value = serde_json::from_str(&text).expect("schema JSON");
                    if let Err(error) = Schema::compile(&schema) {
                        panic!("{}: {error}", path.display());
                    }
                    compiled += 1;
                }
            }
        }
    }
    assert!(compiled >= 20, "only {compiled} schema files found");
}

proptest! {
    /// An integer-valued number is an integer whether written `3` or `3.0`.
    #[test]
    fn integer_type_admits_integer_valued_floats(n in -1_000_000_i64..1_000_000, fraction in 1_u32..1000) {
        let schema = json!({"type": "integer"});
        prop_assert!(found(&schema, &json!(n)).is_empty());
        #[allow(clippy::cast_precision_loss)]
        let float = n as f64;
        prop_assert!(found(&schema, &json!(float)).is_empty());
        let fractional = float + f64::from(fraction) / 1024.0;
        prop_assert_eq!(found(&schema, &json!(fractional)).len(), 1);
    }

    /// `pattern` searches the string: `b+` matches wherever a `b` is.
    #[test]
    fn pattern_is_a_search_not_a_full_match(text in "[a-c]{0,12}") {
        let valid = found(&json!({"pattern": "b+"}), &json!(text)).is_empty();
        prop_assert_eq!(valid, text.contains('b'));
    }
}

/// A golden manifest (or its `metadata`) with its schema, compiled by both validators.
struct Case {
    doc: Value,
    schema: Value,
    ours: Schema,
    reference: jsonschema::Validator,
}

/// Up to two golden manifests per schema, plus `metadata` of the first ones.
static CASES: LazyLock<Vec<Case>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("golden directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut per_schema: BTreeMap<String, usize> = BTreeMap::new();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("golden file");
        let Ok(doc) = crate::yaml::parse(&text) else {
            continue;
        };
        let api_version = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
        let id = match (
            checker_for(api_version, kind),
            Kind::of_document(api_version, kind),
        ) {
            (Some(Checker::Builtin(_)), _) if kind == "Secret" => SchemaId::Secret,
            (Some(Checker::Crd(kind)), _) | (Some(Checker::Builtin(_)), Some(kind)) => {
                SchemaId::Kind(kind)
            }
            _ => continue,
        };
        let seen = per_schema.entry(id.file()).or_default();
        *seen += 1;
        if *seen > 2 {
            continue;
        }
        if *seen == 1 {
            cases.push(case(SchemaId::ObjectMeta, doc["metadata"].clone()));
        }
        cases.push(case(id, doc));
    }
    cases
});

fn case(id: SchemaId, doc: Value) -> Case {
    let schema: Value = serde_json::from_str(id.source().expect("embedded schema")).unwrap();
    Case {
        ours: Schema::compile(&schema).unwrap(),
        reference: jsonschema::validator_for(&schema).unwrap(),
        schema,
        doc,
    }
}

/// What dbgen reported with jsonschema: its errors, converted as `schema.rs` did.
fn reference_issues(case: &Case, doc: &Value) -> Vec<Issue> {
    let mut issues = Vec::new();
    for error in case.reference.iter_errors(doc) {
        let mut path = FieldPath::root();
        for segment in error.instance_path() {
            path = match segment {
                LocationSegment::Property(name) => path.key(&name),
                LocationSegment::Index(index) => path.index(index),
            };
        }
        if let ValidationErrorKind::AdditionalProperties { unexpected } = error.kind() {
            let parent = error.schema_path().as_str();
            let parent = parent
                .strip_suffix("/additionalProperties")
                .unwrap_or(parent);
            let known: Vec<&str> = case
                .schema
                .pointer(parent)
                .and_then(|object| object.get("properties"))
                .and_then(Value::as_object)
                .map(|properties| properties.keys().map(String::as_str).collect())
                .unwrap_or_default();
            for field in unexpected {
                issues.push(Issue::new(
                    path.clone().key(field),
                    unknown_field_message(field, &known),
                ));
            }
            continue;
        }
        let message = reference_message(&case.schema, &error).unwrap_or_else(|| error.to_string());
        issues.push(Issue::new(path, truncate(&message)));
    }
    issues.sort();
    issues.dedup();
    issues
}

fn reference_message(schema: &Value, error: &jsonschema::ValidationError<'_>) -> Option<String> {
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

/// Values that break the schemas in many ways: wrong types, quantities, bounds, lengths.
fn palette() -> Vec<Value> {
    vec![
        json!("x"),
        json!(""),
        json!("10 GB"),
        json!("500m"),
        json!("Bad_Name"),
        json!("x".repeat(300)),
        json!(0),
        json!(-1),
        json!(3),
        json!(2.5),
        json!(3.0),
        json!(1e20),
        json!(u64::MAX),
        json!(null),
        json!(true),
        json!({}),
        json!([]),
        json!(["a", 1]),
        json!({"nmae": 1, "name": "n"}),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, usize),
    AddKey(usize, bool),
    RemoveKey(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(at, with)| Mutation::Replace(at, with)),
        (any::<usize>(), any::<bool>()).prop_map(|(at, near)| Mutation::AddKey(at, near)),
        any::<usize>().prop_map(Mutation::RemoveKey),
    ]
}

/// JSON pointers of every value in `doc`, parents before children.
fn pointers(doc: &Value, at: String, out: &mut Vec<String>) {
    match doc {
        Value::Object(fields) => {
            for (key, child) in fields {
                pointers(
                    child,
                    format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn apply(doc: &mut Value, mutation: &Mutation) {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    let pick = |at: usize| all[at % all.len()].clone();
    match mutation {
        Mutation::Replace(at, with) => {
            let palette = palette();
            if let Some(target) = doc.pointer_mut(&pick(*at)) {
                *target = palette[with % palette.len()].clone();
            }
        }
        Mutation::AddKey(at, near) => {
            if let Some(Value::Object(fields)) = doc.pointer_mut(&pick(*at)) {
                let key = match fields.keys().next() {
                    Some(first) if *near => format!("{first}z"),
                    _ => "unknownField".to_owned(),
                };
                fields.insert(key, json!(1));
            }
        }
        Mutation::RemoveKey(at) => {
            if let Some(Value::Object(fields)) = doc.pointer_mut(&pick(*at)) {
                let first = fields.keys().next().cloned();
                if let Some(first) = first {
                    fields.remove(&first);
                }
            }
        }
    }
}

#[test]
fn golden_manifests_are_valid_for_both_validators() {
    assert!(CASES.len() >= 20, "only {} golden cases", CASES.len());
    for case in CASES.iter() {
        let mut ours = case.ours.check(&case.doc, &FieldPath::root());
        ours.sort();
        ours.dedup();
        assert_eq!(ours, reference_issues(case, &case.doc), "{}", case.doc);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// On mutated golden manifests, the issues (paths and messages) are exactly those
    /// dbgen reported through jsonschema.
    #[test]
    fn mutated_manifests_get_the_issues_jsonschema_gave(
        which in any::<usize>(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let case = &CASES[which % CASES.len()];
        let mut doc = case.doc.clone();
        for mutation in &mutations {
            apply(&mut doc, mutation);
        }
        let mut ours = case.ours.check(&doc, &FieldPath::root());
        ours.sort();
        ours.dedup();
        prop_assert_eq!(ours, reference_issues(case, &doc));
    }
}

/// Every palette value at a spread of places in every case: the same issues as jsonschema,
/// and enough of them that the comparison is not between two empty lists.
#[test]
fn replaced_values_get_the_issues_jsonschema_gave() {
    let palette = palette();
    let mut compared = 0;
    for case in CASES.iter() {
        let mut all = Vec::new();
        pointers(&case.doc, String::new(), &mut all);
        let step = all.len().div_ceil(25);
        for at in all.iter().step_by(step) {
            for value in &palette {
                let mut doc = case.doc.clone();
                if let Some(target) = doc.pointer_mut(at) {
                    *target = value.clone();
                }
                let mut ours = case.ours.check(&doc, &FieldPath::root());
                ours.sort();
                ours.dedup();
                let reference = reference_issues(case, &doc);
                assert_eq!(ours, reference, "{at} = {value}");
                compared += reference.len();
            }
        }
    }
    assert!(compared > 1000, "only {compared} issues compared");
}
