#!/usr/bin/env bash
# End-to-end test of the bundled web UI: tests/e2e/run.sh path/to/bomvault
#
# Makes a fresh store with `bomvault init --json`, starts `bomvault serve` sealed on a free
# loopback port, and drives Debian's chromium (never a downloaded browser) through e2e.mjs with
# playwright-core; mail goes to DATA/outbox/ (BV_OUTBOX). Screenshots land in build/screenshots/. Exit status 0 only when every step
# passed; the last line reads "e2e: N passed, M failed". The server's drop root for folder sources
# (`--source-dir`) is DROP (BV_SOURCE_DIR); the test drops a real export from tests/corpus there.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 path/to/bomvault" >&2
  exit 2
fi
bin=$(realpath "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "e2e: $chromium is missing (apt-get install -y chromium)" >&2
  exit 2
fi
if [ ! -d tests/e2e/node_modules/playwright-core ]; then
  npm ci --prefix tests/e2e --ignore-scripts --no-audit --no-fund --loglevel=error
fi
# The OAuth provider the Sources steps sign in at (the same oidc-provider the integration tests use).
if [ ! -d tests/integration/oidc/node_modules/oidc-provider ]; then
  npm ci --prefix tests/integration/oidc --ignore-scripts --no-audit --no-fund --loglevel=error
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bv-e2e.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

"$bin" init --data "$tmp/data" --shares 3 --threshold 2 --json > "$tmp/init.json"
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();})')
mkdir -p "$tmp/drop"
"$bin" serve --data "$tmp/data" --listen "127.0.0.1:$port" --source-dir "$tmp/drop" > "$tmp/server.log" 2>&1 &
server_pid=$!

mkdir -p build/screenshots
status=0
BV_BASE="http://127.0.0.1:$port" BV_INIT="$tmp/init.json" BV_OUTBOX="$tmp/data/outbox" BV_SCREENSHOTS="$root/build/screenshots" \
  BV_SERVER_LOG="$tmp/server.log" BV_SOURCE_DIR="$tmp/drop" CHROMIUM="$chromium" node tests/e2e/e2e.mjs || status=$?
exit "$status"
