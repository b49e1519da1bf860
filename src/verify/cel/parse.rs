//! The CEL parser: tokens to an expression tree, by precedence climbing.
//!
//! Input: one rule's text. Output: its `Expr`, with the macros (`has`, `all`,
//! `exists`, `exists_one`, `filter`, `map`) recognised by name and arity as CEL
//! expands them, or the first syntax error with its column. `Expr`'s `Display`
//! prints the tree back as fully parenthesised CEL that parses to the same tree.
//! Invariant: precedence and associativity are CEL's grammar (from loosest):
//! `?:` (right), `||`, `&&`, relations and `in`, `+ -`, `* / %`, unary `! -`,
//! member access, call and index; a form outside that grammar is an error,
//! never a guess.

use std::fmt;

use super::lex::{SyntaxError, Tok, Token, lex};

/// A binary operator (`&&`, `||` and `?:` have their own nodes: they absorb errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    fn symbol(self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::In => "in",
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
            Self::Rem => "%",
        }
    }
}

/// A comprehension macro over a list's items or a map's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Macro {
    All,
    Exists,
    ExistsOne,
    Filter,
    /// `map(x, t)`, or `map(x, p, t)` with a filter (`filter` is then `Some`).
    Map,
}

impl Macro {
    fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Exists => "exists",
            Self::ExistsOne => "exists_one",
            Self::Filter => "filter",
            Self::Map => "map",
        }
    }
}

/// A parsed CEL expression.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    Str(String),
    Ident(String),
    List(Vec<Expr>),
    /// `operand.field`.
    Select(Box<Expr>, String),
    /// `has(operand.field)`: whether the field is set; never errs on the field.
    Has(Box<Expr>, String),
    /// `operand[index]`.
    Index(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A function (`target` none) or method call that is not a macro.
    Call {
        target: Option<Box<Expr>>,
        name: String,
        args: Vec<Expr>,
    },
    /// `range.kind(var, filter?, body)`; `filter` only for the three-argument `map`.
    Comprehension {
        kind: Macro,
        range: Box<Expr>,
        var: String,
        filter: Option<Box<Expr>>,
        body: Box<Expr>,
    },
}

impl Expr {
    /// The names of the functions the expression calls (macros and operators
    /// are not calls), in order of appearance, with repeats.
    pub(super) fn calls<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Self::Null
            | Self::Bool(_)
            | Self::Int(_)
            | Self::Uint(_)
            | Self::Double(_)
            | Self::Str(_)
            | Self::Ident(_) => {}
            Self::List(items) => items.iter().for_each(|item| item.calls(out)),
            Self::Select(operand, _)
            | Self::Has(operand, _)
            | Self::Not(operand)
            | Self::Neg(operand) => {
                operand.calls(out);
            }
            Self::Index(a, b) | Self::Binary(_, a, b) | Self::And(a, b) | Self::Or(a, b) => {
                a.calls(out);
                b.calls(out);
            }
            Self::Cond(a, b, c) => {
                a.calls(out);
                b.calls(out);
                c.calls(out);
            }
            Self::Call { target, name, args } => {
                if let Some(target) = target {
                    target.calls(out);
                }
                out.push(name);
                for arg in args {
                    arg.calls(out);
                }
            }
            Self::Comprehension {
                range,
                filter,
                body,
                ..
            } => {
                range.calls(out);
                if let Some(filter) = filter {
                    filter.calls(out);
                }
                body.calls(out);
            }
        }
    }
}

/// CEL source text, fully parenthesised so that it parses back to the same tree.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, items: &[Expr]| -> fmt::Result {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{item}")?;
            }
            Ok(())
        };
        match self {
            Self::Null => f.write_str("null"),
            Self::Bool(b) => write!(f, "{b}"),
            // Parenthesised: `-1.size()` would otherwise read as `-(1.size())`.
            Self::Int(i) if *i < 0 => write!(f, "({i})"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Uint(u) => write!(f, "{u}u"),
            Self::Double(d) if d.is_sign_negative() => write!(f, "({d:?})"),
            Self::Double(d) => write!(f, "{d:?}"),
            Self::Str(text) => {
                f.write_str("\"")?;
                for c in text.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        c if c.is_control() => write!(f, "\\U{:08x}", u32::from(c))?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"")
            }
            Self::Ident(name) => f.write_str(name),
            Self::List(items) => {
                f.write_str("[")?;
                list(f, items)?;
                f.write_str("]")
            }
            Self::Select(operand, field) => write!(f, "{operand}.{field}"),
            Self::Has(operand, field) => write!(f, "has({operand}.{field})"),
            Self::Index(operand, index) => write!(f, "{operand}[{index}]"),
            Self::Not(operand) => write!(f, "(!{operand})"),
            // `-(...)`: a minus directly before a number would be read as part of it.
            Self::Neg(operand) => write!(f, "(-({operand}))"),
            Self::Binary(op, a, b) => write!(f, "({a} {} {b})", op.symbol()),
            Self::And(a, b) => write!(f, "({a} && {b})"),
            Self::Or(a, b) => write!(f, "({a} || {b})"),
            Self::Cond(a, b, c) => write!(f, "({a} ? {b} : {c})"),
            Self::Call { target, name, args } => {
                if let Some(target) = target {
                    write!(f, "{target}.")?;
                }
                write!(f, "{name}(")?;
                list(f, args)?;
                f.write_str(")")
            }
            Self::Comprehension {
                kind,
                range,
                var,
                filter,
                body,
            } => {
                write!(f, "{range}.{}({var}, ", kind.name())?;
                if let Some(filter) = filter {
                    write!(f, "{filter}, ")?;
                }
                write!(f, "{body})")
            }
        }
    }
}

/// The tree of `source`, or its first syntax error.
pub(super) fn parse(source: &str) -> Result<Expr, SyntaxError> {
    let tokens = lex(source)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        end: source.chars().count() + 1,
    };
    let expr = parser.expr()?;
    match parser.peek() {
        None => Ok(expr),
        Some(_) => Err(parser.error("expected the end of the expression")),
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// The column just past the last character, for errors at the end.
    end: usize,
}

/// How tightly each binary operator binds (higher binds tighter).
fn precedence(tok: &Tok) -> Option<u8> {
    match tok {
        Tok::Op("||") => Some(1),
        Tok::Op("&&") => Some(2),
        Tok::Op("==" | "!=" | "<" | "<=" | ">" | ">=" | "in") => Some(3),
        Tok::Op("+" | "-") => Some(4),
        Tok::Op("*" | "/" | "%") => Some(5),
        _ => None,
    }
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|token| &token.tok)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Tok> {
        self.tokens.get(self.pos + ahead).map(|token| &token.tok)
    }

    fn next(&mut self) -> Option<Tok> {
        let tok = self.tokens.get(self.pos).map(|token| token.tok.clone());
        self.pos += 1;
        tok
    }

    fn error(&self, expected: &str) -> SyntaxError {
        let (column, found) = self.tokens.get(self.pos).map_or_else(
            || (self.end, "the end".to_owned()),
            |token| (token.column, describe(&token.tok)),
        );
        SyntaxError {
            column,
            message: format!("{expected}, found {found}"),
        }
    }

    fn eat(&mut self, op: &str) -> bool {
        let found = matches!(self.peek(), Some(Tok::Op(o)) if *o == op);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, op: &str) -> Result<(), SyntaxError> {
        if self.eat(op) {
            Ok(())
        } else {
            Err(self.error(&format!("expected `{op}`")))
        }
    }

    fn ident(&mut self) -> Result<String, SyntaxError> {
        match self.peek() {
            Some(Tok::Ident(name)) => {
                let name = name.clone();
                self.pos += 1;
                Ok(name)
            }
            _ => Err(self.error("expected an identifier")),
        }
    }

    /// `or ('?' or ':' expr)?`: the middle operand cannot be a bare conditional.
    fn expr(&mut self) -> Result<Expr, SyntaxError> {
        let condition = self.binary(1)?;
        if !self.eat("?") {
            return Ok(condition);
        }
        let then = self.binary(1)?;
        self.expect(":")?;
        let otherwise = self.expr()?;
        Ok(Expr::Cond(
            Box::new(condition),
            Box::new(then),
            Box::new(otherwise),
        ))
    }

    /// Left-associative binary operators binding at least as tightly as `min`.
    fn binary(&mut self, min: u8) -> Result<Expr, SyntaxError> {
        let mut lhs = self.unary()?;
        while let Some(prec) = self.peek().and_then(precedence).filter(|p| *p >= min) {
            let Some(Tok::Op(op)) = self.next() else {
                unreachable!("precedence() matches operators only")
            };
            let rhs = Box::new(self.binary(prec + 1)?);
            let lhs_box = Box::new(lhs);
            lhs = match op {
                "||" => Expr::Or(lhs_box, rhs),
                "&&" => Expr::And(lhs_box, rhs),
                _ => Expr::Binary(binop(op), lhs_box, rhs),
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        match self.peek() {
            Some(Tok::Op("!")) => {
                self.pos += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            // A minus directly before a number is part of the literal (CEL's grammar),
            // so the smallest int64 can be written.
            Some(Tok::Op("-"))
                if !matches!(self.peek_at(1), Some(Tok::Int(_) | Tok::Double(_))) =>
            {
                self.pos += 1;
                Ok(Expr::Neg(Box::new(self.unary()?)))
            }
            _ => self.member(),
        }
    }

    /// A primary expression followed by field selections, method calls and indexes.
    fn member(&mut self) -> Result<Expr, SyntaxError> {
        let mut expr = self.primary()?;
        loop {
            if self.eat(".") {
                let column = self.tokens.get(self.pos).map_or(self.end, |t| t.column);
                let name = self.ident()?;
                if self.eat("(") {
                    let args = self.sequence(")")?;
                    expr = method(expr, name, args)
                        .map_err(|message| SyntaxError { column, message })?;
                } else {
                    expr = Expr::Select(Box::new(expr), name);
                }
            } else if self.eat("[") {
                let index = self.expr()?;
                self.expect("]")?;
                expr = Expr::Index(Box::new(expr), Box::new(index));
            } else {
                return Ok(expr);
            }
        }
    }

    /// Comma-separated expressions up to `close`, a trailing comma allowed.
    fn sequence(&mut self, close: &str) -> Result<Vec<Expr>, SyntaxError> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Ok(items);
            }
            items.push(self.expr()?);
            if !self.eat(",") {
                self.expect(close)?;
                return Ok(items);
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let column = self.tokens.get(self.pos).map_or(self.end, |t| t.column);
        let error = |message: &str| SyntaxError {
            column,
            message: message.to_owned(),
        };
        let Some(tok) = self.next() else {
            self.pos -= 1;
            return Err(self.error("expected an expression"));
        };
        Ok(match tok {
            Tok::Null => Expr::Null,
            Tok::Bool(b) => Expr::Bool(b),
            Tok::Int(magnitude) => Expr::Int(
                i64::try_from(magnitude).map_err(|_| error("integer literal out of range"))?,
            ),
            Tok::Uint(u) => Expr::Uint(u),
            Tok::Double(d) => Expr::Double(d),
            Tok::Str(text) => Expr::Str(text),
            Tok::Op("-") => match self.next() {
                Some(Tok::Int(magnitude)) => Expr::Int(
                    0_i64
                        .checked_sub_unsigned(magnitude)
                        .ok_or_else(|| error("integer literal out of range"))?,
                ),
                Some(Tok::Double(d)) => Expr::Double(-d),
                _ => unreachable!("unary() sends a minus here only before a number"),
            },
            Tok::Op("(") => {
                let inner = self.expr()?;
                self.expect(")")?;
                inner
            }
            Tok::Op("[") => Expr::List(self.sequence("]")?),
            Tok::Op("{") => return Err(error("map literals are not supported")),
            Tok::Op(".") => Expr::Ident(self.ident()?),
            Tok::Ident(name) => {
                if self.eat("(") {
                    let args = self.sequence(")")?;
                    function(name, args).map_err(|message| error(&message))?
                } else if self.peek() == Some(&Tok::Op("{")) {
                    return Err(error("message construction is not supported"));
                } else {
                    Expr::Ident(name)
                }
            }
            Tok::Op(_) => {
                self.pos -= 1;
                return Err(self.error("expected an expression"));
            }
        })
    }
}

fn binop(op: &str) -> BinOp {
    match op {
        "==" => BinOp::Eq,
        "!=" => BinOp::Ne,
        "<" => BinOp::Lt,
        "<=" => BinOp::Le,
        ">" => BinOp::Gt,
        ">=" => BinOp::Ge,
        "in" => BinOp::In,
        "+" => BinOp::Add,
        "-" => BinOp::Sub,
        "*" => BinOp::Mul,
        "/" => BinOp::Div,
        _ => BinOp::Rem,
    }
}

/// A global call: `has(a.b)` is the macro; anything else a plain call.
fn function(name: String, mut args: Vec<Expr>) -> Result<Expr, String> {
    if name == "has" && args.len() == 1 {
        return match args.pop() {
            Some(Expr::Select(operand, field)) => Ok(Expr::Has(operand, field)),
            _ => Err("invalid argument to has() macro: it takes a field selection".to_owned()),
        };
    }
    Ok(Expr::Call {
        target: None,
        name,
        args,
    })
}

/// A method call: a comprehension macro when its name and arity are one's.
fn method(target: Expr, name: String, mut args: Vec<Expr>) -> Result<Expr, String> {
    let kind = match (name.as_str(), args.len()) {
        ("all", 2) => Macro::All,
        ("exists", 2) => Macro::Exists,
        ("exists_one", 2) => Macro::ExistsOne,
        ("filter", 2) => Macro::Filter,
        ("map", 2 | 3) => Macro::Map,
        _ => {
            return Ok(Expr::Call {
                target: Some(Box::new(target)),
                name,
                args,
            });
        }
    };
    let body = args.pop().map(Box::new);
    let filter = (args.len() == 2)
        .then(|| args.pop().map(Box::new))
        .flatten();
    let Some(Expr::Ident(var)) = args.pop() else {
        return Err(format!(
            "the first argument of {name}() must be a variable name"
        ));
    };
    Ok(Expr::Comprehension {
        kind,
        range: Box::new(target),
        var,
        filter,
        body: body.ok_or_else(|| format!("{name}() needs a body"))?,
    })
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Int(i) => format!("`{i}`"),
        Tok::Uint(u) => format!("`{u}u`"),
        Tok::Double(d) => format!("`{d}`"),
        Tok::Str(_) => "a string".to_owned(),
        Tok::Bool(b) => format!("`{b}`"),
        Tok::Null => "`null`".to_owned(),
        Tok::Ident(name) => format!("`{name}`"),
        Tok::Op(op) => format!("`{op}`"),
    }
}
