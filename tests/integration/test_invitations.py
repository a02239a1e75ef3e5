"""Invitations, verified addresses and block lists, with mail read from the outbox or received by a
real SMTP server (aiosmtpd, over STARTTLS or implicit TLS, with AUTH) run by the test.

Mail without a relay lands in DATA/outbox/*.eml; the tests parse those files as RFC 5322 messages,
take the token from the link and use it the way a person who received the mail would.
"""
import email
import email.policy
import glob
import json
import os
import re
import stat
import subprocess
import time

from harness import PASSWORD, Org, Server, Store, add_user, call, is_error, make_bom, sign_in

PUBLIC = "https://bom.example.test"
TOKEN_RE = r"#token=([A-Za-z0-9_-]{43})"


def outbox(store):
    """Parsed messages in the outbox, oldest first."""
    out = []
    for path in sorted(glob.glob(os.path.join(store.data, "outbox", "*.eml"))):
        with open(path, "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        out.append((path, msg))
    return out


def token_from(msg, page):
    body = msg.get_body(("plain",)).get_content()
    m = re.search(re.escape(f"{PUBLIC}/{page}") + TOKEN_RE, body)
    assert m, body
    return m.group(1)


def to_of(msg):
    return [a.addr_spec for a in msg["To"].addresses]


def all_logs(srv):
    text = srv.log()
    for path in glob.glob(os.path.join(srv.store.data, "logs", "*")):
        with open(path, encoding="utf-8", errors="replace") as f:
            text += f.read()
    return text


def invite(srv, token, address, role="viewer"):
    return call(srv.base, "POST", "/api/v1/invitations", {"email": address, "role": role}, token=token)


def test_invitation_by_outbox_then_accept_and_sign_in(serve, store):
    st = store
    srv = serve(store=st, extra=["--public-url", PUBLIC + "/"])
    org = Org(srv).ensure("editor")  # its address is taken below
    b = srv.base
    s, r, _ = invite(srv, org.admin, " New.Person@Acme.example ", "editor")
    assert s == 201 and r["email"] == "new.person@acme.example" and r["status"] == "pending", r
    assert r["role"] == "editor" and r["inviter_id"] == org.admin_id
    inv_id = r["id"]
    assert invite(srv, org.editor, "x@acme.example")[0] == 403
    mails = outbox(st)
    assert len(mails) == 1
    path, msg = mails[0]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert to_of(msg) == ["new.person@acme.example"] and "bomvault" in msg["Subject"].lower()
    assert msg["Date"] and msg["Message-ID"] and msg["From"]
    token = token_from(msg, "invitation")
    assert token not in json.dumps(r)  # only the mail carries the link
    # The same address again, or one with an account, is refused.
    s, r, _ = invite(srv, org.admin, "new.person@acme.example")
    assert s == 409 and is_error(r, "already_invited")
    s, r, _ = invite(srv, org.admin, "EDITOR@acme.example")
    assert s == 409 and is_error(r, "email_taken")
    # A weak password leaves the invitation usable.
    s, r, _ = call(b, "POST", "/api/v1/invitations/accept", {"token": token, "password": "short"})
    assert s == 400 and is_error(r, "password_too_short")
    s, r, _ = call(b, "POST", "/api/v1/invitations/accept", {"token": token[:-1] + ("A" if token[-1] != "A" else "B"),
                                                              "password": PASSWORD})
    assert s == 400 and is_error(r, "invitation_invalid")
    s, r, _ = call(b, "POST", "/api/v1/invitations/accept", {"token": token, "password": PASSWORD})
    assert s == 201 and r["org_id"] == org.id and r["role"] == "editor", r
    user_id = r["user_id"]
    # Single use.
    s, r, _ = call(b, "POST", "/api/v1/invitations/accept", {"token": token, "password": PASSWORD})
    assert s == 400 and is_error(r, "invitation_invalid")
    me_token = sign_in(b, "new.person@acme.example")
    s, me, _ = call(b, "GET", "/api/v1/me", token=me_token)
    assert s == 200 and me["id"] == user_id and me["email_verified"] is True and me["role"] == "editor"
    s, r, _ = call(b, "GET", "/api/v1/invitations", token=org.admin)
    assert s == 200 and inv_id not in [i["id"] for i in r["invitations"]]
    s, r, _ = call(b, "GET", f"/api/v1/audit?object=user:{user_id}", token=org.admin)
    created = [e for e in r["entries"] if e["action"] == "user.create"]
    assert created and created[0]["change"]["invitation_id"] == inv_id
    s, r, _ = call(b, "GET", f"/api/v1/audit?object=invitation:{inv_id}", token=org.admin)
    assert [e["action"] for e in r["entries"]] == ["invitation.accept", "invitation.create"]
    logs = all_logs(srv)
    assert "new.person" not in logs.lower() and token not in logs and "invitation.created" in logs


def test_invitation_expires_and_revoked_links_stop_working(serve, store):
    st = store
    srv = serve(store=st, extra=["--invitation-ttl-seconds", "2", "--public-url", PUBLIC])
    org = Org(srv)
    other = Org(srv, "Org B", "b.example")
    b = srv.base
    assert invite(srv, org.admin, "late@acme.example")[0] == 201
    token = token_from(outbox(st)[-1][1], "invitation")
    # The 2-second lifetime passes: the list (a read) shows it expired, within the 3 s this
    # used to sleep; only then is the link tried.
    deadline = time.time() + 3
    while time.time() < deadline:
        listed = call(b, "GET", "/api/v1/invitations", token=org.admin)[1]["invitations"]
        if [i["status"] for i in listed] == ["expired"]:
            break
        time.sleep(0.1)
    s, r, _ = call(b, "POST", "/api/v1/invitations/accept", {"token": token, "password": PASSWORD})
    assert s == 400 and is_error(r, "invitation_expired")
    s, r, _ = call(b, "GET", "/api/v1/invitations", token=org.admin)
    assert [i["status"] for i in r["invitations"]] == ["expired"]
    # An expired invitation does not block a new one, nor count towards the caps.
    s, r, _ = invite(srv, org.admin, "late@acme.example")
    assert s == 201
    # Revoked: the link stops working at once; another org cannot see or revoke it.
    s, r, _ = invite(srv, org.admin, "gone@acme.example")
    gone = r["id"]
    token = token_from(outbox(st)[-1][1], "invitation")
    assert call(b, "DELETE", f"/api/v1/invitations/{gone}", token=other.admin)[0] == 404
    assert call(b, "DELETE", f"/api/v1/invitations/{gone}", token=org.editor)[0] == 403
    assert call(b, "DELETE", f"/api/v1/invitations/{gone}", token=org.admin)[0] == 204
    assert call(b, "DELETE", f"/api/v1/invitations/{gone}", token=org.admin)[0] == 404
    s, r, _ = call(b, "POST", "/api/v1/invitations/accept", {"token": token, "password": PASSWORD})
    assert s == 400 and is_error(r, "invitation_invalid")
    assert call(b, "POST", "/api/v1/sessions", {"email": "gone@acme.example", "password": PASSWORD})[0] == 401


def test_invitation_caps_per_inviter_and_per_org_and_paging(serve):
    srv = serve(extra=["--rate-limit", "0"])
    org = Org(srv)
    b = srv.base
    first = [invite(srv, org.admin, f"p{i}@acme.example") for i in range(20)]
    assert all(s == 201 for s, _, _ in first)
    s, r, h = invite(srv, org.admin, "p20@acme.example")
    assert s == 429 and is_error(r, "invitation_limit_inviter") and int(h["Retry-After"]) > 0
    assert call(b, "DELETE", f"/api/v1/invitations/{first[0][1]['id']}", token=org.admin)[0] == 204
    assert invite(srv, org.admin, "p20@acme.example")[0] == 201
    # Four more Administrators fill the org's 100.
    for n in range(4):
        add_user(b, org.admin, f"admin{n}@acme.example", "administrator")
        tok = sign_in(b, f"admin{n}@acme.example")
        for i in range(20):
            s, r, _ = invite(srv, tok, f"a{n}-{i}@acme.example")
            assert s == 201, (n, i, r)
    add_user(b, org.admin, "admin9@acme.example", "administrator")
    s, r, _ = invite(srv, sign_in(b, "admin9@acme.example"), "one-more@acme.example")
    assert s == 409 and is_error(r, "invitation_limit_org")
    # Bounded pages, newest first, each invitation exactly once.
    seen, after, pages = [], None, 0
    while True:
        q = "/api/v1/invitations?limit=30" + (f"&after={after}" if after else "")
        s, r, _ = call(b, "GET", q, token=org.admin)
        assert s == 200 and len(r["invitations"]) <= 30
        seen += r["invitations"]
        pages += 1
        after = r.get("next_after")
        if not after:
            break
    assert pages == 4 and len(seen) == 100 and len({i["id"] for i in seen}) == 100
    stamps = [i["created_at"] for i in seen]
    assert stamps == sorted(stamps, reverse=True)
    assert call(b, "GET", "/api/v1/invitations?limit=101", token=org.admin)[0] == 400
    assert call(b, "GET", "/api/v1/invitations?after=nope", token=org.admin)[0] == 400


def test_blocked_domain_and_address_are_refused_for_invitation_and_sharing(serve, store):
    st = store
    srv = serve(store=st, extra=["--public-url", PUBLIC])
    org = Org(srv)
    other = Org(srv, "Org B", "b.example")
    b = srv.base
    s, r, _ = call(b, "POST", "/api/v1/org/blocked", {"entry": "@Partner.Example"}, token=org.admin)
    assert s == 201 and r == {**r, "entry": "partner.example", "kind": "domain"}
    s, r, _ = call(b, "POST", "/api/v1/org/blocked", {"entry": "Spy@acme.example"}, token=org.admin)
    assert s == 201 and r["entry"] == "spy@acme.example" and r["kind"] == "address"
    s, r, _ = call(b, "POST", "/api/v1/org/blocked", {"entry": "partner.example"}, token=org.admin)
    assert s == 409 and is_error(r, "already_blocked")
    s, r, _ = call(b, "POST", "/api/v1/org/blocked", {"entry": "not a domain"}, token=org.admin)
    assert s == 400 and is_error(r, "invalid_entry")
    assert call(b, "POST", "/api/v1/org/blocked", {"entry": "x.example"}, token=org.editor)[0] == 403
    s, r, _ = call(b, "GET", "/api/v1/org/blocked", token=org.admin)
    assert sorted((e["entry"], e["kind"]) for e in r["entries"]) == [
        ("partner.example", "domain"), ("spy@acme.example", "address")]
    assert call(b, "GET", "/api/v1/org/blocked", token=org.viewer)[0] == 403
    s, r, _ = call(b, "GET", "/api/v1/org/blocked", token=other.admin)
    assert s == 200 and r["entries"] == []
    # Invitations: the address, the domain and its subdomains are refused; nothing is mailed.
    for address in ["x@partner.example", "x@eu.partner.example", "SPY@acme.example"]:
        s, r, _ = invite(srv, org.admin, address)
        assert s == 403 and is_error(r, "address_blocked"), address
    assert outbox(st) == []
    assert invite(srv, org.admin, "x@notpartner.example")[0] == 201
    assert invite(srv, other.admin, "x@partner.example")[0] == 201  # another org's list
    # An invitation whose address is blocked after it was sent cannot be accepted.
    assert invite(srv, org.admin, "later@acme.example")[0] == 201
    token = token_from(outbox(st)[-1][1], "invitation")
    assert call(b, "POST", "/api/v1/org/blocked", {"entry": "later@acme.example"}, token=org.admin)[0] == 201
    s, r, _ = call(b, "POST", "/api/v1/invitations/accept", {"token": token, "password": PASSWORD})
    assert s == 403 and is_error(r, "address_blocked")
    # Sharing and transfer: an existing account in a blocked domain is refused.
    bob = add_user(b, org.admin, "bob@partner.example", "editor")
    bom = make_bom(b, org.editor)
    s, r, _ = call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": bob, "access": "view"}, token=org.editor)
    assert s == 403 and is_error(r, "address_blocked")
    s, r, _ = call(b, "POST", f"/api/v1/boms/{bom}/transfer", {"user_id": bob}, token=org.editor)
    assert s == 403 and is_error(r, "address_blocked")
    assert call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": org.viewer_id, "access": "view"},
                token=org.editor)[0] == 201
    # Unblocking (entry in the body, not the URL) lets it through again.
    assert call(b, "DELETE", "/api/v1/org/blocked", {"entry": "partner.example"}, token=org.editor)[0] == 403
    assert call(b, "DELETE", "/api/v1/org/blocked", {"entry": "partner.example"}, token=org.admin)[0] == 204
    s, r, _ = call(b, "DELETE", "/api/v1/org/blocked", {"entry": "partner.example"}, token=org.admin)
    assert s == 404 and is_error(r, "not_blocked")
    assert call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": bob, "access": "view"}, token=org.editor)[0] == 201
    s, r, _ = call(b, "GET", f"/api/v1/audit?object=blocklist:{org.id}", token=org.admin)
    assert [e["action"] for e in r["entries"]][:1] == ["blocklist.remove"]
    assert "partner.example" not in all_logs(srv)


def test_demoted_user_reverifies_by_mail_before_sharing_again(serve, store):
    st = store
    srv = serve(store=st, extra=["--public-url", PUBLIC])
    org = Org(srv)
    b = srv.base
    bom = make_bom(b, org.editor2)
    assert call(b, "PATCH", f"/api/v1/users/{org.editor_id}", {"role": "viewer"}, token=org.admin)[0] == 200
    s, me, _ = call(b, "GET", "/api/v1/me", token=org.editor)
    assert me["email_verified"] is False
    s, r, _ = call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": org.editor_id, "access": "view"},
                   token=org.editor2)
    assert s == 403 and is_error(r, "sharing_not_allowed")
    s, r, _ = call(b, "POST", "/api/v1/me/verify-email", {}, token=org.editor)
    assert s == 202, r
    s, r, h = call(b, "POST", "/api/v1/me/verify-email", {}, token=org.editor)
    assert s == 429 and is_error(r, "verification_recently_sent") and int(h["Retry-After"]) > 0
    (path, msg), = outbox(st)
    assert to_of(msg) == ["editor@acme.example"]
    token = token_from(msg, "verify-email")
    s, r, _ = call(b, "POST", "/api/v1/verify-email", {"token": "y" * 43})
    assert s == 400 and is_error(r, "verification_invalid")
    s, r, _ = call(b, "POST", "/api/v1/verify-email", {"token": token})
    assert s == 200 and r["email_verified"] is True
    s, r, _ = call(b, "POST", "/api/v1/verify-email", {"token": token})
    assert s == 400 and is_error(r, "verification_invalid")
    s, me, _ = call(b, "GET", "/api/v1/me", token=org.editor)
    assert me["email_verified"] is True and me["role"] == "viewer"
    assert call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": org.editor_id, "access": "view"},
                token=org.editor2)[0] == 201
    s, r, _ = call(b, "POST", "/api/v1/me/verify-email", {}, token=org.admin)
    assert s == 409 and is_error(r, "already_verified")
    s, r, _ = call(b, "GET", f"/api/v1/audit?object=user:{org.editor_id}", token=org.admin)
    assert "user.verify_email" in [e["action"] for e in r["entries"]]


def test_invitation_mail_reaches_a_real_smtp_relay_over_tls_with_auth(serve, store, smtp_relay):
    st = store
    secret = "relay-pass-7Qx!"
    pw_file = os.path.join(st.tmp, "smtp-password")
    with open(pw_file, "w") as f:
        f.write(secret + "\n")
    os.chmod(pw_file, 0o600)
    bad_pw_file = os.path.join(st.tmp, "smtp-password-bad")
    with open(bad_pw_file, "w") as f:
        f.write("bad-relay-pass-Zq9\n")
    os.chmod(bad_pw_file, 0o600)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"bomvault" and auth_data.password == secret.encode()
        return smtp_relay.AuthResult(success=ok)

    inbox = smtp_relay.inbox
    starttls = smtp_relay.start(authenticator=authenticator, auth_required=True)
    # aiosmtpd 1.4 only counts STARTTLS as TLS for AUTH; on an implicit-TLS port the whole
    # connection is TLS already, so its AUTH-needs-TLS check is switched off there.
    implicit = smtp_relay.start(implicit_tls=True, authenticator=authenticator, auth_required=True,
                                auth_require_tls=False)

    def relay_server(url, password_file):
        return serve(store=st, extra=["--smtp-url", url, "--smtp-user", "bomvault",
                                      "--smtp-password-file", password_file, "--smtp-ca-file",
                                      smtp_relay.cert, "--mail-from", "noreply@acme.example",
                                      "--public-url", PUBLIC])

    srv = relay_server(smtp_relay.url(starttls), pw_file)
    org = Org(srv)
    s, r, _ = invite(srv, org.admin, "relay.user@acme.example", "viewer")
    assert s == 201, r
    assert inbox.arrived.wait(10)
    got = inbox.messages[-1]
    assert got["tls"] and got["auth"]
    assert got["from"] == "noreply@acme.example" and got["to"] == ["relay.user@acme.example"]
    msg = email.message_from_bytes(got["data"], policy=email.policy.default)
    token = token_from(msg, "invitation")
    assert outbox(st) == []
    s, r, _ = call(srv.base, "POST", "/api/v1/invitations/accept", {"token": token, "password": PASSWORD})
    assert s == 201, r
    assert sign_in(srv.base, "relay.user@acme.example")
    logs = all_logs(srv)
    assert secret not in logs and "relay.user" not in logs and "mail.sent" in logs
    srv.stop()

    # Implicit TLS (smtps://) works the same.
    inbox.arrived.clear()
    srv = relay_server(smtp_relay.url(implicit, "smtps"), pw_file)
    admin = sign_in(srv.base, "admin@acme.example")
    s, r, _ = invite(srv, admin, "second@acme.example")
    assert s == 201, (r, srv.log()[-1500:])
    assert inbox.arrived.wait(10) and inbox.messages[-1]["to"] == ["second@acme.example"]
    assert inbox.messages[-1]["tls"] and inbox.messages[-1]["auth"]
    srv.stop()

    # A relay that refuses the credentials: 503, and the invitation is taken back.
    count = len(inbox.messages)
    srv = relay_server(smtp_relay.url(starttls), bad_pw_file)
    admin = sign_in(srv.base, "admin@acme.example")
    s, r, _ = invite(srv, admin, "third@acme.example")
    assert s == 503 and is_error(r, "mail_unavailable")
    s, r, _ = call(srv.base, "GET", "/api/v1/invitations", token=admin)
    assert "third@acme.example" not in [i["email"] for i in r["invitations"]]
    assert len(inbox.messages) == count
    assert "bad-relay-pass-Zq9" not in all_logs(srv) and "third@" not in all_logs(srv)


def test_smtp_flags_are_checked_at_start(store):
    st = store
    for extra in (["--smtp-url", "http://relay.example:25"],
                  ["--smtp-url", "smtp://user:pw@relay.example:587"],
                  ["--smtp-url", "smtp://relay.example:587", "--smtp-user", "u"],
                  ["--smtp-user", "u", "--smtp-password-file", "/nonexistent"],
                  ["--public-url", "ftp://x"], ["--invitation-ttl-seconds", "0"],
                  ["--mail-from", "not-an-address"]):
        r = subprocess.run([os.environ.get("BOMVAULT_BIN", "build/bomvault"), "serve", "--data", st.data,
                            "--listen", "127.0.0.1:0", "--unseal-file", st.share_file] + extra,
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2, (extra, r.returncode, r.stderr)
        assert "pw@" not in r.stderr


def test_security_notices_are_mailed_after_factor_changes_and_a_sign_in_after_failures(serve, store,
                                                                                       smtp_relay):
    from test_accounts import oathtool
    st = store
    inbox = smtp_relay.inbox
    relay = smtp_relay.start()
    mail_flags = ["--smtp-url", smtp_relay.url(relay), "--smtp-ca-file", smtp_relay.cert,
                  "--mail-from", "noreply@acme.example", "--public-url", PUBLIC]
    srv = serve(store=st, extra=mail_flags)
    b = srv.base
    org = Org(srv).ensure_all()  # every member, some signed in by address below

    def next_mail(subject_part):
        for _ in range(200):
            for m in inbox.messages:
                msg = email.message_from_bytes(m["data"], policy=email.policy.default)
                if subject_part in msg["Subject"]:
                    inbox.messages.remove(m)
                    return m, msg
            time.sleep(0.05)
        raise AssertionError(f"no mail '{subject_part}': {[m['data'][:200] for m in inbox.messages]}")

    # Factor changes, each mailed to the user whose factor changed, over TLS.
    new = "Another-Long-Passphrase-42"
    s, r, _ = call(b, "POST", "/api/v1/me/password", {"current_password": PASSWORD, "new_password": new},
                   token=org.editor)
    assert s == 204, r
    m, msg = next_mail("your password was changed")
    assert m["to"] == ["editor@acme.example"] and m["tls"]
    body = msg.get_body(("plain",)).get_content()
    assert new not in body and PASSWORD not in body and org.editor_id not in body and org.id not in body
    assert f"{PUBLIC}/" in body and "When: " in body
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp", {}, token=org.editor)
    secret = r["secret"]
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp/confirm", {"code": oathtool(secret, -1)}, token=org.editor)
    assert s == 200, r
    m, msg = next_mail("an authenticator app was added")
    assert secret not in msg.get_body(("plain",)).get_content()
    assert not any(c in msg.get_body(("plain",)).get_content() for c in r["recovery_codes"])
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/recovery-codes", {"code": oathtool(secret)}, token=org.editor)
    assert s == 200, r
    m, msg = next_mail("new recovery codes were made")
    assert not any(c in msg.get_body(("plain",)).get_content() for c in r["recovery_codes"])
    assert call(b, "POST", "/api/v1/me/mfa/totp/disable", {"password": new}, token=org.editor)[0] == 204
    next_mail("your authenticator app was removed")
    # An Administrator's MFA reset tells the user, not the Administrator.
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp", {}, token=org.viewer)
    s, r, _ = call(b, "POST", "/api/v1/me/mfa/totp/confirm", {"code": oathtool(r["secret"], -1)}, token=org.viewer)
    next_mail("an authenticator app was added")
    assert call(b, "POST", f"/api/v1/users/{org.viewer_id}/mfa/reset", {}, token=org.admin)[0] == 204
    m, _ = next_mail("second sign-in factors were reset")
    assert m["to"] == ["viewer@acme.example"]
    # A successful sign-in after failed attempts is mailed; a plain one is not.
    sign_in(b, "editor2@acme.example")
    for _ in range(2):
        assert call(b, "POST", "/api/v1/sessions", {"email": "editor2@acme.example",
                                                     "password": "Wrong-Password-123x"})[0] == 401
    sign_in(b, "editor2@acme.example")
    m, msg = next_mail("sign-in after failed attempts")
    assert m["to"] == ["editor2@acme.example"] and "after 2 failed attempts" in msg.get_body(("plain",)).get_content()
    time.sleep(1)
    assert not [x for x in inbox.messages if b"sign-in after failed" in x["data"]]
    logs = all_logs(srv)
    assert "notice.sent" in logs and "editor@acme" not in logs and "editor2@acme" not in logs
    srv.stop()

    # The relay gone: the action still succeeds at once, the failure is logged by id only.
    smtp_relay.shut(relay)
    srv = serve(store=st, extra=mail_flags)
    editor = sign_in(srv.base, "editor@acme.example", new)
    s, r, _ = call(srv.base, "POST", "/api/v1/me/password", {"current_password": new, "new_password": PASSWORD},
                   token=editor)
    assert s == 204, r
    assert sign_in(srv.base, "editor@acme.example")
    for _ in range(200):
        if "notice.failed" in all_logs(srv):
            break
        time.sleep(0.05)
    logs = all_logs(srv)
    assert "notice.failed" in logs and org.editor_id in logs and "editor@acme" not in logs


def _sign_in_from(srv, source_ip, email_address, password=PASSWORD):
    """POST /api/v1/sessions over a socket bound to `source_ip` (any 127/8 address reaches the
    server's 127.0.0.1 on Linux), so the server sees that peer address."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60, source_address=(source_ip, 0))
    try:
        conn.request("POST", "/api/v1/sessions", json.dumps({"email": email_address, "password": password}),
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        body = json.loads(r.read())
        assert r.status == 201, (r.status, body)
        return body["token"]
    finally:
        conn.close()


def test_sign_in_from_a_new_address_is_mailed_and_a_known_one_is_not(serve, smtp_relay):
    inbox = smtp_relay.inbox
    relay = smtp_relay.start()
    subject = "a sign-in from a new network address"

    def mails(to):
        out = []
        for m in list(inbox.messages):
            msg = email.message_from_bytes(m["data"], policy=email.policy.default)
            if subject in msg["Subject"] and m["to"] == [to]:
                out.append(msg)
        return out

    def wait_mails(to, n):
        for _ in range(200):
            if len(mails(to)) >= n:
                break
            time.sleep(0.05)
        time.sleep(0.5)  # and nothing more arrives
        return mails(to)

    srv = serve(extra=["--smtp-url", smtp_relay.url(relay), "--smtp-ca-file", smtp_relay.cert,
                   "--mail-from", "noreply@acme.example", "--public-url", PUBLIC])
    # Every account's first sign-in, from 127.0.0.1: nothing to compare with.
    org = Org(srv).ensure_all()
    sign_in(srv.base, "editor@acme.example")  # the same address again
    # A second address: mailed, to that user only.
    _sign_in_from(srv, "127.0.0.2", "editor@acme.example")
    got = wait_mails("editor@acme.example", 1)
    assert len(got) == 1, [m["Subject"] for m in got]
    body = got[0].get_body(("plain",)).get_content()
    assert "127.0.0" not in body and org.editor_id not in body and f"{PUBLIC}/" in body and "When: " in body
    assert mails("admin@acme.example") == [] and mails("viewer@acme.example") == []
    # Known addresses: no more mail.
    _sign_in_from(srv, "127.0.0.2", "editor@acme.example")
    sign_in(srv.base, "editor@acme.example")
    # One wait for everything that must not be mailed so far: the first sign-ins, the editor's
    # sign-in from 127.0.0.1 again (before the second address) and these two known ones. Each
    # would be a mail more: the editor has exactly the one above, the others none.
    assert len(wait_mails("editor@acme.example", 2)) == 1
    assert mails("admin@acme.example") == [] and mails("viewer@acme.example") == []
    # The same address is new for another user (pseudonyms are per user).
    _sign_in_from(srv, "127.0.0.2", "viewer@acme.example")
    assert len(wait_mails("viewer@acme.example", 1)) == 1
    # At most 20 addresses are kept per user: after 20 newer ones, 127.0.0.2 is new again.
    for i in range(3, 23):
        _sign_in_from(srv, f"127.0.0.{i}", "editor@acme.example")
    assert len(wait_mails("editor@acme.example", 21)) == 21
    _sign_in_from(srv, "127.0.0.2", "editor@acme.example")
    assert len(wait_mails("editor@acme.example", 22)) == 22
    # No address reaches the logs; the notice is logged by kind and user id.
    logs = all_logs(srv)
    assert "127.0.0.2" not in logs and "127.0.0.7" not in logs
    assert '"kind":"new_address"' in logs and "editor@acme" not in logs
