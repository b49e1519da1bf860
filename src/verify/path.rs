//! Field paths inside one rendered document, and the problems attached to them.
//! Input: segments pushed by the schema validator's walk, or paths built by hand.
//! Output: `FieldPath` (ordered segment list) and `Issue` (path + message).
//! Invariant: the rendered form is `spec.roles[0].name`, with keys that are not
//! plain identifiers quoted (`metadata.labels["app.kubernetes.io/name"]`).

use std::fmt;

/// One step from a value into a child value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// A path from the document root; ordered segment-wise so `[2]` sorts before `[10]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct FieldPath(Vec<Segment>);

impl FieldPath {
    pub(crate) fn root() -> Self {
        Self::default()
    }

    /// Parses a hand-written dotted path (no indexes, no quoted keys).
    pub(crate) fn keys(dotted: &str) -> Self {
        Self(
            dotted
                .split('.')
                .filter(|key| !key.is_empty())
                .map(|key| Segment::Key(key.to_owned()))
                .collect(),
        )
    }

    pub(crate) fn key(mut self, key: &str) -> Self {
        self.0.push(Segment::Key(key.to_owned()));
        self
    }

    pub(crate) fn index(mut self, index: usize) -> Self {
        self.0.push(Segment::Index(index));
        self
    }
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) if is_plain_key(key) => {
                    if position > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                Segment::Key(key) => write!(f, "[{key:?}]")?,
            }
        }
        Ok(())
    }
}

/// A problem inside one object, before the file and object names are attached.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Issue {
    pub(crate) path: FieldPath,
    pub(crate) message: String,
}

impl Issue {
    pub(crate) fn new(path: FieldPath, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
        }
    }

    pub(crate) fn at(dotted: &str, message: impl Into<String>) -> Self {
        Self::new(FieldPath::keys(dotted), message)
    }
}
