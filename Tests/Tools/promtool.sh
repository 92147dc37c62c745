#!/usr/bin/env bash
# Prints the path of a promtool (Prometheus's checker for the /metrics text format), installing
# it first when needed: promtool on PATH, else DIR/promtool, else the binary from Debian's
# `prometheus` package, unpacked into DIR (no system install: `apt-get download` + `dpkg-deb -x`).
# Idempotent and safe to run concurrently (flock). Usage: promtool.sh DIR
set -euo pipefail
: "${1:?usage: promtool.sh DIR}"
if command -v promtool >/dev/null 2>&1; then command -v promtool; exit 0; fi
mkdir -p "$1"
dir=$(cd "$1" && pwd)
exec 9>"$dir/.promtool.lock"
flock 9
if [[ -x "$dir/promtool" ]]; then echo "$dir/promtool"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download prometheus >/dev/null 2>&1; then
    # A fresh machine has no package lists yet; reading them needs root, as installing would.
    if [[ $(id -u) -eq 0 ]]; then apt-get update -qq >/dev/null 2>&1 || true; fi
    apt-get download prometheus >&2 || { echo "promtool.sh: cannot download Debian's prometheus package" >&2; exit 1; }
fi
dpkg-deb -x prometheus_*.deb root
install -m 0755 root/usr/bin/promtool "$dir/promtool.tmp"
mv "$dir/promtool.tmp" "$dir/promtool"
echo "$dir/promtool"
