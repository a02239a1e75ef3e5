"""BOMs on the real binary: import/export round trips, views, sharing, transfer, audit."""
import csv
import io
import random

import subprocess

from harness import BIN, Org, Server, Store, attach, call, is_error, make_bom, pdf_bytes


def gen_csv(n, seed=7):
    rnd = random.Random(seed)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["level", "part_number", "description", "quantity", "unit", "material", "supplier"])
    level = 0
    for i in range(n):
        if i == 0:
            level = 0
        else:
            level = max(1, min(level + rnd.choice([-1, 0, 0, 1]), 5))
        desc = rnd.choice(["Bracket, steel", 'Cable "A", 2m', "=SUM(A1)", "Nut; M4", "Ünïcode ✓", "-dash", "@at", "line\nbreak"])
        w.writerow([level, f"PN-{i % 3000:05d}", desc, rnd.choice(["1", "2", "0.5", "12.25", "100"]),
                    rnd.choice(["ea", "m", "kg", ""]), rnd.choice(["A2", "", "PA66"]), f"S{i % 17}"])
    return out.getvalue().encode()


def test_ten_thousand_items_survive_import_export_import(serve):
    srv = serve(extra=["--rate-limit", "0"])
    org = Org(srv)
    b = srv.base
    body = gen_csv(10000)
    s, r, _ = call(b, "POST", "/api/v1/boms/import?name=Big", body, token=org.editor, ctype="text/csv")
    assert s == 201 and r["items"] == 10000, r
    first = r["id"]
    s, items1, _ = call(b, "GET", f"/api/v1/boms/{first}/items", token=org.editor)
    assert s == 200 and len(items1["items"]) == 10000
    s, exported, h = call(b, "GET", f"/api/v1/boms/{first}/export?format=csv", token=org.editor, raw=True)
    assert s == 200 and h["Content-Type"].startswith("text/csv")
    # Formula injection neutralised in the export.
    assert b"\n=SUM" not in exported and b",=SUM" not in exported and b"'=SUM" in exported
    s, r, _ = call(b, "POST", "/api/v1/boms/import?name=Again", exported, token=org.editor, ctype="text/csv")
    assert s == 201 and r["items"] == 10000, r
    s, items2, _ = call(b, "GET", f"/api/v1/boms/{r['id']}/items", token=org.editor)
    assert items1["items"] == items2["items"]
    s, exported2, _ = call(b, "GET", f"/api/v1/boms/{r['id']}/export?format=csv", token=org.editor, raw=True)
    assert exported2 == exported
    # JSON export round trips through the JSON create route too.
    s, j, _ = call(b, "GET", f"/api/v1/boms/{first}/export?format=json", token=org.editor)
    s, r, _ = call(b, "POST", "/api/v1/boms", {"name": "From JSON", "items": j["items"]}, token=org.editor)
    assert s == 201 and r["items"] == 10000
    s, items3, _ = call(b, "GET", f"/api/v1/boms/{r['id']}/items", token=org.editor)
    assert items3["items"] == items1["items"]


def test_bad_imports_are_refused_precisely_and_store_nothing(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    cases = [
        (b"level,part_number,quantity\n0,A,1\n2,B,1\n", 400, "line 3"),          # level jump
        (b"ref,parent,part_number,quantity\n1,,A,1\n2,9,B,1\n", 422, "9"),       # dangling parent
        (b"ref,parent,part_number,quantity\n1,2,A,1\n2,1,B,1\n", 422, None),     # cycle
        (b"ref,parent,part_number,quantity\n1,,A,1\n1,,B,1\n", 422, None),       # duplicate ref
        (b"level,part_number,quantity\n0,A,-1\n", 400, "line 2"),                # negative qty
        (b"level,part_number,quantity\n0,A,abc\n", 400, "line 2"),
        (b"1,2,3\n4,5,6\n", 400, "header"),                                        # no header row
        (b"level,part_number,quantity\n0,\"A,1\n", 400, None),                    # unclosed quote
        (b"\xef\xbb\xbflevel,part_number,quantity\n0,\xff\xfe,1\n", 400, None),   # marked UTF-8, isn't
    ]
    for body, status, needle in cases:
        s, r, _ = call(b, "POST", "/api/v1/boms/import?name=Bad", body, token=org.editor, ctype="text/csv")
        assert s == status and is_error(r), (body, s, r)
        if needle:
            assert needle in r["error"]["message"], (body, r)
    s, r, _ = call(b, "GET", "/api/v1/boms", token=org.editor)
    assert r["boms"] == []
    s, r, _ = call(b, "POST", "/api/v1/boms/import?name=Bad", b"level,part_number,quantity\n0,A,1\n2,B,x\n9,C,1\n",
                   token=org.editor, ctype="text/csv")
    assert len(r["error"]["details"]) >= 2 and r["error"]["details"][0]["line"] == 3
    # Semicolons, a UTF-8 BOM and CRLF line ends, as spreadsheets export them.
    body = "\ufefflevel;part_number;description;qty\r\n0;TOP;\"Top; assembly\";1\r\n1;SUB;Sub;2,5\r\n".encode()
    s, r, _ = call(b, "POST", "/api/v1/boms/import?name=Semi", body, token=org.editor, ctype="text/csv")
    assert s in (201, 400), r


def test_views_flat_where_used_compare_and_search(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    a = make_bom(b, org.editor, "Gearbox A")
    items_b = [
        {"ref": "1", "part_number": "GBX-100", "description": "Gearbox", "quantity": 1},
        {"ref": "2", "parent": "1", "part_number": "SHF-7", "description": "Shaft", "quantity": 3, "unit": "ea"},
        {"ref": "3", "parent": "2", "part_number": "BRG-6204", "description": "Bearing", "quantity": 2,
         "properties": {"supplier": "NSK"}},
        {"ref": "4", "parent": "1", "part_number": "SCR-M4", "description": "Screw", "quantity": 8},
    ]
    bb = make_bom(b, org.editor, "Gearbox B", items_b)
    s, flat, _ = call(b, "GET", f"/api/v1/boms/{bb}/flat", token=org.editor)
    totals = {r["part_number"]: r["total_quantity"] for r in flat["rows"]}
    assert totals["BRG-6204"] == 6 and totals["SHF-7"] == 3 and totals["SCR-M4"] == 8
    s, cmp, _ = call(b, "GET", f"/api/v1/boms/{a}/compare/{bb}", token=org.editor)
    assert [i["part_number"] for i in cmp["added"]] == ["SCR-M4"] and cmp["removed"] == []
    fields = {(c["field"], c["before"], c["after"]) for c in cmp["changed"]}
    assert ("quantity", "2", "3") in fields and ("properties.supplier", "SKF", "NSK") in fields
    s, wu, _ = call(b, "GET", "/api/v1/where-used?part_number=SCR-M4", token=org.editor)
    assert [x["id"] for x in wu["boms"]] == [bb]
    s, wu, _ = call(b, "GET", "/api/v1/where-used?part_number=SCR-M4", token=org.viewer)
    assert wu["boms"] == []  # not shared with the viewer
    s, found, _ = call(b, "GET", "/api/v1/boms?q=gearbox%20b", token=org.editor)
    assert [x["id"] for x in found["boms"]] == [bb]
    s, found, _ = call(b, "GET", "/api/v1/boms?part_number=BRG-6204", token=org.editor)
    assert sorted(x["id"] for x in found["boms"]) == sorted([a, bb])


def test_share_revoke_transfer_and_audit_trail(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    bom = make_bom(b, org.editor)
    assert call(b, "GET", f"/api/v1/boms/{bom}", token=org.viewer)[0] == 404
    assert call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": org.viewer_id, "access": "view"}, token=org.editor)[0] == 201
    assert call(b, "GET", f"/api/v1/boms/{bom}/items", token=org.viewer)[0] == 200
    assert call(b, "PATCH", f"/api/v1/boms/{bom}", {"name": "x"}, token=org.viewer)[0] == 403
    s, shares, _ = call(b, "GET", f"/api/v1/boms/{bom}/shares", token=org.editor)
    assert shares["shares"][0]["user_id"] == org.viewer_id
    # Sharing off for the org: the share stops working at once, and new shares are refused.
    assert call(b, "PATCH", "/api/v1/org/settings", {"sharing_enabled": False}, token=org.admin)[0] == 200
    assert call(b, "GET", f"/api/v1/boms/{bom}", token=org.viewer)[0] == 404
    s, r, _ = call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": org.editor2_id, "access": "view"}, token=org.editor)
    assert s == 403 and is_error(r, "sharing_not_allowed")
    assert call(b, "PATCH", "/api/v1/org/settings", {"sharing_enabled": True}, token=org.admin)[0] == 200
    assert call(b, "GET", f"/api/v1/boms/{bom}", token=org.viewer)[0] == 200
    assert call(b, "DELETE", f"/api/v1/boms/{bom}/shares/{org.viewer_id}", token=org.editor)[0] == 204
    assert call(b, "GET", f"/api/v1/boms/{bom}", token=org.viewer)[0] == 404  # next request
    # Transfer: the new owner has it, the previous owner loses it.
    s, r, _ = call(b, "POST", f"/api/v1/boms/{bom}/transfer", {"user_id": org.viewer_id}, token=org.editor)
    assert s == 200 and r["owner_id"] == org.viewer_id
    assert call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor)[0] == 404
    s, r, _ = call(b, "GET", f"/api/v1/boms/{bom}", token=org.viewer)
    assert s == 200 and r["owner_id"] == org.viewer_id and r["my_access"] == "owner"
    # A Viewer may transfer what it owns, not edit it.
    assert call(b, "PATCH", f"/api/v1/boms/{bom}", {"name": "y"}, token=org.viewer)[0] == 403
    assert call(b, "POST", f"/api/v1/boms/{bom}/transfer", {"user_id": org.editor_id}, token=org.viewer)[0] == 200
    # Another org's user is invisible as a share target.
    other = Org(srv, "Other", "other.example")
    s, r, _ = call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": other.editor_id, "access": "view"}, token=org.editor)
    assert s == 404
    s, r, _ = call(b, "GET", f"/api/v1/audit?object=bom:{bom}", token=org.admin)
    actions = [e["action"] for e in r["entries"]]
    assert actions[:3] == ["bom.transfer", "bom.transfer", "bom.unshare"] and actions[-1] == "bom.create"
    assert all({"at", "actor_id", "action", "change"} <= set(e) for e in r["entries"])
    assert r["entries"][0]["change"]["owner_id"] == {"before": org.viewer_id, "after": org.editor_id}
    # Other org's admin sees nothing of it.
    s, r, _ = call(b, "GET", f"/api/v1/audit?object=bom:{bom}", token=other.admin)
    assert s == 200 and r["entries"] == []


def test_audit_keeps_exactly_the_configured_depth_under_concurrent_edits(serve):
    import threading
    srv = serve(extra=["--rate-limit", "0"])
    org = Org(srv)
    b = srv.base
    assert call(b, "PATCH", "/api/v1/org/settings", {"audit_depth": 7}, token=org.admin)[0] == 200
    bom = make_bom(b, org.editor)
    assert call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": org.editor2_id, "access": "edit"}, token=org.editor)[0] == 201

    def edit(tok, tag):
        for i in range(15):
            assert call(b, "PATCH", f"/api/v1/boms/{bom}", {"name": f"{tag}-{i}"}, token=tok)[0] == 200
    ts = [threading.Thread(target=edit, args=(t, n)) for t, n in [(org.editor, "a"), (org.editor2, "b"), (org.admin, "c")]]
    [t.start() for t in ts]
    [t.join() for t in ts]
    s, r, _ = call(b, "GET", f"/api/v1/audit?object=bom:{bom}", token=org.admin)
    assert len(r["entries"]) == 7, len(r["entries"])
    assert all(e["action"] == "bom.update" for e in r["entries"])


def test_delete_is_final_and_org_deletion_removes_everything():
    st = Store()
    srv = Server(st)
    try:
        org = Org(srv)
        b = srv.base
        bom = make_bom(b, org.editor)
        assert call(b, "DELETE", f"/api/v1/boms/{bom}", token=org.editor)[0] == 204
        assert call(b, "GET", f"/api/v1/boms/{bom}", token=org.admin)[0] == 404
        bom2 = make_bom(b, org.editor)
        assert attach(b, org.editor, bom2, pdf_bytes())[0] == 201
        assert call(b, "DELETE", f"/api/v1/orgs/{org.id}", token=st.operator)[0] == 204
        # Every token of the org's users is dead, and the org is gone from the list.
        assert call(b, "GET", "/api/v1/boms", token=org.editor)[0] == 401
        s, r, _ = call(b, "GET", "/api/v1/orgs", token=st.operator)
        assert org.id not in [o["id"] for o in r["orgs"]]
        assert bom2
    finally:
        srv.stop()
    try:
        # Nothing of the org is left: no BOM, no item, no attachment.
        r = subprocess.run([BIN, "check", "--data", st.data, "--unseal-file", st.share_file],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        for line in ("boms: 0", "items: 0", "attachments: 0"):
            assert line in r.stdout, r.stdout
    finally:
        st.cleanup()


def test_json_bodies_keep_exact_quantities_and_patch_source_keeps_metadata(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    body = ('{"name": "Exact", "metadata": {"plm": "Teamcenter", "rev": "C"}, "source": "PLM-1", "items": ['
            '{"ref": 1, "part_number": "A", "quantity": 1e-3},'
            '{"ref": 2, "parent": 1, "part_number": "B", "quantity": 0.1},'
            '{"ref": 3, "parent": 1, "part_number": "C", "quantity": 2.50E+1}]}').encode()
    s, r, _ = call(b, "POST", "/api/v1/boms", body, token=org.editor)
    assert s == 201, r
    bom = r["id"]
    s, items, _ = call(b, "GET", f"/api/v1/boms/{bom}/export?format=csv", token=org.editor, raw=True)
    rows = items.decode().splitlines()
    assert [line.split(",")[6] for line in rows[1:]] == ["0.001", "0.1", "25"], rows
    # A quantity that binary floating point would round is refused, not rounded.
    s, r, _ = call(b, "POST", "/api/v1/boms", b'{"name": "Rounded", "items": [{"ref": "1", '
                   b'"part_number": "A", "quantity": 0.1000000000000000055511151231257827}]}', token=org.editor)
    assert s == 400 and is_error(r, "bom_bad_quantity"), r
    # PATCH with only "source" changes that key and keeps the rest of the metadata.
    s, r, _ = call(b, "PATCH", f"/api/v1/boms/{bom}", {"source": "PLM-2"}, token=org.editor)
    assert s == 200 and r["metadata"] == {"plm": "Teamcenter", "rev": "C", "source": "PLM-2"}, r
    # PATCH with "metadata" replaces it whole.
    s, r, _ = call(b, "PATCH", f"/api/v1/boms/{bom}", {"metadata": {"rev": "D"}}, token=org.editor)
    assert s == 200 and r["metadata"] == {"rev": "D"}, r
    # Malformed and hostile bodies: clear 4xx, nothing changed.
    for bad, code in ((b'{"name": "x", "items": [', "invalid_json"), (b"[1,2]", "invalid_json"),
                      (b'{"name": "x", "items": ' + b"[" * 100 + b"]" * 100 + b"}", "invalid_json"),
                      (b'{"name": 5, "items": []}', "invalid_field"),
                      (b'{"name": "x", "items": {"a": 1}}', "missing_field"),
                      (b'{"name": "x", "items": [{"ref": "1", "part_number": "A"}]}', "invalid_item")):
        s, r, _ = call(b, "POST", "/api/v1/boms", bad, token=org.editor)
        assert s == 400 and is_error(r, code), (bad[:40], s, r)
    s, listed, _ = call(b, "GET", "/api/v1/boms", token=org.editor)
    assert [x["name"] for x in listed["boms"]] == ["Exact"]


def test_concurrent_large_imports_queue_for_the_heavy_slots_and_all_land(serve):
    """Bodies over 4 MiB take one of two process-wide slots; the rest wait their turn."""
    import threading
    srv = serve(extra=["--rate-limit", "0"])
    org = Org(srv).ensure("editor")  # signed in before the threads start
    b = srv.base
    body = gen_csv(140_000)  # ~4.8 MB: a heavy body
    assert len(body) > 4 * 1024 * 1024
    results = []

    def one(i):
        results.append(call(b, "POST", f"/api/v1/boms/import?name=Big{i}", body, token=org.editor,
                            ctype="text/csv", timeout=120)[:2])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(s for s, _ in results) == [201] * 5, [(s, r) for s, r in results if s != 201]
    assert all(r["items"] == 140_000 for _, r in results)
    # Two at a time, not five: the peak stays near two imports' worth (~90 MB each).
    with open(f"/proc/{srv.proc.pid}/status") as f:
        hwm_mb = int(next(line for line in f if line.startswith("VmHWM")).split()[1]) // 1024
    assert hwm_mb < 300, hwm_mb  # measured: 181 MB with 2 slots, 343 MB with 5


def test_an_administrator_holding_a_share_reads_the_same_access_in_the_list_and_on_the_page(serve):
    # Found by reading the code: the page ranked "administrator" above a share and the list ranked
    # the share first, so one BOM showed two different accesses to the same person.
    srv = serve()
    org = Org(srv)
    b = srv.base
    bom = make_bom(b, org.editor, name="Shared with the admin")
    assert call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": org.admin_id, "access": "view"},
                token=org.editor)[0] == 201
    s, page, _ = call(b, "GET", f"/api/v1/boms/{bom}", token=org.admin)
    assert s == 200 and page["my_access"] == "administrator", page
    s, lst, _ = call(b, "GET", "/api/v1/boms", token=org.admin)
    row = next(x for x in lst["boms"] if x["id"] == bom)
    assert row["my_access"] == page["my_access"], (row, page)
    # The same for a plain share holder: "view" in both places.
    assert call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": org.viewer_id, "access": "view"},
                token=org.editor)[0] == 201
    assert call(b, "GET", f"/api/v1/boms/{bom}", token=org.viewer)[1]["my_access"] == "view"
    row = next(x for x in call(b, "GET", "/api/v1/boms", token=org.viewer)[1]["boms"] if x["id"] == bom)
    assert row["my_access"] == "view"
