#!/usr/bin/env bash
# Crash rounds: kill -9 of the server at a random moment during concurrent writes, CRASH_ROUNDS
# times (default 200) on one store; after each, `bomvault check` must pass and, on the next start,
# every acknowledged write must be there in full (tests/integration/crash_rounds.py).
#
#   bench/crash.sh                      # builds build-bench/ if needed
#   CRASH_ROUNDS=500 SEED=3 SKIP_BUILD=1 BIN=build/bomvault bench/crash.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bv_build
cd "$REPO/tests/integration"
BOMVAULT_BIN="$BIN" CRASH_ROUNDS="${CRASH_ROUNDS:-200}" SEED="${SEED:-11}" python3 - <<'PY'
import os
from crash_rounds import run_rounds
from harness import Store
st = Store()
try:
    run_rounds(st, int(os.environ["CRASH_ROUNDS"]), seed=int(os.environ["SEED"]))
finally:
    st.cleanup()
PY
