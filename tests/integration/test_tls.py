"""HTTPS on the real binary: TLS 1.2/1.3 only, HSTS, Secure cookies."""
import os
import signal
import ssl
import subprocess
import time
import urllib.request

from harness import BIN, Store, free_port


def make_cert(tmp):
    key, cert = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                    "-days", "1", "-keyout", key, "-out", cert], check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


def tls_get(port, path, ctx, headers=None):
    req = urllib.request.Request(f"https://127.0.0.1:{port}{path}", headers=headers or {})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        return r.status, r.read(), r.headers


def test_https_serves_tls12_and_13_only_with_hsts():
    st = Store()
    cert, key = make_cert(st.tmp)
    port = None
    proc = None
    try:
        port = free_port()
        proc = subprocess.Popen([BIN, "serve", "--data", st.data, "--listen", f"127.0.0.1:{port}",
                                 "--unseal-file", st.share_file, "--tls-cert", cert, "--tls-key", key],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ctx = ssl.create_default_context(cafile=cert)
        ctx.check_hostname = False
        for _ in range(100):
            try:
                s, body, h = tls_get(port, "/api/v1/health", ctx)
                break
            except OSError:
                time.sleep(0.1)
        assert s == 200 and b'"sealed":false' in body
        assert "max-age=" in h["Strict-Transport-Security"]
        for flag, ok in [("-tls1_2", True), ("-tls1_3", True), ("-tls1_1", False), ("-tls1", False)]:
            r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", flag],
                               input=b"", capture_output=True, timeout=20)
            handshake = b"Cipher is (NONE)" not in r.stdout and r.returncode == 0
            assert handshake == ok, (flag, r.stdout[-300:], r.stderr[-300:])
        # TLS 1.2 suites are forward-secret AEAD only.
        r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2",
                            "-cipher", "AES128-SHA"], input=b"", capture_output=True, timeout=20)
        assert r.returncode != 0
        # Plain HTTP to the TLS port gets nothing useful.
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)
            assert False, "plain HTTP answered on the TLS port"
        except Exception:
            pass
    finally:
        if proc:
            proc.terminate()
            proc.wait(20)
        st.cleanup()


def test_bad_certificate_files_are_refused_clearly(store):
    st = store
    bogus = os.path.join(st.tmp, "bogus.pem")
    open(bogus, "w").write("not a certificate")
    r = subprocess.run([BIN, "serve", "--data", st.data, "--listen", "127.0.0.1:0",
                        "--tls-cert", bogus, "--tls-key", bogus], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "not a certificate" not in r.stderr
    r = subprocess.run([BIN, "serve", "--data", st.data, "--listen", "0.0.0.0:0", "--tls-cert", bogus],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2


def presented_cert(port):
    """The DER certificate the server presents to a new TLS connection."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw) as s:
            return s.getpeercert(binary_form=True)


def der(cert_pem):
    with open(cert_pem) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def test_sighup_reloads_the_certificate_without_dropping_the_listener_and_refuses_a_bad_one():
    st = Store()
    a_dir, b_dir = os.path.join(st.tmp, "a"), os.path.join(st.tmp, "b")
    os.mkdir(a_dir)
    os.mkdir(b_dir)
    cert_a, key_a = make_cert(a_dir)
    cert_b, key_b = make_cert(b_dir)
    cert, key = os.path.join(st.tmp, "cert.pem"), os.path.join(st.tmp, "key.pem")
    for src, dst in ((cert_a, cert), (key_a, key)):
        with open(src, "rb") as f, open(dst, "wb") as g:
            g.write(f.read())
    os.chmod(key, 0o600)
    log = os.path.join(st.tmp, "serve.log")
    proc = None
    try:
        port = free_port()
        with open(log, "wb") as err:
            proc = subprocess.Popen([BIN, "serve", "--data", st.data, "--listen", f"127.0.0.1:{port}",
                                     "--unseal-file", st.share_file, "--tls-cert", cert, "--tls-key", key],
                                    stdout=subprocess.DEVNULL, stderr=err)
        for _ in range(100):
            try:
                assert presented_cert(port) == der(cert_a)
                break
            except OSError:
                time.sleep(0.1)
        pid = proc.pid
        # A keep-alive connection opened under A survives the reload.
        import http.client
        ctx_a = ssl.create_default_context(cafile=cert_a)
        ctx_a.check_hostname = False
        kept = http.client.HTTPSConnection("127.0.0.1", port, context=ctx_a, timeout=10)
        kept.request("GET", "/api/v1/health")
        assert kept.getresponse().read()

        # Replace the files with B, SIGHUP: new connections present B, same process.
        for src, dst in ((cert_b, cert), (key_b, key)):
            with open(src, "rb") as f, open(dst, "wb") as g:
                g.write(f.read())
        proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 20
        while presented_cert(port) != der(cert_b):
            assert time.time() < deadline, "the new certificate was not picked up"
            time.sleep(0.05)
        assert proc.poll() is None and proc.pid == pid
        ctx_b = ssl.create_default_context(cafile=cert_b)
        ctx_b.check_hostname = False
        s, body, _ = tls_get(port, "/api/v1/health", ctx_b)
        assert s == 200
        kept.request("GET", "/api/v1/health")
        assert kept.getresponse().status == 200
        kept.close()

        # A bad new pair (B's certificate with A's key, then garbage) is refused with a log line;
        # B keeps serving.
        with open(key_a, "rb") as f, open(key, "wb") as g:
            g.write(f.read())
        proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 20
        while b"tls.reload_failed" not in open(log, "rb").read():
            assert time.time() < deadline, "no log line for the refused reload"
            time.sleep(0.05)
        assert presented_cert(port) == der(cert_b)
        with open(cert, "w") as g:
            g.write("not a certificate")
        proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 20
        while open(log, "rb").read().count(b"tls.reload_failed") < 2:
            assert time.time() < deadline, "no log line for the second refused reload"
            time.sleep(0.05)
        assert presented_cert(port) == der(cert_b)
        assert tls_get(port, "/api/v1/health", ctx_b)[0] == 200
        assert proc.poll() is None and proc.pid == pid
        text = open(log, "rb").read()
        assert text.count(b"tls.reloaded") == 1 and b"not a certificate" not in text
    finally:
        if proc:
            proc.terminate()
            proc.wait(20)
        st.cleanup()
