#!/usr/bin/env bash
# Sustained mixed load: readers (list, items, flat), CSV imports (each deleted again), sign-in and
# sign-out loops (Argon2id) and share/revoke, on loopback for LOAD_SECONDS (default 120), against
# a fresh store. The same generator as the 20 s run in `make test` (tests/integration/load.py).
# Prints requests per kind, rate-limited answers (429, documented form), errors (must be 0),
# p50/p99 per kind and the server's RSS before, at peak and 2 s after the load.
#
#   bench/load.sh                       # builds build-bench/ if needed
#   LOAD_SECONDS=600 SKIP_BUILD=1 BIN=build/bomvault bench/load.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bv_build
cd "$REPO/tests/integration"
BOMVAULT_BIN="$BIN" LOAD_SECONDS="${LOAD_SECONDS:-120}" python3 - <<'PY'
import os
from harness import Org, Server, Store
from load import run_load
st = Store()
srv = Server(st)
try:
    run_load(srv, Org(srv), int(os.environ["LOAD_SECONDS"]))
finally:
    srv.stop()
    st.cleanup()
PY
