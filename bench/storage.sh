#!/usr/bin/env bash
# Storage benchmark: a 100,000-item, 5-level BOM (~10 MB CSV) imported with
# POST /api/v1/boms/import and read back with GET /api/v1/boms/{id}/items, against a raw SQLite
# reference program (bench/sqlite_ref.cc, C++ on Debian's plain libsqlite3) that inserts the same
# rows parsed from the same CSV in one transaction and scans them back.
#
#   bench/storage.sh                  # builds build-bench/ if needed; ~1-3 minutes
#   ROWS=100000 ROUNDS=3 bench/storage.sh
#   SKIP_BUILD=1 BIN=/path/to/bomvault bench/storage.sh
#
# Rounds alternate server import, server read, reference; medians are printed. Peak RSS is the
# server's VmHWM, reset (/proc/PID/clear_refs = 5) before each import so it is the import's peak.
# Targets: import >= 0.3x raw, read >= 0.3x raw, peak RSS <= 300 MB.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROWS="${ROWS:-100000}"
ROUNDS="${ROUNDS:-3}"

need curl "apt-get install -y curl"
need python3 "apt-get install -y python3"
need g++ "apt-get install -y g++"
if [ ! -f /usr/include/sqlite3.h ]; then
  apt-get install -y libsqlite3-dev >/dev/null || die "libsqlite3-dev is required"
fi

trap bv_cleanup EXIT
trap 'exit 130' INT TERM
bv_build
bv_tmp
REF="$BV_TMP/sqlite_ref"
g++ -O2 -std=c++17 -o "$REF" "$BENCH_DIR/sqlite_ref.cc" -lsqlite3 || die "building sqlite_ref failed"
CSV="$BV_TMP/bom.csv"
python3 "$BENCH_DIR/gen_bom_csv.py" "$CSV" "$ROWS"
CSV_BYTES="$(wc -c <"$CSV")"
bv_start
AUTH="Authorization: Bearer $BV_TOKEN"

echo "bomvault $BIN"
echo "CSV: $ROWS items, $CSV_BYTES bytes ($((CSV_BYTES / ROWS)) B/line), levels 1-5, 2 property columns"
echo "reference: bench/sqlite_ref.cc, $(sqlite3_ver="$(grep -m1 '#define SQLITE_VERSION ' /usr/include/sqlite3.h | awk '{print $3}')"; echo "libsqlite3 $sqlite3_ver"), WAL, synchronous=NORMAL, no encryption"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server RSS after start: $(vm_field "$BV_PID" VmRSS) kB"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
reset_hwm() { echo 5 >"/proc/$BV_PID/clear_refs" 2>/dev/null && echo reset || echo lifetime; }
TICK="$(getconf CLK_TCK)"

imp=(); rd=(); rins=(); rscan=(); imp_rss=(); rd_rss=(); imp_cpu=(); rd_cpu=()
printf '%-6s %12s %12s %12s %12s %14s %14s\n' round import_s read_s ref_insert_s ref_scan_s import_peak_MB read_peak_MB
for r in $(seq 1 "$ROUNDS"); do
  # server import
  hwm_mode="$(reset_hwm)"
  c0="$(cpu_ticks "$BV_PID")"
  t="$(curl -s --max-time 600 -o "$BV_TMP/import.json" -w '%{http_code} %{time_total}' -H "$AUTH" \
        -H 'Content-Type: text/csv' --data-binary @"$CSV" "$BV_URL/api/v1/boms/import?name=bench-$r")"
  c1="$(cpu_ticks "$BV_PID")"
  [ "${t%% *}" = 201 ] || { cat "$BV_TMP/import.json" >&2; die "import answered ${t%% *}"; }
  imp+=("${t#* }"); imp_rss+=("$(vm_field "$BV_PID" VmHWM)"); imp_cpu+=("$(( (c1 - c0) * 1000 / TICK ))")
  id="$(jget "$BV_TMP/import.json" id)"
  n="$(jget "$BV_TMP/import.json" items)"
  [ "$n" = "$ROWS" ] || die "import stored $n items, expected $ROWS"
  sleep 1
  # server read
  reset_hwm >/dev/null
  c0="$(cpu_ticks "$BV_PID")"
  t="$(curl -s --max-time 600 -o "$BV_TMP/items.json" -w '%{http_code} %{time_total}' -H "$AUTH" \
        "$BV_URL/api/v1/boms/$id/items")"
  c1="$(cpu_ticks "$BV_PID")"
  [ "${t%% *}" = 200 ] || die "items answered ${t%% *}"
  rd+=("${t#* }"); rd_rss+=("$(vm_field "$BV_PID" VmHWM)"); rd_cpu+=("$(( (c1 - c0) * 1000 / TICK ))")
  if [ "$r" = 1 ]; then
    got="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$BV_TMP/items.json")"
    [ "$got" = "$ROWS" ] || die "read back $got items, expected $ROWS"
    ITEMS_BYTES="$(wc -c <"$BV_TMP/items.json")"
  fi
  rm -f "$BV_TMP/items.json"
  sleep 1
  # raw reference
  line="$(timeout 600 "$REF" "$CSV" "$BV_TMP/ref.db")"
  rm -f "$BV_TMP"/ref.db*
  rins+=("$(sed 's/.*insert_s=\([0-9.]*\).*/\1/' <<<"$line")")
  rscan+=("$(sed 's/.*scan_s=\([0-9.]*\).*/\1/' <<<"$line")")
  printf '%-6s %12s %12s %12s %12s %14s %14s\n' "$r" "${imp[-1]}" "${rd[-1]}" "${rins[-1]}" "${rscan[-1]}" \
    "$((imp_rss[-1] / 1024))" "$((rd_rss[-1] / 1024))"
  sleep 1
done

m_imp="$(median "${imp[@]}")"; m_rd="$(median "${rd[@]}")"
m_rins="$(median "${rins[@]}")"; m_rscan="$(median "${rscan[@]}")"
peak_imp="$(printf '%s\n' "${imp_rss[@]}" | sort -n | tail -1)"
peak_rd="$(printf '%s\n' "${rd_rss[@]}" | sort -n | tail -1)"
echo
echo "median of $ROUNDS rounds ($ROWS rows; items JSON ${ITEMS_BYTES:-?} bytes; VmHWM $hwm_mode per phase)"
awk -v n="$ROWS" -v i="$m_imp" -v r="$m_rd" -v ri="$m_rins" -v rs="$m_rscan" \
    -v ic="$(median "${imp_cpu[@]}")" -v rc="$(median "${rd_cpu[@]}")" \
    -v pi="$peak_imp" -v pr="$peak_rd" 'BEGIN {
  printf "  import  bomvault %8.3f s %9.0f rows/s (server CPU %d ms)   raw %7.3f s %9.0f rows/s   ratio %.3f\n", i, n/i, ic, ri, n/ri, ri/i
  printf "  read    bomvault %8.3f s %9.0f rows/s (server CPU %d ms)   raw %7.3f s %9.0f rows/s   ratio %.3f\n", r, n/r, rc, rs, n/rs, rs/r
  printf "  peak RSS (VmHWM) during import %.1f MB, during read %.1f MB\n", pi/1024, pr/1024
  printf "  target import >= 0.3x raw: %s\n", (ri/i >= 0.3 ? "MET" : "MISSED")
  printf "  target read   >= 0.3x raw: %s\n", (rs/r >= 0.3 ? "MET" : "MISSED")
  printf "  target peak RSS <= 300 MB: %s\n", (pi/1024 <= 300 ? "MET" : "MISSED") }'
