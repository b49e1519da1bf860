//! Names a duplicate TOML key and finds its first definition, for the parser's bare
//! "duplicate key" error.
//!
//! Input: the source text and the span the parser reported (the second definition's key or
//! table header). Output: a message naming the key and its table, and the span of the first
//! definition when a line scan finds it. Invariant: only ever refines a message; a span it
//! cannot explain yields `None` and the parser's own message is kept.

use std::ops::Range;

pub(super) struct Duplicate {
    pub(super) message: String,
    pub(super) first: Option<Range<usize>>,
}

/// One line of the source: where it starts and its text without the newline.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    text.split_inclusive('\n').map(move |line| {
        let at = start;
        start += line.len();
        (at, line.trim_end_matches(['\n', '\r']))
    })
}

/// The header of a `[table]` or `[[array]]` line, without brackets and spaces.
fn header(line: &str) -> Option<String> {
    let line = line.trim();
    let inner = line
        .strip_prefix("[[")
        .and_then(|l| l.split("]]").next())
        .or_else(|| line.strip_prefix('[').and_then(|l| l.split(']').next()))?;
    Some(
        inner
            .split('.')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// The key of a `key = value` line.
fn key_of(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') || trimmed.starts_with('[') {
        return None;
    }
    Some(trimmed.split_once('=')?.0.trim())
}

/// Whether the key at `span` sits in a table whose header repeats an earlier one: the
/// parser reports each of its keys again, which only repeats the duplicate-table error.
pub(super) fn in_repeated_table(text: &str, span: &Range<usize>) -> bool {
    let all: Vec<(usize, &str)> = lines(text).collect();
    let Some(here) = all.iter().rposition(|(at, _)| *at <= span.start) else {
        return false;
    };
    if header(all[here].1).is_some() {
        return false;
    }
    let Some(start) = all[..here].iter().rposition(|(_, l)| header(l).is_some()) else {
        return false;
    };
    let (_, table_line) = all[start];
    !table_line.trim_start().starts_with("[[")
        && all[..start]
            .iter()
            .any(|(_, l)| !l.trim_start().starts_with("[[") && header(l) == header(table_line))
}

pub(super) fn describe(text: &str, span: Range<usize>) -> Option<Duplicate> {
    let all: Vec<(usize, &str)> = lines(text).collect();
    let here = all.iter().rposition(|(at, _)| *at <= span.start)?;
    let (_, line) = all[here];
    if let Some(table) = header(line) {
        if line.trim_start().starts_with("[[") {
            return None;
        }
        let first = all[..here]
            .iter()
            .find(|(_, l)| {
                !l.trim_start().starts_with("[[") && header(l).as_deref() == Some(&table)
            })
            .map(|(at, l)| *at..*at + l.len());
        return Some(Duplicate {
            message: format!("duplicate table `[{table}]`"),
            first,
        });
    }
    let key = key_of(line)?;
    // The table this key belongs to starts at the nearest header above it.
    let table_start = all[..here]
        .iter()
        .rposition(|(_, l)| header(l).is_some())
        .map_or(0, |i| i + 1);
    let table = (table_start > 0)
        .then(|| header(all[table_start - 1].1))
        .flatten();
    let first = all[table_start..here]
        .iter()
        .find(|(_, l)| key_of(l) == Some(key))
        .map(|(at, l)| {
            let indent = l.len() - l.trim_start().len();
            at + indent..at + indent + key.len()
        });
    let place = table.map_or_else(|| "the top level".to_string(), |t| format!("[{t}]"));
    Some(Duplicate {
        message: format!("duplicate key `{key}` in {place}"),
        first,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_key_and_finds_the_first() {
        let text = "[a]\nx = 1\n[postgres.pg]\nengine = \"cnpg\"\nengine = \"cnpg\"\n";
        let second = text.rfind("engine").unwrap();
        let d = describe(text, second..second + 6).unwrap();
        assert_eq!(d.message, "duplicate key `engine` in [postgres.pg]");
        let first = text.find("engine").unwrap();
        assert_eq!(d.first, Some(first..first + 6));
    }

    #[test]
    fn names_a_duplicate_table() {
        let text = "[postgres.pg]\nengine = \"cnpg\"\n[postgres . pg]\n";
        let second = text.rfind("[postgres").unwrap();
        let d = describe(text, second..second + 15).unwrap();
        assert_eq!(d.message, "duplicate table `[postgres.pg]`");
        assert_eq!(d.first, Some(0..13));
    }
}
