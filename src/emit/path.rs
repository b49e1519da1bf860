//! Validation and conversion of the relative paths emit works with.
//! Input: `/`-separated strings from the tree (dbgen's own code) or from the
//! on-disk manifest (untrusted), and relative `Path`s found on disk.
//! Output: a reason when a string is not a plain relative path, or the string
//! form of a disk path.
//! Invariant: an accepted string only has normal components, so joining it to
//! the output root can never name anything outside it.

use std::path::{Component, Path};

/// Why `rel` is not a plain relative path of the output tree, if it is not.
pub(super) fn invalid_reason(rel: &str) -> Option<&'static str> {
    if rel.is_empty() {
        return Some("the path is empty");
    }
    if rel.starts_with('/') {
        return Some("the path is absolute");
    }
    if rel.contains('\\') {
        return Some("the path contains a backslash; use `/` separators");
    }
    if rel.contains('\0') {
        return Some("the path contains a NUL byte");
    }
    for segment in rel.split('/') {
        match segment {
            "" => return Some("the path has an empty component (`//` or a trailing `/`)"),
            "." => return Some("the path has a `.` component"),
            ".." => return Some("the path has a `..` component"),
            _ => {}
        }
    }
    // Catches what the string checks cannot know about the host, e.g. a
    // Windows drive prefix such as `C:`.
    let only_normal = Path::new(rel)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    if !only_normal {
        return Some("the path is not relative to the output directory");
    }
    None
}

/// The `/`-separated form of a relative disk path, `None` when a component
/// is not UTF-8 (such a path can never be one dbgen generates).
pub(super) fn to_slash(rel: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    parts.map(|parts| parts.join("/"))
}

/// The `/`-separated form of a relative disk path for messages.
pub(super) fn to_slash_lossy(rel: &Path) -> String {
    let parts: Vec<_> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    parts.join("/")
}

/// Proper ancestors of a `/`-separated path, nearest last: `a/b/c` gives `a`, `a/b`.
pub(super) fn ancestors(rel: &str) -> impl Iterator<Item = &str> {
    rel.match_indices('/').map(move |(i, _)| &rel[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_relative_paths_are_accepted() {
        for ok in ["a", "prod/kustomization.yaml", ".hidden/x", "a..b/c"] {
            assert_eq!(invalid_reason(ok), None, "{ok}");
        }
    }

    #[test]
    fn escaping_or_ambiguous_paths_are_rejected() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a//b",
            "a/",
            "./a",
            "a\\b",
            "a/.",
        ] {
            assert!(invalid_reason(bad).is_some(), "{bad:?} accepted");
        }
    }

    #[test]
    fn ancestors_lists_every_proper_prefix_directory() {
        assert_eq!(ancestors("a/b/c").collect::<Vec<_>>(), ["a", "a/b"]);
        assert_eq!(ancestors("a").count(), 0);
    }
}
