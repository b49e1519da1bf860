//! Checks of `[platform]`, `[environments]` and `[secrets]`.

use std::collections::BTreeMap;

use super::context::Context;
use super::rules;
use crate::diagnostic::Diagnostic;
use crate::naming::{self, PlaceholderError};
use crate::source::Span;

pub(super) fn check(cx: &mut Context<'_>) {
    let spec = cx.spec();
    let platform = &spec.platform;
    cx.rule(
        cx.at(&["platform", "name"]),
        "platform name",
        &platform.name,
        rules::label_value(&platform.name),
    );
    if let Some(domain) = &platform.domain {
        cx.rule(
            cx.at(&["platform", "domain"]),
            "domain",
            domain,
            rules::dns1123_subdomain(domain),
        );
    }
    if spec.environments.is_empty() {
        cx.push(
            Diagnostic::error(
                "no-environments",
                None,
                "the spec defines no environment, so there is nothing to render",
            )
            .with_help("add one, e.g. `[environments.dev]`"),
        );
    }
    for (env, environment) in &spec.environments {
        cx.rule(
            cx.key(&["environments", env]),
            "environment name",
            env,
            rules::dns1123_label(env),
        );
        if let Some(profile) = &environment.profile
            && cx.profiles.get(profile).is_none()
        {
            let names: Vec<&str> = cx.profiles.names().collect();
            cx.unknown_reference(
                cx.at(&["environments", env, "profile"]),
                "profile",
                profile,
                names,
            );
        }
        let vars = BTreeMap::from([("env", env.as_str())]);
        if let Some(namespace) =
            placeholders(cx, &["platform", "namespace"], &platform.namespace, &vars)
        {
            cx.rule(
                cx.at(&["platform", "namespace"]),
                "namespace",
                &namespace,
                rules::dns1123_label(&namespace),
            );
        }
    }
    secrets(cx);
}

fn secrets(cx: &mut Context<'_>) {
    let secrets = &cx.spec().secrets;
    cx.rule(
        cx.at(&["secrets", "store"]),
        "secret store name",
        &secrets.store,
        rules::dns1123_subdomain(&secrets.store),
    );
    let vars = BTreeMap::from([("env", "env"), ("app", "app"), ("cluster", "cluster")]);
    placeholders(cx, &["secrets", "key"], &secrets.key, &vars);
    if let Some(refresh) = &secrets.refresh
        && let Err(why) = rules::go_duration(refresh)
    {
        cx.push(
            Diagnostic::error(
                "invalid-duration",
                cx.at(&["secrets", "refresh"]),
                format!("refresh interval `{refresh}`: {why}"),
            )
            .with_label("not a Go duration"),
        );
    }
    if secrets.password_property.as_deref() == Some("") {
        cx.push(Diagnostic::error(
            "invalid-value",
            cx.at(&["secrets", "password_property"]),
            "password_property must not be empty",
        ));
    }
}

/// Expands `{placeholders}` in the value at `path`, reporting unknown or unbalanced
/// ones at their exact column.
pub(super) fn placeholders(
    cx: &mut Context<'_>,
    path: &[&str],
    template: &str,
    vars: &BTreeMap<&str, &str>,
) -> Option<String> {
    match naming::expand(template, vars) {
        Ok(expanded) => Some(expanded),
        Err(error) => {
            let value = cx.at(path);
            // +1 skips the opening quote of a basic or literal TOML string.
            let inside = |offset: usize, len: usize| {
                value.clone().map(|s| Span {
                    file: s.file,
                    range: s.range.start + 1 + offset..s.range.start + 1 + offset + len,
                })
            };
            let allowed: Vec<String> = vars.keys().map(|k| format!("`{{{k}}}`")).collect();
            let diagnostic = match error {
                PlaceholderError::Unknown { name, offset } => {
                    let help = crate::suggest::did_you_mean(&name, vars.keys().copied())
                        .map_or_else(
                            || format!("allowed here: {}", allowed.join(", ")),
                            |s| {
                                format!(
                                    "did you mean `{{{s}}}`? (allowed here: {})",
                                    allowed.join(", ")
                                )
                            },
                        );
                    Diagnostic::error(
                        "unknown-placeholder",
                        inside(offset, name.len() + 2),
                        format!("unknown placeholder `{{{name}}}` in `{}`", path.join(".")),
                    )
                    .with_label("unknown placeholder")
                    .with_help(help)
                }
                PlaceholderError::Unbalanced { offset } => Diagnostic::error(
                    "unknown-placeholder",
                    inside(offset, 1),
                    format!("unbalanced brace in `{}`", path.join(".")),
                )
                .with_label("no matching brace")
                .with_help(format!("placeholders look like {}", allowed.join(", "))),
            };
            cx.push(diagnostic);
            None
        }
    }
}
