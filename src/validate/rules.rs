//! Syntactic rules for names and values, each a pure function returning why a value
//! is invalid. Sources: Kubernetes' apimachinery validation (DNS-1123/1035, label
//! values, quantities), PostgreSQL identifier rules, CNPG's webhook (cluster names
//! ≤ 50 characters) and its reserved role and database names.
//!
//! Input: one value's text. Output: its parsed form, or a [`Problem`] carrying the code it
//! is reported under and a clause completing "`value` …".
//! Invariant: a rule knows no span; the caller places the problem at the value's span
//! (`Problem::at`), so the same rule reports the same code wherever it is applied.

use crate::diagnostic::{Code, Problem};
use crate::model::{Retention, RetentionUnit};

/// Tags a rule's reason with the code it is reported under.
fn coded(code: Code) -> impl Fn(String) -> Problem {
    move |why| Problem::new(code, why)
}

/// DNS-1123 label: Namespace names, most object names' parts.
pub fn dns1123_label(name: &str) -> Result<(), Problem> {
    label_like(name, 63, false).map_err(coded(Code::InvalidName))
}

/// DNS-1035 label (starts with a letter): Service and CNPG Cluster names.
pub fn dns1035_label(name: &str, max: usize) -> Result<(), Problem> {
    label_like(name, max, true).map_err(coded(Code::InvalidName))
}

fn label_like(name: &str, max: usize, letter_first: bool) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > max {
        return Err(format!(
            "is {} characters long; the limit is {max}",
            name.len()
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("may only contain lowercase letters, digits and `-`".into());
    }
    let first = name.as_bytes()[0];
    if letter_first && !first.is_ascii_lowercase() {
        return Err("must start with a lowercase letter".into());
    }
    if !first.is_ascii_alphanumeric() || !name.as_bytes()[name.len() - 1].is_ascii_alphanumeric() {
        return Err("must start and end with a letter or digit".into());
    }
    Ok(())
}

/// DNS-1123 subdomain: Secret, Database and most other object names.
pub fn dns1123_subdomain(name: &str) -> Result<(), Problem> {
    subdomain(name).map_err(coded(Code::InvalidName))
}

fn subdomain(name: &str) -> Result<(), String> {
    if name.len() > 253 {
        return Err(format!(
            "is {} characters long; the limit is 253",
            name.len()
        ));
    }
    if !name.contains('.') {
        return label_like(name, 253, false);
    }
    for part in name.split('.') {
        label_like(part, 253, false).map_err(|e| format!("has a part `{part}` that {e}"))?;
    }
    Ok(())
}

/// A Kubernetes label value (`app.kubernetes.io/part-of`).
pub fn label_value(value: &str) -> Result<(), Problem> {
    label_value_why(value).map_err(coded(Code::InvalidName))
}

fn label_value_why(value: &str) -> Result<(), String> {
    if value.len() > 63 {
        return Err(format!(
            "is {} characters long; the limit is 63",
            value.len()
        ));
    }
    let ok = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    let bytes = value.as_bytes();
    if !bytes.iter().all(|b| ok(*b))
        || bytes.first().is_some_and(|b| !b.is_ascii_alphanumeric())
        || bytes.last().is_some_and(|b| !b.is_ascii_alphanumeric())
    {
        return Err(
            "must be letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit"
                .into(),
        );
    }
    Ok(())
}

/// A PostgreSQL identifier dbgen writes without quotes: lowercase, ≤ 63 bytes.
pub fn pg_identifier(name: &str) -> Result<(), Problem> {
    identifier(name).map_err(coded(Code::InvalidName))
}

fn identifier(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 63 {
        return Err("must be 1 to 63 characters long".into());
    }
    let first = name.as_bytes()[0];
    if !(first.is_ascii_lowercase() || first == b'_') {
        return Err("must start with a lowercase letter or `_`".into());
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err("may only contain lowercase letters, digits and `_`".into());
    }
    Ok(())
}

/// Why a database or role name is reserved on every engine, if it is (the table, with
/// its sources, is `validate::reserved`).
pub fn reserved(name: &str) -> Option<&'static str> {
    super::reserved::why(name, None)
}

/// A parsed Kubernetes quantity, as a number of base units.
pub fn quantity(text: &str) -> Result<f64, Problem> {
    crate::model::Quantity::parse(text)
        .map(|q| q.value())
        .ok_or_else(|| {
            let (number, suffix) = crate::model::quantity_split(text);
            Problem::new(Code::InvalidQuantity, quantity_hint(number, suffix))
        })
}

fn quantity_hint(number: &str, suffix: &str) -> String {
    let binary = match suffix.to_ascii_lowercase().as_str() {
        "kb" | "k" | "kib" => Some("Ki"),
        "mb" | "mib" => Some("Mi"),
        "gb" | "gib" | "g" => Some("Gi"),
        "tb" | "tib" | "t" => Some("Ti"),
        _ => None,
    };
    match binary {
        Some(unit) if !number.is_empty() => format!(
            "Kubernetes quantities use binary suffixes like `Gi` (2^30 bytes) or decimal ones like `G`; did you mean `{number}{unit}`?"
        ),
        _ => "a Kubernetes quantity is a number with an optional suffix: m, k, M, G, T, Ki, Mi, Gi, Ti (e.g. `500m`, `20Gi`)".into(),
    }
}

/// A Go duration of at least one second: `refreshInterval`s of 0 turn refreshing off, so a
/// rotated password would never reach the app.
pub fn refresh_interval(text: &str) -> Result<(), Problem> {
    go_duration(text)?;
    let seconds = go_duration_seconds(text);
    if seconds < 1.0 {
        return Err(Problem::new(
            Code::InvalidDuration,
            "is shorter than 1s; 0 turns refreshing off, so a rotated password would never reach the app",
        ));
    }
    Ok(())
}

/// The length of a duration [`go_duration`] accepted, in seconds.
pub fn go_duration_seconds(text: &str) -> f64 {
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().unwrap_or(0.0);
        rest = &rest[digits..];
        let (unit, factor) = [
            ("ns", 1e-9),
            ("us", 1e-6),
            ("µs", 1e-6),
            ("ms", 1e-3),
            ("s", 1.0),
            ("m", 60.0),
            ("h", 3600.0),
        ]
        .into_iter()
        .filter(|(u, _)| rest.starts_with(u))
        .max_by_key(|(u, _)| u.len())
        .unwrap_or(("", 0.0));
        total += number * factor;
        rest = &rest[unit.len()..];
        if unit.is_empty() {
            break;
        }
    }
    total
}

/// A Go duration as External Secrets reads `refreshInterval` (e.g. `1h`, `1h30m`, `90s`).
pub fn go_duration(text: &str) -> Result<(), Problem> {
    go_duration_why(text).map_err(coded(Code::InvalidDuration))
}

fn go_duration_why(text: &str) -> Result<(), String> {
    let units = ["ns", "us", "µs", "ms", "s", "m", "h"];
    let mut rest = text;
    if rest.is_empty() || rest == "0" {
        return if rest == "0" {
            Ok(())
        } else {
            Err("must not be empty".into())
        };
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err("must be numbers with units, like `1h`, `30m` or `1h30m`".into());
        }
        rest = &rest[digits..];
        let Some(unit) = units
            .iter()
            .filter(|u| rest.starts_with(**u))
            .max_by_key(|u| u.len())
        else {
            return Err("each number needs a unit: ns, us, ms, s, m or h".into());
        };
        rest = &rest[unit.len()..];
    }
    Ok(())
}

/// A resync interval as the Infisical operator parses it (`ConvertResyncIntervalToDuration`
/// in operator 0.11): one whole number and one unit `s`, `m`, `h`, `d` or `w`, at least
/// five seconds. Unlike a Go duration, `1h30m` and `1.5h` are rejected.
pub fn infisical_interval(text: &str) -> Result<(), Problem> {
    infisical_interval_why(text).map_err(coded(Code::InvalidDuration))
}

/// The length of an interval [`infisical_interval`] accepted, in seconds.
pub fn infisical_interval_seconds(text: &str) -> f64 {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let factor = match unit {
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => 1.0,
    };
    number.parse::<f64>().unwrap_or(0.0) * factor
}

fn infisical_interval_why(text: &str) -> Result<(), String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let Ok(number) = number.parse::<u64>() else {
        return Err("must be a whole number followed by one unit, like `60s`, `5m` or `1h`".into());
    };
    match unit {
        "s" if number < 5 => Err("must be at least 5 seconds".into()),
        "s" | "m" | "h" | "d" | "w" => Ok(()),
        "" => Err(format!("needs a unit: did you mean `{number}s`?")),
        _ => Err(
            "takes exactly one unit, `s`, `m`, `h`, `d` or `w` (no combinations like `1h30m`)"
                .into(),
        ),
    }
}

/// An Infisical project or environment slug: lowercase letters, digits and `-` (what
/// Infisical's slugify produces), ≤ 64 characters.
pub fn infisical_slug(slug: &str) -> Result<(), Problem> {
    label_like(slug, 64, false).map_err(coded(Code::InvalidName))
}

/// A Go template field name, so `{{ .name.Value }}` reaches the secret without `index`.
pub fn template_identifier(name: &str) -> Result<(), Problem> {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    if first_ok && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(())
    } else {
        Err(Problem::new(
            Code::InvalidName,
            "must be letters, digits and `_`, not starting with a digit",
        ))
    }
}

/// The base URL of a web service: `http://` or `https://`, a host, an optional port and
/// path, no query, fragment or trailing `/`. On failure, the problem with, where one is
/// obvious, the corrected URL.
pub fn base_url(url: &str) -> Result<(), Problem> {
    base_url_why(url).map_err(|(why, fix)| Problem::new(Code::InvalidUrl, why).with_fix(fix))
}

fn base_url_why(url: &str) -> Result<(), (String, Option<String>)> {
    let Some((scheme, rest)) = url.split_once("://") else {
        let fixed = (!url.is_empty()).then(|| format!("https://{url}"));
        return Err(("must start with `http://` or `https://`".into(), fixed));
    };
    if scheme != "http" && scheme != "https" {
        return Err((
            format!("has scheme `{scheme}`; only `http` and `https` are allowed"),
            None,
        ));
    }
    if rest.contains(['?', '#']) || rest.contains(char::is_whitespace) {
        let fixed = rest
            .split(['?', '#'])
            .next()
            .map(|r| format!("{scheme}://{r}"));
        return Err((
            "must not contain spaces, a query or a fragment".into(),
            fixed,
        ));
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port, host_ok) = if let Some(v6) = authority.strip_prefix('[') {
        // An IPv6 literal: `[::1]:8080`.
        let (address, after) = v6.split_once(']').unwrap_or((v6, "!"));
        let ok = !address.is_empty()
            && address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':')
            && (after.is_empty() || after.starts_with(':'));
        (address, after.strip_prefix(':'), ok)
    } else {
        let (host, port) = authority
            .split_once(':')
            .map_or((authority, None), |(h, p)| (h, Some(p)));
        let ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'));
        (host, port, ok)
    };
    if host.is_empty() {
        return Err(("needs a host name or IP address after `://`".into(), None));
    }
    if !host_ok {
        return Err((format!("has an invalid host `{host}`"), None));
    }
    if let Some(port) = port
        && !port.parse::<u16>().is_ok_and(|p| p != 0)
    {
        return Err((format!("has an invalid port `{port}`"), None));
    }
    if path.ends_with('/') {
        let fixed = url.trim_end_matches('/').to_string();
        return Err(("must not end with `/`".into(), Some(fixed)));
    }
    Ok(())
}

/// A PostgreSQL version as `major` or `major.minor`, with a major CNPG 1.30 supports.
pub fn pg_version(text: &str) -> Result<u32, Problem> {
    let mut parts = text.split('.');
    let major = parts.next().and_then(|m| m.parse::<u32>().ok());
    let minor_ok = parts.next().is_none_or(|m| m.parse::<u32>().is_ok());
    match (major, minor_ok, parts.next()) {
        (Some(major @ 14..=18), true, None) => Ok(major),
        (Some(major), true, None) => Err(Problem::new(
            Code::InvalidVersion,
            format!("PostgreSQL {major} is not supported by CloudNativePG 1.30 (14 to 18 are)"),
        )),
        _ => Err(Problem::new(
            Code::InvalidVersion,
            "must be `major.minor`, like `17.6`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(dns1123_label("databases").is_ok());
        assert!(dns1123_label("Databases").is_err());
        assert!(dns1123_label("-x").is_err());
        assert!(dns1035_label("1db", 50).is_err());
        assert!(dns1035_label(&"a".repeat(51), 50).is_err());
        assert!(dns1123_subdomain("a.b-c").is_ok());
        assert!(dns1123_subdomain("a..b").is_err());
        assert!(label_value("Vixens_1.0").is_ok());
        assert!(label_value("-x").is_err());
        assert!(pg_identifier("authentik_user").is_ok());
        assert!(pg_identifier("Authentik").is_err());
        assert!(pg_identifier("my-app").is_err());
    }

    #[test]
    fn reserved_names() {
        for name in [
            "postgres",
            "template0",
            "template1",
            "pg_x",
            "cnpg_x",
            "streaming_replica",
            "app",
        ] {
            assert!(reserved(name).is_some(), "{name}");
        }
        assert!(reserved("docspell").is_none());
    }

    #[test]
    #[allow(clippy::float_cmp)] // exact binary fractions and integers
    fn duration_lengths() {
        assert_eq!(go_duration_seconds("1h30m"), 5400.0);
        assert_eq!(go_duration_seconds("1.5s"), 1.5);
        assert_eq!(infisical_interval_seconds("60s"), 60.0);
        assert_eq!(infisical_interval_seconds("2d"), 172_800.0);
    }

    #[test]
    #[allow(clippy::float_cmp)] // exact binary fractions and integers
    fn quantities() {
        assert_eq!(quantity("500m").unwrap(), 0.5);
        assert_eq!(quantity("2").unwrap(), 2.0);
        assert_eq!(quantity("512Mi").unwrap(), 512.0 * 1024.0 * 1024.0);
        assert_eq!(quantity("1e3").unwrap(), 1000.0);
        let error = quantity("20Gb").unwrap_err();
        assert!(error.why.contains("`20Gi`"), "{error}");
        assert_eq!(error.code, Code::InvalidQuantity);
        assert!(quantity("").is_err());
        assert!(quantity("Gi").is_err());
        assert!(quantity("1.2.3").is_err());
    }

    #[test]
    fn infisical_values() {
        assert!(infisical_interval("60s").is_ok());
        assert!(infisical_interval("1w").is_ok());
        assert!(infisical_interval("4s").is_err());
        assert!(infisical_interval("1h30m").is_err());
        assert!(infisical_interval("60").unwrap_err().why.contains("`60s`"));
        assert!(infisical_slug("vixens").is_ok());
        assert!(infisical_slug("Vixens").is_err());
        assert!(template_identifier("password").is_ok());
        assert!(template_identifier("DB_PASS").is_ok());
        assert!(template_identifier("db-pass").is_err());
        assert!(template_identifier("1pass").is_err());
        assert!(base_url("http://192.168.111.69:8085").is_ok());
        assert!(base_url("https://app.infisical.com").is_ok());
        assert!(base_url("https://example.com/infisical").is_ok());
        assert_eq!(
            base_url("https://app.infisical.com/")
                .unwrap_err()
                .fix
                .as_deref(),
            Some("https://app.infisical.com")
        );
        assert!(base_url("ftp://x").is_err());
        assert!(base_url("http://:8085").is_err());
        assert!(base_url("http://host:99999").is_err());
        assert!(base_url("http://host?x=1").is_err());
        assert_eq!(
            base_url("app.infisical.com").unwrap_err().fix.as_deref(),
            Some("https://app.infisical.com")
        );
    }

    #[test]
    fn durations_and_versions() {
        assert!(go_duration("1h").is_ok());
        assert!(go_duration("1h30m").is_ok());
        assert!(go_duration("90").is_err());
        assert!(go_duration("1d").is_err());
        assert_eq!(pg_version("17.6"), Ok(17));
        assert!(pg_version("13.2").is_err());
        assert!(pg_version("17.x").is_err());
    }
}

/// Converts a 5-field cron expression (minute first, as Kubernetes CronJobs take) into
/// the 6-field form with seconds first that CNPG's `ScheduledBackup` needs; descriptors
/// such as `@daily` pass unchanged. A 6-field input is refused: given to us it is
/// ambiguous, and a 5-field string given to CNPG silently runs hourly.
pub fn cron_with_seconds(expression: &str) -> Result<String, Problem> {
    cron_why(expression).map_err(coded(Code::InvalidSchedule))
}

fn cron_why(expression: &str) -> Result<String, String> {
    let expression = expression.trim();
    if let Some(descriptor) = expression.strip_prefix('@') {
        return match descriptor {
            "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly" => {
                Ok(expression.to_string())
            }
            _ => Err(format!(
                "`@{descriptor}` is not a cron descriptor (try `@daily`, `@weekly`, ...)"
            )),
        };
    }
    let fields: Vec<&str> = expression.split_whitespace().collect();
    match fields.len() {
        5 => {}
        6 => {
            return Err(
                "has 6 fields; write the usual 5-field form (minute hour day month weekday)".into(),
            );
        }
        n => {
            return Err(format!(
                "has {n} fields; a cron expression has 5 (minute hour day month weekday)"
            ));
        }
    }
    let names = |f: &str| {
        f.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | ',' | '-' | '/' | '?'))
    };
    if let Some(bad) = fields.iter().find(|f| !names(f)) {
        return Err(format!("field `{bad}` is not a cron field"));
    }
    for (field, bounds) in fields.iter().zip(&CRON_FIELDS) {
        cron_field(field, bounds)?;
    }
    Ok(format!("0 {}", fields.join(" ")))
}

/// One field of a 5-field cron expression: its name, range and symbolic names.
struct CronField {
    name: &'static str,
    min: u32,
    max: u32,
    /// Names for `min`, `min + 1`, ... (months and weekdays).
    names: &'static [&'static str],
}

/// The fields and ranges of robfig/cron v3, the parser of both Kubernetes CronJobs and
/// CloudNativePG's `ScheduledBackup` (which takes a seconds field first: dbgen adds it).
const CRON_FIELDS: [CronField; 5] = [
    CronField {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    CronField {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    CronField {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    CronField {
        name: "month",
        min: 1,
        max: 12,
        names: &[
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ],
    },
    CronField {
        name: "day of week",
        min: 0,
        max: 6,
        names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    },
];

/// Checks one cron field as robfig/cron does: comma-separated `*`, `?`, `N` or `N-M`, each
/// with an optional `/step` (step ≥ 1), every number within the field's range, `N ≤ M`.
fn cron_field(field: &str, bounds: &CronField) -> Result<(), String> {
    let CronField {
        name,
        min,
        max,
        names,
    } = *bounds;
    let number = |text: &str| -> Result<u32, String> {
        let lower = text.to_ascii_lowercase();
        let value = match names.iter().position(|n| *n == lower) {
            Some(i) => Some(min + u32::try_from(i).unwrap_or(0)),
            None => text.parse::<u32>().ok(),
        };
        match value {
            Some(v) if (min..=max).contains(&v) => Ok(v),
            Some(_) | None if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() => {
                Err(format!("has {name} `{text}`, outside {min}-{max}"))
            }
            _ => Err(format!(
                "has {name} `{text}`, which is not a number from {min} to {max}"
            )),
        }
    };
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (part, None),
        };
        if let Some(step) = step {
            match step.parse::<u32>() {
                Ok(0) => {
                    return Err(format!(
                        "has step `/0` in its {name} field; a step is at least 1"
                    ));
                }
                Ok(_) => {}
                Err(_) => {
                    return Err(format!(
                        "has step `/{step}` in its {name} field, which is not a number"
                    ));
                }
            }
        }
        if range == "*" || range == "?" {
            continue;
        }
        match range.split_once('-') {
            Some((low, high)) => {
                let (low_v, high_v) = (number(low)?, number(high)?);
                if low_v > high_v {
                    return Err(format!(
                        "has {name} range `{range}` that ends before it starts"
                    ));
                }
            }
            None => {
                number(range)?;
            }
        }
    }
    Ok(())
}

/// An RFC 3339 timestamp with an explicit offset (`2024-01-15T10:30:00Z`, or a space for the
/// `T`, as PostgreSQL prints it): CloudNativePG converts RFC 3339 for `recovery_target_time`
/// and parses the rest with lib/pq, which takes no zone names (`UTC`).
pub fn rfc3339(text: &str) -> Result<(), Problem> {
    rfc3339_why(text).map_err(coded(Code::InvalidValue))
}

fn rfc3339_why(text: &str) -> Result<(), String> {
    let help = "must be an RFC 3339 time with an offset, like `2024-01-15T10:30:00Z` or `2024-01-15 10:30:00+02:00`";
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .and_then(|d| std::str::from_utf8(d).ok()?.parse::<u32>().ok())
    };
    let shape = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't' | b' ')
        && b[13] == b':'
        && b[16] == b':';
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return Err(help.into());
    };
    if !shape {
        return Err(help.into());
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let len = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 {
            return Err(help.into());
        }
        rest = &fraction[len..];
    }
    let offset_ok = match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit())
                && (h1 - b'0') * 10 + (h2 - b'0') < 24
                && (m1 - b'0') * 10 + (m2 - b'0') < 60
        }
        _ => false,
    };
    if !offset_ok {
        return Err(help.into());
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("has month {month}; {help}")),
    };
    if day == 0 || day > days {
        return Err(format!(
            "has day {day}, and month {month} of {year} has {days}"
        ));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(format!(
            "has time {hour:02}:{minute:02}:{second:02}; {help}"
        ));
    }
    Ok(())
}

/// The longest retention dbgen accepts: 10 years, in each Barman unit.
pub const RETENTION_MAX: [(RetentionUnit, u32); 3] = [
    (RetentionUnit::Days, 3660),
    (RetentionUnit::Weeks, 523),
    (RetentionUnit::Months, 120),
];

/// A Barman retention policy: `^[1-9][0-9]*[dwm]$`, at most [`RETENTION_MAX`] (a longer one is
/// a typo, and past `i32` days the operator's arithmetic overflows).
pub fn retention(text: &str) -> Result<Retention, Problem> {
    retention_why(text).map_err(coded(Code::InvalidValue))
}

fn retention_why(text: &str) -> Result<Retention, String> {
    let unit = match text.as_bytes().last() {
        Some(b'd') => RetentionUnit::Days,
        Some(b'w') => RetentionUnit::Weeks,
        Some(b'm') => RetentionUnit::Months,
        _ => return Err(RETENTION_SYNTAX.into()),
    };
    let max = RETENTION_MAX
        .iter()
        .find(|(u, _)| *u == unit)
        .map_or(0, |(_, max)| *max);
    let too_long = || format!("is longer than 10 years (at most {max}{})", unit.suffix());
    let number = &text[..text.len() - 1];
    let digits = !number.is_empty()
        && !number.starts_with('0')
        && number.bytes().all(|b| b.is_ascii_digit());
    match Retention::parse(text) {
        Some(parsed) if parsed.count() <= max => Ok(parsed),
        // Past u32 the syntax holds but the number does not parse: as long as any other.
        Some(_) => Err(too_long()),
        None if digits => Err(too_long()),
        None => Err(RETENTION_SYNTAX.into()),
    }
}

const RETENTION_SYNTAX: &str = "must be a number and `d`, `w` or `m`, like `30d`";

/// The most PostgreSQL instances (1 primary + replicas) dbgen accepts in one cluster: past a
/// few replicas, each one adds WAL-sender load on the primary for no gain in availability.
pub const INSTANCES_MAX: u32 = 32;
/// The most PgBouncer pods dbgen accepts in one pooler (Kubernetes' `replicas` is an int32;
/// a count past this is a typo, each pod opening `default_pool_size` server connections).
pub const POOLER_INSTANCES_MAX: u32 = 64;

/// The longest `retention_days` dbgen accepts: 10 years.
pub const RETENTION_DAYS_MAX: u32 = 3660;

/// The smallest storage dbgen accepts for a volume: 1 MiB.
pub const STORAGE_MIN: f64 = 1024.0 * 1024.0;
/// The smallest memory dbgen accepts: 6 MiB, runc's minimum memory limit for a container.
pub const MEMORY_MIN: f64 = 6.0 * 1024.0 * 1024.0;
/// The smallest CPU Kubernetes can express: 1m (it rounds anything smaller up or to 0).
pub const CPU_MIN: f64 = 0.001;

/// What a quantity measures, for its bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    Storage,
    Memory,
    Cpu,
}

impl Measure {
    /// The measure of a spec field by its last key (`cpu`, `memory`; anything else is a volume).
    #[must_use]
    pub fn of_field(field: &str) -> Self {
        match field.rsplit('.').next().unwrap_or(field) {
            "cpu" => Self::Cpu,
            "memory" => Self::Memory,
            _ => Self::Storage,
        }
    }
}

/// A quantity within the bounds of what it measures: bytes are whole numbers (a `m` suffix on
/// storage is millibytes), volumes at least 1Mi, memory at least 6Mi, cpu at least 1m.
pub fn bounded_quantity(text: &str, measure: Measure) -> Result<f64, Problem> {
    let value = quantity(text)?;
    let (min, min_text, why) = match measure {
        Measure::Storage => (STORAGE_MIN, "1Mi", "dbgen's bound for a volume"),
        Measure::Memory => (MEMORY_MIN, "6Mi", "runc's minimum memory for a container"),
        Measure::Cpu => (CPU_MIN, "1m", "Kubernetes counts CPU in millicores"),
    };
    if measure != Measure::Cpu && value.fract() != 0.0 {
        return Err(Problem::new(
            Code::OutOfRange,
            format!(
                "is {value} bytes, not a whole number of bytes (`m` means milli, not mega: did you mean `{}Mi`?)",
                text.trim_end_matches('m')
            ),
        ));
    }
    if value < min {
        return Err(Problem::new(
            Code::OutOfRange,
            format!("is below the minimum {min_text} ({why})"),
        ));
    }
    Ok(value)
}

/// A `major.minor` operator version.
pub fn major_minor(text: &str) -> Result<(u32, u32), Problem> {
    let mut parts = text.split('.');
    match (
        parts.next().map(str::parse::<u32>),
        parts.next().map(str::parse::<u32>),
        parts.next(),
    ) {
        (Some(Ok(major)), Some(Ok(minor)), None) => Ok((major, minor)),
        _ => Err(Problem::new(
            Code::InvalidVersion,
            "must be `major.minor`, like `1.30`",
        )),
    }
}

#[cfg(test)]
mod cron_tests {
    use super::*;

    #[test]
    fn five_field_cron_gets_seconds_and_six_fields_are_refused() {
        assert_eq!(cron_with_seconds("0 2 * * *").unwrap(), "0 0 2 * * *");
        assert_eq!(
            cron_with_seconds("30 3 * * MON-FRI").unwrap(),
            "0 30 3 * * MON-FRI"
        );
        assert_eq!(cron_with_seconds("@daily").unwrap(), "@daily");
        assert!(
            cron_with_seconds("0 0 2 * * *")
                .unwrap_err()
                .why
                .contains("6 fields")
        );
        assert!(cron_with_seconds("0 2 * *").is_err());
        assert!(cron_with_seconds("@fortnightly").is_err());
        assert!(cron_with_seconds("0 2 * * $").is_err());
    }

    #[test]
    fn cron_fields_and_ranges() {
        for bad in [
            "0 25 * * *",
            "61 * * * *",
            "*/0 * * * *",
            "0-70 * * * *",
            "5-1 * * * *",
            "0 0 0 * *",
            "0 0 * 13 *",
            "0 0 * * 7",
            "0 0 * foo *",
            "0 0 * * MON-SUN",
        ] {
            assert!(cron_with_seconds(bad).is_err(), "{bad}");
        }
        for good in [
            "*/15 * * * *",
            "0 0-23/2 * * *",
            "0 3 1,15 * *",
            "0 3 * JAN-MAR sun",
            "0 3 ? * 0-6",
            "59 23 31 12 6",
        ] {
            assert!(cron_with_seconds(good).is_ok(), "{good}");
        }
        assert!(
            cron_with_seconds("0 25 * * *")
                .unwrap_err()
                .why
                .contains("hour `25`, outside 0-23")
        );
    }

    #[test]
    fn times_and_bounds() {
        assert!(rfc3339("2024-01-15T10:30:00Z").is_ok());
        assert!(rfc3339("2024-01-15 10:30:00.123+02:00").is_ok());
        for bad in [
            "yesterday",
            "2024-01-15 10:30:00 UTC",
            "2024-01-15T10:30:00",
            "2024-02-30T10:30:00Z",
            "2024-01-15T24:30:00Z",
        ] {
            assert!(rfc3339(bad).is_err(), "{bad}");
        }
        assert!(retention("3650d").is_ok());
        assert!(retention("9999999999999d").is_err());
        for (text, measure) in [
            ("0", Measure::Storage),
            ("0Gi", Measure::Storage),
            ("1m", Measure::Storage),
            ("0", Measure::Cpu),
            ("1", Measure::Memory),
        ] {
            assert!(bounded_quantity(text, measure).is_err(), "{text}");
        }
        assert!(bounded_quantity("10Gi", Measure::Storage).is_ok());
        assert!(bounded_quantity("100m", Measure::Cpu).is_ok());
        assert!(bounded_quantity("64Mi", Measure::Memory).is_ok());
        assert!(refresh_interval("0s").is_err());
        assert!(refresh_interval("0").is_err());
        assert!(refresh_interval("1h30m").is_ok());
    }

    #[test]
    fn retention_and_versions() {
        assert!(retention("30d").is_ok());
        assert!(retention("4w").is_ok());
        assert!(retention("0d").is_err());
        assert!(retention("30").is_err());
        assert!(retention("30 days").is_err());
        assert_eq!(major_minor("1.30"), Ok((1, 30)));
        assert!(major_minor("1").is_err());
    }
}
