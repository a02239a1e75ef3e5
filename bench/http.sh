#!/usr/bin/env bash
# HTTP benchmark: GET /api/v1/boms/{id} (a ~2 KB JSON summary, bearer-authenticated) on bomvault
# against nginx serving the very same response body as a static file.
#
#   bench/http.sh                 # builds build-bench/ if needed, then ~90 s of measuring
#   ROUNDS=3 DURATION=10s CONNS=64 THREADS=2 NGINX_WORKERS=2 bench/http.sh
#   SKIP_BUILD=1 BIN=/path/to/bomvault bench/http.sh
#
# Rounds alternate bomvault / nginx so drift on a shared machine hits both alike; medians of the
# rounds and the per-round ratio are printed. Targets: bomvault >= 0.6x nginx req/s, p99 <= 25 ms.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-64}"
THREADS="${THREADS:-2}"
# 2 = one worker per core on the 2-core reference machine ("auto" would pick the same). bomvault
# may use every core too (its default 64-thread pool), so both servers get the whole machine.
NGINX_WORKERS="${NGINX_WORKERS:-2}"
TARGET_BODY="${TARGET_BODY:-2048}"

need wrk "apt-get install -y wrk"
need nginx "apt-get install -y nginx-light"
need curl "apt-get install -y curl"
need python3 "apt-get install -y python3"

trap bv_cleanup EXIT
trap 'exit 130' INT TERM
bv_build
bv_tmp
bv_start
AUTH="Authorization: Bearer $BV_TOKEN"

# --- a BOM whose summary is ~TARGET_BODY bytes --------------------------------------------------
make_bom() {  # make_bom NOTES_LEN -> prints the new BOM id
  python3 - "$1" >"$BV_TMP/bom.json" <<'EOF'
import json, sys
n = int(sys.argv[1])
meta = {
    "project": "Falcon-7 avionics bay", "customer": "Northwind Aerospace", "revision": "C.4",
    "eco": "ECO-2024-00731", "lifecycle": "production", "plant": "PLT-02 Leipzig",
    "drawing": "DWG-44120-003", "approved_by": "j.kowalski", "approved_at": "2024-05-17",
    "classification": "ITAR-free", "cost_center": "CC-4410", "currency": "EUR",
    "notes": ("Second-source qualified for all passives; conformal coat per IPC-CC-830. " * 40)[:n],
}
items = [
    {"ref": "1", "parent": "", "part_number": "ASM-44120", "description": "Avionics bay assembly",
     "quantity": "1", "unit": "ea", "properties": {}},
    {"ref": "2", "parent": "1", "part_number": "PCB-1001", "description": "Main board",
     "quantity": "2", "unit": "ea", "properties": {"manufacturer": "Acme"}},
]
print(json.dumps({"name": "Falcon-7 avionics bay BOM", "metadata": meta, "items": items}))
EOF
  curl -sf --max-time 30 -H "$AUTH" -H 'Content-Type: application/json' \
    --data-binary @"$BV_TMP/bom.json" "$BV_URL/api/v1/boms" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
probe_id="$(make_bom 1000)"
probe_len="$(curl -sf --max-time 30 -H "$AUTH" "$BV_URL/api/v1/boms/$probe_id" | wc -c)"
BOM_ID="$(make_bom $((1000 + TARGET_BODY - probe_len)))"
PATH_ID="/api/v1/boms/$BOM_ID"
mkdir -p "$BV_TMP/www/api/v1/boms"
BODY="$BV_TMP/www$PATH_ID"
curl -sf --max-time 30 -H "$AUTH" -D "$BV_TMP/headers.txt" "$BV_URL$PATH_ID" -o "$BODY"
BODY_LEN="$(wc -c <"$BODY")"

# --- nginx serving the same bytes, with the same response headers ------------------------------
NGINX_PORT="$(free_port)"
mkdir -p "$BV_TMP/nginx/logs"
hdrs=""
while IFS= read -r line; do
  line="${line%$'\r'}"
  case "$line" in
    Content-Security-Policy:*|X-Content-Type-Options:*|X-Frame-Options:*|Referrer-Policy:*|\
    Cross-Origin-Opener-Policy:*|Cross-Origin-Resource-Policy:*|Permissions-Policy:*|\
    Cache-Control:*|X-Request-Id:*)
      name="${line%%:*}"; value="${line#*: }"
      hdrs+="      add_header $name \"$value\" always;"$'\n' ;;
  esac
done <"$BV_TMP/headers.txt"
cat >"$BV_TMP/nginx/nginx.conf" <<EOF
worker_processes $NGINX_WORKERS;
user root;
daemon off;
pid $BV_TMP/nginx/nginx.pid;
error_log $BV_TMP/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $BV_TMP/nginx/body;
  proxy_temp_path $BV_TMP/nginx/proxy;
  fastcgi_temp_path $BV_TMP/nginx/fastcgi;
  uwsgi_temp_path $BV_TMP/nginx/uwsgi;
  scgi_temp_path $BV_TMP/nginx/scgi;
  types { }
  default_type application/json;
  sendfile on;
  tcp_nodelay on;
  etag off;
  keepalive_timeout 30s;
  keepalive_requests 10000;
  server_tokens off;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $BV_TMP/www;
    location / {
$hdrs    }
  }
}
EOF
nginx -p "$BV_TMP/nginx" -c "$BV_TMP/nginx/nginx.conf" 2>"$BV_TMP/nginx/stderr" &
NGINX_PID=$!
BV_PIDS+=("$NGINX_PID")
NG_URL="http://127.0.0.1:$NGINX_PORT"
for _ in $(seq 1 50); do curl -sf --max-time 2 "$NG_URL$PATH_ID" -o /dev/null && break; sleep 0.1; done
cmp -s "$BODY" <(curl -sf --max-time 5 "$NG_URL$PATH_ID") ||
  { cat "$BV_TMP/nginx/stderr" >&2; die "nginx does not serve the same body"; }
bv_resp="$(curl -s --max-time 5 -H "$AUTH" -o /dev/null -w '%{size_header}+%{size_download}' "$BV_URL$PATH_ID")"
ng_resp="$(curl -s --max-time 5 -H "$AUTH" -o /dev/null -w '%{size_header}+%{size_download}' "$NG_URL$PATH_ID")"

# --- measuring ---------------------------------------------------------------------------------
cpu_ticks() {  # user+system clock ticks of a process and its threads (nginx: master + workers)
  local total=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}
ctx_switches() {  # voluntary + involuntary context switches of all threads of the given processes
  local p
  for p in "$@"; do cat /proc/"$p"/task/*/status 2>/dev/null; done |
    awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ {n += $2} END {print n + 0}'
}
nginx_pids() { echo "$NGINX_PID" $(pgrep -P "$NGINX_PID" || true); }

# run_wrk NAME URL -> appends "rps p99_ms cpu_us_per_req ctxsw_per_req" to $BV_TMP/NAME.txt
run_wrk() {
  local name="$1" url="$2" out="$BV_TMP/wrk-$1.out" pids t0 t1 s0 s1
  if [ "$name" = bomvault ]; then pids="$BV_PID"; else pids="$(nginx_pids)"; fi
  t0="$(cpu_ticks $pids)"; s0="$(ctx_switches $pids)"
  timeout 120 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -H "$AUTH" "$url" >"$out"
  t1="$(cpu_ticks $pids)"; s1="$(ctx_switches $pids)"
  python3 - "$out" "$((t1 - t0))" "$(getconf CLK_TCK)" "$((s1 - s0))" >>"$BV_TMP/$name.txt" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
p99 = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
total = int(re.search(r"(\d+) requests in", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errs = re.search(r"Socket errors:.*", text)
if bad or errs:
    print("warning:", sys.argv[1], (bad.group(0) if bad else ""), (errs.group(0) if errs else ""),
          file=sys.stderr)
cpu_us = int(sys.argv[2]) / int(sys.argv[3]) * 1e6
print(f"{rps:.0f} {p99:.2f} {cpu_us / max(total, 1):.1f} {int(sys.argv[4]) / max(total, 1):.2f}")
EOF
}

echo "bomvault $BIN  (body $BODY_LEN bytes; full response bomvault $bv_resp, nginx $ng_resp bytes)"
echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency, $ROUNDS rounds alternating; nginx worker_processes $NGINX_WORKERS"
echo "tree: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted src changes'); binary built $(date -u -r "$BIN" '+%F %T') UTC"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
# warm-up (not recorded): page cache, session cache, allocator arenas, nginx open files
timeout 30 wrk -t"$THREADS" -c"$CONNS" -d3s -H "$AUTH" "$BV_URL$PATH_ID" >/dev/null
timeout 30 wrk -t"$THREADS" -c"$CONNS" -d3s -H "$AUTH" "$NG_URL$PATH_ID" >/dev/null
: >"$BV_TMP/bomvault.txt"; : >"$BV_TMP/nginx.txt"
printf '%-6s %-9s %10s %9s %12s %12s\n' round server req/s p99_ms cpu_us/req ctxsw/req
for r in $(seq 1 "$ROUNDS"); do
  run_wrk bomvault "$BV_URL$PATH_ID"; sleep 1
  run_wrk nginx "$NG_URL$PATH_ID"; sleep 1
  read -r a ap ac as < <(tail -n1 "$BV_TMP/bomvault.txt")
  read -r b bp bc bs < <(tail -n1 "$BV_TMP/nginx.txt")
  printf '%-6s %-9s %10s %9s %12s %12s\n' "$r" bomvault "$a" "$ap" "$ac" "$as" "$r" nginx "$b" "$bp" "$bc" "$bs"
  echo "$a $b" | awk '{printf "%-6s ratio     %10.3f\n", "", $1/$2}'
done

col() { awk -v c="$2" '{print $c}' "$BV_TMP/$1.txt"; }
bv_rps="$(median $(col bomvault 1))"; ng_rps="$(median $(col nginx 1))"
bv_p99="$(median $(col bomvault 2))"; ng_p99="$(median $(col nginx 2))"
bv_cpu="$(median $(col bomvault 3))"; ng_cpu="$(median $(col nginx 3))"
bv_cs="$(median $(col bomvault 4))"; ng_cs="$(median $(col nginx 4))"
ratio_med="$(median $(paste -d' ' "$BV_TMP/bomvault.txt" "$BV_TMP/nginx.txt" | awk '{printf "%.3f\n", $1/$(NF/2+1)}'))"
echo
echo "median of $ROUNDS rounds"
printf '  %-9s %10s req/s  p99 %7s ms  %7s us CPU/req  %6s ctxsw/req\n' bomvault "$bv_rps" "$bv_p99" "$bv_cpu" "$bv_cs" nginx "$ng_rps" "$ng_p99" "$ng_cpu" "$ng_cs"
echo "  ratio bomvault/nginx req/s: median of per-round ratios $ratio_med (ratio of medians $(awk -v a="$bv_rps" -v b="$ng_rps" 'BEGIN{printf "%.3f", a/b}'))"
awk -v r="$ratio_med" -v p="$bv_p99" 'BEGIN {
  printf "  target req/s >= 0.6x nginx: %s\n", (r >= 0.6 ? "MET" : "MISSED")
  printf "  target p99 <= 25 ms:        %s\n", (p <= 25 ? "MET" : "MISSED") }'
