//! Build step: compresses the JSON Schemas the binary embeds.
//! Input: `schemas/crds/<group>/<file>.json` and `schemas/builtin/<stem>.json` (minified
//! JSON, reviewed in the repository).
//! Output: `$OUT_DIR/crds/<group>/<file>.json.deflate` and
//! `$OUT_DIR/builtin/<stem>.json.deflate` (raw DEFLATE), which `src/verify/crd.rs` and
//! `src/verify/builtin.rs` include and inflate on first use.
//! Invariant: inflating an output gives its input byte for byte; the schemas are about a
//! tenth of their size in the binary, which keeps the release binary under 12 MiB.

use std::fs;
use std::path::Path;

/// `miniz_oxide`'s best compression: the build pays once, every binary is smaller.
const LEVEL: u8 = 10;

fn main() {
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    for dir in ["crds", "builtin"] {
        println!("cargo::rerun-if-changed=schemas/{dir}");
        compress_dir(
            &Path::new("schemas").join(dir),
            &Path::new(&out_dir).join(dir),
        );
    }
}

fn compress_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|error| panic!("{}: {error}", to.display()));
    let entries = fs::read_dir(from).unwrap_or_else(|error| panic!("{}: {error}", from.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        let name = path.file_name().expect("a file name").to_string_lossy();
        if path.is_dir() {
            compress_dir(&path, &to.join(&*name));
        } else {
            let text =
                fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            let packed = miniz_oxide::deflate::compress_to_vec(&text, LEVEL);
            let target = to.join(format!("{name}.deflate"));
            fs::write(&target, packed)
                .unwrap_or_else(|error| panic!("{}: {error}", target.display()));
        }
    }
}
