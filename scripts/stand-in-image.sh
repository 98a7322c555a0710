#!/usr/bin/env bash
# stand-in-image.sh <engine-host> <relay-port>
# Import tsbake-test/buildkit-standin:<relay-port> into the engine: a busybox root filesystem whose
# /usr/bin/buildctl pipes its stdio to 127.0.0.1:<relay-port> (a test relay to a real BuildKit) and
# whose entrypoint idles. Run with `--network host`, `docker exec -i <ctr> buildctl dial-stdio` then
# carries a real BuildKit connection: the stand-in for a BuildKit container (docker-container driver
# tests; privileged containers cannot run on the test machines). Skips the import when present.
set -euo pipefail

host=${1:?usage: stand-in-image.sh <engine-host> <relay-port>}
port=${2:?usage: stand-in-image.sh <engine-host> <relay-port>}
[[ $port =~ ^[0-9]+$ ]] || { echo "stand-in-image: relay port must be a number, got '$port'" >&2; exit 2; }
image=tsbake-test/buildkit-standin:$port

if docker -H "$host" image inspect "$image" >/dev/null 2>&1; then
  exit 0
fi

busybox=$(command -v busybox || true)
[[ -n $busybox ]] || { echo "stand-in-image: busybox not found (apt-get install busybox-static)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/usr/bin" "$root/tmp" "$root/etc"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for a in sh ls cat echo mkdir sleep nc touch rm cp mv env true false grep sed wc head tail ps kill; do
  ln -s busybox "$root/bin/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf '#!/bin/sh\n# tsbake test stand-in: every buildctl invocation becomes a pipe to the relay.\nexec nc 127.0.0.1 %s\n' \
  "$port" >"$root/usr/bin/buildctl"
chmod 0755 "$root/usr/bin/buildctl"

tar -C "$root" -c . | docker -H "$host" import \
  --change 'ENV PATH=/usr/bin:/bin' \
  --change 'ENTRYPOINT ["/bin/sleep", "2147483647"]' \
  - "$image" >/dev/null
echo "stand-in-image: imported $image into $host"
