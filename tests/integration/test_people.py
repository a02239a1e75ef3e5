"""Account safety and people: an Administrator resets a lost authenticator, a user turns TOTP off
with the password, display names, and the org directory colleagues are looked up in."""
import re

from harness import PASSWORD, Org, Server, Store, add_user, call, is_error, sign_in
from test_accounts import enrol, oathtool


def test_lost_phone_recovery_code_then_administrator_reset_ends_sessions_and_allows_enrolling_again(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    secret, codes = enrol(b, org.editor)
    login = {"email": "editor@acme.example", "password": PASSWORD}
    # The phone is lost: a recovery code signs in once.
    s, r, _ = call(b, "POST", "/api/v1/sessions", {**login, "recovery_code": codes[3]})
    assert s == 201, r
    by_code = r["token"]
    s, r, _ = call(b, "POST", "/api/v1/me/tokens", {"name": "script", "scope": "read", "days": 1}, token=by_code)
    assert s == 201
    api_token = r["token"]
    # Only an Administrator of the same org may reset; the user answers as before until then.
    victim = f"/api/v1/users/{org.editor_id}/mfa/reset"
    for token in (org.editor, org.editor2, org.viewer):
        s, r, _ = call(b, "POST", victim, {}, token=token)
        assert s == 403 and is_error(r, "forbidden"), r
    other = Org(srv, "Other", "other.example")
    s, r, _ = call(b, "POST", victim, {}, token=other.admin)
    assert s == 404 and is_error(r, "not_found"), r
    assert call(b, "GET", "/api/v1/me", token=by_code)[0] == 200
    s, r, _ = call(b, "POST", victim, {}, token=org.admin)
    assert s == 204, r
    # Every session and API token of that user ended; the Administrator's own did not.
    for token in (org.editor, by_code, api_token):
        assert call(b, "GET", "/api/v1/me", token=token)[0] == 401
    assert call(b, "GET", "/api/v1/me", token=org.admin)[0] == 200
    # The recovery codes are gone with the factor; the password alone signs in now.
    s, r, _ = call(b, "POST", "/api/v1/sessions", {**login, "recovery_code": codes[4]})
    assert s == 201, r  # no second factor any more: the code is not even asked for
    fresh = sign_in(b, "editor@acme.example")
    s, me, _ = call(b, "GET", "/api/v1/me", token=fresh)
    assert me["mfa_enabled"] is False and me["recovery_codes_left"] == 0
    # A second reset has nothing to reset.
    s, r, _ = call(b, "POST", victim, {}, token=org.admin)
    assert s == 409 and is_error(r, "mfa_not_enabled")
    s, r, _ = call(b, "POST", "/api/v1/users/usr_" + "0" * 24 + "/mfa/reset", {}, token=org.admin)
    assert s == 404
    # The audit names the Administrator as actor and the user as object.
    s, r, _ = call(b, "GET", f"/api/v1/audit?object=user:{org.editor_id}&action=mfa.reset", token=org.admin)
    assert s == 200 and len(r["entries"]) == 1
    entry = r["entries"][0]
    assert entry["actor_id"] == org.admin_id and entry["change"]["sessions_ended"] >= 3, entry
    # With MFA required for everyone, the next sign-in may only enrol; enrolling again works.
    assert call(b, "PATCH", "/api/v1/org/settings", {"mfa_policy": "everyone"}, token=org.admin)[0] == 200
    s, r, _ = call(b, "POST", "/api/v1/sessions", login)
    assert s == 201 and r["mfa_enrolment_required"] is True
    pending = r["token"]
    assert call(b, "GET", "/api/v1/boms", token=pending)[0] == 403
    secret2, codes2 = enrol(b, pending)
    assert secret2 != secret and not set(codes2) & set(codes)
    assert call(b, "GET", "/api/v1/boms", token=pending)[0] == 200
    # The server log keeps ids only.
    log = srv.log()
    assert "editor@acme.example" not in log and secret not in log and codes[0] not in log


def test_turning_totp_off_needs_the_current_password_and_removes_the_recovery_codes(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    secret, codes = enrol(b, org.viewer)
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp/disable", {"password": "wrong-password-1"}, token=org.viewer)
    assert s == 400 and is_error(r, "current_password_wrong")
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp/disable", {}, token=org.viewer)
    assert s == 400 and is_error(r, "missing_field")
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp/disable", {"password": 7}, token=org.viewer)
    assert s == 400 and is_error(r, "invalid_field")
    s, me, _ = call(b, "GET", "/api/v1/me", token=org.viewer)
    assert me["mfa_enabled"] is True and me["recovery_codes_left"] == 10  # nothing changed
    # A read-only API token may not do it, even with the password.
    s, r, _ = call(b, "POST", "/api/v1/me/tokens", {"name": "ro", "scope": "read", "days": 1}, token=org.viewer)
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp/disable", {"password": PASSWORD}, token=r["token"])
    assert s == 403
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp/disable", {"password": PASSWORD}, token=org.viewer)
    assert s == 204, r
    s, me, _ = call(b, "GET", "/api/v1/me", token=org.viewer)
    assert me["mfa_enabled"] is False and me["recovery_codes_left"] == 0
    sign_in(b, "viewer@acme.example")  # the password alone again
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp/disable", {"password": PASSWORD}, token=org.viewer)
    assert s == 409 and is_error(r, "mfa_not_enabled")
    # Enrolling again (a new phone) gives a new secret and new codes.
    secret2, codes2 = enrol(b, org.viewer)
    assert secret2 != secret and not set(codes2) & set(codes)
    s, r, _ = call(b, "GET", f"/api/v1/audit?object=user:{org.viewer_id}&action=mfa.disable", token=org.admin)
    assert len(r["entries"]) == 1 and r["entries"][0]["actor_id"] == org.viewer_id


def test_directory_shows_own_org_members_by_name_or_address_and_nothing_else(serve):
    srv = serve()
    org = Org(srv).ensure_all()  # the directory lists every member
    other = Org(srv, "Rival", "rival.example")
    b = srv.base
    s, r, _ = call(b, "PATCH", "/api/v1/me", {"display_name": "  Vera Viewer  "}, token=org.viewer)
    assert s == 200 and r["display_name"] == "Vera Viewer", r
    s, r, _ = call(b, "PATCH", "/api/v1/me", {"display_name": "Émile Éditeur"}, token=org.editor)
    assert s == 200
    gone = add_user(b, org.admin, "leaver@acme.example", "viewer")
    assert call(b, "PATCH", f"/api/v1/users/{gone}", {"disabled": True}, token=org.admin)[0] == 200
    s, r, _ = call(b, "GET", "/api/v1/directory", token=org.viewer)
    assert s == 200
    people = r["people"]
    assert all(set(p) == {"id", "display_name", "email"} for p in people), people
    emails = [p["email"] for p in people]
    assert sorted(emails) == ["admin@acme.example", "editor2@acme.example", "editor@acme.example", "viewer@acme.example"]
    # Sorted by what is shown: the display name, else the address.
    shown = [p["display_name"] or p["email"] for p in people]
    assert shown == sorted(shown, key=str.lower), shown
    # Search by part of a name or an address, case-insensitive.
    s, r, _ = call(b, "GET", "/api/v1/directory?q=VERA", token=org.editor)
    assert [p["email"] for p in r["people"]] == ["viewer@acme.example"]
    s, r, _ = call(b, "GET", "/api/v1/directory?q=editor2%40acme", token=org.editor)
    assert [p["id"] for p in r["people"]] == [org.editor2_id]
    s, r, _ = call(b, "GET", "/api/v1/directory?q=%C3%A9mile%20%C3%A9DIT", token=org.editor)  # "émile éDIT"
    assert [p["display_name"] for p in r["people"]] == ["Émile Éditeur"]
    s, r, _ = call(b, "GET", "/api/v1/directory?q=leaver", token=org.admin)
    assert r["people"] == []
    # Another org's members never appear, whatever the query.
    for q in ("", "acme", "admin", "vera"):
        s, r, _ = call(b, "GET", "/api/v1/directory?q=" + q, token=other.admin)
        assert all(p["email"].endswith("@rival.example") for p in r["people"]), r
    s, r, _ = call(b, "GET", "/api/v1/directory?limit=2", token=org.viewer)
    assert len(r["people"]) == 2
    for bad in ("limit=0", "limit=201", "limit=x", "q=" + "a" * 255):
        s, r, _ = call(b, "GET", "/api/v1/directory?" + bad, token=org.viewer)
        assert s == 400 and is_error(r), (bad, r)
    # Display names: bounded, no control characters, empty clears.
    for bad in ("x" * 101, "tab\there", "line\nbreak"):
        s, r, _ = call(b, "PATCH", "/api/v1/me", {"display_name": bad}, token=org.viewer)
        assert s == 400 and is_error(r, "invalid_display_name"), r
    s, r, _ = call(b, "PATCH", "/api/v1/me", {"display_name": 5}, token=org.viewer)
    assert s == 400 and is_error(r, "invalid_field")
    s, me, _ = call(b, "GET", "/api/v1/me", token=org.viewer)
    assert me["display_name"] == "Vera Viewer"
    s, r, _ = call(b, "PATCH", "/api/v1/me", {"display_name": ""}, token=org.viewer)
    assert s == 200 and r["display_name"] == ""
    # Names stay out of the log and of the audit's change record.
    assert "Vera Viewer" not in srv.log()
    s, r, _ = call(b, "GET", f"/api/v1/audit?object=user:{org.viewer_id}&action=user.display_name", token=org.admin)
    assert len(r["entries"]) == 2 and "Vera" not in str(r)  # set, then cleared
    # Enrolment-only sessions are refused the directory like every other data route.
    assert call(b, "PATCH", "/api/v1/org/settings", {"mfa_policy": "everyone"}, token=org.admin)[0] == 200
    s, r, _ = call(b, "POST", "/api/v1/sessions", {"email": "editor2@acme.example", "password": PASSWORD})
    s, r, _ = call(b, "GET", "/api/v1/directory", token=r["token"])
    assert s == 403 and is_error(r, "mfa_enrolment_required")
