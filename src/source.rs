//! Source texts that diagnostics point into.
//!
//! Input: the user's spec file and the embedded profile files, registered once.
//! Output: `FileId`s that spans refer to, and line/column lookups for rendering.
//! Invariant: a `FileId` is only ever created by `Sources::add`, so it always resolves.

use std::ops::Range;

/// Index of a registered source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(usize);

/// A byte range in one registered source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub range: Range<usize>,
}

/// One source text and the name it is shown under.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

/// Every text a diagnostic may point into.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

/// A 1-based line and column (in characters) of a byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

impl Sources {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
        });
        FileId(self.files.len() - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    pub fn line_col(&self, id: FileId, offset: usize) -> LineCol {
        let text = &self.get(id).text;
        let offset = offset.min(text.len());
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        LineCol {
            line,
            col: text[line_start..offset].chars().count() + 1,
        }
    }

    /// The text of the 1-based line `line` (without its newline).
    pub fn line_text(&self, id: FileId, line: usize) -> &str {
        self.get(id).text.lines().nth(line - 1).unwrap_or("")
    }
}
