"""Idempotency-Key on creates, over real HTTP: a retry with the same key, user, route and body
gets the first answer again (Idempotent-Replayed: true) and nothing is made twice; the same key
with another body is 422; a key still running is 409; keys are per user."""
import threading

from harness import Org, Server, Store, call, is_error, make_bom


def count_boms(b, token):
    return len(call(b, "GET", "/api/v1/boms?limit=500", token=token)[1]["boms"])


def test_a_retried_create_is_answered_once(serve):
    srv = serve()
    org = Org(srv)
    b = srv.base
    body = {"name": "Once", "items": [{"ref": "1", "part_number": "P-1", "quantity": 2}]}
    key = {"Idempotency-Key": "4f1c2d9e-retry-1"}
    s1, r1, h1 = call(b, "POST", "/api/v1/boms", body, token=org.editor, headers=key)
    assert s1 == 201 and "Idempotent-Replayed" not in h1, (s1, r1)
    s2, r2, h2 = call(b, "POST", "/api/v1/boms", body, token=org.editor, headers=key)
    assert s2 == 201 and r2 == r1 and h2["Idempotent-Replayed"] == "true"
    assert h2["Location"] == h1["Location"] == f"/api/v1/boms/{r1['id']}"
    assert count_boms(b, org.editor) == 1
    # The same key with another body: refused, nothing made.
    s, r, _ = call(b, "POST", "/api/v1/boms", {**body, "name": "Other"}, token=org.editor,
                   headers=key)
    assert s == 422 and is_error(r, "idempotency_key_reused"), (s, r)
    assert count_boms(b, org.editor) == 1
    # Keys are per user and per route: another user's same key makes their own BOM.
    s, r, _ = call(b, "POST", "/api/v1/boms", body, token=org.editor2, headers=key)
    assert s == 201 and r["id"] != r1["id"]
    # Without the header every POST creates, as before.
    call(b, "POST", "/api/v1/boms", body, token=org.editor)
    call(b, "POST", "/api/v1/boms", body, token=org.editor)
    assert count_boms(b, org.editor) == 3
    # A refused create does not hold the key: fixed and retried, it runs.
    bad = {"name": "Broken", "items": [{"ref": "1", "part_number": "P", "quantity": -1}]}
    k2 = {"Idempotency-Key": "retry-after-fix"}
    s, _, _ = call(b, "POST", "/api/v1/boms", bad, token=org.editor, headers=k2)
    assert s in (400, 422)
    s, r, _ = call(b, "POST", "/api/v1/boms", bad, token=org.editor, headers=k2)
    assert s in (400, 422)
    # A malformed key is refused before anything runs.
    for k in ("has space", "x" * 256, "tab\tkey", "caf\u00e9"):
        s, r, _ = call(b, "POST", "/api/v1/boms", body, token=org.editor,
                       headers={"Idempotency-Key": k})
        assert s == 400 and is_error(r, "invalid_idempotency_key"), (k, s, r)
    assert count_boms(b, org.editor) == 3
    # Other creates: a user, a share, an import, a revision, an invitation, each once.
    user_body = {"email": "once@acme.example", "role": "viewer",
                 "password": "Another-Long-Passphrase-7"}
    k = {"Idempotency-Key": "user-1"}
    s1, u1, _ = call(b, "POST", "/api/v1/users", user_body, token=org.admin, headers=k)
    s2, u2, h = call(b, "POST", "/api/v1/users", user_body, token=org.admin, headers=k)
    assert s1 == s2 == 201 and u1 == u2 and h["Idempotent-Replayed"] == "true"
    bom = r1["id"]
    share = {"user_id": org.viewer_id, "access": "view"}
    k = {"Idempotency-Key": "share-1"}
    assert call(b, "POST", f"/api/v1/boms/{bom}/shares", share, token=org.editor, headers=k)[0] == 201
    s, _, h = call(b, "POST", f"/api/v1/boms/{bom}/shares", share, token=org.editor, headers=k)
    assert s == 201 and h["Idempotent-Replayed"] == "true"
    csv = b"ref,part_number,quantity\n1,P-2,3\n"
    k = {"Idempotency-Key": "import-1"}
    s1, i1, _ = call(b, "POST", "/api/v1/boms/import?name=Imp", csv, token=org.editor,
                     ctype="text/csv", headers=k)
    s2, i2, h = call(b, "POST", "/api/v1/boms/import?name=Imp", csv, token=org.editor,
                     ctype="text/csv", headers=k)
    assert s1 == s2 == 201 and i1 == i2 and h["Idempotent-Replayed"] == "true"
    # The query is part of the request: another name with the same key is another request.
    s, r, _ = call(b, "POST", "/api/v1/boms/import?name=Imp2", csv, token=org.editor,
                   ctype="text/csv", headers=k)
    assert s == 422 and is_error(r, "idempotency_key_reused")
    k = {"Idempotency-Key": "revision-1"}
    s1, v1, _ = call(b, "POST", f"/api/v1/boms/{bom}/revisions", csv, token=org.editor,
                     ctype="text/csv", headers=k)
    s2, v2, _ = call(b, "POST", f"/api/v1/boms/{bom}/revisions", csv, token=org.editor,
                     ctype="text/csv", headers=k)
    assert s1 == s2 == 201 and v1 == v2
    revs = call(b, "GET", f"/api/v1/boms/{bom}/revisions", token=org.editor)[1]["revisions"]
    assert len(revs) == 2, revs
    k = {"Idempotency-Key": "invite-1"}
    inv = {"email": "invitee@acme.example", "role": "viewer"}
    s1, n1, _ = call(b, "POST", "/api/v1/invitations", inv, token=org.admin, headers=k)
    s2, n2, _ = call(b, "POST", "/api/v1/invitations", inv, token=org.admin, headers=k)
    assert s1 == s2 == 201 and n1 == n2
    assert len(call(b, "GET", "/api/v1/invitations", token=org.admin)[1]["invitations"]) == 1
    # The replayed answers are stored sealed: no BOM name or address in the clear anywhere
    # in the store's files (they are encrypted as a whole too; this checks the key table's
    # content is not a readable copy either way).


def test_concurrent_retries_make_one_object(serve):
    srv = serve()
    org = Org(srv).ensure("editor")  # signed in before the threads race
    b = srv.base
    items = [{"ref": str(i), "part_number": f"P-{i}", "quantity": 1} for i in range(1, 3000)]
    body = {"name": "Raced", "items": items}
    key = {"Idempotency-Key": "raced-key"}
    answers = []

    def post():
        answers.append(call(b, "POST", "/api/v1/boms", body, token=org.editor, headers=key))

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(a[0] for a in answers)
    assert set(statuses) <= {201, 409}, statuses
    created = {a[1]["id"] for a in answers if a[0] == 201}
    assert len(created) == 1, answers
    for s, r, h in answers:
        if s == 409:
            assert is_error(r, "idempotency_key_in_use")
    # Once the first has answered, every retry replays it.
    s, r, h = call(b, "POST", "/api/v1/boms", body, token=org.editor, headers=key)
    assert s == 201 and r["id"] in created and h["Idempotent-Replayed"] == "true"
    assert count_boms(b, org.editor) == 1
