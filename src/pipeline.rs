//! The whole compiler as one call: spec text → validated, planned, rendered and
//! verified manifests, ready for `emit`. The CLI and the golden tests both use it,
//! so what the tests check is exactly what users run.
//!
//! Input: the spec's display name and text. Output: `Compiled` or a `Failure`.
//! Invariant: a `Compiled` has passed every output check; nothing is written here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::diagnostic::Diagnostic;
use crate::emit::{EmitError, Tree};
use crate::plan::{EnvPlan, Plan};
use crate::render::{self, Manifest, RenderError, Renderer};
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
    pub environments: Environments,
    /// Protected environments and acknowledgements, for `change::plan`.
    pub safety: crate::change::Safety,
    /// The located error `render --stdout` reports for this spec (the sharded layout).
    pub stream_refusal: Option<Diagnostic>,
}

/// Manifests per environment, in environment order.
pub type Environments = Vec<(String, Vec<Manifest>)>;

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
    let (environments, problems) = render_and_verify(&plan, &checked.safety().protected)?;
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
        stream_refusal: checked.stream_refusal().cloned(),
    })
}

/// Renders and verifies every environment. Environments are independent, so they run on up
/// to as many threads as there are cores; results keep environment order, and problems come
/// environment by environment, as a single thread would list them.
fn render_and_verify(
    plan: &Plan,
    protected: &BTreeSet<String>,
) -> Result<(Environments, Vec<ObjectProblem>), RenderError> {
    let renderer = Renderer::new();
    let verifier = Verifier::new();
    let one = |env: &EnvPlan| -> Result<(Vec<Manifest>, Vec<ObjectProblem>), RenderError> {
        let mut guarded = [(env.name.clone(), renderer.environment(env)?)];
        // Deletion guards on data-holding objects of protected environments (issue 8).
        crate::change::guard::apply(&mut guarded, protected)?;
        let [(_, manifests)] = guarded;
        let problems = verify_manifests(&verifier, &manifests);
        Ok((manifests, problems))
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(plan.environments.len());
    let results: Vec<_> = if threads <= 1 {
        plan.environments.iter().map(one).collect()
    } else {
        // Each worker takes the next environment; no environment waits behind a larger one
        // that happened to land on the same worker.
        let next = AtomicUsize::new(0);
        let mut slots: Vec<_> = plan.environments.iter().map(|_| None).collect();
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let index = next.fetch_add(1, Ordering::Relaxed);
                            let Some(env) = plan.environments.get(index) else {
                                return done;
                            };
                            done.push((index, one(env)));
                        }
                    })
                })
                .collect();
            for worker in workers {
                for (index, result) in worker.join().expect("render worker panicked") {
                    slots[index] = Some(result);
                }
            }
        });
        slots
            .into_iter()
            .map(|slot| slot.expect("every environment rendered"))
            .collect()
    };
    let mut environments = Vec::with_capacity(results.len());
    let mut problems = Vec::new();
    for (env, result) in plan.environments.iter().zip(results) {
        let (manifests, found) = result?;
        environments.push((env.name.clone(), manifests));
        problems.extend(found);
    }
    Ok((environments, problems))
}

/// The output checks of `compile` on rendered environments: every object on its own, then
/// each environment's cross-object checks. Public so the benchmark can time the stage alone.
pub fn verify_environments(environments: &[(String, Vec<Manifest>)]) -> Vec<ObjectProblem> {
    let verifier = Verifier::new();
    environments
        .iter()
        .flat_map(|(_, manifests)| verify_manifests(&verifier, manifests))
        .collect()
}

fn verify_manifests(verifier: &Verifier, manifests: &[Manifest]) -> Vec<ObjectProblem> {
    // A Helm values file is not a Kubernetes object; its chart's own templates decide
    // what it becomes.
    let objects: Vec<(&str, &serde_json::Value)> = manifests
        .iter()
        .filter(|m| m.kind != crate::plan::Kind::HelmValues)
        .map(|m| (m.path.as_str(), &m.document))
        .collect();
    let mut problems = Vec::new();
    for (path, document) in &objects {
        problems.extend(verifier.verify_object(path, document));
    }
    problems.extend(verifier.verify_tree(&objects));
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

    /// The Helm values files of one environment (relative to the output root): charts a
    /// `kubectl kustomize --enable-helm` build inflates, which a plain stream cannot hold.
    pub fn helm_values_files(&self, env: &str) -> Vec<&str> {
        self.environments
            .iter()
            .filter(|(name, _)| name == env)
            .flat_map(|(_, manifests)| manifests)
            .filter(|m| m.kind == crate::plan::Kind::HelmValues)
            .map(|m| m.path.as_str())
            .collect()
    }

    pub fn environment_names(&self) -> Vec<&str> {
        self.environments
            .iter()
            .map(|(name, _)| name.as_str())
            .collect()
    }
}
