"""Conditional requests: ETag on the BOM, user and settings reads; If-Match on their writes
(412 precondition_failed when stale, and nothing changes); If-None-Match on the reads (304 with
the ETag and no body). Two writers race on real HTTP against the real store."""
from harness import Org, Server, Store, call, is_error, make_bom


def test_bom_two_writers_the_stale_one_gets_412_and_nothing_changes(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    bom = make_bom(b, org.editor, name="Contended")
    call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": org.editor2_id, "access": "edit"},
         token=org.editor)
    s, first, h1 = call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor)
    s2, _, h2 = call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor2)
    tag1, tag2 = h1["ETag"], h2["ETag"]
    assert s == s2 == 200 and tag1.startswith('"') and tag2.startswith('"')
    # Reading again does not change the tag (activity marks are not content).
    assert call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor)[2]["ETag"] == tag1
    # Writer 1 wins; its answer carries the new tag.
    s, r, h = call(b, "PATCH", f"/api/v1/boms/{bom}", {"name": "Writer one"}, token=org.editor,
                   headers={"If-Match": tag1})
    assert s == 200 and r["name"] == "Writer one", (s, r)
    new_tag = h["ETag"]
    assert new_tag != tag1
    assert call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor)[2]["ETag"] == new_tag
    # Writer 2 read before that write: refused, and the BOM is as writer 1 left it.
    s, r, _ = call(b, "PATCH", f"/api/v1/boms/{bom}", {"name": "Writer two",
                   "items": [{"ref": "9", "part_number": "LOST", "quantity": 1}]},
                   token=org.editor2, headers={"If-Match": tag2})
    assert s == 412 and is_error(r, "precondition_failed"), (s, r)
    s, now, _ = call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor)
    assert now["name"] == "Writer one" and now["items"] == first["items"]
    items = call(b, "GET", f"/api/v1/boms/{bom}/items", token=org.editor)[1]
    assert "LOST" not in str(items)
    # A list naming the current tag among others holds; a weak tag never does (If-Match is
    # the strong comparison).
    s, _, h = call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor2)
    cur2 = h["ETag"]
    s, r, _ = call(b, "PATCH", f"/api/v1/boms/{bom}", {"name": "Weak"}, token=org.editor2,
                   headers={"If-Match": "W/" + cur2})
    assert s == 412, (s, r)
    s, r, h = call(b, "PATCH", f"/api/v1/boms/{bom}", {"name": "Listed"}, token=org.editor2,
                   headers={"If-Match": f'"0-none", {cur2}'})
    assert s == 200 and r["name"] == "Listed", (s, r)
    # If-Match: * holds for any existing BOM; absent, the write is unconditional as before.
    s, r, _ = call(b, "PATCH", f"/api/v1/boms/{bom}", {"name": "Star"}, token=org.editor,
                   headers={"If-Match": "*"})
    assert s == 200 and r["name"] == "Star"
    s, r, _ = call(b, "PATCH", f"/api/v1/boms/{bom}", {"name": "Plain"}, token=org.editor)
    assert s == 200 and r["name"] == "Plain"
    # A stale tag on a transfer or a delete is refused too, and the BOM stays.
    s, r, _ = call(b, "POST", f"/api/v1/boms/{bom}/transfer", {"user_id": org.editor2_id},
                   token=org.editor, headers={"If-Match": tag1})
    assert s == 412, (s, r)
    s, r, _ = call(b, "DELETE", f"/api/v1/boms/{bom}", token=org.editor,
                   headers={"If-Match": tag1})
    assert s == 412, (s, r)
    s, now, h = call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor)
    assert s == 200 and now["owner_id"] == org.editor_id
    s, _, _ = call(b, "DELETE", f"/api/v1/boms/{bom}", token=org.editor,
                   headers={"If-Match": h["ETag"]})
    assert s == 204
    # If-Match: * on a BOM that is gone: 404, as without it.
    s, _, _ = call(b, "PATCH", f"/api/v1/boms/{bom}", {"name": "x"}, token=org.editor,
                   headers={"If-Match": "*"})
    assert s == 404


def test_if_none_match_answers_304_with_the_etag_and_no_body(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    bom = make_bom(b, org.editor, name="Cached")
    reads = [(f"/api/v1/boms/{bom}", org.editor), ("/api/v1/org/settings", org.admin),
             (f"/api/v1/users/{org.viewer_id}", org.admin), ("/api/v1/me", org.viewer)]
    for path, tok in reads:
        s, _, h = call(b, "GET", path, token=tok, raw=True)
        assert s == 200 and h["ETag"], path
        tag = h["ETag"]
        for header in (tag, f'"other", {tag}', "W/" + tag, "*"):
            s, body, h2 = call(b, "GET", path, token=tok, raw=True,
                               headers={"If-None-Match": header})
            assert s == 304 and body == b"" and h2["ETag"] == tag, (path, header, s, body)
        s, body, _ = call(b, "GET", path, token=tok, raw=True,
                          headers={"If-None-Match": '"stale"'})
        assert s == 200 and body, path
    # A write changes each tag, so the old one no longer gets a 304.
    old = {p: call(b, "GET", p, token=t)[2]["ETag"] for p, t in reads}
    assert call(b, "PATCH", f"/api/v1/boms/{bom}", {"metadata": {"rev": "B"}},
                token=org.editor)[0] == 200
    assert call(b, "PATCH", "/api/v1/org/settings", {"purge_days": 9}, token=org.admin)[0] == 200
    assert call(b, "PATCH", f"/api/v1/users/{org.viewer_id}", {"role": "editor"},
                token=org.admin)[0] == 200
    for path, tok in reads:
        s, body, h = call(b, "GET", path, token=tok, raw=True,
                          headers={"If-None-Match": old[path]})
        assert s == 200 and body and h["ETag"] != old[path], path
    # The caller's access is part of a BOM's tag: the owner's and an Administrator's differ.
    assert (call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor)[2]["ETag"] !=
            call(b, "GET", f"/api/v1/boms/{bom}", token=org.admin)[2]["ETag"])
    # Adding an attachment changes the BOM's summary (its count), so its tag.
    before = call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor)[2]["ETag"]
    s, _, _ = call(b, "POST", f"/api/v1/boms/{bom}/attachments?name=d.pdf",
                   b"%PDF-1.4\n%%EOF\n", token=org.editor, ctype="application/octet-stream")
    assert s == 201
    assert call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor)[2]["ETag"] != before


def test_user_and_settings_writers_race(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    # Settings: two Administrators read, both write; the second is refused.
    s, _, _ = call(b, "PATCH", f"/api/v1/users/{org.editor_id}", {"role": "administrator"},
                   token=org.admin)
    assert s == 200
    second_admin = org.editor
    t1 = call(b, "GET", "/api/v1/org/settings", token=org.admin)[2]["ETag"]
    t2 = call(b, "GET", "/api/v1/org/settings", token=second_admin)[2]["ETag"]
    assert t1 == t2
    s, r, h = call(b, "PATCH", "/api/v1/org/settings", {"purge_days": 30}, token=org.admin,
                   headers={"If-Match": t1})
    assert s == 200 and r["purge_days"] == 30 and h["ETag"] != t1
    s, r, _ = call(b, "PATCH", "/api/v1/org/settings", {"purge_days": 3, "sharing_enabled": False},
                   token=second_admin, headers={"If-Match": t2})
    assert s == 412 and is_error(r, "precondition_failed"), (s, r)
    r = call(b, "GET", "/api/v1/org/settings", token=org.admin)[1]
    assert r["purge_days"] == 30 and r["sharing_enabled"] is True
    # A user: the stale role change is refused, the user keeps the first change.
    u1 = call(b, "GET", f"/api/v1/users/{org.viewer_id}", token=org.admin)[2]["ETag"]
    s, r, _ = call(b, "PATCH", f"/api/v1/users/{org.viewer_id}", {"role": "editor"},
                   token=second_admin, headers={"If-Match": u1})
    assert s == 200 and r["role"] == "editor"
    s, r, _ = call(b, "PATCH", f"/api/v1/users/{org.viewer_id}", {"disabled": True},
                   token=org.admin, headers={"If-Match": u1})
    assert s == 412, (s, r)
    r = call(b, "GET", f"/api/v1/users/{org.viewer_id}", token=org.admin)[1]
    assert r["role"] == "editor" and r["disabled"] is False
    # The user's own profile: GET /me's tag guards PATCH /me.
    me = call(b, "GET", "/api/v1/me", token=org.editor2)[2]["ETag"]
    s, r, h = call(b, "PATCH", "/api/v1/me", {"display_name": "First"}, token=org.editor2,
                   headers={"If-Match": me})
    assert s == 200 and r["display_name"] == "First"
    s, r, _ = call(b, "PATCH", "/api/v1/me", {"display_name": "Second"}, token=org.editor2,
                   headers={"If-Match": me})
    assert s == 412
    assert call(b, "GET", "/api/v1/me", token=org.editor2)[1]["display_name"] == "First"
    s, r, _ = call(b, "PATCH", "/api/v1/me", {"display_name": "Third"}, token=org.editor2,
                   headers={"If-Match": h["ETag"]})
    assert s == 200 and r["display_name"] == "Third"
