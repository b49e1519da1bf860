//! Helm charts rendered by Kustomize: one values file per release, referenced from the
//! environment's `kustomization.yaml` under `helmCharts` (built with `--enable-helm`).
//!
//! Input: a chart (name, repository, pinned version), a release and its values, decided by
//! an engine module. Output: a `HelmValuesPlan` object (the values file) and, through
//! `kustomizations`, its `helmCharts` entry.
//! Invariant: every entry carries an explicit `releaseName` and a pinned `version`; without
//! either Kustomize's output would not be deterministic.

use serde::Serialize;

use super::Meta;

/// One Helm release: the values file and everything its `helmCharts` entry needs.
/// `meta.name` is the release name and `meta.namespace` the release namespace.
#[derive(Debug, Clone, Serialize)]
pub struct HelmValuesPlan {
    pub meta: Meta,
    pub chart: HelmChartRef,
    /// The chart's values, printed as the whole values file.
    pub values: serde_json::Value,
}

/// A pinned chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HelmChartRef {
    pub name: String,
    /// `oci://...` or `https://...`.
    pub repo: String,
    pub version: String,
}

/// One `helmCharts` entry of a kustomization.
#[derive(Debug, Clone, Serialize)]
pub struct HelmChartEntry {
    pub name: String,
    pub repo: String,
    pub version: String,
    pub release_name: String,
    pub namespace: String,
    /// Relative to the kustomization.
    pub values_file: String,
}

/// Where the Bitnami charts' images come from, from `[bitnami] images`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSource {
    pub registry: String,
    /// Prepended to each image name, e.g. `bitnamilegacy` → `bitnamilegacy/redis`.
    pub namespace: String,
}

impl ImageSource {
    /// `bitnamilegacy` → `docker.io` + `bitnamilegacy`; `registry.example.com/mirror` →
    /// `registry.example.com` + `mirror`; a first segment without `.` or `:` (and not
    /// `localhost`) is a Docker Hub namespace, as `docker pull` reads it.
    pub fn parse(images: &str) -> Self {
        let images = images.trim_end_matches('/');
        match images.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                Self {
                    registry: first.to_string(),
                    namespace: rest.to_string(),
                }
            }
            _ if images.contains('.') || images.contains(':') || images == "localhost" => Self {
                registry: images.to_string(),
                namespace: "bitnami".to_string(),
            },
            _ => Self {
                registry: "docker.io".to_string(),
                namespace: images.to_string(),
            },
        }
    }

    /// `[bitnami] images` of the spec, if set.
    pub(super) fn of_spec(spec: &crate::spec::Spec) -> Option<Self> {
        spec.bitnami
            .as_ref()
            .and_then(|b| b.images.as_deref())
            .map(Self::parse)
    }

    /// Points every image block of `values` (key path of its `image` table, image name)
    /// here, and lets the chart accept that: Bitnami's charts refuse images other than
    /// their own unless `global.security.allowInsecureImages` says they are intended.
    pub(super) fn rewrite(&self, values: &mut serde_json::Value, blocks: &[(&[&str], &str)]) {
        for (path, image) in blocks {
            let mut at = &mut *values;
            for key in *path {
                at = &mut at[*key];
            }
            at["image"] = self.values(image);
        }
        values["global"] = serde_json::json!({ "security": { "allowInsecureImages": true } });
    }

    /// The chart values of one image (`<key>.image` in the chart): registry and repository.
    /// The tag stays the chart's own, so the image is exactly the one the chart was tested with.
    pub fn values(&self, image: &str) -> serde_json::Value {
        serde_json::json!({
            "registry": self.registry,
            "repository": format!("{}/{image}", self.namespace),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::ImageSource;

    #[test]
    fn image_sources() {
        let legacy = ImageSource::parse("bitnamilegacy");
        assert_eq!(legacy.registry, "docker.io");
        assert_eq!(
            legacy.values("redis")["repository"],
            serde_json::json!("bitnamilegacy/redis")
        );
        let mirror = ImageSource::parse("registry.example.com/mirror/bitnami/");
        assert_eq!(mirror.registry, "registry.example.com");
        assert_eq!(mirror.namespace, "mirror/bitnami");
        let bare = ImageSource::parse("harbor.local:5000");
        assert_eq!(
            (bare.registry.as_str(), bare.namespace.as_str()),
            ("harbor.local:5000", "bitnami")
        );
    }
}
