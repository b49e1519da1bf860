//! The CRDs' own transition rules: `x-kubernetes-validations` entries that read
//! `oldSelf`, taken from the embedded CRD schemas rather than copied by hand, so a
//! new operator version's rules apply when its schemas are refreshed.
//!
//! Input: the committed and the new version of one custom resource. Output: each
//! rule the update breaks, with the field path and the CRD's own message.
//! Invariant: a rule is evaluated only where both versions have the field (as the
//! API server does). The forms in today's schemas are equalities (`self == oldSelf`,
//! `self.a == oldSelf.a`); any other rule reading `oldSelf` counts as broken whenever
//! its field changes, the cautious reading, and says so.

use std::collections::BTreeMap;

use serde_json::Value;

/// One transition rule of a CRD, located by property path below the object root.
#[derive(Debug, Clone)]
struct Rule {
    path: Vec<String>,
    expression: String,
    message: String,
}

/// A rule the update breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Broken {
    /// Dotted path of the field the rule sits on.
    pub(super) path: String,
    pub(super) message: String,
    /// Whether the rule is one of the understood equality forms.
    pub(super) evaluated: bool,
}

/// Transition rules per (apiVersion, kind), parsed from the schemas on first use.
#[derive(Debug, Default)]
pub(super) struct Rules {
    cache: BTreeMap<(String, String), Vec<Rule>>,
}

impl Rules {
    /// The rules `new` breaks relative to `old` (same apiVersion and kind).
    pub(super) fn broken(&mut self, old: &Value, new: &Value) -> Vec<Broken> {
        let (Some(api_version), Some(kind)) = (new["apiVersion"].as_str(), new["kind"].as_str())
        else {
            return Vec::new();
        };
        let rules = self
            .cache
            .entry((api_version.to_owned(), kind.to_owned()))
            .or_insert_with(|| load(api_version, kind));
        let mut broken = Vec::new();
        for rule in rules.iter() {
            let (Some(before), Some(after)) = (at(old, &rule.path), at(new, &rule.path)) else {
                continue;
            };
            let (holds, evaluated) = evaluate(&rule.expression, before, after);
            if !holds {
                broken.push(Broken {
                    path: rule.path.join("."),
                    message: rule.message.clone(),
                    evaluated,
                });
            }
        }
        broken
    }
}

fn load(api_version: &str, kind: &str) -> Vec<Rule> {
    let Some(text) = crate::verify::crd_schema(api_version, kind) else {
        return Vec::new();
    };
    let Ok(schema) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut rules = Vec::new();
    collect(&schema, &mut Vec::new(), &mut rules);
    rules
}

/// Walks `properties` only: a rule below a list item or a map value would need
/// pairing items across versions, and none of today's transition rules sits there.
fn collect(schema: &Value, path: &mut Vec<String>, out: &mut Vec<Rule>) {
    if let Some(validations) = schema["x-kubernetes-validations"].as_array() {
        for v in validations {
            let Some(rule) = v["rule"].as_str() else {
                continue;
            };
            if rule.contains("oldSelf") {
                out.push(Rule {
                    path: path.clone(),
                    expression: rule.to_owned(),
                    message: v["message"].as_str().unwrap_or(rule).to_owned(),
                });
            }
        }
    }
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            path.push(name.clone());
            collect(property, path, out);
            path.pop();
        }
    }
}

fn at<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// (holds, evaluated): equality forms are evaluated; anything else holds only when
/// nothing under the rule changed.
fn evaluate(rule: &str, old: &Value, new: &Value) -> (bool, bool) {
    let compact: String = rule.chars().filter(|c| !c.is_whitespace()).collect();
    let Some((left, right)) = compact.split_once("==") else {
        return (old == new, false);
    };
    let side = |s: &str| -> Option<(bool, Vec<String>)> {
        let (is_old, rest) = if let Some(rest) = s.strip_prefix("oldSelf") {
            (true, rest)
        } else {
            (false, s.strip_prefix("self")?)
        };
        let fields: Vec<String> = if rest.is_empty() {
            Vec::new()
        } else {
            let rest = rest.strip_prefix('.')?;
            let fields: Vec<String> = rest.split('.').map(str::to_owned).collect();
            if fields
                .iter()
                .any(|f| f.is_empty() || !f.chars().all(|c| c.is_alphanumeric() || c == '_'))
            {
                return None;
            }
            fields
        };
        Some((is_old, fields))
    };
    match (side(left), side(right)) {
        (Some((a_old, a)), Some((b_old, b))) if a_old != b_old && a == b => {
            (at(old, &a) == at(new, &a), true)
        }
        _ => (old == new, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn database(name: &str, cluster: &str) -> Value {
        json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Database",
               "metadata": {"name": "d"},
               "spec": {"name": name, "owner": "o", "cluster": {"name": cluster}}})
    }

    #[test]
    fn database_name_and_cluster_are_immutable_by_the_crd_rules() {
        let mut rules = Rules::default();
        let broken = rules.broken(&database("a", "c1"), &database("b", "c2"));
        let paths: Vec<&str> = broken.iter().map(|b| b.path.as_str()).collect();
        assert_eq!(paths, ["spec.cluster", "spec.name"]);
        assert!(broken.iter().all(|b| b.evaluated));
        assert!(
            rules
                .broken(&database("a", "c1"), &database("a", "c1"))
                .is_empty()
        );
    }

    #[test]
    fn role_rule_compares_the_named_subfield_only() {
        let role = |name: &str, login: bool| {
            json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "DatabaseRole",
                   "metadata": {"name": "r"},
                   "spec": {"name": name, "login": login, "cluster": {"name": "c"}}})
        };
        let mut rules = Rules::default();
        assert!(rules.broken(&role("u", true), &role("u", false)).is_empty());
        let broken = rules.broken(&role("u", true), &role("v", true));
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].path, "spec");
        assert_eq!(broken[0].message, "name is immutable");
    }

    #[test]
    fn unknown_forms_are_cautious() {
        assert_eq!(
            evaluate("self >= oldSelf", &json!(1), &json!(2)),
            (false, false)
        );
        assert_eq!(
            evaluate("self >= oldSelf", &json!(1), &json!(1)),
            (true, false)
        );
    }
}
