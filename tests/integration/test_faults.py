"""Storage faults on the real binary: `strace --inject` makes chosen system calls of the running
server fail (pwrite64 with ENOSPC or EIO, fdatasync/fsync with EIO, write with ENOSPC, rename with
EIO) at chosen points of a BOM import, a share, an unseal, the stale-BOM purge, `bomvault backup`
and the scheduled backup.

The injector attaches to every thread of the serving process (strace -f -p) only for the one
operation under test, so setup and verification run without faults. strace counts calls per
thread, so `when=N` is the Nth such call of the thread doing the work (the request's worker, or
the scheduler's thread for the purge): each operation is first traced without a fault to learn
how many calls it makes (K), then faulted at the first, a middle and the last of them.

What must hold at every point, whatever the fault:
  * the answer is a success or a JSON error with status 503 (a storage fault is the server's
    problem, so 503 "storage_fault" or "sealed"); never a 500, a dropped connection or a crash;
  * a fatal fault (full disk, I/O error) seals the vault (Instance::SealFromFault), and a failed
    unseal leaves it sealed and accepting shares again;
  * nothing is half-written: an answered write is there in full, a refused one is absent;
  * once the fault is gone the vault unseals from its shares and the same operation succeeds;
  * `bomvault check` passes on the data directory afterwards.
The fault points tried are printed (docs/security.md reports them).
"""
import datetime
import json
import glob
import os
import re
import shutil
import signal
import subprocess
import threading
import time

from harness import BIN, PASSWORD, Org, Server, Store, call, is_error, make_bom, sign_in

FAKETIME_LIB = (glob.glob("/usr/lib/*/faketime/libfaketime.so.1") or
                ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"])[0]
DAY0 = datetime.date(2026, 1, 1)


def day(n):
    return {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": f"@{DAY0 + datetime.timedelta(days=n)} 00:00:00",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1", "TZ": "UTC"}


class Inject:
    """strace attached to every thread of `pid` for the duration of a `with` block. `spec` is an
    inject expression such as "pwrite64:error=ENOSPC:when=3", or None to trace only."""

    SYSCALLS = "pwrite64,pwritev,write,fsync,fdatasync"

    def __init__(self, pid, spec, trace_path, paths=(), syscalls=None):
        self.pid, self.spec, self.trace_path = pid, spec, trace_path
        self.paths, self.syscalls = paths, syscalls or self.SYSCALLS

    def __enter__(self):
        # -y names each descriptor's file in the trace; -P limits tracing (and the injection's
        # count) to calls on those paths.
        cmd = ["strace", "-f", "-y", "-p", str(self.pid), "-e", "trace=" + self.syscalls,
               "-o", self.trace_path]
        for p in self.paths:
            cmd += ["-P", p]
        if self.spec:
            cmd += ["-e", "inject=" + self.spec]
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        attached = threading.Semaphore(0)
        self.messages = []

        def read():
            for line in self.proc.stderr:
                self.messages.append(line)
                if "attached" in line:
                    attached.release()

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        # strace reports "Process P attached with N threads" once it holds every thread.
        assert attached.acquire(timeout=20), f"strace did not attach: {self.messages}"
        return self

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGINT)  # strace detaches cleanly; the server runs on
        self.proc.wait(20)
        self.reader.join(5)

    def calls(self, syscall):
        """{thread id: number of calls of `syscall`} seen while attached."""
        counts = {}
        with open(self.trace_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = re.match(r"(\d+)\s+" + syscall + r"\(", line)
                if m:
                    counts[m.group(1)] = counts.get(m.group(1), 0) + 1
        return counts

    def injected(self):
        with open(self.trace_path, encoding="utf-8", errors="replace") as f:
            return sum(1 for line in f if "(INJECTED)" in line)


def points(k):
    """The first, a middle and the last call of an operation that makes k of them."""
    return sorted({1, max(1, (k + 1) // 2), max(1, k)})


def check_store(store):
    r = subprocess.run([BIN, "check", "--data", store.data, "--unseal-file", store.share_file],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "check: ok" in r.stdout, r.stdout


def unseal(base, store):
    """Submits shares until the vault is open; returns the answers (all must be clean)."""
    answers = []
    for share in store.shares[:store.threshold]:
        s, r, _ = call(base, "POST", "/api/v1/unseal", {"share": share})
        answers.append((s, r))
        if s == 200 and r.get("sealed") is False:
            break
    return answers


def reopen(base, store):
    """After a fault: the vault unseals from its shares (if the fault sealed it) and works."""
    s, h, _ = call(base, "GET", "/api/v1/health")
    assert s == 200, h
    if h["sealed"]:
        for s, r in unseal(base, store):
            assert s == 200, (s, r)
        assert call(base, "GET", "/api/v1/health")[1]["sealed"] is False
    return h["sealed"]


def clean_answer(s, r, what):
    """A success, or a JSON 503: never a 500, never an HTML page or a dropped connection."""
    assert s < 500 or (s == 503 and is_error(r) and r["error"]["code"] in ("storage_fault", "sealed")), \
        (what, s, r)
    assert s < 300 or is_error(r), (what, s, r)


def import_csv(b, token, name, rows=300):
    body = b"level,part_number,description,quantity,unit\n1,TOP,Assembly,1,ea\n" + b"".join(
        b"2,P-%05d,Part %d with a longer description,%d,ea\n" % (i, i, i % 7 + 1) for i in range(rows))
    return call(b, "POST", f"/api/v1/boms/import?name={name}", body, token=token, ctype="text/csv")


def bom_names(b, token):
    s, r, _ = call(b, "GET", "/api/v1/boms", token=token)
    assert s == 200, r
    return {x["name"]: x["id"] for x in r["boms"]}


def test_faults_import_and_share_fail_cleanly_and_recover():
    st = Store()
    srv = Server(st)
    tried = []
    try:
        b = srv.base
        # Every member now: none may be made while the injector counts or faults calls.
        org = Org(srv).ensure_all()
        trace = os.path.join(st.tmp, "trace.txt")

        # How many writes each operation makes in its request thread.
        with Inject(srv.proc.pid, None, trace) as t:
            s, r, _ = import_csv(b, org.editor, "Measure")
        assert s == 201, r
        k_import = max(t.calls("pwrite64").values())
        bom = r["id"]
        with Inject(srv.proc.pid, None, trace) as t:
            s, r, _ = call(b, "POST", f"/api/v1/boms/{bom}/shares",
                           {"user_id": org.viewer_id, "access": "view"}, token=org.editor)
        assert s == 201, r
        k_share = max(t.calls("pwrite64").values())
        assert call(b, "DELETE", f"/api/v1/boms/{bom}/shares/{org.viewer_id}", token=org.editor)[0] == 204

        faults = [("pwrite64", "ENOSPC", n) for n in points(k_import)] + \
                 [("pwrite64", "EIO", 1), ("fdatasync", "EIO", 1), ("fsync", "EIO", 1),
                  ("write", "ENOSPC", 1)]
        for i, (syscall, errno, n) in enumerate(faults):
            name = f"Import-{i}"
            with Inject(srv.proc.pid, f"{syscall}:error={errno}:when={n}", trace) as t:
                s, r, _ = import_csv(b, org.editor, name)
            tried.append(("import", syscall, errno, n, t.injected(), s))
            clean_answer(s, r, ("import", syscall, errno, n))
            sealed = reopen(b, st)
            names = bom_names(b, org.editor)
            if s == 201:
                # Acknowledged: all of it is there.
                s2, items, _ = call(b, "GET", f"/api/v1/boms/{r['id']}/items", token=org.editor)
                assert s2 == 200 and len(items["items"]) == 301, (s2, items)
            else:
                assert t.injected() > 0 and name not in names, (name, names)
                assert sealed or r["error"]["code"] != "storage_fault"
            # The fault is gone: the same import works.
            s, r, _ = import_csv(b, org.editor, name + "-again")
            assert s == 201, r

        faults = [("pwrite64", "ENOSPC", n) for n in points(k_share)] + [("pwrite64", "EIO", 1)]
        users = [org.viewer_id, org.editor2_id]
        for i, (syscall, errno, n) in enumerate(faults):
            user = users[i % 2]
            with Inject(srv.proc.pid, f"{syscall}:error={errno}:when={n}", trace) as t:
                s, r, _ = call(b, "POST", f"/api/v1/boms/{bom}/shares",
                               {"user_id": user, "access": "edit"}, token=org.editor)
            tried.append(("share", syscall, errno, n, t.injected(), s))
            clean_answer(s, r, ("share", syscall, errno, n))
            reopen(b, st)
            s2, shares, _ = call(b, "GET", f"/api/v1/boms/{bom}/shares", token=org.editor)
            assert s2 == 200, shares
            granted = [x for x in shares["shares"] if x["user_id"] == user]
            assert len(granted) == (1 if s == 201 else 0), (s, shares)
            if s != 201:
                assert call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": user, "access": "edit"},
                            token=org.editor)[0] == 201
            assert call(b, "DELETE", f"/api/v1/boms/{bom}/shares/{user}", token=org.editor)[0] == 204
    finally:
        srv.stop()
        for row in tried:
            print("  fault point: %s %s=%s when=%d injected=%d -> %d" % row)
    try:
        check_store(st)
    finally:
        st.cleanup()


def test_faults_unseal_and_purge_fail_closed_and_recover():
    """The purge runs on the scheduler's thread right after an unseal: a server is started sealed
    on day 6 over a copy of a store whose BOMs went stale on day 0, and the unseal and the purge
    run under the injector. A fault in the unseal's own write must leave the vault sealed (and
    willing to take shares again); a fault in the purge seals it, and the purge completes after
    the next unseal."""
    st = Store()
    tried = []
    try:
        srv = Server(st, env=day(0))
        try:
            org = Org(srv).ensure_all()  # the purge runs over the whole org as the harness made it
            boms = [make_bom(srv.base, org.editor, f"Stale {i}") for i in range(3)]
        finally:
            srv.stop()
        pristine = os.path.join(st.tmp, "pristine")
        shutil.copytree(st.data, pristine)

        def run(spec):
            shutil.rmtree(st.data)
            shutil.copytree(pristine, st.data)
            srv = Server(st, sealed=True, env=day(6))
            trace = os.path.join(st.tmp, "trace.txt")
            try:
                with Inject(srv.proc.pid, spec, trace) as t:
                    answers = unseal(srv.base, st)
                    # The purge (or its failure) is logged once the scheduler has run.
                    deadline = time.time() + 30
                    while time.time() < deadline and answers[-1][0] == 200 and \
                            answers[-1][1].get("sealed") is False and \
                            not re.search(r'"event":"job\.purge(_failed)?"', srv.log()):
                        time.sleep(0.05)
                for s, r in answers:
                    clean_answer(s, r, ("unseal", spec))
                injected = t.injected()
                sealed = reopen(srv.base, st)
                deadline = time.time() + 30
                while time.time() < deadline and not re.search(r'"event":"job\.purge"', srv.log()):
                    time.sleep(0.05)
                assert '"event":"job.purge"' in srv.log(), srv.log()[-1500:]
                admin = sign_in(srv.base, "admin@acme.example", PASSWORD)
                s, r, _ = call(srv.base, "GET", "/api/v1/boms", token=admin)
                assert s == 200 and r["boms"] == [], r
                for bom in boms:
                    assert call(srv.base, "GET", f"/api/v1/boms/{bom}", token=admin)[0] == 404
                return t, injected, sealed, answers, srv.log()
            finally:
                srv.stop()
                check_store(st)

        t, _, _, _, _ = run(None)
        # The unseal writes on a request worker (the first thread to write), the purge on the
        # scheduler's thread. Counts are per thread, so a point past the unseal's own count of a
        # call faults the purge alone.
        with open(os.path.join(st.tmp, "trace.txt")) as f:
            first = next(line.split()[0] for line in f if re.match(r"\d+\s+pwrite64\(", line))
        faults = []
        for syscall, errno in (("pwrite64", "ENOSPC"), ("fsync", "EIO")):
            calls = t.calls(syscall)
            k_unseal = calls.get(first, 0)
            k_purge = max([n for tid, n in calls.items() if tid != first] or [0])
            faults += [(syscall, errno, n, "unseal") for n in points(k_unseal) if k_unseal]
            faults += [(syscall, errno, n, "purge")
                       for n in sorted({k_unseal + 1, (k_unseal + 1 + k_purge) // 2, k_purge})
                       if k_unseal < n <= k_purge]
        faults.append(("pwrite64", "EIO", 1, "unseal"))
        assert any(f[3] == "purge" for f in faults), faults
        for syscall, errno, n, where in faults:
            _, injected, sealed, answers, log = run(f"{syscall}:error={errno}:when={n}")
            tried.append((where, syscall, errno, n, injected, answers[-1][0]))
            assert injected > 0, (where, syscall, n)
            s, r = answers[-1]
            faulted = any(e in log for e in ("vault.sealing_on_storage_fault", "vault.unseal_not_recorded",
                                             "store.open_failed"))
            # Whatever was hit, the vault's state is the one it reported: sealed after a fault
            # SQLite reported, open otherwise.
            assert sealed == faulted, (where, syscall, n, sealed, faulted)
            if where == "unseal":
                # A write of the unseal itself failed: refused cleanly, the vault stays sealed and
                # takes shares again (reopen() in run() proved that). A failed fsync of a
                # checkpoint is one SQLite retries later (the WAL keeps the data): no fault then.
                assert (s == 503 and r["error"]["code"] == "storage_fault") or \
                    (syscall == "fsync" and s == 200 and r["sealed"] is False), answers
            else:
                # The unseal went through; the purge's fault sealed the vault (the fatal-fault
                # path), and the purge completed after the next unseal (run() checked that).
                assert s == 200 and r["sealed"] is False, answers
                assert sealed or syscall == "fsync", "a fatal storage fault must seal the vault"
    finally:
        for row in tried:
            print("  fault point: %s %s=%s when=%d injected=%d -> %d" % row)
        st.cleanup()


# ---- Backups -------------------------------------------------------------------------------------

def backup_cli(srv, to):
    return subprocess.run([BIN, "backup", "--data", srv.store.data, "--to", to, "--url", srv.base],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "BOMVAULT_OPERATOR_TOKEN": srv.store.operator})


def snapshot_files(dest):
    d = os.path.join(dest, "snapshots")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def good_snapshots(dest):
    return [n for n in snapshot_files(dest) if n.startswith("bomvault-") and n.endswith(".db")]


def restores_and_checks(st, dest, boms):
    """`bomvault restore` takes the newest snapshot of dest; the restored store passes `check`
    and holds at least `boms` BOMs. Returns the snapshot restored."""
    data = os.path.join(st.tmp, "restored")
    shutil.rmtree(data, ignore_errors=True)
    r = subprocess.run([BIN, "restore", "--from", dest, "--data", data], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    c = subprocess.run([BIN, "check", "--data", data, "--unseal-file", st.share_file],
                       capture_output=True, text=True, timeout=120)
    assert c.returncode == 0 and "check: ok" in c.stdout, c.stdout + c.stderr
    m = re.search(r"boms: (\d+)", c.stdout)
    assert m and int(m.group(1)) >= boms, c.stdout
    shutil.rmtree(data, ignore_errors=True)
    return re.search(r"restored (\S+)", r.stdout).group(1)


def thread_calls(trace_path):
    """[(thread, syscall, path)] of the traced calls, in order (strace -y names each fd's file)."""
    out = []
    with open(trace_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"(\d+)\s+(\w+)\((?:\d+<([^>]*)>|\"([^\"]*)\")", line)
            if m:
                out.append((m.group(1), m.group(2), m.group(3) or m.group(4) or ""))
    return out


def injected_paths(trace_path):
    return [path for _, _, path, injected in
            ((*c, "(INJECTED)" in line) for c, line in zip(thread_calls(trace_path), open(trace_path)))
            if injected]


def phase(path):
    """A call's file, with the random parts of its name dropped (one name per backup phase)."""
    path = re.sub(r"\.partial-[0-9a-f]+", ".partial-*", path)
    path = re.sub(r"bomvault-\d{8}T\d{6}Z-[0-9a-f]+\.db", "bomvault-*.db", path)
    return re.sub(r"^/tmp/bv-test-[^/]+", "", path)


BACKUP_SYSCALLS = "pwrite64,pwritev,write,fsync,fdatasync,rename"


def backup_trace(srv, dest, trace):
    """One backup traced without a fault: [(syscall, phase)] of the thread that did it."""
    with Inject(srv.proc.pid, None, trace, syscalls=BACKUP_SYSCALLS):
        r = backup_cli(srv, dest)
    assert r.returncode == 0, r.stderr
    calls = thread_calls(trace)
    counts = {}
    for tid, _, _ in calls:
        counts[tid] = counts.get(tid, 0) + 1
    tid = max(counts, key=counts.get)
    return [(sc, phase(p)) for t, sc, p in calls if t == tid]


def backup_targets(calls):
    """The fault points of a backup, as (syscall, phase, which) with which = "first" or "last"
    call of that phase: the first call of every phase (the copy, its journal, the verification
    copy's shared memory, the key file, the directories, the log), the last write of the snapshot
    (the end of its VACUUM) and the last fsync (the snapshot directory after the rename). The
    store's own writes come last and are targeted by path (see the test)."""
    targets = []
    for syscall in ("pwrite64", "fsync", "fdatasync", "write", "rename"):
        seen = []
        for sc, p in calls:
            if sc == syscall and p not in seen and not p.startswith("/data/"):
                seen.append(p)
                targets.append((syscall, p, "first"))
    targets.append(("pwrite64", "/backups/snapshots/.partial-*.db", "last"))
    targets.append(("fsync", [p for sc, p in calls if sc == "fsync"][-1], "last"))
    return [t for i, t in enumerate(targets) if t not in targets[:i]]


def resolve(calls, syscall, ph, which):
    """when=N of a target in a traced backup, or None if that backup made no such call."""
    ns = [n for n, p in enumerate((p for sc, p in calls if sc == syscall), 1) if p == ph]
    return (ns[0] if which == "first" else ns[-1]) if ns else None


def test_faults_backup_disk_faults_answer_backup_failed_not_500_leave_no_snapshot_and_recover():
    """`bomvault backup` against a running server, with one system call of the server's backup
    failing at each phase: the copy, its journal, the verification copy's shared memory, the
    snapshot's detach (journal, VACUUM), its fsync, the key file (write, fsync, rename), the
    snapshot's rename and the directory fsyncs, and the store's own writes at the end (the backup's
    record and audit entry). Each point is located in a traced backup run just before it (the store
    grows a little with every backup). At every point the CLI either reports a verified backup
    (exit 0) or fails with one clear line (exit 1); a failed backup leaves no new snapshot, no
    partial file and no temporary key file; the key file is always whole; `bomvault restore` of
    the directory's newest snapshot restores and passes `check`; only a fault of the store itself
    seals the vault; and the next backup succeeds."""
    st = Store()
    srv = Server(st, extra=["--rate-limit", "0"])
    tried = []
    try:
        b = srv.base
        org = Org(srv)
        for i in range(4):
            assert import_csv(b, org.editor, f"Backup-{i}", rows=200)[0] == 201
        dest = os.path.join(st.tmp, "backups")
        r = backup_cli(srv, dest)
        assert r.returncode == 0, r.stderr
        trace = os.path.join(st.tmp, "trace.txt")
        targets = backup_targets(backup_trace(srv, dest, trace))
        faults = [(sc, "EIO" if sc in ("fsync", "fdatasync", "rename") else "ENOSPC", p, w)
                  for sc, p, w in targets]
        faults += [("pwrite64", "EIO", "/backups/snapshots/.partial-*.db", "first"),
                   ("pwrite64", "ENOSPC", "/data/bomvault.db-wal", "store"),
                   ("pwrite64", "EIO", "/data/bomvault.db-wal", "store")]
        assert {f[0] for f in faults} >= {"pwrite64", "fsync", "write", "rename"}, faults
        for syscall, errno, ph, which in faults:
            paths = ()
            if which == "store":
                # The store's own writes, by path: the first write to its WAL during the backup.
                paths, n = (os.path.join(st.data, "bomvault.db-wal"),), 1
            else:
                n = resolve(backup_trace(srv, dest, trace), syscall, ph, which)
                assert n, (syscall, ph, which)
            before = good_snapshots(dest)
            with Inject(srv.proc.pid, f"{syscall}:error={errno}:when={n}", trace, paths=paths,
                        syscalls=BACKUP_SYSCALLS) as t:
                r = backup_cli(srv, dest)
            hit = injected_paths(trace)
            sealed = reopen(b, st)
            after = good_snapshots(dest)
            tried.append((syscall, errno, n, phase(hit[0]) if hit else "-", r.returncode,
                          r.stderr.strip()[:60]))
            store_fault = any(p.startswith(st.data + "/") and "/logs/" not in p for p in hit)
            # Never a crash or a 500: a verified backup or one clear line.
            assert r.returncode in (0, 1), (syscall, n, r.returncode, r.stderr)
            assert "internal" not in r.stderr, (syscall, n, r.stderr, srv.log()[-2000:])
            # The vault seals on a fault of its own store only, never on the backup disk's.
            assert sealed == store_fault, (syscall, n, hit, sealed)
            # Nothing half-written: no partial copy or temporary key file is left, and the key file
            # is always whole.
            assert not [x for x in snapshot_files(dest) if x.startswith(".partial-")], snapshot_files(dest)
            assert not os.path.exists(os.path.join(dest, "keys.json.tmp"))
            with open(os.path.join(dest, "keys.json"), "rb") as f:
                assert json.loads(f.read())["format"] == 1
            if r.returncode == 0:
                assert "backup written and verified" in r.stdout, r.stdout
                assert len(after) == len(before) + 1, (before, after)
            else:
                assert t.injected() > 0, (syscall, n)
                assert r.stderr.startswith("bomvault backup: ") and r.stderr.count("\n") == 1, r.stderr
                if store_fault:
                    # The snapshot was complete and in place before the store's own write failed.
                    assert "storage_fault" in srv.log() or "sealed" in r.stderr, r.stderr
                else:
                    assert "backup directory" in r.stderr, r.stderr
                    assert after == before, (syscall, n, hit, before, after)
            # The newest snapshot in the directory, whichever it is, restores and checks clean.
            restores_and_checks(st, dest, 4)
            # The fault is gone: the next backup works.
            r = backup_cli(srv, dest)
            assert r.returncode == 0, (syscall, n, r.stderr)
        assert restores_and_checks(st, dest, 4) == good_snapshots(dest)[-1]
    finally:
        srv.stop()
        for row in tried:
            print("  fault point: backup %s=%s when=%d at %s -> exit %d %s" % row)
    try:
        check_store(st)
    finally:
        st.cleanup()


def test_faults_scheduled_backup_fails_cleanly_and_the_vault_stays_open():
    """The scheduled backup (`serve --backup-dir`), which runs on the scheduler's thread right
    after an unseal once the newest snapshot is older than the interval: a server is started sealed
    a day after the last backup, and the key file's write, fsync or rename fails (strace -P on its
    temporary file, so the unseal's own writes are never hit). The failure is audited
    (backup.failure, trigger schedule) and counted in the metrics, the vault stays open, no partial
    file is left, the previous snapshot restores and checks clean, and a backup works once the
    fault is gone."""
    st = Store()
    dest = os.path.join(st.tmp, "backups")
    tried = []
    try:
        srv = Server(st, env=day(0))
        try:
            org = Org(srv)
            for i in range(3):
                make_bom(srv.base, org.editor, f"Scheduled {i}")
            r = backup_cli(srv, dest)
            assert r.returncode == 0, r.stderr
        finally:
            srv.stop()
        pristine = os.path.join(st.tmp, "pristine")
        shutil.copytree(st.data, os.path.join(pristine, "data"))
        shutil.copytree(dest, os.path.join(pristine, "backups"))
        previous = good_snapshots(dest)
        tmp_key_file = os.path.join(dest, "keys.json.tmp")
        for syscall, errno in (("write", "ENOSPC"), ("fsync", "EIO"), ("rename", "EIO")):
            for d, name in ((st.data, "data"), (dest, "backups")):
                shutil.rmtree(d)
                shutil.copytree(os.path.join(pristine, name), d)
            srv = Server(st, sealed=True, env=day(1),
                         extra=["--backup-dir", dest, "--backup-interval", "3600"])
            try:
                trace = os.path.join(st.tmp, "trace.txt")
                with Inject(srv.proc.pid, f"{syscall}:error={errno}:when=1", trace,
                            paths=(tmp_key_file,), syscalls=BACKUP_SYSCALLS) as t:
                    for s, r in unseal(srv.base, st):
                        assert s == 200, r
                    deadline = time.time() + 60
                    while time.time() < deadline and \
                            not re.search(r'"event":"backup\.(failed|written)"', srv.log()):
                        time.sleep(0.05)
                tried.append(("schedule", syscall, errno, 1, t.injected(),
                              "failed" if '"backup.failed"' in srv.log() else "written"))
                assert t.injected() == 1, (syscall, srv.log()[-2000:])
                assert '"event":"backup.failed"' in srv.log(), srv.log()[-2000:]
                s, h, _ = call(srv.base, "GET", "/api/v1/health")
                assert s == 200 and h["sealed"] is False, h
                s, a, _ = call(srv.base, "GET", "/api/v1/instance/audit?action=backup.failure",
                               token=st.operator)
                assert s == 200 and a["entries"], a
                assert a["entries"][0]["change"] == {"reason": "backup_failed", "trigger": "schedule"}, a
                s, text, _ = call(srv.base, "GET", "/api/v1/metrics", token=st.operator, raw=True)
                assert s == 200
                assert re.search(rb"^bomvault_backup_failures_total 1$", text, re.M), text
                assert good_snapshots(dest) == previous
                assert not [x for x in snapshot_files(dest) if x.startswith(".partial-")]
                assert not os.path.exists(tmp_key_file)
                restores_and_checks(st, dest, 3)
                r = backup_cli(srv, dest)
                assert r.returncode == 0, r.stderr
                assert len(good_snapshots(dest)) == len(previous) + 1
            finally:
                srv.stop()
            check_store(st)
    finally:
        for row in tried:
            print("  fault point: %s %s=%s when=%d injected=%d -> %s" % row)
        st.cleanup()
