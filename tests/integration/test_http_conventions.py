"""HTTP conventions a generic client relies on: HEAD wherever GET is, Allow on 405,
WWW-Authenticate on 401, X-Request-Id on every answer, the router's own included."""
from harness import Org, Server, Store, call, is_error, make_bom


def test_head_allow_www_authenticate_and_request_ids(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    bom = make_bom(b, org.editor, name="Conventions")
    # HEAD answers like GET, with the same status and headers and no body.
    s, body, h = call(b, "HEAD", f"/api/v1/boms/{bom}", token=org.editor, raw=True)
    s_get, _, h_get = call(b, "GET", f"/api/v1/boms/{bom}", token=org.editor, raw=True)
    assert s == s_get == 200 and body == b"", (s, body)
    assert h["Content-Type"] == h_get["Content-Type"] and h["X-Request-Id"]
    # ... including refusals: another org's reader gets the same 404 as with GET.
    other = Org(srv, name="Other Works", domain="other.example")
    assert call(b, "HEAD", f"/api/v1/boms/{bom}", token=other.editor, raw=True)[0] == 404
    # 405 names the methods the path takes.
    s, r, h = call(b, "PUT", f"/api/v1/boms/{bom}", {"name": "x"}, token=org.editor)
    assert s == 405 and is_error(r, "method_not_allowed"), (s, r)
    allow = {m.strip() for m in h["Allow"].split(",")}
    assert {"GET", "HEAD", "PATCH", "DELETE"} <= allow and "PUT" not in allow, allow
    assert h["X-Request-Id"]
    s, r, h = call(b, "GET", "/api/v1/no-such-route", token=org.editor)
    assert s == 404 and is_error(r, "not_found") and h["X-Request-Id"]
    # 401 names the scheme; a refused token says it was refused.
    s, r, h = call(b, "GET", "/api/v1/boms")
    assert s == 401 and h["WWW-Authenticate"] == 'Bearer realm="bomvault"', h.get("WWW-Authenticate")
    s, r, h = call(b, "GET", "/api/v1/boms", token="bv_not_a_real_token")
    assert s == 401 and 'error="invalid_token"' in h["WWW-Authenticate"]
    # Two answers never share a request id.
    ids = {call(b, "GET", "/api/v1/health")[2]["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5


def test_every_create_answers_location_of_what_it_made(serve, store):
    st = store
    srv = serve(store=st)
    org = Org(srv)
    b = srv.base
    created = []  # (what, status, headers, body)

    def create(what, path, body, token, **kw):
        s, r, h = call(b, "POST", path, body, token=token, **kw)
        assert s == 201, (what, s, r)
        created.append((what, h.get("Location"), r))
        return r, h

    bom, h = create("bom", "/api/v1/boms",
                    {"name": "Located", "items": [{"ref": "1", "part_number": "P-1",
                                                   "quantity": 1}]}, org.editor)
    assert h["Location"] == f"/api/v1/boms/{bom['id']}"
    csv = b"ref,part_number,quantity\n1,P-2,3\n"
    imp, h = create("import", "/api/v1/boms/import?name=Imported", csv, org.editor,
                    ctype="text/csv")
    assert h["Location"] == f"/api/v1/boms/{imp['id']}"
    rev, h = create("revision", f"/api/v1/boms/{bom['id']}/revisions", csv, org.editor,
                    ctype="text/csv")
    assert h["Location"] == f"/api/v1/boms/{bom['id']}/items?revision={rev['revision']}"
    user, h = create("user", "/api/v1/users",
                     {"email": "located@example.com", "role": "viewer",
                      "password": "Another-Long-Passphrase-7"}, org.admin)
    assert h["Location"] == f"/api/v1/users/{user['id']}"
    _, h = create("share", f"/api/v1/boms/{bom['id']}/shares",
                  {"user_id": user["id"], "access": "view"}, org.editor)
    assert h["Location"] == f"/api/v1/boms/{bom['id']}/shares/{user['id']}"
    tok, h = create("token", "/api/v1/me/tokens", {"name": "ci", "scope": "read"}, org.editor)
    assert h["Location"] == f"/api/v1/me/tokens/{tok['id']}"
    inv, h = create("invitation", "/api/v1/invitations",
                    {"email": "invited@example.com", "role": "viewer"}, org.admin)
    assert h["Location"] == f"/api/v1/invitations/{inv['id']}"
    src, h = create("source", "/api/v1/sources",
                    {"name": "ERP", "kind": "rest", "base_url": "https://erp.example.com"},
                    org.admin)
    assert h["Location"] == f"/api/v1/sources/{src['id']}"
    neworg, h = create("org", "/api/v1/orgs",
                       {"name": "Located Org", "admin_email": "a@located.example",
                        "admin_password": "Another-Long-Passphrase-7"}, st.operator)
    assert h["Location"] == f"/api/v1/orgs/{neworg['id']}"
    _, h = create("session", "/api/v1/sessions",
                  {"email": "located@example.com", "password": "Another-Long-Passphrase-7"},
                  None)
    assert h["Location"] == "/api/v1/sessions/current"
    # Where the created thing has a GET, the Location answers it.
    for what, loc, _ in created:
        if what in ("bom", "import", "revision"):
            s, _, _ = call(b, "GET", loc, token=org.editor)
            assert s == 200, (what, loc, s)
