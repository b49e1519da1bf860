//! Shared state of one validation run: the spec, the profile table and the problems
//! collected so far, with helpers that turn a key path into a located diagnostic.

use std::collections::BTreeMap;

use super::layer::LayerRef;
use super::topology::ClusterEntry;
use crate::diagnostic::{Code, Diagnostic, Problem};
use crate::source::Span;
use crate::spec::{Document, Layer, Spec};
use crate::suggest::did_you_mean;

/// Every profile a spec may name: the built-in ones, shadowed by the spec's own.
pub(super) struct Profiles<'a> {
    by_name: BTreeMap<String, LayerRef<'a>>,
}

impl<'a> Profiles<'a> {
    pub(super) fn new(doc: &'a Document<Spec>, builtin: &'a [(String, Document<Layer>)]) -> Self {
        let mut by_name = BTreeMap::new();
        for (name, profile) in builtin {
            let layer = LayerRef {
                layer: &profile.value,
                file: profile.file,
                spans: &profile.spans,
                prefix: Vec::new(),
                description: format!("built-in profile `{name}`"),
            };
            by_name.insert(name.clone(), layer);
        }
        for (name, layer) in &doc.value.profiles {
            let layer = LayerRef {
                layer,
                file: doc.file,
                spans: &doc.spans,
                prefix: vec!["profiles".into(), name.clone()],
                description: format!("profile `{name}`"),
            };
            by_name.insert(name.clone(), layer);
        }
        Self { by_name }
    }

    pub(super) fn get(&self, name: &str) -> Option<&LayerRef<'a>> {
        self.by_name.get(name)
    }

    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&String, &LayerRef<'a>)> {
        self.by_name.iter()
    }
}

pub(super) struct Context<'a> {
    pub(super) doc: &'a Document<Spec>,
    pub(super) profiles: &'a Profiles<'a>,
    pub(super) clusters: &'a [ClusterEntry],
    problems: Vec<Diagnostic>,
}

impl<'a> Context<'a> {
    pub(super) fn new(
        doc: &'a Document<Spec>,
        profiles: &'a Profiles<'a>,
        clusters: &'a [ClusterEntry],
    ) -> Self {
        Self {
            doc,
            profiles,
            clusters,
            problems: Vec::new(),
        }
    }

    pub(super) fn spec(&self) -> &'a Spec {
        &self.doc.value
    }

    pub(super) fn push(&mut self, diagnostic: Diagnostic) {
        self.problems.push(diagnostic);
    }

    pub(super) fn finish(self) -> Vec<Diagnostic> {
        self.problems
    }

    /// Span of the value at `path` in the spec file.
    pub(super) fn at(&self, path: &[&str]) -> Option<Span> {
        self.doc.value_span(path)
    }

    /// Span of the key at `path` (for names that are table keys).
    pub(super) fn key(&self, path: &[&str]) -> Option<Span> {
        self.doc.key_span(path)
    }

    /// Reports `value` (at `span`) under the rule's own code if `rule` rejects it.
    pub(super) fn rule(
        &mut self,
        span: Option<Span>,
        what: &str,
        value: &str,
        rule: Result<impl Sized, Problem>,
    ) -> bool {
        match rule {
            Ok(_) => true,
            Err(problem) => {
                self.push(problem.at(span, what, value));
                false
            }
        }
    }

    /// Reports a reference to something that does not exist, with a suggestion.
    pub(super) fn unknown_reference<'n>(
        &mut self,
        span: Option<Span>,
        what: &str,
        name: &str,
        known: impl IntoIterator<Item = &'n str>,
    ) {
        self.push(unknown_reference(span, what, name, known));
    }
}

/// A reference to something that does not exist, with a suggestion from `known`.
pub(super) fn unknown_reference<'n>(
    span: Option<Span>,
    what: &str,
    name: &str,
    known: impl IntoIterator<Item = &'n str>,
) -> Diagnostic {
    let known: Vec<&str> = known.into_iter().collect();
    let help = did_you_mean(name, known.iter().copied()).map_or_else(
        || {
            if known.is_empty() {
                format!("no {what} is defined")
            } else {
                let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
                format!("defined: {}", list.join(", "))
            }
        },
        |s| format!("did you mean `{s}`?"),
    );
    Diagnostic::error(
        Code::UnknownReference,
        span,
        format!("unknown {what} `{name}`"),
    )
    .with_label(format!("no {what} has this name"))
    .with_help(help)
}
