//! Checks of `[[acknowledge]]` entries and the protection of each environment.
//!
//! Input: the spec. Output: located errors for entries naming no environment, a
//! malformed object reference or an empty reason; and the `Safety` the change plan
//! gates `render` with (protected environments, acknowledgements with their spans).
//! Invariant: an environment is protected when it says so, else when it is a
//! production environment (`production`, default true for `prod` and `production`).

use super::context::Context;
use crate::change::{Acknowledgement, Class, Safety};
use crate::defaults::PRODUCTION_ENVIRONMENTS;
use crate::diagnostic::{Code, Diagnostic};
use crate::spec::{AcknowledgedClass, Spec};

pub(super) fn check(cx: &mut Context<'_>) {
    let spec = cx.spec();
    for (index, ack) in spec.acknowledge.iter().enumerate() {
        let at = index.to_string();
        if !spec.environments.contains_key(&ack.environment) {
            cx.unknown_reference(
                cx.at(&["acknowledge", &at, "environment"]),
                "environment",
                &ack.environment,
                spec.environments.keys().map(String::as_str),
            );
        }
        let parts: Vec<&str> = ack.object.split('/').collect();
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
            cx.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    cx.at(&["acknowledge", &at, "object"]),
                    format!("object `{}` is not `Kind/namespace/name` or `Kind/name`", ack.object),
                )
                .with_label("malformed object reference")
                .with_help("copy the object exactly as `dbgen plan` prints it, e.g. `Cluster/databases/main`"),
            );
        }
        if ack.reason.trim().is_empty() {
            cx.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    cx.at(&["acknowledge", &at, "reason"]),
                    "an acknowledgement needs a reason for the reviewers",
                )
                .with_label("empty reason"),
            );
        }
    }
}

/// Protected environments and acknowledgements of a valid spec.
pub(super) fn safety(cx: &Context<'_>, spec: &Spec) -> Safety {
    let protected = spec
        .environments
        .iter()
        .filter(|(name, env)| {
            env.protected.unwrap_or_else(|| {
                env.production
                    .unwrap_or(PRODUCTION_ENVIRONMENTS.contains(&name.as_str()))
            })
        })
        .map(|(name, _)| name.clone())
        .collect();
    let acknowledgements = spec
        .acknowledge
        .iter()
        .enumerate()
        .map(|(index, ack)| Acknowledgement {
            environment: ack.environment.clone(),
            object: ack.object.clone(),
            class: match ack.class {
                AcknowledgedClass::DataLoss => Class::DataLoss,
                AcknowledgedClass::Rejected => Class::Rejected,
                AcknowledgedClass::LoginKept => Class::LoginKept,
            },
            reason: ack.reason.clone(),
            span: cx.at(&["acknowledge", &index.to_string()]),
        })
        .collect();
    Safety {
        protected,
        acknowledgements,
    }
}
