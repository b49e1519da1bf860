//! The CRDs' own transition rules: `x-kubernetes-validations` entries that read
//! `oldSelf`, taken from the embedded CRD schemas rather than copied by hand, so a
//! new operator version's rules apply when its schemas are refreshed.
//!
//! Input: the committed and the new version of one custom resource. Output: each
//! rule the update breaks, with the field path and the CRD's own message.
//! Invariant: a rule is evaluated only where both versions have the field (as the
//! API server does), by the CEL interpreter `verify` uses for the other rules, so
//! `plan` calls an update rejected exactly when the API server's rule refuses it.
//! A rule the interpreter cannot evaluate counts as broken whenever its field
//! changes, the cautious reading, and says so.

use serde_json::Value;

use crate::verify::cel::{self, Outcome, Step};

/// A rule the update breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Broken {
    /// Dotted path of the field the rule sits on.
    pub(super) path: String,
    pub(super) message: String,
    /// Whether the interpreter evaluated the rule (rather than assuming it breaks).
    pub(super) evaluated: bool,
}

/// The transition rules `new` breaks relative to `old` (same apiVersion and kind).
pub(super) fn broken(old: &Value, new: &Value) -> Vec<Broken> {
    let (Some(api_version), Some(kind)) = (new["apiVersion"].as_str(), new["kind"].as_str()) else {
        return Vec::new();
    };
    let mut broken = Vec::new();
    for rule in cel::rules_of(api_version, kind)
        .iter()
        .filter(|rule| rule.transition)
    {
        // A rule below a list item or a map value would need pairing items across
        // versions (the API server does it for keyed lists only); none of today's
        // transition rules sits there.
        let Some(path) = keys(&rule.steps) else {
            continue;
        };
        let (Some(before), Some(after)) = (at(old, &path), at(new, &path)) else {
            continue;
        };
        let (holds, evaluated) = match cel::evaluate(rule, after, Some(before)) {
            Outcome::Holds => (true, true),
            Outcome::Broken => (false, true),
            Outcome::Failed(_) if rule.unsupported().is_none() => (false, true),
            Outcome::Failed(_) => (before == after, false),
        };
        if !holds {
            broken.push(Broken {
                path: path.join("."),
                message: rule.message.clone(),
                evaluated,
            });
        }
    }
    broken
}

fn keys(steps: &[Step]) -> Option<Vec<&str>> {
    steps
        .iter()
        .map(|step| match step {
            Step::Key(key) => Some(key.as_str()),
            Step::Items | Step::Values => None,
        })
        .collect()
}

fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .filter(|v| !v.is_null())
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
        let found = broken(&database("a", "c1"), &database("b", "c2"));
        let paths: Vec<&str> = found.iter().map(|b| b.path.as_str()).collect();
        assert_eq!(paths, ["spec.cluster", "spec.name"]);
        assert!(found.iter().all(|b| b.evaluated));
        assert!(broken(&database("a", "c1"), &database("a", "c1")).is_empty());
    }

    #[test]
    fn role_rule_compares_the_named_subfield_only() {
        let role = |name: &str, login: bool| {
            json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "DatabaseRole",
                   "metadata": {"name": "r"},
                   "spec": {"name": name, "login": login, "cluster": {"name": "c"}}})
        };
        assert!(broken(&role("u", true), &role("u", false)).is_empty());
        let found = broken(&role("u", true), &role("v", true));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "spec");
        assert_eq!(found[0].message, "name is immutable");
    }

    #[test]
    fn any_rule_form_is_evaluated_not_only_equalities() {
        // The pinned schemas have only equality transition rules, so a synthetic
        // `self >= oldSelf` goes through the same interpreter.
        let rule = cel::compile_for_test("self >= oldSelf");
        assert_eq!(
            cel::evaluate(&rule, &json!(2), Some(&json!(1))),
            Outcome::Holds
        );
        assert_eq!(
            cel::evaluate(&rule, &json!(1), Some(&json!(2))),
            Outcome::Broken
        );
        let unsupported = cel::compile_for_test("quantity(self).isGreaterThan(quantity(oldSelf))");
        assert!(unsupported.unsupported().is_some());
    }
}
