"""HTTP conventions a generic client relies on: HEAD wherever GET is, Allow on 405,
WWW-Authenticate on 401, X-Request-Id on every answer, the router's own included."""
from harness import Org, Server, Store, call, is_error, make_bom


def test_head_allow_www_authenticate_and_request_ids():
    st = Store()
    srv = Server(st)
    try:
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
    finally:
        srv.stop()
        st.cleanup()
