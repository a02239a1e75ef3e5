"""Data sources: Tryton both ways on each user's own login, per-user connections, jobs, and the
outbound rules (refused addresses, redirects, certificates, size limits).

Tryton here is the real trytond from Debian (tests/integration/tryton.py); the misbehaving
endpoints are tests/integration/fake_source.py.
"""
import glob
import json
import os
import socket
import tempfile
import time

from fake_source import FakeSource, make_ca, make_server_cert
from harness import Org, Server, Store, call, make_bom
from tryton import Tryton

ALICE_PW = "Planted-Alice-Tryton-7Qx"
BOB_PW = "Planted-Bob-Tryton-4Kw"


def wait_job(base, token, job_id, timeout=120):
    deadline = time.time() + timeout
    while True:
        s, r, _ = call(base, "GET", f"/api/v1/jobs/{job_id}", token=token)
        assert s == 200, (s, r)
        assert 0 <= r["progress"] <= 1
        if r["state"] in ("done", "failed"):
            return r
        assert time.time() < deadline, r
        time.sleep(0.2)


def tryton_source(base, admin, tryton, name="ERP", **extra):
    body = {"name": name, "kind": "tryton", "base_url": tryton.base, "database": tryton.db,
            "internal": True, **extra}
    s, r, _ = call(base, "POST", "/api/v1/sources", body, token=admin)
    assert s == 201, (s, r)
    return r["id"]


def items_by_pn(base, token, bom):
    s, r, _ = call(base, "GET", f"/api/v1/boms/{bom}/items", token=token)
    assert s == 200, r
    return {i["part_number"]: i for i in r["items"]}


def test_tryton_pull_refresh_share_and_send_each_on_their_own_login():
    tr = Tryton(db="plantdb9x")
    st = Store()
    srv = Server(st)
    try:
        b = srv.base
        org = Org(srv)
        alice = tr.add_user("alice", ALICE_PW, "Alice")
        bob = tr.add_user("bob", BOB_PW, "Bob")
        # A BOM made in Tryton through Tryton's own API.
        gbx = tr.product("GBX-100", "Gearbox")
        shf = tr.product("SHF-7", "Shaft")
        grs = tr.product("GRS-1", "Grease", uom="kg")
        remote = tr.make_bom("Gearbox assembly", (gbx, 1, "u"), [(shf, 2, "u"), (grs, 0.25, "kg")])
        src = tryton_source(b, org.admin, tr)

        # Without a connection: a clear 4xx that asks to connect.
        s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"remote_id": str(remote)}, token=org.editor)
        assert s == 409 and r["error"]["code"] == "connection_required", r
        # A wrong password is refused by Tryton and nothing is stored.
        s, r, _ = call(b, "PUT", f"/api/v1/sources/{src}/connection",
                       {"username": "alice", "password": "Wrong-Password-123x"}, token=org.editor)
        assert s == 422 and r["error"]["code"] == "source_login_refused", r
        s, r, _ = call(b, "GET", "/api/v1/sources", token=org.editor)
        assert r["sources"] == [{"id": src, "name": "ERP", "kind": "tryton", "connected": False}], r

        # A connects with A's own Tryton login and pulls.
        s, r, _ = call(b, "PUT", f"/api/v1/sources/{src}/connection",
                       {"username": "alice", "password": ALICE_PW}, token=org.editor)
        assert s == 204, r
        s, r, _ = call(b, "GET", "/api/v1/sources", token=org.editor)
        assert r["sources"] == [{"id": src, "name": "ERP", "kind": "tryton", "connected": True}], r
        s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"remote_id": str(remote)}, token=org.editor)
        assert s == 202, r
        job = wait_job(b, org.editor, r["job_id"])
        assert job["state"] == "done", job
        assert job["progress"] == 1
        bom = job["result"]["bom_id"]
        assert job["result"]["revision"] == 1
        s, summary, _ = call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor)
        assert summary["name"] == "Gearbox assembly"
        assert summary["metadata"]["source_ref"] == {"source_id": src, "remote_id": str(remote)}
        items = items_by_pn(b, org.editor, bom)
        assert set(items) == {"GBX-100", "SHF-7", "GRS-1"}
        root = items["GBX-100"]
        assert root["parent"] in ("", None) and root["quantity"] == 1 and root["description"] == "Gearbox"
        assert items["SHF-7"]["parent"] == root["ref"] and items["SHF-7"]["quantity"] == 2
        assert items["GRS-1"]["quantity"] == 0.25 and items["GRS-1"]["unit"] == "kg"
        # Another user cannot see A's job.
        s, _, _ = call(b, "GET", f"/api/v1/jobs/{r['job_id']}", token=org.editor2)
        assert s == 404

        # Changed in Tryton (by Tryton's admin, through Tryton's API), then refreshed.
        brg = tr.product("BRG-6204", "Bearing")
        cur = tr.rpc("model.production.bom.read", [[remote], ["inputs"], {}])[0]["inputs"]
        lines = tr.rpc("model.production.bom.input.read", [cur, ["product"], {}])
        shf_line = [l["id"] for l in lines if l["product"] == shf][0]
        grs_line = [l["id"] for l in lines if l["product"] == grs][0]
        tr.rpc("model.production.bom.write",
               [[remote], {"inputs": [["write", [shf_line], {"quantity": 3}], ["delete", [grs_line]],
                                      ["create", [{"product": brg, "quantity": 4, "uom": tr.uom("u")}]]]}, {}])
        s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"bom_id": bom}, token=org.editor)
        assert s == 202, r
        job = wait_job(b, org.editor, r["job_id"])
        assert job["state"] == "done", job
        assert job["result"]["bom_id"] == bom and job["result"]["changed"] is True
        assert job["result"]["changes"] == {"added": 1, "removed": 1, "changed": 1}, job
        # The refresh is revision 2; revision 1 stays readable as it was.
        assert job["result"]["revision"] == 2 and job["result"]["previous_revision"] == 1, job
        items = items_by_pn(b, org.editor, bom)
        assert set(items) == {"GBX-100", "SHF-7", "BRG-6204"}
        assert items["SHF-7"]["quantity"] == 3 and items["BRG-6204"]["quantity"] == 4
        s, r, _ = call(b, "GET", f"/api/v1/boms/{bom}/items?revision=1", token=org.editor)
        assert s == 200 and {i["part_number"] for i in r["items"]} == {"GBX-100", "SHF-7", "GRS-1"}, r
        s, r, _ = call(b, "GET", f"/api/v1/boms/{bom}/revisions", token=org.editor)
        assert [(v["revision"], v["via"], v["current"]) for v in r["revisions"]] == \
            [(2, "pull", True), (1, "pull", False)], r
        assert r["revisions"][0]["actor_id"] == org.editor_id
        # What changed is the compare route's answer for revisions 1 -> 2, named in the result.
        s, diff, _ = call(b, "GET", job["result"]["compare"], token=org.editor)
        assert s == 200, diff
        assert [i["part_number"] for i in diff["added"]] == ["BRG-6204"], diff
        assert [i["part_number"] for i in diff["removed"]] == ["GRS-1"], diff
        assert [(c["field"], c["before"], c["after"]) for c in diff["changed"]] == [("quantity", "2", "3")], diff
        # Refreshed again with nothing changed: no new revision.
        s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"bom_id": bom}, token=org.editor)
        job = wait_job(b, org.editor, r["job_id"])
        assert job["state"] == "done" and job["result"]["changed"] is False, job
        assert job["result"]["revision"] == 2 and "compare" not in job["result"], job
        assert job["result"]["changes"] == {"added": 0, "removed": 0, "changed": 0}, job
        s, r, _ = call(b, "GET", f"/api/v1/boms/{bom}/revisions", token=org.editor)
        assert [v["revision"] for v in r["revisions"]] == [2, 1], r

        # Shared with B: B sees it, and refreshes only through B's own connection.
        s, r, _ = call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": org.editor2_id, "access": "edit"},
                       token=org.editor)
        assert s == 201, r
        s, _, _ = call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor2)
        assert s == 200
        s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"bom_id": bom}, token=org.editor2)
        assert s == 409 and r["error"]["code"] == "connection_required", r
        assert "connect" in r["error"]["message"]
        s, r, _ = call(b, "PUT", f"/api/v1/sources/{src}/connection",
                       {"username": "bob", "password": BOB_PW}, token=org.editor2)
        assert s == 204, r
        s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"bom_id": bom}, token=org.editor2)
        job = wait_job(b, org.editor2, r["job_id"])
        assert job["state"] == "done" and job["result"]["changed"] is False, job
        assert job["result"]["revision"] == 2, job
        # Changed in Tryton once more: B's refresh, on B's login, is revision 3, made by B.
        tr.rpc("model.production.bom.write",
               [[remote], {"inputs": [["write", [shf_line], {"quantity": 5}]]}, {}])
        s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"bom_id": bom}, token=org.editor2)
        job = wait_job(b, org.editor2, r["job_id"])
        assert job["state"] == "done" and job["result"]["changed"] is True, job
        assert job["result"]["revision"] == 3, job
        assert job["result"]["changes"] == {"added": 0, "removed": 0, "changed": 1}, job
        s, r, _ = call(b, "GET", f"/api/v1/boms/{bom}/revisions", token=org.editor)
        assert [(v["revision"], v["actor_id"]) for v in r["revisions"]][0] == (3, org.editor2_id), r
        assert items_by_pn(b, org.editor, bom)["SHF-7"]["quantity"] == 5

        # B sends a BOM made in bomvault: it appears in Tryton with B's Tryton user as creator.
        made = make_bom(b, org.editor2, name="Pump", items=[
            {"ref": "1", "part_number": "PMP-1", "description": "Pump", "quantity": 1},
            {"ref": "2", "parent": "1", "part_number": "SHF-7", "description": "Shaft", "quantity": 2},
            {"ref": "3", "parent": "1", "part_number": "IMP-9", "description": "Impeller", "quantity": 1},
            {"ref": "4", "parent": "1", "part_number": "OIL-2", "description": "Oil", "quantity": 0.5,
             "unit": "kg"}])
        s, r, _ = call(b, "POST", f"/api/v1/boms/{made}/send", {"source_id": src}, token=org.editor2)
        assert s == 202, r
        job = wait_job(b, org.editor2, r["job_id"])
        assert job["state"] == "done", job
        remote_id = int(job["result"]["remote_id"])
        sent = tr.bom(remote_id)
        assert sent["name"] == "Pump"
        assert sent["create_uid"] == bob, sent
        assert sent["outputs"] == [("PMP-1", 1, "u")]
        assert sent["inputs"] == [("IMP-9", 1, "u"), ("OIL-2", 0.5, "kg"), ("SHF-7", 2, "u")], sent
        # Products were matched by code (SHF-7 is Tryton's own) or created by B.
        assert tr.product_id("SHF-7") == shf
        created = tr.rpc("model.product.product.read", [[tr.product_id("IMP-9")], ["create_uid"], {}])[0]
        assert created["create_uid"] == bob
        # Sent again after a change: the same production.bom is updated.
        s, r, _ = call(b, "PATCH", f"/api/v1/boms/{made}", {"items": [
            {"ref": "1", "part_number": "PMP-1", "description": "Pump", "quantity": 1},
            {"ref": "2", "parent": "1", "part_number": "SHF-7", "description": "Shaft", "quantity": 5}]},
            token=org.editor2)
        assert s == 200, r
        s, r, _ = call(b, "POST", f"/api/v1/boms/{made}/send", {"source_id": src}, token=org.editor2)
        job = wait_job(b, org.editor2, r["job_id"])
        assert job["state"] == "done" and int(job["result"]["remote_id"]) == remote_id, job
        assert tr.bom(remote_id)["inputs"] == [("SHF-7", 5, "u")]

        # Disconnecting deletes the connection: the next pull asks to connect again.
        s, _, _ = call(b, "DELETE", f"/api/v1/sources/{src}/connection", token=org.editor2)
        assert s == 204
        s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"bom_id": bom}, token=org.editor2)
        assert s == 409 and r["error"]["code"] == "connection_required"
        # Disabling a user deletes theirs.
        s, r, _ = call(b, "PATCH", f"/api/v1/users/{org.editor_id}", {"disabled": True}, token=org.admin)
        assert s == 200, r
        s, r, _ = call(b, "GET", f"/api/v1/audit?object=user:{org.editor_id}", token=org.admin)
        assert r["entries"][0]["change"].get("source_connections_deleted") == 1, r
        s, r, _ = call(b, "GET", f"/api/v1/audit?object=source:{src}", token=org.admin)
        actions = [e["action"] for e in r["entries"]]
        assert "source.connect" in actions and "source.disconnect" in actions and "source.create" in actions
        s, r, _ = call(b, "GET", f"/api/v1/audit?object=bom:{bom}", token=org.admin)
        actions = [e["action"] for e in r["entries"]]
        assert "bom.pull" in actions and "bom.refresh" in actions and "bom.revision" in actions, actions
    finally:
        srv.stop()
        st.cleanup()
        tr.stop()


def test_editors_and_viewers_never_see_connection_details_and_secrets_rest_nowhere():
    tr = Tryton(db="plantdb9x")
    st = Store()
    srv = Server(st)
    seen = []  # every answer an Editor or Viewer got

    def as_member(method, path, body=None, token=None):
        s, raw, h = call(srv.base, method, path, body, token=token, raw=True)
        seen.append(raw.decode("utf-8", "replace"))
        try:
            r = json.loads(raw) if raw else None
        except ValueError:
            r = raw
        return s, r, h

    try:
        b = srv.base
        org = Org(srv)
        tr.add_user("alice", ALICE_PW, "Alice")
        gbx = tr.product("GBX-100", "Gearbox")
        shf = tr.product("SHF-7", "Shaft")
        remote = tr.make_bom("Gearbox assembly", (gbx, 1, "u"), [(shf, 2, "u")])
        ca_dir = tempfile.mkdtemp()
        ca_pem = open(make_ca(ca_dir, "Planted Internal CA")[1]).read()
        src = tryton_source(b, org.admin, tr, name="ERP", rules={"skip_part_numbers": ["PLANTED-RULE-*"]},
                            proxy="", ca_pem=ca_pem)
        planted = [ALICE_PW, tr.base, f"127.0.0.1:{tr.port}", "plantdb9x", "PLANTED-RULE",
                   ca_pem.splitlines()[1]]
        # The Administrator sees the configuration (never anyone's credentials).
        s, r, _ = call(b, "GET", f"/api/v1/sources/{src}", token=org.admin)
        assert r["base_url"] == tr.base and r["database"] == "plantdb9x" and r["ca_pem"] == ca_pem
        assert ALICE_PW not in json.dumps(r)

        for tok in (org.editor, org.viewer):
            as_member("GET", "/api/v1/sources", token=tok)
            as_member("GET", f"/api/v1/sources/{src}", token=tok)
            as_member("PATCH", f"/api/v1/sources/{src}", {"name": "x"}, token=tok)
            as_member("DELETE", f"/api/v1/sources/{src}", token=tok)
            as_member("POST", "/api/v1/sources", {"name": "x", "kind": "tryton"}, token=tok)
        s, _, _ = as_member("PUT", f"/api/v1/sources/{src}/connection",
                            {"username": "alice", "password": ALICE_PW}, token=org.editor)
        assert s == 204
        s, r, _ = as_member("POST", f"/api/v1/sources/{src}/pull", {"remote_id": str(remote)}, token=org.editor)
        job = r["job_id"]
        wait_job(b, org.editor, job)
        s, r, _ = as_member("GET", f"/api/v1/jobs/{job}", token=org.editor)
        assert r["state"] == "done", r
        bom = r["result"]["bom_id"]
        for path in ("", "/items", "/export?format=csv", "/flat"):
            as_member("GET", f"/api/v1/boms/{bom}{path}", token=org.editor)
        as_member("GET", "/api/v1/boms", token=org.editor)
        as_member("GET", "/api/v1/me", token=org.editor)
        as_member("GET", "/api/v1/sources", token=org.editor)
        # The viewer connects too (a Viewer may send, not pull).
        s, r, _ = as_member("PUT", f"/api/v1/sources/{src}/connection",
                            {"username": "alice", "password": "Wrong-For-Viewer-1x"}, token=org.viewer)
        assert s == 422
        s, r, _ = as_member("POST", f"/api/v1/sources/{src}/pull", {"remote_id": "1"}, token=org.viewer)
        assert s == 403
        for text in seen:
            for p in planted:
                assert p not in text, (p, text[:300])

        # Not in any audit entry (the Administrator reads them all) nor the log, nor at rest.
        s, r, _ = call(b, "GET", "/api/v1/audit?limit=500", token=org.admin)
        audit = json.dumps(r)
        assert "source.connect" in audit
        assert ALICE_PW not in audit and tr.base not in audit
        srv.stop()
        log = srv.log() + "".join(open(f, errors="replace").read()
                                  for f in glob.glob(os.path.join(st.data, "logs", "*")))
        for p in planted:
            assert p not in log, p
        for root, _, files in os.walk(st.data):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    data = f.read()
                for p in (ALICE_PW, tr.base, "plantdb9x", "PLANTED-RULE"):
                    assert p.encode() not in data, (p, name)
    finally:
        srv.stop()
        st.cleanup()
        tr.stop()


def connect(base, token, src, password="Some-Password-42x"):
    return call(base, "PUT", f"/api/v1/sources/{src}/connection", {"username": "u", "password": password},
                token=token)


def test_source_at_the_cloud_metadata_address_is_refused(serve):
    srv = serve()
    org = Org(srv)
    for url, internal in (("http://169.254.169.254/", True), ("https://169.254.169.254/", False),
                          ("http://[fd00:ec2::254]/", True), ("http://100.100.100.200/", True),
                          ("http://[::ffff:169.254.169.254]/", True)):
        s, r, _ = call(srv.base, "POST", "/api/v1/sources",
                       {"name": "Meta", "kind": "tryton", "base_url": url, "database": "x",
                        "internal": internal}, token=org.admin)
        assert s == 422 and r["error"]["code"] == "source_address_refused", (url, s, r)
    s, r, _ = call(srv.base, "GET", "/api/v1/sources", token=org.admin)
    assert r["sources"] == []


def test_loopback_without_the_internal_mark_is_refused():
    fake = FakeSource()
    st = Store()
    srv = Server(st)
    try:
        org = Org(srv)
        b = srv.base
        s, r, _ = call(b, "POST", "/api/v1/sources", {"name": "Lo", "kind": "tryton",
                                                      "base_url": f"https://127.0.0.1:{fake.port}",
                                                      "database": "x"}, token=org.admin)
        assert s == 422 and r["error"]["code"] == "source_address_refused", r
        # A host name that resolves to loopback is refused when it is used.
        s, r, _ = call(b, "POST", "/api/v1/sources", {"name": "Lo", "kind": "tryton",
                                                      "base_url": f"https://localhost:{fake.port}",
                                                      "database": "x"}, token=org.admin)
        assert s == 201, r
        src = r["id"]
        s, r, _ = connect(b, org.editor, src)
        assert s == 422 and r["error"]["code"] == "source_address_refused", r
        assert fake.hits == 0
        # Marked internal (plain http is then allowed too), the same server is reached.
        s, r, _ = call(b, "PATCH", f"/api/v1/sources/{src}",
                       {"internal": True, "base_url": f"http://localhost:{fake.port}"}, token=org.admin)
        assert s == 200, r
        s, r, _ = connect(b, org.editor, src)
        assert s == 204, r
        assert fake.hits == 1
    finally:
        srv.stop()
        st.cleanup()
        fake.stop()


def test_redirect_to_another_host_is_refused():
    target = FakeSource(host="127.0.0.2")
    fake = FakeSource(redirect_to=f"{target.base}/x/")
    st = Store()
    srv = Server(st)
    try:
        org = Org(srv)
        s, r, _ = call(srv.base, "POST", "/api/v1/sources", {"name": "R", "kind": "tryton", "base_url": fake.base,
                                                             "database": "x", "internal": True}, token=org.admin)
        src = r["id"]
        s, r, _ = connect(srv.base, org.editor, src)
        assert s == 422 and r["error"]["code"] == "source_redirect_refused", r
        assert fake.hits == 1 and target.hits == 0
    finally:
        srv.stop()
        st.cleanup()
        fake.stop()
        target.stop()


def test_certificate_that_does_not_chain_to_the_configured_ca_is_refused():
    d = tempfile.mkdtemp()
    ca = make_ca(d, "Site CA")
    other = make_ca(d, "Other CA")
    fake = FakeSource(cert=make_server_cert(d, ca))
    st = Store()
    srv = Server(st)
    try:
        org = Org(srv)
        b = srv.base

        def source(pem):
            s, r, _ = call(b, "POST", "/api/v1/sources", {"name": "TLS", "kind": "tryton", "base_url": fake.base,
                                                          "database": "x", "internal": True,
                                                          **({"ca_pem": pem} if pem else {})}, token=org.admin)
            assert s == 201, r
            return r["id"]

        s, r, _ = connect(b, org.editor, source(open(other[1]).read()))
        assert s == 422 and r["error"]["code"] == "source_certificate_refused", r
        # Nor does the system store trust a private CA.
        s, r, _ = connect(b, org.editor, source(None))
        assert s == 422 and r["error"]["code"] == "source_certificate_refused", r
        assert fake.hits == 0
        # With the site's own CA the same server is reached.
        s, r, _ = connect(b, org.editor, source(open(ca[1]).read()))
        assert s == 204, r
        assert fake.hits == 1
    finally:
        srv.stop()
        st.cleanup()
        fake.stop()


def test_answer_over_the_size_limit_is_refused():
    sized = FakeSource(body_bytes=64 * 1024)
    chunked = FakeSource(body_bytes=64 * 1024, chunked=True)
    st = Store()
    srv = Server(st)
    try:
        org = Org(srv)
        for fake in (sized, chunked):
            s, r, _ = call(srv.base, "POST", "/api/v1/sources", {"name": "Big", "kind": "tryton",
                                                                 "base_url": fake.base, "database": "x",
                                                                 "internal": True, "max_response_bytes": 16384},
                           token=org.admin)
            assert s == 201, r
            s, r, _ = connect(srv.base, org.editor, r["id"])
            assert s == 422 and r["error"]["code"] == "source_response_too_large", r
            assert fake.hits == 1
    finally:
        srv.stop()
        st.cleanup()
        sized.stop()
        chunked.stop()


def test_source_configuration_is_validated(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    good = {"name": "ERP", "kind": "tryton", "base_url": "https://erp.example", "database": "prod"}
    for bad, code in (({"base_url": "ftp://erp.example"}, "invalid_base_url"),
                      ({"base_url": "https://user:pw@erp.example"}, "invalid_base_url"),
                      ({"base_url": "http://erp.example"}, "plain_http_refused"),
                      ({"database": "a/b"}, "invalid_field"),
                      ({"name": ""}, "invalid_field"),
                      ({"kind": "ftp"}, "unsupported_kind"),
                      ({"kind": "folder"}, "invalid_field"),  # a folder has no base_url
                      ({"ca_pem": "not a pem"}, "invalid_field"),
                      ({"proxy": "http://u:p@proxy"}, "invalid_field"),
                      ({"max_response_bytes": 1}, "invalid_field"),
                      ({"name": 5}, "invalid_field"),
                      ({"internal": "yes"}, "invalid_field"),
                      ({"timeout_seconds": 1.5}, "invalid_field"),
                      ({"rules": []}, "invalid_field"),
                      ({"rules": {"units": {"pcs": 1}}}, "invalid_field"),
                      ({"secret_sauce": 1}, "unknown_field")):
        s, r, _ = call(b, "POST", "/api/v1/sources", {**good, **bad}, token=org.admin)
        assert s == 400 and r["error"]["code"] == code, (bad, s, r)
    # Anyone but an Administrator is refused before the body's members are read.
    for token in (org.editor, org.viewer):
        for body in ({"name": 5}, {"secret_sauce": 1}, {"rules": []}):
            s, r, _ = call(b, "POST", "/api/v1/sources", body, token=token)
            assert s == 403, (body, s, r)
    s, r, _ = call(b, "POST", "/api/v1/sources", good, token=org.admin)
    assert s == 201
    src = r["id"]
    s, r, _ = call(b, "PATCH", f"/api/v1/sources/{src}", {"kind": "folder"}, token=org.admin)
    assert s == 400 and r["error"]["code"] == "kind_fixed"
    s, r, _ = call(b, "PATCH", f"/api/v1/sources/{src}", {"proxy": []}, token=org.admin)
    assert s == 400 and r["error"]["code"] == "invalid_field", r
    s, r, _ = call(b, "PATCH", f"/api/v1/sources/{src}", {"proxy": []}, token=org.viewer)
    assert s == 403, r
    # A connection body whose members are not text, or are not the kind's.
    s, r, _ = call(b, "PUT", f"/api/v1/sources/{src}/connection",
                   {"username": "u", "password": 5}, token=org.editor)
    assert s == 400 and r["error"]["code"] == "invalid_credentials", r
    s, r, _ = call(b, "PUT", f"/api/v1/sources/{src}/connection",
                   {"username": "u", "password": "p", "otp": "1"}, token=org.editor)
    assert s == 400 and r["error"]["code"] == "invalid_credentials", r
    s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"remote_id": "x1"}, token=org.admin)
    assert s in (400, 409), r
    s, _, _ = call(b, "DELETE", f"/api/v1/sources/{src}", token=org.admin)
    assert s == 204
    s, _, _ = call(b, "GET", f"/api/v1/sources/{src}", token=org.admin)
    assert s == 404


def closed_port():
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_silent_or_busy_source_is_a_4xx_and_its_job_fails_with_that_code():
    # A source that cannot be reached is not a fault of bomvault: 424 Failed Dependency, never 5xx.
    silent = FakeSource(slow_marker="production.bom.search")
    busy = FakeSource(status=429)
    going = FakeSource()
    st = Store()
    srv = Server(st)
    try:
        org = Org(srv)
        b = srv.base

        def source(base, **extra):
            s, r, _ = call(b, "POST", "/api/v1/sources", {"name": "S", "kind": "tryton", "base_url": base,
                                                          "database": "x", "internal": True, **extra},
                           token=org.admin)
            assert s == 201, r
            return r["id"]

        # Connecting checks the login at the source, on the request: the refusal is the answer.
        s, r, _ = connect(b, org.editor, source(f"http://127.0.0.1:{closed_port()}"))
        assert s == 424 and r["error"]["code"] == "source_unreachable", (s, r)
        s, r, _ = connect(b, org.editor, source(busy.base))
        assert s == 424 and r["error"]["code"] == "source_busy", (s, r)
        assert busy.hits == 1
        s, r, _ = connect(b, org.editor, source(f"http://unresolvable-{closed_port()}.invalid"))
        assert s == 424 and r["error"]["code"] == "source_unreachable", (s, r)
        s, r, _ = call(b, "GET", "/api/v1/sources", token=org.editor)
        assert not any(x["connected"] for x in r["sources"]), r

        # In a job: the job ends failed with the same code.
        slow = source(silent.base, timeout_seconds=1)
        assert connect(b, org.editor, slow)[0] == 204
        s, r, _ = call(b, "POST", f"/api/v1/sources/{slow}/pull", {"remote_id": "7"}, token=org.editor)
        assert s == 202, r
        done = wait_job(b, org.editor, r["job_id"], timeout=30)
        assert done["state"] == "failed" and done["error"]["code"] == "source_timeout", done
        gone = source(going.base)
        assert connect(b, org.editor, gone)[0] == 204
        going.stop()
        s, r, _ = call(b, "POST", f"/api/v1/sources/{gone}/pull", {"remote_id": "7"}, token=org.editor)
        assert s == 202, r
        done = wait_job(b, org.editor, r["job_id"], timeout=30)
        assert done["state"] == "failed" and done["error"]["code"] == "source_unreachable", done
        s, r, _ = call(b, "GET", "/api/v1/boms", token=org.editor)
        assert r["boms"] == [], r
    finally:
        srv.stop()
        st.cleanup()
        silent.stop()
        busy.stop()


def test_a_queued_or_running_job_can_be_cancelled_by_its_owner_only():
    fake = FakeSource(slow_marker="production.bom.search")
    st = Store()
    srv = Server(st)
    try:
        org = Org(srv)
        b = srv.base
        s, r, _ = call(b, "POST", "/api/v1/sources", {"name": "Slow", "kind": "tryton", "base_url": fake.base,
                                                      "database": "x", "internal": True}, token=org.admin)
        src = r["id"]
        assert connect(b, org.editor, src)[0] == 204
        s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"remote_id": "7"}, token=org.editor)
        assert s == 202
        job = r["job_id"]
        assert call(b, "DELETE", f"/api/v1/jobs/{job}", token=org.editor2)[0] == 404
        assert call(b, "DELETE", f"/api/v1/jobs/{job}", token=org.admin)[0] == 404
        s, r, _ = call(b, "DELETE", f"/api/v1/jobs/{job}", token=org.editor)
        assert s == 204, r
        done = wait_job(b, org.editor, job, timeout=20)
        assert done["state"] == "failed" and done["error"]["code"] == "cancelled", done
    finally:
        srv.stop()
        st.cleanup()
        fake.stop()
