#!/usr/bin/env python3
"""Backup, restore and standby recovery time, compared with a plain copy of the same bytes.

    python3 bench/backup.py [build/bomvault]      # ROWS=100000 ATTACH_MB=64 ROUNDS=3

Builds a store with one imported BOM of ROWS items (bench/gen_bom_csv.py) and ATTACH_MB of PDF
attachments, then per round: `bomvault backup` (online copy + full check + strip + fsync) against
`cp` + fsync of the live database file (the reference: the least any backup must do), `bomvault
restore` against the same `cp`, and the time from starting `bomvault serve` on the restored
directory to the first 200 of /api/v1/ready after the shares are submitted (the machine part of
the recovery time; people unsealing come on top). Prints medians and ratios.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))
os.environ.setdefault("BOMVAULT_BIN", os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/bomvault"))
import harness  # noqa: E402

BIN = os.environ["BOMVAULT_BIN"]
ROWS = int(os.environ.get("ROWS", "100000"))
ATTACH_MB = int(os.environ.get("ATTACH_MB", "64"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))


def timed(fn):
    t = time.monotonic()
    fn()
    return time.monotonic() - t


def copy_fsync(src, dst):
    shutil.copyfile(src, dst)
    fd = os.open(dst, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)


def main():
    st = harness.Store(shares=3, threshold=2)
    srv = harness.Server(st, extra=["--rate-limit", "0"])
    results = {"backup": [], "cp_live": [], "restore": [], "ready": []}
    try:
        org = harness.Org(srv, "Bench Org", "bench.example")
        csv_path = os.path.join(st.tmp, "bom.csv")
        subprocess.run([sys.executable, os.path.join(here, "gen_bom_csv.py"), csv_path, str(ROWS)],
                       capture_output=True, check=True)
        with open(csv_path, "rb") as f:
            csv = f.read()
        s, r, _ = harness.call(srv.base, "POST", "/api/v1/boms/import?name=Bench", csv, token=org.editor,
                               ctype="text/csv", timeout=600)
        assert s == 201, r
        bom = r["id"]
        for i in range(max(ATTACH_MB // 16, 0)):
            blob = harness.pdf_bytes(f"sheet{i}") + os.urandom(16 << 20)
            s, r, _ = harness.attach(srv.base, org.editor, bom, blob, name=f"sheet{i}.pdf")
            assert s == 201, r
        db = os.path.join(st.data, "bomvault.db")
        harness.call(srv.base, "GET", "/api/v1/health")
        for n in range(ROUNDS):
            dest = os.path.join(st.tmp, f"backup{n}")
            results["backup"].append(timed(lambda: subprocess.run(
                [BIN, "backup", "--data", st.data, "--to", dest, "--url", srv.base], check=True,
                capture_output=True, env={**os.environ, "BOMVAULT_OPERATOR_TOKEN": st.operator})))
            results["cp_live"].append(timed(lambda: copy_fsync(db, os.path.join(st.tmp, f"cp{n}.db"))))
            restored = os.path.join(st.tmp, f"restored{n}")
            results["restore"].append(timed(lambda: subprocess.run(
                [BIN, "restore", "--from", dest, "--data", restored], check=True, capture_output=True)))
            clone = harness.Store.__new__(harness.Store)
            clone.__dict__.update(st.__dict__)
            clone.data = restored
            t = time.monotonic()
            srv2 = harness.Server(clone, sealed=True)
            for share in st.shares[:2]:
                harness.call(srv2.base, "POST", "/api/v1/unseal", {"share": share})
            while harness.call(srv2.base, "GET", "/api/v1/ready")[0] != 200:
                time.sleep(0.01)
            results["ready"].append(time.monotonic() - t)
            srv2.stop()
        size = os.path.getsize(db)
        snap = os.path.join(st.tmp, "backup0", "snapshots")
        snap_size = os.path.getsize(os.path.join(snap, os.listdir(snap)[0]))
    finally:
        srv.stop()
        st.cleanup()
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"store: {ROWS} items + {ATTACH_MB} MB attachments; live file {size / 2**20:.1f} MiB, "
          f"snapshot {snap_size / 2**20:.1f} MiB; medians of {ROUNDS} rounds")
    print(f"backup (copy + full check + strip + fsync): {med['backup']:.2f} s; cp + fsync of the live "
          f"file: {med['cp_live']:.2f} s; ratio cp/backup {med['cp_live'] / med['backup']:.2f}")
    print(f"restore: {med['restore']:.2f} s; ratio cp/restore {med['cp_live'] / med['restore']:.2f}")
    print(f"restored server start -> unsealed -> ready: {med['ready']:.2f} s")


if __name__ == "__main__":
    main()
