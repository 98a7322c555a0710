#!/usr/bin/env bash
# The whole test command (`npm test`): Node dependencies, the real test environment (two Docker
# engines, a registry, a base image; see scripts/test-env.sh), the build, then every test under test/.
# Works from a fresh clone as root. Extra arguments go to vitest (e.g. a file filter).
# Exit code: vitest's (or the failing step's if something before it fails).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '[test] %s\n' "$*"; }

command -v node >/dev/null || { echo '[test] ERROR: node (>= 20) is not installed' >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || { echo "[test] ERROR: node >= 20 needed, found $(node --version)" >&2; exit 1; }

# npm ci when node_modules is missing or older than the lockfile (npm keeps its own copy of the
# resolved tree in node_modules/.package-lock.json, rewritten by every install).
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  step "npm ci"
  if ! npm ci --no-audit --no-fund; then
    # npm 11 refuses a lockfile that lacks an entry for a platform-only optional dependency (vite's
    # napi-windows-process-start-time); npm install resolves the same tree and tolerates it.
    step "npm ci refused the lockfile; npm install --no-save instead (the lockfile is left as is)"
    npm install --no-save --no-audit --no-fund
  fi
else
  step "node_modules up to date"
fi

step "test environment (scripts/test-env.sh)"
bash scripts/test-env.sh
# shellcheck disable=SC1091
source "${TSBAKE_TEST_STATE:-/var/lib/tsbake-test}/env.sh"

step "npm run build"
npm run --silent build

step "npx vitest run $*"
set +e
results=$(mktemp -t tsbake-vitest-XXXXXX.json)
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
status=$?
set -e
# The plain closing line ('tests: N passed, N failed, N skipped') from vitest's own JSON report.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$results" || true
rm -f "$results"
step "vitest exited with $status"
exit "$status"
