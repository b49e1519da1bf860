//! Syntactic rules for names and values, each a pure function returning why a value
//! is invalid. Sources: Kubernetes' apimachinery validation (DNS-1123/1035, label
//! values, quantities), PostgreSQL identifier rules, CNPG's webhook (cluster names
//! ≤ 50 characters) and its reserved role and database names.

/// DNS-1123 label: Namespace names, most object names' parts.
pub fn dns1123_label(name: &str) -> Result<(), String> {
    label_like(name, 63, false)
}

/// DNS-1035 label (starts with a letter): Service and CNPG Cluster names.
pub fn dns1035_label(name: &str, max: usize) -> Result<(), String> {
    label_like(name, max, true)
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
pub fn dns1123_subdomain(name: &str) -> Result<(), String> {
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
pub fn label_value(value: &str) -> Result<(), String> {
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
pub fn pg_identifier(name: &str) -> Result<(), String> {
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

/// Why a database or role name is reserved, if it is.
pub fn reserved(name: &str) -> Option<&'static str> {
    match name {
        "postgres" => Some("is the superuser and maintenance database of every cluster"),
        "template0" | "template1" => Some("is a PostgreSQL template database"),
        "streaming_replica" => Some("is the replication role CNPG manages"),
        "app" => Some("is the database and owner CNPG creates at bootstrap"),
        _ if name.starts_with("pg_") => Some("starts with `pg_`, reserved by PostgreSQL"),
        _ if name.starts_with("cnpg_") => Some("starts with `cnpg_`, reserved by CloudNativePG"),
        _ => None,
    }
}

/// A parsed Kubernetes quantity, as a number of base units.
pub fn quantity(text: &str) -> Result<f64, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let valid_number = !number.is_empty()
        && number.matches('.').count() <= 1
        && number != "."
        && number.bytes().any(|b| b.is_ascii_digit());
    let factor = match suffix {
        "" => Some(1.0),
        "n" => Some(1e-9),
        "u" => Some(1e-6),
        "m" => Some(1e-3),
        "k" => Some(1e3),
        "M" => Some(1e6),
        "G" => Some(1e9),
        "T" => Some(1e12),
        "P" => Some(1e15),
        "E" => Some(1e18),
        "Ki" => Some(1024f64),
        "Mi" => Some(1024f64.powi(2)),
        "Gi" => Some(1024f64.powi(3)),
        "Ti" => Some(1024f64.powi(4)),
        "Pi" => Some(1024f64.powi(5)),
        "Ei" => Some(1024f64.powi(6)),
        _ => exponent(suffix),
    };
    match (valid_number, factor, number.parse::<f64>()) {
        (true, Some(factor), Ok(n)) => Ok(n * factor),
        _ => Err(quantity_hint(number, suffix)),
    }
}

fn exponent(suffix: &str) -> Option<f64> {
    let digits = suffix.strip_prefix(['e', 'E'])?;
    let power: i32 = digits.parse().ok()?;
    Some(10f64.powi(power))
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

/// A Go duration as External Secrets reads `refreshInterval` (e.g. `1h`, `1h30m`, `90s`).
pub fn go_duration(text: &str) -> Result<(), String> {
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

/// A PostgreSQL version as `major` or `major.minor`, with a major CNPG 1.30 supports.
pub fn pg_version(text: &str) -> Result<u32, String> {
    let mut parts = text.split('.');
    let major = parts.next().and_then(|m| m.parse::<u32>().ok());
    let minor_ok = parts.next().is_none_or(|m| m.parse::<u32>().is_ok());
    match (major, minor_ok, parts.next()) {
        (Some(major @ 14..=18), true, None) => Ok(major),
        (Some(major), true, None) => Err(format!(
            "PostgreSQL {major} is not supported by CloudNativePG 1.30 (14 to 18 are)"
        )),
        _ => Err("must be `major.minor`, like `17.6`".into()),
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
    fn quantities() {
        assert_eq!(quantity("500m").unwrap(), 0.5);
        assert_eq!(quantity("2").unwrap(), 2.0);
        assert_eq!(quantity("512Mi").unwrap(), 512.0 * 1024.0 * 1024.0);
        assert_eq!(quantity("1e3").unwrap(), 1000.0);
        let error = quantity("20Gb").unwrap_err();
        assert!(error.contains("`20Gi`"), "{error}");
        assert!(quantity("").is_err());
        assert!(quantity("Gi").is_err());
        assert!(quantity("1.2.3").is_err());
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
