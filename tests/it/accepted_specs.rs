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
    let text = format!("{HEAD}{body}");
    match dbgen::pipeline::compile("edge.toml", &text) {
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
