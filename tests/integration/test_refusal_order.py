"""The dispatcher decides a route's permission before its handler runs (http/api.h, RouteSpec).

For a route on one BOM (RouteSpec::target OnBom) the BOM's visibility comes first: a caller who
may not see the BOM hears the 404 of a missing one, whatever is wrong with the request's body or
headers, because no handler reads them; a caller who sees it but may not do this hears 403, never a
400 about a body they were never going to be allowed to send. A missing BOM, an unseen one and an
id that is not one answer byte for byte alike. User routes that may be about oneself (OnUser) and
the /me routes decide the same way, before the body is read.
"""
import pytest

from harness import Org, add_user, attach, call, is_error, make_bom, pdf_bytes, sign_in

MISSING_BOM = "bom_" + "0" * 24
BAD_KEY = {"Idempotency-Key": "two words"}
# Over every per-route JSON limit (4 KiB for shares and transfer, 1 MiB for the rest) and under
# the server's whole-request cap, so only a handler would have refused it for its size.
OVERSIZED = b'{"name": "' + b"x" * (2 << 20) + b'"}'


class World:
    def __init__(self, srv):
        self.b = srv.base
        self.org = Org(srv)
        b, org = self.b, self.org
        self.owner = org.editor
        # An Editor holding a view share: the share, not the role, refuses the writes.
        self.view_editor_id = add_user(b, org.admin, "view-editor@acme.example", "editor")
        self.view_editor = sign_in(b, "view-editor@acme.example")
        self.stranger = org.editor2  # same org, same role as the owner, no share
        self.bom = make_bom(b, self.owner, name="Visible to few")
        for user in (self.view_editor_id, org.viewer_id):
            s, r, _ = call(b, "POST", f"/api/v1/boms/{self.bom}/shares", {"user_id": user, "access": "view"},
                           token=self.owner)
            assert s == 201, r
        s, r, _ = attach(b, self.owner, self.bom, pdf_bytes())
        assert s == 201, r
        self.attachment = r["id"]

    def summary(self):
        s, r, h = call(self.b, "GET", f"/api/v1/boms/{self.bom}", token=self.owner)
        assert s == 200, r
        r.pop("last_interacted_at", None)  # reads mark it (hour precision)
        return r, h["ETag"]


# Every route on one BOM that changes something: (method, path after /api/v1/boms/{id}, needs a
# recent proof of identity (Auth::kRecent, asked before the permission), honours
# Idempotency-Key). The path is filled in for the BOM at hand.
WRITES = [
    ("PATCH", "", False, False),
    ("POST", "/revisions?source=r.csv", False, True),
    ("DELETE", "", True, False),
    ("POST", "/shares", False, True),
    ("DELETE", "/shares/{viewer}", False, False),
    ("POST", "/transfer", True, False),
    ("POST", "/attachments?kind=derivative&name=d.pdf", False, True),
    ("DELETE", "/attachments/{attachment}", False, False),
    ("POST", "/send", False, False),
]
READS = ["", "/items", "/export?format=csv", "/flat", "/revisions", "/shares", "/attachments",
         "/attachments/{attachment}", "/compare/{bom}"]


def path(w, bom, suffix):
    return f"/api/v1/boms/{bom}" + suffix.format(viewer=w.org.viewer_id, attachment=w.attachment, bom=w.bom)


@pytest.fixture
def world(serve):
    return World(serve(extra=["--rate-limit", "0"]))


def test_a_stranger_hears_404_whatever_is_wrong_with_the_request(world):
    w = world
    before = w.summary()
    for method, suffix, _, idempotent in WRITES:
        p = path(w, w.bom, suffix)
        for label, body, headers in [("malformed body", b"{not json", {}),
                                     ("oversized body", OVERSIZED, {}),
                                     ("bad Idempotency-Key", b"{}", BAD_KEY)]:
            s, r, _ = call(w.b, method, p, body, token=w.stranger, headers=headers)
            assert s == 404 and is_error(r, "not_found"), (method, suffix, label, s, r)
        if idempotent:
            # The key's check is real: the owner, who may write, hears about their key.
            s, r, _ = call(w.b, method, p, b"{}", token=w.owner, headers=BAD_KEY)
            assert s == 400 and is_error(r, "invalid_idempotency_key"), (method, suffix, s, r)
    # Nothing ran: the BOM is as it was, shares and attachment included.
    assert w.summary() == before
    s, r, _ = call(w.b, "GET", f"/api/v1/boms/{w.bom}/shares", token=w.owner)
    assert s == 200 and len(r["shares"]) == 2, r


def test_a_view_share_hears_403_on_writes_before_its_body_is_read(world):
    w = world
    for who in (w.view_editor, w.org.viewer):
        for method, suffix, _, idempotent in WRITES:
            if suffix == "/send":
                continue  # whoever may read a BOM may send it (their body is read: 400)
            p = path(w, w.bom, suffix)
            s, r, _ = call(w.b, method, p, b"{not json", token=who)
            assert s == 403 and is_error(r, "forbidden"), (method, suffix, s, r)
            s, r, _ = call(w.b, method, p, OVERSIZED, token=who)
            assert s == 403 and is_error(r, "forbidden"), (method, suffix, s, r)
            if idempotent:
                s, r, _ = call(w.b, method, p, b"{}", token=who, headers=BAD_KEY)
                assert s == 403 and is_error(r, "forbidden"), (method, suffix, s, r)
        # Sending is reading it out: the share holder passes the BOM's check and the body is read.
        s, r, _ = call(w.b, "POST", path(w, w.bom, "/send"), b"{not json", token=who)
        assert s == 400 and is_error(r, "invalid_json"), (s, r)


def test_missing_unseen_and_malformed_bom_ids_answer_alike(world):
    w = world
    for method, suffix, _, _ in WRITES + [("GET", s, False, False) for s in READS]:
        answers = []
        for bom in (MISSING_BOM, w.bom, "bom_not-an-id", "x"):
            body = b"{not json" if method != "GET" else None
            s, raw, headers = call(w.b, method, path(w, bom, suffix), body, token=w.stranger, raw=True)
            kept = {k: v for k, v in headers.items() if k.lower() not in ("x-request-id", "date")}
            answers.append((s, raw, sorted(kept.items())))
        assert answers[0][0] == 404, (method, suffix, answers[0])
        assert all(a == answers[0] for a in answers), (method, suffix, answers)


def test_another_organisation_and_the_operator_meet_the_same_order(world):
    w = world
    other = Org(w.org.server, name="Other", domain="other.example")
    for method, suffix, _, _ in WRITES:
        s, r, _ = call(w.b, method, path(w, w.bom, suffix), b"{not json", token=other.admin)
        assert s == 404 and is_error(r, "not_found"), (method, suffix, s, r)
        # The operator has no BOM functions at all: 403, with or without a BOM behind the id.
        for bom in (w.bom, MISSING_BOM):
            s, r, _ = call(w.b, method, path(w, bom, suffix), b"{not json", token=w.org.server.store.operator)
            assert s == 403 and is_error(r, "forbidden"), (method, suffix, s, r)


def test_a_read_only_token_is_refused_writes_on_a_visible_bom_and_sees_no_other(world):
    w = world
    s, r, _ = call(w.b, "POST", "/api/v1/me/tokens", {"name": "ro", "scope": "read", "days": 1}, token=w.owner)
    assert s == 201, r
    ro = r["token"]
    other_bom = make_bom(w.b, w.org.admin, name="Not shared")
    for method, suffix, recent, _ in WRITES:
        if recent:
            continue  # an API token never holds the recent proof: refused before (test_reauth.py)
        s, r, _ = call(w.b, method, path(w, w.bom, suffix), b"{not json", token=ro)
        assert s == 403 and is_error(r, "forbidden"), (method, suffix, s, r)
        s, r, _ = call(w.b, method, path(w, other_bom, suffix), b"{not json", token=ro)
        assert s == 404 and is_error(r, "not_found"), (method, suffix, s, r)


def test_user_routes_decide_before_the_body(world):
    w = world
    me = w.org.editor_id
    # GET /users/{id}: oneself, or an Administrator; an id that is not one is 404 for everyone.
    assert call(w.b, "GET", f"/api/v1/users/{me}", token=w.owner)[0] == 200
    s, r, _ = call(w.b, "GET", f"/api/v1/users/{w.org.editor2_id}", token=w.owner)
    assert s == 403 and is_error(r, "forbidden"), (s, r)
    for who in (w.owner, w.org.admin, w.org.server.store.operator):
        s, r, _ = call(w.b, "GET", "/api/v1/users/usr_nope", token=who)
        assert s == 404 and is_error(r, "not_found"), (s, r)
    assert call(w.b, "GET", f"/api/v1/users/{w.org.editor2_id}", token=w.org.admin)[0] == 200
    # A read-only token may read its own account, and change nothing of it: refused before the
    # body is read, so a malformed body is 403, not 400.
    s, r, _ = call(w.b, "POST", "/api/v1/me/tokens", {"name": "ro", "scope": "read", "days": 1}, token=w.owner)
    assert s == 201, r
    ro = r["token"]
    assert call(w.b, "GET", f"/api/v1/users/{me}", token=ro)[0] == 200
    for method, p in [("PATCH", "/api/v1/me"), ("POST", "/api/v1/me/verify-email")]:
        s, r, _ = call(w.b, method, p, b"{not json", token=ro)
        assert s == 403 and is_error(r, "forbidden"), (method, p, s, r)
        s, r, _ = call(w.b, method, p, b"{not json", token=w.owner)
        assert s == 400 and is_error(r, "invalid_json"), (method, p, s, r)
    # The operator is nobody's self: refused before its body is read.
    for method, p in [("PATCH", "/api/v1/me"), ("POST", "/api/v1/me/mfa/totp/confirm")]:
        s, r, _ = call(w.b, method, p, b"{not json", token=w.org.server.store.operator)
        assert s == 403 and is_error(r, "forbidden"), (method, p, s, r)
