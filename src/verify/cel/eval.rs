//! The CEL evaluator: a parsed rule applied to `self` (and `oldSelf`).
//!
//! Input: an `Expr` and the bound variables (borrowed JSON). Output: the rule's
//! value, or the error the API server's cel-go would raise (`no such key`,
//! `no such overload`, integer overflow, division by zero, index out of range).
//! Invariant: errors are values as in CEL: `&&`, `||`, `all` and `exists`
//! absorb an error when another operand decides the result (in either order);
//! everything else propagates it. Nothing of the document is copied.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::parse::{BinOp, Expr, Macro};
use super::value::{Val, format_double};

/// An evaluation error, worded like cel-go's.
pub(super) type Error = String;

/// Variables in scope: `self`, `oldSelf` and the macros' iteration variables,
/// innermost last.
pub(super) struct Scope<'s, 'a> {
    pub(super) name: &'s str,
    pub(super) value: Val<'a>,
    pub(super) outer: Option<&'s Scope<'s, 'a>>,
}

impl<'a> Scope<'_, 'a> {
    fn lookup(&self, name: &str) -> Option<&Val<'a>> {
        if self.name == name {
            Some(&self.value)
        } else {
            self.outer.and_then(|outer| outer.lookup(name))
        }
    }
}

fn no_overload(function: &str, args: &[&Val<'_>]) -> Error {
    let types: Vec<&str> = args.iter().map(|arg| arg.type_name()).collect();
    format!("no such overload: {function}({})", types.join(", "))
}

/// The value of `expr` in `scope`.
pub(super) fn eval<'a>(expr: &'a Expr, scope: &Scope<'_, 'a>) -> Result<Val<'a>, Error> {
    match expr {
        Expr::Null => Ok(Val::Null),
        Expr::Bool(b) => Ok(Val::Bool(*b)),
        Expr::Int(i) => Ok(Val::Int(*i)),
        Expr::Uint(u) => Ok(Val::Uint(*u)),
        Expr::Double(d) => Ok(Val::Double(*d)),
        Expr::Str(text) => Ok(Val::Str(Cow::Borrowed(text))),
        Expr::Ident(name) => scope
            .lookup(name)
            .cloned()
            .ok_or_else(|| format!("undeclared reference to '{name}'")),
        Expr::List(items) => items
            .iter()
            .map(|item| eval(item, scope))
            .collect::<Result<_, _>>()
            .map(Val::List),
        Expr::Select(operand, field) => select(eval(operand, scope)?, field),
        Expr::Has(operand, field) => match eval(operand, scope)? {
            Val::Object(map) => Ok(Val::Bool(map.contains_key(field))),
            other => Err(format!(
                "invalid type for field selection: {}",
                other.type_name()
            )),
        },
        Expr::Index(operand, index) => {
            let operand = eval(operand, scope)?;
            let index = eval(index, scope)?;
            self::index(&operand, &index)
        }
        Expr::Not(operand) => match eval(operand, scope)? {
            Val::Bool(b) => Ok(Val::Bool(!b)),
            other => Err(no_overload("!_", &[&other])),
        },
        Expr::Neg(operand) => match eval(operand, scope)? {
            Val::Int(i) => i.checked_neg().map(Val::Int).ok_or_else(overflow),
            Val::Double(d) => Ok(Val::Double(-d)),
            other => Err(no_overload("-_", &[&other])),
        },
        Expr::And(a, b) => logic(eval(a, scope), || eval(b, scope), false),
        Expr::Or(a, b) => logic(eval(a, scope), || eval(b, scope), true),
        Expr::Cond(condition, then, otherwise) => match eval(condition, scope)? {
            Val::Bool(true) => eval(then, scope),
            Val::Bool(false) => eval(otherwise, scope),
            other => Err(no_overload("_?_:_", &[&other])),
        },
        Expr::Binary(op, a, b) => binary(*op, &eval(a, scope)?, &eval(b, scope)?),
        Expr::Call { target, name, args } => {
            let target = target.as_ref().map(|t| eval(t, scope)).transpose()?;
            let args = args
                .iter()
                .map(|arg| eval(arg, scope))
                .collect::<Result<Vec<_>, _>>()?;
            call(name, target.as_ref(), &args)
        }
        Expr::Comprehension {
            kind,
            range,
            var,
            filter,
            body,
        } => comprehension(
            *kind,
            &eval(range, scope)?,
            var,
            filter.as_deref(),
            body,
            scope,
        ),
    }
}

fn overflow() -> Error {
    "integer overflow".to_owned()
}

fn select<'a>(operand: Val<'a>, field: &str) -> Result<Val<'a>, Error> {
    match operand {
        Val::Object(map) => map
            .get(field)
            .map(Val::of)
            .ok_or_else(|| format!("no such key: {field}")),
        other => Err(format!(
            "invalid type for field selection: {}",
            other.type_name()
        )),
    }
}

fn index<'a>(operand: &Val<'a>, index: &Val<'_>) -> Result<Val<'a>, Error> {
    match (operand, index) {
        (Val::Object(map), Val::Str(key)) => map
            .get(key.as_ref())
            .map(Val::of)
            .ok_or_else(|| format!("no such key: {key}")),
        (Val::Object(_), _) => Err(format!("no such key: {}", describe(index))),
        (Val::Array(_) | Val::List(_), Val::Int(_) | Val::Uint(_) | Val::Double(_)) => {
            let items = operand.list_items().unwrap_or_default();
            let position = match *index {
                Val::Int(i) => usize::try_from(i).ok(),
                Val::Uint(u) => usize::try_from(u).ok(),
                // A double indexes only when it is a whole number (cel-go).
                Val::Double(d) if d.fract() == 0.0 && (0.0..9.0e15).contains(&d) => {
                    format!("{d:.0}").parse().ok()
                }
                _ => None,
            };
            position
                .and_then(|i| items.into_iter().nth(i))
                .ok_or_else(|| format!("index out of range: {}", describe(index)))
        }
        _ => Err(no_overload("_[_]", &[operand, index])),
    }
}

/// `&&` (`decisive` false) and `||` (`decisive` true): the decisive value wins over
/// an error on either side; otherwise the left error, then the right one.
fn logic<'a>(
    left: Result<Val<'a>, Error>,
    right: impl FnOnce() -> Result<Val<'a>, Error>,
    decisive: bool,
) -> Result<Val<'a>, Error> {
    let function = if decisive { "_||_" } else { "_&&_" };
    let left = match left {
        Ok(Val::Bool(b)) if b == decisive => return Ok(Val::Bool(b)),
        Ok(Val::Bool(b)) => Ok(b),
        Ok(other) => Err(no_overload(function, &[&other])),
        Err(error) => Err(error),
    };
    match (left, right()) {
        (_, Ok(Val::Bool(b))) if b == decisive => Ok(Val::Bool(b)),
        (Err(error), _) | (Ok(_), Err(error)) => Err(error),
        (Ok(_), Ok(Val::Bool(b))) => Ok(Val::Bool(b)),
        (Ok(_), Ok(other)) => Err(no_overload(function, &[&other])),
    }
}

fn binary<'a>(op: BinOp, a: &Val<'a>, b: &Val<'a>) -> Result<Val<'a>, Error> {
    let order = |function: &str, accept: fn(Ordering) -> bool| {
        a.compare(b)
            .map(|ordering| Val::Bool(accept(ordering)))
            .ok_or_else(|| no_overload(function, &[a, b]))
    };
    match op {
        BinOp::Eq => Ok(Val::Bool(a.equals(b))),
        BinOp::Ne => Ok(Val::Bool(!a.equals(b))),
        BinOp::Lt => order("_<_", Ordering::is_lt),
        BinOp::Le => order("_<=_", Ordering::is_le),
        BinOp::Gt => order("_>_", Ordering::is_gt),
        BinOp::Ge => order("_>=_", Ordering::is_ge),
        BinOp::In => match b {
            Val::Object(map) => Ok(Val::Bool(
                matches!(a, Val::Str(key) if map.contains_key(key.as_ref())),
            )),
            Val::Array(_) | Val::List(_) => Ok(Val::Bool(
                b.list_items()
                    .unwrap_or_default()
                    .iter()
                    .any(|item| item.equals(a)),
            )),
            _ => Err(no_overload("@in", &[a, b])),
        },
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => arithmetic(op, a, b),
    }
}

/// Integer arithmetic that reports overflow as `None`, for `i64` and `u64` alike (std has
/// no trait for the `checked_*` methods).
macro_rules! checked {
    ($op:expr, $x:expr, $y:expr) => {
        match $op {
            BinOp::Add => $x.checked_add($y),
            BinOp::Sub => $x.checked_sub($y),
            BinOp::Mul => $x.checked_mul($y),
            BinOp::Div => $x.checked_div($y),
            _ => $x.checked_rem($y),
        }
    };
}

fn arithmetic<'a>(op: BinOp, a: &Val<'a>, b: &Val<'a>) -> Result<Val<'a>, Error> {
    let function = match op {
        BinOp::Add => "_+_",
        BinOp::Sub => "_-_",
        BinOp::Mul => "_*_",
        BinOp::Div => "_/_",
        _ => "_%_",
    };
    let zero = |divisor_is_zero: bool| match op {
        BinOp::Div if divisor_is_zero => Some("division by zero".to_owned()),
        BinOp::Rem if divisor_is_zero => Some("modulus by zero".to_owned()),
        _ => None,
    };
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => {
            if let Some(error) = zero(*y == 0) {
                return Err(error);
            }
            checked!(op, x, *y).map(Val::Int).ok_or_else(overflow)
        }
        (Val::Uint(x), Val::Uint(y)) => {
            if let Some(error) = zero(*y == 0) {
                return Err(error);
            }
            checked!(op, x, *y).map(Val::Uint).ok_or_else(overflow)
        }
        (Val::Double(x), Val::Double(y)) if op != BinOp::Rem => Ok(Val::Double(match op {
            BinOp::Add => x + y,
            BinOp::Sub => x - y,
            BinOp::Mul => x * y,
            _ => x / y,
        })),
        (Val::Str(x), Val::Str(y)) if op == BinOp::Add => {
            Ok(Val::Str(Cow::Owned(format!("{x}{y}"))))
        }
        (Val::Array(_) | Val::List(_), Val::Array(_) | Val::List(_)) if op == BinOp::Add => {
            let mut items = a.list_items().unwrap_or_default();
            items.extend(b.list_items().unwrap_or_default());
            Ok(Val::List(items))
        }
        _ => Err(no_overload(function, &[a, b])),
    }
}

/// A function or method call outside the macros.
fn call<'a>(name: &str, target: Option<&Val<'a>>, args: &[Val<'a>]) -> Result<Val<'a>, Error> {
    let size = |value: &Val<'_>| match value {
        Val::Str(text) => Some(text.chars().count()),
        Val::Array(items) => Some(items.len()),
        Val::List(items) => Some(items.len()),
        Val::Object(map) => Some(map.len()),
        _ => None,
    };
    match (name, target, args) {
        ("size", Some(value), []) | ("size", None, [value]) => size(value)
            .and_then(|n| i64::try_from(n).ok())
            .map(Val::Int)
            .ok_or_else(|| no_overload("size", &[value])),
        ("startsWith" | "endsWith" | "contains", Some(Val::Str(text)), [Val::Str(part)]) => {
            Ok(Val::Bool(match name {
                "startsWith" => text.starts_with(part.as_ref()),
                "endsWith" => text.ends_with(part.as_ref()),
                _ => text.contains(part.as_ref()),
            }))
        }
        ("int", None, [value]) => to_int(value),
        ("string", None, [value]) => to_string(value),
        _ => {
            let mut all: Vec<&Val<'_>> = target.into_iter().collect();
            all.extend(args);
            Err(no_overload(name, &all))
        }
    }
}

fn to_int<'a>(value: &Val<'a>) -> Result<Val<'a>, Error> {
    match value {
        Val::Int(i) => Ok(Val::Int(*i)),
        Val::Uint(u) => i64::try_from(*u).map(Val::Int).map_err(|_| overflow()),
        // cel-go truncates toward zero and refuses what int64 cannot hold.
        Val::Double(d)
            if d.is_finite() && *d > -9.223_372_036_854_776e18 && *d < 9.223_372_036_854_776e18 =>
        {
            format!("{:.0}", d.trunc())
                .parse()
                .map(Val::Int)
                .map_err(|_| overflow())
        }
        Val::Double(_) => Err(overflow()),
        Val::Str(text) => text
            .parse()
            .map(Val::Int)
            .map_err(|_| format!("cannot convert '{text}' to int")),
        other => Err(no_overload("int", &[other])),
    }
}

fn to_string<'a>(value: &Val<'a>) -> Result<Val<'a>, Error> {
    let text = match value {
        Val::Str(text) => return Ok(Val::Str(text.clone())),
        Val::Bool(b) => b.to_string(),
        Val::Int(i) => i.to_string(),
        Val::Uint(u) => u.to_string(),
        Val::Double(d) => format_double(*d),
        other => return Err(no_overload("string", &[other])),
    };
    Ok(Val::Str(Cow::Owned(text)))
}

fn describe(value: &Val<'_>) -> String {
    match value {
        Val::Int(i) => i.to_string(),
        Val::Uint(u) => format!("{u}u"),
        Val::Double(d) => format_double(*d),
        Val::Str(text) => format!("'{text}'"),
        other => other.type_name().to_owned(),
    }
}

/// A comprehension macro: over a list's items, or a map's keys.
fn comprehension<'a>(
    kind: Macro,
    range: &Val<'a>,
    var: &str,
    filter: Option<&'a Expr>,
    body: &'a Expr,
    scope: &Scope<'_, 'a>,
) -> Result<Val<'a>, Error> {
    let items = match range {
        Val::Object(map) => map.keys().map(|key| Val::Str(Cow::Borrowed(key))).collect(),
        _ => range.list_items().ok_or_else(|| {
            format!(
                "expression of type {} cannot be range of a comprehension",
                range.type_name()
            )
        })?,
    };
    let run = |expr: &'a Expr, item: Val<'a>| {
        let inner = Scope {
            name: var,
            value: item,
            outer: Some(scope),
        };
        eval(expr, &inner)
    };
    let predicate = |expr: &'a Expr, item: Val<'a>, function: &str| match run(expr, item)? {
        Val::Bool(b) => Ok(b),
        other => Err(no_overload(function, &[&other])),
    };
    match kind {
        Macro::All | Macro::Exists => {
            // `all` stops at the first false, `exists` at the first true; an
            // error counts only if no item decides.
            let decisive = kind == Macro::Exists;
            let function = if decisive { "_||_" } else { "_&&_" };
            let mut error = None;
            for item in items {
                match predicate(body, item, function) {
                    Ok(b) if b == decisive => return Ok(Val::Bool(decisive)),
                    Ok(_) => {}
                    Err(e) => {
                        error.get_or_insert(e);
                    }
                }
            }
            error.map_or(Ok(Val::Bool(!decisive)), Err)
        }
        Macro::ExistsOne => {
            let mut count = 0_usize;
            for item in items {
                count += usize::from(predicate(body, item, "exists_one")?);
            }
            Ok(Val::Bool(count == 1))
        }
        Macro::Filter => {
            let mut kept = Vec::new();
            for item in items {
                if predicate(body, item.clone(), "filter")? {
                    kept.push(item);
                }
            }
            Ok(Val::List(kept))
        }
        Macro::Map => {
            let mut mapped = Vec::new();
            for item in items {
                if let Some(filter) = filter
                    && !predicate(filter, item.clone(), "map")?
                {
                    continue;
                }
                mapped.push(run(body, item)?);
            }
            Ok(Val::List(mapped))
        }
    }
}
