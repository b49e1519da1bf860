//! A Kubernetes resource quantity (CPU, memory, storage), parsed once.
//!
//! Input: quantity text as the user wrote it (`500m`, `2`, `512Mi`, `1e3`).
//! Output: `Quantity`: the text, kept byte for byte for the output, and its value in base
//! units (cores or bytes) for comparisons.
//! Invariant: a `Quantity` that reaches `plan` was parsed; `plan` prints `as_str()` and
//! never parses quantity text again.

use std::fmt;

/// A parsed quantity: the user's text and its value in base units.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    text: String,
    value: f64,
}

impl Quantity {
    /// `text` parsed: digits with at most one `.`, then an optional SI or binary suffix
    /// (`m`, `k`, `M`, `G`, `T`, `P`, `E`, `Ki`..`Ei`, `n`, `u`) or a decimal exponent
    /// (`e3`). `None` when it is not a quantity.
    pub fn parse(text: &str) -> Option<Self> {
        let (number, suffix) = split(text);
        let valid_number = !number.is_empty()
            && number.matches('.').count() <= 1
            && number.bytes().any(|b| b.is_ascii_digit());
        let factor = match suffix {
            "" => 1.0,
            "n" => 1e-9,
            "u" => 1e-6,
            "m" => 1e-3,
            "k" => 1e3,
            "M" => 1e6,
            "G" => 1e9,
            "T" => 1e12,
            "P" => 1e15,
            "E" => 1e18,
            "Ki" => 1024f64,
            "Mi" => 1024f64.powi(2),
            "Gi" => 1024f64.powi(3),
            "Ti" => 1024f64.powi(4),
            "Pi" => 1024f64.powi(5),
            "Ei" => 1024f64.powi(6),
            _ => exponent(suffix)?,
        };
        let number: f64 = number.parse().ok().filter(|_| valid_number)?;
        Some(Self {
            text: text.to_string(),
            value: number * factor,
        })
    }

    /// Text that failed to parse, held only until `validate` reports it: a spec with an
    /// error yields no `Checked`, so such a value never reaches `plan`. Its value is NaN,
    /// which compares neither above nor below anything, so no second error is derived.
    pub(crate) fn unparsed(text: String) -> Self {
        Self {
            text,
            value: f64::NAN,
        }
    }

    /// As the user wrote it: what the output prints.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// In base units: cores for CPU, bytes for memory and storage.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Whether `self` is more than `other` (a request above its limit).
    pub fn exceeds(&self, other: &Self) -> bool {
        self.value > other.value
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The number and the suffix of a quantity's text.
pub fn split(text: &str) -> (&str, &str) {
    let at = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    text.split_at(at)
}

fn exponent(suffix: &str) -> Option<f64> {
    let digits = suffix.strip_prefix(['e', 'E'])?;
    let power: i32 = digits.parse().ok()?;
    Some(10f64.powi(power))
}

#[cfg(test)]
mod tests {
    use super::Quantity;

    #[test]
    fn parses_and_keeps_the_text() {
        let q = |t: &str| Quantity::parse(t).map(|q| q.value());
        assert_eq!(q("500m"), Some(0.5));
        assert_eq!(q("2"), Some(2.0));
        assert_eq!(q("512Mi"), Some(512.0 * 1024.0 * 1024.0));
        assert_eq!(q("1e3"), Some(1000.0));
        assert_eq!(q("1.5G"), Some(1.5e9));
        for bad in ["", "Gi", ".", "1.2.3", "20Gb", "1e", "-1"] {
            assert_eq!(q(bad), None, "{bad}");
        }
        assert_eq!(Quantity::parse("0.50Gi").unwrap().as_str(), "0.50Gi");
    }

    #[test]
    fn compares_by_value_not_text() {
        let q = |t: &str| Quantity::parse(t).unwrap();
        assert!(q("1").exceeds(&q("500m")));
        assert!(!q("1024Mi").exceeds(&q("1Gi")));
        assert!(q("1Gi").exceeds(&q("1G")));
        assert!(!Quantity::unparsed("x".into()).exceeds(&q("1")));
    }
}
