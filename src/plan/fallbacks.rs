//! The check that `plan` has no fallback on spec data.
//!
//! Input: the source of `src/plan/` (test-only). Output: a failing test naming each line
//! outside test code that calls `unwrap_or*`, `unwrap()` or `expect(` without saying why.
//! Invariant: every such call left in `plan` is on plan's own data and carries a
//! `not spec data:` comment on its line or the line above; a value from the spec is
//! resolved by `validate` into the model instead.

use std::path::Path;

const MARKER: &str = "not spec data:";
const CALLS: [&str; 3] = ["unwrap_or", ".unwrap()", ".expect("];

fn scan(dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            scan(&path, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") || path.ends_with("fallbacks.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Tests may unwrap: they fail loudly, they do not write YAML.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let lines: Vec<&str> = code.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let marked = line.contains(MARKER) || (i > 0 && lines[i - 1].contains(MARKER));
            if CALLS.iter().any(|c| line.contains(c)) && !marked {
                out.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
            }
        }
    }
}

#[test]
fn plan_has_no_unexplained_fallback() {
    let mut found = Vec::new();
    scan(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/plan"),
        &mut found,
    );
    assert!(
        found.is_empty(),
        "a fallback in plan hides a validate bug as wrong YAML: resolve the value in \
         validate (src/model/), or, on plan's own data, say why with `// {MARKER} ...`:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_an_unmarked_fallback() {
    let dir = std::env::temp_dir().join(format!("dbgen-fallbacks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("x.rs"),
        "let a = b.unwrap_or_default();\n// not spec data: why\nlet c = d.expect(\"e\");\n",
    )
    .unwrap();
    let mut found = Vec::new();
    scan(&dir, &mut found);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].ends_with("x.rs:1: let a = b.unwrap_or_default();"));
}
