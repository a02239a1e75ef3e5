"""Test harness: runs the real bomvault binary over real HTTP on a real encrypted store.

Every test gets fresh state from the fixtures here: `Store` makes a data directory with
`bomvault init --json`, `Server` runs `bomvault serve` on a free loopback port and stops it with
SIGTERM, `call` is a tiny HTTP client that never raises on 4xx/5xx. Standard library only, so a
fresh machine needs nothing beyond python3.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

BIN = os.environ.get("BOMVAULT_BIN", "build/bomvault")
PASSWORD = "Correct-Horse-Battery-9"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Store:
    """A data directory holding a freshly initialised store."""

    def __init__(self, shares=3, threshold=2):
        self.tmp = tempfile.mkdtemp(prefix="bv-test-")
        self.data = os.path.join(self.tmp, "data")
        r = subprocess.run([BIN, "init", "--data", self.data, "--shares", str(shares),
                            "--threshold", str(threshold), "--json"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        init = json.loads(r.stdout)
        self.shares = init["shares"]
        self.threshold = init["threshold"]
        self.operator = init["operator_token"]
        self.share_file = os.path.join(self.tmp, "shares.txt")
        with open(self.share_file, "w") as f:
            f.write("\n".join(self.shares[:threshold]) + "\n")

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class Server:
    """`bomvault serve` on a free port; unsealed from the share file unless sealed=True."""

    def __init__(self, store, sealed=False, extra=None, env=None):
        self.store = store
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [BIN, "serve", "--data", store.data, "--listen", f"127.0.0.1:{self.port}"]
        if not sealed:
            cmd += ["--unseal-file", store.share_file]
        # "{base}" in an extra argument becomes this server's own URL (e.g. --public-url {base}),
        # "{port}" its port (e.g. --public-url http://localhost:{port}, a host name for passkeys).
        cmd += [e.replace("{base}", self.base).replace("{port}", str(self.port)) for e in (extra or [])]
        self.stderr_path = os.path.join(store.tmp, f"serve-{self.port}.log")
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.stderr,
                                     env={**os.environ, **(env or {})})
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited with {self.proc.returncode}: {self.log()[-500:]}")
            try:
                if call(self.base, "GET", "/api/v1/health")[0] == 200:
                    return
            except OSError:
                pass
            # Until it listens, a probe is refused at once and never reaches the server: a fine
            # step costs nothing and saves up to 40 ms on every server start.
            time.sleep(0.01)
        raise AssertionError("serve did not answer /api/v1/health")

    def log(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        return self.proc.returncode


def call(base, method, path, body=None, token=None, ctype="application/json", headers=None,
         raw=False, timeout=60):
    """(status, parsed JSON or bytes, response headers)."""
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, bytearray)) else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", ctype)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, payload, hdrs = r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        status, payload, hdrs = e.code, e.read(), e.headers
    if raw:
        return status, payload, hdrs
    try:
        return status, (json.loads(payload) if payload else None), hdrs
    except ValueError:
        return status, payload, hdrs


def is_error(body, code=None):
    ok = isinstance(body, dict) and isinstance(body.get("error"), dict) and \
        isinstance(body["error"].get("code"), str) and isinstance(body["error"].get("message"), str)
    return ok and (code is None or body["error"]["code"] == code)


class Org:
    """An organisation with an Administrator, two Editors and a Viewer, each signed in.

    The Administrator is made and signed in at once. The members (`editor`, `editor2`, `viewer`,
    with their `*_id`s) are made on first use of either attribute: added by the Administrator
    (`self.admin` as it is then) on this org's server, then signed in, as a test that made them
    by hand would. A member costs two Argon2id hashes, and most tests use one or two of them.

    A test whose meaning needs members to exist before something happens calls `ensure(...)` or
    `ensure_all()` first: one that lists, counts or searches the org's people, signs a member in
    by address, checks that an earlier session survives (or dies by) a seal, a restart, a policy,
    a backup or a revocation, or changes what a later `add_user` would need (MFA policy, local
    passwords off, a re-authentication window)."""

    MEMBERS = (("editor", "editor"), ("editor2", "editor"), ("viewer", "viewer"))  # creation order

    def __init__(self, server, name="Acme Engineering", domain="acme.example"):
        self.server = server
        self.domain = domain
        self._lock = threading.Lock()
        self._members = {}  # name -> (user id, session token)
        b = server.base
        s, body, _ = call(b, "POST", "/api/v1/orgs", {"name": name, "admin_email": f"admin@{domain}",
                                                       "admin_password": PASSWORD},
                          token=server.store.operator)
        assert s == 201, (s, body)
        self.id = body["id"]
        self.admin_id = body["admin_user_id"]
        self.admin = sign_in(b, f"admin@{domain}")

    def _member(self, name):
        with self._lock:
            if name not in self._members:
                role = dict(self.MEMBERS)[name]
                email = f"{name}@{self.domain}"
                uid = add_user(self.server.base, self.admin, email, role)
                self._members[name] = (uid, sign_in(self.server.base, email))
            return self._members[name]

    def ensure(self, *names):
        """Makes and signs in these members now (in the order given); returns self."""
        for name in names:
            self._member(name)
        return self

    def ensure_all(self):
        """Every member, in the order the harness always made them: editor, editor2, viewer."""
        return self.ensure(*(name for name, _ in self.MEMBERS))

    editor = property(lambda self: self._member("editor")[1])
    editor_id = property(lambda self: self._member("editor")[0])
    editor2 = property(lambda self: self._member("editor2")[1])
    editor2_id = property(lambda self: self._member("editor2")[0])
    viewer = property(lambda self: self._member("viewer")[1])
    viewer_id = property(lambda self: self._member("viewer")[0])


def sign_in(base, email, password=PASSWORD, totp=None):
    body = {"email": email, "password": password}
    if totp is not None:
        body["totp"] = totp
    s, r, _ = call(base, "POST", "/api/v1/sessions", body)
    assert s == 201, (s, r)
    return r["token"]


def add_user(base, admin_token, email, role):
    s, r, _ = call(base, "POST", "/api/v1/users", {"email": email, "password": PASSWORD, "role": role},
                   token=admin_token)
    assert s == 201, (s, r)
    return r["id"]


def make_bom(base, token, name="Gearbox", items=None):
    items = items or [
        {"ref": "1", "part_number": "GBX-100", "description": "Gearbox", "quantity": 1},
        {"ref": "2", "parent": "1", "part_number": "SHF-7", "description": "Shaft", "quantity": 2, "unit": "ea"},
        {"ref": "3", "parent": "2", "part_number": "BRG-6204", "description": "Bearing", "quantity": 2,
         "properties": {"supplier": "SKF"}},
    ]
    s, r, _ = call(base, "POST", "/api/v1/boms", {"name": name, "items": items}, token=token)
    assert s == 201, (s, r)
    return r["id"]


def png_bytes(width=4, height=3):
    """A real, decodable RGB PNG (the server reads its size from the IHDR chunk)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x40\x80\xc0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def pdf_bytes(text="drawing"):
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Title (" + text.encode() + b") >>\nendobj\n%%EOF\n"


def attach(base, token, bom, data, name="drawing.pdf", kind="derivative", ctype="application/octet-stream"):
    from urllib.parse import quote
    return call(base, "POST", f"/api/v1/boms/{bom}/attachments?kind={kind}&name={quote(name)}", data,
                token=token, ctype=ctype)
