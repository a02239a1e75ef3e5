"""A real Tryton ERP (trytond with the production module, Debian's tryton-server and
tryton-modules-production) for the data-source tests.

The database takes ~20 s to create, so it is built once per build directory
(build/tryton-cache/bv.sqlite, under a lock) and every test runs trytond on its own copy, on a free
loopback port. `rpc` talks Tryton's own JSON-RPC over a session (common.db.login), exactly as
Tryton's own client does: records the tests create "in Tryton" are created through Tryton's API, not by bomvault.
"""
import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from harness import BIN, free_port

ADMIN_PASSWORD = "Adm1n-Tryton-Pass-93xq"
DB = "bv"


def _cache_dir():
    return os.path.join(os.path.dirname(os.path.abspath(BIN)), "tryton-cache")


def _write_conf(path, data_dir, port):
    with open(path, "w") as f:
        f.write(f"[database]\nuri = sqlite://\npath = {data_dir}\n[web]\nlisten = 127.0.0.1:{port}\n")


def _build_template():
    cache = _cache_dir()
    os.makedirs(cache, exist_ok=True)
    done = os.path.join(cache, DB + ".sqlite.ready")
    with open(os.path.join(cache, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(done):
            return os.path.join(cache, DB + ".sqlite")
        work = tempfile.mkdtemp(prefix="tryton-build-")
        try:
            conf = os.path.join(work, "trytond.conf")
            _write_conf(conf, work, free_port())
            open(os.path.join(work, DB + ".sqlite"), "w").close()
            passfile = os.path.join(work, "pass")
            with open(passfile, "w") as f:
                f.write(ADMIN_PASSWORD + "\n")
            env = {**os.environ, "TRYTONPASSFILE": passfile}
            for args in (["--all", "--email", "admin@tryton.example"],
                         ["-u", "production", "--activate-dependencies"]):
                r = subprocess.run(["trytond-admin", "-c", conf, "-d", DB] + args, env=env,
                                   capture_output=True, text=True, timeout=600)
                assert r.returncode == 0, r.stderr[-2000:]
            shutil.copy(os.path.join(work, DB + ".sqlite"), os.path.join(cache, DB + ".sqlite"))
            open(done, "w").close()
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return os.path.join(cache, DB + ".sqlite")


class Tryton:
    def __init__(self, db=DB):
        template = _build_template()
        self.dir = tempfile.mkdtemp(prefix="tryton-")
        self.db = db
        shutil.copy(template, os.path.join(self.dir, db + ".sqlite"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/{db}/"
        conf = os.path.join(self.dir, "trytond.conf")
        _write_conf(conf, self.dir, self.port)
        self._sessions = {}  # (login, password) -> Authorization header of its Tryton session
        self.log = open(os.path.join(self.dir, "trytond.log"), "wb")
        self.proc = subprocess.Popen(["trytond", "-c", conf], stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while True:
            try:
                self.rpc("model.res.user.get_preferences", [True, {}])
                break
            except (OSError, urllib.error.URLError):
                if time.time() > deadline or self.proc.poll() is not None:
                    raise AssertionError("trytond did not start")
                time.sleep(0.2)
        self.groups = self.rpc("model.res.group.search", [[], 0, None, None, {}])
        self._uoms = {}

    def rpc(self, method, params, login="admin", password=ADMIN_PASSWORD):
        """Calls `method` as `login`, over a session as Tryton's own client does: the password is
        checked (bcrypt, a quarter of a second of CPU) once per login, at common.db.login, not on
        every call as HTTP Basic would."""
        if (login, password) not in self._sessions:
            user_id, key = self._post(method="common.db.login",
                                      params=[login, {"password": password}, "en"], auth=None)
            self._sessions[(login, password)] = "Session " + base64.b64encode(
                f"{login}:{user_id}:{key}".encode()).decode()
        return self._post(method, params, self._sessions[(login, password)])

    def _post(self, method, params, auth):
        body = json.dumps({"id": 1, "method": method, "params": params}).encode()
        req = urllib.request.Request(self.url, data=body, method="POST")
        req.add_header("Content-Type", "application/json")
        if auth:
            req.add_header("Authorization", auth)
        with urllib.request.urlopen(req, timeout=60) as r:
            answer = json.loads(r.read())
        if answer.get("error"):
            raise AssertionError(f"Tryton refused {method}: {answer['error']}")
        return answer["result"]

    def add_user(self, login, password, name):
        """A Tryton user with every group (so production and products are theirs to use)."""
        return self.rpc("model.res.user.create",
                        [[{"name": name, "login": login, "password": password,
                           "groups": [["add", self.groups]]}], {}])[0]

    def uom(self, symbol):
        if symbol not in self._uoms:
            found = self.rpc("model.product.uom.search", [[["symbol", "=", symbol]], 0, 1, None, {}])
            assert found, symbol
            self._uoms[symbol] = found[0]
        return self._uoms[symbol]

    def product(self, code, name, uom="u", login="admin", password=ADMIN_PASSWORD):
        self.rpc("model.product.template.create",
                 [[{"name": name, "code": code, "type": "goods", "default_uom": self.uom(uom),
                    "products": [["create", [{}]]]}], {}], login, password)
        return self.product_id(code)

    def product_id(self, code):
        found = self.rpc("model.product.product.search", [[["code", "=", code]], 0, 2, None, {}])
        return found[0] if len(found) == 1 else None

    def make_bom(self, name, output, inputs, login="admin", password=ADMIN_PASSWORD):
        """output and inputs: (product id, quantity, uom symbol)."""
        line = lambda p, q, u: {"product": p, "quantity": q, "uom": self.uom(u)}
        return self.rpc("model.production.bom.create",
                        [[{"name": name, "outputs": [["create", [line(*output)]]],
                           "inputs": [["create", [line(*i) for i in inputs]]]}], {}], login, password)[0]

    def bom(self, bom_id):
        """{name, create_uid, write_uid, outputs: [(code, qty, uom)], inputs: [...]}"""
        b = self.rpc("model.production.bom.read", [[bom_id], ["name", "create_uid", "write_uid",
                                                             "inputs", "outputs"], {}])[0]
        out = {"name": b["name"], "create_uid": b["create_uid"], "write_uid": b["write_uid"]}
        for kind in ("inputs", "outputs"):
            lines = self.rpc(f"model.production.bom.{kind[:-1]}.read",
                             [b[kind], ["product", "quantity", "uom"], {}])
            rows = []
            for l in lines:
                p = self.rpc("model.product.product.read", [[l["product"]], ["code", "create_uid"], {}])[0]
                u = self.rpc("model.product.uom.read", [[l["uom"]], ["symbol"], {}])[0]
                rows.append((p["code"], l["quantity"], u["symbol"]))
            out[kind] = sorted(rows)
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
