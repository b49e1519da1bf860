//! `postgresql.conf` parameters checked the way PostgreSQL reads them.
//!
//! Input: each cluster's parameter layers (cluster table, `env.<name>` tables, its profile)
//! and the cluster's PostgreSQL major. Output: diagnostics for unknown names (with
//! did-you-mean), values of the wrong type, unit, range or enum, `internal` parameters and, on
//! engine `cnpg`, parameters CloudNativePG manages itself. Invariant: the facts come from
//! `crate::catalog`; a value is refused only when that major's server would refuse it.

use std::collections::BTreeSet;

use super::context::Context;
use super::layer::LayerRef;
use super::rules;
use crate::catalog::cnpg;
use crate::catalog::guc::{self, Context as GucContext, Guc, Type};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::Span;
use crate::spec::{Engine, ParamValue};
use crate::suggest::did_you_mean;

/// Checks every parameter of `layers`, for a cluster of `engine` running `version`. `seen`
/// keeps one report per spec location when a layer is shared by several clusters.
pub(super) fn check(
    cx: &mut Context<'_>,
    layers: &[LayerRef<'_>],
    engine: Engine,
    version: &str,
    seen: &mut BTreeSet<(String, usize, String)>,
) {
    let Ok(major) = rules::pg_version(version) else {
        return;
    };
    for layer in layers {
        for (name, value) in &layer.layer.parameters {
            let mut path: Vec<&str> = layer.prefix.iter().map(String::as_str).collect();
            path.extend(["parameters", name]);
            let key_span = layer.spans.key(&path).map(|range| Span {
                file: layer.file,
                range,
            });
            let value_span = layer.spans.value(&path).map(|range| Span {
                file: layer.file,
                range,
            });
            if let Some(diagnostic) = problem(name, value, engine, major, key_span, value_span) {
                let at = diagnostic.span.as_ref().map_or(0, |s| s.range.start);
                let file = format!("{:?}", diagnostic.span.as_ref().map(|s| s.file));
                if seen.insert((file, at, diagnostic.message.clone())) {
                    cx.push(diagnostic);
                }
            }
        }
    }
}

fn problem(
    name: &str,
    value: &ParamValue,
    engine: Engine,
    major: u32,
    key_span: Option<Span>,
    value_span: Option<Span>,
) -> Option<Diagnostic> {
    if engine == Engine::Cnpg
        && let Some(managed) = cnpg::managed(name)
    {
        return Some(
            Diagnostic::error(
                Code::ManagedParameter,
                key_span,
                format!("parameter `{name}` cannot be set on a CloudNativePG cluster"),
            )
            .with_label("managed by the operator")
            .with_help(format!("{}; remove it", managed.reason())),
        );
    }
    // Extension parameters (`pg_stat_statements.max`) are free-form to the server too; a
    // malformed name is reported by the layer's name check.
    let well_formed = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    // A file directive (`include`) or a value the file cannot hold is reported by the
    // postgresql.conf check (`crate::pgconf`), once; the catalog has nothing to add to it.
    if !well_formed || crate::pgconf::check_name(name).is_err() {
        return None;
    }
    let Some(guc) = guc::lookup(major, name) else {
        let help = did_you_mean(name, guc::names(major)).map_or_else(
            || format!("see `SHOW ALL` on PostgreSQL {major} for the parameter names"),
            |s| format!("did you mean `{s}`?"),
        );
        return Some(
            Diagnostic::error(
                Code::UnknownParameter,
                key_span,
                format!("`{name}` is not a parameter of PostgreSQL {major}"),
            )
            .with_label("unknown parameter")
            .with_help(help),
        );
    };
    if guc.context == GucContext::Internal {
        return Some(
            Diagnostic::error(
                Code::InvalidParameter,
                key_span,
                format!("parameter `{name}` is read-only: PostgreSQL fixes it when it is built or initialised"),
            )
            .with_label("internal parameter"),
        );
    }
    let text = value.to_conf_string();
    if crate::pgconf::check_value(name, &text).is_err() {
        return None;
    }
    let why = value_problem(guc, &text).err()?;
    Some(
        Diagnostic::error(
            Code::InvalidParameter,
            value_span,
            format!("parameter `{name}` cannot be `{text}` on PostgreSQL {major}: {why}"),
        )
        .with_label(format!("not a valid {}", expected(guc))),
    )
}

/// What `guc` takes, for a label: "integer (kB)", "boolean", "enum value".
fn expected(guc: &Guc) -> String {
    let kind = match guc.kind {
        Type::Bool => "boolean",
        Type::Integer => "integer",
        Type::Real => "number",
        Type::String => "string",
        Type::Enum => "value",
    };
    guc.unit
        .map_or_else(|| kind.to_string(), |u| format!("{kind} ({u})"))
}

/// Whether PostgreSQL accepts `text` for `guc`, as guc.c's `parse_bool`, `parse_int` and `parse_real`
/// and enum lookup do.
pub(super) fn value_problem(guc: &Guc, text: &str) -> Result<(), String> {
    match guc.kind {
        Type::String => Ok(()),
        Type::Bool => parse_bool(text).map(|_| ()).ok_or_else(|| {
            "expected a boolean: `on`, `off`, `true`, `false`, `yes`, `no`, `1` or `0`".into()
        }),
        Type::Enum => {
            let lower = text.trim().to_ascii_lowercase();
            let takes_bool = guc.values.contains(&"on") && guc.values.contains(&"off");
            if guc.values.iter().any(|v| v.eq_ignore_ascii_case(&lower))
                || (takes_bool && parse_bool(&lower).is_some())
            {
                return Ok(());
            }
            let list: Vec<String> = guc.values.iter().map(|v| format!("`{v}`")).collect();
            Err(
                did_you_mean(&lower, guc.values.iter().copied()).map_or_else(
                    || format!("expected one of {}", list.join(", ")),
                    |s| format!("did you mean `{s}`? (expected one of {})", list.join(", ")),
                ),
            )
        }
        Type::Integer | Type::Real => numeric(guc, text),
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim().to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| t.len() >= min && word.starts_with(&t);
    if prefix_of("true", 1) || prefix_of("yes", 1) || t == "1" || prefix_of("on", 2) {
        Some(true)
    } else if prefix_of("false", 1) || prefix_of("no", 1) || t == "0" || prefix_of("off", 2) {
        Some(false)
    } else {
        None
    }
}

/// Units PostgreSQL accepts after a number, in kB (memory) or ms (time).
const MEMORY_UNITS: [(&str, f64); 5] = [
    ("B", 1.0 / 1024.0),
    ("kB", 1.0),
    ("MB", 1024.0),
    ("GB", 1024.0 * 1024.0),
    ("TB", 1024.0 * 1024.0 * 1024.0),
];
const TIME_UNITS: [(&str, f64); 6] = [
    ("us", 0.001),
    ("ms", 1.0),
    ("s", 1000.0),
    ("min", 60_000.0),
    ("h", 3_600_000.0),
    ("d", 86_400_000.0),
];

/// A base unit such as `8kB` or `s` as (multiplier, table entry value).
fn base_unit(unit: &str) -> Option<(f64, bool)> {
    let digits = unit.bytes().take_while(u8::is_ascii_digit).count();
    let count: f64 = if digits == 0 {
        1.0
    } else {
        unit[..digits].parse().ok()?
    };
    let name = &unit[digits..];
    if let Some((_, kb)) = MEMORY_UNITS.iter().find(|(u, _)| *u == name) {
        return Some((count * kb, true));
    }
    TIME_UNITS
        .iter()
        .find(|(u, _)| *u == name)
        .map(|(_, ms)| (count * ms, false))
}

fn numeric(guc: &Guc, text: &str) -> Result<(), String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| {
            !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E' | 'x' | 'X'))
        })
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let unit = unit.trim();
    let value: f64 = if let Some(hex) = number
        .strip_prefix("0x")
        .or_else(|| number.strip_prefix("0X"))
    {
        let parsed =
            i32::from_str_radix(hex, 16).map_err(|_| "not a 32-bit integer".to_string())?;
        f64::from(parsed)
    } else {
        number.parse().map_err(|_| {
            format!(
                "expected {}{}",
                if guc.kind == Type::Integer {
                    "an integer"
                } else {
                    "a number"
                },
                guc.unit
                    .map_or_else(String::new, |u| format!(" (base unit {u})"))
            )
        })?
    };
    if value.is_nan() || (number.is_empty()) {
        return Err("expected a number, not NaN".into());
    }
    let in_base = if unit.is_empty() {
        value
    } else {
        let Some((base, memory)) = guc.unit.and_then(base_unit) else {
            return Err(format!("takes no unit, found `{unit}`"));
        };
        let table: &[(&str, f64)] = if memory { &MEMORY_UNITS } else { &TIME_UNITS };
        let Some((_, factor)) = table.iter().find(|(u, _)| *u == unit) else {
            let names: Vec<String> = table.iter().map(|(u, _)| format!("`{u}`")).collect();
            let hint = table
                .iter()
                .map(|(u, _)| *u)
                .find(|u| u.eq_ignore_ascii_case(unit))
                .or_else(|| did_you_mean(unit, table.iter().map(|(u, _)| *u)))
                .map_or_else(String::new, |s| format!("did you mean `{s}`? "));
            return Err(format!(
                "`{unit}` is not a valid unit here; {hint}valid units are {} (case matters)",
                names.join(", ")
            ));
        };
        value * factor / base
    };
    let in_base = if guc.kind == Type::Integer {
        in_base.round()
    } else {
        in_base
    };
    let (min, max) = (guc.min_value(), guc.max_value());
    if min.is_some_and(|m| in_base < m) || max.is_some_and(|m| in_base > m) || in_base.is_infinite()
    {
        let unit = guc
            .unit
            .map_or_else(String::new, |u| format!(" (in units of {u})"));
        return Err(format!(
            "out of range: {} to {}{unit}",
            guc.min.unwrap_or("?"),
            guc.max.unwrap_or("?")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(major: u32, name: &str, value: &str) -> Result<(), String> {
        value_problem(guc::lookup(major, name).unwrap(), value)
    }

    #[test]
    fn values_as_postgresql_reads_them() {
        assert!(check(17, "shared_buffers", "1GB").is_ok());
        assert!(check(17, "shared_buffers", "16384").is_ok());
        assert!(check(17, "shared_buffers", "1").is_err());
        assert!(
            check(17, "shared_buffers", "1gb")
                .unwrap_err()
                .contains("did you mean `GB`")
        );
        assert!(check(17, "max_connections", "lots").is_err());
        assert!(check(17, "max_connections", "200").is_ok());
        assert!(check(17, "max_connections", "0x10").is_ok());
        assert!(check(17, "random_page_cost", "nan").is_err());
        assert!(check(17, "random_page_cost", "inf").is_err());
        assert!(check(17, "random_page_cost", "1.1").is_ok());
        assert!(check(17, "checkpoint_timeout", "15min").is_ok());
        assert!(check(17, "checkpoint_timeout", "1d").is_ok());
        assert!(check(17, "checkpoint_timeout", "2d").is_err());
        assert!(check(17, "wal_compression", "zstd").is_ok());
        assert!(check(17, "synchronous_commit", "on").is_ok());
        assert!(check(17, "synchronous_commit", "true").is_ok());
        assert!(
            check(17, "synchronous_commit", "remote_aply")
                .unwrap_err()
                .contains("remote_apply")
        );
        assert!(check(17, "jit", "of").is_ok());
        assert!(check(17, "jit", "o").is_err());
        assert!(check(17, "work_mem", "64MB").is_ok());
        assert!(check(17, "log_min_duration_statement", "-1").is_ok());
    }
}
