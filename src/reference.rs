//! The spec reference (docs/reference.md), generated from the spec's JSON Schema so it
//! cannot drift from what dbgen accepts.
//!
//! Input: `spec::json_schema()`. Output: Markdown, one table per top-level section, a row per
//! key with its dotted path (`<name>` for user-chosen names), type, whether it is required,
//! and its documentation (defaults are stated there).
//! Invariant: deterministic; a unit test fails when docs/reference.md differs from it
//! (`DBGEN_BLESS=1 cargo test --lib reference` rewrites the file).

use std::fmt::Write as _;

use serde_json::Value;

/// The whole reference page.
pub fn markdown() -> String {
    let schema = crate::spec::json_schema();
    let root = serde_json::to_value(&schema).unwrap_or_default();
    let mut out = String::from(
        "# Spec reference\n\n\
         Every key of `dbgen.toml`, generated from the JSON Schema (`dbgen schema`) by\n\
         `DBGEN_BLESS=1 cargo test --lib reference`; a test fails when this page is stale.\n\
         `<name>` stands for a name you choose (an environment, a cluster, an app).\n\
         Defaults are given in each description; profiles (`small`, `medium`, `large`) set\n\
         instances, storage and resources per environment.\n",
    );
    let properties = root.get("properties").and_then(Value::as_object);
    let required = required_of(&root);
    for (key, property) in properties.into_iter().flatten() {
        let _ = write!(
            out,
            "\n## `[{key}]`\n\n{}\n\n",
            one_line(description(property))
        );
        out.push_str("| key | type | required | description |\n|---|---|---|---|\n");
        let mut rows = Vec::new();
        walk(
            &root,
            property,
            key,
            required.contains(&key.as_str()),
            &mut Vec::new(),
            &mut rows,
        );
        for row in rows {
            out.push_str(&row);
        }
    }
    out
}

fn required_of(node: &Value) -> Vec<&str> {
    node.get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn description(node: &Value) -> &str {
    node.get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn one_line(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn resolve<'a>(root: &'a Value, node: &'a Value) -> (&'a Value, Option<&'a str>) {
    if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        if let Some(def) = root.pointer(&format!("/$defs/{name}")) {
            return (def, Some(name));
        }
    }
    // `Option<T>`: `anyOf: [T, null]`.
    if let Some(any) = node.get("anyOf").and_then(Value::as_array) {
        let mut real = any
            .iter()
            .filter(|v| v.get("type") != Some(&Value::from("null")));
        if let (Some(only), None) = (real.next(), real.next()) {
            return resolve(root, only);
        }
    }
    (node, None)
}

/// A short type: `string`, `integer`, `table`, `map of table`, `"a" | "b"`, `array of string`.
fn type_of(root: &Value, node: &Value) -> String {
    let (node, _) = resolve(root, node);
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(" \\| ");
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(variants) = node.get(key).and_then(Value::as_array) {
            let names: Vec<String> = variants
                .iter()
                .filter(|v| v.get("type") != Some(&Value::from("null")))
                .map(|v| {
                    v.get("const")
                        .map(Value::to_string)
                        .or_else(|| {
                            v.get("enum").and_then(Value::as_array).map(|e| {
                                e.iter()
                                    .map(Value::to_string)
                                    .collect::<Vec<_>>()
                                    .join(" \\| ")
                            })
                        })
                        .unwrap_or_else(|| type_of(root, v))
                })
                .collect();
            return names.join(" \\| ");
        }
    }
    if node.get("properties").is_some() {
        return "table".to_owned();
    }
    match node.get("type") {
        Some(Value::String(t)) => match t.as_str() {
            "array" => format!(
                "array of {}",
                node.get("items")
                    .map_or_else(|| "any".to_owned(), |i| type_of(root, i))
            ),
            "object" => node.get("additionalProperties").map_or_else(
                || "table".to_owned(),
                |v| format!("map of {}", type_of(root, v)),
            ),
            other => other.to_owned(),
        },
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" \\| "),
        _ => "any".to_owned(),
    }
}

fn walk(
    root: &Value,
    node: &Value,
    path: &str,
    required: bool,
    seen: &mut Vec<String>,
    rows: &mut Vec<String>,
) {
    let (target, name) = resolve(root, node);
    let text = match description(node) {
        "" => description(target),
        own => own,
    };
    rows.push(format!(
        "| `{path}` | {} | {} | {} |\n",
        type_of(root, node),
        if required { "yes" } else { "" },
        one_line(text)
    ));
    if let Some(name) = name {
        if seen.iter().any(|s| s == name) {
            return;
        }
        seen.push(name.to_owned());
    }
    if let Some(properties) = target.get("properties").and_then(Value::as_object) {
        let required = required_of(target);
        for (key, child) in properties {
            walk(
                root,
                child,
                &format!("{path}.{key}"),
                required.contains(&key.as_str()),
                seen,
                rows,
            );
        }
    } else if let Some(values) = target.get("additionalProperties").filter(|v| v.is_object()) {
        let (inner, _) = resolve(root, values);
        if inner.get("properties").is_some() {
            let (_, inner_name) = resolve(root, values);
            let child = if inner_name.is_some() { values } else { inner };
            let (resolved, _) = resolve(root, child);
            if let Some(properties) = resolved.get("properties").and_then(Value::as_object) {
                let required = required_of(resolved);
                for (key, grandchild) in properties {
                    walk(
                        root,
                        grandchild,
                        &format!("{path}.<name>.{key}"),
                        required.contains(&key.as_str()),
                        seen,
                        rows,
                    );
                }
            }
        }
    }
    if name.is_some() {
        seen.pop();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn docs_reference_is_generated_from_the_schema() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reference.md");
        let generated = super::markdown();
        if std::env::var_os("DBGEN_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/reference.md is stale: run DBGEN_BLESS=1 cargo test --lib reference"
        );
        for key in [
            "`platform.name`",
            "`postgres.<name>.engine`",
            "`apps.<name>.namespace`",
        ] {
            assert!(generated.contains(key), "{key} missing");
        }
    }
}
