"""Drives the operations of /api/v1/openapi.json beyond BOMs, accounts and the audit log for
test_openapi.test_typed_operations_conform: each drive_* sends its operations their happy path and
the invalid inputs a client can get wrong through a Conformance (test_openapi.py), which checks
every answer against the document. Outside systems are played in-process: the folder source reads
a drop directory, FakeSource answers Tryton's JSON-RPC (and stands in for an OAuth server never
reached), ForgingProvider is the OpenID Connect provider, passkey_support's Authenticator the
browser's passkey, and mail is read from the outbox.
"""
import base64
import email
import email.policy
import glob
import hashlib
import hmac
import json
import os
import re
import struct
import time
import urllib.parse

from harness import PASSWORD, add_user, call, make_bom, pdf_bytes, png_bytes, sign_in
from passkey_support import Authenticator
from sso_support import Browser, ForgingProvider

# Operations whose success is not reached here, with the test that reaches it: none today.
# Every other documented operation must answer at least one 2xx or 3xx below. (The whole OAuth
# code + PKCE connection, through a real authorization server, is test_sources_rest.py's; here
# the authorization starts and a made-up code is refused.)
HAPPY_PATH_ELSEWHERE = {}


def totp(secret, offset=0):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int(time.time()) // 30 + offset
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def mailed_token(store, address, page):
    """The token of the newest mail to `address` linking to PUBLIC_URL/page#token=..."""
    for path in sorted(glob.glob(os.path.join(store.data, "outbox", "*.eml")), reverse=True):
        with open(path, "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        if address in str(msg["To"]):
            m = re.search(page + r"#token=([A-Za-z0-9_-]{43})", msg.get_body(("plain",)).get_content())
            if m:
                return m.group(1)
    raise AssertionError(f"no {page} mail to {address}")


def wait_job(c, token, job_id):
    while True:
        s, r = c.send("jobs.get", "GET", f"/api/v1/jobs/{job_id}", token=token)
        assert s == 200, r
        if r["state"] in ("done", "failed"):
            return r
        time.sleep(0.2)


def drive_me_and_mfa(c, b, org, st):
    ed, ad, vw, op = org.editor, org.admin, org.viewer, st.operator
    s, _ = c.send("me.get", "GET", "/api/v1/me", token=ed)
    assert s == 200
    tag = c.last_headers["ETag"]
    assert c.send("me.get", "GET", "/api/v1/me", token=ed, headers={"If-None-Match": tag})[0] == 304
    s, r = c.send("me.get", "GET", "/api/v1/me", token=op)
    assert s == 200 and r == {"operator": True}, r
    assert c.send("me.get", "GET", "/api/v1/me", token=op,
                  headers={"If-None-Match": c.last_headers["ETag"]})[0] == 304
    c.send("me.get", "GET", "/api/v1/me")
    s, r = c.send("me.update", "PATCH", "/api/v1/me", {"display_name": "Edna"}, token=ed,
                  headers={"If-Match": tag})
    assert s == 200 and r["display_name"] == "Edna", r
    assert c.send("me.update", "PATCH", "/api/v1/me", {"display_name": "Edna B"}, token=ed,
                  headers={"If-Match": tag})[0] == 412
    for body in [{"display_name": 5}, {}, {"display_name": "x" * 101}, b"[]", b"{"]:
        c.send("me.update", "PATCH", "/api/v1/me", body, token=ed)
    c.send("me.update", "PATCH", "/api/v1/me", {"display_name": "x"})

    # TOTP: start, confirm, regenerate the recovery codes, turn it off; the Administrator's reset.
    mfa_id = add_user(b, ad, "mfa@acme.example", "editor")
    t = sign_in(b, "mfa@acme.example")
    c.send("me.totp.start", "POST", "/api/v1/me/mfa/totp", b"[]", token=t)
    c.send("me.totp.start", "POST", "/api/v1/me/mfa/totp", {}, token=st.operator)
    s, r = c.send("me.totp.start", "POST", "/api/v1/me/mfa/totp", {}, token=t)
    assert s == 200, r
    secret = r["secret"]
    wrong = "000000" if totp(secret) != "000000" else "111111"
    for body in [{"code": 123456}, {}, {"code": wrong}, b"x"]:
        c.send("me.totp.confirm", "POST", "/api/v1/me/mfa/totp/confirm", body, token=t)
    c.send("me.recovery_codes.regenerate", "POST", "/api/v1/me/mfa/recovery-codes", {"code": wrong},
           token=vw)
    s, r = c.send("me.totp.confirm", "POST", "/api/v1/me/mfa/totp/confirm", {"code": totp(secret)},
                  token=t)
    assert s == 200 and r["recovery_codes"], r
    c.send("me.totp.start", "POST", "/api/v1/me/mfa/totp", {}, token=t)
    for body in [{"code": 5}, {}, {"code": wrong}]:
        c.send("me.recovery_codes.regenerate", "POST", "/api/v1/me/mfa/recovery-codes", body, token=t)
    # A code is used once: the next step's code (or the one after, if the step turned meanwhile).
    s, r = c.send("me.recovery_codes.regenerate", "POST", "/api/v1/me/mfa/recovery-codes",
                  {"code": totp(secret, 1)}, token=t)
    if s != 200:
        s, r = c.send("me.recovery_codes.regenerate", "POST", "/api/v1/me/mfa/recovery-codes",
                      {"code": totp(secret, 2)}, token=t)
    assert s == 200 and r["recovery_codes"], r
    for body in [{"password": 5}, {}, {"password": "wrong-password-1"}]:
        c.send("me.totp.disable", "POST", "/api/v1/me/mfa/totp/disable", body, token=t)
    s, r = c.send("me.totp.disable", "POST", "/api/v1/me/mfa/totp/disable", {"password": PASSWORD},
                  token=t)
    assert s == 204, r
    c.send("me.totp.disable", "POST", "/api/v1/me/mfa/totp/disable", {"password": PASSWORD}, token=t)
    # Enrolled again, for the Administrator to reset.
    s, r = c.send("me.totp.start", "POST", "/api/v1/me/mfa/totp", {}, token=t)
    assert s == 200, r
    s, r = c.send("me.totp.confirm", "POST", "/api/v1/me/mfa/totp/confirm", {"code": totp(r["secret"])},
                  token=t)
    assert s == 200, r
    for path, token in [(f"/api/v1/users/{mfa_id}/mfa/reset", vw), ("/api/v1/users/usr_nope/mfa/reset", ad),
                        (f"/api/v1/users/{mfa_id}/mfa/reset", None)]:
        c.send("users.mfa_reset", "POST", path, {}, token=token)
    c.send("users.mfa_reset", "POST", f"/api/v1/users/{mfa_id}/mfa/reset", b"[]", token=ad)
    s, r = c.send("users.mfa_reset", "POST", f"/api/v1/users/{mfa_id}/mfa/reset", {}, token=ad)
    assert s == 204, r

    # The password.
    add_user(b, ad, "pw@acme.example", "editor")
    t = sign_in(b, "pw@acme.example")
    new = PASSWORD + "-new"
    for body in [{"current_password": "wrong-password-1", "new_password": new},
                 {"current_password": PASSWORD}, {"new_password": new},
                 {"current_password": PASSWORD, "new_password": new, "sign_out_others": "yes"},
                 {"current_password": PASSWORD, "new_password": "short"},
                 {"current_password": 5, "new_password": new}, b"[]"]:
        c.send("me.password", "POST", "/api/v1/me/password", body, token=t)
    s, r = c.send("me.password", "POST", "/api/v1/me/password",
                  {"current_password": PASSWORD, "new_password": new, "sign_out_others": False},
                  token=t)
    assert s == 204, r


def drive_addresses_and_invitations(c, b, org, st):
    ad, vw = org.admin, org.viewer
    # A change of role asks the user to verify their address again: the link goes to the outbox.
    uid = add_user(b, ad, "unverified@acme.example", "editor")
    t = sign_in(b, "unverified@acme.example")
    s, r = c.send("users.update", "PATCH", f"/api/v1/users/{uid}", {"role": "viewer"}, token=ad)
    assert s == 200 and r["email_verified"] is False, r
    c.send("me.verify_email", "POST", "/api/v1/me/verify-email", b"[]", token=t)
    s, r = c.send("me.verify_email", "POST", "/api/v1/me/verify-email", {}, token=t)
    assert s == 202, r
    token = mailed_token(st, "unverified@acme.example", "verify-email")
    for body in [{"token": 5}, {}, {"token": "x" * 43}, b"[]"]:
        c.send("verify_email", "POST", "/api/v1/verify-email", body)
    s, r = c.send("verify_email", "POST", "/api/v1/verify-email", {"token": token})
    assert s == 200, r
    c.send("verify_email", "POST", "/api/v1/verify-email", {"token": token})
    c.send("me.verify_email", "POST", "/api/v1/me/verify-email", {}, token=t)

    s, r = c.send("invitations.create", "POST", "/api/v1/invitations",
                  {"email": "invited@acme.example", "role": "editor"}, token=ad)
    assert s == 201, r
    inv = r["id"]
    for body in [{"email": "x@acme.example", "role": "king"}, {"email": 5, "role": "viewer"},
                 {"email": "not-an-address", "role": "viewer"}, {"role": "viewer"}, {}, b"[]",
                 {"email": "admin@acme.example", "role": "viewer"}]:
        c.send("invitations.create", "POST", "/api/v1/invitations", body, token=ad)
    c.send("invitations.create", "POST", "/api/v1/invitations",
           {"email": "y@acme.example", "role": "viewer"}, token=vw)
    s, r = c.send("invitations.create", "POST", "/api/v1/invitations",
                  {"email": "second@acme.example", "role": "viewer"}, token=ad)
    assert s == 201, r
    second = r["id"]
    for q in ["", "?limit=1", "?limit=0", "?limit=101", "?after=nope", "?cursor=!!!", f"?after={inv}"]:
        c.send("invitations.list", "GET", "/api/v1/invitations", token=ad, query=q)
    c.send("invitations.list", "GET", "/api/v1/invitations", token=vw)
    token = mailed_token(st, "invited@acme.example", "invitation")
    for body in [{"token": token}, {"token": 5, "password": PASSWORD}, {}, b"[]",
                 {"token": "x" * 43, "password": PASSWORD}, {"token": token, "password": "short"}]:
        c.send("invitations.accept", "POST", "/api/v1/invitations/accept", body)
    s, r = c.send("invitations.accept", "POST", "/api/v1/invitations/accept",
                  {"token": token, "password": PASSWORD})
    assert s == 201, r
    c.send("invitations.accept", "POST", "/api/v1/invitations/accept",
           {"token": token, "password": PASSWORD})
    c.send("invitations.delete", "DELETE", f"/api/v1/invitations/{second}", token=vw)
    s, r = c.send("invitations.delete", "DELETE", f"/api/v1/invitations/{second}", token=ad)
    assert s == 204, r
    c.send("invitations.delete", "DELETE", f"/api/v1/invitations/{second}", token=ad)
    c.send("invitations.delete", "DELETE", "/api/v1/invitations/nope", token=ad)

    # The block list.
    s, r = c.send("org.blocked.add", "POST", "/api/v1/org/blocked", {"entry": "spam.example"}, token=ad)
    assert s == 201, r
    for body in [{"entry": "spam.example"}, {"entry": 5}, {"entry": ""}, {"entry": "a b"}, {}, b"[]"]:
        c.send("org.blocked.add", "POST", "/api/v1/org/blocked", body, token=ad)
    c.send("org.blocked.add", "POST", "/api/v1/org/blocked", {"entry": "x.example"}, token=vw)
    c.send("org.blocked.list", "GET", "/api/v1/org/blocked", token=ad)
    c.send("org.blocked.list", "GET", "/api/v1/org/blocked", token=vw)
    for body in [{"entry": 5}, {}, b"[]", {"entry": "other.example"}]:
        c.send("org.blocked.delete", "DELETE", "/api/v1/org/blocked", body, token=ad)
    c.send("org.blocked.delete", "DELETE", "/api/v1/org/blocked", {"entry": "spam.example"}, token=vw)
    s, r = c.send("org.blocked.delete", "DELETE", "/api/v1/org/blocked", {"entry": "spam.example"},
                  token=ad)
    assert s == 204, r


def drive_org_settings(c, b, org, st):
    ad, vw, op = org.admin, org.viewer, st.operator
    s, r = c.send("org.settings.get", "GET", "/api/v1/org/settings", token=ad)
    assert s == 200, r
    tag = c.last_headers["ETag"]
    assert c.send("org.settings.get", "GET", "/api/v1/org/settings", token=ad,
                  headers={"If-None-Match": tag})[0] == 304
    c.send("org.settings.get", "GET", "/api/v1/org/settings", token=vw)
    s, r = c.send("org.settings.update", "PATCH", "/api/v1/org/settings",
                  {"audit_depth": 50, "purge_days": 30, "purge_notice": True}, token=ad,
                  headers={"If-Match": tag})
    assert s == 200, r
    assert c.send("org.settings.update", "PATCH", "/api/v1/org/settings", {"audit_depth": 60},
                  token=ad, headers={"If-Match": tag})[0] == 412
    for body in [{"bogus": 1}, {"audit_depth": 0}, {"purge_days": 366}, {"mfa_policy": "never"},
                 {"sharing_enabled": "yes"}, b"[]"]:
        c.send("org.settings.update", "PATCH", "/api/v1/org/settings", body, token=ad)
    c.send("org.settings.update", "PATCH", "/api/v1/org/settings", {"audit_depth": 9}, token=vw)

    mappings = {"mappings": [{"column": "PN", "field": "part_number"},
                             {"column": "Colour", "property": "colour"},
                             {"column": "Junk", "ignore": True}]}
    s, r = c.send("org.column_mappings.update", "PUT", "/api/v1/org/column-mappings", mappings, token=ad)
    assert s == 200, r
    for body in [{"mappings": [{"column": "X", "field": "bogus"}]}, {"mappings": "x"},
                 {"mappings": [{"field": "ref"}]}, b"[]"]:
        c.send("org.column_mappings.update", "PUT", "/api/v1/org/column-mappings", body, token=ad)
    c.send("org.column_mappings.update", "PUT", "/api/v1/org/column-mappings", mappings, token=vw)
    c.send("org.column_mappings.get", "GET", "/api/v1/org/column-mappings", token=vw)
    c.send("org.column_mappings.get", "GET", "/api/v1/org/column-mappings")

    # Support access opens the operator's support reads.
    c.send("orgs.support.users", "GET", f"/api/v1/orgs/{org.id}/support/users", token=op)
    for body in [{"hours": "2"}, {"hours": 100}, {"hours": -1}, {}, b"[]"]:
        c.send("org.support_access", "POST", "/api/v1/org/support-access", body, token=ad)
    c.send("org.support_access", "POST", "/api/v1/org/support-access", {"hours": 2}, token=vw)
    s, r = c.send("org.support_access", "POST", "/api/v1/org/support-access", {"hours": 2}, token=ad)
    assert s == 200, r
    s, r = c.send("orgs.support.users", "GET", f"/api/v1/orgs/{org.id}/support/users", token=op)
    assert s == 200, r
    for q in ["", "?limit=2", "?limit=0", "?action=bom.create"]:
        c.send("orgs.support.audit", "GET", f"/api/v1/orgs/{org.id}/support/audit", token=op, query=q)
    assert (("orgs.support.audit", 200)) in c.seen
    c.send("orgs.support.users", "GET", "/api/v1/orgs/org_nope/support/users", token=op)
    c.send("orgs.support.users", "GET", f"/api/v1/orgs/{org.id}/support/users", token=ad)


def drive_files(c, b, org, st):
    """Attachments, imports and their profiles, and the BOM views."""
    ed, vw = org.editor, org.viewer
    bom = make_bom(b, ed, name="Viewed")
    s, r, _ = call(b, "POST", f"/api/v1/boms/{bom}/shares", {"user_id": org.viewer_id, "access": "view"},
                   token=ed)
    assert s == 201, r
    base = f"/api/v1/boms/{bom}/attachments"
    octet = "application/octet-stream"
    s, r = c.send("boms.attachments.create", "POST", base, png_bytes(), token=ed, ctype=octet,
                  query="?kind=thumbnail&name=thumb.png")
    assert s == 201 and r["width"] == 4, r
    thumb = r["id"]
    s, r = c.send("boms.attachments.create", "POST", base, pdf_bytes(), token=ed, ctype=octet,
                  query="?name=drawing.pdf")
    assert s == 201, r
    for data, q in [(b"just some bytes", "?name=x.bin"), (pdf_bytes(), "?kind=bogus&name=x.pdf"),
                    (pdf_bytes(), "?kind=thumbnail&name=x.pdf"), (b"", "?name=empty.pdf"),
                    (pdf_bytes(), "?name=" + "n" * 300)]:
        c.send("boms.attachments.create", "POST", base, data, token=ed, ctype=octet, query=q)
    c.send("boms.attachments.create", "POST", base, pdf_bytes(), token=vw, ctype=octet, query="?name=v.pdf")
    c.send("boms.attachments.create", "POST", "/api/v1/boms/bom_nope/attachments", pdf_bytes(),
           token=ed, ctype=octet, query="?name=v.pdf")
    for q in ["", "?limit=1", "?limit=0", "?cursor=!!!"]:
        c.send("boms.attachments.list", "GET", base, token=vw, query=q)
    c.send("boms.attachments.list", "GET", "/api/v1/boms/bom_nope/attachments", token=ed)
    s, r = c.send("boms.attachments.get", "GET", f"{base}/{thumb}", token=vw)
    assert s == 200 and r == png_bytes(), r
    c.send("boms.attachments.get", "GET", f"{base}/att_nope", token=vw)
    c.send("boms.attachments.get", "GET", f"{base}/{thumb}")
    c.send("boms.attachments.delete", "DELETE", f"{base}/{thumb}", token=vw)
    s, r = c.send("boms.attachments.delete", "DELETE", f"{base}/{thumb}", token=ed)
    assert s == 204, r
    c.send("boms.attachments.delete", "DELETE", f"{base}/{thumb}", token=ed)

    # Imports: a CSV as a tool exports it, the preview, a newer revision.
    csv = b"level,part_number,description,quantity\n0,TOP-1,Top,1\n1,SUB-2,Sub,2\n1,SUB-3,Other,4\n"
    bad = b"level,part_number,description,quantity\n0,TOP-1,Top,1\n1,SUB-2,Sub,lots\n"
    s, r = c.send("boms.import", "POST", "/api/v1/boms/import", csv, token=ed, ctype="text/csv",
                  query="?name=Imported&source=cad")
    assert s == 201, r
    imported = r["id"]
    c.send("boms.import", "POST", "/api/v1/boms/import", bad, token=ed, ctype="text/csv",
           query="?name=Imported&on_error=skip")
    mappings = urllib.parse.quote(json.dumps([{"column": "part_number", "field": "part_number"}]))
    for data, q in [(csv, ""), (csv, "?name=x&on_error=maybe"), (bad, "?name=x"), (b"", "?name=x"),
                    (b"\x00\x01\x02", "?name=x"), (csv, "?name=x&charset=" + "c" * 41),
                    (csv, "?name=x&mappings=not-json"), (csv, f"?name=x&mappings={mappings}"),
                    (csv, "?name=x&profile=no-such-profile"), (csv, "?name=x&sheet=Sheet9")]:
        c.send("boms.import", "POST", "/api/v1/boms/import", data, token=ed, ctype="text/csv", query=q)
    c.send("boms.import", "POST", "/api/v1/boms/import", csv, token=vw, ctype="text/csv", query="?name=x")
    for data, q in [(csv, ""), (bad, ""), (b"", ""), (csv, "?on_error=maybe"), (csv, "?mappings=[1]")]:
        c.send("boms.import_preview", "POST", "/api/v1/boms/import/preview", data, token=ed,
               ctype="text/csv", query=q)
    c.send("boms.import_preview", "POST", "/api/v1/boms/import/preview", csv, token=vw, ctype="text/csv")
    newer = csv + b"1,SUB-4,New,1\n"
    path = f"/api/v1/boms/{imported}/revisions"
    s, r = c.send("boms.revise", "POST", path, newer, token=ed, ctype="text/csv", query="?source=cad")
    assert s == 201 and r["revision"] == 2, r
    for data, q in [(bad, ""), (b"", ""), (csv, "?on_error=maybe")]:
        c.send("boms.revise", "POST", path, data, token=ed, ctype="text/csv", query=q)
    c.send("boms.revise", "POST", path, csv, token=vw, ctype="text/csv")
    c.send("boms.revise", "POST", "/api/v1/boms/bom_nope/revisions", csv, token=ed, ctype="text/csv")

    # The views of a BOM: export, flat, compare.
    for q in ["", "?format=csv", "?format=json", "?format=xml"]:
        c.send("boms.export", "GET", f"/api/v1/boms/{imported}/export", token=ed, query=q)
    c.send("boms.export", "GET", "/api/v1/boms/bom_nope/export", token=ed)
    c.send("boms.export", "GET", f"/api/v1/boms/{imported}/export", token=vw)
    c.send("boms.flat", "GET", f"/api/v1/boms/{imported}/flat", token=ed)
    c.send("boms.flat", "GET", f"/api/v1/boms/{bom}/flat", token=vw)
    c.send("boms.flat", "GET", "/api/v1/boms/bom_nope/flat", token=ed)
    cmp = f"/api/v1/boms/{imported}/compare/{imported}"
    for q in ["?revision=1", "?revision=1&other_revision=2", "?revision=x", "?other_revision=0",
              "?revision=9"]:
        c.send("boms.compare", "GET", cmp, token=ed, query=q)
    c.send("boms.compare", "GET", f"/api/v1/boms/{imported}/compare/{bom}", token=ed)
    c.send("boms.compare", "GET", f"/api/v1/boms/{imported}/compare/bom_nope", token=ed)
    c.send("boms.compare", "GET", f"/api/v1/boms/{imported}/compare/{bom}", token=vw)

    # Named importer profiles.
    ad = org.admin
    s, r = c.send("org.import_profiles.list", "GET", "/api/v1/org/import-profiles", token=vw)
    assert s == 200 and r["builtin"], r
    profile = {"name": "Our CAD", "base": r["builtin"][0],
               "mappings": [{"column": "PN", "field": "part_number"}],
               "options": {"on_error": "skip", "charset": "utf-8"}}
    s, r = c.send("org.import_profiles.create", "POST", "/api/v1/org/import-profiles", profile, token=ad)
    assert s == 201, r
    pid = r["id"]
    for body in [profile, {"name": 5}, {}, {"name": "X", "base": "no-such-base"},
                 {"name": "Y", "options": {"on_error": "maybe"}}, {"name": "Z", "mappings": "x"}, b"[]"]:
        c.send("org.import_profiles.create", "POST", "/api/v1/org/import-profiles", body, token=ad)
    c.send("org.import_profiles.create", "POST", "/api/v1/org/import-profiles", {"name": "V"}, token=vw)
    for q in ["", "?limit=1", "?limit=0"]:
        c.send("org.import_profiles.list", "GET", "/api/v1/org/import-profiles", token=ad, query=q)
    s, r = c.send("org.import_profiles.update", "PUT", f"/api/v1/org/import-profiles/{pid}",
                  {**profile, "name": "Our CAD 2"}, token=ad)
    assert s == 200, r
    for body in [{"name": 5}, {}, b"[]"]:
        c.send("org.import_profiles.update", "PUT", f"/api/v1/org/import-profiles/{pid}", body, token=ad)
    c.send("org.import_profiles.update", "PUT", "/api/v1/org/import-profiles/nope", profile, token=ad)
    c.send("org.import_profiles.update", "PUT", f"/api/v1/org/import-profiles/{pid}", profile, token=vw)
    c.send("boms.import", "POST", "/api/v1/boms/import", csv, token=ed, ctype="text/csv",
           query=f"?name=Profiled&profile={pid}")
    c.send("org.import_profiles.delete", "DELETE", f"/api/v1/org/import-profiles/{pid}", token=vw)
    s, r = c.send("org.import_profiles.delete", "DELETE", f"/api/v1/org/import-profiles/{pid}", token=ad)
    assert s == 204, r
    c.send("org.import_profiles.delete", "DELETE", f"/api/v1/org/import-profiles/{pid}", token=ad)


def drive_operator(c, b, org, st):
    """Metrics, backups, key rotation, readiness and organisations, as the operator."""
    op, ad = st.operator, org.admin
    s, r = c.send("metrics", "GET", "/api/v1/metrics", token=op)
    assert s == 200 and b"bomvault" in r, r
    c.send("metrics", "GET", "/api/v1/metrics", token=ad)
    c.send("metrics", "GET", "/api/v1/metrics")
    target = os.path.join(st.tmp, "backups")
    s, r = c.send("backups.create", "POST", "/api/v1/backups", {"to": target}, token=op)
    assert s == 201, r
    for body in [{"to": "relative/dir"}, {"to": 5}, {}, {"to": target, "store_id": "someone-else"},
                 {"to": "/proc/no-such-dir"}, b"[]"]:
        c.send("backups.create", "POST", "/api/v1/backups", body, token=op)
    c.send("backups.create", "POST", "/api/v1/backups", {"to": target}, token=ad)
    c.send("backups.list", "GET", "/api/v1/backups", token=op)
    c.send("backups.list", "GET", "/api/v1/backups", token=ad)
    for body in [{"org_id": "org_nope"}, {"org_id": 5}, b"[]"]:
        c.send("keys.rotate", "POST", "/api/v1/keys/rotate", body, token=op)
    c.send("keys.rotate", "POST", "/api/v1/keys/rotate", {"org_id": org.id}, token=ad)
    s, r = c.send("keys.rotate", "POST", "/api/v1/keys/rotate", {"org_id": org.id}, token=op)
    assert s == 202, r
    s, r = c.send("keys.rotation", "GET", "/api/v1/keys/rotation", token=op)
    assert s == 200, r
    c.send("keys.rotation", "GET", "/api/v1/keys/rotation", token=ad)
    s, r = c.send("ready", "GET", "/api/v1/ready")
    assert s == 200, r

    # An organisation made to be deleted.
    s, r = c.send("orgs.create", "POST", "/api/v1/orgs",
                  {"name": "Doomed", "admin_email": "admin@doomed.example", "admin_password": PASSWORD},
                  token=op)
    assert s == 201, r
    c.send("orgs.delete", "DELETE", f"/api/v1/orgs/{r['id']}", token=ad)
    s, _ = c.send("orgs.delete", "DELETE", f"/api/v1/orgs/{r['id']}", token=op)
    assert s == 204
    c.send("orgs.delete", "DELETE", f"/api/v1/orgs/{r['id']}", token=op)
    c.send("orgs.delete", "DELETE", "/api/v1/orgs/nope", token=op)


def drive_passkeys(c, b, org, origin):
    ad = org.admin
    add_user(b, ad, "pk@acme.example", "editor")
    t = sign_in(b, "pk@acme.example")
    c.send("me.passkeys.options", "POST", "/api/v1/me/passkeys/options", b"[]", token=t)
    # Its body is optional (the document says so): none at all is {}.
    assert c.send("me.passkeys.options", "POST", "/api/v1/me/passkeys/options", token=t)[0] == 200
    s, opts = c.send("me.passkeys.options", "POST", "/api/v1/me/passkeys/options", {}, token=t)
    assert s == 200, opts
    a = Authenticator()
    credential = a.register(opts, origin)
    for body in [{"name": "Laptop"}, {"name": "Laptop", "credential": {"response": {}}},
                 {"name": 5, "credential": credential}, {"name": "", "credential": credential},
                 {"name": "Laptop", "credential": {**credential, "type": "password"}},
                 {"name": "Laptop", "credential": {**credential, "id": "not base64url!"}},
                 {"name": "Laptop", "credential": {**credential, "rawId": "AAAA"}},
                 {"name": "Laptop", "credential": {**credential,
                                                   "response": {"clientDataJSON": "AAAA"}}}, b"[]"]:
        c.send("me.passkeys.create", "POST", "/api/v1/me/passkeys", body, token=t)
    s, view = c.send("me.passkeys.create", "POST", "/api/v1/me/passkeys",
                     {"name": "Laptop", "credential": credential}, token=t)
    assert s == 201, view
    # The challenge was single use.
    c.send("me.passkeys.create", "POST", "/api/v1/me/passkeys", {"name": "Again", "credential": credential},
           token=t)
    c.send("me.passkeys.list", "GET", "/api/v1/me/passkeys", token=t)
    c.send("me.passkeys.list", "GET", "/api/v1/me/passkeys")
    pk = f"/api/v1/me/passkeys/{view['id']}"
    s, _ = c.send("me.passkeys.rename", "PATCH", pk, {"name": "Desk"}, token=t)
    assert s == 204
    for body in [{"name": 5}, {}, {"name": "n" * 101}, b"[]"]:
        c.send("me.passkeys.rename", "PATCH", pk, body, token=t)
    c.send("me.passkeys.rename", "PATCH", "/api/v1/me/passkeys/nope", {"name": "x"}, token=t)
    c.send("me.passkeys.rename", "PATCH", pk, {"name": "x"}, token=org.viewer)

    # Sign-in: passwordless, then the second-factor start.
    for body in [{"email": 5}, {"email": "pk@acme.example"}, {"email": "pk@acme.example", "password": "wrong-1"},
                 b"[]"]:
        c.send("sessions.passkey.options", "POST", "/api/v1/sessions/passkey/options", body)
    c.send("sessions.passkey.options", "POST", "/api/v1/sessions/passkey/options",
           {"email": "pk@acme.example", "password": PASSWORD})
    s, opts = c.send("sessions.passkey.options", "POST", "/api/v1/sessions/passkey/options", {})
    assert s == 200, opts
    assertion = a.assert_(opts, origin)
    for body in [{}, {"credential": {**assertion, "response": {}}}, {"credential": assertion, "cookie": "yes"},
                 {"credential": {**assertion, "id": "AAAA", "rawId": "AAAA"}}, b"[]"]:
        c.send("sessions.passkey", "POST", "/api/v1/sessions/passkey", body)
    # A refused attempt spends its challenge: a new one for the sign-in.
    s, opts = c.send("sessions.passkey.options", "POST", "/api/v1/sessions/passkey/options", {})
    assert s == 200, opts
    assertion = a.assert_(opts, origin)
    s, r = c.send("sessions.passkey", "POST", "/api/v1/sessions/passkey", {"credential": assertion})
    assert s == 201 and r["token"], r
    c.send("sessions.passkey", "POST", "/api/v1/sessions/passkey", {"credential": assertion})

    for body in [{"password": 5}, {}, {"password": "wrong-password-1"}, b"[]"]:
        c.send("me.passkeys.delete", "DELETE", pk, body, token=t)
    s, _ = c.send("me.passkeys.delete", "DELETE", pk, {"password": PASSWORD}, token=t)
    assert s == 204
    c.send("me.passkeys.delete", "DELETE", pk, {"password": PASSWORD}, token=t)


def drive_sources(c, b, org, st, drop, fake):
    ad, ed, vw = org.admin, org.editor, org.viewer
    os.makedirs(os.path.join(drop, org.id, "exports"))
    with open(os.path.join(drop, org.id, "exports", "bom.csv"), "w") as f:
        f.write("level,part_number,quantity\n0,A-1,1\n1,A-2,3\n")
    s, r = c.send("sources.create", "POST", "/api/v1/sources",
                  {"name": "Drop", "kind": "folder", "path": "/exports"}, token=ad)
    if s != 201:
        s, r = c.send("sources.create", "POST", "/api/v1/sources",
                      {"name": "Drop", "kind": "folder", "path": "exports"}, token=ad)
    assert s == 201, r
    folder = r["id"]
    for body in [{"name": "X", "kind": "ftp"}, {"name": 5, "kind": "folder", "path": "exports"},
                 {"kind": "folder"}, {"name": "Out", "kind": "folder", "path": "../elsewhere"},
                 {"name": "T", "kind": "tryton", "base_url": "not a url", "database": "d"},
                 {"name": "T", "kind": "tryton", "base_url": "http://169.254.169.254/", "database": "d"},
                 {"name": "Drop", "kind": "folder", "path": "exports"}, {}, b"[]"]:
        c.send("sources.create", "POST", "/api/v1/sources", body, token=ad)
    c.send("sources.create", "POST", "/api/v1/sources", {"name": "E", "kind": "folder", "path": "x"},
           token=ed)
    s, r = c.send("sources.files", "GET", f"/api/v1/sources/{folder}/files", token=ed)
    assert s == 200 and r["files"], r
    c.send("sources.files", "GET", f"/api/v1/sources/{folder}/files", token=vw)
    c.send("sources.files", "GET", "/api/v1/sources/src_nope/files", token=ed)
    s, r = c.send("sources.pull", "POST", f"/api/v1/sources/{folder}/pull", {"remote_id": "bom.csv"},
                  token=ed)
    assert s == 202, r
    job = wait_job(c, ed, r["job_id"])
    assert job["state"] == "done", job
    for body in [{"remote_id": 5}, {"remote_id": "r" * 300}, {"remote_id": "bom.csv", "bom_id": "nope"},
                 {"remote_id": "../../etc/passwd"}, {"bom_id": 5}, b"[]"]:
        c.send("sources.pull", "POST", f"/api/v1/sources/{folder}/pull", body, token=ed)
    c.send("sources.pull", "POST", f"/api/v1/sources/{folder}/pull", {"remote_id": "bom.csv"}, token=vw)
    c.send("sources.pull", "POST", "/api/v1/sources/src_nope/pull", {"remote_id": "bom.csv"}, token=ed)
    c.send("jobs.get", "GET", f"/api/v1/jobs/{job['id']}", token=vw)
    c.send("jobs.get", "GET", "/api/v1/jobs/job_nope", token=ed)
    c.send("jobs.cancel", "DELETE", f"/api/v1/jobs/{job['id']}", token=ed)
    c.send("jobs.cancel", "DELETE", "/api/v1/jobs/nope", token=ed)

    # A Tryton source (FakeSource answers its JSON-RPC): each user's own connection.
    s, r = c.send("sources.create", "POST", "/api/v1/sources",
                  {"name": "ERP", "kind": "tryton", "base_url": fake.base, "database": "table",
                   "internal": True}, token=ad)
    assert s == 201, r
    erp = r["id"]
    for q in ["", "?limit=1", "?limit=0", "?cursor=!!!"]:
        c.send("sources.list", "GET", "/api/v1/sources", token=ad, query=q)
    c.send("sources.list", "GET", "/api/v1/sources", token=vw)
    for token in [ad, vw]:
        c.send("sources.get", "GET", f"/api/v1/sources/{erp}", token=token)
        c.send("sources.get", "GET", f"/api/v1/sources/{folder}", token=token)
    c.send("sources.get", "GET", "/api/v1/sources/src_nope", token=ad)
    s, r = c.send("sources.update", "PATCH", f"/api/v1/sources/{erp}", {"name": "ERP 2"}, token=ad)
    assert s == 200, r
    for body in [{"kind": "rest"}, {"name": 5}, {"timeout_seconds": "x"}, {"base_url": "ftp://x"},
                 {"name": "Drop"}, b"[]"]:
        c.send("sources.update", "PATCH", f"/api/v1/sources/{erp}", body, token=ad)
    c.send("sources.update", "PATCH", f"/api/v1/sources/{erp}", {"name": "x"}, token=vw)
    c.send("sources.update", "PATCH", "/api/v1/sources/src_nope", {"name": "x"}, token=ad)
    s, r = c.send("sources.connect", "PUT", f"/api/v1/sources/{erp}/connection", {}, token=ed)
    assert s == 400 and r["error"]["needs"] == "password", r
    for body in [{"username": 5, "password": "p"}, {"api_key": "k"}, b"[]"]:
        c.send("sources.connect", "PUT", f"/api/v1/sources/{erp}/connection", body, token=ed)
    c.send("sources.pull", "POST", f"/api/v1/sources/{erp}/pull", {"remote_id": "1"}, token=ed)
    c.send("boms.send", "POST", f"/api/v1/boms/{make_bom(b, ed, name='Sent')}/send", {"source_id": erp},
           token=ed)
    s, r = c.send("sources.connect", "PUT", f"/api/v1/sources/{erp}/connection",
                  {"username": "u", "password": "Some-Password-42x"}, token=ed)
    assert s == 204, r
    c.send("sources.connect", "PUT", "/api/v1/sources/src_nope/connection", {"username": "u"}, token=ed)
    for body in [{"redirect_uri": "http://localhost/back"}, {"redirect_uri": 5}, {}]:
        c.send("sources.authorize", "POST", f"/api/v1/sources/{erp}/connection/authorize", body, token=ed)
    c.send("sources.authorize", "POST", "/api/v1/sources/src_nope/connection/authorize",
           {"redirect_uri": "http://localhost/back"}, token=ed)
    # A REST source signed in to by OAuth code + PKCE: the authorization starts here; the
    # authorization server (FakeSource's address) is never asked until a code comes back.
    s, r = c.send("sources.create", "POST", "/api/v1/sources",
                  {"name": "PLM", "kind": "rest", "base_url": fake.base, "internal": True,
                   "auth_method": "oauth_code", "authorize_url": fake.base + "/auth",
                   "token_url": fake.base + "/token", "client_id": "bomvault",
                   "client_secret": "plm-secret", "scopes": "boms"}, token=ad)
    assert s == 201, r
    plm = r["id"]
    c.send("sources.get", "GET", f"/api/v1/sources/{plm}", token=ad)
    s, r = c.send("sources.connect", "PUT", f"/api/v1/sources/{plm}/connection", {}, token=ed)
    assert s == 400 and r["error"]["needs"] == "oauth", r
    s, r = c.send("sources.authorize", "POST", f"/api/v1/sources/{plm}/connection/authorize",
                  {"redirect_uri": "http://127.0.0.1/callback"}, token=ed)
    assert s == 200 and "code_challenge_method=S256" in r["authorize_url"], r
    for body in [{"code": "made-up", "state": "made-up"}, {"code": "made-up", "state": r["state"]},
                 {"code": 5, "state": r["state"]}]:
        c.send("sources.connect", "PUT", f"/api/v1/sources/{plm}/connection", body, token=ed)
    c.send("sources.authorize", "POST", f"/api/v1/sources/{plm}/connection/authorize",
           {"redirect_uri": "not a url"}, token=ed)
    c.send("sources.authorize", "POST", f"/api/v1/sources/{plm}/connection/authorize",
           {"redirect_uri": "http://127.0.0.1/callback"}, token=vw)
    sent = make_bom(b, ed, name="To send")
    s, r = c.send("boms.send", "POST", f"/api/v1/boms/{sent}/send", {"source_id": erp}, token=ed)
    assert s == 202, r
    wait_job(c, ed, r["job_id"])
    for body in [{"source_id": 5}, {}, {"source_id": "src_nope"}, {"source_id": folder}, b"[]"]:
        c.send("boms.send", "POST", f"/api/v1/boms/{sent}/send", body, token=ed)
    c.send("boms.send", "POST", "/api/v1/boms/bom_nope/send", {"source_id": erp}, token=ed)
    c.send("boms.send", "POST", f"/api/v1/boms/{sent}/send", {"source_id": erp}, token=vw)
    # A pull the source answers only after a long while: cancelled while it runs.
    s, r = c.send("sources.pull", "POST", f"/api/v1/sources/{erp}/pull", {"remote_id": "999"}, token=ed)
    assert s == 202, r
    c.send("jobs.cancel", "DELETE", f"/api/v1/jobs/{r['job_id']}", token=vw)
    s, _ = c.send("jobs.cancel", "DELETE", f"/api/v1/jobs/{r['job_id']}", token=ed)
    assert s == 204
    assert wait_job(c, ed, r["job_id"])["state"] == "failed"
    c.send("sources.disconnect", "DELETE", f"/api/v1/sources/{erp}/connection", token=vw)
    s, _ = c.send("sources.disconnect", "DELETE", f"/api/v1/sources/{erp}/connection", token=ed)
    assert s == 204
    c.send("sources.disconnect", "DELETE", "/api/v1/sources/src_nope/connection", token=ed)
    c.send("sources.delete", "DELETE", f"/api/v1/sources/{erp}", token=ed)
    s, _ = c.send("sources.delete", "DELETE", f"/api/v1/sources/{erp}", token=ad)
    assert s == 204
    c.send("sources.delete", "DELETE", f"/api/v1/sources/{erp}", token=ad)


def drive_sso(c, b, org, st, origin):
    """Single sign-on against ForgingProvider, through a browser that keeps cookies."""
    ad, ed, vw, op = org.admin, org.editor, org.viewer, st.operator
    idp = ForgingProvider()
    try:
        c.send("org.sso.get", "GET", "/api/v1/org/sso", token=ad)
        c.send("sso.provider", "GET", f"/api/v1/sso/{org.id}")
        c.send("org.sso.delete", "DELETE", "/api/v1/org/sso", token=ad)
        good = {"issuer": idp.issuer, "client_id": idp.client_id, "client_secret": "forge-secret",
                "display_name": "Acme ID", "internal": True}
        for body in [{**good, "issuer": 5}, {**good, "bogus": 1}, {"issuer": idp.issuer}, {},
                     {**good, "algorithms": "RS256"}, {**good, "group_roles": []},
                     {**good, "internal": "yes"}, {**good, "max_session_seconds": "1h"},
                     {**good, "issuer": "http://127.0.0.1:1"}, {**good, "internal": False}, b"[]"]:
            c.send("org.sso.put", "PUT", "/api/v1/org/sso", body, token=ad)
        c.send("org.sso.put", "PUT", "/api/v1/org/sso", good, token=vw)
        s, r = c.send("org.sso.put", "PUT", "/api/v1/org/sso", good, token=ad)
        assert s == 204, r
        s, r = c.send("org.sso.get", "GET", "/api/v1/org/sso", token=ad)
        assert s == 200 and r["has_client_secret"] is True, r
        c.send("org.sso.get", "GET", "/api/v1/org/sso", token=vw)
        s, r = c.send("sso.provider", "GET", f"/api/v1/sso/{org.id}")
        assert s == 200, r
        c.send("sso.provider", "GET", "/api/v1/sso/org_nope")
        c.send("sso.provider", "GET", "/api/v1/sso/nope")

        # The browser's way: start (302 to the provider), the provider, the callback (302 home).
        br = Browser()
        start = f"/api/v1/sso/{org.id}/start"
        s, h, data = br.request("GET", origin + start)
        c.check("sso.start", "GET", start, "", s, data or None, h)
        assert s == 302, data
        callback = br.run_flow(h["Location"], f"{origin}/api/v1/sso/callback")
        s, h, data = br.request("GET", callback)
        c.check("sso.callback", "GET", "/api/v1/sso/callback", "", s, data or None, h)
        assert s == 302, data
        # The state is spent; a made-up one; the provider's refusal.
        for q in [urllib.parse.urlsplit(callback).query, "code=x&state=made-up", "error=access_denied&state=x",
                  ""]:
            s, h, data = br.request("GET", f"{origin}/api/v1/sso/callback?{q}")
            c.check("sso.callback", "GET", "/api/v1/sso/callback", "?" + q, s, json.loads(data) if data else None, h)
        c.send("sso.start", "GET", "/api/v1/sso/org_nope/start", follow=False)
        c.send("sso.start", "GET", "/api/v1/sso/nope/start", follow=False)

        # Linking the Administrator's own account, then local passwords.
        c.send("org.sso.local_passwords", "POST", "/api/v1/org/sso/local-passwords", {"enabled": False},
               token=ad)
        for body in [{"enabled": "no"}, {}, b"[]"]:
            c.send("org.sso.local_passwords", "POST", "/api/v1/org/sso/local-passwords", body, token=ad)
        c.send("org.sso.local_passwords", "POST", "/api/v1/org/sso/local-passwords", {"enabled": True},
               token=vw)
        s, r = c.send("org.sso.local_passwords", "POST", "/api/v1/org/sso/local-passwords",
                      {"enabled": True}, token=ad)
        assert s == 204, r
        s, r = c.send("sso.link", "POST", f"/api/v1/sso/{org.id}/link", {}, token=ad)
        assert s == 200 and r["authorization_url"], r
        c.send("sso.link", "POST", "/api/v1/sso/org_nope/link", {}, token=ad)
        c.send("sso.link", "POST", f"/api/v1/sso/{org.id}/link", {}, token=op)
        c.send("sso.link", "POST", f"/api/v1/sso/{org.id}/link", {})

        # Logout: a password session has no provider session (logout_url "").
        t = sign_in(b, "viewer@acme.example")
        s, r = c.send("sso.logout", "POST", "/api/v1/sso/logout", {}, token=t)
        assert s == 200 and r["logout_url"] == "", r
        c.send("sso.logout", "POST", "/api/v1/sso/logout", {}, token=t)
        c.send("sso.logout", "POST", "/api/v1/sso/logout", {})

        # The operator's break-glass session for one of the org's Administrators.
        for body in [{"user_id": "usr_nope", "reason": "provider down"}, {"user_id": 5, "reason": "x"},
                     {"user_id": org.admin_id}, {"user_id": org.viewer_id, "reason": "provider down"},
                     {}, b"[]"]:
            c.send("orgs.break_glass", "POST", f"/api/v1/orgs/{org.id}/break-glass", body, token=op)
        c.send("orgs.break_glass", "POST", "/api/v1/orgs/org_nope/break-glass",
               {"user_id": org.admin_id, "reason": "provider down"}, token=op)
        c.send("orgs.break_glass", "POST", f"/api/v1/orgs/{org.id}/break-glass",
               {"user_id": org.admin_id, "reason": "provider down"}, token=ad)
        s, r = c.send("orgs.break_glass", "POST", f"/api/v1/orgs/{org.id}/break-glass",
                      {"user_id": org.admin_id, "reason": "provider down"}, token=op)
        assert s == 201, r

        c.send("org.sso.delete", "DELETE", "/api/v1/org/sso", token=vw)
        s, r = c.send("org.sso.delete", "DELETE", "/api/v1/org/sso", token=ad)
        assert s == 204, r
        c.send("org.sso.delete", "DELETE", "/api/v1/org/sso", token=ad)
    finally:
        idp.stop()
