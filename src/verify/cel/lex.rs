//! The CEL lexer: a rule's text to tokens.
//!
//! Input: one `x-kubernetes-validations` expression. Output: its tokens, each with
//! the 1-based column (in characters) where it starts, or the first lexical error
//! with its column. Invariant: every literal form of the CEL grammar the lexer
//! accepts gets its CEL value (escapes, raw strings, triple quotes, hex, `u`
//! suffix); forms dbgen does not evaluate (bytes literals) are refused with a
//! reason, never read as something else.

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// An integer literal's magnitude: the parser applies a leading minus, so
    /// `-9223372036854775808` is representable.
    Int(u64),
    Uint(u64),
    Double(f64),
    Str(String),
    Bool(bool),
    Null,
    Ident(String),
    /// An operator or punctuation, `in` included.
    Op(&'static str),
}

/// A token and the column where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) column: usize,
}

/// A lexical or syntax error at a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SyntaxError {
    pub(super) column: usize,
    pub(super) message: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

/// Longest first, so `<=` is not read as `<` then `=`.
const OPERATORS: [&str; 24] = [
    "&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", ".", ",",
    "(", ")", "[", "]", "{", "}",
];

/// Words CEL reserves: a rule using one does not parse in the API server either.
const RESERVED: [&str; 16] = [
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "while",
];

/// The tokens of `source`.
pub(super) fn lex(source: &str) -> Result<Vec<Token>, SyntaxError> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let error = |message: String| SyntaxError { column, message };
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c.is_ascii_digit() {
            let (tok, end) = number(&chars, i).map_err(error)?;
            tokens.push(Token { tok, column });
            i = end;
        } else if c == '\'' || c == '"' {
            let (text, end) = string(&chars, i, false).map_err(error)?;
            tokens.push(Token {
                tok: Tok::Str(text),
                column,
            });
            i = end;
        } else if matches!(c, 'r' | 'R') && matches!(chars.get(i + 1), Some('\'' | '"')) {
            let (text, end) = string(&chars, i + 1, true).map_err(error)?;
            tokens.push(Token {
                tok: Tok::Str(text),
                column,
            });
            i = end;
        } else if matches!(c, 'b' | 'B')
            && (matches!(chars.get(i + 1), Some('\'' | '"'))
                || (matches!(chars.get(i + 1), Some('r' | 'R'))
                    && matches!(chars.get(i + 2), Some('\'' | '"'))))
        {
            return Err(error("bytes literals are not supported".to_owned()));
        } else if c == '_' || c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && (chars[i] == '_' || chars[i].is_ascii_alphanumeric()) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let tok = match word.as_str() {
                "true" => Tok::Bool(true),
                "false" => Tok::Bool(false),
                "null" => Tok::Null,
                "in" => Tok::Op("in"),
                reserved if RESERVED.contains(&reserved) => {
                    return Err(error(format!("`{reserved}` is a reserved word")));
                }
                _ => Tok::Ident(word),
            };
            tokens.push(Token { tok, column });
        } else if let Some(op) = OPERATORS.iter().find(|op| {
            op.chars()
                .enumerate()
                .all(|(k, o)| chars.get(i + k) == Some(&o))
        }) {
            tokens.push(Token {
                tok: Tok::Op(op),
                column,
            });
            i += op.chars().count();
        } else {
            return Err(error(format!("unexpected character `{c}`")));
        }
    }
    Ok(tokens)
}

/// An integer, unsigned or double literal starting at `start` (a digit).
fn number(chars: &[char], start: usize) -> Result<(Tok, usize), String> {
    let digits_end = |mut i: usize, radix: u32| {
        while i < chars.len() && chars[i].is_digit(radix) {
            i += 1;
        }
        i
    };
    let text = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
    let (magnitude, mut i) =
        if chars[start] == '0' && matches!(chars.get(start + 1), Some('x' | 'X')) {
            let end = digits_end(start + 2, 16);
            let value = u64::from_str_radix(&text(start + 2, end), 16)
                .map_err(|_| "invalid hexadecimal literal".to_owned())?;
            (value, end)
        } else {
            let end = digits_end(start, 10);
            let is_double = (chars.get(end) == Some(&'.')
                && chars.get(end + 1).is_some_and(char::is_ascii_digit))
                || matches!(chars.get(end), Some('e' | 'E'));
            if is_double {
                let mut i = end;
                if chars.get(i) == Some(&'.') {
                    i = digits_end(i + 1, 10);
                }
                if matches!(chars.get(i), Some('e' | 'E')) {
                    i += 1;
                    if matches!(chars.get(i), Some('+' | '-')) {
                        i += 1;
                    }
                    let exponent = digits_end(i, 10);
                    if exponent == i {
                        return Err("the exponent of a double literal has no digits".to_owned());
                    }
                    i = exponent;
                }
                let value: f64 = text(start, i)
                    .parse()
                    .map_err(|_| "invalid double literal".to_owned())?;
                return Ok((Tok::Double(value), i));
            }
            let value = text(start, end)
                .parse::<u64>()
                .map_err(|_| "integer literal out of range".to_owned())?;
            (value, end)
        };
    let tok = if matches!(chars.get(i), Some('u' | 'U')) {
        i += 1;
        Tok::Uint(magnitude)
    } else {
        Tok::Int(magnitude)
    };
    if chars
        .get(i)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
    {
        return Err("invalid number literal".to_owned());
    }
    Ok((tok, i))
}

/// A string literal whose opening quote is at `start`: its value and where it ends.
fn string(chars: &[char], start: usize, raw: bool) -> Result<(String, usize), String> {
    let quote = chars[start];
    let triple = chars.get(start + 1) == Some(&quote) && chars.get(start + 2) == Some(&quote);
    let mut i = start + if triple { 3 } else { 1 };
    let mut out = String::new();
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("unterminated string literal".to_owned());
        };
        if triple {
            if c == quote && chars.get(i + 1) == Some(&quote) && chars.get(i + 2) == Some(&quote) {
                return Ok((out, i + 3));
            }
        } else if c == quote {
            return Ok((out, i + 1));
        } else if c == '\n' || c == '\r' {
            return Err("newline in a string literal".to_owned());
        }
        if c == '\\' && !raw {
            let (decoded, next) = escape(chars, i + 1)?;
            out.push(decoded);
            i = next;
        } else {
            out.push(c);
            i += 1;
        }
    }
}

/// The character an escape sequence (after its backslash, at `i`) stands for.
fn escape(chars: &[char], i: usize) -> Result<(char, usize), String> {
    let hex = |from: usize, count: usize| -> Result<(char, usize), String> {
        let digits: String = chars
            .get(from..from + count)
            .unwrap_or_default()
            .iter()
            .collect();
        u32::from_str_radix(&digits, 16)
            .ok()
            .filter(|_| digits.len() == count)
            .and_then(char::from_u32)
            .map(|c| (c, from + count))
            .ok_or_else(|| "invalid escape sequence".to_owned())
    };
    let simple = match chars.get(i) {
        Some('\\') => '\\',
        Some('\'') => '\'',
        Some('"') => '"',
        Some('`') => '`',
        Some('?') => '?',
        Some('a') => '\u{7}',
        Some('b') => '\u{8}',
        Some('f') => '\u{c}',
        Some('n') => '\n',
        Some('r') => '\r',
        Some('t') => '\t',
        Some('v') => '\u{b}',
        Some('x' | 'X') => return hex(i + 1, 2),
        Some('u') => return hex(i + 1, 4),
        Some('U') => return hex(i + 1, 8),
        Some('0'..='3') => {
            let digits: String = chars.get(i..i + 3).unwrap_or_default().iter().collect();
            return u32::from_str_radix(&digits, 8)
                .ok()
                .filter(|_| digits.len() == 3)
                .and_then(char::from_u32)
                .map(|c| (c, i + 3))
                .ok_or_else(|| "invalid escape sequence".to_owned());
        }
        _ => return Err("invalid escape sequence".to_owned()),
    };
    Ok((simple, i + 1))
}
