//! Fuzz target over the spec front end: any bytes, read as a spec, are either accepted or
//! refused with diagnostics; nothing panics, every error has a location, and rendering the
//! diagnostics (what the CLI prints) never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = dbgen::source::Sources::default();
    let file = sources.add("fuzz.toml", text);
    if let Err(diagnostics) = dbgen::validate::check(&mut sources, file) {
        assert!(
            diagnostics.iter().any(dbgen::diagnostic::Diagnostic::is_error),
            "refused without an error"
        );
        for diagnostic in diagnostics.iter().filter(|d| d.is_error()) {
            assert!(
                diagnostic.span.is_some(),
                "error without a location: {}",
                diagnostic.message
            );
        }
        let _ = dbgen::diagnostic::render(&sources, &diagnostics);
    }
});
