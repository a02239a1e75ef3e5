#!/usr/bin/env bash
# SQL injection scan of the API with sqlmap (Debian package), authenticated, against a fresh
# store: every query parameter, every JSON body field and every path id of the routes below, as
# an org Administrator (Bearer token), with the rate limit off so the scan is not throttled.
# Prints per target whether sqlmap found an injection, then the totals: targets, parameters,
# requests the server answered (its own request log), answers by status class, and any 5xx
# (there must be none: a payload is bad input, answered with a 4xx JSON error).
#
#   bench/sqlmap.sh                     # builds build-bench/ if needed; LEVEL=3 RISK=2 to widen
#   SKIP_BUILD=1 BIN=build/bomvault bench/sqlmap.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need sqlmap "apt-get install -y sqlmap"
LEVEL="${LEVEL:-2}"
RISK="${RISK:-1}"
trap bv_cleanup EXIT
trap 'exit 130' INT TERM
bv_build
bv_tmp
DATA="$BV_TMP/data"
"$BIN" init --data "$DATA" --shares 2 --threshold 2 --json > "$BV_TMP/init.json"
python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["shares"]))' \
  "$BV_TMP/init.json" > "$BV_TMP/shares"
OPERATOR="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["operator_token"])' "$BV_TMP/init.json")"
PORT="$(free_port)"
B="http://127.0.0.1:$PORT"
"$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" --unseal-file "$BV_TMP/shares" \
  --rate-limit 0 2> "$BV_TMP/serve.log" &
BV_PIDS+=($!)
for _ in $(seq 1 100); do curl -sf "$B/api/v1/health" >/dev/null && break; sleep 0.1; done

# An org, its Administrator's token, a second user and two BOMs to aim the path ids at.
eval "$(B="$B" OPERATOR="$OPERATOR" PASSWORD="$PASSWORD" python3 - <<'PY'
import json, os, urllib.request
b, op, pw = os.environ["B"], os.environ["OPERATOR"], os.environ["PASSWORD"]
def call(method, path, body, token=None):
    req = urllib.request.Request(b + path, data=json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", "Bearer " + token)
    return json.loads(urllib.request.urlopen(req).read() or b"null")
call("POST", "/api/v1/orgs", {"name": "Scan", "admin_email": "admin@scan.example", "admin_password": pw}, op)
t = call("POST", "/api/v1/sessions", {"email": "admin@scan.example", "password": pw})["token"]
u = call("POST", "/api/v1/users", {"email": "ed@scan.example", "password": pw, "role": "editor"}, t)["id"]
items = [{"ref": "1", "part_number": "GBX-100", "quantity": 1},
         {"ref": "2", "parent": "1", "part_number": "SHF-7", "quantity": 2}]
b1 = call("POST", "/api/v1/boms", {"name": "Gearbox", "items": items}, t)["id"]
b2 = call("POST", "/api/v1/boms", {"name": "Gearbox 2", "items": items}, t)["id"]
print(f"TOKEN={t}; USER={u}; BOM={b1}; BOM2={b2}")
PY
)"
AUTH="Authorization: Bearer $TOKEN"
NOW="$(date +%s)"
# method | url (a * marks a path id to test) | JSON body or empty | parameters to test (-p) or empty
TARGETS=(
  "GET|$B/api/v1/boms?q=gear&part_number=GBX-100&limit=10&offset=0||q,part_number,limit,offset"
  "GET|$B/api/v1/where-used?part_number=SHF-7||part_number"
  "GET|$B/api/v1/audit?object=bom:$BOM&actor=$USER&action=bom.create&from=0&to=$NOW&limit=50||object,actor,action,from,to,limit"
  "GET|$B/api/v1/audit?before=1&limit=5||before"
  "GET|$B/api/v1/boms/$BOM*/items||"
  "GET|$B/api/v1/boms/$BOM/compare/$BOM2*||"
  "GET|$B/api/v1/boms/$BOM/export?format=csv||format"
  "GET|$B/api/v1/invitations?limit=10&after=x||limit,after"
  "POST|$B/api/v1/boms|{\"name\":\"Scan\",\"source\":\"PLM\",\"items\":[{\"ref\":\"1\",\"part_number\":\"P-1\",\"description\":\"d\",\"quantity\":1,\"unit\":\"ea\"}]}|"
  "PATCH|$B/api/v1/boms/$BOM|{\"name\":\"Renamed\"}|"
  "POST|$B/api/v1/boms/$BOM/shares|{\"user_id\":\"$USER\",\"access\":\"view\"}|"
  "POST|$B/api/v1/boms/$BOM/transfer|{\"user_id\":\"$USER\"}|"
  "POST|$B/api/v1/users|{\"email\":\"new@scan.example\",\"password\":\"$PASSWORD\",\"role\":\"viewer\"}|"
  "PATCH|$B/api/v1/users/$USER|{\"role\":\"viewer\"}|"
  "POST|$B/api/v1/org/blocked|{\"entry\":\"spam.example\"}|"
  "PATCH|$B/api/v1/org/settings|{\"purge_days\":7,\"audit_depth\":10}|"
  "POST|$B/api/v1/me/tokens|{\"name\":\"ci\",\"scope\":\"read\",\"days\":7}|"
  "POST|$B/api/v1/sessions|{\"email\":\"admin@scan.example\",\"password\":\"x\"}|"
  "POST|$B/api/v1/invitations/accept|{\"token\":\"abc\",\"password\":\"x\"}|"
)
before="$(grep -c '"event":"http.request"' "$BV_TMP/serve.log" || true)"
params=0
found=0
for t in "${TARGETS[@]}"; do
  IFS='|' read -r method url body plist <<< "$t"
  args=(-u "$url" --method "$method" -H "$AUTH" --batch --flush-session --level "$LEVEL"
        --risk "$RISK" --dbms SQLite --threads 4 --output-dir "$BV_TMP/sqlmap" --disable-coloring)
  [ -n "$body" ] && args+=(--data "$body" -H "Content-Type: application/json")
  [ -n "$plist" ] && args+=(-p "$plist")
  out="$(timeout 900 sqlmap "${args[@]}" 2>&1 || true)"
  tested="$( (grep -oE "(GET|POST|PATCH|URI|JSON|\(custom\) [A-Z]+) parameter '[^']+'" <<< "$out" || true) | sort -u | wc -l)"
  params=$((params + tested))
  if grep -qE "is vulnerable|sqlmap identified the following injection" <<< "$out"; then
    found=$((found + 1)); verdict="INJECTABLE"
  else
    verdict="not injectable"
  fi
  printf '%-7s %-60s %2d parameters: %s\n' "$method" "${url#$B}" "$tested" "$verdict"
done
after="$(grep -c '"event":"http.request"' "$BV_TMP/serve.log" || true)"
echo
echo "targets: ${#TARGETS[@]}, parameters tested: $params, injectable: $found"
echo "requests answered during the scan: $((after - before))"
python3 - "$BV_TMP/serve.log" <<'PY'
import collections, json, sys
c = collections.Counter()
for line in open(sys.argv[1], errors="replace"):
    if '"event":"http.request"' in line:
        c[str(json.loads(line)["status"])[0] + "xx"] += 1
print("answers by class:", dict(sorted(c.items())))
PY
if grep -q '"event":"http.request".*"status":5' "$BV_TMP/serve.log"; then
  echo "5xx answers:"; grep '"event":"http.request".*"status":5' "$BV_TMP/serve.log" | head -20
fi
