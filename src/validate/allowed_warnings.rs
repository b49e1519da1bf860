//! Checks `[platform] allow_warnings`: each entry must name a diagnostic code.
//!
//! Input: the spec's `allow_warnings` list. Output: an `unknown-value` error at each entry
//! that is not a code, with the closest code as did-you-mean.
//! Invariant: a misspelt entry is refused rather than silently allowing nothing.

use super::context::Context;
use crate::diagnostic::{Code, Diagnostic, explain};

pub(super) fn check(cx: &mut Context<'_>) {
    let allowed = &cx.spec().platform.allow_warnings;
    for (index, name) in allowed.iter().enumerate() {
        if Code::from_name(name).is_some() {
            continue;
        }
        let span = cx.at(&["platform", "allow_warnings", &index.to_string()]);
        cx.push(
            Diagnostic::error(
                Code::UnknownValue,
                span,
                format!("`{name}` in `platform.allow_warnings` is not a diagnostic code"),
            )
            .with_label("no such code")
            .with_help(explain::closest(name).map_or_else(
                || "docs/cli.md lists every code; `dbgen --explain CODE` explains one".to_string(),
                |code| format!("did you mean `{code}`?"),
            )),
        );
    }
}
