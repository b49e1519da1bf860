#!/usr/bin/env bash
# Proves the Dockerfile's `FROM scratch` contract without a registry: builds the static musl
# binary with the Dockerfile's build-stage command, checks that it asks for no dynamic loader
# and no shared library, then
#  1. runs it in an otherwise empty root (a user and mount namespace holding only /dbgen,
#     /LICENSE and the spec in /work, the working directory), and
#  2. when a Docker daemon answers, builds the Dockerfile's final stage (everything from
#     `FROM scratch` on, the binary copied from step 0 instead of the build stage, which needs
#     the rust image from Docker Hub) and runs `docker run -v "$spec:/work" -w /work <image>`;
#     with CI=true a missing daemon is a failure.
# Each run renders the README example identically to the golden, `render --check` included.
# Needs the x86_64-unknown-linux-musl Rust target and unshare(1) with user namespaces (or root).
# Slow the first time (a cold release build for the musl target); reuses $CARGO_TARGET_DIR.
#
# Usage: scripts/image-test.sh [BINARY]   (BINARY: skip the build and test that binary)
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
target=x86_64-unknown-linux-musl
if [[ $# -ge 1 ]]; then
    dbgen=$(realpath -- "$1")
else
    target_dir=${CARGO_TARGET_DIR:-$repo_root/target}
    (cd -- "$repo_root" && cargo build --release --locked --target "$target")
    dbgen=$target_dir/$target/release/dbgen
fi

# A binary that needs a loader or a shared library cannot start in an empty root.
headers=$(readelf --program-headers --dynamic -- "$dbgen")
if grep -q 'INTERP' <<<"$headers" || grep -q '(NEEDED)' <<<"$headers"; then
    echo "image-test: $dbgen is not static:" >&2
    grep -E 'INTERP|NEEDED' <<<"$headers" >&2
    exit 1
fi
size=$(stat -c %s -- "$dbgen")
echo "static binary: $((size / 1024 / 1024)) MiB ($size bytes)"

root=$(mktemp -d)
context=$(mktemp -d)
spec=$(mktemp -d)
trap 'rm -rf -- "$root" "$context" "$spec"' EXIT
install -m 0755 -- "$dbgen" "$root/dbgen"
cp -- "$repo_root/LICENSE" "$root/LICENSE"
mkdir -- "$root/work"
cp -- "$repo_root/golden/vixens-shared/dbgen.toml" "$root/work/dbgen.toml"
# The root holds nothing else: no shell, no /etc, no /tmp, no /proc.
listing=$(cd -- "$root" && find . -mindepth 1 | sort | tr '\n' ' ')
[[ $listing == "./LICENSE ./dbgen ./work ./work/dbgen.toml " ]] || {
    echo "image-test: unexpected root contents: $listing" >&2
    exit 1
}

in_image() {
    # The entrypoint is /dbgen and the working directory /work, as in the Dockerfile.
    env -i unshare --user --map-root-user --mount --root="$root" --wd=/work /dbgen "$@"
}
in_image --version
in_image render
in_image render --check
diff -r --exclude=.dbgen-manifest -- "$repo_root/golden/vixens-shared/expected" "$root/work/out"
echo "image-test: the static binary alone in an empty root renders the README example identically to the golden"

if ! docker info >/dev/null 2>&1; then
    if [[ ${CI:-} == true ]]; then
        echo "image-test: no Docker daemon (CI=true): the image was not built" >&2
        exit 1
    fi
    echo "image-test: SKIPPED the image build and run: no Docker daemon answers"
    exit 0
fi
install -m 0755 -- "$dbgen" "$context/dbgen"
cp -- "$repo_root/LICENSE" "$context/LICENSE"
sed -n '/^FROM scratch/,$p' -- "$repo_root/Dockerfile" \
    | sed 's|^COPY --from=build /dbgen /dbgen$|COPY dbgen /dbgen|' >"$context/Dockerfile"
grep -q '^COPY dbgen /dbgen$' "$context/Dockerfile" || {
    echo "image-test: the Dockerfile's final stage no longer copies /dbgen from the build stage" >&2
    exit 1
}
tag=dbgen-image-test:$$
# The classic builder needs no buildx plugin and nothing from a registry for `FROM scratch`.
DOCKER_BUILDKIT=0 docker build --quiet --tag "$tag" -- "$context" >/dev/null
trap 'docker image rm --force "$tag" >/dev/null; rm -rf -- "$root" "$context" "$spec"' EXIT
cp -- "$repo_root/golden/vixens-shared/dbgen.toml" "$spec/dbgen.toml"
run_image() {
    docker run --rm --network none --user "$(id -u):$(id -g)" -v "$spec:/work" -w /work "$tag" "$@"
}
run_image render
run_image render --check
diff -r --exclude=.dbgen-manifest -- "$repo_root/golden/vixens-shared/expected" "$spec/out"
echo "image-test: the image built from the Dockerfile's final stage renders the README example identically to the golden"
