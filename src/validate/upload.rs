//! The `upload` table of logical backups and Redis backups: a copy of each run's dumps in an
//! S3-compatible object store.
//!
//! Input: the `upload` tables of a backup's layers (most specific first), each with a way
//! to locate its values. Output: diagnostics for every value written (`values`), missing keys
//! after merging (`missing`), and the merged settings (`merge`).
//! Invariant: a `MergedUpload` that passed `missing` has a destination, credentials and a
//! credentials key; `expand` expands `{env}`/`{cluster}` in them with the names checked
//! here, into `MergedUpload::target`.

use std::collections::BTreeMap;

use super::context::Context;
use super::platform::{folder_path, placeholders};
use super::rules;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::MergedUpload;
use crate::source::Span;
use crate::spec::{SecretProvider, UploadLayer};

/// Merges `tables` (most specific first; `None` where a layer has no `upload`): on when the
/// most specific table does not turn it off.
pub(super) fn merge(tables: &[(Option<&UploadLayer>, Option<Span>)]) -> Option<MergedUpload> {
    let given: Vec<(&UploadLayer, &Option<Span>)> = tables
        .iter()
        .filter_map(|(t, span)| t.map(|t| (t, span)))
        .collect();
    let (first, table) = given.first()?;
    if !first.enabled.unwrap_or(true) {
        return None;
    }
    let pick =
        |get: fn(&UploadLayer) -> Option<&String>| given.iter().find_map(|(t, _)| get(t).cloned());
    Some(MergedUpload {
        table: (*table).clone(),
        destination: pick(|t| t.destination.as_ref()),
        endpoint: pick(|t| t.endpoint.as_ref()),
        credentials: pick(|t| t.credentials.as_ref()),
        credentials_key: pick(|t| t.credentials_key.as_ref()),
        // Filled by `expand::resolve` once every check passed.
        target: crate::model::Target::default(),
    })
}

/// The placeholders `destination` and `credentials_key` may contain.
fn vars() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([("env", "env"), ("cluster", "cluster")])
}

/// Checks every value one `upload` table writes. `path` is the table's key path.
pub(super) fn values(cx: &mut Context<'_>, path: &[String], upload: &UploadLayer) {
    let key = |field: &str| -> Vec<String> {
        let mut p = path.to_vec();
        p.push(field.to_string());
        p
    };
    let span = |cx: &Context<'_>, field: &str| {
        let p = key(field);
        let p: Vec<&str> = p.iter().map(String::as_str).collect();
        cx.at(&p)
    };
    if let Some(destination) = &upload.destination {
        let p = key("destination");
        let p: Vec<&str> = p.iter().map(String::as_str).collect();
        if let Some(expanded) = placeholders(cx, &p, destination, &vars())
            && let Err(why) = s3_url(&expanded)
        {
            cx.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    span(cx, "destination"),
                    format!("upload destination `{destination}` {why}"),
                )
                .with_label("expected s3://bucket[/path]")
                .with_help("the dumps are copied with `aws s3 sync`, to AWS S3 or, with `endpoint`, MinIO, Ceph..."),
            );
        }
    }
    if let Some(endpoint) = &upload.endpoint
        && let Err(why) = http_url(endpoint)
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                span(cx, "endpoint"),
                format!("endpoint `{endpoint}` {why}"),
            )
            .with_label("expected https://host[:port]"),
        );
    }
    if let Some(credentials) = &upload.credentials {
        cx.rule(
            span(cx, "credentials"),
            "credentials Secret name",
            credentials,
            rules::dns1123_subdomain(credentials),
        );
    }
    if let Some(template) = &upload.credentials_key {
        let p = key("credentials_key");
        let p: Vec<&str> = p.iter().map(String::as_str).collect();
        placeholders(cx, &p, template, &vars());
        if cx.spec().secrets.provider == SecretProvider::Infisical
            && let Err(why) = folder_path(template)
        {
            cx.push(
                Diagnostic::error(Code::InvalidValue, span(cx, "credentials_key"), format!("Infisical folder `{template}` {why}"))
                    .with_label("not an Infisical folder path")
                    .with_help("with provider `infisical`, `credentials_key` is the folder holding the secrets `ACCESS_KEY_ID` and `ACCESS_SECRET_KEY`, e.g. `/backup/{env}`"),
            );
        }
    }
}

/// Reports each key the merged settings still lack; `what` names the backup ("logical
/// backups of cluster `x`"), `fallback` locates it when no `upload` table span is known.
pub(super) fn missing(
    cx: &mut Context<'_>,
    upload: &MergedUpload,
    what: &str,
    fallback: Option<Span>,
) {
    let span = upload.table.clone().or(fallback);
    for (field, value) in [
        ("destination", &upload.destination),
        ("credentials", &upload.credentials),
        ("credentials_key", &upload.credentials_key),
    ] {
        if value.is_none() {
            cx.push(
                Diagnostic::error(
                    Code::MissingKey,
                    span.clone(),
                    format!("the upload of {what} needs `upload.{field}`"),
                )
                .with_label(format!("upload turned on here without `{field}`")),
            );
        }
    }
}

/// `s3://bucket[/path]`: an S3 bucket name (3 to 63 lowercase letters, digits, `-` and `.`,
/// starting and ending with a letter or digit), then path segments that are not empty and hold
/// no whitespace or control character (the path is one argument of `aws s3 sync`).
pub(crate) fn s3_url(url: &str) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("s3://") else {
        return Err("must start with `s3://`".to_string());
    };
    let (bucket, path) = rest.split_once('/').unwrap_or((rest, ""));
    let bucket_chars = bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    let ends_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !(3..=63).contains(&bucket.len())
        || !bucket_chars
        || !ends_ok(bucket.as_bytes().first())
        || !ends_ok(bucket.as_bytes().last())
    {
        return Err(format!(
            "has bucket name `{bucket}`: 3 to 63 lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit"
        ));
    }
    let path = path.strip_suffix('/').unwrap_or(path);
    if !path.is_empty() && path.split('/').any(str::is_empty) {
        return Err("has an empty path segment (`//`)".to_string());
    }
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("has whitespace or a control character in its path".to_string());
    }
    Ok(())
}

/// `http://` or `https://`, a host, an optional numeric port, nothing after but an optional `/`.
pub(crate) fn http_url(url: &str) -> Result<(), String> {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return Err("is not an http(s) URL".to_string());
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains('@') {
        return Err(
            "holds a user name or password (`user:secret@`), which would be a credential in Git; the keys come from `credentials`"
                .to_string(),
        );
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !host_ok {
        return Err("must be `http(s)://host[:port]` with nothing after the host".to_string());
    }
    if let Some(port) = port
        && !port.parse::<u16>().is_ok_and(|p| p > 0)
    {
        return Err(format!("has port `{port}`, not a number from 1 to 65535"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_url_takes_a_bucket_and_an_optional_path() {
        assert!(s3_url("s3://backups").is_ok());
        assert!(s3_url("s3://backups/").is_ok());
        assert!(s3_url("s3://my.backups-1/prod/logical/").is_ok());
        assert!(s3_url("https://backups/x").is_err());
        assert!(s3_url("s3://").is_err());
        assert!(s3_url("s3://ab").is_err());
        assert!(s3_url("s3://Backups/x").is_err());
        assert!(s3_url("s3://-backups").is_err());
        assert!(s3_url("s3://backups//x").is_err());
        assert!(s3_url("s3://backups/a b").is_err());
        assert!(s3_url("s3://backups/a\nb").is_err());
    }

    #[test]
    fn http_url_takes_a_host_and_an_optional_port() {
        assert!(http_url("https://minio.example:9000").is_ok());
        assert!(http_url("http://10.0.0.5/").is_ok());
        assert!(http_url("https://s3.eu-west-1.amazonaws.com").is_ok());
        assert!(http_url("minio:9000").is_err());
        assert!(http_url("https://").is_err());
        assert!(http_url("https://minio:0").is_err());
        assert!(http_url("https://minio:http").is_err());
        assert!(http_url("https://minio/bucket").is_err());
        assert!(http_url("https://user:secret@minio").is_err());
        assert!(http_url("https://minio:99999").is_err());
    }

    #[test]
    fn merge_is_leaf_by_leaf_and_the_most_specific_table_turns_it_off() {
        let env = UploadLayer {
            destination: Some("s3://prod-bucket/".to_string()),
            ..UploadLayer::default()
        };
        let base = UploadLayer {
            destination: Some("s3://bucket/".to_string()),
            credentials: Some("s3".to_string()),
            credentials_key: Some("backup/{env}".to_string()),
            ..UploadLayer::default()
        };
        let merged = merge(&[(Some(&env), None), (None, None), (Some(&base), None)]).unwrap();
        assert_eq!(merged.destination.as_deref(), Some("s3://prod-bucket/"));
        assert_eq!(merged.credentials.as_deref(), Some("s3"));
        assert_eq!(merged.endpoint, None);
        let off = UploadLayer {
            enabled: Some(false),
            ..UploadLayer::default()
        };
        assert_eq!(merge(&[(Some(&off), None), (Some(&base), None)]), None);
        assert_eq!(merge(&[(None, None)]), None);
    }

    const SPEC: &str = r#"
[platform]
name = "p"
namespace = "db-{env}"
[environments.dev]
[environments.prod]
[secrets]
provider = "external-secrets"
store = "vault"
key = "apps/{app}"
[postgres.pg]
engine = "statefulset"
version = "17.6"
credentials_key = "infra/pg"
logical_backup = { credentials_key = "infra/backup", upload = { destination = "s3://dumps/{env}/{cluster}", credentials = "dumps-s3", credentials_key = "infra/{env}/s3" } }
[redis.cache]
engine = "statefulset"
version = "8.2.1"
credentials_key = "infra/redis"
backup = { upload = { destination = "s3://dumps/redis/", credentials = "dumps-s3", credentials_key = "infra/{env}/s3" } }
[apps.wiki]
postgres = "pg"
redis = "cache"
namespace = "wiki"
"#;

    /// (code, spanned text) of every error of `spec`; empty when it compiles.
    fn errors(spec: &str) -> Vec<(&'static str, String)> {
        match crate::pipeline::compile("dbgen.toml", spec) {
            Ok(_) => Vec::new(),
            Err(crate::pipeline::Failure::Invalid { diagnostics, .. }) => diagnostics
                .iter()
                .map(|d| {
                    let text = d
                        .span
                        .as_ref()
                        .map(|s| spec[s.range.clone()].to_string())
                        .unwrap_or_default();
                    (d.code.name(), text)
                })
                .collect(),
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn a_complete_upload_compiles() {
        assert_eq!(errors(SPEC), []);
    }

    #[test]
    fn bad_values_are_reported_where_written() {
        let spec = SPEC
            .replace("s3://dumps/{env}/{cluster}", "https://dumps/x")
            .replace(
                "credentials = \"dumps-s3\", credentials_key = \"infra/{env}/s3\" } }\n[apps",
                "credentials = \"Dumps_S3\", credentials_key = \"infra/{envv}/s3\", endpoint = \"minio:9000\" } }\n[apps",
            );
        let found = errors(&spec);
        for expected in [
            ("invalid-value", "\"https://dumps/x\""),
            ("invalid-name", "\"Dumps_S3\""),
            ("unknown-placeholder", "{envv}"),
            ("invalid-value", "\"minio:9000\""),
        ] {
            assert!(
                found
                    .iter()
                    .any(|(c, t)| *c == expected.0 && t == expected.1),
                "{expected:?} not in {found:?}"
            );
        }
    }

    #[test]
    fn missing_keys_point_at_the_upload_table() {
        let spec = SPEC.replace(
            "upload = { destination = \"s3://dumps/redis/\", credentials = \"dumps-s3\", credentials_key = \"infra/{env}/s3\" }",
            "upload = { destination = \"s3://dumps/redis/\" }",
        );
        let found = errors(&spec);
        let missing: Vec<&(&str, String)> =
            found.iter().filter(|(c, _)| *c == "missing-key").collect();
        assert!(!missing.is_empty(), "{found:?}");
        assert!(
            missing
                .iter()
                .all(|(_, t)| t == "{ destination = \"s3://dumps/redis/\" }"),
            "{found:?}"
        );
    }

    #[test]
    fn an_environment_turns_the_upload_off() {
        let spec = SPEC.replace(
            "[apps.wiki]",
            "[postgres.pg.env.dev]\nlogical_backup = { upload = { enabled = false } }\n[redis.cache.env.dev]\nbackup = { upload = { enabled = false, destination = \"bad\" } }\n[apps.wiki]",
        );
        // Written values are checked even where the upload is off.
        assert_eq!(errors(&spec), [("invalid-value", "\"bad\"".to_string())]);
        let spec = spec.replace("enabled = false, destination = \"bad\"", "enabled = false");
        assert_eq!(errors(&spec), []);
    }

    #[test]
    fn infisical_credentials_keys_are_folders() {
        let spec = SPEC
            .replace(
                "provider = \"external-secrets\"\nstore = \"vault\"\nkey = \"apps/{app}\"",
                "provider = \"infisical\"\nhost = \"https://infisical.example.com\"\nproject = \"p\"\npath = \"/apps/{app}\"\ncredentials = { name = \"auth\", namespace = \"infisical\" }",
            )
            .replace("\"infra/", "\"/infra/");
        assert_eq!(errors(&spec), []);
        let spec = spec.replace("\"/infra/{env}/s3\" } }\n[apps", "\"infra/s3/\" } }\n[apps");
        // The Redis upload now reads Secret `dumps-s3` from another key than the
        // PostgreSQL one: a collision too.
        let upload = "{ upload = { destination = \"s3://dumps/redis/\", credentials = \"dumps-s3\", credentials_key = \"infra/s3/\" } }";
        assert_eq!(
            errors(&spec),
            [
                ("name-collision", upload.to_string()),
                ("invalid-value", "\"infra/s3/\"".to_string())
            ]
        );
    }
}
