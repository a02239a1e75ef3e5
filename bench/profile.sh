#!/usr/bin/env bash
# Where bomvault's CPU goes, for the paths bench/http.sh and bench/storage.sh measure.
#
#   bench/profile.sh http     # perf on the server while wrk -t2 -c64 GETs a ~2 KB BOM summary
#   bench/profile.sh import   # perf while a 100,000-item CSV is imported
#   bench/profile.sh read     # perf while that BOM's /items are read back
#
# Needs perf (linux-perf) with perf_event_paranoid <= 2 for your own processes. Records with
# DWARF call graphs (the release build has no frame pointers), then prints the inclusive share
# of the frames that matter and the top self-time symbols. Shares are of the server's on-CPU
# samples; multiply by the CPU/request from http.sh for microseconds. Bounded (~1 min).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MODE="${1:-http}"
case "$MODE" in http|import|read) ;; *) die "usage: bench/profile.sh http|import|read" ;; esac
need perf "apt-get install -y linux-perf"
need wrk "apt-get install -y wrk"

trap bv_cleanup EXIT
trap 'exit 130' INT TERM
bv_build
bv_tmp
bv_start
AUTH="Authorization: Bearer $BV_TOKEN"
DATA="$BV_TMP/perf.data"

record_start() {
  perf record -F "${FREQ:-$DEFAULT_FREQ}" --call-graph dwarf,16384 -o "$DATA" -p "$BV_PID" >/dev/null 2>&1 &
  PERF_PID=$!
  BV_PIDS+=("$PERF_PID")
  sleep 0.5
}
record_stop() { kill -INT "$PERF_PID"; wait "$PERF_PID" || true; }

case "$MODE" in http) DEFAULT_FREQ=500 ;; import) DEFAULT_FREQ=1000 ;; read) DEFAULT_FREQ=4000 ;; esac
case "$MODE" in
  http)
    notes="$(python3 -c 'print("Second-source qualified; conformal coat per IPC-CC-830. " * 30)')"
    id="$(curl -sf --max-time 30 -H "$AUTH" -H 'Content-Type: application/json' \
      -d "{\"name\":\"p\",\"metadata\":{\"notes\":\"$notes\"},\"items\":[{\"ref\":\"1\",\"parent\":\"\",\"part_number\":\"P-1\",\"description\":\"d\",\"quantity\":\"1\",\"unit\":\"ea\",\"properties\":{}}]}" \
      "$BV_URL/api/v1/boms" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
    timeout 30 wrk -t2 -c64 -d3s -H "$AUTH" "$BV_URL/api/v1/boms/$id" >/dev/null
    record_start
    timeout 60 wrk -t2 -c64 -d8s -H "$AUTH" "$BV_URL/api/v1/boms/$id" | grep Requests/sec
    record_stop
    FRAMES="Engine::WorkerMain;Engine::Serve$;WaitFd;epoll_wait;Engine::Park;RecvSome;SendSome;process_request;read_headers;write_response_core;Api::Dispatch;Accounts::Resolve;log::Line::~Line;Boms::Get$;Database::Read$;Boms::Load$;Statement::Statement;sqlite3_exec;executeStep;OrgCrypto::OpenText;detail::parser<;SummaryJson;::dump$;futex;finish_task_switch"
    ;;
  import|read)
    python3 "$BENCH_DIR/gen_bom_csv.py" "$BV_TMP/bom.csv" "${ROWS:-100000}"
    [ "$MODE" = import ] && record_start
    curl -sf --max-time 600 -o "$BV_TMP/import.json" -w 'import %{time_total} s\n' -H "$AUTH" \
      -H 'Content-Type: text/csv' --data-binary @"$BV_TMP/bom.csv" "$BV_URL/api/v1/boms/import?name=p"
    if [ "$MODE" = read ]; then
      record_start
      curl -sf --max-time 600 -o /dev/null -w 'read %{time_total} s\n' -H "$AUTH" \
        "$BV_URL/api/v1/boms/$(jget "$BV_TMP/import.json" id)/items"
    fi
    record_stop
    if [ "$MODE" = import ]; then
      FRAMES="bom::ParseCsv;Parser::ReadRow;FindItemErrors;ValidateItems;Boms::Create$;Database::Write$;Boms::WriteItems;EncodeItems;OrgCrypto::Seal;BlindIndex;Statement::exec$;_Rb_tree;Transaction::commit;sqlcipher;EVP_;handle_mm_fault"
    else
      FRAMES="Boms::Items$;Boms::Load$;Boms::ReadItems;executeStep;sqlcipher;EVP_;OrgCrypto::Open$;DecodeItems;Item::Item;ItemsJson;set_content;write_response_core;SendSome;handle_mm_fault;~vector"
    fi
    ;;
esac

perf script -i "$DATA" -F comm,tid,ip,sym 2>/dev/null >"$BV_TMP/stacks.txt"
python3 - "$BV_TMP/stacks.txt" "$FRAMES" <<'PY'
import collections, re, sys
stacks, cur = [], []
for line in open(sys.argv[1], errors="replace"):
    line = line.rstrip("\n")
    if not line.strip():
        if cur: stacks.append(cur)
        cur = []
    elif line[:1] in (" ", "\t"):
        parts = line.split(None, 1)
        cur.append(parts[1] if len(parts) > 1 else "?")
    else:
        cur = []
if cur: stacks.append(cur)
n = len(stacks)
print(f"{n} samples; inclusive share of on-CPU samples:")
for frame in sys.argv[2].split(";"):
    rx = re.compile(re.escape(frame.rstrip("$")) + ("$" if frame.endswith("$") else ""))
    k = sum(1 for s in stacks if any(rx.search(f) for f in s))
    print(f"  {100 * k / max(n, 1):5.1f}%  {frame}")
print("top self-time symbols:")
c = collections.Counter(re.sub(r"<.*>", "<>", s[0])[:100] for s in stacks)
for sym, k in c.most_common(15):
    print(f"  {100 * k / max(n, 1):5.1f}%  {sym}")
PY
