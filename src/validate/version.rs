//! `[platform] min_version`: a spec may require a dbgen at least that new.
//!
//! Input: the raw spec text (read before its shape is checked, since a spec for a newer dbgen
//! may hold keys this one does not know). Output: one error at the value when this dbgen is
//! older, or when the value is not a version.
//! Invariant: a spec without `min_version`, or with an unparsable TOML, passes (the shape
//! check reports TOML errors, all at once).

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Sources, Span};

#[derive(Deserialize)]
struct Head {
    platform: Option<PlatformHead>,
}

#[derive(Deserialize)]
struct PlatformHead {
    min_version: Option<Spanned<String>>,
}

/// `major.minor[.patch]` as numbers; `None` when the text is anything else.
fn parse(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    parts.next().is_none().then_some((major, minor, patch))
}

pub(super) fn check(sources: &Sources, file: FileId) -> Option<Diagnostic> {
    let head: Head = toml::from_str(&sources.get(file).text).ok()?;
    let wanted = head.platform?.min_version?;
    let span = Some(Span {
        file,
        range: wanted.span(),
    });
    let this = env!("CARGO_PKG_VERSION");
    let Some(required) = parse(wanted.get_ref()) else {
        return Some(
            Diagnostic::error(
                Code::InvalidValue,
                span,
                format!("`{}` is not a dbgen version", wanted.get_ref()),
            )
            .with_label("expected `major.minor` or `major.minor.patch`")
            .with_help(format!("this dbgen is {this}")),
        );
    };
    let current = parse(this).unwrap_or_default();
    (current < required).then(|| {
        Diagnostic::error(
            Code::DbgenTooOld,
            span,
            format!(
                "this spec needs dbgen {} or newer; this is dbgen {this}",
                wanted.get_ref()
            ),
        )
        .with_label("required here")
        .with_help(
            "install a newer dbgen (`cargo install --locked --git <repository> --tag <version>`); \
             nothing was checked or written with this one",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Option<Diagnostic> {
        let mut sources = Sources::default();
        let file = sources.add("dbgen.toml", text);
        check(&sources, file)
    }

    #[test]
    fn refuses_a_spec_for_a_newer_dbgen_even_with_unknown_keys() {
        let d = run("[platform]\nmin_version = \"999.0\"\nfuture_key = 1\n").unwrap();
        assert_eq!(d.code, Code::DbgenTooOld);
        assert_eq!(d.span.unwrap().range, 25..32, "the quoted value");
        assert!(run("[platform]\nmin_version = \"0.1\"\n").is_none());
        assert!(run("[platform]\nname = \"x\"\n").is_none());
        assert_eq!(
            run("[platform]\nmin_version = \"latest\"\n").unwrap().code,
            Code::InvalidValue
        );
        assert_eq!(parse("1.2"), Some((1, 2, 0)));
        assert_eq!(parse("1.2.3.4"), None);
    }
}
