#!/usr/bin/env bash
# Extra Docker 20.10 engines for benchmarks that need several INDEPENDENT BuildKit daemons (the
# kubernetes bench gives each stand-in pod its own). Not for tests; engine A (scripts/test-env.sh) is
# left alone and is where the base image is copied from.
#
#   scripts/bench-engines.sh start N   start engines 1..N (those not already running), import local/busybox:1
#   scripts/bench-engines.sh stop      stop every bench engine and remove its state, bridge and socket
#   scripts/bench-engines.sh status    list the bench engines and whether they answer
#
# Engine i: Debian 12 dockerd with its own containerd, everything under $TSBAKE_BENCH_STATE/engine<i>
# (default /var/lib/tsbake-bench): data root, exec root, pidfile, API socket (docker.sock), log.
# Each gets its own bridge brbench<i> (172.29.<i>.1/24) with --iptables=false: Docker 20.10's BuildKit
# runs RUN steps on the daemon's "bridge" network, so --bridge=none would leave RUN without a network
# to join; no NAT or firewall rules are added. Idempotent: start skips running engines, stop skips
# absent ones.
set -euo pipefail

STATE=${TSBAKE_BENCH_STATE:-/var/lib/tsbake-bench}
SRC_SOCK=${TSBAKE_BENCH_SOURCE_SOCK:-/var/run/docker.sock}
IMAGE=local/busybox:1
MAX=9

step() { printf '[bench-engines] %s\n' "$*"; }
die() {
  printf '[bench-engines] ERROR: %s\n' "$1" >&2
  if [[ -n ${2:-} && -f $2 ]]; then
    printf '[bench-engines] last lines of %s:\n' "$2" >&2
    tail -n 30 "$2" >&2
  fi
  exit 1
}

dir_of() { printf '%s/engine%s' "$STATE" "$1"; }
sock_of() { printf '%s/docker.sock' "$(dir_of "$1")"; }
bridge_of() { printf 'brbench%s' "$1"; }
engine_up() { docker -H "unix://$1" version --format '{{.Server.Version}}'; }

start_one() {
  local i=$1 dir sock br log pid
  dir=$(dir_of "$i")
  sock=$(sock_of "$i")
  br=$(bridge_of "$i")
  log=$dir/dockerd.log
  if engine_up "$sock" >/dev/null 2>&1; then
    step "engine $i already running on unix://$sock"
  else
    mkdir -p "$dir/data" "$dir/exec"
    if ! ip link show "$br" >/dev/null 2>&1; then
      ip link add "$br" type bridge
      ip addr add "172.29.$i.1/24" dev "$br"
    fi
    ip link set "$br" up
    printf '{}\n' >"$dir/daemon.json"
    step "starting engine $i (Debian 12 dockerd) on unix://$sock, bridge $br"
    # Without --containerd, dockerd starts its own containerd under the exec root: one per engine.
    setsid nohup /usr/sbin/dockerd \
      --config-file "$dir/daemon.json" \
      --data-root "$dir/data" \
      --exec-root "$dir/exec" \
      --pidfile "$dir/dockerd.pid" \
      -H "unix://$sock" \
      --bridge="$br" --iptables=false --ip-masq=false \
      >>"$log" 2>&1 </dev/null &
    pid=$!
    local deadline=$(($(date +%s) + 60))
    until engine_up "$sock" >/dev/null 2>&1; do
      kill -0 "$pid" 2>/dev/null || die "engine $i exited while starting" "$log"
      (($(date +%s) < deadline)) || die "engine $i did not come up within 60s" "$log"
      sleep 0.5
    done
  fi
  if docker -H "unix://$sock" image inspect "$IMAGE" >/dev/null 2>&1; then
    step "engine $i already has $IMAGE"
  else
    step "copying $IMAGE from unix://$SRC_SOCK into engine $i"
    docker -H "unix://$SRC_SOCK" save "$IMAGE" | docker -H "unix://$sock" load -q >/dev/null ||
      die "could not copy $IMAGE into engine $i (is engine A up with the image? run scripts/test-env.sh)"
  fi
}

stop_one() {
  local i=$1 dir pid br
  dir=$(dir_of "$i")
  br=$(bridge_of "$i")
  if [[ -f $dir/dockerd.pid ]]; then
    pid=$(cat "$dir/dockerd.pid")
    if kill -0 "$pid" 2>/dev/null; then
      step "stopping engine $i (pid $pid)"
      kill -TERM "$pid"
      local deadline=$(($(date +%s) + 30))
      while kill -0 "$pid" 2>/dev/null; do
        if (($(date +%s) >= deadline)); then
          step "engine $i did not stop within 30s; killing it"
          kill -KILL "$pid" 2>/dev/null || true
          break
        fi
        sleep 0.2
      done
    fi
  fi
  if [[ -d $dir ]]; then
    # Mounts a killed daemon may leave behind (overlay layers, netns files), deepest first.
    awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
      umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$dir"
  fi
  if ip link show "$br" >/dev/null 2>&1; then ip link delete "$br"; fi
}

present() { # engine numbers with a state directory or a bridge
  local i
  for ((i = 1; i <= MAX; i++)); do
    if [[ -d $(dir_of "$i") ]] || ip link show "$(bridge_of "$i")" >/dev/null 2>&1; then printf '%s\n' "$i"; fi
  done
}

cmd=${1:-}
case $cmd in
  start)
    n=${2:-}
    [[ $n =~ ^[1-9]$ ]] || die "usage: $0 start N (1..$MAX)"
    [[ $(id -u) == 0 ]] || die "run me as root (I start daemons and create bridges)"
    engine_up "$SRC_SOCK" >/dev/null 2>&1 || die "engine A does not answer on unix://$SRC_SOCK (run scripts/test-env.sh)"
    for ((i = 1; i <= n; i++)); do start_one "$i"; done
    for ((i = 1; i <= n; i++)); do printf 'unix://%s\n' "$(sock_of "$i")"; done
    ;;
  stop)
    [[ $(id -u) == 0 ]] || die "run me as root"
    for i in $(present); do stop_one "$i"; done
    rmdir "$STATE" 2>/dev/null || true
    step "no bench engines left"
    ;;
  status)
    for i in $(present); do
      if v=$(engine_up "$(sock_of "$i")" 2>/dev/null); then
        step "engine $i: Docker $v on unix://$(sock_of "$i")"
      else
        step "engine $i: not answering (state in $(dir_of "$i"))"
      fi
    done
    ;;
  *)
    die "usage: $0 start N | stop | status"
    ;;
esac
