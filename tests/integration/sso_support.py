"""Single sign-on test support: a real OpenID Connect provider, a forging one, and a tiny browser.

- `RealProvider` runs tests/oidc/provider.mjs (panva/oidc-provider, pinned by its lockfile) on
  loopback with the accounts and clients a test gives it.
- `ForgingProvider` is a few lines of http.server that speaks just enough OpenID Connect
  (discovery, JWKS, authorize, token) to hand bomvault ID tokens forged with test-side keys
  (python3-cryptography): alg none, HS256 keyed with the real public key, wrong iss/aud/nonce,
  expired, not yet valid, an unknown kid, another provider's key.
- `Browser` follows redirects by hand, keeps cookies per origin and path, and fills in the
  provider's login and consent forms, so the whole code flow runs without a real browser.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import threading
import time
import urllib.parse
import http.client
import http.server

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OIDC_DIR = os.path.join(ROOT, "tests", "oidc")


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ensure_provider_installed():
    if not os.path.isdir(os.path.join(OIDC_DIR, "node_modules", "oidc-provider")):
        subprocess.run(["npm", "ci", "--prefix", OIDC_DIR, "--ignore-scripts", "--no-audit",
                        "--no-fund", "--loglevel=error"], check=True, timeout=600)


class RealProvider:
    def __init__(self, tmp, redirect_uri, post_logout_uri, accounts, clients):
        ensure_provider_installed()
        self.cfg_path = os.path.join(tmp, f"oidc-{id(self)}.json")
        with open(self.cfg_path, "w") as f:
            json.dump({"redirect_uri": redirect_uri, "post_logout_redirect_uri": post_logout_uri,
                       "accounts": accounts, "clients": clients}, f)
        self.log_path = self.cfg_path + ".log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["node", os.path.join(OIDC_DIR, "provider.mjs"), self.cfg_path],
                                     stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline()
        assert line, open(self.log_path, "rb").read()[-2000:]
        self.issuer = json.loads(line)["issuer"]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Browser:
    """Cookies per (host:port, path); redirects followed one hop at a time."""

    def __init__(self):
        self.cookies = {}  # origin -> {(name, path): value}

    def _cookie_header(self, origin, path):
        jar = self.cookies.get(origin, {})
        pairs = sorted(((p, n, v) for (n, p), v in jar.items() if path.startswith(p)),
                       key=lambda t: -len(t[0]))
        seen, out = set(), []
        for p, n, v in pairs:
            if n not in seen:
                seen.add(n)
                out.append(f"{n}={v}")
        return "; ".join(out)

    def _store(self, origin, path, headers):
        jar = self.cookies.setdefault(origin, {})
        for raw in headers.get_all("Set-Cookie") or []:
            parts = [p.strip() for p in raw.split(";")]
            name, _, value = parts[0].partition("=")
            attrs = {k.lower(): v for k, _, v in (p.partition("=") for p in parts[1:])}
            cpath = attrs.get("path") or "/"
            expired = attrs.get("max-age") == "0" or (
                "expires" in attrs and "1970" in attrs["expires"])
            if expired or value == "":
                jar.pop((name, cpath), None)
            else:
                jar[(name, cpath)] = value

    def cookie(self, base, name):
        origin = urllib.parse.urlsplit(base).netloc
        for (n, _), v in self.cookies.get(origin, {}).items():
            if n == name:
                return v
        return None

    def request(self, method, url, body=None, headers=None):
        u = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        path = u.path + ("?" + u.query if u.query else "")
        h = dict(headers or {})
        cookie = self._cookie_header(u.netloc, u.path or "/")
        if cookie:
            h["Cookie"] = cookie
        if isinstance(body, dict):
            body = urllib.parse.urlencode(body)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        self._store(u.netloc, u.path or "/", r.headers)
        conn.close()
        return r.status, r.headers, data

    def run_flow(self, start_url, stop_prefix, login=None, password=None, otp=""):
        """Follows the flow from start_url until a redirect points at stop_prefix (bomvault's
        callback), filling in the provider's login and consent forms; returns that URL."""
        url = start_url
        for _ in range(30):
            if url.startswith(stop_prefix):
                return url
            status, headers, data = self.request("GET", url)
            if status in (302, 303):
                url = urllib.parse.urljoin(url, headers["Location"])
                continue
            assert status == 200, (status, url, data[:500])
            html = data.decode("utf-8", "replace")
            m = re.search(r'<form[^>]*\smethod="post"\s+action="([^"]+)"', html)
            assert m, html[:800]
            action = urllib.parse.urljoin(url, m.group(1).replace("&amp;", "&"))
            if action.endswith("/login"):
                form = {"login": login, "password": password, "otp": otp}
            else:
                form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
                if "op.logoutForm" in html and "xsrf" in form:
                    form["logout"] = "yes"
            status, headers, data = self.request("POST", action, form)
            assert status in (302, 303), (status, action, data[:500])
            url = urllib.parse.urljoin(action, headers["Location"])
        raise AssertionError("the flow did not come back")


def sso_sign_in(browser, srv_base, org_id, login, password, otp=""):
    """The whole code flow: start at bomvault, through the provider, back to the callback.
    Returns (status, headers, body) of bomvault's callback answer."""
    status, headers, body = browser.request("GET", f"{srv_base}/api/v1/sso/{org_id}/start")
    assert status == 302, (status, body)
    callback = browser.run_flow(headers["Location"], f"{srv_base}/api/v1/sso/callback", login,
                                password, otp)
    return browser.request("GET", callback)


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def rsa_jwk(key, kid):
    n = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": b64u(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")),
            "e": b64u(n.e.to_bytes((n.e.bit_length() + 7) // 8, "big"))}


def jws(header, claims, sign):
    signing_input = (b64u(json.dumps(header).encode()) + "." +
                     b64u(json.dumps(claims).encode())).encode()
    return signing_input.decode() + "." + b64u(sign(signing_input))


class ForgingProvider:
    """An OpenID Connect provider that signs what the test tells it to."""

    def __init__(self):
        self.key = rsa_key()            # the provider's real key, published as kid "k1"
        self.other_key = rsa_key()      # another provider's key, never published here
        self.keys = [rsa_jwk(self.key, "k1")]
        self.extra_keys = {}            # kid -> private key, published once added
        self.mode = "good"
        self.jwks_fetches = 0
        self.pkce_ok = None
        self.codes = {}
        self.client_id = "bomvault-forge"
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def send(self, status, body, ctype="application/json", headers=None):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(u.query))
                if u.path == "/.well-known/openid-configuration":
                    return self.send(200, {
                        "issuer": outer.issuer, "authorization_endpoint": outer.issuer + "/authorize",
                        "token_endpoint": outer.issuer + "/token", "jwks_uri": outer.issuer + "/jwks",
                        "end_session_endpoint": outer.issuer + "/logout",
                        "code_challenge_methods_supported": ["S256"]})
                if u.path == "/jwks":
                    outer.jwks_fetches += 1
                    return self.send(200, {"keys": outer.keys})
                if u.path == "/authorize":
                    code = b64u(os.urandom(16))
                    outer.codes[code] = (q.get("nonce"), q.get("code_challenge"))
                    loc = q["redirect_uri"] + "?" + urllib.parse.urlencode(
                        {"code": code, "state": q["state"]})
                    return self.send(302, b"", "text/plain", {"Location": loc})
                self.send(404, {"error": "not_found"})

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
                if self.path != "/token" or form.get("code") not in outer.codes:
                    return self.send(400, {"error": "invalid_grant"})
                nonce, challenge = outer.codes.pop(form["code"])
                verifier = form.get("code_verifier", "")
                outer.pkce_ok = b64u(hashlib.sha256(verifier.encode()).digest()) == challenge
                if not outer.pkce_ok:
                    return self.send(400, {"error": "invalid_grant"})
                self.send(200, {"access_token": "x", "token_type": "Bearer",
                                "id_token": outer.forge(nonce)})

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add_key(self, kid):
        key = rsa_key()
        self.extra_keys[kid] = key
        self.keys = self.keys + [rsa_jwk(key, kid)]

    def forge(self, nonce):
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": "forged-user", "aud": self.client_id, "exp": now + 300,
                  "iat": now, "nonce": nonce, "email": "forged@forge.example",
                  "email_verified": True}
        header = {"alg": "RS256", "kid": "k1", "typ": "JWT"}

        def rs256(key):
            return lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256())

        sign = rs256(self.key)
        mode = self.mode
        if mode == "none":
            header = {"alg": "none", "typ": "JWT"}
            sign = lambda data: b""  # noqa: E731
        elif mode == "hs256_public_key":
            pem = self.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)
            header = {"alg": "HS256", "kid": "k1", "typ": "JWT"}
            sign = lambda data: hmac.new(pem, data, hashlib.sha256).digest()  # noqa: E731
        elif mode == "wrong_iss":
            claims["iss"] = "http://127.0.0.1:1"
        elif mode == "wrong_aud":
            claims["aud"] = "someone-else"
        elif mode == "wrong_nonce":
            claims["nonce"] = b64u(os.urandom(32))
        elif mode == "expired":
            claims["iat"] = now - 900
            claims["exp"] = now - 600
        elif mode == "not_yet_valid":
            claims["nbf"] = now + 3600
        elif mode == "auth_time_far_past":
            claims["auth_time"] = -1e300  # below int64: no time at all
        elif mode == "auth_time_text":
            claims["auth_time"] = "now"
        elif mode == "email_verified_text":
            claims["email_verified"] = "true"  # not the boolean: unverified
        elif mode == "unknown_kid":
            header["kid"] = "k-unknown"
        elif mode == "other_key":
            sign = rs256(self.other_key)
        elif mode.startswith("kid:"):
            kid = mode[4:]
            header["kid"] = kid
            sign = rs256(self.extra_keys[kid])
        return jws(header, claims, sign)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
