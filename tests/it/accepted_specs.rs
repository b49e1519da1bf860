//! Specs at the edge of what dbgen accepts, which must compile into verified output: a
//! Bitnami cluster without apps (the state after removing the last app), apps sharing one
//! password with the explicit `secrets.shared_passwords = true`, and a name reserved on
//! another engine only.

const HEAD: &str = r#"
[platform]
name = "shop"
namespace = "db"

[environments.prod]

[secrets]
provider = "external-secrets"
store = "vault-backend"
"#;

fn compiles(body: &str) -> dbgen::pipeline::Compiled {
    compiles_text(&format!("{HEAD}{body}"))
}

fn compiles_text(text: &str) -> dbgen::pipeline::Compiled {
    match dbgen::pipeline::compile("edge.toml", text) {
        Ok(compiled) => compiled,
        Err(dbgen::pipeline::Failure::Invalid {
            sources,
            diagnostics,
        }) => panic!("{}", dbgen::diagnostic::render(&sources, &diagnostics)),
        Err(other) => panic!("{other:?}"),
    }
}

fn paths(compiled: &dbgen::pipeline::Compiled) -> Vec<String> {
    compiled.environments[0]
        .1
        .iter()
        .map(|m| m.path.clone())
        .collect()
}

#[test]
fn a_bitnami_cluster_without_apps_renders() {
    let compiled = compiles(
        r#"key = "shop/{env}/{app}"

[bitnami]
images = "bitnamilegacy"

[postgres.ha]
engine = "bitnami"
version = "17.6"
credentials_key = "shop/{env}/ha"
"#,
    );
    let paths = paths(&compiled);
    assert!(
        paths.iter().any(|p| p.ends_with("values-ha.yaml")),
        "{paths:?}"
    );
    assert!(
        !paths.iter().any(|p| p.contains("pgpool-users")),
        "no Pgpool user list without users: {paths:?}"
    );
    let values = compiled.environments[0]
        .1
        .iter()
        .find(|m| m.path.ends_with("values-ha.yaml"))
        .unwrap();
    assert!(values.document["pgpool"].get("customUsersSecret").is_none());
}

#[test]
fn apps_may_share_a_password_when_the_spec_says_so() {
    let body = r#"key = "shop/{env}/shared"
shared_passwords = true

[postgres.main]
engine = "cnpg"
version = "17.6"

[apps.orders]
postgres = "main"
namespace = "shop"

[apps.billing]
postgres = "main"
namespace = "shop"
connection_secret = "billing-db"
"#;
    compiles(body);
    let refused = dbgen::pipeline::compile(
        "edge.toml",
        &format!("{HEAD}{}", body.replace("shared_passwords = true\n", "")),
    );
    assert!(matches!(
        refused,
        Err(dbgen::pipeline::Failure::Invalid { .. })
    ));
}

#[test]
fn pgpools_admin_name_is_free_on_other_engines() {
    compiles(
        r#"key = "shop/{env}/{app}"

[postgres.main]
engine = "cnpg"
version = "17.6"

[apps.admin]
postgres = "main"
namespace = "shop"
"#,
    );
}

/// The text of every manifest of the only environment, by path.
fn texts(compiled: &dbgen::pipeline::Compiled) -> std::collections::BTreeMap<String, String> {
    compiled.environments[0]
        .1
        .iter()
        .map(|m| (m.path.clone(), m.text.clone()))
        .collect()
}

#[test]
fn a_retired_app_keeps_its_database_and_roles_without_login_or_secrets() {
    // Every engine at once: CNPG with DatabaseRole objects, CNPG with inline roles, the
    // `statefulset` and `bitnami` engines, and Redis. `old` is retired everywhere, `live` not.
    let apps = |cluster: &str| {
        format!(
            "[apps.old-{cluster}]\npostgres = \"{cluster}\"\nnamespace = \"old\"\nconnection_secret = \"old-{cluster}\"\nretired = true\n\
             [apps.live-{cluster}]\npostgres = \"{cluster}\"\nnamespace = \"live\"\nconnection_secret = \"live-{cluster}\"\n"
        )
    };
    let body = format!(
        r#"key = "shop/{{env}}/{{app}}"

[bitnami]
images = "bitnamilegacy"

[postgres.objects]
engine = "cnpg"
version = "17.6"
storage = "1Gi"

[postgres.sts]
engine = "statefulset"
version = "17.6"
storage = "1Gi"
credentials_key = "shop/{{env}}/sts"

[postgres.ha]
engine = "bitnami"
version = "17.6"
credentials_key = "shop/{{env}}/ha"

[redis.cache]
engine = "statefulset"
version = "8.2.1"
storage = "1Gi"
credentials_key = "shop/{{env}}/cache"

{}{}{}[apps.old-redis]
namespace = "old"
redis = "cache"
retired = true

[apps.live-redis]
namespace = "live"
redis = "cache"
"#,
        apps("objects"),
        apps("sts"),
        apps("ha")
    );
    let files = texts(&compiles(&body));
    let secrets: Vec<&String> = files
        .keys()
        .filter(|p| p.contains("/old/") || (p.contains("externalsecret") && p.contains("old")))
        .collect();
    assert!(
        secrets.is_empty(),
        "a retired app gets no Secret: {secrets:?}"
    );
    for live in ["live-objects", "live-sts", "live-ha", "live-redis"] {
        assert!(
            files
                .keys()
                .any(|p| p.starts_with(&format!("prod/live/externalsecret-{live}"))),
            "{live} keeps its Secret: {:?}",
            files.keys()
        );
    }
    let role = &files["prod/db/databaserole-objects-old-objects.yaml"];
    assert!(
        role.contains("  disablePassword: true\n  login: false\n"),
        "{role}"
    );
    assert!(!role.contains("passwordSecret"), "{role}");
    assert!(files.contains_key("prod/db/database-objects-old-objects.yaml"));
    let script = |cluster: &str| {
        files
            .iter()
            .find(|(p, _)| p.ends_with(&format!("configmap-{cluster}-provision.yaml")))
            .map(|(_, t)| t.clone())
            .unwrap()
    };
    for cluster in ["sts", "ha"] {
        let script = script(cluster);
        assert!(
            script.contains(&format!(
                "\\set dbgen_role 'old_{cluster}'\n    SELECT pg_catalog.format('ALTER ROLE %I NOLOGIN PASSWORD NULL'"
            )),
            "{script}"
        );
        assert!(
            !script.contains(&format!("{cluster}-old-{cluster}-role")),
            "{script}"
        );
    }
    let values = &files["prod/db/values-ha.yaml"];
    assert!(
        !values.contains("old_ha"),
        "Pgpool no longer lists the user: {values}"
    );

    let head = HEAD.replace(
        "namespace = \"db\"\n",
        "namespace = \"db\"\nroles = \"inline\"\n",
    );
    let inline = texts(&compiles_text(&format!(
        "{head}key = \"shop/{{env}}/{{app}}\"\n\n[postgres.objects]\nengine = \"cnpg\"\nversion = \"17.6\"\nstorage = \"1Gi\"\n\n{}",
        apps("objects")
    )));
    let cluster = &inline["prod/db/cluster-objects.yaml"];
    assert!(
        cluster.contains("- disablePassword: true\n      ensure: present\n      login: false\n      name: old_objects\n"),
        "{cluster}"
    );
}
