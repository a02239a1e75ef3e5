"""Crash rounds: `kill -9` of the real server at a random moment while several clients write, then
the store must open, pass `bomvault check`, hold every acknowledged write in full, and hold no
half-written BOM. Used by tests/integration/test_crash.py (a few rounds in `make test`) and by
bench/crash.sh (many rounds).

Writers create BOMs (JSON bodies and CSV imports of varied sizes, each BOM's item count known),
replace BOMs' items (PATCH), share and delete them. A write counts as acknowledged once its 2xx
answer has arrived; a write whose answer had not arrived when the process died may or may not be
there, but if it is, it is there in full (same item count as one of the bodies sent for it).
SIGKILL loses the process, not the kernel's page cache, so every acknowledged transaction is in
the WAL; power loss is a different failure (see docs/security.md).
"""
import random
import subprocess
import threading
import time

from harness import BIN, Org, Server, call


class Ledger:
    """What the clients were told, shared by the writer threads. Each writer changes only the BOMs
    it created, so the writes to one BOM are sequential and "acknowledged" is exact."""

    def __init__(self):
        self.lock = threading.Lock()
        self.owner = {}            # bom id -> writer number
        self.acked = {}            # bom id -> item count acknowledged last
        self.pending = {}          # bom id -> item count of a PATCH whose answer never came
        self.in_flight_names = {}  # name -> item count of a create whose answer never came
        self.deleted = set()       # acknowledged deletions
        self.deleting = set()      # deletions whose answer never came
        self.shared = {}           # bom id -> user id, acknowledged
        self.touched = set()       # BOMs written since the last verify
        self.writes = 0
        self.errors = []           # unexpected answers seen by the writers


def items_json(n, tag):
    items = [{"ref": "1", "part_number": f"TOP-{tag}", "description": "Assembly", "quantity": 1}]
    items += [{"ref": str(i), "parent": "1", "part_number": f"P-{tag}-{i}",
               "description": f"Part {i} of {tag}", "quantity": i % 5 + 1, "unit": "ea"}
              for i in range(2, n + 1)]
    return items


def csv_body(n, tag):
    rows = [f"1,TOP-{tag},Assembly,1"] + [f"2,P-{tag}-{i},Part {i},{i % 5 + 1}" for i in range(2, n + 1)]
    return ("level,part_number,description,quantity\n" + "\n".join(rows) + "\n").encode()


def writer(base, token, other_user, ledger, stop, me, seed):
    rnd = random.Random(seed)
    n = 0
    while not stop.is_set():
        n += 1
        tag = f"w{seed}-{n}"
        op = rnd.random()
        try:
            with ledger.lock:
                mine = [b for b, w in ledger.owner.items() if w == me and b not in ledger.deleted]
            if op < 0.35 or not mine:
                count = rnd.choice([3, 20, 200, 1500])
                name = f"Crash {tag}"
                with ledger.lock:
                    ledger.in_flight_names[name] = count
                if rnd.random() < 0.5:
                    s, r, _ = call(base, "POST", "/api/v1/boms", {"name": name, "items": items_json(count, tag)},
                                   token=token, timeout=30)
                else:
                    s, r, _ = call(base, "POST", f"/api/v1/boms/import?name={name.replace(' ', '%20')}",
                                   csv_body(count, tag), token=token, ctype="text/csv", timeout=30)
                assert s == 201, (s, r)
                with ledger.lock:
                    del ledger.in_flight_names[name]
                    ledger.owner[r["id"]] = me
                    ledger.touched.add(r["id"])
                    ledger.acked[r["id"]] = count
                    ledger.writes += 1
            elif op < 0.6:
                bom = rnd.choice(mine)
                count = rnd.choice([2, 50, 400])
                with ledger.lock:
                    ledger.pending[bom] = count
                    ledger.touched.add(bom)
                s, r, _ = call(base, "PATCH", f"/api/v1/boms/{bom}", {"items": items_json(count, tag)},
                               token=token, timeout=30)
                assert s == 200, (s, r)
                with ledger.lock:
                    del ledger.pending[bom]
                    ledger.acked[bom] = count
                    ledger.writes += 1
            elif op < 0.75:
                bom = rnd.choice(mine)
                s, r, _ = call(base, "POST", f"/api/v1/boms/{bom}/shares",
                               {"user_id": other_user, "access": "view"}, token=token, timeout=30)
                assert s in (201, 409), (s, r)  # 409: already shared with that user
                with ledger.lock:
                    ledger.shared[bom] = other_user
                    ledger.writes += 1
            else:
                bom = rnd.choice(mine)
                with ledger.lock:
                    ledger.deleting.add(bom)
                s, r, _ = call(base, "DELETE", f"/api/v1/boms/{bom}", token=token, timeout=30)
                assert s == 204, (s, r)
                with ledger.lock:
                    ledger.deleting.discard(bom)
                    ledger.deleted.add(bom)
                    ledger.writes += 1
        except OSError:
            return  # the server died under us: that is the point
        except AssertionError as e:
            with ledger.lock:
                ledger.errors.append(repr(e))
            return


def verify(base, token, ledger):
    """Every acknowledged write is there, in full; nothing is half-written. Then the ledger is
    settled to what the store holds, for the next round."""
    listed, counts = {}, {}
    while True:
        s, r, _ = call(base, "GET", f"/api/v1/boms?limit=1000&offset={len(listed)}", token=token)
        assert s == 200, r
        for b in r["boms"]:
            listed[b["id"]] = b["name"]
            counts[b["id"]] = b["items"]
        if len(r["boms"]) < 1000:
            break
    with ledger.lock:
        touched = set(ledger.touched)
        for bom in ledger.acked:
            if bom in ledger.deleted:
                assert bom not in listed, f"acknowledged deletion of {bom} lost"
            elif bom not in ledger.deleting:
                assert bom in listed, f"acknowledged BOM {bom} lost"
        for bom, name in listed.items():
            count = counts[bom]
            if bom in touched or bom not in ledger.acked:
                # Written this round: the items themselves must decode and match the count.
                s, items, _ = call(base, "GET", f"/api/v1/boms/{bom}/items", token=token)
                assert s == 200 and len(items["items"]) == count, (bom, s, count)
            if bom in ledger.acked:
                allowed = {ledger.acked[bom]} | ({ledger.pending[bom]} if bom in ledger.pending else set())
                assert count in allowed, (bom, count, allowed)
            else:
                # Created, but the answer never arrived: all of one body or nothing.
                assert name in ledger.in_flight_names, (bom, name)
                assert count == ledger.in_flight_names[name], (bom, name, count)
                ledger.owner[bom] = -1  # nobody's: not written again
            ledger.acked[bom] = count
            if bom in ledger.shared:
                s, shares, _ = call(base, "GET", f"/api/v1/boms/{bom}/shares", token=token)
                assert s == 200 and any(x["user_id"] == ledger.shared[bom] for x in shares["shares"]), \
                    (bom, shares)
        for bom in list(ledger.acked):
            if bom not in listed:
                for d in (ledger.acked, ledger.owner, ledger.shared):
                    d.pop(bom, None)
        ledger.pending.clear()
        ledger.touched.clear()
        ledger.deleting.clear()
        ledger.deleted.clear()
        ledger.in_flight_names.clear()


def run_rounds(store, rounds, writers=4, seed=1, report=print):
    """Returns (rounds, acknowledged writes, BOMs present at the end)."""
    rnd = random.Random(seed)
    ledger = Ledger()
    srv = Server(store)
    org = Org(srv)
    token, other = org.editor, org.viewer_id
    srv.stop()
    for round_no in range(rounds):
        srv = Server(store)
        try:
            if round_no > 0:
                verify(srv.base, token, ledger)
            stop = threading.Event()
            threads = [threading.Thread(target=writer, args=(srv.base, token, other, ledger, stop, w,
                                                             seed * 1000 + round_no * 10 + w))
                       for w in range(writers)]
            for t in threads:
                t.start()
            time.sleep(rnd.uniform(0.2, 1.2))
            srv.proc.kill()  # SIGKILL: no handler, no flush, no checkpoint
            srv.proc.wait()
            stop.set()
            for t in threads:
                t.join(60)
            assert not ledger.errors, ledger.errors
        finally:
            srv.stop()
        r = subprocess.run([BIN, "check", "--data", store.data, "--unseal-file", store.share_file],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "check: ok" in r.stdout, (round_no, r.stdout, r.stderr)
    srv = Server(store)
    try:
        verify(srv.base, token, ledger)
    finally:
        srv.stop()
    report(f"  crash rounds: {rounds}, acknowledged writes: {ledger.writes}, BOMs present: "
           f"{len(ledger.acked)}")
    return rounds, ledger.writes, len(ledger.acked)
