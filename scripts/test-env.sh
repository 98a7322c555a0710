#!/usr/bin/env bash
# Bring up the real systems the integration tests run against, starting only
# what is not already running (safe to run again and again):
#   engine A  Docker 20.10 (Debian 12 docker.io, BuildKit v0.8)   unix:///var/run/docker.sock
#   engine B  Docker 26.x  (Debian 13 docker.io + containerd, containerd image store)
#             unix:///var/run/tsbake-docker26.sock
#   engine C  a second Docker 26 from engine B's binaries, its own data, containerd and BuildKit
#             unix:///var/run/tsbake-docker26b.sock (the second node of multi-node tests)
#   registry  docker-registry on 127.0.0.1:5000
#   image     local/busybox:1 in both engines, 127.0.0.1:5000/busybox:1 in the registry
# and write /var/lib/tsbake-test/env.sh with the addresses.
# Needs root on Debian 12 with access to Debian's package mirror.
# See README.md ("Development") for what the tests run against, and test/helpers/env.ts for how
# they find these systems and check that they are up.
set -euo pipefail

STATE=${TSBAKE_TEST_STATE:-/var/lib/tsbake-test}
LOGDIR=${TSBAKE_TEST_LOGDIR:-/var/log}
SOCK20=/var/run/docker.sock
SOCK26=/var/run/tsbake-docker26.sock
REGISTRY=127.0.0.1:5000
ROOT26=$STATE/docker26/root
BRIDGE26=br26
BRIDGE26_CIDR=172.30.0.1/16
SOCK26B=/var/run/tsbake-docker26b.sock
BRIDGE26B=br26b
BRIDGE26B_CIDR=172.29.0.1/16
IMAGE=local/busybox:1
APPLETS="sh ls cat echo mkdir sleep nc touch rm cp mv env true false grep sed wc head tail dd
  sha256sum test printf id uname date seq find xargs"

T0=$(date +%s)
step() { printf '[test-env %3ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
die() {
  printf '[test-env] ERROR: %s\n' "$1" >&2
  if [[ -n ${2:-} && -f $2 ]]; then
    printf '[test-env] last lines of %s:\n' "$2" >&2
    tail -n 30 "$2" >&2
  fi
  exit 1
}

# wait_for <what> <seconds> <log file> <pid> <command...>: poll until the command succeeds; fail
# at once if the process <pid> (the daemon just started) has exited.
wait_for() {
  local what=$1 timeout=$2 log=$3 pid=$4
  shift 4
  local deadline=$(($(date +%s) + timeout))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      die "$what exited while starting" "$log"
    fi
    if (($(date +%s) >= deadline)); then
      die "$what did not come up within ${timeout}s" "$log"
    fi
    sleep 0.5
  done
}

# The docker CLI, pinned to one engine. API negotiation makes any CLI version work with both.
d20() { docker -H "unix://$SOCK20" "$@"; }
d26() { docker -H "unix://$SOCK26" "$@"; }
engine_up() { docker -H "unix://$1" version --format '{{.Server.Version}}'; }
registry_up() { [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/") == 200 ]]; }

[[ $(id -u) == 0 ]] || die "run me as root (I install packages and start daemons)"
mkdir -p "$STATE" "$LOGDIR"

# --- Debian 12 packages -----------------------------------------------------------------
# chromium: headless, for the build report's tests (test/integration/report-chromium.test.ts).
PKGS=(docker.io docker-registry busybox-static iptables openssl curl openssh-client python3 chromium)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  step "installing ${missing[*]} (apt-get update + install)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  step "packages present: ${PKGS[*]}"
fi

# --- engine A: Docker 20.10 ---------------------------------------------------------------
if engine_up "$SOCK20" >/dev/null 2>&1; then
  step "engine A already running: Docker $(engine_up "$SOCK20") on unix://$SOCK20"
else
  step "starting engine A (Debian 12 dockerd) on unix://$SOCK20, data in $STATE/docker20"
  mkdir -p "$STATE/docker20"
  setsid nohup /usr/sbin/dockerd --data-root "$STATE/docker20" -H "unix://$SOCK20" \
    >>"$LOGDIR/tsbake-dockerd20.log" 2>&1 </dev/null &
  wait_for "engine A (dockerd 20.10)" 60 "$LOGDIR/tsbake-dockerd20.log" $! engine_up "$SOCK20"
  step "engine A up: Docker $(engine_up "$SOCK20")"
fi

# start_docker26 <label> <suffix> <sock> <bridge> <cidr> <what>: start a Docker 26 daemon from
# $ROOT26's binaries on unix://<sock>, with its own bridge, data root ($STATE/docker26<suffix>/data),
# exec root (so its own containerd), pidfile and log.
start_docker26() {
  local label=$1 suffix=$2 sock=$3 bridge=$4 cidr=$5 what=$6
  local state=$STATE/docker26$suffix
  local exec_root=/var/run/tsbake-docker26$suffix log=$LOGDIR/tsbake-dockerd26$suffix.log
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    step "creating bridge $bridge ($cidr) for $label, so engine A keeps docker0"
    ip link add "$bridge" type bridge
    ip addr add "$cidr" dev "$bridge"
  fi
  ip link set "$bridge" up
  mkdir -p "$state/data" "$exec_root"
  printf '{"features": {"containerd-snapshotter": true}, "insecure-registries": ["%s"]}\n' "$REGISTRY" >"$state/daemon.json"
  step "starting $label ($what) on unix://$sock"
  # With no --containerd, dockerd starts its own containerd under the exec root, so each engine's
  # containerd (socket, state) is separate from A's (/var/run/docker/containerd) and the others'.
  PATH="$ROOT26/usr/bin:$ROOT26/usr/sbin:$ROOT26/usr/libexec/docker:$PATH" \
    setsid nohup "$ROOT26/usr/sbin/dockerd" \
    --config-file "$state/daemon.json" \
    --data-root "$state/data" \
    --exec-root "$exec_root" \
    --pidfile "/var/run/tsbake-docker26$suffix.pid" \
    -H "unix://$sock" \
    --bridge="$bridge" \
    >>"$log" 2>&1 </dev/null &
  wait_for "$label (dockerd 26$suffix)" 90 "$log" $! engine_up "$sock"
  step "$label up: Docker $(engine_up "$sock")"
}

# --- engine B: Docker 26 from the Debian 13 suite, unpacked, not installed ------------------
# The packages come from trixie without touching the machine's apt sources: a private
# sources list, lists dir and cache, with the mirror the machine already uses.
# shellcheck source=lib/trixie.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/trixie.sh"

if engine_up "$SOCK26" >/dev/null 2>&1; then
  step "engine B already running: Docker $(engine_up "$SOCK26") on unix://$SOCK26"
else
  if [[ ! -x $ROOT26/usr/sbin/dockerd || ! -x $ROOT26/usr/bin/containerd ]]; then
    step "downloading docker.io + containerd from Debian 13 (trixie) into $STATE/docker26/debs"
    rm -rf "$STATE/docker26/debs"
    download_trixie "$STATE/docker26/debs" docker.io containerd
    rm -rf "$ROOT26"
    mkdir -p "$ROOT26"
    for deb in "$STATE/docker26/debs"/*.deb; do
      step "unpacking $(basename "$deb") into $ROOT26"
      dpkg -x "$deb" "$ROOT26"
    done
  else
    step "engine B binaries present in $ROOT26"
  fi
  start_docker26 "engine B" "" "$SOCK26" "$BRIDGE26" "$BRIDGE26_CIDR" "Debian 13 dockerd, containerd image store"
fi

# --- engine C: a second Docker 26 (same binaries as B), a distinct BuildKit daemon -----------
# Multi-node builders (test/integration/multinode.test.ts) need two daemons that both export OCI
# images (Docker 20.10's BuildKit has only the moby, local and tar exporters).
if engine_up "$SOCK26B" >/dev/null 2>&1; then
  step "engine C already running: Docker $(engine_up "$SOCK26B") on unix://$SOCK26B"
else
  start_docker26 "engine C" b "$SOCK26B" "$BRIDGE26B" "$BRIDGE26B_CIDR" "engine B's dockerd, its own data root and containerd"
fi

# --- registry -------------------------------------------------------------------------------
if registry_up; then
  step "registry already answering on http://$REGISTRY/v2/"
else
  step "starting registry on $REGISTRY, storage in $STATE/registry"
  mkdir -p "$STATE/registry/data"
  cat >"$STATE/registry/config.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $STATE/registry/data
  delete:
    enabled: true
http:
  addr: $REGISTRY
EOF
  setsid nohup docker-registry serve "$STATE/registry/config.yml" \
    >>"$LOGDIR/tsbake-registry.log" 2>&1 </dev/null &
  wait_for "registry" 30 "$LOGDIR/tsbake-registry.log" $! registry_up
  step "registry up"
fi

# --- base image -----------------------------------------------------------------------------
ROOTFS=$STATE/busybox-rootfs
make_rootfs() {
  [[ -x $ROOTFS/bin/busybox ]] && return 0
  local tmp=$ROOTFS.tmp
  rm -rf "$tmp"
  mkdir -p "$tmp/bin" "$tmp/usr/bin" "$tmp/tmp" "$tmp/etc" "$tmp/root"
  chmod 1777 "$tmp/tmp"
  cp /bin/busybox "$tmp/bin/busybox"
  local a
  for a in $APPLETS; do ln -s busybox "$tmp/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$tmp/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/etc/group"
  mv "$tmp" "$ROOTFS"
}

import_base() { # <engine fn> <label>
  local d=$1 label=$2
  if $d image inspect "$IMAGE" >/dev/null 2>&1; then
    step "$label already has $IMAGE"
  else
    make_rootfs
    step "importing $IMAGE into $label"
    tar -C "$ROOTFS" -c . | $d import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/usr/bin:/bin' - "$IMAGE" >/dev/null
  fi
}
import_base d20 "engine A"
import_base d26 "engine B"

registry_has_base() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.oci.image.index.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
    "http://$REGISTRY/v2/busybox/manifests/1") == 200 ]]
}
if registry_has_base; then
  step "registry already has $REGISTRY/busybox:1"
else
  step "pushing $REGISTRY/busybox:1 from engine B"
  d26 tag "$IMAGE" "$REGISTRY/busybox:1"
  d26 push -q "$REGISTRY/busybox:1" >/dev/null || die "push of $REGISTRY/busybox:1 from engine B failed" "$LOGDIR/tsbake-dockerd26.log"
  registry_has_base || die "registry does not list $REGISTRY/busybox:1 after the push" "$LOGDIR/tsbake-registry.log"
fi

# --- the reference bake: docker-buildx 0.29.1 from Debian unstable (sid), unpacked -----------
# `tsbake print` is compared with `docker buildx bake --print` of this binary (test/integration/print-diff*).
# It is a plain binary: run as `$BUILDX29 bake --print …`; nothing is installed into the machine's paths.
BUILDX29=$STATE/buildx-sid/root/usr/libexec/docker/cli-plugins/docker-buildx
if [[ -x $BUILDX29 ]] && "$BUILDX29" version >/dev/null 2>&1; then
  step "buildx (sid) present: $("$BUILDX29" version | head -1)"
else
  step "downloading docker-buildx from Debian unstable (sid) into $STATE/buildx-sid"
  rm -rf "$STATE/buildx-sid"
  download_suite sid "$STATE/buildx-sid/debs" docker-buildx
  mkdir -p "$STATE/buildx-sid/root"
  dpkg -x "$STATE/buildx-sid/debs"/docker-buildx_*.deb "$STATE/buildx-sid/root"
  "$BUILDX29" version >/dev/null 2>&1 || die "$BUILDX29 does not run"
  step "buildx (sid): $("$BUILDX29" version | head -1)"
fi

# --- env file -------------------------------------------------------------------------------
cat >"$STATE/env.sh" <<EOF
# Written by scripts/test-env.sh
export TSBAKE_TEST_DOCKER20=unix://$SOCK20
export TSBAKE_TEST_DOCKER26=unix://$SOCK26
export TSBAKE_TEST_DOCKER26B=unix://$SOCK26B
export TSBAKE_TEST_REGISTRY=$REGISTRY
export TSBAKE_TEST_BUILDX=$BUILDX29
EOF
step "ready; wrote $STATE/env.sh (logs: $LOGDIR/tsbake-dockerd20.log, $LOGDIR/tsbake-dockerd26.log, $LOGDIR/tsbake-dockerd26b.log, $LOGDIR/tsbake-registry.log)"
