"""A small JSON-RPC endpoint on loopback that misbehaves on purpose, for the outbound-safety tests
(redirects, oversized answers, TLS with a given certificate, slow answers, a fixed HTTP status) and the route table.

It answers every JSON-RPC call with {"id":…, "result": {}} unless told otherwise, and counts the
requests it saw, so a test can prove a refused request never arrived.
"""
import json
import os
import ssl
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSource:
    def __init__(self, host="127.0.0.1", redirect_to=None, body_bytes=0, chunked=False, cert=None,
                 slow_marker=None, status=200):
        self.hits = 0
        self.status = status
        self.redirect_to = redirect_to
        self.body_bytes = body_bytes
        self.chunked = chunked
        self.slow_marker = slow_marker
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                outer.hits += 1
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                if outer.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", outer.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if outer.slow_marker and outer.slow_marker.encode() in raw:
                    time.sleep(30)
                try:
                    rid = json.loads(raw or b"{}").get("id", 1)
                except ValueError:
                    rid = 1
                if outer.body_bytes:
                    payload = b'{"id":1,"result":"' + b"x" * outer.body_bytes + b'"}'
                else:
                    payload = json.dumps({"id": rid, "result": {}}).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                if outer.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(0, len(payload), 8192):
                        part = payload[i:i + 8192]
                        self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        # A client that gives up mid-answer (that is what the size limit does) is expected here.
        self.server.handle_error = lambda request, address: None
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert[0], cert[1])
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        scheme = "https" if cert else "http"
        self.base = f"{scheme}://{host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def make_ca(directory, name):
    """A CA (key, cert) made with the openssl command line tool."""
    key = os.path.join(directory, name + ".key")
    crt = os.path.join(directory, name + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={name}", "-keyout", key, "-out", crt,
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
                   check=True, capture_output=True)
    return key, crt


def make_server_cert(directory, ca, ip="127.0.0.1"):
    """A server certificate for `ip` signed by `ca`."""
    key = os.path.join(directory, "server.key")
    csr = os.path.join(directory, "server.csr")
    crt = os.path.join(directory, "server.crt")
    ext = os.path.join(directory, "server.ext")
    with open(ext, "w") as f:
        f.write(f"subjectAltName=IP:{ip}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=source",
                    "-keyout", key, "-out", csr], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca[1], "-CAkey", ca[0],
                    "-CAcreateserial", "-days", "2", "-out", crt, "-extfile", ext],
                   check=True, capture_output=True)
    return crt, key
