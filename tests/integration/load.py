"""Sustained mixed load on the real server over loopback, for a bounded time: readers (BOM list,
items, flattened view), an importer (500-line CSV imports, each deleted again so the store stays
the same size), a sign-in loop (Argon2id sign-in, then sign-out) and a sharer (share, revoke).
Used by tests/integration/test_load.py (20 s in `make test`) and bench/load.sh (longer, figures).

Every answer must be the expected success. The one allowed refusal is 429 from the per-address
rate limit (all clients share 127.0.0.1, so the limit applies by design), and only in its
documented form: JSON error "rate_limited" with Retry-After. The server's resident memory is
sampled before (after a warm-up pass), during and after the load.
"""
import threading
import time

from harness import PASSWORD, call, make_bom


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.count = {}      # kind -> answered requests
        self.latency = {}    # kind -> [seconds]
        self.limited = 0     # 429 answers (documented form)
        self.errors = []     # anything else unexpected

    def record(self, kind, seconds):
        with self.lock:
            self.count[kind] = self.count.get(kind, 0) + 1
            self.latency.setdefault(kind, []).append(seconds)


def timed(stats, kind, expect, method, base, path, **kw):
    """One request; True when it got the expected status."""
    started = time.perf_counter()
    try:
        s, r, h = call(base, method, path, timeout=60, **kw)
    except OSError as e:
        with stats.lock:
            stats.errors.append((kind, "connection", repr(e)))
        return None
    took = time.perf_counter() - started
    if s == 429:
        ok = isinstance(r, dict) and r.get("error", {}).get("code") == "rate_limited" and \
            h.get("Retry-After") is not None
        with stats.lock:
            if ok:
                stats.limited += 1
            else:
                stats.errors.append((kind, s, r))
        time.sleep(0.05)
        return None
    if s != expect:
        with stats.lock:
            stats.errors.append((kind, s, r))
        return None
    stats.record(kind, took)
    return r if r is not None else True


def csv_body(rows=500):
    return b"level,part_number,description,quantity,unit\n1,LOAD-TOP,Assembly,1,ea\n" + b"".join(
        b"2,LOAD-%05d,Load part %d,%d,ea\n" % (i, i, i % 9 + 1) for i in range(rows))


def run_load(srv, org, seconds, report=print):
    """Returns a dict of figures; raises AssertionError on any unexpected answer."""
    b = srv.base
    org.ensure_all()  # every member before the warm-up and the baseline
    boms = [make_bom(b, org.editor, f"Read {i}") for i in range(5)]
    s, big, _ = call(b, "POST", "/api/v1/boms/import?name=Big", csv_body(2000), token=org.editor,
                     ctype="text/csv")
    assert s == 201, big
    boms.append(big["id"])
    for bom in boms:
        assert call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": org.viewer_id, "access": "view"},
                    token=org.editor)[0] == 201
    stats = Stats()
    stop = threading.Event()

    def reader(n):
        i = n
        while not stop.is_set():
            i += 1
            bom = boms[i % len(boms)]
            token = org.viewer if i % 2 else org.editor
            if i % 3 == 0:
                timed(stats, "list", 200, "GET", b, "/api/v1/boms", token=token)
            elif i % 3 == 1:
                timed(stats, "items", 200, "GET", b, f"/api/v1/boms/{bom}/items", token=token)
            else:
                timed(stats, "flat", 200, "GET", b, f"/api/v1/boms/{bom}/flat", token=token)

    def importer():
        body = csv_body()
        while not stop.is_set():
            r = timed(stats, "import", 201, "POST", b, "/api/v1/boms/import?name=Load", body=body,
                      token=org.editor2, ctype="text/csv")
            if isinstance(r, dict):
                timed(stats, "delete", 204, "DELETE", b, f"/api/v1/boms/{r['id']}", token=org.editor2)

    def signer():
        while not stop.is_set():
            r = timed(stats, "sign-in", 201, "POST", b, "/api/v1/sessions",
                      body={"email": "viewer@acme.example", "password": PASSWORD})
            if isinstance(r, dict):
                timed(stats, "sign-out", 204, "DELETE", b, "/api/v1/sessions/current", token=r["token"])

    def sharer():
        i = 0
        while not stop.is_set():
            i += 1
            bom = boms[i % len(boms)]
            if timed(stats, "share", 201, "POST", b, f"/api/v1/boms/{bom}/shares",
                     body={"user_id": org.editor2_id, "access": "view"}, token=org.editor):
                timed(stats, "revoke", 204, "DELETE", b, f"/api/v1/boms/{bom}/shares/{org.editor2_id}",
                      token=org.editor)

    # Warm-up: one pass of every kind, so the baseline includes caches and pools.
    stop.set()
    for fn in (lambda: reader(0), importer, signer, sharer):
        stop.clear()
        t = threading.Thread(target=fn)
        t.start()
        time.sleep(0.3)
        stop.set()
        t.join(60)
    time.sleep(1)
    baseline = srv.rss_kb()
    stop.clear()
    threads = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=f) for f in (importer, signer, sharer)]
    started = time.time()
    for t in threads:
        t.start()
    peak = baseline
    while time.time() - started < seconds:
        time.sleep(0.5)
        peak = max(peak, srv.rss_kb())
    stop.set()
    for t in threads:
        t.join(60)
    elapsed = time.time() - started
    time.sleep(2)
    after = srv.rss_kb()
    total = sum(stats.count.values())
    figures = {"seconds": round(elapsed, 1), "requests": total, "per_second": round(total / elapsed, 1),
               "by_kind": dict(sorted(stats.count.items())), "rate_limited": stats.limited,
               "errors": len(stats.errors), "rss_baseline_mb": round(baseline / 1024, 1),
               "rss_peak_mb": round(peak / 1024, 1), "rss_after_mb": round(after / 1024, 1)}
    for kind, values in sorted(stats.latency.items()):
        values.sort()
        figures[f"p50_ms_{kind}"] = round(values[len(values) // 2] * 1000, 1)
        figures[f"p99_ms_{kind}"] = round(values[min(len(values) - 1, int(len(values) * 0.99))] * 1000, 1)
    report("  load: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    assert not stats.errors, stats.errors[:10]
    return figures
