//! The built-in size profiles, embedded from `profiles/*.toml`.
//!
//! Input: nothing at run time; the files are compiled into the binary.
//! Output: (name, display path, text) triples that `validate` loads through the same
//! loader and diagnostics as the user's spec.
//! Invariant: every file in `profiles/` is listed here (a test checks it).

/// One embedded profile file.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinProfile {
    pub name: &'static str,
    /// Shown in diagnostics that point into the file.
    pub path: &'static str,
    pub text: &'static str,
}

macro_rules! profile {
    ($name:literal) => {
        BuiltinProfile {
            name: $name,
            path: concat!("<built-in>/profiles/", $name, ".toml"),
            text: include_str!(concat!("../../profiles/", $name, ".toml")),
        }
    };
}

/// Sorted by name.
pub const BUILTIN_PROFILES: &[BuiltinProfile] = &[
    profile!("large"),
    profile!("medium"),
    profile!("nano"),
    profile!("small"),
];

#[cfg(test)]
mod tests {
    use super::BUILTIN_PROFILES;

    #[test]
    fn every_profile_file_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/profiles");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .trim_end_matches(".toml")
                    .to_string()
            })
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = BUILTIN_PROFILES.iter().map(|p| p.name).collect();
        assert_eq!(on_disk, embedded);
    }
}
