"""Folder sources: the directory a PDM or PLM export job drops files in, on an air-gapped site.

The dropped files are real exports from tests/corpus (tests/corpus/SOURCES.md says where each
came from). The server runs with `--source-dir DROP`; an organisation's folder sources read
DROP/<org id>/<path> only.
"""
import json
import os
import shutil
import tempfile
import time

from harness import Org, Server, Store, call
from test_sources import wait_job

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")
OLIMEX = os.path.join(CORPUS, "kicad", "esp32-poe_pcbnew_bom.csv")  # 81 items
GLASGOW = os.path.join(CORPUS, "kicad", "glasgow-revC3_bom2grouped.csv")


def folder_source(base, admin, path="plm/released", **extra):
    s, r, _ = call(base, "POST", "/api/v1/sources", {"name": "PDM drop", "kind": "folder", "path": path, **extra},
                   token=admin)
    return s, r


def files(base, token, src):
    s, r, _ = call(base, "GET", f"/api/v1/sources/{src}/files", token=token)
    assert s == 200, r
    return {f["name"]: f for f in r["files"]}


def test_folder_pull_of_a_dropped_export_and_refresh_as_a_revision():
    drop = tempfile.mkdtemp(prefix="bv-drop-")
    st = Store()
    srv = Server(st, extra=["--source-dir", drop])
    try:
        b = srv.base
        org = Org(srv)
        folder = os.path.join(drop, org.id, "plm", "released")
        # Not there yet: the Administrator is told, nothing is stored.
        s, r = folder_source(b, org.admin)
        assert s == 422 and r["error"]["code"] == "source_folder_missing", r
        assert drop not in json.dumps(r) and org.id not in r["error"]["message"]
        os.makedirs(folder)
        s, r = folder_source(b, org.admin, profile="kicad-pcbnew")
        assert s == 201, r
        src = r["id"]
        # Only Administrators create them; members see id, name, kind, and need no connection.
        s, r = folder_source(b, org.editor)
        assert s == 403, r
        s, r, _ = call(b, "GET", f"/api/v1/sources/{src}", token=org.editor)
        assert r == {"id": src, "name": "PDM drop", "kind": "folder", "connected": True}, r
        s, r, _ = call(b, "GET", f"/api/v1/sources/{src}", token=org.admin)
        assert r["path"] == "plm/released" and r["profile"] == "kicad-pcbnew" and "base_url" not in r, r
        s, r, _ = call(b, "PUT", f"/api/v1/sources/{src}/connection", {"username": "u", "password": "p"},
                       token=org.editor)
        assert s == 400 and r["error"]["code"] == "no_connection_needed", r

        # The export job drops a file (and leaves a half-written one and a hidden one).
        shutil.copy(OLIMEX, os.path.join(folder, "ESP32-PoE_Rev_M_BOM.csv"))
        shutil.copy(GLASGOW, os.path.join(folder, "glasgow.csv.part"))
        shutil.copy(GLASGOW, os.path.join(folder, ".glasgow.csv"))
        listed = files(b, org.editor, src)
        assert list(listed) == ["ESP32-PoE_Rev_M_BOM.csv"], listed
        f = listed["ESP32-PoE_Rev_M_BOM.csv"]
        assert f["state"] == "new" and f["size"] == os.path.getsize(OLIMEX), f
        s, r, _ = call(b, "GET", f"/api/v1/sources/{src}/files", token=org.viewer)
        assert s == 403, r

        # An Editor pulls it: the importer reads it with the source's profile.
        s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"remote_id": "ESP32-PoE_Rev_M_BOM.csv"},
                       token=org.editor)
        assert s == 202, r
        job = wait_job(b, org.editor, r["job_id"])
        assert job["state"] == "done", job
        res = job["result"]
        assert res["revision"] == 1 and res["items"] == 81 and res["profile"] == "kicad-pcbnew", res
        import hashlib
        assert res["sha256"] == hashlib.sha256(open(OLIMEX, "rb").read()).hexdigest()
        bom = res["bom_id"]
        s, summary, _ = call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor)
        assert summary["name"] == "ESP32-PoE_Rev_M_BOM", summary
        assert summary["metadata"]["source_ref"] == {"source_id": src, "remote_id": "ESP32-PoE_Rev_M_BOM.csv"}
        # The same file through POST /boms/import gives the same items.
        s, imp, _ = call(b, "POST", "/api/v1/boms/import?name=direct&profile=kicad-pcbnew",
                         open(OLIMEX, "rb").read(), token=org.editor, ctype="text/csv")
        assert s == 201 and imp["items"] == 81, imp
        s, diff, _ = call(b, "GET", f"/api/v1/boms/{bom}/compare/{imp['id']}", token=org.editor)
        assert diff == {"added": [], "removed": [], "changed": []}, diff
        assert files(b, org.editor, src)["ESP32-PoE_Rev_M_BOM.csv"]["state"] == "pulled"

        # Touched but not changed: still as pulled (the SHA-256 decides), and a refresh makes no
        # revision.
        later = time.time() + 5
        os.utime(os.path.join(folder, "ESP32-PoE_Rev_M_BOM.csv"), (later, later))
        assert files(b, org.editor, src)["ESP32-PoE_Rev_M_BOM.csv"]["state"] == "pulled"
        s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"bom_id": bom}, token=org.editor)
        job = wait_job(b, org.editor, r["job_id"])
        assert job["state"] == "done" and job["result"]["changed"] is False, job
        assert job["result"]["revision"] == 1, job

        # The next export of the design drops one line: the refresh is revision 2.
        lines = open(OLIMEX, "rb").read().split(b"\n")
        gone = lines[3]  # 3;"D2";"SOT23-3";1;"BAT54C(SOT23-3)";;;
        assert b'"D2"' in gone
        with open(os.path.join(folder, "ESP32-PoE_Rev_M_BOM.csv"), "wb") as out:
            out.write(b"\n".join(lines[:3] + lines[4:]))
        assert files(b, org.editor, src)["ESP32-PoE_Rev_M_BOM.csv"]["state"] == "changed"
        s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"bom_id": bom}, token=org.editor)
        job = wait_job(b, org.editor, r["job_id"])
        assert job["state"] == "done", job
        res = job["result"]
        assert res["changed"] is True and res["revision"] == 2 and res["previous_revision"] == 1, res
        assert res["changes"] == {"added": 0, "removed": 1, "changed": 0}, res
        s, diff, _ = call(b, "GET", res["compare"], token=org.editor)
        assert [i.get("refdes") for i in diff["removed"]] == ["D2"], diff
        s, r, _ = call(b, "GET", f"/api/v1/boms/{bom}/revisions", token=org.editor)
        assert [(v["revision"], v["via"], v["source"], v["profile"]) for v in r["revisions"]] == \
            [(2, "pull", "ESP32-PoE_Rev_M_BOM.csv", "kicad-pcbnew"),
             (1, "pull", "ESP32-PoE_Rev_M_BOM.csv", "kicad-pcbnew")], r
        assert files(b, org.editor, src)["ESP32-PoE_Rev_M_BOM.csv"]["state"] == "pulled"

        # The file is gone: the refresh fails with a clear code, the BOM stays as it was.
        os.remove(os.path.join(folder, "ESP32-PoE_Rev_M_BOM.csv"))
        s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"bom_id": bom}, token=org.editor)
        job = wait_job(b, org.editor, r["job_id"])
        assert job["state"] == "failed" and job["error"]["code"] == "source_file_not_found", job
        # Nothing is sent to a folder.
        s, r, _ = call(b, "POST", f"/api/v1/boms/{bom}/send", {"source_id": src}, token=org.editor)
        assert s == 422 and r["error"]["code"] == "send_unsupported", r
        # Members never learn where the folder is.
        s, r, _ = call(b, "GET", "/api/v1/sources", token=org.viewer)
        assert "plm/released" not in json.dumps(r) and drop not in json.dumps(r)
        s, r, _ = call(b, "GET", f"/api/v1/audit?object=bom:{bom}", token=org.admin)
        actions = [e["action"] for e in r["entries"]]
        assert "bom.pull" in actions and "bom.refresh" in actions and "bom.revision" in actions, actions
    finally:
        srv.stop()
        st.cleanup()
        shutil.rmtree(drop, ignore_errors=True)


def test_folder_sources_stay_inside_their_org_directory_and_refuse_links():
    drop = tempfile.mkdtemp(prefix="bv-drop-")
    outside = tempfile.mkdtemp(prefix="bv-outside-")
    st = Store()
    srv = Server(st, extra=["--source-dir", drop])
    try:
        b = srv.base
        a = Org(srv, "Org A", "a.example")
        other = Org(srv, "Org B", "b.example")
        os.makedirs(os.path.join(drop, a.id, "exports"))
        shutil.copy(OLIMEX, os.path.join(drop, a.id, "exports", "a.csv"))
        shutil.copy(OLIMEX, os.path.join(outside, "secret.csv"))
        # Paths are relative and plain: no escape by "..", no absolute path.
        for bad in ("../" + a.id + "/exports", "/etc", "exports/../..", ".hidden", "a//b", "", "a\\b"):
            s, r = folder_source(b, other.admin, path=bad)
            assert s == 400 and r["error"]["code"] == "invalid_field", (bad, s, r)
        # Org B's "exports" is DROP/<org B>/exports, which does not exist: A's files stay A's.
        s, r = folder_source(b, other.admin, path="exports")
        assert s == 422 and r["error"]["code"] == "source_folder_missing", r
        # A symbolic link anywhere below the root is refused, to a directory or to a file.
        os.symlink(outside, os.path.join(drop, a.id, "linked"))
        s, r = folder_source(b, a.admin, path="linked")
        assert s == 422 and r["error"]["code"] == "source_folder_refused", r
        s, r = folder_source(b, a.admin, path="exports")
        assert s == 201, r
        src = r["id"]
        os.symlink(os.path.join(outside, "secret.csv"), os.path.join(drop, a.id, "exports", "link.csv"))
        os.link(os.path.join(outside, "secret.csv"), os.path.join(drop, a.id, "exports", "hard.csv"))
        assert list(files(b, a.editor, src)) == ["a.csv"]
        for name in ("link.csv", "hard.csv"):
            s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"remote_id": name}, token=a.editor)
            assert s == 202, r
            job = wait_job(b, a.editor, r["job_id"])
            assert job["state"] == "failed" and job["error"]["code"] == "source_file_refused", (name, job)
        for name in ("../a.csv", "x/a.csv", ".a.csv"):
            s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"remote_id": name}, token=a.editor)
            assert s == 400 and r["error"]["code"] == "invalid_remote_id", (name, r)
        s, r, _ = call(b, "GET", "/api/v1/boms", token=a.editor)
        assert r["boms"] == [], r
        # Another org's Administrator cannot see or use A's folder source.
        s, r, _ = call(b, "GET", f"/api/v1/sources/{src}/files", token=other.admin)
        assert s == 404, r
        s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"remote_id": "a.csv"}, token=other.admin)
        assert s == 404, r
        # Pointing a source somewhere else is checked the same way.
        s, r, _ = call(b, "PATCH", f"/api/v1/sources/{src}", {"path": "linked"}, token=a.admin)
        assert s == 422 and r["error"]["code"] == "source_folder_refused", r
        s, r, _ = call(b, "PATCH", f"/api/v1/sources/{src}", {"base_url": "https://erp.example"}, token=a.admin)
        assert s == 400 and r["error"]["code"] == "invalid_field", r
    finally:
        srv.stop()
        st.cleanup()
        shutil.rmtree(drop, ignore_errors=True)
        shutil.rmtree(outside, ignore_errors=True)


def test_folder_sources_are_refused_without_a_drop_root(serve):
    srv = serve()
    org = Org(srv)
    s, r = folder_source(srv.base, org.admin)
    assert s == 422 and r["error"]["code"] == "folder_sources_off", r
    s, r, _ = call(srv.base, "GET", "/api/v1/sources", token=org.admin)
    assert r["sources"] == []
