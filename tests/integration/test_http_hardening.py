"""cpp-httplib 0.11.4's known weaknesses, each attacked on the real binary.

Each attack must be refused with a 4xx JSON error (or the connection closed) and grow the
server's resident memory by less than 64 MB; idle connections must not delay real clients.
"""
import gzip
import json
import re
import socket
import threading
import time

from harness import Org, Server, Store, call, is_error, make_bom

MB = 1024


def raw(port, data, read_timeout=10):
    """Sends bytes on a new connection; returns everything read until the server closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        chunks = []
        while True:
            try:
                c = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not c:
                break
            chunks.append(c)
        return b"".join(chunks)
    finally:
        s.close()


def status_of(resp):
    line = resp.split(b"\r\n", 1)[0]
    return int(line.split()[1]) if line.startswith(b"HTTP/1.1 ") else None


class Fixture:
    def __init__(self, extra=None):
        self.store = Store()
        self.srv = Server(self.store, extra=extra)

    def close(self):
        self.srv.stop()
        self.store.cleanup()


def test_many_overlapping_ranges_are_refused():
    f = Fixture()
    try:
        before = f.srv.rss_kb()
        ranges = ",".join(["0-"] * 1000)
        for path in ["/", "/app.js", "/api/v1/health", "/api/v1/openapi.json"]:
            resp = raw(f.srv.port, f"GET {path} HTTP/1.1\r\nHost: x\r\nRange: bytes={ranges}\r\n\r\n".encode())
            assert status_of(resp) == 416, resp[:200]
            assert b"range_not_supported" in resp and b"multipart/byteranges" not in resp
        assert f.srv.rss_kb() - before < 64 * MB
    finally:
        f.close()


def test_chunked_request_body_is_refused_and_connection_closed():
    f = Fixture()
    try:
        before = f.srv.rss_kb()
        s = socket.create_connection(("127.0.0.1", f.srv.port), timeout=10)
        s.sendall(b"POST /api/v1/unseal HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  b"Content-Type: application/json\r\n\r\n")
        chunk = b"100000\r\n" + b"A" * 0x100000 + b"\r\n"
        sent = 0
        try:
            for _ in range(200):  # up to 200 MB if the server kept reading
                s.sendall(chunk)
                sent += 1
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        resp = b""
        try:
            resp = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()
        assert sent < 200 or status_of(resp) == 411
        assert f.srv.rss_kb() - before < 64 * MB
        # Request smuggling: a second request hidden behind a refused chunked one is never served.
        resp = raw(f.srv.port, b"POST /api/v1/unseal HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                               b"0\r\n\r\nGET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_of(resp) == 411 and resp.count(b"HTTP/1.1 ") == 1 and b"length_required" in resp
    finally:
        f.close()


def test_encoded_request_body_is_refused():
    f = Fixture()
    try:
        before = f.srv.rss_kb()
        bomb = gzip.compress(b"\x00" * (256 * 1024 * 1024), compresslevel=9)  # 256 MB inflated
        head = (f"POST /api/v1/unseal HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Encoding: gzip\r\nContent-Length: {len(bomb)}\r\n\r\n").encode()
        resp = raw(f.srv.port, head + bomb)
        assert status_of(resp) == 415 and b"encoding_not_supported" in resp
        assert f.srv.rss_kb() - before < 64 * MB
    finally:
        f.close()


def test_header_flood_is_cut_off_with_bounded_memory():
    f = Fixture()
    try:
        before = f.srv.rss_kb()
        value = "v" * 4000
        s = socket.create_connection(("127.0.0.1", f.srv.port), timeout=10)
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
        closed = False
        try:
            for i in range(20000):
                s.sendall(f"X-Flood-{i}: {value}\r\n".encode())
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            closed = True
        s.close()
        assert closed, "the server kept reading 80 MB of headers"
        assert f.srv.rss_kb() - before < 64 * MB
        # The server is still healthy.
        assert call(f.srv.base, "GET", "/api/v1/health")[0] == 200
    finally:
        f.close()


def test_client_remote_addr_header_does_not_spoof_the_peer():
    # With a per-address limit of 5/s (burst 25), spoofed REMOTE_ADDR values must not help.
    f = Fixture(extra=["--rate-limit", "5"])
    try:
        codes = []
        for i in range(60):
            resp = raw(f.srv.port, f"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nREMOTE_ADDR: 10.9.{i}.1\r\n"
                                   f"Connection: close\r\n\r\n".encode())
            codes.append(status_of(resp))
        assert 429 in codes, codes
        resp = raw(f.srv.port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b"Retry-After" in resp or status_of(resp) == 200
    finally:
        f.close()


def test_no_exception_text_and_security_headers_everywhere():
    f = Fixture()
    try:
        org = Org(f.srv)
        b = f.srv.base
        weird = [("GET", "/api/v1/boms?limit=abc"), ("GET", "/api/v1/boms?limit=99999999999999999999"),
                 ("GET", "/api/v1/audit?from=-1"), ("GET", "/api/v1/boms/%00"), ("POST", "/api/v1/boms/import"),
                 ("GET", "/api/v1/where-used"), ("PATCH", "/api/v1/users/usr_zz")]
        for method, path in weird:
            s, body, h = call(b, method, path, {} if method != "GET" else None, token=org.admin, raw=True)
            assert s < 500, (path, s, body)
            assert "EXCEPTION_WHAT" not in h
            assert h["X-Content-Type-Options"] == "nosniff"
            assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
            assert h["Referrer-Policy"] == "no-referrer"
        s, body, h = call(b, "GET", "/", raw=True)
        assert "unsafe-inline" not in h["Content-Security-Policy"] and h["X-Frame-Options"] == "DENY"
    finally:
        f.close()


def test_idle_connections_do_not_delay_real_requests():
    f = Fixture()
    idle = []
    try:
        org = Org(f.srv)
        bom = make_bom(f.srv.base, org.editor)
        for _ in range(400):
            idle.append(socket.create_connection(("127.0.0.1", f.srv.port), timeout=5))
        # Half of them send a partial request line and stall there.
        for s in idle[::2]:
            s.sendall(b"GET /api/v1/health HT")
        time.sleep(0.5)
        # Each request must be answered while the 400 connections stay open; the client timeout
        # bounds the wait (no timing is asserted: CI machines vary).
        for _ in range(5):
            s, r, _ = call(f.srv.base, "GET", f"/api/v1/boms/{bom}", token=org.editor, timeout=5)
            assert s == 200
    finally:
        for s in idle:
            s.close()
        f.close()


def test_oversized_json_body_is_refused():
    f = Fixture()
    try:
        org = Org(f.srv)
        big = b'{"email":"' + b"a" * (2 * 1024 * 1024) + b'"}'
        s, r, _ = call(f.srv.base, "POST", "/api/v1/users", big, token=org.admin)
        assert s == 413 and is_error(r, "payload_too_large")
        head = b"POST /api/v1/boms HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n"
        resp = raw(f.srv.port, head)
        assert status_of(resp) == 413
    finally:
        f.close()


def test_engine_refusals_are_valid_json_even_when_the_message_quotes():
    """The engine answers a head it refuses itself; its JSON body used to be pasted together, so
    the refusal of a Transfer-Encoding other than "chunked" (whose message quotes the word) was not
    JSON. Found by fuzz/fuzz_http_head.cc. Every refusal's body must parse and carry its code."""
    f = Fixture()
    try:
        for head, status, code in (
                (b"POST /api/v1/unseal HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "bad_request"),
                (b"POST /api/v1/unseal HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 411,
                 "length_required"),
                (b"POST /api/v1/unseal HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
                 "bad_request"),
                (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n", 400, "bad_request")):
            resp = raw(f.srv.port, head)
            assert status_of(resp) == status, resp[:300]
            head_part, body = resp.split(b"\r\n\r\n", 1)
            assert b"Content-Type: application/json" in head_part
            assert int(re.search(rb"Content-Length: (\d+)", head_part).group(1)) == len(body)
            err = json.loads(body)["error"]
            assert err["code"] == code and err["message"], err
    finally:
        f.close()
