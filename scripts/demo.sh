#!/usr/bin/env bash
# The main job on an example: install what is missing, start the local engine, build examples/single.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-env.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
npm run build --silent
./bin/tsbake.js run -f examples/single/tsbake.yaml --progress plain
docker run --rm example/hello:dev
