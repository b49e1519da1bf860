//! Unit tests for the verify module.
//! Input: small hand-written documents, valid and deliberately broken.
//! Output: assertions on the exact problems (path and message) reported.
//! Invariant: each test fails if the check it names stops reporting, or starts
//! reporting on valid input.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use super::schema::SchemaId;
use super::{ObjectProblem, Verifier, supported_kinds};
use crate::plan::{Check, Kind};

const FILE: &str = "prod/databases/object.yaml";

fn problems(doc: &Value) -> Vec<ObjectProblem> {
    Verifier::new().verify_object(FILE, doc)
}

fn paths(found: &[ObjectProblem]) -> Vec<&str> {
    found.iter().map(|problem| problem.path.as_str()).collect()
}

fn assert_clean(doc: &Value) {
    let found = problems(doc);
    assert!(found.is_empty(), "expected no problems, got: {found:#?}");
}

fn cluster() -> Value {
    json!({
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {
            "name": "pg",
            "namespace": "databases",
            "labels": {"app.kubernetes.io/name": "pg", "app.kubernetes.io/managed-by": "dbgen"}
        },
        "spec": {
            "instances": 3,
            "imageName": "ghcr.io/cloudnative-pg/postgresql:17.5",
            "storage": {"size": "10Gi"},
            "managed": {"roles": [
                {"name": "app", "ensure": "present", "login": true, "passwordSecret": {"name": "pg-app"}}
            ]}
        }
    })
}

fn database(owner: &str, cluster: &str) -> Value {
    json!({
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Database",
        "metadata": {"name": "pg-app", "namespace": "databases"},
        "spec": {"name": "app", "owner": owner, "cluster": {"name": cluster}}
    })
}

fn database_role(role: &str, secret: &str) -> Value {
    json!({
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "DatabaseRole",
        "metadata": {"name": format!("pg-{role}"), "namespace": "databases"},
        "spec": {"name": role, "cluster": {"name": "pg"}, "login": true, "passwordSecret": {"name": secret}}
    })
}

fn external_secret(name: &str, target: Option<&str>) -> Value {
    let mut doc = json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": "databases"},
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
            "target": {"template": {"type": "kubernetes.io/basic-auth"}},
            "data": [
                {"secretKey": "username", "remoteRef": {"key": "pg/app", "property": "username"}},
                {"secretKey": "password", "remoteRef": {"key": "pg/app", "property": "password"}}
            ]
        }
    });
    if let (Some(target), Some(spec_target)) = (target, doc.pointer_mut("/spec/target")) {
        spec_target["name"] = json!(target);
    }
    doc
}

fn pod_monitor() -> Value {
    json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {"name": "pg", "namespace": "databases"},
        "spec": {
            "selector": {"matchLabels": {"cnpg.io/cluster": "pg"}},
            "podMetricsEndpoints": [{"port": "metrics", "interval": "30s"}]
        }
    })
}

fn prometheus_rule() -> Value {
    json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "pg-alerts", "namespace": "databases"},
        "spec": {"groups": [{
            "name": "pg",
            "rules": [{
                "alert": "PostgresDown",
                "expr": "cnpg_collector_up == 0",
                "for": "5m",
                "labels": {"severity": "critical"},
                "annotations": {"summary": "PostgreSQL instance down"}
            }]
        }]}
    })
}

fn infisical_secret(secret: &str, namespace: &str) -> Value {
    json!({
        "apiVersion": "secrets.infisical.com/v1alpha1",
        "kind": "InfisicalSecret",
        "metadata": {"name": "pg-app", "namespace": "databases"},
        "spec": {
            "hostAPI": "https://app.infisical.com/api",
            "resyncInterval": 60,
            "authentication": {"universalAuth": {
                "credentialsRef": {"secretName": "infisical-auth", "secretNamespace": "databases"},
                "secretsScope": {"projectSlug": "platform", "envSlug": "prod", "secretsPath": "/pg"}
            }},
            "managedKubeSecretReferences": [
                {"secretName": secret, "secretNamespace": namespace, "creationPolicy": "Owner"}
            ]
        }
    })
}

fn infisical_static_secret(secret: &str) -> Value {
    json!({
        "apiVersion": "secrets.infisical.com/v1beta1",
        "kind": "InfisicalStaticSecret",
        "metadata": {"name": "pg-app", "namespace": "databases"},
        "spec": {
            "infisicalAuthRef": {"name": "infisical", "namespace": "databases"},
            "sources": [],
            "syncOptions": {},
            "targets": [{"kind": "Secret", "name": secret, "namespace": "databases", "creationPolicy": "Owner"}]
        }
    })
}

fn stateful_set() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "redis", "namespace": "cache", "labels": {"app": "redis"}},
        "spec": {
            "serviceName": "redis",
            "replicas": 3,
            "selector": {"matchLabels": {"app": "redis"}},
            "template": {
                "metadata": {"labels": {"app": "redis"}},
                "spec": {"containers": [{
                    "name": "redis",
                    "image": "redis:8.2",
                    "ports": [{"containerPort": 6379, "name": "redis"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}}
                }]}
            }
        }
    })
}

fn tree(objects: Vec<Value>) -> Vec<(String, Value)> {
    objects
        .into_iter()
        .enumerate()
        .map(|(index, doc)| (format!("prod/databases/{index:02}.yaml"), doc))
        .collect()
}

fn tree_problems(objects: Vec<Value>) -> Vec<ObjectProblem> {
    Verifier::new().verify_tree(&tree(objects))
}

#[test]
fn valid_custom_resources_pass() {
    for doc in [
        cluster(),
        database("app", "pg"),
        database_role("reporting", "pg-reporting"),
        external_secret("pg-app", Some("pg-app")),
        pod_monitor(),
        prometheus_rule(),
        infisical_secret("pg-app", "databases"),
    ] {
        assert_clean(&doc);
    }
}

#[test]
fn valid_builtins_and_kustomization_pass() {
    assert_clean(&stateful_set());
    assert_clean(&json!({"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": "pg-scripts", "namespace": "databases"},
                         "data": {"run.sh": "true"}}));
    assert_clean(&json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": "databases",
        "resources": ["cluster-pg.yaml", "database-app.yaml"]
    }));
}

#[test]
fn string_instances_is_a_type_error_at_spec_instances() {
    let mut doc = cluster();
    doc["spec"]["instances"] = json!("3");
    let found = problems(&doc);
    assert_eq!(paths(&found), ["spec.instances"]);
    assert_eq!(found[0].message, r#""3" is not of type "integer""#);
    assert_eq!(found[0].object, "Cluster databases/pg");
    assert_eq!(found[0].file, FILE);
}

#[test]
fn a_custom_resource_quantity_is_checked_against_the_grammar() {
    let mut doc = cluster();
    doc["spec"]["resources"] = json!({"limits": {"memory": "10 GB"}});
    let found = problems(&doc);
    assert_eq!(paths(&found), ["spec.resources.limits.memory"]);
    assert_eq!(
        found[0].message,
        r#""10 GB" is not a quantity such as "500m", "2" or "1Gi""#
    );
}

#[test]
fn unknown_spec_field_is_named_with_a_suggestion() {
    let mut doc = cluster();
    doc["spec"]["instancez"] = json!(3);
    let found = problems(&doc);
    assert_eq!(paths(&found), ["spec.instancez"]);
    assert_eq!(
        found[0].message,
        "unknown field `instancez` (did you mean `instances`?)"
    );
}

#[test]
fn unknown_nested_field_in_list_gets_indexed_path() {
    let mut doc = cluster();
    doc["spec"]["managed"]["roles"][0]["passwordSecret"]["nmae"] = json!("x");
    let found = problems(&doc);
    assert_eq!(paths(&found), ["spec.managed.roles[0].passwordSecret.nmae"]);
}

#[test]
fn unknown_top_level_key_on_custom_resource_fails() {
    let mut doc = pod_monitor();
    doc["status"] = json!({});
    doc["specs"] = json!({});
    let found = problems(&doc);
    assert_eq!(paths(&found), ["specs", "status"]);
    assert!(found[0].message.contains("unknown top-level field `specs`"));
}

#[test]
fn unknown_metadata_field_fails() {
    let mut doc = cluster();
    doc["metadata"]["labelz"] = json!({"a": "b"});
    let found = problems(&doc);
    assert_eq!(paths(&found), ["metadata.labelz"]);
    assert_eq!(
        found[0].message,
        "unknown field `labelz` (did you mean `labels`?)"
    );
}

#[test]
fn invalid_name_fails() {
    let mut doc = cluster();
    doc["metadata"]["name"] = json!("Bad_Name");
    let found = problems(&doc);
    assert_eq!(paths(&found), ["metadata.name"]);
    assert!(
        found[0]
            .message
            .starts_with("`Bad_Name` is not a DNS-1123 subdomain")
    );
}

#[test]
fn missing_name_fails_and_object_is_still_described() {
    let mut doc = cluster();
    doc["metadata"]
        .as_object_mut()
        .map(|meta| meta.remove("name"));
    let found = problems(&doc);
    assert_eq!(paths(&found), ["metadata.name"]);
    assert_eq!(found[0].object, "Cluster databases/(unnamed)");
}

#[test]
fn name_rules_follow_the_api_server() {
    let service = |name: &str| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "cache"},
               "spec": {"ports": [{"port": 6379}]}})
    };
    assert_clean(&service("redis"));
    // A leading digit is fine for a subdomain but not for a Service's DNS-1035 label.
    assert_eq!(paths(&problems(&service("1redis"))), ["metadata.name"]);
    // A namespace is a DNS-1123 label, so a dot is refused there though fine in a name.
    let mut in_dotted = service("redis");
    in_dotted["metadata"]["namespace"] = json!("a.b");
    assert_eq!(paths(&problems(&in_dotted)), ["metadata.namespace"]);
    let mut doc = cluster();
    doc["metadata"]["name"] = json!("pg..main");
    assert_eq!(paths(&problems(&doc)), ["metadata.name"]);
}

#[test]
fn label_keys_and_values_are_validated() {
    let mut doc = cluster();
    doc["metadata"]["labels"] = json!({
        "ok.example.com/name": "fine",
        "Bad Prefix/name": "x",
        "tier": "-bad-",
        "empty": ""
    });
    doc["metadata"]["annotations"] = json!({"a/b/c": "free text is fine"});
    let found = problems(&doc);
    assert_eq!(
        paths(&found),
        [
            r#"metadata.annotations["a/b/c"]"#,
            r#"metadata.labels["Bad Prefix/name"]"#,
            "metadata.labels.tier"
        ]
    );
}

#[test]
fn namespace_scope_is_enforced() {
    let mut namespaced = cluster();
    namespaced["metadata"]
        .as_object_mut()
        .map(|meta| meta.remove("namespace"));
    let found = problems(&namespaced);
    assert_eq!(paths(&found), ["metadata.namespace"]);
    assert_eq!(found[0].object, "Cluster pg");

    let store = json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ClusterSecretStore",
        "metadata": {"name": "vault", "namespace": "databases"},
        "spec": {"provider": {"fake": {"data": []}}}
    });
    let found = problems(&store);
    assert_eq!(paths(&found), ["metadata.namespace"]);
    assert!(found[0].message.contains("cluster-scoped"));

    let mut bad_namespace = cluster();
    bad_namespace["metadata"]["namespace"] = json!("Databases");
    assert_eq!(paths(&problems(&bad_namespace)), ["metadata.namespace"]);
}

#[test]
fn stateful_set_unknown_fields_have_full_paths() {
    let mut doc = stateful_set();
    doc["spec"]["replicaz"] = json!(3);
    doc["spec"]["template"]["spec"]["containers"][0]["resourcez"] = json!({});
    let found = problems(&doc);
    assert_eq!(
        paths(&found),
        [
            "spec.replicaz",
            "spec.template.spec.containers[0].resourcez"
        ]
    );
    assert_eq!(
        found[1].message,
        "unknown field `resourcez` (did you mean `resources`?)"
    );
}

/// The checks the k8s-openapi decoder made, now by schema, on a built-in kind: an unknown
/// field, a wrong type and a missing required field, each at its path; and the schema
/// types int-or-string and quantity fields as the API server does.
#[test]
fn built_in_schema_refuses_what_the_decoder_refused() {
    let mut doc = stateful_set();
    let container = &mut doc["spec"]["template"]["spec"]["containers"][0];
    container["imagePullPolice"] = json!("Always");
    container["ports"] = json!([{"containerPort": "5432"}]);
    container.as_object_mut().unwrap().remove("name");
    let found = problems(&doc);
    let at = "spec.template.spec.containers[0]";
    assert_eq!(
        found
            .iter()
            .map(|p| (p.path.as_str(), p.message.as_str()))
            .collect::<Vec<_>>(),
        [
            (at, r#""name" is a required property"#),
            (
                &*format!("{at}.imagePullPolice"),
                "unknown field `imagePullPolice` (did you mean `imagePullPolicy`?)"
            ),
            (
                &*format!("{at}.ports[0].containerPort"),
                r#""5432" is not of type "integer""#
            ),
        ]
    );

    let mut doc = stateful_set();
    let container = &mut doc["spec"]["template"]["spec"]["containers"][0];
    container["resources"] = json!({"limits": {"memory": "1 GiB", "cpu": 2}});
    container["readinessProbe"] = json!({"tcpSocket": {"port": "postgres"}});
    let found = problems(&doc);
    assert_eq!(
        paths(&found),
        ["spec.template.spec.containers[0].resources.limits.memory"]
    );
    assert_eq!(
        found[0].message,
        r#""1 GiB" is not a number or a quantity such as "500m", "2" or "1Gi""#
    );
    doc["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["tcpSocket"]["port"] =
        json!(true);
    let found = problems(&doc);
    assert_eq!(
        paths(&found),
        [
            "spec.template.spec.containers[0].readinessProbe.tcpSocket.port",
            "spec.template.spec.containers[0].resources.limits.memory"
        ]
    );
    assert_eq!(found[0].message, "true is not an integer or a string");
}

#[test]
fn stateful_set_type_error_has_its_path() {
    let mut doc = stateful_set();
    doc["spec"]["replicas"] = json!("3");
    let found = problems(&doc);
    assert_eq!(paths(&found), ["spec.replicas"]);
    assert_eq!(found[0].message, r#""3" is not of type "integer""#);
}

/// Helm charts write `null` for optional fields; the API server reads it as absent (and the
/// k8s-openapi decoder accepted it). A required field still refuses it.
#[test]
fn built_in_optional_fields_admit_null_and_required_ones_do_not() {
    let mut doc = stateful_set();
    doc["spec"]["template"]["metadata"]["annotations"] = Value::Null;
    doc["spec"]["template"]["spec"]["affinity"] = json!({"nodeAffinity": null});
    doc["spec"]["template"]["spec"]["containers"][0]["ports"][0]["hostPort"] = Value::Null;
    assert_clean(&doc);
    doc["spec"]["template"]["spec"]["containers"][0]["name"] = Value::Null;
    doc["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = Value::Null;
    let found = problems(&doc);
    assert_eq!(
        paths(&found),
        [
            "spec.template.spec.containers[0].name",
            "spec.template.spec.containers[0].ports[0].containerPort"
        ]
    );
    assert_eq!(found[0].message, r#"null is not of type "string""#);
}

#[test]
fn builtin_status_is_rejected() {
    let mut doc = stateful_set();
    doc["status"] = json!({"replicas": 3});
    assert_eq!(paths(&problems(&doc)), ["status"]);
}

#[test]
fn secret_with_payload_fails_and_empty_secret_passes() {
    let mut secret = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "pg-app", "namespace": "databases"},
        "type": "Opaque"
    });
    assert_clean(&secret);
    secret["stringData"] = json!({"password": "hunter2"});
    let found = problems(&secret);
    assert_eq!(paths(&found), ["stringData"]);
    assert!(found[0].message.contains("would put a credential in Git"));
}

#[test]
fn external_secret_v1beta1_is_unsupported() {
    let mut doc = external_secret("pg-app", None);
    doc["apiVersion"] = json!("external-secrets.io/v1beta1");
    let found = problems(&doc);
    assert_eq!(paths(&found), [""]);
    assert_eq!(
        found[0].message,
        "no schema for external-secrets.io/v1beta1 ExternalSecret: dbgen cannot verify it (supported: external-secrets.io/v1)"
    );
    assert_eq!(
        found[0].to_string(),
        format!(
            "{FILE}: ExternalSecret databases/pg-app: {}",
            found[0].message
        )
    );
}

#[test]
fn missing_api_version_and_kind_are_reported() {
    let found = problems(&json!({"metadata": {"name": "x"}}));
    assert_eq!(paths(&found), ["apiVersion", "kind"]);
    let found = problems(&json!(["not", "a", "mapping"]));
    assert_eq!(found[0].message, "the document is not a mapping");
}

#[test]
fn kustomization_fields_are_checked() {
    let found = problems(&json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resourcez": [],
        "resources": ["a.yaml", 3]
    }));
    assert_eq!(paths(&found), ["resources[1]", "resourcez"]);
    assert_eq!(found[0].object, "Kustomization");
}

#[test]
fn display_omits_empty_path() {
    let problem = ObjectProblem {
        file: "f.yaml".into(),
        object: "Cluster ns/pg".into(),
        path: "spec.instances".into(),
        message: "bad".into(),
    };
    assert_eq!(
        problem.to_string(),
        "f.yaml: Cluster ns/pg: spec.instances: bad"
    );
    let whole = ObjectProblem {
        path: String::new(),
        ..problem
    };
    assert_eq!(whole.to_string(), "f.yaml: Cluster ns/pg: bad");
}

#[test]
fn consistent_tree_has_no_problems() {
    let found = tree_problems(vec![
        cluster(),
        database("app", "pg"),
        external_secret("pg-app", None),
        database_role("reporting", "pg-reporting"),
        infisical_secret("pg-reporting", "databases"),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

/// A render feeds the tree check one document at a time and drops each one: references
/// to objects that come later in the tree still resolve, and the problems are those of
/// `verify_tree` over the whole slice.
#[test]
fn tree_check_fed_one_dropped_document_at_a_time_resolves_later_objects() {
    let mut ghost = database("ghost", "pg");
    ghost["metadata"]["name"] = json!("pg-ghost");
    let objects = tree(vec![
        database("app", "pg"),
        ghost,
        database_role("reporting", "pg-reporting"),
        external_secret("pg-app", None),
        cluster(),
    ]);
    let mut check = crate::verify::TreeCheck::default();
    for (file, doc) in objects.clone() {
        check.add(&file, &doc);
        drop(doc);
    }
    let streamed = check.finish();
    assert_eq!(streamed, Verifier::new().verify_tree(&objects));
    let found: Vec<(&str, &str, &str)> = streamed
        .iter()
        .map(|p| (p.file.as_str(), p.object.as_str(), p.path.as_str()))
        .collect();
    // The app's owner role is in the Cluster declared last; `ghost` and the reporting
    // role's password Secret are nowhere.
    assert_eq!(
        found,
        [
            (
                "prod/databases/01.yaml",
                "Database databases/pg-ghost",
                "spec.owner"
            ),
            (
                "prod/databases/02.yaml",
                "DatabaseRole databases/pg-reporting",
                "spec.passwordSecret.name"
            ),
        ],
        "{streamed:#?}"
    );
}

#[test]
fn tree_reports_database_owner_that_is_not_a_role() {
    let found = tree_problems(vec![
        cluster(),
        database("ghost", "pg"),
        external_secret("pg-app", None),
    ]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].file, "prod/databases/01.yaml");
    assert_eq!(found[0].path, "spec.owner");
    assert!(
        found[0]
            .message
            .contains("owner role `ghost` is not declared in Cluster databases/pg")
    );
    assert!(found[0].message.contains("role does not exist"));
}

#[test]
fn tree_accepts_owner_declared_by_database_role_only() {
    let found = tree_problems(vec![
        cluster(),
        database("reporting", "pg"),
        external_secret("pg-app", None),
        database_role("reporting", "pg-reporting"),
        infisical_static_secret("pg-reporting"),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn tree_rejects_owner_whose_role_is_ensured_absent() {
    let mut doc = cluster();
    doc["spec"]["managed"]["roles"][0]["ensure"] = json!("absent");
    let found = tree_problems(vec![
        doc,
        database("app", "pg"),
        external_secret("pg-app", None),
    ]);
    assert_eq!(paths(&found), ["spec.owner"]);
}

#[test]
fn tree_reports_references_to_missing_cluster() {
    let pooler = json!({
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Pooler",
        "metadata": {"name": "pg-rw", "namespace": "databases"},
        "spec": {"cluster": {"name": "other"}, "type": "rw", "pgbouncer": {}}
    });
    let found = tree_problems(vec![
        cluster(),
        database("app", "missing"),
        external_secret("pg-app", None),
        pooler,
    ]);
    assert_eq!(paths(&found), ["spec.cluster.name", "spec.cluster.name"]);
    assert_eq!(found[0].object, "Database databases/pg-app");
    assert!(
        found[0]
            .message
            .contains("Cluster `missing` is not declared in namespace `databases`")
    );
    assert_eq!(found[1].object, "Pooler databases/pg-rw");
}

#[test]
fn tree_does_not_match_cluster_across_namespaces() {
    let mut db = database("app", "pg");
    db["metadata"]["namespace"] = json!("other");
    let found = tree_problems(vec![cluster(), db, external_secret("pg-app", None)]);
    assert_eq!(paths(&found), ["spec.cluster.name"]);
}

#[test]
fn tree_reports_password_secret_nobody_produces() {
    let found = tree_problems(vec![
        cluster(),
        // Produced, but in the wrong namespace and under another name.
        infisical_secret("pg-app", "elsewhere"),
        external_secret("pg-other", None),
        database_role("reporting", "pg-reporting"),
    ]);
    assert_eq!(
        paths(&found),
        [
            "spec.managed.roles[0].passwordSecret.name",
            "spec.passwordSecret.name"
        ]
    );
    assert!(
        found[0]
            .message
            .contains("Secret `pg-app` is not produced in namespace `databases`")
    );
    assert_eq!(found[1].object, "DatabaseRole databases/pg-reporting");
}

#[test]
fn external_secret_with_merge_policy_produces_nothing() {
    let mut producer = external_secret("pg-app", None);
    producer["spec"]["target"]["creationPolicy"] = json!("Merge");
    let found = tree_problems(vec![cluster(), producer]);
    assert_eq!(paths(&found), ["spec.managed.roles[0].passwordSecret.name"]);
}

#[test]
fn tree_reports_duplicates_on_the_second_file() {
    let found = tree_problems(vec![cluster(), external_secret("pg-app", None), cluster()]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].file, "prod/databases/02.yaml");
    assert_eq!(found[0].path, "");
    assert_eq!(
        found[0].message,
        "duplicate object: Cluster databases/pg is already defined in prod/databases/00.yaml"
    );
}

#[test]
fn same_name_in_other_group_is_not_a_duplicate() {
    let mut monitor = prometheus_rule();
    monitor["metadata"]["name"] = json!("pg");
    let found = tree_problems(vec![
        pod_monitor(),
        monitor,
        cluster(),
        external_secret("pg-app", None),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

/// Every embedded schema compiles and admits exactly its row's apiVersion and kind; for a
/// built-in row, the table declares them and the schema was generated from the k8s-openapi
/// type of that apiVersion and kind, so this (with `strict_decode::`, which compares the
/// rows with the types) keeps the table, the type and the schema in step.
#[test]
fn every_embedded_schema_compiles_and_declares_its_kind() {
    let verifier = Verifier::new();
    let rows = schema_kinds()
        .into_iter()
        .map(|kind| {
            (
                SchemaId::Kind(kind),
                kind.spec().api_version,
                kind.spec().name,
            )
        })
        .chain([(SchemaId::Secret, Some("v1"), "Secret")]);
    for (id, api_version, name) in rows {
        let file = id.file();
        let compiled = verifier.schemas.get(id);
        assert!(compiled.is_ok(), "{file}: {:?}", compiled.err());
        let source = id.source().unwrap_or_default();
        let schema: Value = serde_json::from_str(source).unwrap_or_default();
        assert_eq!(
            schema.pointer("/properties/apiVersion/enum"),
            Some(&json!([api_version])),
            "{file}"
        );
        assert_eq!(
            schema.pointer("/properties/kind/enum"),
            Some(&json!([name])),
            "{file}"
        );
    }
    assert!(verifier.schemas.get(SchemaId::ObjectMeta).is_ok());
}

/// Every row of the kind table has the checker it names, agreeing with the row.
#[test]
fn every_kind_table_row_has_its_checker() {
    for kind in Kind::all() {
        let spec = kind.spec();
        match spec.check {
            Check::Builtin => {
                let builtin = super::builtin::of(kind).expect("a built-in row");
                assert_eq!(
                    (Some(builtin.api_version), builtin.kind, builtin.scope),
                    (spec.api_version, spec.name, spec.scope)
                );
                assert!(SchemaId::Kind(kind).source().is_some(), "{kind:?}");
            }
            Check::Crd { .. } => assert!(super::crd::source(kind).is_some(), "{kind:?}"),
            Check::Kustomization | Check::NotAnObject => {}
        }
        let api_version = spec.api_version.unwrap_or_default();
        assert_eq!(
            super::checker_for(api_version, spec.name).is_some(),
            spec.check != Check::NotAnObject,
            "{kind:?}"
        );
    }
}

/// The rows of the kind table checked by an embedded schema.
fn schema_kinds() -> Vec<Kind> {
    Kind::all()
        .filter(|kind| matches!(kind.spec().check, Check::Crd { .. } | Check::Builtin))
        .collect()
}

/// The custom-resource rows of the kind table.
fn crd_kinds() -> Vec<Kind> {
    Kind::all()
        .filter(|kind| matches!(kind.spec().check, Check::Crd { .. }))
        .collect()
}

fn files_under(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files_under(root, &path, out);
        } else {
            let relative = path.strip_prefix(root).expect("path under root");
            out.insert(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn schema_directory_matches_the_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/crds");
    let mut on_disk = BTreeSet::new();
    files_under(&root, &root, &mut on_disk);
    let kinds = crd_kinds();
    let registered: BTreeSet<String> = kinds
        .iter()
        .map(|&kind| super::crd::file(kind).to_owned())
        .collect();
    assert_eq!(on_disk, registered);
    assert_eq!(
        registered.len(),
        kinds.len(),
        "a schema file is registered twice"
    );
}

/// `schemas/builtin/` holds the schema of each built-in row, `Secret`'s and `ObjectMeta`'s:
/// nothing copied but unused (`cargo xtask schemas builtin` writes exactly these).
#[test]
fn builtin_schema_directory_matches_the_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/builtin");
    let mut on_disk = BTreeSet::new();
    files_under(&root, &root, &mut on_disk);
    let expected: BTreeSet<String> = Kind::all()
        .filter(|kind| kind.spec().check == Check::Builtin)
        .map(|kind| format!("{}.json", kind.file_stem()))
        .chain(["secret.json".to_owned(), "objectmeta.json".to_owned()])
        .collect();
    assert_eq!(on_disk, expected);
}

#[test]
fn supported_kinds_are_unique_and_resolvable() {
    let kinds = supported_kinds();
    let unique: BTreeSet<_> = kinds.iter().collect();
    assert_eq!(unique.len(), kinds.len());
    assert!(kinds.contains(&("apps/v1", "StatefulSet")));
    assert!(kinds.contains(&("batch/v1", "CronJob")));
    assert!(kinds.contains(&("postgresql.cnpg.io/v1", "Cluster")));
    for (api_version, kind) in kinds {
        assert!(
            super::checker_for(api_version, kind).is_some(),
            "{api_version} {kind}"
        );
    }
}

#[test]
fn verifier_caches_compiled_schemas() {
    let verifier = Verifier::new();
    assert!(format!("{verifier:?}").contains("compiled: 0"));
    verifier.verify_object(FILE, &cluster());
    verifier.verify_object(FILE, &cluster());
    // The Cluster's schema and ObjectMeta's, each once.
    assert!(format!("{verifier:?}").contains("compiled: 2"));
}

fn object_store(credentials: &str) -> Value {
    json!({
        "apiVersion": "barmancloud.cnpg.io/v1",
        "kind": "ObjectStore",
        "metadata": {"name": "pg-backup", "namespace": "databases"},
        "spec": {
            "configuration": {
                "destinationPath": "s3://bucket/pg/",
                "s3Credentials": {
                    "accessKeyId": {"name": credentials, "key": "ACCESS_KEY_ID"},
                    "secretAccessKey": {"name": credentials, "key": "ACCESS_SECRET_KEY"}
                }
            },
            "retentionPolicy": "30d"
        }
    })
}

fn cluster_with_backups(store: &str) -> Value {
    let mut cluster = cluster();
    cluster["spec"]["plugins"] = json!([{
        "name": "barman-cloud.cloudnative-pg.io",
        "isWALArchiver": true,
        "parameters": {"barmanObjectName": store}
    }]);
    cluster
}

#[test]
fn tree_accepts_backups_whose_store_and_credentials_exist() {
    let found = tree_problems(vec![
        cluster_with_backups("pg-backup"),
        external_secret("pg-app", None),
        object_store("pg-s3"),
        external_secret("pg-s3", None),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn tree_reports_missing_object_store_and_unproduced_s3_credentials() {
    let found = tree_problems(vec![
        cluster_with_backups("pg-store"),
        external_secret("pg-app", None),
        object_store("pg-s3"),
    ]);
    assert_eq!(
        paths(&found),
        [
            "spec.plugins[0].parameters.barmanObjectName",
            "spec.configuration.s3Credentials.accessKeyId.name",
            "spec.configuration.s3Credentials.secretAccessKey.name",
        ],
        "{found:#?}"
    );
}

#[test]
fn tree_reports_pods_mounting_secrets_or_config_maps_it_does_not_make() {
    let job = json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "pg-provision-0", "namespace": "databases"},
        "spec": {"template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{
                "name": "provision",
                "image": "postgres:16.4",
                "env": [{"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "pg-admin", "key": "admin-password"}}}]
            }],
            "volumes": [
                {"name": "script", "configMap": {"name": "pg-provision"}},
                {"name": "password-0", "secret": {"secretName": "pg-app"}},
                {"name": "password-1", "secret": {"secretName": "pg-missing"}}
            ]
        }}}
    });
    let found = tree_problems(vec![job, external_secret("pg-app", None)]);
    assert_eq!(
        paths(&found),
        [
            "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name",
            "spec.template.spec.volumes[0].configMap.name",
            "spec.template.spec.volumes[2].secret.secretName",
        ],
        "{found:#?}"
    );
}

/// Verify carries only what dbgen emits: every kind it can check appears in some golden tree,
/// except `Secret`, kept so its no-payload policy guards any future output.
#[test]
fn every_supported_kind_is_emitted_by_a_golden_case() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut files = BTreeSet::new();
    files_under(&root, &root, &mut files);
    let mut emitted = BTreeSet::new();
    for file in files.iter().filter(|f| {
        f.contains("/expected/") && Path::new(f).extension().is_some_and(|e| e == "yaml")
    }) {
        let text = std::fs::read_to_string(root.join(file)).expect("golden file");
        let doc = crate::yaml::parse(&text).expect("golden YAML");
        if let (Some(api_version), Some(kind)) = (doc["apiVersion"].as_str(), doc["kind"].as_str())
        {
            emitted.insert((api_version.to_owned(), kind.to_owned()));
        }
    }
    let unused: Vec<_> = supported_kinds()
        .into_iter()
        .filter(|&(api_version, kind)| {
            (api_version, kind) != ("v1", "Secret")
                && !emitted.contains(&(api_version.to_owned(), kind.to_owned()))
        })
        .collect();
    assert!(unused.is_empty(), "verified but never emitted: {unused:?}");
}
