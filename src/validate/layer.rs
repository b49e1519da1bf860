//! Merging size layers while remembering where each value came from.
//!
//! Input: layers from most to least specific (`cluster.env.<env>` table, cluster
//! table, profile, built-in defaults), each with the file and key path it was read from.
//! Output: `Merged`, every value `Sourced` (its span, or `None` for a built-in default).
//! Invariant: precedence is decided here and nowhere else; `plan` only reads values.

use std::collections::BTreeMap;

use crate::source::{FileId, Span};
use crate::spec::{Compute, Layer, SpanIndex};

/// A merged value and where the user (or a profile file) wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    /// `None` for a built-in default.
    pub span: Option<Span>,
    /// The layer it came from, for notes ("profile `small`", "a built-in default").
    pub origin: String,
}

impl<T> Sourced<T> {
    fn builtin(value: T) -> Self {
        Self {
            value,
            span: None,
            origin: "a built-in default".to_string(),
        }
    }

    fn from_layer(value: T, layer: &LayerRef<'_>, field: &[&str]) -> Self {
        Self {
            value,
            span: layer.span(field),
            origin: layer.description.clone(),
        }
    }
}

/// A layer together with where it lives, so its values can be located.
#[derive(Debug, Clone)]
pub(super) struct LayerRef<'a> {
    pub(super) layer: &'a Layer,
    pub(super) file: FileId,
    pub(super) spans: &'a SpanIndex,
    /// Key path of the layer's table in its file (empty for a profile file).
    pub(super) prefix: Vec<String>,
    /// How to name this layer in a note, e.g. "profile `small`".
    pub(super) description: String,
}

impl LayerRef<'_> {
    pub(super) fn span(&self, field: &[&str]) -> Option<Span> {
        let mut path: Vec<&str> = self.prefix.iter().map(String::as_str).collect();
        path.extend_from_slice(field);
        self.spans.value(&path).map(|range| Span {
            file: self.file,
            range,
        })
    }

    pub(super) fn key_path(&self, field: &[&str]) -> Vec<String> {
        let mut path = self.prefix.clone();
        path.extend(field.iter().map(|s| (*s).to_string()));
        path
    }
}

/// CPU and memory after merging, leaf by leaf.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MergedCompute {
    pub cpu: Option<Sourced<String>>,
    pub memory: Option<Sourced<String>>,
}

/// Every size setting of one cluster in one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub instances: Sourced<u32>,
    pub storage: Sourced<String>,
    pub storage_class: Option<Sourced<String>>,
    pub requests: MergedCompute,
    pub limits: MergedCompute,
    pub parameters: BTreeMap<String, Sourced<String>>,
}

/// Merges `layers` (most specific first) over the built-in `defaults`.
pub(super) fn merge(layers: &[LayerRef<'_>], defaults: &Layer) -> Merged {
    let pick = |get: &dyn Fn(&Layer) -> Option<String>, field: &[&str]| {
        layers
            .iter()
            .find_map(|l| get(l.layer).map(|value| Sourced::from_layer(value, l, field)))
    };
    let instances = layers
        .iter()
        .find_map(|l| {
            l.layer
                .instances
                .map(|value| Sourced::from_layer(value, l, &["instances"]))
        })
        .unwrap_or_else(|| Sourced::builtin(defaults.instances.unwrap_or(1)));
    let storage = pick(&|l| l.storage.clone(), &["storage"])
        .unwrap_or_else(|| Sourced::builtin(defaults.storage.clone().unwrap_or_default()));
    let compute = |side: &'static str, get: fn(&Layer) -> Option<&Compute>| MergedCompute {
        cpu: pick(
            &|l| get(l).and_then(|c| c.cpu.clone()),
            &["resources", side, "cpu"],
        ),
        memory: pick(
            &|l| get(l).and_then(|c| c.memory.clone()),
            &["resources", side, "memory"],
        ),
    };
    let mut parameters = BTreeMap::new();
    for layer in layers.iter().rev() {
        for (name, value) in &layer.layer.parameters {
            let sourced = Sourced::from_layer(value.to_conf_string(), layer, &["parameters", name]);
            parameters.insert(name.clone(), sourced);
        }
    }
    Merged {
        instances,
        storage,
        storage_class: pick(&|l| l.storage_class.clone(), &["storage_class"]),
        requests: compute("requests", |l| {
            l.resources.as_ref().and_then(|r| r.requests.as_ref())
        }),
        limits: compute("limits", |l| {
            l.resources.as_ref().and_then(|r| r.limits.as_ref())
        }),
        parameters,
    }
}
