"""Large answers without secrets (items, exports, lists) are gzip-compressed for clients that ask;
answers that carry a secret (session and API tokens, the TOTP secret, recovery codes) never are,
whatever the client accepts (BREACH)."""
import gzip
import json

from harness import PASSWORD, Org, Server, Store, call, make_bom
from test_accounts import oathtool

ACCEPT = {"Accept-Encoding": "gzip, deflate, br"}


def big_bom(b, token, n=400):
    items = [{"ref": "1", "part_number": "TOP-1", "description": "Top assembly", "quantity": 1}]
    items += [{"ref": str(i), "parent": "1", "part_number": f"RES-{i % 37}", "description": "Resistor 10k 1% 0402",
               "quantity": 2, "unit": "ea", "manufacturer": "Yageo"} for i in range(2, n)]
    return make_bom(b, token, name="Big board", items=items)


def test_items_exports_and_lists_are_gzipped_when_asked_and_identical_when_unpacked(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    bom = big_bom(b, org.editor)
    for k in range(8):  # a list over 1 KiB
        make_bom(b, org.editor, name=f"Another board with a long enough name, number {k}")
    for path in (f"/api/v1/boms/{bom}/items", f"/api/v1/boms/{bom}/export?format=json",
                 f"/api/v1/boms/{bom}/export?format=csv", f"/api/v1/boms/{bom}/flat", "/api/v1/boms"):
        s, plain, h = call(b, "GET", path, token=org.editor, raw=True)
        assert s == 200 and "Content-Encoding" not in h, path
        s, packed, h = call(b, "GET", path, token=org.editor, raw=True, headers=ACCEPT)
        assert s == 200 and "Accept-Encoding" in h["Vary"], (path, dict(h))
        if len(plain) < 1024:  # not worth it: small answers go out as they are
            assert "Content-Encoding" not in h and packed == plain, path
            continue
        assert h["Content-Encoding"] == "gzip", (path, dict(h))
        assert gzip.decompress(packed) == plain, path
        if "csv" not in path:
            assert h["Content-Type"].startswith("application/json")
        assert len(packed) * 3 < len(plain), (path, len(packed), len(plain))
    # A refused coding is respected.
    s, plain, h = call(b, "GET", f"/api/v1/boms/{bom}/items", token=org.editor, raw=True,
                       headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in h and json.loads(plain)["items"]


def test_answers_carrying_secrets_are_never_compressed(serve, store):
    st = store
    srv = serve(store=st)
    org = Org(srv).ensure("editor")  # signs in by address
    b = srv.base
    s, r, h = call(b, "POST", "/api/v1/sessions", {"email": "editor@acme.example", "password": PASSWORD},
                   headers=ACCEPT)
    assert s == 201 and "token" in r and "Content-Encoding" not in h
    s, r, h = call(b, "POST", "/api/v1/me/tokens", {"name": "ci" * 300, "scope": "read", "days": 1},
                   token=org.editor, headers=ACCEPT)
    assert s == 400  # too long a name; a valid one below
    s, r, h = call(b, "POST", "/api/v1/me/tokens", {"name": "ci", "scope": "read", "days": 1},
                   token=org.editor, headers=ACCEPT)
    assert s == 201 and "token" in r and "Content-Encoding" not in h
    s, r, h = call(b, "POST", "/api/v1/me/mfa/totp", {}, token=org.editor, headers=ACCEPT)
    assert s == 200 and "secret" in r and "Content-Encoding" not in h
    s, r, h = call(b, "POST", "/api/v1/me/mfa/totp/confirm", {"code": oathtool(r["secret"])},
                   token=org.editor, headers=ACCEPT)
    assert s == 200 and len(r["recovery_codes"]) == 10 and "Content-Encoding" not in h
    s, r, h = call(b, "POST", "/api/v1/orgs", {"name": "Second", "admin_email": "a@second.example",
                                                "admin_password": PASSWORD},
                   token=st.operator, headers=ACCEPT)
    assert s == 201 and "Content-Encoding" not in h
