#!/usr/bin/env bash
# TLS scan of `bomvault serve --tls-cert/--tls-key` with sslscan (Debian package), and with
# testssl.sh (Debian package testssl.sh) when TESTSSL=1 (slower, a few minutes). The server uses a
# fresh self-signed P-256 certificate on loopback. Prints the scanner's findings, then checks the
# policy the engine promises: TLS 1.2 and 1.3 only, forward-secret AEAD suites only, no
# compression, no renegotiation, no Heartbleed; exits non-zero if any of that does not hold.
#
#   bench/tls.sh                        # builds build-bench/ if needed
#   TESTSSL=1 SKIP_BUILD=1 BIN=build/bomvault bench/tls.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need sslscan "apt-get install -y sslscan"
need openssl "apt-get install -y openssl"
trap bv_cleanup EXIT
trap 'exit 130' INT TERM
bv_build
bv_tmp
DATA="$BV_TMP/data"
"$BIN" init --data "$DATA" --shares 2 --threshold 2 --json > "$BV_TMP/init.json"
python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["shares"]))' \
  "$BV_TMP/init.json" > "$BV_TMP/shares"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$BV_TMP/key.pem" \
  -out "$BV_TMP/cert.pem" 2>/dev/null
PORT="$(free_port)"
"$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" --unseal-file "$BV_TMP/shares" \
  --tls-cert "$BV_TMP/cert.pem" --tls-key "$BV_TMP/key.pem" 2> "$BV_TMP/serve.log" &
BV_PIDS+=($!)
for _ in $(seq 1 100); do curl -skf "https://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.1; done

out="$(sslscan --no-colour --show-sigs "127.0.0.1:$PORT")"
echo "$out" | sed -n '/SSL\/TLS Protocols/,$p'
echo
fail=0
check() {  # check DESCRIPTION EXTENDED-REGEX-THAT-MUST-NOT-MATCH
  if grep -qE "$2" <<< "$out"; then echo "FAIL: $1"; fail=1; else echo "ok:   $1"; fi
}
check "SSLv2, SSLv3, TLSv1.0 and TLSv1.1 disabled" '^(SSLv2|SSLv3|TLSv1\.0|TLSv1\.1) +enabled'
grep -qE '^TLSv1\.2 +enabled' <<< "$out" && grep -qE '^TLSv1\.3 +enabled' <<< "$out" \
  && echo "ok:   TLSv1.2 and TLSv1.3 enabled" || { echo "FAIL: TLSv1.2/1.3 not both enabled"; fail=1; }
check "no CBC, RC4, 3DES, NULL, export or anonymous suites" \
  '^(Preferred|Accepted) .*(CBC|-SHA +|RC4|DES|NULL|EXP|ADH|AECDH|anon)'
check "no static-RSA (non-forward-secret) suites" '^(Preferred|Accepted) +TLSv1\.2 .* (AES|CAMELLIA|ARIA)[0-9A-Z-]*-SHA'
check "no TLS compression" 'Compression enabled'
check "no insecure renegotiation" 'Insecure session renegotiation supported'
check "not vulnerable to Heartbleed" 'TLSv1\.[0-3] vulnerable to heartbleed'
accepted="$(grep -cE '^(Preferred|Accepted) ' <<< "$out" || true)"
echo "cipher suites accepted: $accepted"
if [ "${TESTSSL:-0}" = 1 ]; then
  need testssl "apt-get install -y testssl.sh"
  testssl --quiet --color 0 --warnings off -p -s -f -U "https://127.0.0.1:$PORT" \
    | grep -E 'offered|VULNERABLE|not vulnerable|OK' | head -80 || true
fi
exit "$fail"
