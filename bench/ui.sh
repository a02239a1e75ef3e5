#!/usr/bin/env bash
# UI benchmark: big BOMs in headless Chromium (Debian's chromium, driven by tests/e2e's pinned
# playwright-core). Starts a server on a fresh store, imports generated 10,000- and 50,000-item
# BOMs (gen_bom_csv.py), then runs bench/ui.mjs: open the 50k BOM, expand it fully, scroll it
# end to end, and compare 10k with 50k; main-thread long tasks are recorded with a
# PerformanceObserver. ROUNDS=3 by default; figures and targets in bench/README.md.
#
#   bench/ui.sh                         # builds build-bench/ first
#   SKIP_BUILD=1 BIN=build/bomvault bench/ui.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need node "apt-get install nodejs"
need curl "apt-get install curl"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || die "chromium is required (apt-get install chromium)"
if [ ! -d "$REPO/tests/e2e/node_modules/playwright-core" ]; then
  npm ci --prefix "$REPO/tests/e2e" --ignore-scripts --no-audit --no-fund --loglevel=error
fi
trap bv_cleanup EXIT
bv_build
bv_tmp
bv_start
python3 "$BENCH_DIR/gen_bom_csv.py" "$BV_TMP/b10k.csv" 10000 7
python3 "$BENCH_DIR/gen_bom_csv.py" "$BV_TMP/b50k.csv" 50000 11
import_bom() {
  curl -sf --max-time 300 -H "Authorization: Bearer $BV_TOKEN" -H 'Content-Type: text/csv' \
    --data-binary "@$2" "$BV_URL/api/v1/boms/import?name=$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
small=$(import_bom "Bench-10k" "$BV_TMP/b10k.csv") || die "import of 10k failed"
big=$(import_bom "Bench-50k" "$BV_TMP/b50k.csv") || die "import of 50k failed"
BV_URL="$BV_URL" BV_EMAIL="$ADMIN_EMAIL" BV_PASSWORD="$PASSWORD" BV_SMALL="$small" BV_BIG="$big" \
  ROUNDS="${ROUNDS:-3}" CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" timeout 900 node "$BENCH_DIR/ui.mjs"
