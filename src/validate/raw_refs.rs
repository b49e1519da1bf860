//! References checked on the raw TOML when the shape pass refused the spec, so that a typo
//! in a key and an app naming a cluster that does not exist are reported in one run.
//!
//! Input: the spec's text (syntactically valid; shape errors allowed). Output: unknown
//! reference diagnostics for `apps.<app>.postgres`, `apps.<app>.redis` and
//! `environments.<env>.profile`. Invariant: reports only what the full check would report
//! for the same value, so fixing the shape errors never reveals a different reference error.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::context::unknown_reference;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::spec::BUILTIN_PROFILES;

fn table<'a>(value: &'a DeValue<'a>) -> Option<&'a DeTable<'a>> {
    match value {
        DeValue::Table(t) => Some(t),
        _ => None,
    }
}

fn get<'a>(t: &'a DeTable<'a>, key: &str) -> Option<&'a Spanned<DeValue<'a>>> {
    t.iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

fn keys<'a>(t: &'a DeTable<'a>, key: &str) -> Vec<&'a str> {
    get(t, key)
        .and_then(|v| table(v.get_ref()))
        .map(|t| t.keys().map(|k| k.get_ref().as_ref()).collect())
        .unwrap_or_default()
}

fn string<'a>(value: &'a Spanned<DeValue<'a>>) -> Option<(&'a str, Range<usize>)> {
    match value.get_ref() {
        DeValue::String(s) => Some((s.as_ref(), value.span())),
        _ => None,
    }
}

/// The reference errors of `text`, registered as `file`.
pub(super) fn check(file: FileId, text: &str) -> Vec<Diagnostic> {
    let Ok(root) = DeTable::parse(text) else {
        return Vec::new();
    };
    let root = root.get_ref();
    let span = |range: Range<usize>| Some(Span { file, range });
    let mut found = Vec::new();
    let clusters = keys(root, "postgres");
    let redis = keys(root, "redis");
    let mut profiles = keys(root, "profiles");
    profiles.extend(BUILTIN_PROFILES.iter().map(|p| p.name));
    profiles.sort_unstable();
    if let Some(apps) = get(root, "apps").and_then(|a| table(a.get_ref())) {
        for (_, app) in apps {
            let Some(app) = table(app.get_ref()) else {
                continue;
            };
            let dedicated = matches!(
                get(app, "dedicated").map(Spanned::get_ref),
                Some(DeValue::Boolean(true))
            );
            if let Some((name, at)) = get(app, "postgres").and_then(string)
                && !dedicated
                && !clusters.contains(&name)
            {
                found.push(unknown_reference(
                    span(at),
                    "PostgreSQL cluster",
                    name,
                    clusters.iter().copied(),
                ));
            }
            if let Some((name, at)) = get(app, "redis").and_then(string)
                && !redis.contains(&name)
            {
                found.push(unknown_reference(
                    span(at),
                    "Redis",
                    name,
                    redis.iter().copied(),
                ));
            }
        }
    }
    if let Some(envs) = get(root, "environments").and_then(|e| table(e.get_ref())) {
        for (_, env) in envs {
            if let Some((name, at)) = table(env.get_ref())
                .and_then(|e| get(e, "profile"))
                .and_then(string)
                && !profiles.contains(&name)
            {
                found.push(unknown_reference(
                    span(at),
                    "profile",
                    name,
                    profiles.iter().copied(),
                ));
            }
        }
    }
    found
}

/// Keys whose value names something (a Secret, a remote key, a store): an empty string there
/// is always a mistake that some later component would refuse or misread.
const NOT_EMPTY: [&str; 10] = [
    "name",
    "key",
    "credentials_key",
    "credentials",
    "store",
    "path",
    "project",
    "host",
    "password_property",
    "remote_key",
];

/// Every empty string at one of the [`NOT_EMPTY`] keys, anywhere in the spec.
pub(super) fn empty_values(file: FileId, text: &str) -> Vec<Diagnostic> {
    let Ok(root) = DeTable::parse(text) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut path = Vec::new();
    walk_empty(file, root.get_ref(), &mut path, &mut found);
    found
}

fn walk_empty<'a>(
    file: FileId,
    t: &'a DeTable<'a>,
    path: &mut Vec<&'a str>,
    found: &mut Vec<Diagnostic>,
) {
    for (key, value) in t {
        let key: &str = key.get_ref().as_ref();
        path.push(key);
        match value.get_ref() {
            DeValue::Table(inner) => walk_empty(file, inner, path, found),
            DeValue::String(s) if s.trim().is_empty() && NOT_EMPTY.contains(&key) => {
                found.push(
                    Diagnostic::error(
                        Code::EmptyValue,
                        Some(Span {
                            file,
                            range: value.span(),
                        }),
                        format!("`{}` must not be empty", path.join(".")),
                    )
                    .with_label("empty"),
                );
            }
            _ => {}
        }
        path.pop();
    }
}
