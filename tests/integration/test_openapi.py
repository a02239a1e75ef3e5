"""The published API description (/api/v1/openapi.json) against the real binary.

test_openapi_lints_clean fetches the document from a running server and lints it with Redocly
CLI (tests/openapi, pinned, installed by `make test-deps`): 0 errors.

test_typed_operations_conform drives every operation of the document with its happy path and
with invalid input (wrong types, missing required fields, bad ids, bad query values, callers
without the right) and checks each answer: its status is one the document lists for that
operation, the headers it promises are there, its body validates against the documented schema
(or is of the documented media type), and nothing answers 500 or more. It fails when an operation
documents no success, is not driven, or never succeeds here (bar the few named in
HAPPY_PATH_ELSEWHERE with the test that covers them). The validator below is the JSON
Schema subset the document uses ($ref, type, nullable, enum, properties, required, items,
additionalProperties, oneOf, minimum, maximum, format date-time); Debian's python3-jsonschema
does not read OpenAPI 3.0's "nullable", so a small one is written here.
"""
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse

from fake_source import FakeSource
from harness import PASSWORD, Org, Server, Store, call, make_bom
from openapi_drive import (HAPPY_PATH_ELSEWHERE, drive_addresses_and_invitations, drive_files,
                           drive_me_and_mfa, drive_operator, drive_org_settings, drive_passkeys,
                           drive_sources, drive_sso)

HERE = os.path.dirname(os.path.abspath(__file__))
REDOCLY = os.path.join(HERE, "..", "openapi", "node_modules", ".bin", "redocly")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def raw_call(url, method, token=None, headers=None):
    """One request that does not follow redirects: (status, parsed JSON or bytes, headers)."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    conn.request(method, u.path + ("?" + u.query if u.query else ""), headers=h)
    r = conn.getresponse()
    data, hdrs = r.read(), r.headers
    conn.close()
    try:
        return r.status, (json.loads(data) if data else None), hdrs
    except ValueError:
        return r.status, data, hdrs


def check(schema, value, doc, where="$"):
    """A list of mismatches of `value` against `schema` (empty when it validates)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return check(doc["components"]["schemas"][name], value, doc, where)
    if value is None:
        return [] if schema.get("nullable") or not schema else [f"{where}: null"]
    if "allOf" in schema:
        return [e for sub in schema["allOf"] for e in check(sub, value, doc, where)]
    if "oneOf" in schema:
        n = sum(1 for s in schema["oneOf"] if not check(s, value, doc, where))
        return [] if n == 1 else [f"{where}: {n} of oneOf match {value!r}"]
    errs = []
    t = schema.get("type")
    ok = {
        None: True,
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
    }[t]
    if not ok:
        return [f"{where}: {value!r} is not {t}"]
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{where}: {value!r} not in {schema['enum']}")
    if schema.get("format") == "date-time" and not TIME.match(value):
        errs.append(f"{where}: {value!r} is not a date-time")
    if "minimum" in schema and value < schema["minimum"]:
        errs.append(f"{where}: {value} < {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        errs.append(f"{where}: {value} > {schema['maximum']}")
    if t == "object":
        for key in schema.get("required", []):
            if key not in value:
                errs.append(f"{where}: {key} missing")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, v in value.items():
            if key in props:
                errs += check(props[key], v, doc, f"{where}.{key}")
            elif extra is False:
                errs.append(f"{where}: unexpected {key}")
            elif isinstance(extra, dict):
                errs += check(extra, v, doc, f"{where}.{key}")
    if t == "array" and "items" in schema:
        for i, v in enumerate(value):
            errs += check(schema["items"], v, doc, f"{where}[{i}]")
    return errs


def test_check_finds_mismatches():
    doc = {"components": {"schemas": {"E": {"type": "object", "required": ["a"],
                                            "properties": {"a": {"type": "integer"}}}}}}
    ref = {"$ref": "#/components/schemas/E"}
    assert check(ref, {"a": 1}, doc) == []
    assert check(ref, {"a": "1"}, doc) and check(ref, {}, doc) and check(ref, [], doc)
    assert check({"type": "integer"}, True, doc)
    assert check({"type": "string", "format": "date-time"}, "yesterday", doc)
    assert check({"type": "string", "nullable": True}, None, doc) == []
    assert check({"type": "string"}, None, doc)


class Conformance:
    def __init__(self, base, doc):
        self.base, self.doc = base, doc
        self.answers = 0
        self.mismatches = []
        self.seen = set()

    def send(self, op_id, method, path, body=None, token=None, query="", ctype="application/json",
             sealed=False, headers=None, follow=True):
        """Sends one request and checks its answer; (status, body). follow=False answers a redirect
        as it is (the browser's own requests: SSO start and callback)."""
        if follow:
            s, r, h = call(self.base, method, path + query, body, token=token, ctype=ctype,
                           headers=headers)
        else:
            s, r, h = raw_call(self.base + path + query, method, token=token, headers=headers)
        return self.check(op_id, method, path, query, s, r, h, sealed)

    def check(self, op_id, method, path, query, s, r, h, sealed=False):
        """Checks an answer already received against the operation's documented responses."""
        template = self.find(op_id)
        self.last_headers = h
        self.answers += 1
        self.seen.add((op_id, s))
        op = self.doc["paths"][template][method.lower()]
        where = f"{op_id} {method} {path}{query} -> {s}"
        # 503 "sealed" is the documented answer while the test holds the vault sealed; any other
        # answer of 500 or more is a server bug.
        if s >= 500 and not (sealed and s == 503 and isinstance(r, dict)
                             and r.get("error", {}).get("code") == "sealed"):
            self.mismatches.append(f"{where}: server error {r}")
            return s, r
        documented = op["responses"].get(str(s))
        if documented is None:
            self.mismatches.append(f"{where}: status not documented ({sorted(op['responses'])}) {r}")
            return s, r
        # Every header the document says the answer carries (Location on 201, ETag, Link...).
        for name, header in documented.get("headers", {}).items():
            if header.get("required") and not h.get(name):
                self.mismatches.append(f"{where}: header {name} missing")
        content = documented.get("content")
        if content is None:
            if r not in (None, b""):
                self.mismatches.append(f"{where}: a body where none is documented")
            return s, r
        media = (h.get("Content-Type") or "").split(";")[0].strip()
        if media in content and media == "application/json":
            errs = check(content[media]["schema"], r, self.doc)
            self.mismatches += [f"{where}: {e}" for e in errs]
        elif media not in content and "*/*" not in content:
            self.mismatches.append(f"{where}: {media} is not one of {sorted(content)}")
        elif isinstance(r, (dict, list)) and media != "application/json":
            self.mismatches.append(f"{where}: JSON sent as {media}")
        return s, r

    def find(self, op_id):
        for path, ops in self.doc["paths"].items():
            for op in ops.values():
                if op["operationId"] == op_id:
                    return path
        raise AssertionError(f"{op_id} is not documented")


def operations(doc):
    return sorted(op["operationId"] for ops in doc["paths"].values() for op in ops.values())


def typed_operations(doc):
    """Operations that document each status they send, with its body (no 2XX/4XX ranges)."""
    return sorted(op["operationId"] for ops in doc["paths"].values() for op in ops.values()
                  if op["responses"] and not any(k.endswith("XX") for k in op["responses"])
                  and any(k.startswith(("2", "3")) for k in op["responses"]))


def test_openapi_lints_clean():
    st = Store()
    srv = Server(st)
    try:
        s, raw, _ = call(srv.base, "GET", "/api/v1/openapi.json", raw=True)
        assert s == 200
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "openapi.json")
            with open(path, "wb") as f:
                f.write(raw)
            r = subprocess.run([REDOCLY, "lint", path, "--format=json"], capture_output=True,
                               text=True, timeout=120, cwd=tmp,
                               env={**os.environ, "REDOCLY_TELEMETRY": "off",
                                    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"})
            report = json.loads(r.stdout)
            errors = [p for p in report["problems"] if p["severity"] == "error"]
            assert not errors, json.dumps(errors[:5], indent=1)
            assert r.returncode == 0, r.stderr[-2000:]
        doc = json.loads(raw)
        assert doc["servers"] == [{"url": "/"}]
        assert doc["paths"]["/api/v1/health"]["get"]["security"] == []
        assert doc["paths"]["/api/v1/boms"]["get"]["security"]
    finally:
        srv.stop()
        st.cleanup()


def test_typed_operations_conform():
    st = Store()
    drop = tempfile.mkdtemp(prefix="bv-drop-")
    # localhost: passkeys need a host name for their RP ID; the drop root serves folder sources.
    srv = Server(st, extra=["--public-url", "http://localhost:{port}", "--source-dir", drop,
                            "--rate-limit", "0"])
    origin = f"http://localhost:{srv.port}"
    fake = FakeSource(slow_marker="999")
    try:
        b = srv.base
        org = Org(srv).ensure_all()  # every member takes part, some by address
        s, doc, _ = call(b, "GET", "/api/v1/openapi.json")
        c = Conformance(b, doc)
        ed, ad, vw = org.editor, org.admin, org.viewer
        bad_id = "/api/v1/boms/bom_nope"
        wrong_types = [b"[1]", b"not json", {"name": 5, "items": []}, {"name": "x", "items": "x"},
                       {"name": "x", "items": [{"ref": 1, "part_number": "P", "quantity": 1}]},
                       {"name": "x", "items": [{"ref": "1", "part_number": 5, "quantity": 1}]},
                       {"name": "x", "items": [{"ref": "1", "part_number": "P", "quantity": "x"}]},
                       {"name": "x", "items": [{"ref": "1", "part_number": "P", "quantity": -1}]},
                       {"name": "x", "items": [{"ref": "1", "part_number": "P"}]},
                       {"name": "x", "items": [{"ref": "1", "quantity": 1}]},
                       {"name": "x", "items": [{"ref": "1", "part_number": "P", "quantity": 1,
                                                "dnp": "yes"}]},
                       {"name": "x", "items": [{"ref": "1", "parent": "9", "part_number": "P",
                                                "quantity": 1}]},
                       {"name": "x", "metadata": [1], "items": []}, {"items": []}, {"name": "x"}, {}]

        c.send("health", "GET", "/api/v1/health")
        c.send("openapi", "GET", "/api/v1/openapi.json")

        # boms.create: happy path, then every wrong body, a wrong type, no token, a Viewer.
        s, created = c.send("boms.create", "POST", "/api/v1/boms",
                            {"name": "Gearbox", "metadata": {"customer": "ACME"}, "source": "cad",
                             "items": [{"ref": "1", "part_number": "GBX-100", "quantity": 1},
                                       {"ref": "2", "parent": "1", "part_number": "SHF-7",
                                        "quantity": "2.5", "unit": "m", "dnp": None,
                                        "properties": {"supplier": "SKF", "mass": 1.5},
                                        "manufacturers": [{"name": "SKF", "mpn": "6204"}]}]},
                            token=ed)
        assert s == 201, created
        bom = created["id"]
        for body in wrong_types:
            c.send("boms.create", "POST", "/api/v1/boms", body, token=ed)
        c.send("boms.create", "POST", "/api/v1/boms", b"{}", token=ed, ctype="text/plain")
        c.send("boms.create", "POST", "/api/v1/boms", {"name": "x", "items": []})
        c.send("boms.create", "POST", "/api/v1/boms", {"name": "x", "items": []}, token=vw)
        c.send("boms.create", "POST", "/api/v1/boms", {"name": "x", "items": []}, token="bv_bogus")

        # boms.list with good and bad query values.
        for q in ["", "?q=Gear", "?part_number=GBX-100", "?limit=1&offset=0", "?limit=5000",
                  "?limit=-1", "?limit=5abc", "?offset=-1", "?offset=x", "?q=" + "a" * 201,
                  "?part_number=" + "p" * 129]:
            c.send("boms.list", "GET", "/api/v1/boms", token=ed, query=q)
        c.send("boms.list", "GET", "/api/v1/boms")
        # The list contract: a malformed cursor, and the next page by next_cursor.
        for q in ["?cursor=!!!", "?cursor=", "?limit=0", "?limit=1001"]:
            c.send("boms.list", "GET", "/api/v1/boms", token=ed, query=q)
        c.send("boms.create", "POST", "/api/v1/boms", {"name": "Second", "items": []}, token=ed)
        s, page = c.send("boms.list", "GET", "/api/v1/boms", token=ed, query="?limit=1")
        assert s == 200 and page.get("next_cursor"), page
        assert c.last_headers.get("Link")
        walked = [x["id"] for x in page["boms"]]
        while page.get("next_cursor"):
            s, page = c.send("boms.list", "GET", "/api/v1/boms", token=ed,
                             query="?limit=1&cursor=" + page["next_cursor"])
            assert s == 200
            walked += [x["id"] for x in page["boms"]]
        assert bom in walked and len(walked) == len(set(walked)) >= 2

        # Idempotency-Key on a create: first answer, replay, another body (422), a bad key (400).
        once = {"name": "Once", "items": []}
        key = {"Idempotency-Key": "conformance-1"}
        s1, r1 = c.send("boms.create", "POST", "/api/v1/boms", once, token=ed, headers=key)
        s2, r2 = c.send("boms.create", "POST", "/api/v1/boms", once, token=ed, headers=key)
        assert s1 == s2 == 201 and r1 == r2 and c.last_headers["Idempotent-Replayed"] == "true"
        s, _ = c.send("boms.create", "POST", "/api/v1/boms", {"name": "Twice", "items": []}, token=ed,
                      headers=key)
        assert s == 422
        s, _ = c.send("boms.create", "POST", "/api/v1/boms", once, token=ed,
                      headers={"Idempotency-Key": "has space"})
        assert s == 400

        for op, suffix in [("boms.get", ""), ("boms.items", "/items"), ("boms.shares.list", "/shares")]:
            c.send(op, "GET", f"/api/v1/boms/{bom}{suffix}", token=ed)
            c.send(op, "GET", f"/api/v1/boms/{bom}{suffix}", token=vw)
            c.send(op, "GET", f"{bad_id}{suffix}", token=ed)
            c.send(op, "GET", f"/api/v1/boms/{'x' * 300}{suffix}", token=ed)
            c.send(op, "GET", f"/api/v1/boms/{bom}{suffix}")
        for q in ["?revision=1", "?revision=0", "?revision=x", "?revision=99", "?revision="]:
            c.send("boms.items", "GET", f"/api/v1/boms/{bom}/items", token=ed, query=q)

        # Conditional reads: 304 while the tag is current, 200 for a stale one.
        s, _ = c.send("boms.get", "GET", f"/api/v1/boms/{bom}", token=ed)
        tag = c.last_headers["ETag"]
        s, _ = c.send("boms.get", "GET", f"/api/v1/boms/{bom}", token=ed,
                      headers={"If-None-Match": tag})
        assert s == 304
        s, _ = c.send("boms.get", "GET", f"/api/v1/boms/{bom}", token=ed,
                      headers={"If-None-Match": '"0-stale"'})
        assert s == 200

        # boms.update, conditional first: the current tag holds, then it is stale (412).
        s, r = c.send("boms.update", "PATCH", f"/api/v1/boms/{bom}", {"name": "Gearbox B"}, token=ed,
                      headers={"If-Match": tag})
        assert s == 200, r
        s, r = c.send("boms.update", "PATCH", f"/api/v1/boms/{bom}", {"name": "Gearbox C"}, token=ed,
                      headers={"If-Match": tag})
        assert s == 412, r
        s, r = c.send("boms.transfer", "POST", f"/api/v1/boms/{bom}/transfer",
                      {"user_id": org.editor2_id}, token=ed, headers={"If-Match": tag})
        assert s == 412, r
        c.send("boms.update", "PATCH", f"/api/v1/boms/{bom}", {"metadata": {"rev": "B"}}, token=ed)
        c.send("boms.update", "PATCH", f"/api/v1/boms/{bom}", {"source": "erp"}, token=ed)
        c.send("boms.update", "PATCH", f"/api/v1/boms/{bom}",
               {"items": [{"ref": "1", "part_number": "GBX-200", "quantity": 3}]}, token=ed)
        for body in wrong_types:
            c.send("boms.update", "PATCH", f"/api/v1/boms/{bom}", body, token=ed)
        c.send("boms.update", "PATCH", f"/api/v1/boms/{bom}", {"name": "x"}, token=vw)
        c.send("boms.update", "PATCH", bad_id, {"name": "x"}, token=ed)

        # shares
        share = {"user_id": org.editor2_id, "access": "view"}
        s, r = c.send("boms.shares.create", "POST", f"/api/v1/boms/{bom}/shares", share, token=ed)
        assert s == 201, r
        for body in [{"user_id": org.editor2_id, "access": "admin"}, {"user_id": 5, "access": "view"},
                     {"user_id": "usr_nope", "access": "view"}, {"user_id": org.editor2_id},
                     {"access": "edit"}, {}, b"[]", b"{"]:
            c.send("boms.shares.create", "POST", f"/api/v1/boms/{bom}/shares", body, token=ed)
        c.send("boms.shares.create", "POST", f"/api/v1/boms/{bom}/shares", share, token=vw)
        c.send("boms.shares.create", "POST", f"{bad_id}/shares", share, token=ed)
        c.send("boms.shares.list", "GET", f"/api/v1/boms/{bom}/shares", token=ed)
        for path in [f"/api/v1/boms/{bom}/shares/{org.editor2_id}", f"/api/v1/boms/{bom}/shares/usr_nope",
                     f"{bad_id}/shares/{org.editor2_id}"]:
            c.send("boms.shares.delete", "DELETE", path, token=ed)
        c.send("boms.shares.delete", "DELETE", f"/api/v1/boms/{bom}/shares/{org.editor2_id}", token=vw)

        # transfer
        for body in [{"user_id": 5}, {"user_id": "usr_nope"}, {}, b"x", {"user_id": [org.viewer_id]}]:
            c.send("boms.transfer", "POST", f"/api/v1/boms/{bom}/transfer", body, token=ed)
        c.send("boms.transfer", "POST", f"{bad_id}/transfer", {"user_id": org.editor2_id}, token=ed)
        c.send("boms.transfer", "POST", f"/api/v1/boms/{bom}/transfer", {"user_id": org.editor2_id},
               token=vw)
        s, r = c.send("boms.transfer", "POST", f"/api/v1/boms/{bom}/transfer",
                      {"user_id": org.editor2_id}, token=ed)
        assert s == 200, r

        # audit
        for q in ["", f"?object=bom:{bom}", "?object=instance", "?limit=1", "?limit=0", "?limit=501",
                  "?limit=x", "?from=-1", "?to=x", "?before=1", "?object=zzz", "?actor=" + "a" * 101,
                  f"?actor={org.editor_id}&action=bom.create"]:
            c.send("audit.search", "GET", "/api/v1/audit", token=ad, query=q)
        c.send("audit.search", "GET", "/api/v1/audit", token=ed)
        c.send("audit.search", "GET", "/api/v1/audit")

        # delete last
        c.send("boms.delete", "DELETE", bad_id, token=ed)
        c.send("boms.delete", "DELETE", f"/api/v1/boms/{bom}", token=vw)
        other = make_bom(b, ed)
        s, _ = c.send("boms.delete", "DELETE", f"/api/v1/boms/{other}", token=ed)
        assert s == 204

        # where-used
        for q in ["?part_number=GBX-200", "?part_number=", "", "?part_number=" + "p" * 300]:
            c.send("boms.where_used", "GET", "/api/v1/where-used", token=vw, query=q)

        # sessions: sign in with a token and with a cookie, wrong bodies, a wrong password.
        good = {"email": "viewer@acme.example", "password": PASSWORD}
        s, r = c.send("sessions.create", "POST", "/api/v1/sessions", good)
        assert s == 201 and r["token"], r
        fresh = r["token"]
        s, r = c.send("sessions.create", "POST", "/api/v1/sessions", {**good, "cookie": True})
        assert s == 201 and r["cookie"] is True and r["token"] == "", r
        for body in [{**good, "cookie": "yes"}, {**good, "cookie": 1}, {**good, "password": 5},
                     {"email": ["x"], "password": PASSWORD}, {**good, "totp": 123456},
                     {**good, "recovery_code": False}, {"email": "viewer@acme.example"},
                     {"password": PASSWORD}, {}, b"[]", b"\x00", {**good, "password": "wrong-one"},
                     {"email": "nobody@acme.example", "password": PASSWORD}]:
            c.send("sessions.create", "POST", "/api/v1/sessions", body)
        c.send("sessions.create", "POST", "/api/v1/sessions", b"{}", ctype="text/plain")
        # re-authentication: a success, wrong and malformed bodies, an API token, no session.
        s, r = c.send("sessions.reauth", "POST", "/api/v1/sessions/current/reauth", {"password": PASSWORD},
                      token=fresh)
        assert s == 200 and r["reauth_until"], r
        for body in [{"password": "wrong-one-77"}, {"password": 5}, {}, {"password": PASSWORD, "totp": 1},
                     {"password": PASSWORD, "recovery_code": []}, b"[]"]:
            c.send("sessions.reauth", "POST", "/api/v1/sessions/current/reauth", body, token=fresh)
        c.send("sessions.reauth", "POST", "/api/v1/sessions/current/reauth", {"password": PASSWORD})
        c.send("sessions.reauth", "POST", "/api/v1/sessions/current/reauth", {"password": PASSWORD},
               token=st.operator)
        s, _ = c.send("sessions.delete", "DELETE", "/api/v1/sessions/current", token=fresh)
        assert s == 204
        c.send("sessions.delete", "DELETE", "/api/v1/sessions/current", token=fresh)
        c.send("sessions.delete", "DELETE", "/api/v1/sessions/current")

        # organisations (the operator)
        op = st.operator
        s, r = c.send("orgs.create", "POST", "/api/v1/orgs",
                      {"name": "Beta Works", "admin_email": "admin@beta.example",
                       "admin_password": PASSWORD}, token=op)
        assert s == 201, r
        for body in [{"name": 5, "admin_email": "a@b.example", "admin_password": PASSWORD},
                     {"name": "X"}, {}, b"[]",
                     {"name": "Beta Works 2", "admin_email": "admin@beta.example",
                      "admin_password": PASSWORD},
                     {"name": "Gamma", "admin_email": "not-an-address", "admin_password": PASSWORD},
                     {"name": "Gamma", "admin_email": "g@gamma.example", "admin_password": "short"}]:
            c.send("orgs.create", "POST", "/api/v1/orgs", body, token=op)
        c.send("orgs.create", "POST", "/api/v1/orgs", {"name": "X"}, token=ad)
        c.send("orgs.list", "GET", "/api/v1/orgs", token=op)
        c.send("orgs.list", "GET", "/api/v1/orgs", token=ad)

        # users (an Administrator)
        s, r = c.send("users.create", "POST", "/api/v1/users",
                      {"email": "new@acme.example", "password": PASSWORD, "role": "viewer"}, token=ad)
        assert s == 201, r
        new_user = r["id"]
        for body in [{"email": "new@acme.example", "password": PASSWORD, "role": "viewer"},
                     {"email": "x@acme.example", "password": PASSWORD, "role": "king"},
                     {"email": 5, "password": PASSWORD, "role": "viewer"},
                     {"email": "y@acme.example", "password": "short", "role": "viewer"},
                     {"email": "y@acme.example", "role": "viewer"}, {}, b"1"]:
            c.send("users.create", "POST", "/api/v1/users", body, token=ad)
        c.send("users.create", "POST", "/api/v1/users",
               {"email": "z@acme.example", "password": PASSWORD, "role": "viewer"}, token=ed)
        c.send("users.list", "GET", "/api/v1/users", token=ad)
        c.send("users.list", "GET", "/api/v1/users", token=vw)
        s, r = c.send("users.get", "GET", f"/api/v1/users/{new_user}", token=ad)
        assert s == 200, r
        utag = c.last_headers["ETag"]
        assert c.send("users.get", "GET", f"/api/v1/users/{new_user}", token=ad,
                      headers={"If-None-Match": utag})[0] == 304
        c.send("users.get", "GET", "/api/v1/users/usr_nope", token=ad)
        c.send("users.get", "GET", f"/api/v1/users/{new_user}", token=ed)
        c.send("users.get", "GET", f"/api/v1/users/{new_user}")
        s, r = c.send("users.update", "PATCH", f"/api/v1/users/{new_user}", {"role": "editor"}, token=ad,
                      headers={"If-Match": utag})
        assert s == 200, r
        s, r = c.send("users.update", "PATCH", f"/api/v1/users/{new_user}", {"role": "viewer"},
                      token=ad, headers={"If-Match": utag})
        assert s == 412, r
        s, r = c.send("users.get", "GET", f"/api/v1/users/{new_user}", token=ad)
        assert s == 200 and r["role"] == "editor", r
        c.send("users.update", "PATCH", f"/api/v1/users/{new_user}", {"disabled": True}, token=ad)
        for body in [{"role": "king"}, {"role": 1}, {"disabled": "yes"}, b"[]", {}]:
            c.send("users.update", "PATCH", f"/api/v1/users/{new_user}", body, token=ad)
        c.send("users.update", "PATCH", f"/api/v1/users/{org.admin_id}", {"role": "viewer"}, token=ad)
        c.send("users.update", "PATCH", "/api/v1/users/usr_nope", {"role": "viewer"}, token=ad)
        c.send("users.update", "PATCH", f"/api/v1/users/{new_user}", {"role": "viewer"}, token=ed)

        # personal tokens
        s, r = c.send("me.tokens.create", "POST", "/api/v1/me/tokens",
                      {"name": "ci", "scope": "read", "days": 7}, token=ed)
        assert s == 201 and r["token"], r
        tok = r["id"]
        for body in [{"name": "ci", "scope": "root"}, {"name": 1, "scope": "read"},
                     {"name": "ci", "scope": "read", "days": "7"}, {"name": "ci", "scope": "read", "days": -1},
                     {"name": "ci", "scope": "read", "days": 1.5}, {"name": "ci"}, {}, b"x",
                     {"name": "a\u0000b", "scope": "read"}]:
            c.send("me.tokens.create", "POST", "/api/v1/me/tokens", body, token=ed)
        c.send("me.tokens.list", "GET", "/api/v1/me/tokens", token=ed)
        c.send("me.tokens.list", "GET", "/api/v1/me/tokens")
        c.send("me.tokens.delete", "DELETE", f"/api/v1/me/tokens/{tok}", token=vw)
        s, _ = c.send("me.tokens.delete", "DELETE", f"/api/v1/me/tokens/{tok}", token=ed)
        assert s == 204
        c.send("me.tokens.delete", "DELETE", f"/api/v1/me/tokens/{tok}", token=ed)
        c.send("me.tokens.delete", "DELETE", "/api/v1/me/tokens/nope", token=ed)

        # revisions (the BOM now belongs to editor2), the directory, the other audit routes
        e2 = org.editor2
        c.send("boms.revisions", "GET", f"/api/v1/boms/{bom}/revisions", token=e2)
        c.send("boms.revisions", "GET", f"/api/v1/boms/{bom}/revisions", token=vw)
        c.send("boms.revisions", "GET", f"{bad_id}/revisions", token=e2)
        for q in ["", "?q=edit", "?limit=1", "?limit=0", "?limit=201", "?limit=x", "?q=" + "q" * 255]:
            c.send("directory.search", "GET", "/api/v1/directory", token=vw, query=q)
        for q in ["", "?action=seal", "?limit=2", "?limit=0", "?before=x", "?object=zzz"]:
            c.send("instance.audit", "GET", "/api/v1/instance/audit", token=op, query=q)
        c.send("instance.audit", "GET", "/api/v1/instance/audit", token=ad)
        for token in [op, ad]:
            c.send("orgs.support.audit", "GET", f"/api/v1/orgs/{org.id}/support/audit", token=token)
        c.send("orgs.support.audit", "GET", "/api/v1/orgs/org_nope/support/audit", token=op)
        s, _ = c.send("me.sessions.delete", "DELETE", "/api/v1/me/sessions", token=e2)
        assert s == 204
        c.send("me.sessions.delete", "DELETE", "/api/v1/me/sessions", token=e2)

        drive_me_and_mfa(c, b, org, st)
        drive_addresses_and_invitations(c, b, org, st)
        drive_org_settings(c, b, org, st)
        drive_files(c, b, org, st)
        drive_passkeys(c, b, org, origin)
        drive_sources(c, b, org, st, drop, fake)
        drive_operator(c, b, org, st)
        drive_sso(c, b, org, st, origin)

        # seal and unseal, last: refused, then the operator seals and the shares unseal.
        c.send("seal", "POST", "/api/v1/seal", token=ad)
        c.send("seal", "POST", "/api/v1/seal")
        c.send("unseal.status", "GET", "/api/v1/unseal")
        c.send("unseal.submit", "POST", "/api/v1/unseal", {"share": "bogus"})
        s, r = c.send("seal", "POST", "/api/v1/seal", token=st.operator)
        assert s == 200, r
        s, r = c.send("unseal.status", "GET", "/api/v1/unseal")
        assert r["sealed"] is True, r
        c.send("health", "GET", "/api/v1/health")
        for body in [{"share": 5}, {"share": "bogus"}, {"reset": "yes", "share": "x"}, {}, b"[",
                     {"reset": True}, {"share": st.shares[0][:-4] + "AAAA"}]:
            c.send("unseal.submit", "POST", "/api/v1/unseal", body)
        s, r = c.send("unseal.submit", "POST", "/api/v1/unseal", {"share": st.shares[0]})
        assert s == 200 and r["progress"] == 1, r
        s, r = c.send("unseal.submit", "POST", "/api/v1/unseal", {"reset": True, "share": st.shares[0]})
        assert s == 200 and r["progress"] == 0, r
        s, _ = c.send("boms.list", "GET", "/api/v1/boms", token=ed, sealed=True)
        assert s == 503
        s, _ = c.send("ready", "GET", "/api/v1/ready", sealed=True)
        assert s == 503
        for share in st.shares[:2]:
            s, r = c.send("unseal.submit", "POST", "/api/v1/unseal", {"share": share})
            assert s == 200, r
        assert r["sealed"] is False, r

        every, typed = operations(doc), typed_operations(doc)
        driven = {op for op, _ in c.seen}
        succeeded = {op for op, s in c.seen if 200 <= s < 400}
        print(f"typed operations: {len(typed)} of {len(every)}; driven: {len(driven)}; "
              f"answers checked: {c.answers}; mismatches: {len(c.mismatches)}")
        assert not c.mismatches, "\n".join(c.mismatches[:40])
        assert typed == every, sorted(set(every) - set(typed))
        assert set(every) <= driven, sorted(set(every) - driven)
        missing = set(every) - succeeded - set(HAPPY_PATH_ELSEWHERE)
        assert not missing, f"no success seen: {sorted(missing)}"
        assert set(HAPPY_PATH_ELSEWHERE) <= set(every)
        # Both successes and refusals were seen for every driven operation that has a body.
        assert {s for op, s in c.seen if op == "boms.create"} >= {201, 400, 401, 403, 415}
    finally:
        srv.stop()
        fake.stop()
        st.cleanup()
        shutil.rmtree(drop, ignore_errors=True)


def test_generated_client_typechecks_and_drives_the_api():
    """openapi-typescript types a client from the served document; tsc --noEmit passes on
    tests/openapi/client.ts (a body typed `never` would not compile) and, compiled, it drives
    create, list, get, items, change, share (and a typed refusal), transfer and audit."""
    st = Store()
    srv = Server(st)
    work = tempfile.mkdtemp(prefix="build-", dir=os.path.join(HERE, "..", "openapi"))
    try:
        org = Org(srv).ensure_all()
        s, raw, _ = call(srv.base, "GET", "/api/v1/openapi.json", raw=True)
        assert s == 200
        bin_dir = os.path.join(HERE, "..", "openapi", "node_modules", ".bin")
        with open(os.path.join(work, "openapi.json"), "wb") as f:
            f.write(raw)
        for name in ["client.ts", "tsconfig.json"]:
            shutil.copy(os.path.join(HERE, "..", "openapi", name), work)

        def run(*cmd, env=None):
            r = subprocess.run(list(cmd), cwd=work, capture_output=True, text=True, timeout=300,
                               env={**os.environ, **(env or {})})
            assert r.returncode == 0, (cmd, r.stdout[-3000:], r.stderr[-3000:])
            return r.stdout

        run(os.path.join(bin_dir, "openapi-typescript"), "openapi.json", "-o", "schema.d.ts")
        with open(os.path.join(work, "schema.d.ts")) as f:
            generated = f.read()
        assert '"/api/v1/boms/{id}/transfer"' in generated and "BomSummary" in generated
        run(os.path.join(bin_dir, "tsc"), "-p", "tsconfig.json", "--noEmit")
        run(os.path.join(bin_dir, "tsc"), "-p", "tsconfig.json", "--outDir", "out")
        out = run("node", os.path.join("out", "client.js"),
                  env={"BV_BASE": srv.base, "BV_EDITOR": org.editor, "BV_ADMIN": org.admin,
                       "BV_VIEWER": org.viewer, "BV_COLLEAGUE": org.editor2_id})
        result = json.loads(out.strip().splitlines()[-1])
        s, bom, _ = call(srv.base, "GET", f"/api/v1/boms/{result['id']}", token=org.editor2)
        assert s == 200 and bom["owner_id"] == org.editor2_id and bom["name"] == "Typed client B"
    finally:
        shutil.rmtree(work, ignore_errors=True)
        srv.stop()
        st.cleanup()
