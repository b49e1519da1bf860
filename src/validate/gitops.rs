//! Checks of `[output] layout` and `[gitops]`: the sharded layout and the Argo CD or Flux
//! objects that sync it unit by unit.
//!
//! Input: the spec. Output: located errors for a `[gitops]` table without the sharded
//! layout, an Argo CD table without a repository, a key of the other tool, a repository
//! or server that is not a URL, a path that leaves the repository, names and intervals
//! Kubernetes or Flux would refuse; and, for a sharded spec, the diagnostic that refuses
//! `render --stdout` (a single stream is what the layout exists to avoid).
//! Invariant: after these checks `plan::shard` can build every unit and every Argo CD or Flux object
//! without a fallback: names are DNS labels, the path prefix has only normal segments.

use super::context::Context;
use super::rules;
use crate::diagnostic::{Code, Diagnostic, Problem};
use crate::spec::{GitopsTool, Layout};

/// Keys only one tool reads: (key, the tool reading it).
const TOOL_KEYS: [(&str, GitopsTool); 6] = [
    ("repository", GitopsTool::Argocd),
    ("revision", GitopsTool::Argocd),
    ("project", GitopsTool::Argocd),
    ("server", GitopsTool::Argocd),
    ("source", GitopsTool::Flux),
    ("interval", GitopsTool::Flux),
];

pub(super) fn check(cx: &mut Context<'_>) {
    let spec = cx.spec();
    let Some(gitops) = &spec.gitops else {
        return;
    };
    if spec.output.layout.unwrap_or_default() != Layout::Sharded {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                cx.key(&["gitops"]),
                "`[gitops]` describes how to sync a sharded tree, but the layout is `environment`",
            )
            .with_label("needs the sharded layout")
            .with_help(
                "add `layout = \"sharded\"` to `[output]`, or remove `[gitops]` and point Argo CD or Flux at each environment's directory",
            ),
        );
    }
    for (key, owner) in TOOL_KEYS {
        let set = match key {
            "repository" => gitops.repository.is_some(),
            "revision" => gitops.revision.is_some(),
            "project" => gitops.project.is_some(),
            "server" => gitops.server.is_some(),
            "source" => gitops.source.is_some(),
            _ => gitops.interval.is_some(),
        };
        if set && owner != gitops.tool {
            cx.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    cx.key(&["gitops", key]),
                    format!(
                        "`{key}` is read only with `tool = \"{}\"`; this table uses `tool = \"{}\"`",
                        tool_name(owner),
                        tool_name(gitops.tool)
                    ),
                )
                .with_label("not read by this tool")
                .with_help(if key == "repository" {
                    "Flux reads the repository through a `GitRepository`: name it with `source`"
                } else {
                    "remove it"
                }),
            );
        }
    }
    if gitops.tool == GitopsTool::Argocd && gitops.repository.is_none() {
        cx.push(
            Diagnostic::error(
                Code::MissingKey,
                cx.key(&["gitops"]),
                "missing required key `repository` in [gitops] (tool `argocd`)",
            )
            .with_label("the ApplicationSet needs the URL of the repository holding the output")
            .with_help("add `repository = \"https://git.example.com/platform.git\"`"),
        );
    }
    if let Some(url) = &gitops.repository
        && let Err(why) = repository_url(url)
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                cx.at(&["gitops", "repository"]),
                format!("repository `{url}` {why}"),
            )
            .with_label("not a Git URL")
            .with_help(
                "use `https://host/path.git`, `ssh://git@host/path.git` or `git@host:path.git`",
            ),
        );
    }
    if let Some(server) = &gitops.server
        && let Err(Problem {
            why, fix: fixed, ..
        }) = rules::base_url(server)
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                cx.at(&["gitops", "server"]),
                format!("server `{server}` {why}"),
            )
            .with_label("not an API server URL")
            .with_help_opt(fixed.map(|f| format!("did you mean `{f}`?"))),
        );
    }
    if let Some(path) = &gitops.path
        && let Err(why) = repository_path(path)
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                cx.at(&["gitops", "path"]),
                format!("path `{path}` {why}"),
            )
            .with_label("not a path inside the repository")
            .with_help(
                "write the output directory's path from the repository root, e.g. `platform/out`",
            ),
        );
    }
    if let Some(revision) = &gitops.revision
        && (revision.is_empty() || revision.contains(char::is_whitespace))
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                cx.at(&["gitops", "revision"]),
                format!("revision `{revision}` must be a branch, tag or commit without spaces"),
            )
            .with_label("invalid revision"),
        );
    }
    for (key, value) in [
        ("namespace", &gitops.namespace),
        ("source", &gitops.source),
        ("project", &gitops.project),
    ] {
        if let Some(value) = value {
            let rule = if key == "namespace" {
                rules::dns1123_label(value)
            } else {
                rules::dns1123_subdomain(value)
            };
            cx.rule(cx.at(&["gitops", key]), key, value, rule);
        }
    }
    if let Some(interval) = &gitops.interval
        && let Err(why) = rules::go_duration(interval)
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidValue,
                cx.at(&["gitops", "interval"]),
                format!("interval `{interval}` {why}"),
            )
            .with_label("not a duration Flux reads"),
        );
    }
}

/// The refusal of `render --stdout` for a sharded spec, located at `layout`.
pub(super) fn stream_refusal(cx: &Context<'_>) -> Option<Diagnostic> {
    (cx.spec().output.layout == Some(Layout::Sharded)).then(|| {
        Diagnostic::error(
            Code::InvalidValue,
            cx.at(&["output", "layout"]),
            "`--stdout` prints an environment as one stream, which the sharded layout exists to avoid; nothing was printed",
        )
        .with_label("sharded here")
        .with_help("render into a directory (`dbgen render`) and build one unit with `kubectl kustomize <output>/<env>/apps/<app>`")
    })
}

fn tool_name(tool: GitopsTool) -> &'static str {
    match tool {
        GitopsTool::Argocd => "argocd",
        GitopsTool::Flux => "flux",
    }
}

/// A URL Argo CD clones: `https://`, `http://` or `ssh://` with a host, or scp-like
/// `user@host:path`.
fn repository_url(url: &str) -> Result<(), String> {
    if url.is_empty() || url.contains(char::is_whitespace) {
        return Err("must not be empty or contain spaces".into());
    }
    if let Some((scheme, rest)) = url.split_once("://") {
        if !matches!(scheme, "https" | "http" | "ssh") {
            return Err(format!(
                "has scheme `{scheme}`; use `https`, `http` or `ssh`"
            ));
        }
        let authority = rest.split('/').next().unwrap_or_default();
        let host = authority.rsplit('@').next().unwrap_or_default();
        let host = host.split(':').next().unwrap_or_default();
        if host.is_empty() {
            return Err("needs a host after `://`".into());
        }
        if rest.len() <= authority.len() + 1 {
            return Err("needs the repository's path after the host".into());
        }
        return Ok(());
    }
    match url.split_once(':') {
        Some((user_host, path))
            if user_host.contains('@')
                && !user_host.ends_with('@')
                && !path.is_empty()
                && !path.starts_with('/') =>
        {
            Ok(())
        }
        _ => Err("is neither a URL (`https://…`, `ssh://…`) nor `user@host:path`".into()),
    }
}

/// A relative path of plain segments (the `ApplicationSet` matches directories below it).
fn repository_path(path: &str) -> Result<(), String> {
    if path.starts_with('/') {
        return Err("must be relative to the repository root".into());
    }
    if path.contains(['\\', '*', '?', '[', '{']) || path.contains(char::is_whitespace) {
        return Err("must not contain spaces, backslashes or glob characters".into());
    }
    if path
        .split('/')
        .any(|segment| matches!(segment, "" | "." | ".."))
    {
        return Err(
            "must not have empty, `.` or `..` segments (nor a leading or trailing `/`)".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{repository_path, repository_url};

    #[test]
    fn repository_urls() {
        for ok in [
            "https://git.example.com/platform.git",
            "ssh://git@git.example.com:2222/platform.git",
            "git@github.com:org/platform.git",
        ] {
            assert!(repository_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "git.example.com/platform",
            "ftp://x/y",
            "https://",
            "https://host",
            "https:///path",
            "git@host:",
            "https://host/a b",
        ] {
            assert!(repository_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn repository_paths() {
        assert!(repository_path("platform/out").is_ok());
        assert!(repository_path("out").is_ok());
        for bad in ["/out", "out/", "a//b", "../out", "a/./b", "out/*", "a b"] {
            assert!(repository_path(bad).is_err(), "{bad}");
        }
    }
}
