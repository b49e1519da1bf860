//! The pinned upstream sources of the embedded schemas (`schemas/upstream.toml`).
//!
//! Input: that file, and a directory of upstream CRD files laid out as
//! `<owner>/<repo>/<path>`. Output: the schema files to embed, by path under `schemas/crds/`.
//! Invariant: a generated file is one a source lists under `schemas`, converted from one of
//! that source's `files`; each listed schema comes out exactly once.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::{convert, json, read};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pins {
    pub source: Vec<Source>,
}

/// One upstream repository at one pinned commit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// `owner/name` on GitHub.
    pub repo: String,
    /// The release the commit is, or a note when it is none.
    pub version: String,
    pub commit: String,
    pub license: String,
    /// CRD files, relative to the repository root.
    #[serde(default)]
    pub files: Vec<String>,
    /// The files of `schemas/crds/` this source provides.
    pub schemas: Vec<String>,
    /// Why these schemas cannot be regenerated from `files`, when they cannot.
    pub not_reproducible: Option<String>,
}

impl Source {
    /// Where `file` can be downloaded at the pinned commit.
    pub fn url(&self, file: &str) -> String {
        format!(
            "https://raw.githubusercontent.com/{}/{}/{file}",
            self.repo, self.commit
        )
    }
}

impl Pins {
    pub fn reproducible(&self) -> impl Iterator<Item = &Source> {
        self.source.iter().filter(|s| s.not_reproducible.is_none())
    }
}

pub fn load(root: &Path) -> Result<Pins, String> {
    let path = root.join("schemas/upstream.toml");
    toml::from_str(&read(&path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// Converts the reproducible sources found under `upstream` into `(path, text)` for every
/// schema they list. A missing upstream file or listed schema is an error naming it.
pub fn generate(pins: &Pins, upstream: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for source in pins.reproducible() {
        let mut produced = BTreeMap::new();
        for file in &source.files {
            let path = upstream.join(&source.repo).join(file);
            let text =
                read(&path).map_err(|e| format!("{e} (download it from {})", source.url(file)))?;
            for c in convert::convert(&text).map_err(|e| format!("{}: {e}", path.display()))? {
                produced.insert(c.path, json::to_embedded(&c.schema));
            }
        }
        for schema in &source.schemas {
            let text = produced.remove(schema).ok_or_else(|| {
                format!(
                    "{}: no file of {} yields {schema}",
                    source.repo, source.commit
                )
            })?;
            if out.insert(schema.clone(), text).is_some() {
                return Err(format!("{schema} is listed by two sources"));
            }
        }
    }
    Ok(out)
}
