//! Every `golden/errors/<problem>.toml` is an invalid spec; its rendered diagnostics are
//! an insta snapshot in `tests/snapshots/` (`INSTA_UPDATE=always cargo test --test it
//! diagnostics::`, then review). Each must fail validation with at least one error, and
//! `dbgen render` on it must write nothing.

use std::path::Path;
use std::process::Command;

/// Snapshots keep the directory and names they had when this was a test binary of its own
/// (`tests/snapshots/diagnostics__<test>@<case>.snap`), so the files stay put.
fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings
}

#[test]
fn error_cases_render_their_diagnostics() {
    snapshot_settings().bind(|| {
        insta::glob!("../../golden", "errors/*.toml", |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let name = format!("errors/{}", path.file_name().unwrap().to_string_lossy());
            let Err(dbgen::pipeline::Failure::Invalid {
                sources,
                diagnostics,
            }) = dbgen::pipeline::compile(&name, &text)
            else {
                panic!("{name} should fail validation");
            };
            assert!(
                diagnostics
                    .iter()
                    .any(dbgen::diagnostic::Diagnostic::is_error),
                "{name}"
            );
            insta::assert_snapshot!(
                "diagnostics__error_cases_render_their_diagnostics",
                dbgen::diagnostic::render(&sources, &diagnostics)
            );
        });
    });
}

#[test]
fn an_invalid_spec_writes_nothing() {
    let errors = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/errors");
    for entry in std::fs::read_dir(errors).unwrap() {
        let spec = entry.unwrap().path();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let status = Command::new(env!("CARGO_BIN_EXE_dbgen"))
            .args(["render", "-f"])
            .arg(&spec)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(status.status.code(), Some(3), "{}", spec.display());
        assert!(!out.exists(), "{} wrote {}", spec.display(), out.display());
    }
}
