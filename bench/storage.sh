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
echo "tree: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted src changes'); binary built $(date -u -r "$BIN" '+%F %T') UTC"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server RSS after start: $(vm_field "$BV_PID" VmRSS) kB"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
reset_hwm() { echo 5 >"/proc/$BV_PID/clear_refs" 2>/dev/null && echo reset || echo lifetime; }
TICK="$(getconf CLK_TCK)"

: >"$BV_TMP/rounds.txt"
for r in $(seq 1 "$ROUNDS"); do
  # server import
  hwm_mode="$(reset_hwm)"
  c0="$(cpu_ticks "$BV_PID")"
  t="$(curl -s --max-time 600 -o "$BV_TMP/import.json" -w '%{http_code} %{time_total}' -H "$AUTH" \
        -H 'Content-Type: text/csv' --data-binary @"$CSV" "$BV_URL/api/v1/boms/import?name=bench-$r")"
  c1="$(cpu_ticks "$BV_PID")"
  [ "${t%% *}" = 201 ] || { cat "$BV_TMP/import.json" >&2; die "import answered ${t%% *}"; }
  imp_s="${t#* }"; imp_hwm="$(vm_field "$BV_PID" VmHWM)"; imp_cpu="$(( (c1 - c0) * 1000 / TICK ))"
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
  rd_s="${t#* }"; rd_hwm="$(vm_field "$BV_PID" VmHWM)"; rd_cpu="$(( (c1 - c0) * 1000 / TICK ))"
  if [ "$r" = 1 ]; then
    got="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$BV_TMP/items.json")"
    [ "$got" = "$ROWS" ] || die "read back $got items, expected $ROWS"
    ITEMS_BYTES="$(wc -c <"$BV_TMP/items.json")"
    # The same items as a JSON create body, for the JSON-create phase after the rounds.
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump({"name":"bench-json","items":d["items"]},open(sys.argv[2],"w"))' \
      "$BV_TMP/items.json" "$BV_TMP/create.json"
  fi
  rm -f "$BV_TMP/items.json"
  sleep 1
  # raw reference
  line="$(timeout 600 "$REF" "$CSV" "$BV_TMP/ref.db")"
  rm -f "$BV_TMP"/ref.db*
  field() { sed "s/.* $1=\([0-9.]*\).*/\1/" <<<"$line"; }
  echo "$r $imp_s $rd_s $(field insert_s) $(field scan_s) $imp_cpu $rd_cpu $(field insert_cpu_s) $(field scan_cpu_s) $imp_hwm $rd_hwm" \
    >>"$BV_TMP/rounds.txt"
  sleep 1
done

# POSTs FILE as CTYPE to PATH (a %d in it takes the round) ROUNDS times; sets PHASE_S (median
# seconds) and PHASE_HWM (highest peak RSS, kB); checks that every answer has STATUS (default
# 201) and counts ROWS items.
post_phase() {
  local ctype="$1" file="$2" path="$3" status="${4:-201}" r t
  : >"$BV_TMP/phase.txt"
  for r in $(seq 1 "$ROUNDS"); do
    reset_hwm >/dev/null
    local c0 c1
    c0="$(cpu_ticks "$BV_PID")"
    # shellcheck disable=SC2059
    t="$(curl -s --max-time 600 -o "$BV_TMP/phase_out.json" -w '%{http_code} %{time_total}' \
          -H "$AUTH" -H "Content-Type: $ctype" --data-binary @"$file" "$BV_URL$(printf "$path" "$r")")"
    c1="$(cpu_ticks "$BV_PID")"
    [ "${t%% *}" = "$status" ] || { cat "$BV_TMP/phase_out.json" >&2; die "$path answered ${t%% *}"; }
    [ "$(jget "$BV_TMP/phase_out.json" items)" = "$ROWS" ] || die "$path stored the wrong count"
    echo "${t#* } $(vm_field "$BV_PID" VmHWM) $(( (c1 - c0) * 1000 / TICK ))" >>"$BV_TMP/phase.txt"
    sleep 1
  done
  PHASE_S="$(awk '{print $1}' "$BV_TMP/phase.txt" | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p")"
  PHASE_HWM="$(awk '{print $2}' "$BV_TMP/phase.txt" | sort -n | tail -1)"
  PHASE_CPU="$(awk '{print $3}' "$BV_TMP/phase.txt" | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p")"
}
phase_line() {
  echo "$1: $(wc -c <"$2") bytes, median $PHASE_S s ($(python3 -c "print(round($ROWS/$PHASE_S))") rows/s), server CPU $PHASE_CPU ms, highest peak RSS $(( PHASE_HWM / 1024 )) MB"
}

# Import preview: the same CSV through the whole pipeline, nothing stored (docs/import.md).
post_phase text/csv "$CSV" "/api/v1/boms/import/preview" 200
phase_line "import preview" "$CSV"
# The same rows as a foreign tool would write them (';', German headers, decimal commas, a title
# line), so the generic pipeline rather than the strict native reader does the work.
python3 - "$CSV" "$BV_TMP/foreign.csv" <<'PY'
import csv, sys
rows = csv.reader(open(sys.argv[1], newline="", encoding="utf-8"))
header = next(rows)
col = {name: i for i, name in enumerate(header)}
with open(sys.argv[2], "w", newline="", encoding="utf-8") as out:
    out.write("Stückliste Export;;;;\r\n")
    out.write("Stufe;Sachnummer;Benennung;Menge;ME\r\n")
    for r in rows:
        q = r[col["quantity"]].replace(".", ",")
        desc = r[col["description"]].replace(";", ",").replace('"', "'")
        out.write(f'{r[col["level"]]};{r[col["part_number"]]};"{desc}";{q};{r[col["unit"]]}\r\n')
PY
post_phase text/csv "$BV_TMP/foreign.csv" "/api/v1/boms/import?name=bench-foreign-%d"
phase_line "generic-pipeline import" "$BV_TMP/foreign.csv"
post_phase text/csv "$BV_TMP/foreign.csv" "/api/v1/boms/import/preview" 200
phase_line "generic-pipeline preview" "$BV_TMP/foreign.csv"
# JSON create: the same items as one JSON body (read with a SAX parser).
post_phase application/json "$BV_TMP/create.json" "/api/v1/boms"
phase_line "JSON create" "$BV_TMP/create.json"
# XLSX import: the same rows as an Excel workbook through the same import route.
python3 "$BENCH_DIR/gen_bom_xlsx.py" "$CSV" "$BV_TMP/bom.xlsx"
post_phase application/vnd.openxmlformats-officedocument.spreadsheetml.sheet "$BV_TMP/bom.xlsx" \
  "/api/v1/boms/import?name=bench-xlsx-%d"
phase_line "XLSX import" "$BV_TMP/bom.xlsx"

echo "items JSON ${ITEMS_BYTES:-?} bytes; VmHWM ${hwm_mode} before each phase (reset = true per-phase peak)"
echo "server VmRSS after all rounds: $(( $(vm_field "$BV_PID" VmRSS) / 1024 )) MB (memory freed by earlier requests but kept by the allocator counts here)"
python3 - "$BV_TMP/rounds.txt" "$ROWS" <<'PY'
import statistics, sys
rows = int(sys.argv[2])
R = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
med = lambda xs: statistics.median(xs)
print(f"{'round':<6}{'import_s':>9}{'raw_ins_s':>10}{'ratio':>7}{'read_s':>9}{'raw_scan_s':>11}{'ratio':>7}"
      f"{'imp_cpu_ms':>11}{'raw_cpu_ms':>11}{'rd_cpu_ms':>10}{'raw_cpu_ms':>11}{'imp_HWM_MB':>11}{'rd_HWM_MB':>10}")
for r in R:
    print(f"{int(r[0]):<6}{r[1]:9.3f}{r[3]:10.3f}{r[3]/r[1]:7.3f}{r[2]:9.3f}{r[4]:11.3f}{r[4]/r[2]:7.3f}"
          f"{r[5]:11.0f}{r[7]*1e3:11.0f}{r[6]:10.0f}{r[8]*1e3:11.0f}{r[9]/1024:11.1f}{r[10]/1024:10.1f}")
imp, rd, ri, rs = (med([r[i] for r in R]) for i in (1, 2, 3, 4))
imp_ratio = med([r[3] / r[1] for r in R]); rd_ratio = med([r[4] / r[2] for r in R])
imp_cpu_ratio = med([r[7] * 1e3 / max(r[5], 1) for r in R]); rd_cpu_ratio = med([r[8] * 1e3 / max(r[6], 1) for r in R])
peak_imp = max(r[9] for r in R) / 1024; peak_rd = max(r[10] for r in R) / 1024
print(f"\nmedians of {len(R)} rounds, {rows} rows (ratio = raw time / bomvault time, median of per-round ratios)")
print(f"  import  bomvault {imp:7.3f} s {rows/imp:9.0f} rows/s   raw {ri:7.3f} s {rows/ri:9.0f} rows/s   ratio {imp_ratio:.3f}   (CPU-time ratio {imp_cpu_ratio:.3f})")
print(f"  read    bomvault {rd:7.3f} s {rows/rd:9.0f} rows/s   raw {rs:7.3f} s {rows/rs:9.0f} rows/s   ratio {rd_ratio:.3f}   (CPU-time ratio {rd_cpu_ratio:.3f})")
print(f"  server peak RSS (VmHWM): import {peak_imp:.1f} MB, read {peak_rd:.1f} MB")
ok = lambda b: "MET" if b else "MISSED"
print(f"  target import >= 0.3x raw: {ok(imp_ratio >= 0.3)}")
print(f"  target read   >= 0.3x raw: {ok(rd_ratio >= 0.3)}")
print(f"  target peak RSS <= 300 MB: {ok(peak_imp <= 300)}  (import peaks by round: "
      + ", ".join(f"{r[9] / 1024:.0f}" for r in R) + " MB)")
PY
