//! A checked `{placeholder}` pattern over an app's names: `secrets.key` and `secrets.path`.
//!
//! Input: nothing (types; `validate` parses the spec's text into a `Pattern`).
//! Output: `Pattern::expand`, total over `AppVars`.
//! Invariant: a `Pattern` holds only `{env}`, `{app}` and `{cluster}` placeholders, and
//! `AppVars` has a value for each, so expanding cannot fail.

use crate::naming::PlaceholderError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    Env,
    App,
    Cluster,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(Var),
}

/// The values of a pattern's placeholders for one app of one cluster in one environment.
#[derive(Debug, Clone, Copy)]
pub struct AppVars<'a> {
    pub env: &'a str,
    pub app: &'a str,
    /// The cluster's object name in `env`.
    pub cluster: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    parts: Vec<Part>,
}

impl Pattern {
    /// Splits `text` into text and placeholders; the error is `naming::expand`'s for the
    /// same text and variables.
    pub fn parse(text: &str) -> Result<Self, PlaceholderError> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(open) = rest.find(['{', '}']) {
            let close = match rest.as_bytes()[open] {
                b'{' => rest[open..].find('}'),
                _ => None,
            };
            let Some(close) = close else {
                return Err(PlaceholderError::Unbalanced {
                    offset: offset + open,
                });
            };
            let var = match &rest[open + 1..open + close] {
                "env" => Var::Env,
                "app" => Var::App,
                "cluster" => Var::Cluster,
                name => {
                    return Err(PlaceholderError::Unknown {
                        name: name.to_string(),
                        offset: offset + open,
                    });
                }
            };
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            parts.push(Part::Var(var));
            offset += open + close + 1;
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Self { parts })
    }

    /// `text` as it is, placeholders and all: what `validate` keeps for a pattern it
    /// reported, in a spec that therefore never reaches `plan`.
    pub(crate) fn verbatim(text: &str) -> Self {
        Self {
            parts: vec![Part::Text(text.to_string())],
        }
    }

    pub fn expand(&self, vars: &AppVars<'_>) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.as_str(),
                Part::Var(Var::Env) => vars.env,
                Part::Var(Var::App) => vars.app,
                Part::Var(Var::Cluster) => vars.cluster,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn expands_like_naming_expand_and_fails_where_it_fails() {
        let vars = AppVars {
            env: "prod",
            app: "wiki",
            cluster: "main-db",
        };
        let map = BTreeMap::from([("env", "prod"), ("app", "wiki"), ("cluster", "main-db")]);
        for text in [
            "db/{env}/{app}",
            "{cluster}",
            "plain",
            "",
            "/pg/{env}-{app}/{cluster}x",
            "{nope}",
            "a{env",
            "a}b",
        ] {
            let ours = Pattern::parse(text).map(|p| p.expand(&vars));
            assert_eq!(ours, crate::naming::expand(text, &map), "{text}");
        }
    }
}
