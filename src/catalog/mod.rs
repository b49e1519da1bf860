//! Facts about what the real servers and images accept, kept as data in the repository with
//! their source and version, so validation checks a spec the way the server would.
//!
//! Input: the data files under `src/catalog/data/` (compiled in). Output: read-only lookups.
//! Invariant: every fact names its upstream source and version in its data file, and a test
//! fails when the pinned server or image moves without the data being regenerated.

pub mod cnpg;
pub mod extensions;
pub mod guc;
