"""The route × role table: every route, called as every kind of caller, answers as it must.

Callers: anonymous, the operator, the org's Administrator, the BOM's owner (an Editor), a Viewer
the BOM is shared with, an unrelated colleague (an Editor of the same org, no share), and another
organisation's Administrator. 403 means "a function you may not use"; 404 "an object you may not
see", exactly like a missing one. The test fails if the server has a route without rows here.

Every write that succeeds must also leave its audit entry: a row names the action (`audit=`) and,
where the actor is not the caller (a sign-in names the account signed in), whose it is
(`audit_actor=`). After each 2xx write the caller's organisation's audit (the instance's, for the
operator) must hold a new entry of that action by that actor; a successful write whose row names
no action must be one that is not audited by design (`audit=None` with the reason beside it).
"""
import itertools
import os
import shutil
import tempfile

from fake_source import FakeSource
from harness import PASSWORD, Org, Server, Store, add_user, attach, call, make_bom, pdf_bytes, png_bytes, sign_in

CALLERS = ["anon", "operator", "admin", "owner", "shared_viewer", "colleague", "other_admin"]
_counter = itertools.count()


def unique(prefix):
    return f"{prefix}{next(_counter)}"


class World:
    def __init__(self, srv):
        self.srv = srv
        self.b = srv.base
        self.a = Org(srv, "Org A", "a.example")
        self.other = Org(srv, "Org B", "b.example")
        self.tokens = {"anon": None, "operator": srv.store.operator, "admin": self.a.admin,
                       "owner": self.a.editor, "shared_viewer": self.a.viewer, "colleague": self.a.editor2,
                       "other_admin": self.other.admin}
        self.actor_ids = {"operator": "operator", "admin": self.a.admin_id, "owner": self.a.editor_id,
                          "shared_viewer": self.a.viewer_id, "colleague": self.a.editor2_id,
                          "other_admin": self.other.admin_id}
        self.audit_home = {"operator": "instance", "admin": "a", "owner": "a", "shared_viewer": "a",
                           "colleague": "a", "other_admin": "b"}
        self.emails = {"admin": "admin@a.example", "owner": "editor@a.example",
                       "shared_viewer": "viewer@a.example", "colleague": "editor2@a.example",
                       "other_admin": "admin@b.example"}

    def fresh_source(self):
        s, r, _ = call(self.b, "POST", "/api/v1/sources",
                       {"name": unique("Source "), "kind": "tryton", "base_url": self.fake.base,
                        "database": "table", "internal": True}, token=self.tokens["admin"])
        assert s == 201, r
        return r["id"]

    def slow_job(self, caller):
        # One pull that the fake source answers only after 30 s, owned by the BOM's owner: every
        # caller asks about that job; the DELETE row cancels it while it runs.
        if not getattr(self, "owner_job", None):
            s, r, _ = call(self.b, "POST", f"/api/v1/sources/{self.source}/pull", {"remote_id": "999"},
                           token=self.tokens["owner"])
            assert s == 202, r
            self.owner_job = r["job_id"]
        return self.owner_job

    def fresh_bom(self):
        bom = make_bom(self.b, self.tokens["owner"], name=unique("Table BOM "))
        s, _, _ = call(self.b, "POST", f"/api/v1/boms/{bom}/shares",
                       {"user_id": self.a.viewer_id, "access": "view"}, token=self.tokens["owner"])
        assert s == 201
        return bom

    def fresh_import_profile(self):
        s, r, _ = call(self.b, "POST", "/api/v1/org/import-profiles", {"name": unique("Profile ")},
                       token=self.tokens["admin"])
        assert s == 201, r
        return f"/api/v1/org/import-profiles/{r['id']}"

    def fresh_attachment(self):
        bom = self.fresh_bom()
        s, r, _ = attach(self.b, self.tokens["owner"], bom, pdf_bytes())
        assert s == 201, r
        return f"/api/v1/boms/{bom}/attachments/{r['id']}"

    def resign(self, caller):
        if caller in self.emails:
            self.tokens[caller] = sign_in(self.b, self.emails[caller])

    def own_token_id(self, caller):
        if caller in ("anon", "operator"):
            return "ses_" + "0" * 24
        s, r, _ = call(self.b, "POST", "/api/v1/me/tokens", {"name": "t", "scope": "read", "days": 1},
                       token=self.tokens[caller])
        assert s == 201, r
        return r["id"]


NOT_AUDITED = object()


def row(method, path, expect, body=None, path_fn=None, ctype="application/json", after=None,
        audit=NOT_AUDITED, audit_actor=None, audit_where=None):
    """`audit_where`: whose audit holds the entry when it is not the caller's own ("a": org A's,
    for the operator acting in it; "new_org": the organisation the request created)."""
    return {"method": method, "path": path, "expect": dict(zip(CALLERS, expect)), "body": body,
            "path_fn": path_fn, "ctype": ctype, "after": after, "audit": audit, "audit_actor": audit_actor,
            "audit_where": audit_where}


class AuditReader:
    """Reads the newest audit entries of each organisation (as a spare Administrator session of its
    own, signed in again whenever a row signs every session out) and of the instance."""

    def __init__(self, w):
        self.w = w
        self.tokens = {}

    def _token(self, where):
        if where == "instance":
            return self.w.srv.store.operator
        if where not in self.tokens:
            self.tokens[where] = sign_in(self.w.b, "admin@a.example" if where == "a" else "admin@b.example")
        return self.tokens[where]

    def entries(self, where):
        path = "/api/v1/instance/audit?limit=50" if where == "instance" else "/api/v1/audit?limit=50"
        s, r, _ = call(self.w.b, "GET", path, token=self._token(where))
        if s == 401 and where != "instance":
            self.tokens.pop(where)
            s, r, _ = call(self.w.b, "GET", path, token=self._token(where))
        assert s == 200, (where, s, r)
        return r["entries"]

    def newest_id(self, where):
        e = self.entries(where)
        return e[0]["id"] if e else 0

    def since(self, where, after_id):
        return [e for e in self.entries(where) if e["id"] > after_id]


def table(w):
    bom_path = lambda suffix="": (lambda c: f"/api/v1/boms/{w.fresh_bom()}{suffix}")
    # anon, operator, admin, owner, shared_viewer, colleague, other_admin
    read_bom = [401, 403, 200, 200, 200, 404, 404]

    def invite_in_a():
        s, r, _ = call(w.b, "POST", "/api/v1/invitations",
                       {"email": unique("revoke") + "@invited.example", "role": "viewer"}, token=w.tokens["admin"])
        assert s == 201, r
        return r["id"]

    def block_in_a():
        entry = unique("unblock") + ".example"
        s, r, _ = call(w.b, "POST", "/api/v1/org/blocked", {"entry": entry}, token=w.tokens["admin"])
        assert s == 201, r
        return entry

    return [
        row("GET", "/api/v1/health", [200] * 7),
        row("GET", "/api/v1/unseal", [200] * 7),
        # While unsealed a share changes nothing: nothing to audit.
        row("POST", "/api/v1/unseal", [200] * 7, body={"share": "x"}, audit=None),
        row("GET", "/api/v1/openapi.json", [200] * 7),
        row("POST", "/api/v1/orgs", [401, 201, 403, 403, 403, 403, 403],
            body=lambda c: {"name": "New", "admin_email": unique("n") + "@new.example", "admin_password": PASSWORD}, audit="org.create", audit_where="new_org"),
        row("GET", "/api/v1/orgs", [401, 200, 403, 403, 403, 403, 403]),
        row("DELETE", "/api/v1/orgs/{id}", [401, 204, 403, 403, 403, 403, 403],
            path_fn=lambda c: "/api/v1/orgs/" + (call(w.b, "POST", "/api/v1/orgs", {
                "name": "Doomed", "admin_email": unique("d") + "@doomed.example", "admin_password": PASSWORD},
                token=w.srv.store.operator)[1]["id"] if c == "operator" else "org_" + "0" * 24), audit="org.delete"),
        # No support window is open for org A in this table: the operator is refused too.
        row("GET", "/api/v1/orgs/{id}/support/users", [401, 403, 403, 403, 403, 403, 403],
            path_fn=lambda c: f"/api/v1/orgs/{w.a.id}/support/users"),
        row("GET", "/api/v1/orgs/{id}/support/audit", [401, 403, 403, 403, 403, 403, 403],
            path_fn=lambda c: f"/api/v1/orgs/{w.a.id}/support/audit"),
        row("POST", "/api/v1/sessions", [201] * 7, body={"email": "viewer@a.example", "password": PASSWORD}, audit="session.create", audit_actor="shared_viewer", audit_where="a"),
        row("POST", "/api/v1/sessions/current/reauth", [401, 403, 200, 200, 200, 200, 200],
            body={"password": PASSWORD}, audit="session.reauth"),
        # Signing out ends only the caller's own session: not an event of any object worth one of its N entries.
        row("DELETE", "/api/v1/sessions/current", [401, 204, 204, 204, 204, 204, 204], after=w.resign, audit=None),
        row("GET", "/api/v1/me", [401, 200, 200, 200, 200, 200, 200]),
        row("PATCH", "/api/v1/me", [401, 403, 200, 200, 200, 200, 200], body={"display_name": "Someone"}, audit="user.display_name"),
        row("GET", "/api/v1/directory", [401, 403, 200, 200, 200, 200, 200],
            path_fn=lambda c: "/api/v1/directory?q=a.example"),
        row("DELETE", "/api/v1/me/sessions", [401, 403, 204, 204, 204, 204, 204], after=w.resign, audit="session.revoke_all"),
        row("GET", "/api/v1/me/tokens", [401, 403, 200, 200, 200, 200, 200]),
        row("POST", "/api/v1/me/tokens", [401, 403, 201, 201, 201, 201, 201],
            body={"name": "ci", "scope": "read", "days": 7}, audit="token.create"),
        row("DELETE", "/api/v1/me/tokens/{id}", [401, 403, 204, 204, 204, 204, 204],
            path_fn=lambda c: "/api/v1/me/tokens/" + w.own_token_id(c), audit="token.revoke"),
        # Starting enrolment changes no factor; the confirmation is audited (mfa.enable).
        row("POST", "/api/v1/me/mfa/totp", [401, 403, 200, 200, 200, 200, 200], body={}, audit=None),
        row("POST", "/api/v1/me/mfa/totp/confirm", [401, 403, 400, 400, 400, 400, 400], body={"code": "000000"}),
        row("POST", "/api/v1/me/mfa/recovery-codes", [401, 403, 409, 409, 409, 409, 409], body={"code": "000000"}),
        row("POST", "/api/v1/me/mfa/totp/disable", [401, 403, 409, 409, 409, 409, 409], body={"password": PASSWORD}),
        # Passkeys: the ceremonies themselves are in test_passkeys.py; here every caller meets each
        # route once (a malformed answer is a 400 before any lookup; unknown ids are 404).
        # A ceremony's challenge changes nothing; the ceremony's outcome is audited (test_passkeys).
        row("POST", "/api/v1/me/passkeys/options", [401, 403, 200, 200, 200, 200, 200], body={}, audit=None),
        row("POST", "/api/v1/me/passkeys", [401, 403, 400, 400, 400, 400, 400],
            body={"name": "Laptop", "credential": {"id": "AAAA", "type": "public-key", "response": {
                "clientDataJSON": "e30", "attestationObject": "oA"}}}),
        row("GET", "/api/v1/me/passkeys", [401, 403, 200, 200, 200, 200, 200]),
        row("PATCH", "/api/v1/me/passkeys/{id}", [401, 403, 404, 404, 404, 404, 404], body={"name": "Phone"},
            path_fn=lambda c: "/api/v1/me/passkeys/pky_" + "0" * 24),
        row("DELETE", "/api/v1/me/passkeys/{id}", [401, 403, 404, 404, 404, 404, 404], body={"password": PASSWORD},
            path_fn=lambda c: "/api/v1/me/passkeys/pky_" + "0" * 24),
        # A ceremony's challenge changes nothing; the ceremony's outcome is audited (test_passkeys).
        row("POST", "/api/v1/sessions/passkey/options", [200] * 7, body={}, audit=None),
        row("POST", "/api/v1/sessions/passkey", [400] * 7, body={"credential": {}}),
        row("POST", "/api/v1/me/password", [401, 403, 204, 204, 204, 204, 204],
            body={"current_password": PASSWORD, "new_password": PASSWORD, "sign_out_others": False}, audit="user.password_change"),
        row("POST", "/api/v1/me/verify-email", [401, 403, 409, 409, 409, 409, 409], body={}),
        row("POST", "/api/v1/verify-email", [400] * 7, body={"token": "x" * 43}),
        row("POST", "/api/v1/invitations", [401, 403, 201, 403, 403, 403, 201],
            body=lambda c: {"email": unique("inv") + "@invited.example", "role": "viewer"}, audit="invitation.create"),
        row("GET", "/api/v1/invitations", [401, 403, 200, 403, 403, 403, 200]),
        row("DELETE", "/api/v1/invitations/{id}", [401, 403, 204, 403, 403, 403, 404],
            path_fn=lambda c: "/api/v1/invitations/" + invite_in_a(), audit="invitation.revoke"),
        row("POST", "/api/v1/invitations/accept", [400] * 7, body={"token": "x" * 43, "password": PASSWORD}),
        row("GET", "/api/v1/org/blocked", [401, 403, 200, 403, 403, 403, 200]),
        row("POST", "/api/v1/org/blocked", [401, 403, 201, 403, 403, 403, 201],
            body=lambda c: {"entry": unique("blocked") + ".example"}, audit="blocklist.add"),
        row("DELETE", "/api/v1/org/blocked", [401, 403, 204, 403, 403, 403, 404],
            body=lambda c: {"entry": block_in_a()}, audit="blocklist.remove"),
        row("POST", "/api/v1/users", [401, 403, 201, 403, 403, 403, 201],
            body=lambda c: {"email": unique("u") + "@a.example", "password": PASSWORD, "role": "viewer"}, audit="user.create"),
        row("GET", "/api/v1/users", [401, 403, 200, 403, 403, 403, 200]),
        # The colleague reads their own account; other Editors and Viewers may not read others.
        row("GET", "/api/v1/users/{id}", [401, 403, 200, 403, 403, 200, 404],
            path_fn=lambda c: f"/api/v1/users/{w.a.editor2_id}"),
        # A fresh Viewer of org A each time, made an Editor: a change, so an audit entry.
        row("PATCH", "/api/v1/users/{id}", [401, 403, 200, 403, 403, 403, 404],
            path_fn=lambda c: "/api/v1/users/" + add_user(w.b, w.tokens["admin"], unique("promoted") + "@a.example", "viewer"),
            body={"role": "editor"}, audit="user.update"),
        # Nobody in org A has a second factor in this table: the Administrator hears 409.
        row("POST", "/api/v1/users/{id}/mfa/reset", [401, 403, 409, 403, 403, 403, 404],
            path_fn=lambda c: f"/api/v1/users/{w.a.editor2_id}/mfa/reset", body={}),
        row("GET", "/api/v1/org/settings", [401, 403, 200, 403, 403, 403, 200]),
        row("PATCH", "/api/v1/org/settings", [401, 403, 200, 403, 403, 403, 200], body={"audit_depth": 11},
            audit="org.settings"),
        row("GET", "/api/v1/org/column-mappings", [401, 403, 200, 200, 200, 200, 200]),
        row("PUT", "/api/v1/org/column-mappings", [401, 403, 200, 403, 403, 403, 200],
            body={"mappings": [{"column": "Mfr PN", "property": "mfr_pn"}]}, audit="org.column_mappings"),
        row("GET", "/api/v1/org/import-profiles", [401, 403, 200, 200, 200, 200, 200]),
        row("POST", "/api/v1/org/import-profiles", [401, 403, 201, 403, 403, 403, 201],
            body={"name": "KiCad boards", "base": "kicad-grouped", "options": {"on_error": "skip"}}, audit="org.import_profile_create"),
        row("PUT", "/api/v1/org/import-profiles/{id}", [401, 403, 200, 403, 403, 403, 404],
            body={"name": "Renamed profile"}, path_fn=lambda c: w.fresh_import_profile(), audit="org.import_profile_update"),
        row("DELETE", "/api/v1/org/import-profiles/{id}", [401, 403, 204, 403, 403, 403, 404],
            path_fn=lambda c: w.fresh_import_profile(), audit="org.import_profile_delete"),
        row("POST", "/api/v1/org/support-access", [401, 403, 200, 403, 403, 403, 200], body={"hours": 0}, audit="support.revoke"),
        row("GET", "/api/v1/audit", [401, 403, 200, 403, 403, 403, 200],
            path_fn=lambda c: f"/api/v1/audit?object=bom:{w.fresh_bom()}"),
        row("POST", "/api/v1/boms", [401, 403, 201, 201, 403, 201, 201],
            body={"name": "Created", "items": [{"ref": "1", "part_number": "P-1", "quantity": 1}]}, audit="bom.create"),
        row("POST", "/api/v1/boms/import", [401, 403, 201, 201, 403, 201, 201],
            path_fn=lambda c: "/api/v1/boms/import?name=Imported",
            body=b"level,part_number,quantity\n0,TOP,1\n1,SUB,2\n", ctype="text/csv", audit="bom.create"),
        # A preview stores nothing.
        row("POST", "/api/v1/boms/import/preview", [401, 403, 200, 200, 403, 200, 200],
            body=b"Designator,Value,Qty\nR1,10k,1\n", ctype="text/csv", audit=None),
        row("GET", "/api/v1/boms", [401, 403, 200, 200, 200, 200, 200]),
        row("GET", "/api/v1/where-used", [401, 403, 200, 200, 200, 200, 200],
            path_fn=lambda c: "/api/v1/where-used?part_number=SHF-7"),
        row("GET", "/api/v1/boms/{id}", read_bom, path_fn=bom_path()),
        row("GET", "/api/v1/boms/{id}/items", read_bom, path_fn=bom_path("/items")),
        row("GET", "/api/v1/boms/{id}/export", read_bom, path_fn=bom_path("/export?format=csv")),
        row("GET", "/api/v1/boms/{id}/flat", read_bom, path_fn=bom_path("/flat")),
        row("GET", "/api/v1/boms/{id}/shares", read_bom, path_fn=bom_path("/shares")),
        row("GET", "/api/v1/boms/{id}/compare/{other}", read_bom,
            path_fn=lambda c: f"/api/v1/boms/{w.fresh_bom()}/compare/{w.fresh_bom()}"),
        row("PATCH", "/api/v1/boms/{id}", [401, 403, 200, 200, 403, 404, 404], body={"name": "Renamed"},
            path_fn=bom_path(), audit="bom.update"),
        row("POST", "/api/v1/boms/{id}/revisions", [401, 403, 201, 201, 403, 404, 404],
            body=b"Part Number,Description,Qty\nSHF-7,Shaft,2\n", ctype="text/csv",
            path_fn=bom_path("/revisions?source=rev.csv"), audit="bom.revision"),
        row("GET", "/api/v1/boms/{id}/revisions", read_bom, path_fn=bom_path("/revisions")),
        row("DELETE", "/api/v1/boms/{id}", [401, 403, 204, 204, 403, 404, 404], path_fn=bom_path(), audit="bom.delete"),
        row("POST", "/api/v1/boms/{id}/shares", [401, 403, 201, 201, 403, 404, 404],
            body=lambda c: {"user_id": w.a.editor2_id, "access": "edit"}, path_fn=bom_path("/shares"), audit="bom.share"),
        row("DELETE", "/api/v1/boms/{id}/shares/{user_id}", [401, 403, 204, 204, 403, 404, 404],
            path_fn=lambda c: f"/api/v1/boms/{w.fresh_bom()}/shares/{w.a.viewer_id}", audit="bom.unshare"),
        row("POST", "/api/v1/boms/{id}/transfer", [401, 403, 200, 200, 403, 404, 404],
            body=lambda c: {"user_id": w.a.editor2_id}, path_fn=bom_path("/transfer"), audit="bom.transfer"),
        row("GET", "/api/v1/boms/{id}/attachments", read_bom, path_fn=bom_path("/attachments")),
        row("POST", "/api/v1/boms/{id}/attachments", [401, 403, 201, 201, 403, 404, 404],
            body=png_bytes(), ctype="image/png", path_fn=bom_path("/attachments?kind=thumbnail&name=t.png"), audit="bom.attachment.add"),
        row("GET", "/api/v1/boms/{id}/attachments/{attachment_id}", read_bom,
            path_fn=lambda c: w.fresh_attachment()),
        row("DELETE", "/api/v1/boms/{id}/attachments/{attachment_id}", [401, 403, 204, 204, 403, 404, 404],
            path_fn=lambda c: w.fresh_attachment(), audit="bom.attachment.delete"),
        row("POST", "/api/v1/sources", [401, 403, 201, 403, 403, 403, 201],
            body=lambda c: {"name": unique("S "), "kind": "tryton", "base_url": "https://erp.example",
                            "database": "prod"}, audit="source.create"),
        row("GET", "/api/v1/sources", [401, 403, 200, 200, 200, 200, 200]),
        row("GET", "/api/v1/sources/{id}", [401, 403, 200, 200, 200, 200, 404],
            path_fn=lambda c: f"/api/v1/sources/{w.source}"),
        row("PATCH", "/api/v1/sources/{id}", [401, 403, 200, 403, 403, 403, 404],
            path_fn=lambda c: f"/api/v1/sources/{w.fresh_source()}", body={"name": "Renamed source"}, audit="source.update"),
        row("DELETE", "/api/v1/sources/{id}", [401, 403, 204, 403, 403, 403, 404],
            path_fn=lambda c: f"/api/v1/sources/{w.fresh_source()}", audit="source.delete"),
        # No connection yet: pulls and sends ask to connect first.
        row("POST", "/api/v1/sources/{id}/pull", [401, 403, 409, 409, 403, 409, 404],
            path_fn=lambda c: f"/api/v1/sources/{w.source}/pull", body={"remote_id": "1"}),
        row("POST", "/api/v1/boms/{id}/send", [401, 403, 409, 409, 409, 404, 404],
            path_fn=bom_path("/send"), body=lambda c: {"source_id": w.source}),
        row("PUT", "/api/v1/sources/{id}/connection", [401, 403, 204, 204, 204, 204, 404],
            path_fn=lambda c: f"/api/v1/sources/{w.source}/connection",
            body={"username": "u", "password": "Some-Password-42x"}, audit="source.connect"),
        # The table's source signs in with Tryton logins, not OAuth.
        row("POST", "/api/v1/sources/{id}/connection/authorize", [401, 403, 400, 400, 400, 400, 404],
            path_fn=lambda c: f"/api/v1/sources/{w.source}/connection/authorize",
            body={"redirect_uri": "https://app.example/callback"}),
        # A folder source (serve --source-dir): who may pull lists its files; no connection.
        row("GET", "/api/v1/sources/{id}/files", [401, 403, 200, 200, 403, 200, 404],
            path_fn=lambda c: f"/api/v1/sources/{w.folder_source}/files"),
        row("GET", "/api/v1/jobs/{id}", [401, 403, 404, 200, 404, 404, 404],
            path_fn=lambda c: f"/api/v1/jobs/{w.slow_job(c)}"),
        # Cancelling one's own pull changes no stored object (the job is in memory).
        row("DELETE", "/api/v1/jobs/{id}", [401, 403, 404, 204, 404, 404, 404],
            path_fn=lambda c: f"/api/v1/jobs/{w.slow_job(c)}", audit=None),
        row("DELETE", "/api/v1/sources/{id}/connection", [401, 403, 204, 204, 204, 204, 404],
            path_fn=lambda c: f"/api/v1/sources/{w.source}/connection", audit="source.disconnect"),
        # Single sign-on. The provider's address is never reached by these rows (nothing listens
        # there); flows that reach a provider are in test_sso.py.
        row("PUT", "/api/v1/org/sso", [401, 403, 204, 403, 403, 403, 204],
            body={"issuer": "http://127.0.0.1:9", "client_id": "bv", "client_secret": "s3cret-value",
                  "display_name": "Table ID", "internal": True}, audit="sso.create"),
        row("GET", "/api/v1/org/sso", [401, 403, 200, 403, 403, 403, 200]),
        row("GET", "/api/v1/sso/{org}", [200] * 7, path_fn=lambda c: f"/api/v1/sso/{w.a.id}"),
        row("GET", "/api/v1/sso/{org}/start", [404] * 7, path_fn=lambda c: "/api/v1/sso/org_" + "0" * 24 + "/start"),
        row("POST", "/api/v1/sso/{org}/link", [401, 403, 404, 404, 404, 404, 404], body={},
            path_fn=lambda c: f"/api/v1/sso/{w.other.id}/link" if c != "other_admin" else "/api/v1/sso/org_" + "0" * 24 + "/link"),
        row("GET", "/api/v1/sso/callback", [400] * 7),
        # No SSO session in this table: the sign-out is local only, as DELETE /sessions/current.
        row("POST", "/api/v1/sso/logout", [401, 403, 200, 200, 200, 200, 200], body={}, after=w.resign, audit=None),
        row("POST", "/api/v1/org/sso/local-passwords", [401, 403, 204, 403, 403, 403, 204], body={"enabled": True}, audit="org.settings"),
        row("DELETE", "/api/v1/org/sso", [401, 403, 204, 403, 403, 403, 204], audit="sso.delete"),
        row("POST", "/api/v1/orgs/{id}/break-glass", [401, 201, 403, 403, 403, 403, 403],
            path_fn=lambda c: f"/api/v1/orgs/{w.a.id}/break-glass",
            body=lambda c: {"user_id": w.a.admin_id, "reason": "provider outage drill"}, audit="session.break_glass", audit_where="a"),
        row("POST", "/api/v1/backups", [401, 201, 403, 403, 403, 403, 403],
            body=lambda c: {"to": f"{w.srv.store.tmp}/{unique('backup-')}"}, audit="backup.write"),
        row("GET", "/api/v1/backups", [401, 200, 403, 403, 403, 403, 403]),
        row("POST", "/api/v1/keys/rotate", [401, 202, 403, 403, 403, 403, 403],
            body=lambda c: {"org_id": w.other.id}, audit="key.rotate"),
        row("GET", "/api/v1/keys/rotation", [401, 200, 403, 403, 403, 403, 403]),
        row("GET", "/api/v1/ready", [200] * 7),
        row("GET", "/api/v1/instance/audit", [401, 200, 403, 403, 403, 403, 403]),
        row("GET", "/api/v1/metrics", [401, 200, 403, 403, 403, 403, 403]),
        # Last: sealing ends the run for everyone.
        row("POST", "/api/v1/seal", [401, 200, 403, 403, 403, 403, 403], body={}),
    ]


def test_every_route_answers_every_caller_as_the_table_says():
    st = Store()
    drop = tempfile.mkdtemp(prefix="bv-drop-")
    # A host name in the public URL: passkeys need one (an IP address cannot be a WebAuthn RP ID).
    srv = Server(st, extra=["--rate-limit", "0", "--source-dir", drop, "--public-url", "http://localhost:{port}"])
    fake = FakeSource(slow_marker="999")
    try:
        w = World(srv)
        w.fake = fake
        w.source = w.fresh_source()
        os.makedirs(os.path.join(drop, w.a.id, "exports"))
        with open(os.path.join(drop, w.a.id, "exports", "bom.csv"), "w") as f:
            f.write("level,part_number,quantity\n0,A-1,1\n")
        s, r, _ = call(srv.base, "POST", "/api/v1/sources", {"name": "Drop", "kind": "folder", "path": "exports"},
                       token=w.tokens["admin"])
        assert s == 201, r
        w.folder_source = r["id"]
        rows = table(w)
        s, spec, _ = call(srv.base, "GET", "/api/v1/openapi.json")
        served = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
        covered = {(r["method"], r["path"]) for r in rows}
        assert served - covered == set(), f"routes without rows: {sorted(served - covered)}"
        assert covered - served == set(), f"rows for routes that do not exist: {sorted(covered - served)}"
        failures, discovered = [], {}
        reader = AuditReader(w)
        # Seal must run with the operator last of all; everything else in table order.
        for r in rows:
            callers = CALLERS if r["path"] != "/api/v1/seal" else [c for c in CALLERS if c != "operator"] + ["operator"]
            write = r["method"] != "GET" and r["path"] != "/api/v1/seal"
            for caller in callers:
                path = r["path_fn"](caller) if r["path_fn"] else r["path"]
                body = r["body"](caller) if callable(r["body"]) else r["body"]
                where = r["audit_where"] or w.audit_home.get(caller)
                mark = reader.newest_id(where) if write and where and where != "new_org" else None
                s, resp, _ = call(srv.base, r["method"], path, body, token=w.tokens[caller], ctype=r["ctype"])
                if s != r["expect"][caller]:
                    failures.append(f"{r['method']} {r['path']} as {caller}: {s} (want {r['expect'][caller]}) {str(resp)[:120]}")
                if s >= 400 and not (isinstance(resp, dict) and "error" in resp):
                    failures.append(f"{r['method']} {r['path']} as {caller}: error without the error body")
                if where == "new_org" and 200 <= s < 300:
                    admin = sign_in(srv.base, body["admin_email"])
                    entries = call(srv.base, "GET", "/api/v1/audit?action=org.create", token=admin)[1]["entries"]
                    if [(e["action"], e["actor_id"]) for e in entries] != [("org.create", "operator")]:
                        failures.append(f"POST /api/v1/orgs: the new org's audit holds {entries}")
                if mark is not None and 200 <= s < 300:
                    actor = w.actor_ids[r["audit_actor"] or caller]
                    new = [(e["action"], e["actor_id"]) for e in reader.since(where, mark)]
                    if r["audit"] is NOT_AUDITED:
                        discovered.setdefault(f"{r['method']} {r['path']}", set()).update(a for a, _ in new)
                    elif r["audit"] is not None and (r["audit"], actor) not in new:
                        failures.append(f"{r['method']} {r['path']} as {caller}: no '{r['audit']}' entry by "
                                        f"{actor} in the audit; new entries: {new}")
                if r["after"]:
                    r["after"](caller)
        assert not discovered, "writes whose rows name no audit action: " + "; ".join(
            f"{k} -> {sorted(v)}" for k, v in sorted(discovered.items()))
        assert not failures, "\n".join(failures)
    finally:
        srv.stop()
        st.cleanup()
        shutil.rmtree(drop, ignore_errors=True)
        fake.stop()
