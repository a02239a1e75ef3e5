"""REST data sources against a real OAuth 2.0 provider (oidc-provider) and a source API that
accepts only tokens that provider issued: code + PKCE without a browser, refresh, revocation on
disconnect, client credentials, API keys; paged pulls and sends on each user's own credentials."""
import json

from harness import Org, Server, Store, call, make_bom
from oauth_source import Provider, SourceApi
from test_sources import wait_job

ITEMS = [
    {"ref": "1", "part_number": "MTR-1", "description": "Motor", "quantity": 1},
    {"ref": "2", "parent": "1", "part_number": "RTR-2", "description": "Rotor", "quantity": 1},
    {"ref": "3", "parent": "1", "part_number": "STR-3", "description": "Stator", "quantity": 1},
    {"ref": "4", "parent": "1", "part_number": "SCR-M4", "description": "Screw", "quantity": 8},
    {"ref": "5", "parent": "1", "part_number": "TEST-JIG", "description": "Jig", "quantity": 1, "unit": "pcs"},
]


def rest_source(base, admin, api, provider, method, **extra):
    body = {"name": "PLM", "kind": "rest", "base_url": api.base, "internal": True, "auth_method": method,
            "rules": {"skip_part_numbers": ["TEST-*"], "units": {"pcs": ""}}, **extra}
    if method in ("oauth_code", "client_credentials"):
        body.update({"authorize_url": provider.issuer + "/auth", "token_url": provider.issuer + "/token",
                     "revocation_url": provider.issuer + "/token/revocation", "client_id": "bomvault",
                     "client_secret": provider.client_secret, "scopes": "openid offline_access boms"})
    s, r, _ = call(base, "POST", "/api/v1/sources", body, token=admin)
    assert s == 201, (s, r)
    return r["id"]


def connect_oauth(base, token, src, provider, login):
    s, r, _ = call(base, "POST", f"/api/v1/sources/{src}/connection/authorize",
                   {"redirect_uri": "http://127.0.0.1/callback"}, token=token)
    assert s == 200, r
    assert "code_challenge_method=S256" in r["authorize_url"] and provider.client_secret not in r["authorize_url"]
    back = provider.sign_in(r["authorize_url"], login)
    assert back["state"] == r["state"]
    return call(base, "PUT", f"/api/v1/sources/{src}/connection", {"code": back["code"], "state": back["state"]},
                token=token)


def pull(base, token, src, **body):
    s, r, _ = call(base, "POST", f"/api/v1/sources/{src}/pull", body, token=token)
    assert s == 202, r
    return wait_job(base, token, r["job_id"])


def test_oauth_code_with_pkce_refresh_and_revocation_on_disconnect():
    # Access tokens live 5 s: bomvault refreshes a token that expires within 30 s, so every use
    # goes through the refresh grant.
    provider = Provider(access_ttl=5)
    api = SourceApi(provider, boms={"mtr-1": {"name": "Motor", "items": ITEMS}})
    st = Store()
    srv = Server(st)
    try:
        b = srv.base
        org = Org(srv)
        src = rest_source(b, org.admin, api, provider, "oauth_code")
        # The Administrator's view never holds the client secret.
        s, r, _ = call(b, "GET", f"/api/v1/sources/{src}", token=org.admin)
        assert r["client_secret_set"] is True and provider.client_secret not in json.dumps(r)
        s, r, _ = call(b, "GET", "/api/v1/sources", token=org.editor)
        assert r["sources"] == [{"id": src, "name": "PLM", "kind": "rest", "connected": False}]

        # A state that bomvault did not make is refused.
        s, r, _ = call(b, "PUT", f"/api/v1/sources/{src}/connection", {"code": "x", "state": "forged"},
                       token=org.editor)
        assert s == 400 and r["error"]["code"] == "invalid_state", r
        s, r, _ = connect_oauth(b, org.editor, src, provider, "alice")
        assert s == 204, r
        job = pull(b, org.editor, src, remote_id="mtr-1")
        assert job["state"] == "done", job
        bom = job["result"]["bom_id"]
        s, r, _ = call(b, "GET", f"/api/v1/boms/{bom}/items", token=org.editor)
        # Three pages of two items; the rule skipped the jig.
        assert [i["part_number"] for i in r["items"]] == ["MTR-1", "RTR-2", "STR-3", "SCR-M4"], r
        assert set(api.subjects) == {"alice"}, api.subjects
        first_tokens = set(api.tokens)
        assert len(first_tokens) >= 1
        # Another pull: the expiring token was refreshed with the refresh grant.
        api.boms["mtr-1"]["items"][3]["quantity"] = 10
        job = pull(b, org.editor, src, bom_id=bom)
        assert job["state"] == "done" and job["result"]["changed"] is True, job
        assert job["result"]["revision"] == 2 and job["result"]["changes"]["changed"] == 1, job
        assert set(api.tokens) - first_tokens, "no new access token: the refresh grant was not used"
        assert set(api.subjects) == {"alice"}

        # Send: a new record through POST, then an update through PUT.
        made = make_bom(b, org.editor)
        s, r, _ = call(b, "POST", f"/api/v1/boms/{made}/send", {"source_id": src}, token=org.editor)
        job = wait_job(b, org.editor, r["job_id"])
        assert job["state"] == "done", job
        rid = job["result"]["remote_id"]
        assert [i["part_number"] for i in api.boms[rid]["items"]] == ["GBX-100", "SHF-7", "BRG-6204"]
        s, r, _ = call(b, "POST", f"/api/v1/boms/{made}/send", {"source_id": src}, token=org.editor)
        assert wait_job(b, org.editor, r["job_id"])["result"]["remote_id"] == rid

        # Disconnect revokes at the provider: the last token it saw no longer works anywhere.
        last = api.tokens[-1]
        assert provider.introspect(last)["active"] is True
        s, _, _ = call(b, "DELETE", f"/api/v1/sources/{src}/connection", token=org.editor)
        assert s == 204
        assert provider.introspect(last)["active"] is False
        s, r, _ = call(b, "POST", f"/api/v1/sources/{src}/pull", {"bom_id": bom}, token=org.editor)
        assert s == 409 and r["error"]["code"] == "connection_required"

        # The client secret and the tokens are in no answer, no log and no file.
        srv.stop()
        log = srv.log()
        assert provider.client_secret not in log and last not in log
        import os
        for root, _, files in os.walk(st.data):
            for name in files:
                data = open(os.path.join(root, name), "rb").read()
                assert provider.client_secret.encode() not in data and last.encode() not in data, name
    finally:
        srv.stop()
        st.cleanup()
        api.stop()
        provider.stop()


def test_client_credentials_and_api_keys_are_each_users_own():
    provider = Provider()
    api = SourceApi(provider, api_keys={"Planted-Key-Of-Bob-123": "bob"},
                    boms={"mtr-1": {"name": "Motor", "items": ITEMS}})
    st = Store()
    srv = Server(st)
    try:
        b = srv.base
        org = Org(srv)
        cc = rest_source(b, org.admin, api, provider, "client_credentials")
        s, r, _ = call(b, "PUT", f"/api/v1/sources/{cc}/connection",
                       {"client_id": "bomvault", "client_secret": "wrong"}, token=org.editor)
        assert s == 422 and r["error"]["code"] == "source_login_refused", r
        s, r, _ = call(b, "PUT", f"/api/v1/sources/{cc}/connection",
                       {"client_id": "bomvault", "client_secret": provider.client_secret}, token=org.editor)
        assert s == 204, r
        job = pull(b, org.editor, cc, remote_id="mtr-1")
        assert job["state"] == "done", job
        assert api.clients and set(api.clients) == {"bomvault"}

        keyed = rest_source(b, org.admin, api, provider, "api_key")
        s, r, _ = call(b, "PUT", f"/api/v1/sources/{keyed}/connection", {"api_key": "Planted-Key-Of-Bob-123"},
                       token=org.editor2)
        assert s == 204, r
        job = pull(b, org.editor2, keyed, remote_id="mtr-1")
        assert job["state"] == "done", job
        assert api.subjects[-1] == "bob"
        # The editor has no key of their own here: refused, nobody else's is used.
        s, r, _ = call(b, "POST", f"/api/v1/sources/{keyed}/pull", {"remote_id": "mtr-1"}, token=org.editor)
        assert s == 409 and r["error"]["code"] == "connection_required"
        s, r, _ = call(b, "PUT", f"/api/v1/sources/{keyed}/connection", {"api_key": "not-a-key"}, token=org.editor)
        assert s == 204
        job = pull(b, org.editor, keyed, remote_id="mtr-1")
        assert job["state"] == "failed" and job["error"]["code"] == "source_login_refused", job
        for tok in (org.editor, org.editor2, org.viewer):
            s, r, _ = call(b, "GET", "/api/v1/sources", token=tok)
            text = json.dumps(r)
            for planted in ("Planted-Key-Of-Bob-123", provider.client_secret, api.base, provider.issuer):
                assert planted not in text
    finally:
        srv.stop()
        st.cleanup()
        api.stop()
        provider.stop()


def test_connect_probe_names_the_credential_and_nothing_else(serve):
    # PUT .../connection {} is how the UI learns what to ask an Editor or a Viewer for: they get
    # id, name and kind only, so the probe must say "password", "api_key", "client_credentials"
    # or "oauth" and nothing about the source's configuration; and it changes nothing.
    srv = serve()
    b = srv.base
    # Every member used below exists before the audit is read for "nothing changed".
    org = Org(srv).ensure("editor", "viewer")
    other = Org(srv, name="Other Works", domain="other.example").ensure("editor")
    pem = ("-----BEGIN CERTIFICATE-----\nPLANTEDCAQWERTYUIOPASDFGHJKL\n"
           "-----END CERTIFICATE-----\n")
    planted = ["planted-host-4417", "plantdb5q", "planted-client-8812", "PlantedSecret-0c9f3d",
               "planted.scope", "PLANTEDCAQWERTY", "PLANTED-SKIP", "/planted-items/", "X-Planted-Key"]
    common = {"internal": True, "ca_pem": pem, "rules": {"skip_part_numbers": ["PLANTED-SKIP-*"]}}
    rest = {"kind": "rest", "base_url": "http://planted-host-4417.example:8080/api",
            "items_path": "/planted-items/{remote_id}", "api_key_header": "X-Planted-Key"}
    oauth = {"authorize_url": "http://planted-host-4417.example:8080/auth",
             "token_url": "http://planted-host-4417.example:8080/token",
             "revocation_url": "http://planted-host-4417.example:8080/revoke",
             "client_id": "planted-client-8812", "client_secret": "PlantedSecret-0c9f3d",
             "scopes": "openid planted.scope"}
    bodies = {
        "password": [{"name": "ERP", "kind": "tryton", "base_url": "http://planted-host-4417.example:8000",
                      "database": "plantdb5q", **common},
                     {"name": "Basic", "auth_method": "basic", **rest, **common}],
        "api_key": [{"name": "Key", "auth_method": "api_key", **rest, **common}],
        "client_credentials": [{"name": "Machine", "auth_method": "client_credentials", **rest,
                                **common, **{k: oauth[k] for k in ("token_url", "scopes")}}],
        "oauth": [{"name": "PLM", "auth_method": "oauth_code", **rest, **common, **oauth}],
    }
    sources = []
    for needs, list_ in bodies.items():
        for body in list_:
            s, r, _ = call(b, "POST", "/api/v1/sources", body, token=org.admin)
            assert s == 201, (s, r)
            sources.append((r["id"], needs))
    s, before, _ = call(b, "GET", "/api/v1/audit?limit=500", token=org.admin)
    assert s == 200
    for token in (org.admin, org.editor, org.viewer):
        for src, needs in sources:
            s, r, raw = call(b, "PUT", f"/api/v1/sources/{src}/connection", {}, token=token)
            assert s == 400, (s, r)
            assert r["error"]["code"] == "credentials_required" and r["error"]["needs"] == needs, r
            assert set(r["error"]) == {"code", "message", "needs"}, r
            text = json.dumps(r)
            for p in planted:
                assert p not in text, (p, text)
    # Another organisation's members learn nothing, not even that the source exists.
    s, r, _ = call(b, "PUT", f"/api/v1/sources/{sources[0][0]}/connection", {}, token=other.editor)
    assert s == 404 and "needs" not in r["error"], r
    # Nothing changed: nobody is connected, no audit entry was written.
    for token in (org.admin, org.editor, org.viewer):
        s, r, _ = call(b, "GET", "/api/v1/sources", token=token)
        assert [x["connected"] for x in r["sources"]] == [False] * len(sources), r
    s, after, _ = call(b, "GET", "/api/v1/audit?limit=500", token=org.admin)
    assert after == before
    srv.stop()
    assert "PlantedSecret-0c9f3d" not in srv.log()
