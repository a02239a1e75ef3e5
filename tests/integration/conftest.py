"""pytest set-up for the integration suite: the binary under test, the serial tests, the fixtures.

    python3 -m pytest tests/integration --bin build/bomvault -n 2      (make integration)
    python3 -m pytest tests/integration --bin build/bomvault -k test_boms

Every test starts its own store and server on a free port (harness.py), so tests are independent
and pytest-xdist runs them on every core. A module may set `SERIAL = True` (all its tests) or
`SERIAL = {"test_name", ...}`: those tests get the `serial` mark, and `make integration` runs them
alone after the others (`-m serial`), so memory figures and socket floods stay meaningful.

Fixtures:
- `serve(extra=..., sealed=..., env=..., store=...)`: a running `bomvault serve` on a fresh store
  (or the given one); every server it started is stopped and every store removed afterwards.
- `store`: a fresh store on its own, for tests that run the CLI or start servers by hand.
- `smtp_relay`: a real aiosmtpd relay with a throw-away certificate (see SmtpRelay).
"""
import os
import ssl
import subprocess
import sys
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def pytest_addoption(parser):
    parser.addoption("--bin", default=os.environ.get("BOMVAULT_BIN", "build/bomvault"),
                     help="the bomvault binary under test (default: build/bomvault)")


def pytest_configure(config):
    # harness.py reads the binary's path when it is imported: set it before any test module is.
    os.environ["BOMVAULT_BIN"] = os.path.abspath(config.getoption("--bin"))
    config.addinivalue_line("markers", "serial: runs alone after the parallel tests (module SERIAL)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        serial = getattr(item.module, "SERIAL", False)
        if serial is True or (not isinstance(serial, bool) and item.originalname in serial):
            item.add_marker(pytest.mark.serial)


@pytest.fixture
def store():
    from harness import Store
    st = Store()
    yield st
    st.cleanup()


@pytest.fixture
def serve():
    from harness import Server, Store
    servers, stores = [], []

    def start(extra=None, sealed=False, env=None, store=None, **store_args):
        if store is None:
            store = Store(**store_args)
            stores.append(store)
        srv = Server(store, sealed=sealed, extra=extra, env=env)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()
    for st in stores:
        st.cleanup()


def aiosmtpd():
    """(Controller, AuthResult) from Debian's python3-aiosmtpd."""
    try:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult
    except ImportError:
        # Debian's python3-aiosmtpd lives in the system interpreter's dist-packages; a python3
        # installed beside it (pyenv, venv) does not see it on its own. Pure Python: safe to add.
        sys.path.append("/usr/lib/python3/dist-packages")
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult
    return Controller, AuthResult


class Inbox:
    """aiosmtpd handler: keeps every message with how its session was secured."""

    def __init__(self):
        self.messages = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "data": envelope.content,
                              # STARTTLS sets session.ssl; implicit TLS shows on the transport.
                              "tls": session.ssl is not None or
                              server.transport.get_extra_info("ssl_object") is not None,
                              "auth": bool(session.authenticated)})
        self.arrived.set()
        return "250 OK"


class SmtpRelay:
    """Real SMTP relays (aiosmtpd) on loopback, sharing one inbox and one self-signed certificate.

    `cert` is the CA file to hand bomvault (--smtp-ca-file); `start(**controller_args)` starts a
    relay on a free port (STARTTLS required unless the arguments say otherwise) and returns it."""

    def __init__(self, tmp):
        from harness import free_port
        self.free_port = free_port
        self.cert, self.key = os.path.join(tmp, "smtp-cert.pem"), os.path.join(tmp, "smtp-key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.key,
                        "-out", self.cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(self.cert, self.key)
        self.Controller, self.AuthResult = aiosmtpd()
        self.inbox = Inbox()
        self.controllers = []

    def start(self, implicit_tls=False, **controller_args):
        port = self.free_port()
        if implicit_tls:
            controller_args.setdefault("ssl_context", self.context)
        else:
            controller_args.setdefault("tls_context", self.context)
            controller_args.setdefault("require_starttls", True)
        relay = self.Controller(self.inbox, hostname="127.0.0.1", port=port, **controller_args)
        relay.start()
        self.controllers.append(relay)
        return relay

    def url(self, relay, scheme="smtp"):
        return f"{scheme}://127.0.0.1:{relay.port}"

    def shut(self, relay):
        """Stops one relay now (a relay gone away); the others run on."""
        self.controllers.remove(relay)
        relay.stop()

    def stop(self):
        for relay in self.controllers:
            relay.stop()


@pytest.fixture
def smtp_relay(tmp_path):
    relay = SmtpRelay(str(tmp_path))
    yield relay
    relay.stop()
