#!/usr/bin/env bash
# Proves the Dockerfile's `FROM scratch` contract without a registry: builds the static musl
# binary with the Dockerfile's build-stage command, checks that it asks for no dynamic loader
# and no shared library, then
#  1. runs it in an otherwise empty root (a user and mount namespace holding only /dbgen,
#     /LICENSE and the spec in /work, the working directory), and
#  2. when a Docker daemon answers, builds the Dockerfile's final stage (everything from
#     `FROM scratch` on, the binary copied from step 0 instead of the build stage, which needs
#     the rust image from Docker Hub) and runs `docker run -v "$spec:/work" -w /work <image>`;
#     with CI=true a missing daemon is a failure, and
#  3. runs that image through the real pre-commit framework as this repository's
#     `dbgen-check-docker` hook (`language: docker_image`, its entry pointed at the test image)
#     on a repository whose spec is in platform/: it passes on the rendered tree and fails on
#     a hand edit of the output.
# Each run renders the README example identically to the golden, `render --check` included.
# Needs the x86_64-unknown-linux-musl Rust target, musl-gcc (Debian: musl-tools; mimalloc is C)
# and unshare(1) with user namespaces (or root).
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

# 3. The image as a pre-commit `docker_image` hook, with the hook definitions of this
#    repository (committed in a scratch hooks repository, as pre-commit clones one).
pre_commit=$(command -v pre-commit || true)
[[ -n $pre_commit ]] || pre_commit=$repo_root/.tools/bin/pre-commit
[[ -x $pre_commit ]] || { echo "image-test: pre-commit missing (scripts/install-tools.sh pre-commit)" >&2; exit 1; }
hooks=$spec/hooks
user_repo=$spec/repo
mkdir -p -- "$hooks" "$user_repo/platform"
cp -- "$repo_root/.pre-commit-hooks.yaml" "$hooks/"
quiet_git() { git -c user.name=image-test -c user.email=image-test@example.invalid -c commit.gpgsign=false "$@"; }
(cd -- "$hooks" && quiet_git init -q && quiet_git add . && quiet_git commit -qm hooks)
rev=$(git -C "$hooks" rev-parse HEAD)
cp -- "$repo_root/golden/vixens-shared/dbgen.toml" "$user_repo/platform/dbgen.toml"
cat >"$user_repo/.pre-commit-config.yaml" <<CONFIG
repos:
  - repo: $hooks
    rev: $rev
    hooks:
      - id: dbgen-check-docker
        entry: $tag render --check
        args: [-f, platform/dbgen.toml]
CONFIG
(cd -- "$user_repo" && "$dbgen" render -f platform/dbgen.toml --quiet && quiet_git init -q && quiet_git add . && quiet_git commit -qm spec)
hook() { (cd -- "$user_repo" && PRE_COMMIT_HOME=$spec/pre-commit-cache "$pre_commit" run --all-files); }
hook >"$spec/hook.log" 2>&1 || { cat -- "$spec/hook.log" >&2; echo "image-test: the docker_image hook failed on a rendered tree" >&2; exit 1; }
edited=$(find "$user_repo/platform/out" -name '*.yaml' -type f | sort | head -n 1)
echo "# hand edit" >>"$edited"
if hook >"$spec/hook.log" 2>&1; then
    cat -- "$spec/hook.log" >&2
    echo "image-test: the docker_image hook passed a hand edit of $edited" >&2
    exit 1
fi
# It failed for the edit: dbgen names the edited file (not a pre-commit or docker error).
grep -qF -- "${edited#"$user_repo/platform/"}" "$spec/hook.log" || {
    cat -- "$spec/hook.log" >&2
    echo "image-test: the docker_image hook failed without naming the edited file" >&2
    exit 1
}
echo "image-test: the image as pre-commit's dbgen-check-docker hook passes the rendered tree and refuses a hand edit of it"
