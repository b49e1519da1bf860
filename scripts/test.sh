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

# Prints the total of every `test result:` line, as one "N passed, N failed" line.
summary() {
    awk '/^test result: / {
            for (i = 2; i <= NF; i++) {
                if ($i ~ /^passed;?$/) passed += $(i - 1)
                if ($i ~ /^failed;?$/) failed += $(i - 1)
                if ($i ~ /^ignored;?$/) ignored += $(i - 1)
            }
        }
        END { printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, ignored }' \
        "$log_dir/cargo-test.log"
}

# 1. Tools: kubectl for `kubectl kustomize`, PostgreSQL and Redis servers for the tests that
#    run the generated scripts (install-tools.sh links the PostgreSQL server binaries into
#    .tools/bin, so the PATH below finds initdb, pg_ctl and postgres), the AWS CLI and an S3
#    test server for the upload script's test, the pre-commit framework for the hooks' test.
step "install tools" bash scripts/install-tools.sh kubectl postgres redis s3 pre-commit

# 2. The tests use the pinned kubectl, never another one on the machine.
export PATH="$repo_root/.tools/bin:$PATH"
export DBGEN_KUBECTL="$repo_root/.tools/bin/kubectl"

# 3. The checks.
step "format" cargo fmt --all -- --check
step "lint" cargo clippy --all-targets --locked -- -D warnings
step "tests" cargo_test --locked --all-targets
step "doc tests" doc_tests

printf '\n'
summary
