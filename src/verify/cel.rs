//! The CRDs' own CEL rules (`x-kubernetes-validations`), evaluated offline the way
//! the API server evaluates them, with the `cel` interpreter.
//!
//! Input: one custom resource whose (apiVersion, kind) has an embedded schema (and,
//! for transition rules, its committed version). Output: an `Issue` per rule the
//! object breaks, at the field the rule sits on, naming the rule and the CRD's own
//! message; for `change`, each transition rule (`oldSelf`) an update breaks.
//! Invariant: every rule of every embedded schema is compiled once per process;
//! a rule dbgen cannot evaluate (it does not parse, or calls a function outside
//! `SUPPORTED_FUNCTIONS`) is never skipped: an object reaching it is refused, and
//! `unsupported()` lists them for the test that pins that set.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use cel::{Context, Env, Program};
use serde_json::Value;

use super::crd;
use super::path::{FieldPath, Issue};
use crate::plan::Kind;

/// The functions and operators whose meaning in the `cel` crate is the one
/// Kubernetes gives them (CEL's standard definitions). Kubernetes' own libraries
/// (`quantity`, `url`, `isSorted`, regex `matches`, ...) are left out on purpose:
/// a rule calling one is listed by `unsupported()` rather than evaluated wrongly.
const SUPPORTED_FUNCTIONS: [&str; 25] = [
    "_==_",
    "_!=_",
    "_<_",
    "_<=_",
    "_>_",
    "_>=_",
    "_&&_",
    "_||_",
    "!_",
    "-_",
    "_+_",
    "_-_",
    "_*_",
    "_/_",
    "_%_",
    "_?_:_",
    "_[_]",
    "@in",
    // The macros (`has`, `all`, `exists`, `exists_one`, `filter`, `map`) expand
    // into comprehensions that call this one; they never appear as calls.
    "@not_strictly_false",
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
    program: Result<Program, String>,
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
    // The rules of one node are consecutive (nine on a DatabaseRole's `spec`): each
    // instance of the node is converted to CEL once for all of them.
    for group in rules(kind).chunk_by(|a, b| a.steps == b.steps) {
        let checked: Vec<&Rule> = group.iter().filter(|rule| !rule.transition).collect();
        let Some(first) = checked.first() else {
            continue;
        };
        for (path, value) in instances(doc, &first.steps) {
            let this = to_cel(value);
            for rule in &checked {
                issues.extend(issue(rule, run(rule, this.clone(), None), &path));
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
    run(rule, to_cel(value), old.map(to_cel))
}

fn run(rule: &Rule, value: cel::Value, old: Option<cel::Value>) -> Outcome {
    let program = match &rule.program {
        Ok(program) => program,
        Err(why) => return Outcome::Failed(format!("dbgen cannot evaluate it: {why}")),
    };
    let mut context = Context::with_env(Arc::clone(env()));
    context.add_variable_from_value("self", value);
    if let Some(old) = old {
        context.add_variable_from_value("oldSelf", old);
    }
    match program.execute(&context) {
        Ok(cel::Value::Bool(true)) => Outcome::Holds,
        Ok(cel::Value::Bool(false)) => Outcome::Broken,
        Ok(other) => Outcome::Failed(format!("it gives {other:?}, not a boolean")),
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

fn env() -> &'static Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| Arc::new(Env::stdlib()))
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

fn compile(expression: &str) -> Result<Program, String> {
    if expression.trim().is_empty() {
        return Err("the rule is empty".to_owned());
    }
    let program = env()
        .compile(expression)
        .map_err(|error| format!("it does not parse: {error}"))?;
    let references = program.references();
    let mut unknown: Vec<&str> = references
        .functions()
        .into_iter()
        .filter(|function| !SUPPORTED_FUNCTIONS.contains(function))
        .collect();
    unknown.sort_unstable();
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

/// JSON to CEL: integers stay integers (CEL's `int`), as the API server reads
/// them for `integer` fields.
fn to_cel(value: &Value) -> cel::Value {
    match value {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(number) => number.as_i64().map_or_else(
            || {
                number.as_u64().map_or_else(
                    || cel::Value::Float(number.as_f64().unwrap_or(f64::NAN)),
                    cel::Value::UInt,
                )
            },
            cel::Value::Int,
        ),
        Value::String(text) => cel::Value::from(text.as_str()),
        Value::Array(items) => cel::Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(map) => {
            let converted: HashMap<String, cel::Value> = map
                .iter()
                .map(|(key, child)| (key.clone(), to_cel(child)))
                .collect();
            cel::Value::from(converted)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use serde_json::json;

    fn broken(api_version: &str, kind: &str, doc: &Value) -> Vec<String> {
        let kind = Kind::of_document(api_version, kind).expect("embedded CRD");
        check(kind, doc)
            .into_iter()
            .map(|issue| format!("{}: {}", issue.path, issue.message))
            .collect()
    }

    fn role(spec: &Value) -> Vec<String> {
        let doc = json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "DatabaseRole",
                         "metadata": {"name": "r", "namespace": "db"}, "spec": spec});
        broken("postgresql.cnpg.io/v1", "DatabaseRole", &doc)
    }

    /// A schema update that brings a rule dbgen cannot evaluate fails here, so the
    /// rule is reviewed (and `SUPPORTED_FUNCTIONS` or this list extended) on purpose.
    #[test]
    fn every_rule_of_the_embedded_schemas_is_evaluable() {
        assert_eq!(
            unsupported(),
            Vec::<(String, String, String, String)>::new()
        );
        assert_eq!(counts(), (66, 18));
    }

    #[test]
    fn a_function_outside_the_standard_set_is_unsupported_not_ignored() {
        assert_eq!(
            compile("self.matches('^a')").err().as_deref(),
            Some("it calls matches")
        );
        assert_eq!(
            compile("quantity(self).isGreaterThan(quantity('1Gi'))")
                .err()
                .as_deref(),
            Some("it calls isGreaterThan, quantity")
        );
        assert!(compile("self ==").is_err());
    }

    #[test]
    fn database_role_rules() {
        let base = json!({"name": "app", "cluster": {"name": "pg"}, "login": true});
        assert_eq!(role(&base), Vec::<String>::new());
        let mut absent = base.clone();
        absent["ensure"] = json!("absent");
        assert_eq!(
            role(&absent),
            [
                "spec: ensure: absent is not supported for DatabaseRole; delete the resource with databaseRoleReclaimPolicy: delete instead (CRD rule `!has(self.ensure) || self.ensure != 'absent'`)"
            ]
        );
        for (name, message) in [
            ("postgres", "the role name postgres is reserved"),
            (
                "streaming_replica",
                "the role name streaming_replica is reserved",
            ),
            (
                "pg_monitor2",
                "role names starting with pg_ are reserved by PostgreSQL",
            ),
            (
                "cnpg_x",
                "role names starting with cnpg_ are reserved by the operator",
            ),
            ("", "role name must not be empty"),
        ] {
            let mut spec = base.clone();
            spec["name"] = json!(name);
            let found = role(&spec);
            assert_eq!(found.len(), 1, "{name}: {found:?}");
            assert!(
                found[0].starts_with(&format!("spec: {message} (")),
                "{found:?}"
            );
        }
        let mut both = base.clone();
        both["passwordSecret"] = json!({"name": "s"});
        both["disablePassword"] = json!(true);
        assert_eq!(role(&both).len(), 1);
        both["disablePassword"] = json!(false);
        assert_eq!(role(&both), Vec::<String>::new());
        let mut cert = base.clone();
        cert["login"] = json!(false);
        cert["clientCertificate"] = json!({"enabled": true});
        assert_eq!(role(&cert).len(), 1);
    }

    #[test]
    fn database_reserved_names_and_list_items() {
        let database = |spec: Value| {
            let doc = json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Database",
                             "metadata": {"name": "d", "namespace": "db"}, "spec": spec});
            broken("postgresql.cnpg.io/v1", "Database", &doc)
        };
        let ok = json!({"name": "app", "owner": "app", "cluster": {"name": "pg"}});
        assert_eq!(database(ok.clone()), Vec::<String>::new());
        for name in ["postgres", "template0", "template1"] {
            let mut spec = ok.clone();
            spec["name"] = json!(name);
            assert_eq!(
                database(spec),
                [format!(
                    "spec.name: the name {name} is reserved (CRD rule `self != '{name}'`)"
                )]
            );
        }
        let mut fdw = ok.clone();
        fdw["fdws"] = json!([{"name": "postgres_fdw", "usage": [{"name": "a"}, {"name": ""}]}]);
        assert_eq!(
            database(fdw),
            ["spec.fdws[0].usage[1].name: name is required (CRD rule `self != ''`)"]
        );
        let mut locale = ok;
        locale["icuLocale"] = json!("en");
        locale["localeProvider"] = json!("libc");
        assert_eq!(database(locale).len(), 1);
    }

    #[test]
    fn pooler_cluster_and_object_store_rules() {
        let pooler = json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Pooler",
            "metadata": {"name": "p", "namespace": "db"},
            "spec": {"cluster": {"name": "pg"}, "pgbouncer": {"image": "x",
                     "imageCatalogRef": {"apiGroup": "postgresql.cnpg.io", "kind": "ImageCatalog",
                                         "name": "c", "major": 17}}}});
        assert_eq!(
            broken("postgresql.cnpg.io/v1", "Pooler", &pooler),
            [
                "spec.pgbouncer: image and imageCatalogRef are mutually exclusive (CRD rule `!(has(self.image) && has(self.imageCatalogRef))`)"
            ]
        );
        let cluster = json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
            "metadata": {"name": "pg", "namespace": "db"},
            "spec": {"instances": 1, "postgresql": {"synchronous": {"method": "any", "number": 0}}}});
        assert_eq!(
            broken("postgresql.cnpg.io/v1", "Cluster", &cluster),
            [
                "spec.postgresql.synchronous.number: The number of synchronous replicas should be greater than zero (CRD rule `self > 0`)"
            ]
        );
        let store = json!({"apiVersion": "barmancloud.cnpg.io/v1", "kind": "ObjectStore",
            "metadata": {"name": "s", "namespace": "db"},
            "spec": {"configuration": {"destinationPath": "s3://b/", "serverName": "x"},
                     "instanceSidecarConfiguration": {"additionalContainerArgs": ["--log-level=debug"]}}});
        let found = broken("barmancloud.cnpg.io/v1", "ObjectStore", &store);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("spec.configuration.serverName: use the 'serverName'"));
        assert!(found[1].starts_with(
            "spec.instanceSidecarConfiguration.additionalContainerArgs: do not set --log-level"
        ));
    }

    #[test]
    fn a_rule_that_errs_is_a_refusal_like_the_api_server_s() {
        // `self.localeProvider` does not exist: CEL's "no such key", which the API server
        // reports as a failed validation.
        let doc = json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Database",
            "metadata": {"name": "d", "namespace": "db"},
            "spec": {"name": "a", "owner": "a", "cluster": {"name": "pg"}, "icuRules": "x"}});
        let found = broken("postgresql.cnpg.io/v1", "Database", &doc);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("cannot be checked: evaluating it fails"),
            "{found:?}"
        );
    }

    fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("golden dir")
            .map(|entry| entry.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                yaml_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml")
                && path.components().any(|c| c.as_os_str() == "expected")
            {
                out.push(path);
            }
        }
    }

    /// Every rule that applies to a field some golden object sets is evaluated on
    /// it, and holds: the goldens are what the API server would accept.
    #[test]
    fn every_rule_holds_on_every_golden_object() {
        let mut files = Vec::new();
        yaml_files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("golden"),
            &mut files,
        );
        let mut evaluated: BTreeMap<String, usize> = BTreeMap::new();
        let mut failures = Vec::new();
        for file in &files {
            let doc = crate::yaml::parse(&std::fs::read_to_string(file).expect("read"))
                .expect("golden YAML");
            let (Some(api_version), Some(kind)) =
                (doc["apiVersion"].as_str(), doc["kind"].as_str())
            else {
                continue;
            };
            for rule in rules_of(api_version, kind).iter().filter(|r| !r.transition) {
                for (path, value) in instances(&doc, &rule.steps) {
                    *evaluated
                        .entry(format!("{kind} {} `{}`", rule.location(), rule.expression))
                        .or_default() += 1;
                    let outcome = evaluate(rule, value, None);
                    if outcome != Outcome::Holds {
                        failures.push(format!("{}: {path}: {outcome:?}", file.display()));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        // The goldens reach 18 rules (of 46 non-transition ones) in six kinds; the
        // others sit on fields dbgen never sets (other ESO providers, image catalogs...).
        let kinds: std::collections::BTreeSet<&str> = evaluated
            .keys()
            .filter_map(|rule| rule.split(' ').next())
            .collect();
        assert_eq!(
            kinds.into_iter().collect::<Vec<_>>(),
            [
                "Cluster",
                "Database",
                "DatabaseRole",
                "HelmRelease",
                "ObjectStore",
                "Pooler"
            ],
            "{evaluated:#?}"
        );
        assert!(evaluated.len() >= 18, "{evaluated:#?}");
    }

    #[test]
    fn the_verifier_reports_a_broken_rule_with_file_object_and_path() {
        let doc = json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "DatabaseRole",
            "metadata": {"name": "r", "namespace": "db"},
            "spec": {"name": "pg_app", "cluster": {"name": "pg"}, "login": true}});
        let found = super::super::Verifier::new().verify_object("prod/db/r.yaml", &doc);
        assert_eq!(
            found.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "prod/db/r.yaml: DatabaseRole db/r: spec: role names starting with pg_ are reserved by PostgreSQL (CRD rule `!self.name.startsWith('pg_')`)"
            ]
        );
    }
}
