"""Re-authentication before sensitive operations (ASVS 7.5.1-7.5.3, docs/security.md).

The server's clock is moved with libfaketime across a restart (sessions live in the store): a
session signed in 11 minutes ago is past the 10-minute window, so every sensitive operation
answers 403 reauth_required and changes nothing, checked in the store through the API afterwards;
POST /api/v1/sessions/current/reauth opens it again for that session only.
"""
import datetime
import glob
import os
import subprocess
import time

from harness import PASSWORD, Org, Server, Store, call, is_error, make_bom, sign_in

FAKETIME_LIB = (glob.glob("/usr/lib/*/faketime/libfaketime.so.1") or
                ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"])[0]
T0 = datetime.datetime(2026, 3, 2, 9, 0, 0)


class Clock:
    """A server whose clock starts `minutes` after T0; `now()` is the server's Unix time."""

    def __init__(self, minutes):
        self.start = (T0 + datetime.timedelta(minutes=minutes)).replace(tzinfo=datetime.timezone.utc)
        self.env = {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": "@" + self.start.strftime("%Y-%m-%d %H:%M:%S"),
                    "FAKETIME_DONT_FAKE_MONOTONIC": "1", "TZ": "UTC"}
        self.real_start = time.time()

    def now(self):
        return int(self.start.timestamp() + time.time() - self.real_start)

    def totp(self, secret, steps=0):
        return subprocess.run(["oathtool", "--totp", "-b", secret, f"--now=@{self.now() + 30 * steps}"],
                              capture_output=True, text=True, check=True).stdout.strip()


def refused(r, code="reauth_required"):
    s, body, _ = r
    return s == 403 and is_error(body, code)


def test_reauth_sensitive_operations_outside_the_window_are_refused_and_change_nothing(serve):
    clock = Clock(0)
    srv = serve(env=clock.env)
    org = Org(srv).ensure_all()  # made inside the window, on this first server
    b = srv.base
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp", {}, token=org.admin)
    admin_secret = r["secret"]
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp/confirm", {"code": clock.totp(admin_secret, -1)},
                   token=org.admin)
    assert s == 200, r
    org.admin = sign_in(b, "admin@acme.example", totp=clock.totp(admin_secret))
    doomed = make_bom(b, org.editor, name="Doomed")
    given = make_bom(b, org.editor, name="Given away")
    s, r, _ = call(b, "POST", "/api/v1/me/tokens", {"name": "ci", "scope": "write", "days": 1},
                   token=org.editor)
    assert s == 201, r
    api_token = r["token"]
    # A fresh sign-in is inside the window: sign in, then delete at once (the contract's flow).
    quick = make_bom(b, org.editor, name="Quick")
    assert call(b, "DELETE", f"/api/v1/boms/{quick}", token=sign_in(b, "editor@acme.example"))[0] == 204
    srv.stop()

    clock = Clock(11)
    srv = serve(store=srv.store, env=clock.env)
    b = srv.base
    ed = org.editor
    # Reads still work: the session itself is alive (idle limit 2 hours).
    assert call(b, "GET", "/api/v1/me", token=ed)[0] == 200
    s, tokens_before, _ = call(b, "GET", "/api/v1/me/tokens", token=ed)
    assert refused(call(b, "DELETE", f"/api/v1/boms/{doomed}", token=ed))
    assert refused(call(b, "POST", f"/api/v1/boms/{given}/transfer", {"user_id": org.editor2_id}, token=ed))
    assert refused(call(b, "POST", "/api/v1/me/password",
                        {"current_password": PASSWORD, "new_password": "Another-Long-Pass-42"}, token=ed))
    assert refused(call(b, "POST", "/api/v1/me/tokens", {"name": "x", "scope": "write", "days": 1}, token=ed))
    assert refused(call(b, "DELETE", "/api/v1/me/sessions", token=ed))
    assert refused(call(b, "POST", "/api/v1/me/mfa/totp", {}, token=ed))
    assert refused(call(b, "POST", "/api/v1/me/passkeys/options", {}, token=ed))
    # API tokens never re-prove, so they never do these.
    assert refused(call(b, "DELETE", f"/api/v1/boms/{doomed}", token=api_token), "interactive_session_required")
    # The Administrator (TOTP enrolled): people and factors.
    ad = org.admin
    assert refused(call(b, "PATCH", f"/api/v1/users/{org.viewer_id}", {"role": "administrator"}, token=ad))
    assert refused(call(b, "PATCH", f"/api/v1/users/{org.viewer_id}", {"disabled": True}, token=ad))
    assert refused(call(b, "POST", f"/api/v1/users/{org.editor_id}/mfa/reset", {}, token=ad))
    assert refused(call(b, "POST", "/api/v1/users",
                        {"email": "new@acme.example", "password": PASSWORD, "role": "administrator"}, token=ad))
    assert refused(call(b, "POST", "/api/v1/me/mfa/recovery-codes", {"code": clock.totp(admin_secret)}, token=ad))
    assert refused(call(b, "PATCH", "/api/v1/org/settings", {"mfa_policy": "optional"}, token=ad))
    # Nothing changed.
    assert call(b, "GET", f"/api/v1/boms/{doomed}", token=ed)[0] == 200
    s, r, _ = call(b, "GET", f"/api/v1/boms/{given}", token=ed)
    assert s == 200 and r["owner_id"] == org.editor_id
    ids = lambda listing: sorted(t["id"] for t in listing["tokens"])
    assert ids(call(b, "GET", "/api/v1/me/tokens", token=ed)[1]) == ids(tokens_before)
    s, me, _ = call(b, "GET", "/api/v1/me", token=ed)
    assert me["mfa_enabled"] is False
    sign_in(b, "editor@acme.example")  # the password is unchanged
    s, users, _ = call(b, "GET", "/api/v1/users", token=ad)
    by_id = {u["id"]: u for u in users["users"]}
    assert by_id[org.viewer_id]["role"] == "viewer" and not by_id[org.viewer_id]["disabled"]
    assert "new@acme.example" not in [u["email"] for u in users["users"]]
    s, me, _ = call(b, "GET", "/api/v1/me", token=ad)
    assert me["recovery_codes_left"] == 10

    # A wrong password re-proves nothing.
    s, r, _ = call(b, "POST", "/api/v1/sessions/current/reauth", {"password": "not-the-password-1"}, token=ed)
    assert s == 400 and is_error(r, "current_password_wrong")
    assert refused(call(b, "DELETE", f"/api/v1/boms/{doomed}", token=ed))
    # The right one opens the window for this session...
    s, r, _ = call(b, "POST", "/api/v1/sessions/current/reauth", {"password": PASSWORD}, token=ed)
    assert s == 200 and r["authenticated_at"] < r["reauth_until"], r
    assert call(b, "DELETE", f"/api/v1/boms/{doomed}", token=ed)[0] == 204
    assert call(b, "GET", f"/api/v1/boms/{doomed}", token=ed)[0] == 404
    s, r, _ = call(b, "POST", f"/api/v1/boms/{given}/transfer", {"user_id": org.editor2_id}, token=ed)
    assert s == 200, r
    # ...only: the API token still may not, and cannot re-prove.
    doomed2 = make_bom(b, ed, name="Doomed 2")
    assert refused(call(b, "DELETE", f"/api/v1/boms/{doomed2}", token=api_token), "interactive_session_required")
    assert refused(call(b, "POST", "/api/v1/sessions/current/reauth", {"password": PASSWORD}, token=api_token),
                   "interactive_session_required")

    # With TOTP enrolled the password alone is not enough, as at sign-in.
    s, r, _ = call(b, "POST", "/api/v1/sessions/current/reauth", {"password": PASSWORD}, token=ad)
    assert s == 400 and is_error(r, "totp_required")
    s, r, _ = call(b, "POST", "/api/v1/sessions/current/reauth", {"password": PASSWORD, "totp": "000000"},
                   token=ad)
    assert s == 400 and is_error(r, "totp_invalid")
    code = clock.totp(admin_secret)
    s, r, _ = call(b, "POST", "/api/v1/sessions/current/reauth", {"password": PASSWORD, "totp": code}, token=ad)
    assert s == 200, r
    s, r, _ = call(b, "PATCH", f"/api/v1/users/{org.viewer_id}", {"role": "editor"}, token=ad)
    assert s == 200 and r["role"] == "editor", r

    # Audited: each success and each failure, under the user.
    def actions(user, action):
        s, r, _ = call(b, "GET", f"/api/v1/audit?object=user:{user}&action={action}", token=ad)
        assert s == 200, r
        return r["entries"]
    assert len(actions(org.editor_id, "session.reauth")) == 1
    assert [e["change"]["reason"] for e in actions(org.editor_id, "session.reauth_failure")] == ["password"]
    assert [e["change"].get("mfa") for e in actions(org.admin_id, "session.reauth")] == ["totp"]
    assert [e["change"]["reason"] for e in actions(org.admin_id, "session.reauth_failure")] == ["totp"]


def test_reauth_wrong_passwords_are_counted_by_the_back_off(serve):
    srv = serve()
    org = Org(srv).ensure("editor", "viewer")  # the colleague is signed in before the guesses
    b = srv.base
    statuses = [call(b, "POST", "/api/v1/sessions/current/reauth", {"password": f"guess-{i}-wrong"},
                     token=org.viewer)[0] for i in range(8)]
    # Sign-in's limits: 5 failures are free, the 6th starts the wait.
    assert statuses[:6] == [400] * 6 and set(statuses[6:]) == {429}, statuses
    # Locked: even the right password waits, and says how long.
    s, r, h = call(b, "POST", "/api/v1/sessions/current/reauth", {"password": PASSWORD}, token=org.viewer)
    assert s == 429 and int(h["Retry-After"]) > 0, r
    # Per user: a colleague is not affected.
    assert call(b, "POST", "/api/v1/sessions/current/reauth", {"password": PASSWORD}, token=org.editor)[0] == 200
    s, r, _ = call(b, "GET", f"/api/v1/audit?object=user:{org.viewer_id}&action=session.reauth_failure",
                   token=org.admin)
    assert len(r["entries"]) == 6


def test_reauth_a_proof_belongs_to_one_session_and_a_fresh_sign_in_counts(serve, store):
    st = store
    clock = Clock(0)
    srv = serve(store=st, env=clock.env)
    org = Org(srv).ensure("editor")  # org.editor's session is older than `other`
    other = sign_in(srv.base, "editor@acme.example")
    boms = [make_bom(srv.base, org.editor, name=f"B{i}") for i in range(3)]
    srv.stop()
    srv = serve(store=st, env=Clock(30).env)
    b = srv.base
    assert call(b, "POST", "/api/v1/sessions/current/reauth", {"password": PASSWORD}, token=org.editor)[0] == 200
    assert call(b, "DELETE", f"/api/v1/boms/{boms[0]}", token=org.editor)[0] == 204
    assert refused(call(b, "DELETE", f"/api/v1/boms/{boms[1]}", token=other))  # another session of the user
    fresh = sign_in(b, "editor@acme.example")
    assert call(b, "DELETE", f"/api/v1/boms/{boms[1]}", token=fresh)[0] == 204
    # The operator is not a session: its routes never ask.
    assert call(b, "POST", "/api/v1/sessions/current/reauth", {"password": PASSWORD},
                token=st.operator)[0] == 403
    assert call(b, "GET", f"/api/v1/boms/{boms[2]}", token=org.editor)[0] == 200


def test_reauth_in_chromium():
    """tests/e2e/reauth.mjs: with a 3-second window, deleting a BOM in the UI asks "Confirm it is
    you"; a wrong password is refused in the dialog, the right one completes the delete."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    st = Store()
    srv = Server(st, extra=["--reauth-window", "3"])
    try:
        org = Org(srv).ensure("editor")  # added inside the 3-second window; signs in by address
        bom = make_bom(srv.base, org.editor, name="Prompted")
        env = {**os.environ, "BV_BASE": srv.base, "BV_EMAIL": "editor@acme.example", "BV_PASSWORD": PASSWORD,
               "BV_BOM": bom, "BV_WINDOW": "3", "BV_SCREENSHOTS": os.path.join(root, "build", "screenshots")}
        r = subprocess.run(["node", os.path.join(root, "tests", "e2e", "reauth.mjs")], env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        s, r, _ = call(srv.base, "GET", f"/api/v1/audit?object=user:{org.editor_id}", token=org.admin)
        actions = [e["action"] for e in r["entries"]]
        assert "session.reauth" in actions and "session.reauth_failure" in actions, actions
        assert call(srv.base, "GET", f"/api/v1/boms/{bom}", token=org.admin)[0] == 404
    finally:
        srv.stop()
        st.cleanup()
