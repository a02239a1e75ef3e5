"""Passkeys (WebAuthn) over real HTTP on a real store: registration, passwordless sign-in, the
passkey as second factor, naming, removal, the MFA policy, and each refusal the server must make
(wrong origin, wrong RP ID hash, replayed challenge, user not present, user not verified, bad
signature, a cloned authenticator whose counter goes back). The authenticator is software
(passkey_support.py, python3-cryptography); Chromium's virtual authenticator drives the same routes
in tests/e2e/passkeys.mjs (test_passkeys_in_chromium below).
"""
import json
import os
import subprocess

from harness import PASSWORD, Org, Server, Store, add_user, call, is_error, sign_in
from passkey_support import AT, UP, UV, Authenticator, b64u, finish, passwordless_options, register, \
    second_factor_options

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class World:
    """A server whose public URL names a host (localhost), and one org."""

    def __init__(self):
        self.store = Store()
        self.srv = Server(self.store, extra=["--public-url", "http://localhost:{port}"])
        self.b = self.srv.base
        self.origin = f"http://localhost:{self.srv.port}"
        self.org = Org(self.srv)

    def stop(self):
        self.srv.stop()
        self.store.cleanup()


def audit(w, action):
    s, r, _ = call(w.b, "GET", f"/api/v1/audit?action={action}", token=w.org.admin)
    assert s == 200, r
    return r["entries"]


def me(base, token):
    return call(base, "GET", "/api/v1/me", token=token)


def test_register_name_list_rename_and_remove_passkeys():
    w = World()
    try:
        es, view = register(w.b, w.org.editor, w.origin, name="Laptop", alg="ES256")
        assert view["name"] == "Laptop" and view["algorithm"] == "ES256" and view["id"].startswith("pky_")
        ed, view2 = register(w.b, w.org.editor, w.origin, name="Phone", alg="EdDSA")
        assert view2["algorithm"] == "EdDSA"
        s, r, _ = call(w.b, "GET", "/api/v1/me/passkeys", token=w.org.editor)
        # Oldest first, by creation second then id: two made within one second list in either order.
        assert s == 200 and sorted(p["name"] for p in r["passkeys"]) == ["Laptop", "Phone"]
        assert me(w.b, w.org.editor)[1]["passkeys"] == 2
        # Other users see none of them.
        assert call(w.b, "GET", "/api/v1/me/passkeys", token=w.org.viewer)[1]["passkeys"] == []
        s, r, _ = call(w.b, "PATCH", f"/api/v1/me/passkeys/{view['id']}", {"name": "Work laptop"},
                       token=w.org.editor)
        assert s == 204, r
        s, r, _ = call(w.b, "PATCH", f"/api/v1/me/passkeys/{view['id']}", {"name": ""}, token=w.org.editor)
        assert s == 400 and is_error(r, "invalid_name")
        # Someone else's passkey is not found, for renaming or removing.
        s, r, _ = call(w.b, "PATCH", f"/api/v1/me/passkeys/{view['id']}", {"name": "x"}, token=w.org.viewer)
        assert s == 404, r
        s, r, _ = call(w.b, "DELETE", f"/api/v1/me/passkeys/{view['id']}", {"password": PASSWORD},
                       token=w.org.viewer)
        assert s == 404, r
        # Removing needs the current password.
        s, r, _ = call(w.b, "DELETE", f"/api/v1/me/passkeys/{view2['id']}", {"password": "wrong-password-1"},
                       token=w.org.editor)
        assert s == 400 and is_error(r, "current_password_wrong"), r
        s, r, _ = call(w.b, "DELETE", f"/api/v1/me/passkeys/{view2['id']}", {"password": PASSWORD},
                       token=w.org.editor)
        assert s == 204, r
        s, r, _ = call(w.b, "GET", "/api/v1/me/passkeys", token=w.org.editor)
        assert [p["name"] for p in r["passkeys"]] == ["Work laptop"]
        # The removed one no longer signs in; the other does.
        s, r, _ = finish(w.b, ed.assert_(passwordless_options(w.b), w.origin))
        assert s == 401 and is_error(r, "passkey_unknown"), r
        s, r, _ = finish(w.b, es.assert_(passwordless_options(w.b), w.origin))
        assert s == 201, r
        # The same credential cannot be registered twice.
        s, opts, _ = call(w.b, "POST", "/api/v1/me/passkeys/options", {}, token=w.org.editor)
        assert opts["publicKey"]["excludeCredentials"] == [{"type": "public-key", "id": b64u(es.credential_id)}]
        s, r, _ = call(w.b, "POST", "/api/v1/me/passkeys", {"name": "Again", "credential": es.register(opts, w.origin)},
                       token=w.org.editor)
        assert s == 409 and is_error(r, "passkey_exists"), r
        # Audited with ids only: neither name appears.
        entries = audit(w, "passkey.register") + audit(w, "passkey.rename") + audit(w, "passkey.remove")
        assert len(entries) == 4
        text = json.dumps(entries)
        assert "Laptop" not in text and "Phone" not in text and view["id"] in text
    finally:
        w.stop()


def test_passwordless_sign_in_needs_user_verification_and_gives_a_whole_session():
    w = World()
    try:
        a, _ = register(w.b, w.org.viewer, w.origin)
        s, r, _ = finish(w.b, a.assert_(passwordless_options(w.b), w.origin, flags=UP))
        assert s == 401 and is_error(r, "passkey_user_not_verified"), r
        opts = passwordless_options(w.b)
        assert opts["publicKey"]["userVerification"] == "required"
        assert opts["publicKey"]["allowCredentials"] == [] and opts["publicKey"]["rpId"] == "localhost"
        s, r, _ = finish(w.b, a.assert_(opts, w.origin))
        assert s == 201, r
        assert r["user"]["id"] == w.org.viewer_id and r["mfa_enrolment_required"] is False
        s, mine, _ = me(w.b, r["token"])
        assert s == 200 and mine["id"] == w.org.viewer_id
        # The browser form: an HttpOnly cookie instead of the token.
        s, r, h = finish(w.b, a.assert_(passwordless_options(w.b), w.origin), cookie=True)
        assert s == 201 and r["token"] == "" and "HttpOnly" in h["Set-Cookie"], r
        entries = audit(w, "session.create")
        assert any(e["change"].get("method") == "passkey" for e in entries)
    finally:
        w.stop()


def test_passkey_as_second_factor_after_the_password():
    w = World()
    try:
        email = "editor@acme.example"
        w.org.ensure("editor", "editor2")  # editor2 must exist: "no passkeys", not "bad credentials"
        a, view = register(w.b, w.org.editor, w.origin)
        s, r, _ = call(w.b, "POST", "/api/v1/sessions", {"email": email, "password": PASSWORD})
        assert s == 401 and is_error(r, "passkey_required"), r
        s, r, _ = second_factor_options(w.b, email, "not-the-password-1")
        assert s == 401 and is_error(r, "bad_credentials"), r
        s, opts, _ = second_factor_options(w.b, email, PASSWORD)
        assert s == 200, opts
        assert [c["id"] for c in opts["publicKey"]["allowCredentials"]] == [b64u(a.credential_id)]
        assert opts["publicKey"]["userVerification"] == "discouraged"
        # Presence is enough here: the password was the other factor.
        s, r, _ = finish(w.b, a.assert_(opts, w.origin, flags=UP))
        assert s == 201 and r["user"]["id"] == w.org.editor_id, r
        # A second-factor challenge cannot be answered with someone else's passkey.
        other, _ = register(w.b, w.org.viewer, w.origin)
        s, opts, _ = second_factor_options(w.b, email, PASSWORD)
        s, r, _ = finish(w.b, other.assert_(opts, w.origin))
        assert s == 401 and is_error(r, "passkey_unknown"), r
        # A user without a passkey is told so.
        s, r, _ = second_factor_options(w.b, "editor2@acme.example", PASSWORD)
        assert s == 409 and is_error(r, "no_passkeys"), r
    finally:
        w.stop()


def test_each_refusal_leaves_no_session_and_uses_the_challenge_up():
    w = World()
    try:
        a, _ = register(w.b, w.org.viewer, w.origin)

        def fresh_ok():
            # A success between refusals clears the account's back-off (5 free failures).
            s, r, _ = finish(w.b, a.assert_(passwordless_options(w.b), w.origin))
            assert s == 201, r

        cases = [
            ("wrong origin", dict(origin="http://evil.example"), "passkey_wrong_origin"),
            ("origin of another port", dict(origin=w.origin + "1"), "passkey_wrong_origin"),
            ("wrong rpIdHash", dict(rp_id="example.com"), "passkey_wrong_rp_id"),
            ("UP flag missing", dict(flags=UV), "passkey_user_not_present"),
            ("bad signature", dict(spoil_signature=True), "passkey_bad_signature"),
            ("cross-origin frame", dict(cross_origin=True), "passkey_cross_origin"),
            ("registration type", dict(ctype="webauthn.create"), "passkey_wrong_type"),
        ]
        for label, spoil, code in cases:
            origin = spoil.pop("origin", w.origin)
            opts = passwordless_options(w.b)
            s, r, _ = finish(w.b, a.assert_(opts, origin, **spoil))
            assert s == 401 and is_error(r, code), (label, s, r)
            # The challenge is gone even though the attempt failed... except when the client data
            # never named this server (then the server could not know which challenge it was).
            if code not in ("passkey_wrong_origin", "passkey_cross_origin", "passkey_wrong_type"):
                s, r, _ = finish(w.b, a.assert_(opts, w.origin))
                assert s == 401 and is_error(r, "passkey_challenge_invalid"), (label, r)
            fresh_ok()

        # A replayed assertion: the very same bytes a second time.
        cred = a.assert_(passwordless_options(w.b), w.origin)
        assert finish(w.b, cred)[0] == 201
        s, r, _ = finish(w.b, cred)
        assert s == 401 and is_error(r, "passkey_challenge_invalid"), r
        # A challenge the server never issued.
        s, r, _ = finish(w.b, a.assert_({"publicKey": {"challenge": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                                        "rpId": "localhost"}}, w.origin))
        assert s == 401 and is_error(r, "passkey_challenge_invalid"), r
        # A registration challenge is no sign-in challenge.
        s, opts, _ = call(w.b, "POST", "/api/v1/me/passkeys/options", {}, token=w.org.viewer)
        s, r, _ = finish(w.b, a.assert_({"publicKey": {"challenge": opts["publicKey"]["challenge"],
                                                        "rpId": "localhost"}}, w.origin))
        assert s == 401 and is_error(r, "passkey_challenge_invalid"), r
        # The refusals that named the user were audited (ids only).
        reasons = {e["change"].get("reason") for e in audit(w, "session.failure")}
        assert {"passkey_wrong_rp_id", "passkey_user_not_present", "passkey_bad_signature"} <= reasons, reasons
    finally:
        w.stop()


def test_a_cloned_authenticator_whose_counter_goes_back_is_refused_and_audited():
    w = World()
    try:
        a, view = register(w.b, w.org.viewer, w.origin)
        a.counter = 10
        assert finish(w.b, a.assert_(passwordless_options(w.b), w.origin))[0] == 201  # counter 11
        # The clone: the same key, its counter behind the original's.
        s, r, _ = finish(w.b, a.assert_(passwordless_options(w.b), w.origin, counter=5))
        assert s == 401 and is_error(r, "passkey_cloned"), r
        s, r, _ = finish(w.b, a.assert_(passwordless_options(w.b), w.origin, counter=11))
        assert s == 401 and is_error(r, "passkey_cloned"), r
        entries = audit(w, "passkey.clone_detected")
        assert len(entries) == 2
        assert entries[0]["change"] == {"passkey_id": view["id"], "stored_count": 11, "received_count": 11}
        # The original, moving forward, still signs in.
        assert finish(w.b, a.assert_(passwordless_options(w.b), w.origin))[0] == 201
        # Authenticators without a counter (always 0) are accepted.
        z, _ = register(w.b, w.org.editor, w.origin)
        for _ in range(2):
            assert finish(w.b, z.assert_(passwordless_options(w.b), w.origin, counter=0))[0] == 201
    finally:
        w.stop()


def test_registration_refusals():
    w = World()
    try:
        w.org.ensure("editor")  # its session is older than `other_session`

        def attempt(**kw):
            a = Authenticator()
            s, opts, _ = call(w.b, "POST", "/api/v1/me/passkeys/options", {}, token=w.org.editor)
            assert s == 200
            origin = kw.pop("origin", w.origin)
            return call(w.b, "POST", "/api/v1/me/passkeys", {"name": "k", "credential": a.register(opts, origin, **kw)},
                        token=w.org.editor)
        for kw, code in [(dict(origin="http://localhost:1"), "passkey_wrong_origin"),
                         (dict(rp_id="evil.example"), "passkey_wrong_rp_id"),
                         (dict(flags=UV | AT), "passkey_user_not_present"),
                         (dict(ctype="webauthn.get"), "passkey_wrong_type")]:
            s, r, _ = attempt(**kw)
            assert s == 400 and is_error(r, code), (kw, r)
        # A registration challenge belongs to the session that asked for it.
        a = Authenticator()
        s, opts, _ = call(w.b, "POST", "/api/v1/me/passkeys/options", {}, token=w.org.editor)
        other_session = sign_in(w.b, "editor@acme.example")
        s, r, _ = call(w.b, "POST", "/api/v1/me/passkeys", {"name": "k", "credential": a.register(opts, w.origin)},
                       token=other_session)
        assert s == 400 and is_error(r, "passkey_challenge_invalid"), r
        assert call(w.b, "GET", "/api/v1/me/passkeys", token=w.org.editor)[1]["passkeys"] == []
    finally:
        w.stop()


def test_mfa_policy_counts_passkeys_and_the_last_factor_cannot_be_removed():
    w = World()
    try:
        w.org.ensure("viewer")  # exists before the policy; signs in by address
        s, r, _ = call(w.b, "PATCH", "/api/v1/org/settings", {"mfa_policy": "everyone"}, token=w.org.admin)
        assert s == 200, r
        # Without a second factor the session may only enrol one; a passkey is one.
        s, r, _ = call(w.b, "POST", "/api/v1/sessions", {"email": "viewer@acme.example", "password": PASSWORD})
        assert s == 201 and r["mfa_enrolment_required"] is True, r
        limited = r["token"]
        assert call(w.b, "GET", "/api/v1/boms", token=limited)[0] == 403
        a, view = register(w.b, limited, w.origin)
        assert me(w.b, limited)[1]["mfa_enrolment_required"] is False
        assert call(w.b, "GET", "/api/v1/boms", token=limited)[0] == 200
        # The last factor stays while the policy requires one.
        s, r, _ = call(w.b, "DELETE", f"/api/v1/me/passkeys/{view['id']}", {"password": PASSWORD}, token=limited)
        assert s == 409 and is_error(r, "last_second_factor"), r
        b, view2 = register(w.b, limited, w.origin, name="Spare")
        s, r, _ = call(w.b, "DELETE", f"/api/v1/me/passkeys/{view['id']}", {"password": PASSWORD}, token=limited)
        assert s == 204, r
        # An Administrator's MFA reset removes the passkeys too (the Administrator, under the same
        # policy, meets it with a passkey of their own).
        register(w.b, w.org.admin, w.origin)
        s, r, _ = call(w.b, "POST", f"/api/v1/users/{w.org.viewer_id}/mfa/reset", {}, token=w.org.admin)
        assert s == 204, r
        s, r, _ = finish(w.b, b.assert_(passwordless_options(w.b), w.origin))
        assert s == 401 and is_error(r, "passkey_unknown"), r
        assert [e["change"]["passkeys_removed"] for e in audit(w, "mfa.reset")] == [1]
    finally:
        w.stop()


def test_passkeys_need_a_host_name_in_the_public_url(serve):
    srv = serve()  # the default public URL names 127.0.0.1: browsers refuse IP RP IDs
    org = Org(srv)
    s, r, _ = call(srv.base, "POST", "/api/v1/me/passkeys/options", {}, token=org.editor)
    assert s == 409 and is_error(r, "passkeys_unavailable"), r
    s, r, _ = call(srv.base, "POST", "/api/v1/sessions/passkey/options", {})
    assert s == 409 and is_error(r, "passkeys_unavailable"), r


def test_passkeys_in_chromium():
    """tests/e2e/passkeys.mjs: Chromium's virtual authenticator registers a passkey on the Account
    page, signs in passwordless and as the second factor, and a clone (the same credential with a
    lower counter on a fresh authenticator) is refused."""
    w = World()
    try:
        w.org.ensure("editor")  # the browser signs in by address
        env = {**os.environ, "BV_BASE": w.origin, "BV_EMAIL": "editor@acme.example", "BV_PASSWORD": PASSWORD,
               "BV_SCREENSHOTS": os.path.join(ROOT, "build", "screenshots")}
        r = subprocess.run(["node", os.path.join(ROOT, "tests", "e2e", "passkeys.mjs")], env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        entries = audit(w, "passkey.clone_detected")
        assert len(entries) == 1, entries
    finally:
        w.stop()


def test_passkeys_keep_working_after_the_org_data_key_is_rotated():
    # The credential and its name are sealed under the org key: a rotation re-seals them (missing
    # from the re-seal list, they would be lost when the old key is destroyed).
    from test_key_rotation import wait_rotation_done
    w = World()
    try:
        a, pid = register(w.b, w.org.viewer, w.origin)
        s, r, _ = call(w.b, "POST", "/api/v1/keys/rotate", {"org_id": w.org.id}, token=w.store.operator)
        assert s == 202, r
        done = wait_rotation_done(w.srv)
        assert done["retired_keys"] == [] and done["unreadable"] == 0, done  # the old key is gone
        s, r, _ = finish(w.b, a.assert_(passwordless_options(w.b), w.origin))
        assert s == 201 and r["user"]["id"] == w.org.viewer_id, r
        s, r, _ = call(w.b, "GET", "/api/v1/me/passkeys", token=w.org.viewer)
        assert s == 200 and len(r["passkeys"]) == 1 and r["passkeys"][0]["name"], r
    finally:
        w.stop()
