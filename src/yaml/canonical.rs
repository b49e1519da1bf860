//! dbgen's own writer of canonical YAML, so emitting a document does not pay for a general
//! serializer.
//!
//! Input: a `serde_json::Value` document (and a prefix, the file's header comment).
//! Output: `Some(text)`, the prefix and exactly the bytes serde-saphyr writes with the options
//! of `yaml::emit`, or `None` as soon as the document leaves the subset below, and the
//! caller emits it with serde-saphyr instead.
//! The subset: a top-level non-empty mapping or sequence; block mappings (keys in order)
//! and kubectl-style sequences (`- ` at the parent key's column, nested items inline after
//! the dash), `{}`/`[]` when empty, `null`, booleans, integers; strings of printable ASCII,
//! written plain, double-quoted or as a literal block (`|`) when multi-line, each by a rule
//! proved against serde-saphyr's quoting below. Floats, tabs, control and non-ASCII
//! characters, long keys and strings whose YAML 1.1 resolution this module does not decide
//! (most that start with a digit, a sign or `_`) are outside it.
//! Invariant: `Some(t)` only when serde-saphyr writes `t` for the same document; debug
//! builds check it on every document emitted (`yaml::emit`).

use std::cell::RefCell;
use std::fmt::Write;

use serde_json::{Map, Value};

/// Writes `prefix` and then `document`, or `None` when the document is not in the subset.
pub(super) fn emit(prefix: &str, document: &Value) -> Option<String> {
    thread_local! {
        /// Where documents are written before their text is copied out at its exact size:
        /// no growth per document, and the manifests held for an environment waste no
        /// capacity.
        static SCRATCH: RefCell<String> = const { RefCell::new(String::new()) };
    }
    SCRATCH.with(|scratch| {
        let mut out = scratch.borrow_mut();
        out.clear();
        out.push_str(prefix);
        match document {
            Value::Object(map) if !map.is_empty() => mapping(map, 0, false, &mut out)?,
            Value::Array(items) if !items.is_empty() => sequence(items, 0, false, &mut out)?,
            _ => return None,
        }
        Some(out.as_str().to_owned())
    })
}

/// The entries of a non-empty mapping, keys at `column`; the first key already has its
/// place when `inline` (after a sequence dash).
fn mapping(map: &Map<String, Value>, column: usize, inline: bool, out: &mut String) -> Option<()> {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || !inline {
            indent(column, out);
        }
        write_key(key, out)?;
        out.push(':');
        match value {
            Value::Object(child) if child.is_empty() => out.push_str(" {}\n"),
            Value::Object(child) => {
                out.push('\n');
                mapping(child, column + 2, false, out)?;
            }
            Value::Array(items) if items.is_empty() => out.push_str(" []\n"),
            // Compact lists: the dashes sit at the key's own column.
            Value::Array(items) => {
                out.push('\n');
                sequence(items, column, false, out)?;
            }
            scalar => {
                out.push(' ');
                write_scalar(scalar, column, out)?;
            }
        }
    }
    Some(())
}

/// The items of a non-empty sequence, dashes at `column`; the first dash already has its
/// place when `inline` (after an outer dash).
fn sequence(items: &[Value], column: usize, inline: bool, out: &mut String) -> Option<()> {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !inline {
            indent(column, out);
        }
        out.push_str("- ");
        match item {
            Value::Object(map) if map.is_empty() => out.push_str("{}\n"),
            Value::Object(map) => mapping(map, column + 2, true, out)?,
            Value::Array(inner) if inner.is_empty() => out.push_str("[]\n"),
            Value::Array(inner) => sequence(inner, column + 2, true, out)?,
            scalar => write_scalar(scalar, column, out)?,
        }
    }
    Some(())
}

fn indent(column: usize, out: &mut String) {
    const SPACES: &str = "                                                                ";
    let mut left = column;
    while left > SPACES.len() {
        out.push_str(SPACES);
        left -= SPACES.len();
    }
    out.push_str(&SPACES[..left]);
}

/// A scalar and its line end; `column` is that of the key or dash it follows, which a
/// literal block's body is indented past.
fn write_scalar(value: &Value, column: usize, out: &mut String) -> Option<()> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        // serde-saphyr prints integers in decimal, as `Display` does; floats have their own
        // formatting (exponents, `.inf`), outside the subset.
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            write!(out, "{n}").expect("writing to a String cannot fail");
        }
        Value::String(s) => return write_string(s, column, out),
        _ => return None,
    }
    out.push('\n');
    Some(())
}

fn write_string(s: &str, column: usize, out: &mut String) -> Option<()> {
    let scan = Scan::of(s)?;
    if scan.newline {
        literal(s, column + 2, out);
        return Some(());
    }
    // serde-saphyr single-quotes these three one-character strings.
    if matches!(s, "." | "#" | "-") {
        out.push('\'');
        out.push_str(s);
        out.push_str("'\n");
        return Some(());
    }
    if plain_shape(s, scan.breaks_plain) && !resolves_to_non_string(s)? {
        out.push_str(s);
    } else {
        double_quoted(s, out);
    }
    out.push('\n');
    Some(())
}

/// What one pass over a string's bytes tells.
struct Scan {
    /// A line break: a literal block for a value, outside the subset for a key.
    newline: bool,
    /// `: ` (a mapping) or ` #` (a comment) inside.
    breaks_plain: bool,
    /// `:`, `,`, `[`, `]`, `{` or `}`: structure in a flow mapping, where serde-saphyr
    /// wants keys to stay readable too.
    flow_indicator: bool,
}

impl Scan {
    /// `None` for a byte other than printable ASCII and `\n`.
    fn of(s: &str) -> Option<Scan> {
        // Most strings hold none of the bytes that matter: one table look-up per byte, and
        // the pairs are looked for only when both of their bytes occur.
        let found = s.bytes().fold(0, |found, b| found | CLASS[usize::from(b)]);
        if found & UNPRINTABLE != 0 {
            return None;
        }
        let pairs = found & SPACE != 0 && found & (COLON | HASH) != 0;
        Some(Scan {
            newline: found & NEWLINE != 0,
            breaks_plain: pairs
                && s.as_bytes()
                    .windows(2)
                    .any(|pair| matches!(pair, b": " | b" #")),
            flow_indicator: found & (COLON | FLOW) != 0,
        })
    }
}

const UNPRINTABLE: u8 = 1;
const NEWLINE: u8 = 2;
const COLON: u8 = 4;
const SPACE: u8 = 8;
const HASH: u8 = 16;
const FLOW: u8 = 32;

/// The `Scan` classes of each byte; 0 for the bytes that need no look.
static CLASS: [u8; 256] = {
    let mut class = [UNPRINTABLE; 256];
    let mut b = b' ';
    while b <= b'~' {
        class[b as usize] = match b {
            b':' => COLON,
            b' ' => SPACE,
            b'#' => HASH,
            b',' | b'[' | b']' | b'{' | b'}' => FLOW,
            _ => 0,
        };
        b += 1;
    }
    class[b'\n' as usize] = NEWLINE;
    class
};

/// A multi-line string as a literal block whose body starts at `body`: chomping `-` without
/// a final newline, none with exactly one, `+` with more (or only newlines); an explicit
/// indentation indicator when the first non-empty line starts with a space.
fn literal(s: &str, body: usize, out: &mut String) {
    let content = s.trim_end_matches('\n');
    let trailing = s.len() - content.len();
    out.push('|');
    let first = content.split('\n').find(|line| !line.is_empty());
    if first.is_some_and(|line| line.starts_with(' ')) {
        out.push('2');
    }
    match trailing {
        0 => out.push('-'),
        1 if !content.is_empty() => {}
        _ => out.push('+'),
    }
    out.push('\n');
    if content.is_empty() {
        for _ in 0..trailing {
            out.push('\n');
        }
        return;
    }
    for line in content.split('\n') {
        if !line.is_empty() {
            indent(body, out);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

fn write_key(key: &str, out: &mut String) -> Option<()> {
    // Longer keys become explicit `? key` entries; line breaks, tabs, control and non-ASCII
    // characters have their own escapes: outside the subset.
    let scan = Scan::of(key)?;
    if key.len() > 512 || scan.newline {
        return None;
    }
    // A key is plain only where both a block and a flow mapping could read it back.
    if plain_shape(key, scan.breaks_plain) && !scan.flow_indicator && !resolves_to_non_string(key)?
    {
        out.push_str(key);
    } else {
        double_quoted(key, out);
    }
    Some(())
}

/// `"s"` for a string of printable ASCII, where only `\` and `"` are escaped.
fn double_quoted(s: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        if b == b'\\' || b == b'"' {
            out.push_str(&s[start..i]);
            out.push('\\');
            start = i;
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Whether a single line of printable ASCII can be a plain scalar in a block mapping's
/// value as far as its characters go: not a document marker, no edge spaces, no indicator
/// where it would start a node, no final `:` and, as `Scan` found, no `: ` (a mapping) or
/// ` #` (a comment). Its type under YAML 1.1 resolution is `resolves_to_non_string`'s
/// question.
fn plain_shape(s: &str, breaks_plain: bool) -> bool {
    if breaks_plain {
        return false;
    }
    let bytes = s.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if first == b' ' || last == b' ' || last == b':' {
        return false;
    }
    if (s.starts_with("---") || s.starts_with("...")) && bytes.get(3).is_none_or(|&b| b == b' ') {
        return false;
    }
    match first {
        b'-' | b'?' => bytes.get(1).is_some_and(|&b| b != b' '),
        b',' | b':' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>'
        | b'\'' | b'"' | b'%' | b'@' | b'`' => false,
        _ => true,
    }
}

/// Whether a YAML 1.1 reader (or a YAML 1.2 one, for keys) would read the plain scalar `s`
/// as something other than a string (null, bool, number, timestamp, merge key), which
/// serde-saphyr then quotes; `None` where this module does not decide (numbers' and dates'
/// many spellings start with a digit, a sign, `.` or `_`).
fn resolves_to_non_string(s: &str) -> Option<bool> {
    const WORDS: [&str; 11] = [
        "null", "true", "false", "yes", "no", "on", "off", "y", "n", "nan", "inf",
    ];
    let bytes = s.as_bytes();
    match bytes.first()? {
        // Only the words above: numbers and dates start with a digit, a sign, `.` or `_`.
        b'a'..=b'z' | b'A'..=b'Z' => {
            Some(s.len() <= 5 && WORDS.iter().any(|w| s.eq_ignore_ascii_case(w)))
        }
        b'0'..=b'9' => digit_first_is_number(s),
        // `.5`, `.e5` and `.` are floats to YAML 1.1, `.inf`/`.nan` special floats;
        // `./path` and `.dockerconfigjson` are strings.
        b'.' if s.eq_ignore_ascii_case(".inf") || s.eq_ignore_ascii_case(".nan") => Some(true),
        b'.' => Some(decimal(&bytes[1..], At::Fraction)),
        // A sign and a letter or another sign: only `+inf`/`-inf` (`--port=5432`, `-c`).
        b'+' | b'-' => match bytes.get(1) {
            Some(b) if b.is_ascii_alphabetic() || matches!(b, b'+' | b'-') => {
                Some(s.eq_ignore_ascii_case("+inf") || s.eq_ignore_ascii_case("-inf"))
            }
            _ => None,
        },
        b'_' => None,
        // No number, date, bool or null starts with anything else.
        _ => Some(matches!(s, "~" | "=" | "<<")),
    }
}

/// Whether YAML 1.1 reads `s`, which starts with a digit, as a number or a date, where
/// that is decided by its shape alone: radix prefixes (`0x`, `0o`, `0b`) and base 60
/// (`1:30`: only digits, `_`, `:` and `.`) are `None`.
fn digit_first_is_number(s: &str) -> Option<bool> {
    let bytes = s.as_bytes();
    let radix = |b: Option<u8>| matches!(b, Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B'));
    let second = bytes.iter().copied().filter(|&b| b != b'_').nth(1);
    if bytes[0] == b'0' && (radix(bytes.get(1).copied()) || radix(second)) {
        return None;
    }
    if s.contains(':')
        && bytes
            .iter()
            .all(|b| matches!(b, b'0'..=b'9' | b'_' | b':' | b'.'))
    {
        return None;
    }
    Some(is_timestamp(bytes) || decimal(bytes, At::Whole))
}

/// Where `decimal` is in a number's spelling.
#[derive(Clone, Copy)]
enum At {
    Whole,
    Fraction,
    Exponent,
    ExponentSign,
    ExponentDigits,
}

/// Whether `bytes`, with their `_`s dropped and read from `at` (`Whole` after at least one
/// digit has been seen, or at the first one; `Fraction` after the dot), spell a YAML 1.1
/// decimal number: digits, optionally a dot and more digits and dots (`1.10` and `0.2.0`
/// alike), optionally an exponent (`e`, a sign, digits). Whatever a YAML 1.2 reader takes for
/// a decimal number is among those.
fn decimal(bytes: &[u8], mut at: At) -> bool {
    for &b in bytes.iter().filter(|&&b| b != b'_') {
        at = match (at, b) {
            (At::Whole | At::Fraction, b'.') => At::Fraction,
            (At::Whole | At::Fraction, b'e' | b'E') => At::Exponent,
            (At::Exponent, b'+' | b'-') => At::ExponentSign,
            (At::Exponent | At::ExponentSign | At::ExponentDigits, b'0'..=b'9') => {
                At::ExponentDigits
            }
            (At::Whole | At::Fraction, b'0'..=b'9') => at,
            _ => return false,
        };
    }
    matches!(at, At::Whole | At::Fraction | At::ExponentDigits)
}

/// YAML 1.1 timestamps as Go's reader takes them: `YYYY-M-D`, optionally a time (`T`, `t`
/// or blanks, then `H:M:S`, an optional fraction after `.` or `,`), blanks, and `Z` or a
/// `+H`/`-H:MM` zone. Calendar validity plays no part.
fn is_timestamp(bytes: &[u8]) -> bool {
    fn digits(bytes: &[u8], at: &mut usize, min: usize, max: usize) -> bool {
        let n = bytes[*at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        *at += n;
        (min..=max).contains(&n)
    }
    fn byte(bytes: &[u8], at: &mut usize, wanted: &[u8]) -> bool {
        let found = bytes.get(*at).is_some_and(|b| wanted.contains(b));
        *at += usize::from(found);
        found
    }
    fn blanks(bytes: &[u8], at: &mut usize) -> usize {
        let n = bytes[*at..]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        *at += n;
        n
    }
    let at = &mut 0;
    if !(digits(bytes, at, 4, 4)
        && byte(bytes, at, b"-")
        && digits(bytes, at, 1, 2)
        && byte(bytes, at, b"-")
        && digits(bytes, at, 1, 2))
    {
        return false;
    }
    if *at == bytes.len() {
        return true;
    }
    if !byte(bytes, at, b"Tt") && blanks(bytes, at) == 0 {
        return false;
    }
    if !(digits(bytes, at, 1, 2)
        && byte(bytes, at, b":")
        && digits(bytes, at, 1, 2)
        && byte(bytes, at, b":")
        && digits(bytes, at, 1, 2))
    {
        return false;
    }
    if byte(bytes, at, b".,") {
        digits(bytes, at, 0, usize::MAX);
    }
    blanks(bytes, at);
    if *at == bytes.len() || &bytes[*at..] == b"Z" {
        return true;
    }
    if !(byte(bytes, at, b"+-") && digits(bytes, at, 1, 2)) {
        return false;
    }
    if byte(bytes, at, b":") && !digits(bytes, at, 2, 2) {
        return false;
    }
    *at == bytes.len()
}

#[cfg(test)]
pub(super) mod tests {
    use std::cell::Cell;

    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use serde_json::{Map, Value, json};

    use super::emit;
    use crate::yaml::emit_general;
    use crate::yaml::tests::RETYPABLE;

    thread_local! {
        /// Documents the canonical writer left to serde-saphyr, on this thread.
        pub(in crate::yaml) static DECLINED: Cell<usize> = const { Cell::new(0) };
    }

    /// Strings beyond the YAML 1.1 retypable ones: indicators inside and at the edges,
    /// quotes, escapes, quantities, numbers' near misses, multi-line texts, non-ASCII.
    const NASTY: &[&str] = &[
        "a:b",
        "a: b",
        "a:",
        ":a",
        "a #b",
        "a#b",
        "#",
        "{{ .password | urlquery }}",
        "postgresql://app12:{{ .password | urlquery }}@shared-rw.databases:5432/app12",
        "app.kubernetes.io/name",
        "shared-app12-role",
        "say \"hi\"",
        "it's",
        "back\\slash",
        "a b",
        "-",
        "-a",
        "- a",
        "?",
        "?a",
        "? a",
        ".",
        ".dockerconfigjson",
        ".e5",
        ".Inf",
        ".5",
        "10Gi",
        "500m",
        "0x1F",
        "0b1",
        "0o7",
        "1e3",
        "1E3",
        "1h30m",
        "1_000",
        "12:30:45",
        "2024-01-01 10:00:00",
        "10.0.0.0/8",
        "1.2.3",
        "2024-01-15T10:30:00Z",
        "2024-1-5",
        "2024-01-01 10:00:00 +01:00",
        "2024-01-01t1:2:3,5-1",
        "2024-01-01T10:00:00+1:0",
        "2024-01-01T10:00",
        "2024-01-01x",
        "./clusters/main",
        "./",
        "..a",
        ".1.2",
        "._",
        ".e+1",
        "127.0.0.1:5432/postgres?sslmode=disable",
        "1:30",
        "1:30x",
        "190:20:30.15",
        "1e",
        "1e+",
        "1e+5",
        "1.5E-3x",
        "1_e5",
        "1.2e3",
        "2024-01-01T10:00:00Z",
        "20240-01-01",
        "202-01-01",
        "1-2",
        "-c",
        "--port=5432",
        "--",
        "-+1",
        "+-",
        "-inf",
        "+Inf",
        "-Infinity",
        "-e5",
        "0.2.0",
        "17.6",
        "1.10/y/null",
        "1..2",
        "1._5",
        "1_.5",
        "0_x1",
        "0_1",
        "1 000",
        "1.5 #x",
        "9#",
        "---",
        "--- a",
        "---a",
        "...",
        "... a",
        "$HOME",
        "/var/lib/postgresql",
        "=",
        "==",
        "<<",
        "<<a",
        "~",
        "~a",
        "NaN",
        "Inf",
        "+inf",
        "-.inf",
        "yes please",
        "a\nb",
        "a\nb\n",
        "a\nb\n\n",
        "\n",
        "\n\n",
        "\na",
        "  indented\nnext\n",
        "\n  indented first\n",
        "line\n\nafter blank\n",
        "trailing space \nline\n",
        "tab\there\n",
        "cr\r\n",
        "caf\u{e9}",
        "\u{2028}",
        "\u{7f}",
        "\0",
    ];

    fn string() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::sample::select(RETYPABLE).prop_map(str::to_string),
            4 => prop::sample::select(NASTY).prop_map(str::to_string),
            2 => "[ -~\n]{0,12}",
            1 => "[a-z0-9.:# -]{0,8}",
        ]
    }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            1 => Just(Value::Null),
            1 => any::<bool>().prop_map(Value::Bool),
            1 => any::<i64>().prop_map(Value::from),
            1 => any::<u64>().prop_map(Value::from),
            1 => prop::sample::select(vec![0.5, 1.0, -2.25, 1e300]).prop_map(Value::from),
            6 => string().prop_map(Value::String),
        ]
    }

    pub(in crate::yaml) fn value() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(4, 48, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(string(), inner, 0..5)
                    .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Whenever the canonical writer takes a document, its bytes are serde-saphyr's.
        #[test]
        fn accepted_documents_are_written_as_serde_saphyr_writes_them(document in value()) {
            if let Some(text) = emit("", &document) {
                prop_assert_eq!(Some(text), emit_general(&document).ok());
            }
        }
    }

    /// The property above is only as strong as the share of documents the writer takes:
    /// keep the strategy such that a good part of them are.
    #[test]
    fn the_property_compares_many_documents() {
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = value();
        let accepted = (0..1000)
            .filter(|_| {
                let document = strategy.new_tree(&mut runner).expect("value").current();
                emit("", &document).is_some()
            })
            .count();
        assert!(accepted >= 200, "only {accepted} of 1000 documents taken");
    }

    /// Every string of the vocabularies, in every place a string can be: taken or not,
    /// written as serde-saphyr writes it.
    #[test]
    fn every_vocabulary_string_in_every_place() {
        let mut taken = 0;
        for s in RETYPABLE.iter().chain(NASTY) {
            for document in [
                json!({ "k": s }),
                json!({ *s: "v" }),
                json!({ "k": { *s: [s] } }),
                json!([s, { "k": s, *s: { "n": s } }, [s, [s]]]),
            ] {
                if let Some(text) = emit("", &document) {
                    assert_eq!(Some(&text), emit_general(&document).ok().as_ref(), "{s:?}");
                    taken += 1;
                }
            }
        }
        assert!(taken >= 300, "only {taken} documents taken");
    }

    /// The shapes dbgen's documents have, in the subset and written as serde-saphyr writes
    /// them (the property above only compares what the writer accepts).
    #[test]
    fn writes_every_shape_dbgen_prints() {
        let document = json!({
            "apiVersion": "v1",
            "data": { ".dockerconfigjson": "x", "on": "yes", "port": "5432", "size": "10Gi",
                "version": "17.6", "key": "1.10/y/null", "n": "1_000" },
            "list": [
                { "name": "a", "items": ["-", ".", "#", "a: b", "", "x #y"], "m": {} },
                [["deep", 1], []],
                {},
                null,
                "multi\nline\n",
                -3,
                u64::MAX,
            ],
            "script": "  first\n\nlast",
            "keep": "a\n\n",
            "uri": "postgresql://app:{{ .password | urlquery }}@host:5432/app",
            "quote": "say \"hi\" \\ bye",
            "a:b": "key",
            "true": false,
        });
        let text = emit("", &document).expect("in the subset");
        assert_eq!(Some(&text), emit_general(&document).ok().as_ref());
    }

    #[test]
    fn declines_what_it_does_not_decide() {
        for document in [
            json!({ "f": 0.5 }),
            json!({ "s": "caf\u{e9}" }),
            json!({ "s": "tab\there" }),
            json!({ "s": "+1" }),
            json!({ "s": "1:30" }),
            json!({ "s": "0x1F" }),
            json!({ "k".repeat(600): 1 }),
            json!("top-level scalar"),
            json!({}),
        ] {
            assert_eq!(emit("", &document), None, "{document}");
        }
    }

    /// The canonical writer takes every document of every golden case (whose values are
    /// ASCII), so the fast path is the one users get; debug builds check each one against
    /// serde-saphyr (`yaml::emit`).
    #[test]
    fn canonical_writer_takes_every_golden_document() {
        crate::pipeline::fast_path::taken_in_every_golden_case(&DECLINED);
    }
}
