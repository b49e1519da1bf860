//! The whole compiler: spec text → validated, planned, rendered and verified manifests,
//! ready for `emit`. `prepare` validates; `Prepared::each_environment` plans, renders
//! and verifies one environment at a time, handing it to a consumer that keeps only what
//! it needs (`render_against`: file texts and the change plan; `validate`: a count), so
//! memory holds one environment's objects, not all. Within an environment each object is
//! verified as it is rendered and the cross-object checks keep only a few facts of it, so
//! a consumer that needs no documents (`validate`, `render` of an environment that is not
//! planned) drops each one at once. `compile` keeps everything, for `--stdout`, `list`,
//! `explain` and the tests. The CLI and the golden tests both use these, so what the
//! tests check is what users run.
//!
//! Input: the spec's display name and text. Output: `Compiled`/`Rendered` or a failure.
//! Invariant: a consumer only ever sees an environment that passed every output check,
//! and a failure in any environment fails the whole run; nothing is written here.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::change::{self, ChangePlan};
use crate::diagnostic::Diagnostic;
use crate::emit::{EmitError, Tree};
use crate::model::Checked;
use crate::plan::{EnvPlan, Granted};
use crate::render::{self, Manifest, RenderError, Renderer};
use crate::source::Sources;
use crate::validate;
use crate::verify::{ObjectProblem, TreeCheck, Verifier};

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

/// A validated spec: what is needed to plan and render its environments one at a time.
#[derive(Debug)]
pub struct Prepared {
    pub sources: Sources,
    pub warnings: Vec<Diagnostic>,
    /// `[output] dir` from the spec, relative to the spec file.
    pub output_dir: Option<String>,
    /// Protected environments and acknowledgements, for `change::plan`.
    pub safety: crate::change::Safety,
    /// The located error `render --stdout` reports for this spec (the sharded layout).
    pub stream_refusal: Option<Diagnostic>,
    /// The environments, in spec order.
    names: Vec<String>,
    /// The resolved spec each environment is planned from, when it is rendered.
    checked: Checked,
    granted: Granted,
    /// Environments rendered at once when `DBGEN_THREADS` does not say: `None` is one per
    /// core.
    threads: Option<usize>,
}

/// Why rendering the environments stopped.
#[derive(Debug)]
pub enum Stop {
    Render(RenderError),
    /// Objects failed verification, every environment's problems in environment order.
    Output(Vec<ObjectProblem>),
}

/// Runs spec → validate, and the one pass planning needs over every environment.
pub fn prepare(name: &str, text: &str) -> Result<Prepared, Failure> {
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
    Ok(Prepared {
        sources,
        warnings: checked.warnings().to_vec(),
        output_dir: checked.spec().output.dir.clone(),
        safety: checked.safety().clone(),
        stream_refusal: checked.stream_refusal().cloned(),
        names: checked.spec().environments.keys().cloned().collect(),
        granted: Granted::of(&checked),
        checked,
        threads: Some(1),
    })
}

/// Runs spec → validate → plan → render → verify, holding every environment's manifests.
pub fn compile(name: &str, text: &str) -> Result<Compiled, Failure> {
    let mut prepared = prepare(name, text)?;
    // Every environment is held anyway: render them on every core.
    prepared.threads = None;
    match prepared.each_environment(|_, manifests| manifests) {
        Ok(environments) => Ok(prepared.into_compiled(environments)),
        Err(stop) => Err(prepared.fail(stop)),
    }
}

impl Prepared {
    pub fn environment_names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    /// Plans, renders and verifies the environments, handing each environment's verified
    /// manifests to `each` and keeping only what it returns. Environments are planned and
    /// rendered one at a time (`DBGEN_THREADS` allows more), and each one's plan and objects
    /// are dropped once `each` is done with them, so memory holds one environment, not all.
    /// Results keep environment order; `each` never sees an environment with problems.
    pub fn each_environment<R: Send>(
        &mut self,
        each: impl Fn(&str, Vec<Manifest>) -> R + Sync,
    ) -> Result<Vec<(String, R)>, Stop> {
        self.environments_with(&Renderer::new(), |_| false, |_, m| Ok(m), each)
    }

    /// What `dbgen validate` does: every environment planned, rendered and verified, one at
    /// a time, and only its number of files kept. The documents are verified without
    /// being written out as text (verification reads documents, never text), and each is
    /// dropped once verified.
    pub fn verify_environments(&mut self) -> Result<Vec<(String, usize)>, Stop> {
        self.environments_with(
            &Renderer::documents(),
            |_| false,
            |_, mut manifest| {
                manifest.document = serde_json::Value::Null;
                Ok(manifest)
            },
            |_, manifests| manifests.len(),
        )
    }

    /// Renders the environments `first` accepts before the others (then in spec order),
    /// and returns the results in spec order. Each manifest is verified as it is rendered,
    /// then handed to `take`, which keeps what the environment's `each` needs of it (a
    /// render turns it into its text and drops its document), so an environment's
    /// documents need not all be in memory at once; `each` sees the environment only once
    /// every manifest passed.
    fn environments_with<R: Send>(
        &mut self,
        renderer: &Renderer,
        first: impl Fn(&str) -> bool,
        take: impl Fn(&str, Manifest) -> Result<Manifest, RenderError> + Sync,
        each: impl Fn(&str, Vec<Manifest>) -> R + Sync,
    ) -> Result<Vec<(String, R)>, Stop> {
        let verifier = Verifier::new();
        let protected = &self.safety.protected;
        let (checked, granted) = (&self.checked, &self.granted);
        let one = |name: &String| {
            let env = EnvPlan::build(checked, name, granted);
            let name = env.name.clone();
            // Deletion guards on data-holding objects of protected environments (issue 8).
            let guarded = protected.contains(&name);
            let mut problems = Vec::new();
            let count = env.objects.len() + env.kustomizations.len();
            let mut tree = TreeCheck::with_capacity(count);
            let mut manifests = Vec::with_capacity(count);
            // A manifest `take` could not finish: reported once the environment verified,
            // so that a verification problem is never hidden behind it.
            let mut unfinished = None;
            for manifest in renderer.manifests(env) {
                let mut manifest = manifest?;
                if guarded {
                    crate::change::guard::apply(&mut manifest)?;
                }
                // A Helm values file is not a Kubernetes object; its chart's own templates
                // decide what it becomes.
                if manifest.kind != crate::plan::Kind::HelmValues {
                    problems.extend(verifier.verify_object(&manifest.path, &manifest.document));
                    tree.add(&manifest.path, &manifest.document);
                }
                match take(&name, manifest) {
                    Ok(kept) => manifests.push(kept),
                    Err(error) => {
                        unfinished.get_or_insert(error);
                    }
                }
            }
            problems.extend(tree.finish());
            if let (true, Some(error)) = (problems.is_empty(), unfinished) {
                return Err(error);
            }
            let kept = problems.is_empty().then(|| each(&name, manifests));
            Ok::<_, RenderError>((name, kept, problems))
        };
        let mut order: Vec<usize> = (0..self.names.len()).collect();
        order.sort_by_key(|index| !first(&self.names[*index]));
        let mut results: Vec<_> = on_threads(&order, threads(self.threads), |index| {
            (*index, one(&self.names[*index]))
        });
        results.sort_by_key(|(index, _)| *index);
        let results = results.into_iter().map(|(_, result)| result);
        let mut kept = Vec::with_capacity(self.names.len());
        let mut problems = Vec::new();
        for result in results {
            let (name, result, found) = result.map_err(Stop::Render)?;
            kept.extend(result.map(|r| (name, r)));
            problems.extend(found);
        }
        if problems.is_empty() {
            Ok(kept)
        } else {
            Err(Stop::Output(problems))
        }
    }

    /// The failure `compile` reports for `stop`.
    pub fn fail(self, stop: Stop) -> Failure {
        match stop {
            Stop::Render(error) => Failure::Render(error),
            Stop::Output(problems) => Failure::Output {
                sources: self.sources,
                warnings: self.warnings,
                problems,
            },
        }
    }

    pub fn into_compiled(self, environments: Environments) -> Compiled {
        Compiled {
            sources: self.sources,
            warnings: self.warnings,
            output_dir: self.output_dir,
            environments,
            safety: self.safety,
            stream_refusal: self.stream_refusal,
        }
    }
}

/// What `render`, `render --check` and `plan` need of a whole spec, computed one environment
/// at a time: the files (when kept) and the change plan over the committed tree.
#[derive(Debug)]
pub struct Rendered {
    /// Output path → file text of every environment; empty unless asked for.
    pub files: BTreeMap<String, String>,
    /// Files per environment, in environment order.
    pub counts: Vec<(String, usize)>,
    /// What applying the render over the committed tree in `out` changes.
    pub changes: ChangePlan,
}

/// Why `Prepared::render_against` stopped.
#[derive(Debug)]
pub enum RenderStop {
    Stop(Stop),
    /// The committed tree could not be read.
    Committed(std::io::Error),
}

/// What `Prepared::render_against` keeps besides the file counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// The file texts to write or check, and the changes `render`'s gate needs: those of
    /// protected environments and of environments an acknowledgement names.
    Files,
    /// The change plan of every environment (`dbgen plan`); no file text.
    Changes,
}

impl Prepared {
    /// Renders and verifies every environment, planning its changes against its part of
    /// the committed tree in `out` while its objects are in memory. The change plan equals
    /// `change::plan` over all of them, restricted to the environments `want` asks for.
    pub fn render_against(&mut self, out: &Path, want: Want) -> Result<Rendered, RenderStop> {
        let safety = self.safety.clone();
        let planned = |env: &str| {
            want == Want::Changes
                || safety.protected.contains(env)
                || safety.acknowledgements.iter().any(|a| a.environment == env)
        };
        let committed = if self.names.iter().any(|name| planned(name)) {
            change::Committed::read(out).map_err(RenderStop::Committed)?
        } else {
            change::Committed::default()
        };
        // Paths of planned environments whose committed file is their rendered text.
        let same: Mutex<HashSet<String>> = Mutex::default();
        // Documents first, each verified as it is rendered, then turned into its text. An
        // environment that is not planned drops each document then, so memory never holds
        // its documents; a planned environment, whose change plan needs them, keeps them,
        // but an unchanged object's only down to its identity when the plan will skip it.
        // Planned environments go first, before other environments' texts accumulate.
        let per_env = self
            .environments_with(
                &Renderer::documents(),
                planned,
                |env, mut manifest| {
                    manifest.text = render::text(&manifest)?;
                    if !planned(env) {
                        manifest.document = serde_json::Value::Null;
                    } else if committed.slim(out, &mut manifest) {
                        let mut same = same.lock().unwrap_or_else(PoisonError::into_inner);
                        same.insert(manifest.path.clone());
                    }
                    Ok(manifest)
                },
                |env, manifests| {
                    let count = manifests.len();
                    if !planned(env) {
                        let files = manifests.into_iter().map(|m| (m.path, m.text)).collect();
                        return Ok((files, count, None));
                    }
                    let mut rendered = manifests;
                    let known_same = same.lock().unwrap_or_else(PoisonError::into_inner);
                    let committed =
                        change::read_environment(out, env, &rendered, |p| known_same.contains(p))
                            .map_err(RenderStop::Committed)?;
                    drop(known_same);
                    let changes = change::plan_environment(&committed, env, &mut rendered, &safety);
                    let files = if want == Want::Files {
                        rendered.into_iter().map(|m| (m.path, m.text)).collect()
                    } else {
                        Vec::new()
                    };
                    Ok((files, count, Some(changes)))
                },
            )
            .map_err(RenderStop::Stop)?;
        let names: Vec<&str> = per_env.iter().map(|(name, _)| name.as_str()).collect();
        // Environments only the committed tree still has (removed from the spec).
        let removed = change::read_tree_where(out, |path| {
            path.split_once('/')
                .is_some_and(|(env, _)| !names.contains(&env))
        })
        .map_err(RenderStop::Committed)?;
        let mut parts = Vec::with_capacity(per_env.len() + 1);
        let mut files = BTreeMap::new();
        let mut counts = Vec::with_capacity(per_env.len());
        for (name, result) in per_env {
            let (kept, count, changes) = result?;
            files.extend(kept);
            counts.push((name, count));
            parts.extend(changes);
        }
        parts.push(change::plan(&removed, &[], &safety));
        Ok(Rendered {
            files,
            counts,
            changes: merge_changes(parts, safety.acknowledgements.len()),
        })
    }
}

/// One change plan from plans of disjoint sets of environments: their environments in
/// order, and as stale the acknowledgements that none of them used.
fn merge_changes(parts: Vec<ChangePlan>, acknowledgements: usize) -> ChangePlan {
    let mut stale_in = vec![0; acknowledgements];
    let count = parts.len();
    let mut environments = Vec::new();
    for part in parts {
        environments.extend(part.environments);
        for index in part.stale {
            stale_in[index] += 1;
        }
    }
    let stale = (0..acknowledgements)
        .filter(|index| stale_in[*index] == count)
        .collect();
    ChangePlan {
        environments,
        stale,
    }
}

/// How many environments are rendered at once: `DBGEN_THREADS`, else `default`, else one
/// per core. Each environment in flight holds its documents, so this bounds peak memory.
fn threads(default: Option<usize>) -> usize {
    std::env::var("DBGEN_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .or(default)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
}

/// `one` applied to every item on up to `threads` threads; results in item order.
fn on_threads<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    one: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.iter().map(one).collect();
    }
    // Each worker takes the next item; no item waits behind a larger one that happened to
    // land on the same worker.
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = items.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(index) else {
                            return done;
                        };
                        done.push((index, one(item)));
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
        .map(|slot| slot.expect("every item done"))
        .collect()
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

/// Test support for the fast paths that fall back to a general one (`render::restricted`,
/// `yaml::canonical`): each counts its declines in a thread-local.
#[cfg(test)]
pub(crate) mod fast_path {
    use std::cell::Cell;
    use std::path::Path;
    use std::thread::LocalKey;

    /// Renders every golden case on this thread and asserts that the fast path counting its
    /// declines in `declined` declined nothing in any case whose spec is ASCII, so the fast
    /// path is the one users get (debug builds check it against the general path).
    pub(crate) fn taken_in_every_golden_case(declined: &'static LocalKey<Cell<usize>>) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
        let mut cases = 0;
        for entry in std::fs::read_dir(&root).expect("golden dir") {
            let spec = entry.expect("entry").path().join("dbgen.toml");
            let Ok(text) = std::fs::read_to_string(&spec) else {
                continue;
            };
            let Ok(mut prepared) = super::prepare("dbgen.toml", &text) else {
                continue;
            };
            declined.with(|declined| declined.set(0));
            // `prepare` renders on this thread, so the count is this case's.
            let rendered = prepared.each_environment(|_, manifests| manifests.len());
            let count: usize = rendered
                .expect("golden case renders")
                .iter()
                .map(|r| r.1)
                .sum();
            assert!(count > 0, "{}", spec.display());
            if !text.is_ascii() {
                continue;
            }
            assert_eq!(declined.with(Cell::get), 0, "{}", spec.display());
            cases += 1;
        }
        assert!(cases >= 10, "only {cases} golden cases rendered");
    }
}
