"""Data lifecycle on the real binary: stale-data purge, log retention, the long-term audit chain
and `bomvault audit verify`, the exfiltration watch, the instance audit and the metrics.

The server's clock is moved with libfaketime (Debian package `faketime`): each run starts at a
fixed day after 2026-01-01 on the same data directory, so "day 6" is a restart six days later.
The scheduler's first jobs run right after the unseal, so each phase waits for the job's log
line before anyone signs in (a sign-in counts as activity and would change what the purge sees).
"""
import datetime
import glob
import json
import os
import re
import subprocess
import time

from harness import BIN, Org, Server, Store, attach, call, make_bom, pdf_bytes, png_bytes, sign_in

# Debian's `faketime` package, whatever the architecture directory.
FAKETIME_LIB = (glob.glob("/usr/lib/*/faketime/libfaketime.so.1") or
                ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"])[0]
DAY0 = datetime.date(2026, 1, 1)


def day(n):
    """Environment for a server whose clock starts at midnight UTC of day n."""
    return {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": f"@{DAY0 + datetime.timedelta(days=n)} 00:00:00",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1", "TZ": "UTC"}


def log_path(store, n):
    return os.path.join(store.data, "logs", f"bomvault-{DAY0 + datetime.timedelta(days=n)}.jsonl")


def events(srv, name):
    """The parsed log lines of one event, from the server's stderr."""
    out = []
    for line in srv.log().splitlines():
        if f'"event":"{name}"' in line:
            out.append(json.loads(line))
    return out


def wait_for(srv, name, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = events(srv, name)
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"no {name} line in the log: {srv.log()[-800:]}")


def visible_boms(b, token):
    """Ids the caller can list (listing does not count as interacting with a BOM)."""
    s, r, _ = call(b, "GET", "/api/v1/boms", token=token)
    assert s == 200, r
    return {x["id"] for x in r["boms"]}


def purge_tombstone(b, admin, bom):
    s, r, _ = call(b, "GET", f"/api/v1/audit?object=bom:{bom}", token=admin)
    assert s == 200, r
    assert [e["action"] for e in r["entries"]] == ["bom.purge"], r["entries"]
    e = r["entries"][0]
    assert e["actor_id"] == "system"
    return e["change"]


def purge_notices(store):
    """{recipient: message text} of the purge notices in DATA/outbox (no relay configured)."""
    out = {}
    for path in sorted(glob.glob(os.path.join(store.data, "outbox", "*.eml"))):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if "of your BOMs were removed" not in text:
            continue  # invitations and the like
        m = re.search(r"^To: <([^>]+)>\r?$", text, re.M)
        assert m, text
        assert m.group(1) not in out, "one notice per owner per run"
        out[m.group(1)] = text
    return out


def test_lifecycle_purge_follows_interaction_and_owner_activity(serve, store):
    st = store
    # Day 0: an organisation; the Editor owns two BOMs, the second Editor owns one.
    srv = serve(store=st, env=day(0))
    try:
        assert wait_for(srv, "job.purge")["boms_deleted"] == 0
        org = Org(srv).ensure_all()  # day 12 checks that every one of them is kept
        untouched = make_bom(srv.base, org.editor, "Untouched")
        touched = make_bom(srv.base, org.editor, "Touched on day 4")
        quiet_owner = make_bom(srv.base, org.editor2, "Owner goes quiet")
        # Files go with their BOM: one on a BOM that will be purged, one on a BOM that stays.
        assert attach(srv.base, org.editor, untouched, pdf_bytes())[0] == 201
        assert attach(srv.base, org.editor, touched, png_bytes(), name="t.png", kind="thumbnail")[0] == 201
    finally:
        srv.stop()
    assert os.path.exists(log_path(st, 0))

    # Day 4: nothing is five days old yet. The Editor opens one BOM; the Administrator opens
    # the quiet owner's BOM, whose owner stays away.
    srv = serve(store=st, env=day(4))
    try:
        assert wait_for(srv, "job.purge")["boms_deleted"] == 0
        b = srv.base
        editor = sign_in(b, "editor@acme.example")
        assert call(b, "GET", f"/api/v1/boms/{touched}", token=editor)[0] == 200
        admin = sign_in(b, "admin@acme.example")
        assert call(b, "GET", f"/api/v1/boms/{quiet_owner}/items", token=admin)[0] == 200
        assert visible_boms(b, admin) == {untouched, touched, quiet_owner}
    finally:
        srv.stop()

    # Day 6: untouched since day 0 -> gone (interaction rule, owner active on day 4).
    # The quiet owner's BOM was opened on day 4 but its owner has been away six days -> gone.
    srv = serve(store=st, env=day(6))
    try:
        job = wait_for(srv, "job.purge")
        assert job["boms_deleted"] == 2 and job["items_deleted"] == 6, job
        b = srv.base
        admin = sign_in(b, "admin@acme.example")
        assert visible_boms(b, admin) == {touched}
        assert call(b, "GET", f"/api/v1/boms/{untouched}", token=admin)[0] == 404
        assert purge_tombstone(b, admin, untouched) == {
            "items": 3, "policy_days": 5, "reason": "not_interacted"}
        assert purge_tombstone(b, admin, quiet_owner)["reason"] == "owner_inactive"
        purged = {e["bom_id"] for e in events(srv, "bom.purged")}
        assert purged == {untouched, quiet_owner}
        # purge_notice is on by default: one mail per affected owner, names only in the mail.
        assert len(events(srv, "purge.notice_sent")) == 2
        assert job["notices"] == 2 and job["notices_failed"] == 0, job
        notices = purge_notices(st)
        assert set(notices) == {"editor@acme.example", "editor2@acme.example"}, notices.keys()
        mine = notices["editor@acme.example"]
        assert "Subject: bomvault: 1 of your BOMs were removed" in mine
        assert "  - Untouched" in mine and "for 5 days" in mine
        assert "Owner goes quiet" not in mine and "Touched on day 4" not in mine
        assert "  - Owner goes quiet" in notices["editor2@acme.example"]
        for name in ("Untouched", "Owner goes quiet"):
            assert name not in srv.log()
    finally:
        srv.stop()
    r = subprocess.run([BIN, "check", "--data", st.data, "--unseal-file", st.share_file],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "attachments: 1" in r.stdout, r.stdout + r.stderr

    # Day 8: the owner signs in (stays active) but does not open the BOM; a new BOM is made.
    # Log files from days that ended more than seven days ago are deleted.
    srv = serve(store=st, env=day(8))
    try:
        assert wait_for(srv, "job.purge")["boms_deleted"] == 0
        retention = wait_for(srv, "job.retention")
        assert retention["log_retention_days"] == 7
        b = srv.base
        editor = sign_in(b, "editor@acme.example")
        fresh = make_bom(b, editor, "Made on day 8")
        assert visible_boms(b, editor) == {touched, fresh}
    finally:
        srv.stop()
    assert not os.path.exists(log_path(st, 0))
    for n in (4, 6, 8):
        assert os.path.exists(log_path(st, n)), n

    # Day 12: last opened on day 4 -> gone, although its owner was active on day 8.
    srv = serve(store=st, env=day(12))
    try:
        assert wait_for(srv, "job.purge")["boms_deleted"] == 1
        b = srv.base
        admin = sign_in(b, "admin@acme.example")
        assert visible_boms(b, admin) == {fresh}
        assert purge_tombstone(b, admin, touched)["reason"] == "not_interacted"
        # Organisation structure is always kept.
        s, r, _ = call(b, "GET", "/api/v1/orgs", token=st.operator)
        assert s == 200 and [o["id"] for o in r["orgs"]] == [org.id]
        s, r, _ = call(b, "GET", "/api/v1/users", token=admin)
        assert s == 200
        assert {u["id"] for u in r["users"]} == {org.admin_id, org.editor_id, org.editor2_id,
                                                   org.viewer_id}
        # The quiet owner can still sign in.
        sign_in(b, "editor2@acme.example")
    finally:
        srv.stop()


def add_revision(b, token, bom, part, source):
    """A newer export of the design as the BOM's next revision; returns its number."""
    body = f"Part Number,Description,Qty\n{part},Rev of {source},1\nSCR-M3,Screw,4\n".encode()
    s, r, _ = call(b, "POST", f"/api/v1/boms/{bom}/revisions?source={source}", body, token=token,
                   ctype="text/csv")
    assert s == 201, r
    return r["revision"]


def check_counts(store):
    """`bomvault check` on the stopped store: its exit status 0 and its counts."""
    r = subprocess.run([BIN, "check", "--data", store.data, "--unseal-file", store.share_file],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    counts = {}
    for line in r.stdout.splitlines():
        m = re.match(r"^\s*([a-z ]+): (\d+)$", line)
        if m:
            counts[m.group(1)] = int(m.group(2))
    return counts


def test_lifecycle_revisions_go_with_their_bom_on_delete_and_on_the_purge():
    """A BOM and its revisions are one object: deleting the BOM, or the 5-day purge taking it,
    leaves no revision row or chunk behind (bomvault check counts them and opens each), and a new
    revision counts as use of the BOM, so the purge measures from the newest revision."""
    st = Store()
    try:
        # Day 0: three BOMs with earlier revisions.
        srv = Server(st, env=day(0))
        try:
            assert wait_for(srv, "job.purge")["boms_deleted"] == 0
            org = Org(srv)
            b = srv.base
            stale = make_bom(b, org.editor, "Stale, three revisions")
            assert add_revision(b, org.editor, stale, "GBX-100-B", "rev-b.csv") == 2
            assert add_revision(b, org.editor, stale, "GBX-100-C", "rev-c.csv") == 3
            deleted = make_bom(b, org.editor, "Deleted by its owner")
            assert add_revision(b, org.editor, deleted, "DEL-2", "del-2.csv") == 2
            revised = make_bom(b, org.editor, "Revised on day 3")
            assert add_revision(b, org.editor, revised, "REV-2", "rev-2.csv") == 2
            s, r, _ = call(b, "GET", f"/api/v1/boms/{stale}/revisions", token=org.editor)
            assert s == 200 and [x["revision"] for x in r["revisions"]] == [3, 2, 1], r
        finally:
            srv.stop()
        counts = check_counts(st)
        assert counts["boms"] == 3 and counts["earlier revisions"] == 4, counts

        # Day 1: the owner deletes one BOM; its revision goes with it.
        srv = Server(st, env=day(1))
        try:
            assert wait_for(srv, "job.purge")["boms_deleted"] == 0
            b = srv.base
            editor = sign_in(b, "editor@acme.example")
            assert call(b, "DELETE", f"/api/v1/boms/{deleted}", token=editor)[0] == 204
            s, r, _ = call(b, "GET", f"/api/v1/boms/{deleted}/revisions", token=editor)
            assert s == 404, r
        finally:
            srv.stop()
        counts = check_counts(st)
        assert counts["boms"] == 2 and counts["earlier revisions"] == 3, counts

        # Day 3: a newer export of one design arrives as revision 3; nobody opens the other.
        srv = Server(st, env=day(3))
        try:
            assert wait_for(srv, "job.purge")["boms_deleted"] == 0
            b = srv.base
            editor = sign_in(b, "editor@acme.example")
            assert add_revision(b, editor, revised, "REV-3", "rev-3.csv") == 3
        finally:
            srv.stop()

        # Day 6: the BOM untouched since day 0 goes with both its earlier revisions; the one
        # revised on day 3 stays, every revision readable.
        srv = Server(st, env=day(6))
        try:
            job = wait_for(srv, "job.purge")
            assert job["boms_deleted"] == 1, job
            b = srv.base
            admin = sign_in(b, "admin@acme.example")
            assert visible_boms(b, admin) == {revised}
            assert purge_tombstone(b, admin, stale)["reason"] == "not_interacted"
            assert call(b, "GET", f"/api/v1/boms/{stale}/revisions", token=admin)[0] == 404
            for n in (1, 2):
                s, r, _ = call(b, "GET", f"/api/v1/boms/{revised}/items?revision={n}", token=admin)
                assert s == 200 and r["items"], (n, r)
        finally:
            srv.stop()
        counts = check_counts(st)
        assert counts["boms"] == 1 and counts["earlier revisions"] == 2, counts

        # Day 9: six days after its last revision, the other BOM goes too, revisions and all.
        srv = Server(st, env=day(9))
        try:
            assert wait_for(srv, "job.purge")["boms_deleted"] == 1
        finally:
            srv.stop()
        counts = check_counts(st)
        assert counts["boms"] == 0 and counts["items"] == 0 and counts["earlier revisions"] == 0, counts
    finally:
        st.cleanup()


def test_lifecycle_purge_days_is_per_organisation(serve, store):
    st = store
    srv = serve(store=st, env=day(0))
    try:
        org = Org(srv)
        s, r, _ = call(srv.base, "PATCH", "/api/v1/org/settings", {"purge_days": 30}, token=org.admin)
        assert s == 200, r
        keep = make_bom(srv.base, org.editor, "Kept by a 30-day policy")
        other = Org(srv, "Short Policy", "short.example")
        s, r, _ = call(srv.base, "PATCH", "/api/v1/org/settings", {"purge_notice": False},
                       token=other.admin)
        assert s == 200, r
        gone = make_bom(srv.base, other.editor, "Default five days")
    finally:
        srv.stop()
    srv = serve(store=st, env=day(10))
    try:
        assert wait_for(srv, "job.purge")["boms_deleted"] == 1
        assert [e["bom_id"] for e in events(srv, "bom.purged")] == [gone]
        # That organisation turned purge_notice off: nobody is mailed.
        assert purge_notices(st) == {} and events(srv, "purge.notice_sent") == []
        assert visible_boms(srv.base, sign_in(srv.base, "admin@acme.example")) == {keep}
    finally:
        srv.stop()


def verify(store, *extra):
    r = subprocess.run([BIN, "audit", "verify", "--data", store.data, "--unseal-file",
                        store.share_file, *extra], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def head_of(output):
    m = re.search(r"head: seq (\d+) hash ([0-9a-f]{64})", output)
    assert m, output
    return f"{m.group(1)}:{m.group(2)}"


def test_lifecycle_audit_chain_verifies_and_survives_retention(serve, store):
    st = store
    srv = serve(store=st, env=day(0), extra=["--audit-retention-days", "1"])
    try:
        org = Org(srv)
        bom = make_bom(srv.base, org.editor)
        assert call(srv.base, "PATCH", f"/api/v1/boms/{bom}", {"name": "Renamed"}, token=org.editor)[0] == 200
    finally:
        srv.stop()
    rc, out = verify(st)
    assert rc == 0 and "audit verify: ok" in out, out
    assert "oldest: seq 1" in out and "trimmed through: seq 0" in out, out
    first_head = head_of(out)
    # A head recorded earlier must still be there with the same hash.
    rc, out = verify(st, "--head", first_head)
    assert rc == 0, out
    seq = first_head.split(":")[0]
    rc, out = verify(st, "--head", f"{seq}:{'0' * 64}")
    assert rc == 1 and "audit verify: FAILED" in out and "differs from the one recorded" in out, out
    rc, out = verify(st, "--head", f"{int(seq) + 5}:{'0' * 64}")
    assert rc == 1 and "the chain ends before the recorded seq" in out, out
    rc, out = verify(st, "--head", "nonsense")
    assert rc == 2, out

    # Day 3 with one day of retention: everything from day 0 goes, a checkpoint remains.
    srv = serve(store=st, env=day(3), extra=["--audit-retention-days", "1"])
    try:
        job = wait_for(srv, "job.retention")
        assert job["audit_chain_deleted"] == int(seq), job
        make_bom(srv.base, sign_in(srv.base, "editor@acme.example"), "After retention")
    finally:
        srv.stop()
    rc, out = verify(st)
    assert rc == 0 and "audit verify: ok" in out, out
    assert "checkpoints: 1" in out and f"trimmed through: seq {seq}\n" in out, out
    assert f"oldest: seq {int(seq) + 1}\n" in out, out
    # The earlier head was trimmed by retention (and a checkpoint covers it): not a fault.
    rc, out = verify(st, "--head", first_head)
    assert rc == 0, out


def test_lifecycle_audit_chain_is_off_by_default(serve, store):
    st = store
    srv = serve(store=st)
    try:
        org = Org(srv)
        make_bom(srv.base, org.editor)
    finally:
        srv.stop()
    rc, out = verify(st)
    assert rc == 0 and "entries: 0" in out, out


def test_lifecycle_exfiltration_revoke_ends_the_readers_sessions(serve):
    srv = serve(extra=["--exfil-max-boms", "2", "--exfil-action", "revoke"])
    b = srv.base
    org = Org(srv).ensure("editor", "viewer")  # the Viewer's session must outlive the revocation
    ids = [make_bom(b, org.editor, f"B{i}") for i in range(3)]
    s, r, _ = call(b, "POST", "/api/v1/me/tokens", {"name": "script", "scope": "read", "days": 1},
                   token=org.editor)
    assert s == 201
    api_token = r["token"]
    # Reading the same BOM again does not count twice.
    for bom in [ids[0], ids[0], ids[1]]:
        assert call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor)[0] == 200
    assert call(b, "GET", "/api/v1/me", token=org.editor)[0] == 200
    assert call(b, "GET", f"/api/v1/boms/{ids[2]}/items", token=org.editor)[0] == 200
    deadline = time.time() + 10
    while call(b, "GET", "/api/v1/me", token=org.editor)[0] != 401:
        assert time.time() < deadline, "the reader's session was not revoked"
        time.sleep(0.05)
    assert call(b, "GET", "/api/v1/me", token=api_token)[0] == 401
    assert call(b, "GET", "/api/v1/me", token=org.viewer)[0] == 200
    s, r, _ = call(b, "GET", "/api/v1/audit?action=exfiltration.alert", token=org.admin)
    assert s == 200 and len(r["entries"]) == 1, r
    e = r["entries"][0]
    assert e["object"] == f"user:{org.editor_id}" and e["actor_id"] == "system"
    assert e["change"]["threshold"] == "boms" and e["change"]["count"] == 3
    assert e["change"]["limit"] == 2 and e["change"]["action"] == "revoke"
    assert e["change"]["sessions_ended"] == 2
    line = wait_for(srv, "exfiltration.alert")
    assert line["user_id"] == org.editor_id and line["threshold"] == "boms"
    # The user may sign in again; the window still remembers, but alerts once per window.
    again = sign_in(b, "editor@acme.example")
    assert call(b, "GET", f"/api/v1/boms/{ids[1]}", token=again)[0] == 200
    time.sleep(1.5)
    assert call(b, "GET", "/api/v1/me", token=again)[0] == 200


def test_lifecycle_exfiltration_items_threshold_logs_only_by_default(serve):
    srv = serve(extra=["--exfil-max-items", "5"])
    b = srv.base
    org = Org(srv)
    bom = make_bom(b, org.editor)  # three items
    assert call(b, "GET", f"/api/v1/boms/{bom}/items", token=org.editor)[0] == 200
    assert call(b, "GET", f"/api/v1/boms/{bom}/export?format=csv", token=org.editor, raw=True)[0] == 200
    line = wait_for(srv, "exfiltration.alert")
    assert line["threshold"] == "items" and line["count"] == 6 and line["limit"] == 5
    deadline = time.time() + 10
    while True:
        s, r, _ = call(b, "GET", "/api/v1/audit?action=exfiltration.alert", token=org.admin)
        if r["entries"]:
            break
        assert time.time() < deadline
        time.sleep(0.05)
    assert r["entries"][0]["change"]["action"] == "log"
    assert r["entries"][0]["change"]["sessions_ended"] == 0
    assert call(b, "GET", "/api/v1/me", token=org.editor)[0] == 200


def test_lifecycle_exfiltration_seal_seals_the_vault(serve, store):
    st = store
    srv = serve(store=st, extra=["--exfil-max-boms", "1", "--exfil-action", "seal"])
    b = srv.base
    org = Org(srv)
    ids = [make_bom(b, org.editor, f"S{i}") for i in range(2)]
    for bom in ids:
        call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor)
    deadline = time.time() + 10
    while not call(b, "GET", "/api/v1/health")[1]["sealed"]:
        assert time.time() < deadline, "the vault was not sealed"
        time.sleep(0.05)
    for share in st.shares[:st.threshold]:
        assert call(b, "POST", "/api/v1/unseal", {"share": share})[0] == 200
    assert call(b, "GET", "/api/v1/health")[1]["sealed"] is False
    s, r, _ = call(b, "GET", "/api/v1/instance/audit?action=seal", token=st.operator)
    assert s == 200 and r["entries"][0]["change"] == {"reason": "exfiltration"}, r
    admin = sign_in(b, "admin@acme.example")
    s, r, _ = call(b, "GET", "/api/v1/audit?action=exfiltration.alert", token=admin)
    assert s == 200 and r["entries"][0]["change"]["action"] == "seal", r


def test_lifecycle_instance_audit_is_the_operators_view(serve, store):
    st = store
    srv = serve(store=st)
    b = srv.base
    Org(srv)
    doomed = Org(srv, "Doomed", "doomed.example")
    assert call(b, "DELETE", f"/api/v1/orgs/{doomed.id}", token=st.operator)[0] == 204
    assert call(b, "POST", "/api/v1/seal", {}, token=st.operator)[0] == 200
    for share in st.shares[:st.threshold]:
        assert call(b, "POST", "/api/v1/unseal", {"share": share})[0] == 200
    s, r, _ = call(b, "GET", "/api/v1/instance/audit", token=st.operator)
    assert s == 200, r
    actions = [e["action"] for e in r["entries"]]
    for a in ("instance.init", "unseal.share", "unseal.success", "seal", "org.delete"):
        assert a in actions, actions
    assert all(not e["object"].startswith("bom:") for e in r["entries"])
    deleted = [e for e in r["entries"] if e["action"] == "org.delete"][0]
    assert deleted["object"] == f"org:{doomed.id}" and deleted["actor_id"] == "operator"
    # Shares given while sealed are recorded at the unseal, in order, with their index only.
    shares = [e for e in r["entries"] if e["action"] == "unseal.share"]
    assert all(set(e["change"]) == {"share_index"} for e in shares)
    # Filters and the cursor.
    s, r, _ = call(b, "GET", "/api/v1/instance/audit?action=seal&limit=1", token=st.operator)
    assert s == 200 and len(r["entries"]) == 1 and "next_before" in r
    s, r, _ = call(b, "GET", "/api/v1/instance/audit?limit=0", token=st.operator)
    assert s == 400
    admin = sign_in(b, "admin@acme.example")
    assert call(b, "GET", "/api/v1/instance/audit", token=admin)[0] == 403
    assert call(b, "GET", "/api/v1/instance/audit")[0] == 401
    # An org's own entries are not in it, and the org's search does not show instance events.
    s, r, _ = call(b, "GET", "/api/v1/audit?action=seal", token=admin)
    assert s == 200 and r["entries"] == []


def test_lifecycle_metrics_count_without_naming_anyone(serve, store):
    st = store
    srv = serve(store=st)
    b = srv.base
    wait_for(srv, "job.purge")
    org = Org(srv)
    bom = make_bom(b, org.editor)
    assert call(b, "GET", f"/api/v1/boms/{bom}/items", token=org.editor)[0] == 200
    assert call(b, "GET", "/api/v1/boms/bom_000000000000000000000000", token=org.editor)[0] == 404
    s, body, h = call(b, "GET", "/api/v1/metrics", token=st.operator, raw=True)
    assert s == 200
    assert h["Content-Type"].startswith("text/plain; version=0.0.4")
    text = body.decode()
    assert 'bomvault_http_requests_total{route="health",class="2xx"}' in text
    assert 'bomvault_http_requests_total{route="boms.get",class="4xx"} 1' in text
    assert re.search(r"^bomvault_bom_reads_total 1$", text, re.M), text
    assert re.search(r"^bomvault_bom_items_read_total 3$", text, re.M), text
    assert re.search(r"^bomvault_sealed 0$", text, re.M)
    assert re.search(r"^bomvault_uptime_seconds \d+$", text, re.M)
    assert re.search(r"^bomvault_purge_runs_total 1$", text, re.M), text
    assert "bomvault_exfiltration_alerts_total 0" in text
    assert not re.search(r"[a-z]{3}_[0-9a-f]{24}", text), "an id in the metrics"
    assert "acme" not in text.lower()
    # Every sample line is well-formed exposition text.
    for line in text.splitlines():
        assert line.startswith("# ") or re.match(r"^[a-z_]+(\{[^}]*\})? \d+$", line), line
    assert call(b, "GET", "/api/v1/metrics", token=org.admin)[0] == 403
    assert call(b, "GET", "/api/v1/metrics")[0] == 401
