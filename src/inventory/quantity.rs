//! Kubernetes resource quantities as numbers, and back.
//!
//! Input: quantity strings as dbgen writes them (`100m`, `2`, `0.5`, `512Mi`, `1G`).
//! Output: millicores for CPU, bytes for memory and storage; exact text for totals.
//! Invariant: no rounding: a total prints in the largest unit that divides it exactly.

use serde_json::Value;

const BINARY: [(&str, u64); 5] = [
    ("Ki", 1 << 10),
    ("Mi", 1 << 20),
    ("Gi", 1 << 30),
    ("Ti", 1 << 40),
    ("Pi", 1 << 50),
];
const DECIMAL: [(&str, u64); 5] = [
    ("k", 1_000),
    ("M", 1_000_000),
    ("G", 1_000_000_000),
    ("T", 1_000_000_000_000),
    ("P", 1_000_000_000_000_000),
];

/// `value` (a string or a number) scaled by `unit` per its suffix; `None` when unparsable.
fn scaled(value: &Value, unit: u64, suffixes: &[(&str, u64)]) -> Option<u64> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let (number, factor) = suffixes
        .iter()
        .find_map(|(suffix, factor)| text.strip_suffix(suffix).map(|n| (n, *factor)))
        .unwrap_or((text.as_str(), unit));
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let whole: u64 = whole.parse().ok()?;
    let digits: u32 = u32::try_from(fraction.len()).ok()?;
    let fraction: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let part = fraction * u128::from(factor) / 10u128.checked_pow(digits)?;
    whole
        .checked_mul(factor)?
        .checked_add(u64::try_from(part).ok()?)
}

/// CPU in millicores.
pub(super) fn cpu(value: &Value) -> Option<u64> {
    scaled(value, 1000, &[("m", 1)])
}

/// Memory or storage in bytes.
pub(super) fn bytes(value: &Value) -> Option<u64> {
    let mut suffixes = BINARY.to_vec();
    suffixes.extend(DECIMAL);
    scaled(value, 1, &suffixes)
}

/// Millicores as Kubernetes writes them: `2`, `1500m`.
pub fn format_cpu(millis: u64) -> String {
    if millis.is_multiple_of(1000) {
        (millis / 1000).to_string()
    } else {
        format!("{millis}m")
    }
}

/// Bytes in the largest binary unit that divides them exactly: `60Gi`, `1152Mi`.
pub fn format_bytes(bytes: u64) -> String {
    if bytes == 0 {
        return "0".to_owned();
    }
    BINARY
        .iter()
        .rev()
        .find(|(_, factor)| bytes.is_multiple_of(*factor))
        .map_or_else(
            || bytes.to_string(),
            |(suffix, factor)| format!("{}{suffix}", bytes / factor),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_prints_exactly() {
        assert_eq!(cpu(&json!("100m")), Some(100));
        assert_eq!(cpu(&json!("0.5")), Some(500));
        assert_eq!(cpu(&json!(2)), Some(2000));
        assert_eq!(bytes(&json!("512Mi")), Some(512 << 20));
        assert_eq!(bytes(&json!("1G")), Some(1_000_000_000));
        assert_eq!(bytes(&json!("1.5Gi")), Some(3 << 29));
        assert_eq!(bytes(&json!("lots")), None);
        assert_eq!(format_cpu(1500), "1500m");
        assert_eq!(format_cpu(3000), "3");
        assert_eq!(format_bytes(60 << 30), "60Gi");
        assert_eq!(format_bytes(1152 << 20), "1152Mi");
    }
}
