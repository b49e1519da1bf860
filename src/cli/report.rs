//! Machine-readable forms of what the CLI reports: `--format json` documents and
//! `--message-format github` workflow commands.
//!
//! Input: diagnostics with their sources, verification problems, drift entries.
//! Output: `serde_json::Value`s (schema in docs/cli.md, `format_version` 1) and
//! `::error file=…,line=…,col=…::…` lines.
//! Invariant: the same input gives the same bytes; keys are emitted in a fixed order.

use serde_json::{Value, json};

use crate::diagnostic::{Diagnostic, Severity};
use crate::emit::{Change, Drift};
use crate::source::{Sources, Span};
use crate::verify::ObjectProblem;

/// Bumped on any incompatible change of a `--format json` document.
pub(super) const FORMAT_VERSION: u64 = 1;

/// How a diagnostic's file is named in machine output: the spec by its repository-relative
/// path, embedded profiles by their own name.
#[derive(Debug)]
pub(super) struct Naming<'a> {
    pub(super) spec_name: &'a str,
    pub(super) spec_path: &'a str,
}

impl Naming<'_> {
    fn file(&self, name: &str) -> String {
        if name == self.spec_name {
            self.spec_path.to_owned()
        } else {
            name.to_owned()
        }
    }
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn location(
    sources: &Sources,
    naming: &Naming<'_>,
    span: &Span,
) -> (String, usize, usize, usize, usize) {
    let start = sources.line_col(span.file, span.range.start);
    let end = sources.line_col(span.file, span.range.end);
    (
        naming.file(&sources.get(span.file).name),
        start.line,
        start.col,
        end.line,
        end.col,
    )
}

/// One diagnostic as JSON.
pub(super) fn diagnostic(sources: &Sources, naming: &Naming<'_>, d: &Diagnostic) -> Value {
    let mut value = json!({
        "severity": severity(d.severity),
        "code": d.code.name(),
        "message": d.message,
        "file": null,
        "line": null,
        "column": null,
        "end_line": null,
        "end_column": null,
        "label": d.label,
        "help": d.help,
    });
    if let Some(span) = &d.span {
        let (file, line, column, end_line, end_column) = location(sources, naming, span);
        value["file"] = json!(file);
        value["line"] = json!(line);
        value["column"] = json!(column);
        value["end_line"] = json!(end_line);
        value["end_column"] = json!(end_column);
    }
    let related: Vec<Value> = d
        .related
        .iter()
        .map(|r| {
            let (file, line, column, _, _) = location(sources, naming, &r.span);
            json!({"message": r.message, "file": file, "line": line, "column": column})
        })
        .collect();
    value["related"] = json!(related);
    value
}

/// A generated object that failed verification, as a JSON diagnostic; `file` is the
/// repository-relative path of the output file.
pub(super) fn problem(problem: &ObjectProblem, file: &str) -> Value {
    json!({
        "severity": "error",
        "code": "invalid-output",
        "message": format!("{}: {}", problem.object, problem.message),
        "file": file,
        "line": null,
        "column": null,
        "end_line": null,
        "end_column": null,
        "label": problem.path,
        "help": null,
        "related": [],
    })
}

fn change(change: Change) -> &'static str {
    match change {
        Change::Create => "create",
        Change::Update => "update",
        Change::Delete => "delete",
    }
}

/// One drift entry; `path` is repository-relative; `diff` adds the unified diff text.
pub(super) fn drift(drift: &Drift, path: &str, diff: Option<&str>) -> Value {
    let mut value = json!({"path": path, "change": change(drift.change)});
    if let Some(diff) = diff {
        value["diff"] = json!(diff);
    }
    value
}

/// A GitHub Actions workflow command for one diagnostic.
pub(super) fn github_diagnostic(sources: &Sources, naming: &Naming<'_>, d: &Diagnostic) -> String {
    let mut properties = Vec::new();
    if let Some(span) = &d.span {
        let (file, line, col, end_line, end_col) = location(sources, naming, span);
        properties.push(format!("file={}", property(&file)));
        properties.push(format!("line={line}"));
        properties.push(format!("col={col}"));
        if end_line == line {
            properties.push(format!("endColumn={end_col}"));
        } else {
            properties.push(format!("endLine={end_line}"));
        }
    }
    properties.push(format!("title={}", property(&format!("dbgen {}", d.code))));
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{} {}::{}",
        severity(d.severity),
        properties.join(","),
        data(&message)
    )
}

/// A GitHub Actions workflow command for a file that is not what dbgen renders.
pub(super) fn github_drift(drift: &Drift, path: &str) -> String {
    let what = match drift.change {
        Change::Create => "is missing",
        Change::Update => "differs from what the spec renders",
        Change::Delete => "is no longer rendered by the spec",
    };
    format!(
        "::error file={},title={}::{}",
        property(path),
        property("dbgen render --check"),
        data(&format!(
            "{path} {what}; run `dbgen render` and commit the result"
        ))
    )
}

/// A GitHub Actions workflow command for a generated object that failed verification.
pub(super) fn github_problem(problem: &ObjectProblem, file: &str) -> String {
    format!(
        "::error file={},title={}::{}",
        property(file),
        property("dbgen invalid-output"),
        data(&problem.to_string())
    )
}

/// Escapes a workflow command's message.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_commands_escape_their_separators() {
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        let drift = Drift {
            path: "prod/x.yaml".to_owned(),
            change: Change::Update,
            old: Some(String::new()),
            new: Some(String::new()),
        };
        assert_eq!(
            github_drift(&drift, "out/prod/x.yaml"),
            "::error file=out/prod/x.yaml,title=dbgen render --check::out/prod/x.yaml differs from what the spec renders; run `dbgen render` and commit the result"
        );
    }

    #[test]
    fn a_diagnostic_carries_its_location() {
        let mut sources = Sources::default();
        let file = sources.add("dbgen.toml", "a = 1\nbad = 2\n");
        let d = Diagnostic::error(
            crate::diagnostic::Code::UnknownKey,
            Some(Span { file, range: 6..9 }),
            "unknown key `bad`",
        );
        let naming = Naming {
            spec_name: "dbgen.toml",
            spec_path: "platform/dbgen.toml",
        };
        let value = diagnostic(&sources, &naming, &d);
        assert_eq!(value["file"], "platform/dbgen.toml");
        assert_eq!(
            (value["line"].as_u64(), value["column"].as_u64()),
            (Some(2), Some(1))
        );
        assert_eq!(value["end_column"], 4);
        assert_eq!(
            github_diagnostic(&sources, &naming, &d),
            "::error file=platform/dbgen.toml,line=2,col=1,endColumn=4,title=dbgen unknown-key::unknown key `bad`"
        );
    }
}
