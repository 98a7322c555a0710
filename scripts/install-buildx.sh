#!/usr/bin/env bash
# Install docker-buildx 0.13.x from Debian 13 (trixie) so `docker buildx` works: the
# reference tsbake is compared with in the benchmarks. Idempotent; needs root.
# The .deb is fetched without touching the machine's apt sources (private sources list,
# lists and cache under /var/lib/tsbake-test/apt-trixie), with the mirror the machine uses.
set -euo pipefail

STATE=${TSBAKE_TEST_STATE:-/var/lib/tsbake-test}
PLUGIN_DIR=/usr/libexec/docker/cli-plugins

step() { printf '[install-buildx] %s\n' "$*"; }
die() { printf '[install-buildx] ERROR: %s\n' "$1" >&2; [[ -n ${2:-} && -f $2 ]] && tail -n 20 "$2" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "run me as root"

if docker buildx version >/dev/null 2>&1; then
  step "already installed: $(docker buildx version)"
  exit 0
fi

# shellcheck source=lib/trixie.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/trixie.sh"

debs=$STATE/buildx/debs
step "downloading docker-buildx from trixie"
rm -rf "$debs"
download_trixie "$debs" docker-buildx

# Its only declared need is libc6 (>= 2.34), which Debian 12 meets, so a plain dpkg -i works.
deb=$(ls "$debs"/docker-buildx_*.deb)
step "installing $(basename "$deb") with dpkg -i"
dpkg -i "$deb" >"$STATE/buildx/dpkg.log" 2>&1 || die "dpkg -i $deb failed" "$STATE/buildx/dpkg.log"
docker buildx version >/dev/null 2>&1 ||
  die "docker buildx does not answer after installing $PLUGIN_DIR/docker-buildx (is $(command -v docker) looking there?)"
step "installed: $(docker buildx version)"
