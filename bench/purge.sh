#!/usr/bin/env bash
# Purge benchmark: read latency while the stale-data purge deletes STALE_BOMS BOMs of ROWS items
# each (default 1,000 x 1,000 = 1,000,000 items).
#
#   bench/purge.sh                           # builds build-bench/ if needed
#   STALE_BOMS=1000 ROWS=1000 bench/purge.sh
#   SKIP_BUILD=1 BIN=/path/to/bomvault bench/purge.sh
#
# Day 0 (libfaketime): a store, one org with purge_days 30, STALE_BOMS BOMs imported with
# POST /api/v1/boms/import (CONCURRENCY at a time). Day 6: the server restarts with
# --purge-interval PURGE_INTERVAL; the run right after the unseal finds nothing (30-day policy).
# FRESH BOMs are created (kept), then `wrk -t2 -c32 --latency` reads them with GET /boms/{id}
# for IDLE_S seconds (idle baseline), the policy is set to 5 days, and the same wrk runs across
# the next scheduled purge (started 1 s before it is due, for DURING_S seconds, or longer until
# the job's log line is there). Target: p99 during purge <= 3x p99 idle.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

STALE_BOMS="${STALE_BOMS:-1000}"
ROWS="${ROWS:-1000}"
CONCURRENCY="${CONCURRENCY:-4}"
FRESH="${FRESH:-100}"
IDLE_S="${IDLE_S:-15}"
DURING_S="${DURING_S:-15}"
PURGE_INTERVAL="${PURGE_INTERVAL:-120}"
FAKETIME_LIB="$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)"

need curl "apt-get install -y curl"
need wrk "apt-get install -y wrk"
need python3 "apt-get install -y python3"
[ -n "$FAKETIME_LIB" ] || die "libfaketime is required (apt-get install -y faketime)"

trap bv_cleanup EXIT
trap 'exit 130' INT TERM
bv_build
bv_tmp
DATA="$BV_TMP/data"
faked() {  # faked DAY CMD... : CMD with the clock starting at midnight UTC of 2026-01-01 + DAY
  local d; d="$(date -u -d "2026-01-01 + $1 days" +%F)"; shift
  LD_PRELOAD="$FAKETIME_LIB" FAKETIME="@$d 00:00:00" FAKETIME_DONT_FAKE_MONOTONIC=1 TZ=UTC "$@"
}

# Day 0 ---------------------------------------------------------------------------------------
BV_SERVE_ARGS="--purge-interval $PURGE_INTERVAL"
faked 0 true  # checks the library loads
BIN_REAL="$BIN"
cat >"$BV_TMP/bin0" <<EOF
#!/bin/sh
LD_PRELOAD="$FAKETIME_LIB" FAKETIME="@2026-01-01 00:00:00" FAKETIME_DONT_FAKE_MONOTONIC=1 TZ=UTC exec "$BIN_REAL" "\$@"
EOF
chmod +x "$BV_TMP/bin0"
BIN="$BV_TMP/bin0" bv_start
AUTH="Authorization: Bearer $BV_TOKEN"
curl -sf -X PATCH -H "$AUTH" -H 'Content-Type: application/json' -d '{"purge_days":30}' \
  "$BV_URL/api/v1/org/settings" >/dev/null || die "setting purge_days failed"
python3 "$BENCH_DIR/gen_bom_csv.py" "$BV_TMP/bom.csv" "$ROWS"
echo "bomvault $BIN_REAL"
echo "tree: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted src changes')"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
t0="$(date +%s.%N)"
seq 1 "$STALE_BOMS" | xargs -P "$CONCURRENCY" -I{} sh -c \
  'c="$(curl -s -o /dev/null -w "%{http_code}" --max-time 600 -H "$1" -H "Content-Type: text/csv" \
      --data-binary @"$2" "$3/api/v1/boms/import?name=stale-$4")"; [ "$c" = 201 ] || { echo "import $4: $c" >&2; exit 255; }' \
  _ "$AUTH" "$BV_TMP/bom.csv" "$BV_URL" {} || die "import failed"
t1="$(date +%s.%N)"
echo "day 0: imported $STALE_BOMS BOMs x $ROWS items = $((STALE_BOMS * ROWS)) items in $(python3 -c "print(round($t1-$t0,1))") s ($CONCURRENCY concurrent)"
stop_pid "$BV_PID"
echo "store size: $(du -sm "$DATA" | cut -f1) MB"

# Day 6 ---------------------------------------------------------------------------------------
cat >"$BV_TMP/bin6" <<EOF
#!/bin/sh
LD_PRELOAD="$FAKETIME_LIB" FAKETIME="@2026-01-07 00:00:00" FAKETIME_DONT_FAKE_MONOTONIC=1 TZ=UTC exec "$BIN_REAL" "\$@"
EOF
chmod +x "$BV_TMP/bin6"
"$BV_TMP/bin6" serve --data "$DATA" --listen 127.0.0.1:0 --unseal-file "$BV_TMP/unseal" \
  --rate-limit 0 --purge-interval "$PURGE_INTERVAL" >"$BV_TMP/server.out" 2>"$BV_TMP/server6.err" &
BV_PID=$!
BV_PIDS+=("$BV_PID")
BV_PORT=""
for i in $(seq 1 300); do
  BV_PORT="$(sed -n 's/^bomvault: listening on port \([0-9]*\).*/\1/p' "$BV_TMP/server6.err")"
  [ -n "$BV_PORT" ] && grep -q '"event":"job.purge"' "$BV_TMP/server6.err" && break
  kill -0 "$BV_PID" 2>/dev/null || break
  sleep 0.1
done
grep -q '"event":"job.purge"' "$BV_TMP/server6.err" || { tail "$BV_TMP/server6.err" >&2; die "no first purge"; }
first_purge="$(date +%s)"
grep '"event":"job.purge"' "$BV_TMP/server6.err" | grep -q '"boms_deleted":0' ||
  die "the first purge should find nothing under the 30-day policy"
BV_URL="http://127.0.0.1:$BV_PORT"
curl -sf -H 'Content-Type: application/json' -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$PASSWORD\"}" \
  "$BV_URL/api/v1/sessions" >"$BV_TMP/session.json" || die "signing in failed"
TOKEN="$(jget "$BV_TMP/session.json" token)"
AUTH="Authorization: Bearer $TOKEN"
ids=()
for i in $(seq 1 "$FRESH"); do
  ids+=("$(curl -sf -H "$AUTH" -H 'Content-Type: application/json' \
    -d "{\"name\":\"fresh-$i\",\"items\":[{\"ref\":\"1\",\"part_number\":\"P-$i\",\"description\":\"Fresh\",\"quantity\":1}]}" \
    "$BV_URL/api/v1/boms" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')")
done
{
  printf 'ids = {'; printf '"%s",' "${ids[@]}"; printf '}\n'
  cat <<EOF
wrk.headers["Authorization"] = "Bearer $TOKEN"
local i = 0
request = function()
  i = i % #ids + 1
  return wrk.format("GET", "/api/v1/boms/" .. ids[i])
end
EOF
} >"$BV_TMP/reads.lua"
echo "day 6: first purge (nothing stale under 30 days) at +0 s; $FRESH fresh BOMs made by +$(( $(date +%s) - first_purge )) s"

p99() { awk '$1=="99%" {print $2}' "$1"; }
to_ms() { python3 -c 'import sys,re; v=sys.argv[1]; n=float(re.match(r"[0-9.]+",v).group()); u=v[len(re.match(r"[0-9.]+",v).group()):]; print(n*{"us":1e-3,"ms":1,"s":1e3,"m":6e4}[u])' "$1"; }

wrk -t2 -c32 -d"${IDLE_S}s" --latency -s "$BV_TMP/reads.lua" "$BV_URL" >"$BV_TMP/idle.txt"
curl -sf -X PATCH -H "$AUTH" -H 'Content-Type: application/json' -d '{"purge_days":5}' \
  "$BV_URL/api/v1/org/settings" >/dev/null || die "setting purge_days failed"
due=$((first_purge + PURGE_INTERVAL))
now="$(date +%s)"
echo "idle phase done at +$((now - first_purge)) s; purge due at +$PURGE_INTERVAL s"
[ "$now" -lt "$((due - 1))" ] || die "idle phase overran the purge interval; raise PURGE_INTERVAL"
sleep "$((due - 1 - now))"
wrk -t2 -c32 -d"${DURING_S}s" --latency -s "$BV_TMP/reads.lua" "$BV_URL" >"$BV_TMP/during.txt"
for i in $(seq 1 600); do
  [ "$(grep -c '"event":"job.purge"' "$BV_TMP/server6.err")" -ge 2 ] && break
  sleep 1
done
job="$(grep '"event":"job.purge"' "$BV_TMP/server6.err" | tail -1)"
echo "purge: $job"
echo "notice mails in outbox: $(grep -l 'of your BOMs were removed' "$DATA"/outbox/*.eml 2>/dev/null | wc -l)"
echo "--- idle (before the purge), ${IDLE_S}s"; grep -E 'Requests/sec|Latency  |50%|99%|Non-2xx|errors' "$BV_TMP/idle.txt"
echo "--- during the purge, ${DURING_S}s from 1 s before it was due"; grep -E 'Requests/sec|Latency  |50%|99%|Non-2xx|errors' "$BV_TMP/during.txt"
ms="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ms"])' "$job")"
i99="$(to_ms "$(p99 "$BV_TMP/idle.txt")")"; d99="$(to_ms "$(p99 "$BV_TMP/during.txt")")"
python3 - "$i99" "$d99" "$ms" "$DURING_S" <<'PY'
import sys
i, d, ms, dur = map(float, sys.argv[1:])
print(f"p99 idle {i:.2f} ms, during purge {d:.2f} ms: ratio {d/i:.2f} (target <= 3): {'MET' if d <= 3*i else 'MISSED'}")
if ms / 1000 < dur - 1:
    print(f"note: the purge took {ms/1000:.1f} s of the {dur:.0f} s window; rerun with DURING_S={max(2, int(ms/1000)+1)} to measure only the purge")
elif ms / 1000 > dur:
    print(f"note: the purge ({ms/1000:.1f} s) outlasted the {dur:.0f} s window")
PY
