//! Container image references written in the spec (`image` of a PostgreSQL cluster or a
//! Redis server), checked with the grammar of the reference the container runtimes parse
//! (github.com/distribution/reference): `[registry[:port]/]path[:tag][@algorithm:hex]`.
//!
//! Input: the reference as written. Output: why a runtime would refuse it, if it would.
//! Invariant: an accepted reference is non-empty, has no white space and parses as a name,
//! an optional tag and an optional digest.

use super::context::Context;
use crate::diagnostic::{Code, Diagnostic};

/// Longest name part (registry and path) the reference grammar accepts.
const NAME_MAX: usize = 255;
/// Longest tag: one word character then up to 127 of `[A-Za-z0-9_.-]`.
const TAG_MAX: usize = 128;

/// Why `reference` is not an image reference, if it is not.
pub(super) fn reference(reference: &str) -> Result<(), String> {
    if reference.is_empty() {
        return Err("must not be empty".to_string());
    }
    if reference
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("must not contain white space or control characters".to_string());
    }
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (reference, None),
    };
    // A `:` after the last `/` starts the tag; one before it is a registry port.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].find(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    name_part(name)?;
    if let Some(tag) = tag {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let ok = tag.len() <= TAG_MAX
            && tag.chars().next().is_some_and(word)
            && tag.chars().all(|c| word(c) || c == '.' || c == '-');
        if !ok {
            return Err(format!(
                "has tag `{tag}`: a tag is 1 to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`"
            ));
        }
    }
    if let Some(digest) = digest {
        let ok = digest.split_once(':').is_some_and(|(algorithm, hex)| {
            !algorithm.is_empty()
                && algorithm
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-_".contains(c))
                && hex.len() >= 32
                && hex.chars().all(|c| c.is_ascii_hexdigit())
        });
        if !ok {
            return Err(format!(
                "has digest `{digest}`: expected `sha256:` and 64 hexadecimal digits"
            ));
        }
    }
    Ok(())
}

fn name_part(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > NAME_MAX {
        return Err(format!(
            "has a name of {} characters; a name is 1 to {NAME_MAX}",
            name.len()
        ));
    }
    let mut components: Vec<&str> = name.split('/').collect();
    // The first component is a registry when it looks like a host: a `.` or `:`, or localhost.
    if components.len() > 1 && (components[0].contains(['.', ':']) || components[0] == "localhost")
    {
        let registry = components.remove(0);
        let (host, port) = registry.split_once(':').unwrap_or((registry, ""));
        let host_ok = !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        let port_ok = port.is_empty() || port.parse::<u16>().is_ok_and(|p| p > 0);
        if !host_ok || !port_ok || (registry.ends_with(':')) {
            return Err(format!("has an invalid registry `{registry}`"));
        }
    }
    for component in components {
        // alnum+ separated by `.`, `_`, `__` or runs of `-`, all lowercase.
        let lower_alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        let ok = component.chars().next().is_some_and(lower_alnum)
            && component.chars().last().is_some_and(lower_alnum)
            && component
                .chars()
                .all(|c| lower_alnum(c) || matches!(c, '.' | '_' | '-'))
            && !component.contains("..")
            && !component.contains("___")
            && !component.contains("._")
            && !component.contains("_.");
        if !ok {
            return Err(format!(
                "has a path component `{component}`: lowercase letters and digits, separated by `.`, `_`, `__` or `-`"
            ));
        }
    }
    Ok(())
}

/// Checks every `image` of the spec where it is written.
pub(super) fn check(cx: &mut Context<'_>) {
    let spec = cx.spec();
    let mut written: Vec<(Vec<&str>, &str)> = Vec::new();
    for (key, cluster) in &spec.postgres {
        if let Some(image) = &cluster.image {
            written.push((vec!["postgres", key, "image"], image));
        }
    }
    if let Some(image) = spec
        .postgres_defaults
        .as_ref()
        .and_then(|d| d.image.as_ref())
    {
        written.push((vec!["postgres_defaults", "image"], image));
    }
    for (key, redis) in &spec.redis {
        if let Some(image) = &redis.image {
            written.push((vec!["redis", key, "image"], image));
        }
    }
    for (path, image) in written {
        if let Err(why) = reference(image) {
            cx.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    cx.at(&path),
                    format!("image `{image}` {why}"),
                )
                .with_label("not an image reference")
                .with_help("write `registry/path:tag` or `registry/path@sha256:<digest>`, e.g. `ghcr.io/cloudnative-pg/postgresql:17.6-standard-trixie`"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reference;

    #[test]
    fn accepts_what_runtimes_pull() {
        for ok in [
            "postgres",
            "postgres:17.6",
            "docker.io/library/postgres:17.6-bookworm",
            "ghcr.io/cloudnative-pg/postgresql:17.6-standard-trixie",
            "registry.local:5000/mirror/redis:8.2.1",
            "localhost/x",
            "ghcr.io/x/y@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "ghcr.io/x/y:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "my_org/my__image",
        ] {
            assert!(reference(ok).is_ok(), "{ok}: {:?}", reference(ok));
        }
    }

    #[test]
    fn refuses_what_runtimes_refuse() {
        for bad in [
            "",
            "x y",
            "postgres:",
            "Postgres:17",
            "postgres:-x",
            "postgres@sha256:12",
            "registry:99999/x",
            "a//b",
            "x\n",
            "-x",
            "postgres:17:18",
        ] {
            assert!(reference(bad).is_err(), "{bad:?}");
        }
    }
}
