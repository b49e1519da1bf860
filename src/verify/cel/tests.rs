//! Tests of the CEL rules against the embedded schemas and the goldens, and of
//! the lexer, parser and evaluator on their own.

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
        let doc =
            crate::yaml::parse(&std::fs::read_to_string(file).expect("read")).expect("golden YAML");
        let (Some(api_version), Some(kind)) = (doc["apiVersion"].as_str(), doc["kind"].as_str())
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

/// Every rule of every embedded schema, with a value it accepts and one it refuses
/// (and, for a transition rule, the committed value): each is evaluated both ways.
#[test]
fn every_embedded_rule_accepts_a_passing_value_and_refuses_a_failing_one() {
    let table: Vec<(&str, Value, Value, Option<Value>)> = vec![
        (
            "!('esoNamespace' in self) && !('esoStoreName' in self) && !('esoStoreKind' in self)",
            json!({"other": 1}),
            json!({"esoStoreName": "x"}),
            None,
        ),
        (
            "!(has(self.image) && has(self.imageCatalogRef))",
            json!({"image": "x"}),
            json!({"image": "x", "imageCatalogRef": {}}),
            None,
        ),
        (
            "!(has(self.imageCatalogRef) && has(self.imageName))",
            json!({"imageName": "x"}),
            json!({"imageName": "x", "imageCatalogRef": {}}),
            None,
        ),
        (
            "!has(self.builtinLocale) || self.localeProvider == 'builtin'",
            json!({"builtinLocale": "C", "localeProvider": "builtin"}),
            json!({"builtinLocale": "C", "localeProvider": "icu"}),
            None,
        ),
        (
            "!has(self.clientCertificate) || !self.clientCertificate.enabled || self.login",
            json!({"clientCertificate": {"enabled": true}, "login": true}),
            json!({"clientCertificate": {"enabled": true}, "login": false}),
            None,
        ),
        (
            "!has(self.configMapRef) || !has(self.secretRef)",
            json!({"secretRef": {}}),
            json!({"secretRef": {}, "configMapRef": {}}),
            None,
        ),
        (
            "!has(self.ensure) || self.ensure != 'absent'",
            json!({"ensure": "present"}),
            json!({"ensure": "absent"}),
            None,
        ),
        (
            "!has(self.icuLocale) || self.localeProvider == 'icu'",
            json!({"icuLocale": "en", "localeProvider": "icu"}),
            json!({"icuLocale": "en", "localeProvider": "libc"}),
            None,
        ),
        (
            "!has(self.icuRules) || self.localeProvider == 'icu'",
            json!({"localeProvider": "libc"}),
            json!({"icuRules": "&a", "localeProvider": "libc"}),
            None,
        ),
        (
            "!has(self.passwordSecret) || !has(self.disablePassword) || !self.disablePassword",
            json!({"passwordSecret": {}, "disablePassword": false}),
            json!({"passwordSecret": {}, "disablePassword": true}),
            None,
        ),
        (
            "!has(self.serverName)",
            json!({}),
            json!({"serverName": "x"}),
            None,
        ),
        (
            "!self.exists(a, a.startsWith('--log-level'))",
            json!(["--verbose"]),
            json!(["--verbose", "--log-level=debug"]),
            None,
        ),
        (
            "!self.name.startsWith('cnpg_')",
            json!({"name": "app"}),
            json!({"name": "cnpg_app"}),
            None,
        ),
        (
            "!self.name.startsWith('pg_')",
            json!({"name": "app_pg_"}),
            json!({"name": "pg_app"}),
            None,
        ),
        (
            "(has(self.accessToken) && !has(self.oidcConfig)) || (!has(self.accessToken) && has(self.oidcConfig))",
            json!({"oidcConfig": {}}),
            json!({"accessToken": {}, "oidcConfig": {}}),
            None,
        ),
        (
            "(has(self.auth) && !has(self.accessToken)) || (!has(self.auth) && has(self.accessToken))",
            json!({"auth": {}}),
            json!({}),
            None,
        ),
        (
            "(has(self.chart) && !has(self.chartRef)) || (!has(self.chart) && has(self.chartRef))",
            json!({"chartRef": {}}),
            json!({"chart": {}, "chartRef": {}}),
            None,
        ),
        (
            "(has(self.secretRef) && !has(self.oidcConfig)) || (!has(self.secretRef) && has(self.oidcConfig))",
            json!({"secretRef": {}}),
            json!({}),
            None,
        ),
        (
            "[has(self.appRole),has(self.tokenSecretRef),has(self.userPass)].filter(x,x==true).size() == 1",
            json!({"userPass": {}}),
            json!({"appRole": {}, "userPass": {}}),
            None,
        ),
        (
            "[has(self.auth),has(self.authRef)].filter(x,x==true).size() <= 1",
            json!({}),
            json!({"auth": {}, "authRef": {}}),
            None,
        ),
        (
            "[has(self.caBundle),has(self.caProvider)].filter(x,x==true).size() <= 1",
            json!({"caBundle": "x"}),
            json!({"caBundle": "x", "caProvider": {}}),
            None,
        ),
        (
            "[has(self.roleId),has(self.roleRef)].filter(x,x==true).size() == 1",
            json!({"roleRef": {}}),
            json!({}),
            None,
        ),
        (
            "[has(self.vault),has(self.environment)].filter(x,x==true).size() <= 1",
            json!({"vault": {}}),
            json!({"vault": {}, "environment": {}}),
            None,
        ),
        (
            "has(self.auth) || has(self.authRef)",
            json!({"authRef": {}}),
            json!({}),
            None,
        ),
        (
            "has(self.configMapRef) || has(self.secretRef)",
            json!({"configMapRef": {}}),
            json!({}),
            None,
        ),
        (
            "has(self.serviceAccountCredsSecretRef) || has(self.tokenSecretRef)",
            json!({"tokenSecretRef": {}}),
            json!({}),
            None,
        ),
        (
            "has(self.token) || (has(self.username) && has(self.password))",
            json!({"username": "u", "password": "p"}),
            json!({"username": "u"}),
            None,
        ),
        (
            "has(self.value) != has(self.secretRef)",
            json!({"value": "v"}),
            json!({"value": "v", "secretRef": {}}),
            None,
        ),
        ("self != ''", json!("x"), json!(""), None),
        ("self != 'postgres'", json!("app"), json!("postgres"), None),
        (
            "self != 'template0'",
            json!("app"),
            json!("template0"),
            None,
        ),
        (
            "self != 'template1'",
            json!("app"),
            json!("template1"),
            None,
        ),
        (
            "self == oldSelf",
            json!({"name": "pg"}),
            json!({"name": "pg2"}),
            Some(json!({"name": "pg"})),
        ),
        ("self > 0", json!(1), json!(0), None),
        (
            "self.apiGroup == 'postgresql.cnpg.io'",
            json!({"apiGroup": "postgresql.cnpg.io"}),
            json!({"apiGroup": "example.com"}),
            None,
        ),
        (
            "self.dataDurability!='preferred' || ((!has(self.standbyNamesPre) || self.standbyNamesPre.size()==0) && (!has(self.standbyNamesPost) || self.standbyNamesPost.size()==0))",
            json!({"dataDurability": "preferred", "standbyNamesPre": []}),
            json!({"dataDurability": "preferred", "standbyNamesPost": ["a"]}),
            None,
        ),
        (
            "self.kind == 'ImageCatalog' || self.kind == 'ClusterImageCatalog'",
            json!({"kind": "ClusterImageCatalog"}),
            json!({"kind": "Catalog"}),
            None,
        ),
        (
            "self.name != 'postgres'",
            json!({"name": "app"}),
            json!({"name": "postgres"}),
            None,
        ),
        (
            "self.name != 'streaming_replica'",
            json!({"name": "app"}),
            json!({"name": "streaming_replica"}),
            None,
        ),
        (
            "self.name == oldSelf.name",
            json!({"name": "app", "login": true}),
            json!({"name": "other", "login": false}),
            Some(json!({"name": "app", "login": false})),
        ),
        (
            "self.name.size() != 0",
            json!({"name": "a"}),
            json!({"name": ""}),
            None,
        ),
    ];
    let mut evaluated = 0;
    let mut used = std::collections::BTreeSet::new();
    for kind in Kind::all() {
        for rule in rules(kind) {
            let Some((expression, pass, fail, old)) =
                table.iter().find(|(e, ..)| *e == rule.expression)
            else {
                panic!("no test values for `{}`", rule.expression);
            };
            assert_eq!(rule.transition, old.is_some(), "{expression}");
            assert_eq!(
                evaluate(rule, pass, old.as_ref()),
                Outcome::Holds,
                "{expression} on {pass}"
            );
            assert_eq!(
                evaluate(rule, fail, old.as_ref()),
                Outcome::Broken,
                "{expression} on {fail}"
            );
            evaluated += 1;
            used.insert(*expression);
        }
    }
    assert_eq!(evaluated, 66);
    assert_eq!(used.len(), table.len(), "a row matches no embedded rule");
}

/// The tree of `source`, printed fully parenthesised.
fn tree(source: &str) -> String {
    parse::parse(source)
        .unwrap_or_else(|e| panic!("{source}: {e}"))
        .to_string()
}

fn syntax_error(source: &str) -> String {
    parse::parse(source)
        .map(|expr| panic!("{source} parses as {expr}"))
        .unwrap_err()
        .to_string()
}

#[test]
fn the_parser_follows_cel_precedence_and_associativity() {
    for (source, expected) in [
        ("a || b && c", "(a || (b && c))"),
        ("a && b || c", "((a && b) || c)"),
        ("!a == b", "((!a) == b)"),
        ("!!a", "(!(!a))"),
        ("a == b && c != d", "((a == b) && (c != d))"),
        ("a < b == c", "((a < b) == c)"),
        ("1 + 2 * 3 - 4 % 3", "((1 + (2 * 3)) - (4 % 3))"),
        ("a - b - c", "((a - b) - c)"),
        ("x in [1, 2,] && y", "((x in [1, 2]) && y)"),
        ("a ? b : c ? d : e", "(a ? b : (c ? d : e))"),
        ("a || b ? c && d : e", "((a || b) ? (c && d) : e)"),
        ("-1", "(-1)"),
        ("-x", "(-(x))"),
        ("1 - -2", "(1 - (-2))"),
        ("--x", "(-((-(x))))"),
        ("-9223372036854775808", "(-9223372036854775808)"),
        ("-a.b", "(-(a.b))"),
        ("1u + 0x1F", "(1u + 31)"),
        ("2.5e3 == 2500.0", "(2500.0 == 2500.0)"),
        (
            "self.a.b.startsWith('x').size()",
            "self.a.b.startsWith(\"x\").size()",
        ),
        ("self.l[0]['k'].size()", "self.l[0][\"k\"].size()"),
        ("has(self.a.b)", "has(self.a.b)"),
        (
            "[has(self.auth),has(self.authRef)].filter(x,x==true).size() <= 1",
            "([has(self.auth), has(self.authRef)].filter(x, (x == true)).size() <= 1)",
        ),
        (
            "self.all(k, self[k].exists_one(v, v > 0))",
            "self.all(k, self[k].exists_one(v, (v > 0)))",
        ),
        ("l.map(x, x > 1, x * 2)", "l.map(x, (x > 1), (x * 2))"),
        ("l.map(x, x * 2)", "l.map(x, (x * 2))"),
        // A name of a macro with another arity is a plain call (reported unsupported).
        ("l.exists(x)", "l.exists(x)"),
        (".self // a comment", "self"),
        (
            r#"r'\d' + "\x41\u00e9\101" + '''a'b'''"#,
            "((\"\\\\d\" + \"Aé\u{41}\") + \"a'b\")",
        ),
    ] {
        assert_eq!(tree(source), expected, "{source}");
    }
}

#[test]
fn syntax_errors_have_a_column_and_a_reason() {
    for (source, expected) in [
        ("self ==", "column 8: expected an expression, found the end"),
        ("self.a +* 1", "column 9: expected an expression, found `*`"),
        ("(a", "column 3: expected `)`, found the end"),
        (
            "a b",
            "column 3: expected the end of the expression, found `b`",
        ),
        ("{'a': 1}", "column 1: map literals are not supported"),
        ("b'x' == self", "column 1: bytes literals are not supported"),
        ("'abc", "column 1: unterminated string literal"),
        ("self.x == 'a\\qb'", "column 11: invalid escape sequence"),
        (
            "9223372036854775808",
            "column 1: integer literal out of range",
        ),
        (
            "99999999999999999999",
            "column 1: integer literal out of range",
        ),
        ("a ? b ? c : d : e", "column 7: expected `:`, found `?`"),
        (
            "has(self)",
            "column 1: invalid argument to has() macro: it takes a field selection",
        ),
        (
            "l.all(x.y, true)",
            "column 3: the first argument of all() must be a variable name",
        ),
        ("if == 1", "column 1: `if` is a reserved word"),
        ("self # 1", "column 6: unexpected character `#`"),
        ("self.?a", "column 6: expected an identifier, found `?`"),
    ] {
        assert_eq!(syntax_error(source), expected, "{source}");
    }
    assert_eq!(
        compile("self.x ==").err().as_deref(),
        Some("it does not parse: column 10: expected an expression, found the end")
    );
    assert_eq!(
        compile("self.exists(x)").err().as_deref(),
        Some("it calls exists")
    );
    assert_eq!(compile(" ").err().as_deref(), Some("the rule is empty"));
}

fn run(expression: &str, this: &Value) -> Outcome {
    let rule = compile_for_test(expression);
    assert_eq!(rule.unsupported(), None, "{expression}");
    evaluate(&rule, this, None)
}

fn holds(expression: &str, this: &Value) {
    assert_eq!(
        run(expression, this),
        Outcome::Holds,
        "{expression} on {this}"
    );
}

fn fails(expression: &str, this: &Value, why: &str) {
    assert_eq!(
        run(expression, this),
        Outcome::Failed(format!("evaluating it fails: {why}")),
        "{expression} on {this}"
    );
}

#[test]
fn operators_evaluate_with_cel_meaning() {
    let this = json!({"n": 5, "big": 18_446_744_073_709_551_615_u64, "d": 2.5,
                      "s": "héllo", "l": ["a", "b"], "m": {"k": 1, "a-b": 2}, "z": null});
    for expression in [
        "1 + 2 == 3",
        "5 - 7 == -2",
        "3 * 4 == 12",
        "7 / 2 == 3",
        "-7 / 2 == -3",
        "-7 % 3 == -1",
        "7u / 2u == 3u",
        "7u % 4u == 3u",
        "1.5 + 1.0 == 2.5",
        "5.0 / 2.0 == 2.5",
        "-self.d == -2.5",
        "'a' + 'b' == 'ab'",
        "[1] + [2] == [1, 2]",
        "self.l + ['c'] == ['a', 'b', 'c']",
        "2 < 3 && 3 <= 3 && 4 > 3 && 4 >= 4",
        "'b' > 'a' && 'a' < 'ab'",
        "true > false",
        "1 < 1.5 && 2u > 1 && -1 < 1u && self.big > self.n",
        "1 == 1.0 && 1 == 1u && self.n == 5.0",
        "!(1 == 'a') && 1 != 'a' && null != 0 && [1] != [1u, 2]",
        "self.z == null",
        "self.n > 0 ? self.s == 'héllo' : false",
        "self.l[1] == 'b' && self.m['a-b'] == 2 && self.m.k == 1",
        "[[1], [2]][1][0] == 2",
        "!true == false",
        "-(-5) == 5",
    ] {
        holds(expression, &this);
    }
}

#[test]
fn errors_are_cel_s_overflow_division_and_missing_keys() {
    let this = json!({"l": ["a"], "m": {"k": 1}, "s": "x"});
    for (expression, why) in [
        ("9223372036854775807 + 1 > 0", "integer overflow"),
        ("-9223372036854775808 - 1 < 0", "integer overflow"),
        ("-(-9223372036854775808) > 0", "integer overflow"),
        ("-9223372036854775808 / -1 > 0", "integer overflow"),
        ("4611686018427387904 * 2 > 0", "integer overflow"),
        ("0u - 1u > 0u", "integer overflow"),
        ("1 / 0 == 0", "division by zero"),
        ("1 % 0 == 0", "modulus by zero"),
        ("self.missing == 1", "no such key: missing"),
        ("self.m['nope'] == 1", "no such key: nope"),
        ("self.m[0] == 1", "no such key: 0"),
        ("self.l[1] == 'a'", "index out of range: 1"),
        ("self.l[-1] == 'a'", "index out of range: -1"),
        ("self.s.x == 1", "invalid type for field selection: string"),
        ("self.s < 1", "no such overload: _<_(string, int)"),
        ("1 + 'a' == 2", "no such overload: _+_(int, string)"),
        ("1 + 1u == 2", "no such overload: _+_(int, uint)"),
        ("1.0 % 2.0 == 1.0", "no such overload: _%_(double, double)"),
        ("!self.s", "no such overload: !_(string)"),
        ("self.s ? true : false", "no such overload: _?_:_(string)"),
        ("1 in self.s", "no such overload: @in(int, string)"),
        (
            "self.s.startsWith(1)",
            "no such overload: startsWith(string, int)",
        ),
        ("self.l.size(1) == 1", "no such overload: size(list, int)"),
        ("other == 1", "undeclared reference to 'other'"),
        ("int('x') == 1", "cannot convert 'x' to int"),
        ("int(1e19) == 1", "integer overflow"),
        (
            "self.l.all(x, x.y)",
            "invalid type for field selection: string",
        ),
        (
            "self.l.exists_one(x, 1)",
            "no such overload: exists_one(int)",
        ),
        (
            "1.all(x, true)",
            "expression of type int cannot be range of a comprehension",
        ),
    ] {
        fails(expression, &this, why);
    }
    assert_eq!(
        run("self.s", &this),
        Outcome::Failed("it gives a value of type string, not a boolean".to_owned())
    );
}

#[test]
fn and_or_absorb_an_error_the_other_side_decides_in_either_order() {
    let this = json!({"t": true});
    holds("self.missing == 1 || true", &this);
    holds("true || self.missing == 1", &this);
    holds("!(self.missing == 1 && false)", &this);
    holds("!(false && self.missing == 1)", &this);
    holds("self.missing || self.t", &this);
    fails("self.missing || false", &this, "no such key: missing");
    fails("false || self.missing", &this, "no such key: missing");
    fails("true && self.missing", &this, "no such key: missing");
    fails("self.missing && true", &this, "no such key: missing");
    // Both sides err: the left error is the one reported, as cel-go does.
    fails("self.a || self.b", &this, "no such key: a");
    // `exists` and `all` absorb an error the same way, whichever item errs first.
    let items = json!([{}, {"k": 1}]);
    holds("self.exists(x, x.k == 1)", &items);
    assert_eq!(run("self.all(x, x.k == 2)", &items), Outcome::Broken);
    fails("self.all(x, x.k == 1)", &items, "no such key: k");
    fails("self.exists(x, x.k == 2)", &items, "no such key: k");
}

#[test]
fn has_in_and_equality_on_documents() {
    let this = json!({"a": {"b": 1, "n": null}, "x": {"k": [1, {"v": "w"}]},
                      "y": {"k": [1.0, {"v": "w"}]}, "o": {"k": [{"v": "w"}, 1]}, "e": {}});
    holds("has(self.a.b) && !has(self.a.c) && has(self.a.n)", &this);
    holds("!has(self.e.b)", &this);
    fails("has(self.missing.b)", &this, "no such key: missing");
    fails(
        "has(self.a.b.c)",
        &this,
        "invalid type for field selection: int",
    );
    holds("'a' in self && !('b' in self) && !(1 in self)", &this);
    holds("2 in [1, 2, 3] && 2.0 in [1, 2] && !('1' in [1])", &this);
    // Deep equality: numbers across types, lists in order, maps by key.
    holds(
        "self.x == self.y && self.x != self.o && self.x.k[1] == self.y.k[1]",
        &this,
    );
    holds(
        "self.x.k == [1, self.y.k[1]] && self.e == self.e && self.a != self.e",
        &this,
    );
}

#[test]
fn strings_count_and_compare_code_points() {
    let this = json!({"s": "héllo", "j": "日本"});
    holds("self.s.size() == 5 && size(self.j) == 2", &this);
    holds(
        "self.s.startsWith('hé') && self.s.endsWith('lo') && self.s.contains('él')",
        &this,
    );
    // UTF-16 order would put U+1F600 (a surrogate pair) before U+FFFF.
    holds("'\\uffff' < '\\U0001F600'", &this);
    holds("'a' < 'é' && 'Z' < 'a'", &this);
}

#[test]
fn macros_over_lists_and_map_keys() {
    let this = json!({"l": [1, 2, 3], "m": {"a": 1, "b": 2}});
    for expression in [
        "self.l.all(x, x > 0) && !self.l.all(x, x > 1)",
        "self.l.exists(x, x == 3) && !self.l.exists(x, x == 4)",
        "self.l.exists_one(x, x > 2) && !self.l.exists_one(x, x > 1)",
        "self.l.filter(x, x % 2 == 1) == [1, 3]",
        "self.l.map(x, x * 10) == [10, 20, 30]",
        "self.l.map(x, x > 1, x * 10) == [20, 30]",
        "self.m.exists(k, k == 'b') && self.m.all(k, self.m[k] > 0)",
        "self.m.map(k, k + '!') == ['a!', 'b!']",
        "[].all(x, false) && ![].exists(x, true)",
        // An inner variable shadows an outer one of the same name.
        "self.l.exists(x, [x].all(x, x == 2))",
    ] {
        holds(expression, &this);
    }
}

#[test]
fn conversions_write_numbers_as_the_api_server() {
    for expression in [
        "int('42') == 42 && int('-7') == -7",
        "int(2.9) == 2 && int(-2.9) == -2 && int(7u) == 7",
        "string(42) == '42' && string(7u) == '7' && string(true) == 'true'",
        "string(1.5) == '1.5' && string(2.0) == '2' && string(123456.0) == '123456'",
        "string(1e6) == '1e+06' && string(1.25e-7) == '1.25e-07'",
        "string(0.0001) == '0.0001' && string(0.00001) == '1e-05' && string(-0.5) == '-0.5'",
        "string('x') == 'x'",
    ] {
        holds(expression, &json!(null));
    }
}

mod round_trip {
    use proptest::prelude::*;

    use super::super::parse::{BinOp, Expr, Macro, parse};

    fn leaf() -> impl Strategy<Value = Expr> {
        prop_oneof![
            Just(Expr::Null),
            any::<bool>().prop_map(Expr::Bool),
            any::<i64>().prop_map(Expr::Int),
            any::<u64>().prop_map(Expr::Uint),
            any::<f64>()
                .prop_filter("finite", |d| d.is_finite())
                .prop_map(Expr::Double),
            any::<String>().prop_map(Expr::Str),
            name().prop_map(Expr::Ident),
        ]
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("self".to_owned()),
            Just("oldSelf".to_owned()),
            "[a-z_][a-zA-Z0-9_]{0,6}".prop_filter("not a keyword", |n| ![
                "true",
                "false",
                "null",
                "in",
                "as",
                "break",
                "const",
                "continue",
                "else",
                "for",
                "function",
                "if",
                "import",
                "let",
                "loop",
                "package",
                "namespace",
                "return",
                "var",
                "while"
            ]
            .contains(&n.as_str())),
        ]
    }

    fn expr() -> impl Strategy<Value = Expr> {
        let ops = [
            BinOp::Eq,
            BinOp::Ne,
            BinOp::Lt,
            BinOp::Le,
            BinOp::Gt,
            BinOp::Ge,
            BinOp::In,
            BinOp::Add,
            BinOp::Sub,
            BinOp::Mul,
            BinOp::Div,
            BinOp::Rem,
        ];
        leaf().prop_recursive(4, 48, 3, move |inner| {
            let boxed = inner.clone().prop_map(Box::new);
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Expr::List),
                (boxed.clone(), name()).prop_map(|(e, f)| Expr::Select(e, f)),
                (boxed.clone(), name()).prop_map(|(e, f)| Expr::Has(e, f)),
                (boxed.clone(), boxed.clone()).prop_map(|(a, b)| Expr::Index(a, b)),
                boxed.clone().prop_map(Expr::Not),
                boxed.clone().prop_map(Expr::Neg),
                (
                    prop::sample::select(ops.to_vec()),
                    boxed.clone(),
                    boxed.clone()
                )
                    .prop_map(|(op, a, b)| Expr::Binary(op, a, b)),
                (boxed.clone(), boxed.clone()).prop_map(|(a, b)| Expr::And(a, b)),
                (boxed.clone(), boxed.clone()).prop_map(|(a, b)| Expr::Or(a, b)),
                (boxed.clone(), boxed.clone(), boxed.clone())
                    .prop_map(|(a, b, c)| Expr::Cond(a, b, c)),
                (
                    prop::option::of(boxed.clone()),
                    prop::sample::select(vec!["size", "startsWith", "quantity", "f"]),
                    prop::collection::vec(inner.clone(), 0..3)
                )
                    .prop_map(|(target, name, args)| Expr::Call {
                        target,
                        name: name.to_owned(),
                        args
                    }),
                (
                    prop::sample::select(vec![
                        Macro::All,
                        Macro::Exists,
                        Macro::ExistsOne,
                        Macro::Filter,
                        Macro::Map
                    ]),
                    boxed.clone(),
                    name(),
                    prop::option::of(boxed.clone()),
                    boxed,
                )
                    .prop_map(|(kind, range, var, filter, body)| {
                        Expr::Comprehension {
                            kind,
                            range,
                            var,
                            filter: filter.filter(|_| kind == Macro::Map),
                            body,
                        }
                    }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Printing a tree and parsing the text gives the tree back: the parser
        /// reads every form the printer writes, with the same grouping.
        #[test]
        fn printed_trees_parse_back_to_themselves(tree in expr()) {
            let text = tree.to_string();
            let parsed = parse(&text);
            prop_assert_eq!(parsed.as_ref().ok(), Some(&tree), "{} -> {:?}", text, parsed);
        }

        /// Arbitrary text never panics the lexer or the parser.
        #[test]
        fn any_text_parses_or_errs_without_panicking(text in any::<String>()) {
            let _ = parse(&text);
        }
    }
}
