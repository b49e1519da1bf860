//! The whole compiler as one call: spec text → validated, planned, rendered and
//! verified manifests, ready for `emit`. The CLI and the golden tests both use it,
//! so what the tests check is exactly what users run.
//!
//! Input: the spec's display name and text. Output: `Compiled` or a `Failure`.
//! Invariant: a `Compiled` has passed every output check; nothing is written here.

use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;
use crate::emit::{EmitError, Tree};
use crate::plan::Plan;
use crate::render::{self, Manifest, RenderError};
use crate::source::Sources;
use crate::validate;
use crate::verify::{ObjectProblem, Verifier};

/// A successfully compiled spec.
#[derive(Debug)]
pub struct Compiled {
    pub sources: Sources,
    pub warnings: Vec<Diagnostic>,
    /// `[output] dir` from the spec, relative to the spec file.
    pub output_dir: Option<String>,
    /// Manifests per environment, in environment order.
    pub environments: Vec<(String, Vec<Manifest>)>,
    /// Protected environments and acknowledgements, for `change::plan`.
    pub safety: crate::change::Safety,
}

/// Why compiling stopped.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The spec has problems; `sources` renders them.
    #[error("the spec has problems")]
    Invalid {
        sources: Sources,
        diagnostics: Vec<Diagnostic>,
    },
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A rendered object failed its schema or a cross-object check.
    #[error("generated output failed verification")]
    Output {
        sources: Sources,
        warnings: Vec<Diagnostic>,
        problems: Vec<ObjectProblem>,
    },
}

/// Runs spec → validate → plan → render → verify.
pub fn compile(name: &str, text: &str) -> Result<Compiled, Failure> {
    let mut sources = Sources::default();
    let file = sources.add(name, text);
    let checked = match validate::check(&mut sources, file) {
        Ok(checked) => checked,
        Err(diagnostics) => {
            return Err(Failure::Invalid {
                sources,
                diagnostics,
            });
        }
    };
    let plan = Plan::build(&checked);
    let mut environments = render::render(&plan)?;
    // Deletion guards on data-holding objects of protected environments (issue 8).
    crate::change::guard::apply(&mut environments, &checked.safety().protected)?;
    let problems = verify(&environments);
    let warnings = checked.warnings().to_vec();
    if !problems.is_empty() {
        return Err(Failure::Output {
            sources,
            warnings,
            problems,
        });
    }
    let output_dir = checked.spec().output.dir.clone();
    Ok(Compiled {
        sources,
        warnings,
        output_dir,
        environments,
        safety: checked.safety().clone(),
    })
}

fn verify(environments: &[(String, Vec<Manifest>)]) -> Vec<ObjectProblem> {
    let verifier = Verifier::new();
    let mut problems = Vec::new();
    for (_, manifests) in environments {
        // A Helm values file is not a Kubernetes object; its chart's own templates decide
        // what it becomes.
        let objects: Vec<(String, serde_json::Value)> = manifests
            .iter()
            .filter(|m| m.kind != crate::plan::Kind::HelmValues)
            .map(|m| (m.path.clone(), m.document.clone()))
            .collect();
        for (path, document) in &objects {
            problems.extend(verifier.verify_object(path, document));
        }
        problems.extend(verifier.verify_tree(&objects));
    }
    problems
}

impl Compiled {
    /// The whole output tree (every environment).
    pub fn tree(&self) -> Result<Tree, EmitError> {
        let files: BTreeMap<String, String> = self
            .environments
            .iter()
            .flat_map(|(_, manifests)| manifests.iter().map(|m| (m.path.clone(), m.text.clone())))
            .collect();
        Tree::new(files)
    }

    /// One environment as a multi-document stream (`--stdout`), kustomizations and Helm
    /// values files excluded.
    pub fn stream(&self, env: &str) -> Option<String> {
        let (_, manifests) = self.environments.iter().find(|(name, _)| name == env)?;
        let documents: Vec<&str> = manifests
            .iter()
            .filter(|m| {
                !matches!(
                    m.kind,
                    crate::plan::Kind::Kustomization | crate::plan::Kind::HelmValues
                )
            })
            .map(|m| m.text.strip_prefix(render::HEADER).unwrap_or(&m.text))
            .collect();
        Some(format!(
            "{}---\n{}",
            render::HEADER,
            documents.join("---\n")
        ))
    }

    pub fn environment_names(&self) -> Vec<&str> {
        self.environments
            .iter()
            .map(|(name, _)| name.as_str())
            .collect()
    }
}
