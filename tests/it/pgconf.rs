//! `parameters` reach PostgreSQL exactly as written: the `postgresql.conf` dbgen generates
//! (engine `statefulset`'s ConfigMap, engine `bitnami`'s `extendedConf`) is read by a real
//! `postgres -C <name>`, which must print each value unchanged, quotes, backslashes (a
//! trailing one too), `#`, `$` and backticks included, and nothing else may change.
//!
//! Needs the PostgreSQL server (`scripts/install-tools.sh postgres`); under `CI` a missing
//! server fails the test.

use crate::support;

use std::fs;
use std::path::Path;

use serde_json::Value;

/// Values PostgreSQL accepts for these parameters, each hostile to a naive writer.
const VALUES: &[(&str, &str)] = &[
    (
        "log_line_prefix",
        "%m [%p] it's a \"test\" #not-a-comment $HOME `id` \\n \\",
    ),
    ("cluster_name", "o'brien\\x'"),
    ("application_name", "a\\'b''c"),
    ("search_path", "\"$user\", public"),
    ("work_mem", "65536"),
    // String-typed in the catalog but not in the hand list `pgconf` used to keep: empty is
    // a value.
    ("backtrace_functions", ""),
];

/// A TOML basic string holding `value`.
fn toml_string(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

fn spec() -> String {
    let parameters: Vec<String> = VALUES
        .iter()
        .map(|(name, value)| format!("{name} = {}", toml_string(value)))
        .collect();
    let parameters = parameters.join(", ");
    format!(
        r#"
[platform]
name = "shop"
namespace = "db"

[environments.prod]

[secrets]
provider = "external-secrets"
store = "vault-backend"
key = "shop/{{env}}/{{app}}"

[bitnami]
images = "bitnamilegacy"

[postgres.plain]
engine = "statefulset"
version = "17.6"
credentials_key = "shop/{{env}}/plain"
parameters = {{ {parameters} }}

[postgres.ha]
engine = "bitnami"
version = "17.6"
credentials_key = "shop/{{env}}/ha"
instances = 3
parameters = {{ {parameters} }}

[apps.orders]
postgres = "plain"
namespace = "shop"

[apps.billing]
postgres = "ha"
namespace = "shop"
"#
    )
}

/// (engine, generated configuration text) of every engine whose file dbgen writes.
fn generated() -> Vec<(&'static str, String)> {
    let compiled = dbgen::pipeline::compile("pgconf.toml", &spec())
        .unwrap_or_else(|e| panic!("the spec should compile: {e:?}"));
    let (_, manifests) = &compiled.environments[0];
    let find = |suffix: &str| {
        manifests
            .iter()
            .find(|m| m.path.ends_with(suffix))
            .unwrap_or_else(|| panic!("no {suffix} in the output"))
    };
    let config = &find("configmap-plain-config.yaml").document["data"]["postgresql.conf"];
    let extended = &find("/values-ha.yaml").document["postgresql"]["extendedConf"];
    let text = |v: &Value| v.as_str().expect("a string").to_string();
    vec![("statefulset", text(config)), ("bitnami", text(extended))]
}

/// What `postgres -C name` prints with `config` as the configuration file.
fn read_back(pg: &support::PgData, config: &Path, name: &str) -> String {
    let output = pg.show(&[format!("-cconfig_file={}", config.display())], name);
    assert!(
        output.status.success(),
        "postgres -C {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    support::shown(&output)
}

#[test]
fn postgres_reads_every_parameter_back_unchanged() {
    let Some(pg) = support::PgData::init() else {
        return;
    };
    let (dir, data) = (&pg.dir, &pg.data);
    let defaults = read_back(&pg, &data.join("postgresql.conf"), "log_statement");
    for (engine, text) in generated() {
        // The statefulset file is the whole configuration; Bitnami's is included by the
        // chart's own file, here initdb's.
        let config = dir.path().join(format!("{engine}.conf"));
        let fragment = dir.path().join(format!("{engine}-extended.conf"));
        if engine == "statefulset" {
            fs::write(&config, &text).unwrap();
        } else {
            fs::write(&fragment, &text).unwrap();
            let base = fs::read_to_string(data.join("postgresql.conf")).unwrap();
            fs::write(
                &config,
                format!("{base}\ninclude '{}'\n", fragment.display()),
            )
            .unwrap();
        }
        for (name, value) in VALUES {
            assert_eq!(
                read_back(&pg, &config, name),
                *value,
                "{engine}: {name} read back differently from\n{text}"
            );
        }
        assert_eq!(
            read_back(&pg, &config, "log_statement"),
            defaults,
            "{engine}: a value changed another setting"
        );
    }
}
