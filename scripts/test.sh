#!/usr/bin/env bash
# dbgen's one test command, for people (README) and CI (.ci/run) alike: sets up a fresh machine
# with the pinned tools, then runs every check. Stops at the first failing step and names it.
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd -- "$repo_root"

log_dir=$(mktemp -d)
cleanup() { rm -rf -- "$log_dir"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# step NAME COMMAND...: runs COMMAND; on failure says which step failed and exits with its code.
step() {
    local name=$1 rc=0
    shift
    printf '\n==> %s: %s\n' "$name" "$*"
    "$@" || rc=$?
    if [[ $rc -ne 0 ]]; then
        printf '\ntest.sh: FAILED at step "%s" (exit code %d): %s\n' "$name" "$rc" "$*" >&2
        exit "$rc"
    fi
}

# cargo test, with its output also kept to add up the results at the end.
cargo_test() {
    cargo test "$@" 2>&1 | tee -a "$log_dir/cargo-test.log"
    return "${PIPESTATUS[0]}"
}

# Doc tests; a package without a library target has none, and cargo would refuse `--doc`.
doc_tests() {
    local metadata
    metadata=$(cargo metadata --no-deps --format-version 1 --locked) || return
    if [[ $metadata != *'"doctest":true'* ]]; then
        echo "no library target, so no doc tests"
        return 0
    fi
    cargo_test --locked --doc
}

# Prints the total of every `test result:` line, as one "N passed, N failed" line, then how
# many of the passes were skips: a test whose tool is missing prints a `SKIP: <test>: ...` line
# (tests/it/support.rs) and libtest reports it as passed. Each skip is listed by name.
summary() {
    awk '/^test result: / {
            for (i = 2; i <= NF; i++) {
                if ($i ~ /^passed;?$/) passed += $(i - 1)
                if ($i ~ /^failed;?$/) failed += $(i - 1)
                if ($i ~ /^ignored;?$/) ignored += $(i - 1)
            }
        }
        /SKIP: / { skipped++; line = $0; sub(/.*SKIP: /, "", line); skips[skipped] = line }
        END {
            # A skip is reported by libtest as a pass: count it once, as skipped.
            printf "tests: %d passed, %d failed, %d skipped\n", passed - skipped, failed, skipped + ignored
            for (i = 1; i <= skipped; i++) printf "  SKIP: %s\n", skips[i]
        }' \
        "$log_dir/cargo-test.log"
}

# 1. Tools: kubectl for `kubectl kustomize`, helm for `helm template` of the pinned Bitnami
#    charts, PostgreSQL and Redis servers for the tests that
#    run the generated scripts (install-tools.sh links the PostgreSQL server binaries into
#    .tools/bin, so the PATH below finds initdb, pg_ctl and postgres), the AWS CLI and an S3
#    test server for the upload script's test, the pre-commit framework for the hooks' test.
step "install tools" bash scripts/install-tools.sh kubectl helm postgres redis s3 pre-commit

# 2. The tests use the pinned kubectl, never another one on the machine.
export PATH="$repo_root/.tools/bin:$PATH"
export DBGEN_KUBECTL="$repo_root/.tools/bin/kubectl"

# 3. The checks.
step "format" cargo fmt --all -- --check
step "lint" cargo clippy --all-targets --locked -- -D warnings
# xtask (the schema converter) is a package of its own, outside dbgen's build.
step "xtask format" cargo fmt --manifest-path xtask/Cargo.toml -- --check
step "xtask lint" cargo clippy --manifest-path xtask/Cargo.toml --all-targets --locked -- -D warnings
# Not `--all-targets`: that also runs the benchmark, unoptimised; clippy above still checks it.
step "tests" cargo_test --locked --lib --bins --tests
step "xtask tests" cargo_test --locked --manifest-path xtask/Cargo.toml
# ARCHITECTURE.md's "Adding a kind", followed for a toy kind on a copy of the crate (a few
# minutes: the copy's crate is compiled once, its dependencies are shared).
step "kind recipe" cargo xtask kind-recipe
step "doc tests" doc_tests

printf '\n'
summary
