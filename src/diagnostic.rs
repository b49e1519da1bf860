//! Problems found in the user's input, as data, and their one text rendering.
//!
//! Input: problems raised by `spec` and `validate`, each anchored at a `Span`.
//! Output: `Diagnostic` values (tests match on their `Code`) and `render`, which prints them
//! rustc-style: `error[code]: message`, `--> file:line:col`, the source line, a caret.
//! Invariant: rendering is deterministic and colourless, so it can be snapshotted.

use std::fmt::Write as _;

mod code;
pub mod explain;

pub use code::Code;

use crate::source::{Sources, Span};

/// Why a value breaks a rule, before it is placed in the spec: the code it is reported
/// under, a clause completing "`value` …" (e.g. "must not be empty") and, where one is
/// obvious, the corrected value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: Code,
    pub why: String,
    pub fix: Option<String>,
}

impl Problem {
    pub fn new(code: Code, why: impl Into<String>) -> Self {
        Self {
            code,
            why: why.into(),
            fix: None,
        }
    }

    #[must_use]
    pub fn with_fix(mut self, fix: Option<String>) -> Self {
        self.fix = fix;
        self
    }

    /// The error for `value` (described as `what`) written at `span`: "{what} `{value}` {why}",
    /// with the corrected value as help when there is one.
    pub fn at(self, span: Option<Span>, what: &str, value: &str) -> Diagnostic {
        Diagnostic::error(self.code, span, format!("{what} `{value}` {}", self.why))
            .with_label("invalid here")
            .with_help_opt(self.fix.map(|fix| format!("did you mean `{fix}`?")))
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.why)
    }
}

/// How bad a problem is: errors stop the pipeline, warnings never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// A secondary location with its own message, e.g. where a merged value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

/// One problem in the user's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// What kind of problem; shown by its stable kebab-case name, e.g. `unknown-key`.
    pub code: Code,
    pub message: String,
    /// Where the problem is; `None` only for problems of the whole input.
    pub span: Option<Span>,
    /// The short text under the caret.
    pub label: String,
    pub related: Vec<Related>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, span: Option<Span>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            label: String::new(),
            related: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: Code, span: Option<Span>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, span, message)
        }
    }

    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    #[must_use]
    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Related {
            span,
            message: message.into(),
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Sort key: by file, then position, so output follows the spec top to bottom.
    fn sort_key(
        &self,
    ) -> (
        bool,
        Option<(crate::source::FileId, usize)>,
        &'static str,
        &str,
    ) {
        let at = self.span.as_ref().map(|s| (s.file, s.range.start));
        (at.is_none(), at, self.code.name(), &self.message)
    }
}

/// Sorts diagnostics in reading order and removes exact duplicates.
pub fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup();
}

/// Renders diagnostics as text, followed by a summary line.
pub fn render(sources: &Sources, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        render_one(&mut out, sources, diagnostic);
        out.push('\n');
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    match (errors, warnings) {
        (0, 0) => {}
        (0, w) => {
            let _ = writeln!(out, "{w} {}", plural(w, "warning"));
        }
        (e, 0) => {
            let _ = writeln!(out, "{e} {}; nothing was written", plural(e, "error"));
        }
        (e, w) => {
            let _ = writeln!(
                out,
                "{e} {}, {w} {}; nothing was written",
                plural(e, "error"),
                plural(w, "warning")
            );
        }
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

fn render_one(out: &mut String, sources: &Sources, d: &Diagnostic) {
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let _ = writeln!(out, "{level}[{}]: {}", d.code, d.message);
    let pad = d
        .span
        .iter()
        .chain(d.related.iter().map(|r| &r.span))
        .map(|s| {
            " ".repeat(
                sources
                    .line_col(s.file, s.range.start)
                    .line
                    .to_string()
                    .len(),
            )
        })
        .max()
        .unwrap_or_default();
    if let Some(span) = &d.span {
        snippet(out, sources, span, &d.label, &pad, "-->");
    }
    for related in &d.related {
        let _ = writeln!(out, "{pad} = note: {}", related.message);
        snippet(out, sources, &related.span, "", &pad, ":::");
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "{pad} = help: {help}");
    }
}

fn snippet(out: &mut String, sources: &Sources, span: &Span, label: &str, pad: &str, arrow: &str) {
    let file = sources.get(span.file);
    let start = sources.line_col(span.file, span.range.start);
    let _ = writeln!(
        out,
        "{pad}{arrow} {}:{}:{}",
        file.name, start.line, start.col
    );
    let line = sources.line_text(span.file, start.line);
    let gutter = format!("{:>width$}", start.line, width = pad.len());
    let end = sources.line_col(span.file, span.range.end);
    let width = if end.line == start.line {
        end.col.saturating_sub(start.col).max(1)
    } else {
        line.chars().count().saturating_sub(start.col - 1).max(1)
    };
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{gutter} | {line}");
    let caret = format!("{}{}", " ".repeat(start.col - 1), "^".repeat(width));
    if label.is_empty() {
        let _ = writeln!(out, "{pad} | {caret}");
    } else {
        let _ = writeln!(out, "{pad} | {caret} {label}");
    }
}
