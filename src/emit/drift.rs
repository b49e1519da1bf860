//! Unified diff of one drift entry, for `dbgen check --diff` style output.
//! Input: a `Drift` (old content on disk, new content dbgen would write).
//! Output: `--- a/<path>` / `+++ b/<path>` headers (`/dev/null` for a missing
//! side) followed by the line hunks `similar` computes with 3 lines of context.
//! Invariant: the headers are always present, even when a side is empty.

use similar::TextDiff;

use super::Drift;

/// Lines of unchanged context around each hunk, as `diff -u` and git use.
const CONTEXT: usize = 3;

impl Drift {
    pub fn unified_diff(&self) -> String {
        let old_name = self
            .old
            .as_ref()
            .map_or_else(|| "/dev/null".to_owned(), |_| format!("a/{}", self.path));
        let new_name = self
            .new
            .as_ref()
            .map_or_else(|| "/dev/null".to_owned(), |_| format!("b/{}", self.path));
        let old = self.old.as_deref().unwrap_or_default();
        let new = self.new.as_deref().unwrap_or_default();
        // Written by hand rather than with `UnifiedDiff::header`, which drops
        // the headers when there is no hunk (creating or deleting an empty file).
        let mut text = format!("--- {old_name}\n+++ {new_name}\n");
        let diff = TextDiff::from_lines(old, new);
        for hunk in diff.unified_diff().context_radius(CONTEXT).iter_hunks() {
            text.push_str(&hunk.to_string());
        }
        text
    }
}
