"""Data-key rotation on the real binary: rotate every org's key while serving, kill -9 in the middle
of the background re-seal, restart, unseal, let it finish; then every object opens, `bomvault check`
is clean, and the old keys (taken from a copy of the data directory made before the rotation) open
nothing on disk any more. Backups taken before a rotation still restore, and the rotation is
audited."""
import os
import shutil
import signal
import time

from harness import Org, Server, Store, attach, call, make_bom, pdf_bytes
from test_operations import backup_cli, check, org_state, run
from test_sources import wait_job
from tryton import Tryton

ALICE_PW = "Planted-Alice-Tryton-7Qx"


def rotation(srv):
    s, r, _ = call(srv.base, "GET", "/api/v1/keys/rotation", token=srv.store.operator)
    assert s == 200, r
    return r


def wait_rotation_done(srv, timeout=300):
    deadline = time.time() + timeout
    while True:
        r = rotation(srv)
        if not r["in_progress"]:
            return r
        assert time.time() < deadline, r
        time.sleep(0.1)


def big_items(n, tag):
    items = [{"ref": "1", "part_number": f"{tag}-TOP", "description": "top", "quantity": 1}]
    for i in range(2, n + 1):
        items.append({"ref": str(i), "parent": "1", "part_number": f"{tag}-{i:05d}",
                      "description": f"{tag} part {i}", "quantity": i % 7 + 1, "unit": "ea"})
    return items


def connect_tryton(srv, org, tr):
    tr.add_user("alice", ALICE_PW, "Alice")
    s, r, _ = call(srv.base, "POST", "/api/v1/sources",
                   {"name": "ERP", "kind": "tryton", "base_url": tr.base, "database": tr.db, "internal": True},
                   token=org.admin)
    assert s == 201, (s, r)
    src = r["id"]
    s, r, _ = call(srv.base, "PUT", f"/api/v1/sources/{src}/connection",
                   {"username": "alice", "password": ALICE_PW}, token=org.editor)
    assert s == 204, r
    return src


def connected(srv, org, src):
    s, r, _ = call(srv.base, "GET", "/api/v1/sources", token=org.editor)
    assert s == 200, r
    return [x["connected"] for x in r["sources"] if x["id"] == src] == [True]


def test_rotation_survives_kill_9_midway_and_leaves_the_old_keys_opening_nothing():
    st = Store(shares=3, threshold=2)
    tr = Tryton(db="rotdb")
    srv = Server(st, extra=["--rate-limit", "0"])
    try:
        # Every member of both orgs: their sealed fields are part of what the rotation re-seals.
        a = Org(srv, "Rotating Org A", "rota.example").ensure_all()
        b = Org(srv, "Rotating Org B", "rotb.example").ensure_all()
        src = connect_tryton(srv, a, tr)
        boms = [make_bom(srv.base, a.editor, name="Big A", items=big_items(20000, "A")),
                make_bom(srv.base, b.editor, name="Big B", items=big_items(5000, "B"))]
        # Enough ciphertext (about 100 MiB of attachment chunks) that the re-seal takes a while.
        for i in range(16):
            blob = pdf_bytes(f"sheet{i}") + os.urandom(6 << 20)
            s, r, _ = attach(srv.base, a.editor, boms[0], blob, name=f"sheet{i}.pdf")
            assert s == 201, r
        s, r, _ = call(srv.base, "POST", "/api/v1/me/mfa/totp", token=b.viewer)
        assert s == 200, r
        before = {"a": org_state(srv.base, a), "b": org_state(srv.base, b)}
        assert connected(srv, a, src)

        # The earlier copy whose keys must be useless at the end.
        assert srv.stop() == 0
        old = os.path.join(st.tmp, "before-rotation")
        shutil.copytree(st.data, old)
        srv = Server(st, extra=["--rate-limit", "0"])

        # Rotate both orgs' keys with the CLI (no downtime: requests keep working).
        r = run(["rotate-keys", "--url", srv.base], env={"BOMVAULT_OPERATOR_TOKEN": st.operator})
        assert r.returncode == 0 and "2 organisation(s)" in r.stdout, r.stdout + r.stderr
        killed_midway = False
        deadline = time.time() + 120
        while time.time() < deadline:
            p = rotation(srv)
            if not p["in_progress"]:
                break
            if any(x["resealed"] > 0 for x in p["rotations"]):
                os.kill(srv.proc.pid, signal.SIGKILL)
                srv.proc.wait()
                killed_midway = True
                break
            time.sleep(0.002)
        assert killed_midway, "the re-seal finished before it could be interrupted"

        # The half-rotated store on disk: the old keys still open part of it (so the final
        # comparison below can fail), and the new ones the rest.
        half = os.path.join(st.tmp, "half-rotated")
        shutil.copytree(st.data, half)
        r = check(half, st.share_file)
        assert r.returncode == 0, r.stdout  # a half-done rotation is consistent, nothing is lost
        assert "key rotations in progress: 2" in r.stdout and "retired keys kept: 2" in r.stdout, r.stdout
        r = run(["check", "--data", half, "--unseal-file", st.share_file, "--retired-from", old])
        assert r.returncode == 1 and "still open with a key of the earlier copy" in r.stdout, r.stdout
        opened_half = int(r.stdout.split("ciphertexts they open here: ")[1].split()[0])
        total = int(r.stdout.split("sealed fields: ")[1].split()[0])
        assert 0 < opened_half < total, r.stdout

        # Restart + unseal: the re-seal resumes by itself; a write during it uses the new key.
        srv = Server(st, extra=["--rate-limit", "0"])
        late = make_bom(srv.base, a.editor, name="Written during the re-seal")
        r = run(["rotate-keys", "--status", "--wait", "--url", srv.base],
                env={"BOMVAULT_OPERATOR_TOKEN": st.operator}, timeout=600)
        assert r.returncode == 0 and "re-seal done" in r.stdout, r.stdout + r.stderr
        done = rotation(srv)
        assert done["rotations"] == [] and done["retired_keys"] == [] and done["unreadable"] == 0, done

        # Every object opens, unchanged; the sealed connection still works for its owner.
        after_a = org_state(srv.base, a)
        after_b = org_state(srv.base, b)
        assert after_b == before["b"]
        assert len(after_a["boms"]) == len(before["a"]["boms"]) + 1
        for key, value in before["a"].items():
            if key not in ("boms", "audit"):
                assert after_a[key] == value, key
        s, items, _ = call(srv.base, "GET", f"/api/v1/boms/{late}/items", token=a.editor)
        assert s == 200 and len(items["items"]) == 3
        # The connection secret, re-sealed, still signs in to Tryton for its owner.
        assert connected(srv, a, src)
        remote = tr.make_bom("Pulled after rotation", (tr.product("ROT-1", "Rotated"), 1, "u"),
                             [(tr.product("ROT-2", "Part"), 2, "u")])
        s, r, _ = call(srv.base, "POST", f"/api/v1/sources/{src}/pull", {"remote_id": str(remote)},
                       token=a.editor)
        assert s == 202, r
        assert wait_job(srv.base, a.editor, r["job_id"])["state"] == "done"
        s, r, _ = call(srv.base, "GET", "/api/v1/instance/audit?limit=200", token=st.operator)
        assert s == 200, r
        actions = [e["action"] for e in r["entries"]]
        assert actions.count("key.rotate") == 2 and actions.count("key.reseal_done") == 2, actions
        assert actions.count("key.retired_destroyed") == 2, actions
        assert srv.stop() == 0

        # Offline: the store checks clean, and no key of the earlier copy opens anything here.
        r = check(st.data, st.share_file)
        assert r.returncode == 0, r.stdout
        assert "retired keys kept: 0" in r.stdout and "key rotations in progress: 0" in r.stdout, r.stdout
        r = run(["check", "--data", st.data, "--unseal-file", st.share_file, "--retired-from", old])
        assert r.returncode == 0, r.stdout
        assert "no longer current here: 2" in r.stdout, r.stdout
        assert "ciphertexts they open here: 0" in r.stdout, r.stdout
        assert "of them still stored here (retired): 0" in r.stdout, r.stdout
    finally:
        srv.stop()
        tr.stop()
        st.cleanup()


def test_a_backup_taken_before_a_rotation_restores_and_is_resealed_and_keeps_the_old_key_until_then():
    st = Store(shares=3, threshold=2)
    srv = Server(st, extra=["--rate-limit", "0"])
    try:
        a = Org(srv, "Backed Org", "backed.example").ensure_all()  # in the backup and org_state
        bom = make_bom(srv.base, a.editor, name="Kept", items=big_items(600, "K"))
        s, r, _ = attach(srv.base, a.editor, bom, pdf_bytes("kept"), name="kept.pdf")
        assert s == 201, r
        before = org_state(srv.base, a)
        dest = os.path.join(st.tmp, "backups")
        assert backup_cli(srv, dest).returncode == 0

        s, r, _ = call(srv.base, "POST", "/api/v1/keys/rotate", {"org_id": a.id}, token=st.operator)
        assert s == 202 and r["rotated"] == [a.id], r
        done = wait_rotation_done(srv)
        # The snapshot needs the old key: kept (wrapped), and said why.
        assert [k["kept_for"] for k in done["retired_keys"]] == ["backups"], done
        s, r, _ = call(srv.base, "POST", "/api/v1/keys/rotate", {"org_id": "org_doesnotexist"},
                       token=st.operator)
        assert s == 404, r
        s, r, _ = call(srv.base, "POST", "/api/v1/keys/rotate", {"org_id": 5}, token=st.operator)
        assert s == 400, r
        s, r, _ = call(srv.base, "POST", "/api/v1/keys/rotate", {}, token=a.admin)
        assert s == 403, r
        assert srv.stop() == 0

        # The pre-rotation snapshot restores: its data is under the old key, the key file has it.
        data2 = os.path.join(st.tmp, "restored")
        assert run(["restore", "--from", dest, "--data", data2]).returncode == 0
        r = check(data2, st.share_file)
        assert r.returncode == 0, r.stdout
        st2 = Store.__new__(Store)
        st2.__dict__.update(st.__dict__)
        st2.data = data2
        srv = Server(st2, extra=["--rate-limit", "0"])
        assert org_state(srv.base, a) == before
        done = wait_rotation_done(srv)
        assert done["rotations"] == [] and done["unreadable"] == 0, done
        assert org_state(srv.base, a) == before
        assert srv.stop() == 0
        r = check(data2, st.share_file)
        assert r.returncode == 0, r.stdout
    finally:
        srv.stop()
        st.cleanup()
