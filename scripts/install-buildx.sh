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

debian_mirror() {
  local uri=''
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -z $uri && -f /etc/apt/sources.list ]]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' \
      /etc/apt/sources.list)
  fi
  [[ -n $uri ]] || die "cannot find the Debian mirror in the machine's apt sources"
  printf '%s\n' "${uri%/}"
}

apt=$STATE/apt-trixie
debs=$STATE/buildx/debs
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$debs"
printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s trixie main\n' "$(debian_mirror)" >"$apt/sources.list"
opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o Dir::Etc::sourceparts=-
  -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o APT::Get::List-Cleanup=0)
if [[ -z $(find "$apt/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -1) ]]; then
  step "apt-get update (trixie, private lists)"
  apt-get "${opts[@]}" update -qq >"$apt/update.log" 2>&1 || die "apt-get update for trixie failed" "$apt/update.log"
fi
step "downloading docker-buildx from trixie"
rm -f "$debs"/*.deb
(cd "$debs" && apt-get "${opts[@]}" download docker-buildx >"$apt/download-buildx.log" 2>&1) ||
  die "apt-get download docker-buildx failed" "$apt/download-buildx.log"

# Its only declared need is libc6 (>= 2.34), which Debian 12 meets, so a plain dpkg -i works.
deb=$(ls "$debs"/docker-buildx_*.deb)
step "installing $(basename "$deb") with dpkg -i"
dpkg -i "$deb" >"$STATE/buildx/dpkg.log" 2>&1 || die "dpkg -i $deb failed" "$STATE/buildx/dpkg.log"
docker buildx version >/dev/null 2>&1 ||
  die "docker buildx does not answer after installing $PLUGIN_DIR/docker-buildx (is $(command -v docker) looking there?)"
step "installed: $(docker buildx version)"
