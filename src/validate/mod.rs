//! The validate stage: merges layers and checks everything, returning every problem.
//!
//! Input: the registered spec source (built-in profiles are registered here, so
//! diagnostics can point into them).
//! Output: `model::Checked` (the typed spec plus each environment × cluster's merged,
//! still-located settings, the resolved `[platform]` and `[secrets]`, the expanded
//! namespaces, and warnings), or every error found, in reading order.
//! Invariant: `Checked` can only be built by `check`, and `plan` can trust everything
//! in it: names are valid and unique, references resolve, quantities parse.

mod acknowledge;
mod allowed_warnings;
mod apps;
mod bitnami;
mod clusters;
mod context;
mod derived;
mod expand;
mod gitops;
mod image;
mod layer;
mod parameters;
mod platform;
mod raw_refs;
mod redis;
mod reserved;
mod resolve;
pub mod rules;
mod runtime_names;
mod shared_keys;
mod statefulset;
mod upload;
mod version;

pub use crate::model::Checked;
use crate::model::topology;
pub use redis::redis_memory;

use crate::diagnostic::{self, Code, Diagnostic};
use crate::source::{FileId, Sources};
use crate::spec::{self, Document, Layer};
use context::{Context, Profiles};

/// Checks the spec registered as `file`; on failure returns errors and warnings.
pub fn check(sources: &mut Sources, file: FileId) -> Result<Checked, Vec<Diagnostic>> {
    // Before the shape check: a spec written for a newer dbgen may use keys this one lacks.
    if let Some(too_new) = version::check(sources, file) {
        return Err(vec![too_new]);
    }
    let doc = spec::load_spec(sources, file).map_err(|mut d| {
        // The README promises every problem at once: references too, read from the raw
        // TOML, since the typed spec could not be built.
        if d.iter().all(|d| d.code != Code::InvalidToml) {
            d.extend(raw_refs::check(file, &sources.get(file).text));
        }
        diagnostic::sort(&mut d);
        d
    })?;
    let builtin = load_builtin_profiles(sources)?;
    let profiles = Profiles::new(&doc, &builtin);
    let clusters = topology::clusters(&doc.value);
    let mut cx = Context::new(&doc, &profiles, &clusters);
    platform::check(&mut cx);
    clusters::check(&mut cx);
    statefulset::check(&mut cx);
    apps::check(&mut cx);
    image::check(&mut cx);
    let mut merged = clusters::merge_all(&mut cx);
    bitnami::check(&mut cx, &merged);
    derived::check(&mut cx, &merged);
    let mut redis = redis::check(&mut cx);
    runtime_names::check(&mut cx, &redis);
    shared_keys::check(&mut cx, &merged, &redis);
    acknowledge::check(&mut cx);
    allowed_warnings::check(&mut cx);
    gitops::check(&mut cx);
    let safety = acknowledge::safety(&cx, &doc.value);
    let stream_refusal = gitops::stream_refusal(&cx);
    let secrets = resolve::secrets(&doc.value);
    let secrets_table = cx.at(&["secrets"]);
    let mut diagnostics = cx.finish();
    // An empty value is reported once, as empty, not again by the check of its format.
    let empty = raw_refs::empty_values(file, &sources.get(file).text);
    diagnostics.retain(|d| !empty.iter().any(|e| e.span == d.span));
    diagnostics.extend(empty);
    diagnostic::sort(&mut diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    let allowed = &doc.value.platform.allow_warnings;
    diagnostics.retain(|d| !allowed.iter().any(|code| code == d.code.name()));
    let names = doc
        .value
        .environments
        .keys()
        .flat_map(|env| {
            clusters.iter().filter(|c| c.in_env(env)).map(move |c| {
                (
                    (env.clone(), c.key.clone()),
                    c.name(env).unwrap_or_default(),
                )
            })
        })
        .collect();
    let resolved = expand::resolve(&clusters, &names, &mut merged, &mut redis)
        .and_then(|()| expand::versions(&clusters));
    let versions = match resolved {
        Ok(versions) => versions,
        Err(what) => {
            // Every pattern and required value was checked above; this only guards those checks.
            diagnostics.push(Diagnostic::error(
                Code::MissingKey,
                None,
                format!("{what} is missing or does not resolve"),
            ));
            return Err(diagnostics);
        }
    };
    let gitops = match &doc.value.gitops {
        None => None,
        Some(table) => {
            let Some(gitops) = resolve::gitops(table) else {
                // `gitops::check` reports the missing key; this only guards it.
                diagnostics.push(Diagnostic::error(
                    Code::MissingKey,
                    None,
                    "[gitops] lacks a key its tool requires",
                ));
                return Err(diagnostics);
            };
            Some(gitops)
        }
    };
    let Some(secrets) = secrets else {
        // The `[secrets]` checks report every missing required key; this only guards them.
        diagnostics.push(Diagnostic::error(
            Code::MissingKey,
            secrets_table,
            "[secrets] lacks a key its provider requires",
        ));
        return Err(diagnostics);
    };
    Ok(Checked {
        platform: resolve::platform(&doc.value.platform),
        secrets,
        gitops,
        namespaces: resolve::namespaces(&doc.value),
        app_namespaces: resolve::app_namespaces(&doc.value),
        spec: doc.value,
        clusters,
        names,
        merged,
        versions,
        redis,
        warnings: diagnostics,
        safety,
        stream_refusal,
    })
}

fn load_builtin_profiles(
    sources: &mut Sources,
) -> Result<Vec<(String, Document<Layer>)>, Vec<Diagnostic>> {
    let mut loaded = Vec::new();
    for profile in spec::BUILTIN_PROFILES {
        let file = sources.add(profile.path, profile.text);
        loaded.push((profile.name.to_string(), spec::load_layer(sources, file)?));
    }
    Ok(loaded)
}
