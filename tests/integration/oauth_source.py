"""A real OAuth 2.0 / OpenID Connect provider (the npm package oidc-provider, started with node on
loopback) and a small REST source API that accepts only tokens that provider issued.

The API asks the provider's introspection endpoint about every bearer token (as the "source-api"
client), so a token the provider did not issue, or revoked, is refused with 401. It serves BOMs as
{"name", "items", "next"} two items per page, takes new ones with POST /boms and updates with
PUT /boms/{id}, and remembers which subjects, clients and tokens it saw.
"""
import base64
import http.cookiejar
import json
import os
import re
import secrets
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import free_port

HERE = os.path.dirname(os.path.abspath(__file__))
OIDC_DIR = os.path.join(HERE, "oidc")


def _ensure_installed():
    if not os.path.isdir(os.path.join(OIDC_DIR, "node_modules", "oidc-provider")):
        subprocess.run(["npm", "ci", "--prefix", OIDC_DIR, "--ignore-scripts", "--no-audit", "--no-fund",
                        "--loglevel=error"], check=True, timeout=600)


class Provider:
    def __init__(self, access_ttl=3600):
        _ensure_installed()
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.client_secret = "Planted-Client-Secret-" + secrets.token_hex(8)
        self.api_secret = secrets.token_hex(16)
        fd, self.log_path = tempfile.mkstemp(prefix="oidc-provider-", suffix=".log")
        self.log = os.fdopen(fd, "wb")
        self.proc = subprocess.Popen(["node", os.path.join(OIDC_DIR, "provider.mjs"), str(self.port),
                                      self.client_secret, self.api_secret, str(access_ttl)],
                                     stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline()
        assert line.strip() == b"ready", line

    def post(self, path, form, client, secret):
        req = urllib.request.Request(self.issuer + path, data=urllib.parse.urlencode(form).encode())
        req.add_header("Authorization", "Basic " + base64.b64encode(f"{client}:{secret}".encode()).decode())
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                body = r.read()
                return r.status, json.loads(body) if body else None
        except urllib.error.HTTPError as e:
            return e.code, None

    def introspect(self, token):
        s, r = self.post("/token/introspection", {"token": token}, "source-api", self.api_secret)
        assert s == 200, s
        return r

    def sign_in(self, authorize_url, login):
        """Drives the provider's own sign-in and consent pages like a browser would; returns the
        query of the redirect back (code, state)."""
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                             NoRedirect)

        def go(url, data=None):
            req = urllib.request.Request(url, data=data, method="POST" if data else "GET")
            try:
                r = opener.open(req, timeout=30)
                return r.status, r.headers, r.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, e.headers, e.read().decode()

        url = authorize_url
        for _ in range(12):
            status, headers, body = go(url)
            location = headers.get("Location")
            if status == 200:
                action = re.search(r'action="([^"]+)"', body).group(1)
                fields = dict(re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', body))
                if 'name="login"' in body:
                    fields.update({"prompt": "login", "login": login, "password": "any"})
                else:
                    fields.update({"prompt": "consent"})
                status, headers, body = go(urllib.parse.urljoin(url, action), urllib.parse.urlencode(fields).encode())
                location = headers.get("Location")
            assert location, (status, body[:300])
            if location.startswith("http://127.0.0.1/callback"):
                return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(location).query))
            url = urllib.parse.urljoin(url, location)
        raise AssertionError("the sign-in did not come back")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        self.proc.stdout.close()
        self.log.close()
        os.unlink(self.log_path)


class SourceApi:
    def __init__(self, provider, api_keys=None, boms=None):
        self.provider = provider
        self.api_keys = api_keys or {}
        self.boms = boms or {}
        self.subjects, self.clients, self.tokens = [], [], []
        self.next_id = 100
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body=None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def authorised(self):
                key = self.headers.get("X-Api-Key")
                if key is not None:
                    who = outer.api_keys.get(key)
                    if who:
                        outer.subjects.append(who)
                    return bool(who)
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer "):
                    return False
                token = auth[7:]
                info = outer.provider.introspect(token)
                if not info.get("active"):
                    return False
                outer.tokens.append(token)
                outer.subjects.append(info.get("sub"))
                outer.clients.append(info.get("client_id"))
                return True

            def do_GET(self):
                if not self.authorised():
                    return self.reply(401, {"error": "invalid_token"})
                u = urllib.parse.urlparse(self.path)
                m = re.fullmatch(r"/api/boms/([A-Za-z0-9._~-]+)", u.path)
                if not m or m.group(1) not in outer.boms:
                    return self.reply(404, {"error": "not found"})
                page = int(dict(urllib.parse.parse_qsl(u.query)).get("page", "1"))
                bom = outer.boms[m.group(1)]
                items = bom["items"][(page - 1) * 2:page * 2]
                more = page * 2 < len(bom["items"])
                self.reply(200, {"name": bom["name"], "items": items,
                                 "next": f"/api/boms/{m.group(1)}?page={page + 1}" if more else None})

            def body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(n) or b"{}")

            def do_POST(self):
                if not self.authorised():
                    return self.reply(401, {"error": "invalid_token"})
                if self.path != "/api/boms":
                    return self.reply(404, {"error": "not found"})
                outer.next_id += 1
                rid = str(outer.next_id)
                outer.boms[rid] = self.body()
                self.reply(201, {"id": rid})

            def do_PUT(self):
                if not self.authorised():
                    return self.reply(401, {"error": "invalid_token"})
                m = re.fullmatch(r"/api/boms/([A-Za-z0-9._~-]+)", self.path)
                if not m or m.group(1) not in outer.boms:
                    return self.reply(404, {"error": "not found"})
                outer.boms[m.group(1)] = self.body()
                self.reply(200, {"id": m.group(1)})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}/api"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
