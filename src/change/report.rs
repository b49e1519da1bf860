//! The plan as a reviewer reads it (text) and as tools read it (JSON).
//!
//! Input: a `ChangePlan`. Output: text grouped by environment and class, most
//! dangerous first, optionally with ANSI colours; or the documented JSON document.
//! Invariant: the JSON keys are exactly `environments[].name`, `changes[].action,
//! kind, namespace, name, file, class, reason, fields`; nothing else prints here.

use std::fmt::Write as _;

use serde_json::json;

use super::{ChangePlan, Class};

pub(super) fn json(plan: &ChangePlan) -> serde_json::Value {
    let environments: Vec<serde_json::Value> = plan
        .environments
        .iter()
        .map(|env| {
            let changes: Vec<serde_json::Value> = env
                .changes
                .iter()
                .map(|c| {
                    json!({
                        "action": c.action.as_str(),
                        "kind": c.object.kind,
                        "namespace": c.object.namespace,
                        "name": c.object.name,
                        "file": c.file,
                        "class": c.verdict.class.as_str(),
                        "reason": c.verdict.reason,
                        "fields": c.fields,
                    })
                })
                .collect();
            json!({"name": env.name, "changes": changes})
        })
        .collect();
    json!({ "environments": environments })
}

fn paint(color: bool, class: Class, text: &str) -> String {
    if !color {
        return text.to_owned();
    }
    let code = match class {
        Class::DataLoss => "1;31",
        Class::Rejected => "31",
        Class::LoginKept => "35",
        Class::Downtime => "33",
        Class::Restart => "36",
        Class::InPlace => "32",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

pub(super) fn text(plan: &ChangePlan, color: bool) -> String {
    let mut out = String::new();
    let mut counts = [0usize; Class::ALL.len()];
    for env in &plan.environments {
        let protected = if env.protected { " (protected)" } else { "" };
        if env.changes.is_empty() {
            let _ = writeln!(out, "environment {}{protected}: no changes", env.name);
            continue;
        }
        let _ = writeln!(
            out,
            "environment {}{protected}: {} changes",
            env.name,
            env.changes.len()
        );
        for class in Class::ALL {
            let changes: Vec<_> = env
                .changes
                .iter()
                .filter(|c| c.verdict.class == class)
                .collect();
            if changes.is_empty() {
                continue;
            }
            counts[class as usize] += changes.len();
            let _ = writeln!(out, "  {}", paint(color, class, class.as_str()));
            for c in changes {
                let _ = writeln!(
                    out,
                    "    {:<6} {} ({})",
                    c.action.as_str(),
                    c.object.reference(),
                    c.file
                );
                let _ = writeln!(out, "           {}", c.verdict.reason);
                if c.fields.len() > 1 {
                    let shown: Vec<&str> = c.fields.iter().take(6).map(String::as_str).collect();
                    let more = c.fields.len().saturating_sub(6);
                    let tail = if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    };
                    let _ = writeln!(out, "           fields: {}{tail}", shown.join(", "));
                }
                if let Some(remedy) = &c.verdict.remedy {
                    let _ = writeln!(out, "           instead: {remedy}");
                }
                if let Some(reason) = &c.acknowledged {
                    let _ = writeln!(out, "           acknowledged: {reason}");
                } else if c.blocks(env.protected) {
                    let _ = writeln!(
                        out,
                        "           {}: to apply it anyway, add to the spec:\n             [[acknowledge]]\n             environment = \"{}\"\n             object = \"{}\"\n             class = \"{}\"\n             reason = \"<why this is intended>\"",
                        paint(color, Class::DataLoss, "needs acknowledgement"),
                        env.name,
                        c.object.reference(),
                        class.as_str()
                    );
                }
            }
        }
    }
    let total: usize = counts.iter().sum();
    let blocking = plan.blocking().count();
    if total == 0 {
        out.push_str("no changes: the committed tree matches the spec\n");
    } else {
        let parts: Vec<String> = Class::ALL
            .iter()
            .filter(|c| counts[**c as usize] > 0)
            .map(|c| format!("{} {}", counts[*c as usize], c.as_str()))
            .collect();
        let _ = write!(out, "{total} changes: {}", parts.join(", "));
        if blocking > 0 {
            let _ = write!(out, "; {blocking} need acknowledgement");
        }
        out.push('\n');
    }
    out
}
