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
