#!/usr/bin/env bash
# Attack figures for docs/security.md (issue 10), measured on the real binary over loopback:
#   1. memory growth while one client streams a body without Content-Length (the issue's repro:
#      a POST head, then 400 MB of zeros on the same connection);
#   2. health-probe latency during `slowhttptest -c 300 -B -i 5 -r 200 -s 65536 -t POST`;
#   3. seal latency during a flood of failing sign-ins (24 parallel streams, made-up addresses,
#      each from its own 127.0.x.y source so no per-address back-off slows the flood down).
#
#   bench/attack.sh                          # builds build-bench/ if needed
#   SKIP_BUILD=1 BIN=build/bomvault bench/attack.sh
#   REF_BIN=/path/to/older/bomvault bench/attack.sh   # the same figures for a reference binary
#
# Every figure is printed as "name value unit"; with REF_BIN the reference's figures follow.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

need python3 "apt-get install -y python3"
need curl "apt-get install -y curl"
need slowhttptest "apt-get install -y slowhttptest"

trap bv_cleanup EXIT
trap 'exit 130' INT TERM
bv_build

measure() {  # measure BIN LABEL
  local bin="$1" label="$2"
  BIN="$bin"
  bv_tmp
  # Default limits (the bench library's --rate-limit 0 is overridden back to the default 200/s).
  BV_SERVE_ARGS="--rate-limit 200" bv_start
  local optok
  optok="$(jget "$BV_TMP/init.json" operator_token)"

  # 1. A body without a length.
  python3 - "$BV_PORT" "$BV_PID" "$label" <<'EOF'
import socket, sys, time
port, pid, label = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def status(key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key):
            return int(line.split()[1])
before, hwm_before = status("VmRSS:"), status("VmHWM:")
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall(b"POST /api/v1/unseal HTTP/1.1\r\nHost: x\r\n\r\n")
zeros, sent = b"\0" * (1 << 20), 0
try:
    for _ in range(400):
        s.sendall(zeros)
        sent += 1
except OSError:
    pass
time.sleep(1)
after, hwm = status("VmRSS:"), status("VmHWM:")
s.close()
print(f"{label} lengthless_body_sent {sent} MB")
print(f"{label} lengthless_body_rss_growth {(after - before) / 1024:.1f} MB")
print(f"{label} lengthless_body_peak_growth {(hwm - hwm_before) / 1024:.1f} MB")
EOF

  # 2. Health probes during 300 slow bodies.
  slowhttptest -c 300 -B -i 5 -r 200 -s 65536 -t POST -u "$BV_URL/api/v1/sessions" -l 30 -x 10 -p 3 \
    >"$BV_TMP/slow.log" 2>&1 &
  local slow_pid=$!
  BV_PIDS+=("$slow_pid")
  sleep 5
  # Probes for as long as the attack lasts (30 s); a probe that gets no answer counts as 10 s.
  local times=() t
  while kill -0 "$slow_pid" 2>/dev/null; do
    t="$(curl -s -o /dev/null -w '%{time_total}' --max-time 10 "$BV_URL/api/v1/health" || true)"
    if [ -z "$t" ] || [ "$t" = "0.000000" ]; then t=10; fi
    times+=("$t")
    sleep 0.5
  done
  wait "$slow_pid" 2>/dev/null || true
  local max
  max="$(printf '%s\n' "${times[@]}" | sort -g | tail -1)"
  echo "$label health_probe_median_during_300_slow_bodies $(median "${times[@]}") s"
  echo "$label health_probe_max_during_300_slow_bodies $max s"

  # 3. Seal during a sign-in flood.
  python3 - "$BV_PORT" "$optok" "$label" <<'EOF'
import http.client, json, sys, threading, time
port, optok, label = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def post(source, path, body, token=None, timeout=300):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    c.request("POST", path, body=json.dumps(body), headers=h)
    r = c.getresponse(); r.read(); c.close()
    return r.status
stop, sent = threading.Event(), [0]
flood_end = time.time() + 35  # the flood stops by itself after 35 s
def flood(k):
    n = 0
    while not stop.is_set() and time.time() < flood_end:
        n += 1
        try:
            post(f"127.0.{k}.{2 + n % 250}", "/api/v1/sessions",
                 {"email": f"nobody{k}-{n}@flood.example", "password": "wrong-password-1"})
            sent[0] += 1
        except OSError:
            pass
threads = [threading.Thread(target=flood, args=(k,), daemon=True) for k in range(1, 25)]
for t in threads:
    t.start()
time.sleep(5)
t0 = time.time()
status = post("127.0.0.1", "/api/v1/seal", {}, token=optok)
seal = time.time() - t0
during = time.time() < flood_end
print(f"{label} signins_before_seal {sent[0]} requests")
print(f"{label} seal_latency_during_signin_flood {seal:.3f} s (status {status}"
      f"{'' if during else ', answered only after the flood stopped'})")
stop.set()
for t in threads:
    t.join(300)
EOF
  bv_cleanup
}

measure "$BIN" bomvault
if [ -n "${REF_BIN:-}" ]; then
  measure "$REF_BIN" reference
fi
