# Shared helpers for bench/http.sh and bench/storage.sh (sourced, not run).
#
# Provides: bv_build, bv_start (fresh temp store, org, signed-in admin), bv_stop, bv_cleanup,
# median, free_port. Everything it starts is recorded in BV_PIDS and torn down by bv_cleanup,
# which the scripts install as an EXIT trap.

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$REPO/build-bench}"
BIN="${BIN:-$BUILD_DIR/bomvault}"
PASSWORD="Correct-Horse-Battery-9"
ADMIN_EMAIL="admin@bench.example"

BV_TMP=""
BV_PIDS=()

die() { echo "error: $*" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required ($2)"; }

bv_build() {
  if [ -z "${SKIP_BUILD:-}" ]; then
    (cd "$REPO" && (meson setup "$BUILD_DIR" >/dev/null 2>&1 || true) &&
       timeout 1200 ninja -C "$BUILD_DIR" bomvault >/dev/null) || die "build failed"
  fi
  [ -x "$BIN" ] || die "no server binary at $BIN"
}

bv_tmp() {
  BV_TMP="$(mktemp -d /tmp/bomvault-bench.XXXXXX)"
}

# Kill one pid we started: TERM, up to 10 s grace, then KILL.
stop_pid() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

bv_cleanup() {
  local pid
  for pid in "${BV_PIDS[@]}"; do stop_pid "$pid"; done
  BV_PIDS=()
  if [ -n "$BV_TMP" ] && [ -d "$BV_TMP" ]; then rm -rf "$BV_TMP"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# median of the numbers given as arguments
median() {
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}

jget() {  # jget FILE KEY  -> top-level string/number field of a JSON file
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# Starts a server on a fresh store under $BV_TMP and leaves behind:
#   BV_PID, BV_PORT, BV_URL, BV_TOKEN (the signed-in org administrator's bearer token)
bv_start() {
  local data="$BV_TMP/data" i
  "$BIN" init --data "$data" --shares 3 --threshold 2 --json >"$BV_TMP/init.json" ||
    die "bomvault init failed"
  python3 - "$BV_TMP/init.json" "$BV_TMP/unseal" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
open(sys.argv[2], "w").write("\n".join(d["shares"][:2]) + "\n")
EOF
  local optok
  optok="$(jget "$BV_TMP/init.json" operator_token)"
  "$BIN" serve --data "$data" --listen 127.0.0.1:0 --unseal-file "$BV_TMP/unseal" \
    --rate-limit 0 ${BV_SERVE_ARGS:-} >"$BV_TMP/server.out" 2>"$BV_TMP/server.err" &
  BV_PID=$!
  BV_PIDS+=("$BV_PID")
  BV_PORT=""
  for i in $(seq 1 100); do
    BV_PORT="$(sed -n 's/^bomvault: listening on port \([0-9]*\).*/\1/p' "$BV_TMP/server.err")"
    [ -n "$BV_PORT" ] && break
    kill -0 "$BV_PID" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$BV_PORT" ] || { cat "$BV_TMP/server.err" >&2; die "server did not start"; }
  BV_URL="http://127.0.0.1:$BV_PORT"
  curl -sf --max-time 30 -H "Authorization: Bearer $optok" -H 'Content-Type: application/json' \
    -d "{\"name\":\"Bench Org\",\"admin_email\":\"$ADMIN_EMAIL\",\"admin_password\":\"$PASSWORD\"}" \
    "$BV_URL/api/v1/orgs" >"$BV_TMP/org.json" || die "creating the org failed"
  curl -sf --max-time 30 -H 'Content-Type: application/json' \
    -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$PASSWORD\"}" \
    "$BV_URL/api/v1/sessions" >"$BV_TMP/session.json" || die "signing in failed"
  BV_TOKEN="$(jget "$BV_TMP/session.json" token)"
}

vm_field() {  # vm_field PID VmHWM -> kB
  awk -v k="$2:" '$1==k {print $2}' "/proc/$1/status" 2>/dev/null
}
