"""Sign-in, sessions, tokens, TOTP (checked against oathtool) and brute-force throttling."""
import base64
import datetime
import glob
import hashlib
import hmac
import json
import os
import re
import shutil
import struct
import subprocess
import threading
import time

from harness import PASSWORD, Org, Server, Store, add_user, call, is_error, sign_in


def totp_now(secret, offset=0):
    """An independent TOTP, used only if oathtool is missing."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int(time.time()) // 30 + offset
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def oathtool(secret, offset=0):
    assert shutil.which("oathtool"), "oathtool is required (make test installs it)"
    args = ["oathtool", "--totp", "-b", secret]
    if offset:
        args.append(f"--now=@{int(time.time()) + 30 * offset}")
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()


def test_totp_enrolment_interoperates_with_oathtool_and_refuses_replay(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp", {}, token=org.editor)
    assert s == 200 and r["otpauth_uri"].startswith("otpauth://totp/bomvault:editor%40acme.example?secret=")
    secret = r["secret"]
    assert "SHA1" in r["otpauth_uri"] and "digits=6" in r["otpauth_uri"] and "period=30" in r["otpauth_uri"]
    assert oathtool(secret) == totp_now(secret)
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp/confirm", {"code": "123456" if oathtool(secret) != "123456" else "654321"}, token=org.editor)
    assert s == 400 and is_error(r, "totp_invalid")
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp/confirm", {"code": oathtool(secret, -1)}, token=org.editor)
    assert s == 200, r
    # From now on sign-in needs a valid, unused code.
    s, r, _ = call(b, "POST", "/api/v1/sessions", {"email": "editor@acme.example", "password": PASSWORD})
    assert s == 401 and is_error(r, "totp_required")
    s, r, _ = call(b, "POST", "/api/v1/sessions", {"email": "editor@acme.example", "password": PASSWORD, "totp": "000000"})
    assert s == 401
    code = oathtool(secret)
    s, r, _ = call(b, "POST", "/api/v1/sessions", {"email": "editor@acme.example", "password": PASSWORD, "totp": code})
    assert s == 201, r
    s, r, _ = call(b, "POST", "/api/v1/sessions", {"email": "editor@acme.example", "password": PASSWORD, "totp": code})
    assert s == 401 and is_error(r, "totp_invalid")  # replayed
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp", {}, token=org.editor)
    assert s == 409
    s, r, _ = call(b, "GET", "/api/v1/audit?object=user:" + org.editor_id, token=org.admin)
    assert "mfa.enable" in [e["action"] for e in r["entries"]]


def test_password_rules(serve):
    srv = serve()
    org = Org(srv).ensure("editor")  # its address is taken below
    b = srv.base
    # "Thunderbird" comes only from the embedded John the Ripper list (case-insensitive).
    for pw, code in [("short1!", "password_too_short"), ("password123", "password_common"),
                     ("Thunderbird", "password_common"),
                     ("P" * 1025, "password_too_long"), ("ünïcødé", "password_too_short")]:
        s, r, _ = call(b, "POST", "/api/v1/users", {"email": "x@acme.example", "password": pw, "role": "viewer"}, token=org.admin)
        assert s == 400 and is_error(r, code), (pw, r)
    long_pw = "a long passphrase with spaces " * 4  # 120 characters, accepted whole
    add_user(b, org.admin, "long@acme.example", "viewer")
    s, r, _ = call(b, "POST", "/api/v1/users", {"email": "long2@acme.example", "password": long_pw, "role": "viewer"}, token=org.admin)
    assert s == 201
    assert call(b, "POST", "/api/v1/sessions", {"email": "long2@acme.example", "password": long_pw})[0] == 201
    assert call(b, "POST", "/api/v1/sessions", {"email": "long2@acme.example", "password": long_pw[:-1]})[0] == 401
    s, r, _ = call(b, "POST", "/api/v1/users", {"email": "EDITOR@acme.example", "password": PASSWORD, "role": "viewer"}, token=org.admin)
    assert s == 409 and is_error(r, "email_taken")
    s, r, _ = call(b, "POST", "/api/v1/users", {"email": "not-an-address", "password": PASSWORD, "role": "viewer"}, token=org.admin)
    assert s == 400 and is_error(r, "invalid_email")
    s, r, _ = call(b, "POST", "/api/v1/users", {"email": "r@acme.example", "password": PASSWORD, "role": "root"}, token=org.admin)
    assert s == 400 and is_error(r, "invalid_role")


def test_brute_force_is_throttled_and_others_still_sign_in(serve):
    srv = serve(extra=["--rate-limit", "0"])
    org = Org(srv).ensure("viewer")  # signs in by address during the flood
    b = srv.base
    before = srv.rss_kb()
    statuses = []
    retry_after = None
    lock = threading.Lock()

    stop = threading.Event()

    def attack(limit):
        # Runs until the colleague's sign-in below is done, so that sign-in happens while the
        # flood is on (no timing is asserted: a sign-in stuck behind the flood would time out).
        nonlocal retry_after
        for i in range(limit):
            if stop.is_set():
                return
            s, r, h = call(b, "POST", "/api/v1/sessions", {"email": "admin@acme.example", "password": f"wrong-{i}-pass"})
            with lock:
                statuses.append(s)
                if s == 429:
                    retry_after = h["Retry-After"]
    threads = [threading.Thread(target=attack, args=(2000,)) for _ in range(8)]
    [t.start() for t in threads]
    while len(statuses) < 200:
        time.sleep(0.05)
    tok = sign_in(b, "viewer@acme.example")
    flood_was_on = any(t.is_alive() for t in threads)
    stop.set()
    [t.join() for t in threads]
    assert flood_was_on
    assert statuses.count(429) > 0.9 * len(statuses), (statuses.count(429), len(statuses))
    assert set(statuses) <= {401, 429}
    assert retry_after and int(retry_after) >= 1
    assert tok
    # The real password is also refused while the account is locked out.
    s, r, _ = call(b, "POST", "/api/v1/sessions", {"email": "admin@acme.example", "password": PASSWORD})
    assert s == 429 and is_error(r, "too_many_attempts")
    assert srv.rss_kb() - before < 64 * 1024


def test_sessions_sign_out_disable_and_read_only_tokens(serve):
    srv = serve()
    org = Org(srv).ensure("editor", "viewer")  # their sessions predate the second ones below
    b = srv.base
    second = sign_in(b, "editor@acme.example")
    assert call(b, "DELETE", "/api/v1/sessions/current", token=second)[0] == 204
    assert call(b, "GET", "/api/v1/me", token=second)[0] == 401
    assert call(b, "GET", "/api/v1/me", token=org.editor)[0] == 200
    # Personal API token, read scope: reads work, writes are refused.
    s, r, _ = call(b, "POST", "/api/v1/me/tokens", {"name": "ci", "scope": "read", "days": 30}, token=org.editor)
    assert s == 201 and len(r["token"]) == 43
    ro = r["token"]
    assert call(b, "GET", "/api/v1/boms", token=ro)[0] == 200
    s, r, _ = call(b, "POST", "/api/v1/boms", {"name": "x", "items": []}, token=ro)
    assert s == 403
    s, r, _ = call(b, "GET", "/api/v1/me/tokens", token=org.editor)
    assert "token" not in str(r["tokens"][0].keys()) or all("token" != k for t in r["tokens"] for k in t)
    # Disabling a user ends every session at once.
    assert call(b, "PATCH", f"/api/v1/users/{org.editor_id}", {"disabled": True}, token=org.admin)[0] == 200
    assert call(b, "GET", "/api/v1/me", token=org.editor)[0] == 401
    assert call(b, "GET", "/api/v1/boms", token=ro)[0] == 401
    assert call(b, "POST", "/api/v1/sessions", {"email": "editor@acme.example", "password": PASSWORD})[0] == 401
    # Sign out everywhere.
    t2 = sign_in(b, "viewer@acme.example")
    assert call(b, "DELETE", "/api/v1/me/sessions", token=org.viewer)[0] == 204
    assert call(b, "GET", "/api/v1/me", token=t2)[0] == 401
    # Administrators cannot lock themselves out.
    s, r, _ = call(b, "PATCH", f"/api/v1/users/{org.admin_id}", {"role": "viewer"}, token=org.admin)
    assert s == 409


def test_cookie_sessions_need_the_csrf_header(serve):
    srv = serve()
    Org(srv).ensure("editor")  # signs in by address
    b = srv.base
    s, r, h = call(b, "POST", "/api/v1/sessions", {"email": "editor@acme.example", "password": PASSWORD, "cookie": True})
    assert s == 201 and r["token"] == ""
    cookie = h["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    value = cookie.split(";")[0]
    assert call(b, "GET", "/api/v1/me", headers={"Cookie": value})[0] == 200
    s, r, _ = call(b, "POST", "/api/v1/boms", {"name": "c", "items": [{"ref": "1", "part_number": "P", "quantity": 1}]},
                   headers={"Cookie": value})
    assert s == 403 and is_error(r, "csrf")
    s, r, _ = call(b, "POST", "/api/v1/boms", {"name": "c", "items": [{"ref": "1", "part_number": "P", "quantity": 1}]},
                   headers={"Cookie": value, "X-Bomvault-Csrf": "1"})
    assert s == 201


def enrol(b, token):
    """Enrols TOTP for the token's user; returns (secret, recovery codes)."""
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp", {}, token=token)
    assert s == 200, r
    secret = r["secret"]
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp/confirm", {"code": oathtool(secret, -1)}, token=token)
    assert s == 200 and r["mfa_enabled"] is True, r
    return secret, r["recovery_codes"]


def test_recovery_codes_are_single_use_and_can_be_regenerated(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    secret, codes = enrol(b, org.editor)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){5}", c) for c in codes), codes
    login = {"email": "editor@acme.example", "password": PASSWORD}
    s, r, _ = call(b, "POST", "/api/v1/sessions", {**login, "recovery_code": codes[0]})
    assert s == 201 and r["mfa_enrolment_required"] is False, r
    s, r, _ = call(b, "POST", "/api/v1/sessions", {**login, "recovery_code": codes[0]})
    assert s == 401 and is_error(r, "recovery_code_invalid")  # used once already
    # Case, spaces and dashes do not matter.
    loose = codes[1].upper().replace("-", " ")
    assert call(b, "POST", "/api/v1/sessions", {**login, "recovery_code": loose})[0] == 201
    s, r, _ = call(b, "POST", "/api/v1/sessions", {**login, "recovery_code": "aaaa-bbbb"})
    assert s == 401 and is_error(r, "recovery_code_invalid")
    s, me, _ = call(b, "GET", "/api/v1/me", token=org.editor)
    assert me["mfa_enabled"] is True and me["recovery_codes_left"] == 8
    # Regeneration needs a current TOTP code and replaces every code.
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/recovery-codes", {"code": "000000" if oathtool(secret) != "000000" else "111111"},
                   token=org.editor)
    assert s == 400 and is_error(r, "totp_invalid")
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/recovery-codes", {"code": oathtool(secret)}, token=org.editor)
    assert s == 200 and len(r["recovery_codes"]) == 10 and not set(r["recovery_codes"]) & set(codes)
    s, r, _ = call(b, "POST", "/api/v1/sessions", {**login, "recovery_code": codes[2]})
    assert s == 401 and is_error(r, "recovery_code_invalid")
    s, r, _ = call(b, "GET", "/api/v1/audit?object=user:" + org.editor_id, token=org.admin)
    actions = [e["action"] for e in r["entries"]]
    assert "mfa.recovery_code_used" in actions and "mfa.recovery_codes_regenerate" in actions
    failure = [e for e in r["entries"] if e["action"] == "session.failure"][0]
    assert failure["change"]["reason"] == "recovery_code"
    # Without TOTP there is nothing to regenerate.
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/recovery-codes", {"code": "123456"}, token=org.viewer)
    assert s == 409 and is_error(r, "mfa_not_enabled")


def test_mfa_policy_everyone_makes_sessions_enrolment_only_until_enrolled(serve):
    srv = serve()
    org = Org(srv).ensure("editor", "viewer")  # both exist before the policy
    b = srv.base
    token_before = org.viewer  # issued before the policy, never used yet
    s, r, _ = call(b, "PATCH", "/api/v1/org/settings", {"mfa_policy": "everyone"}, token=org.admin)
    assert s == 200 and r["mfa_policy"] == "everyone"
    s, r, _ = call(b, "POST", "/api/v1/sessions", {"email": "editor@acme.example", "password": PASSWORD})
    assert s == 201 and r["mfa_enrolment_required"] is True
    pending = r["token"]
    s, me, _ = call(b, "GET", "/api/v1/me", token=pending)
    assert s == 200 and me["mfa_enrolment_required"] is True and me["mfa_enabled"] is False
    for method, path, body in [("GET", "/api/v1/me/tokens", None),
                               ("POST", "/api/v1/me/tokens", {"name": "x", "scope": "read", "days": 1}),
                               ("DELETE", "/api/v1/me/sessions", None),
                               ("POST", "/api/v1/me/verify-email", {}),
                               ("GET", "/api/v1/boms", None),
                               ("POST", "/api/v1/boms", {"name": "x", "items": []}),
                               ("POST", "/api/v1/boms/import?name=x", {})]:
        s, r, _ = call(b, method, path, body, token=pending)
        assert s == 403 and is_error(r, "mfa_enrolment_required"), (path, r)
    # Functions the role lacks anyway are plainly forbidden; enrolling would not help.
    s, r, _ = call(b, "GET", "/api/v1/users", token=pending)
    assert s == 403 and is_error(r, "forbidden")
    # Data routes refuse too (decided by the same permission table).
    assert call(b, "GET", "/api/v1/boms", token=pending)[0] == 403
    assert call(b, "POST", "/api/v1/boms", {"name": "x", "items": [{"ref": "1", "part_number": "P", "quantity": 1}]},
                token=pending)[0] == 403
    # A session issued before the policy follows it too.
    assert call(b, "GET", "/api/v1/boms", token=token_before)[0] == 403
    # Enrolling turns this very session into a whole one.
    secret, codes = enrol(b, pending)
    assert len(codes) == 10
    s, me, _ = call(b, "GET", "/api/v1/me", token=pending)
    assert me["mfa_enrolment_required"] is False and me["mfa_enabled"] is True
    assert call(b, "GET", "/api/v1/boms", token=pending)[0] == 200
    s, r, _ = call(b, "POST", "/api/v1/sessions", {"email": "editor@acme.example", "password": PASSWORD})
    assert s == 401 and is_error(r, "totp_required")
    s, r, _ = call(b, "POST", "/api/v1/sessions", {"email": "editor@acme.example", "password": PASSWORD,
                                                   "totp": oathtool(secret)})
    assert s == 201 and r["mfa_enrolment_required"] is False
    # Sign-out stays open to an enrolment-only session.
    s, r, _ = call(b, "POST", "/api/v1/sessions", {"email": "viewer@acme.example", "password": PASSWORD})
    assert r["mfa_enrolment_required"] is True
    assert call(b, "DELETE", "/api/v1/sessions/current", token=r["token"])[0] == 204
    # The Administrator who set the policy is held to it as well, at the latest once the cache
    # expires: polled up to the same 5.5 s this used to sleep before asking once.
    deadline = time.time() + 5.5
    while True:
        s, r, _ = call(b, "GET", "/api/v1/org/settings", token=org.admin)
        if s == 403 or time.time() >= deadline:
            break
        time.sleep(0.1)
    assert s == 403 and is_error(r, "mfa_enrolment_required")
    s, me, _ = call(b, "GET", "/api/v1/me", token=org.admin)
    assert s == 200 and me["mfa_enrolment_required"] is True


def test_password_change_needs_the_current_password_and_ends_other_sessions(serve):
    srv = serve()
    org = Org(srv).ensure("editor")  # org.editor's session is older than `other`
    b = srv.base
    other = sign_in(b, "editor@acme.example")
    s, r, _ = call(b, "POST", "/api/v1/me/tokens", {"name": "ci", "scope": "read", "days": 1}, token=org.editor)
    api_token = r["token"]
    new = "Another-Long-Passphrase-42"
    s, r, _ = call(b, "POST", "/api/v1/me/password", {"current_password": "not-it-at-all", "new_password": new},
                   token=org.editor)
    assert s == 400 and is_error(r, "current_password_wrong")
    s, r, _ = call(b, "POST", "/api/v1/me/password", {"current_password": PASSWORD, "new_password": "password123"},
                   token=org.editor)
    assert s == 400 and is_error(r, "password_common")
    s, r, _ = call(b, "POST", "/api/v1/me/password", {"current_password": PASSWORD, "new_password": new},
                   token=org.editor)
    assert s == 204, r
    assert call(b, "GET", "/api/v1/me", token=org.editor)[0] == 200
    assert call(b, "GET", "/api/v1/me", token=other)[0] == 401
    assert call(b, "GET", "/api/v1/me", token=api_token)[0] == 200  # tokens are revoked apart
    assert call(b, "POST", "/api/v1/sessions", {"email": "editor@acme.example", "password": PASSWORD})[0] == 401
    assert sign_in(b, "editor@acme.example", new)
    # Guessing the current password from a stolen session backs off.
    statuses = [call(b, "POST", "/api/v1/me/password", {"current_password": f"guess-{i}-xyz", "new_password": new},
                     token=org.editor)[0] for i in range(8)]
    assert statuses[:5] == [400] * 5 and 429 in statuses[5:]
    s, r, _ = call(b, "GET", "/api/v1/audit?object=user:" + org.editor_id, token=org.admin)
    assert "user.password_change" in [e["action"] for e in r["entries"]]


def test_sessions_expire_after_idle_time_and_absolute_lifetime(serve):
    # The server's clock is moved with libfaketime across restarts (sessions live in the store).
    lib = (glob.glob("/usr/lib/*/faketime/libfaketime.so.1") or
           ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"])[0]

    def at(minutes):
        t = datetime.datetime(2026, 1, 1) + datetime.timedelta(minutes=minutes)
        return {"LD_PRELOAD": lib, "FAKETIME": "@" + t.strftime("%Y-%m-%d %H:%M:%S"),
                "FAKETIME_DONT_FAKE_MONOTONIC": "1", "TZ": "UTC"}

    srv = serve(env=at(0))
    org = Org(srv).ensure("editor", "viewer")  # signed in by address below
    b = srv.base
    idle = sign_in(b, "editor@acme.example")
    active = sign_in(b, "viewer@acme.example")
    s, r, _ = call(b, "POST", "/api/v1/me/tokens", {"name": "ci", "scope": "read", "days": 1}, token=active)
    api = r["token"]
    srv.stop()
    # Used every 110 minutes, a session lives; unused for more than 2 hours, it does not.
    for minutes in [110, 125, 235, 345, 455, 565, 675]:
        srv = serve(store=srv.store, env=at(minutes))
        assert call(srv.base, "GET", "/api/v1/me", token=active)[0] == 200, minutes
        if minutes == 125:
            assert call(srv.base, "GET", "/api/v1/me", token=idle)[0] == 401
        srv.stop()
    # Past 12 hours it ends however active it was; the API token (1 day) still works.
    srv = serve(store=srv.store, env=at(725))
    assert call(srv.base, "GET", "/api/v1/me", token=active)[0] == 401
    assert call(srv.base, "GET", "/api/v1/me", token=api)[0] == 200
    assert org.id


def test_support_access_is_granted_time_boxed_revocable_and_audited(serve, store):
    st = store
    srv = serve(store=st)
    org = Org(srv).ensure_all()  # the support window lists the users and five audit entries
    b = srv.base
    path = f"/api/v1/orgs/{org.id}/support/users"
    s, r, _ = call(b, "GET", path, token=st.operator)
    assert s == 403 and is_error(r, "no_support_access")  # off by default
    assert call(b, "POST", "/api/v1/org/support-access", {"hours": 2}, token=org.admin)[0] == 200
    s, r, _ = call(b, "GET", path, token=st.operator)
    assert s == 200 and {u["id"] for u in r["users"]} >= {org.admin_id, org.editor_id}
    s, r, _ = call(b, "GET", f"/api/v1/orgs/{org.id}/support/audit?limit=5", token=st.operator)
    assert s == 200 and len(r["entries"]) == 5
    # The operator still reads no BOM, support window or not.
    assert call(b, "GET", "/api/v1/boms", token=st.operator)[0] == 403
    s, r, _ = call(b, "GET", f"/api/v1/audit?object=org:{org.id}&action=support.access", token=org.admin)
    assert [e["change"]["read"] for e in r["entries"]] == ["audit", "users"]
    assert all(e["actor_id"] == "operator" for e in r["entries"])
    s, r, _ = call(b, "POST", "/api/v1/org/support-access", {"hours": 73}, token=org.admin)
    assert s == 400
    assert call(b, "POST", "/api/v1/org/support-access", {"hours": 0}, token=org.admin)[0] == 200
    assert call(b, "GET", path, token=st.operator)[0] == 403  # revoked early
    assert call(b, "GET", "/api/v1/orgs/org_" + "0" * 24 + "/support/users", token=st.operator)[0] == 404


def test_passwords_holding_the_users_or_orgs_own_words_are_refused_on_set_change_and_invitation(serve, store):
    st = store
    srv = serve(store=st, extra=["--public-url", "https://bom.example.test"])
    b = srv.base
    org = Org(srv, "Globex Aerospace", "globex.example")
    rule = "password_context_word"
    # Set by an Administrator: the org's name, the address's name, the product.
    for pw, what in [("we love globex 2026", "organisation's name"),
                     ("Aerospace-Shuttle-77", "organisation's name"),
                     ("marta.kowalska.1988", "e-mail address"),
                     ("My BomVault passphrase", "product's name")]:
        s, r, _ = call(b, "POST", "/api/v1/users", {"email": "marta.kowalska@globex.example",
                                                     "password": pw, "role": "viewer"}, token=org.admin)
        assert s == 400 and is_error(r, rule) and what in r["error"]["message"], (pw, r)
        assert "globex" not in r["error"]["message"].lower()  # names the rule, not the word
    s, r, _ = call(b, "GET", "/api/v1/users", token=org.admin)
    assert "marta.kowalska@globex.example" not in json.dumps(r)  # nothing was created
    # Change: the user's display name too; the current password stays in force.
    assert call(b, "PATCH", "/api/v1/me", {"display_name": "Rosalind Tanaka"}, token=org.editor)[0] == 200
    for pw in ("tanaka family garden", "GLOBEX rules forever", "editor-of-the-year"):
        s, r, _ = call(b, "POST", "/api/v1/me/password", {"current_password": PASSWORD, "new_password": pw},
                       token=org.editor)
        assert s == 400 and is_error(r, rule), (pw, r)
    assert sign_in(b, "editor@globex.example")
    s, r, _ = call(b, "POST", "/api/v1/me/password",
                   {"current_password": PASSWORD, "new_password": "Orbital-Mechanics-Lesson-4"}, token=org.editor)
    assert s == 204, r
    # Invitation acceptance: the invited address and the org's name; the link stays usable.
    s, r, _ = call(b, "POST", "/api/v1/invitations", {"email": "ines.ribeiro@globex.example", "role": "viewer"},
                   token=org.admin)
    assert s == 201, r
    outbox = sorted(glob.glob(os.path.join(st.data, "outbox", "*.eml")))
    with open(outbox[-1], "rb") as f:
        body = f.read().decode()
    token = re.search(r"#token=([A-Za-z0-9_-]{43})", body).group(1)
    for pw in ("ines.ribeiro-secret", "GlobexAerospace!"):
        s, r, _ = call(b, "POST", "/api/v1/invitations/accept", {"token": token, "password": pw})
        assert s == 400 and is_error(r, rule), (pw, r)
    s, r, _ = call(b, "POST", "/api/v1/invitations/accept", {"token": token, "password": PASSWORD})
    assert s == 201, r
    # Creating an org: the first Administrator's password may not hold the org's name.
    s, r, _ = call(b, "POST", "/api/v1/orgs", {"name": "Initech", "admin_email": "boss@initech.example",
                                               "admin_password": "initech forever and ever"},
                   token=st.operator)
    assert s == 400 and is_error(r, rule), r


def test_session_cap_ends_the_least_recently_used_session_ties_by_creation_and_keeps_api_tokens(serve):
    srv = serve(extra=["--rate-limit", "0"])
    b = srv.base
    org = Org(srv).ensure("editor")  # "another user's sessions": signed in before the evictions
    uid = add_user(b, org.admin, "many@acme.example", "editor")
    first = sign_in(b, "many@acme.example")
    s, r, _ = call(b, "POST", "/api/v1/me/tokens", {"name": "ci", "scope": "read", "days": 30}, token=first)
    assert s == 201, r
    api = r["token"]
    # Nine more sessions, all created within the same second or minute and never used: their
    # stored last use ties, so creation order decides among them.
    tokens = [first] + [sign_in(b, "many@acme.example") for _ in range(9)]
    assert all(call(b, "GET", "/api/v1/me", token=t)[0] == 200 for t in [first])  # first: in use
    # The 11th sign-in ends the least recently used session: the oldest unused one, not the
    # first (it was used last, in the same minute as the others were made).
    tokens.append(sign_in(b, "many@acme.example"))
    assert call(b, "GET", "/api/v1/me", token=first)[0] == 200
    tokens.append(sign_in(b, "many@acme.example"))
    ended = [tokens[1], tokens[2]]
    alive = [tokens[0]] + tokens[3:]
    assert len(alive) == 10
    for t in ended:
        s, r, _ = call(b, "GET", "/api/v1/me", token=t)
        assert s == 401, r
    for t in alive:
        assert call(b, "GET", "/api/v1/me", token=t)[0] == 200
    # API tokens are separate credentials and not counted.
    assert call(b, "GET", "/api/v1/boms", token=api)[0] == 200
    s, r, _ = call(b, "GET", "/api/v1/me/tokens", token=first)
    kinds = [t["kind"] for t in r["tokens"]]
    assert kinds.count("session") == 10 and kinds.count("api") == 1, kinds
    s, r, _ = call(b, "GET", "/api/v1/audit?object=user:" + uid, token=org.admin)
    evicted = [e for e in r["entries"] if e["action"] == "session.evicted"]
    assert len(evicted) == 2 and all(e["change"]["limit"] == 10 for e in evicted), r
    # Another user's sessions are untouched.
    assert call(b, "GET", "/api/v1/me", token=org.editor)[0] == 200
