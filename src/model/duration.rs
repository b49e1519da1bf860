//! A duration as the spec writes it, checked once.
//!
//! Input: nothing (types; `validate::resolve` builds them from checked text).
//! Output: `Duration`: the text, printed byte for byte, and its length in seconds.
//! Invariant: a `Duration` that reaches `plan` was checked against the syntax of the tool
//! that reads it (a Go duration for External Secrets and Flux, Infisical's own form for
//! its resync interval); `plan` prints `as_str()` and never parses it.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub struct Duration {
    written: String,
    seconds: f64,
}

impl Duration {
    /// `seconds` is `written`'s length as the check that accepted it computed it.
    pub(crate) fn new(written: String, seconds: f64) -> Self {
        Self { written, seconds }
    }

    /// As written: what the output prints.
    pub fn as_str(&self) -> &str {
        &self.written
    }

    pub fn seconds(&self) -> f64 {
        self.seconds
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}
