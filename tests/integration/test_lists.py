"""The list contract over real HTTP: every list takes a strict limit and an opaque cursor, answers
next_cursor and Link: rel="next" while more follow, and a walk to the end sees every item once
even while items are created concurrently."""
import base64
import threading
import urllib.parse

from harness import Org, Server, Store, call, is_error, make_bom


def walk(b, token, path, key, limit, during=None):
    """Follows next_cursor from the first page to the last; returns the items and page count."""
    items, pages, cursor = [], 0, None
    while True:
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        s, r, h = call(b, "GET", url, token=token)
        assert s == 200, (url, s, r)
        items += r[key]
        pages += 1
        cursor = r.get("next_cursor")
        link = h.get("Link")
        if cursor is None:
            assert link is None, link
            return items, pages
        assert len(r[key]) == limit
        # The Link header names the same next page.
        target = link.split(";")[0].strip("<> ")
        assert urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)["cursor"] == [cursor]
        assert 'rel="next"' in link
        if during:
            during(pages)
        assert pages < 200


def test_every_list_walks_to_the_end_with_cursors_while_items_are_added(serve):
    srv = serve()
    org = Org(srv).ensure_all()  # the user walk counts every member
    b = srv.base
    boms = [make_bom(b, org.editor, name=f"Walk {i}") for i in range(7)]
    extra = []

    def add_bom(page):
        # Created while the walk runs: newest first, so they land before the cursor.
        extra.append(make_bom(b, org.editor, name=f"Late {page}"))

    got, pages = walk(b, org.editor, "/api/v1/boms", "boms", 2, during=add_bom)
    ids = [x["id"] for x in got]
    # Every BOM that existed is seen once; one made during the walk in the same second as
    # the page's last item may be seen too (keys have one-second times), never twice.
    assert len(ids) == len(set(ids)) and set(boms) <= set(ids) <= set(boms) | set(extra), ids
    assert len(extra) == pages - 1
    # Concurrent creators on other threads while a second walk runs: still no duplicates and
    # nothing that existed before the walk is missed.
    before = set(boms) | set(extra)
    stop = threading.Event()

    def creator():
        n = 0
        while not stop.is_set() and n < 15:
            make_bom(b, org.editor2, name=f"Concurrent {n}")
            n += 1

    call(b, "POST", "/api/v1/users", {"email": "x@acme.example", "role": "viewer",
                                      "password": "Another-Long-Passphrase-7"}, token=org.admin)
    threads = [threading.Thread(target=creator) for _ in range(2)]
    for t in threads:
        t.start()
    got, _ = walk(b, org.admin, "/api/v1/boms", "boms", 3)
    stop.set()
    for t in threads:
        t.join()
    ids = [x["id"] for x in got]
    assert len(ids) == len(set(ids)) and before <= set(ids)
    # Filters keep working across pages.
    got, _ = walk(b, org.editor, "/api/v1/boms?q=walk", "boms", 3)
    assert sorted(x["name"] for x in got) == sorted(f"Walk {i}" for i in range(7))

    # Users (oldest first): new ones land at the end, so a walk sees them too.
    for i in range(4):
        call(b, "POST", "/api/v1/users", {"email": f"u{i}@acme.example", "role": "viewer",
                                          "password": "Another-Long-Passphrase-7"},
             token=org.admin)
    all_users = call(b, "GET", "/api/v1/users", token=org.admin)[1]["users"]
    got, _ = walk(b, org.admin, "/api/v1/users", "users", 2)
    assert [u["id"] for u in got] == [u["id"] for u in all_users] and len(got) == 9

    # Revisions, attachments, tokens, sources, import profiles, invitations, audit.
    bom = boms[0]
    for i in range(4):
        csv = f"ref,part_number,quantity\n1,R-{i},1\n".encode()
        assert call(b, "POST", f"/api/v1/boms/{bom}/revisions", csv, token=org.editor,
                    ctype="text/csv")[0] == 201
    got, _ = walk(b, org.editor, f"/api/v1/boms/{bom}/revisions", "revisions", 2)
    assert [r["revision"] for r in got] == [5, 4, 3, 2, 1]
    for i in range(3):
        assert call(b, "POST", f"/api/v1/boms/{bom}/attachments?name=f{i}.pdf",
                    b"%PDF-1.4\n%%EOF\n", token=org.editor,
                    ctype="application/octet-stream")[0] == 201
    got, _ = walk(b, org.editor, f"/api/v1/boms/{bom}/attachments", "attachments", 2)
    assert len({a["id"] for a in got}) == 3
    for i in range(3):
        call(b, "POST", "/api/v1/me/tokens", {"name": f"t{i}", "scope": "read"}, token=org.editor)
    got, _ = walk(b, org.editor, "/api/v1/me/tokens", "tokens", 2)
    assert len({t["id"] for t in got}) == len(got) == 4  # three tokens and this session
    for i in range(3):
        assert call(b, "POST", "/api/v1/org/import-profiles",
                    {"name": f"Profile {i}"}, token=org.admin)[0] == 201
    got, _ = walk(b, org.editor, "/api/v1/org/import-profiles", "profiles", 2)
    assert len({p["id"] for p in got}) == 3
    for i in range(3):
        assert call(b, "POST", "/api/v1/invitations",
                    {"email": f"inv{i}@acme.example", "role": "viewer"}, token=org.admin)[0] == 201
    got, _ = walk(b, org.admin, "/api/v1/invitations", "invitations", 2)
    assert len({v["id"] for v in got}) == 3
    everything = call(b, "GET", "/api/v1/audit?limit=500", token=org.admin)[1]["entries"]
    got, _ = walk(b, org.admin, "/api/v1/audit", "entries", 7)
    assert [e["id"] for e in got] == [e["id"] for e in everything]
    for i in range(3):
        s, r, _ = call(b, "POST", "/api/v1/sources",
                       {"name": f"ERP {i}", "kind": "rest", "base_url": "https://erp.example.com"},
                       token=org.admin)
        assert s == 201, r
    got, _ = walk(b, org.admin, "/api/v1/sources", "sources", 2)
    assert len({x["id"] for x in got}) == 3


def test_limit_is_strict_and_a_malformed_cursor_is_400(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    bom = make_bom(b, org.editor)
    lists = [("/api/v1/boms", org.editor, 1000), ("/api/v1/users", org.admin, 1000),
             ("/api/v1/me/tokens", org.editor, 200), ("/api/v1/audit", org.admin, 500),
             ("/api/v1/invitations", org.admin, 100), (f"/api/v1/boms/{bom}/revisions", org.editor, 1000),
             ("/api/v1/sources", org.admin, 1000), ("/api/v1/org/import-profiles", org.editor, 1000),
             (f"/api/v1/boms/{bom}/attachments", org.editor, 1000)]
    forged = base64.urlsafe_b64encode(b"\x00\xffnot a key").decode().rstrip("=")
    for path, tok, most in lists:
        assert call(b, "GET", f"{path}?limit={most}", token=tok)[0] == 200, path
        for bad in ("0", "-1", "5abc", str(most + 1), "", "1e3"):
            s, r, _ = call(b, "GET", f"{path}?limit={bad}", token=tok)
            assert s == 400 and is_error(r, "invalid_parameter"), (path, bad, s, r)
        for bad in ("!!!", "a", forged, "AAAA=", "x" * 500):
            s, r, _ = call(b, "GET", f"{path}?cursor={urllib.parse.quote(bad)}", token=tok)
            assert s == 400 and is_error(r, "invalid_cursor"), (path, bad, s, r)
    # A well-formed cursor of another list's shape is refused too where the shape is checked.
    other = base64.urlsafe_b64encode(b"17").decode().rstrip("=")
    s, r, _ = call(b, "GET", f"/api/v1/boms?cursor={other}", token=org.editor)
    assert s == 400 and is_error(r, "invalid_cursor"), (s, r)
    # The UI's offset keeps working on the BOM list.
    # (Two BOMs made within one second may list in either order: check the pages cover both.)
    second = make_bom(b, org.editor, name="Second")
    pages = []
    for offset in (0, 1):
        s, r, _ = call(b, "GET", f"/api/v1/boms?limit=1&offset={offset}", token=org.editor)
        assert s == 200 and len(r["boms"]) == 1, (s, r)
        pages.append(r["boms"][0]["id"])
    assert sorted(pages) == sorted([bom, second]), pages
