//! The CRDs' own CEL rules (`x-kubernetes-validations`), evaluated offline the way
//! the API server evaluates them, by dbgen's own interpreter of the CEL subset the
//! rules use (`lex` -> `parse` -> `eval` over `value`).
//!
//! Input: one custom resource whose (apiVersion, kind) has an embedded schema (and,
//! for transition rules, its committed version). Output: an `Issue` per rule the
//! object breaks, at the field the rule sits on, naming the rule and the CRD's own
//! message; for `change`, each transition rule (`oldSelf`) an update breaks.
//! Invariant: every rule of every embedded schema is compiled once per process;
//! a rule dbgen cannot evaluate (it does not parse, or calls a function outside
//! `SUPPORTED_FUNCTIONS`) is never skipped: an object reaching it is refused, and
//! `unsupported()` lists them for the test that pins that set.

mod eval;
mod lex;
mod parse;
#[cfg(test)]
mod tests;
mod value;

use std::sync::OnceLock;

use serde_json::Value;

use self::eval::Scope;
use self::parse::Expr;
use self::value::Val;
use super::crd;
use super::path::{FieldPath, Issue};
use crate::plan::Kind;

/// The functions dbgen evaluates with CEL's standard meaning, the one Kubernetes
/// gives them; every operator of the grammar (`== != < <= > >= && || ! - + * / %
/// ?: [] in`) and the macros (`has`, `all`, `exists`, `exists_one`, `filter`,
/// `map`) are evaluated too. Kubernetes' own libraries (`quantity`, `url`,
/// `isSorted`, regex `matches`, ...) are left out on purpose: a rule calling one
/// is listed by `unsupported()` rather than evaluated wrongly.
const SUPPORTED_FUNCTIONS: [&str; 6] = [
    "size",
    "startsWith",
    "endsWith",
    "contains",
    "int",
    "string",
];

/// One step from a schema node to the node a rule sits on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// A property of an object.
    Key(String),
    /// Every item of a list.
    Items,
    /// Every value of a map (`additionalProperties`).
    Values,
}

/// One `x-kubernetes-validations` entry of a CRD schema.
#[derive(Debug)]
pub(crate) struct Rule {
    /// Where the rule sits, from the object root.
    pub(crate) steps: Vec<Step>,
    pub(crate) expression: String,
    pub(crate) message: String,
    /// The rule's `fieldPath` (below its node), when it names a plain field.
    field: Vec<String>,
    /// Whether it reads `oldSelf`: the API server evaluates it on updates only.
    pub(crate) transition: bool,
    program: Result<Expr, String>,
}

impl Rule {
    /// `steps` written as a dotted path with `[*]` for list items and map values.
    #[cfg(test)]
    pub(crate) fn location(&self) -> String {
        let mut out = String::new();
        for step in &self.steps {
            match step {
                Step::Key(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                Step::Items | Step::Values => out.push_str("[*]"),
            }
        }
        out
    }

    /// Why dbgen cannot evaluate the rule, if it cannot.
    pub(crate) fn unsupported(&self) -> Option<&str> {
        self.program.as_ref().err().map(String::as_str)
    }
}

/// What a rule says about one value (and, for a transition rule, its old version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Holds,
    /// The rule evaluated to false: the API server refuses with the rule's message.
    Broken,
    /// The rule errs (the API server refuses too) or cannot be evaluated by dbgen.
    Failed(String),
}

/// The rules of the schema of custom-resource `kind`, compiled on first use.
pub(crate) fn rules(kind: Kind) -> &'static [Rule] {
    static ALL: OnceLock<Vec<Vec<Rule>>> = OnceLock::new();
    ALL.get_or_init(|| {
        Kind::all()
            .map(|kind| crd::source(kind).map_or_else(Vec::new, load))
            .collect()
    })
    .get(kind as usize)
    .map_or(&[], Vec::as_slice)
}

/// The rules of the schema of (apiVersion, kind), if dbgen embeds one.
pub(crate) fn rules_of(api_version: &str, kind: &str) -> &'static [Rule] {
    Kind::of_document(api_version, kind).map_or(&[], rules)
}

/// Every rule dbgen cannot evaluate: `(apiVersion/kind, location, rule, reason)`.
#[cfg(test)]
pub(crate) fn unsupported() -> Vec<(String, String, String, String)> {
    Kind::all()
        .flat_map(|kind| {
            let spec = kind.spec();
            rules(kind).iter().filter_map(move |rule| {
                rule.unsupported().map(|reason| {
                    (
                        format!("{}/{}", spec.api_version.unwrap_or_default(), spec.name),
                        rule.location(),
                        rule.expression.clone(),
                        reason.to_owned(),
                    )
                })
            })
        })
        .collect()
}

/// The number of rules in all embedded schemas, and how many read `oldSelf`.
#[cfg(test)]
pub(crate) fn counts() -> (usize, usize) {
    let all = Kind::all().flat_map(|kind| rules(kind).iter());
    all.fold((0, 0), |(rules, transition), rule| {
        (rules + 1, transition + usize::from(rule.transition))
    })
}

/// The non-transition rules of custom-resource `kind` that `doc` breaks.
pub(super) fn check(kind: Kind, doc: &Value) -> Vec<Issue> {
    let mut issues = Vec::new();
    // The rules of one node are consecutive (nine on a DatabaseRole's `spec`): the
    // instances of the node are found once for all of them.
    for group in rules(kind).chunk_by(|a, b| a.steps == b.steps) {
        let checked: Vec<&Rule> = group.iter().filter(|rule| !rule.transition).collect();
        let Some(first) = checked.first() else {
            continue;
        };
        for (path, value) in instances(doc, &first.steps) {
            for rule in &checked {
                issues.extend(issue(rule, evaluate(rule, value, None), &path));
            }
        }
    }
    issues
}

/// The issue a rule's outcome is at `path`, if any.
fn issue(rule: &Rule, outcome: Outcome, path: &FieldPath) -> Option<Issue> {
    let message = match outcome {
        Outcome::Holds => return None,
        Outcome::Broken => format!("{} (CRD rule `{}`)", rule.message, rule.expression),
        Outcome::Failed(why) => format!(
            "the CRD rule `{}` ({}) cannot be checked: {why}",
            rule.expression, rule.message
        ),
    };
    let at = rule
        .field
        .iter()
        .fold(path.clone(), |path, field| path.key(field));
    Some(Issue::new(at, message))
}

/// Evaluates `rule` with `self` bound to `value` (and `oldSelf` to `old`).
pub(crate) fn evaluate(rule: &Rule, value: &Value, old: Option<&Value>) -> Outcome {
    let program = match &rule.program {
        Ok(program) => program,
        Err(why) => return Outcome::Failed(format!("dbgen cannot evaluate it: {why}")),
    };
    let this = Scope {
        name: "self",
        value: Val::of(value),
        outer: None,
    };
    let old_scope;
    let scope = match old {
        Some(old) => {
            old_scope = Scope {
                name: "oldSelf",
                value: Val::of(old),
                outer: Some(&this),
            };
            &old_scope
        }
        None => &this,
    };
    match eval::eval(program, scope) {
        Ok(Val::Bool(true)) => Outcome::Holds,
        Ok(Val::Bool(false)) => Outcome::Broken,
        Ok(other) => Outcome::Failed(format!(
            "it gives a value of type {}, not a boolean",
            other.type_name()
        )),
        Err(error) => Outcome::Failed(format!("evaluating it fails: {error}")),
    }
}

/// A rule from a bare expression, for tests of forms no pinned schema has yet.
#[cfg(test)]
pub(crate) fn compile_for_test(expression: &str) -> Rule {
    Rule {
        steps: Vec::new(),
        expression: expression.to_owned(),
        message: expression.to_owned(),
        field: Vec::new(),
        transition: expression.contains("oldSelf"),
        program: compile(expression),
    }
}

fn load(source: &str) -> Vec<Rule> {
    let Ok(schema) = serde_json::from_str::<Value>(source) else {
        return Vec::new();
    };
    let mut rules = Vec::new();
    collect(&schema, &mut Vec::new(), &mut rules);
    rules
}

fn collect(schema: &Value, steps: &mut Vec<Step>, out: &mut Vec<Rule>) {
    for validation in schema["x-kubernetes-validations"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let expression = validation["rule"].as_str().unwrap_or_default().to_owned();
        let message = validation["message"]
            .as_str()
            .map_or_else(|| format!("failed rule: {expression}"), str::to_owned);
        let field = validation["fieldPath"]
            .as_str()
            .map(|path| path.strip_prefix('.').unwrap_or(path))
            .filter(|path| {
                path.split('.').all(|key| {
                    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
            })
            .map(|path| path.split('.').map(str::to_owned).collect())
            .unwrap_or_default();
        out.push(Rule {
            steps: steps.clone(),
            transition: expression.contains("oldSelf"),
            program: compile(&expression),
            expression,
            message,
            field,
        });
    }
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            steps.push(Step::Key(name.clone()));
            collect(property, steps, out);
            steps.pop();
        }
    }
    if schema["items"].is_object() {
        steps.push(Step::Items);
        collect(&schema["items"], steps, out);
        steps.pop();
    }
    if schema["additionalProperties"].is_object() {
        steps.push(Step::Values);
        collect(&schema["additionalProperties"], steps, out);
        steps.pop();
    }
}

fn compile(expression: &str) -> Result<Expr, String> {
    if expression.trim().is_empty() {
        return Err("the rule is empty".to_owned());
    }
    let program =
        parse::parse(expression).map_err(|error| format!("it does not parse: {error}"))?;
    let mut unknown = Vec::new();
    program.calls(&mut unknown);
    unknown.retain(|function| !SUPPORTED_FUNCTIONS.contains(function));
    unknown.sort_unstable();
    unknown.dedup();
    if !unknown.is_empty() {
        return Err(format!("it calls {}", unknown.join(", ")));
    }
    Ok(program)
}

/// Every value at `steps` in `doc`, with its path. A missing field has no
/// instance, as the API server evaluates a rule only where its field is set.
pub(crate) fn instances<'a>(doc: &'a Value, steps: &[Step]) -> Vec<(FieldPath, &'a Value)> {
    let mut found = vec![(FieldPath::root(), doc)];
    for step in steps {
        found = found
            .into_iter()
            .flat_map(|(path, value)| -> Vec<(FieldPath, &'a Value)> {
                match (step, value) {
                    (Step::Key(key), Value::Object(map)) => map
                        .get(key)
                        .filter(|child| !child.is_null())
                        .map(|child| (path.key(key), child))
                        .into_iter()
                        .collect(),
                    (Step::Items, Value::Array(items)) => items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| (path.clone().index(i), item))
                        .collect(),
                    (Step::Values, Value::Object(map)) => map
                        .iter()
                        .map(|(key, child)| (path.clone().key(key), child))
                        .collect(),
                    _ => Vec::new(),
                }
            })
            .collect();
    }
    found
}
