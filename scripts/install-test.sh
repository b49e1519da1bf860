#!/usr/bin/env bash
# Installs dbgen from a clean clone exactly as the README says (`cargo install --locked`), then
# renders the example spec with the installed binary and checks the result with it.
# Slow (a release build with LTO), so it is a script rather than a cargo test. Reuses this
# checkout's target/ (or $CARGO_TARGET_DIR) so that dependencies are not compiled twice.
#
# Usage: scripts/install-test.sh          (from anywhere inside the repository)
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

git clone --quiet --no-hardlinks -- "$repo_root" "$work/clone"
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo_root/target}" cargo install --locked --quiet --path "$work/clone" --root "$work/install"
dbgen=$work/install/bin/dbgen
size=$(stat -c %s -- "$dbgen")
echo "installed $("$dbgen" --version), $size bytes"
[[ $size -le 12000000 ]] || { echo "binary larger than 12 MB" >&2; exit 1; }

mkdir -p -- "$work/spec"
cp -- "$work/clone/golden/vixens-shared/dbgen.toml" "$work/spec/dbgen.toml"
(cd -- "$work/spec" && "$dbgen" render && "$dbgen" render --check)
diff -r --exclude=.dbgen-manifest -- "$work/clone/golden/vixens-shared/expected" "$work/spec/out"
echo "install-test: the installed dbgen renders the README example identically to the golden"
