//! What a user installs: the version the docs tell them to pin is the one Cargo.toml builds,
//! and the container image builds the binary the way `scripts/install-test.sh` does.
//!
//! The image itself is not built here (a cold musl release build is too slow for the suite):
//! `scripts/image-test.sh` builds and runs it; see docs/contributing.md.

use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `vX.Y.Z` in `text`.
fn tags(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for (start, _) in text.match_indices('v') {
        let rest = &text[start + 1..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let version = rest[..end].trim_end_matches('.');
        let preceded_by_word = text[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        if !preceded_by_word
            && version.split('.').count() == 3
            && version.split('.').all(|p| !p.is_empty())
        {
            found.push(&text[start..=start + version.len()]);
        }
    }
    found
}

#[test]
fn docs_pin_the_version_cargo_toml_builds() {
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    let mut files = vec![
        "README.md".to_string(),
        ".pre-commit-hooks.yaml".to_string(),
        "Dockerfile".to_string(),
    ];
    for dir in ["docs", ".github/workflows"] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        for entry in std::fs::read_dir(&root).unwrap() {
            let path = entry.unwrap().path();
            files.push(format!(
                "{dir}/{}",
                path.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    let mut seen = 0;
    for file in &files {
        let text = read(file);
        for found in tags(&text) {
            assert_eq!(found, tag, "{file} names {found}, Cargo.toml builds {tag}");
            seen += 1;
        }
    }
    assert!(
        seen >= 5,
        "the install, pre-commit and CI snippets name a tag ({seen} found)"
    );
    let manifest_line = format!("# dbgen-version: {}", env!("CARGO_PKG_VERSION"));
    assert!(
        read("docs/cli.md").contains(&manifest_line),
        "docs/cli.md: {manifest_line}"
    );
    // The version being prepared has its changes under `[Unreleased]` until it is tagged,
    // and a released version never comes back.
    let changelog = read("CHANGELOG.md");
    assert!(changelog.contains("## [Unreleased]"));
    assert!(
        !changelog.contains(&format!("## [{}]", env!("CARGO_PKG_VERSION"))),
        "CHANGELOG.md already lists {tag} as released: bump Cargo.toml's version"
    );
}

#[test]
fn tags_are_found_and_versions_in_words_are_not() {
    assert_eq!(tags("rev: v0.2.0\n@v1.10.3 x"), ["v0.2.0", "v1.10.3"]);
    assert!(tags("k8s-openapi v1.30 and dev0.1.0 and v2").is_empty());
}

#[test]
fn the_image_builds_the_release_binary_install_test_builds() {
    let dockerfile = read("Dockerfile");
    let build = dockerfile
        .lines()
        .find(|l| l.contains("cargo build"))
        .expect("the Dockerfile builds with cargo");
    // Same profile (release: strip, LTO) and the same locked dependencies as
    // `cargo install --locked`, which install-test.sh runs; musl makes it static, which the
    // `FROM scratch` stage (no libc) needs.
    for flag in [
        "--release",
        "--locked",
        "--target x86_64-unknown-linux-musl",
    ] {
        assert!(
            build.contains(flag),
            "Dockerfile build lacks {flag}: {build}"
        );
    }
    // image-test.sh runs the binary this very command builds.
    let image_test = read("scripts/image-test.sh");
    assert!(image_test.contains("target=x86_64-unknown-linux-musl"));
    assert!(image_test.contains("cargo build --release --locked --target \"$target\""));
    assert!(image_test.contains("sed -n '/^FROM scratch/,$p'"));
    let install = read("scripts/install-test.sh");
    assert!(install.contains("cargo install --locked"));
    assert!(!install.contains("--debug") && !install.contains("--profile"));
    let cargo = read("Cargo.toml");
    let release = &cargo[cargo.find("[profile.release]").expect("a release profile")..];
    for setting in ["strip = true", "lto = \"fat\"", "codegen-units = 1"] {
        assert!(
            release.contains(setting),
            "[profile.release] lacks {setting}"
        );
    }
    assert!(dockerfile.contains("FROM scratch"));
    assert!(dockerfile.contains("COPY --from=build /dbgen /dbgen"));
    assert!(dockerfile.contains("ENTRYPOINT [\"/dbgen\"]"));
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("LICENSE")
            .is_file()
    );
    // The build context leaves out what would make it huge or leak local state.
    let ignored = read(".dockerignore");
    for entry in ["target", ".git", ".tools"] {
        assert!(
            ignored.lines().any(|l| l == entry),
            ".dockerignore lacks {entry}"
        );
    }
}
