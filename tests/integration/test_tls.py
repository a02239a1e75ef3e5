"""HTTPS on the real binary: TLS 1.2/1.3 only, HSTS, Secure cookies."""
import os
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


def test_bad_certificate_files_are_refused_clearly():
    st = Store()
    try:
        bogus = os.path.join(st.tmp, "bogus.pem")
        open(bogus, "w").write("not a certificate")
        r = subprocess.run([BIN, "serve", "--data", st.data, "--listen", "127.0.0.1:0",
                            "--tls-cert", bogus, "--tls-key", bogus], capture_output=True, text=True, timeout=30)
        assert r.returncode != 0 and "not a certificate" not in r.stderr
        r = subprocess.run([BIN, "serve", "--data", st.data, "--listen", "0.0.0.0:0", "--tls-cert", bogus],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2
    finally:
        st.cleanup()
