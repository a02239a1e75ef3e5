"""Running bomvault for years: backups, restore, deletion reaching backups, rekey, readiness.

Every test drives the real binary: `bomvault serve` over HTTP, `bomvault backup|restore|rekey|check`
as an operator would type them, on real encrypted stores in temporary directories.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time

from harness import (BIN, PASSWORD, Org, Server, Store, attach, call, is_error, make_bom, pdf_bytes,
                     sign_in)
from test_sources import wait_job
from tryton import Tryton


def run(args, stdin=None, env=None, timeout=300):
    return subprocess.run([BIN] + args, input=stdin, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def backup_cli(srv, to):
    return run(["backup", "--data", srv.store.data, "--to", to, "--url", srv.base],
               env={"BOMVAULT_OPERATOR_TOKEN": srv.store.operator})


def check(data, share_file):
    return run(["check", "--data", data, "--unseal-file", share_file])


def write_shares(path, shares):
    with open(path, "w") as f:
        f.write("\n".join(shares) + "\n")
    return path


def files_under(*dirs):
    for d in dirs:
        for root, _, names in os.walk(d):
            for n in names:
                yield os.path.join(root, n)


def occurrences(marker, *dirs):
    """Files under dirs whose bytes contain marker (UTF-8 or UTF-16LE, as SQLite may store text)."""
    needles = [marker.encode(), marker.encode("utf-16-le")]
    hits = []
    for p in files_under(*dirs):
        with open(p, "rb") as f:
            data = f.read()
        if any(n in data for n in needles):
            hits.append(p)
    return hits


def snapshot_names(dest):
    return sorted(n for n in os.listdir(os.path.join(dest, "snapshots"))
                  if n.startswith("bomvault-") and n.endswith(".db"))


def without_activity(value):
    """Drops the last-activity stamps (they move with every read), keeps everything else."""
    if isinstance(value, dict):
        return {k: without_activity(v) for k, v in value.items() if not k.startswith("last_")}
    if isinstance(value, list):
        return [without_activity(v) for v in value]
    return value


def org_state(base, org):
    """Everything an org's Administrator can read: BOMs, items, shares, attachments, users, audit."""
    state = {}
    s, boms, _ = call(base, "GET", "/api/v1/boms", token=org.admin)
    assert s == 200, boms
    state["boms"] = sorted(boms["boms"], key=lambda b: b["id"])
    for b in state["boms"]:
        bid = b["id"]
        state[f"items:{bid}"] = call(base, "GET", f"/api/v1/boms/{bid}/items", token=org.admin)[1]
        state[f"shares:{bid}"] = call(base, "GET", f"/api/v1/boms/{bid}/shares", token=org.admin)[1]
        s, atts, _ = call(base, "GET", f"/api/v1/boms/{bid}/attachments", token=org.admin)
        assert s == 200
        state[f"attachments:{bid}"] = atts
        for a in atts["attachments"]:
            s, raw, _ = call(base, "GET", f"/api/v1/boms/{bid}/attachments/{a['id']}", token=org.admin,
                             raw=True)
            assert s == 200
            state[f"file:{a['id']}"] = raw
        state[f"audit:{bid}"] = call(base, "GET", f"/api/v1/audit?object=bom:{bid}", token=org.admin)[1]
    s, users, _ = call(base, "GET", "/api/v1/users", token=org.admin)
    assert s == 200
    state["users"] = users
    s, audit, _ = call(base, "GET", "/api/v1/audit?limit=500", token=org.admin)
    assert s == 200
    state["audit"] = audit
    return without_activity(state)


def unseal_with(base, shares):
    last = None
    for sh in shares:
        s, last, _ = call(base, "POST", "/api/v1/unseal", {"share": sh})
        if s != 200:
            return s, last
    return 200, last


def populated(srv, marker_a, marker_b):
    # Every member of both orgs: backups and restores must bring back every user.
    a = Org(srv, f"Org {marker_a}", "a.example").ensure_all()
    b = Org(srv, f"Org {marker_b}", "b.example").ensure_all()
    boms = {}
    for org, marker in ((a, marker_a), (b, marker_b)):
        items = [{"ref": "1", "part_number": f"{marker}-TOP", "description": f"{marker} assembly", "quantity": 1},
                 {"ref": "2", "parent": "1", "part_number": f"{marker}-P2", "description": f"{marker} part",
                  "quantity": 3, "unit": "ea", "properties": {"note": marker}}]
        bom = make_bom(srv.base, org.editor, name=f"{marker} gearbox", items=items)
        s, _, _ = call(srv.base, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": org.viewer_id, "access": "view"},
                       token=org.editor)
        assert s == 201
        s, r, _ = attach(srv.base, org.editor, bom, pdf_bytes(marker), name=f"{marker}.pdf")
        assert s == 201, r
        boms[marker] = bom
    return a, b, boms


def test_backup_then_restore_brings_back_every_bom_user_and_audit_entry():
    st = Store(shares=3, threshold=2)
    srv = Server(st, extra=["--rate-limit", "0"])
    restored_srv = None
    try:
        a, b, _ = populated(srv, "ALPHA" + secrets.token_hex(4), "BRAVO" + secrets.token_hex(4))
        before = {"a": org_state(srv.base, a), "b": org_state(srv.base, b)}
        s, orgs_before, _ = call(srv.base, "GET", "/api/v1/orgs", token=st.operator)
        orgs_before = without_activity(orgs_before)
        assert s == 200
        dest = os.path.join(st.tmp, "backups")
        r = backup_cli(srv, dest)
        assert r.returncode == 0, r.stderr
        assert "verified" in r.stdout
        names = snapshot_names(dest)
        assert len(names) == 1
        with open(os.path.join(dest, "snapshots", names[0]), "rb") as f:
            assert not f.read(16).startswith(b"SQLite format 3")
        srv.stop()

        data2 = os.path.join(st.tmp, "restored")
        r = run(["restore", "--from", dest, "--data", data2])
        assert r.returncode == 0, r.stderr
        assert oct(os.stat(data2).st_mode & 0o777) == "0o700"
        # The restored store starts sealed and opens with the same shares.
        clone = Store.__new__(Store)
        clone.__dict__.update(st.__dict__)
        clone.data = data2
        restored_srv = Server(clone, sealed=True, extra=["--rate-limit", "0"])
        s, h, _ = call(restored_srv.base, "GET", "/api/v1/health")
        assert h["sealed"] is True
        s, body = unseal_with(restored_srv.base, st.shares[1:3])
        assert s == 200 and body["sealed"] is False, body
        # Sessions came back with the store: the same tokens read the same data.
        after = {"a": org_state(restored_srv.base, a), "b": org_state(restored_srv.base, b)}
        for org in ("a", "b"):
            for key in before[org]:
                if key == "audit":
                    # The restore adds nothing to an org's log: entries are identical.
                    assert after[org][key] == before[org][key], f"{org}: org audit differs"
                else:
                    assert after[org][key] == before[org][key], f"{org}: {key} differs"
        assert sign_in(restored_srv.base, "viewer@b.example")
        s, orgs_after, _ = call(restored_srv.base, "GET", "/api/v1/orgs", token=st.operator)
        assert without_activity(orgs_after) == orgs_before
        s, inst, _ = call(restored_srv.base, "GET", "/api/v1/instance/audit?action=restore.keys",
                          token=st.operator)
        assert s == 200 and inst["entries"][0]["change"] == {"restored": 2, "shredded": 0}, inst
        restored_srv.stop()
        restored_srv = None
        r = check(data2, st.share_file)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "organisations: 2" in r.stdout and "boms: 2" in r.stdout and "attachments: 2" in r.stdout
    finally:
        if restored_srv:
            restored_srv.stop()
        srv.stop()
        st.cleanup()


def test_data_source_connections_come_back_with_a_restore_and_stay_sealed():
    """Sources (schema 0007) and each user's sealed connection secret are part of a backup: after a
    restore the same user pulls with the same Tryton login, and neither the password nor the
    source's address is readable in the backup directory or the restored data directory."""
    alice_pw = "Backed-Up-Alice-Tryton-9Zk"
    tr = Tryton(db="backupdb")
    st = Store(shares=3, threshold=2)
    srv = Server(st, extra=["--rate-limit", "0"])
    restored = None
    try:
        org = Org(srv, "Sourced Org", "sourced.example")
        tr.add_user("alice", alice_pw, "Alice")
        remote = tr.make_bom("Pump", (tr.product("PMP-1", "Pump"), 1, "u"),
                             [(tr.product("IMP-2", "Impeller"), 1, "u")])
        s, r, _ = call(srv.base, "POST", "/api/v1/sources",
                       {"name": "ERP", "kind": "tryton", "base_url": tr.base, "database": tr.db,
                        "internal": True}, token=org.admin)
        assert s == 201, r
        src = r["id"]
        s, r, _ = call(srv.base, "PUT", f"/api/v1/sources/{src}/connection",
                       {"username": "alice", "password": alice_pw}, token=org.editor)
        assert s == 204, r
        as_admin = call(srv.base, "GET", f"/api/v1/sources/{src}", token=org.admin)[1]
        as_editor = call(srv.base, "GET", "/api/v1/sources", token=org.editor)[1]
        as_editor2 = call(srv.base, "GET", "/api/v1/sources", token=org.editor2)[1]
        assert [x["connected"] for x in as_editor["sources"]] == [True]
        assert [x["connected"] for x in as_editor2["sources"]] == [False]
        dest = os.path.join(st.tmp, "backups")
        assert backup_cli(srv, dest).returncode == 0
        srv.stop()

        data2 = os.path.join(st.tmp, "restored")
        assert run(["restore", "--from", dest, "--data", data2]).returncode == 0
        # Sealed at rest: no plaintext of the secret or of the source's configuration on disk.
        for marker in (alice_pw, tr.base, "backupdb"):
            assert occurrences(marker, dest, data2, st.data) == [], marker
        clone = Store.__new__(Store)
        clone.__dict__.update(st.__dict__)
        clone.data = data2
        restored = Server(clone, extra=["--rate-limit", "0"])
        assert call(restored.base, "GET", f"/api/v1/sources/{src}", token=org.admin)[1] == as_admin
        assert call(restored.base, "GET", "/api/v1/sources", token=org.editor)[1] == as_editor
        assert call(restored.base, "GET", "/api/v1/sources", token=org.editor2)[1] == as_editor2
        # The restored secret is the one Tryton accepts: the pull signs in as alice.
        s, r, _ = call(restored.base, "POST", f"/api/v1/sources/{src}/pull", {"remote_id": str(remote)},
                       token=org.editor)
        assert s == 202, r
        job = wait_job(restored.base, org.editor, r["job_id"])
        assert job["state"] == "done", job
        s, items, _ = call(restored.base, "GET", f"/api/v1/boms/{job['result']['bom_id']}/items",
                           token=org.editor)
        assert sorted(i["part_number"] for i in items["items"]) == ["IMP-2", "PMP-1"]
        # Someone else's connection did not come from nowhere.
        s, r, _ = call(restored.base, "POST", f"/api/v1/sources/{src}/pull", {"remote_id": str(remote)},
                       token=org.editor2)
        assert s == 409 and r["error"]["code"] == "connection_required", r
        restored.stop()
        restored = None
        assert check(data2, st.share_file).returncode == 0
    finally:
        if restored:
            restored.stop()
        srv.stop()
        tr.stop()
        st.cleanup()


def test_org_deleted_after_a_backup_is_unreadable_from_it_and_the_others_restore_intact():
    st = Store(shares=3, threshold=2)
    srv = Server(st, extra=["--rate-limit", "0"])
    try:
        gone, kept = "SHRED" + secrets.token_hex(6), "KEEP" + secrets.token_hex(6)
        a, b, boms = populated(srv, gone, kept)
        b_before = org_state(srv.base, b)
        dest = os.path.join(st.tmp, "backups")
        r = backup_cli(srv, dest)
        assert r.returncode == 0, r.stderr
        # The key file as it was before the deletion, kept aside only to show what it unlocks.
        keys_before = os.path.join(st.tmp, "keys-before-deletion.json")
        shutil.copy(os.path.join(dest, "keys.json"), keys_before)
        with open(keys_before) as f:
            assert a.id in {k["org_id"] for k in json.load(f)["org_keys"]}

        s, _, _ = call(srv.base, "DELETE", f"/api/v1/orgs/{a.id}", token=st.operator)
        assert s == 204
        # The deletion reached the backup directory at once.
        with open(os.path.join(dest, "keys.json")) as f:
            assert {k["org_id"] for k in json.load(f)["org_keys"]} == {b.id}
        s, targets, _ = call(srv.base, "GET", "/api/v1/backups", token=st.operator)
        assert s == 200 and targets["targets"][0]["keys_pending"] is False
        srv.stop()

        # Control: with the old key file, the very same snapshot still reads the deleted org, so
        # the key file is what this test's result depends on.
        control_dest = os.path.join(st.tmp, "control-backups")
        shutil.copytree(dest, control_dest)
        shutil.copy(keys_before, os.path.join(control_dest, "keys.json"))
        control = os.path.join(st.tmp, "control-restored")
        assert run(["restore", "--from", control_dest, "--data", control]).returncode == 0
        r = check(control, st.share_file)
        assert r.returncode == 0 and "organisations: 2" in r.stdout, r.stdout

        # The real restore: the earlier snapshot with the backup directory's key file.
        data2 = os.path.join(st.tmp, "restored")
        r = run(["restore", "--from", dest, "--data", data2])
        assert r.returncode == 0, r.stderr
        clone = Store.__new__(Store)
        clone.__dict__.update(st.__dict__)
        clone.data = data2
        srv2 = Server(clone, extra=["--rate-limit", "0"])
        try:
            # Try to read the deleted org every way a user or the operator could.
            s, _, _ = call(srv2.base, "POST", "/api/v1/sessions", {"email": "admin@a.example", "password": PASSWORD})
            assert s == 401
            s, _, _ = call(srv2.base, "GET", f"/api/v1/boms/{boms[gone]}/items", token=a.admin)
            assert s == 401
            s, _, _ = call(srv2.base, "GET", f"/api/v1/boms/{boms[gone]}/items", token=b.admin)
            assert s == 404
            s, orgs, _ = call(srv2.base, "GET", "/api/v1/orgs", token=st.operator)
            assert [o["id"] for o in orgs["orgs"]] == [b.id], orgs
            s, inst, _ = call(srv2.base, "GET", "/api/v1/instance/audit?action=restore.keys", token=st.operator)
            assert inst["entries"][0]["change"] == {"restored": 1, "shredded": 1}
            # The other org is intact, byte for byte.
            assert org_state(srv2.base, b) == b_before
        finally:
            srv2.stop()
        r = check(data2, st.share_file)
        assert r.returncode == 0, r.stdout
        assert "organisations: 1" in r.stdout and "boms: 1" in r.stdout
        # Not a byte of the deleted org's content in any restored or backed-up file.
        assert occurrences(gone, data2, dest) == []
        assert occurrences(kept, data2, dest) == []  # encrypted, not absent: see the check above
    finally:
        srv.stop()
        st.cleanup()


def test_kill_9_during_a_backup_leaves_the_store_and_the_previous_backup_usable():
    st = Store(shares=3, threshold=2)
    srv = Server(st, extra=["--rate-limit", "0"])
    try:
        org = Org(srv, "Heavy Org", "heavy.example")
        bom = make_bom(srv.base, org.editor, name="Heavy")
        # Enough data that a backup (copy, full check, vacuum) takes a while.
        for i in range(10):
            blob = pdf_bytes(f"part{i}") + os.urandom(6 << 20)
            s, r, _ = attach(srv.base, org.editor, bom, blob, name=f"sheet{i}.pdf")
            assert s == 201, r
        dest = os.path.join(st.tmp, "backups")
        assert backup_cli(srv, dest).returncode == 0
        first = snapshot_names(dest)
        assert len(first) == 1
        with open(os.path.join(dest, "keys.json"), "rb") as f:
            keys_first = f.read()
        time.sleep(1.1)  # snapshot names carry the second

        snapdir = os.path.join(dest, "snapshots")
        seen_partial = False
        def interrupted_backup():
            try:
                call(srv.base, "POST", "/api/v1/backups", {"to": dest}, token=st.operator, timeout=120)
            except OSError:
                pass  # the server is killed under it

        t = threading.Thread(target=interrupted_backup)
        t.start()
        deadline = time.time() + 60
        while time.time() < deadline and not seen_partial:
            seen_partial = any(n.startswith(".partial-") for n in os.listdir(snapdir))
            if not seen_partial:
                time.sleep(0.002)
        os.kill(srv.proc.pid, signal.SIGKILL)
        srv.proc.wait()
        t.join()
        assert seen_partial, "the backup finished before it could be interrupted"
        # The previous good snapshot and its key file are untouched.
        assert snapshot_names(dest) == first
        with open(os.path.join(dest, "keys.json"), "rb") as f:
            assert f.read() == keys_first

        # The store: the server starts again, unseals and reads everything; check passes.
        srv = Server(st, extra=["--rate-limit", "0"])
        s, items, _ = call(srv.base, "GET", f"/api/v1/boms/{bom}/items", token=org.editor)
        assert s == 200 and len(items["items"]) == 3
        # The previous backup restores and checks clean.
        data2 = os.path.join(st.tmp, "restored")
        assert run(["restore", "--from", dest, "--data", data2]).returncode == 0
        r = check(data2, st.share_file)
        assert r.returncode == 0 and "attachments: 10" in r.stdout, r.stdout
        # The next backup clears the leftover and succeeds.
        assert backup_cli(srv, dest).returncode == 0
        assert not any(n.startswith(".partial-") for n in os.listdir(snapdir))
        assert len(snapshot_names(dest)) == 2
        srv.stop()
        assert check(st.data, st.share_file).returncode == 0
    finally:
        srv.stop()
        st.cleanup()


def test_rekey_old_shares_stop_working_new_ones_open_store_and_backups():
    st = Store(shares=3, threshold=2)
    srv = Server(st, extra=["--rate-limit", "0"])
    try:
        org = Org(srv, "Rekey Org", "rekey.example")
        bom = make_bom(srv.base, org.editor, name="Kept through rekey")
        _, items_before, _ = call(srv.base, "GET", f"/api/v1/boms/{bom}/items", token=org.editor)
        dest = os.path.join(st.tmp, "backups")
        assert backup_cli(srv, dest).returncode == 0
        old_quorum = "\n".join(st.shares[:2]) + "\n"
        # Refused while the server has the keyring in memory.
        r = run(["rekey", "--data", st.data, "--json"], stdin=old_quorum)
        assert r.returncode != 0 and "stop it first" in r.stderr, r.stderr
        srv.stop()

        keyring = os.path.join(st.data, "keyring.json")
        with open(keyring, "rb") as f:
            original = f.read()
        # Wrong shares (another store's) change nothing.
        other = Store(shares=3, threshold=2)
        r = run(["rekey", "--data", st.data, "--json"], stdin="\n".join(other.shares[:2]) + "\n")
        other.cleanup()
        assert r.returncode != 0
        with open(keyring, "rb") as f:
            assert f.read() == original

        r = run(["rekey", "--data", st.data, "--shares", "5", "--threshold", "3", "--json"], stdin=old_quorum)
        assert r.returncode == 0, r.stderr
        new = json.loads(r.stdout)
        assert new["threshold"] == 3 and len(new["shares"]) == 5
        assert not set(new["shares"]) & set(st.shares)
        old_file = st.share_file
        new_file = write_shares(os.path.join(st.tmp, "new-shares.txt"), new["shares"][2:5])
        mixed_file = write_shares(os.path.join(st.tmp, "mixed.txt"),
                                  [new["shares"][0], st.shares[0], st.shares[1], st.shares[2]])

        # Exactly one valid set: the new shares open the store, the old ones (all three) do not.
        assert check(st.data, new_file).returncode == 0
        assert check(st.data, old_file).returncode != 0
        assert check(st.data, write_shares(os.path.join(st.tmp, "all-old.txt"), st.shares)).returncode != 0
        assert check(st.data, mixed_file).returncode != 0

        # The server: old shares are refused and it stays sealed; new ones open it, data intact.
        srv = Server(st, sealed=True, extra=["--rate-limit", "0"])
        s, body = unseal_with(srv.base, st.shares[:2])
        assert s >= 400 or body["sealed"] is True
        s, h, _ = call(srv.base, "GET", "/api/v1/health")
        assert h["sealed"] is True
        s, body = unseal_with(srv.base, new["shares"][:3])
        assert s == 200 and body["sealed"] is False, body
        s, items_after, _ = call(srv.base, "GET", f"/api/v1/boms/{bom}/items", token=org.editor)
        assert items_after == items_before
        s, inst, _ = call(srv.base, "GET", "/api/v1/instance/audit?action=keyring.rekey", token=st.operator)
        change = inst["entries"][0]["change"]
        assert change["shares"] == 5 and change["threshold"] == 3 and change["previous_threshold"] == 2
        srv.stop()

        # The backup taken before the rekey now restores with the new shares only.
        data2 = os.path.join(st.tmp, "restored")
        assert run(["restore", "--from", dest, "--data", data2]).returncode == 0
        assert check(data2, old_file).returncode != 0
        r = check(data2, new_file)
        assert r.returncode == 0 and "boms: 1" in r.stdout, r.stdout
    finally:
        srv.stop()
        st.cleanup()


def test_scheduled_backups_are_verified_audited_and_their_age_is_a_metric():
    st = Store(shares=3, threshold=2)
    dest = os.path.join(st.tmp, "scheduled")
    srv = Server(st, sealed=True, extra=["--backup-dir", dest, "--backup-interval", "3600"])
    try:
        s, r, _ = call(srv.base, "GET", "/api/v1/ready")
        assert s == 503 and r["error"]["code"] == "sealed"
        assert not os.path.exists(dest)  # nothing runs while sealed
        unseal_with(srv.base, st.shares[:2])
        s, r, _ = call(srv.base, "GET", "/api/v1/ready")
        assert s == 200 and r["status"] == "ready"
        deadline = time.time() + 30
        while time.time() < deadline and not (os.path.isdir(os.path.join(dest, "snapshots")) and
                                               snapshot_names(dest)):
            time.sleep(0.1)
        assert len(snapshot_names(dest)) == 1
        assert oct(os.stat(dest).st_mode & 0o777) == "0o700"
        assert oct(os.stat(os.path.join(dest, "keys.json")).st_mode & 0o777) == "0o600"
        s, inst, _ = call(srv.base, "GET", "/api/v1/instance/audit?action=backup.write", token=st.operator)
        entry = inst["entries"][0]
        assert entry["actor_id"] == "system" and entry["change"]["verified"] is True
        assert entry["change"]["trigger"] == "schedule"
        s, text, _ = call(srv.base, "GET", "/api/v1/metrics", token=st.operator, raw=True)
        metrics = dict(line.rsplit(" ", 1) for line in text.decode().splitlines() if not line.startswith("#"))
        assert int(metrics["bomvault_backup_last_success_timestamp_seconds"]) > 0
        assert 0 <= int(metrics["bomvault_backup_age_seconds"]) < 3600
        assert int(metrics["bomvault_backups_total"]) == 1
    finally:
        srv.stop()
        st.cleanup()


def test_backup_and_restore_refuse_what_they_must():
    st = Store(shares=3, threshold=2)
    srv = Server(st)
    try:
        op = st.operator
        for to, code in ((os.path.join(st.data, "inside"), "invalid_backup_dir"),
                         ("relative/dir", "invalid_backup_dir"),
                         ("/nonexistent-parent/x/y", "invalid_backup_dir")):
            s, r, _ = call(srv.base, "POST", "/api/v1/backups", {"to": to}, token=op)
            assert s == 400 and r["error"]["code"] == code, (to, s, r)
        busy = os.path.join(st.tmp, "busy")
        os.mkdir(busy)
        with open(os.path.join(busy, "photo.jpg"), "w") as f:
            f.write("x")
        s, r, _ = call(srv.base, "POST", "/api/v1/backups", {"to": busy}, token=op)
        assert s == 409 and r["error"]["code"] == "backup_dir_in_use"
        s, r, _ = call(srv.base, "POST", "/api/v1/backups", {"to": 7}, token=op)
        assert s == 400
        s, r, _ = call(srv.base, "POST", "/api/v1/backups", {"to": busy, "store_id": "00" * 8}, token=op)
        assert s == 409 and r["error"]["code"] == "wrong_store"
        # A directory holding another store's backups is refused.
        other = Store(shares=3, threshold=2)
        other_srv = Server(other)
        try:
            theirs = os.path.join(st.tmp, "theirs")
            assert backup_cli(other_srv, theirs).returncode == 0
        finally:
            other_srv.stop()
            other.cleanup()
        s, r, _ = call(srv.base, "POST", "/api/v1/backups", {"to": theirs}, token=op)
        assert s == 409 and r["error"]["code"] == "backup_dir_in_use"
        # The CLI without a token, with a wrong one.
        r = run(["backup", "--data", st.data, "--to", os.path.join(st.tmp, "b"), "--url", srv.base],
                env={"BOMVAULT_OPERATOR_TOKEN": ""})
        assert r.returncode == 2 and "operator token" in r.stderr
        r = run(["backup", "--data", st.data, "--to", os.path.join(st.tmp, "b"), "--url", srv.base],
                env={"BOMVAULT_OPERATOR_TOKEN": "bvt_wrong"})
        assert r.returncode == 1
        dest = os.path.join(st.tmp, "good")
        assert backup_cli(srv, dest).returncode == 0
        # Restore only into an empty directory, only from a backup directory.
        r = run(["restore", "--from", dest, "--data", st.data])
        assert r.returncode == 1 and "empty" in r.stderr
        r = run(["restore", "--from", busy, "--data", os.path.join(st.tmp, "r1")])
        assert r.returncode == 1 and not os.path.exists(os.path.join(st.tmp, "r1", "keyring.json"))
        r = run(["restore", "--from", dest, "--data", os.path.join(st.tmp, "r2"), "--snapshot", "nope.db"])
        assert r.returncode == 1
    finally:
        srv.stop()
        st.cleanup()


def test_every_subcommand_has_help():
    for cmd in ("version", "init", "serve", "unseal", "check", "audit", "backup", "restore", "rekey", "doctor"):
        r = run([cmd, "--help"])
        assert r.returncode == 0, (cmd, r.stderr)
        assert r.stdout.startswith(f"bomvault {cmd}"), (cmd, r.stdout[:80])


def test_deb_installs_and_the_packaged_binary_starts_sealed():
    """Builds the .deb from this tree, installs it with dpkg -i, checks the unit and runs it."""
    if os.geteuid() != 0 or not shutil.which("dpkg-deb") or not shutil.which("dpkg-shlibdeps"):
        print("  (skipped: needs root and dpkg-dev)")
        return
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    outdir = subprocess.run(["mktemp", "-d", "/tmp/bv-deb-out-XXXXXX"], capture_output=True,
                            text=True).stdout.strip()
    r = subprocess.run([os.path.join(repo, "tools", "build-deb.sh"), os.path.abspath(BIN), outdir], cwd=repo,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    deb = r.stdout.strip().splitlines()[-1]
    info = subprocess.run(["dpkg-deb", "-f", deb, "Depends"], capture_output=True, text=True).stdout
    assert "libsodium" in info and "libssl" in info, info
    listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True).stdout
    for path in ("./usr/bin/bomvault", "./lib/systemd/system/bomvault.service", "./etc/default/bomvault"):
        assert path in listing, path
    r = subprocess.run(["dpkg", "-i", deb], capture_output=True, text=True, timeout=300)
    tmp = None
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        version = run(["version"]).stdout
        assert subprocess.run(["/usr/bin/bomvault", "version"], capture_output=True, text=True).stdout == version
        assert subprocess.run(["id", "-u", "bomvault"], capture_output=True).returncode == 0
        st = os.stat("/var/lib/bomvault")
        assert oct(st.st_mode & 0o777) == "0o700"
        unit = "/lib/systemd/system/bomvault.service"
        if shutil.which("systemd-analyze"):
            v = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True)
            assert v.returncode == 0, v.stderr
            sec = subprocess.run(["systemd-analyze", "security", "--offline=true", unit],
                                 capture_output=True, text=True)
            line = [ln for ln in sec.stdout.splitlines() if "Overall exposure level" in ln][0]
            score = float(line.split(":")[1].split()[0])
            print(f"  systemd-analyze security: {score}")
            assert score <= 2.0, line
        # The packaged binary, as the dedicated user, initialises a store and starts sealed.
        tmp = subprocess.run(["mktemp", "-d", "/tmp/bv-deb-XXXXXX"], capture_output=True, text=True).stdout.strip()
        os.chmod(tmp, 0o755)
        data = os.path.join(tmp, "data")
        as_user = ["runuser", "-u", "bomvault", "--", "/usr/bin/bomvault"]
        subprocess.run(["chown", "bomvault:bomvault", tmp], check=True)
        r = subprocess.run(as_user + ["init", "--data", data, "--json"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        from harness import free_port
        port = free_port()
        proc = subprocess.Popen(as_user + ["serve", "--data", data, "--listen", f"127.0.0.1:{port}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            health = None
            deadline = time.time() + 30
            while time.time() < deadline and health is None:
                try:
                    s, health, _ = call(f"http://127.0.0.1:{port}", "GET", "/api/v1/health")
                except OSError:
                    time.sleep(0.05)
            assert health and health["sealed"] is True, health
        finally:
            proc.terminate()
            proc.wait(20)
    finally:
        subprocess.run(["dpkg", "--purge", "bomvault"], capture_output=True)
        shutil.rmtree(outdir, ignore_errors=True)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def test_doctor_reports_every_air_gap_concern_and_fails_on_real_problems():
    st = Store(shares=3, threshold=2)
    dest = os.path.join(st.tmp, "backups")
    srv = Server(st, extra=["--backup-dir", dest, "--backup-interval", "3600"])
    try:
        deadline = time.time() + 30
        while time.time() < deadline and not (os.path.isdir(os.path.join(dest, "snapshots")) and snapshot_names(dest)):
            time.sleep(0.1)
        args = ["doctor", "--data", st.data, "--listen", f"127.0.0.1:{srv.port}", "--backup-dir", dest,
                "--backup-interval", "3600"]
        r = run(args, env={"BOMVAULT_OPERATOR_TOKEN": st.operator})
        out = r.stdout
        assert r.returncode == 0, out
        for area in ("data directory", "keyring", "store", "seal", "tls", "outbound: mail relay",
                     "outbound: data sources", "outbound: identity providers", "clock", "backups",
                     "backups (server)", "disk (data)"):
            assert f"  {area}: " in out, (area, out)
        assert "ok    seal: the server answers" in out and "unsealed" in out
        assert "encrypted" in out
        # Real problems are failures: a world-readable data directory, plain HTTP off loopback,
        # an expired certificate.
        os.chmod(st.data, 0o755)
        r = run(args)
        assert r.returncode == 1 and "FAIL  data directory" in r.stdout, r.stdout
        os.chmod(st.data, 0o700)
        r = run(["doctor", "--data", st.data, "--listen", "0.0.0.0:8443"])
        assert r.returncode == 1 and "FAIL  tls: plain HTTP" in r.stdout
        cert, key = os.path.join(st.tmp, "old.crt"), os.path.join(st.tmp, "old.key")
        # A certificate that expired in 2019, made with the clock moved back (libfaketime).
        subprocess.run(["faketime", "2019-01-01", "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", cert, "-subj", "/CN=localhost", "-days", "30"],
                       capture_output=True, check=True)
        r = run(["doctor", "--data", st.data, "--tls-cert", cert, "--tls-key", key])
        assert "FAIL  tls: the certificate has expired" in r.stdout, r.stdout
        srv.stop()
        r = run(args)
        assert "WARN  seal: no server is running" in r.stdout, r.stdout
    finally:
        srv.stop()
        st.cleanup()


def test_config_check_explains_sources_and_every_problem_and_serve_refuses_them():
    st = Store(shares=3, threshold=2)
    try:
        conf = os.path.join(st.tmp, "bomvault.conf")
        with open(conf, "w") as f:
            f.write(f"data = {st.data}\nbackup-dir = {st.tmp}/b\nbackup-interval = 3600\nworkers = 8\n")
        r = run(["config", "check", "--config", conf, "--workers", "4"], env={"BOMVAULT_RATE_LIMIT": "50"})
        assert r.returncode == 0, r.stdout
        assert "workers = 4   (command line)" in r.stdout
        assert "rate-limit = 50   (environment (BOMVAULT_RATE_LIMIT))" in r.stdout
        assert "backup-interval = 3600   (config file line 3)" in r.stdout
        assert "config check: ok" in r.stdout
        with open(conf, "a") as f:
            f.write("colour = blue\nlisten = 0.0.0.0:80\n")
        r = run(["config", "check", "--config", conf, "--backup-retention-days", "0"])
        assert r.returncode == 1
        assert "problem: config file line 5: unknown setting colour" in r.stdout
        assert "problem: refusing plain HTTP" in r.stdout
        assert "problem: --backup-retention-days takes a whole number of at least 1" in r.stdout
        assert "config check: 3 problem(s)" in r.stdout
        # serve reads the same file and refuses to start on the same problems, naming each.
        r = run(["serve", "--config", conf], timeout=30)
        assert r.returncode == 2 and r.stderr.count("bomvault serve: ") >= 3, r.stderr
    finally:
        st.cleanup()


def _read_response(sock):
    """One HTTP/1.1 response read from a raw socket: (status, headers dict lower-cased, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, rest
        rest += chunk
    return int(lines[0].split()[1]), headers, rest[:length]


def _start_slow_post(port, path, token, body):
    """A POST whose head the server has framed (it answered 100 Continue) and whose body is only
    half sent: a request in flight for as long as the test holds the second half back."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                  "Expect: 100-continue\r\n\r\n").encode())
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = sock.recv(1024)
        assert chunk, got
        got += chunk
    assert got.startswith(b"HTTP/1.1 100 "), got
    sock.sendall(body[:len(body) // 2])
    return sock


def _wait_refusing(base):
    """Polls readiness until the server answers it 503 shutting_down (the drain has begun). A
    connection accepted just before the drain began but with no request yet is idle, so the drain
    closes it unanswered: that one poll is retried."""
    for _ in range(400):
        try:
            s, r, h = call(base, "GET", "/api/v1/ready")
        except ConnectionError:
            continue
        if s == 503:
            return s, r, h
        time.sleep(0.05)
    raise AssertionError("readiness never reported the drain")


def test_sigterm_drains_the_request_in_flight_keeps_its_write_then_seals_and_exits_0():
    st = Store(shares=3, threshold=2)
    srv = Server(st)
    try:
        b = srv.base
        org = Org(srv)
        items = [{"ref": str(i), "part_number": f"P-{i}", "description": "part", "quantity": i}
                 for i in range(1, 201)]
        body = json.dumps({"name": "Drained", "items": items}).encode()
        # An idle keep-alive connection (one request answered, nothing since).
        idle = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        idle.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert _read_response(idle)[0] == 200
        slow = _start_slow_post(srv.port, "/api/v1/boms", org.editor, body)

        srv.proc.send_signal(signal.SIGTERM)
        # Readiness reads not-ready during the drain; so does every new request, with
        # Connection: close, and a write arriving now changes nothing.
        s, r, h = _wait_refusing(b)
        assert is_error(r, "shutting_down") and h["Connection"].lower() == "close", (r, dict(h))
        s, r, h = call(b, "POST", "/api/v1/boms", {"name": "Too late", "items": items[:2]},
                       token=org.editor)
        assert s == 503 and is_error(r, "shutting_down") and h["Connection"].lower() == "close"
        # The idle keep-alive connection was closed by the server.
        assert idle.recv(1) == b""
        # The request in flight keeps the process alive until it is answered normally.
        assert srv.proc.poll() is None
        slow.sendall(body[len(body) // 2:])
        status, headers, payload = _read_response(slow)
        assert status == 201, payload
        assert headers["connection"].lower() == "close"
        bom_id = json.loads(payload)["id"]
        assert slow.recv(1) == b""
        assert srv.proc.wait(60) == 0
        log = srv.log()
        assert "server.draining" in log and "server.stopped" in log, log[-2000:]
        srv.stderr.close()

        # Restarted and unsealed: the write acknowledged during the drain is there, the refused
        # one is not, and the shutdown sealed the store (audited).
        srv = Server(st)
        editor = sign_in(srv.base, "editor@acme.example")
        s, r, _ = call(srv.base, "GET", f"/api/v1/boms/{bom_id}", token=editor)
        assert s == 200 and r["name"] == "Drained", r
        s, r, _ = call(srv.base, "GET", "/api/v1/boms", token=editor)
        assert s == 200 and "Too late" not in json.dumps(r), r
        s, r, _ = call(srv.base, "GET", "/api/v1/instance/audit?action=seal", token=st.operator)
        assert s == 200 and any(e["change"].get("reason") == "shutdown" for e in r["entries"]), r
        assert srv.stop() == 0
        r = check(st.data, st.share_file)
        assert r.returncode == 0 and "check: ok" in r.stdout, r.stdout + r.stderr
    finally:
        srv.stop()
        st.cleanup()


def test_drain_timeout_cuts_a_request_that_never_finishes_and_still_exits_0_with_a_sound_store():
    st = Store(shares=3, threshold=2)
    srv = Server(st, extra=["--drain-timeout", "1"])
    try:
        org = Org(srv)
        bom = make_bom(srv.base, org.editor, "Kept")
        body = json.dumps({"name": "Never finished", "items": []}).encode() + b" " * 4096
        slow = _start_slow_post(srv.port, "/api/v1/boms", org.editor, body)
        srv.proc.send_signal(signal.SIGTERM)
        # The body never completes: after the drain timeout the connection is cut, unanswered,
        # and the process still exits 0 after sealing the store.
        assert srv.proc.wait(60) == 0
        slow.settimeout(30)
        try:
            assert slow.recv(1) == b""
        except ConnectionResetError:
            pass
        srv.stderr.close()
        srv = Server(st)
        editor = sign_in(srv.base, "editor@acme.example")
        s, r, _ = call(srv.base, "GET", "/api/v1/boms", token=editor)
        assert s == 200 and "Kept" in json.dumps(r) and "Never finished" not in json.dumps(r), r
        assert call(srv.base, "GET", f"/api/v1/boms/{bom}", token=editor)[0] == 200
        assert srv.stop() == 0
        r = check(st.data, st.share_file)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        srv.stop()
        st.cleanup()
