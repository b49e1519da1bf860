//! CEL values over a borrowed JSON document.
//!
//! Input: `serde_json::Value`s of the object under check, and values a rule
//! computes (literals, lists it builds). Output: `Val`, CEL's equality and
//! ordering on it, and its type name for errors. Invariant: the document is
//! never copied (lists and maps of it are borrowed, items converted one at a
//! time); JSON integers are CEL `int` (`uint` past `i64::MAX`), other numbers
//! `double`, as the API server reads `integer` and `number` fields; equality is
//! the API server's heterogeneous equality (values of different types are
//! unequal, numbers compare across `int`, `uint` and `double`).

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Value};

/// One CEL value.
#[derive(Debug, Clone)]
pub(super) enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    Str(Cow<'a, str>),
    /// A list of the document.
    Array(&'a [Value]),
    /// A list the rule built (a literal, `filter`, `map`).
    List(Vec<Val<'a>>),
    /// A map (object) of the document.
    Object(&'a Map<String, Value>),
}

impl<'a> Val<'a> {
    /// The CEL value of a JSON value, borrowing it.
    pub(super) fn of(json: &'a Value) -> Self {
        match json {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(*b),
            Value::Number(number) => number.as_i64().map_or_else(
                || {
                    number.as_u64().map_or_else(
                        || Self::Double(number.as_f64().unwrap_or(f64::NAN)),
                        Self::Uint,
                    )
                },
                Self::Int,
            ),
            Value::String(text) => Self::Str(Cow::Borrowed(text)),
            Value::Array(items) => Self::Array(items),
            Value::Object(map) => Self::Object(map),
        }
    }

    /// CEL's name of the value's type.
    pub(super) fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null_type",
            Self::Bool(_) => "bool",
            Self::Int(_) => "int",
            Self::Uint(_) => "uint",
            Self::Double(_) => "double",
            Self::Str(_) => "string",
            Self::Array(_) | Self::List(_) => "list",
            Self::Object(_) => "map",
        }
    }

    /// The items of a list, converted one by one.
    pub(super) fn list_items(&self) -> Option<Vec<Val<'a>>> {
        match self {
            Self::Array(items) => Some(items.iter().map(Val::of).collect()),
            Self::List(items) => Some(items.clone()),
            _ => None,
        }
    }

    fn len(&self) -> Option<usize> {
        match self {
            Self::Array(items) => Some(items.len()),
            Self::List(items) => Some(items.len()),
            Self::Object(map) => Some(map.len()),
            _ => None,
        }
    }

    fn item(&self, i: usize) -> Option<Val<'a>> {
        match self {
            Self::Array(items) => items.get(i).map(Val::of),
            Self::List(items) => items.get(i).cloned(),
            _ => None,
        }
    }

    /// CEL equality: deep on lists and maps, numeric across number types, false
    /// (not an error) between other types.
    pub(super) fn equals(&self, other: &Val<'_>) -> bool {
        match (self, other) {
            (Self::Null, Val::Null) => true,
            (Self::Bool(a), Val::Bool(b)) => a == b,
            (Self::Str(a), Val::Str(b)) => a == b,
            (Self::Object(a), Val::Object(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(key, value)| {
                        b.get(key)
                            .is_some_and(|other| Val::of(value).equals(&Val::of(other)))
                    })
            }
            _ => match (self.len(), other.len()) {
                (Some(n), Some(m)) if self.is_list() && other.is_list() => {
                    n == m
                        && (0..n).all(|i| match (self.item(i), other.item(i)) {
                            (Some(a), Some(b)) => a.equals(&b),
                            _ => false,
                        })
                }
                _ => self.compare_numbers(other) == Some(Ordering::Equal),
            },
        }
    }

    fn is_list(&self) -> bool {
        matches!(self, Self::Array(_) | Self::List(_))
    }

    /// CEL ordering (`<` and friends), `None` where CEL has no overload.
    pub(super) fn compare(&self, other: &Val<'_>) -> Option<Ordering> {
        match (self, other) {
            (Self::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
            // Rust compares UTF-8 bytewise, which is code-point order, CEL's.
            (Self::Str(a), Val::Str(b)) => Some(a.as_ref().cmp(b.as_ref())),
            _ => self.compare_numbers(other),
        }
    }

    /// The order of two numbers of any numeric type, exact across `int` and
    /// `uint`; `None` if either is not a number or a double is NaN.
    fn compare_numbers(&self, other: &Val<'_>) -> Option<Ordering> {
        match (self, other) {
            (Self::Int(a), Val::Int(b)) => Some(a.cmp(b)),
            (Self::Uint(a), Val::Uint(b)) => Some(a.cmp(b)),
            (Self::Int(a), Val::Uint(b)) => Some(i128::from(*a).cmp(&i128::from(*b))),
            (Self::Uint(a), Val::Int(b)) => Some(i128::from(*a).cmp(&i128::from(*b))),
            (Self::Double(a), Val::Double(b)) => a.partial_cmp(b),
            (Self::Double(a), Val::Int(_) | Val::Uint(_)) => compare_double(*a, other),
            (Self::Int(_) | Self::Uint(_), Val::Double(b)) => {
                compare_double(*b, self).map(Ordering::reverse)
            }
            _ => None,
        }
    }
}

/// The order of double `d` relative to integer `n`.
fn compare_double(d: f64, n: &Val<'_>) -> Option<Ordering> {
    let n = match n {
        Val::Int(i) => i128::from(*i),
        Val::Uint(u) => i128::from(*u),
        _ => return None,
    };
    if d.is_nan() {
        return None;
    }
    // Every int64 and uint64 lies strictly inside ±2^65, where the comparison
    // after truncation is exact.
    if d >= 36_893_488_147_419_103_232.0 {
        return Some(Ordering::Greater);
    }
    if d <= -36_893_488_147_419_103_232.0 {
        return Some(Ordering::Less);
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "bounded above; the fraction is compared next"
    )]
    let whole = d.trunc() as i128;
    Some(
        whole
            .cmp(&n)
            .then_with(|| d.fract().partial_cmp(&0.0).unwrap_or(Ordering::Equal)),
    )
}

/// `string(double)` as the API server writes it: Go's shortest `%g` form
/// (`strconv.FormatFloat(d, 'g', -1, 64)`): `100000`, `1e+06`, `0.0001`, `1e-05`.
pub(super) fn format_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".to_owned();
    }
    if d.is_infinite() {
        return if d > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rust's `{:e}` is the shortest round-trip digits: `d.ddde±x`.
    let scientific = format!("{:e}", d.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if d < 0.0 { "-" } else { "" };
    // Go's rule for the shortest form: exponent notation below 1e-4 and from 1e6.
    if !(-4..6).contains(&exponent) {
        return go_exponent(sign, &digits, exponent);
    }
    let point = exponent + 1;
    let text = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else {
        let point = usize::try_from(point).unwrap_or_default();
        if digits.len() <= point {
            format!("{digits}{}", "0".repeat(point - digits.len()))
        } else {
            format!("{}.{}", &digits[..point], &digits[point..])
        }
    };
    format!("{sign}{text}")
}

fn go_exponent(sign: &str, digits: &str, exponent: i32) -> String {
    let (first, rest) = digits.split_at(1);
    let fraction = if rest.is_empty() {
        String::new()
    } else {
        format!(".{rest}")
    };
    let exponent_sign = if exponent < 0 { '-' } else { '+' };
    format!(
        "{sign}{first}{fraction}e{exponent_sign}{:02}",
        exponent.unsigned_abs()
    )
}
