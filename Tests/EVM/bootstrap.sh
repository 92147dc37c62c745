#!/usr/bin/env bash
# Creates (or reuses) the EVM rig's Python venv from requirements.txt.
#   Tests/EVM/bootstrap.sh [VENV]     VENV defaults to <repo>/.build/evm-venv (git-ignored)
# Idempotent: the venv keeps a stamp (sha256 of requirements.txt + the Python version);
# when it matches, nothing is done. Quiet on success; on failure prints why and exits 1.
# PYTHON=/path/to/python3 picks the interpreter (3.10 or later; verified on 3.11).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${1:-$root/.build/evm-venv}
req=$here/requirements.txt
python=${PYTHON:-python3}

fail() { echo "bootstrap.sh: $*" >&2; exit 1; }

command -v "$python" >/dev/null 2>&1 || fail "no '$python' on PATH (set PYTHON=...)"
pyver=$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])') \
    || fail "'$python' does not run"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
    || fail "Python $pyver is too old: Vyper 0.4 needs 3.10 or later (set PYTHON=...)"
"$python" -c 'import venv, ensurepip' 2>/dev/null \
    || fail "Python $pyver lacks venv/ensurepip (Debian: apt-get install python3-venv)"

if command -v sha256sum >/dev/null 2>&1; then
    reqhash=$(sha256sum "$req" | cut -d' ' -f1)
else
    reqhash=$(shasum -a 256 "$req" | cut -d' ' -f1)
fi
want="$reqhash python-$pyver"
stamp=$venv/.streamrecon-evm-requirements

is_current() { [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }

is_current && exit 0

mkdir -p "$(dirname "$venv")"
# Serialise concurrent bootstraps (parallel test processes) where flock exists.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$venv.lock"
    flock 9
    is_current && exit 0
fi

log=$(mktemp "${TMPDIR:-/tmp}/evm-bootstrap.XXXXXX")
trap 'rm -f "$log"' EXIT
{
    "$python" -m venv --clear "$venv" &&
    "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$req" &&
    "$venv/bin/python" -c 'import vyper, eth_tester, eth, eth_abi; from eth_tester import PyEVMBackend; PyEVMBackend()'
} >"$log" 2>&1 || {
    cat "$log" >&2
    rm -f "$stamp"
    fail "could not install $req into $venv (output above; PyPI must be reachable)"
}
echo "$want" >"$stamp"
